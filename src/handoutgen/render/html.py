"""Render-HTML stage: a handout and a brand become an HTML document and its page CSS.

Patient and handout data only ever reach templates as context values. HTML
templates are autoescaped; the page CSS template is not (HTML escaping would
corrupt CSS strings), so every text placed in it goes through ``css_string``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from babel import Locale
from babel.dates import format_date, format_time

from handoutgen.errors import Location, RenderError
from handoutgen.figures import figure_file
from handoutgen.logo import logo_problem
from handoutgen.i18n.translations import EnglishFallback
from handoutgen.markup import plain_text, render_inline
from handoutgen.model import Handout, RosterRow, has_content, section_parts
from handoutgen.i18n.catalogs import translations_for
from handoutgen.prepared import Localized
from handoutgen.render.qr import qr_svg, short_url
from handoutgen.render.settings import RenderSettings

HANDOUT_TEMPLATE = "handout.html.j2"
PAGE_CSS_TEMPLATE = "page.css.j2"
HANDOUT_STYLESHEETS = ("fonts/fonts.css", "handout.css", "links.css")
COVER_TEMPLATE = "cover.html.j2"
COVER_PAGE_CSS_TEMPLATE = "cover-page.css.j2"
COVER_STYLESHEETS = ("fonts/fonts.css", "cover.css")
BLANK_TEMPLATE = "blank.html.j2"
BLANK_PAGE_CSS_TEMPLATE = "blank-page.css.j2"
PAGE_SIZES: dict[str, str] = {"letter": "letter", "a4": "A4"}


@dataclass(frozen=True)
class HtmlDocument:
    """What the PDF stage needs: the HTML, its page CSS, and where relative URLs start."""

    html: str
    page_css: str
    base_url: str
    stylesheets: tuple[str, ...]  # names under styles/, parsed once per process
    page_css_shared: bool = False  # page_css is the same for many documents


def css_string(text: str) -> str:
    """Quote ``text`` as a CSS string: nothing in it can end the string or the rule."""
    escaped = []
    for char in str(text):
        if char in '"\\<>' or ord(char) < 0x20 or ord(char) == 0x7F:
            # Hex escape plus a space terminator; newline becomes \a (a line break with pre-line).
            escaped.append(f"\\{ord(char):x} ")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def counter_content(pattern: str) -> str:
    """Turn ``'Page {page} of {pages}'`` into CSS content with live page counters."""
    parts = []
    for piece in re.split(r"(\{page\}|\{pages\})", pattern):
        if piece == "{page}":
            parts.append("counter(page)")
        elif piece == "{pages}":
            parts.append("counter(pages)")
        elif piece:
            parts.append(css_string(piece))
    return " ".join(parts)


def absolute_url(url: str) -> bool:
    """Only a full http(s) address means anything on paper; a site-relative path is left out."""
    return re.match(r"^https?://[^/\s]+", url or "") is not None


def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language, sep="-")
    except (ValueError, LookupError):
        return Locale.parse("en")


def long_date(value: dt.date, language: str = "en") -> str:
    return format_date(value, format="long", locale=_locale(language))


def text_direction(language: str) -> str:
    return "rtl" if _locale(language).character_order == "right-to-left" else "ltr"


@lru_cache(maxsize=32)
def environment(templates: tuple[Path, ...], language: str = "en") -> jinja2.Environment:
    """A Jinja environment over the template search path whose gettext speaks ``language`` (cached)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(templates)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    # Added to the environment by the jinja2.ext.i18n extension, so unknown to the type checker.
    env.install_gettext_translations(translations_for(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["css_string"] = css_string
    env.filters["counter_content"] = counter_content
    env.filters["plain"] = plain_text  # the words without markup, e.g. in <title> or an alt text
    env.filters["inline"] = inline_html  # **bold**, *emphasis*, [links](https://…), escaped
    env.filters["parts"] = section_parts  # a section as its object form: intro, items, figure, table
    env.tests["filled"] = has_content  # a section with anything to print
    env.filters["absolute_url"] = absolute_url
    return env


def _render(templates: tuple[Path, ...], language: str, names: tuple[str, str], context: dict[str, Any]) -> tuple[str, str]:
    env = environment(templates, language)
    try:
        return env.get_template(names[0]).render(context), env.get_template(names[1]).render(context)
    except jinja2.TemplateSyntaxError as error:
        raise RenderError(
            f"template syntax: {error.message}",
            Location(Path(error.filename or templates[0]), error.lineno),
        ) from None
    except jinja2.TemplateNotFound as error:
        raise RenderError(f"template '{error.name}' not found", Location(templates[0])) from None
    except jinja2.UndefinedError as error:
        raise RenderError(
            f"template uses an undefined value: {error.message}", Location(templates[0])
        ) from None


def inline_html(text: str) -> Markup:
    """A text field as inline HTML; an English fallback (``build --draft``) keeps its marking."""
    if isinstance(text, EnglishFallback):
        return Markup(text.__html__())
    return render_inline(text)


def _figure_url(settings: RenderSettings, handout: Handout, src: str) -> str:
    """Where the picture a figure names is, relative to the workspace (in the handout's language)."""
    found = figure_file(settings.base, handout.id, handout.language, src)
    where = Location(settings.base / "handouts" / handout.id)
    if found is None:  # loading checks every figure: only a file deleted since, or a handout from memory
        raise RenderError(f"figure file '{src}' not found in handouts/{handout.id}/ or figures/", where)
    if problem := logo_problem(found):  # checked again here: api.render_pdf takes handouts from memory
        raise RenderError(f"figure cannot be printed: {problem}", where)
    return found.relative_to(settings.base.resolve()).as_posix()


def _brand_context(settings: RenderSettings) -> dict[str, Any]:
    brand = settings.brand
    logo_url = None
    if brand.logo_path is not None:
        logo_url = brand.logo_path.relative_to(settings.base).as_posix()
    return {"brand": brand.brand, "logo_url": logo_url, "page_size": PAGE_SIZES[settings.paper]}


def render_handout_html(localized: Localized, settings: RenderSettings) -> HtmlDocument:
    handout = localized.handout
    translation = localized.translation
    context = {
        **_brand_context(settings),
        "handout": handout,
        "translation": translation,
        "out_of_date": bool(localized.stale),  # previous translations printed (--allow-stale)
        "draft": localized.draft and bool(localized.untranslated),
        # "Translation reviewed by … on …" only when every segment is reviewed (else the draft badge)
        "translation_reviewers": localized.status.reviewed_by if localized.status else [],
        "translation_reviewed_on": (dt.date.fromisoformat(localized.status.reviewed_on)
                                    if localized.status and localized.status.reviewed_on else None),
        "source_language_name": (
            _locale(translation.source_language).get_display_name(_locale(handout.language))
            if translation else ""
        ),
        "direction": text_direction(handout.language),
        "source_direction": text_direction(translation.source_language if translation else handout.language),
        "long_date": partial(long_date, language=handout.language),
        "figure_url": partial(_figure_url, settings, handout),
        "edition": settings.edition,
        "qr_svg": qr_svg,  # handout.links as QR codes (templates/qr-links.html.j2)
        "short_url": short_url,
    }
    html, page_css = _render(settings.template_path, handout.language, (HANDOUT_TEMPLATE, PAGE_CSS_TEMPLATE), context)
    return HtmlDocument(html, page_css, settings.base.as_uri() + "/", HANDOUT_STYLESHEETS + settings.edition.stylesheets)


@dataclass(frozen=True)
class EnclosedHandout:
    title: str
    language: str
    fell_back: bool


def _arrival(row: RosterRow, locale: Locale) -> tuple[str, str]:
    """The arrival time, and its date when that is the day before (an appointment just after
    midnight); the cover prints the date on a line of its own under the time."""
    if row.arrival is None or row.appointment is None:
        return "", ""
    time = format_time(row.arrival, "short", locale=locale)
    if row.arrival.date() == row.appointment.date():
        return time, ""
    return time, format_date(row.arrival, "full", locale=locale)


@dataclass(frozen=True)
class AppointmentTexts:
    """When to come, in the row's language: what either cover (HTML or Typst) prints."""

    date: str
    time: str
    arrival_time: str
    arrival_day: str  # the arrival's date, only when it is the day before


def appointment_texts(row: RosterRow) -> AppointmentTexts:
    locale = _locale(row.language)
    appointment = row.appointment
    arrival_time, arrival_day = _arrival(row, locale)
    return AppointmentTexts(
        format_date(appointment, "full", locale=locale) if appointment else "",
        format_time(appointment, "short", locale=locale) if appointment else "",
        arrival_time, arrival_day,
    )


def render_cover_html(
    row: RosterRow,
    enclosed: list[EnclosedHandout],
    settings: RenderSettings,
) -> HtmlDocument:
    """The cover letter of one patient's packet. Patient fields go into the context only."""
    when = appointment_texts(row)
    context = {
        **_brand_context(settings),
        "row": row,
        "language": row.language,
        "direction": text_direction(row.language),
        "appointment_date": when.date,
        "appointment_time": when.time,
        "arrival_time": when.arrival_time,
        "arrival_day": when.arrival_day,
        "phone": row.phone or settings.brand.brand.phone,
        "enclosed": enclosed,
        "fallback_titles": [item.title for item in enclosed if item.fell_back],
    }
    html, page_css = _render(settings.template_path, row.language, (COVER_TEMPLATE, COVER_PAGE_CSS_TEMPLATE), context)
    return HtmlDocument(html, page_css, settings.base.as_uri() + "/", COVER_STYLESHEETS + settings.edition.cover_stylesheets,
                        page_css_shared=True)


def render_blank_html(language: str, settings: RenderSettings) -> HtmlDocument:
    """The duplex filler page: "This page is intentionally blank" in ``language``."""
    context = {"language": language, "direction": text_direction(language), "page_size": PAGE_SIZES[settings.paper]}
    html, page_css = _render(settings.template_path, language, (BLANK_TEMPLATE, BLANK_PAGE_CSS_TEMPLATE), context)
    return HtmlDocument(html, page_css, settings.base.as_uri() + "/", ("fonts/fonts.css",), page_css_shared=True)
