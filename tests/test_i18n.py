"""Translators keep handouts in step with the English, and patients get real translations."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pikepdf
import pytest
import yaml

from conftest import pdf_fonts, pdf_text

RETRO = "retrograde-pyelography"
NEPHRO = "nephrostomy-ureteral-stent"
ENGLISH = Path(f"handouts/{RETRO}/en.yaml")
OLD_SENTENCE = "To check for an injury to your kidneys or ureters."
NEW_SENTENCE = "To check for an injury to your kidneys or to your ureters."


def edit_english(workspace: Path) -> None:
    path = workspace / ENGLISH
    text = path.read_text()
    assert OLD_SENTENCE in text
    path.write_text(text.replace(OLD_SENTENCE, NEW_SENTENCE))


def status_rows(cli, workspace) -> list[dict]:
    result = cli("i18n", "status", "--format", "json", "-w", workspace)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_samples_are_current_where_translated(cli, workspace):
    rows = {(r["handout_id"], r["language"]): r for r in status_rows(cli, workspace)}
    for key in [(RETRO, "es"), (RETRO, "ar"), (RETRO, "zh-Hans"), (NEPHRO, "es"), (NEPHRO, "ar")]:
        assert rows[key]["state"] == "current", key
        assert rows[key]["translated"] == rows[key]["total"]
    assert rows[(NEPHRO, "zh-Hans")]["state"] == "missing"
    assert cli("i18n", "status", "--strict", "-w", workspace).exit_code == 1
    assert cli("i18n", "status", "--strict", "--lang", "es", "-w", workspace).exit_code == 0


def test_editing_one_sentence_makes_exactly_that_segment_stale_everywhere(cli, workspace):
    edit_english(workspace)
    rows = [r for r in status_rows(cli, workspace) if r["handout_id"] == RETRO]
    assert {r["language"] for r in rows} == {"es", "ar", "zh-Hans"}
    for row in rows:
        assert row["state"] == "stale"
        assert [s["id"] for s in row["stale"]] == ["reasons.4"]
        assert row["stale"][0]["source_then"] == OLD_SENTENCE
        assert row["stale"][0]["source_now"] == NEW_SENTENCE
        assert row["missing"] == []
    text = cli("i18n", "status", "-w", workspace).stdout
    assert f"was: {OLD_SENTENCE}" in text and f"now: {NEW_SENTENCE}" in text


def test_stale_translation_fails_the_build_naming_the_segment(cli, workspace, tmp_path):
    edit_english(workspace)
    result = cli("build", RETRO, "--lang", "es", "-w", workspace, "-o", tmp_path)
    assert result.exit_code == 1
    assert f"handouts/{RETRO}/es.yaml: translation is stale (stale: reasons.4)" in result.stderr
    assert not (tmp_path / f"{RETRO}.es.pdf").exists()


def test_allow_stale_prints_the_previous_translation_with_a_visible_notice(cli, workspace, tmp_path):
    edit_english(workspace)
    previous = yaml.safe_load((workspace / f"handouts/{RETRO}/es.yaml").read_text())["segments"]["reasons.4"]["text"]
    result = cli("build", RETRO, "--lang", "es", "--allow-stale", "-w", workspace, "-o", tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "warning: translation is stale (stale: reasons.4)" in result.stderr
    from conftest import pdf_pages_text
    from handoutgen.i18n.catalogs import translations_for

    notice = translations_for("es").gettext(
        "This translation may not match the current %(language)s version of %(date)s."
    ) % {"language": "inglés", "date": "22 de noviembre de 2026"}
    first_page = " ".join(pdf_pages_text(tmp_path / f"{RETRO}.es.pdf")[0].split())
    assert notice in first_page
    text = pdf_text(tmp_path / f"{RETRO}.es.pdf")
    assert " ".join(previous.split()) in text  # the old translation, never the new English
    assert NEW_SENTENCE not in text and OLD_SENTENCE not in text
    assert "BORRADOR" not in text


def english_sentences(workspace: Path, handout_id: str) -> list[str]:
    from handoutgen.i18n.translations import segments
    from handoutgen.workspace import Workspace

    ws = Workspace(workspace)
    _, source = ws.find_source(handout_id)
    return [t for t in segments(source).values() if len(t.split()) >= 4]


@pytest.mark.parametrize("handout_id", [RETRO, NEPHRO])
def test_spanish_pdf_has_no_english_sentence(cli, workspace, tmp_path, handout_id):
    assert cli("build", handout_id, "--lang", "es", "-w", workspace, "-o", tmp_path).exit_code == 0
    text = " ".join(pdf_text(tmp_path / f"{handout_id}.es.pdf").split())
    leaked = [s for s in english_sentences(workspace, handout_id) if " ".join(s.split()) in text]
    assert leaked == []
    assert "Borrador de traducción" in text or "traducción" in text.lower()


def drop_segments(workspace: Path, ids: list[str], language: str = "es") -> None:
    path = workspace / f"handouts/{RETRO}/{language}.yaml"
    data = yaml.safe_load(path.read_text())
    for seg_id in ids:
        del data["segments"][seg_id]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def test_untranslated_segment_is_refused_even_with_allow_stale(cli, workspace, tmp_path):
    drop_segments(workspace, ["reasons.4"])
    for extra in ([], ["--allow-stale"]):
        refused = cli("build", RETRO, "--lang", "es", *extra, "-w", workspace, "-o", tmp_path)
        assert refused.exit_code == 1
        assert "translation is incomplete (untranslated: reasons.4)" in refused.stderr
        assert "--draft" in refused.stderr and "--allow-stale" not in refused.stderr  # it would not help
    assert not (tmp_path / f"{RETRO}.es.pdf").exists()


def test_refusal_of_a_mostly_untranslated_file_is_one_short_line(cli, workspace, tmp_path):
    path = workspace / f"handouts/{RETRO}/es.yaml"
    data = yaml.safe_load(path.read_text())
    drop_segments(workspace, [i for i in data["segments"] if i not in ("title", "summary")])
    refused = cli("build", RETRO, "--lang", "es", "-w", workspace, "-o", tmp_path)
    line = next(l for l in refused.stderr.splitlines() if "untranslated" in l)
    assert len(line) < 200 and "and 35 more" in line, line


def test_draft_marks_every_page_and_every_english_fallback(cli, workspace, tmp_path):
    drop_segments(workspace, ["reasons.4", "questions.2"])
    result = cli("build", RETRO, "--lang", "es", "--draft", "-w", workspace, "-o", tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "built as a DRAFT" in result.stderr
    from conftest import pdf_pages_text
    from handoutgen.i18n.catalogs import translations_for

    banner = translations_for("es").gettext("DRAFT — not for patients")
    assert banner != "DRAFT — not for patients"
    pages = [" ".join(p.split()) for p in pdf_pages_text(tmp_path / f"{RETRO}.es.pdf")]
    assert len(pages) > 1 and all(banner in page for page in pages)
    text = " ".join(pages)
    assert f"[EN] {OLD_SENTENCE}" in text

    from handoutgen.render.html import render_handout_html
    from handoutgen.workspace import Workspace

    ws = Workspace(workspace)
    localized = ws.load_handout(ws.select([RETRO], ["es"])[0], draft=True)
    html = render_handout_html(localized, ws.render_settings(paper="letter")).html
    fallbacks = re.findall(r'<span class="english-fallback" lang="en" dir="ltr">(.*?)</span></li>', html)
    assert len(fallbacks) == 2 and OLD_SENTENCE in fallbacks[0]


def test_draft_of_a_complete_translation_is_a_normal_build(cli, workspace, tmp_path):
    assert cli("build", RETRO, "--lang", "es", "--draft", "-w", workspace, "-o", tmp_path).exit_code == 0
    assert "BORRADOR" not in pdf_text(tmp_path / f"{RETRO}.es.pdf")


def test_packets_refuse_an_incomplete_translation_without_suggesting_build_options(cli, workspace, tmp_path):
    drop_segments(workspace, ["reasons.4"])
    roster = tmp_path / "roster.csv"
    roster.write_text(f"patient_id,language,handouts\nP1,es,{RETRO}\n")
    result = cli("packets", roster, "-o", tmp_path / "packets", "-w", workspace)
    assert result.exit_code == 1
    assert "untranslated: reasons.4" in result.stderr
    assert "--draft" not in result.stderr and "--allow-stale" not in result.stderr
    assert not (tmp_path / "packets" / "P1.pdf").exists()


def test_arabic_pdf_is_right_to_left_with_its_title_in_logical_order(cli, workspace, tmp_path):
    assert cli("build", RETRO, "--lang", "ar", "-w", workspace, "-o", tmp_path).exit_code == 0
    path = tmp_path / f"{RETRO}.ar.pdf"
    title = yaml.safe_load((workspace / f"handouts/{RETRO}/ar.yaml").read_text())["segments"]["title"]["text"]
    text = pdf_text(path)
    assert title in text  # logical (reading) order, not reversed visual order
    assert "(555) 010-0142" in text  # the phone number keeps its order inside Arabic text
    assert "\ufffd" not in text
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == "ar"
        assert str(pdf.docinfo["/Title"]) == title
    fonts = pdf_fonts(path)
    assert any("Noto-Sans-Arabic" in name for name in fonts) and all(fonts.values())


def test_chinese_pdf_embeds_subsets_and_draws_every_glyph(cli, workspace, tmp_path):
    assert cli("build", RETRO, "--lang", "zh-Hans", "-w", workspace, "-o", tmp_path).exit_code == 0
    path = tmp_path / f"{RETRO}.zh-Hans.pdf"
    assert path.stat().st_size < 1_000_000
    fonts = pdf_fonts(path)
    assert all(fonts.values())
    assert all(re.match(r"^/?[A-Z]{6}\+", name) for name in fonts), fonts  # subsets only
    text = pdf_text(path)
    assert "逆行肾盂造影" in text and "\ufffd" not in text
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == "zh-Hans"


def export(cli, workspace, out, file_format, *extra):
    result = cli("i18n", "export", "--lang", "es", "--format", file_format, "-o", out, "-w", workspace, RETRO, *extra)
    assert result.exit_code == 0, result.stderr
    return out / f"{RETRO}.es.{'po' if file_format == 'po' else 'xlf'}"


@pytest.mark.parametrize("file_format", ["po", "xliff"])
def test_round_trip_changes_nothing(cli, workspace, tmp_path, file_format):
    yaml_path = workspace / f"handouts/{RETRO}/es.yaml"
    before = yaml_path.read_bytes()
    exported = export(cli, workspace, tmp_path, file_format)
    result = cli("i18n", "import", exported, "-w", workspace)
    assert result.exit_code == 0, result.stderr
    assert "0 updated, 40 unchanged" in result.stdout
    assert yaml_path.read_bytes() == before


def translate_in_file(path: Path, segment: str, new_text: str) -> None:
    """What a translator's tool does: fill the target of one unit and confirm it."""
    if path.suffix == ".po":
        from babel.messages.pofile import read_po, write_po

        with path.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if message.context == segment:
                message.string = new_text
                message.flags.discard("fuzzy")
        with path.open("wb") as handle:
            write_po(handle, catalog)
    else:
        import xml.etree.ElementTree as ET

        ns = "urn:oasis:names:tc:xliff:document:1.2"
        ET.register_namespace("", ns)
        tree = ET.parse(path)
        for unit in tree.iter(f"{{{ns}}}trans-unit"):
            if unit.get("id") == segment:
                target = unit.find(f"{{{ns}}}target")
                target.text = new_text
                target.set("state", "translated")
        tree.write(path, encoding="utf-8", xml_declaration=True)


