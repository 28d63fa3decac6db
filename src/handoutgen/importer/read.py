"""Read stage: a .txt, .md, .html or .docx file as a list of blocks (headings, paragraphs, list items).

Plain text and Markdown are repaired before they are split into blocks (a damaged no-break
space must not hide a list number); HTML and Word text is repaired block by block. Reading
never writes, and keeps every piece of text: what the later stages cannot use they list.
"""

from __future__ import annotations

import datetime as dt
import codecs
import html
import io
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from handoutgen.errors import Location, SourceError, UsageError
from handoutgen.importer.repair import Repairs
from handoutgen.load import parse_yaml, read_bytes
from handoutgen.model import MAX_YEAR, MIN_YEAR

if TYPE_CHECKING:
    from docx.text.paragraph import Paragraph

MAX_TEXT_BYTES = 2 * 1024 * 1024
MAX_DOCX_BYTES = 20 * 1024 * 1024
MAX_DOCX_UNPACKED = 100 * 1024 * 1024  # a zip bomb stops here, before python-docx unpacks it
# The body part of a Word file: a 50-page handout's is about 1 MB. Far more is a document built to
# exhaust memory (lxml holds every element), or not a handout.
MAX_DOCX_BODY = 8 * 1024 * 1024
MAX_PARAGRAPHS = 20_000
FRONT_MATTER_NODES = 5000
# Front-matter keys that hold the document's text when nothing follows the front matter
# (question-and-answer exports such as the retrograde pyelography seed keep it in `answer`).
BODY_KEYS = ("body", "content", "answer", "text")
HEADING_MAX_WORDS = 8

Kind = Literal["heading", "paragraph", "item"]
HEADING: Kind = "heading"
PARAGRAPH: Kind = "paragraph"
ITEM: Kind = "item"


@dataclass(frozen=True)
class Block:
    kind: Kind
    text: str
    level: int = 0  # headings: 1-6
    numbered: bool = False  # a heading written "1. Patient Positioning": a step, never the title


@dataclass
class Document:
    path: Path
    blocks: list[Block] = field(default_factory=list)
    title: str = ""  # from front matter, a Word "Title" paragraph or HTML <title>
    publisher: str = ""
    url: str = ""
    date: dt.date | None = None
    notes: list[str] = field(default_factory=list)


def read_document(path: Path, repair: Repairs) -> Document:
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise UsageError(f"cannot import '{path.suffix or path.name}' files; use .txt, .md, .html or .docx",
                         Location(path))
    document = reader(path, repair)
    if not any(block.text for block in document.blocks):
        raise SourceError("the document has no text to import", Location(path))
    return document


