"""Render speed, measured side by side in one run (the machine is shared and noisy).

Prints:
- ms per handout in-process after warm-up (target: a 2-page handout <= 200 ms);
- handouts/s for building all samples sequentially vs with the process pool, and their ratio;
- wall time of `handoutgen check` / `list` vs `handoutgen build` as commands (target: check, list < 0.5 s).

Usage: python bench/render.py [--rounds N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pikepdf

from handoutgen.builder import HandoutRenderer, default_jobs, render_all
from handoutgen.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def command_seconds(*args: str) -> float:
    handoutgen = Path(sys.executable).parent / "handoutgen"
    return timed(lambda: subprocess.run([handoutgen, *args, "-w", str(ROOT)], check=True, capture_output=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="repetitions of each measurement")
    parser.add_argument("--copies", type=int, default=8, help="times each sample is rendered per batch")
    options = parser.parse_args()

    workspace = Workspace(ROOT)
    files = workspace.handout_files()
    settings = workspace.render_settings()
    renderer = HandoutRenderer(workspace, settings)
    for file in files:  # warm-up: fonts, CSS, templates
        renderer.render(file)

    print(f"in-process render after warm-up (median of {options.rounds}):")

    for file in files:
        pdf = renderer.render(file).pdf
        with pikepdf.open(io.BytesIO(pdf)) as document:
            pages = len(document.pages)
        ms = statistics.median(timed(lambda file=file: renderer.render(file)) for _ in range(options.rounds)) * 1000
        print(f"  {file.id}.{file.language}: {pages} pages, {ms:.0f} ms")

    batch = files * options.copies
    jobs = max(2, default_jobs())
    sequential, parallel = [], []
    for _ in range(options.rounds):  # interleaved so both routes see the same machine load
        sequential.append(timed(lambda: list(render_all(workspace, batch, settings, jobs=1))))
        parallel.append(timed(lambda: list(render_all(workspace, batch, settings, jobs=jobs))))
    seq_rate = len(batch) / statistics.median(sequential)
    par_rate = len(batch) / statistics.median(parallel)
    print(f"batch of {len(batch)} handouts (median of {options.rounds}, pool start-up included):")
    print(f"  sequential:          {seq_rate:6.1f} handouts/s")
    print(f"  process pool ({jobs} jobs): {par_rate:6.1f} handouts/s")
    print(f"  ratio pool/sequential: {par_rate / seq_rate:.2f}x")

    with tempfile.TemporaryDirectory() as out:
        checks, lists, builds = [], [], []
        for _ in range(options.rounds):
            checks.append(command_seconds("check"))
            lists.append(command_seconds("list"))
            builds.append(command_seconds("build", "--out", out))
    check_s, list_s, build_s = (statistics.median(x) for x in (checks, lists, builds))
    print(f"commands, wall time including interpreter start (median of {options.rounds}):")
    print(f"  handoutgen check: {check_s * 1000:6.0f} ms")
    print(f"  handoutgen list:  {list_s * 1000:6.0f} ms")
    print(f"  handoutgen build: {build_s * 1000:6.0f} ms (all {len(files)} samples)")
    print(f"  ratio build/check: {build_s / check_s:.1f}x")


if __name__ == "__main__":
    main()