@pytest.mark.parametrize("file_format", ["po", "xliff"])
def test_only_changed_export_and_import_make_a_stale_segment_current(cli, workspace, tmp_path, file_format):
    edit_english(workspace)
    exported = export(cli, workspace, tmp_path, file_format, "--only-changed")
    content = exported.read_text()
    assert NEW_SENTENCE in content and "reasons.4" in content
    assert "overview.1" not in content  # current segments are not sent again
    translate_in_file(exported, "reasons.4", "Para ver si hay una lesión en sus riñones o en sus uréteres.")
    result = cli("i18n", "import", exported, "-w", workspace)
    assert result.exit_code == 0, result.stderr
    assert "1 updated" in result.stdout
    row = next(r for r in status_rows(cli, workspace) if r["handout_id"] == RETRO and r["language"] == "es")
    assert row["state"] == "current"


@pytest.mark.parametrize("file_format", ["po", "xliff"])
def test_import_refuses_a_file_from_an_older_source_and_keeps_existing_work(cli, workspace, tmp_path, file_format):
    exported = export(cli, workspace, tmp_path, file_format)  # before the English changes
    translate_in_file(exported, "reasons.4", "Traducción nueva de la frase vieja.")
    translate_in_file(exported, "title", "Pielografía retrógrada (nuevo título)")
    edit_english(workspace)
    yaml_path = workspace / f"handouts/{RETRO}/es.yaml"
    old_reason = yaml.safe_load(yaml_path.read_text())["segments"]["reasons.4"]
    result = cli("i18n", "import", exported, "-w", workspace)
    assert result.exit_code == 1
    assert "field 'reasons.4': exported from an older source" in result.stderr
    segments = yaml.safe_load(yaml_path.read_text())["segments"]
    assert segments["reasons.4"] == old_reason  # kept, still stale
    assert segments["title"]["text"] == "Pielografía retrógrada (nuevo título)"  # the rest merged
    assert len(segments) == 40  # nothing dropped
    row = next(r for r in status_rows(cli, workspace) if r["handout_id"] == RETRO and r["language"] == "es")
    assert [s["id"] for s in row["stale"]] == ["reasons.4"]


