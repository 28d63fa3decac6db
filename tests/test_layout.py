"""Handouts print economically and read in order; the footer, header and cover letter are set
with care in every language.

Page fill and footer lines come from WeasyPrint's own layout of the page, through the same
helpers as `bench/pages.py`; what a reader sees (where the phone number sits) is read back
from the PDF.
"""

from __future__ import annotations

import csv
import datetime as dt
import ctypes
import importlib.util
import math
import sys
from dataclasses import replace

import pypdfium2
import pypdfium2.raw as pdfium
import pytest

from conftest import REPO
from handoutgen.builder import HandoutRenderer
from handoutgen.model import RosterRow, section_parts
from handoutgen.render.html import EnclosedHandout
from handoutgen.workspace import Workspace

_spec = importlib.util.spec_from_file_location("bench_pages", REPO / "bench" / "pages.py")
pages = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pages)

HEADINGS = {"h1", "h2", "h3"}
PT = 4 / 3  # CSS px per point


@pytest.fixture(scope="module")
def renderers():
    workspace = Workspace(REPO)
    return {paper: HandoutRenderer(workspace, workspace.render_settings(paper=paper)) for paper in ("letter", "a4")}


ITEM_CLASSES = {"word", "normal-effect"}  # glossary words and "What is normal" boxes: items too


def is_item(element) -> bool:
    return element.tag == "li" or bool(ITEM_CLASSES & set(element.get("class", "").split()))


def page_blocks(document) -> list[list]:
    """For every page, the boxes of headings, paragraphs and items on it, in reading order
    (a box split over two pages appears on both)."""
    result = []

    def walk(box, found):
        element = getattr(box, "element", None)
        if element is not None and box.element_tag and (box.element_tag in HEADINGS | {"p"} or is_item(element)):
            found.append(box)
            return
        for child in getattr(box, "children", ()):
            if not (child.is_running() or child.is_absolutely_positioned()):
                walk(child, found)

    for page in document.pages:
        found = []
        walk(page._page_box.children[0], found)
        result.append(found)
    return result


def first_of_several(box, parents: dict) -> bool:
    """An item that opens a run of two or more items right under a heading: list items and
    glossary words under the heading before their list, "What is normal" boxes under theirs."""
    element = box.element
    if not is_item(element):
        return False
    parent = parents[element]
    siblings = list(parent)
    if element.tag in ("li", "div") and "normal-effect" not in element.get("class", ""):
        heading_holder, items = parent, [child for child in siblings if is_item(child)]
    else:
        heading_holder, items = element, siblings[siblings.index(element):]
        items = items[:next((i for i, item in enumerate(items) if not is_item(item)), len(items))]
    around = list(parents[heading_holder])
    position = around.index(heading_holder)
    before = around[position - 1] if position else None
    return items[0] is element and len(items) > 1 and before is not None and before.tag in HEADINGS


def heading_then_one_line(box, parents: dict) -> bool:
    """A paragraph right under its heading with only one line of it on this page."""
    if box.element_tag != "p":
        return False
    siblings = list(parents[box.element])
    position = siblings.index(box.element)
    lines = [child for child in box.children if type(child).__name__ == "LineBox"]
    return position > 0 and siblings[position - 1].tag in HEADINGS and len(lines) < 2


