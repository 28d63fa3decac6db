"""A clinic brings the handouts it already has: `handoutgen import` turns a text, Markdown, HTML or
Word file into a draft handout YAML that `check` accepts, made only of the source's own sentences.

The seed texts in tests/data/seeds/ are copies of ../shared/seeds/ (the sample handouts' sources):
one is a web page's front matter with an escaped, mojibake-damaged answer; the other is plain
lines with one heading, lorem ipsum and a repeated sentence.
"""

from __future__ import annotations

import codecs
import re
import stat
from pathlib import Path

import ftfy
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from conftest import REPO, pdf_text
from test_fuzz import fuzz_settings
from handoutgen.checks.readability import sentences

SEEDS = Path(__file__).resolve().parent / "data" / "seeds"
RETROGRADE = SEEDS / "000_c62a44e452e2a4cc.txt"  # front matter; the text is its `answer`
NEPHROSTOMY = SEEDS / "003_767184e945e559e0.txt"  # plain lines under one heading
CONTENT_KEYS = ("summary", "overview", "reasons", "preparation", "what_to_expect", "benefits", "risks",
                "aftercare", "when_to_call", "questions", "words_to_know")


def normal(text: str) -> str:
    return " ".join(text.split())


def strings(value: object) -> list[str]:
    """Every string inside a loaded YAML value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def seed_text(seed: Path) -> str:
    """The seed's text as a reader sees it: the answer of a front-matter page, escapes as line breaks,
    damaged characters repaired. Worked out here independently of the importer."""
    text = seed.read_text(encoding="utf-8")
    if text.startswith("---\n"):
        text = yaml.safe_load(text.split("\n---\n")[0][4:])["answer"].replace("\\n", "\n")
    return ftfy.fix_text(text, uncurl_quotes=False)


def seed_sentences(seed: Path) -> list[str]:
    lines = (re.sub(r"^\d+\.\s+", "", line.strip()) for line in seed_text(seed).splitlines())
    return [normal(s) for line in lines if line for s in sentences(line)]


def imported(cli, workspace: Path, source: Path, handout_id: str, lang: str = "en") -> tuple[Path, dict]:
    result = cli("import", source, "--id", handout_id, "--lang", lang, "-w", workspace)
    assert result.exit_code == 0, result.stderr
    path = workspace / "handouts" / handout_id / f"{lang}.yaml"
    assert result.stdout.strip() == f"wrote handouts/{handout_id}/{lang}.yaml"
    return path, yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_seed_fixtures_are_the_shared_seeds():
    shared = REPO.parent / "shared" / "seeds"
    if not shared.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout")
    for seed in (RETROGRADE, NEPHROSTOMY):
        assert seed.read_bytes() == (shared / seed.name).read_bytes()


def test_the_retrograde_seed_becomes_a_draft_that_check_accepts_as_it_is(cli, workspace):
    path, draft = imported(cli, workspace, RETROGRADE, "imported-retrograde")

    # The page's own title and publisher; a draft, unreviewed, dated by the clock.
    assert draft["title"] == "What is retrograde pyelography and when is it used?"
    assert draft["reviewed_by"] == "" and draft["version"] == "0.1"
    assert str(draft["last_reviewed"]) == "2026-11-22"
    assert draft["sources"] == [{
        "title": RETROGRADE.name, "publisher": "QuickTakes",
        "url": "/learn/medicine/questions/what-is-retrograde-pyelography-and-when-is-it-used",
        "date": draft["sources"][0]["date"], "note": "Imported by handoutgen import; not yet reviewed"}]
    assert str(draft["sources"][0]["date"]) == "2024-12-18"

    # "cystoscopyâ€”a" is repaired and the repair is listed; the escaped line breaks split the text.
    content = " ".join(strings({key: draft.get(key) for key in CONTENT_KEYS}))
    assert "â€" not in content and "cystoscopy—a procedure" in content
    assert any("'cystoscopyâ€”a' → 'cystoscopy—a'" in note for note in draft["review_notes"])
    assert "\\n" not in content

    # The lead-in "The primary indications ... include:" puts the numbered list under reasons.
    assert [reason.split(":")[0] for reason in draft["reasons"]] == [
        "**Obstruction**", "**Nephrolithiasis**", "**Hematuria**", "**Urinary Tract Injury**",
        "**Catheter or Stent Placement**"]
    assert draft["summary"].startswith("Retrograde pyelography is a radiological procedure")

    # No edit needed: check finds no error (warnings: plain language, no reviewer yet).
    checked = cli("check", "imported-retrograde", "-w", workspace)
    assert checked.exit_code == 0, checked.stderr
    assert "imported-retrograde/en.yaml" in checked.stderr and ": error:" not in checked.stderr
    # The file says what it is before anything else, and keeps Unicode as it is.
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# DRAFT imported by `handoutgen import` from 000_c62a44e452e2a4cc.txt on 2026-11-22.")
    assert "cystoscopy—a" in text and "\\u2014" not in text


def test_the_nephrostomy_seed_loses_its_filler_and_repeat_and_says_so(cli, workspace):
    path, draft = imported(cli, workspace, NEPHROSTOMY, "imported-nephrostomy")
    content = [normal(s) for s in strings({key: draft.get(key) for key in CONTENT_KEYS})]
    joined = " ".join(content)

    assert "Lorem" not in joined
    assert ('Dropped filler, placeholder text (lorem ipsum): "Lorem Ipsum is simply dummy text of the printing '
            'and typesetting industry." (3 times)') in draft["review_notes"]
    positioning = "To provide flank access, the patient is placed prone with support rolls."
    assert joined.count(positioning) == 1
    assert f'Dropped repeated sentence: "{positioning}"' in draft["review_notes"]
    # "After the surgery, ..." opens its paragraph: that is what happens right after.
    assert draft["what_to_expect"]["after"] == [
        "After the surgery, the area is checked for infection or bleeding. Hematuria and pain are normal, "
        "however they usually go away fast."]
    # One heading only, which names no section: the text under it is the overview, and the note says so.
    assert any(note.startswith("Heading 'Patient Positioning' names no section") for note in draft["review_notes"])
    # No title in the source: the file name stands in, and the note asks for a real one.
    assert draft["title"] == "003 767184e945e559e0"
    assert any("The source has no title" in note for note in draft["review_notes"])

    # check finds no error as it is; the one light edit a printable draft needs is a title (the text has none).
    assert cli("check", "imported-nephrostomy", "-w", workspace).exit_code == 0
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: 003 767184e945e559e0", "title: Nephrostomy Tube and Ureteral Stent"),
                    encoding="utf-8")
    checked = cli("check", "imported-nephrostomy", "-w", workspace)
    assert checked.exit_code == 0, checked.stderr
    assert ": error:" not in checked.stderr


@pytest.mark.parametrize("seed", [RETROGRADE, NEPHROSTOMY], ids=["retrograde", "nephrostomy"])
def test_every_seed_sentence_is_in_the_draft_and_the_draft_adds_none(cli, workspace, seed):
    _, draft = imported(cli, workspace, seed, "imported")
    source = normal(seed_text(seed))

    # Never invents: each sentence of a printed field is a piece of the (repaired) source.
    printed = {key: draft.get(key) for key in CONTENT_KEYS}
    printed_sentences = [normal(s) for text in strings(printed) for s in sentences(text)]
    assert printed_sentences
    for sentence in printed_sentences:
        assert sentence in source, sentence
    if seed is RETROGRADE:
        assert f"title: >-\n    {draft['title']}\n" in seed.read_text(encoding="utf-8")  # the page's front matter

    # Loses nothing: each source sentence is printed, or named in review_notes.
    everything = normal(" ".join(strings(printed) + draft["review_notes"]))
    missing = [sentence for sentence in seed_sentences(seed) if sentence not in everything]
    assert missing == []


MARKDOWN = """\
# Bladder Scan