def test_import_refuses_english_and_unknown_ids(cli, workspace, tmp_path):
    exported = export(cli, workspace, tmp_path, "po")
    translate_in_file(exported, "title", "Retrograde Pyelography")
    translate_in_file(exported, "summary", "Retrograde Pyelography")  # another segment's English
    text = exported.read_text().replace('msgctxt "questions.1"', 'msgctxt "questions.99"')
    exported.write_text(text)
    before = (workspace / f"handouts/{RETRO}/es.yaml").read_bytes()
    result = cli("i18n", "import", exported, "-w", workspace)
    assert result.exit_code == 1
    assert "field 'title': the source text unchanged" in result.stderr
    assert "field 'summary': the translation is source-language text" in result.stderr
    assert "field 'questions.99': unknown segment id" in result.stderr
    assert (workspace / f"handouts/{RETRO}/es.yaml").read_bytes() == before


def test_new_language_from_xliff(cli, workspace, tmp_path):
    exported = tmp_path / f"{RETRO}.fr.xlf"
    result = cli("i18n", "export", "--lang", "fr", "--format", "xliff", "-o", tmp_path, "-w", workspace, RETRO)
    assert result.exit_code == 0
    translate_in_file(exported, "title", "Pyélographie rétrograde")
    assert cli("i18n", "import", exported, "-w", workspace).exit_code == 0
    data = yaml.safe_load((workspace / f"handouts/{RETRO}/fr.yaml").read_text())
    assert data["status"] == "draft" and list(data["segments"]) == ["title"]
    rows = json.loads(cli("i18n", "status", "--lang", "fr", "--format", "json", "-w", workspace).stdout)
    row = next(r for r in rows if r["handout_id"] == RETRO)
    assert row["state"] == "incomplete" and row["translated"] == 1


