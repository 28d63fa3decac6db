"""The jargon rule: medical terms from the jargon list that the handout never explains."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from handoutgen.checks.readability import base_language, sentences
from handoutgen.checks.registry import WARNING, CheckContext, Finding, Subject, Text, rule
from handoutgen.errors import Location, SourceError
from handoutgen.load import load_yaml
from handoutgen.model import JargonList, JargonTerm
from handoutgen.resources import defaults
from handoutgen.validate import validate

if TYPE_CHECKING:
    from handoutgen.workspace import Workspace


def load_jargon(workspace: Workspace) -> JargonList | None:
    """The jargon list; None only when the config names none and the default file is absent."""
    from handoutgen.workspace import CONFIG_FILE

    checks = workspace.config.checks
    path = (workspace.root / checks.jargon_file).resolve()
    if path.is_file() and path.is_relative_to(workspace.root):
        return validate(load_yaml(path), JargonList)
    if "jargon_file" not in checks.model_fields_set:
        packaged = defaults().jargon  # the list that ships with handoutgen
        return validate(load_yaml(packaged), JargonList) if packaged.is_file() else None
    # Named in the config: a typo must not silently switch the jargon check off.
    config = workspace.loaded(workspace.root / CONFIG_FILE)
    problem = "is outside the workspace" if not path.is_relative_to(workspace.root) else "not found"
    raise SourceError(f"jargon_file '{checks.jargon_file}' {problem}",
                      Location(config.path, config.line_of(("checks", "jargon_file")), "checks.jargon_file"))


def _term_pattern(term: JargonTerm) -> re.Pattern[str]:
    forms = sorted({term.term, *term.variants}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])", re.IGNORECASE)


def _explains(text: str, form: str, term: JargonTerm) -> bool:
    """Whether ``text`` explains ``form`` in plain words where it uses it."""
    lower, word = text.lower(), re.escape(form.lower())
    if re.search(r"\([^)]*(?<![\w-])" + word + r"(?![\w-])[^)]*\)", lower):  # "blood in the urine (hematuria)"
        return True
    if term.plain.lower() in lower:
        return True
    # A definition: "A stent is a thin tube ...", "Retrograde pyelography is a test ..."
    return any(re.search(r"(?<![\w-])" + word + r"(?![\w-])\s+(?:is|are)\s+(?:a|an|the)\b", s.lower())
               for s in sentences(text))


def unexplained_jargon(subject: Subject, context: CheckContext) -> list[tuple[Text, JargonTerm, str]]:
    """(first text, term, form) for each jargon term the handout never explains.

    A term is explained by words-to-know, or anywhere in the handout by plain words
    around it: in parentheses after them, with the plain wording in the same item, or
    in a sentence that defines it ("A stent is a thin tube...").
    """
    jargon = context.jargon
    if jargon is None or base_language(subject.language) != base_language(jargon.language):
        return []
    known = " | ".join(w.term.lower() for w in subject.handout.words_to_know)
    texts = [t for t in subject.texts if not t.segment.startswith("words_to_know")]
    unexplained = []
    claimed: list[tuple[int, int, int]] = []  # (text index, start, end) of longer terms already judged
    # Longest terms first, so "renal pelvis" is judged before "renal".
    for term in sorted(jargon.terms, key=lambda t: len(t.term), reverse=True):
        pattern = _term_pattern(term)
        if pattern.search(known):
            continue
        uses = [
            (i, m) for i, t in enumerate(texts) for m in pattern.finditer(t.text)
            if not any(i == j and a <= m.start() and m.end() <= b for j, a, b in claimed)
        ]
        claimed += [(i, m.start(), m.end()) for i, m in uses]
        if uses and not any(_explains(texts[i].text, m.group(1), term) for i, m in uses):
            first, match = uses[0]
            unexplained.append((texts[first], term, match.group(1)))
    return unexplained


@rule("jargon")
def jargon(subject: Subject, context: CheckContext) -> list[Finding]:
    return [
        Finding(WARNING, "jargon", f"'{form}' is medical jargon with no plain explanation nearby",
                subject.path, text.line, text.field,
                f"write \"{term.plain} ({form})\", or add '{term.term}' to words_to_know")
        for text, term, form in context.once(unexplained_jargon, subject)
    ]
