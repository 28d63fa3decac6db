"""Repair stage: fix damaged text (mojibake, HTML entities) with ftfy and say what changed.

Each change is recorded word by word ("cystoscopyâ€”a" → "cystoscopy—a"), so the reviewer
sees every place the importer touched; nothing else about the text changes.
"""

from __future__ import annotations

import difflib

import ftfy

SHOWN_REPAIRS = 10  # the review note lists this many changed words, then counts the rest


class Repairs:
    """Repairs text and remembers each change for ``review_notes``."""

    def __init__(self) -> None:
        self.changes: list[tuple[str, str]] = []

    def __call__(self, text: str) -> str:
        # Curly quotes are the author's typography, not damage: keep them.
        fixed = ftfy.fix_text(text, uncurl_quotes=False)
        if fixed != text:
            before, after = text.split(), fixed.split()
            matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                if tag != "equal":
                    self.changes.append((" ".join(before[i1:i2]), " ".join(after[j1:j2])))
        return fixed

    def notes(self) -> list[str]:
        if not self.changes:
            return []
        shown = "; ".join(f"'{old}' → '{new}'" for old, new in self.changes[:SHOWN_REPAIRS])
        more = f"; and {len(self.changes) - SHOWN_REPAIRS} more" if len(self.changes) > SHOWN_REPAIRS else ""
        return [f"Repaired damaged characters (mojibake, HTML entities) in {len(self.changes)} place(s): "
                f"{shown}{more}."]
