"""The library under the CLI: what a hospital IT team calls from its own code.

    import handoutgen
    pdf = handoutgen.render_pdf(handout_dict, brand=brand_dict)        # bytes, no folder needed
    ws = handoutgen.open_workspace("clinic-handouts")
    results = handoutgen.build(ws, out_dir="out")
    found = handoutgen.check(ws)
    rows = handoutgen.make_packets(ws, "roster.csv", out_dir="packets")

Every problem with the input is a ``HandoutgenError`` (``error.render()`` gives
``path:line: field 'x': message``). ``render_pdf`` is safe to call from many threads at
once: each thread keeps its own renderer, and a render sees only its own warnings.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import stat
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from handoutgen import clock
from handoutgen.builder import BuildResult
from handoutgen.checks.files import file_errors
from handoutgen.checks.registry import ERROR, WARNING, Finding
from handoutgen.checks.run import Report, check_workspace
from handoutgen.errors import ErrorList, HandoutgenError, Location, SourceError, UsageError
from handoutgen.load import dotted
from handoutgen.markup import plain_text
from handoutgen.packets.manifest import ManifestRow
from handoutgen.model import Brand, Handout, PaperSize
from handoutgen.render.cjk import write_cjk_faces
from handoutgen.resources import defaults, find
from handoutgen.prepared import BrandInfo, Localized
from handoutgen.render.settings import Edition, RenderSettings
from handoutgen.workspace import Workspace

if TYPE_CHECKING:  # for annotations only; PdfRenderer is imported where a render needs it
    from handoutgen.checks.readability import Readability
    from handoutgen.i18n.translations import TranslationStatus
    from handoutgen.render.pdf import PdfRenderer


def open_workspace(path: str | Path) -> Workspace:
    """The workspace at ``path`` (a folder with ``handouts/``)."""
    return Workspace(Path(path))


def _model(value: Any, model: type[BaseModel], what: str) -> Any:
    if isinstance(value, model):
        return value
    if not isinstance(value, Mapping):
        raise UsageError(f"{what} must be a {model.__name__} or a mapping, not {type(value).__name__}")
    try:
        return model.model_validate(dict(value))
    except ValidationError as exc:
        raise ErrorList([
            SourceError(error["msg"].removeprefix("Value error, "), Location(field=f"{what}.{dotted(tuple(error['loc']))}"))
            for error in exc.errors(include_url=False)
        ]) from None


_renderers = threading.local()


def _styles_stamp(style_path: tuple[Path, ...]) -> tuple[tuple[str, int, int], ...]:
    """Name, mtime and size of every file under the style folders: changes when a stylesheet is saved."""
    found = []
    for folder in style_path:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            try:
                info = path.stat()
            except OSError:  # removed meanwhile, or a broken link: the render reports what it misses
                continue
            if stat.S_ISREG(info.st_mode):
                found.append((str(path), info.st_mtime_ns, info.st_size))
    return tuple(found)


def _renderer(style_path: tuple[Path, ...], roots: tuple[Path, ...]) -> PdfRenderer:
    """This thread's renderer for these folders (WeasyPrint's font configuration is not shared).

    A renderer keeps its stylesheets parsed; it is replaced when a file under the style folders
    changed, so a long-running caller (a web service, ``handoutgen serve``) renders what is saved."""
    from handoutgen.render.pdf import PdfRenderer

    cache: dict[tuple[tuple[Path, ...], tuple[Path, ...]], tuple[Any, PdfRenderer]] = (
        _renderers.__dict__.setdefault("by_folders", {}))
    key = (style_path, roots)
    stamp = _styles_stamp(style_path)
    if key not in cache or cache[key][0] != stamp:
        fonts_css = find(style_path, "fonts/fonts.css")
        faces = _cjk_faces(fonts_css, fonts_css.read_bytes()) if fonts_css.is_file() else None
        cache[key] = (stamp, PdfRenderer(style_path, list(roots), faces))
    return cache[key][1]


_faces_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _cjk_faces_cached(fonts_css: Path, content: bytes) -> Path | None:
    # ``content``: the font stack the faces are cut for, so an edited fonts.css gets its own
    folder = Path(tempfile.mkdtemp(prefix="handoutgen-faces-"))
    atexit.register(shutil.rmtree, folder, True)
    return write_cjk_faces(folder, fonts_css)


def _cjk_faces(fonts_css: Path, content: bytes) -> Path | None:
    """The small Chinese faces ``build`` and packets use (render/cjk.py), cut once per process and
    font stack into a private temporary folder, so the API prints what ``build`` prints."""
    with _faces_lock:
        return _cjk_faces_cached(fonts_css, content)


def render_pdf(handout: Handout | Mapping[str, Any], *, brand: Brand | Mapping[str, Any],
               language: str | None = None, paper: PaperSize = "letter",
               workspace: Workspace | None = None, large_print: bool = False) -> bytes:
    """One handout, held in memory, as tagged PDF bytes.

    ``handout`` and ``brand`` are models or plain mappings (as the YAML files hold them).
    Without ``workspace`` the packaged templates, styles and fonts are used; with one, its
    own override them, and a handout's figures are read from it. A brand from memory has no
    logo file (leave ``logo`` empty).
    ``large_print`` gives the large-print edition.
    """
    from handoutgen.render.html import render_handout_html

    model: Handout = _model(handout, Handout, "handout")
    brand_model: Brand = _model(brand, Brand, "brand")
    if language is not None and language != model.language:
        raise UsageError(f"the handout is in '{model.language}'; render a translation from a workspace "
                         f"(open_workspace(...)) to get '{language}'")
    if paper not in ("letter", "a4"):
        raise UsageError(f"paper must be 'letter' or 'a4', not '{paper}'")
    if brand_model.logo:
        raise UsageError("a brand given in memory has no folder for its logo: leave 'logo' empty, "
                         "or render from a workspace that holds the brand")
    if workspace is None and model.figures():
        raise UsageError("the handout's figures are files: pass workspace=open_workspace(...) that holds them")
    if workspace is not None:
        base, templates, styles, roots = (workspace.root, workspace.template_path, workspace.style_path,
                                          tuple(workspace.render_roots))
    else:
        found = defaults()
        base, templates, styles, roots = (found.templates.parent, (found.templates,), (found.styles,),
                                          (found.templates, found.styles))
    settings = RenderSettings(base, templates, styles, roots, BrandInfo("in-memory", base, brand_model), paper,
                              Edition(large_print))
    document = render_handout_html(Localized(model), settings)
    return _renderer(styles, roots).render(document, source=Path(f"<{model.id}.{model.language}>"))


def render_file(workspace: Workspace, handout_id: str, language: str, *, brand: str | None = None,
                paper: PaperSize | None = None, allow_stale: bool = False, draft: bool = False,
                large_print: bool = False, bilingual: str | None = None) -> bytes:
    """One handout file of ``workspace`` as PDF bytes, as ``build`` prints it; nothing is written.

    A stale or incomplete translation is refused as ``build`` refuses it, unless ``allow_stale``
    or ``draft``; ``large_print`` and ``bilingual`` choose the edition (the same options as
    ``build``'s)."""
    from handoutgen.builder import HandoutRenderer

    file = workspace.select([handout_id], [language])[0]
    settings = workspace.render_settings(brand, paper, Edition(large_print, bilingual))
    renderer = HandoutRenderer(workspace, settings, allow_stale, draft,
                               pdf=_renderer(settings.style_path, settings.render_roots))
    return renderer.render(file).pdf


def build(workspace: Workspace, ids: list[str] | None = None, languages: list[str] | None = None, *,
          out_dir: str | Path = "out", brand: str | None = None, paper: PaperSize | None = None,
          jobs: int = 1, allow_stale: bool = False, draft: bool = False,
          large_print: bool = False, bilingual: str | None = None) -> list[BuildResult]:
    """Build the chosen handouts (all by default) into ``out_dir``; one result per file.

    ``large_print`` builds the large-print edition; ``bilingual="en"`` the bilingual edition
    with English after each section (of every chosen handout not itself in English).
    """
    from handoutgen.builder import build as run_build
    from handoutgen.builder import edition_files

    edition = Edition(large_print, bilingual)
    files = edition_files(workspace, workspace.select(ids, languages), edition)
    workspace.load_brand(brand)
    return run_build(workspace, files, Path(out_dir), brand=brand, paper=paper, jobs=jobs,
                     allow_stale=allow_stale, draft=draft, edition=edition)


@dataclass
class CheckResult:
    """Everything ``check`` found: findings sorted by file and line, and each handout's report."""

    findings: list[Finding]
    reports: list[Report]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)


