"""Draft stage: the placed text as a handout YAML a reviewer can read, and writing it once.

The draft holds only the source's sentences; everything the importer did or could not do is
in ``review_notes``. It is marked unreviewed (``reviewed_by: ""``, version 0.1) and says so in
a comment at the top.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from handoutgen.checks.readability import sentences
from handoutgen.errors import Location, UsageError, terminal_safe
from handoutgen.importer.read import Document
from handoutgen.importer.sections import OVERVIEW, Placed
from handoutgen.scaffold import WORKSPACE_FILE_MODE
from handoutgen.write import output_error, write_atomic

DRAFT_VERSION = "0.1"
SOURCE_NOTE = "Imported by handoutgen import; not yet reviewed"
SLUG_MAX = 80
FOLDED_FROM = 60  # longer strings are written as folded blocks (">-"), as the samples are

HEADER = """\
# DRAFT imported by `handoutgen import` from {name} on {today}. Not reviewed by a clinician.
# Every sentence below is the source's own; the importer adds none. Before use:
#   - read review_notes: what was repaired, dropped, or could not be placed;
#   - check that each section holds what its name says, and reword it for patients;
#   - run `handoutgen check {id}`; after a clinician's review set reviewed_by and version.
"""

# The sections after the overview, in the model's order ("parent.child" nests).
_LATER_SECTIONS = ("reasons", "preparation", "what_to_expect.before", "what_to_expect.during",
          "what_to_expect.after", "benefits", "risks", "aftercare.instructions", "when_to_call.warning_signs",
          "questions")


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:SLUG_MAX].strip("-")


def handout_data(document: Document, placed: Placed, notes: list[str], handout_id: str | None, language: str,
                 today: dt.date) -> dict[str, Any]:
    """The draft as the YAML file holds it; ``notes`` come from the repair and drop stages.

    Without ``handout_id`` the id is made from the title (or the file name)."""
    review_notes = [f"Draft imported from {document.path.name} by handoutgen import on {today}. The wording "
                    "is the source's: put it in plain language, and have a clinician review every section."]
    title = placed.title or document.title
    if not title:
        title = document.path.stem.replace("_", " ").replace("-", " ").strip()
        review_notes.append(f"The source has no title; the title is the file name '{title}': replace it.")
    handout_id = handout_id or slug(title) or slug(document.path.stem)
    if not handout_id:
        raise UsageError("cannot make a handout id from the title or the file name; give one with --id",
                         Location(document.path))
    sections = {key: list(texts) for key, texts in placed.sections.items()}
    overview = sections.get(OVERVIEW, [])
    summary = ""
    if overview:
        first, *rest = sentences(overview[0])
        summary = first
        remainder = " ".join(rest)
        if remainder or len(overview) > 1:  # the summary moves out of the overview, which keeps the rest
            sections[OVERVIEW] = ([remainder] if remainder else []) + overview[1:]
        review_notes.append("The summary is the first sentence of the source's overview: check that it says "
                            "what the handout is about.")
    else:
        review_notes.append("The source has no introduction: write the summary and overview from it.")
    review_notes += document.notes + notes + placed.notes + placed.unplaced

    source: dict[str, Any] = {"title": document.path.name}
    if document.publisher:
        source["publisher"] = document.publisher
    if document.url:
        source["url"] = document.url
    if document.date:
        source["date"] = document.date
    source["note"] = SOURCE_NOTE

    data: dict[str, Any] = {
        "id": handout_id, "language": language, "title": title, "summary": summary, "version": DRAFT_VERSION,
        "last_reviewed": today, "reviewed_by": "", "sources": [source], "review_notes": _counted(review_notes),
        "overview": sections.get(OVERVIEW, []),
    }
    for key in _LATER_SECTIONS:
        if texts := sections.get(key):
            parent, _, child = key.partition(".")
            if child:
                data.setdefault(parent, {})[child] = texts
            else:
                data[key] = texts
    if placed.terms:
        data["words_to_know"] = placed.terms
    return data


def _counted(notes: list[str]) -> list[str]:
    """Each note once, in order; a note made several times says how many ("Dropped …" ×3)."""
    counts = Counter(notes)
    return [note if counts[note] == 1 else f"{note} ({counts[note]} times)" for note in dict.fromkeys(notes)]


class _DraftDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # handoutgen refuses anchors and aliases


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = ">" if len(value) > FOLDED_FROM and " " in value and "\n" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_DraftDumper.add_representer(str, _text)


def draft_yaml(data: dict[str, Any], source_name: str) -> str:
    body = yaml.dump(data, Dumper=_DraftDumper, allow_unicode=True, sort_keys=False, default_flow_style=False,
                     width=88, indent=2)
    return HEADER.format(name=terminal_safe(source_name), today=data["last_reviewed"], id=data["id"]) + body


def write_draft(text: str, target: Path, force: bool = False) -> None:
    """Write the draft atomically; an existing file is replaced only with ``force``."""
    if target.is_dir():
        raise UsageError("is a folder; --out takes the draft's file name", Location(target))
    if target.exists() and not force:
        raise UsageError("already exists; nothing was overwritten (use --force to replace it)", Location(target))
    try:
        write_atomic(target, text.encode("utf-8"))
        target.chmod(WORKSPACE_FILE_MODE)
    except OSError as error:
        raise output_error(error, target) from None
