"""A coordinator's packets open with a cover letter laid out by Typst: the same letter, per patient,
much faster; a clinic that designed its own HTML cover keeps it."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pdfua import validate

from conftest import edit, pdf_pages_text
from handoutgen.workspace import Workspace

RETRO, NEPHRO = "retrograde-pyelography", "nephrostomy-ureteral-stent"
HEADER = ["patient_id", "patient_name", "language", "handouts", "appointment", "arrive_minutes_before",
          "location", "clinician", "prep", "format"]


def make(cli, workspace: Path, rows: list[list[str]], out: Path) -> Path:
    roster = out.parent / f"{out.name}.csv"
    with roster.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    result = cli("packets", roster, "--out", out, "-w", workspace, "--jobs", "1")  # in this process (the pool: test_packets)
    assert result.exit_code == 0, result.stdout + result.stderr
    return out


def cover_text(packet: Path) -> str:
    return " ".join(pdf_pages_text(packet)[0].replace("\u202f", " ").split())  # Babel: 9:30\u202fAM


def row(patient_id: str, name: str, language: str = "en", **fields: str) -> list[str]:
    values = {"handouts": f"{RETRO};{NEPHRO}", "appointment": "2026-12-01T09:30", "arrive_minutes_before": "30",
              "location": "Building B, 2nd floor", "clinician": "Dr. Example",
              "prep": "Nothing to eat or drink after midnight.\nBring a list of your medicines.", "format": "standard"}
    values.update(fields)
    return [patient_id, name, language, *(values[column] for column in HEADER[3:])]


def test_the_sample_workspace_and_a_copy_of_it_lay_covers_out_with_typst(workspace):
    assert Workspace(workspace).render_settings().typst_covers


def test_a_workspace_with_its_own_cover_stylesheet_or_template_keeps_the_html_cover(workspace):
    (workspace / "styles" / "cover.css").write_text("h1 { color: black; }\n", encoding="utf-8")
    assert not Workspace(workspace).render_settings().typst_covers


def test_handoutgen_yaml_chooses_the_cover_engine(workspace):
    config = workspace / "handoutgen.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "cover_engine: html\n", encoding="utf-8")
    assert not Workspace(workspace).render_settings().typst_covers
    (workspace / "templates" / "cover.html.j2").write_text("<p>{{ row.patient_id }}</p>", encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8").replace("cover_engine: html", "cover_engine: typst"),
                      encoding="utf-8")
    assert Workspace(workspace).render_settings().typst_covers


def test_the_letter_says_who_when_where_and_what_is_enclosed(cli, workspace, tmp_path):
    out = make(cli, workspace, [row("P1", "Ann Example")], tmp_path / "packets")
    text = cover_text(out / "P1.pdf")
    for expected in ("Your appointment", "Dear Ann Example,", "Tuesday, December 1, 2026", "9:30 AM",
                     "Please arrive by", "9:00 AM", "(30 minutes early)", "Where", "Building B, 2nd floor",
                     "With", "Dr. Example", "How to prepare", "Nothing to eat or drink after midnight.",
                     "Bring a list of your medicines.", "In this packet", "Retrograde Pyelography",
                     "Nephrostomy Tube and Ureteral Stent"):
        assert expected in text, expected
    brand = Workspace(workspace).load_brand()
    assert brand.brand.phone in text
    with pikepdf.open(out / "P1.pdf") as pdf:
        assert "Ann" not in str(pdf.docinfo) and "Ann" not in pdf.open_metadata().__str__()


def test_a_patient_field_is_printed_as_written_never_run_as_typst(cli, workspace, tmp_path):
    name = '#panic("x") *bold* $x^2$ #set page(paper: "a5") <tag> @ref \\ "q"'
    out = make(cli, workspace, [row("P1", name, prep='#read("/etc/passwd") ]) [')], tmp_path / "packets")
    text = cover_text(out / "P1.pdf")
    assert name in text
    assert '#read("/etc/passwd") ]) [' in text
    with pikepdf.open(out / "P1.pdf") as pdf:
        assert [float(v) for v in pdf.pages[0].mediabox] == [0, 0, 612, 792]  # still the workspace's letter paper


def test_every_language_of_a_mixed_roster_is_tagged_and_embeds_small_fonts(cli, workspace, tmp_path):
    out = make(cli, workspace, [
        row("P1", "Ann Example"),
        row("P2", "José Pérez", "es"),
        row("P3", "محمد علي", "ar"),
        row("P4", "王小明", "zh-Hans", handouts=RETRO, location="B栋2楼", clinician="李医生"),
        row("P5", "Ann Example", format="large-print"),
    ], tmp_path / "packets")
    for packet, language in (("P1", "en"), ("P2", "es"), ("P3", "ar"), ("P4", "zh-Hans"), ("P5", "en")):
        path = out / f"{packet}.pdf"
        assert [(f.rule_id, f.message) for f in validate(str(path)).findings] == []
        with pikepdf.open(path) as pdf:
            assert str(pdf.Root.Lang) == language
        fonts = subprocess.run(["pdffonts", "-l", "1", str(path)], capture_output=True, text=True, check=True).stdout
        assert all(" yes yes yes " in line for line in fonts.splitlines()[2:])  # embedded, subset, ToUnicode
    assert "王小明" in cover_text(out / "P4.pdf") and "B栋2楼" in cover_text(out / "P4.pdf")
    assert "محمد علي" in cover_text(out / "P3.pdf")
    with pikepdf.open(out / "P4.pdf") as packet, pikepdf.new() as cover:
        cover.pages.append(packet.pages[0])
        cover.save(tmp_path / "cover.pdf")
    assert (tmp_path / "cover.pdf").stat().st_size <= 60_000  # issue #14: a zh-Hans cover ≤ 60 KB


def test_a_large_print_row_gets_the_large_print_letter(cli, workspace, tmp_path):
    out = make(cli, workspace, [row("P1", "Ann Example"), row("P2", "Ann Example", format="large-print")],
               tmp_path / "packets")
    sizes = {}
    for packet in ("P1", "P2"):
        lines = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-bbox", str(out / f"{packet}.pdf"), "-"],
                               capture_output=True, text=True, check=True).stdout.splitlines()
        word = next(line for line in lines if ">Dear<" in line)
        top, bottom = (float(word.split(f'{edge}="')[1].split('"')[0]) for edge in ("yMin", "yMax"))
        sizes[packet] = bottom - top
    assert sizes["P2"] >= 1.4 * sizes["P1"]  # 18 pt letter text against 12 pt


def test_the_same_roster_gives_the_same_bytes(cli, workspace, tmp_path):
    rows = [row("P1", "Ann Example"), row("P3", "محمد علي", "ar")]
    first, second = make(cli, workspace, rows, tmp_path / "a"), make(cli, workspace, rows, tmp_path / "b")
    for name in ("P1.pdf", "P3.pdf"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_a_clinic_that_styled_its_html_cover_sees_its_design(cli, workspace, tmp_path):
    edit(workspace, "h1 {", 'main::before { content: "Printed on recycled paper"; }\nh1 {', Path("styles/cover.css"))
    out = make(cli, workspace, [row("P1", "Ann Example")], tmp_path / "packets")
    assert "Printed on recycled paper" in cover_text(out / "P1.pdf")


@pytest.mark.parametrize("name", ["", "Ann Example"])
def test_greeting_with_and_without_a_name(cli, workspace, tmp_path, name):
    out = make(cli, workspace, [row("P1", name)], tmp_path / "packets")
    assert ("Dear Ann Example," if name else "Dear patient,") in cover_text(out / "P1.pdf")


def test_a_machine_without_the_noto_fonts_still_prints_latin_covers(cli, workspace, tmp_path, monkeypatch):
    import typst

    real_fonts, real_compiler = typst.Fonts, typst.Compiler
    # a clinic PC with none of the system's fonts: only the vendored Atkinson Hyperlegible
    monkeypatch.setattr(typst, "Fonts", lambda **options: real_fonts(include_system_fonts=False, **options))
    monkeypatch.setattr(typst, "Compiler", lambda **options: real_compiler(ignore_system_fonts=True, **options))
    out = make(cli, workspace, [row("P1", "Ann Example"), row("P2", "José Pérez", "es")], tmp_path / "packets")
    assert "Dear Ann Example," in cover_text(out / "P1.pdf")
    assert "José Pérez" in cover_text(out / "P2.pdf")


def test_a_workspace_cover_template_is_used_but_may_not_import_packages(cli, workspace, tmp_path):
    template = workspace / "templates" / "cover.typ"
    edit(workspace, "= #d.heading", "= #d.heading (our clinic)", template.relative_to(workspace))
    out = make(cli, workspace, [row("P1", "Ann Example")], tmp_path / "packets")
    assert "Your appointment (our clinic)" in cover_text(out / "P1.pdf")

    source = template.read_text(encoding="utf-8")
    template.write_text(source + '\n#import "@preview/cetz:0.3.0": canvas\n', encoding="utf-8")
    roster = tmp_path / "again.csv"
    roster.write_text((tmp_path / "packets.csv").read_text(encoding="utf-8"), encoding="utf-8")
    result = cli("packets", roster, "--out", tmp_path / "again", "-w", workspace, "--jobs", "1")
    assert result.exit_code != 0
    line = len(source.splitlines()) + 2
    assert f"templates/cover.typ:{line}" in result.stderr and "Typst package" in result.stderr
    assert "Ann" not in result.stderr


def test_a_broken_cover_template_stops_the_run_at_its_line_before_any_packet(cli, workspace, tmp_path):
    template = workspace / "templates" / "cover.typ"
    source = template.read_text(encoding="utf-8")
    template.write_text(source + "\n#let broken = (\n", encoding="utf-8")
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, row("P1", "Ann Example"), row("P2", "Bob Example")])
    result = cli("packets", roster, "--out", tmp_path / "packets", "-w", workspace, "--jobs", "2")
    assert result.exit_code != 0
    assert f"templates/cover.typ:{len(source.splitlines()) + 2}: the cover could not be laid out" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert not list((tmp_path / "packets").glob("*.pdf"))


def test_every_string_the_typst_cover_asks_for_is_in_the_catalog_template():
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    from conftest import REPO

    with (REPO / "src/handoutgen/i18n/locale/handoutgen.pot").open("rb") as handle:
        catalog = {message.id for message in read_po(handle) if message.id}
    asked = {message for _, message, _, _ in extract_from_file("python", REPO / "src/handoutgen/render/typst_cover.py")}
    assert len(asked) > 10 and asked <= catalog, asked - catalog  # else translators never see a string
