"""Combine stage: every finished packet into one print job, written straight to the file.

A print job of thousands of packets is mostly the same handouts again and again. qpdf (through
pikepdf) would hold every packet's few hundred structure elements as live objects until the
save, about 1.4 MB a packet; here each packet is read, renumbered and written before the next is
opened, so memory stays at one packet plus a few bytes per object (the cross-reference table).

The packets are our own files (assemble_packet: qpdf's plain layout, one structure tree under a
/Document element). Each packet's objects are copied as text with their references renumbered:
- its /Document element becomes the packet's /Part (its /Lang, its title) under the print job's
  one /Document, and its page tree a node of the job's page tree;
- its ParentTree keys and the /StructParent(s) that point into them are shifted, so they never
  collide with another packet's;
- objects that are the same in every packet and stand outside the structure (fonts, images,
  content streams, resources) are stored once: an object whose bytes and whose references'
  targets are the same as one already written is replaced by that one;
- two different font subsets never share a name (tags.unique_font_subset_names' rule);
- the packet's objects other than streams go into compressed object streams and the cross
  reference is a compressed stream, as qpdf's object-stream mode would write them.
The file id is derived from the content, so the same packets give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pikepdf
from pikepdf import Name

from handoutgen.errors import Location, RenderError
from handoutgen.render.tags import PDF_VERSION, claims_pdfua, number_tree_items
from handoutgen.render.tags import _name_tree_items as name_tree_items, _xmp as xmp_packet

COMBINED_TITLE = "Patient packets"

# The print job's own objects, written last (their contents are known only then).
_CATALOG, _INFO, _METADATA, _PAGES, _TREE, _DOCUMENT, _PARENT_TREE = range(1, 8)
_FIRST_FREE = 8
_OBJECTS_PER_STREAM = 1000
_REFERENCE = re.compile(rb"(\d+) (\d+) R")
_STRUCT_PARENT = re.compile(rb"(/StructParents?) (\d+)")
_FONT_NAME = re.compile(rb"/FontName /([A-Z]{6}\+[^\s/<>\[\]()]*)")
_SUBSET_NAME = re.compile(rb"(/(?:FontName|BaseFont) /)([A-Z]{6}\+[^\s/<>\[\]()]*)")
# Objects that belong to one packet's pages or structure tree: never shared with another packet.
_PER_PACKET = (b"/StructElem", b"/Type /Page", b"/Annot", b"/StructParent", b"/MCR", b"/OBJR", b"/Pg ")


class CombineError(ValueError):
    """A packet is not laid out as assemble_packet writes them (then qpdf lays it out again)."""


@dataclass
class _Object:
    """One object of a packet: its text split at references (text, number, text, number, …)
    and, for a stream, its raw (still encoded) data."""

    pieces: list[bytes]
    stream: bytes | None

    def original(self) -> bytes:
        """The text as the packet has it."""
        pieces = self.pieces
        return pieces[0] + b"".join(b"%s %s R%s" % (pieces[i], pieces[i + 1], pieces[i + 2])
                                    for i in range(1, len(pieces), 3))

    def references(self) -> list[int]:
        return [int(number) for number in self.pieces[1::3]]


@dataclass
class _Job:
    """What the print job has written so far."""

    output: BinaryIO
    position: int = 0
    next_number: int = _FIRST_FREE
    xref: bytearray = field(default_factory=bytearray)  # 7 bytes an object: type, field 2, field 3
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)
    shared: dict[bytes, int] = field(default_factory=dict)  # an object's content → its number
    subsets: dict[bytes, bytes] = field(default_factory=dict)  # subset font name → its program's digest
    packet_pages: list[int] = field(default_factory=list)
    packet_parts: list[int] = field(default_factory=list)
    parent_tree: list[tuple[int, bytes]] = field(default_factory=list)  # key → a reference
    next_key: int = 0
    page_count: int = 0
    role_map: dict[str, bytes] = field(default_factory=dict)
    class_map: dict[str, bytes] = field(default_factory=dict)
    ids: dict[bytes, int] = field(default_factory=dict)  # element id (PDF string) → element number
    language: str | None = None
    conformant: bool = True
    pending: list[tuple[int, bytes]] = field(default_factory=list)  # objects for the next object stream

    def number(self) -> int:
        self.next_number += 1
        return self.next_number - 1

    def locate(self, number: int, kind: int, second: int, third: int) -> None:
        end = (number + 1) * 7
        if len(self.xref) < end:
            self.xref.extend(bytes(end - len(self.xref)))
        self.xref[number * 7:end] = bytes((kind,)) + second.to_bytes(4, "big") + third.to_bytes(2, "big")

    def write(self, data: bytes) -> None:
        self.output.write(data)
        self.digest.update(data)
        self.position += len(data)

    def write_object(self, number: int, text: bytes, stream: bytes | None = None) -> None:
        self.locate(number, 1, self.position, 0)
        if stream is None:
            self.write(b"%d 0 obj\n%s\nendobj\n" % (number, text))
        else:
            self.write(b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (number, text, stream))

    def keep(self, number: int, text: bytes) -> None:
        """An object for a compressed object stream."""
        self.pending.append((number, text))
        if len(self.pending) >= _OBJECTS_PER_STREAM:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        container = self.number()
        header, body = [], []
        offset = 0
        for index, (number, text) in enumerate(self.pending):
            header.append(b"%d %d" % (number, offset))
            body.append(text)
            offset += len(text) + 1
            self.locate(number, 2, container, index)
        first = b" ".join(header) + b"\n"
        data = zlib.compress(first + b"\n".join(body) + b"\n", 6)
        self.write_object(container, b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>"
                          % (len(self.pending), len(first), len(data)), data)
        self.pending = []


def combine(paths: Iterable[Path], output: BinaryIO) -> None:
    """Write every packet in ``paths``, in order, as one tagged print job into ``output``.

    Each packet keeps its pages, its structure (as one /Part of the job's /Document) and its
    language; the handouts every packet shares are stored once.
    """
    job = _Job(output)
    job.write(b"%PDF-" + PDF_VERSION.encode() + b"\n%\xbf\xf7\xa2\xfe\n")
    for index, path in enumerate(paths):
        try:
            _Packet(job, path.read_bytes(), index).write()
        except (CombineError, pikepdf.PdfError) as error:
            raise RenderError(f"cannot add this packet to the print job: {error}", Location(path)) from None
    _finish(job)


class _Packet:
    """One packet being copied into the job."""

    def __init__(self, job: _Job, data: bytes, index: int):
        self.job = job
        self.index = index
        try:
            self.objects = _objects(data)
        except CombineError:  # not qpdf's plain layout (e.g. saved by another tool): make it so
            with pikepdf.open(io.BytesIO(data)) as pdf:
                buffer = io.BytesIO()
                pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.disable, deterministic_id=True)
            data = buffer.getvalue()
            self.objects = _objects(data)
        self.data = data
        self.numbers: dict[int, int | None] = {}  # packet's number → the job's (0: left out, None: being placed)
        self.shared_here: set[int] = set()  # this packet's objects that are the job's shared ones
        self.key_offset = job.next_key
        self.font_renames: dict[bytes, bytes] = {}
        self.id_renames: dict[int, tuple[bytes, bytes]] = {}

    def write(self) -> None:
        with pikepdf.open(io.BytesIO(self.data)) as pdf:
            self._write(pdf)

    def _write(self, pdf: pikepdf.Pdf) -> None:
        job = self.job
        root = pdf.Root
        tree = root.get("/StructTreeRoot")
        kids = tree.get("/K") if tree is not None else None
        if tree is None or not isinstance(kids, pikepdf.Array) or len(kids) != 1 or kids[0].get("/S") != Name.Document:
            raise CombineError("a packet without one /Document structure element")
        document, pages = kids[0], root.Pages
        language = str(root.get("/Lang", "")) or None
        job.language = job.language or language
        job.conformant = job.conformant and claims_pdfua(pdf)
        title = pdf.docinfo.get("/Title")

        # What the job replaces with its own (catalog, info, metadata, tree root, ParentTree): a
        # reference to it becomes null.
        dropped = {root.objgen[0], tree.objgen[0]}
        if "/Info" in pdf.trailer:
            dropped.add(pdf.trailer.Info.objgen[0])
        if "/Metadata" in root:
            dropped.add(root.Metadata.objgen[0])
        keys: list[tuple[int, bytes]] = []
        if "/ParentTree" in tree:
            dropped |= _tree_nodes(tree.ParentTree)
            keys = [(key + self.key_offset, _text_of(value)) for key, value in number_tree_items(tree.ParentTree)]
        self.numbers.update(dict.fromkeys(dropped, 0))
        next_key = max([key + 1 for key, _ in keys] + [self.key_offset + int(tree.get("/ParentTreeNextKey", 0))])

        self.font_renames = self._font_renames()
        self.id_renames = self._ids(tree)
        maps = [(merged, name, _text_of(value))
                for mapping, merged in (("/RoleMap", job.role_map), ("/ClassMap", job.class_map))
                for name, value in tree.get(mapping, pikepdf.Dictionary()).items() if name not in merged]
        part_number = self._new(document.objgen[0])
        pages_number = self._new(pages.objgen[0])
        # qpdf writes only what the trailer leads to: every object not left out belongs to the packet
        kept = [number for number in self.objects if self.numbers.get(number, 1) != 0]
        for number in kept:
            self._place(number)
        for number in kept:
            target = self.numbers[number]
            if number in (document.objgen[0], pages.objgen[0]) or number in self.shared_here or not target:
                continue
            stream = self.objects[number].stream
            if stream is not None:
                job.write_object(target, self._text(number), stream)
            else:
                job.keep(target, self._text(number))
        for merged, name, text in maps:
            merged[name] = self._renumber(_REFERENCE.split(text))
        for identifier, element in self.ids.items():
            job.ids[identifier] = self.numbers[element] or 0

        # the packet's page tree becomes a node of the job's; its /Document the packet's /Part
        pages_text = self._text(pages.objgen[0]).lstrip()
        job.keep(pages_number, b"<< /Parent %d 0 R " % _PAGES + pages_text[2:].lstrip())
        part = [b"<< /K ", self._renumber(_REFERENCE.split(_text_of(document.K)))]
        if language:
            part.append(b" /Lang " + pikepdf.String(language).unparse())
        part.append(b" /P %d 0 R /S /Part" % _DOCUMENT)
        if title is not None:
            part.append(b" /T " + pikepdf.String(str(title)).unparse())
        part.append(b" /Type /StructElem >>")
        job.keep(part_number, b"".join(part))
        for key, text in keys:
            value = self._renumber(_REFERENCE.split(text))
            if not _REFERENCE.fullmatch(text):  # a page's array of owners: its own object, not in the Nums
                array = job.number()
                job.keep(array, value)
                value = b"%d 0 R" % array
            job.parent_tree.append((key, value))
        job.flush()
        job.packet_pages.append(pages_number)
        job.packet_parts.append(part_number)
        job.page_count += int(pages.Count)
        job.next_key = next_key

    # --- numbering ----------------------------------------------------------------------------

    def _new(self, number: int) -> int:
        target = self.numbers[number] = self.job.number()
        return target

    def _renumber(self, pieces: list[bytes]) -> bytes:
        """Text split at references (text, number, generation, text…) with the job's numbers."""
        numbers = self.numbers
        out = [pieces[0]]
        for index in range(1, len(pieces), 3):
            target = numbers.get(int(pieces[index]))
            out.append(b"%d 0 R" % target if target else b"null")
            out.append(pieces[index + 2])
        return b"".join(out)

    def _text(self, number: int) -> bytes:
        """An object's text as the job has it: renumbered, its keys shifted, its names made unique."""
        text = self._renumber(self.objects[number].pieces)
        if self.key_offset and b"/StructParent" in text:
            text = _STRUCT_PARENT.sub(lambda m: b"%s %d" % (m[1], int(m[2]) + self.key_offset), text)
        if self.font_renames and (b"/FontName" in text or b"/BaseFont" in text):
            text = _SUBSET_NAME.sub(lambda m: m[1] + self.font_renames.get(m[2], m[2]), text)
        if number in self.id_renames:
            old, new = self.id_renames[number]
            text = text.replace(b"/ID " + old, b"/ID " + new)
        return text

    def _place(self, number: int) -> int | None:
        """Give ``number`` its number in the job: the shared object's when its content and its
        references' targets are those of one already written (written now if it is the first),
        else a new one. None while it is being placed (a cycle: then it is the packet's own)."""
        if number in self.numbers:
            return self.numbers[number]
        obj = self.objects[number]
        self.numbers[number] = None
        text = b"".join(obj.pieces)
        shareable = not any(marker in text for marker in _PER_PACKET)
        for reference in obj.references() if shareable else ():
            if reference in self.objects and (self._place(reference) is None or reference not in self.shared_here):
                shareable = False
        if not shareable:
            return self._new(number)
        text = self._text(number)
        content = hashlib.sha256(text + b"\0" + (obj.stream if obj.stream is not None else b"-")).digest()
        self.shared_here.add(number)
        existing = self.job.shared.get(content)
        if existing is not None:
            self.numbers[number] = existing
            return existing
        target = self.job.shared[content] = self._new(number)
        if obj.stream is not None:
            self.job.write_object(target, text, obj.stream)
        else:
            self.job.keep(target, text)
        return target

    # --- names --------------------------------------------------------------------------------

    def _font_renames(self) -> dict[bytes, bytes]:
        """Subset names to change in this packet: a name an earlier packet gave another program."""
        renames: dict[bytes, bytes] = {}
        for obj in self.objects.values():
            text = obj.pieces[0] if len(obj.pieces) == 1 else obj.original()
            if b"/FontDescriptor" not in text or b"/FontFile" not in text:
                continue
            name = _FONT_NAME.search(text)
            program = re.search(rb"/FontFile[23]? (\d+) 0 R", text)
            if name is None or program is None or int(program[1]) not in self.objects:
                continue
            digest = hashlib.sha256(self.objects[int(program[1])].stream or b"").digest()
            full = name[1]
            if self.job.subsets.setdefault(full, digest) == digest:
                continue
            renames[full] = "".join(chr(ord("A") + byte % 26) for byte in digest[:6]).encode() + full[6:]
            self.job.subsets.setdefault(renames[full], digest)
        return renames

    def _ids(self, tree: pikepdf.Object) -> dict[int, tuple[bytes, bytes]]:
        """Element ids an earlier packet used get this packet's number: element → (old, new)."""
        renamed: dict[int, tuple[bytes, bytes]] = {}
        self.ids: dict[bytes, int] = {}
        for name, element in name_tree_items(tree.IDTree) if "/IDTree" in tree else ():
            old = pikepdf.String(name).unparse()
            new = pikepdf.String(f"{name}-{self.index + 1}").unparse() if old in self.job.ids else old
            if new != old:
                renamed[element.objgen[0]] = (old, new)
            self.ids[new] = element.objgen[0]
        return renamed


def _text_of(value: pikepdf.Object) -> bytes:
    """A value as written in its container: a reference for an indirect object."""
    return b"%d 0 R" % value.objgen[0] if value.is_indirect else value.unparse()


def _numbers_in(text: bytes) -> list[int]:
    return [int(m[1]) for m in _REFERENCE.finditer(text)]


def _tree_nodes(node: pikepdf.Object) -> set[int]:
    found = {node.objgen[0]} if node.is_indirect else set()
    for kid in node.get("/Kids", []):
        found |= _tree_nodes(kid)
    return found


def _objects(data: bytes) -> dict[int, _Object]:
    """The objects of a file in qpdf's plain layout (one classic cross-reference table, no object
    streams, generation 0), each split at its references."""
    start = data.rfind(b"startxref")
    if start < 0:
        raise CombineError("no startxref")
    xref = int(data[start + 9:].split()[0])
    if data[xref:xref + 4] != b"xref":
        raise CombineError("not a classic cross-reference table")
    trailer = data.find(b"trailer", xref)
    lines = data[xref:trailer].split(b"\n")
    first, count = (int(x) for x in lines[1].split())
    if first != 0 or b"/Prev" in data[trailer:start]:
        raise CombineError("more than one cross-reference section")
    offsets: list[tuple[int, int]] = []
    for number, line in enumerate(lines[2:2 + count]):
        fields = line.split()
        if len(fields) == 3 and fields[2] == b"n":
            if fields[1] != b"00000":
                raise CombineError("an object of another generation")
            offsets.append((int(fields[0]), number))
    offsets.sort()
    ends = [offset for offset, _ in offsets[1:]] + [xref]
    objects: dict[int, _Object] = {}
    for (offset, number), end in zip(offsets, ends):
        body = data[offset:end]
        header = b"%d 0 obj\n" % number
        if not body.startswith(header):
            raise CombineError("an object not where the table says")
        body = body[len(header):].rstrip()
        if not body.endswith(b"endobj"):
            raise CombineError("an object without endobj")
        body = body[:-6].rstrip()
        stream = None
        if body.endswith(b"endstream"):
            split = body.find(b">>\nstream\n")
            if split < 0:
                raise CombineError("a stream in another layout")
            stream = body[split + 10:-9]
            if stream.endswith(b"\n"):
                stream = stream[:-1]
            body = body[:split + 2]
            length = re.search(rb"/Length (\d+)(?! \d+ R)", body)
            if length is None or int(length[1]) != len(stream):
                raise CombineError("a stream whose length is not given directly")
        objects[number] = _Object(_REFERENCE.split(body), stream)
    return objects


def _finish(job: _Job) -> None:
    """The job's catalog, page tree, structure tree, metadata; then the cross-reference stream."""
    job.flush()
    language = job.language
    catalog = [b"<< /Type /Catalog /Pages %d 0 R /StructTreeRoot %d 0 R /Metadata %d 0 R"
               % (_PAGES, _TREE, _METADATA),
               b" /MarkInfo << /Marked true >> /ViewerPreferences << /DisplayDocTitle true >>"]
    if language:
        catalog.append(b" /Lang " + pikepdf.String(language).unparse())
    catalog.append(b" >>")
    job.write_object(_CATALOG, b"".join(catalog))
    job.write_object(_INFO, b"<< /Title " + pikepdf.String(COMBINED_TITLE).unparse() + b" >>")
    xmp = xmp_packet(COMBINED_TITLE, language, job.conformant)
    job.write_object(_METADATA, b"<< /Type /Metadata /Subtype /XML /Length %d >>" % len(xmp), xmp)
    job.write_object(_PAGES, b"<< /Type /Pages /Count %d /Kids [ %s ] >>" % (
        job.page_count, b" ".join(b"%d 0 R" % n for n in job.packet_pages)))
    tree = [b"<< /Type /StructTreeRoot /K [ %d 0 R ] /ParentTree %d 0 R /ParentTreeNextKey %d"
            % (_DOCUMENT, _PARENT_TREE, job.next_key)]
    for key, mapping in ((b"/RoleMap", job.role_map), (b"/ClassMap", job.class_map)):
        if mapping:
            tree.append(b" " + key + b" << " + b" ".join(
                pikepdf.Name(name).unparse() + b" " + value for name, value in mapping.items()) + b" >>")
    tree.append(b" >>")
    job.write_object(_TREE, b"".join(tree))
    job.write_object(_DOCUMENT, b"<< /Type /StructElem /S /Document /P %d 0 R /K [ %s ] >>" % (
        _TREE, b" ".join(b"%d 0 R" % n for n in job.packet_parts)))
    job.write_object(_PARENT_TREE, b"<< /Nums [ %s ] >>" % b" ".join(
        b"%d %s" % pair for pair in job.parent_tree))
    # the cross-reference stream: entry 0 is the head of the free list
    xref_number = job.number()
    job.locate(0, 0, 0, 65535)
    job.locate(xref_number, 1, job.position, 0)
    identifier = job.digest.hexdigest()[:32].encode()
    data = zlib.compress(bytes(job.xref), 6)
    start = job.position
    job.write(b"%d 0 obj\n<< /Type /XRef /Size %d /W [ 1 4 2 ] /Root %d 0 R /Info %d 0 R /ID [ <%s> <%s> ]"
              b" /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n"
              % (xref_number, job.next_number, _CATALOG, _INFO, identifier, identifier, len(data), data, start))
