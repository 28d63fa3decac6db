"""Map stage: headings, lead-ins ("The main reasons include:") and key phrases place blocks in sections.

Text before any heading, or under a first heading that names no section, is the overview. A
heading the table does not know, later on, leaves the text under it unplaced: it goes to
``review_notes`` word for word, never into a section it might not belong to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from handoutgen.importer.read import HEADING, ITEM, PARAGRAPH, Block

OVERVIEW = "overview"
WORDS_TO_KNOW = "words_to_know"

# English, then Spanish. First match wins, so the narrower phrase comes first ("after the
# procedure" before "the procedure").
_SECTION_PHRASES: tuple[tuple[str, str], ...] = (
    ("when_to_call.warning_signs", r"when to (?:call|get help)|call (?:your|the|us)\b|contact (?:your|the|us)\b|"
                                   r"warning signs?|cuándo llamar|llame (?:a su|al)\b|señales de (?:alarma|alerta)"),
    ("aftercare.instructions", r"after ?care|caring for yourself|(?:care|recovery) at home|home care|self-care|"
                               r"recover(?:y|ing)|going home|cuidados?(?: en casa| posteriores)?|recuperación"),
    ("what_to_expect.after", r"after (?:the|your) (?:procedure|test|surgery|operation|exam)|afterwards?|after|"
                             r"después"),
    ("what_to_expect.before", r"before (?:the|your) (?:procedure|test|surgery|operation|exam)|before|antes"),
    ("preparation", r"prepar\w*|get(?:ting)? ready"),
    ("risks", r"risks?|complications?|side effects?|riesgos?|complicaciones|efectos secundarios"),
    ("benefits", r"benefits?|advantages?|beneficios?|ventajas"),
    ("reasons", r"why|indications?|reasons?|used for|uses|por qué|indicaciones|razones"),
    ("what_to_expect.during", r"what to expect|during|what happens|the procedure|procedure steps|steps|"
                              r"how (?:it is|is it) done|qué esperar|durante|qué pasa|el procedimiento|pasos"),
    ("questions", r"(?<!asked )questions|(?<!frecuentes )preguntas(?! frecuentes)"),  # an FAQ holds answers too
    (WORDS_TO_KNOW, r"words to know|glossary|terms to know|key terms|definitions|glosario|palabras (?:clave|que debe "
                    r"conocer)|términos"),
    (OVERVIEW, r"what (?:is|are)|overview|introduction|about|qué es|introducción|resumen"),
)
_SECTION_PATTERNS = [(key, re.compile(rf"\b(?:{phrases})\b", re.IGNORECASE)) for key, phrases in _SECTION_PHRASES]

# A paragraph that opens with one of these goes to that section, unless a heading placed it already.
_OPENING_CUES = (
    (re.compile(r"^(?:call|contact|phone) (?:your|the) (?:doctor|clinic|care team|nurse|(?:health ?care )?provider)"
                r"\b[^.]*\bif\b", re.IGNORECASE), "when_to_call.warning_signs"),
    (re.compile(r"^llame a su (?:médico|doctor|clínica|equipo)\b[^.]*\bsi\b", re.IGNORECASE),
     "when_to_call.warning_signs"),
    (re.compile(r"^(?:after (?:the|your)|después del?(?: la)?) (?:procedure|test|surgery|operation|exam|"
                r"procedimiento|prueba|cirugía|operación|examen)\b", re.IGNORECASE), "what_to_expect.after"),
    (re.compile(r"^(?:before (?:the|your)|antes del?(?: la)?) (?:procedure|test|surgery|operation|exam|"
                r"procedimiento|prueba|cirugía|operación|examen)\b", re.IGNORECASE), "what_to_expect.before"),
)
# "Term: meaning" or "Term – meaning" in a words-to-know section; a term is a few words.
_TERM = re.compile(r"^\**(?P<term>[^:–—]{1,60}?)\**\s*(?::|\s[–—-]\s)\s*(?P<meaning>\S.*)$")
TERM_MAX_WORDS = 6
LABEL_MAX_WORDS = 4
HEADING_LEVEL_OF_LABEL = 2  # as a short line on its own in plain text


def section_for(text: str) -> str | None:
    return next((key for key, pattern in _SECTION_PATTERNS if pattern.search(text)), None)


@dataclass
class Placed:
    sections: dict[str, list[str]] = field(default_factory=dict)
    terms: list[dict[str, str]] = field(default_factory=list)
    title: str = ""
    notes: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)

    def add(self, section: str, text: str) -> None:
        self.sections.setdefault(section, []).append(text)


def place(blocks: list[Block], title: str = "") -> Placed:
    placed = Placed(title=title)
    used: list[str] = []  # "'Risks' → risks" for the reviewer
    current: str | None = OVERVIEW
    current_level, heading_text = 0, ""
    lead_in: str | None = None  # the section of the list after a lead-in line ending in ":"
    seen_heading = False
    for index, block in enumerate(blocks):
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if block.kind == HEADING:
            lead_in = None
            section = section_for(block.text)
            if index == 0 and not placed.title and not block.numbered and (
                    section is None or (section == OVERVIEW and len(block.text.split()) > 3)):
                placed.title = block.text  # "What is a nephrostomy?" titles a page; "Overview" does not
                continue
            if section is not None:
                current, current_level = section, block.level
                used.append(f"'{block.text}' → {section}")
            elif not seen_heading:
                current, current_level = OVERVIEW, block.level
                placed.notes.append(f"Heading '{block.text}' names no section the importer knows; the text under "
                                    "it is in overview. Move what belongs elsewhere.")
            elif current is not None and block.level > current_level:
                placed.notes.append(f"Sub-heading '{block.text}' was kept under {current}.")
            else:
                current, current_level = None, block.level
                placed.unplaced.append(f"Heading '{block.text}' names no section the importer knows; the text "
                                       "under it is not placed.")
            seen_heading, heading_text = True, block.text
            continue
        if block.kind == PARAGRAPH and block.text.endswith(":") and (section := section_for(block.text)):
            if following is not None and following.kind == ITEM:
                lead_in = section
                placed.notes.append(f'Lead-in "{block.text}": the list after it is in {section}.')
                continue
            if len(block.text.split()) <= LABEL_MAX_WORDS:  # "Risks:" on its own line is a heading
                current, current_level, lead_in = section, HEADING_LEVEL_OF_LABEL, None
                seen_heading, heading_text = True, block.text
                used.append(f"'{block.text}' → {section}")
                continue
        if block.kind == PARAGRAPH:
            lead_in = None
        target = lead_in if block.kind == ITEM and lead_in else current
        if target in (OVERVIEW, None) and block.kind == PARAGRAPH:
            target = next((section for cue, section in _OPENING_CUES if cue.match(block.text)), target)
        if target is None:
            placed.unplaced.append(f"Not placed (under heading '{heading_text}'): {block.text}")
        elif target == WORDS_TO_KNOW:
            _add_term(placed, block.text, heading_text)
        else:
            placed.add(target, block.text)
    if used:
        placed.notes.append(f"Sections from headings: {'; '.join(used)}.")
    return placed


def _add_term(placed: Placed, text: str, heading: str) -> None:
    match = _TERM.match(text)
    if match and len(match["term"].split()) <= TERM_MAX_WORDS:
        placed.terms.append({"term": match["term"].strip(), "meaning": match["meaning"].strip()})
    else:
        placed.unplaced.append(f"Not placed (under heading '{heading}', not 'term: meaning'): {text}")
