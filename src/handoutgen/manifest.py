"""Write the packet manifest (CSV and JSON) atomically. It names patients by patient_id only."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from handoutgen.write import write_atomic

MANIFEST_COLUMNS = (
    "row", "patient_id", "status", "output", "pages", "sha256", "language", "handouts",
    "warnings", "error", "input_sha256",
)


@dataclass
class ManifestRow:
    row: int
    patient_id: str
    status: str  # "ok" or "failed"
    output: str = ""
    pages: int | None = None
    sha256: str = ""
    language: str = ""
    handouts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    input_sha256: str = ""


def write_manifest(folder: Path, rows: list[ManifestRow]) -> tuple[Path, Path]:
    records = [asdict(row) for row in rows]
    summary = {
        "rows": len(rows),
        "ok": sum(1 for r in rows if r.status == "ok"),
        "failed": sum(1 for r in rows if r.status != "ok"),
    }
    json_path = folder / "manifest.json"
    write_atomic(json_path, (json.dumps({"summary": summary, "rows": records}, indent=2, ensure_ascii=False) + "\n").encode())

    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({
            **record,
            "pages": "" if record["pages"] is None else record["pages"],
            "handouts": ";".join(record["handouts"]),
            "warnings": " | ".join(record["warnings"]),
        })
    csv_path = folder / "manifest.csv"
    write_atomic(csv_path, text.getvalue().encode("utf-8"))
    return csv_path, json_path
