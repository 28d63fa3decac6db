"""Plain-language rules: reading level, long sentences, long words, words too long for a line."""

from __future__ import annotations

import re

from handoutgen.checks.files import printed_texts
from handoutgen.checks.readability import Readability, base_language, measure, sentences, words
from handoutgen.checks.registry import INFO, WARNING, CheckContext, Finding, Subject, clip, rule
from handoutgen.i18n.translations import TRANSLATABLE


def readability(subject: Subject, context: CheckContext) -> Readability:
    """The reading measures of the whole handout's prose (several rules need them)."""
    return measure([t.text for t in subject.prose()], subject.language)


@rule("reading-level")
def reading_level(subject: Subject, context: CheckContext) -> list[Finding]:
    findings = []
    whole = context.once(readability, subject)
    if not whole.measured:
        findings.append(Finding(INFO, "reading-level", f"reading level not measured for '{subject.language}'",
                                subject.path))
        return findings
    findings += _grade_findings(subject, whole, context, None, None)
    for key in TRANSLATABLE:
        texts = [t for t in subject.section(key) if t in subject.prose()]
        part = measure([t.text for t in texts], subject.language)
        if texts and part.sentences >= 5:  # shorter sections give meaningless grades
            findings += _grade_findings(subject, part, context, key, texts[0].line)
    return findings


def _grade_findings(subject: Subject, result: Readability, context: CheckContext,
                    section: str | None, line: int | None) -> list[Finding]:
    settings = context.settings
    what = f"section '{section}'" if section else "the handout"
    if result.grade is not None and result.grade > settings.max_grade:
        return [Finding(WARNING, "reading-level",
                        f"{what} reads at grade {result.grade:.1f}; the maximum is {settings.max_grade:g} "
                        f"(target {settings.target_grade:g})", subject.path, line, section,
                        "use shorter sentences and everyday words")]
    if result.ease_es is not None and result.ease_es < settings.min_spanish_ease:
        return [Finding(WARNING, "reading-level",
                        f"{what} has Fernández-Huerta ease {result.ease_es:.0f}; the minimum is "
                        f"{settings.min_spanish_ease:g} (Szigriszt-Pazos {result.perspicuity_es:.0f}, "
                        f"INFLESZ: {result.inflesz})", subject.path, line, section,
                        "use shorter sentences and everyday words")]
    return []


@rule("long-sentence")
def long_sentences(subject: Subject, context: CheckContext) -> list[Finding]:
    limit = context.settings.max_sentence_words
    findings = []
    for text in subject.prose():
        for sentence in sentences(text.text):
            count = len(words(sentence))
            if count > limit:
                findings.append(Finding(
                    WARNING, "long-sentence",
                    f"sentence of {count} words (maximum {limit}): \"{clip(sentence)}\"",
                    subject.path, text.line, text.field, "split it into shorter sentences"))
    return findings


@rule("long-words")
def long_words(subject: Subject, context: CheckContext) -> list[Finding]:
    if base_language(subject.language) != "en":
        return []
    result = context.once(readability, subject)
    limit = context.settings.max_long_word_share
    if result.words and result.long_word_share > limit:
        return [Finding(WARNING, "long-words",
                        f"{result.long_word_share:.0%} of words have three or more syllables "
                        f"(maximum {limit:.0%})", subject.path, suggestion="prefer short, everyday words")]
    return []


# A word longer than this has no place to break a line in a list item or a narrow box. The
# stylesheets break it anywhere (overflow-wrap) so nothing is lost, but at an arbitrary letter.
MAX_UNBROKEN_CHARS = 40
# Runs without a line-break opportunity: not a space, hyphen, dash, slash, soft hyphen or
# zero-width space, and not a script that breaks between letters (CJK, kana, Hangul, Thai...).
_UNBROKEN = re.compile(
    r"[^\s/\-\u00ad\u200b\u2010-\u2014\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"
    r"\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]{%d,}" % (MAX_UNBROKEN_CHARS + 1)
)
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


@rule("unbroken-word")
def unbroken_words(subject: Subject, context: CheckContext) -> list[Finding]:
    """Words too long for a line, in every printed field of the file (links are left to wrap)."""
    findings = []
    for where, text in printed_texts(subject.loaded):
        if (where.field or "").endswith("url"):
            continue
        for match in _UNBROKEN.finditer(_LINK.sub(" ", text)):
            findings.append(Finding(
                WARNING, "unbroken-word",
                f"a word of {len(match.group())} characters with no place to break the line: "
                f"'{clip(match.group(), 30)}'", subject.path, where.line, where.field,
                "add spaces or hyphens; the page breaks it at an arbitrary letter"))
    return findings
