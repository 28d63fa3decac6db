"""A screen-reader user gets every word of every file we ship, from singles to print jobs.

The structure walk here is written independently of handoutgen.render.tags: it follows the
tree from the StructTreeRoot down to each marked-content reference and compares that with
the MCIDs each page's content stream actually draws. The PyPI ``pdfua`` checker judges
the same files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import subprocess
from collections import Counter
from pathlib import Path

import pikepdf
import pytest
from pdfua import validate

from conftest import REPO, pdf_pages_text, pdf_text, run_cli
from handoutgen.markup import plain_text
from handoutgen.render.assemble import assemble_packet
from handoutgen.render.tags import Part, merge
from handoutgen.workspace import Workspace

RETRO, NEPHRO = "retrograde-pyelography", "nephrostomy-ureteral-stent"
ROSTER = [
    # patient_id, language, handouts: an English and an Arabic packet, two handouts each
    ("A1", "en", f"{RETRO};{NEPHRO}"),
    ("A2", "ar", f"{RETRO};{NEPHRO}"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A single handout, a duplex packet of three parts, and the combined print file."""
    folder = tmp_path_factory.mktemp("a11y")
    roster = folder / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", "patient_name", "language", "handouts", "appointment",
                         "arrive_minutes_before", "location", "clinician"])
        for patient_id, language, handouts in ROSTER:
            writer.writerow([patient_id, "Test Patient", language, handouts, "2026-12-01T09:30", "30",
                             "Clinic B", "Dr. Example"])
    combined = folder / "print.pdf"
    packets = run_cli("packets", roster, "--out", folder / "packets", "--duplex", "--combined", combined,
                      "-j", "1", "-w", REPO)
    assert packets.exit_code == 0, packets.stderr
    single = run_cli("build", RETRO, "--lang", "en", "--out", folder / "single", "-w", REPO)
    assert single.exit_code == 0, single.stderr
    return {
        "single": folder / "single" / f"{RETRO}.en.pdf",
        "packet": folder / "packets" / "A1.pdf",
        "arabic packet": folder / "packets" / "A2.pdf",
        "combined": combined,
    }


KINDS = ["single", "packet", "arabic packet", "combined"]


def drawn_marked_content(page: pikepdf.Page) -> list[int]:
    return [int(operands[1].MCID) for operands, _ in pikepdf.parse_content_stream(page, "BDC")
            if isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]]


def tree_marked_content(pdf: pikepdf.Pdf) -> dict[tuple[tuple[int, int], int], pikepdf.Object]:
    """(page objgen, MCID) -> the element whose /K holds it, for everything the root reaches."""
    reached = {}
    stack = [(pdf.Root.StructTreeRoot, None, None)]
    visited = set()
    while stack:
        node, owner, page = stack.pop()
        if isinstance(node, pikepdf.Dictionary):
            if node.is_indirect:
                if node.objgen in visited:
                    continue
                visited.add(node.objgen)
            page = node.Pg.objgen if "/Pg" in node else page
            if node.get("/Type") == "/MCR":
                reached[(page, int(node.MCID))] = owner
                continue
            if node.get("/Type") == "/OBJR" or "/K" not in node:
                continue
            kids = node.K if isinstance(node.K, pikepdf.Array) else [node.K]
            stack.extend((kid, node, page) for kid in kids)
        elif node is not None:
            reached[(page, int(node))] = owner
    return reached


def parent_tree(pdf: pikepdf.Pdf) -> dict[int, pikepdf.Object]:
    entries, stack = {}, [pdf.Root.StructTreeRoot.ParentTree]
    while stack:
        node = stack.pop()
        nums = node.get("/Nums", [])
        entries.update({int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)})
        stack.extend(node.get("/Kids", []))
    return entries


