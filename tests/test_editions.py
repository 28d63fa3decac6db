"""Editions of one handout: large print for low-vision readers, bilingual for families and
clinicians, and QR links to the clinic's web page and video.

Every test builds real PDFs with the CLI and reads them back: font sizes and positions with
PDFium, tags with pikepdf, the PDF/UA subset with the PyPI ``pdfua`` checker.
"""

from __future__ import annotations

import csv
import ctypes
import io
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium
import pytest
from pdfua import validate

from conftest import HANDOUT, REPO, line_of, pdf_text
from handoutgen.i18n.catalogs import translations_for
from handoutgen.render.tags import structure_elements

RETRO = "retrograde-pyelography"
INCH = 72.0  # PDF points
MM = INCH / 25.4


@dataclass(frozen=True)
class Char:
    text: str
    size: float  # font size in points
    baseline: float
    left: float
    bottom: float
    right: float
    top: float


def page_chars(path: Path) -> tuple[list[list[Char]], float, float]:
    """Every drawn character of every page, with its font size and box; and the page size."""
    document = pypdfium2.PdfDocument(str(path))
    try:
        pages = []
        for page in document:
            textpage = page.get_textpage()
            chars = []
            for index in range(textpage.count_chars()):
                text = textpage.get_text_range(index, 1)
                if not text.strip():
                    continue
                left, bottom, right, top = textpage.get_charbox(index)
                x, y = ctypes.c_double(), ctypes.c_double()
                pdfium.FPDFText_GetCharOrigin(textpage.raw, index, x, y)
                # PDFium gives the size set in the text (WeasyPrint sets it in CSS px and draws
                # under a 0.75 scale): the char's matrix turns it into points on the page.
                matrix = pdfium.FS_MATRIX()
                pdfium.FPDFText_GetMatrix(textpage.raw, index, matrix)
                size = pdfium.FPDFText_GetFontSize(textpage.raw, index) * abs(matrix.d)
                chars.append(Char(text, size, y.value, left, bottom, right, top))
            pages.append(chars)
        return pages, document[0].get_width(), document[0].get_height()
    finally:
        document.close()


def lines_of(chars: list[Char]) -> list[list[Char]]:
    """Characters grouped into printed lines, top to bottom, each sorted left to right (a step
    number sits a little off its line's baseline: within 4pt is the same line)."""
    lines: list[list[Char]] = []
    for char in sorted(chars, key=lambda c: -c.baseline):
        if lines and lines[-1][0].baseline - char.baseline < 4:
            lines[-1].append(char)
        else:
            lines.append([char])
    return [sorted(line, key=lambda c: c.left) for line in lines]


def baseline(line: list[Char]) -> float:
    return Counter(round(c.baseline, 1) for c in line).most_common(1)[0][0]


def body_lines(path: Path, first_page: int = 0) -> tuple[list[list[Char]], float, float]:
    """The lines of the handout's text (from ``first_page``, e.g. after a packet's cover): every
    line but the running header and footer, which print the same words (page numbers aside)
    on every page."""
    pages, width, height = page_chars(path)
    per_page = [lines_of(chars) for chars in pages[first_page:]]

    def key(line: list[Char]) -> str:
        return re.sub(r"\d+", "#", "".join(c.text for c in line))

    running = set.intersection(*({key(line) for line in lines} for lines in per_page))
    return [line for lines in per_page for line in lines if key(line) not in running], width, height


def widest_gap(line: list[Char]) -> float:
    return max((b.left - a.right for a, b in zip(line, line[1:])), default=0.0)


# --- large print -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def large_print(tmp_path_factory) -> dict[str, Path]:
    """The sample retrograde pyelography handout, standard and large print, in English."""
    from conftest import run_cli

    out = tmp_path_factory.mktemp("large-print")
    for options in ([], ["--large-print"]):
        result = run_cli("build", RETRO, "--lang", "en", "--out", out, *options, "-w", REPO)
        assert result.exit_code == 0, result.stderr
    return {"standard": out / f"{RETRO}.en.pdf", "large": out / f"{RETRO}.en.large-print.pdf"}


def test_large_print_is_its_own_file_beside_the_standard_one(large_print):
    assert large_print["standard"].is_file() and large_print["large"].is_file()
    assert large_print["large"].stat().st_mode & 0o777 == 0o600
    # the same words: it is the same handout, printed larger
    assert "Retrograde Pyelography" in pdf_text(large_print["large"])
    assert "Words to know" in pdf_text(large_print["large"])


