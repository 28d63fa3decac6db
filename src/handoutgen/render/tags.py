"""Structure-tree post-processing of WeasyPrint's PDF/UA output, with pikepdf.

WeasyPrint tags the flow of a document, but (as of 70.0):
- the margin boxes (running header, footer, "Page X of Y") get structure elements that
  hang off no parent, so their marked content is unreachable from the StructTreeRoot;
- appending pages from other files (packets, combined print files) keeps none of the
  other files' tags and lets their ParentTree keys collide.

``tidy`` fixes the first for one rendered file: the repeated page furniture becomes
/Artifact marked content (read once, not on every page), except the first page's logo,
which joins the tree as a Figure with its /Alt. ``merge`` builds one document from
several tagged parts with ONE structure tree. A file claims PDF/UA (XMP pdfuaid:part)
only when every part claimed it, and ``tidy`` keeps a claim only when every piece of
marked content has an owner in the tree. ``fix_rtl_text`` makes right-to-left text read
and extract in logical order.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeGuard
from xml.sax.saxutils import escape

import pikepdf
from pikepdf import Array, Dictionary, Name

PDFUA_CLAIM = b'pdfuaid:part="1"'
PDF_VERSION = "1.7"  # what WeasyPrint writes for PDF/UA-1; a merged file must not fall back to 1.3
_PAGINATION_ARTIFACT = Dictionary(Type=Name.Pagination)


class _Operands(Protocol):
    """A content-stream instruction's operands: pikepdf's own list, or a list of objects made here."""

    def __getitem__(self, index: int, /) -> pikepdf.Object: ...
    def __iter__(self) -> Iterator[pikepdf.Object]: ...
    def __len__(self) -> int: ...


def _kids(node: pikepdf.Object) -> list[pikepdf.Object]:
    kids = node.get("/K") if isinstance(node, Dictionary) else None
    if kids is None:
        return []
    return list(kids) if isinstance(kids, Array) else [kids]


def _is_element(node: pikepdf.Object | None) -> TypeGuard[Dictionary]:
    return isinstance(node, Dictionary) and node.get("/Type") not in (Name.MCR, Name.OBJR) and "/S" in node


def structure_elements(root: pikepdf.Object) -> Iterator[Dictionary]:
    """Every structure element reachable from ``root``, each once."""
    found: set[tuple[int, int]] = set()
    stack = _kids(root)
    while stack:
        node = stack.pop()
        if not _is_element(node) or node.objgen in found:
            continue
        found.add(node.objgen)
        yield node
        stack.extend(_kids(node))


def reachable_elements(root: pikepdf.Object) -> set[tuple[int, int]]:
    """objgen of every structure element reachable from ``root``."""
    return {element.objgen for element in structure_elements(root)}


def _tree_items(node: pikepdf.Object, entries: str) -> Iterator[tuple[pikepdf.Object, pikepdf.Object]]:
    """(key, value) pairs of a number tree (``/Nums``) or name tree (``/Names``), leaves in order."""
    pairs = node.get(entries)
    if pairs is not None:
        for index in range(0, len(pairs), 2):
            yield pairs[index], pairs[index + 1]
    for kid in node.get("/Kids", []):
        yield from _tree_items(kid, entries)


def number_tree_items(node: pikepdf.Object) -> Iterator[tuple[int, pikepdf.Object]]:
    """(key, value) of a number tree such as the ParentTree, leaves in order."""
    return ((int(key), value) for key, value in _tree_items(node, "/Nums"))


def name_tree_items(node: pikepdf.Object) -> Iterator[tuple[str, pikepdf.Object]]:
    return ((str(key), value) for key, value in _tree_items(node, "/Names"))


def marked_content_ids(page: pikepdf.Page) -> list[int]:
    """MCIDs of the marked content drawn directly in a page's content stream."""
    return [
        int(instruction.operands[1].MCID)
        for instruction in pikepdf.parse_content_stream(page, "BDC")
        if isinstance(instruction.operands[1], Dictionary) and "/MCID" in instruction.operands[1]
    ]


def claims_pdfua(pdf: pikepdf.Pdf) -> bool:
    """Whether the file's XMP says PDF/UA-1: as an attribute (WeasyPrint, ours) or an element (Typst)."""
    metadata = pdf.Root.get("/Metadata")
    return metadata is not None and any(claim in metadata.read_bytes() for claim in _PDFUA_CLAIMS)


