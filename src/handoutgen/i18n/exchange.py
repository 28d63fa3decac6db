"""Exchange translations with translators' tools: PO (gettext) and XLIFF 1.2.

Export writes one file per handout and language. Each segment has its id (PO msgctxt /
XLIFF trans-unit id, and a "segment: <id> of <handout> in <language>" note that survives
conversions), the source text, any existing translation with its review state, and a note
with the section. A stale translation is exported for review (PO fuzzy with the previous
source; XLIFF state needs-review-translation). PO is written line by line so every state
stays valid for GNU msgfmt and polib.

Import reads the handout and language from the file itself (PO header, XLIFF original,
segment notes; the file name last) and merges it into ``handouts/<id>/<lang>.yaml``. It
refuses a segment whose source text is not the current one (the file was exported before
the source changed: that segment stays stale, and the report says so), an unknown id,
source-language text, pseudo-translations and placeholders. It never drops an existing
translation, skips entries the translator left unconfirmed, records review states with who
and when, and writes the YAML atomically.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import yaml
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, unescape

from handoutgen import __version__, clock
from handoutgen.errors import Location, SourceError, UsageError
from handoutgen.load import MAX_YAML_BYTES, read_text
from handoutgen.model import REVIEW_STATES, Handout, ReviewState, Translation
from handoutgen.i18n.translations import (
    TranslationStatus, describe, fingerprint, not_a_translation, realigned, segment_places, segments, status,
    with_segment,
)
from handoutgen.markup import link_problem
from handoutgen.prepared import HandoutFile
from handoutgen.workspace import Workspace

XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"
UNCONFIRMED_STATES = {"new", "needs-translation", "needs-review-translation", "needs-adaptation", "needs-l10n"}
# Review states beyond "translated": XLIFF 1.2 target states, and PO flags (gettext tools keep them).
XLIFF_REVIEW_STATES: dict[ReviewState, str] = {"reviewed": "signed-off", "approved": "final"}
PO_REVIEW_FLAGS: tuple[ReviewState, ...] = ("reviewed", "approved")


@dataclass
class ExportUnit:
    id: str
    source: str
    target: str
    note: str
    line: int
    stale_from: str = ""  # previous source text when the existing target is stale
    state: ReviewState = "draft"  # review state of the existing target


def _units(workspace: Workspace, source_file: HandoutFile, source: Handout,
           translation: Translation | None, only_changed: bool) -> list[ExportUnit]:
    loaded = workspace.loaded(source_file.path)
    units = []
    places = segment_places(source)
    for seg_id, text in segments(source).items():
        done = translation.segments.get(seg_id) if translation else None
        stale = done is not None and done.fingerprint != fingerprint(text)
        if only_changed and done is not None and not stale:
            continue
        units.append(ExportUnit(
            seg_id, text, done.text if done else "", describe(seg_id), loaded.line_of(places[seg_id]),
            done.source if done and stale else "", done.state if done else "draft",
        ))
    return units


def po_string(text: str) -> str:
    """``text`` as one quoted PO string (GNU gettext escapes; never wrapped, so always valid)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return f'"{escaped}"'


def _po_entry(unit: ExportUnit, prefix: str = "") -> list[str]:
    return [f"{prefix}msgctxt {po_string(unit.id)}", f"{prefix}msgid {po_string(unit.source)}",
            f"{prefix}msgstr {po_string(unit.target)}"]