# Plain text and Markdown ----------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
# One-line exports that escaped their line breaks ("...bladder.\n\nThe primary...") as two characters.
_ESCAPED_BREAK = re.compile(r"(?:\\r)?\\n")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)(?:\s+#+)?\s*$")
_LIST_ITEM = re.compile(r"^(?:[-*•‣◦–]|(\d{1,2})[.)])\s+(.+)$")
_NUMBER = re.compile(r"^\d{1,2}[.)]\s+")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_FINISHED = (".", "!", "?", ":", ";", '"', "”", "’", ")")


def _decoded(path: Path, document: Document) -> str:
    """The file's text: UTF-8 (with or without a BOM), UTF-16 with a BOM, else Windows-1252 as older
    Windows editors save it (Latin-1 where cp1252 has no character), which the reviewer is told."""
    data = read_bytes(path, MAX_TEXT_BYTES)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            if b"\0" in data:
                raise SourceError("not a text file (it holds NUL bytes)", Location(path)) from None
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
            document.notes.append("The file is not UTF-8; it was read as Windows-1252. Check accented letters "
                                  "and symbols.")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _text_body(path: Path, document: Document, repair: Repairs) -> str:
    text = _front_matter(_decoded(path, document), document)
    if "\n" not in text.strip() and _ESCAPED_BREAK.search(text):  # a real line break: "\n" means itself
        count = len(_ESCAPED_BREAK.findall(text))
        text = _ESCAPED_BREAK.sub("\n", text)
        document.notes.append(f"Read {count} literal '\\n' escape(s) in the source as line breaks.")
    document.title = repair(document.title)
    return repair(text)


def _front_matter(text: str, document: Document) -> str:
    """The text after a YAML front matter, which gives the title and source details."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return text
    try:
        data = parse_yaml(match.group(1), document.path, FRONT_MATTER_NODES).data
    except SourceError:
        return text  # not front matter after all: every line is read as text
    if not isinstance(data, dict):
        return text
    body, used = text[match.end():], []
    if not html.unescape(body).strip():  # "&nbsp;" alone is no body either
        key = next((k for k in BODY_KEYS if isinstance(data.get(k), str) and data[k].strip()), None)
        if key is not None:
            body = data[key]
            used.append(key)
    for key, attribute in (("title", "title"), ("author", "publisher"), ("publisher", "publisher"), ("url", "url")):
        value = data.get(key)
        if isinstance(value, str) and value.strip() and not getattr(document, attribute):
            setattr(document, attribute, value.strip())
            used.append(key)
    value = data.get("date")
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and MIN_YEAR <= value.year <= MAX_YEAR:
        document.date = value
        used.append("date")
    unused = [str(key) for key in data if key not in used]
    document.notes.append(f"Front matter: used {', '.join(used) or 'nothing'}"
                          + (f"; not imported: {', '.join(unused)}." if unused else "."))
    return body


def _heading_like(text: str) -> bool:
    return len(text.split()) <= HEADING_MAX_WORDS and not text.endswith((".", "!", ",", ";", ":"))


def _read_text(path: Path, repair: Repairs) -> Document:
    document = Document(path)
    lines = [line.strip() for line in _text_body(path, document, repair).split("\n")]
    blocks = document.blocks
    paragraph: list[str] = []
    following_lines: list[str | None] = [None] * len(lines)  # the next non-blank line after each line
    upcoming: str | None = None
    for index in range(len(lines) - 1, -1, -1):
        following_lines[index] = upcoming
        upcoming = lines[index] or upcoming

    def flush() -> None:
        if paragraph:
            blocks.append(Block(PARAGRAPH, " ".join(paragraph)))
            paragraph.clear()

    for index, line in enumerate(lines):
        following = following_lines[index]
        if not line:
            flush()
        elif heading := _MD_HEADING.match(line):
            flush()
            blocks.append(_heading(heading.group(2), len(heading.group(1))))
        elif item := _LIST_ITEM.match(line):
            flush()
            after_item = bool(blocks) and blocks[-1].kind == ITEM
            if (item.group(1) and _heading_like(item.group(2)) and not after_item and following is not None
                    and not _LIST_ITEM.match(following)):
                blocks.append(Block(HEADING, item.group(2), 2, numbered=True))
            else:
                blocks.append(Block(ITEM, item.group(2)))
        elif (not paragraph and lines[index - 1] and blocks and blocks[-1].kind == ITEM
              and not blocks[-1].text.endswith(_FINISHED)):
            blocks[-1] = Block(ITEM, f"{blocks[-1].text} {line}")  # a hard-wrapped list item
        elif not paragraph and _heading_like(line) and following is not None and not (
                lines[index + 1] and lines[index + 1][0].islower()):  # a lower-case next line continues it
            blocks.append(_heading(line, 2))
        else:
            paragraph.append(line)
            if line.endswith(_FINISHED):  # otherwise the next line continues a hard-wrapped paragraph
                flush()
    flush()
    return document


def _heading(text: str, level: int) -> Block:
    numbered = bool(_NUMBER.match(text))
    return Block(HEADING, _NUMBER.sub("", text), level, numbered)


def _read_markdown(path: Path, repair: Repairs) -> Document:
    from markdown_it import MarkdownIt

    document = Document(path)
    heading_level, list_depth = 0, 0
    images: list[str] = []
    for token in MarkdownIt("commonmark").parse(_text_body(path, document, repair)):
        if token.type == "heading_open":
            heading_level = int(token.tag[1])
        elif token.type == "heading_close":
            heading_level = 0
        elif token.type == "list_item_open":
            list_depth += 1
        elif token.type == "list_item_close":
            list_depth -= 1
        elif token.type in ("inline", "fence", "code_block", "html_block"):
            images += [image.content for image in token.children or () if image.type == "image"]
            text = " ".join(_MD_IMAGE.sub("", token.content).split())  # soft line breaks are spaces
            if not text:
                continue
            if heading_level:
                document.blocks.append(_heading(text, heading_level))
            else:
                document.blocks.append(Block(ITEM if list_depth else PARAGRAPH, text))
    _note_images(document, images)
    return document


# HTML -----------------------------------------------------------------------------------

_HTML_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_HTML_BLOCKS = {"p", "li", "dt", "dd", "div", "section", "article", "main", "header", "footer", "aside", "nav",
                "blockquote", "pre", "table", "tr", "td", "th", "ul", "ol", "dl", "figure", "figcaption",
                "body", "html", "form", "address", *_HTML_HEADINGS}
_HTML_SKIPPED = {"script", "style", "template", "noscript", "svg", "math"}


class _HtmlBlocks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title = ""
        self.images: list[str] = []  # their alt texts
        self._parts: list[str] = []
        self._open: list[str] = []
        self._skipping = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_SKIPPED:
            self._skipping += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "br":
            self._parts.append(" ")
        elif tag == "img":
            self.images.append(" ".join((dict(attrs).get("alt") or "").split()))
        elif tag in _HTML_BLOCKS:
            self._flush()
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in _HTML_BLOCKS:
            self._flush()
            if tag in self._open:  # also closes what was left open inside it (<li> without </li>)
                del self._open[len(self._open) - 1 - self._open[::-1].index(tag):]

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if self._in_title:
            self.title += data
        else:
            self._parts.append(data)

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self) -> None:
        text = " ".join("".join(self._parts).split())
        self._parts.clear()
        if not text:
            return
        innermost = next((tag for tag in reversed(self._open) if tag in _HTML_HEADINGS or tag in ("li", "dd")), "")
        if innermost in _HTML_HEADINGS:
            self.blocks.append(_heading(text, _HTML_HEADINGS[innermost]))
        else:
            self.blocks.append(Block(ITEM if innermost else PARAGRAPH, text))


def _note_images(document: Document, alt_texts: list[str]) -> None:
    if alt_texts:
        described = "; ".join(f'"{alt}"' for alt in alt_texts if alt)
        document.notes.append(f"The source has {len(alt_texts)} image(s)" + (f" ({described})" if described else "")
                              + "; images are not imported: add figures by hand.")


def _read_html(path: Path, repair: Repairs) -> Document:
    document = Document(path)
    parser = _HtmlBlocks()
    parser.feed(_decoded(path, document))
    parser.close()
    document.blocks = [Block(b.kind, repair(b.text), b.level, b.numbered) for b in parser.blocks]
    _note_images(document, [repair(alt) for alt in parser.images])
    if not any(block.kind == HEADING and block.level == 1 for block in document.blocks):
        document.title = repair(" ".join(parser.title.split()))  # <title> often names the site too: h1 wins
    return document


# Word -----------------------------------------------------------------------------------

_WORD_HEADING = re.compile(r"^Heading ([1-9])$")
_TEXT_BOX_PARAGRAPHS = ".//*[local-name()='txbxContent'][not(ancestor::*[local-name()='Fallback'])]/*[local-name()='p']"


def _check_docx_archive(data: bytes, path: Path) -> None:
    """Refuse what is not a Word file, or would unpack to far more than it weighs, with the file's name."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise SourceError("not a Word .docx file (it is not a zip archive); save it again as .docx",
                          Location(path)) from None
    if "word/document.xml" not in {member.filename for member in members}:
        raise SourceError("not a Word .docx file (no word/document.xml inside)", Location(path))
    if sum(member.file_size for member in members) > MAX_DOCX_UNPACKED:
        raise SourceError(f"unpacks to over {MAX_DOCX_UNPACKED} bytes; refused", Location(path))
    body = next(member for member in members if member.filename == "word/document.xml")
    if body.file_size > MAX_DOCX_BODY:
        raise SourceError(f"its text part unpacks to {body.file_size} bytes, over the {MAX_DOCX_BODY}-byte "
                          "limit for a handout; refused", Location(path))


