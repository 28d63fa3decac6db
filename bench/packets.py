"""Packets, measured honestly: routes interleaved and repeated on the same machine in one run.

Usage: python bench/packets.py [N] [--jobs J] [--repeat R] [--naive-sample M] [--sample S]

Each round runs, one after the other so machine load hits them alike:
- render-once with N and N/2 rows (`make_packets`: handouts rendered once per batch, a cover
  per patient, merged with pikepdf); the difference of the two gives the steady rate without
  pool start-up;
- naive: the whole packet as one HTML document per patient (stylesheets and fonts loaded for
  each render), on the first M rows (slow, so fewer rows; rates are per packet).
Reported: packets/s and CPU ms per packet (all processes: this one and every worker, read from
/proc), min and median over R rounds; peak RSS of the parent and of any worker. Then, per
language of a mixed roster (en, es, ar, zh-Hans, ru with English handouts), the CPU of one
packet in one warm worker and the cover's size; a --resume of a finished set of N; and
--combined of that set (`--combined-only`: just that, for N packets made once, the streamed
route beside the previous qpdf one). When Debian's chromium and Playwright are installed, a
warm Chromium doing the render-once route (handouts printed once, a cover per patient, the same merge) runs
in every round too, beside render-once with one job. Targets from issue #14 are printed
PASS/FAIL.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import resource
import statistics
import sys
import tempfile
import threading
import time
import hashlib
import json
import subprocess
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import BinaryIO, cast

import pikepdf

from handoutgen.builder import HandoutRenderer
from handoutgen.packets.roster import load_roster
from handoutgen.packets.run import PacketOptions, make_packets
from handoutgen.render.html import HtmlDocument, render_cover_html, render_handout_html, EnclosedHandout
from handoutgen.render.combine import COMBINED_TITLE, combine
from handoutgen.render.pdf import PdfRenderer
from handoutgen.render.tags import PDF_VERSION, Part, merge
from handoutgen.workspace import Workspace
from handoutgen.write import write_atomic

ROOT = Path(__file__).resolve().parent.parent
HANDOUTS = ("retrograde-pyelography", "nephrostomy-ureteral-stent")
NAMES = {"en": "Test Patient", "es": "José Pérez", "ar": "محمد علي", "zh-Hans": "王小明", "ru": "Иван Петров"}
PLACES = {"zh-Hans": ("B栋2楼", "李医生", "午夜后请勿进食或饮水。")}
TICK = os.sysconf("SC_CLK_TCK")


def write_roster(path: Path, count: int, languages: tuple[str, ...] = ("en",)) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", "patient_name", "language", "handouts", "appointment",
                         "arrive_minutes_before", "location", "clinician", "prep"])
        for i in range(count):
            language = languages[i % len(languages)]
            place = PLACES.get(language, ("Building B, 2nd floor", "Dr. Example", "Nothing to eat or drink after midnight."))
            handouts = HANDOUTS if language in ("en", "es", "ar") else HANDOUTS[:1]
            writer.writerow([f"P{i:06d}", f"{NAMES[language]} {i}", language, ";".join(handouts),
                             f"2026-12-{1 + i % 28:02d}T{8 + i % 9:02d}:30", 30, *place])


class Processes:
    """Polls /proc: peak RSS and CPU time of every process below this one.

    getrusage(RUSAGE_CHILDREN) cannot see forkserver workers (the forkserver's children), so
    each descendant's utime+stime is read a few times a second; a worker's last ~0.1 s before
    it exits can be missed (CPU is a slight underestimate, never an overestimate).
    """

    def __init__(self) -> None:
        self.peak_kb = 0
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> Processes:
        self._start = time.process_time()
        self._poll_cpu = 0.0
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self._stop.set()
        self._thread.join()
        # this process's CPU, less what the polling itself cost
        self.own_cpu = time.process_time() - self._start - self._poll_cpu

    def total_cpu(self) -> float:
        return self.own_cpu + sum(self.cpu.values())

    def _poll(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.1):
            started = time.thread_time()
            self._read(me)
            self._poll_cpu += time.thread_time() - started

    def _read(self, me: int) -> None:
        stats = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                stats[int(stat.parent.name)] = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError, ValueError):
                continue
        parents = {pid: int(fields[1]) for pid, fields in stats.items()}
        for pid, fields in stats.items():
            ancestor = parents.get(pid)
            while ancestor not in (None, 0, 1, me):
                ancestor = parents.get(ancestor)
            if ancestor != me:
                continue
            self.cpu[pid] = (int(fields[11]) + int(fields[12])) / TICK
            self.peak_kb = max(self.peak_kb, int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024)


_naive: HandoutRenderer | None = None


def _naive_start() -> None:
    global _naive
    workspace = Workspace(ROOT)
    _naive = HandoutRenderer(workspace, workspace.render_settings())


def _naive_whole_packet(job: tuple) -> None:
    """Naive: the whole packet is one HTML document, laid out by WeasyPrint per patient."""
    row, out = job
    assert _naive is not None
    workspace = _naive.workspace
    files = [f for f in workspace.handout_files() if f.id in row.handouts and f.language == "en"]
    handouts = [workspace.load_handout(f) for f in files]
    cover = render_cover_html(row, [EnclosedHandout(h.handout.title, "en", False) for h in handouts], _naive.settings)
    documents = [render_handout_html(h, _naive.settings) for h in handouts]
    # Section ids repeat from handout to handout; one document needs them unique.
    bodies = "".join(
        f'<div style="break-before: page">{part.split("<body>", 1)[1].rsplit("</body>", 1)[0]}</div>'
        .replace(' id="', f' data-part="{n}" id="{n}-')
        for n, part in enumerate([cover.html] + [d.html for d in documents])
    )
    html = cover.html.split("<body>", 1)[0] + "<body>" + bodies + "</body></html>"
    document = HtmlDocument(html, documents[0].page_css, cover.base_url, ("fonts/fonts.css", "handout.css", "cover.css"))
    fresh = PdfRenderer(workspace.style_path, workspace.render_roots)
    write_atomic(out / f"{row.patient_id}.pdf", fresh.render(document, source=workspace.root))


def naive_route(rows: list, out: Path, jobs: int) -> tuple[float, float, int]:
    out.mkdir()
    with Processes() as processes:
        start = time.perf_counter()
        with ProcessPoolExecutor(jobs, initializer=_naive_start) as pool:
            list(pool.map(_naive_whole_packet, [(row, out) for row in rows], chunksize=2))
        wall = time.perf_counter() - start
    return wall, processes.total_cpu(), processes.peak_kb


CHROMIUM = Path("/usr/bin/chromium")


def _chromium_html(document: HtmlDocument, style_path: tuple[Path, ...]) -> str:
    """``document`` with its stylesheets inlined and font URLs made absolute, for Chromium."""
    from handoutgen.resources import find

    css = []
    for name in document.stylesheets:
        path = find(style_path, name)
        folder = path.parent
        css.append(re.sub(r"url\(([^)]+)\)", lambda m, folder=folder: f"url({(folder / m[1].strip(chr(39) + chr(34))).as_uri()})",
                          path.read_text(encoding="utf-8")))
    css.append(document.page_css)
    style = "<style>" + "\n".join(css) + "</style>"
    return document.html.replace("</head>", style + f'<base href="{document.base_url}"></head>', 1)


def chromium_route(rows: list, out: Path) -> tuple[float, float, int] | None:
    """Warm Chromium (Debian's, through Playwright), the render-once way: each handout printed
    once, then per patient only the cover, merged with the same pikepdf code. One browser."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not CHROMIUM.is_file():
        return None
    from handoutgen.render.assemble import assemble_packet

    workspace = Workspace(ROOT)
    settings = workspace.render_settings()
    out.mkdir()
    with sync_playwright() as playwright, Processes() as processes:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        page = browser.new_page()

        def pdf_of(document: HtmlDocument) -> bytes:
            path = out / "page.html"
            path.write_text(_chromium_html(document, settings.style_path), encoding="utf-8")
            page.goto(path.as_uri())
            return page.pdf(prefer_css_page_size=True)

        start = time.perf_counter()
        files = [f for f in workspace.handout_files() if f.id in HANDOUTS and f.language == "en"]
        handouts = [pikepdf.open(io.BytesIO(pdf_of(render_handout_html(workspace.load_handout(f), settings))))
                    for f in files]
        titles = [workspace.load_handout(f).handout.title for f in files]
        for row in rows:
            cover = pdf_of(render_cover_html(row, [EnclosedHandout(t, "en", False) for t in titles], settings))
            data, _ = assemble_packet(cover, handouts, False)
            write_atomic(out / f"{row.patient_id}.pdf", data)
        wall = time.perf_counter() - start
        browser.close()
    return wall, processes.total_cpu(), processes.peak_kb


def render_once(roster_path: Path, out: Path, jobs: int, **options) -> tuple[float, float, int]:
    roster = load_roster(roster_path)
    with Processes() as processes:
        start = time.perf_counter()
        results = make_packets(Workspace(ROOT), roster, PacketOptions(out_dir=out, jobs=jobs, **options))
        wall = time.perf_counter() - start
    assert all(r.status == "ok" for r in results), [r.error for r in results if r.error][:3]
    return wall, processes.total_cpu(), processes.peak_kb


def per_language(folder: Path, sample: int) -> dict[str, tuple[float, int, int]]:
    """The 5-language mixed roster (rows cycle through the languages, so load hits them alike),
    made with one job in this process: language → (median CPU ms of one packet, cover bytes,
    packet bytes), after three warm-up packets of each language."""
    from handoutgen.packets import run

    path = folder / "mixed.csv"
    write_roster(path, (sample + 3) * len(NAMES), tuple(NAMES))
    calls: dict[str, list[float]] = {language: [] for language in NAMES}
    real_make = run.PacketWorker.make

    def timed_make(worker, task):  # noqa: ANN001, ANN202
        start = time.process_time()
        try:
            return real_make(worker, task)
        finally:
            calls[task.row.language].append(time.process_time() - start)

    run.PacketWorker.make = timed_make
    try:
        results = make_packets(Workspace(ROOT), load_roster(path),
                               PacketOptions(out_dir=folder / "mixed", jobs=1, fallback_language="en"))
    finally:
        run.PacketWorker.make = real_make
    assert all(r.status == "ok" for r in results), [r.error for r in results if r.error][:3]
    found = {}
    for language in NAMES:
        last = folder / "mixed" / [r for r in results if r.language == language][-1].output
        with pikepdf.open(last) as packet, pikepdf.new() as cover:
            cover.pages.append(packet.pages[0])
            buffer = io.BytesIO()
            cover.save(buffer)
        found[language] = (statistics.median(calls[language][3:]) * 1000, len(buffer.getvalue()), last.stat().st_size)
    return found


def combine_with_qpdf(paths: list[Path], output: BinaryIO) -> None:
    """The route --combined took before render/combine.py (kept here only to compare): every
    packet merged into one pikepdf document with tags.merge, saved once at the end.

    Every packet carries its own copy of the same handouts; in the print job each distinct
    stream (a handout page's content, a font program, an image) is stored once and every page
    refers to it, so the file is about the size of the covers plus one copy of each handout.
    Packets are opened one at a time: once merged, a packet's streams hold their own bytes and
    the packet is closed (qpdf would otherwise keep every packet's parsed objects until the end).
    """
    with pikepdf.new() as combined:
        shared = _SharedStreams()

        def parts() -> Iterator[Part]:
            for path in paths:
                with pikepdf.open(path) as source:
                    yield Part(source)
                    # merge() has copied this packet (it asks for the next one only then); copying a
                    # page again gives the copy it made
                    shared.adopt(combined.copy_foreign(page.obj) for page in source.pages)

        merge(combined, parts(), COMBINED_TITLE)
        # object streams: the structure elements, a few hundred per packet, compress well together
        combined.save(output, deterministic_id=True, min_version=PDF_VERSION,
                      object_stream_mode=pikepdf.ObjectStreamMode.generate)


# Back up the page tree or into the structure tree, or long arrays of numbers (glyph widths):
# nothing there leads to a stream.
_NOT_RESOURCES = frozenset(("/Parent", "/P", "/StructParent", "/StructParents", "/W", "/W2", "/Widths"))


class _SharedStreams:
    """Pages refer to one object for streams with the same bytes and dictionary; the first of
    each kind is given its own copy of the bytes, so the file it was copied from may close."""

    def __init__(self) -> None:
        self.canonical: dict[tuple[bytes, bytes], pikepdf.Object] = {}
        self.done: dict[tuple[int, int], pikepdf.Object] = {}  # indirect object → what replaces it

    def adopt(self, pages: Iterable[pikepdf.Object]) -> None:
        for page in pages:
            for name in ("/Contents", "/Resources", "/Annots"):
                if name in page:
                    value = page[name]
                    if (swapped := self._shared(value)) is not value:
                        page[name] = swapped

    def _shared(self, obj: pikepdf.Object) -> pikepdf.Object:
        """``obj`` with its members shared (bottom-up); a stream is swapped for its first twin."""
        if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)):
            return obj
        if obj.is_indirect:
            if obj.objgen in self.done:
                return self.done[obj.objgen]  # a stream two pages share is swapped on both
            self.done[obj.objgen] = obj
        if isinstance(obj, pikepdf.Array):
            for index, item in enumerate(obj):
                if (swapped := self._shared(item)) is not item:
                    obj[index] = swapped
            return obj
        holder = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
        for key in list(holder.keys()):
            if key in _NOT_RESOURCES:
                continue
            value = holder[key]
            if (swapped := self._shared(value)) is not value:
                holder[key] = swapped
        if not isinstance(obj, pikepdf.Stream):
            return obj
        raw = obj.read_raw_bytes()
        twin = self.canonical.setdefault((hashlib.sha256(raw).digest(), holder.unparse()), obj)
        if twin is obj:  # the first: its bytes are kept here, not read from its packet at save time
            obj.write(raw, filter=cast("pikepdf.Name | pikepdf.Array | None", holder.get("/Filter")),
                      decode_parms=cast("pikepdf.Dictionary | pikepdf.Array | None", holder.get("/DecodeParms")))
        self.done[obj.objgen] = twin
        return twin