A bladder scan measures the urine left in your bladder.

## Why is it done?

- To see if your bladder empties fully.

## How to prepare

1. Drink water an hour before.

## What happens during the test

1. You lie on your back.
2. A probe moves over your belly.

## Risks

- There are no known risks in the source text.

## Caring for yourself at home

- Go back to your usual activities.

## Billing

Ask the front desk about billing.

## Words to know

- Probe: a small handheld device.

Call your doctor if you cannot pass urine.
"""

EXPECTED_SECTIONS = {
    "summary": "A bladder scan measures the urine left in your bladder.",
    "reasons": ["To see if your bladder empties fully."],
    "preparation": ["Drink water an hour before."],
    "what_to_expect": {"during": ["You lie on your back.", "A probe moves over your belly."]},
    "risks": ["There are no known risks in the source text."],
    "aftercare": {"instructions": ["Go back to your usual activities."]},
    "words_to_know": [{"term": "Probe", "meaning": "a small handheld device."}],
}


def write_html(path: Path) -> None:
    path.write_text("""<!doctype html><html><head><title>Riverside | Bladder Scan</title>
<style>p { color: red }</style><script>var filler = "Lorem ipsum";</script></head><body>
<h1>Bladder Scan</h1><p>A bladder scan measures the urine left in your bladder.</p>
<h2>Why is it done?</h2><ul><li>To see if your bladder empties fully.</li></ul>
<h2>How to prepare</h2><ol><li>Drink water an hour before.</ol>
<h2>What happens during the test</h2><ol><li>You lie on your back.<li>A probe moves over your belly.</ol>
<h2>Risks</h2><ul><li>There are no known risks in the source text.</li></ul>
<h2>Caring for yourself at home</h2><ul><li>Go back to your usual activities.</li></ul>
<h2>Billing</h2><p>Ask the front desk about billing.</p>
<h2>Words to know</h2><ul><li><b>Probe</b>: a small handheld device.</li></ul>
<p>Call your doctor if you cannot pass urine.</p>
</body></html>""", encoding="utf-8")


def write_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Bladder Scan", level=0)  # Word's "Title" style
    document.add_paragraph("A bladder scan measures the urine left in your bladder.")
    document.add_heading("Why is it done?", level=1)
    document.add_paragraph("To see if your bladder empties fully.", style="List Bullet")
    document.add_heading("How to prepare", level=1)
    document.add_paragraph("Drink water an hour before.", style="List Number")
    document.add_heading("What happens during the test", level=1)
    document.add_paragraph("You lie on your back.", style="List Number")
    document.add_paragraph("A probe moves over your belly.", style="List Number")
    document.add_heading("Risks", level=1)
    document.add_paragraph("There are no known risks in the source text.", style="List Bullet")
    document.add_heading("Caring for yourself at home", level=1)
    document.add_paragraph("Go back to your usual activities.", style="List Bullet")
    document.add_heading("Billing", level=1)
    document.add_paragraph("Ask the front desk about billing.")
    document.add_heading("Words to know", level=1)
    document.add_paragraph("Probe: a small handheld device.", style="List Bullet")
    document.add_paragraph("Call your doctor if you cannot pass urine.")
    document.save(str(path))


@pytest.mark.parametrize("suffix", [".md", ".txt", ".html", ".docx"])
def test_headings_of_text_markdown_html_and_word_files_become_sections(cli, workspace, tmp_path, suffix):
    source = tmp_path / f"bladder-scan{suffix}"
    if suffix == ".md":
        source.write_text(MARKDOWN, encoding="utf-8")
    elif suffix == ".txt":  # headings are short lines on their own
        source.write_text(re.sub(r"(?m)^#+ ", "", MARKDOWN), encoding="utf-8")
    elif suffix == ".html":
        write_html(source)
    else:
        write_docx(source)
    result = cli("import", source, "-w", workspace)  # the id comes from the title
    assert result.exit_code == 0, result.stderr
    draft = yaml.safe_load((workspace / "handouts/bladder-scan/en.yaml").read_text(encoding="utf-8"))

    assert draft["title"] == "Bladder Scan"
    for key, value in EXPECTED_SECTIONS.items():
        assert draft[key] == value, key
    # The one sentence before the first heading is the summary, and stays the overview too (it may not be empty).
    assert draft["overview"] == [EXPECTED_SECTIONS["summary"]]
    # A heading the importer does not know leaves its text for the reviewer, word for word.
    assert "Not placed (under heading 'Billing'): Ask the front desk about billing." in draft["review_notes"]
    # Under "Words to know" a line that is no "term: meaning" is not a term: the reviewer gets it.
    # (A heading wins over an opening phrase such as "Call your doctor if".)
    assert any(note.endswith("Call your doctor if you cannot pass urine.") for note in draft["review_notes"])
    assert "Lorem" not in " ".join(strings(draft))  # a <script> is not text


def test_call_your_doctor_if_opens_the_warning_signs(cli, workspace, tmp_path):
    source = tmp_path / "scan.txt"
    source.write_text("A scan takes pictures of your bladder. It takes a few minutes.\n\n"
                      "Call your doctor if you have a fever after the scan.\n\n"
                      "Before the test, empty your bladder as the nurse asks.\n", encoding="utf-8")
    _, draft = imported(cli, workspace, source, "scan")
    assert draft["summary"] == "A scan takes pictures of your bladder."
    assert draft["overview"] == ["It takes a few minutes."]
    assert draft["when_to_call"] == {"warning_signs": ["Call your doctor if you have a fever after the scan."]}
    assert draft["what_to_expect"] == {"before": ["Before the test, empty your bladder as the nurse asks."]}
    assert cli("check", "scan", "-w", workspace).exit_code == 0


def test_hard_wrapped_plain_text_keeps_its_paragraphs_and_list_items_whole(cli, workspace, tmp_path):
    source = tmp_path / "wrapped.txt"
    source.write_text("Bladder Scan\n\nA scan takes pictures of your bladder and\nshows how much urine is left in it. "
                      "It is\nquick.\n\nWhen to call\n- A fever\n- Pain when you pass\n  urine\n\n"
                      "Risks\nBleeding can happen.\n", encoding="utf-8")
    _, draft = imported(cli, workspace, source, "wrapped")
    assert draft["title"] == "Bladder Scan"
    assert draft["summary"] == "A scan takes pictures of your bladder and shows how much urine is left in it."
    assert draft["overview"] == ["It is quick."]
    assert draft["when_to_call"] == {"warning_signs": ["A fever", "Pain when you pass urine"]}
    assert draft["risks"] == ["Bleeding can happen."]


@pytest.mark.parametrize("suffix", [".md", ".html", ".docx"])
def test_images_are_not_imported_but_the_reviewer_is_told_of_each(cli, workspace, tmp_path, suffix):
    source = tmp_path / f"scan{suffix}"
    if suffix == ".md":
        source.write_text("A scan takes pictures. ![The kidney and ureter](kidney.png)\n\n![](x.png)\n", encoding="utf-8")
    elif suffix == ".html":
        source.write_text('<p>A scan takes pictures.<img src="kidney.png" alt="The kidney and ureter"></p>'
                          '<img src="x.png">', encoding="utf-8")
    else:
        import docx
        from PIL import Image

        picture = tmp_path / "kidney.png"
        Image.new("RGB", (4, 4), "white").save(picture)
        document = docx.Document()
        document.add_paragraph("A scan takes pictures.")
        document.add_picture(str(picture))
        document.add_picture(str(picture))
        document.inline_shapes[0]._inline.docPr.set("descr", "The kidney and ureter")
        document.save(str(source))
    _, draft = imported(cli, workspace, source, "scan")
    assert draft["overview"] == ["A scan takes pictures."]
    assert ('The source has 2 image(s) ("The kidney and ureter"); images are not imported: add figures by hand.'
            in draft["review_notes"])


def test_a_label_with_a_colon_heads_the_paragraphs_after_it(cli, workspace, tmp_path):
    source = tmp_path / "labels.txt"
    source.write_text("A scan takes pictures of your bladder.\n\nRisks:\nBleeding can happen.\n\n"
                      "Aftercare:\nRest for a day.\n", encoding="utf-8")
    _, draft = imported(cli, workspace, source, "labels")
    assert draft["risks"] == ["Bleeding can happen."]
    assert draft["aftercare"] == {"instructions": ["Rest for a day."]}
    assert "Sections from headings: 'Risks:' → risks; 'Aftercare:' → aftercare.instructions." in draft["review_notes"]


def test_a_backslash_n_in_text_with_real_line_breaks_means_itself(cli, workspace, tmp_path):
    source = tmp_path / "paths.txt"
    source.write_text("Scan results are saved.\nThe folder is C:\\notes\\scans on the desk.\n", encoding="utf-8")
    _, draft = imported(cli, workspace, source, "paths")
    assert draft["overview"] == ["The folder is C:\\notes\\scans on the desk."]
    assert not any("escape" in note for note in draft["review_notes"])


def test_word_tables_and_text_boxes_are_read_too_and_notes_outside_the_text_are_counted(cli, workspace, tmp_path):
    import zipfile

    import docx
    from docx.oxml import parse_xml

    def text_box(text: str, branch: str) -> str:  # Word writes each text box twice: Choice and its VML Fallback
        box = f"<w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent>"
        return f"<mc:{branch}><w:pict><v:shape><v:textbox>{box}</v:textbox></v:shape></w:pict></mc:{branch}>"

    document = docx.Document()
    anchor = document.add_paragraph("A scan takes pictures of your bladder.")
    anchor._p.append(parse_xml(
        '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><mc:AlternateContent>'
        + text_box("Call your doctor if you have a fever.", "Choice")
        + text_box("Call your doctor if you have a fever.", "Fallback") + "</mc:AlternateContent></w:r>"))
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "It takes about ten minutes in the clinic."
    table.cell(1, 0).text = "You lie on your back."
    table.cell(1, 1).text = "A probe moves over your belly."
    document.add_comment(anchor.runs, text="Ask Dr. Lee about this.", author="Editor")
    source = tmp_path / "scan.docx"
    document.save(str(source))
    with zipfile.ZipFile(source, "a") as archive:  # one separator, one real footnote
        archive.writestr("word/footnotes.xml", '<w:footnotes xmlns:w="http://schemas.openxmlformats.org/'
                         'wordprocessingml/2006/main"><w:footnote w:type="separator" w:id="-1"/>'
                         '<w:footnote w:id="1"><w:p><w:r><w:t>Source: clinic protocol.</w:t></w:r></w:p>'
                         '</w:footnote></w:footnotes>')

    _, draft = imported(cli, workspace, source, "scan")
    assert draft["overview"] == ["It takes about ten minutes in the clinic.", "You lie on your back.",
                                 "A probe moves over your belly."]
    # The text box opens with "Call your doctor if": a warning sign, read once (not again from its fallback copy).
    assert draft["when_to_call"] == {"warning_signs": ["Call your doctor if you have a fever."]}
    assert not any("repeated" in note for note in draft["review_notes"])
    assert ("The source has 1 footnote(s) and 1 comment(s); they are not imported: check them in the original."
            in draft["review_notes"])


def test_a_near_repeat_is_dropped_and_named_beside_the_sentence_kept(cli, workspace, tmp_path):
    source = tmp_path / "scan.md"
    source.write_text("The scan takes about ten minutes in the clinic.\n\n"
                      "The scan takes about ten minutes in the clinic room.\n\n"
                      "You can go home after the scan.\n", encoding="utf-8")
    _, draft = imported(cli, workspace, source, "scan")
    assert draft["overview"] == ["You can go home after the scan."]
    assert ('Dropped near-repeated sentence: "The scan takes about ten minutes in the clinic room." '
            '(kept: "The scan takes about ten minutes in the clinic.")') in draft["review_notes"]


def test_a_source_that_starts_with_a_section_leaves_the_overview_to_the_editor(cli, workspace, tmp_path):
    source = tmp_path / "risks.html"
    source.write_text("<h2>Risks</h2><ul><li>Bleeding can happen.</li></ul>", encoding="utf-8")
    _, draft = imported(cli, workspace, source, "risks-only")
    assert draft["risks"] == ["Bleeding can happen."] and draft["overview"] == [] and draft["summary"] == ""
    assert "The source has no introduction: write the summary and overview from it." in draft["review_notes"]
    checked = cli("check", "risks-only", "-w", workspace)  # nothing is made up to fill the gap
    assert checked.exit_code == 1
    assert "field 'overview'" in checked.stderr and "field 'summary'" in checked.stderr


def test_a_spanish_handout_imports_with_its_sections(cli, workspace, tmp_path):
    source = tmp_path / "pielografia.md"
    source.write_text("# ¿Qué es la pielografía retrógrada?\n\nEs una prueba con rayos X. Muestra los riñones.\n\n"
                      "## Riesgos\n\n- Sangrado leve.\n\nLlame a su médico si tiene fiebre.\n", encoding="utf-8")
    path, draft = imported(cli, workspace, source, "pielografia", "es")
    assert path.name == "es.yaml" and draft["language"] == "es"
    assert draft["title"] == "¿Qué es la pielografía retrógrada?"
    assert draft["summary"] == "Es una prueba con rayos X." and draft["overview"] == ["Muestra los riñones."]
    assert draft["risks"] == ["Sangrado leve.", "Llame a su médico si tiene fiebre."]  # the heading wins
    assert "¿Qué es la pielografía retrógrada?" in path.read_text(encoding="utf-8")  # not escaped


def test_the_draft_is_written_once_privately_and_only_replaced_with_force(cli, workspace, tmp_path):
    path, _ = imported(cli, workspace, NEPHROSTOMY, "imported")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # a source file the team edits, as `new` writes
    path.write_text("edited by hand\n", encoding="utf-8")
    again = cli("import", NEPHROSTOMY, "--id", "imported", "-w", workspace)
    assert again.exit_code == 2 and "already exists; nothing was overwritten (use --force" in again.stderr
    assert path.read_text(encoding="utf-8") == "edited by hand\n"
    assert cli("import", NEPHROSTOMY, "--id", "imported", "-w", workspace, "--force").exit_code == 0
    assert "Patient Positioning" in path.read_text(encoding="utf-8")
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".handoutgen-tmp-")]

    elsewhere = tmp_path / "drafts" / "nephrostomy.yaml"
    written = cli("import", NEPHROSTOMY, "--out", elsewhere, "--lang", "en")
    assert written.exit_code == 0, written.stderr
    assert yaml.safe_load(elsewhere.read_text(encoding="utf-8"))["id"] == "003-767184e945e559e0"


def test_bad_inputs_get_one_clear_line_naming_the_file(cli, workspace, tmp_path):
    def fails(source: Path, code: int, message: str, *options: str) -> None:
        result = cli("import", source, "-w", workspace, *options)
        assert result.exit_code == code, (result.exit_code, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
        assert source.name in result.stderr or options  # a bad option is named instead

    fails(tmp_path / "missing.txt", 1, "missing.txt: cannot read: No such file or directory")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.7")
    fails(tmp_path / "scan.pdf", 2, "scan.pdf: cannot import '.pdf' files; use .txt, .md, .html or .docx")
    (tmp_path / "blank.md").write_text("\n  \n", encoding="utf-8")
    fails(tmp_path / "blank.md", 1, "blank.md: the document has no text to import")
    (tmp_path / "filler.txt").write_text("Lorem ipsum dolor sit amet, consectetur.\n", encoding="utf-8")
    fails(tmp_path / "filler.txt", 1, "filler.txt: nothing to import: every sentence is filler or a repeat")
    (tmp_path / "renamed.docx").write_text("This was a text file, renamed.", encoding="utf-8")
    fails(tmp_path / "renamed.docx", 1, "renamed.docx: not a Word .docx file (it is not a zip archive)")
    (tmp_path / "binary.txt").write_bytes(b"\x00\xff\x00\xfe")
    fails(tmp_path / "binary.txt", 1, "binary.txt: not a text file (it holds NUL bytes)")
    fails(RETROGRADE, 2, "'Retro Scan' is not a handout id", "--id", "Retro Scan")
    (tmp_path / "膀胱.md").write_text("# 膀胱镜检查\n\n这是一项检查。\n", encoding="utf-8")
    fails(tmp_path / "膀胱.md", 2, "cannot make a handout id from the title or the file name; give one with --id")
    fails(RETROGRADE, 2, f"{tmp_path.name}: is a folder; --out takes the draft's file name", "--out", str(tmp_path))
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be", encoding="utf-8")
    fails(RETROGRADE, 1, "cannot write: a file is in the way of the output folder", "--out", str(blocked / "x.yaml"))
    assert not (workspace / "handouts" / "missing").exists()


@pytest.mark.parametrize("paragraphs, message", [
    # a few hundred KB that unpack to ~90 MB of tiny paragraphs: lxml would hold them all
    (2_700_000, "its text part unpacks to"),
    # under the size limit, still far more paragraphs than a handout holds
    (30_000, "over 20000 paragraphs"),
])
def test_a_word_file_built_to_exhaust_memory_is_refused(cli, workspace, tmp_path, paragraphs, message):
    import zipfile

    import docx

    plain = tmp_path / "plain.docx"
    document = docx.Document()
    document.add_paragraph("Bladder Scan")
    document.save(plain)
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "word/document.xml":
                head, tail = data.split(b"<w:body>")
                data = head + b"<w:body>" + b"<w:p><w:r><w:t>a</w:t></w:r></w:p>" * paragraphs + tail
            target.writestr(member, data)
    assert bomb.stat().st_size < 1_000_000
    result = cli("import", bomb, "-w", workspace)
    assert result.exit_code == 1 and f"bomb.docx: {message}" in result.stderr, result.stderr
    assert not (workspace / "handouts" / "bomb").exists()


def test_text_saved_by_older_windows_editors_is_read_and_the_reviewer_told(cli, workspace, tmp_path):
    source = tmp_path / "legacy.txt"
    source.write_bytes("Your care team\u2019s caf\u00e9 is open before the test.\r\n".encode("cp1252"))
    _, draft = imported(cli, workspace, source, "legacy")
    assert draft["summary"] == "Your care team\u2019s caf\u00e9 is open before the test."
    assert "The file is not UTF-8; it was read as Windows-1252. Check accented letters and symbols." in draft["review_notes"]
    with_bom = tmp_path / "bom.md"
    with_bom.write_bytes(codecs.BOM_UTF8 + b"# Scan\n\nA scan takes pictures.\n")
    _, draft = imported(cli, workspace, with_bom, "bom")
    assert draft["title"] == "Scan" and draft["summary"] == "A scan takes pictures."


@pytest.mark.slow
def test_an_imported_draft_builds_into_a_pdf(cli, workspace):
    imported(cli, workspace, RETROGRADE, "imported-retrograde")
    built = cli("build", "imported-retrograde", "-w", workspace, "--out", workspace / "out", "-j", "1")
    assert built.exit_code == 0, built.stderr
    text = pdf_text(workspace / "out/imported-retrograde.en.pdf")
    assert "What is retrograde pyelography and when is it used?" in text
    assert "cystoscopy—a procedure where a scope is placed through the urethra" in text
    assert "Not yet reviewed by a clinician" in text


@pytest.mark.parametrize(("heading", "section"), [
    ("Why is it done?", "reasons"), ("Indications", "reasons"), ("How to get ready", "preparation"),
    ("What to expect", "what_to_expect.during"), ("What happens after the test?", "what_to_expect.after"),
    ("Caring for yourself at home", "aftercare.instructions"), ("Possible complications", "risks"),
    ("Benefits", "benefits"), ("When to call your doctor", "when_to_call.warning_signs"),
    ("Questions to ask your care team", "questions"), ("Words to know", "words_to_know"),
    ("Frequently asked questions", None),  # answers as well as questions: left for the reviewer
    ("Billing and insurance", None),
    # Spanish handouts, as clinics have them
    ("¿Por qué se hace?", "reasons"), ("Cómo prepararse", "preparation"),
    ("¿Qué esperar durante la prueba?", "what_to_expect.during"), ("Después de la prueba", "what_to_expect.after"),
    ("Cuidados en casa", "aftercare.instructions"), ("Riesgos", "risks"), ("Beneficios", "benefits"),
    ("Cuándo llamar a su médico", "when_to_call.warning_signs"), ("Preguntas para su equipo", "questions"),
    ("Preguntas frecuentes", None), ("Palabras que debe conocer", "words_to_know"), ("Facturación", None),
])
def test_section_names_an_editor_would_write(heading, section):
    from handoutgen.importer.sections import section_for

    assert section_for(heading) == section


# Fuzzing, as tests/test_fuzz.py does for the other readers: whatever the file holds, import gives
# our own error or a draft that handoutgen's own YAML loader reads back.
MARKUP = st.text(st.sampled_from(list("ab .:?!-*#1\n\t<>/hpli&;â€”\\n\u00a0\u202e")) | st.characters(), max_size=400)


def import_or_refuse(tmp_path: Path, name: str, data: bytes) -> None:
    from handoutgen.errors import HandoutgenError
    from handoutgen.importer import import_document
    from handoutgen.load import parse_yaml

    source = tmp_path / name
    source.write_bytes(data)
    try:
        draft = import_document(source, "fuzzed")
    except HandoutgenError:
        return
    assert parse_yaml(draft.text, source, 100_000).data == draft.data  # the file says exactly what was drafted


@fuzz_settings()
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".txt", ".md", ".html", ".docx"]))
def test_random_bytes_import_or_are_refused(tmp_path_factory, data, suffix):
    import_or_refuse(tmp_path_factory.mktemp("fuzz"), f"random{suffix}", data)


@fuzz_settings()
@given(text=MARKUP, suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_random_markup_imports_or_is_refused(tmp_path_factory, text, suffix):
    import_or_refuse(tmp_path_factory.mktemp("fuzz"), f"random{suffix}", text.encode("utf-8", "surrogatepass"))


@fuzz_settings(0.5)
@given(st.data())
def test_damaged_word_files_are_refused_with_our_error(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz")
    write_docx(folder / "good.docx")
    good = bytearray((folder / "good.docx").read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        good[data.draw(st.integers(0, len(good) - 1))] = data.draw(st.integers(0, 255))
    import_or_refuse(folder, "damaged.docx", bytes(good))


PROSE = st.lists(st.one_of(
    st.sampled_from(["Risks", "Why", "Aftercare", "Words to know", "Billing", "kidney", "stent", "the", "you",
                     "Lorem ipsum", "cystoscopyâ€”a", "&nbsp;", "Call your doctor if", "After the test,"]),
    st.sampled_from([".", ":", "?", "\n", "\n\n", "\n- ", "\n1. ", "\n# ", " ", " ", " "]),
), max_size=80).map("".join)


def fuzzed_draft(tmp_path_factory, text: str, suffix: str):
    """The draft import makes of ``text`` saved as a ``suffix`` file, or None when it refuses it."""
    from handoutgen.errors import HandoutgenError
    from handoutgen.importer import import_document

    source = tmp_path_factory.mktemp("fuzz") / f"prose{suffix}"
    source.write_text(text, encoding="utf-8")
    try:
        return import_document(source, "prose")
    except HandoutgenError:
        return None


@fuzz_settings()
@given(text=PROSE, suffix=st.sampled_from([".txt", ".md"]))
def test_no_sentence_is_ever_invented(tmp_path_factory, text, suffix):
    draft = fuzzed_draft(tmp_path_factory, text, suffix)
    if draft is None:  # refused with a message (e.g. nothing but filler): nothing to compare
        return
    from handoutgen.load import parse_yaml

    assert parse_yaml(draft.text, Path(f"prose{suffix}"), 100_000).data == draft.data
    repaired = normal(ftfy.fix_text(text, uncurl_quotes=False))
    printed = [draft.data.get(key) for key in CONTENT_KEYS]
    if not any("The source has no title" in note for note in draft.data["review_notes"]):
        printed.append(draft.data["title"])
    for sentence in (normal(s) for value in strings(printed) for s in sentences(value)):
        assert sentence in repaired, sentence


@fuzz_settings()
@given(text=PROSE, suffix=st.sampled_from([".txt", ".md"]))
def test_no_sentence_is_ever_lost(tmp_path_factory, text, suffix):
    draft = fuzzed_draft(tmp_path_factory, text, suffix)
    if draft is None:  # refused with a message (e.g. nothing but filler): nothing to compare
        return
    everything = normal(" ".join(strings(draft.data)))
    lines = (re.sub(r"^(?:#+|-|\d+\.)(?:\s+|$)", "", line.strip()) for line in ftfy.fix_text(text).splitlines())
    for sentence in (normal(s) for line in lines for s in sentences(line)):
        assert sentence in everything, sentence