def _po(units: list[ExportUnit], obsolete: list[ExportUnit], handout_id: str, language: str,
        reference: str) -> bytes:
    """A PO file written line by line: Babel's writer wraps a long previous msgid (``#|``)
    into unquoted comment lines that GNU msgfmt and polib refuse."""
    plurals = get_plural(language.replace("-", "_"))
    header = {
        "Project-Id-Version": f"handoutgen {handout_id}",
        "PO-Revision-Date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M+0000"),
        "Last-Translator": "",
        "Language-Team": "",
        "Language": language.replace("-", "_"),
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": f"nplurals={plurals.num_plurals}; plural={plurals.plural_expr};",
        "X-Generator": f"handoutgen {__version__}",
        "X-Handoutgen-Original": reference,
    }
    lines = [f"# Translation of {reference} into {language}.",
             "# Each msgctxt is the segment id; keep it when converting this file.",
             'msgid ""', 'msgstr ""']
    lines += [po_string(f"{key}: {value}\n") for key, value in header.items()]
    for unit in units:
        lines += ["", f"#. {unit.note}", f"#. {segment_note(unit.id, handout_id, language)}",
                  f"#: {reference}:{unit.line}"]
        if unit.stale_from:
            lines += ["#, fuzzy", f"#| msgctxt {po_string(unit.id)}", f"#| msgid {po_string(unit.stale_from)}"]
        elif unit.target and unit.state in PO_REVIEW_FLAGS:
            lines.append(f"#, {unit.state}")
        lines += _po_entry(unit)
    for unit in obsolete:
        lines += ["", *_po_entry(unit, "#~ ")]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _xliff(units: list[ExportUnit], handout_id: str, source_language: str, language: str, reference: str) -> bytes:
    ET.register_namespace("", XLIFF_NS)
    root = ET.Element(f"{{{XLIFF_NS}}}xliff", version="1.2")
    file_el = ET.SubElement(root, f"{{{XLIFF_NS}}}file", {
        "original": reference, "source-language": source_language, "target-language": language,
        "datatype": "plaintext", "product-name": "handoutgen", "product-version": __version__,
    })
    body = ET.SubElement(file_el, f"{{{XLIFF_NS}}}body")
    for unit in units:
        tu = ET.SubElement(body, f"{{{XLIFF_NS}}}trans-unit", id=unit.id, resname=unit.id)
        ET.SubElement(tu, f"{{{XLIFF_NS}}}source").text = unit.source
        if unit.target and not unit.stale_from:
            tu.set("approved", "yes")  # otherwise translate-toolkit, Okapi and Weblate count it as fuzzy
        state = ("needs-review-translation" if unit.stale_from else
                 XLIFF_REVIEW_STATES.get(unit.state, "translated") if unit.target else "new")
        ET.SubElement(tu, f"{{{XLIFF_NS}}}target", state=state).text = unit.target
        # from="developer": the notes translate-toolkit's xliff2po keeps as PO comments.
        ET.SubElement(tu, f"{{{XLIFF_NS}}}note", {"from": "developer"}).text = f"{unit.note} ({reference}:{unit.line})"
        ET.SubElement(tu, f"{{{XLIFF_NS}}}note", {"from": "developer"}).text = segment_note(unit.id, handout_id, language)
        if unit.stale_from:
            ET.SubElement(tu, f"{{{XLIFF_NS}}}note", {"from": "handoutgen", "annotates": "source"}).text = (
                f"The source changed. Previous source: {unit.stale_from}"
            )
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def export(workspace: Workspace, handout_id: str, language: str, file_format: str, only_changed: bool) -> bytes | None:
    """The exchange file for one handout and language; None when --only-changed finds nothing."""
    source_file, source = workspace.find_source(handout_id)
    if language == source.language:
        raise UsageError(f"'{language}' is the source language of '{handout_id}'")
    target_file = workspace.source_file(handout_id, language)
    translation = workspace.load_translation(target_file)[0] if target_file.path.is_file() else None
    if translation is not None:
        translation = realigned(translation, segments(source))  # moved text keeps its translation
    units = _units(workspace, source_file, source, translation, only_changed)
    if only_changed and not units:
        return None
    reference = source_file.path.relative_to(workspace.root).as_posix()
    if file_format == "po":
        current = segments(source)
        obsolete = [ExportUnit(seg_id, done.source, done.text, "", 0)
                    for seg_id, done in (translation.segments.items() if translation else ()) if seg_id not in current]
        return _po(units, obsolete, handout_id, language, reference)
    return _xliff(units, handout_id, source.language, language, reference)