@pytest.mark.parametrize("kind", KINDS)
def test_every_marked_content_item_is_reachable_from_the_root(files, kind):
    with pikepdf.open(files[kind]) as pdf:
        reached = tree_marked_content(pdf)
        parents = parent_tree(pdf)
        drawn = unreachable = 0
        keys = []
        for page in pdf.pages:
            mcids = drawn_marked_content(page)
            drawn += len(mcids)
            if not mcids:
                continue
            keys.append(int(page.obj.StructParents))
            owners = parents[int(page.obj.StructParents)]
            for mcid in mcids:
                owner = reached.get((page.obj.objgen, mcid))
                if owner is None:
                    unreachable += 1
                else:  # the ParentTree leads back to the same element the tree does
                    assert owners[mcid].objgen == owner.objgen
        assert drawn > 50
        assert unreachable == 0, f"{unreachable} of {drawn} marked-content items unreachable"
        assert len(keys) == len(set(keys)), "two pages share a ParentTree key"


@pytest.mark.parametrize("kind", KINDS)
def test_every_heading_marks_content(files, kind):
    """pdfua 0.1.3 skips its empty-heading rule (it raises on an array /K), so we check it here."""
    with pikepdf.open(files[kind]) as pdf:
        owners = {owner.objgen for owner in tree_marked_content(pdf).values()}
        headings = [e for e in _elements(pdf) if re.fullmatch(r"/H[1-6]", str(e.S))]
        assert len(headings) > 5
        for heading in headings:
            assert any(e.objgen in owners for e in _elements_under(heading)), f"empty {heading.S}"


def _elements_under(element: pikepdf.Dictionary):
    stack = [element]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Dictionary) and "/S" in node:
            yield node
            if "/K" in node:
                stack.extend(node.K if isinstance(node.K, pikepdf.Array) else [node.K])


@pytest.mark.parametrize("kind", KINDS)
def test_pdfua_checker_finds_nothing(files, kind):
    report = validate(str(files[kind]))
    assert [(f.rule_id, f.message) for f in report.findings] == []


@pytest.mark.parametrize("kind, title, language", [
    ("single", "Retrograde Pyelography", "en"),
    ("packet", "Patient packet", "en"),
    ("arabic packet", "Patient packet", "ar"),
    ("combined", "Patient packets", "en"),
])
def test_document_says_what_it_is_and_claims_pdfua(files, kind, title, language):
    with pikepdf.open(files[kind]) as pdf:
        assert str(pdf.Root.Lang) == language
        assert str(pdf.docinfo["/Title"]) == title
        assert pdf.Root.ViewerPreferences.DisplayDocTitle
        assert pdf.Root.MarkInfo.Marked
        assert pdf.pdf_version >= "1.7"
        xmp = pdf.Root.Metadata.read_bytes().decode()
        assert 'pdfuaid:part="1"' in xmp and title in xmp


def test_each_part_has_its_own_element_and_language(files):
    with pikepdf.open(files["combined"]) as pdf:
        document = pdf.Root.StructTreeRoot.K[0]
        packets = list(document.K)
        assert [str(p.S) for p in packets] == ["/Part", "/Part"]
        assert [str(p.Lang) for p in packets] == ["en", "ar"]
        # each packet: the cover, then its two handouts, each a part in the packet's language
        for packet, language in zip(packets, ["en", "ar"]):
            parts = [kid for kid in packet.K if kid.get("/Lang") is not None]
            assert [str(p.Lang) for p in parts] == [language] * 3
            assert "Retrograde Pyelography" in str(parts[1].T) or language == "ar"


@pytest.mark.parametrize("kind, notice", [
    ("packet", "This page is intentionally blank"),
    ("arabic packet", "تُركت هذه الصفحة فارغة عمدًا"),
])
def test_duplex_backs_say_they_are_blank_as_an_artifact(files, kind, notice):
    with pikepdf.open(files[kind]) as pdf:
        backs = [number for number, page in enumerate(pdf.pages) if not drawn_marked_content(page)]
        assert backs, "a two-handout duplex packet has at least one blank back"
        for number in backs:
            page = pdf.pages[number]
            assert "/StructParents" not in page.obj
            assert _artifact_text_operators(page) >= 1
            assert " ".join(poppler_text(files[kind], page=number + 1).split()) == notice
            assert " ".join(pdf_pages_text(files[kind])[number].split()) == notice


def test_different_font_subsets_never_share_a_name(files):
    with pikepdf.open(files["combined"]) as pdf:
        programs: dict[str, set[str]] = {}
        for page in pdf.pages:
            for font in page.obj.Resources.get("/Font", {}).values():
                descriptor = font.DescendantFonts[0].FontDescriptor
                program = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
                digest = hashlib.sha256(program.read_bytes()).hexdigest()
                programs.setdefault(str(font.BaseFont), set()).add(digest)
        assert len(programs) > 4
        assert {name: len(d) for name, d in programs.items() if len(d) > 1} == {}