def assert_reads_well(document, name: str) -> None:
    fills = pages.page_fills(document)
    blocks = page_blocks(document)
    root = document.pages[0]._page_box.children[0].element
    parents = {child: parent for parent in root.iter() for child in parent}
    for number, (fill, following) in enumerate(zip(fills, fills[1:]), start=1):
        assert not fill.wastes(following), (
            f"{name} page {number} is {1 - fill.fill:.0%} empty although the next page's opening fits")
        last = blocks[number - 1][-1]
        assert last.element_tag not in HEADINGS, f"{name} page {number} ends with a heading"
        assert not first_of_several(last, parents), f"{name} page {number} ends with a heading's first item alone"
        assert not heading_then_one_line(last, parents), f"{name} page {number} ends with a heading and one line"
    for number, (here, there) in enumerate(zip(blocks, blocks[1:]), start=1):
        split = {box.element for box in here if box.element_tag in ("li",)} & {box.element for box in there}
        assert not split, f"{name}: a list item splits between pages {number} and {number + 1}"


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_samples_fit_their_page_budget_in_every_language(renderers, paper):
    renderer = renderers[paper]
    counts, needed = {}, {}
    for file in renderer.workspace.handout_files():
        document = pages.layout(renderer, file)
        counts[file.id, file.language] = len(document.pages)
        # Pages the content would take if it could be packed with no gap at all.
        needed[file.id, file.language] = math.ceil(sum(page.fill for page in pages.page_fills(document)))
        assert_reads_well(document, f"{file.id}.{file.language} on {paper}")
    for (handout_id, language), count in counts.items():
        # A translation takes no more pages than its English unless its text truly needs them.
        assert count <= max(counts[handout_id, "en"], needed[handout_id, language]), (handout_id, language, count)
    # The short sample is a 3-page handout in every language (4 before issue #10).
    assert {count for (handout_id, _), count in counts.items() if handout_id == "retrograde-pyelography"} == {3}


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_breaks_stay_good_wherever_the_text_falls(renderers, paper):
    """Longer or shorter text moves every page break: shift the whole handout down a little
    at a time (by repeating its first paragraph) and check each layout."""
    renderer = renderers[paper]
    workspace = renderer.workspace
    for file in workspace.handout_files():
        if file.language != "en":
            continue
        localized = workspace.load_handout(file)
        handout = localized.handout
        for copies in range(1, 5):
            overview = section_parts(handout.overview)  # a list, or {items, figure...}
            paragraphs = overview.items[:1] * copies + overview.items
            longer = handout.model_copy(update={"overview": overview.model_copy(update={"items": paragraphs})})
            document = pages.layout_localized(renderer, replace(localized, handout=longer))
            assert_reads_well(document, f"{file.id} +{copies} paragraphs on {paper}")


def test_about_this_handout_splits_instead_of_leaving_a_page_empty(renderers):
    renderer = renderers["letter"]
    file = next(f for f in renderer.workspace.handout_files() if f.id == "retrograde-pyelography" and f.language == "en")
    localized = renderer.workspace.load_handout(file)
    handout = localized.handout
    many_sources = handout.model_copy(update={"sources": handout.sources * 12})
    document = pages.layout_localized(renderer, replace(localized, handout=many_sources))
    about = set(document.pages[0]._page_box.children[0].element.find(".//section[@id='about']").iter())
    assert any(box.element in about for box in page_blocks(document)[-2]), \
        "About this handout starts on the page before the last"
    assert_reads_well(document, "retrograde-pyelography with 12x the sources")


@pytest.mark.slow
@pytest.mark.parametrize("language", pages.catalog_languages())
def test_footer_fits_two_lines_at_9pt_or_more(renderers, language):
    renderer = renderers["a4"]  # the narrower paper
    for file in renderer.workspace.handout_files():
        if file.language != "en":
            continue
        document = pages.layout(renderer, file, interface_language=language)
        assert pages.footer_lines(document) <= 2, (language, file.id)
        footers = [box for box in document.pages[0]._page_box.children
                   if getattr(box, "at_keyword", "").startswith("@bottom")]
        assert footers and all(box.style["font_size"] >= 9 * PT - 0.01 for box in footers)