@dataclass
class Incoming:
    """One translated unit read from an exchange file."""

    id: str
    source: str
    target: str
    confirmed: bool
    line: int | None = None
    state: ReviewState = "translated"  # or "reviewed" / "approved"
    by: str = ""  # who, as the file says (PO Last-Translator, XLIFF phase contact-name)
    on: dt.date | None = None  # when (PO-Revision-Date, XLIFF phase date)


@dataclass
class ImportReport:
    path: Path
    handout_id: str
    language: str
    written: Path | None = None
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)  # left empty or unconfirmed by the translator
    refused: list[SourceError] = field(default_factory=list)


_NAME = re.compile(r"^(?P<id>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<lang>[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)\.(?:po|xlf|xliff)$")
_ORIGINAL = re.compile(r"^handouts/(?P<id>[a-z0-9]+(?:-[a-z0-9]+)*)/[^/]+\.yaml$")
# The segment id also rides in a translator comment, which survives tools that drop
# msgctxt or renumber units (translate-toolkit's po2xliff / xliff2po).
_SEGMENT_NOTE = re.compile(r"^segment: (?P<id>\S+) of (?P<handout>\S+) in (?P<lang>\S+)$", re.MULTILINE)
XLIFF_NAMESPACES = (XLIFF_NS, "urn:oasis:names:tc:xliff:document:1.1")


def segment_note(seg_id: str, handout_id: str, language: str) -> str:
    """A comment that carries a unit's identity through tools that drop msgctxt or unit ids."""
    return f"segment: {seg_id} of {handout_id} in {language}"


def _identity(path: Path, original: str | None, language: str | None, notes: str) -> tuple[str, str]:
    """Handout id and language: from the file's own header, else its units' notes, else its name."""
    match = _ORIGINAL.match(original or "")
    noted = _SEGMENT_NOTE.search(notes)
    named = _NAME.match(path.name)
    handout_id = match["id"] if match else noted["handout"] if noted else named["id"] if named else None
    language = language or (noted["lang"] if noted else named["lang"] if named else "")
    language = language.replace("_", "-")
    if handout_id is None:
        raise SourceError("the file does not say which handout it translates: no X-Handoutgen-Original header "
                          "(PO) or file/@original (XLIFF), and its name is not <handout-id>.<language>", Location(path))
    return handout_id, language


def _segment_id(context: str | None, notes: str) -> str:
    found = _SEGMENT_NOTE.search(notes)
    return context or (found["id"] if found else "")


def _read_po(path: Path) -> tuple[str, str, list[Incoming]]:
    try:
        with path.open("rb") as handle:
            catalog = read_po(handle, abort_invalid=True)
        with path.open("rb") as handle:  # Babel keeps no X- headers: read the header entry raw
            header = dict(line.split(": ", 1) for line in _raw_header(handle.read().decode("utf-8")) if ": " in line)
    except Exception as error:  # babel raises its own PoFileError and others
        raise SourceError(f"not a readable PO file: {error}", Location(path)) from None
    language = header.get("Language") or (str(catalog.locale) if catalog.locale else None)
    messages = [m for m in catalog if m.id and isinstance(m.id, str)]
    notes = ["\n".join(m.auto_comments + m.user_comments) for m in messages]
    handout_id, language = _identity(path, header.get("X-Handoutgen-Original"), language, "\n".join(notes))
    by = re.sub(r"\s*<[^>]*>\s*$", "", header.get("Last-Translator", "")).strip()
    if by.upper().startswith("FULL NAME"):
        by = ""  # gettext's template value
    on = _date(header.get("PO-Revision-Date", ""))
    # Only singular messages are kept, and their id and string are text (a plural one's are tuples).
    units = [Incoming(_segment_id(m.context, note), cast(str, m.id), cast(str, m.string or ""), not m.fuzzy, m.lineno,
                      next((f for f in PO_REVIEW_FLAGS[::-1] if f in m.flags), "translated"), by, on)
             for m, note in zip(messages, notes)]
    return handout_id, language, units


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _raw_header(text: str) -> list[str]:
    """The lines of a PO file's header entry (msgid "" msgstr "..."), unescaped."""
    match = re.search(r'^msgid ""\s*\nmsgstr ((?:"(?:[^"\\]|\\.)*"\s*\n?)+)', text, re.MULTILINE)
    if not match:
        return []
    parts = re.findall(r'"(?:[^"\\]|\\.)*"', match[1])
    return "".join(unescape(part) for part in parts).splitlines()


