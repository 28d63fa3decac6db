"""Build handouts: the pipeline load → validate → render HTML → render PDF → write.

Each handout is built independently: one bad file is reported and the others
are still written. With more than one job, rendering runs in a process pool whose
workers each keep one PdfRenderer (fonts and base CSS parsed once); the parent
process alone writes files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from handoutgen.errors import HandoutgenError
from handoutgen.model import PaperSize
from handoutgen.render.html import render_handout_html
from handoutgen.parallel import exit_with_parent
from handoutgen.render.pdf import PdfRenderer
from handoutgen.workspace import HandoutFile, Workspace
from handoutgen.write import write_atomic


@dataclass(frozen=True)
class BuildResult:
    file: HandoutFile
    output: Path | None = None
    error: HandoutgenError | None = None
    warning: str = ""  # e.g. built from an out-of-date translation (--allow-stale)


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    warning: str = ""


def output_name(file: HandoutFile) -> str:
    return f"{file.id}.{file.language}.pdf"


class HandoutRenderer:
    """Everything one process needs to turn handout files into PDF bytes, set up once."""

    def __init__(self, workspace: Workspace, brand: str | None, paper: PaperSize | None,
                 allow_stale: bool = False, draft: bool = False, offer: tuple[str, ...] = ()):
        self.workspace = workspace
        self.allow_stale = allow_stale
        self.draft = draft
        self.offer = offer  # options of the calling command that an error may suggest
        self.brand = workspace.load_brand(brand)
        self.paper: PaperSize = paper or workspace.config.paper
        self.pdf = PdfRenderer(
            workspace.style_path, workspace.render_roots
        )

    def render(self, file: HandoutFile) -> Rendered:
        localized = self.workspace.load_handout(file, self.allow_stale, self.draft, self.offer)
        document = render_handout_html(
            localized, self.brand, self.paper, self.workspace.root, self.workspace.template_path
        )
        pdf = self.pdf.render(document, source=file.path)
        warning = ""
        if localized.draft and localized.untranslated:
            warning = (f"translation is {localized.status.state} ({localized.status.problems()}); "
                       "built as a DRAFT, not for patients")
        elif localized.stale:
            warning = (f"translation is {localized.status.state} ({localized.status.problems()}); "
                       "built with a notice on the first page")
        return Rendered(pdf, warning)


_worker: HandoutRenderer | None = None


def _start_worker(run_pid: int, root: Path, brand: str | None, paper: PaperSize | None, allow_stale: bool,
                  draft: bool, offer: tuple[str, ...]) -> None:
    global _worker
    exit_with_parent(run_pid)
    _worker = HandoutRenderer(Workspace(root), brand, paper, allow_stale, draft, offer)


def _render_in_worker(file: HandoutFile) -> Rendered | HandoutgenError:
    assert _worker is not None
    try:
        return _worker.render(file)
    except HandoutgenError as error:  # returned, not raised: one bad file spoils nothing else
        return error


def render_all(
    workspace: Workspace, files: list[HandoutFile], brand: str | None, paper: PaperSize | None, jobs: int,
    allow_stale: bool = False, draft: bool = False, offer: tuple[str, ...] = (),
) -> Iterator[tuple[HandoutFile, Rendered | HandoutgenError]]:
    """Yield (file, rendered PDF or error) for every file, in order."""
    if jobs <= 1 or len(files) <= 1:
        renderer = HandoutRenderer(workspace, brand, paper, allow_stale, draft, offer)
        for file in files:
            try:
                yield file, renderer.render(file)
            except HandoutgenError as error:
                yield file, error
        return
    # Fail fast on a bad brand before starting workers, and import WeasyPrint once so
    # forked workers inherit it.
    workspace.load_brand(brand)
    import weasyprint  # noqa: F401

    with ProcessPoolExecutor(
        max_workers=min(jobs, len(files)),
        initializer=_start_worker,
        initargs=(os.getpid(), workspace.root, brand, paper, allow_stale, draft, offer),
    ) as pool:
        yield from zip(files, pool.map(_render_in_worker, files))


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


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
) -> list[BuildResult]:
    results = []
    offer = ("--allow-stale", "--draft")  # the build command's own options
    for file, outcome in render_all(workspace, files, brand, paper, jobs, allow_stale, draft, offer):
        if isinstance(outcome, HandoutgenError):
            result = BuildResult(file, error=outcome)
        else:
            target = out_dir / output_name(file)
            write_atomic(target, outcome.pdf)
            result = BuildResult(file, output=target, warning=outcome.warning)
        results.append(result)
        if on_done:
            on_done(result)
    return results