_PDFUA_CLAIMS = (PDFUA_CLAIM, b"<pdfuaid:part>1</pdfuaid:part>")


# --- one rendered file --------------------------------------------------------------------


def tidy(pdf: pikepdf.Pdf) -> None:
    """Page furniture that the tree does not reach becomes artifacts; the first logo a Figure.

    Marked content that no structure element owns makes the file stop claiming PDF/UA.
    """
    tree = pdf.Root.get("/StructTreeRoot")
    if tree is None:
        _drop_pdfua_claim(pdf)
        return
    reachable = reachable_elements(tree)
    parents = dict(number_tree_items(tree.ParentTree)) if "/ParentTree" in tree else {}
    logo_placed = False
    ownerless = 0  # marked content no structure element claims: the file cannot claim PDF/UA
    for page in pdf.pages:
        key = page.obj.get("/StructParents")
        owners = parents.get(int(key)) if key is not None else None
        operations = pikepdf.parse_content_stream(page)
        changed = False
        for index, instruction in enumerate(operations):
            operands = instruction.operands
            if str(instruction.operator) != "BDC" or not isinstance(operands[1], Dictionary) or "/MCID" not in operands[1]:
                continue
            mcid = int(operands[1].MCID)
            owner = owners[mcid] if owners is not None and mcid < len(owners) else None
            if not _is_element(owner):
                ownerless += 1
                continue
            assert owners is not None  # the owner was found in them
            if owner.objgen in reachable:
                continue
            if not logo_placed and owner.S == Name.Figure and "/Alt" in owner:
                _adopt_as_first(tree, owner)
                reachable.add(owner.objgen)
                logo_placed = True
                continue
            operations[index] = pikepdf.ContentStreamInstruction(
                [Name.Artifact, _PAGINATION_ARTIFACT], pikepdf.Operator("BDC"))
            owners[mcid] = pikepdf.Object.parse(b"null")
            changed = True
        if changed:
            page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(operations))
    _scope_table_headers(tree)
    if ownerless:
        _drop_pdfua_claim(pdf)


def _scope_table_headers(tree: pikepdf.Object) -> None:
    """Give every /TH a /Scope (WeasyPrint drops HTML's scope): Row beside data cells, else Column."""
    for row in structure_elements(tree):
        if row.S != Name.TR:
            continue
        cells = [kid for kid in _kids(row) if _is_element(kid)]
        scope = Name.Row if any(cell.S == Name.TD for cell in cells) else Name.Column
        for cell in cells:
            if cell.S != Name.TH:
                continue
            table_attributes = Dictionary(O=Name.Table, Scope=scope)
            existing = cell.get("/A")
            if existing is None:
                cell.A = table_attributes
            elif isinstance(existing, Array):
                existing.append(table_attributes)
            else:
                cell.A = Array([existing, table_attributes])


def artifact_only(pdf: pikepdf.Pdf) -> None:
    """Every piece of marked content becomes a pagination artifact; the tags go.

    For the duplex filler page: its notice helps a reader of the paper, not of the text.
    """
    for page in pdf.pages:
        operations = pikepdf.parse_content_stream(page)
        for index, instruction in enumerate(operations):
            operands = instruction.operands
            if str(instruction.operator) == "BDC" and isinstance(operands[1], Dictionary) and "/MCID" in operands[1]:
                operations[index] = pikepdf.ContentStreamInstruction(
                    [Name.Artifact, _PAGINATION_ARTIFACT], pikepdf.Operator("BDC"))
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(operations))
        if "/StructParents" in page.obj:
            del page.obj.StructParents
    if "/StructTreeRoot" in pdf.Root:
        del pdf.Root.StructTreeRoot


def _adopt_as_first(tree: pikepdf.Object, element: Dictionary) -> None:
    """Put ``element`` first in the document's first grouping element (before the title)."""
    parent = tree
    while True:
        groups = [kid for kid in _kids(parent) if _is_element(kid) and kid.S in (Name.Document, Name.Part)]
        if not groups:
            break
        parent = groups[0]
    kids = parent.get("/K")
    if isinstance(kids, Array):
        kids.insert(0, element)
    else:
        parent.K = Array([element] + _kids(parent))
    element.P = parent