# How a damaged zip member fails when it is unpacked.
_DAMAGED_ZIP = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)
# Parts of a Word file the importer does not read, and how to count what they hold (separators
# between footnotes are footnotes with a w:type; real ones have none).
_UNREAD_WORD_PARTS = (
    ("word/footnotes.xml", re.compile(rb"<w:footnote\b(?![^>]*\bw:type=)"), "footnote"),
    ("word/endnotes.xml", re.compile(rb"<w:endnote\b(?![^>]*\bw:type=)"), "endnote"),
    ("word/comments.xml", re.compile(rb"<w:comment\b"), "comment"),
)


def _unread_word_parts(data: bytes) -> list[str]:
    """"2 footnote(s)", "1 comment(s)": text in the file that is not imported."""
    found = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        for name, entry, what in _UNREAD_WORD_PARTS:
            try:
                count = len(entry.findall(archive.read(name))) if name in names else 0
            except _DAMAGED_ZIP:
                found.append(f"a damaged {name}")
                continue
            if count:
                found.append(f"{count} {what}(s)")
    return found


def _word_paragraphs(data: bytes, path: Path) -> list[Paragraph]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        word = docx.Document(io.BytesIO(data))
    # A damaged member fails only when python-docx unpacks it; lxml's XMLSyntaxError is a SyntaxError.
    except (PackageNotFoundError, *_DAMAGED_ZIP, KeyError, ValueError, SyntaxError) as error:
        raise SourceError(f"not a Word .docx file that can be read ({type(error).__name__})", Location(path)) from None
    paragraphs: list[Paragraph] = []
    for child in word.element.body.iterchildren():
        if child.tag == qn("w:p"):
            paragraphs.append(Paragraph(child, word))
            # A text box's text is not in its anchor paragraph's runs; its VML fallback copy is skipped.
            paragraphs += [Paragraph(inner, word) for inner in child.xpath(_TEXT_BOX_PARAGRAPHS)]
        elif child.tag == qn("w:tbl"):
            seen: set[object] = set()  # a merged cell is returned once per grid column it spans
            for row in Table(child, word).rows:
                for cell in row.cells:
                    if cell._tc not in seen:
                        seen.add(cell._tc)
                        paragraphs.extend(cell.paragraphs)
        if len(paragraphs) > MAX_PARAGRAPHS:
            raise SourceError(f"over {MAX_PARAGRAPHS} paragraphs: far more than a handout holds; refused",
                              Location(path))
    return paragraphs


