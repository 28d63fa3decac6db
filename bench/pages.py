"""Pages and fill of every sample handout in every language, laid out by the project's pipeline.

For each handout file (English and every translation) prints the number of pages and, per
page, the fill: how much of the usable height (page box minus margins) the content uses,
from WeasyPrint's layout boxes. A page other than the last should be at least 65% full
(issue #10: no more than ~35% empty) unless what opens the next page may not be split
(a box with `break-inside: avoid`, with the heading kept before it) and did not fit;
such pages are marked "kept". Pages breaking the rule are marked "WASTE". Then the number
of footer lines in every interface catalog (at most 2), and the fill of a typical cover letter.

Usage: python bench/pages.py [--paper letter|a4] [--brand NAME] [--workspace DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
from dataclasses import dataclass, replace
from pathlib import Path

import pikepdf

from handoutgen.builder import HandoutRenderer
from handoutgen.i18n.catalogs import DOMAIN, LOCALE_DIR
from handoutgen.model import RosterRow
from handoutgen.render.html import EnclosedHandout, HtmlDocument, render_cover_html, render_handout_html
from handoutgen.render.pdf import PdfRenderer
from handoutgen.workspace import HandoutFile, Localized, Workspace

ROOT = Path(__file__).resolve().parent.parent
MIN_FILL = 0.65  # issue #10: no page but the last more than ~35% empty
EPSILON = 0.5  # CSS px; a split box is stretched to the page bottom exactly


@dataclass(frozen=True)
class PageFill:
    fill: float  # content height / usable height
    free: float  # usable height left empty, CSS px
    opening_kept: float | None  # height of the unsplittable block that opens the page, if any

    def wastes(self, following: PageFill | None) -> bool:
        """True when this page is too empty although the next page's opening would have fitted."""
        if following is None or self.fill >= MIN_FILL:
            return False
        return following.opening_kept is None or following.opening_kept <= self.free


def layout(renderer: HandoutRenderer, file: HandoutFile, interface_language: str | None = None):  # noqa: ANN201
    """Lay ``file`` out exactly as `handoutgen build` does, without writing the PDF (a
    weasyprint.Document). ``interface_language`` swaps the headings, footer and other
    interface strings to another catalog, keeping the handout's own text."""
    localized = renderer.workspace.load_handout(file, allow_stale=renderer.allow_stale)
    if interface_language:
        localized = replace(localized, handout=localized.handout.model_copy(update={"language": interface_language}))
    return layout_localized(renderer, localized)


def layout_localized(renderer: HandoutRenderer, localized: Localized):  # noqa: ANN201 - weasyprint.Document
    document = render_handout_html(localized, renderer.settings)
    return layout_html(renderer.pdf, document)


def layout_html(pdf: PdfRenderer, document: HtmlDocument):  # noqa: ANN201 - weasyprint.Document
    """Lay out any rendered document (a handout, a cover) with ``pdf``'s fonts, stylesheets and fetcher."""
    from weasyprint import CSS, HTML

    stylesheets = [pdf.stylesheet(name) for name in document.stylesheets]
    stylesheets.append(CSS(string=document.page_css, base_url=document.base_url,
                           url_fetcher=pdf.fetcher, font_config=pdf.font_config))
    html = HTML(string=document.html, base_url=document.base_url, url_fetcher=pdf.fetcher)
    return html.render(stylesheets=stylesheets, font_config=pdf.font_config)


def _children(box, floats: bool = True) -> list:  # noqa: ANN001 - weasyprint box
    """Children in the page's flow (running headers and absolute marks excluded), floats optional."""
    return [child for child in getattr(box, "children", ())
            if not (child.is_absolutely_positioned() or child.is_running()
                    or (child.is_floated() and not floats))]


def _content_bottom(box, page_bottom: float) -> float | None:  # noqa: ANN001
    """Lowest ink-bearing edge under ``box``: line boxes, images, and the bottom edge of
    every box that draws one (border, padding, background) and ends on this page. A box
    split onto the next page is stretched to the page bottom, so its own edge says
    nothing; its children do. Plain boxes may hold collapsed margins: children decide."""
    from weasyprint.formatting_structure.boxes import LineBox, ReplacedBox

    if isinstance(box, LineBox):
        return box.position_y + box.height
    bottoms = [_content_bottom(child, page_bottom) for child in _children(box)]
    edge = box.border_box_y() + box.border_height()
    draws_edge = (isinstance(box, ReplacedBox) or box.border_bottom_width or box.padding_bottom
                  or box.style["background_color"].alpha)
    if draws_edge and abs(edge - page_bottom) > EPSILON:
        bottoms.append(edge)
    found = [bottom for bottom in bottoms if bottom is not None]
    return max(found) if found else None


