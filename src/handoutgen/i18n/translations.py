"""Content translations: segments of a source handout, their fingerprints, and status.

A segment is one translatable string of a handout (the title, a paragraph, a list
item, a term...). Its id is its place in the handout (``reasons.2``,
``what_to_expect.during.4``), so editing a sentence keeps its id and makes exactly that
segment stale. Moving or inserting items shifts ids: a translation follows its text by
fingerprint (see ``align``), so only changed text is stale, and the fingerprint never lets
a translation of other text through.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from markupsafe import escape
from pydantic import BaseModel

from handoutgen.markup import render_inline
from handoutgen.model import REVIEW_STATES, Handout, ReviewState, SegmentTranslation, Translation

# Top-level fields whose strings are translated, in reading order, with their section name.
TRANSLATABLE = {
    "title": "Title",
    "summary": "Summary",
    "overview": "What is it?",
    "reasons": "Why is it done?",
    "preparation": "How to prepare",
    "what_to_expect": "What to expect",
    "benefits": "Benefits",
    "risks": "Risks",
    "aftercare": "After your procedure",
    "when_to_call": "When to call",
    "questions": "Questions to ask your care team",
    "words_to_know": "Words to know",
}


def fingerprint(text: str) -> str:
    normal = unicodedata.normalize("NFC", " ".join(text.split()))
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:16]


# Strings that are not text for a reader: a figure's file name (a translation swaps the picture
# by file name instead, see model.Figure).
NOT_TRANSLATED = {"src"}
# Keys that group rather than name: a section's "items" and an item's "text" leave no trace in
# a segment id. So a list that gains a lead-in ({intro, items}) or an item that gains sub-items
# ({text, items}) keeps every id it had: translations and their review states stay as they are.
TRANSPARENT = {"items", "text"}

# Where a string sits in a handout: field names and 1-based list positions (its segment id),
# and where it sits in the file: keys and 0-based list indexes (its place, for lines and edits).
SegmentPath = tuple[str | int, ...]
Place = tuple[str | int, ...]


def _walk(value: Any, path: SegmentPath, place: Place) -> list[tuple[SegmentPath, Place, str]]:  # noqa: ANN401 - dumped model
    if isinstance(value, str):
        return [(path, place, value)] if value.strip() else []
    found: list[tuple[SegmentPath, Place, str]] = []
    if isinstance(value, list):
        for index, item in enumerate(value):
            found += _walk(item, (*path, index + 1), (*place, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in NOT_TRANSLATED:
                found += _walk(item, path if key in TRANSPARENT else (*path, key), (*place, key))
    return found


def segment_id(path: SegmentPath) -> str:
    return ".".join(str(part) for part in path)


def _segments(handout: Handout) -> list[tuple[str, Place, str]]:
    data = handout.model_dump(mode="python")
    return [(segment_id(path), place, text)
            for key in TRANSLATABLE for path, place, text in _walk(data[key], (key,), (key,))]


def segments(handout: Handout) -> dict[str, str]:
    """Every translatable string of ``handout`` by segment id, in reading order."""
    return {seg_id: text for seg_id, _, text in _segments(handout)}


def segment_places(handout: Handout) -> dict[str, Place]:
    """Where each segment is written in the handout's file, e.g. ``reasons.5.1`` →
    ``("reasons", "items", 4, "items", 0)``: for ``Loaded.line_of`` and for filling in translations."""
    return {seg_id: place for seg_id, place, _ in _segments(handout)}


def describe(segment: str) -> str:
    """Where a segment sits, for translators: 'What to expect › during › item 4'."""
    parts = segment.split(".")
    words = [TRANSLATABLE.get(parts[0], parts[0])]
    for part in parts[1:]:
        words.append(f"item {part}" if part.isdigit() else part.replace("_", " "))
    return " › ".join(words)


@dataclass
class SegmentChange:
    id: str
    source_now: str
    source_then: str = ""  # for stale segments: the source the translation was made from


@dataclass
class TranslationStatus:
    handout_id: str
    language: str
    state: str  # "current", "stale", "incomplete", "missing"
    stale: list[SegmentChange] = field(default_factory=list)
    missing: list[SegmentChange] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)  # translated ids no longer in the source
    translated: int = 0
    total: int = 0
    review: dict[str, int] = field(default_factory=dict)  # current segments per review state
    reviewed_by: list[str] = field(default_factory=list)  # when every segment is reviewed: who
    reviewed_on: str = ""  # and the date of the last review (ISO)

    def problems(self, limit: int = 3) -> str:
        """'stale: reasons.4; untranslated: risks.1, risks.2, risks.3 and 44 more' (short for one line)."""
        parts = []
        if self.stale:
            parts.append("stale: " + shortened([s.id for s in self.stale], limit))
        if self.missing:
            parts.append("untranslated: " + shortened([s.id for s in self.missing], limit))
        return "; ".join(parts)


def shortened(items: list[str], limit: int = 3) -> str:
    """The first ``limit`` items, then "and N more", so one message stays one readable line."""
    shown = ", ".join(items[:limit])
    return f"{shown} and {len(items) - limit} more" if len(items) > limit else shown


@dataclass
class Alignment:
    """Which stored translation serves each current segment.

    Ids are positions, so inserting a list item shifts the ids after it: a translation is
    matched by its id when the fingerprint agrees, else by fingerprint wherever it was stored
    (the text moved: still current). Only a segment whose own old text is gone is stale.
    """

    current: dict[str, SegmentTranslation]  # fingerprint matches: print as is
    stale: dict[str, SegmentTranslation]  # same id, the source text changed
    leftover: dict[str, SegmentTranslation]  # stored, serving no current segment (kept, never dropped)
    stored_as: dict[str, str] = field(default_factory=dict)  # current id -> its key in the file


def align(source_texts: dict[str, str], stored: dict[str, SegmentTranslation]) -> Alignment:
    by_fingerprint: dict[str, str] = {}
    for seg_id, segment in stored.items():
        by_fingerprint.setdefault(segment.fingerprint, seg_id)
    current: dict[str, SegmentTranslation] = {}
    stored_as: dict[str, str] = {}
    used: set[str] = set()
    for seg_id, text in source_texts.items():
        found = by_fingerprint.get(fingerprint(text))
        if seg_id in stored and stored[seg_id].fingerprint == fingerprint(text):
            found = seg_id
        if found is not None:
            current[seg_id] = stored[found]
            stored_as[seg_id] = found
            used.add(found)
    stale = {seg_id: stored[seg_id] for seg_id in source_texts
             if seg_id not in current and seg_id in stored and seg_id not in used}
    used |= set(stale)
    leftover = {seg_id: segment for seg_id, segment in stored.items() if seg_id not in used}
    stored_as.update({seg_id: seg_id for seg_id in stale})
    return Alignment(current, stale, leftover, stored_as)


def realigned(translation: Translation, source_texts: dict[str, str]) -> Translation:
    """The translation stored under today's ids (moved segments follow their text); leftovers
    keep their id, or ``<id>.previous`` when a moved segment took it."""
    found = align(source_texts, translation.segments)
    stored = {**found.current, **found.stale}
    for seg_id, segment in found.leftover.items():
        stored[seg_id if seg_id not in stored else f"{seg_id}.previous"] = segment
    return translation.model_copy(update={"segments": stored})


def status(source: Handout, translation: Translation | None, language: str) -> TranslationStatus:
    current = segments(source)
    if translation is None:
        return TranslationStatus(source.id, language, "missing", total=len(current),
                                 missing=[SegmentChange(i, t) for i, t in current.items()])
    result = TranslationStatus(source.id, language, "current", total=len(current))
    found = align(current, translation.segments)
    for seg_id, text in current.items():
        if seg_id in found.current:
            result.translated += 1
        elif seg_id in found.stale:
            result.stale.append(SegmentChange(seg_id, text, found.stale[seg_id].source))
        else:
            result.missing.append(SegmentChange(seg_id, text))
    result.obsolete = list(found.leftover)
    result.review = {state: sum(1 for seg in found.current.values() if seg.state == state) for state in REVIEW_STATES}
    if result.translated == result.total and all(seg.reviewed for seg in found.current.values()):
        result.reviewed_by = sorted({seg.reviewed_by for seg in found.current.values() if seg.reviewed_by})
        dates = [seg.reviewed_on for seg in found.current.values() if seg.reviewed_on]
        result.reviewed_on = max(dates).isoformat() if dates else ""
    if result.stale:
        result.state = "stale"
    elif result.missing:
        result.state = "incomplete"
    return result


class EnglishFallback(str):
    """Source-language text printed in a draft translation (``build --draft``).

    Autoescaped templates call ``__html__``: the text is marked with its language and a
    visible "[EN]", so nobody mistakes it for a translation.
    """

    language: str = "en"

    def __html__(self) -> str:
        return (f'<span class="english-fallback" lang="{escape(self.language)}" dir="ltr">'
                f'<span class="english-marker">[{escape(self.language.upper())}]</span> {render_inline(str(self))}</span>')


def _set(data: Any, place: Place, value: str) -> None:  # noqa: ANN401 - dumped model
    for key in place[:-1]:
        data = data[key]
    data[place[-1]] = value


def _replaced(value: Any, place: Place, new: str) -> Any:  # noqa: ANN401 - a model or a list in it
    """A copy of a validated model with one string replaced, keeping ``new``'s type."""
    if not place:
        return new
    key = place[0]
    if isinstance(value, BaseModel):
        return value.model_copy(update={str(key): _replaced(getattr(value, str(key)), place[1:], new)})
    items = list(value)
    items[int(key)] = _replaced(items[int(key)], place[1:], new)
    return items