def _read_docx(path: Path, repair: Repairs) -> Document:
    data = read_bytes(path, MAX_DOCX_BYTES)
    _check_docx_archive(data, path)
    document = Document(path)
    images: list[str] = []
    for paragraph in _word_paragraphs(data, path):
        images += [" ".join(picture.get("descr", "").split()) for picture in paragraph._p.xpath(".//wp:docPr")]
        text = repair(" ".join(paragraph.text.split()))
        if not text:
            continue
        style = paragraph.style.name if paragraph.style is not None and paragraph.style.name else ""
        properties = paragraph._p.pPr
        heading = _WORD_HEADING.match(style)
        if style == "Title" and not document.title:
            document.title = text
        elif style == "Title" or heading:
            document.blocks.append(_heading(text, int(heading.group(1)) if heading else 1))
        elif style.startswith("List") or (properties is not None and properties.numPr is not None):
            document.blocks.append(Block(ITEM, text))
        else:
            document.blocks.append(Block(PARAGRAPH, text))
    _note_images(document, [repair(alt) for alt in images])
    if unread := _unread_word_parts(data):
        document.notes.append(f"The source has {' and '.join(unread)}; they are not imported: check them in the "
                              "original.")
    return document


_READERS: dict[str, Callable[[Path, Repairs], Document]] = {
    ".txt": _read_text, ".text": _read_text, ".md": _read_markdown, ".markdown": _read_markdown,
    ".html": _read_html, ".htm": _read_html, ".docx": _read_docx,
}
