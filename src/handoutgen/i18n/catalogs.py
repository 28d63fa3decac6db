"""Interface strings (headings, "Page X of Y", the cover letter) through gettext catalogs.

The PO files live in the package (``locale/<lang>/LC_MESSAGES/handoutgen.po``) and are
compiled with Babel when first used, so an edited PO file takes effect without a
separate build step. The template for new catalogs is ``locale/handoutgen.pot``,
extracted from the Jinja templates (see README: "Interface strings").
"""

from __future__ import annotations

import io
from functools import lru_cache
from gettext import NullTranslations
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from handoutgen.errors import Location, UsageError

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "handoutgen"
SOURCE_LANGUAGE = "en"  # the language the templates are written in


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalog_for(language: str) -> str | None:
    """The catalog that serves ``language``: exact (zh-Hans), else its base language (pt-BR → pt)."""
    for candidate in (language, language.split("-")[0]):
        if catalog_path(candidate).is_file():
            return candidate
    return None


@lru_cache(maxsize=32)
def translations_for(language: str) -> NullTranslations:
    """Compiled interface strings for ``language``; the source language needs none."""
    if language.split("-")[0] == SOURCE_LANGUAGE:
        return NullTranslations()
    found = catalog_for(language)
    if found is None:
        raise UsageError(
            f"no interface-string catalog for language '{language}': headings would print in English; "
            f"add {catalog_path(language).relative_to(LOCALE_DIR.parent)} (see README: Interface strings)",
            Location(LOCALE_DIR),
        )
    path = catalog_path(found)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=Locale.parse(found, sep="-"), domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
