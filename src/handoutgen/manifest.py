"""The packet manifest (CSV and JSON), written atomically. It names patients by patient_id only.

The manifest is rewritten while a run goes on, so after Ctrl-C, kill -9 or a crash it
describes the folder: rows whose packet is finished say "ok" with the file's sha256,
rows not reached say "not started". Spreadsheet programs execute cells that start with
``= + - @`` (CSV injection): such cells are written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from handoutgen.write import write_atomic

MANIFEST_COLUMNS = (
    "row", "patient_id", "status", "output", "pages", "sha256", "language", "handouts",
    "warnings", "error", "input_hmac",
)
OK, FAILED, NOT_STARTED = "ok", "failed", "not started"
# What input_hmac covers, stated in the manifest itself.
INPUT_HMAC_DOC = {
    "algorithm": "HMAC-SHA256",
    "key": ".handoutgen-key in this folder (random, 0600): without it the hash cannot be recomputed "
           "from guessed names or dates",
    "covers": ["the roster row (every column)", "each handout PDF's sha256", "cover template and styles",
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
    language: str = ""
    handouts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    input_hmac: str = ""


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_manifest(folder: Path, rows: list[ManifestRow]) -> tuple[Path, Path]:
    records = [asdict(row) for row in rows]
    summary = {status.replace(" ", "_"): sum(1 for r in rows if r.status == status)
               for status in (OK, FAILED, NOT_STARTED)}
    document = {"summary": {"rows": len(rows), **summary}, "input_hmac": INPUT_HMAC_DOC, "rows": records}
    json_path = folder / "manifest.json"
    write_atomic(json_path, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode())

    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        record = {**record, "handouts": ";".join(record["handouts"]), "warnings": " | ".join(record["warnings"])}
        writer.writerow({key: csv_cell(value) for key, value in record.items()})
    csv_path = folder / "manifest.csv"
    write_atomic(csv_path, text.getvalue().encode("utf-8"))
    return csv_path, json_path


class LiveManifest:
    """Every row's current state, written at the start, as rows finish (throttled) and at the end."""

    def __init__(self, folder: Path, rows: list[ManifestRow]):
        self.folder = folder
        self.rows = {row.row: row for row in rows}
        self._written_at = 0.0
        self._interval = 1.0

    def ordered(self) -> list[ManifestRow]:
        return [self.rows[number] for number in sorted(self.rows)]

    def update(self, row: ManifestRow) -> None:
        self.rows[row.row] = row
        if time.monotonic() - self._written_at >= self._interval:
            self.write()

    def write(self) -> None:
        started = time.monotonic()
        write_manifest(self.folder, self.ordered())
        self._written_at = time.monotonic()
        # A large manifest is rewritten less often, so rewriting never dominates the run.
        self._interval = max(1.0, 20 * (self._written_at - started))
