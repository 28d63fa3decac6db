"""Content checks: what in a clinic's own text will confuse a patient, before printing.

Each rule returns findings (error, warning or info) tied to the file, line and field
they come from. The rules: reading level, long sentences, long words, jargon without
a plain explanation, junk (placeholder text, repeated sentences, mojibake, empty
sections), a PEMAT-P style actionability/understandability score, and review dates.
Nothing here imports WeasyPrint.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from handoutgen.errors import HandoutgenError, Location, SourceError, terminal_safe
from handoutgen.load import Loaded, load_yaml
from handoutgen.model import CheckSettings, Handout, JargonList, JargonTerm
from handoutgen.resources import defaults
from handoutgen.checks.readability import Readability, base_language, measure, sentences, words
from handoutgen.i18n.translations import TRANSLATABLE, not_a_translation, segments
from handoutgen.validate import validate
from handoutgen.workspace import CONFIG_FILE, HandoutFile, Localized, Workspace

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass
class Finding:
    severity: str
    rule: str
    message: str
    path: Path
    line: int | None = None
    field: str | None = None
    suggestion: str = ""

    @classmethod
    def from_error(cls, error: HandoutgenError) -> Finding:
        where = error.location
        field = f"row {where.row}: field '{where.field}'" if where.row is not None and where.field else where.field
        return cls(ERROR, "schema", error.message, where.path or Path("."), where.line, field)

    def render(self, root: Path | None = None) -> str:
        where = Location(self.path, self.line).place(root)
        subject = f"field '{self.field}': " if self.field else ""
        hint = f" (suggestion: {self.suggestion})" if self.suggestion else ""
        return terminal_safe(f"{where}: {self.severity}: {subject}{self.message}{hint}")

    def as_json(self, root: Path) -> dict:
        data = asdict(self)
        data["path"] = Location(self.path).place(root)
        return data


@dataclass
class Text:
    """One printed string of a handout, with where it is written."""

    segment: str  # segment id, e.g. "reasons.2"
    text: str
    line: int | None
    field: str


@dataclass
class Subject:
    """A handout as the checks see it: its texts with their places."""

    file: HandoutFile
    handout: Handout
    localized: Localized
    texts: list[Text]

    @property
    def language(self) -> str:
        return self.handout.language

    def section(self, key: str) -> list[Text]:
        return [t for t in self.texts if t.segment.split(".")[0] == key]

    def prose(self) -> list[Text]:
        """Texts that are sentences (not the title, not the terms of words-to-know)."""
        return [t for t in self.texts if t.segment != "title" and not t.segment.endswith(".term")]


def _subject(workspace: Workspace, file: HandoutFile) -> Subject:
    localized = workspace.load_handout(file, draft=True)
    loaded = workspace.loaded(file.path)
    texts = []
    for seg_id, text in segments(localized.handout).items():
        line = None
        if localized.translation is not None:
            key = (localized.stored_as or {}).get(seg_id)  # a moved segment sits under its old id
            where = f"segments.{key or seg_id}.text"
            if key is not None:
                line = loaded.line_of(("segments", key, "text"))
        else:
            where = seg_id
            line = loaded.line_of(tuple(int(p) - 1 if p.isdigit() else p for p in seg_id.split(".")))
        texts.append(Text(seg_id, text, line, where))
    return Subject(file, localized.handout, localized, texts)


# --- reading level and plain language ---------------------------------------------

def reading_level(subject: Subject, settings: CheckSettings) -> list[Finding]:
    findings = []
    whole = measure([t.text for t in subject.prose()], subject.language)
    if not whole.measured:
        findings.append(Finding(INFO, "reading-level", f"reading level not measured for '{subject.language}'",
                                subject.file.path))
        return findings
    findings += _grade_findings(subject, whole, settings, None, None)
    for key in TRANSLATABLE:
        texts = [t for t in subject.section(key) if t in subject.prose()]
        part = measure([t.text for t in texts], subject.language)
        if texts and part.sentences >= 5:  # shorter sections give meaningless grades
            findings += _grade_findings(subject, part, settings, key, texts[0].line)
    return findings


def _grade_findings(subject: Subject, result: Readability, settings: CheckSettings,
                    section: str | None, line: int | None) -> list[Finding]:
    what = f"section '{section}'" if section else "the handout"
    if result.grade is not None and result.grade > settings.max_grade:
        return [Finding(WARNING, "reading-level",
                        f"{what} reads at grade {result.grade:.1f}; the maximum is {settings.max_grade:g} "
                        f"(target {settings.target_grade:g})", subject.file.path, line, section,
                        "use shorter sentences and everyday words")]
    if result.ease_es is not None and result.ease_es < settings.min_spanish_ease:
        return [Finding(WARNING, "reading-level",
                        f"{what} has Fernández-Huerta ease {result.ease_es:.0f}; the minimum is "
                        f"{settings.min_spanish_ease:g} (Szigriszt-Pazos {result.perspicuity_es:.0f}, "
                        f"INFLESZ: {result.inflesz})", subject.file.path, line, section,
                        "use shorter sentences and everyday words")]
    return []


def long_sentences(subject: Subject, settings: CheckSettings) -> list[Finding]:
    findings = []
    for text in subject.prose():
        for sentence in sentences(text.text):
            count = len(words(sentence))
            if count > settings.max_sentence_words:
                findings.append(Finding(
                    WARNING, "long-sentence",
                    f"sentence of {count} words (maximum {settings.max_sentence_words}): "
                    f"\"{_clip(sentence)}\"", subject.file.path, text.line, text.field,
                    "split it into shorter sentences"))
    return findings


def long_words(subject: Subject, settings: CheckSettings) -> list[Finding]:
    if base_language(subject.language) != "en":
        return []
    result = measure([t.text for t in subject.prose()], subject.language)
    if result.words and result.long_word_share > settings.max_long_word_share:
        return [Finding(WARNING, "long-words",
                        f"{result.long_word_share:.0%} of words have three or more syllables "
                        f"(maximum {settings.max_long_word_share:.0%})", subject.file.path,
                        suggestion="prefer short, everyday words")]
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


def unbroken_words(workspace: Workspace, file: HandoutFile) -> list[Finding]:
    """Words too long for a line, in every printed field of the file (links are left to wrap)."""
    findings = []
    for where, text in workspace.printed_texts(file.path):
        if (where.field or "").endswith("url"):
            continue
        for match in _UNBROKEN.finditer(_LINK.sub(" ", text)):
            findings.append(Finding(
                WARNING, "unbroken-word",
                f"a word of {len(match.group())} characters with no place to break the line: "
                f"'{_clip(match.group(), 30)}'", where.path, where.line, where.field,
                "add spaces or hyphens; the page breaks it at an arbitrary letter"))
    return findings


def _term_pattern(term: JargonTerm) -> re.Pattern:
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


def jargon_used(subject: Subject, jargon: JargonList | None) -> list[tuple[Text, JargonTerm, str]]:
    """(first text, term, form) for each jargon term the handout never explains.

    A term is explained by words-to-know, or anywhere in the handout by plain words
    around it: in parentheses after them, with the plain wording in the same item, or
    in a sentence that defines it ("A stent is a thin tube...").
    """
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


def jargon(subject: Subject, jargon_list: JargonList | None) -> list[Finding]:
    return [
        Finding(WARNING, "jargon", f"'{form}' is medical jargon with no plain explanation nearby",
                subject.file.path, text.line, text.field,
                f"write \"{term.plain} ({form})\", or add '{term.term}' to words_to_know")
        for text, term, form in jargon_used(subject, jargon_list)
    ]


# --- junk and damage ------------------------------------------------------------------

_PLACEHOLDERS = [
    (re.compile(r"lorem ipsum|dolor sit amet", re.IGNORECASE), "placeholder text (lorem ipsum)"),
    (re.compile(r"\b(TODO|TBD|XXX|FIXME)\b"), "placeholder marker"),
    (re.compile(r"\[(?:insert|add|fill)[^\]]*\]", re.IGNORECASE), "placeholder to fill in"),
]
# UTF-8 read as Windows-1252/Latin-1: "â€”" for "—", "Ã©" for "é", "Â " for a no-break space.
_MOJIBAKE = re.compile(r"â€.|Ã[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]|Â[\u00a0-\u00bf ]|\ufffd")


def _repair(text: str) -> str | None:
    for encoding in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(encoding).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if fixed != text:
            return fixed
    return None


def junk(subject: Subject, loaded: Loaded) -> list[Finding]:
    findings = []
    for text in subject.texts:
        for pattern, what in _PLACEHOLDERS:
            if match := pattern.search(text.text):
                findings.append(Finding(ERROR, "placeholder", f"{what}: '{match.group(0)}'",
                                        subject.file.path, text.line, text.field, "replace it with real content"))
        if match := _MOJIBAKE.search(text.text):
            repaired = _repair(text.text)
            hint = f"the text was probably meant to read: \"{_clip(repaired, 80)}\"" if repaired else "retype the damaged characters"
            findings.append(Finding(ERROR, "mojibake", f"damaged characters (mojibake): '{match.group(0)}'",
                                    subject.file.path, text.line, text.field, hint))
    findings += _repeats(subject)
    findings += _empty_sections(subject, loaded)
    return findings


NEAR_DUPLICATE = 0.9


def _near_duplicate(a: list[str], b: list[str], a_set: set[str], b_set: set[str]) -> bool:
    # Cheap bounds first: a 0.9 match needs similar lengths and mostly shared words.
    if min(len(a), len(b)) < NEAR_DUPLICATE * max(len(a), len(b)):
        return False
    if 2 * len(a_set & b_set) < NEAR_DUPLICATE * (len(a_set) + len(b_set)):
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= NEAR_DUPLICATE


def _repeats(subject: Subject) -> list[Finding]:
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
                    f"\"{_clip(sentence)}\" {kind} a sentence in '{match.segment}' (line {match.line})",
                    subject.file.path, text.line, text.field, "say it once"))
    return findings


def _empty_sections(subject: Subject, loaded: Loaded) -> list[Finding]:
    if subject.localized.translation is not None or not isinstance(loaded.data, dict):
        return []

    def empty(value) -> bool:  # noqa: ANN001
        if isinstance(value, dict):
            return all(empty(v) for v in value.values())
        return value in ("", None) or value == []

    return [
        Finding(WARNING, "empty-section", f"section '{key}' is empty", subject.file.path,
                loaded.line_of((key,)), key, "fill it from the source, or remove the key")
        for key in TRANSLATABLE if key in loaded.data and empty(loaded.data[key])
    ]


# --- PEMAT-P style actionability and understandability -------------------------------

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


def pemat(subject: Subject, settings: CheckSettings, jargon_list: JargonList | None, junk_found: bool) -> PematScore:
    h = subject.handout
    english = base_language(subject.language) == "en"
    summary = measure([h.summary], subject.language)
    sections = [key for key in TRANSLATABLE if key not in ("title", "summary") and subject.section(key)]
    biggest = max((measure([t.text for t in subject.section(k)], subject.language).words for k in sections), default=0)
    prose = [t.text for t in subject.prose()]
    whole = measure(prose, subject.language)
    you = sum(1 for t in prose for w in words(t) if w.lower() in ("you", "your", "yours", "yourself"))
    used_jargon = jargon_used(subject, jargon_list)
    has_jargon_list = jargon_list is not None and base_language(jargon_list.language) == base_language(subject.language)
    grade_ok = None
    if whole.grade is not None:
        grade_ok = whole.grade <= settings.max_grade
    elif whole.ease_es is not None:
        grade_ok = whole.ease_es >= settings.min_spanish_ease
    call = h.when_to_call
    return PematScore([
        PematItem("PEMAT 1/12: makes its purpose evident with a short summary",
                  summary.words <= SHORT_SUMMARY_WORDS, f"summary: {summary.words} words"),
        PematItem("PEMAT 2: no distracting content (placeholders, repeats, damaged text)", not junk_found),
        PematItem("PEMAT 3: common, everyday language (reading level)", grade_ok),
        PematItem("PEMAT 4: medical terms are defined", not used_jargon if has_jargon_list else None,
                  ", ".join(sorted({form for _, _, form in used_jargon}))),
        PematItem("PEMAT 9: information in short sections with headings",
                  len(sections) >= 3 and biggest <= 300, f"{len(sections)} sections, largest {biggest} words"),
        PematItem("PEMAT 13: visual cues, not ALL-CAPS text", not any(_ALL_CAPS.search(t) for t in prose)),
        PematItem("PEMAT 20: at least one action the patient can take",
                  bool(h.preparation or h.aftercare.instructions or call.warning_signs or h.questions)),
        PematItem("PEMAT 20: says when to call, with the phone number", bool(call.warning_signs),
                  "" if call.warning_signs else "no warning signs listed (only the generic line prints)"),
        PematItem("PEMAT 20: says when to get emergency care", bool(call.emergency),
                  "" if call.emergency else "no emergency signs listed (only the generic line prints)"),
        PematItem("PEMAT 21: addresses the patient directly ('you')",
                  you / whole.words >= 0.02 if english and whole.words else None),
        PematItem("PEMAT 22: breaks actions into numbered steps",
                  bool(h.preparation or not h.what_to_expect.is_empty())),
    ])


def actionability(subject: Subject, score: PematScore, settings: CheckSettings) -> list[Finding]:
    if score.percent >= settings.pemat_target:
        return []
    failed = "; ".join(i.name for i in score.failed)
    return [Finding(WARNING, "pemat",
                    f"actionability/understandability score {score.percent:.0f}% is below the target "
                    f"{settings.pemat_target:g}% (failed: {failed})", subject.file.path,
                    suggestion="see `handoutgen report` for each item")]


# --- translations: what `build` would refuse ------------------------------------------

def translation_state(subject: Subject, loaded: Loaded) -> list[Finding]:
    """Stale, untranslated and pseudo-translated segments, as errors: `build` refuses them
    (stale ones unless --allow-stale, untranslated ones unless --draft), so a clean check
    means the build works."""
    localized = subject.localized
    if localized.translation is None or localized.status is None:
        return []
    path = subject.file.path
    findings = []
    for change in localized.status.stale:
        findings.append(Finding(
            ERROR, "translation", f"stale: the English changed since this was translated (now: \"{_clip(change.source_now)}\")",
            path, loaded.line_of(("segments", change.id)), f"segments.{change.id}",
            "handoutgen i18n export --only-changed, translate, import"))
    for change in localized.status.missing:
        findings.append(Finding(
            ERROR, "translation", f"untranslated: \"{_clip(change.source_now)}\"", path, None,
            f"segments.{change.id}", "handoutgen i18n export --only-changed, translate, import"))
    for seg_id, segment in localized.translation.segments.items():
        reason = not_a_translation(segment.source, segment.text, localized.translation.language)
        if reason:
            findings.append(Finding(ERROR, "translation", reason, path,
                                    loaded.line_of(("segments", seg_id, "text")), f"segments.{seg_id}.text"))
    return findings


# --- review governance ----------------------------------------------------------------

def _months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day)


def review(subject: Subject, settings: CheckSettings, today: dt.date, loaded: Loaded) -> list[Finding]:
    h = subject.handout
    findings = []
    if subject.localized.translation is not None:
        state = subject.localized.status
        if state is not None and not state.reviewed_by:
            waiting = state.total - state.review.get("reviewed", 0) - state.review.get("approved", 0)
            findings.append(Finding(WARNING, "review", f"draft translation: {waiting} of {state.total} segment(s) "
                                    "not yet reviewed by a qualified medical translator", subject.file.path,
                                    loaded.line_of(("status",)), "status",
                                    "have them reviewed, then import the file marked reviewed (XLIFF signed-off)"))
        return findings
    line = loaded.line_of(("last_reviewed",))
    if h.last_reviewed > today:
        findings.append(Finding(ERROR, "review", f"last_reviewed {h.last_reviewed} is in the future",
                                subject.file.path, line, "last_reviewed"))
    elif _months_between(h.last_reviewed, today) >= settings.review_interval_months:
        findings.append(Finding(WARNING, "review",
                                f"last reviewed {h.last_reviewed}, over {settings.review_interval_months} months ago",
                                subject.file.path, line, "last_reviewed", "have a clinician review it again"))
    if not h.reviewed:
        findings.append(Finding(WARNING, "review", "no clinician has reviewed this handout (reviewed_by is empty)",
                                subject.file.path, loaded.line_of(("reviewed_by",)), "reviewed_by",
                                "have a clinician review it, then set reviewed_by and last_reviewed"))
    return findings


# --- running the checks -------------------------------------------------------------------

def load_jargon(workspace: Workspace) -> JargonList | None:
    """The jargon list; None only when the config names none and the default file is absent."""
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


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class Report:
    subject: Subject
    findings: list[Finding]
    score: PematScore


def check_handout(workspace: Workspace, file: HandoutFile, jargon_list: JargonList | None,
                  today: dt.date) -> Report:
    settings = workspace.config.checks
    subject = _subject(workspace, file)
    loaded = workspace.loaded(file.path)
    junk_findings = junk(subject, loaded)
    score = pemat(subject, settings, jargon_list, bool(junk_findings))
    rules: list[Callable[[], list[Finding]]] = [
        lambda: reading_level(subject, settings),
        lambda: long_sentences(subject, settings),
        lambda: long_words(subject, settings),
        lambda: unbroken_words(workspace, file),
        lambda: jargon(subject, jargon_list),
        lambda: junk_findings,
        lambda: actionability(subject, score, settings),
        lambda: review(subject, settings, today, loaded),
        lambda: translation_state(subject, loaded),
    ]
    findings = [finding for rule in rules for finding in rule()]
    findings.sort(key=lambda f: (f.line or 0, f.rule))
    return Report(subject, findings, score)


def check_workspace(workspace: Workspace, today: dt.date, skip: set[Path]) -> tuple[list[Report], list[HandoutgenError]]:
    """Content reports for every handout that loads (``skip``: files already in error)."""
    errors: list[HandoutgenError] = []
    try:
        jargon_list = load_jargon(workspace)
    except HandoutgenError as error:
        errors.append(error)
        jargon_list = None
    reports = []
    for file in workspace.handout_files():
        if file.path in skip:
            continue
        try:
            reports.append(check_handout(workspace, file, jargon_list, today))
        except HandoutgenError as error:
            errors.append(error)
    return reports, errors
