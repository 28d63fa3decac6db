"""A computable subset of AHRQ's PEMAT-P: actionability and understandability items."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from handoutgen.checks.jargon import unexplained_jargon
from handoutgen.checks.junk import has_junk
from handoutgen.checks.plain_language import readability
from handoutgen.checks.readability import base_language, measure, words
from handoutgen.checks.registry import WARNING, CheckContext, Finding, Subject, rule
from handoutgen.i18n.translations import TRANSLATABLE
from handoutgen.model import has_content


@dataclass
class PematItem:
    name: str  # the PEMAT-P item it stands for
    passed: bool | None  # None: not applicable
    detail: str = ""


@dataclass
class PematScore:
    items: list[PematItem] = field(default_factory=list)

    @property
    def applicable(self) -> list[PematItem]:
        return [i for i in self.items if i.passed is not None]

    @property
    def percent(self) -> float:
        applicable = self.applicable
        return 100 * sum(1 for i in applicable if i.passed) / len(applicable) if applicable else 100.0

    @property
    def failed(self) -> list[PematItem]:
        return [i for i in self.applicable if not i.passed]


SHORT_SUMMARY_WORDS = 60
_ALL_CAPS = re.compile(r"\b[A-Z]{2,}(?:\s+[A-Z]{2,}){2,}\b")


def pemat_score(subject: Subject, context: CheckContext) -> PematScore:
    """Each item passed, failed or not applicable (``handoutgen report`` lists them)."""
    h, settings, jargon = subject.handout, context.settings, context.jargon
    english = base_language(subject.language) == "en"
    summary = measure([h.summary], subject.language)
    sections = [key for key in TRANSLATABLE if key not in ("title", "summary") and subject.section(key)]
    biggest = max((measure([t.text for t in subject.section(k)], subject.language).words for k in sections), default=0)
    prose = [t.text for t in subject.prose()]
    whole = context.once(readability, subject)
    you = sum(1 for t in prose for w in words(t) if w.lower() in ("you", "your", "yours", "yourself"))
    used_jargon = context.once(unexplained_jargon, subject)
    has_jargon_list = jargon is not None and base_language(jargon.language) == base_language(subject.language)
    grade_ok = None
    if whole.grade is not None:
        grade_ok = whole.grade <= settings.max_grade
    elif whole.ease_es is not None:
        grade_ok = whole.ease_es >= settings.min_spanish_ease
    call = h.when_to_call
    to_call = has_content(call.same_day) or has_content(call.call_soon)
    figures = h.figures()
    return PematScore([
        PematItem("PEMAT 1/12: makes its purpose evident with a short summary",
                  summary.words <= SHORT_SUMMARY_WORDS, f"summary: {summary.words} words"),
        PematItem("PEMAT 2: no distracting content (placeholders, repeats, damaged text)",
                  not context.once(has_junk, subject)),
        PematItem("PEMAT 3: common, everyday language (reading level)", grade_ok),
        PematItem("PEMAT 4: medical terms are defined", not used_jargon if has_jargon_list else None,
                  ", ".join(sorted({form for _, _, form in used_jargon}))),
        PematItem("PEMAT 9: information in short sections with headings",
                  len(sections) >= 3 and biggest <= 300, f"{len(sections)} sections, largest {biggest} words"),
        PematItem("PEMAT 13: visual cues, not ALL-CAPS text", not any(_ALL_CAPS.search(t) for t in prose)),
        PematItem("PEMAT 15: uses visual aids (a figure)", bool(figures),
                  f"{len(figures)} figure(s)" if figures else "no figure (add one with alt text)"),
        PematItem("PEMAT 20: at least one action the patient can take",
                  any(has_content(part) for part in (h.preparation, h.aftercare.instructions, call.same_day,
                                                     call.call_soon, h.questions))),
        PematItem("PEMAT 20: says when to call, with the phone number", to_call,
                  "" if to_call else "no signs to call about listed (only the generic line prints)"),
        PematItem("PEMAT 20: says when to get emergency care", has_content(call.emergency),
                  "" if has_content(call.emergency) else "no emergency signs listed (only the generic line prints)"),
        PematItem("PEMAT 21: addresses the patient directly ('you')",
                  you / whole.words >= 0.02 if english and whole.words else None),
        PematItem("PEMAT 22: breaks actions into numbered steps",
                  has_content(h.preparation) or not h.what_to_expect.is_empty()),
        PematItem("PEMAT 23: provides a tangible tool (a checklist)", h.has_checklist(),
                  "" if h.has_checklist() else "no checklist (mark preparation or aftercare instructions checklist: true)"),
    ])


@rule("pemat")
def pemat(subject: Subject, context: CheckContext) -> list[Finding]:
    score = context.once(pemat_score, subject)
    target = context.settings.pemat_target
    if score.percent >= target:
        return []
    failed = "; ".join(i.name for i in score.failed)
    return [Finding(WARNING, "pemat",
                    f"actionability/understandability score {score.percent:.0f}% is below the target "
                    f"{target:g}% (failed: {failed})", subject.path,
                    suggestion="see `handoutgen report` for each item")]