def localize(source: Handout, translation: Translation, allow_stale: bool = False,
             draft: bool = False) -> tuple[Handout, list[str], list[str]]:
    """The handout in the translation's language, the ids printed in the source language,
    and the ids printed from an out-of-date translation.

    A stale segment prints its previous translation only with ``allow_stale`` or ``draft``;
    an untranslated one prints the source text, marked as such, only with ``draft``. Without
    the option it is left in the source language here and the caller refuses the build.
    """
    data = source.model_dump(mode="python")
    untranslated, stale = [], []
    source_texts = segments(source)
    places = segment_places(source)
    found = align(source_texts, translation.segments)
    for seg_id in source_texts:
        if seg_id in found.current:
            _set(data, places[seg_id], found.current[seg_id].text)
        elif seg_id in found.stale and (allow_stale or draft):
            _set(data, places[seg_id], found.stale[seg_id].text)
            stale.append(seg_id)
        else:
            untranslated.append(seg_id)
    data["language"] = translation.language
    handout = Handout.model_validate(data)
    if draft:
        for seg_id in untranslated:
            fallback = EnglishFallback(source_texts[seg_id])
            fallback.language = source.language
            handout = _replaced(handout, places[seg_id], fallback)
    return handout, untranslated, stale


_PODEBUG_XXX = re.compile(r"^\s*xxx.*xxx\s*$", re.IGNORECASE | re.DOTALL)
# Bidi override controls: podebug's "flipped" style starts with U+202E; no patient text needs them.
_BIDI_OVERRIDES = {"\u202a", "\u202b", "\u202d", "\u202e"}
_PLACEHOLDER_WORDS = {"todo", "tbd", "fixme", "xxx", "translate", "translation", "lorem ipsum"}


