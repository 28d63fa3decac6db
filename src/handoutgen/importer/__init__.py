"""``handoutgen import``: an existing handout (.txt, .md, .html, .docx) as a draft handout YAML.

One module per stage: read (the file as headings, paragraphs and list items) → repair (ftfy)
→ clean (sentences; filler and repeats dropped) → sections (headings and key phrases) →
draft (the YAML, written once). It never invents content: every sentence in the draft comes
from the source, and every source sentence is in the draft or named in ``review_notes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handoutgen import clock
from handoutgen.errors import Location, SourceError
from handoutgen.importer.clean import Cleaner
from handoutgen.importer.draft import draft_yaml, handout_data, write_draft
from handoutgen.importer.read import HEADING, read_document
from handoutgen.importer.repair import Repairs
from handoutgen.importer.sections import place
from handoutgen.scaffold import handout_path

__all__ = ["Draft", "import_document", "write_draft"]


@dataclass(frozen=True)
class Draft:
    data: dict[str, Any]  # as the YAML holds it
    text: str  # the YAML file, with its header comment
    path: Path  # handouts/<id>/<language>.yaml, relative to a workspace


def import_document(source: Path, handout_id: str | None = None, language: str = "en") -> Draft:
    repairs = Repairs()
    document = read_document(source, repairs)
    cleaner = Cleaner()
    blocks = [kept for block in document.blocks if (kept := cleaner(block)) is not None]
    if not any(block.kind != HEADING for block in blocks):
        raise SourceError("nothing to import: every sentence is filler or a repeat", Location(source))
    placed = place(blocks, document.title)
    data = handout_data(document, placed, repairs.notes() + cleaner.notes, handout_id, language, clock.today())
    path = handout_path(Path(), data["id"], language)  # refuses an id or language the handout could not have
    return Draft(data, draft_yaml(data, source.name), path)
