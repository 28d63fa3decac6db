"""Load and validate a roster: CSV as spreadsheets export it, or YAML, or JSON.

Loading never writes. Every problem names the roster row (and line), and never
echoes a value from the row: a shifted column could put a patient's name where
a date belongs, and names must not reach logs or error messages.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from handoutgen.errors import ErrorList, HandoutgenError, Location, SourceError, UsageError
from handoutgen.load import DataPath, dotted, load_yaml, read_text
from handoutgen.i18n.languages import normalize_language
from handoutgen.model import PATTERN_HELP, FhirSettings, RosterRow

MAX_ROSTER_BYTES = 32 * 1024 * 1024
COLUMNS = tuple(RosterRow.model_fields)
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class RawRow:
    number: int  # 1-based data row (the header is not counted)
    line: int | None  # line in the file where the row starts, when known
    values: dict[str, Any]


@dataclass(frozen=True)
class RosterEntry:
    """A validated row, or the reason it cannot be used."""

    number: int
    row: RosterRow | None
    error: HandoutgenError | None
    # patient_id as written, when it can be told (for the manifest of a failed row).
    patient_id: str


@dataclass(frozen=True)
class Roster:
    path: Path
    entries: list[RosterEntry]
    ignored_columns: list[str]


def parse_column_map(pairs: list[str]) -> dict[str, str]:
    """``["Patient Name=patient_name"]`` → ``{"Patient Name": "patient_name"}``."""
    mapping = {}
    for pair in pairs:
        header, sep, column = pair.partition("=")
        if not sep or not header.strip() or column.strip() not in COLUMNS:
            raise UsageError(
                f"--map '{pair}': expected 'Export Header=column' with column one of {', '.join(COLUMNS)}"
            )
        mapping[header.strip()] = column.strip()
    return mapping


def parse_date_formats(patterns: list[str]) -> tuple[str, ...]:
    """Check ``--date-format`` patterns: each must read back a date it writes."""
    sample = dt.datetime(2026, 12, 1, 9, 30)
    for pattern in patterns:
        try:
            ok = "%" in pattern and dt.datetime.strptime(sample.strftime(pattern), pattern).date() == sample.date()
        except ValueError:
            ok = False
        if not ok:
            raise UsageError(f"--date-format '{pattern}': not a strftime pattern with day, month and year, "
                             "e.g. '%m/%d/%Y %I:%M %p'")
    return tuple(patterns)


# Text codecs Python has that no spreadsheet or scheduling system saves a file in.
_NOT_FILE_ENCODINGS = frozenset({"idna", "punycode", "raw-unicode-escape", "unicode-escape", "rot-13", "undefined"})


def _decode(path: Path, encoding: str, content: bytes | None = None) -> str:
    if content is not None:  # held in memory: path only names it
        data = content if len(content) <= MAX_ROSTER_BYTES else None
    else:
        data = path.read_bytes() if path.stat().st_size <= MAX_ROSTER_BYTES else None
    if data is None:
        raise SourceError(f"roster is over the {MAX_ROSTER_BYTES}-byte limit", Location(path))
    # utf-8-sig reads UTF-8 with or without the BOM that spreadsheets write.
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        info = codecs.lookup(codec)
    except LookupError:
        info = None
    # Only encodings files are saved in: not idna, punycode, rot13, base64 or hex.
    if info is None or not info._is_text_encoding or info.name in _NOT_FILE_ENCODINGS:
        raise UsageError(f"unknown encoding '{encoding}' (use a text encoding such as utf-8 or cp1252)")
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SourceError(
            f"not valid {encoding} text; an older export may need --encoding cp1252",
            Location(path, line),
        ) from None
    except UnicodeError:  # a codec that fails without saying where (utf-16 with an odd length…)
        raise SourceError(f"not valid {encoding} text; an older export may need --encoding cp1252",
                          Location(path)) from None


# A quoted cell may hold a few line breaks (a prep note); one running over more lines than
# this has swallowed the rows after it.
MAX_RECORD_LINES = 30
# Longest cell kept: longer than any real value, so a longer one is a broken export.
MAX_CELL_CHARS = 4000
DUPLICATE_KEYS = "\0duplicate keys"
EXTRA_CELLS = "\0extra"
BROKEN_RECORD = "\0broken"


def _quote_open_after(line: str, delimiter: str, in_quotes: bool) -> bool:
    """Whether a quoted cell is still open at the end of ``line`` (RFC 4180 quoting).

    A quote opens a cell only at the cell's start ("" inside it is a literal quote); a
    quote inside an unquoted cell (``5" tall``) is literal, as Python's csv reads it.
    """
    if not in_quotes and '"' not in line:
        return False
    at_cell_start = not in_quotes
    index = 0
    while index < len(line):
        char = line[index]
        if in_quotes:
            if char == '"':
                if line.startswith('"', index + 1):
                    index += 1
                else:
                    in_quotes = False
        elif char == '"' and at_cell_start:
            in_quotes = True
        at_cell_start = not in_quotes and char == delimiter
        index += 1
    return in_quotes


def _cells(lines: list[str], delimiter: str) -> list[str]:
    return next(csv.reader(lines, delimiter=delimiter), [])


def _records(lines: list[str], delimiter: str, width: int, start: int = 0) -> Iterator[tuple[int, list[str] | None, str]]:
    """(first line, cells, problem) per record; cells is None when the record is unusable.

    Unlike a plain csv.reader, a quote that is never closed does not swallow the rows after
    it: a quoted cell that runs to the end of the file, over MAX_RECORD_LINES lines, or across
    lines that are whole records themselves, is an error for the row that opened it, and
    reading goes on at the next line.
    """
    while start < len(lines):
        if not lines[start].strip():
            start += 1
            continue
        end, open_quote = start, _quote_open_after(lines[start], delimiter, False)
        while open_quote and end + 1 < len(lines) and end - start < MAX_RECORD_LINES:
            end += 1
            open_quote = _quote_open_after(lines[end], delimiter, True)
        continued = lines[start + 1 : end + 1]
        swallowed = [n for n, line in enumerate(continued, start=start + 2)
                     if width > 1 and len(_cells([line], delimiter)) == width]
        if open_quote or swallowed:
            where = (f"line {swallowed[0]}" if swallowed else "the end of the file" if end + 1 == len(lines)
                     else f"line {end + 1}")
            yield start + 1, None, (
                f"a quoted cell opened in this row is not closed before {where}; the rows after it are "
                "read on their own — close the quote (or remove the stray \") in the export")
            start += 1
            continue
        record = lines[start : end + 1]
        try:
            cells = next(csv.reader(record, delimiter=delimiter, strict=True))
        except csv.Error:
            yield start + 1, None, 'malformed quoting: a quoted cell must end with " right before a separator'
        else:
            yield start + 1, cells, ""
        start = end + 1


def _read_csv(path: Path, encoding: str, content: bytes | None = None) -> tuple[list[str], list[RawRow]]:
    text = _decode(path, encoding, content)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    lines = list(io.StringIO(text, newline=""))
    try:
        header_line, cells, problem = next(_records(lines, delimiter, width=0))
    except StopIteration:
        raise SourceError("roster is empty", Location(path)) from None
    if cells is None:
        raise SourceError(f"header row: {problem}", Location(path, header_line))
    header = [h.strip() for h in cells]
    rows = []
    # The header's width tells a swallowed record from a multi-line cell.
    for number, (line, cells, problem) in enumerate(_records(lines, delimiter, len(header), start=header_line), start=1):
        values: dict[str, Any]
        if cells is None:
            values = {BROKEN_RECORD: problem}
        else:
            values = dict(zip(header, cells))
            if len(cells) > len(header):
                values[EXTRA_CELLS] = True
        rows.append(RawRow(number, line, values))
    return header, rows


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON object hook: a key given twice is kept as a problem, not silently overwritten."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            result.setdefault(DUPLICATE_KEYS, []).append(key)
        result[key] = value
    return result


def read_json(path: Path) -> Any:
    """A JSON roster or FHIR bundle, within the roster size limit; a key given twice is marked."""
    try:
        return json.loads(read_text(path, MAX_ROSTER_BYTES), object_pairs_hook=_refuse_duplicates)
    except json.JSONDecodeError as error:
        raise SourceError(f"JSON syntax: {error.msg}", Location(path, error.lineno)) from None
    except RecursionError:
        raise SourceError("JSON nested too deeply", Location(path)) from None


def _structured_rows(path: Path, data: Any, lines: dict[DataPath, int]) -> tuple[list[str], list[RawRow]]:
    """Rows of a YAML or JSON roster (``lines``: where each value starts, when known)."""
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise SourceError("roster must be a list of rows (one mapping per patient)", Location(path, 1))
    headers = list(dict.fromkeys(str(key) for item in data for key in item if key != DUPLICATE_KEYS))
    rows = [RawRow(i, lines.get((i - 1,)), item) for i, item in enumerate(data, start=1)]
    return headers, rows


def _parse_appointment(value: str, date_formats: tuple[str, ...]) -> Any:
    """An export's own layout (``--date-format``) read into a date-time; ISO text is left to the model."""
    for pattern in date_formats:
        try:
            return dt.datetime.strptime(value, pattern)
        except ValueError:
            continue
    return value


def _clean(value: Any, column: str, date_formats: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
        if len(value) > MAX_CELL_CHARS:
            raise ValueError(f"longer than {MAX_CELL_CHARS} characters")
        if column == "handouts":
            return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
        if column == "language":
            return normalize_language(value)
        if column == "appointment" and date_formats:
            return _parse_appointment(value, date_formats)
    elif isinstance(value, (dict, list)) and column != "handouts":
        raise ValueError("must be a single value, not a list or mapping")
    return value


def _row_error(path: Path, raw: RawRow, error: ErrorDetails) -> SourceError:
    kind = error["type"]
    if kind == "missing":
        message = "required column is empty or missing"
    elif kind == "string_pattern_mismatch":
        message = "not valid: " + PATTERN_HELP.get(error.get("ctx", {}).get("pattern", ""), "wrong format")
    elif kind == "value_error":
        message = error["msg"].removeprefix("Value error, ")
    elif kind.startswith("datetime") or kind.startswith("date"):
        message = "not an ISO date-time like 2026-12-01T09:30"
    elif kind.startswith("int"):
        message = "not a whole number"
    elif kind == "string_unicode":
        message = "contains control or invalid characters (a broken export?)"
    elif kind in ("string_too_long", "too_long"):
        message = f"longer than {error.get('ctx', {}).get('max_length')} characters"
    else:
        # pydantic's own words, but never the value itself.
        message = error["msg"]
    return SourceError(message, Location(path, raw.line, dotted(tuple(error["loc"])), raw.number))


def _entry(path: Path, raw: RawRow, rename: dict[str, str | None], date_formats: tuple[str, ...]) -> RosterEntry:
    """Validate one row. Its patient_id is kept for the manifest only when it is a valid id."""
    here = Location(path, raw.line, None, raw.number)
    if BROKEN_RECORD in raw.values:
        return RosterEntry(raw.number, None, SourceError(raw.values[BROKEN_RECORD], here), "")
    problems: list[HandoutgenError] = []
    if EXTRA_CELLS in raw.values:
        problems.append(SourceError(
            "more cells than header columns (is a ',' or ';' inside an unquoted value?)", here))
    for key in raw.values.get(DUPLICATE_KEYS, []):
        problems.append(SourceError("key given twice in this row", Location(path, raw.line, str(key), raw.number)))
    values: dict[str, Any] = {}
    for key, value in raw.values.items():
        column = rename.get(str(key))
        if column is None:
            continue
        try:
            cleaned = _clean(value, column, date_formats)
        except ValueError as error:
            problems.append(SourceError(str(error), Location(path, raw.line, column, raw.number)))
            continue
        if cleaned is not None:
            values[column] = cleaned
    try:
        row = RosterRow.model_validate(values)
    except ValidationError as exc:
        problems += [_row_error(path, raw, e) for e in exc.errors(include_url=False)]
        row = None
    patient_id = row.patient_id if row is not None else _valid_id(values.get("patient_id"))
    if problems:
        problem = problems[0] if len(problems) == 1 else ErrorList(problems)
        return RosterEntry(raw.number, None, problem, patient_id)
    return RosterEntry(raw.number, row, None, patient_id)


def _valid_id(value: Any) -> str:
    """The id as text when it is a valid patient_id; "" otherwise (it may be a shifted name)."""
    try:
        return RosterRow.model_validate({"patient_id": value, "handouts": ["x"]}).patient_id
    except ValidationError:
        return ""


def load_roster(path: Path, encoding: str = "utf-8", column_map: dict[str, str] | None = None,
                date_formats: tuple[str, ...] = (), fhir: FhirSettings | None = None,
                content: bytes | None = None) -> Roster:
    """A CSV, YAML or JSON roster, or a FHIR R4 schedule bundle (read with the ``fhir`` settings).

    ``content``: a CSV roster's bytes held in memory (an upload to ``handoutgen serve``, never
    saved); ``path`` then only names it in messages.
    """
    suffix = path.suffix.lower()
    if content is not None:
        if suffix != ".csv":
            raise UsageError("only a CSV roster can be read from memory; choose a YAML or JSON roster from the workspace")
    elif not path.is_file():
        raise UsageError(f"roster file {path} not found")
    if content is not None:
        headers, raw_rows = _read_csv(path, encoding, content)
    elif suffix == ".json":
        data = read_json(path)
        if isinstance(data, dict) and data.get("resourceType") == "Bundle":
            if column_map or date_formats:
                raise UsageError("--map and --date-format apply to CSV, YAML and JSON rows, not to a FHIR bundle")
            from handoutgen.packets.fhir import load_bundle  # fhir.resources loads only for a bundle

            return load_bundle(path, data, fhir)
        headers, raw_rows = _structured_rows(path, data, {})
    elif suffix in (".yaml", ".yml"):
        loaded = load_yaml(path, MAX_ROSTER_BYTES, read_dates=False)  # a bad date fails its row only
        headers, raw_rows = _structured_rows(path, loaded.data, loaded.lines)
    else:
        headers, raw_rows = _read_csv(path, encoding)
    column_map = column_map or {}
    by_lower = {c.lower(): c for c in COLUMNS}
    rename = {h: column_map.get(h) or by_lower.get(h.lower().replace(" ", "_")) for h in headers}
    mapped = [column for h in headers if (column := rename[h])]
    doubled = sorted({c for c in mapped if mapped.count(c) > 1})
    if doubled:
        raise SourceError(
            f"more than one column means {', '.join(doubled)}; keep one (or --map the other to another name)",
            Location(path, 1),
        )
    if "patient_id" not in rename.values():
        raise SourceError(
            "no patient_id column; name it patient_id or map it, e.g. --map 'MRN=patient_id'",
            Location(path, 1),
        )
    ignored = [h for h, column in rename.items() if column is None]
    entries = [_entry(path, raw, rename, date_formats) for raw in raw_rows]
    return Roster(path, entries, ignored)
