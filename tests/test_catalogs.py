"""Interface strings: the catalogs match the templates and every required language is complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from conftest import REPO
from handoutgen.i18n.catalogs import LOCALE_DIR, catalog_path, translations_for

# The most common languages of US patients with limited English (issue #4).
REQUIRED = ["es", "zh-Hans", "vi", "ko", "tl", "ru", "ar", "ht", "fr", "pt"]


def template_messages() -> set[str]:
    found = extract_from_dir(
        str(REPO), method_map=[("templates/**.j2", "jinja2")],
        options_map={"templates/**.j2": {"extensions": "jinja2.ext.i18n"}},
    )
    return {message for _, _, message, _, _ in found}


def catalog_ids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


def test_pot_is_up_to_date_with_the_templates():
    pot = catalog_ids(LOCALE_DIR / "handoutgen.pot")
    in_templates = template_messages()
    assert in_templates - pot == set(), "new strings: run `make i18n-extract i18n-update`"
    assert pot - in_templates == set(), "strings gone from templates: run `make i18n-extract i18n-update`"


@pytest.mark.parametrize("language", REQUIRED)
def test_catalog_is_complete_and_marked_for_review(language):
    path = catalog_path(language)
    assert path.is_file(), f"no catalog for {language}"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    pot = catalog_ids(LOCALE_DIR / "handoutgen.pot")
    translated = {m.id: m.string for m in catalog if m.id}
    assert set(translated) == pot, "catalog out of date: run `make i18n-update`"
    assert [i for i, s in translated.items() if not s] == []
    assert [m.id for m in catalog if m.id and m.fuzzy] == []  # fuzzy entries are ignored at run time
    assert [(m.id, errors) for m, errors in catalog.check()] == []  # %(name)s placeholders intact
    for message_id, text in translated.items():
        assert set(re.findall(r"\{\w+\}", message_id)) == set(re.findall(r"\{\w+\}", text)), message_id
    raw = path.read_text(encoding="utf-8")
    assert "X-Review-Status: needs review by a qualified medical translator" in raw


def test_catalogs_compile_and_translate():
    assert translations_for("es").gettext("What is it?") != "What is it?"
    assert translations_for("pt-BR").gettext("Risks") == translations_for("pt").gettext("Risks")
    assert translations_for("en").gettext("Risks") == "Risks"