def _drop_pdfua_claim(pdf: pikepdf.Pdf) -> None:
    metadata = pdf.Root.get("/Metadata")
    if metadata is not None and PDFUA_CLAIM in metadata.read_bytes():
        pdf.Root.Metadata = pdf.make_stream(
            metadata.read_bytes().replace(b'<rdf:Description rdf:about="" pdfuaid:part="1" />', b"")
        )
        metadata = pdf.Root.Metadata
    if metadata is not None and PDFUA_CLAIM in metadata.read_bytes():
        del pdf.Root.Metadata  # a claim we cannot remove cleanly must not stay


# --- right-to-left text ----------------------------------------------------------------


_TEXT_SHOWING = {"TJ", "Tj", "'", '"'}
_NO_TEXT = pikepdf.String("\x00")  # /ActualText of a glyph whose text another glyph carries


def fix_rtl_text(pdf: pikepdf.Pdf) -> None:
    """Right-to-left words extract and read in logical order.

    WeasyPrint draws a right-to-left run in visual order (as it must) and maps each glyph
    to its characters in logical order. Extractors (poppler, PDFium, pdf.js) rebuild the
    logical order by reversing the run character by character, which turns a ligature's
    characters around (lam-alef "لا" comes out "ال", "على" as "عىل"); the structure tree,
    which knows nothing of bidi, holds the whole run backwards. So:
    - every structure element whose content is right-to-left gets /ActualText with its
      logical text (what screen readers and the tag tree read);
    - a ToUnicode entry that maps one right-to-left glyph to several characters lists them
      in drawing order, so the extractors' reversal restores them.
    """
    maps = {font.objgen: _to_unicode_map(font) for font in _fonts(pdf)}
    if not any(_is_rtl(text) for mapping in maps.values() for text in mapping.values()):
        return  # nothing right-to-left is drawn
    tree = pdf.Root.get("/StructTreeRoot")
    parents = dict(number_tree_items(tree.ParentTree)) if tree is not None and "/ParentTree" in tree else {}
    texts: dict[tuple[int, int], list[tuple[int, str, bool]]] = {}
    elements: dict[tuple[int, int], Dictionary] = {}
    for page in pdf.pages:
        key = page.obj.get("/StructParents")
        owners = parents.get(int(key)) if key is not None else None
        if owners is None:
            continue
        for mcid, glyphs in _marked_glyph_texts(page, maps).items():
            owner = owners[mcid] if mcid < len(owners) else None
            if not _is_element(owner):
                continue
            rtl = any(_is_rtl(text) for text in glyphs)
            text = _logical_text(glyphs) if rtl else "".join(glyphs)
            order = _mcid_position(owner, page, mcid)
            texts.setdefault(owner.objgen, []).append((order, text, rtl))
            elements[owner.objgen] = owner
    for objgen, pieces in texts.items():
        if any(rtl for _, _, rtl in pieces):
            elements[objgen].ActualText = pikepdf.String("".join(text for _, text, _ in sorted(pieces)))
    seen: set[tuple[int, int]] = set()
    for font in _fonts(pdf):
        stream = font.get("/ToUnicode")
        if stream is not None and stream.objgen not in seen:
            seen.add(stream.objgen)
            cmap = stream.read_bytes().decode("latin-1")
            fixed = re.sub(r"(<[0-9a-fA-F]+>\s*)<([0-9a-fA-F]{8,})>", _drawing_order, cmap)
            if fixed != cmap:
                stream.write(fixed.encode("latin-1"))
    _MarkClusters(pdf, maps).apply()


