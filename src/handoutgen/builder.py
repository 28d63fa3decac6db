"""Build handouts: the pipeline load → validate → render HTML → render PDF → write.

Each handout is built independently: one bad file is reported and the others
are still written. Builds are incremental: ``out/.handoutgen-build.json`` keeps, for each
output, the hash of everything it was made from and the file's sha256, and an output
whose inputs and bytes are unchanged is not rendered again. With more than one job, rendering runs in a process pool whose
workers each keep one PdfRenderer (fonts and base CSS parsed once); the parent
process alone writes files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from handoutgen import __version__
from handoutgen.i18n.catalogs import catalog_for, catalog_path
from handoutgen.errors import HandoutgenError, Location, SourceError, UsageError
from handoutgen.figures import SHARED_FOLDER
from handoutgen.model import LANGUAGE_PATTERN, PaperSize
from handoutgen.render.cjk import write_cjk_faces
from handoutgen.render.html import render_handout_html, text_direction
from handoutgen.parallel import ordered_map
from handoutgen.render.pdf import PdfRenderer
from handoutgen.render.settings import STANDARD, Edition, RenderSettings
from handoutgen.prepared import HandoutFile, Localized
from handoutgen.workspace import CONFIG_FILE, Workspace
from handoutgen.write import write_atomic


@dataclass(frozen=True)
class BuildResult:
    file: HandoutFile
    output: Path | None = None
    error: HandoutgenError | None = None
    warning: str = ""  # e.g. built from an out-of-date translation (--allow-stale)
    unchanged: bool = False  # kept from an earlier build: same inputs, file untouched


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    warning: str = ""


def output_name(file: HandoutFile, edition: Edition = STANDARD) -> str:
    """``<id>.<language>.pdf``; another edition adds its suffix: ``<id>.<language>.large-print.pdf``."""
    return f"{file.id}.{file.language}{edition.suffix}.pdf"


class HandoutRenderer:
    """Everything one process needs to turn handout files into PDF bytes, set up once."""

    def __init__(self, workspace: Workspace, settings: RenderSettings,
                 allow_stale: bool = False, draft: bool = False, offer: tuple[str, ...] = (),
                 pdf: PdfRenderer | None = None):
        self.workspace = workspace
        self.settings = settings
        self.allow_stale = allow_stale
        self.draft = draft
        self.offer = offer  # options of the calling command that an error may suggest
        # ``pdf``: a renderer the caller keeps warm across calls (api.render_file)
        self.pdf = pdf or PdfRenderer(settings.style_path, list(settings.render_roots))

    def render(self, file: HandoutFile) -> Rendered:
        localized = self.workspace.load_handout(file, self.allow_stale, self.draft, self.offer)
        document = render_handout_html(localized, self.settings)
        second = self.settings.edition.second_language
        if second is None:
            return Rendered(self.pdf.render(document, source=file.path), _warning(localized))
        # Bilingual: both languages rendered with the same template, then interleaved by section.
        from handoutgen.render.bilingual import interleave, tag_parts

        other_file = second_file(self.workspace, file, second)
        other = self.workspace.load_handout(other_file, self.allow_stale, self.draft, self.offer)
        combined = interleave(document, render_handout_html(other, self.settings), second,
                              text_direction(second))
        pdf = tag_parts(self.pdf.render(combined, source=file.path), file.language, second)
        warning = "; ".join(f"{f.language}: {w}" for f, w in ((file, _warning(localized)), (other_file, _warning(other))) if w)
        return Rendered(pdf, warning)


def _warning(localized: Localized) -> str:
    status = localized.status  # untranslated and stale segments come with a translation's status
    if status is not None and localized.draft and localized.untranslated:
        return (f"translation is {status.state} ({status.problems()}); "
                "built as a DRAFT, not for patients")
    if status is not None and localized.stale:
        return (f"translation is {status.state} ({status.problems()}); "
                "built with a notice on the first page")
    return ""


def second_file(workspace: Workspace, file: HandoutFile, language: str) -> HandoutFile:
    """The same handout in ``language``, the second half of a bilingual edition; an error naming
    ``file`` when the handout has no such version."""
    path = workspace.handouts_dir / file.id / f"{language}.yaml"
    if not path.is_file():
        have = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise SourceError(f"no '{language}' version of this handout for the bilingual edition "
                          f"(it has: {', '.join(have)})", Location(file.path))
    return HandoutFile(file.id, language, path)


def edition_files(workspace: Workspace, files: list[HandoutFile], edition: Edition) -> list[HandoutFile]:
    """The files an edition is built from: for a bilingual edition, every chosen file not
    already in the second language (a handout in English needs no English beside it)."""
    second = edition.second_language
    if second is None:
        return files
    if re.fullmatch(LANGUAGE_PATTERN, second) is None:
        raise UsageError(f"--bilingual '{second}' is not a language tag such as 'en', 'es' or 'zh-Hans'")
    if not any(f.language == second for f in workspace.handout_files()):
        raise UsageError(f"no handout has a '{second}' version for the bilingual edition")
    return [f for f in files if f.language != second]


_worker: HandoutRenderer | None = None


def _start_worker(root: Path, settings: RenderSettings, allow_stale: bool, draft: bool,
                  offer: tuple[str, ...], font_faces: Path | None) -> None:
    global _worker
    pdf = PdfRenderer(settings.style_path, list(settings.render_roots), font_faces) if font_faces else None
    _worker = HandoutRenderer(Workspace(root), settings, allow_stale, draft, offer, pdf)


def _render_in_worker(file: HandoutFile) -> Rendered | HandoutgenError:
    assert _worker is not None
    try:
        return _worker.render(file)
    except HandoutgenError as error:  # returned, not raised: one bad file spoils nothing else
        return error


def render_all(
    workspace: Workspace, files: list[HandoutFile], settings: RenderSettings, jobs: int,
    allow_stale: bool = False, draft: bool = False, offer: tuple[str, ...] = (),
    font_faces: Path | None = None,
) -> Iterator[tuple[HandoutFile, Rendered | HandoutgenError]]:
    """Yield (file, rendered PDF or error) for every file, in order. ``font_faces``: the small
    Chinese faces of render/cjk.py, when the caller has cut them (packets do, once per batch)."""
    outcomes = ordered_map(_render_in_worker, files, jobs=jobs, initializer=_start_worker,
                           initargs=(workspace.root, settings, allow_stale, draft, offer, font_faces))
    yield from zip(files, outcomes)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


BUILD_RECORD = ".handoutgen-build.json"


def _digest_files(digest: Any, paths: list[Path], root: Path) -> None:
    for path in paths:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")


def _tree(folder: Path, skip: str | None = None) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and (skip is None or skip not in p.relative_to(folder).parts))


def shared_inputs(workspace: Workspace, settings: RenderSettings, allow_stale: bool, draft: bool) -> str:
    """Hash of what every handout's PDF depends on: templates, styles, fonts, brand, settings, versions."""
    digest = hashlib.sha256(json.dumps({
        "handoutgen": __version__, "weasyprint": version("weasyprint"), "paper": settings.paper,
        "edition": settings.edition.suffix, "allow_stale": allow_stale, "draft": draft,
    }, sort_keys=True).encode())
    for folder in (*settings.template_path, *settings.style_path):
        if folder.is_dir():
            _digest_files(digest, _tree(folder, skip="brands"), folder)
    _digest_files(digest, _tree(settings.brand.folder), settings.brand.folder)
    shared_figures = workspace.root / SHARED_FOLDER  # pictures any handout may show
    if shared_figures.is_dir():
        _digest_files(digest, _tree(shared_figures), shared_figures)
    config = workspace.root / CONFIG_FILE
    if config.is_file():
        _digest_files(digest, [config], workspace.root)
    return digest.hexdigest()