def header_positions(path, text: str) -> list[tuple[float, float, float]]:
    """(left, right, top) of every occurrence of ``text`` on page 1, in PDF points."""
    document = pypdfium2.PdfDocument(str(path))
    try:
        page = document[0]
        textpage = page.get_textpage()
        found = []
        searcher = textpage.search(text)
        while (hit := searcher.get_next()) is not None:
            start, count = hit
            boxes = [textpage.get_charbox(index) for index in range(start, start + count)]
            found.append((min(b[0] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)))
        return found
    finally:
        document.close()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_header_puts_the_phone_at_the_far_end(cli, workspace, tmp_path, language):
    out = tmp_path / "out"
    result = cli("build", "retrograde-pyelography", "--lang", language, "--workspace", workspace, "--out", out)
    assert result.exit_code == 0, result.stderr
    path = out / f"retrograde-pyelography.{language}.pdf"
    width = 612  # US letter, points
    phone = max(header_positions(path, "(555) 010-0142"), key=lambda found: found[2])  # the topmost: the header
    clinic = max(header_positions(path, "Riverside Urology Clinic"), key=lambda found: found[2])
    margin = 18 / 25.4 * 72
    if language == "ar":  # mirrored: the phone at the left edge, the clinic name on the right
        assert phone[0] < margin + 10 and clinic[0] > width / 2
    else:
        assert phone[1] > width - margin - 10 and clinic[1] < width / 2


# The cover letter -----------------------------------------------------------------------

COVER_ROWS = {  # language: (name, handouts, appointment, what the big type must show)
    "en": ("Ann Example", "retrograde-pyelography;nephrostomy-ureteral-stent", "2026-12-01T09:30",
           ["Tuesday, December 1, 2026", "9:30 AM", "9:00 AM"]),
    "es": ("Ana Ejemplo", "retrograde-pyelography;nephrostomy-ureteral-stent", "2026-12-01T09:30",
           ["martes, 1 de diciembre de 2026", "9:30", "9:00"]),
    "ar": ("محمد علي", "retrograde-pyelography;nephrostomy-ureteral-stent", "2026-12-01T09:30",
           ["ديسمبر", "2026", "9:30", "9:00"]),
    "zh-Hans": ("陈伟", "retrograde-pyelography", "2026-12-01T14:00", ["2026年12月1日星期二", "14:00", "13:30"]),
}


@pytest.fixture(scope="module")
def covers(tmp_path_factory):
    """One packet per sample language, made by `handoutgen packets` from a roster."""
    from conftest import run_cli

    folder = tmp_path_factory.mktemp("covers")
    roster = folder / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", "patient_name", "language", "handouts", "appointment",
                         "arrive_minutes_before", "location", "clinician", "prep"])
        for language, (name, handouts, appointment, _) in COVER_ROWS.items():
            writer.writerow([f"P-{language}", name, language, handouts, appointment, "30",
                             "Building B, 2nd floor, room 214", "Dr. Example",
                             "Nothing to eat or drink after midnight."])
    out = folder / "packets"
    result = run_cli("packets", roster, "--out", out, "--jobs", "2", "-w", REPO)
    assert result.exit_code == 0, result.stderr
    return out


def cover_type(path) -> tuple[float, list[tuple[float, str, str, tuple]]]:
    """Page width and height and, for every character of page 1: (font size, font name, char, box)."""
    document = pypdfium2.PdfDocument(str(path))
    try:
        page = document[0]
        textpage = page.get_textpage()
        chars = []
        for index in range(textpage.count_chars()):
            name = ctypes.create_string_buffer(256)
            pdfium.FPDFText_GetFontInfo(textpage.raw, index, name, 256, None)
            chars.append((round(pdfium.FPDFText_GetFontSize(textpage.raw, index), 1), name.value.decode(),
                          textpage.get_text_range(index, 1), textpage.get_charbox(index)))
        return page.get_width(), page.get_height(), chars
    finally:
        document.close()