def _read_xliff(path: Path) -> tuple[str, str, list[Incoming]]:
    text = read_text(path, MAX_YAML_BYTES * 8)
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise SourceError("XLIFF with a DOCTYPE or entities is refused", Location(path))
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        raise SourceError(f"XML syntax: {error}", Location(path, error.position[0])) from None
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    ns = {"x": namespace}
    file_el = root.find("x:file", ns)
    if namespace not in XLIFF_NAMESPACES or root.tag != f"{{{namespace}}}xliff" or file_el is None:
        raise SourceError("not an XLIFF 1.2 (or 1.1) file", Location(path))
    original = file_el.get("original", "")
    phases = {p.get("phase-name"): p for p in file_el.iterfind("x:header/x:phase-group/x:phase", ns)}
    review_states = {xliff: ours for ours, xliff in XLIFF_REVIEW_STATES.items()}
    units, all_notes = [], []
    for tu in file_el.iterfind(".//x:trans-unit", ns):
        source_el, target_el = tu.find("x:source", ns), tu.find("x:target", ns)
        source = "".join(source_el.itertext()) if source_el is not None else ""
        if tu.get("restype") == "x-gettext-domain-header":  # a PO header carried through po2xliff
            header = dict(line.split(": ", 1) for line in source.splitlines() if ": " in line)
            original = original if _ORIGINAL.match(original) else header.get("X-Handoutgen-Original", original)
            continue
        target = "".join(target_el.itertext()) if target_el is not None else ""
        state = target_el.get("state", "translated") if target_el is not None else "new"
        confirmed = state not in UNCONFIRMED_STATES and tu.get("approved") != "no"
        notes = "\n".join("".join(n.itertext()) for n in tu.iterfind("x:note", ns))
        all_notes.append(notes)
        phase_name = target_el.get("phase-name") if target_el is not None else None
        phase = phases.get(phase_name) if phase_name else next(iter(phases.values()), None)
        units.append(Incoming(_segment_id(None, notes) or tu.get("resname") or tu.get("id") or "",
                              source, target, confirmed, None, review_states.get(state, "translated"),
                              phase.get("contact-name", "") if phase is not None else "",
                              _date(phase.get("date", "")) if phase is not None else None))
    handout_id, language = _identity(path, original, file_el.get("target-language"), "\n".join(all_notes))
    return handout_id, language, units


def dump_translation(translation: Translation, order: list[str]) -> bytes:
    """The translation as YAML, segments in source order (obsolete ones last, never dropped)."""
    data = translation.model_dump(mode="json", exclude={"segments"} | ({"links"} if translation.links is None else set()))
    ordered = [i for i in order if i in translation.segments]
    ordered += [i for i in translation.segments if i not in ordered]
    data["segments"] = {i: translation.segments[i].model_dump(mode="json", exclude_defaults=True) for i in ordered}
    header = ("# Managed by `handoutgen i18n import`: each segment keeps the source text it translates\n"
              "# and its fingerprint, so `handoutgen i18n status` can tell when the source changed.\n")
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)
    return (header + body).encode("utf-8")