class _MarkClusters:
    """Vowel marks (shadda, tanween, damma…) extract with their letter.

    WeasyPrint draws each mark of a right-to-left run as its own text operator just before
    its base letter, with its origin inside the letter's box, so extractors put the mark
    before the letter. Here the base is re-encoded with a new code for the same glyph whose
    ToUnicode holds letter and marks (in drawing order, like a ligature), and the mark's
    own glyph is given an /ActualText of U+0000: poppler drops that character and PDFium
    skips marked content whose /ActualText has only control characters (an empty one it
    ignores). Screen readers read the tag's /ActualText instead. The drawing is unchanged.
    """

    def __init__(self, pdf: pikepdf.Pdf, maps: dict[tuple[int, int], dict[int, str]]):
        self.pdf = pdf
        self.maps = maps
        self.codes: dict[tuple[int, int], dict[tuple[int, ...], int]] = {}  # font -> cluster -> new code
        self.fonts: dict[tuple[int, int], pikepdf.Object] = {}
        self.first_code: dict[tuple[int, int], int] = {}
        self.marks = {objgen: {code for code, text in mapping.items() if self._is_mark(text)}
                      for objgen, mapping in maps.items()}

    def apply(self) -> None:
        if not any(self.marks.values()):
            return
        for page in self.pdf.pages:
            self._page(page)
        for objgen, clusters in self.codes.items():
            self._extend_font(self.fonts[objgen], clusters)

    def _is_mark(self, text: str) -> bool:
        return bool(text) and all(unicodedata.category(char) == "Mn" for char in text)

    def _page(self, page: pikepdf.Page) -> None:
        fonts = page.obj.get("/Resources", Dictionary()).get("/Font", Dictionary())
        operations = pikepdf.parse_content_stream(page)
        rewritten: list[pikepdf.ContentStreamInstruction] = []
        font: pikepdf.Object | None = None
        pending: list[int] = []  # marks waiting for their base letter (the next glyph drawn)
        changed = False
        for instruction in operations:
            operands: _Operands = instruction.operands
            operator = instruction.operator
            name = str(operator)
            if name == "Tf":
                font = fonts.get(str(operands[0]))  # the font's resource name, e.g. /F1
                pending = []
            elif name in ("BT", "ET"):
                pending = []
            elif name in ("TJ", "Tj") and font is not None and self.marks.get(font.objgen):
                marks = self.marks[font.objgen]
                if not marks.intersection(_glyph_codes(operands)):
                    if pending:  # this operator starts with the base of the pending marks
                        operands = self._recode_base(font, operands, pending)
                    pending = []
                    rewritten.append(pikepdf.ContentStreamInstruction(operands, operator))
                    continue
                # Hebrew points sit inside the run's TJ, Arabic marks in a TJ of their own: show
                # each mark by its own operator (the same drawing) and handle them alike.
                for piece in _split_at_marks(operands, marks):
                    codes = _glyph_codes([piece])
                    if len(codes) == 1 and codes[0] in marks:
                        pending.append(codes[0])
                        rewritten += [
                            pikepdf.ContentStreamInstruction([Name.Span, Dictionary(ActualText=_NO_TEXT)],
                                                             pikepdf.Operator("BDC")),
                            pikepdf.ContentStreamInstruction([piece], pikepdf.Operator("TJ")),
                            pikepdf.ContentStreamInstruction([], pikepdf.Operator("EMC")),
                        ]
                        continue
                    shown: pikepdf.Object = piece
                    if pending and codes:
                        shown = self._recode_base(font, [piece], pending)[0]
                        pending = []
                    rewritten.append(pikepdf.ContentStreamInstruction([shown], pikepdf.Operator("TJ")))
                changed = True
                continue
            rewritten.append(pikepdf.ContentStreamInstruction(operands, operator))
        if changed:
            page.obj.Contents = self.pdf.make_stream(pikepdf.unparse_content_stream(rewritten))

    def _recode_base(self, font: pikepdf.Object, operands: _Operands, marks: list[int]) -> _Operands:
        """Re-encode the first glyph shown (the marks' base) if it is a right-to-left letter."""
        base = _glyph_codes(operands)[0] if _glyph_codes(operands) else None
        if base is None or not _is_rtl(self.maps[font.objgen].get(base, "")):
            return operands
        return self._recode_first_glyph(font, operands, (base, *marks))

    def _recode_first_glyph(self, font: pikepdf.Object, operands: _Operands,
                            cluster: tuple[int, ...]) -> _Operands:
        clusters = self.codes.setdefault(font.objgen, {})
        if font.objgen not in self.fonts:
            self.fonts[font.objgen] = font
            self.first_code[font.objgen] = self._next_code(font)
        if cluster not in clusters:
            clusters[cluster] = self.first_code[font.objgen] + len(clusters)
        code = clusters[cluster].to_bytes(2, "big")
        items = list(operands[0]) if isinstance(operands[0], Array) else [operands[0]]
        for index, item in enumerate(items):
            if isinstance(item, pikepdf.String) and len(bytes(item)) >= 2:
                items[index] = pikepdf.String(code + bytes(item)[2:])
                break
        return [Array(items)] if isinstance(operands[0], Array) else [items[0], *list(operands)[1:]]

    def _next_code(self, font: pikepdf.Object) -> int:
        """First code after every code the font maps or gives a width (new codes reuse glyphs)."""
        widths = _Widths(font.DescendantFonts[0])
        return max([*self.maps[font.objgen], *widths.codes, 0]) + 1

    def _extend_font(self, font: pikepdf.Object, clusters: dict[tuple[int, ...], int]) -> None:
        descendant = font.DescendantFonts[0]
        first_new = min(clusters.values())
        last_new = max(clusters.values())
        glyph_of = bytearray()
        old_map = descendant.get("/CIDToGIDMap")
        old_bytes = old_map.read_bytes() if isinstance(old_map, pikepdf.Stream) else None
        for code in range(last_new + 1):
            if old_bytes is not None and 2 * code + 2 <= len(old_bytes):
                glyph_of += old_bytes[2 * code:2 * code + 2]
            else:
                glyph_of += (code if code < first_new else 0).to_bytes(2, "big")
        widths = _Widths(descendant)
        entries: list[int | Array] = []
        for cluster, code in clusters.items():
            base = cluster[0]
            base_glyph = int.from_bytes(glyph_of[2 * base:2 * base + 2], "big")
            glyph_of[2 * code:2 * code + 2] = base_glyph.to_bytes(2, "big")
            entries += [code, Array([widths(base)])]
            text = self.maps[font.objgen].get(base, "") + "".join(
                self.maps[font.objgen].get(mark, "") for mark in cluster[1:])
            self._add_to_unicode(font, code, text[::-1])  # drawing order, as extractors expect
        descendant.CIDToGIDMap = self.pdf.make_stream(bytes(glyph_of))
        descendant.W = Array(list(descendant.get("/W", Array())) + entries)

    def _add_to_unicode(self, font: pikepdf.Object, code: int, text: str) -> None:
        stream = font.ToUnicode
        cmap = stream.read_bytes().decode("latin-1")
        entry = f"1 beginbfchar\n<{code:04x}> <{text.encode('utf-16-be').hex()}>\nendbfchar\n"
        stream.write(cmap.replace("endcmap", entry + "endcmap", 1).encode("latin-1"))


