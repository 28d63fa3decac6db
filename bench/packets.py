"""Packets/s for the render-once route vs the naive route, side by side in one run.

Usage: python bench/packets.py [N] [--jobs J] [--naive-sample M]

Makes a synthetic roster of N patients (cover + 2 handouts each) in a temp folder and
times, on the same machine in the same run, with the same number of worker processes:
- render-once: `make_packets` (each handout rendered once per batch, only the cover per
  patient, merged with pikepdf);
- naive: the whole packet as one HTML document (cover + both handouts) rendered by
  WeasyPrint per patient, the straightforward way (stylesheets and fonts loaded for
  each render) — the route the issue describes;
- naive, warm parts: cover and both handouts rendered separately per patient with a
  warm renderer, then merged — a kinder baseline, shown so the ratio is not flattered.
The naive routes are timed on the first M rows (default min(N, 40)) because they are
slow; rates are per packet, so they compare. Also prints the peak RSS of any render-once worker process
(a fresh pool takes over every 500 packets per worker, so it should not grow with N).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pikepdf

from handoutgen.render.assemble import assemble_packet
from handoutgen.builder import HandoutRenderer, default_jobs
from handoutgen.packets.run import PacketOptions, make_packets
from handoutgen.render.html import EnclosedHandout, HtmlDocument, render_cover_html, render_handout_html
from handoutgen.packets.roster import load_roster
from handoutgen.render.pdf import PdfRenderer
from handoutgen.workspace import Workspace
from handoutgen.write import write_atomic

ROOT = Path(__file__).resolve().parent.parent
HANDOUTS = ("retrograde-pyelography", "nephrostomy-ureteral-stent")


def write_roster(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", "patient_name", "language", "handouts", "appointment",
                         "arrive_minutes_before", "location", "clinician", "prep"])
        for i in range(count):
            writer.writerow([f"P{i:06d}", f"Test Patient {i}", "en", ";".join(HANDOUTS),
                             f"2026-12-{1 + i % 28:02d}T{8 + i % 9:02d}:30", 30, "Building B, 2nd floor",
                             "Dr. Example", "Nothing to eat or drink after midnight."])


_naive: HandoutRenderer | None = None


def _naive_start() -> None:
    global _naive
    workspace = Workspace(ROOT)
    _naive = HandoutRenderer(workspace, workspace.render_settings())


def _documents(row):  # noqa: ANN001, ANN202
    assert _naive is not None
    workspace = _naive.workspace
    files = [f for f in workspace.handout_files() if f.id in row.handouts and f.language == "en"]
    handouts = [workspace.load_handout(f).handout for f in files]
    enclosed = [EnclosedHandout(h.title, "en", False) for h in handouts]
    cover = render_cover_html(row, enclosed, _naive.settings)
    return files, cover


def _naive_whole_packet(job: tuple) -> None:
    """Naive: the whole packet is one HTML document, laid out by WeasyPrint per patient."""
    row, out = job
    assert _naive is not None
    workspace = _naive.workspace
    files, cover = _documents(row)
    parts = [cover.html] + [
        render_handout_html(workspace.load_handout(f), _naive.settings).html for f in files
    ]
    first_handout_page_css = render_handout_html(workspace.load_handout(files[0]), _naive.settings).page_css
    # Section ids repeat from handout to handout; one document needs them unique.
    bodies = "".join(
        f'<div style="break-before: page">{part.split("<body>", 1)[1].rsplit("</body>", 1)[0]}</div>'
        .replace(' id="', f' data-part="{n}" id="{n}-')
        for n, part in enumerate(parts)
    )
    html = cover.html.split("<body>", 1)[0] + "<body>" + bodies + "</body></html>"
    document = HtmlDocument(html, first_handout_page_css, cover.base_url,
                            ("fonts/fonts.css", "handout.css", "cover.css"))
    fresh = PdfRenderer(workspace.style_path, workspace.render_roots)
    write_atomic(out / f"{row.patient_id}.pdf", fresh.render(document, source=workspace.root))


def _naive_warm_parts(job: tuple) -> None:
    """Kinder baseline: cover and each handout rendered separately per patient, then merged."""
    row, out = job
    assert _naive is not None
    files, cover = _documents(row)
    opened = [pikepdf.open(io.BytesIO(_naive.render(f).pdf)) for f in files]
    cover_pdf = _naive.pdf.render(cover, source=_naive.workspace.root)
    data, _ = assemble_packet(cover_pdf, opened, False)
    write_atomic(out / f"{row.patient_id}.pdf", data)


def _rate(route, rows: list, out: Path, jobs: int) -> float:  # noqa: ANN001
    out.mkdir()
    start = time.perf_counter()
    with ProcessPoolExecutor(jobs, initializer=_naive_start) as pool:
        list(pool.map(route, [(row, out) for row in rows], chunksize=4))
    return len(rows) / (time.perf_counter() - start)


class DescendantMemory:
    """Polls /proc for the largest resident size of any process below this one.

    getrusage(RUSAGE_CHILDREN) cannot see forkserver workers (they are the forkserver's
    children, not ours), so this reads VmRSS of every descendant a few times a second.
    """

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> DescendantMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.1):
            parents = {}
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                    parents[int(stat.parent.name)] = int(fields[1])
                except (OSError, IndexError, ValueError):
                    continue
            for pid in parents:
                ancestor = parents.get(pid)
                while ancestor not in (None, 0, 1, me):
                    ancestor = parents.get(ancestor)
                if ancestor == me:
                    try:
                        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                            if line.startswith("VmRSS:"):
                                self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                    except OSError:
                        continue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=300)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--naive-sample", type=int, default=None)
    options = parser.parse_args()
    naive_count = options.naive_sample or min(options.count, 40)

    workspace = Workspace(ROOT)
    with tempfile.TemporaryDirectory() as temp:
        temp_path = Path(temp)
        roster_path = temp_path / "roster.csv"
        write_roster(roster_path, options.count)
        roster = load_roster(roster_path)

        rows = [entry.row for entry in roster.entries[:naive_count]]
        naive_rate = _rate(_naive_whole_packet, rows, temp_path / "naive", options.jobs)
        warm_rate = _rate(_naive_warm_parts, rows, temp_path / "warm", options.jobs)

        start = time.perf_counter()
        with DescendantMemory() as memory:
            results = make_packets(workspace, roster, PacketOptions(out_dir=temp_path / "fast", jobs=options.jobs))
        fast_seconds = time.perf_counter() - start
        assert all(r.status == "ok" for r in results), [r.error for r in results if r.error][:3]
        fast_rate = options.count / fast_seconds

    print(f"jobs={options.jobs}, cover + {len(HANDOUTS)} handouts per packet")
    print(f"  naive, whole packet HTML per patient ({naive_count} packets): {naive_rate:6.1f} packets/s")
    print(f"  naive, warm parts per patient ({naive_count} packets):       {warm_rate:6.1f} packets/s")
    print(f"  render-once + merge ({options.count} packets):               {fast_rate:6.1f} packets/s "
          f"({fast_seconds:.1f} s incl. pool start-up)")
    print(f"  ratio render-once / naive whole packet: {fast_rate / naive_rate:.1f}x")
    print(f"  ratio render-once / naive warm parts:   {fast_rate / warm_rate:.1f}x")
    print(f"  render-once: peak RSS of any worker process: {memory.peak_kb / 1024:.0f} MB "
          "(a fresh pool every 500 packets per worker)")


if __name__ == "__main__":
    sys.exit(main())
