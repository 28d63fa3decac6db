"""A clinic builds the two sample handouts and prints them."""

from __future__ import annotations

import stat

import pikepdf
import pytest

from conftest import REPO, pdf_fonts, pdf_pages_text, pdf_text

SAMPLES = {
    "retrograde-pyelography": {
        "title": "Retrograde Pyelography",
        "headings": ["What is it?", "Why is it done?", "What to expect", "Benefits",
                     "When to call", "Questions to ask your care team", "Words to know",
                     "About this handout"],
        "absent": ["How to prepare", "Risks", "After your procedure"],
    },
    "nephrostomy-ureteral-stent": {
        "title": "Nephrostomy Tube and Ureteral Stent",
        "headings": ["What is it?", "Why is it done?", "What to expect", "Benefits",
                     "After your procedure", "What is normal", "When to call",
                     "Questions to ask your care team", "Words to know", "About this handout"],
        "absent": ["How to prepare", "Risks"],
    },
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build every sample once for this module, with the real CLI and WeasyPrint."""
    from conftest import REPO, run_cli

    out = tmp_path_factory.mktemp("out")
    result = run_cli("build", "--lang", "en", "--workspace", REPO, "--out", out, "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    return out


@pytest.mark.parametrize("handout_id", sorted(SAMPLES))
def test_sample_reads_like_a_handout(built, handout_id):
    expected = SAMPLES[handout_id]
    path = built / f"{handout_id}.en.pdf"
    text = pdf_text(path)
    pages = pdf_pages_text(path)

    assert expected["title"] in text
    for heading in expected["headings"]:
        assert heading in text, heading
    for heading in expected["absent"]:  # empty sections do not render
        assert heading not in text, heading
    assert "(555) 010-0142" in text
    assert "Riverside Urology Clinic" in text
    assert "Not yet reviewed by a clinician" in text
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in " ".join(page.split())
        assert "Version 1.0" in " ".join(page.split())
    for junk in ("Lorem", "lorem", "â€", "Ã", "\ufffd"):
        assert junk not in text


def test_retrograde_mojibake_is_fixed(built):
    text = pdf_text(built / "retrograde-pyelography.en.pdf")
    assert "cystoscopy" in text
    assert "â€" not in text


def test_nephrostomy_keeps_the_source_aftercare(built):
    text = pdf_text(built / "nephrostomy-ureteral-stent.en.pdf")
    assert "Blood in your urine (hematuria)" in text
    assert "Usually goes away quickly" in text
    # The repeated positioning sentence of the source appears once, in plain words.
    assert text.count("You lie on your stomach") == 1


@pytest.mark.parametrize("handout_id", sorted(SAMPLES))
def test_pdf_is_accessible_and_self_contained(built, handout_id):
    path = built / f"{handout_id}.en.pdf"
    fonts = pdf_fonts(path)
    assert fonts, "no fonts found"
    assert all(fonts.values()), f"not embedded: {fonts}"
    assert all("Atkinson-Hyperlegible" in name for name in fonts), fonts  # no system fallback
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == "en"
        assert "/StructTreeRoot" in pdf.Root
        assert pdf.Root.MarkInfo.Marked
        assert str(pdf.docinfo["/Title"]) == SAMPLES[handout_id]["title"]
        assert pdf.Root.ViewerPreferences.DisplayDocTitle
        assert pdf.pdf_version == "1.7"


def test_outputs_are_private(built):
    for path in built.glob("*.pdf"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_two_builds_are_byte_identical(built, cli, tmp_path):
    from conftest import REPO

    again = tmp_path / "again"
    assert cli("build", "--lang", "en", "--workspace", REPO, "--out", again).exit_code == 0
    for first in built.glob("*.pdf"):
        assert (again / first.name).read_bytes() == first.read_bytes(), first.name


def test_paper_size_a4(cli, workspace, tmp_path):
    result = cli("build", "retrograde-pyelography", "--lang", "en", "--paper", "a4", "--workspace", workspace, "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    with pikepdf.open(tmp_path / "retrograde-pyelography.en.pdf") as pdf:
        width, height = [float(v) for v in pdf.pages[0].mediabox[2:]]
    assert (round(width), round(height)) == (595, 842)


def test_each_vendored_face_claims_only_characters_it_draws():
    """A unicode-range wider than the font sends those characters to .notdef instead of the fallback."""
    import re

    from fontTools.ttLib import TTFont

    css = (REPO / "styles/fonts/fonts.css").read_text()
    faces = re.findall(r"@font-face\s*\{([^}]*)\}", css)
    assert faces
    for face in faces:
        source = re.search(r"url\(([^)]+)\)", face).group(1)
        claimed = set()
        for part in re.search(r"unicode-range:\s*([^;]+);", face).group(1).split(","):
            first, _, last = part.strip()[2:].partition("-")
            claimed |= set(range(int(first, 16), int(last or first, 16) + 1))
        drawn = set(TTFont(REPO / "styles/fonts" / source).getBestCmap())
        assert claimed <= drawn, (source, sorted(hex(c) for c in claimed - drawn)[:10])


def test_vietnamese_cover_letter_renders(cli, workspace, tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("patient_id,patient_name,language,handouts\nV1,Nguyễn Văn Ước,vi,retrograde-pyelography\n",
                      encoding="utf-8")
    out = tmp_path / "out"
    result = cli("packets", roster, "--out", out, "--fallback-language", "en", "-j", "1", "-w", workspace)
    assert result.exit_code == 0, result.stderr
    from handoutgen.i18n.catalogs import translations_for

    greeting = translations_for("vi").gettext("Questions? Call us at")
    assert greeting.split()[0] in pdf_text(out / "V1.pdf") and "Ước" in pdf_text(out / "V1.pdf")


def test_the_chinese_sample_is_light_and_reproducible(cli, tmp_path):
    # Chinese text is set in small faces cut once per build from Noto Sans CJK SC (render/cjk.py):
    # the PDF does not carry the glyph slots of the whole collection (it weighed ~470 KB).
    first, again = tmp_path / "first", tmp_path / "again"
    for out in (first, again):
        assert cli("build", "retrograde-pyelography", "--lang", "zh-Hans", "-w", REPO, "--out", out).exit_code == 0
    pdf = first / "retrograde-pyelography.zh-Hans.pdf"
    assert pdf.stat().st_size <= 200_000
    fonts = pdf_fonts(pdf)
    assert any("CJK-SC-Common" in name for name in fonts) and all(fonts.values())
    assert not any(name.endswith("+Noto-Sans-CJK-SC") for name in fonts)
    assert "逆行肾盂造影" in pdf_text(pdf)
    assert (again / pdf.name).read_bytes() == pdf.read_bytes()
