"""Render speed, measured side by side in one run (the machine is shared and noisy).

Prints:
- ms per handout in-process after warm-up, wall and CPU (target: a 2-page handout <= 200 ms);
- handouts/s and CPU per handout for building all samples sequentially vs with the process pool;
- wall and CPU time of `handoutgen check` / `list` vs `handoutgen build` as commands (target: check, list < 0.5 s).

Usage: python bench/render.py [--rounds N]
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pikepdf

from handoutgen.builder import HandoutRenderer, default_jobs, render_all
from handoutgen.workspace import Workspace
from packets import Processes  # bench/packets.py: CPU of every process below this one

ROOT = Path(__file__).resolve().parent.parent


def timed(action) -> tuple[float, float]:
    """(wall, CPU) seconds of ``action``: CPU of this process and every process below it."""
    with Processes() as processes:
        start = time.perf_counter()
        action()
        wall = time.perf_counter() - start
    return wall, processes.total_cpu()


def command_seconds(*args: str) -> tuple[float, float]:
    """(wall, CPU) of a command run as a user would.

    getrusage counts the command exactly but not its forkserver workers (nobody waits for them
    in a way that adds up); polling /proc sees the workers but can miss a process's last tenth
    of a second. The larger of the two is the better estimate.
    """
    handoutgen = Path(sys.executable).parent / "handoutgen"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, polled = timed(lambda: subprocess.run([handoutgen, *args, "-w", str(ROOT)], check=True, capture_output=True))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, max(polled, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def medians(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in samples), statistics.median(c for _, c in samples)


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
        samples = []
        for _ in range(options.rounds):
            start, cpu = time.perf_counter(), time.process_time()
            renderer.render(file)
            samples.append((time.perf_counter() - start, time.process_time() - cpu))
        wall, cpu = medians(samples)
        print(f"  {file.id}.{file.language}: {pages} pages, {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU")

    batch = files * options.copies
    jobs = max(2, default_jobs())
    sequential, parallel = [], []
    for _ in range(options.rounds):  # interleaved so both routes see the same machine load
        sequential.append(timed(lambda: list(render_all(workspace, batch, settings, jobs=1))))
        parallel.append(timed(lambda: list(render_all(workspace, batch, settings, jobs=jobs))))
    (seq_wall, seq_cpu), (par_wall, par_cpu) = medians(sequential), medians(parallel)
    seq_rate, par_rate = len(batch) / seq_wall, len(batch) / par_wall
    print(f"batch of {len(batch)} handouts (median of {options.rounds}, pool start-up included; CPU of all processes):")
    print(f"  sequential:          {seq_rate:6.1f} handouts/s, {seq_cpu / len(batch) * 1000:5.0f} ms CPU per handout")
    print(f"  process pool ({jobs} jobs): {par_rate:6.1f} handouts/s, {par_cpu / len(batch) * 1000:5.0f} ms CPU per handout")
    print(f"  ratio pool/sequential: {par_rate / seq_rate:.2f}x wall")

    with tempfile.TemporaryDirectory() as out:
        checks, lists, builds = [], [], []
        for _ in range(options.rounds):
            checks.append(command_seconds("check"))
            lists.append(command_seconds("list"))
            builds.append(command_seconds("build", "--out", out))
    (check_s, check_cpu), (list_s, list_cpu), (build_s, build_cpu) = (medians(x) for x in (checks, lists, builds))
    print(f"commands, including interpreter start (median of {options.rounds}):")
    print(f"  handoutgen check: {check_s * 1000:6.0f} ms wall, {check_cpu * 1000:6.0f} ms CPU")
    print(f"  handoutgen list:  {list_s * 1000:6.0f} ms wall, {list_cpu * 1000:6.0f} ms CPU")
    print(f"  handoutgen build: {build_s * 1000:6.0f} ms wall, {build_cpu * 1000:6.0f} ms CPU (all {len(files)} samples)")
    print(f"  ratio build/check: {build_s / check_s:.1f}x wall")


if __name__ == "__main__":
    main()
