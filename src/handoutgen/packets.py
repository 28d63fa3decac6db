"""Per-patient packets from a roster: a cover letter plus the right handouts.

Pipeline per batch:
1. plan: validate rows, refuse duplicate ids, pick each handout in the row's language
   (or the fallback language, if allowed);
2. render each needed (handout, language) once with the batch's brand and paper;
3. per patient, in a process pool: render only the cover, merge it with the cached
   handout PDFs (pikepdf), write the packet atomically;
4. write the combined print file and the manifest.

A bad row fails alone. Nothing here logs, prints or stores a patient's name: rows are
named by their number and patient_id.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import re
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from handoutgen import __version__
from handoutgen.assemble import assemble_packet, combine, page_count, recorded_input_hash
from handoutgen.build import render_all
from handoutgen.errors import ErrorList, HandoutgenError, Location, RenderError
from handoutgen.manifest import ManifestRow, write_manifest
from handoutgen.model import PaperSize, RosterRow
from handoutgen.render_html import (
    COVER_PAGE_CSS_TEMPLATE, COVER_STYLESHEETS, COVER_TEMPLATE, EnclosedHandout, render_cover_html,
)
from handoutgen.render_pdf import PdfRenderer
from handoutgen.roster import Roster
from handoutgen.workspace import RENDER_ROOTS, HandoutFile, Workspace
from handoutgen.write import ensure_private_dir, remove_stale_temp_files, write_atomic

HandoutKey = tuple[str, str]  # (handout id, language)


@dataclass(frozen=True)
class PacketOptions:
    out_dir: Path
    brand: str | None = None
    paper: PaperSize | None = None
    duplex: bool = False
    fallback_language: str | None = None
    jobs: int = 1
    resume: bool = False
    combined: Path | None = None
    recycle_after: int = 200  # packets per worker process before it is replaced (flat memory)


@dataclass(frozen=True)
class PacketTask:
    """Everything a worker needs for one packet (picklable, sent to the pool)."""

    number: int
    row: RosterRow
    handouts: tuple[HandoutKey, ...]
    enclosed: tuple[EnclosedHandout, ...]
    input_hash: str
    output: Path


@dataclass(frozen=True)
class PacketDone:
    pages: int
    sha256: str


def redact(message: str) -> str:
    """Drop quoted text and code points from a render message: they may spell a patient's name."""
    message = re.sub(r'"[^"]*"', '"…"', message)
    return re.sub(r"\(?U\+[0-9A-Fa-f]{4,6}\)?", "(…)", message)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _row_failure(number: int, patient_id: str, error: HandoutgenError, row: RosterRow | None = None) -> ManifestRow:
    return ManifestRow(
        row=number, patient_id=patient_id, status="failed", error=_one_line(error),
        language=row.language if row else "", handouts=list(row.handouts) if row else [],
    )


def _one_line(error: HandoutgenError) -> str:
    """The error without its file and row (the manifest has the row), keeping the field."""
    errors = error.errors if isinstance(error, ErrorList) else [error]
    return "; ".join(
        (f"field '{e.location.field}': " if e.location.field else "") + e.message for e in errors
    )


class PacketWorker:
    """One process's renderer for covers, with the batch's handout PDFs opened once."""

    def __init__(self, root: Path, brand: str | None, paper: PaperSize | None, duplex: bool,
                 handout_pdfs: dict[HandoutKey, Path], roster_path: Path):
        self.workspace = Workspace(root)
        self.brand = self.workspace.load_brand(brand)
        self.paper: PaperSize = paper or self.workspace.config.paper
        self.duplex = duplex
        self.handout_pdfs = handout_pdfs
        self.roster_path = roster_path
        self.pdf = PdfRenderer(self.workspace.styles_dir, [root / name for name in RENDER_ROOTS])
        self._opened: dict[HandoutKey, object] = {}

    def _handout(self, key: HandoutKey):  # noqa: ANN202 - pikepdf.Pdf
        import pikepdf

        if key not in self._opened:
            self._opened[key] = pikepdf.open(self.handout_pdfs[key])
        return self._opened[key]

    def make(self, task: PacketTask) -> PacketDone | HandoutgenError:
        try:
            document = render_cover_html(
                task.row, list(task.enclosed), self.brand, self.paper,
                self.workspace.root, self.workspace.templates_dir,
            )
            cover = self.pdf.render(document, source=self.roster_path)
            data, pages = assemble_packet(
                cover, [self._handout(key) for key in task.handouts], self.duplex, task.input_hash
            )
            write_atomic(task.output, data)
            return PacketDone(pages, sha256_hex(data))
        except HandoutgenError as error:
            return RenderError(redact(error.message), Location(self.roster_path, None, None, task.number))