def handout_inputs(shared: str, file: HandoutFile, edition: Edition) -> str:
    """Hash of everything one output is made from: the shared inputs, its handout folder, the
    catalogs of its language (and a bilingual edition's second language)."""
    digest = hashlib.sha256(shared.encode())
    _digest_files(digest, _tree(file.path.parent), file.path.parent)  # a translation needs its source
    for language in filter(None, (file.language, edition.second_language)):
        catalog = catalog_for(language)
        if catalog is not None:
            _digest_files(digest, [catalog_path(catalog)], catalog_path(catalog).parent)
    digest.update(file.path.name.encode())
    return digest.hexdigest()


def _record(out_dir: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads((out_dir / BUILD_RECORD).read_text(encoding="utf-8"))
        return {k: v for k, v in data.items() if isinstance(v, dict)}
    except (OSError, ValueError, AttributeError):
        return {}


def _unchanged(out_dir: Path, name: str, inputs: str, record: dict[str, dict[str, str]]) -> bool:
    earlier = record.get(name)
    if earlier is None or earlier.get("inputs") != inputs:
        return False
    try:
        return hashlib.sha256((out_dir / name).read_bytes()).hexdigest() == earlier.get("sha256")
    except OSError:
        return False


def build(
    workspace: Workspace,
    files: list[HandoutFile],
    out_dir: Path,
    brand: str | None = None,
    paper: PaperSize | None = None,
    jobs: int = 1,
    allow_stale: bool = False,
    draft: bool = False,
    on_done: Callable[[BuildResult], None] | None = None,
    force: bool = False,
    edition: Edition = STANDARD,
) -> list[BuildResult]:
    """Build ``files`` into ``out_dir``. An output whose inputs have not changed since it was
    written (and that nobody changed on disk) is kept as it is, unless ``force``."""
    results: dict[HandoutFile, BuildResult] = {}

    def finish(result: BuildResult) -> None:
        results[result.file] = result
        if on_done:
            on_done(result)

    record = {} if force else _record(out_dir)
    settings = workspace.render_settings(brand, paper, edition)  # once for the whole run
    shared = shared_inputs(workspace, settings, allow_stale, draft)
    inputs = {file: handout_inputs(shared, file, edition) for file in files}
    todo = []
    for file in files:
        name = output_name(file, edition)
        if _unchanged(out_dir, name, inputs[file], record):
            finish(BuildResult(file, output=out_dir / name, warning=record[name].get("warning", ""), unchanged=True))
        else:
            todo.append(file)
    offer = ("--allow-stale", "--draft")  # the build command's own options
    with tempfile.TemporaryDirectory(prefix="handoutgen-faces-") as faces:
        # Chinese text in the small faces packets use (render/cjk.py), cut once per run: a zh-Hans
        # handout no longer carries the glyph slots of the whole Noto CJK collection
        font_faces = (write_cjk_faces(Path(faces), workspace.find_style("fonts/fonts.css"))
                      if any(file.language.split("-")[0] == "zh" for file in todo) else None)
        outcomes = render_all(workspace, todo, settings, jobs, allow_stale, draft, offer, font_faces) if todo else iter(())
        try:
            for file, outcome in outcomes:
                name = output_name(file, edition)
                if isinstance(outcome, HandoutgenError):
                    record.pop(name, None)
                    finish(BuildResult(file, error=outcome))
                    continue
                write_atomic(out_dir / name, outcome.pdf)
                record[name] = {"inputs": inputs[file], "sha256": hashlib.sha256(outcome.pdf).hexdigest(),
                                "warning": outcome.warning}
                finish(BuildResult(file, output=out_dir / name, warning=outcome.warning))
        finally:
            if todo:
                write_atomic(out_dir / BUILD_RECORD, (json.dumps(record, indent=1, sort_keys=True) + "\n").encode())
    return [results[file] for file in files]
