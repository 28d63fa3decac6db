"""A clinic editor writes what real handouts hold — emphasis, links, sub-items, a lead-in, a
table, a checklist, three urgency levels and a picture — and the patient's paper shows each.

Every test renders a real PDF with WeasyPrint and reads it back (text, tags, drawn shapes).
"""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium_raw
import pytest
import yaml
from pdfua import validate

from conftest import pdf_pages_text, pdf_text

DEMO = "parts-demo"
ALT = "A kidney at the top, the bladder below, and a thin tube between them."
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 60">'
       '<rect x="5" y="5" width="90" height="50" fill="none" stroke="#000"/></svg>')

BASE = {
    "id": DEMO,
    "language": "en",
    "title": "Kidney **Stent** Check",
    "summary": "This handout is about a *short* check. See [our web page](https://clinic.example/stent).",
    "version": "1.0",
    "last_reviewed": "2026-11-22",
    "sources": [{"title": "Clinic protocol"}],
    "overview": {
        "intro": "Read this first.",
        "items": ["A stent is a thin tube. You do **not** feel it most of the time."],
        "figure": {"src": "tube.svg", "alt": ALT, "caption": "The stent inside the ureter.", "width": 40},
    },
    "reasons": {
        "intro": "You may need this check if:",
        "items": [
            {"text": "Your stent may have moved, for example after", "items": ["a fall", "heavy exercise"]},
            "It is time for a routine look.",
        ],
    },
    "preparation": {"checklist": True, "items": ["Bring your medicine list.", "Arrange a ride home."]},
    "aftercare": {
        "instructions": {
            "intro": "Take your medicines like this:",
            "table": {
                "caption": "Medicine schedule",
                "header": ["Medicine", "Morning", "Evening"],
                "rows": [["Medicine A", "1 tablet", "none"], ["Medicine B", "none", "2 tablets"]],
            },
        },
    },
    "when_to_call": {
        "emergency": ["You cannot pass any urine."],
        "call_now": ["A fever."],
        "call_soon": ["Questions about your *tube*."],
    },
    "questions": ["Call [the nurse line](tel:+15550100199) with questions."],
}