COMBINE_ROUTES = {"streamed": combine, "qpdf": combine_with_qpdf}


def measure_combine(route: str, paths: list[Path], output: Path) -> tuple[float, float, int, int]:
    """One route combining ``paths`` in a fresh process: (wall s, CPU s, peak RSS KB, file bytes).
    A process of its own, so its peak is its own (its imports included, ~35 MB): VmHWM, as
    Linux carries ru_maxrss over from the forking parent through exec."""
    listing = output.with_suffix(".list")
    listing.write_text("\n".join(str(p) for p in paths), encoding="utf-8")
    done = subprocess.run([sys.executable, __file__, "--combine-child", route, str(listing), str(output)],
                          check=True, capture_output=True, text=True)
    wall, cpu, peak = json.loads(done.stdout)
    return wall, cpu, peak, output.stat().st_size


def _combine_child(route: str, listing: Path, output: Path) -> None:
    paths = [Path(line) for line in listing.read_text(encoding="utf-8").splitlines()]
    start, cpu = time.perf_counter(), time.process_time()
    with output.open("wb") as handle:
        COMBINE_ROUTES[route](paths, handle)
        handle.flush()
        os.fsync(handle.fileno())
    status = Path("/proc/self/status").read_text()
    print(json.dumps([time.perf_counter() - start, time.process_time() - cpu,
                      int(re.search(r"VmHWM:\s+(\d+) kB", status)[1])]))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def combined_bench(count: int, jobs: int, repeat: int, qpdf_sample: int, languages: tuple[str, ...]) -> None:
    """--combined alone: N packets made once, then combined by the streamed route (all N) and,
    on the first ``qpdf_sample`` packets, by the streamed and the previous qpdf route, interleaved."""
    with tempfile.TemporaryDirectory(prefix="handoutgen-bench-") as temp:
        folder = Path(temp)
        roster = folder / "roster.csv"
        write_roster(roster, count, languages)
        made, _, _ = render_once(roster, folder / "packets", jobs, fallback_language="en")
        paths = [folder / "packets" / f"P{i:06d}.pdf" for i in range(count)]  # roster order
        packets_size = sum(path.stat().st_size for path in paths)
        sample = paths[:qpdf_sample]
        print(f"{count} packets ({', '.join(languages)}; cover + handouts) made in {made:.0f} s, "
              f"{packets_size / 1e6:.1f} MB; each combine in a process of its own, {repeat} interleaved rounds "
              "(min / median):")
        runs: dict[str, list[tuple[float, float, int, int]]] = {"streamed": [], "streamed-sample": [], "qpdf-sample": []}
        for _ in range(repeat):
            runs["streamed"].append(measure_combine("streamed", paths, folder / "streamed.pdf"))
            if sample:
                runs["streamed-sample"].append(measure_combine("streamed", sample, folder / "streamed-sample.pdf"))
                runs["qpdf-sample"].append(measure_combine("qpdf", sample, folder / "qpdf-sample.pdf"))
        for label, route, n in (("streamed", "streamed", count), ("streamed", "streamed-sample", len(sample)),
                                ("qpdf (before)", "qpdf-sample", len(sample))):
            if not runs[route]:
                continue
            walls, cpus = [r[0] for r in runs[route]], [r[1] / n * 1000 for r in runs[route]]
            peak, size = max(r[2] for r in runs[route]) / 1024, runs[route][0][3]
            print(f"  {label:13} N={n:5}: {min(walls):6.1f} / {statistics.median(walls):6.1f} s, "
                  f"CPU {min(cpus):5.2f} / {statistics.median(cpus):5.2f} ms per packet, peak RSS {peak:6.0f} MB, "
                  f"{size / 1e6:7.1f} MB")
        if sample:
            ratios = [q[0] / s[0] for q, s in zip(runs["qpdf-sample"], runs["streamed-sample"])]
            memory = max(r[2] for r in runs["qpdf-sample"]) / max(r[2] for r in runs["streamed-sample"])
            print(f"  qpdf / streamed at N={len(sample)}, same round: {min(ratios):.1f}x / "
                  f"{statistics.median(ratios):.1f}x wall, {memory:.1f}x peak RSS")
        wall = statistics.median(r[0] for r in runs["streamed"])
        peak_mb = max(r[2] for r in runs["streamed"]) / 1024
        size = runs["streamed"][0][3]
        print(f"targets (issue #14, meaningful with N=5000; 'today' = every packet's copy, {packets_size / 1e6:.0f} MB):")
        print(f"  {verdict(wall <= 30)} <= 30 s extra (median {wall:.1f} s)")
        print(f"  {verdict(peak_mb <= 1024)} <= 1 GB peak memory ({peak_mb:.0f} MB)")
        print(f"  {verdict(size * 3 <= packets_size)} >= 3x smaller ({packets_size / size:.1f}x: {size / 1e6:.1f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=300)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-sample", type=int, default=None)
    parser.add_argument("--sample", type=int, default=20, help="packets per language of the mixed roster")
    parser.add_argument("--combined-only", action="store_true",
                        help="measure only --combined: N packets made once, then combined (streamed and before)")
    parser.add_argument("--qpdf-sample", type=int, default=300, help="packets the previous --combined route combines")
    parser.add_argument("--languages", default="en", help="roster languages for --combined-only, e.g. en,es,ar,zh-Hans,ru")
    if sys.argv[1:2] == ["--combine-child"]:
        return _combine_child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
    options = parser.parse_args()
    if options.combined_only:
        return combined_bench(options.count, options.jobs, options.repeat, min(options.count, options.qpdf_sample),
                              tuple(options.languages.split(",")))
    count, half, jobs = options.count, options.count // 2, options.jobs
    naive_count = options.naive_sample or min(count, 30)
    recycle = PacketOptions(out_dir=Path(".")).recycle_after

    with tempfile.TemporaryDirectory(prefix="handoutgen-bench-") as temp:
        folder = Path(temp)
        full, small = folder / "full.csv", folder / "half.csv"
        write_roster(full, count)
        write_roster(small, half)
        naive_rows = [e.row for e in load_roster(full).entries[:naive_count]]
        runs: dict[str, list[tuple[float, float, int]]] = {"once": [], "half": [], "naive": [], "chromium": [],
                                                           "once-1": []}
        one_job = folder / "one-job.csv"
        write_roster(one_job, naive_count)
        render_once(small, folder / "warm-up", jobs)  # imports, font caches, the forkserver
        for round_ in range(options.repeat):  # interleaved: every route sees the same load
            runs["once"].append(render_once(full, folder / f"once-{round_}", jobs))
            runs["half"].append(render_once(small, folder / f"half-{round_}", jobs))
            runs["naive"].append(naive_route(naive_rows, folder / f"naive-{round_}", jobs))
            if (chromium := chromium_route(naive_rows, folder / f"chromium-{round_}")) is not None:
                runs["chromium"].append(chromium)  # one browser: compared with render-once on one job
                runs["once-1"].append(render_once(one_job, folder / f"once-1-{round_}", 1))

        def rates(route: str, n: int) -> list[float]:
            return [n / wall for wall, _, _ in runs[route]]

        def cpu_ms(route: str, n: int) -> list[float]:
            return [cpu / n * 1000 for _, cpu, _ in runs[route]]

        steady = [(count - half) / max(1e-9, a[0] - b[0]) for a, b in zip(runs["once"], runs["half"])]
        print(f"jobs={jobs}, cover + {len(HANDOUTS)} handouts per packet, {options.repeat} interleaved rounds "
              "(min / median)")
        for label, route, n in (("render-once", "once", count), ("render-once", "half", half),
                                ("naive whole-HTML", "naive", naive_count)):
            r, c = rates(route, n), cpu_ms(route, n)
            print(f"  {label:17} N={n:5}: {min(r):6.1f} / {statistics.median(r):6.1f} packets/s, "
                  f"CPU {min(c):6.1f} / {statistics.median(c):6.1f} ms per packet (all processes)")
        if runs["chromium"]:
            for label, route in (("Chromium, warm", "chromium"), ("render-once 1 job", "once-1")):
                r, c = rates(route, naive_count), cpu_ms(route, naive_count)
                print(f"  {label:17} N={naive_count:5}: {min(r):6.1f} / {statistics.median(r):6.1f} packets/s, "
                      f"CPU {min(c):6.1f} / {statistics.median(c):6.1f} ms per packet (one browser / one process; "
                      "both render the handouts once, inside the time)")
        else:
            print("  Chromium route skipped: /usr/bin/chromium or Playwright is not installed")
        print(f"  render-once steady state (N minus N/2, no start-up): {min(steady):6.1f} / "
              f"{statistics.median(steady):6.1f} packets/s")
        ratios = [o / n for o, n in zip(rates("once", count), rates("naive", naive_count))]
        cpu_ratios = [n / o for o, n in zip(cpu_ms("once", count), cpu_ms("naive", naive_count))]
        print(f"  render-once / naive, same round: {min(ratios):.1f}x / {statistics.median(ratios):.1f}x wall, "
              f"{min(cpu_ratios):.1f}x / {statistics.median(cpu_ratios):.1f}x CPU")
        worker_full = max(p for _, _, p in runs["once"]) / 1024
        worker_half = max(p for _, _, p in runs["half"]) / 1024
        print(f"  peak RSS of any worker: {worker_full:.0f} MB at N={count}, {worker_half:.0f} MB at N={half}; "
              f"parent {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        waves = -(-count // (jobs * recycle))
        print(f"  workers: a fresh pool every {jobs * recycle} packets ({recycle} per worker): "
              f"{waves} pool(s) at N={count}" + ("" if waves > 1 else ", so no worker was replaced in these runs"))

        languages = per_language(folder, options.sample)
        print(f"mixed roster of {len(NAMES)} languages, one job, median of {options.sample} packets each after warm-up "
              "(cover + merge + write CPU; ru uses the English handouts):")
        for language, (ms, size, packet) in languages.items():
            print(f"  {language:8} {ms:6.1f} ms CPU ({ms / languages['en'][0]:.2f}x en), cover {size / 1000:5.1f} KB, "
                  f"packet {packet / 1000:6.1f} KB")

        resumed = [render_once(full, folder / "once-0", jobs, resume=True)[0] for _ in range(2)]
        print(f"--resume of a finished set of {count}: {min(resumed):.2f} s")
        combined = folder / "print.pdf"
        with Processes():
            start = time.perf_counter()
            peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            render_once(full, folder / "once-0", jobs, resume=True, combined=combined)
            combine_wall = time.perf_counter() - start - min(resumed)
        packets_size = sum(p.stat().st_size for p in (folder / "once-0").glob("*.pdf"))
        print(f"--combined of {count}: +{combine_wall:.1f} s, {combined.stat().st_size / 1e6:.1f} MB "
              f"(the packets: {packets_size / 1e6:.1f} MB), parent peak RSS "
              f"{max(peak_before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024:.0f} MB so far")

        zh, en = languages["zh-Hans"], languages["en"]
        print("targets (issue #14; meaningful on a quiet 2-core machine with N=1000):")
        print(f"  {verdict(statistics.median(steady) >= 80)} >= 80 packets/s steady state "
              f"(median {statistics.median(steady):.1f})")
        print(f"  {verdict(statistics.median(ratios) >= 20)} >= 20x the naive whole-HTML route "
              f"(median {statistics.median(ratios):.1f}x)")
        print(f"  {verdict(zh[0] <= 1.5 * en[0])} zh-Hans packet CPU <= 1.5x English ({zh[0] / en[0]:.2f}x)")
        print(f"  {verdict(zh[1] <= 60_000)} zh-Hans cover <= 60 KB ({zh[1] / 1000:.1f} KB)")
        print(f"  {verdict(worker_full <= worker_half * 1.1)} worker memory flat "
              f"({worker_full:.0f} MB at N={count} vs {worker_half:.0f} MB at N={half})")
        print("  100,000 rows with --jobs 2 < 25 min: run bench/roster_scale.py --rows 100000 --jobs 2")


if __name__ == "__main__":
    sys.exit(main())
