"""A 100,000-row roster: wall time and peak memory of `handoutgen packets`, and how they scale.

Usage: python bench/roster_scale.py [--rows 100000] [--sample 1000] [--jobs 2] [--full]

Without --full (minutes, not an hour):
1. the parent's own work on all ROWS rows — reading and validating the roster (with 1% bad
   rows of the kinds #8 lists), and rewriting the live manifest — timed and with its peak
   memory (tracemalloc), because that is what grows with the roster;
2. end-to-end runs of SAMPLE/2 and SAMPLE rows, side by side in one run, giving packets/s
   and the peak RSS of the parent and of every worker: if memory is flat, the two runs
   show the same worker peak (the ratio is printed);
3. a projection for ROWS rows: parent work + ROWS / (steady packets/s). It is labelled a
   projection.
With --full it also runs all ROWS rows end to end and prints the measured wall time.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

from handoutgen.packets.manifest import NOT_STARTED, LiveManifest, ManifestRow
from handoutgen.packets.run import PacketOptions, make_packets
from handoutgen.packets.roster import load_roster
from handoutgen.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
HANDOUTS = "retrograde-pyelography;nephrostomy-ureteral-stent"
BAD_CELLS = ("46357.39", "2026-02-30T10:00", '"unclosed', "=cmd|' /C calc'!A0")


def write_roster(path: Path, count: int, bad_share: float = 0.01) -> None:
    every = int(1 / bad_share) if bad_share else 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write("patient_id,patient_name,language,handouts,appointment,arrive_minutes_before,location,prep\n")
        writer = csv.writer(handle)
        for i in range(count):
            appointment = f"2026-12-{1 + i % 28:02d}T{8 + i % 9:02d}:30"
            if every and i % every == every - 1:
                appointment = BAD_CELLS[(i // every) % len(BAD_CELLS)]
                if appointment.startswith('"'):
                    handle.write(f"P{i:06d},Test Patient {i},en,{HANDOUTS},2026-12-01T09:00,30,{appointment},\n")
                    continue
            writer.writerow([f"P{i:06d}", f"Test Patient {i}", "en", HANDOUTS, appointment, 30,
                             "Building B, 2nd floor", "Nothing to eat or drink after midnight."])


def _children_peak_rss(stop: threading.Event, peaks: dict[int, int]) -> None:
    """Poll /proc for our descendants' VmHWM (getrusage cannot see forkserver workers)."""
    me = os.getpid()
    while not stop.wait(0.2):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if int(fields.get("PPid", "0")) in (me, *peaks) or int(entry.name) in peaks:
                hwm = fields.get("VmHWM", "0 kB").split()[0]
                peaks[int(entry.name)] = max(peaks.get(int(entry.name), 0), int(hwm))


def run_packets(rows: int, jobs: int, folder: Path) -> dict[str, float]:
    path = folder / f"roster-{rows}.csv"
    write_roster(path, rows)
    peaks: dict[int, int] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=_children_peak_rss, args=(stop, peaks), daemon=True)
    watcher.start()
    start = time.perf_counter()
    result = make_packets(Workspace(ROOT), load_roster(path), PacketOptions(out_dir=folder / f"out-{rows}", jobs=jobs))
    wall = time.perf_counter() - start
    stop.set()
    watcher.join()
    ok = sum(1 for r in result if r.status == "ok")
    return {"rows": rows, "ok": ok, "wall": wall, "rate": ok / wall,
            "worker_peak_mb": max(peaks.values(), default=0) / 1024}


def parent_work(rows: int, folder: Path) -> dict[str, float]:
    path = folder / "parent.csv"
    write_roster(path, rows)
    tracemalloc.start()
    start = time.perf_counter()
    roster = load_roster(path)
    loaded = time.perf_counter() - start
    manifest = LiveManifest(folder, [ManifestRow(e.number, e.patient_id, NOT_STARTED) for e in roster.entries])
    start = time.perf_counter()
    manifest.write()
    one_write = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    failed = sum(1 for e in roster.entries if e.error is not None)
    return {"load": loaded, "manifest_write": one_write, "interval": manifest._interval,
            "peak_mb": peak / 2**20, "failed_rows": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="also run all ROWS rows end to end (about an hour)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="handoutgen-bench-") as tmp:
        folder = Path(tmp)
        parent = parent_work(args.rows, folder)
        print(f"parent, {args.rows:,} rows: roster read+validated in {parent['load']:.1f} s "
              f"({parent['failed_rows']:,} bad rows caught), one manifest write {parent['manifest_write']:.2f} s "
              f"(rewritten at most every {parent['interval']:.1f} s), peak Python memory {parent['peak_mb']:.0f} MB")
        run_packets(10, args.jobs, folder)  # warm-up: imports, font caches, the forkserver
        small = run_packets(args.sample // 2, args.jobs, folder)
        large = run_packets(args.sample, args.jobs, folder)
        for run in (small, large):
            print(f"end to end, {run['rows']:,} rows, jobs={args.jobs}: {run['wall']:.1f} s, "
                  f"{run['rate']:.1f} packets/s, worker peak RSS {run['worker_peak_mb']:.0f} MB")
        steady = (large["rows"] - small["rows"]) / max(1e-9, large["wall"] - small["wall"])
        print(f"worker peak RSS ratio {large['rows']:,} vs {small['rows']:,} rows: "
              f"{large['worker_peak_mb'] / max(1, small['worker_peak_mb']):.2f} (1.00 = flat)")
        parent_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"parent peak RSS so far: {parent_rss:.0f} MB")
        projected = parent["load"] + args.rows / steady
        print(f"projection for {args.rows:,} rows at the steady {steady:.1f} packets/s: "
              f"{projected / 60:.0f} min (projection, not a measurement)")
        if args.rows >= 100_000 and args.jobs <= 2:
            print(f"{'PASS' if projected < 25 * 60 else 'FAIL'} issue #14 target: 100,000 rows with --jobs 2 under "
                  f"25 min (projected {projected / 60:.0f} min)")
        if args.full:
            full = run_packets(args.rows, args.jobs, folder)
            verdict = ("PASS " if full["wall"] < 25 * 60 else "FAIL ") if args.rows >= 100_000 and args.jobs <= 2 else ""
            print(f"{verdict}measured, {args.rows:,} rows end to end: {full['wall'] / 60:.1f} min, "
                  f"{full['rate']:.1f} packets/s, worker peak RSS {full['worker_peak_mb']:.0f} MB, parent peak RSS "
                  f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