def _opening_kept(root, top: float) -> float | None:  # noqa: ANN001
    """Height from the page top to the end of the first `break-inside: avoid` box that opens
    the page, skipping headings kept with what follows (`break-after: avoid`)."""
    box = root
    while True:
        children = _children(box, floats=False)
        if not children or not hasattr(children[0], "children"):
            return None
        index = 0
        while children[index].style["break_after"] == "avoid" and index + 1 < len(children):
            index += 1
        first = children[index]
        if first.style["break_inside"] in ("avoid", "avoid-page"):
            return first.border_box_y() + first.border_height() - top
        if index:  # a heading, then something that may split
            return None
        box = first


def page_fills(document) -> list[PageFill]:  # noqa: ANN001 - weasyprint.Document
    fills = []
    for page in document.pages:
        page_box = page._page_box  # WeasyPrint's layout tree: the only place the fill is known
        top = page_box.content_box_y()
        usable = page_box.height
        root = page_box.children[0]  # the <html> box; margin boxes follow it
        bottom = _content_bottom(root, top + usable) or top
        used = min(bottom - top, usable)
        fills.append(PageFill(used / usable, usable - used, _opening_kept(root, top)))
    return fills


def footer_lines(document) -> int:  # noqa: ANN001 - weasyprint.Document
    """The most lines any bottom margin box (footer text, page number) takes on any page."""
    from weasyprint.formatting_structure.boxes import LineBox

    def lines(box) -> int:  # noqa: ANN001
        if isinstance(box, LineBox):
            return 1
        return sum(lines(child) for child in getattr(box, "children", ()))

    return max(lines(box) for page in document.pages for box in page._page_box.children
               if getattr(box, "at_keyword", "").startswith("@bottom"))


def catalog_languages() -> list[str]:
    return sorted(path.parent.parent.name.replace("_", "-") for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def cover_layout(renderer: HandoutRenderer, row: RosterRow, enclosed: list[EnclosedHandout]):  # noqa: ANN201
    document = render_cover_html(row, enclosed, renderer.settings)
    return layout_html(renderer.pdf, document)


def typical_cover(renderer: HandoutRenderer, language: str):  # noqa: ANN201 - weasyprint.Document
    """The cover letter of a typical patient: appointment, arrival, place, clinician, one
    line of preparation, and every sample handout in ``language``."""
    workspace = renderer.workspace
    files = [file for file in workspace.handout_files() if file.language == language]
    enclosed = [EnclosedHandout(workspace.load_handout(file).handout.title, language, False) for file in files]
    row = RosterRow(patient_id="bench", patient_name="Sam Example", language=language,
                    handouts=[file.id for file in files], appointment=dt.datetime(2026, 12, 1, 9, 30),
                    arrive_minutes_before=30, location="Building B, 2nd floor, room 214",
                    clinician="Dr. Example", prep="Nothing to eat or drink after midnight.")
    return cover_layout(renderer, row, enclosed)


def pdf_page_count(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)


def describe(fills: list[PageFill]) -> str:
    marks = []
    for index, page in enumerate(fills):
        following = fills[index + 1] if index + 1 < len(fills) else None
        note = ""
        if following is not None and page.fill < MIN_FILL:
            note = " WASTE" if page.wastes(following) else " kept"
        marks.append(f"{page.fill:.0%}{note}")
    return ", ".join(marks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paper", choices=("letter", "a4"), default=None)
    parser.add_argument("--brand", default=None)
    parser.add_argument("--workspace", type=Path, default=ROOT)
    options = parser.parse_args()

    workspace = Workspace(options.workspace)
    renderer = HandoutRenderer(workspace, workspace.render_settings(options.brand, options.paper))
    print(f"paper: {renderer.settings.paper}; fill = content height / usable height per page; "
          f"pages before the last should be >= {MIN_FILL:.0%}")
    total_pages = wasted = 0
    files = workspace.handout_files()
    for file in files:
        document = layout(renderer, file)
        fills = page_fills(document)
        pdf_pages = pdf_page_count(renderer.render(file).pdf)
        assert pdf_pages == len(fills), f"layout has {len(fills)} pages, the PDF {pdf_pages}"
        total_pages += len(fills)
        wasted += sum(page.wastes(following) for page, following in zip(fills, fills[1:]))
        print(f"  {file.id}.{file.language}: {len(fills)} pages: {describe(fills)}; "
              f"footer {footer_lines(document)} lines")
    print(f"total: {total_pages} pages, {wasted} wasted (too empty before a page that could have started earlier)")

    english = [file for file in files if file.language == "en"]
    print("footer lines per interface catalog (English samples' text, that catalog's strings; "
          "should be <= 2):")
    for language in catalog_languages():
        counts = [footer_lines(layout(renderer, file, language)) for file in english]
        print(f"  {language}: {max(counts)}")

    languages = sorted({file.language for file in files})
    print("cover letter of a typical patient, fill of its page: "
          + ", ".join(f"{language} {page_fills(typical_cover(renderer, language))[0].fill:.0%}"
                      for language in languages))


if __name__ == "__main__":
    main()
