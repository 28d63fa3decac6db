"""The packet manifest (CSV and JSON), written atomically. It names patients by patient_id only.

The manifest is rewritten while a run goes on, so after Ctrl-C, kill -9 or a crash it
describes the folder: rows whose packet is finished say "ok" with the file's sha256 and
size in bytes, rows not reached say "not started". Spreadsheet programs execute cells that start with
``= + - @`` (CSV injection): such cells are written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handoutgen.write import write_atomic

MANIFEST_COLUMNS = (
    "row", "patient_id", "status", "output", "pages", "sha256", "bytes", "language", "handouts",
    "warnings", "error", "input_hmac",
)
OK, FAILED, NOT_STARTED = "ok", "failed", "not started"
# What input_hmac covers, stated in the manifest itself.
INPUT_HMAC_DOC = {
    "algorithm": "HMAC-SHA256",
    "key": ".handoutgen-key in this folder (random, 0600): without it the hash cannot be recomputed "
           "from guessed names or dates",
    "covers": ["the roster row (every column)",
               "each handout's sources (as build hashes them: its folder, templates, styles, fonts, brand, catalogs)",
               "cover template and styles",
               "fonts", "brand folder", "interface-string catalog of the row's language", "paper",
               "duplex", "handoutgen version"],
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ManifestRow:
    row: int
    patient_id: str
    status: str  # OK, FAILED or NOT_STARTED
    output: str = ""
    pages: int | None = None
    sha256: str = ""
    bytes: int | None = None  # the packet file's size; --resume compares it before hashing the file
    language: str = ""
    handouts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    input_hmac: str = ""


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _record(row: ManifestRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in MANIFEST_COLUMNS}


def _json_line(row: ManifestRow) -> str:
    return json.dumps(_record(row), ensure_ascii=False)


def _csv_line(row: ManifestRow) -> str:
    record = _record(row)
    record["handouts"] = ";".join(row.handouts)
    record["warnings"] = " | ".join(row.warnings)
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow([csv_cell(record[name]) for name in MANIFEST_COLUMNS])
    return line.getvalue()


def _write(folder: Path, rows: list[ManifestRow], json_lines: list[str], csv_lines: list[str]) -> tuple[Path, Path]:
    summary = {status.replace(" ", "_"): sum(1 for r in rows if r.status == status)
               for status in (OK, FAILED, NOT_STARTED)}
    head = json.dumps({"summary": {"rows": len(rows), **summary}, "input_hmac": INPUT_HMAC_DOC}, ensure_ascii=False)
    # One row per line: readable, diffable, and quick to rewrite for 100,000 rows.
    document = head[:-1] + ', "rows": [\n' + ",\n".join(json_lines) + "\n]}\n"
    json_path = folder / "manifest.json"
    write_atomic(json_path, document.encode("utf-8"))
    csv_path = folder / "manifest.csv"
    write_atomic(csv_path, (",".join(MANIFEST_COLUMNS) + "\n" + "".join(csv_lines)).encode("utf-8"))
    return csv_path, json_path


def write_manifest(folder: Path, rows: list[ManifestRow]) -> tuple[Path, Path]:
    return _write(folder, rows, [_json_line(r) for r in rows], [_csv_line(r) for r in rows])


class LiveManifest:
    """Every row's current state, written at the start, as rows finish (throttled) and at the end.

    Each row is serialised once when it changes, so a rewrite only joins lines.
    """

    def __init__(self, folder: Path, rows: list[ManifestRow]):
        self.folder = folder
        self.rows: dict[int, ManifestRow] = {}
        self._lines: dict[int, tuple[str, str]] = {}
        for row in rows:
            self._set(row)
        self._written_at = 0.0
        self._interval = 1.0

    def _set(self, row: ManifestRow) -> None:
        self.rows[row.row] = row
        self._lines[row.row] = (_json_line(row), _csv_line(row))

    def ordered(self) -> list[ManifestRow]:
        return [self.rows[number] for number in sorted(self.rows)]

    def update(self, row: ManifestRow) -> None:
        self._set(row)
        if time.monotonic() - self._written_at >= self._interval:
            self.write()

    def write(self) -> None:
        started = time.monotonic()
        numbers = sorted(self.rows)
        _write(self.folder, [self.rows[n] for n in numbers],
               [self._lines[n][0] for n in numbers], [self._lines[n][1] for n in numbers])
        self._written_at = time.monotonic()
        # A large manifest is rewritten less often, so rewriting never dominates the run.
        self._interval = max(1.0, 20 * (self._written_at - started))
