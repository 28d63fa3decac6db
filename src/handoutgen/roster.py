"""Load and validate a roster: CSV as spreadsheets export it, or YAML, or JSON.

Loading never writes. Every problem names the roster row (and line), and never
echoes a value from the row: a shifted column could put a patient's name where
a date belongs, and names must not reach logs or error messages.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from handoutgen.errors import ErrorList, HandoutgenError, Location, SourceError, UsageError
from handoutgen.load import load_yaml, read_text
from handoutgen.model import PATTERN_HELP, RosterRow
from handoutgen.validate import dotted

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


def _decode(path: Path, encoding: str) -> str:
    data = path.read_bytes() if path.stat().st_size <= MAX_ROSTER_BYTES else None
    if data is None:
        raise SourceError(f"roster is over the {MAX_ROSTER_BYTES}-byte limit", Location(path))
    try:
        # utf-8-sig reads UTF-8 with or without the BOM that spreadsheets write.
        return data.decode("utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding)
    except LookupError:
        raise UsageError(f"unknown encoding '{encoding}'") from None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SourceError(
            f"not valid {encoding} text; an older export may need --encoding cp1252",
            Location(path, line),
        ) from None


def _read_csv(path: Path, encoding: str) -> tuple[list[str], list[RawRow]]:
    text = _decode(path, encoding)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise SourceError("roster is empty", Location(path)) from None
    rows = []
    start = reader.line_num + 1
    for number, cells in enumerate(reader, start=1):
        if any(cell.strip() for cell in cells):
            values = dict(zip((h.strip() for h in header), cells))
            if len(cells) > len(header):
                values["\0extra"] = True
            rows.append(RawRow(number, start, values))
        start = reader.line_num + 1
    return [h.strip() for h in header], rows


def _read_structured(path: Path) -> tuple[list[str], list[RawRow]]:
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(read_text(path, MAX_ROSTER_BYTES))
        except json.JSONDecodeError as error:
            raise SourceError(f"JSON syntax: {error.msg}", Location(path, error.lineno)) from None
        lines: dict = {}
    else:
        loaded = load_yaml(path, MAX_ROSTER_BYTES)
        data, lines = loaded.data, loaded.lines
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise SourceError("roster must be a list of rows (one mapping per patient)", Location(path, 1))
    headers = list(dict.fromkeys(key for item in data for key in item))
    rows = [RawRow(i, lines.get((i - 1,)), item) for i, item in enumerate(data, start=1)]
    return headers, rows


def _clean(value: Any, column: str) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
        if column == "handouts":
            return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
    return value


def _row_error(path: Path, raw: RawRow, error: dict) -> SourceError:
    kind = error["type"]
    if kind == "missing":
        message = "required column is empty or missing"
    elif kind == "string_pattern_mismatch":
        message = "not valid: " + PATTERN_HELP.get(error.get("ctx", {}).get("pattern"), "wrong format")
    elif kind.startswith("datetime") or kind.startswith("date"):
        message = "not an ISO date-time like 2026-12-01T09:30"
    elif kind.startswith("int"):
        message = "not a whole number"
    else:
        # pydantic's own words, but never the value itself.
        message = error["msg"].removeprefix("Value error, ")
    return SourceError(message, Location(path, raw.line, dotted(tuple(error["loc"])), raw.number))


def load_roster(path: Path, encoding: str = "utf-8", column_map: dict[str, str] | None = None) -> Roster:
    if not path.is_file():
        raise UsageError(f"roster file {path} not found")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        headers, raw_rows = _read_structured(path)
    else:
        headers, raw_rows = _read_csv(path, encoding)
    column_map = column_map or {}
    by_lower = {c.lower(): c for c in COLUMNS}
    rename = {h: column_map.get(h) or by_lower.get(h.lower().replace(" ", "_")) for h in headers}
    if "patient_id" not in rename.values():
        raise SourceError(
            "no patient_id column; name it patient_id or map it, e.g. --map 'MRN=patient_id'",
            Location(path, 1),
        )
    ignored = [h for h, column in rename.items() if column is None]

    entries = []
    for raw in raw_rows:
        values = {rename[k]: _clean(v, rename[k]) for k, v in raw.values.items() if rename.get(k)}
        values = {k: v for k, v in values.items() if v is not None}
        patient_id = str(values.get("patient_id", ""))
        if raw.values.get("\0extra"):
            error = SourceError(
                "more cells than header columns (is a ',' or ';' inside an unquoted value?)",
                Location(path, raw.line, None, raw.number),
            )
            entries.append(RosterEntry(raw.number, None, error, patient_id))
            continue
        try:
            entries.append(RosterEntry(raw.number, RosterRow.model_validate(values), None, patient_id))
        except ValidationError as exc:
            errors = [_row_error(path, raw, e) for e in exc.errors(include_url=False)]
            error = errors[0] if len(errors) == 1 else ErrorList(errors)
            entries.append(RosterEntry(raw.number, None, error, patient_id))
    return Roster(path, entries, ignored)