def test_running_header_and_footer_are_artifacts_and_the_logo_a_figure(files):
    with pikepdf.open(files["single"]) as pdf:
        for page in pdf.pages:
            artifact_text = _artifact_text_operators(page)
            assert artifact_text >= 3, "header name, phone and footer lines are artifacts on every page"
        figures = [e for e in _elements(pdf) if e.S == "/Figure"]
        assert [str(f.Alt) for f in figures] == ["Riverside Urology Clinic logo"]


def _artifact_text_operators(page: pikepdf.Page) -> int:
    """Text-showing operators inside /Artifact marked content on this page."""
    depth_in_artifact, stack, count = 0, [], 0
    for operands, operator in pikepdf.parse_content_stream(page):
        name = str(operator)
        if name in ("BDC", "BMC"):
            is_artifact = operands[0] == "/Artifact"
            stack.append(is_artifact)
            depth_in_artifact += is_artifact
        elif name == "EMC":
            depth_in_artifact -= stack.pop()
        elif name in ("Tj", "TJ", "'", '"') and depth_in_artifact:
            count += 1
    return count


def _elements(pdf: pikepdf.Pdf):
    stack = [pdf.Root.StructTreeRoot]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Dictionary) and "/K" in node:
            if "/S" in node:
                yield node
            kids = node.K if isinstance(node.K, pikepdf.Array) else [node.K]
            stack.extend(kids)


def test_a_part_without_tags_makes_the_file_drop_its_pdfua_claim(files):
    untagged = pikepdf.new()
    untagged.add_blank_page(page_size=(612, 792))
    untagged.pages[0].obj.Contents = untagged.make_stream(b"/P <</MCID 0>> BDC 0 0 10 10 re f EMC")
    cover = files["single"].read_bytes()
    data, pages = assemble_packet(cover, [untagged], duplex=False)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pages == len(pdf.pages)
        assert "pdfuaid:part" not in pdf.Root.Metadata.read_bytes().decode()


# --- right-to-left text -----------------------------------------------------------------

ARABIC_LETTER = "\u0621-\u064a\u0671-\u06d3"
ARABIC_WORD = re.compile(f"[{ARABIC_LETTER}\u064b-\u065f\u0670]+")


def arabic_words(text: str) -> Counter:
    return Counter(ARABIC_WORD.findall(text))


def printed_strings(value) -> list[str]:
    """Every text of a localized handout that is printed (not ids, URLs or reviewer notes; not a
    figure's file or its alt text, which is the Figure's /Alt), as the words a reader sees."""
    if isinstance(value, str):
        return [plain_text(value)]
    if isinstance(value, dict):
        return [s for key, item in value.items() if key not in ("review_notes", "id", "language", "url", "src", "alt")
                for s in printed_strings(item)]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in printed_strings(item)]
    return []


def intact_share(source: Counter, extracted: Counter) -> float:
    return sum((source & extracted).values()) / sum(source.values())


@pytest.fixture(scope="module")
def arabic(tmp_path_factory) -> list[tuple[Path, Counter]]:
    """Each Arabic sample as built, with the Arabic words of its source strings."""
    out = tmp_path_factory.mktemp("arabic")
    result = run_cli("build", "--lang", "ar", "--out", out, "-w", REPO)
    assert result.exit_code == 0, result.stderr
    workspace = Workspace(REPO)
    samples = []
    for file in workspace.handout_files():
        if file.language == "ar":
            handout = workspace.load_handout(file).handout
            words = arabic_words(" ".join(printed_strings(handout.model_dump(mode="json"))))
            samples.append((out / f"{file.id}.ar.pdf", words))
    assert len(samples) == 2
    return samples


def poppler_text(path: Path, page: int | None = None) -> str:
    """pdftotext's text, without the bidi embedding controls it adds around each line."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", *pages, str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return re.sub("[\u202a-\u202e]", "", text)


def structure_text(path: Path) -> str:
    """What a screen reader reads from the tags: an element's /ActualText, else nothing here."""
    with pikepdf.open(path) as pdf:
        return " ".join(str(e.ActualText) for e in _elements(pdf) if "/ActualText" in e)


