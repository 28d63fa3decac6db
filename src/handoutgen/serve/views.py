"""What each page of ``handoutgen serve`` shows, gathered through the library API.

Every function here reads the workspace as it is on disk now and returns plain data for a
template; none of them writes anything. Problems with the input come back as
``HandoutgenError`` for the page to show as ``path:line: message``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from handoutgen import api
from handoutgen.errors import ERROR, WARNING, ErrorList, HandoutgenError, Problem
from handoutgen.i18n.translations import align, describe, segments, status
from handoutgen.markup import plain_text
from handoutgen.model import PaperSize
from handoutgen.packets.manifest import ManifestRow
from handoutgen.prepared import HandoutFile
from handoutgen.render.html import text_direction
from handoutgen.render.settings import STANDARD, Edition
from handoutgen.workspace import Workspace

# Rasterised pages: about 920 px wide on letter paper, sharp enough to read at 200% zoom.
PAGE_SCALE = 1.5


def error_lines(error: HandoutgenError, root: Path | None) -> list[str]:
    """``path:line: field 'x': message`` for each error (an ErrorList gives one line per error)."""
    return [e.render(root) for e in (error.errors if isinstance(error, ErrorList) else [error])]


def find_file(workspace: Workspace, handout_id: str, language: str) -> HandoutFile | None:
    """The workspace's file for ``handout_id`` in ``language``; None for anything else (never a path
    built from the request)."""
    return next((f for f in workspace.handout_files() if f.id == handout_id and f.language == language), None)


@dataclass
class IndexRow:
    id: str
    language: str
    direction: str
    path: str  # relative to the workspace; "" for a translation not started
    title: str = ""
    version: str = ""
    last_reviewed: str = ""
    reviewed_by: str = ""
    review: str = ""  # "reviewed", "not reviewed", or a translation's review word
    translation: str = ""  # "", or current / stale / incomplete / missing
    errors: int = 0
    warnings: int = 0
    loads: bool = True

    @property
    def is_translation(self) -> bool:
        return bool(self.translation)

    def words(self) -> str:
        """Everything the text filter matches on."""
        return " ".join([self.id, self.language, self.title, self.review, self.translation, self.reviewed_by,
                         "errors" if self.errors else "", "warnings" if self.warnings else ""]).casefold()


FILTERS = {
    "all": "All",
    "errors": "With errors",
    "warnings": "With warnings",
    "translation": "Translations needing work",
    "unreviewed": "Not reviewed",
}


def _shown(row: IndexRow, text: str, show: str) -> bool:
    if text and not all(word in row.words() for word in text.casefold().split()):
        return False
    return {
        "errors": row.errors > 0 or not row.loads,
        "warnings": row.warnings > 0,
        "translation": row.translation in ("stale", "incomplete", "missing"),
        "unreviewed": row.review != "reviewed",
    }.get(show, True)


def _counts(findings: list[Problem], root: Path) -> dict[Path, dict[str, int]]:
    counts: dict[Path, dict[str, int]] = {}
    for finding in findings:
        per_file = counts.setdefault((root / finding.path).resolve(), {})  # an absolute path stays as it is
        per_file[finding.severity] = per_file.get(finding.severity, 0) + 1
    return counts


def index_rows(workspace: Workspace, text: str = "", show: str = "all") -> tuple[list[IndexRow], int, list[str]]:
    """Handouts × languages with their status, the ones matching the filter; how many there are in
    all; and the problems of files that do not load."""
    rows_data, problems = api.handout_rows(workspace)
    findings = api.check(workspace).findings
    counts = _counts(findings, workspace.root)
    # Settings, brand and jargon-list errors concern every handout: shown above the table.
    shared = [f.render(workspace.root) for f in findings if f.severity == ERROR
              and not (workspace.root / f.path).resolve().is_relative_to(workspace.handouts_dir)]
    rows = []
    for data in rows_data:
        count = counts.get((workspace.root / data["path"]).resolve(), {})
        rows.append(IndexRow(
            id=data["id"], language=data["language"], direction=text_direction(data["language"]),
            path=data["path"], title=data.get("title", ""), version=data.get("version", ""),
            last_reviewed=data.get("last_reviewed", ""), reviewed_by=data.get("reviewed_by", ""),
            review=data.get("translation_status") or data["status"], translation=data.get("translation", ""),
            errors=count.get(ERROR, 0), warnings=count.get(WARNING, 0), loads="title" in data,
        ))
    rows += _missing_translations(workspace, {(r.id, r.language) for r in rows})
    rows.sort(key=lambda r: (r.id, r.is_translation, r.language))
    lines = shared + [line for e in problems for line in error_lines(e, workspace.root)]
    return [r for r in rows if _shown(r, text, show)], len(rows), list(dict.fromkeys(lines))


def _missing_translations(workspace: Workspace, present: set[tuple[str, str]]) -> list[IndexRow]:
    """A row for each language in the config's ``languages`` a handout has no file for yet."""
    missing: list[IndexRow] = []
    try:
        languages = workspace.translation_languages()
    except HandoutgenError:  # handoutgen.yaml does not load: the index shows its error
        return missing
    for handout_id in sorted({f.id for f in workspace.handout_files()}):
        try:
            _, source = workspace.find_source(handout_id)
        except HandoutgenError:  # its own row already says it does not load
            continue
        for language in languages:
            if (handout_id, language) not in present and language != source.language:
                missing.append(IndexRow(id=handout_id, language=language, direction=text_direction(language),
                                        path="", title=plain_text(source.title), review="draft", translation="missing"))
    return missing