def import_file(workspace: Workspace, path: Path, reviewer: str = "") -> tuple[ImportReport, bytes | None]:
    """Merge ``path`` into its translation; return the report and the new YAML (None if unchanged).

    A unit marked reviewed or approved (XLIFF signed-off / final, PO flag) records who and
    when: ``reviewer`` (i18n import --reviewer), else the name the file gives; the file's date,
    else today. Such a mark without any name is refused: a review needs a reviewer.
    """
    if not path.is_file():
        raise UsageError(f"{path} not found")
    suffix = path.suffix.lower()
    if suffix == ".po":
        handout_id, language, units = _read_po(path)
    elif suffix in (".xlf", ".xliff"):
        handout_id, language, units = _read_xliff(path)
    else:
        raise UsageError(f"{path.name}: import reads .po, .xlf or .xliff files")
    source_file, source = workspace.find_source(handout_id)
    if not language or language == source.language:
        raise SourceError(f"target language '{language}' is missing or is the source language", Location(path))
    report = ImportReport(path, handout_id, language)
    target_file = workspace.source_file(handout_id, language)
    if target_file.path.is_file():
        translation = workspace.load_translation(target_file)[0]
    else:
        translation = Translation(id=handout_id, language=language, source_language=source.language)

    current = segments(source)
    translation = realigned(translation, current)  # moved text keeps its translation under its new id
    english_texts = {" ".join(t.split()).casefold() for t in current.values()}
    for unit in units:
        where = Location(path, unit.line, unit.id or None)
        target = unit.target.strip()
        if unit.id not in current:
            report.refused.append(SourceError("unknown segment id (not in the current source)", where))
        elif fingerprint(unit.source) != fingerprint(current[unit.id]):
            report.refused.append(SourceError(
                "exported from an older source: the source text changed since; the segment stays "
                "stale — export again and translate the new text", where))
        elif not target or not unit.confirmed:
            report.skipped.append(unit.id)
        elif reason := not_a_translation(current[unit.id], target, language):
            report.refused.append(SourceError(reason, where))
        elif problem := link_problem(target):  # the page could not print it (markup.py)
            report.refused.append(SourceError(problem, where))
        elif " ".join(target.split()).casefold() in english_texts and len(target.split()) > 1:
            # A single word may be spelled alike (Sepsis, Hematuria); a phrase is untranslated text.
            report.refused.append(SourceError("the translation is source-language text", where))
        elif unit.state in PO_REVIEW_FLAGS and not (reviewer or unit.by):
            report.refused.append(SourceError(
                f"marked {unit.state}, but the file names no reviewer: set Last-Translator (PO) or a "
                "phase contact-name (XLIFF), or import with --reviewer NAME", where))
        else:
            existing = translation.segments.get(unit.id)
            if (existing is not None and existing.text == target
                    and existing.fingerprint == fingerprint(current[unit.id])
                    and (unit.state not in PO_REVIEW_FLAGS
                         or REVIEW_STATES.index(unit.state) <= REVIEW_STATES.index(existing.state))):
                report.unchanged += 1  # the same text: only a review mark moves it on, nothing demotes it
                continue
            if unit.state in PO_REVIEW_FLAGS:
                translation = with_segment(translation, unit.id, current[unit.id], target, unit.state,
                                           reviewer or unit.by, unit.on or clock.today())
            else:
                translation = with_segment(translation, unit.id, current[unit.id], target)
            report.updated.append(unit.id)
    if not report.updated:
        return report, None
    report.written = target_file.path
    return report, dump_translation(translation, list(current))


def status_table(workspace: Workspace, languages: list[str] | None = None) -> list[TranslationStatus]:
    """Status of every handout in every target language (config `languages`, else all present)."""
    wanted = languages or workspace.translation_languages()
    rows = []
    for handout_id in sorted({f.id for f in workspace.handout_files()}):
        source_file, source = workspace.find_source(handout_id)
        for language in wanted:
            if language == source.language:
                continue
            target = workspace.source_file(handout_id, language)
            translation = workspace.load_translation(target)[0] if target.path.is_file() else None
            rows.append(status(source, translation, language))
    return rows