def test_large_print_body_text_is_at_least_18pt_with_headings_larger(large_print):
    lines, _, _ = body_lines(large_print["large"])
    sizes = [round(c.size, 1) for line in lines for c in line]
    assert min(sizes) >= 18.0, f"smallest body text is {min(sizes)}pt"
    assert max(sizes) >= 28.0  # the title
    standard, _, _ = body_lines(large_print["standard"])
    assert min(round(c.size, 1) for line in standard for c in line) < 18.0  # so the test can fail


def test_large_print_leaves_an_inch_of_margin_around_the_text(large_print):
    lines, width, height = body_lines(large_print["large"])
    chars = [c for line in lines for c in line]
    assert min(c.left for c in chars) >= INCH - 0.5
    assert max(c.right for c in chars) <= width - INCH + 0.5
    assert min(c.bottom for c in chars) >= INCH - 0.5
    assert max(c.top for c in chars) <= height - INCH + 0.5


def test_large_print_sets_lines_one_and_a_half_apart(large_print):
    lines, _, _ = body_lines(large_print["large"])
    # consecutive lines of one 18pt paragraph: baselines 1.5 × 18pt = 27pt apart
    steps = [baseline(a) - baseline(b) for a, b in zip(lines, lines[1:])
             if {round(c.size) for c in a + b} == {18} and 0 < baseline(a) - baseline(b) < 40]
    assert steps and min(steps) >= 1.5 * 18 - 0.5


def test_large_print_is_one_column(large_print):
    """A glossary term sits above its meaning, not beside it: no printed line has a gap wider
    than a word space or two (the standard edition sets terms beside their meanings)."""
    lines, _, _ = body_lines(large_print["large"])
    assert max(widest_gap(line) for line in lines) < 12 * MM
    standard, _, _ = body_lines(large_print["standard"])
    assert max(widest_gap(line) for line in standard) >= 12 * MM


def test_large_print_is_tagged_like_the_standard_one(large_print):
    with pikepdf.open(large_print["large"]) as pdf:
        assert str(pdf.Root.Lang) == "en"
        assert str(pdf.docinfo["/Title"]) == "Retrograde Pyelography"
        assert 'pdfuaid:part="1"' in pdf.Root.Metadata.read_bytes().decode()
    assert [(f.rule_id, f.message) for f in validate(str(large_print["large"])).findings] == []


# --- bilingual ---------------------------------------------------------------------------


def pages(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def part_languages(path: Path) -> list[tuple[str, str]]:
    """(structure type, /Lang) of every block directly under the document's parts, in order."""
    def kids(element):
        return [kid for kid in (element.K if isinstance(element.K, pikepdf.Array) else [element.K])
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid]

    with pikepdf.open(path) as pdf:
        (document,) = kids(pdf.Root.StructTreeRoot)
        return [(str(block.S), str(block.get("/Lang", ""))) for part in kids(document)
                if part.S == pikepdf.Name.Part for block in kids(part)]


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory) -> Path:
    """Every sample handout in every language, standard and with English after each section."""
    from conftest import run_cli

    out = tmp_path_factory.mktemp("bilingual")
    for options in ([], ["--bilingual", "en"]):
        result = run_cli("build", RETRO, "--out", out, "-j", "2", *options, "-w", REPO)
        assert result.exit_code == 0, result.stderr
    return out


def test_bilingual_follows_each_section_with_the_same_section_in_english(bilingual):
    text = pdf_text(bilingual / f"{RETRO}.es.bilingual-en.pdf")
    spanish = translations_for("es").gettext
    headings = []
    for heading in ("What is it?", "Why is it done?", "What to expect", "When to call", "About this handout"):
        headings += [spanish(heading), heading]
    assert spanish("What is it?") != "What is it?"
    positions = [text.find(heading) for heading in headings]
    assert -1 not in positions, [h for h, p in zip(headings, positions) if p == -1]
    assert positions == sorted(positions)
    # the title in both languages, the running header once per page
    assert text.find("Pielografía retrógrada") < text.find("Retrograde Pyelography")
    assert text.count("Riverside Urology Clinic (555) 010-0142") <= pages(bilingual / f"{RETRO}.es.bilingual-en.pdf")


