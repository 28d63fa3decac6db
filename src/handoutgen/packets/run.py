"""Per-patient packets from a roster: a cover letter plus the right handouts.

Pipeline per batch:
1. plan: validate rows, refuse duplicate ids, pick each handout in the row's language
   (or the fallback language, if allowed);
2. render each needed (handout, language) once with the batch's brand and paper;
3. per patient, in a process pool: render only the cover, merge it with the cached
   handout PDFs (pikepdf), write the packet atomically;
4. write the combined print file and the manifest.

A bad row fails alone. Nothing here logs, prints or stores a patient's name: rows are
named by their number and patient_id. One run at a time owns an output folder (a lock
file); the manifest is kept current while the run goes on, so an interrupted run leaves
a folder whose manifest says exactly which packets are finished.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import hashlib
import hmac
import json
import multiprocessing
import os
import re
import shutil
import socket
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pikepdf

from handoutgen import __version__
from handoutgen.render.assemble import assemble_packet
from handoutgen.render.combine import combine
from handoutgen.builder import handout_inputs, render_all, shared_inputs  # the build's own input hashes
from handoutgen.i18n.catalogs import catalog_for, catalog_path
from handoutgen.errors import HandoutgenError, Location, RenderError, UsageError
from handoutgen.markup import plain_text
from handoutgen.packets.manifest import FAILED, NOT_STARTED, OK, LiveManifest, ManifestRow
from handoutgen.model import PaperSize, RosterRow
from handoutgen.parallel import Executor, LocalExecutor
from handoutgen.render.html import (
    BLANK_PAGE_CSS_TEMPLATE, BLANK_TEMPLATE, COVER_PAGE_CSS_TEMPLATE, COVER_STYLESHEETS, COVER_TEMPLATE, EnclosedHandout, render_cover_html,
)
from handoutgen.render.cjk import write_cjk_faces
from handoutgen.render.pdf import PdfRenderer
from handoutgen.render.typst_cover import TYPST_COVER_TEMPLATE, TypstCoverRenderer, check_cover_template
from handoutgen.render.settings import LARGE_PRINT_COVER_STYLESHEET, STANDARD, Edition, RenderSettings
from handoutgen.packets.roster import Roster
from handoutgen.prepared import HandoutFile
from handoutgen.remote import Shipment, start_shipped
from handoutgen.workspace import Workspace
from handoutgen.write import (
    FATAL_WRITE_ERRORS, OutputError, ensure_private_dir, output_error, private_temp_dir,
    remove_stale_temp_files, write_atomic, write_atomic_with,
)

LOCK_FILE = ".handoutgen.lock"
KEY_FILE = ".handoutgen-key"

HandoutKey = tuple[str, str, str]  # (handout id, language, edition suffix: "", ".large-print", ".bilingual-en")
# A row that can be made: its number, the row, its handouts, warnings for its manifest line.
PlannedRow = tuple[int, RosterRow, list[HandoutKey], list[str]]


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
    recycle_after: int = 500  # packets per worker process before it is replaced (flat memory)
    executor: Executor | None = None  # None: a local pool of ``jobs`` processes


@dataclass(frozen=True)
class PacketTask:
    """Everything a worker needs for one packet (picklable, sent to the pool)."""

    number: int
    row: RosterRow
    handouts: tuple[HandoutKey, ...]
    enclosed: tuple[EnclosedHandout, ...]
    input_hash: str
    output: Path
    edition: Edition = STANDARD  # a large-print row gets a large-print cover letter too


@dataclass(frozen=True)
class PacketDone:
    pages: int
    sha256: str
    size: int  # bytes


@dataclass(frozen=True)
class BuiltPacket:
    """A packet made by a worker that cannot write into the output folder (on another machine)."""

    data: bytes
    pages: int


class OutputLocked(HandoutgenError):
    """Another run is writing to the same output folder."""

    exit_code = 2


def redact(message: str) -> str:
    """Drop quoted text and code points from a render message: they may spell a patient's name."""
    message = re.sub(r'"[^"]*"', '"…"', message)
    return re.sub(r"\(?U\+[0-9A-Fa-f]{4,6}\)?", "(…)", message)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _row_failure(number: int, patient_id: str, error: HandoutgenError, row: RosterRow | None = None) -> ManifestRow:
    return ManifestRow(
        row=number, patient_id=patient_id, status=FAILED, error=_one_line(error),
        language=row.language if row else "", handouts=list(row.handouts) if row else [],
    )