@pytest.mark.parametrize("word", ["إلى", "على", "الأنبوب", "الإحليل"])
def test_lam_alef_and_lam_yeh_ligatures_extract_in_reading_order(arabic, word):
    samples = [(path, source) for path, source in arabic if source[word]]
    assert samples
    for path, source in samples:
        for text in (poppler_text(path), pdf_text(path)):
            assert arabic_words(text)[word] >= source[word]


def test_arabic_tag_text_is_in_reading_order(arabic):
    for path, source in arabic:
        assert intact_share(source, arabic_words(structure_text(path))) >= 0.99


@pytest.mark.parametrize("extract", [poppler_text, pdf_text], ids=["pdftotext", "pdfium"])
def test_arabic_words_extract_intact(arabic, extract):
    for path, source in arabic:
        assert intact_share(source, arabic_words(extract(path))) >= 0.99


@pytest.mark.parametrize("word", ["صورًا", "سدّ", "عادةً"])
def test_vowel_marks_extract_with_their_letter(arabic, word):
    path, source = next((path, source) for path, source in arabic if source[word])
    for text in (poppler_text(path), pdf_text(path)):
        assert arabic_words(text)[word] >= source[word]


def _tagged_part(element_id: str, role: str, language: str) -> pikepdf.Pdf:
    """A one-page tagged PDF as another tool might write it: IDTree, RoleMap, one paragraph."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    page = pdf.pages[0]
    page.obj.Contents = pdf.make_stream(b"/P <</MCID 0>> BDC 0 0 10 10 re f EMC")
    page.obj.StructParents = 0
    tree = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
    paragraph = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.StructElem, S=pikepdf.Name(role), P=tree, Pg=page.obj, K=0,
        ID=pikepdf.String(element_id)))
    tree.K = pikepdf.Array([paragraph])
    tree.ParentTree = pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array([0, pikepdf.Array([paragraph])])))
    tree.IDTree = pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String(element_id), paragraph]))
    tree.RoleMap = pikepdf.Dictionary({role: pikepdf.Name.P})
    pdf.Root.StructTreeRoot = tree
    pdf.Root.Lang = pikepdf.String(language)
    return pdf


def test_merge_keeps_ids_unique_and_role_maps_of_every_part():
    first, second = _tagged_part("intro", "/Para", "en"), _tagged_part("intro", "/Absatz", "de")
    merged = pikepdf.new()
    merge(merged, [Part(first), Part(second)], "Two parts")
    tree = merged.Root.StructTreeRoot
    names = list(tree.IDTree.Names)
    ids = [str(names[i]) for i in range(0, len(names), 2)]
    assert len(ids) == len(set(ids)) == 2
    assert sorted(str(element.ID) for element in names[1::2]) == sorted(ids)
    assert set(tree.RoleMap.keys()) == {"/Para", "/Absatz"}
    assert [int(page.obj.StructParents) for page in merged.pages] == [0, 1]
    assert [str(part.Lang) for part in tree.K[0].K] == ["en", "de"]
    assert "pdfuaid:part" not in merged.Root.Metadata.read_bytes().decode()  # neither part claimed it


def test_hebrew_reads_in_logical_order_from_tags_and_text(tmp_path):
    """No Hebrew sample yet: a Hebrew paragraph rendered the same way a handout is."""
    from handoutgen.render.html import HtmlDocument
    from handoutgen.render.pdf import PdfRenderer

    sentence = "הרופא יסביר לך את התוצאות אחרי הבדיקה"
    renderer = PdfRenderer((REPO / "styles",), [REPO / "styles"])
    document = HtmlDocument(f'<html lang="he" dir="rtl"><head><title>בדיקה</title></head><body><p>{sentence}</p>'
                            "</body></html>", "@page { size: A4; }", REPO.as_uri() + "/", ("fonts/fonts.css",))
    path = tmp_path / "he.pdf"
    path.write_bytes(renderer.render(document, source=path))
    assert sentence in structure_text(path)
    for text in (poppler_text(path), pdf_text(path)):
        assert " ".join(text.split()) == sentence
