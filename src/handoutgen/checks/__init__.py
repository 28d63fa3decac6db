"""Content checks run by `handoutgen check` and `report`.

- registry.py: what a rule is (``rule(subject, context) -> list[Finding]``), ``@rule``, plugins
- run.py: the rules run over a workspace
- files.py: what `build` would refuse (files that do not load, missing templates, glyphs)
- the rules: plain_language.py (reading level, long sentences and words, unbroken words),
  jargon.py, junk.py (placeholders, mojibake, repeats, empty sections), pemat.py, review.py,
  figures.py (alt text),
  translation.py
- readability.py (and data/): the reading-level formulas; glyphs.py: font coverage

A clinic's own rule imports what it needs from here: ``from handoutgen.checks import
Finding, WARNING``.
"""

from handoutgen.checks.registry import (ENTRY_POINT_GROUP, ERROR, INFO, WARNING, CheckContext, Finding, Rule,
                                        Subject, Text, clip, rule)

__all__ = ["ENTRY_POINT_GROUP", "ERROR", "INFO", "WARNING", "CheckContext", "Finding", "Rule", "Subject", "Text",
           "clip", "rule"]