def _one_line(error: HandoutgenError) -> str:
    """The error's problems without file and row (the manifest has the row), keeping the field."""
    return "; ".join((f"field '{p.field}': " if p.field else "") + p.message for p in error.problems())


class PacketWorker:
    """One process's renderer for covers, with the batch's handout PDFs opened once."""

    def __init__(self, settings: RenderSettings, duplex: bool, handout_pdfs: dict[HandoutKey, Path],
                 roster_path: Path, font_faces: Path | None = None):
        self.settings = settings
        self.duplex = duplex
        self.handout_pdfs = handout_pdfs
        self.roster_path = roster_path
        self.pdf = PdfRenderer(settings.style_path, list(settings.render_roots), font_faces)
        self.typst = TypstCoverRenderer(settings) if settings.typst_covers else None
        self._opened: dict[HandoutKey, pikepdf.Pdf] = {}
        self._warm = False

    def _handout(self, key: HandoutKey) -> pikepdf.Pdf:
        if key not in self._opened:
            self._opened[key] = pikepdf.open(self.handout_pdfs[key])
        return self._opened[key]

    def build(self, task: PacketTask) -> BuiltPacket | HandoutgenError:
        """The packet's bytes (written by ``make`` here, or by the parent of a remote worker)."""
        where = Location(self.roster_path, None, None, task.number)
        try:
            settings = replace(self.settings, edition=task.edition)
            handouts = [self._handout(key) for key in task.handouts]
            blank = self.pdf.blank_page(task.row.language, self.settings) if self.duplex else None
            if self.typst is not None:
                cover = self.typst.render_pdf(task.row, list(task.enclosed), settings)
            else:
                cover = self.pdf.render_pdf(render_cover_html(task.row, list(task.enclosed), settings),
                                            source=self.roster_path)
            data, pages = assemble_packet(cover, handouts, self.duplex, blank_page=blank)
        except HandoutgenError as error:
            return RenderError(redact(error.message), where)
        except (OSError, pikepdf.PdfError) as error:  # e.g. the batch's cached handout PDF was removed
            return RenderError(f"a handout PDF of this batch could not be read ({type(error).__name__})", where)
        if not self._warm:
            self._warm = True
            if multiprocessing.parent_process() is not None:
                # Fonts, stylesheets and templates now live for the worker's life: the collector
                # need not walk them again on every packet (~10% of a packet's CPU).
                gc.freeze()
        return BuiltPacket(data, pages)

    def make(self, task: PacketTask) -> PacketDone | HandoutgenError:
        built = self.build(task)
        return built if isinstance(built, HandoutgenError) else write_packet(task, built, self.roster_path)


def write_packet(task: PacketTask, built: BuiltPacket, roster_path: Path) -> PacketDone | HandoutgenError:
    try:
        write_atomic(task.output, built.data)
    except OSError as error:
        if error.errno in FATAL_WRITE_ERRORS:
            return output_error(error, task.output.parent)
        return RenderError(f"cannot write the packet: {error.strerror}", Location(roster_path, None, None, task.number))
    return PacketDone(built.pages, sha256_hex(built.data), len(built.data))


_worker: PacketWorker | None = None


def _start_worker(settings: RenderSettings, duplex: bool, handout_pdfs: dict[HandoutKey, Path],
                  roster_path: Path, font_faces: Path | None = None) -> None:
    global _worker
    _worker = PacketWorker(settings, duplex, handout_pdfs, roster_path, font_faces)


def _make_in_worker(task: PacketTask) -> PacketDone | HandoutgenError:
    assert _worker is not None
    return _worker.make(task)


def _build_in_worker(task: PacketTask) -> BuiltPacket | HandoutgenError:
    assert _worker is not None
    return _worker.build(task)