@dataclass
class Preview:
    """A handout's pages as printed (PNG images), or why it cannot be printed."""

    pages: list[bytes] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def render_preview(workspace: Workspace, file: HandoutFile, brand: str | None, paper: PaperSize | None) -> Preview:
    """The file rendered by the real pipeline (as ``build --draft`` would: an unfinished translation
    shows its gaps marked), each page rasterised."""
    import pypdfium2

    try:
        pdf = api.render_file(workspace, file.id, file.language, brand=brand, paper=paper, draft=True)
    except HandoutgenError as error:
        return Preview(errors=error_lines(error, workspace.root))
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            buffer = io.BytesIO()
            page.render(scale=PAGE_SCALE).to_pil().save(buffer, format="PNG", compress_level=1)  # fast: served locally
            pages.append(buffer.getvalue())
        return Preview(pages=pages)
    finally:
        document.close()


def editions(workspace: Workspace, file: HandoutFile) -> dict[str, tuple[str, Edition]]:
    """The editions ``build`` can print of ``file``, by the name the download link uses: standard
    and large print; bilingual with English too for a handout in another language that has one."""
    found = {"standard": ("Standard", STANDARD), "large-print": ("Large print", Edition(large_print=True))}
    if file.language != "en" and find_file(workspace, file.id, "en") is not None:
        for large_print in (False, True):
            edition = Edition(large_print, "en")
            found[edition.suffix.lstrip(".")] = (edition.describe().capitalize().replace("(en)", "with English"),
                                                 edition)
    return found


@dataclass
class HandoutInfo:
    """What the handout page shows beside the pages: title, review state, check findings."""

    title: str = ""
    version: str = ""
    last_reviewed: str = ""
    reviewed_by: str = ""
    translation: str = ""  # a translation's state; "" for a source handout
    translation_problems: str = ""
    findings: list[Problem] = field(default_factory=list)


def handout_info(workspace: Workspace, file: HandoutFile) -> HandoutInfo:
    info = HandoutInfo(findings=[f for f in api.check(workspace, [file.id]).findings
                                 if (workspace.root / f.path).resolve() == file.path.resolve()])
    try:
        localized = workspace.load_handout(file, draft=True)
    except HandoutgenError:  # the preview shows the error
        return info
    handout = localized.handout
    info.title, info.version = plain_text(handout.title), handout.version
    info.last_reviewed, info.reviewed_by = handout.last_reviewed.isoformat(), handout.reviewed_by
    if localized.status is not None:
        info.translation, info.translation_problems = localized.status.state, localized.status.problems(limit=5)
    return info