@pytest.mark.parametrize("language", ["es", "ar", "zh-Hans"])
def test_each_part_of_a_bilingual_pdf_carries_its_own_language(bilingual, language):
    blocks = part_languages(bilingual / f"{RETRO}.{language}.bilingual-en.pdf")
    english = [kind for kind, lang in blocks if lang == "en"]
    assert english and set(english) == {"/Art"}  # the second-language parts
    assert {lang for kind, lang in blocks if kind != "/Art"} == {language}
    # they alternate: a part in the patient's language, then the same part in English
    order = [lang for _, lang in blocks]
    assert order.index("en") < len(order) - 1 and order[-1] == "en"
    with pikepdf.open(bilingual / f"{RETRO}.{language}.bilingual-en.pdf") as pdf:
        assert str(pdf.Root.Lang) == language


def test_arabic_parts_run_right_to_left_and_english_parts_left_to_right(bilingual):
    """Section headings (the 18pt lines): the Arabic ones set from the right margin, the
    English ones from the left, and as many of each."""
    lines, width, _ = body_lines(bilingual / f"{RETRO}.ar.bilingual-en.pdf")
    headings = [line for line in lines if all(round(c.size) == 18 for c in line)]

    def written_in(line: list[Char], letters: str) -> bool:
        return sum(1 for c in line if re.match(letters, c.text)) > len(line) / 2

    arabic = [line for line in headings if written_in(line, "[\u0600-\u06ff]")]
    english = [line for line in headings if written_in(line, "[A-Za-z]")]
    assert len(arabic) == len(english) >= 6
    assert all(max(c.right for c in line) > width * 3 / 4 for line in arabic)
    assert all(min(c.left for c in line) < width / 4 for line in english)


@pytest.mark.parametrize("language", ["es", "ar"])
def test_bilingual_pdf_passes_the_pdfua_checker(bilingual, language):
    path = bilingual / f"{RETRO}.{language}.bilingual-en.pdf"
    assert [(f.rule_id, f.message) for f in validate(str(path)).findings] == []


@pytest.mark.parametrize("language", ["es", "ar", "zh-Hans"])
def test_bilingual_takes_no_more_pages_than_both_handouts_apart(bilingual, language):
    both = pages(bilingual / f"{RETRO}.{language}.pdf") + pages(bilingual / f"{RETRO}.en.pdf")
    assert pages(bilingual / f"{RETRO}.{language}.bilingual-en.pdf") <= both


def test_a_handout_without_the_second_language_fails_alone(cli, workspace, tmp_path):
    """Only the retrograde pyelography sample has a Chinese version: the other handout's files
    are refused by name, and the Chinese-English-bilingual retrograde handouts are built."""
    result = cli("build", "--bilingual", "zh-Hans", "--out", tmp_path / "out", "-j", "1", "-w", workspace)
    assert result.exit_code == 1
    assert "handouts/nephrostomy-ureteral-stent/en.yaml: no 'zh-Hans' version of this handout" in result.stderr
    assert (tmp_path / "out" / f"{RETRO}.en.bilingual-zh-Hans.pdf").is_file()
    assert not (tmp_path / "out" / f"{RETRO}.zh-Hans.bilingual-zh-Hans.pdf").exists()


@pytest.mark.parametrize("language, message", [
    ("fr", "no handout has a 'fr' version"),
    ("English", "is not a language tag"),
])
def test_a_second_language_no_handout_has_is_a_usage_error(cli, language, message):
    result = cli("build", "--bilingual", language, "--out", "unused", "-w", REPO)
    assert result.exit_code == 2
    assert message in result.stderr


# --- the roster's format column ------------------------------------------------------------