def _digest_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _cover_sources_hash(workspace: Workspace, settings: RenderSettings) -> str:
    """Everything a cover is drawn from but the row: templates (and which of them lays covers
    out), styles, fonts, brand."""
    paths = [workspace.find_template(name) for name in
             (COVER_TEMPLATE, COVER_PAGE_CSS_TEMPLATE, BLANK_TEMPLATE, BLANK_PAGE_CSS_TEMPLATE, TYPST_COVER_TEMPLATE)]
    paths += [workspace.find_style(name) for name in (*COVER_STYLESHEETS, LARGE_PRINT_COVER_STYLESHEET)]
    fonts = workspace.find_style("fonts/fonts.css").parent
    paths += sorted(p for p in fonts.iterdir() if p.is_file())
    paths += sorted(p for p in settings.brand.folder.iterdir() if p.is_file())
    return _digest_files(paths) + ("-typst" if settings.typst_covers else "-html")


def _catalog_hash(language: str) -> str:
    """The interface strings a cover in ``language`` uses (a corrected wording must show)."""
    found = catalog_for(language)
    return _digest_files([catalog_path(found)]) if found else ""


def input_hash(key: bytes, row: RosterRow, handouts: list[tuple[HandoutKey, str]], cover_hash: str,
               catalog_hash: str, paper: str, duplex: bool) -> str:
    """Keyed hash of everything a packet is made from: same inputs, same hash, same bytes.

    Keyed (HMAC) because the row holds the patient's name: a plain hash in the manifest
    could be reversed by hashing guessed names.
    """
    payload = {
        "handoutgen": __version__, "row": row.model_dump(mode="json"),
        "handouts": [[k[0], k[1], digest] for k, digest in handouts],
        "cover": cover_hash, "catalog": catalog_hash, "paper": paper, "duplex": duplex,
    }
    message = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _folder_key(out_dir: Path) -> bytes:
    """The output folder's random HMAC key (made on first use, 0600, kept for --resume)."""
    path = out_dir / KEY_FILE
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
        if len(key) == 32:
            return key
    except (OSError, ValueError):
        pass
    key = os.urandom(32)
    write_atomic(path, key.hex().encode() + b"\n")
    return key


