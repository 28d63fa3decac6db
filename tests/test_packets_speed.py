"""Packets stay light and quick to redo: small Chinese covers, a compact print job, a resume
that re-renders nothing when every packet is already there. (Speed itself is measured by
bench/packets.py, never here.)"""

from __future__ import annotations

import io

import pikepdf
import pytest

from conftest import pdf_fonts, pdf_pages_text
from test_packets import RETRO, manifest, write_roster

CHINESE = [
    ("P101", "王小明", "zh-Hans", RETRO, "2026-12-01T09:30", "ok"),
    # 喆 is outside the everyday set (GB 2312): it must still print, from the full Noto CJK font.
    ("P102", "李喆", "zh-Hans", RETRO, "2026-12-01T10:30", "ok"),
]


def cover_only(packet) -> tuple[bytes, str]:
    """The cover page alone as a PDF of its own (only what that page uses), and its text."""
    with pikepdf.open(packet) as pdf, pikepdf.new() as cover:
        cover.pages.append(pdf.pages[0])
        buffer = io.BytesIO()
        cover.save(buffer)
    return buffer.getvalue(), " ".join(pdf_pages_text(packet)[0].split())


@pytest.fixture(scope="module")
def chinese(tmp_path_factory):
    from conftest import REPO, run_cli

    folder = tmp_path_factory.mktemp("chinese")
    roster = write_roster(folder / "roster.csv", CHINESE)
    out = folder / "packets"
    result = run_cli("packets", roster, "--out", out, "--jobs", "1", "-w", REPO)
    assert result.exit_code == 0, result.output
    return out


def test_a_chinese_cover_is_small_and_names_the_patient(chinese, tmp_path):
    data, text = cover_only(chinese / "P101.pdf")
    assert len(data) <= 60_000  # it carried ~250 KB of Noto CJK before
    assert "尊敬的王小明" in text and "您的预约" in text and "2026年12月1日星期二" in text
    (tmp_path / "cover.pdf").write_bytes(data)
    fonts = pdf_fonts(tmp_path / "cover.pdf")
    assert fonts and all(fonts.values())  # every font embedded…
    assert all("+" in name for name in fonts)  # …as a subset
    assert any("CJK" in name for name in fonts)


def test_a_rare_name_character_still_prints(chinese, tmp_path):
    data, text = cover_only(chinese / "P102.pdf")
    assert "尊敬的李喆" in text
    (tmp_path / "cover.pdf").write_bytes(data)
    # The Typst cover subsets Noto Sans CJK SC itself: 喆 is in the subset, which stays small.
    assert any("NotoSansCJK" in name for name in pdf_fonts(tmp_path / "cover.pdf"))
    assert len(data) <= 60_000
    assert manifest(chinese)[1]["status"] == "ok"


def test_the_chinese_handout_in_a_packet_uses_the_small_faces_too(chinese, tmp_path):
    # The handout pages are rendered once per batch with the cover's small faces: the whole
    # Noto CJK collection's glyph slots are not carried by every Chinese packet (~470 KB before).
    with pikepdf.open(chinese / "P101.pdf") as pdf, pikepdf.new() as handout:
        handout.pages.extend(pdf.pages[1:])
        handout.save(tmp_path / "handout.pdf")
    fonts = pdf_fonts(tmp_path / "handout.pdf")
    assert any("CJK-SC-Common" in name for name in fonts)
    assert not any(name.endswith("+Noto-Sans-CJK-SC") for name in fonts)  # no character needed the full font
    assert "逆行肾盂造影" in " ".join(pdf_pages_text(tmp_path / "handout.pdf")[0].split())
    assert (tmp_path / "handout.pdf").stat().st_size <= 250_000


def test_the_print_job_stores_each_handout_once(cli, workspace, tmp_path):
    from conftest import pdf_text

    rows = [(f"P2{n:02d}", f"Patient {n}", "en", RETRO, f"2026-12-0{1 + n % 5}T09:30", "ok") for n in range(8)]
    roster = write_roster(tmp_path / "roster.csv", rows)
    out, combined = tmp_path / "packets", tmp_path / "print.pdf"
    assert cli("packets", roster, "--out", out, "--combined", combined, "-j", "1", "-w", workspace).exit_code == 0
    records = manifest(out)
    with pikepdf.open(combined) as pdf:
        assert len(pdf.pages) == sum(r["pages"] for r in records)
        assert "/StructTreeRoot" in pdf.Root and pdf.Root.MarkInfo.Marked
    text = pdf_text(combined)
    positions = [text.index(f"Dear Patient {n},") for n in range(8)]
    assert positions == sorted(positions)  # every cover, in roster order
    # Eight copies of the same handout, stored once: the job weighs far less than the packets.
    packets = sum((out / r["output"]).stat().st_size for r in records)
    assert combined.stat().st_size < packets / 3


def test_resume_of_a_finished_set_renders_nothing(cli, workspace, tmp_path, monkeypatch):
    from handoutgen.packets import run
    from handoutgen.packets.roster import load_roster
    from handoutgen.workspace import Workspace

    rows = [(f"P3{n:02d}", f"Patient {n}", "en", RETRO if n % 2 else f"{RETRO};nephrostomy-ureteral-stent",
             "2026-12-01T09:30", "ok") for n in range(4)]
    roster = write_roster(tmp_path / "roster.csv", rows)
    out = tmp_path / "packets"
    assert cli("packets", roster, "--out", out, "-j", "1", "-w", workspace).exit_code == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")}

    rendered: list[str] = []
    real_render_all = run.render_all

    def counting(ws, files, *args, **kwargs):
        rendered.extend(f"{f.id}.{f.language}" for f in files)
        return real_render_all(ws, files, *args, **kwargs)

    monkeypatch.setattr(run, "render_all", counting)
    resume = run.PacketOptions(out_dir=out, jobs=1, resume=True)
    result = run.make_packets(Workspace(workspace), load_roster(roster), resume)
    assert [r.status for r in result] == ["ok"] * 4
    assert rendered == []  # not one handout rendered again…
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")} == before  # …nor a packet rewritten

    # One packet gone: only its handouts are rendered, and only it is made again.
    (out / "P301.pdf").unlink()
    result = run.make_packets(Workspace(workspace), load_roster(roster), resume)
    assert [r.status for r in result] == ["ok"] * 4
    assert rendered == [f"{RETRO}.en"]
    assert (out / "P301.pdf").is_file()
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf") if p.name != "P301.pdf"} == \
        {name: mtime for name, mtime in before.items() if name != "P301.pdf"}