@pytest.fixture(scope="module")
def roster_run(tmp_path_factory):
    """A coordinator's roster asking for each edition, with three rows that cannot be made."""
    from conftest import run_cli

    folder = tmp_path_factory.mktemp("format")
    roster = folder / "roster.csv"
    roster.write_text(
        "patient_id,patient_name,language,handouts,appointment,format,bilingual_with\n"
        f"S1,Test Patient,es,{RETRO},2026-12-01T09:30,standard,\n"
        f"L1,Test Patient,en,{RETRO},2026-12-01T09:30,large-print,\n"
        f"B1,Test Patient,es,{RETRO},2026-12-01T09:30,bilingual,\n"
        f"X1,Test Patient,es,{RETRO},2026-12-01T09:30,huge,\n"
        f"X2,Test Patient,en,{RETRO},2026-12-01T09:30,bilingual,\n"
        f"X3,Test Patient,es,nephrostomy-ureteral-stent,2026-12-01T09:30,bilingual,zh-Hans\n",
        encoding="utf-8")
    result = run_cli("packets", roster, "--out", folder / "packets", "-j", "1", "-w", REPO)
    with (folder / "packets" / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        manifest = {row["patient_id"]: row for row in csv.DictReader(handle)}
    return result, folder / "packets", manifest


def test_the_format_column_picks_each_patients_edition(roster_run):
    result, packets, manifest = roster_run
    assert [manifest[p]["status"] for p in ("S1", "L1", "B1")] == ["ok"] * 3
    assert "retrograde-pyelography.es" in manifest["S1"]["handouts"]
    assert "retrograde-pyelography.en.large-print" in manifest["L1"]["handouts"]
    assert "retrograde-pyelography.es.bilingual-en" in manifest["B1"]["handouts"]
    assert "Retrograde Pyelography" in pdf_text(packets / "B1.pdf")  # English after the Spanish
    assert "Retrograde Pyelography" not in pdf_text(packets / "S1.pdf")


def test_a_large_print_row_gets_large_print_throughout_even_the_cover(roster_run):
    _, packets, _ = roster_run
    pages_of, _, _ = page_chars(packets / "L1.pdf")
    cover = lines_of(pages_of[0])[1:-1]  # below the letterhead, above the footer
    assert min(round(c.size, 1) for line in cover for c in line) >= 18.0
    standard, _, _ = page_chars(packets / "S1.pdf")
    assert min(round(c.size, 1) for c in standard[1]) < 18.0  # a standard handout page
    body, _, _ = body_lines(packets / "L1.pdf", first_page=1)
    assert min(round(c.size, 1) for line in body for c in line) >= 18.0


@pytest.mark.parametrize("patient, message", [
    ("X1", "field 'format'"),
    ("X2", "format 'bilingual' needs two languages"),
    ("X3", "handout 'nephrostomy-ureteral-stent' has no 'zh-Hans' version for format 'bilingual'"),
])
def test_a_row_asking_for_an_edition_it_cannot_have_fails_by_name(roster_run, patient, message):
    result, packets, manifest = roster_run
    assert result.exit_code == 1
    assert manifest[patient]["status"] == "failed"
    assert message in manifest[patient]["error"] or message in result.stderr
    row = {"X1": 4, "X2": 5, "X3": 6}[patient]
    assert re.search(rf"roster\.csv: row {row} \({patient}\): .*{re.escape(message.split(':')[0])}", result.stderr)
    assert not (packets / f"{patient}.pdf").exists()


# --- QR links ------------------------------------------------------------------------------

WEB = "https://riverside-urology.example/handouts/retrograde-pyelography"  # example clinic addresses
VIDEO = "https://riverside-urology.example/videos/retrograde-pyelography"
VIDEO_ES = "https://riverside-urology.example/es/videos/retrograde-pyelography"


def add_links(workspace: Path, links: str, path: Path = HANDOUT) -> None:
    """Give a handout file ``links:`` (YAML lines) before its review notes or segments."""
    text = (workspace / path).read_text(encoding="utf-8")
    anchor = next(a for a in ("\nreview_notes:", "\nsegments:") if a in text)
    (workspace / path).write_text(text.replace(anchor, "\nlinks:\n" + links.rstrip() + anchor, 1), encoding="utf-8")


def scanned(path: Path, page: int, folder: Path) -> set[str]:
    """The addresses a phone would read from the QR codes on ``page`` (zbarimg on a 200 dpi image)."""
    subprocess.run(["pdftoppm", "-png", "-r", "200", "-f", str(page), "-l", str(page), str(path), str(folder / "scan")],
                   check=True)
    (image,) = folder.glob("scan*.png")
    found = subprocess.run(["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True)
    image.unlink()
    return set(found.stdout.split())


@pytest.fixture(scope="module")
def linked(tmp_path_factory) -> dict[str, Path]:
    """The retrograde sample with a web page and a video, and a Spanish video of its own."""
    from conftest import copy_sample_workspace, run_cli

    root = copy_sample_workspace(tmp_path_factory.mktemp("links") / "ws")
    add_links(root, f"  web: {WEB}\n  video: {VIDEO}\n")
    add_links(root, f"  web: {WEB}?lang=es\n  video: {VIDEO_ES}\n", Path(f"handouts/{RETRO}/es.yaml"))
    out = root / "out"
    result = run_cli("build", RETRO, "--out", out, "-j", "2", "-w", root)
    assert result.exit_code == 0, result.stderr
    return {language: out / f"{RETRO}.{language}.pdf" for language in ("en", "es", "ar", "zh-Hans")}


def test_links_print_as_qr_codes_that_scan_to_their_address(linked, tmp_path):
    last = pages(linked["en"])
    assert scanned(linked["en"], last, tmp_path) == {WEB, VIDEO}
    text = pdf_text(linked["en"])
    assert "Read this online" in text and "Watch the video" in text
    assert "riverside-urology.example/videos/retrograde-pyelography" in text.replace(" ", "")


def test_a_translation_may_link_its_own_video(linked, tmp_path):
    assert scanned(linked["es"], pages(linked["es"]), tmp_path) == {f"{WEB}?lang=es", VIDEO_ES}
    text = pdf_text(linked["es"])
    assert translations_for("es").gettext("Watch the video") in text
    # a translation without links of its own prints the source's
    assert scanned(linked["ar"], pages(linked["ar"]), tmp_path) == {WEB, VIDEO}


@pytest.mark.parametrize("language", ["en", "ar", "zh-Hans"])
def test_qr_codes_are_figures_whose_alt_text_says_where_they_lead(linked, language):
    with pikepdf.open(linked[language]) as pdf:
        figures = [str(e.Alt) for e in structure_elements(pdf.Root.StructTreeRoot) if e.S == pikepdf.Name.Figure]
    leads = [alt for alt in figures if VIDEO in alt]
    assert len(leads) == 1 and leads[0] == translations_for(language).gettext("QR code linking to %(url)s") % {"url": VIDEO}
    assert [(f.rule_id, f.message) for f in validate(str(linked[language])).findings] == []


def test_qr_codes_are_drawn_offline(monkeypatch):
    """The codes are drawn in the render itself: no connection is even attempted."""
    import socket

    import handoutgen
    from handoutgen.load import load_yaml

    def refuse(*args, **kwargs):
        raise AssertionError("the render tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    handout = load_yaml(REPO / HANDOUT).data | {"links": {"web": WEB}}
    brand = load_yaml(REPO / "styles/brands/riverside/brand.yaml").data | {"logo": ""}
    pdf = handoutgen.render_pdf(handout, brand=brand)
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        alts = [str(e.Alt) for e in structure_elements(opened.Root.StructTreeRoot) if e.S == pikepdf.Name.Figure]
    assert f"QR code linking to {WEB}" in alts


@pytest.mark.parametrize("url, message", [
    ("http://riverside-urology.example/stent", "use an https:// address"),
    ("https://riverside urology.example", "not a web address"),
])
def test_check_accepts_only_https_links_and_names_the_line(cli, workspace, url, message):
    add_links(workspace, f"  video: {url}\n")
    result = cli("check", "-w", workspace)
    assert result.exit_code == 1
    line = line_of(workspace, "video:")
    assert f"{HANDOUT}:{line}: error: field 'links.video': {message}" in result.stdout + result.stderr


def test_a_translations_own_links_survive_its_rewrite_by_import(workspace):
    """`i18n import` rewrites a translation file from its model: its links are kept, and a
    translation without links gets no empty `links:` key."""
    import yaml

    from handoutgen.i18n.exchange import dump_translation
    from handoutgen.prepared import HandoutFile
    from handoutgen.workspace import Workspace

    add_links(workspace, f"  video: {VIDEO_ES}\n", Path(f"handouts/{RETRO}/es.yaml"))
    ws = Workspace(workspace)
    for language, expected in (("es", {"web": None, "video": VIDEO_ES}), ("ar", None)):
        path = workspace / "handouts" / RETRO / f"{language}.yaml"
        translation, _ = ws.load_translation(HandoutFile(RETRO, language, path))
        written = yaml.safe_load(dump_translation(translation, list(translation.segments)))
        assert written.get("links") == expected


def test_the_api_builds_the_editions_too(workspace, tmp_path):
    import handoutgen

    ws = handoutgen.open_workspace(workspace)
    large = handoutgen.build(ws, [RETRO], ["en"], out_dir=tmp_path, large_print=True)
    both = handoutgen.build(ws, [RETRO], ["es", "en"], out_dir=tmp_path, bilingual="en")
    assert [r.output.name for r in large] == [f"{RETRO}.en.large-print.pdf"]
    assert [r.output.name for r in both] == [f"{RETRO}.es.bilingual-en.pdf"]  # English needs no English beside it
    assert all(r.error is None for r in large + both)