def test_xliff_with_entities_is_refused(cli, workspace, tmp_path):
    bomb = tmp_path / f"{RETRO}.es.xlf"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xliff version="1.2"/>')
    result = cli("i18n", "import", bomb, "-w", workspace)
    assert result.exit_code == 1 and "DOCTYPE" in result.stderr


def test_check_reports_characters_no_font_can_draw(cli, workspace):
    path = workspace / f"handouts/{RETRO}/es.yaml"
    text = path.read_text()
    path.write_text(text.replace("text: Pielografía retrógrada", "text: Pielografía retrógrada 🩺", 1))
    result = cli("check", "-w", workspace)
    assert result.exit_code == 1
    line = next(n for n, l in enumerate(path.read_text().splitlines(), 1) if "🩺" in l)
    assert (f"handouts/{RETRO}/es.yaml:{line}: error: field 'segments.title.text': characters the font stack "
            "cannot draw: '🩺' (U+1FA7A)") in result.stderr


def test_hand_edited_fingerprint_is_an_error(cli, workspace):
    path = workspace / f"handouts/{RETRO}/es.yaml"
    data = yaml.safe_load(path.read_text())
    data["segments"]["title"]["source"] = "Something else"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    result = cli("check", "-w", workspace)
    assert result.exit_code == 1 and "field 'segments.title': fingerprint does not match" in result.stderr


