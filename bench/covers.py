"""Cover letters, HTML (WeasyPrint) against Typst, side by side in one run.

Usage: python bench/covers.py [--rounds R] [--per-round K]

Each round renders K covers per language with each engine, the engines alternating cover by
cover so machine load hits them alike; both are warm (fonts, stylesheets and the Typst compiler
made before the first round). Reported per language: median CPU ms per cover of each engine,
their ratio, and the size of one cover saved alone. Then the issue #14 targets for covers:
a zh-Hans cover ≤ 1.5× an English one in CPU and ≤ 60 KB, and the Typst cover at least twice
as fast as the HTML one. Timings are CPU (time.process_time): this process does all the work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pikepdf

from handoutgen.model import RosterRow
from handoutgen.render.cjk import write_cjk_faces
from handoutgen.render.html import EnclosedHandout, render_cover_html
from handoutgen.render.pdf import PdfRenderer
from handoutgen.render.typst_cover import TypstCoverRenderer
from handoutgen.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = {
    "en": ("Test Patient", "Building B, 2nd floor", "Dr. Example"),
    "es": ("José Pérez", "Edificio B, 2.º piso", "Dra. Ejemplo"),
    "ar": ("محمد علي", "المبنى ب، الطابق الثاني", "Dr. Example"),
    "zh-Hans": ("王小明", "B栋2楼", "李医生"),
    "ru": ("Иван Петров", "Корпус Б, 2 этаж", "Dr. Example"),
    "vi": ("Nguyễn Thị Hồng", "Tòa nhà B, tầng 2", "Dr. Example"),
}
TITLES = [EnclosedHandout("Retrograde Pyelography", "en", False),
          EnclosedHandout("Nephrostomy Tube and Ureteral Stent", "en", False)]


def rows(language: str, count: int) -> list[RosterRow]:
    name, location, clinician = PEOPLE[language]
    return [RosterRow(patient_id=f"P{i:05d}", patient_name=f"{name} {i}", language=language, handouts=["x"],
                      appointment=dt.datetime(2026, 12, 1 + i % 28, 8 + i % 9, 30), arrive_minutes_before=30,
                      location=location, clinician=clinician, prep="Nothing to eat or drink after midnight.")
            for i in range(count)]


def saved_size(pdf: pikepdf.Pdf) -> int:
    buffer = io.BytesIO()
    pdf.save(buffer)
    return len(buffer.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-round", type=int, default=10)
    args = parser.parse_args()

    workspace = Workspace(ROOT)
    settings = workspace.render_settings()
    # the HTML route as packets run it: with the small Chinese faces cut once per batch
    scratch = Path(tempfile.mkdtemp(prefix="covers-bench-"))
    faces = write_cjk_faces(scratch, workspace.find_style("fonts/fonts.css"))
    html_renderer = PdfRenderer(settings.style_path, list(settings.render_roots), faces)
    typst_renderer = TypstCoverRenderer(settings)
    roster = workspace.handouts_dir / "bench-roster"  # only named in error messages

    def html_cover(row: RosterRow) -> pikepdf.Pdf:
        return html_renderer.render_pdf(render_cover_html(row, TITLES, settings), source=roster)

    def typst_cover(row: RosterRow) -> pikepdf.Pdf:
        return typst_renderer.render_pdf(row, TITLES, settings)

    engines = {"html": html_cover, "typst": typst_cover}
    cpu: dict[tuple[str, str], list[float]] = {(e, lang): [] for e in engines for lang in PEOPLE}
    sizes: dict[tuple[str, str], int] = {}
    for language in PEOPLE:  # warm-up: fonts and catalogs of every language loaded once
        for engine, render in engines.items():
            with render(rows(language, 1)[0]) as pdf:
                sizes[engine, language] = saved_size(pdf)
    for _ in range(args.rounds):
        for language in PEOPLE:
            for row in rows(language, args.per_round):
                for engine, render in engines.items():
                    started = time.process_time()
                    render(row).close()
                    cpu[engine, language].append(time.process_time() - started)

    print(f"{'language':10} {'html ms':>8} {'typst ms':>9} {'speed-up':>9} {'html KB':>8} {'typst KB':>9}")
    median = {key: statistics.median(values) * 1000 for key, values in cpu.items()}
    for language in PEOPLE:
        print(f"{language:10} {median['html', language]:8.1f} {median['typst', language]:9.2f} "
              f"{median['html', language] / median['typst', language]:8.1f}× "
              f"{sizes['html', language] / 1000:8.1f} {sizes['typst', language] / 1000:9.1f}")
    english, chinese = median["typst", "en"], median["typst", "zh-Hans"]
    speedup = median["html", "en"] / english
    print(f"\nTypst cover vs HTML cover (en): {speedup:.1f}× faster — target ≥ 2×: {'PASS' if speedup >= 2 else 'FAIL'}")
    print(f"zh-Hans cover CPU {chinese / english:.2f}× English — target ≤ 1.5×: {'PASS' if chinese / english <= 1.5 else 'FAIL'}")
    size = sizes["typst", "zh-Hans"]
    print(f"zh-Hans cover {size / 1000:.1f} KB — target ≤ 60 KB: {'PASS' if size <= 60_000 else 'FAIL'}")
    shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