def check(workspace: Workspace, ids: list[str] | None = None) -> CheckResult:
    """Load every file of the workspace and run every content check.

    With ``ids``, findings about other handouts are left out (brand and settings problems
    are always reported: every handout needs them).
    """
    if ids:
        workspace.select(ids)  # an unknown id is a usage error
        folders = [workspace.handouts_dir / handout_id for handout_id in ids]
        everything = check(workspace)
        kept = [f for f in everything.findings
                if not Path(f.path).resolve().is_relative_to(workspace.handouts_dir)
                or any(Path(f.path).resolve().is_relative_to(folder) for folder in folders)]
        return CheckResult(kept, [r for r in everything.reports if r.subject.file.id in ids])
    errors = file_errors(workspace)
    broken = {e.location.path for e in errors if e.location.path is not None}
    reports, plugin_problems, more = check_workspace(workspace, clock.today(), broken)
    flat = [e for error in [*errors, *more] for e in (error.errors if isinstance(error, ErrorList) else [error])]
    # A broken source is reported once, not again for each translation that needs it.
    unique = list({e.render(): e for e in flat}.values())
    findings = [problem for e in unique for problem in e.problems()] + plugin_problems + [f for r in reports for f in r.findings]
    findings.sort(key=lambda f: (str(f.path), f.line or 0))
    return CheckResult(findings, reports)


