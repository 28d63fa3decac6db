"""Incremental builds: a full build, a rebuild with nothing changed, and a rebuild after one edit.

Usage: python bench/incremental.py [--repeat 3]

Runs `handoutgen build` on a copy of the sample workspace as a user would (a new process
each time), the three cases interleaved in every round so machine load hits them alike.
Prints wall and CPU seconds (min and median over the rounds) and the ratios to the full build.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDITED = "handouts/retrograde-pyelography/en.yaml"


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU is user + system of the child processes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="handoutgen-bench-") as tmp:
        workspace = Path(tmp) / "ws"
        workspace.mkdir()
        for name in ("handouts", "templates", "styles", "handoutgen.yaml", "jargon.yaml"):
            source = ROOT / name
            (shutil.copytree if source.is_dir() else shutil.copy)(source, workspace / name)
        build = [sys.executable, "-m", "handoutgen", "build", "--out", "out", "--jobs", "1"]
        edited = workspace / EDITED
        original = edited.read_text(encoding="utf-8")
        cases: dict[str, list[tuple[float, float]]] = {"full (--force)": [], "nothing changed": [], "one file edited": []}
        for round_number in range(args.repeat):
            cases["full (--force)"].append(timed([*build, "--force"], workspace))
            cases["nothing changed"].append(timed(build, workspace))
            edited.write_text(original + f"\n# edit {round_number}\n", encoding="utf-8")
            cases["one file edited"].append(timed(build, workspace))
        full_wall = statistics.median(w for w, _ in cases["full (--force)"])
        full_cpu = statistics.median(c for _, c in cases["full (--force)"])
        files = len(list((workspace / "out").glob("*.pdf")))
        print(f"sample workspace, {files} PDFs, {args.repeat} interleaved rounds, one process per build:")
        for name, runs in cases.items():
            walls, cpus = [w for w, _ in runs], [c for _, c in runs]
            print(f"  {name:16} wall min {min(walls):.2f} s median {statistics.median(walls):.2f} s | "
                  f"CPU min {min(cpus):.2f} s median {statistics.median(cpus):.2f} s | "
                  f"x{statistics.median(walls) / full_wall:.2f} wall, x{statistics.median(cpus) / full_cpu:.2f} CPU "
                  "of the full build")


if __name__ == "__main__":
    main()
