"""Packet covers laid out by Typst: the cover letter of cover.html.j2, at a fraction of the cost.

A WeasyPrint document costs ~45 ms of CPU whatever its size (cascade, layout, drawing, font
subsetting), and a packet's cover is one small page per patient: Typst lays the same letter
out in ~7 ms, tagged (PDF/UA-1), with its own font subsets (a Chinese cover carries only the
glyphs it prints). The letter is ``templates/cover.typ``; every text reaches it as JSON data
(``sys.inputs``), translated and formatted here with the same catalogs and Babel formats as
the HTML cover, so a patient field is a value, never Typst source.

Typst reads files only under its root (the workspace; the logo is the one file it reads) and
fonts from the styles' ``fonts/`` folder and the system (Noto, as WeasyPrint's fontconfig).
A workspace that changed the HTML cover (its own cover.html.j2, cover-page.css.j2, cover.css
or large-print-cover.css) keeps its design: ``cover_engine`` picks the HTML route for it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import unicodedata
from functools import lru_cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any

import pikepdf

from handoutgen.clock import today
from handoutgen.errors import Location, RenderError
from handoutgen.i18n.catalogs import translations_for
from handoutgen.model import RosterRow
from handoutgen.render.html import (
    COVER_PAGE_CSS_TEMPLATE, COVER_TEMPLATE, EnclosedHandout, appointment_texts, text_direction,
)
from handoutgen.render.settings import LARGE_PRINT_COVER_STYLESHEET, RenderSettings
from handoutgen.resources import defaults, find

TYPST_COVER_TEMPLATE = "cover.typ"
# The files that make the HTML cover's design: a workspace holding its own version of any of
# them has a design of its own, which only the HTML route prints.
HTML_COVER_TEMPLATES = (COVER_TEMPLATE, COVER_PAGE_CSS_TEMPLATE)
HTML_COVER_STYLES = ("cover.css", LARGE_PRINT_COVER_STYLESHEET)
TYPST_PAPER = {"letter": "us-letter", "a4": "a4"}
# The font stack of styles/fonts/fonts.css: Atkinson Hyperlegible for Latin, Noto for the rest,
# the CJK face matching the language (the collection's SC face draws Chinese glyphs the
# Simplified way; Traditional Chinese, Japanese and Korean have their own).
_LATIN_AND_NOTO = ["Atkinson Hyperlegible", "Noto Sans"]
_FONTS_BY_LANGUAGE = {
    "zh-Hant": [*_LATIN_AND_NOTO, "Noto Sans CJK TC"],
    "ja": [*_LATIN_AND_NOTO, "Noto Sans CJK JP"],
    "ko": [*_LATIN_AND_NOTO, "Noto Sans CJK KR"],
}
_DEFAULT_FONTS = [*_LATIN_AND_NOTO, "Noto Sans Arabic", "Noto Sans Hebrew", "Noto Sans CJK SC"]


def uses_typst(style_path: tuple[Path, ...], template_path: tuple[Path, ...]) -> bool:
    """Whether the cover files a workspace resolves to are the packaged ones (a copy counts as the
    packaged one): then its covers are laid out by Typst."""
    shipped = defaults()
    pairs = [(find(template_path, name), shipped.templates / name) for name in HTML_COVER_TEMPLATES]
    pairs += [(find(style_path, name), shipped.styles / name) for name in HTML_COVER_STYLES]
    return all(_same_file(used, packaged) for used, packaged in pairs)


def _same_file(used: Path, packaged: Path) -> bool:
    if used.resolve() == packaged.resolve():
        return True
    try:
        return used.read_bytes() == packaged.read_bytes()
    except OSError:
        return False


def _fonts(language: str, latin_covers: str, installed: frozenset[str]) -> list[str | dict[str, str]]:
    """The stack for ``language``, keeping the families this machine has (as fontconfig skips a
    missing one for WeasyPrint; Typst would warn); Atkinson Hyperlegible only for the characters
    it draws."""
    stack = next((fonts for tag, fonts in _FONTS_BY_LANGUAGE.items()
                  if language == tag or language.startswith(tag + "-")), _DEFAULT_FONTS)
    return [{"name": name, "covers": latin_covers} if name == _LATIN_AND_NOTO[0] else name
            for name in stack if name.casefold() in installed]


_FACE = re.compile(r"@font-face\s*{([^}]*)}")
_RANGE = re.compile(r"U\+([0-9A-Fa-f]+)(?:-([0-9A-Fa-f]+))?")


def latin_covers(fonts_css: Path) -> str:
    """The characters the Atkinson Hyperlegible faces of ``fonts.css`` draw (their unicode-range),
    as a regular expression for Typst's ``covers``: as in the HTML route, a Vietnamese "ễ" is
    drawn whole by Noto Sans, not as Atkinson's "e" with Noto's marks (which also extracted as "ễễ")."""
    ranges: set[tuple[int, int]] = set()
    for face in _FACE.findall(fonts_css.read_text(encoding="utf-8")):
        if _LATIN_AND_NOTO[0] in face and "unicode-range" in face:
            for start, end in _RANGE.findall(face.split("unicode-range", 1)[1]):
                ranges.add((int(start, 16), int(end or start, 16)))
    return "[" + "".join(f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in sorted(ranges)) + "]"


def _typst_language(tag: str) -> tuple[str, str | None]:
    """Typst's ``lang`` and ``region`` of a BCP 47 tag (a script subtag such as Hans has no place
    there: the PDF's /Lang gets the whole tag afterwards)."""
    parts = tag.split("-")
    region = next((p.lower() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    return parts[0].lower(), region


@lru_cache(maxsize=32)
def _translations(language: str) -> NullTranslations:
    return translations_for(language)


def cover_data(row: RosterRow, enclosed: list[EnclosedHandout], settings: RenderSettings,
               latin: str, installed: frozenset[str]) -> dict[str, Any]:
    """Everything the letter prints, as the HTML cover prints it (the same catalog strings);
    ``latin``: what Atkinson Hyperlegible draws (``latin_covers``); ``installed``: the font
    families Typst found (casefolded)."""
    _ = _translations(row.language).gettext
    brand = settings.brand.brand
    when = appointment_texts(row)
    # Babel puts a narrow no-break space in "9:30 AM"; Typst draws it without a space a reader
    # or a search could find ("9:30AM"), so it becomes an ordinary no-break space.
    time, arrival = (text.replace("\u202f", "\u00a0") for text in (when.time, when.arrival_time))
    lang, region = _typst_language(row.language)
    logo = settings.brand.logo_path
    details = [{"label": _("Where"), "value": row.location}] if row.location else []
    details += [{"label": _("With"), "value": row.clinician}] if row.clinician else []
    fallback_titles = [item.title for item in enclosed if item.fell_back]
    return {
        "lang": lang, "region": region, "rtl": text_direction(row.language) == "rtl",
        "fonts": _fonts(row.language, latin, installed), "paper": TYPST_PAPER[settings.paper],
        "large_print": settings.edition.large_print,
        "title": _("Patient packet"), "author": brand.name,
        "colours": {"primary": brand.colours.primary, "accent": brand.colours.accent},
        "clinic": brand.name, "footer": brand.footer, "footer_rtl": _first_strong_is_rtl(brand.footer),
        "logo": "/" + logo.resolve().relative_to(settings.base.resolve()).as_posix() if logo else None,
        "logo_alt": brand.logo_alt or brand.name,
        "call": _("Questions? Call us at"), "phone": row.phone or brand.phone,
        "heading": _("Your appointment"),
        "greeting": (_("Dear %(name)s,") % {"name": row.patient_name} if row.patient_name
                     else _("Dear patient,")),
        "intro": _("This packet has information about your procedure. Please read it before your appointment."),
        "when": {
            "date_label": _("Date"), "date": when.date, "time_label": _("Time"), "time": time,
            "arrive_label": _("Please arrive by"), "arrive": arrival or None,
            "arrival_day": when.arrival_day or None,
            "early": "(" + _("%(minutes)s minutes early") % {"minutes": row.arrive_minutes_before} + ")",
        } if row.appointment else None,
        "details": details,
        "prep": {"heading": _("How to prepare"), "text": row.prep} if row.prep else None,
        "list_heading": _("In this packet"),
        "enclosed": [dict(zip(("lang", "region"), _typst_language(item.language)), title=item.title)
                     for item in enclosed],
        "note": (_("Some handouts in this packet are in English because a translation is not available yet:")
                 + " " + ", ".join(fallback_titles) + ".") if fallback_titles else None,
    }


def _first_strong_is_rtl(text: str) -> bool:
    """Whether ``text`` reads right to left, by its first letter of a strong direction (HTML's
    dir="auto"): an English footer under an Arabic letter keeps its own order."""
    for character in text:
        direction = unicodedata.bidirectional(character)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


class TypstCoverRenderer:
    """One process's Typst compiler for covers: fonts found once, the template read once."""

    def __init__(self, settings: RenderSettings):
        import typst

        self.template = settings.find_template(TYPST_COVER_TEMPLATE)
        self.source = self.template.read_bytes()
        _refuse_packages(self.template, self.source)
        fonts_css = find(settings.style_path, "fonts/fonts.css")
        self.latin = latin_covers(fonts_css)
        font_paths = [str(fonts_css.parent)]
        self.installed = frozenset(family.casefold() for family in typst.Fonts(font_paths=font_paths).families())
        self.compiler = typst.Compiler(root=str(settings.base.resolve()), font_paths=font_paths)
        # Typst stamps the document with a date: the project's clock keeps a packet's bytes
        # the same run after run (and fixed in tests).
        self.timestamp = int(dt.datetime.combine(today(), dt.time(), dt.timezone.utc).timestamp())

    def render_pdf(self, row: RosterRow, enclosed: list[EnclosedHandout], settings: RenderSettings) -> pikepdf.Pdf:
        """The cover of ``row``'s packet, opened (as PdfRenderer.render_pdf leaves a cover)."""
        import typst

        data = json.dumps(cover_data(row, enclosed, settings, self.latin, self.installed), ensure_ascii=False)
        try:
            pdf, warnings = self.compiler.compile_with_warnings(
                input=self.source, format="pdf", pdf_standards=["ua-1"], timestamp=self.timestamp,
                sys_inputs={"data": data})
        except typst.TypstError as error:
            # Typst's message names the template's problem (never the data: it is not source)
            raise RenderError(f"the cover could not be laid out: {_first_line(error)}",
                              Location(self.template, _template_line(error))) from None
        if warnings:  # e.g. a font family that is not installed: the letter would print in another face
            raise RenderError(f"the cover could not be laid out as designed: {_first_line(warnings[0])}",
                              Location(self.template))
        assert isinstance(pdf, bytes)  # a PDF is one file (a list only for per-page image formats)
        cover = pikepdf.open(io.BytesIO(pdf))
        cover.Root.Lang = pikepdf.String(row.language)  # the whole tag (Typst's lang drops a script such as Hans)
        return cover


# "@preview/name:1.0" (or any "@namespace/…"): Typst would download the package during a render.
_PACKAGE = re.compile(rb'"@[A-Za-z][\w-]*/')


def _refuse_packages(template: Path, source: bytes) -> None:
    """A workspace's own cover.typ may not import Typst packages: they come from the internet,
    and a render reads nothing but the workspace (and fonts)."""
    if found := _PACKAGE.search(source):
        line = source.count(b"\n", 0, found.start()) + 1
        raise RenderError("the cover imports a Typst package, which would be downloaded during the render; "
                          "copy what you need into the template instead", Location(template, line))


# Where Typst's diagnostic points in the template (given as source text, it has this name).
_TEMPLATE_POSITION = re.compile(r"__typst_py_bytes__\.typ:(\d+):")


def _template_line(error: Exception) -> int | None:
    found = _TEMPLATE_POSITION.search(str(getattr(error, "diagnostic", "")))
    return int(found.group(1)) if found else None


def _first_line(problem: object) -> str:
    text = str(getattr(problem, "message", problem))
    return text.strip().splitlines()[0] if text.strip() else type(problem).__name__


def check_cover_template(settings: RenderSettings) -> None:
    """Lay out one cover with made-up details (no patient's) before a run: a broken or unsafe
    cover.typ stops the run with its own ``path:line`` error, before any handout is rendered
    and before workers start (which would each fail the same way)."""
    sample = RosterRow(patient_id="CHECK", handouts=["check"], appointment=dt.datetime(2000, 1, 3, 9, 30),
                       arrive_minutes_before=30, location="-", clinician="-", prep="-")
    TypstCoverRenderer(settings).render_pdf(sample, [EnclosedHandout("-", "en", False)], settings).close()