class _Widths:
    """Glyph code → advance width from a CIDFont's /W array."""

    def __init__(self, descendant: pikepdf.Object):
        self.default = float(descendant.get("/DW", 1000))
        self.widths: dict[int, float] = {}
        items = list(descendant.get("/W", Array()))
        index = 0
        while index < len(items):
            first = int(items[index])
            if isinstance(items[index + 1], Array):
                for offset, width in enumerate(items[index + 1]):
                    self.widths[first + offset] = float(width)
                index += 2
            else:
                for code in range(first, int(items[index + 1]) + 1):
                    self.widths[code] = float(items[index + 2])
                index += 3

    @property
    def codes(self) -> list[int]:
        return list(self.widths)

    def __call__(self, code: int) -> float:
        return self.widths.get(code, self.default)


def _drawing_order(match: re.Match[str]) -> str:
    entry: str = match[0]
    code: str = match[1]
    text = _utf16(match[2])
    if len(text) < 2 or not _is_rtl(text) or any(unicodedata.bidirectional(c) in ("L", "EN") for c in text):
        return entry
    return code + "<" + text[::-1].encode("utf-16-be").hex() + ">"


def _marked_glyph_texts(page: pikepdf.Page, maps: dict[tuple[int, int], dict[int, str]]) -> dict[int, list[str]]:
    """MCID → the text of each glyph drawn inside it, in drawing order."""
    fonts = page.obj.get("/Resources", Dictionary()).get("/Font", Dictionary())
    glyphs: dict[int, list[str]] = {}
    open_ids: list[int | None] = []
    font_map: dict[int, str] = {}
    for instruction in pikepdf.parse_content_stream(page):
        operands = instruction.operands
        name = str(instruction.operator)
        if name in ("BDC", "BMC"):
            props = operands[1] if name == "BDC" else None
            open_ids.append(int(props.MCID) if isinstance(props, Dictionary) and "/MCID" in props else None)
        elif name == "EMC" and open_ids:
            open_ids.pop()
        elif name == "Tf" and operands[0] in fonts:
            font = fonts[str(operands[0])]  # the font's resource name, e.g. /F1
            if font.objgen not in maps:
                maps[font.objgen] = _to_unicode_map(font)
            font_map = maps[font.objgen]
        elif name in _TEXT_SHOWING:
            mcid = next((m for m in reversed(open_ids) if m is not None), None)
            if mcid is not None:
                glyphs.setdefault(mcid, []).extend(font_map.get(code, "") for code in _glyph_codes(operands))
    return glyphs


