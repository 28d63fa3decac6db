"""Junk and damage: placeholder text, mojibake, repeated sentences, empty sections."""

from __future__ import annotations

import difflib
import re

from handoutgen.checks.readability import sentences, words
from handoutgen.checks.registry import ERROR, WARNING, CheckContext, Finding, Subject, Text, clip, rule
from handoutgen.i18n.translations import TRANSLATABLE

_PLACEHOLDERS = [
    (re.compile(r"lorem ipsum|dolor sit amet", re.IGNORECASE), "placeholder text (lorem ipsum)"),
    (re.compile(r"\b(TODO|TBD|XXX|FIXME)\b"), "placeholder marker"),
    (re.compile(r"\[(?:insert|add|fill)[^\]]*\]", re.IGNORECASE), "placeholder to fill in"),
]
# UTF-8 read as Windows-1252/Latin-1: "â€”" for "—", "Ã©" for "é", "Â " for a no-break space.
_MOJIBAKE = re.compile(r"â€.|Ã[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]|Â[\u00a0-\u00bf ]|\ufffd")


@rule("placeholder")
def placeholders(subject: Subject, context: CheckContext) -> list[Finding]:
    return [
        Finding(ERROR, "placeholder", f"{what}: '{match.group(0)}'", subject.path, text.line, text.field,
                "replace it with real content")
        for text in subject.texts for pattern, what in _PLACEHOLDERS if (match := pattern.search(text.text))
    ]


def _repair(text: str) -> str | None:
    for encoding in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(encoding).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if fixed != text:
            return fixed
    return None


@rule("mojibake")
def mojibake(subject: Subject, context: CheckContext) -> list[Finding]:
    findings = []
    for text in subject.texts:
        if match := _MOJIBAKE.search(text.text):
            repaired = _repair(text.text)
            hint = f"the text was probably meant to read: \"{clip(repaired, 80)}\"" if repaired else "retype the damaged characters"
            findings.append(Finding(ERROR, "mojibake", f"damaged characters (mojibake): '{match.group(0)}'",
                                    subject.path, text.line, text.field, hint))
    return findings


NEAR_DUPLICATE = 0.9


def _near_duplicate(a: list[str], b: list[str], a_set: set[str], b_set: set[str]) -> bool:
    # Cheap bounds first: a 0.9 match needs similar lengths and mostly shared words.
    if min(len(a), len(b)) < NEAR_DUPLICATE * max(len(a), len(b)):
        return False
    if 2 * len(a_set & b_set) < NEAR_DUPLICATE * (len(a_set) + len(b_set)):
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= NEAR_DUPLICATE


@rule("repeated-sentence")
def repeated_sentences(subject: Subject, context: CheckContext) -> list[Finding]:
    seen: dict[str, Text] = {}
    earlier: list[tuple[list[str], set[str], Text]] = []
    findings = []
    for text in subject.prose():
        if text.segment.endswith(".how_long"):  # "Usually goes away quickly" may rightly recur
            continue
        for sentence in sentences(text.text):
            tokens = [w.lower() for w in words(sentence)]
            if len(tokens) < 5:  # short phrases may repeat
                continue
            normal = " ".join(tokens)
            match: Text | None
            if normal in seen:
                match, kind = seen[normal], "repeats"
            else:
                token_set = set(tokens)
                match = next((where for other, other_set, where in earlier
                              if _near_duplicate(tokens, other, token_set, other_set)), None)
                kind = "nearly repeats"
                seen[normal] = text
                earlier.append((tokens, token_set, text))
            if match is not None:
                findings.append(Finding(
                    WARNING, "repeated-sentence",
                    f"\"{clip(sentence)}\" {kind} a sentence in '{match.segment}' (line {match.line})",
                    subject.path, text.line, text.field, "say it once"))
    return findings


@rule("empty-section")
def empty_sections(subject: Subject, context: CheckContext) -> list[Finding]:
    data = subject.loaded.data
    if subject.localized.translation is not None or not isinstance(data, dict):
        return []

    def empty(value: object) -> bool:
        if isinstance(value, dict):
            return all(empty(v) for v in value.values())
        return value in ("", None) or value == []

    return [
        Finding(WARNING, "empty-section", f"section '{key}' is empty", subject.path,
                subject.loaded.line_of((key,)), key, "fill it from the source, or remove the key")
        for key in TRANSLATABLE if key in data and empty(data[key])
    ]


def has_junk(subject: Subject, context: CheckContext) -> bool:
    """Whether any junk rule found something (PEMAT's "no distracting content")."""
    return any(context.once(found, subject) for found in (placeholders, mojibake, repeated_sentences, empty_sections))


def placeholder_kind(text: str) -> str | None:
    """What placeholder ``text`` holds ("placeholder text (lorem ipsum)", …), or None (for ``import``)."""
    return next((what for pattern, what in _PLACEHOLDERS if pattern.search(text)), None)


def near_duplicate(a: list[str], b: list[str]) -> bool:
    """Whether two sentences' lower-cased words are at least ``NEAR_DUPLICATE`` alike (for ``import``)."""
    return _near_duplicate(a, b, set(a), set(b))