def check_lines(cli, workspace) -> tuple[int, list[str]]:
    result = cli("check", "-w", workspace)
    return result.exit_code, [l for l in result.stderr.splitlines() if "translat" in l or "stale" in l]


def test_check_reports_stale_segments_with_their_line_where_build_would_refuse(cli, workspace, tmp_path):
    assert cli("check", "-w", workspace).exit_code == 0  # samples: current translations
    edit_english(workspace)
    code, lines = check_lines(cli, workspace)
    assert code == 1
    for language in ("es", "ar", "zh-Hans"):
        path = workspace / f"handouts/{RETRO}/{language}.yaml"
        line = next(n for n, l in enumerate(path.read_text().splitlines(), 1) if l == "  reasons.4:")
        assert any(l.startswith(f"handouts/{RETRO}/{language}.yaml:{line}: error: field 'segments.reasons.4': stale")
                   for l in lines), lines
    assert cli("build", RETRO, "--lang", "es", "-w", workspace, "-o", tmp_path).exit_code == 1  # check agreed


def test_check_reports_each_untranslated_segment(cli, workspace):
    drop_segments(workspace, ["reasons.4", "questions.2"])
    code, lines = check_lines(cli, workspace)
    assert code == 1
    assert f"handouts/{RETRO}/es.yaml: error: field 'segments.reasons.4': untranslated: \"{OLD_SENTENCE}\"" in "\n".join(lines)
    assert any("field 'segments.questions.2': untranslated" in l for l in lines)


@pytest.mark.parametrize("fake", ["xxxPielografía retrógradaxxx", "TODO", "...", "Retrograde Pyelography"])
def test_check_finds_pseudo_and_placeholder_translations(cli, workspace, fake):
    path = workspace / f"handouts/{RETRO}/es.yaml"
    path.write_text(path.read_text().replace("text: Pielografía retrógrada\n", f"text: '{fake}'\n", 1))
    line = next(n for n, l in enumerate(path.read_text().splitlines(), 1) if f"text: '{fake}'" in l)
    code, lines = check_lines(cli, workspace)
    assert code == 1
    assert any(f"handouts/{RETRO}/es.yaml:{line}: error: field 'segments.title.text': " in l and "not a translation" in l
               for l in lines), lines


NEW_REASON = "To see the shape of your kidneys before surgery."


def insert_english_reason(workspace: Path, position: int, text: str) -> None:
    path = workspace / ENGLISH
    data = yaml.safe_load(path.read_text())
    data["reasons"].insert(position - 1, text)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def test_inserting_an_item_leaves_the_moved_items_current(cli, workspace, tmp_path):
    insert_english_reason(workspace, 2, NEW_REASON)
    row = next(r for r in status_rows(cli, workspace) if r["handout_id"] == RETRO and r["language"] == "es")
    assert row["stale"] == [] and [s["id"] for s in row["missing"]] == ["reasons.2"]
    assert row["translated"] == row["total"] - 1
    exported = export(cli, workspace, tmp_path, "po", "--only-changed")
    assert [e.split('"')[1] for e in exported.read_text().splitlines() if e.startswith("msgctxt")] == ["reasons.2"]
    translate_in_file(exported, "reasons.2", "Para ver la forma de sus riñones antes de una cirugía.")
    result = cli("i18n", "import", exported, "-w", workspace)
    assert result.exit_code == 0, result.stderr
    row = next(r for r in status_rows(cli, workspace) if r["handout_id"] == RETRO and r["language"] == "es")
    assert row["state"] == "current" and row["obsolete"] == []
    stored = yaml.safe_load((workspace / f"handouts/{RETRO}/es.yaml").read_text())["segments"]
    assert stored["reasons.5"]["source"] == OLD_SENTENCE  # re-keyed: it was reasons.4
    assert cli("build", RETRO, "--lang", "es", "-w", workspace, "-o", tmp_path).exit_code == 0