def write_demo(workspace: Path, data: dict | None = None, figure: str = SVG) -> Path:
    folder = workspace / "handouts" / DEMO
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tube.svg").write_text(figure, encoding="utf-8")
    path = folder / "en.yaml"
    path.write_text(yaml.safe_dump(data or BASE, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def line_with(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def build(cli, workspace: Path, out: Path, handout: str = DEMO, language: str = "en") -> Path:
    result = cli("build", handout, "--lang", language, "-w", workspace, "-o", out)
    assert result.exit_code == 0, result.stderr
    return out / f"{handout}.{language}.pdf"


def tick_boxes(path: Path) -> list[int]:
    """How many empty squares about 5 mm wide each page draws (a checklist's tick boxes)."""
    document = pypdfium2.PdfDocument(str(path))
    counts = []
    for page in document:
        squares = 0
        for obj in page.get_objects(max_depth=5):
            if obj.type == pdfium_raw.FPDF_PAGEOBJ_PATH:
                left, bottom, right, top = obj.get_bounds()
                if 13 < right - left < 19 and abs((right - left) - (top - bottom)) < 1:
                    squares += 1
        counts.append(squares)
    return counts


@pytest.fixture
def demo_pdf(cli, workspace, tmp_path) -> Path:
    write_demo(workspace)
    return build(cli, workspace, tmp_path / "out")


def test_bold_emphasis_and_links_print_as_such_not_as_asterisks(demo_pdf):
    text = pdf_text(demo_pdf)
    assert "Kidney Stent Check" in text and "**" not in text and "*short*" not in text
    assert "You do not feel it most of the time." in text
    # A link is clickable and its address is printed after it for the paper copy.
    unbroken = "".join(text.split())  # an address may wrap at a slash
    assert "Seeourwebpage(https://clinic.example/stent)." in unbroken
    assert "Call the nurse line (+15550100199) with questions." in text
    with pikepdf.open(demo_pdf) as pdf:
        targets = [str(a.A.URI) for page in pdf.pages for a in page.get("/Annots", []) if "/A" in a]
        metadata_title = str(pdf.docinfo["/Title"])
    assert targets == ["https://clinic.example/stent", "tel:+15550100199"]
    assert metadata_title == "Kidney Stent Check"  # the title without markup in the PDF's metadata
    assert "Kidney Stent Check · Version 1.0" in pdf_pages_text(demo_pdf)[0].replace("\n", " ")  # the footer too


def test_lead_in_sub_items_and_checklist_tick_boxes(demo_pdf):
    # PDFium reads list markers (•, –) where a page's text ends: the words without them.
    text = " ".join(word for word in pdf_text(demo_pdf).split() if word not in ("•", "–"))
    assert ("Why is it done? You may need this check if: Your stent may have moved, for example after "
            "a fall heavy exercise It is time for a routine look.") in text
    assert "• – – •" in pdf_text(demo_pdf)  # two bullets, two dashes: the sub-items are a list of their own
    assert "How to prepare Tick each box when it is done. Bring your medicine list. Arrange a ride home." in text
    assert sum(tick_boxes(demo_pdf)) == 2  # one drawn square per preparation item, nothing else


def test_three_urgency_levels_are_separate_labelled_boxes(demo_pdf):
    text = pdf_text(demo_pdf)
    emergency = text.index("Emergency Call 911 or go to the nearest emergency room if you have: You cannot pass any urine.")
    today = text.index("Call us today Call Riverside Urology Clinic at (555) 010-0142 if you have: A fever.")
    soon = text.index("Call during office hours Call Riverside Urology Clinic at (555) 010-0142 if you have: "
                      "Questions about your tube.")
    assert emergency < today < soon  # most urgent first
    assert "If you think it is an emergency" not in text  # the generic lines give way to the tiers
    with pikepdf.open(demo_pdf) as pdf:
        headings = [e for e in _elements(pdf) if str(e.S) == "/H3"]
    assert len(headings) >= 3  # each tier has a heading of its own in the tags


def test_figure_prints_tagged_as_a_figure_with_its_alt_text(demo_pdf):
    assert "The stent inside the ureter." in pdf_text(demo_pdf)
    with pikepdf.open(demo_pdf) as pdf:
        figures = [str(e.Alt) for e in _elements(pdf) if str(e.S) == "/Figure" and "/Alt" in e]
    assert ALT in figures
    report = validate(str(demo_pdf))
    assert [(f.rule_id, f.message) for f in report.findings] == []


def test_table_repeats_its_header_on_every_page_and_keeps_rows_whole(cli, workspace, tmp_path):
    rows = [[f"Day {day}", "1 tablet of Medicine A after breakfast", "none"] for day in range(1, 61)]
    data = {**BASE, "aftercare": {"instructions": {"table": {
        "header": ["When", "Morning", "Evening"], "rows": rows}}}}
    write_demo(workspace, data)
    pages = [" ".join(page.split()) for page in pdf_pages_text(build(cli, workspace, tmp_path / "out"))]
    with_rows = [page for page in pages if "1 tablet of Medicine A" in page]
    assert len(with_rows) >= 2, "the table should run onto a second page"
    for page in with_rows:
        assert "When Morning Evening" in page  # the header row, again on each page
    for day in range(1, 61):  # no row split between pages: each is whole on exactly one page
        assert sum(f"Day {day} 1 tablet of Medicine A after breakfast none" in page for page in pages) == 1


def test_figure_without_alt_text_is_an_error_at_its_line(cli, workspace):
    data = json.loads(json.dumps(BASE))
    del data["overview"]["figure"]["alt"]
    path = write_demo(workspace, data)
    result = cli("check", "-w", workspace)
    assert result.exit_code == 1
    line = line_with(path, "figure:")
    assert (f"handouts/{DEMO}/en.yaml:{line}: error: field 'overview.figure.alt': required field is missing"
            in result.stderr)
    assert cli("build", DEMO, "-w", workspace).exit_code == 1


def test_long_alt_text_is_a_finding(cli, workspace):
    data = json.loads(json.dumps(BASE))
    data["overview"]["figure"]["alt"] = "A kidney and a bladder with a thin tube between them. " * 6
    path = write_demo(workspace, data)
    result = cli("check", "--format", "json", "-w", workspace)
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "alt-text"]
    assert [(f["path"], f["line"], f["field"]) for f in found] == [
        (f"handouts/{DEMO}/en.yaml", line_with(path, "alt:"), "overview.figure.alt")]


@pytest.mark.parametrize("src, figure, message", [
    ("../../../outside.svg", SVG, "no absolute path, no '..'"),
    ("missing.svg", SVG, "figure file 'missing.svg' not found"),
    ("tube.svg", '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script> is not allowed"),
    ("tube.svg", '<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
                 '<image x:href="https://example.org/a.png"/></svg>', "may not refer to other files or URLs"),
    # WeasyPrint draws SVG text glyph by glyph: Arabic and Hebrew labels print reversed and unjoined.
    ("tube.svg", '<svg xmlns="http://www.w3.org/2000/svg"><text x="5" y="20">الكلية</text></svg>', "right-to-left text"),
    ("tube.svg", '<svg xmlns="http://www.w3.org/2000/svg"><text x="5" y="20">1 <tspan>כליה</tspan></text></svg>',
     "label the drawing with numbers"),
])
def test_unsafe_or_missing_figure_is_an_error_at_its_src(cli, workspace, src, figure, message):
    data = json.loads(json.dumps(BASE))
    data["overview"]["figure"]["src"] = src
    path = write_demo(workspace, data, figure=figure)
    result = cli("check", "-w", workspace)
    assert result.exit_code == 1
    line = line_with(path, "src:")
    assert any(l.startswith(f"handouts/{DEMO}/en.yaml:{line}: error: field 'overview.figure.src'") and message in l
               for l in result.stderr.splitlines()), result.stderr


def test_figure_from_the_shared_figures_folder(cli, workspace, tmp_path):
    data = json.loads(json.dumps(BASE))
    data["overview"]["figure"]["src"] = "anatomy/shared-tube.svg"
    write_demo(workspace, data)
    (workspace / "figures" / "anatomy").mkdir(parents=True)
    (workspace / "figures" / "anatomy" / "shared-tube.svg").write_text(
        SVG.replace("</svg>", '<text x="10" y="30" font-family="Atkinson Hyperlegible">SHARED</text></svg>'))
    assert "SHARED" in pdf_text(build(cli, workspace, tmp_path / "out"))


def test_a_shared_figures_folder_that_links_outside_the_workspace_is_refused(cli, workspace, tmp_path):
    # check and build agree: the picture is not found (it is not inside the workspace), at its line
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "shared-tube.svg").write_text(SVG)
    (workspace / "figures").symlink_to(outside, target_is_directory=True)
    data = json.loads(json.dumps(BASE))
    data["overview"]["figure"]["src"] = "shared-tube.svg"
    path = write_demo(workspace, data)
    for command in ("check", "build"):
        result = cli(command, *(["-o", tmp_path / "out"] if command == "build" else []), "-w", workspace)
        assert result.exit_code == 1 and "internal error" not in result.stderr, result.stderr
        where = f"handouts/{DEMO}/en.yaml:{line_with(path, 'src:')}: "
        assert any(l.startswith(where) and "field 'overview.figure.src': figure file 'shared-tube.svg' not found" in l
                   for l in result.stderr.splitlines()), result.stderr
    assert not (tmp_path / "out" / f"{DEMO}.en.pdf").exists()


@pytest.mark.parametrize("link", ["javascript:alert(1)", "file:///etc/passwd", "/relative/page", "ftp://x.example/a",
                                  # http(s) without a host a reader could type
                                  "http:javascript:1", "https:///x", "https://", "https:x.example"])
def test_a_link_that_is_not_https_http_mailto_or_tel_is_an_error_at_its_line(cli, workspace, link):
    data = {**BASE, "risks": ["Bleeding.", f"See [this page]({link})."]}
    path = write_demo(workspace, data)
    result = cli("check", "-w", workspace)
    assert result.exit_code == 1
    line = line_with(path, "See [this page]")
    assert f"handouts/{DEMO}/en.yaml:{line}: error: field 'risks[1]': link to '" in result.stderr


def test_html_in_text_prints_literally(cli, workspace, tmp_path):
    write_demo(workspace, {**BASE, "risks": ['<b>Bleeding</b> & <a href="https://x.example">more</a>']})
    text = pdf_text(build(cli, workspace, tmp_path / "out"))
    assert '<b>Bleeding</b> & <a href="https://x.example">more</a>' in text


def test_a_sub_item_cannot_have_sub_items(cli, workspace):
    data = {**BASE, "reasons": [{"text": "One", "items": [{"text": "Two", "items": ["Three"]}]}]}
    path = write_demo(workspace, data)
    result = cli("check", "-w", workspace)
    assert result.exit_code == 1
    assert (f"handouts/{DEMO}/en.yaml:{line_with(path, '- text: One') + 1}: error: field 'reasons[0].items': "
            "sub-items are plain text" in result.stderr), result.stderr


@pytest.mark.parametrize("table, message", [
    ({"header": ["A", "B", "C", "D", "E"], "rows": [["1", "2", "3", "4", "5"]]}, "at most 4 items"),
    ({"header": ["A", "B"], "rows": [["1", "2"], ["3"]]}, "row 2 has 1 cells but the header has 2"),
])
def test_a_table_has_at_most_four_columns_and_full_rows(cli, workspace, table, message):
    path = write_demo(workspace, {**BASE, "benefits": {"table": table}})
    result = cli("check", "-w", workspace)
    assert result.exit_code == 1
    assert any(f"handouts/{DEMO}/en.yaml:" in l and "field 'benefits.table" in l and message in l
               for l in result.stderr.splitlines()), result.stderr
    assert path.is_file()


def test_warning_signs_is_the_older_name_of_call_now_but_not_both(cli, workspace):
    data = {**BASE, "when_to_call": {"warning_signs": ["A fever."], "call_now": ["Chills."]}}
    path = write_demo(workspace, data)
    result = cli("check", "-w", workspace)
    assert result.exit_code == 1
    assert (f"handouts/{DEMO}/en.yaml:{line_with(path, 'when_to_call:')}: error: field 'when_to_call': "
            "give call_now or warning_signs (its older name), not both" in result.stderr)


def test_checks_read_the_words_not_the_markup(cli, workspace):
    # 17 words plus a link whose address has many parts: the address is not words a reader reads.
    sentence = ("Your care team will tell you how to look after the tube and the skin around it, "
                "see [our page](https://clinic.example/a/b/c/d/e/f/g/h/i/j/k).")
    write_demo(workspace, {**BASE, "risks": [sentence, "**Hematuria** (blood in the urine) can happen."],
                           "words_to_know": [{"term": "Ureter", "meaning": "The tube from a kidney to the bladder."}]})
    findings = json.loads(cli("check", "--format", "json", "-w", workspace).stdout)["findings"]
    mine = [f for f in findings if f["path"] == f"handouts/{DEMO}/en.yaml"]
    assert [f for f in mine if f["rule"] in ("long-sentence", "jargon")] == []
    report = cli("report", DEMO, "-w", workspace).stdout
    assert "[pass] PEMAT 15: uses visual aids (a figure)" in report
    assert "[pass] PEMAT 23: provides a tangible tool (a checklist)" in report


def test_translated_handout_shows_its_own_picture_and_translated_alt_text(cli, workspace, tmp_path):
    """The sample nephrostomy handout: its Spanish file swaps the drawing by name (kidney-stent.es.svg)."""
    folder = workspace / "handouts" / "nephrostomy-ureteral-stent"
    (folder / "kidney-stent.es.svg").write_text(
        SVG.replace("</svg>", '<text x="10" y="30" font-family="Atkinson Hyperlegible">DIBUJO</text></svg>'))
    spanish = build(cli, workspace, tmp_path / "out", "nephrostomy-ureteral-stent", "es")
    english = build(cli, workspace, tmp_path / "out", "nephrostomy-ureteral-stent", "en")
    assert "DIBUJO" in pdf_text(spanish) and "DIBUJO" not in pdf_text(english)
    with pikepdf.open(spanish) as pdf:
        alts = [str(e.Alt) for e in _elements(pdf) if str(e.S) == "/Figure" and "/Alt" in e]
    assert any(alt.startswith("Dibujo de un riñón") for alt in alts)


def test_schema_describes_every_new_part(cli):
    schema = json.loads(cli("schema").stdout)
    definitions = schema["$defs"]
    for name in ("Figure", "ListItem", "ListSection", "Table"):
        assert name in definitions
    assert {"emergency", "call_now", "call_soon", "warning_signs"} <= set(definitions["WhenToCall"]["properties"])
    assert "alt" in definitions["Figure"]["required"]
    assert definitions["Table"]["properties"]["header"]["maxItems"] == 4


def _elements(pdf: pikepdf.Pdf):
    stack = [pdf.Root.StructTreeRoot]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Dictionary):
            if "/S" in node:
                yield node
            kids = node.get("/K")
            if kids is not None:
                stack.extend(kids if isinstance(kids, pikepdf.Array) else [kids])


def test_changing_a_shared_figure_rebuilds_the_handouts_that_show_it(cli, workspace, tmp_path):
    data = json.loads(json.dumps(BASE))
    data["overview"]["figure"]["src"] = "shared-tube.svg"
    write_demo(workspace, data)
    shared = workspace / "figures" / "shared-tube.svg"
    shared.parent.mkdir()
    shared.write_text(SVG.replace("</svg>", '<text x="10" y="30" font-family="Atkinson Hyperlegible">FIRST</text></svg>'))
    pdf = build(cli, workspace, tmp_path / "out")
    shared.write_text(SVG.replace("</svg>", '<text x="10" y="30" font-family="Atkinson Hyperlegible">SECOND</text></svg>'))
    pdf = build(cli, workspace, tmp_path / "out")  # incremental: only what changed since the last build
    assert "SECOND" in pdf_text(pdf)


# Every part of BASE in the other languages of the samples (drafted by us for this test).
TRANSLATIONS = {
    "es": [
        "Control del **stent** renal", "Este folleto trata de un control *corto*. Vea [nuestra página](https://clinic.example/stent).",
        "Lea esto primero.", "Un stent es un tubo delgado. Casi siempre **no** lo siente.",
        "Un riñón arriba, la vejiga abajo y un tubo delgado entre ellos.", "El stent dentro del uréter.",
        "Puede necesitar este control si:", "Su stent pudo moverse, por ejemplo después de", "una caída",
        "ejercicio fuerte", "Es hora de una revisión de rutina.", "Traiga su lista de medicinas.",
        "Consiga quien lo lleve a casa.", "Tome sus medicinas así:", "Horario de medicinas", "Medicina", "Mañana",
        "Noche", "Medicina A", "1 tableta", "nada", "Medicina B", "nada", "2 tabletas", "No puede orinar nada.",
        "Fiebre.", "Preguntas sobre su *tubo*.", "Llame a [la línea de enfermería](tel:+15550100199) si tiene preguntas.",
    ],
    "ar": [
        "فحص **الدعامة** الكلوية", "يتناول هذا المنشور فحصًا *قصيرًا*. انظر [صفحتنا](https://clinic.example/stent).",
        "اقرأ هذا أولًا.", "الدعامة أنبوب رفيع. في أغلب الوقت **لا** تشعر بها.",
        "كلية في الأعلى، والمثانة في الأسفل، وأنبوب رفيع بينهما.", "الدعامة داخل الحالب.",
        "قد تحتاج إلى هذا الفحص إذا:", "ربما تحركت الدعامة، مثلًا بعد", "سقوط", "تمرين شاق",
        "حان وقت فحص روتيني.", "أحضر قائمة أدويتك.", "رتّب من يوصلك إلى البيت.", "تناول أدويتك هكذا:",
        "جدول الأدوية", "الدواء", "الصباح", "المساء", "الدواء أ", "قرص واحد", "لا شيء", "الدواء ب", "لا شيء",
        "قرصان", "لا تستطيع التبول أبدًا.", "حمى.", "أسئلة عن *الأنبوب*.",
        "اتصل [بخط التمريض](tel:+15550100199) إذا كانت لديك أسئلة.",
    ],
    "zh-Hans": [
        "肾脏**支架**检查", "本资料介绍一项*简短*的检查。请看[我们的网页](https://clinic.example/stent)。",
        "请先读这一段。", "支架是一根细管。大多数时候您**不会**感觉到它。",
        "上方是肾脏，下方是膀胱，中间有一根细管。", "输尿管里的支架。",
        "如有以下情况，您可能需要这项检查：", "您的支架可能移动了，例如在以下情况之后", "摔倒", "剧烈运动",
        "到了例行检查的时间。", "带上您的药物清单。", "安排人送您回家。", "请这样服药：", "服药时间表", "药物",
        "早上", "晚上", "药物A", "1片", "无", "药物B", "无", "2片", "您完全无法排尿。", "发烧。",
        "关于*导管*的问题。", "如有问题，请拨打[护士热线](tel:+15550100199)。",
    ],
}
TIER_HEADINGS = {"es": "Emergencia", "ar": "حالة طارئة", "zh-Hans": "紧急情况"}


def write_translation(workspace: Path, language: str) -> None:
    from handoutgen.i18n.exchange import dump_translation
    from handoutgen.i18n.translations import segments, with_segment
    from handoutgen.model import Handout, Translation

    source = segments(Handout.model_validate(BASE))
    translation = Translation(id=DEMO, language=language, source_language="en")
    for (seg_id, text), translated in zip(source.items(), TRANSLATIONS[language], strict=True):
        translation = with_segment(translation, seg_id, text, translated, state="draft")
    (workspace / "handouts" / DEMO / f"{language}.yaml").write_bytes(dump_translation(translation, list(source)))


@pytest.mark.slow
@pytest.mark.parametrize("language", ["es", "ar", "zh-Hans"])
def test_every_part_renders_tagged_in_a_translation(cli, workspace, tmp_path, language):
    write_demo(workspace)
    write_translation(workspace, language)
    pdf = build(cli, workspace, tmp_path / "out", language=language)
    alt, caption, medicine = TRANSLATIONS[language][4], TRANSLATIONS[language][5], TRANSLATIONS[language][15]
    text = pdf_text(pdf)
    assert caption in text and medicine in text and TIER_HEADINGS[language] in text
    assert "**" not in text and "](" not in text
    assert sum(tick_boxes(pdf)) == 2
    with pikepdf.open(pdf) as pdf_file:
        assert str(pdf_file.Root.Lang) == language
        figures = [str(e.Alt) for e in _elements(pdf_file) if str(e.S) == "/Figure" and "/Alt" in e]
        tables = [e for e in _elements(pdf_file) if str(e.S) in ("/Table", "/TH")]
    assert alt in figures
    assert len(tables) == 4  # the table and its three header cells
    report = validate(str(pdf))
    assert [(f.rule_id, f.message) for f in report.findings] == []


def test_a_handout_from_memory_reads_its_figures_from_a_workspace_and_checks_them_there(workspace):
    import handoutgen

    write_demo(workspace)
    brand = yaml.safe_load((workspace / "styles/brands/riverside/brand.yaml").read_text()) | {"logo": ""}
    with pytest.raises(handoutgen.HandoutgenError, match="pass workspace=open_workspace"):
        handoutgen.render_pdf(BASE, brand=brand)
    ws = handoutgen.open_workspace(workspace)
    assert handoutgen.render_pdf(BASE, brand=brand, workspace=ws).startswith(b"%PDF")
    # A file changed after loading, or a handout never loaded from the workspace: the render checks it too.
    (workspace / "handouts" / DEMO / "tube.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    with pytest.raises(handoutgen.HandoutgenError, match="figure cannot be printed: .*<script> is not allowed"):
        handoutgen.render_pdf(BASE, brand=brand, workspace=ws)


def test_large_print_keeps_bold_words_at_their_heading_size(cli, workspace, tmp_path):
    write_demo(workspace)
    result = cli("build", DEMO, "--lang", "en", "--large-print", "-w", workspace, "-o", tmp_path)
    assert result.exit_code == 0, result.stderr
    page = pypdfium2.PdfDocument(str(tmp_path / f"{DEMO}.en.large-print.pdf"))[0].get_textpage()
    text = page.get_text_range()
    start = text.index("Kidney Stent Check")

    def height(index: int) -> float:
        left, bottom, right, top = page.get_charbox(index)
        return top - bottom

    # "Kidney **Stent** Check": the capital S of the bold word is as tall as the K before it.
    assert height(start + len("Kidney ")) == pytest.approx(height(start), rel=0.05)


@pytest.mark.parametrize("kind", ["po", "xliff"])
def test_translators_see_the_markup_and_the_figure_texts_in_their_files(cli, workspace, tmp_path, kind):
    import shutil
    import subprocess

    import polib

    out = tmp_path / "to-translator"
    result = cli("i18n", "export", "nephrostomy-ureteral-stent", "--lang", "es", "--format", kind,
                 "-o", out, "-w", workspace)
    assert result.exit_code == 0, result.stderr
    if kind == "po":
        path = out / "nephrostomy-ureteral-stent.es.po"
        checked = subprocess.run([shutil.which("msgfmt"), "--check", "-o", "/dev/null", str(path)],
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        entries = {entry.msgctxt: entry for entry in polib.pofile(str(path))}
        assert "You do **not** need a drainage bag" in entries["overview.3"].msgid
        assert "usted **no** necesita" in entries["overview.3"].msgstr
        assert entries["overview.figure.alt"].msgid.startswith("Drawing of a kidney")
        assert entries["reasons.5.1"].msgid == "taking a small tissue sample (biopsy)"
    else:
        text = (out / "nephrostomy-ureteral-stent.es.xlf").read_text(encoding="utf-8")
        assert "You do **not** need a drainage bag" in text and "usted **no** necesita" in text
        assert 'id="overview.figure.caption"' in text or "overview.figure.caption" in text


def test_import_refuses_a_translation_with_a_link_the_page_cannot_print(cli, workspace, tmp_path):
    import polib

    out = tmp_path / "to-translator"
    assert cli("i18n", "export", "nephrostomy-ureteral-stent", "--lang", "es", "-o", out, "-w", workspace).exit_code == 0
    path = out / "nephrostomy-ureteral-stent.es.po"
    po = polib.pofile(str(path))
    entry = next(e for e in po if e.msgctxt == "overview.1")
    entry.msgstr = "Vea [esto](javascript:alert(1)) ahora."
    po.save()
    before = (workspace / "handouts/nephrostomy-ureteral-stent/es.yaml").read_bytes()
    result = cli("i18n", "import", path, "-w", workspace)
    assert result.exit_code == 1
    assert any(line.startswith(f"{path}:") and "field 'overview.1': link to 'javascript:alert(1)' is not allowed" in line
               for line in result.stderr.splitlines()), result.stderr
    assert (workspace / "handouts/nephrostomy-ureteral-stent/es.yaml").read_bytes() == before


def test_a_list_item_may_hold_a_figure(cli, workspace, tmp_path):
    item_alt = "The same tube, drawn smaller, beside the step it shows."
    data = {**BASE, "what_to_expect": {"during": [
        "You lie on a table.", {"text": "The nurse checks the tube.", "figure": {"src": "tube.svg", "alt": item_alt,
                                                                               "width": 25}}]}}
    write_demo(workspace, data)
    pdf = build(cli, workspace, tmp_path / "out")
    assert "1 You lie on a table. 2 The nurse checks the tube." in pdf_text(pdf)  # numbered steps
    with pikepdf.open(pdf) as pdf_file:
        alts = [str(e.Alt) for e in _elements(pdf_file) if str(e.S) == "/Figure" and "/Alt" in e]
    assert ALT in alts and item_alt in alts
    assert [(f.rule_id, f.message) for f in validate(str(pdf)).findings] == []