@contextlib.contextmanager
def _output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the folder's lock for the run; a second run into the same folder is refused."""
    fd = os.open(out_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            raise OutputLocked(
                f"another handoutgen run ({holder}) is writing packets here; wait for it to finish "
                "or choose another --out", Location(out_dir)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode())
        yield
    finally:
        os.close(fd)  # releases the lock


def _prepare_output(out_dir: Path, combined: Path | None) -> None:
    if combined is not None:
        target, folder = combined.resolve(), out_dir.resolve()
        if target == folder or target.is_relative_to(folder):
            raise UsageError("--combined must be outside the packet folder (it would replace or sit among "
                             "patients' packets)", Location(combined))
        if target.is_dir():
            raise UsageError("--combined names a folder; give a file name such as print.pdf", Location(combined))
    try:
        ensure_private_dir(out_dir, restrict=True)
    except OSError as error:
        raise output_error(error, out_dir) from None


def _previous_manifest(out_dir: Path) -> dict[str, ManifestRow]:
    """Finished rows of the folder's last manifest by patient_id (for --resume); {} if unreadable."""
    try:
        data = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
        rows = [ManifestRow(**record) for record in data["rows"]]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {r.patient_id: r for r in rows if r.status == OK and r.patient_id and r.sha256 and r.input_hmac}


def _finished_before(previous: dict[str, ManifestRow], patient_id: str, digest: str, output: Path) -> PacketDone | None:
    """The earlier packet when its file is on disk, whole, and made from these inputs."""
    earlier = previous.get(patient_id)
    if earlier is None or earlier.input_hmac != digest or earlier.output != output.name:
        return None
    try:
        size = output.stat().st_size
        # The size first: a stat, so a truncated or appended file is made again without being
        # read. A manifest written before the bytes column (None) still resumes on the sha256.
        if earlier.bytes is not None and size != earlier.bytes:
            return None
        return PacketDone(earlier.pages or 0, earlier.sha256, size) if file_sha256(output) == earlier.sha256 else None
    except OSError:
        return None


def _choose_handouts(row: RosterRow, available: set[tuple[str, str]], fallback: str | None
                     ) -> tuple[list[tuple[str, str]], list[str]]:
    """(id, language) to use for each handout of the row, and warnings; raise for what is missing."""
    chosen, warnings, problems = [], [], []
    known_ids = {handout_id for handout_id, _ in available}
    # en-US reads en, pt-BR reads pt; a script (zh-Hant vs zh-Hans) never falls back silently.
    regionless = re.sub(r"-(?:[A-Z]{2}|[0-9]{3})$", "", row.language)
    for handout_id in row.handouts:
        if handout_id not in known_ids:
            problems.append(f"unknown handout '{handout_id}'")
        elif (handout_id, row.language) in available:
            chosen.append((handout_id, row.language))
        elif (handout_id, regionless) in available:
            chosen.append((handout_id, regionless))
        elif fallback and (handout_id, fallback) in available:
            chosen.append((handout_id, fallback))
            warnings.append(f"'{handout_id}' has no '{row.language}' version; used '{fallback}'")
        else:
            hint = "" if fallback else " (--fallback-language en allows English with a note on the cover)"
            problems.append(f"handout '{handout_id}' has no '{row.language}' version{hint}")
    if problems:
        raise HandoutgenError("; ".join(problems), Location(field="handouts"))
    return chosen, warnings


def row_edition(row: RosterRow) -> Edition:
    """The edition a row's ``format`` column asks for."""
    if row.format == "large-print":
        return Edition(large_print=True)
    if row.format == "bilingual":
        return Edition(second_language=row.bilingual_with)
    return STANDARD


def _edition_keys(row: RosterRow, chosen: list[tuple[str, str]], available: set[tuple[str, str]]) -> list[HandoutKey]:
    """Each chosen (id, language) with the row's edition; a bilingual row needs every handout in
    its second language too (a handout already in that language prints as it is)."""
    edition = row_edition(row)
    second = edition.second_language
    missing = [handout_id for handout_id, language in chosen if second and language != second
               and (handout_id, second) not in available]
    if missing:
        raise HandoutgenError("; ".join(f"handout '{handout_id}' has no '{second}' version for format 'bilingual'"
                                        for handout_id in missing), Location(field="bilingual_with"))
    return [(handout_id, language, "" if language == second else edition.suffix) for handout_id, language in chosen]


def _plan(workspace: Workspace, roster: Roster, fallback: str | None,
          fail: Callable[[int, str, HandoutgenError, RosterRow | None], None]) -> list[PlannedRow]:
    """Rows that can be made, with their handouts; every other row is failed through ``fail``."""
    seen: dict[str, list[int]] = {}
    for entry in roster.entries:
        if entry.patient_id:
            seen.setdefault(entry.patient_id.casefold(), []).append(entry.number)
    available = {(f.id, f.language) for f in workspace.handout_files()}
    planned: list[PlannedRow] = []
    for entry in roster.entries:
        if entry.error is not None or entry.row is None:
            fail(entry.number, entry.patient_id, entry.error or HandoutgenError("invalid row"), None)
            continue
        row = entry.row
        others = [n for n in seen[row.patient_id.casefold()] if n != entry.number]
        if others:
            # P1 and p1 are one file on case-insensitive disks: they collide too.
            fail(entry.number, row.patient_id, HandoutgenError(
                f"patient_id is also used in row(s) {', '.join(map(str, others))} (ids that differ only "
                "in upper/lower case count as the same); no packet is written for any of them",
                Location(field="patient_id")), row)
            continue
        try:
            chosen, warnings = _choose_handouts(row, available, fallback)
            keys = _edition_keys(row, chosen, available)
        except HandoutgenError as error:
            fail(entry.number, row.patient_id, error, row)
            continue
        planned.append((entry.number, row, keys, warnings))
    return planned


def dry_run(workspace: Workspace, roster: Roster, fallback: str | None = None) -> list[ManifestRow]:
    """Every row's outcome as a run would plan it, in roster order, without rendering or writing
    anything: "ok" for a row that would be made (with its handouts), "failed" with the reason."""
    outcomes: dict[int, ManifestRow] = {}

    def fail(number: int, patient_id: str, error: HandoutgenError, row: RosterRow | None) -> None:
        outcomes[number] = _row_failure(number, patient_id, error, row)

    for number, row, keys, warnings in _plan(workspace, roster, fallback, fail):
        outcomes[number] = ManifestRow(number, row.patient_id, OK, language=row.language,
                                       handouts=[f"{handout_id} ({language}{suffix})" for handout_id, language, suffix in keys],
                                       warnings=warnings)
    return [outcomes[entry.number] for entry in roster.entries]


def make_packets(
    workspace: Workspace, roster: Roster, options: PacketOptions,
    on_done: Callable[[ManifestRow], None] | None = None,
) -> list[ManifestRow]:
    settings = workspace.render_settings(options.brand, options.paper)  # once for the whole batch
    out_dir = options.out_dir
    _prepare_output(out_dir, options.combined)
    try:
        with _output_lock(out_dir):
            return _make_locked(workspace, roster, options, settings, on_done)
    except OSError as error:
        if error.errno in FATAL_WRITE_ERRORS:
            raise output_error(error, out_dir) from None
        raise


def _make_locked(workspace: Workspace, roster: Roster, options: PacketOptions, settings: RenderSettings,
                 on_done: Callable[[ManifestRow], None] | None) -> list[ManifestRow]:
    out_dir = options.out_dir
    remove_stale_temp_files(out_dir)  # left by a killed run; finished packets are untouched
    key = _folder_key(out_dir)
    previous = _previous_manifest(out_dir) if options.resume else {}
    manifest = LiveManifest(out_dir, [ManifestRow(e.number, e.patient_id, NOT_STARTED) for e in roster.entries])

    def finish(manifest_row: ManifestRow) -> None:
        manifest.update(manifest_row)
        if on_done:
            on_done(manifest_row)

    def fail(number: int, patient_id: str, error: HandoutgenError, row: RosterRow | None) -> None:
        finish(_row_failure(number, patient_id, error, row))

    manifest.write()  # from now on the folder's manifest describes this run
    completed = False
    try:
        planned = _plan(workspace, roster, options.fallback_language, fail)
        _make_planned(workspace, planned, options, settings, key, previous, roster.path, finish, fail)
        completed = True
    finally:
        try:
            manifest.write()
        except OSError:
            if completed:
                raise  # otherwise the error already on its way says what went wrong
    ordered = manifest.ordered()
    ok_paths = [out_dir / r.output for r in ordered if r.status == OK]
    if options.combined is not None and ok_paths:  # no packet, no print job (a PDF needs a page)
        try:
            write_atomic_with(options.combined, lambda handle: combine(ok_paths, handle))
        except OSError as error:
            raise output_error(error, options.combined) from None
    return ordered


def _make_planned(workspace: Workspace, planned: list[PlannedRow], options: PacketOptions, settings: RenderSettings,
                  key: bytes, previous: dict[str, ManifestRow], roster_path: Path,
                  finish: Callable[[ManifestRow], None],
                  fail: Callable[[int, str, HandoutgenError, RosterRow | None], None]) -> None:
    out_dir = options.out_dir
    used = sorted({key for _, _, keys, _ in planned for key in keys})
    editions = {row_edition(row).suffix: row_edition(row) for _, row, _, _ in planned}
    editions = {suffix: editions.get(suffix, STANDARD) for suffix in {key[2] for key in used}}
    # 2. each packet's keyed input hash, from the handouts' sources (not their PDFs), so --resume
    # keeps finished packets without rendering a handout that no missing packet needs
    shared = {suffix: shared_inputs(workspace, replace(settings, edition=edition), False, False)
              for suffix, edition in editions.items()}
    sources = {k: handout_inputs(shared[k[2]], HandoutFile(k[0], k[1], workspace.handouts_dir / k[0] / f"{k[1]}.yaml"),
                          editions[k[2]]) for k in used}
    cover_hash = _cover_sources_hash(workspace, settings)
    catalog_hashes: dict[str, str] = {}
    pending: list[tuple[PlannedRow, str, Path]] = []
    for number, row, keys, warnings in planned:
        if row.language not in catalog_hashes:
            catalog_hashes[row.language] = _catalog_hash(row.language)
        digest = input_hash(key, row, [(k, sources[k]) for k in keys], cover_hash,
                            catalog_hashes[row.language], settings.paper, options.duplex)
        output = out_dir / f"{row.patient_id}.pdf"
        if (earlier := _finished_before(previous, row.patient_id, digest, output)) is not None:
            finish(_ok_row(number, row, keys, warnings, digest, output, earlier))
        else:
            pending.append(((number, row, keys, warnings), digest, output))
    if settings.typst_covers and pending:
        check_cover_template(settings)
    # 3. render each handout a missing packet needs, once, into a scratch folder the next run
    # cleans if we are killed
    needed = sorted({key for (_, _, keys, _), _, _ in pending for key in keys})
    cache = private_temp_dir(out_dir)
    try:
        handout_pdfs: dict[HandoutKey, Path] = {}
        handout_failure: dict[HandoutKey, HandoutgenError] = {}
        titles: dict[HandoutKey, str] = {}
        # small Chinese faces, cut once per batch, so neither a zh-Hans cover nor a zh-Hans handout
        # carries the glyph slots of all of Noto CJK; not cut when nothing is left to make
        font_faces = write_cjk_faces(cache, workspace.find_style("fonts/fonts.css")) if pending else None
        for suffix, edition in sorted(editions.items()):  # each (handout, language, edition) once
            if not any(s == suffix for _, _, s in needed):
                continue
            files = [HandoutFile(i, lang, workspace.handouts_dir / i / f"{lang}.yaml") for i, lang, s in needed if s == suffix]
            for file, outcome in render_all(workspace, files, replace(settings, edition=edition), options.jobs,
                                            font_faces=font_faces):
                handout_key = (file.id, file.language, suffix)
                if isinstance(outcome, HandoutgenError):
                    handout_failure[handout_key] = outcome
                    continue
                path = cache / f"{file.id}.{file.language}{suffix}.pdf"
                write_atomic(path, outcome.pdf)
                handout_pdfs[handout_key] = path
                titles[handout_key] = plain_text(workspace.load_handout(file).handout.title)  # cover and outline: no markup

        # 4. covers + merge of the packets not finished yet
        tasks: list[PacketTask] = []
        warnings_of: dict[int, list[str]] = {}
        for (number, row, keys, warnings), digest, output in pending:
            broken = [k for k in keys if k in handout_failure]
            if broken:
                fail(number, row.patient_id, HandoutgenError(
                    "handout could not be rendered: " + "; ".join(
                        f"{k[0]} ({k[1]}): {handout_failure[k].render(workspace.root)}" for k in broken),
                    Location(field="handouts")), row)
                continue
            warnings_of[number] = warnings
            enclosed = tuple(EnclosedHandout(titles[k], k[1], k[1] != row.language) for k in keys)
            tasks.append(PacketTask(number, row, tuple(keys), enclosed, digest, output, row_edition(row)))

        worker_args = (settings, options.duplex, handout_pdfs, roster_path, font_faces)
        executor = options.executor or LocalExecutor(options.jobs, options.recycle_after)
        run: Generator[PacketDone | BuiltPacket | HandoutgenError, None, None]
        if executor.remote:  # workers elsewhere: the files they read travel with them, packets come back
            shipment = Shipment.pack(_start_worker, worker_args, [*settings.template_path, *settings.style_path,
                                                                  settings.brand.folder, cache], settings.base)
            run = executor.ordered_map(_build_in_worker, tasks, initializer=start_shipped, initargs=(shipment,))
        else:
            run = executor.ordered_map(_make_in_worker, tasks, initializer=_start_worker, initargs=worker_args)
        with contextlib.closing(run) as packets:
            for task, made in zip(tasks, packets):
                packet = write_packet(task, made, roster_path) if isinstance(made, BuiltPacket) else made
                if isinstance(packet, OutputError):
                    raise packet  # the folder takes no more files: stop, keep the manifest true
                if isinstance(packet, HandoutgenError):
                    fail(task.number, task.row.patient_id, packet, task.row)
                else:
                    finish(_ok_row(task.number, task.row, list(task.handouts), warnings_of[task.number],
                                   task.input_hash, task.output, packet))
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def _ok_row(number: int, row: RosterRow, keys: list[HandoutKey], warnings: list[str], digest: str,
            output: Path, done: PacketDone) -> ManifestRow:
    return ManifestRow(
        row=number, patient_id=row.patient_id, status=OK, output=output.name, pages=done.pages,
        sha256=done.sha256, bytes=done.size, language=row.language,
        handouts=[f"{i}.{lang}{suffix}" for i, lang, suffix in keys], warnings=warnings, input_hmac=digest,
    )