def test_swapping_two_items_changes_nothing_to_translate(cli, workspace, tmp_path):
    path = workspace / ENGLISH
    data = yaml.safe_load(path.read_text())
    data["reasons"][0], data["reasons"][3] = data["reasons"][3], data["reasons"][0]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    row = next(r for r in status_rows(cli, workspace) if r["handout_id"] == RETRO and r["language"] == "es")
    assert row["state"] == "current"
    assert cli("build", RETRO, "--lang", "es", "-w", workspace, "-o", tmp_path).exit_code == 0
    spanish = yaml.safe_load((workspace / f"handouts/{RETRO}/es.yaml").read_text())["segments"]
    text = pdf_text(tmp_path / f"{RETRO}.es.pdf")
    first, fourth = (" ".join(spanish[k]["text"].split()) for k in ("reasons.1", "reasons.4"))
    assert text.index(fourth) < text.index(first)  # printed in the new English order


def review_in_xliff(path: Path, units: list[str] | None, state: str = "signed-off") -> None:
    """What a reviewer's tool writes: a review phase with who and when, units signed off in it."""
    from lxml import etree

    ns = "urn:oasis:names:tc:xliff:document:1.2"
    tree = etree.parse(str(path))
    file_el = tree.find(f"{{{ns}}}file")
    header = etree.Element(f"{{{ns}}}header")
    group = etree.SubElement(header, f"{{{ns}}}phase-group")
    etree.SubElement(group, f"{{{ns}}}phase", {"phase-name": "review", "process-name": "review",
                                               "contact-name": "Ana Ruiz", "date": "2026-11-20T10:00:00Z"})
    file_el.insert(0, header)
    for unit in tree.iter(f"{{{ns}}}trans-unit"):
        if units is None or unit.get("id") in units:
            target = unit.find(f"{{{ns}}}target")
            target.set("state", state)
            target.set("phase-name", "review")
    tree.write(str(path), encoding="utf-8", xml_declaration=True)


def test_every_segment_reviewed_puts_the_reviewer_on_the_page(cli, workspace, tmp_path):
    exported = export(cli, workspace, tmp_path, "xliff")
    review_in_xliff(exported, None)
    result = cli("i18n", "import", exported, "-w", workspace)
    assert result.exit_code == 0, result.stderr
    assert "40 updated" in result.stdout
    stored = yaml.safe_load((workspace / f"handouts/{RETRO}/es.yaml").read_text())["segments"]["title"]
    assert (stored["state"], stored["reviewed_by"], stored["reviewed_on"]) == ("reviewed", "Ana Ruiz", "2026-11-20")
    row = next(r for r in status_rows(cli, workspace) if r["handout_id"] == RETRO and r["language"] == "es")
    assert row["review"]["reviewed"] == 40 and row["reviewed_by"] == ["Ana Ruiz"]
    assert cli("build", RETRO, "--lang", "es", "-w", workspace, "-o", tmp_path).exit_code == 0
    text = pdf_text(tmp_path / f"{RETRO}.es.pdf")
    assert "Traducción revisada por Ana Ruiz el 20 de noviembre de 2026." in text
    assert "Traducción preliminar" not in text
    assert f"{RETRO} es: current 40/40; 40 reviewed" in cli("i18n", "status", "--summary", "-w", workspace).stdout


def test_one_unreviewed_segment_keeps_the_draft_badge(cli, workspace, tmp_path):
    exported = export(cli, workspace, tmp_path, "xliff")
    review_in_xliff(exported, ["title", "summary"], state="final")
    assert cli("i18n", "import", exported, "-w", workspace).exit_code == 0
    row = next(r for r in status_rows(cli, workspace) if r["handout_id"] == RETRO and r["language"] == "es")
    assert row["review"] == {"draft": 38, "translated": 0, "reviewed": 0, "approved": 2}
    assert row["reviewed_by"] == []
    assert cli("build", RETRO, "--lang", "es", "-w", workspace, "-o", tmp_path).exit_code == 0
    text = pdf_text(tmp_path / f"{RETRO}.es.pdf")
    assert "Traducción preliminar" in text and "Ana Ruiz" not in text
    again = export(cli, workspace, tmp_path / "again", "xliff")  # the states go back out to the tools
    assert 'state="final"' in again.read_text()