def _mcid_position(owner: Dictionary, page: pikepdf.Page, mcid: int) -> int:
    for index, kid in enumerate(_kids(owner)):
        if isinstance(kid, Dictionary) and kid.get("/Type") == Name.MCR and int(kid.MCID) == mcid:
            return index
        if not isinstance(kid, Dictionary) and int(kid) == mcid:
            return index
    return len(_kids(owner))


def _split_at_marks(operands: _Operands, marks: set[int]) -> list[Array]:
    """A TJ/Tj's glyphs and spacings as consecutive TJ arrays, each mark glyph alone in one.

    Consecutive TJs in one text object draw exactly what the single one drew."""
    items = list(operands[0]) if isinstance(operands[0], Array) else [operands[0]]
    pieces: list[list[pikepdf.Object]] = [[]]
    for item in items:
        if not isinstance(item, pikepdf.String):
            pieces[-1].append(item)
            continue
        data = bytes(item)
        for index in range(0, len(data) - 1, 2):
            glyph = pikepdf.String(data[index:index + 2])
            if int.from_bytes(data[index:index + 2], "big") in marks:
                pieces += [[glyph], []]
            else:
                pieces[-1].append(glyph)
    return [Array(piece) for piece in pieces if piece]


def _glyph_codes(operands: Iterable[pikepdf.Object]) -> list[int]:
    """Two-byte glyph codes shown by a text operator (WeasyPrint's fonts are Identity-H)."""
    strings = [item for operand in operands
               for item in (operand if isinstance(operand, Array) else [operand])
               if isinstance(item, pikepdf.String)]
    data = b"".join(bytes(item) for item in strings)
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data) - 1, 2)]


def _to_unicode_map(font: pikepdf.Object) -> dict[int, str]:
    """Glyph code → text from the font's /ToUnicode CMap (bfchar and bfrange entries)."""
    stream = font.get("/ToUnicode")
    if stream is None:
        return {}
    cmap = stream.read_bytes().decode("latin-1")
    mapping: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, target in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            mapping[int(code, 16)] = _utf16(target)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for first, last, target in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            start = int(target, 16)
            for offset, code in enumerate(range(int(first, 16), int(last, 16) + 1)):
                mapping[code] = _utf16(f"{start + offset:0{len(target)}x}")
    return mapping


def _utf16(hex_text: str) -> str:
    return bytes.fromhex(hex_text).decode("utf-16-be", errors="replace") if len(hex_text) % 4 == 0 else ""


def _is_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)


def _logical_text(visual: list[str]) -> str:
    """The logical text of a line drawn glyph by glyph in visual order (right-to-left base).

    Reversing the glyphs restores reading order; a glyph's own characters (a ligature) are
    already logical. Left-to-right stretches (digits, Latin) keep their order.
    """
    result: list[str] = []
    stretch: list[str] = []
    for text in reversed(visual):
        if text and all(unicodedata.bidirectional(c) in ("L", "EN", "AN", "ES", "CS") for c in text):
            stretch.append(text)
            continue
        result.extend(reversed(stretch))
        stretch = []
        result.append(text)
    result.extend(reversed(stretch))
    return "".join(result)


# --- several files into one ---------------------------------------------------------------


@dataclass
class Part:
    """One tagged file to append: its pages, and its title for the part's structure element.

    A ``blank`` part is a duplex filler (see artifact_only): its pages join without tags.
    """

    pdf: pikepdf.Pdf
    title: str | None = None
    blank: bool = False