def _folded(text: str) -> str:
    """Lower case, accents off, spaces collapsed: what pseudo-translation tools leave alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _bracketed(text: str) -> bool:
    return text.strip().startswith("[") and text.strip().endswith("]")


# Languages written with Latin-1 letters only: extended Latin letters in them are look-alikes.
_LATIN1_LANGUAGES = {"en", "es", "fr", "pt", "it", "de", "nl", "ca", "tl", "ht", "da", "sv", "no"}


def _latin_lookalike(char: str) -> bool:
    return 0x100 <= ord(char) <= 0x2AF or 0x1E00 <= ord(char) <= 0x1EFF


def _rare_latin(char: str) -> bool:
    """Latin Extended-B and IPA letters: rare in any language (Vietnamese ơ ư aside, few per text)."""
    return 0x180 <= ord(char) <= 0x2AF


def not_a_translation(source: str, target: str, language: str = "") -> str | None:
    """Why ``target`` is not a translation of ``source`` (None when it may be one).

    Catches what translators' tools produce for testing, never for patients: podebug's
    ``xxx…xxx`` and accented look-alikes, the source copied unchanged, and placeholders.
    """
    if _PODEBUG_XXX.match(target) or _bracketed(target) and not _bracketed(source):
        return "a pseudo-translation (xxx…xxx or […], as podebug writes), not a translation"
    letters = [c for c in target if c.isalpha()]
    lookalike = _latin_lookalike if language.split("-")[0] in _LATIN1_LANGUAGES else _rare_latin
    if any(c in _BIDI_OVERRIDES for c in target) or (
            letters and sum(map(lookalike, letters)) / len(letters) > 0.2):
        return "a pseudo-translation (look-alike or flipped letters, as podebug writes), not a translation"
    if (any(c.isalpha() for c in source) and not any(c.isalpha() for c in target)) or _folded(target).strip(" .…-_[]()") in _PLACEHOLDER_WORDS:
        return "a placeholder, not a translation"
    if _folded(target) == _folded(source) and len(source.split()) > 1:  # one word may be alike: Uréter
        return "the source text unchanged (or with accents added), not a translation"
    return None


def with_segment(translation: Translation, seg_id: str, source_text: str, text: str, state: ReviewState = "translated",
                 reviewed_by: str = "", reviewed_on: dt.date | None = None) -> Translation:
    """A copy of ``translation`` with one segment set (translations are immutable models)."""
    updated = dict(translation.segments)
    updated[seg_id] = SegmentTranslation(source=source_text, fingerprint=fingerprint(source_text), text=text,
                                         state=state, reviewed_by=reviewed_by, reviewed_on=reviewed_on)
    return translation.model_copy(update={"segments": updated})
