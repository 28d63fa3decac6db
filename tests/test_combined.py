"""The combined print job (--combined) is written packet by packet straight to the file: every
page in roster order for poppler too, the same bytes for the same packets, a packet saved by
another tool still joins, and a packet that cannot join leaves no print file behind. (How fast
and how much memory: bench/packets.py --combined-only.)"""

from __future__ import annotations

import io
import subprocess

import pikepdf
import pytest

from test_packets import NEPHRO, RETRO, manifest, write_roster

ROWS = [
    ("C001", "Ada Lovelace", "en", f"{RETRO};{NEPHRO}", "2026-12-01T09:30", "ok"),
    ("C002", "Bea Example", "es", RETRO, "2026-12-01T10:00", "ok"),
    ("C003", "Cy Example", "en", NEPHRO, "2026-12-01T10:30", "ok"),
    ("C004", "Di Example", "en", f"{RETRO};{NEPHRO}", "2026-12-01T11:00", "ok"),
]


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """(packet files in roster order, the print job the CLI wrote) for four duplex packets."""
    from conftest import REPO, run_cli

    folder = tmp_path_factory.mktemp("combined")
    roster = write_roster(folder / "roster.csv", ROWS)
    out, combined = folder / "packets", folder / "print.pdf"
    result = run_cli("packets", roster, "--out", out, "--combined", combined, "--duplex", "--jobs", "1", "-w", REPO)
    assert result.exit_code == 0, result.stderr
    records = manifest(out)
    assert [r["status"] for r in records] == ["ok"] * len(ROWS)
    return [out / r["output"] for r in records], combined


def poppler_pages(path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    count = int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))
    return [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"], capture_output=True,
                           text=True, check=True).stdout for n in range(1, count + 1)]


def test_poppler_reads_every_packet_page_in_roster_order(job):
    packets, combined = job
    expected = [page for packet in packets for page in poppler_pages(packet)]
    assert poppler_pages(combined) == expected
    covers = [next(n for n, text in enumerate(expected) if row[1] in text) for row in ROWS]
    assert covers == sorted(covers) and covers[0] == 0  # every cover, in roster order


def test_qpdf_finds_nothing_wrong(job):
    _, combined = job
    with pikepdf.open(combined) as pdf:
        assert pdf.check_pdf_syntax() == []
        assert len(pdf.Root.StructTreeRoot.K) == 1  # one structure tree: one /Document…
        parts = list(pdf.Root.StructTreeRoot.K[0].K)
        assert [str(p.S) for p in parts] == ["/Part"] * len(ROWS)  # …with one /Part per packet
        assert [str(p.Lang) for p in parts] == [row[2] for row in ROWS]


def test_the_same_packets_give_the_same_bytes(job):
    from handoutgen.render.combine import combine

    packets, combined = job
    again = io.BytesIO()
    combine(packets, again)
    assert again.getvalue() == combined.read_bytes()


def test_a_packet_saved_by_another_tool_still_joins(job, tmp_path):
    """Object streams and a cross-reference stream (not how we save packets) are read through qpdf."""
    from handoutgen.render.combine import combine

    packets, _ = job
    other = tmp_path / "other.pdf"
    with pikepdf.open(packets[1]) as pdf:
        pdf.save(other, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    assert b"/ObjStm" in other.read_bytes()
    mixed, plain = tmp_path / "mixed.pdf", tmp_path / "plain.pdf"
    with mixed.open("wb") as handle:
        combine([packets[0], other, packets[2]], handle)
    with plain.open("wb") as handle:
        combine(packets[:3], handle)
    assert poppler_pages(mixed) == poppler_pages(plain)
    with pikepdf.open(mixed) as pdf:
        assert pdf.check_pdf_syntax() == []


def test_a_packet_that_cannot_join_leaves_no_print_file(job, tmp_path):
    from handoutgen.errors import RenderError
    from handoutgen.render.combine import combine
    from handoutgen.write import write_atomic_with

    packets, _ = job
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(packets[0].read_bytes()[:5000])  # cut short, as by a full disk
    target = tmp_path / "out" / "print.pdf"
    with pytest.raises(RenderError) as raised:
        write_atomic_with(target, lambda handle: combine([packets[1], broken], handle))
    assert "broken.pdf" in str(raised.value)
    assert list(target.parent.iterdir()) == []  # neither the print file nor a temporary one


def test_element_ids_stay_unique_and_class_maps_carry_over(job, tmp_path):
    """A packet whose tree has an IDTree and a ClassMap (ours have neither; a cover engine may):
    the job keeps one IDTree, a later packet's repeated id renamed, and the class map."""
    from handoutgen.render.combine import combine

    packets, _ = job
    with pikepdf.open(packets[0]) as pdf:
        tree = pdf.Root.StructTreeRoot
        element = tree.K[0].K[0].K[0]
        element.ID = pikepdf.String("intro")
        tree.IDTree = pdf.make_indirect(pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("intro"), element])))
        tree.ClassMap = pikepdf.Dictionary(Box=pikepdf.Dictionary(O=pikepdf.Name.Layout, Padding=2))
        with_ids = tmp_path / "with-ids.pdf"
        pdf.save(with_ids, deterministic_id=True)
    combined = tmp_path / "ids.pdf"
    with combined.open("wb") as handle:
        combine([with_ids, packets[1], with_ids], handle)
    with pikepdf.open(combined) as pdf:
        assert pdf.check_pdf_syntax() == []
        tree = pdf.Root.StructTreeRoot
        names = list(tree.IDTree.Names)
        assert [str(n) for n in names[0::2]] == ["intro", "intro-3"]
        assert [str(element.ID) for element in names[1::2]] == ["intro", "intro-3"]
        assert names[1].objgen != names[3].objgen
        assert tree.ClassMap.Box.Padding == 2
        packets_parts = list(tree.K[0].K)
        assert names[1].P.P.objgen == packets_parts[0].objgen  # each id's element in its own packet
        assert names[3].P.P.objgen == packets_parts[2].objgen


def test_a_roster_with_no_good_row_makes_no_print_job(cli, workspace, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("patient_id,handouts\nP1,no-such-handout\nP2,no-such-handout\n", encoding="utf-8")
    combined = tmp_path / "print.pdf"
    result = cli("packets", roster, "--out", tmp_path / "packets", "--combined", combined, "-w", workspace)
    assert result.exit_code != 0
    assert "0 of 2 packet(s)" in result.stderr and "no packet to print, so no combined file" in result.stderr
    assert not combined.exists()  # not a PDF of no pages, which readers refuse