def merge(target: pikepdf.Pdf, parts: Iterable[Part | None], title: str, language: str | None = None) -> None:
    """Append ``parts`` to the empty ``target`` with ONE structure tree.

    A None part is one empty page; a blank part joins without tags (duplex fillers). Every other part's
    tree goes under its own /Part element with the part's /Lang and /T; ParentTree keys and
    the pages' /StructParents are renumbered so they never collide.
    """
    assert target.Root.Pages.Count == 0  # not len(target.pages): that would cache qpdf's page list
    tree = target.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    document = target.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=tree, K=Array()))
    tree.K = Array([document])
    parent_tree: list[tuple[int, pikepdf.Object]] = []
    role_map, class_map = Dictionary(), Dictionary()
    ids: dict[str, pikepdf.Object] = {}
    next_key = 0
    conformant = True
    languages: list[str | None] = []
    # The page tree is built in one step at the end: each call on qpdf's page list costs time in
    # proportion to the pages already there, which made a print job of thousands quadratic.
    kids: list[pikepdf.Object] = []
    placed: set[tuple[int, int]] = set()
    for part in parts:
        if part is None:
            kids.append(target.make_indirect(Dictionary(
                Type=Name.Page, MediaBox=Array(list(kids[-1].MediaBox)), Resources=Dictionary(),
                Contents=target.make_stream(b""))))
            continue
        source = part.pdf
        pages = []
        for page in source.pages:
            copied = target.copy_foreign(page.obj)  # qpdf leaves the foreign /Parent behind
            if copied.objgen in placed:  # one filler page used twice: each place needs its own page
                copied = target.make_indirect(Dictionary({key: value for key, value in copied.items()}))
            placed.add(copied.objgen)
            kids.append(copied)
            pages.append(pikepdf.Page(copied))
        if part.blank:
            conformant = conformant and not any(marked_content_ids(page) for page in pages)
            continue
        conformant = conformant and claims_pdfua(source)
        part_language = str(source.Root.get("/Lang", "")) or None
        languages.append(part_language)
        element = target.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Part, P=document, K=Array()))
        if part_language:
            element.Lang = pikepdf.String(part_language)
        part_title = part.title or _docinfo_title(source)
        if part_title:
            element.T = pikepdf.String(part_title)
        document.K.append(element)
        source_tree = source.Root.get("/StructTreeRoot")
        if source_tree is None:
            continue  # untagged: it did not claim PDF/UA, so neither does the merged file
        for kid in _unwrapped_kids(source_tree):
            copied = _copy(target, kid)
            if _is_element(copied):
                copied.P = element
            element.K.append(copied)
        offset = next_key
        # one copy of the whole ParentTree (fast, in qpdf), then its entries re-keyed
        copied_parents = _copy(target, source_tree.ParentTree) if "/ParentTree" in source_tree else Dictionary()
        source_parents = list(number_tree_items(copied_parents))
        for key, value in source_parents:
            parent_tree.append((key + offset, value))
        next_key = offset + max([key + 1 for key, _ in source_parents] + [int(source_tree.get("/ParentTreeNextKey", 0))])
        _shift_struct_parents(pages, offset)
        for mapping, merged in (("/RoleMap", role_map), ("/ClassMap", class_map)):
            for name, value in source_tree.get(mapping, Dictionary()).items():
                if name not in merged:
                    merged[name] = _copy(target, value)
        if "/IDTree" in source_tree:
            _merge_ids(target, source_tree.IDTree, ids, suffix=f"-{len(languages)}")
    page_tree = target.Root.Pages
    for kid in kids:
        kid.Parent = page_tree
    page_tree.Kids = Array(kids)
    page_tree.Count = len(kids)
    tree.ParentTree = target.make_indirect(Dictionary(Nums=Array([x for pair in parent_tree for x in pair])))
    tree.ParentTreeNextKey = next_key
    if role_map:
        tree.RoleMap = role_map
    if class_map:
        tree.ClassMap = class_map
    if ids:
        names = [x for name, element in sorted(ids.items()) for x in (pikepdf.String(name), element)]
        tree.IDTree = target.make_indirect(Dictionary(Names=Array(names)))
    language = language or next((lang for lang in languages if lang), None)
    root = target.Root
    root.StructTreeRoot = tree
    root.MarkInfo = Dictionary(Marked=True)
    root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    if language:
        root.Lang = pikepdf.String(language)
    target.docinfo["/Title"] = title
    unique_font_subset_names(target)
    root.Metadata = target.make_stream(xmp_packet(title, language, conformant))


def _copy(target: pikepdf.Pdf, obj: pikepdf.Object) -> pikepdf.Object:
    """Copy a foreign object; direct containers are rebuilt around their copied members."""
    if not isinstance(obj, pikepdf.Object):  # None (null), numbers, booleans
        return obj
    if obj.is_indirect:
        return target.copy_foreign(obj)
    if isinstance(obj, Array):
        return Array([_copy(target, item) for item in obj])
    if isinstance(obj, Dictionary):
        return Dictionary({key: _copy(target, value) for key, value in obj.items()})
    return obj