@dataclass
class SegmentRow:
    id: str
    where: str  # "What to expect › during › item 4"
    source: str
    state: str  # current, stale, missing
    text: str = ""  # the translation (for a stale one: of the previous source)
    previous_source: str = ""  # stale: what the translation was made from
    review: str = ""  # draft, translated, reviewed, approved


@dataclass
class TranslationView:
    source_language: str
    source_direction: str
    direction: str
    state: str
    rows: list[SegmentRow]
    obsolete: list[str]


def translation_view(workspace: Workspace, handout_id: str, language: str) -> TranslationView:
    """Each segment of the source beside its translation; a language without a file yet shows every
    segment missing. Raises HandoutgenError when the files do not load."""
    target = workspace.source_file(handout_id, language)
    if target.path.is_file():
        translation, source = workspace.load_translation(target)
        stored = translation.segments
    else:
        source = workspace.find_source(handout_id)[1]
        translation, stored = None, {}
    texts = segments(source)
    found = align(texts, stored)
    rows = []
    for seg_id, text in texts.items():
        if seg_id in found.current:
            segment = found.current[seg_id]
            rows.append(SegmentRow(seg_id, describe(seg_id), text, "current", segment.text, review=segment.state))
        elif seg_id in found.stale:
            segment = found.stale[seg_id]
            rows.append(SegmentRow(seg_id, describe(seg_id), text, "stale", segment.text, segment.source,
                                   review=segment.state))
        else:
            rows.append(SegmentRow(seg_id, describe(seg_id), text, "missing"))
    return TranslationView(source.language, text_direction(source.language), text_direction(language),
                           status(source, translation, language).state, rows, list(found.leftover))


ROSTER_SUFFIXES = (".csv", ".yaml", ".yml", ".json")
# Files with those suffixes that are never rosters: settings, and the manifests packets writes.
NOT_ROSTERS = {"handoutgen.yaml", "jargon.yaml", "manifest.csv", "manifest.json"}


def roster_files(workspace: Workspace) -> list[str]:
    """Roster-like files in the workspace folder and its direct subfolders (not handouts/, templates/,
    styles/ or hidden ones), relative to the workspace: the only ones the dry run may open."""
    skipped = {"handouts", "templates", "styles"}
    found = []
    for path in sorted([*workspace.root.glob("*"), *workspace.root.glob("*/*")]):
        parts = path.relative_to(workspace.root).parts
        if (path.suffix.lower() in ROSTER_SUFFIXES and path.name not in NOT_ROSTERS and path.is_file()
                and not any(part.startswith(".") for part in parts) and parts[0] not in skipped):
            found.append("/".join(parts))
    return found


@dataclass
class RosterCheck:
    """A roster dry run: every row's outcome, or why the roster cannot be read at all."""

    rows: list[ManifestRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def made(self) -> int:
        return sum(1 for row in self.rows if row.status == "ok")


def check_roster(workspace: Workspace, name: str, content: bytes | None, options: dict[str, str]) -> RosterCheck:
    """Dry-run the roster ``name`` (a workspace file, or the upload held in ``content``)."""
    from handoutgen.packets.roster import parse_column_map, parse_date_formats

    try:
        column_map = parse_column_map([line.strip() for line in options.get("map", "").splitlines() if line.strip()])
        date_formats = parse_date_formats([line.strip() for line in options.get("date_format", "").splitlines()
                                           if line.strip()])
        rows, ignored = api.check_roster(
            workspace, workspace.root / name if content is None else Path(name), content=content,
            encoding=options.get("encoding", "").strip() or "utf-8", column_map=column_map,
            date_formats=date_formats, fallback_language=options.get("fallback_language", "").strip() or None)
    except HandoutgenError as error:
        return RosterCheck(errors=error_lines(error, workspace.root if content is None else None))
    return RosterCheck(rows, ignored)