@pytest.mark.parametrize("language", sorted(COVER_ROWS))
def test_cover_sets_when_to_come_largest_and_bold(covers, language):
    _, _, chars = cover_type(covers / f"P-{language}.pdf")
    largest = max(size for size, *_ in chars)
    big = [(name, char) for size, name, char, _ in chars if size == largest and char.strip()]
    big_text = "".join(char for _, char in big)
    for expected in COVER_ROWS[language][3]:  # the date, the time and the arrival time, nothing else
        assert expected.replace(" ", "") in big_text.replace("\u202f", ""), (expected, big_text)
    assert all("Bold" in name for name, _ in big)
    assert "Riverside" not in big_text and "Example" not in big_text


@pytest.mark.parametrize("language", sorted(COVER_ROWS))
def test_cover_gives_the_phone_at_the_top_at_the_far_end(covers, language):
    width, height, _ = cover_type(covers / f"P-{language}.pdf")
    phone = max(header_positions(covers / f"P-{language}.pdf", "(555) 010-0142"), key=lambda found: found[2])
    assert phone[2] > height * 0.85  # in the letterhead
    if language == "ar":
        assert phone[1] < width / 2
    else:
        assert phone[0] > width / 2


@pytest.mark.parametrize("language", sorted(COVER_ROWS))
def test_cover_is_balanced_and_boxes_the_preparation(renderers, language):
    document = pages.typical_cover(renderers["letter"], language)
    assert len(document.pages) == 1
    assert pages.page_fills(document)[0].fill >= 0.7  # the letter reaches well down the page, not half of it
    root = document.pages[0]._page_box.children[0]
    prep = [box for box in boxes_of(root) if "prep" in box.element.get("class", "").split()]
    assert prep and prep[0].border_top_width > 0 and prep[0].border_bottom_width > 0
    assert "Nothing to eat or drink after midnight." in "".join(text_of(prep[0]))


def boxes_of(box):
    yield box
    for child in getattr(box, "children", ()):
        yield from boxes_of(child)


def text_of(box) -> list[str]:
    return [child.text for child in boxes_of(box) if hasattr(child, "text")]


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_a_full_cover_still_fits_one_sheet(renderers, paper):
    """Every field filled and long: an arrival the evening before (it carries its date), a
    long place and clinician, three lines of preparation, two handouts in English as a
    fallback (the note prints). The cover stays one page: a second is a sheet per patient."""
    renderer = renderers[paper]
    for language in ("en", "es", "fr", "ar", "zh-Hans", "ru"):
        row = RosterRow(
            patient_id="P1", patient_name="Alexandra Maria Example-Longname", language=language,
            handouts=["retrograde-pyelography", "nephrostomy-ureteral-stent"],
            appointment=dt.datetime(2026, 12, 1, 0, 15), arrive_minutes_before=45,
            location="Riverside Urology Clinic, Building B, 2nd floor, room 214, next to the east elevators",
            clinician="Dr. Example Longname, Consultant Urologist",
            prep="Nothing to eat or drink after midnight.\nBring a list of your medicines.\nBring someone to drive you home.",
        )
        enclosed = [EnclosedHandout("Retrograde Pyelography", "en", True),
                    EnclosedHandout("Nephrostomy Tube and Ureteral Stent", "en", True)]
        document = pages.cover_layout(renderer, row, enclosed)
        assert len(document.pages) == 1, (language, paper)


def test_a_cover_too_long_for_one_page_loses_nothing(cli, workspace, tmp_path):
    prep = "\n".join(f"Step {number} of a long preparation list." for number in range(1, 31))
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", "language", "handouts", "appointment", "prep"])
        writer.writerow(["P1", "en", "retrograde-pyelography", "2026-12-01T09:30", prep])
    out = tmp_path / "packets"
    assert cli("packets", roster, "--out", out, "-w", workspace).exit_code == 0
    document = pypdfium2.PdfDocument(str(out / "P1.pdf"))
    try:
        cover = " ".join(document[index].get_textpage().get_text_range() for index in range(2))
    finally:
        document.close()
    assert "Step 30 of a long preparation list." in cover and "In this packet" in cover