def _docinfo_title(pdf: pikepdf.Pdf) -> str | None:
    value = pdf.docinfo.get("/Title")
    return str(value) if value is not None else None


def _unwrapped_kids(source_tree: pikepdf.Object) -> list[pikepdf.Object]:
    """The source root's kids, without WeasyPrint's single /Document wrapper (the part replaces it)."""
    kids = _kids(source_tree)
    if len(kids) == 1 and _is_element(kids[0]) and kids[0].S == Name.Document:
        return _kids(kids[0])
    return kids


def _shift_struct_parents(pages: list[pikepdf.Page], offset: int) -> None:
    """Renumber /StructParents of pages and their forms, /StructParent of annotations."""
    done: set[tuple[int, int]] = set()
    for page in pages:
        objects = [page.obj] + list(page.obj.get("/Annots", []))
        objects += list(page.obj.get("/Resources", Dictionary()).get("/XObject", Dictionary()).values())
        for obj in objects:
            if obj.is_indirect and obj.objgen in done:
                continue
            if obj.is_indirect:
                done.add(obj.objgen)
            for key in ("/StructParents", "/StructParent"):
                if key in obj:
                    obj[key] = int(obj[key]) + offset


def _merge_ids(target: pikepdf.Pdf, id_tree: pikepdf.Object, ids: dict[str, pikepdf.Object], suffix: str) -> None:
    for name, element in name_tree_items(id_tree):
        copied = _copy(target, element)
        if name in ids:  # the same id in two parts: the later one is renamed
            name = name + suffix
            copied.ID = pikepdf.String(name)
        ids[name] = copied


def unique_font_subset_names(pdf: pikepdf.Pdf) -> None:
    """Two different subsets never share a name: re-tag later ones from their font program.

    WeasyPrint derives the 6-letter subset tag from the font, not from the glyphs kept, so
    two handouts' subsets of one font arrive with one name and different contents.
    """
    by_name: dict[str, bytes] = {}
    for font in _fonts(pdf):
        name = str(font.get("/BaseFont", ""))
        program = _font_program(font)
        if program is None or len(name) < 8 or name[7] != "+":
            continue
        digest = hashlib.sha256(program).digest()
        if by_name.setdefault(name, digest) == digest:
            continue
        tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
        for holder in _font_name_holders(font):
            for key in ("/BaseFont", "/FontName"):
                if key in holder and str(holder[key])[7:8] == "+":
                    holder[key] = Name("/" + tag + str(holder[key])[7:])
        by_name.setdefault("/" + tag + name[7:], digest)


def _fonts(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Object]:
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        for font in page.obj.get("/Resources", Dictionary()).get("/Font", Dictionary()).values():
            if font.objgen not in seen:
                seen.add(font.objgen)
                yield font


def _font_name_holders(font: pikepdf.Object) -> list[pikepdf.Object]:
    holders = [font]
    target = font.DescendantFonts[0] if "/DescendantFonts" in font else font
    if target is not font:
        holders.append(target)
    if "/FontDescriptor" in target:
        holders.append(target.FontDescriptor)
    return holders


def _font_program(font: pikepdf.Object) -> bytes | None:
    target = font.DescendantFonts[0] if "/DescendantFonts" in font else font
    descriptor = target.get("/FontDescriptor")
    if descriptor is None:
        return None
    for key in ("/FontFile2", "/FontFile3", "/FontFile"):
        if key in descriptor:
            return descriptor[key].read_raw_bytes()
    return None


def xmp_packet(title: str, language: str | None, claim_pdfua: bool) -> bytes:
    claim = '<rdf:Description rdf:about="" pdfuaid:part="1" />' if claim_pdfua else ""
    language_entry = (
        f'<rdf:Description rdf:about=""><dc:language><rdf:Bag><rdf:li>{escape(language)}</rdf:li>'
        "</rdf:Bag></dc:language></rdf:Description>" if language else ""
    )
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f"{claim}"
        '<rdf:Description rdf:about=""><dc:title><rdf:Alt>'
        f'<rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title></rdf:Description>'
        f"{language_entry}</rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="r"?>'
    ).encode()