def reading_report(workspace: Workspace, handout_id: str, languages: list[str] | None = None
                   ) -> tuple[list[tuple[Report, list[tuple[str, Readability]]]], list[Finding]]:
    """For `report`: each chosen file's check report and its reading measures per section, the
    whole handout last; plus the problems of check plugins that did not load."""
    from handoutgen.checks.readability import measure
    from handoutgen.checks.run import all_rules, check_context, check_handout
    from handoutgen.i18n.translations import TRANSLATABLE

    context = check_context(workspace, clock.today())
    files = workspace.select([handout_id], languages)
    rules, plugin_problems = all_rules(workspace)
    results = []
    for file in files:
        report = check_handout(workspace, file, context, rules)
        subject = report.subject
        prose = subject.prose()
        parts = [(key, [t.text for t in subject.section(key) if t in prose]) for key in TRANSLATABLE]
        sections = [(key, measure(texts, subject.language)) for key, texts in parts if texts]
        sections.append(("whole handout", measure([t.text for t in prose], subject.language)))
        results.append((report, sections))
    return results, plugin_problems


def review_word(status: TranslationStatus) -> str:
    """'reviewed' only when every segment is reviewed (what the page says), else 'draft'."""
    return "reviewed" if status.reviewed_by else "draft"


def handout_rows(workspace: Workspace) -> tuple[list[dict[str, str]], list[HandoutgenError]]:
    """One row per handout file for `list` (id, language, path, title, version, review state), and
    the problems of the files that do not load (a broken source is named once, not per translation)."""
    rows = []
    problems: dict[str, HandoutgenError] = {}
    for file in workspace.handout_files():
        row = {"id": file.id, "language": file.language, "path": str(file.path.relative_to(workspace.root))}
        try:
            localized = workspace.load_handout(file, draft=True)
        except HandoutgenError as error:
            row.update(status="invalid: run check")
            problems.update((e.render(), e) for e in (error.errors if isinstance(error, ErrorList) else [error]))
        else:
            handout = localized.handout
            row.update(
                title=plain_text(handout.title),  # the words, not their **markup**
                version=handout.version,
                last_reviewed=handout.last_reviewed.isoformat(),
                reviewed_by=handout.reviewed_by,
                status="reviewed" if handout.reviewed else "not reviewed",
            )
            if localized.translation is not None and localized.status is not None:
                row.update(
                    translation=localized.status.state,
                    translation_status=review_word(localized.status),
                    status=f"translation {localized.status.state}, {review_word(localized.status)}",
                )
        rows.append(row)
    return rows, list(problems.values())


def make_packets(workspace: Workspace, roster: str | Path, *, out_dir: str | Path = "packets",
                 brand: str | None = None, paper: PaperSize | None = None, duplex: bool = False,
                 fallback_language: str | None = None, jobs: int = 1, resume: bool = False,
                 combined: str | Path | None = None, encoding: str = "utf-8",
                 column_map: dict[str, str] | None = None,
                 date_formats: tuple[str, ...] = (), executor: str = "local",
                 scheduler: str | None = None) -> list[ManifestRow]:
    """One packet per roster row into ``out_dir``, with the manifest; one manifest row per roster row.

    ``executor="dask", scheduler="tcp://HOST:PORT"`` makes the covers on a Dask cluster.
    """
    from handoutgen.packets.run import PacketOptions
    from handoutgen.parallel import open_executor
    from handoutgen.packets.run import make_packets as run_packets
    from handoutgen.packets.roster import load_roster

    workspace.load_brand(brand)
    loaded = load_roster(Path(roster), encoding, column_map, date_formats, fhir=workspace.config.fhir)
    with open_executor(executor, scheduler) as cluster:
        options = PacketOptions(out_dir=Path(out_dir), brand=brand, paper=paper, duplex=duplex,
                                fallback_language=fallback_language, jobs=jobs, resume=resume,
                                combined=Path(combined) if combined is not None else None, executor=cluster)
        return run_packets(workspace, loaded, options)


def check_roster(workspace: Workspace, roster: str | Path, *, content: bytes | None = None,
                 encoding: str = "utf-8", column_map: dict[str, str] | None = None,
                 date_formats: tuple[str, ...] = (), fallback_language: str | None = None
                 ) -> tuple[list[ManifestRow], list[str]]:
    """A dry run of ``make_packets``: each row's outcome ("ok", or "failed" with the reason), and
    the roster's ignored columns. Nothing is rendered or written. ``content``: a CSV roster held
    in memory (``roster`` then only names it)."""
    from handoutgen.packets.roster import load_roster
    from handoutgen.packets.run import dry_run

    loaded = load_roster(Path(roster), encoding, column_map, date_formats, fhir=workspace.config.fhir,
                         content=content)
    return dry_run(workspace, loaded, fallback_language), loaded.ignored_columns


__all__ = ["BuildResult", "CheckResult", "HandoutgenError", "build", "check", "check_roster", "make_packets",
           "open_workspace", "render_file", "render_pdf"]