def test_a_review_mark_needs_a_reviewer(cli, workspace, tmp_path):
    exported = export(cli, workspace, tmp_path, "po")
    exported.write_text(exported.read_text().replace('msgctxt "title"', '#, reviewed\nmsgctxt "title"', 1))
    refused = cli("i18n", "import", exported, "-w", workspace)
    assert refused.exit_code == 1 and "field 'title': marked reviewed, but the file names no reviewer" in refused.stderr
    accepted = cli("i18n", "import", exported, "--reviewer", "Luis Gómez", "-w", workspace)
    assert accepted.exit_code == 0, accepted.stderr
    stored = yaml.safe_load((workspace / f"handouts/{RETRO}/es.yaml").read_text())["segments"]["title"]
    assert (stored["state"], stored["reviewed_by"]) == ("reviewed", "Luis Gómez")


def test_summary_is_one_line_per_handout_and_language_and_ids_are_never_cut(cli, workspace):
    long_id = "retrograde-pyelography-for-patients-having-the-test-under-general-anaesthesia"
    folder = workspace / "handouts" / long_id
    folder.mkdir()
    english = (workspace / ENGLISH).read_text().replace(f"id: {RETRO}", f"id: {long_id}", 1)
    (folder / "en.yaml").write_text(english)
    summary = cli("i18n", "status", "--summary", "-w", workspace).stdout.splitlines()
    rows = status_rows(cli, workspace)
    assert len(summary) == len(rows) == 9
    assert f"{long_id} es: missing 0/40" in summary
    for command in (("list",), ("i18n", "status")):
        assert long_id in cli(*command, "-w", workspace).stdout, command


def test_sources_in_a_translation_are_marked_english_and_isolated(cli, workspace, tmp_path):
    from handoutgen.render.html import render_handout_html
    from handoutgen.workspace import Workspace

    english = yaml.safe_load((workspace / ENGLISH).read_text())
    title, note, url = (english["sources"][0][k] for k in ("title", "note", "url"))
    assert url.startswith("/")  # the sample's URL is site-relative: meaningless on paper
    ws = Workspace(workspace)
    localized = ws.load_handout(ws.select([RETRO], ["ar"])[0])
    html = render_handout_html(localized, ws.render_settings(paper="letter")).html
    assert f'<bdi lang="en" dir="ltr">{title}' in html
    assert f'<bdi lang="en" dir="ltr">{note}</bdi>' in html
    assert url not in html
    assert cli("build", RETRO, "--lang", "ar", "-w", workspace, "-o", tmp_path).exit_code == 0
    text = pdf_text(tmp_path / f"{RETRO}.ar.pdf")
    # In reading order, not scrambled (PDFium reads brackets inside right-to-left lines mirrored,
    # so compare up to the first one; the page image shows them right).
    assert title in text and " ".join(note.split()).split("(")[0] in text


def test_an_absolute_source_url_is_printed(cli, workspace, tmp_path):
    path = workspace / ENGLISH
    path.write_text(path.read_text().replace("url: /learn/", "url: https://www.example.org/learn/", 1))
    assert cli("build", RETRO, "--lang", "en", "-w", workspace, "-o", tmp_path).exit_code == 0
    assert "https://www.example.org/learn/" in pdf_text(tmp_path / f"{RETRO}.en.pdf").replace(" ", "")


def test_check_points_at_a_moved_segment_where_it_is_written(cli, workspace):
    path = workspace / ENGLISH
    data = yaml.safe_load(path.read_text())
    data["reasons"][0], data["reasons"][3] = data["reasons"][3], data["reasons"][0]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    spanish = workspace / f"handouts/{RETRO}/es.yaml"
    translation = yaml.safe_load(spanish.read_text())
    translation["segments"]["reasons.4"]["text"] += " TBD"  # now printed first, as reasons.1
    spanish.write_text(yaml.safe_dump(translation, allow_unicode=True, sort_keys=False))
    line = next(n for n, l in enumerate(spanish.read_text().splitlines(), 1) if "TBD" in l)
    result = cli("check", "-w", workspace)
    assert f"handouts/{RETRO}/es.yaml:{line}: error: field 'segments.reasons.4.text': placeholder marker" in result.stderr