_worker: PacketWorker | None = None


def _start_worker(*args) -> None:  # noqa: ANN002
    global _worker
    _worker = PacketWorker(*args)


def _make_in_worker(task: PacketTask) -> PacketDone | HandoutgenError:
    assert _worker is not None
    return _worker.make(task)


def _run_tasks(tasks: list[PacketTask], worker_args: tuple, jobs: int, recycle_after: int) -> Iterator[PacketDone | HandoutgenError]:
    if jobs <= 1 or len(tasks) <= 1:
        worker = PacketWorker(*worker_args)
        for task in tasks:
            yield worker.make(task)
        return
    # forkserver: workers start from a clean, preloaded process (fast, no inherited state),
    # and can be recycled after `recycle_after` packets so memory stays flat.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["weasyprint", "pikepdf", "handoutgen.packets"])
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_start_worker, initargs=worker_args,
        max_tasks_per_child=recycle_after,
    ) as pool:
        yield from pool.map(_make_in_worker, tasks, chunksize=max(1, min(16, len(tasks) // (jobs * 8))))


def _cover_sources_hash(workspace: Workspace, brand_folder: Path) -> str:
    paths = [workspace.templates_dir / COVER_TEMPLATE, workspace.templates_dir / COVER_PAGE_CSS_TEMPLATE]
    paths += [workspace.styles_dir / name for name in COVER_STYLESHEETS]
    paths += sorted(p for p in brand_folder.iterdir() if p.is_file())
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def input_hash(row: RosterRow, handouts: list[tuple[HandoutKey, str]], cover_hash: str,
               paper: str, duplex: bool) -> str:
    """Hash of everything a packet is made from: same hash, same bytes."""
    payload = {
        "handoutgen": __version__, "row": row.model_dump(mode="json"),
        "handouts": [[key[0], key[1], digest] for key, digest in handouts],
        "cover": cover_hash, "paper": paper, "duplex": duplex,
    }
    return sha256_hex(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode())


def _choose_handouts(row: RosterRow, available: set[HandoutKey], fallback: str | None) -> tuple[list[HandoutKey], list[str]]:
    """(id, language) to use for each handout of the row, and warnings; raise for what is missing."""
    chosen, warnings, problems = [], [], []
    known_ids = {handout_id for handout_id, _ in available}
    for handout_id in row.handouts:
        if handout_id not in known_ids:
            problems.append(f"unknown handout '{handout_id}'")
        elif (handout_id, row.language) in available:
            chosen.append((handout_id, row.language))
        elif fallback and (handout_id, fallback) in available:
            chosen.append((handout_id, fallback))
            warnings.append(f"'{handout_id}' has no '{row.language}' version; used '{fallback}'")
        else:
            hint = "" if fallback else " (--fallback-language en allows English with a note on the cover)"
            problems.append(f"handout '{handout_id}' has no '{row.language}' version{hint}")
    if problems:
        raise HandoutgenError("; ".join(problems), Location(field="handouts"))
    return chosen, warnings


def make_packets(
    workspace: Workspace, roster: Roster, options: PacketOptions,
    on_done: Callable[[ManifestRow], None] | None = None,
) -> list[ManifestRow]:
    brand = workspace.load_brand(options.brand)
    paper: PaperSize = options.paper or workspace.config.paper
    out_dir = options.out_dir
    ensure_private_dir(out_dir)
    remove_stale_temp_files(out_dir)  # left by a killed run; finished packets are untouched

    results: dict[int, ManifestRow] = {}

    def finish(manifest_row: ManifestRow) -> None:
        results[manifest_row.row] = manifest_row
        if on_done:
            on_done(manifest_row)

    # 1. plan
    seen: dict[str, list[int]] = {}
    for entry in roster.entries:
        if entry.patient_id:
            seen.setdefault(entry.patient_id.casefold(), []).append(entry.number)
    available = {(f.id, f.language) for f in workspace.handout_files()}
    planned: list[tuple[int, RosterRow, list[HandoutKey], list[str]]] = []
    for entry in roster.entries:
        if entry.error is not None:
            finish(_row_failure(entry.number, entry.patient_id, entry.error))
            continue
        row = entry.row
        assert row is not None
        others = [n for n in seen[row.patient_id.casefold()] if n != entry.number]
        if others:
            error = HandoutgenError(
                f"patient_id is also used in row(s) {', '.join(map(str, others))}; "
                "no packet is written for any of them", Location(field="patient_id"))
            finish(_row_failure(entry.number, row.patient_id, error, row))
            continue
        try:
            keys, warnings = _choose_handouts(row, available, options.fallback_language)
        except HandoutgenError as error:
            finish(_row_failure(entry.number, row.patient_id, error, row))
            continue
        planned.append((entry.number, row, keys, warnings))

    # 2. render each needed handout once
    needed = sorted({key for _, _, keys, _ in planned for key in keys})
    files = [HandoutFile(i, lang, workspace.handouts_dir / i / f"{lang}.yaml") for i, lang in needed]
    with tempfile.TemporaryDirectory(prefix="handoutgen-handouts-") as cache:
        handout_pdfs: dict[HandoutKey, Path] = {}
        handout_digest: dict[HandoutKey, str] = {}
        handout_failure: dict[HandoutKey, HandoutgenError] = {}
        titles: dict[HandoutKey, str] = {}
        for file, outcome in render_all(workspace, files, options.brand, paper, options.jobs):
            key = (file.id, file.language)
            if isinstance(outcome, HandoutgenError):
                handout_failure[key] = outcome
                continue
            path = Path(cache) / f"{file.id}.{file.language}.pdf"
            path.write_bytes(outcome.pdf)
            handout_pdfs[key] = path
            handout_digest[key] = sha256_hex(outcome.pdf)
            titles[key] = workspace.load_handout(file).handout.title

        # 3. covers + merge, skipping packets that --resume finds complete and unchanged
        cover_hash = _cover_sources_hash(workspace, brand.folder)
        tasks: list[PacketTask] = []
        warnings_of: dict[int, list[str]] = {}
        for number, row, keys, warnings in planned:
            broken = [k for k in keys if k in handout_failure]
            if broken:
                error = HandoutgenError(
                    "handout could not be rendered: " + "; ".join(
                        f"{k[0]} ({k[1]}): {handout_failure[k].render(workspace.root)}" for k in broken),
                    Location(field="handouts"))
                finish(_row_failure(number, row.patient_id, error, row))
                continue
            digest = input_hash(row, [(k, handout_digest[k]) for k in keys], cover_hash, paper, options.duplex)
            output = out_dir / f"{row.patient_id}.pdf"
            warnings_of[number] = warnings
            enclosed = tuple(EnclosedHandout(titles[k], k[1], k[1] != row.language) for k in keys)
            if options.resume and output.exists() and recorded_input_hash(output) == digest:
                finish(_ok_row(number, row, keys, warnings, digest, output,
                               PacketDone(page_count(output), sha256_hex(output.read_bytes()))))
                continue
            tasks.append(PacketTask(number, row, tuple(keys), enclosed, digest, output))

        worker_args = (workspace.root, options.brand, paper, options.duplex, handout_pdfs, roster.path)
        for task, outcome in zip(tasks, _run_tasks(tasks, worker_args, options.jobs, options.recycle_after)):
            if isinstance(outcome, HandoutgenError):
                finish(_row_failure(task.number, task.row.patient_id, outcome, task.row))
            else:
                finish(_ok_row(task.number, task.row, list(task.handouts), warnings_of[task.number],
                               task.input_hash, task.output, outcome))

    ordered = [results[number] for number in sorted(results)]
    # 4. the combined print file and the manifest
    if options.combined is not None:
        ok_paths = [out_dir / r.output for r in ordered if r.status == "ok"]
        write_atomic(options.combined, combine(ok_paths))
    write_manifest(out_dir, ordered)
    return ordered


def _ok_row(number: int, row: RosterRow, keys: list[HandoutKey], warnings: list[str], digest: str,
            output: Path, done: PacketDone) -> ManifestRow:
    return ManifestRow(
        row=number, patient_id=row.patient_id, status="ok", output=output.name, pages=done.pages,
        sha256=done.sha256, language=row.language, handouts=[f"{i}.{lang}" for i, lang in keys],
        warnings=warnings, input_sha256=digest,
    )
