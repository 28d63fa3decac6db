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
import itertools
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pikepdf

from handoutgen.errors import Location, RenderError
from handoutgen.render.tags import PDF_VERSION, claims_pdfua, name_tree_items, xmp_packet

COMBINED_TITLE = "Patient packets"

# The print job's own objects, written last (their contents are known only then).
_CATALOG, _INFO, _METADATA, _PAGES, _TREE, _DOCUMENT, _PARENT_TREE = range(1, 8)
_FIRST_FREE = 8
_OBJECTS_PER_STREAM = 1000
_ENTRY = 8  # a cross-reference entry, /W [ 1 5 2 ]: type, offset or object stream (files past 4 GB), index
_COMPRESSION = 2  # zlib level: a third of the time of the default (6) for an ~11% larger print job
_FIRST_OBJECT = re.compile(rb"(?<=\n)\d+ 0 obj\n")
_REFERENCE = re.compile(rb"(\d+) (\d+) R")
_ROLE_MAP = re.compile(rb"/RoleMap << ((?:/[^\s/<>\[\]()]+ /[^\s/<>\[\]()]+ )*)>>")
_NAME_PAIR = re.compile(rb"(/[^\s/<>\[\]()]+) (/[^\s/<>\[\]()]+)")
# qpdf writes every reference " n 0 R", after a space, on one line: a literal first makes the scan fast
_REFERENCE_AFTER_SPACE = re.compile(rb" (\d+) 0 R")
_KIDS = re.compile(rb"/K (\[[^\]]*\]|\d+ 0 R)")
_NUMS = re.compile(rb"/Nums \[((?:[^\[\]]|\[[^\]]*\])*)\]")
_NUMS_ENTRY = re.compile(rb"(\d+) (\[[^\]]*\]|\d+ 0 R)")
_NUMS_ENTRIES = re.compile(rb"\s*(?:\d+ (?:\[[^\]]*\]|\d+ 0 R)\s*)*")
_NEXT_KEY = re.compile(rb"/ParentTreeNextKey (\d+)")
_COUNT = re.compile(rb"/Count (\d+)")
_LENGTH = re.compile(rb"/Length (\d+)(?! \d+ R)")
_SEPARATOR = b"\nendobj\n"  # between objects being renumbered together (qpdf escapes a newline in a string)
_STRUCT_PARENT = re.compile(rb"(/StructParents?) (\d+)")
_FONT_NAME = re.compile(rb"/FontName /([A-Z]{6}\+[^\s/<>\[\]()]*)")
_SUBSET_NAME = re.compile(rb"(/(?:FontName|BaseFont) /)([A-Z]{6}\+[^\s/<>\[\]()]*)")
# Objects that belong to one packet's pages or structure tree: never shared with another packet.
_PER_PACKET = re.compile(rb"/StructElem|/Type /Page|/Annot|/StructParent|/MCR|/OBJR|/Pg ")


class CombineError(ValueError):
    """A packet is not laid out as assemble_packet writes them (then qpdf lays it out again)."""


@dataclass
class _Job:
    """What the print job has written so far."""

    output: BinaryIO
    position: int = 0
    next_number: int = _FIRST_FREE
    xref: bytearray = field(default_factory=bytearray)  # _ENTRY bytes an object: type, field 2, field 3
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)
    shared: dict[bytes, int] = field(default_factory=dict)  # an object's content → its number
    subsets: dict[bytes, bytes] = field(default_factory=dict)  # subset font name → its program's digest
    packet_pages: list[int] = field(default_factory=list)
    packet_parts: list[int] = field(default_factory=list)
    parent_tree: list[tuple[int, bytes]] = field(default_factory=list)  # key → a reference
    next_key: int = 0
    page_count: int = 0
    role_map: dict[bytes, bytes] = field(default_factory=dict)  # name as written → value as written
    class_map: dict[bytes, bytes] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)  # element id → element number
    claims: dict[bytes, bool] = field(default_factory=dict)  # XMP → whether it claims PDF/UA
    language: str | None = None
    conformant: bool = True

    def numbers(self, count: int) -> int:
        """The first of ``count`` consecutive new object numbers."""
        self.next_number += count
        return self.next_number - count

    def locate(self, first: int, entries: bytes) -> None:
        """Cross-reference entries of objects ``first``, ``first + 1``…"""
        start, end = first * _ENTRY, first * _ENTRY + len(entries)
        if len(self.xref) < end:
            self.xref.extend(bytes(end - len(self.xref)))
        self.xref[start:end] = entries

    def write(self, data: bytes) -> None:
        self.output.write(data)
        self.digest.update(data)
        self.position += len(data)

    def write_object(self, number: int, text: bytes, stream: bytes | None = None) -> None:
        self.locate(number, b"\1" + self.position.to_bytes(5, "big") + b"\0\0")
        if stream is None:
            self.write(b"%d 0 obj\n%s\nendobj\n" % (number, text))
        else:
            self.write(b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (number, text, stream))

    def write_compressed(self, first: int, texts: list[bytes]) -> None:
        """Objects ``first``, ``first + 1``… in compressed object streams."""
        for start in range(0, len(texts), _OBJECTS_PER_STREAM):
            chunk = texts[start:start + _OBJECTS_PER_STREAM]
            offsets = itertools.accumulate(map(len, chunk[:-1]), _plus_one, initial=0)
            header = b" ".join(map(b"%d %d".__mod__, zip(itertools.count(first + start), offsets))) + b"\n"
            data = zlib.compress(header + b"\n".join(chunk), _COMPRESSION)
            container = self.numbers(1)
            self.write_object(container, b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>"
                              % (len(chunk), len(header), len(data)), data)
            prefix = b"\2" + container.to_bytes(5, "big")
            self.locate(first + start, b"".join(map(prefix.__add__, _INDEXES[:len(chunk)])))


_INDEXES = [index.to_bytes(2, "big") for index in range(_OBJECTS_PER_STREAM)]


def _plus_one(total: int, length: int) -> int:
    return total + length + 1  # the newline between two objects


def combine(paths: Iterable[Path], output: BinaryIO) -> None:
    """Write every packet in ``paths``, in order, as one tagged print job into ``output``.

    Each packet keeps its pages, its structure (as one /Part of the job's /Document) and its
    language; what every packet shares is stored once.
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
            self.texts, self.streams, self.trailer = _objects(data)
        except CombineError:  # not qpdf's plain layout (e.g. saved by another tool): make it so
            with pikepdf.open(io.BytesIO(data), attempt_recovery=False) as pdf:
                buffer = io.BytesIO()
                pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.disable, deterministic_id=True)
            data = buffer.getvalue()
            self.texts, self.streams, self.trailer = _objects(data)
        self.data = data
        self.numbers: dict[int, int | None] = {}  # the packet's number → the job's (None: its own, 0: left out)
        self.references: dict[bytes, bytes] = {}  # b"12" → b" 3456 0 R": the packet's reference → the job's
        self.shared_here: set[int] = set()  # this packet's objects that are the job's shared ones
        self.key_offset = job.next_key
        self.font_renames: dict[bytes, bytes] = {}
        self.id_renames: dict[int, tuple[bytes, bytes]] = {}
        self.ids: dict[str, int] = {}  # this packet's element ids (renamed if need be) → its element

    def write(self) -> None:
        job, objects = self.job, self.texts
        root = _reference(self.trailer, b"/Root") or 0
        tree = _reference(objects.get(root, b""), b"/StructTreeRoot") or 0
        pages = _reference(objects.get(root, b""), b"/Pages") or 0
        kids = _KIDS.search(objects.get(tree, b""))
        document = int(kids[1].strip(b"[ ]").split()[0]) if kids and kids[1].count(b" R") == 1 else 0
        if not (root and tree and pages and document) or b"/S /Document" not in objects.get(document, b""):
            raise CombineError("a packet without one /Document structure element")
        catalog, tree_text = objects[root], objects[tree]
        language = _token(catalog, b"/Lang")
        if language is not None:
            job.language = job.language or str(pikepdf.Object.parse(language)) or None
        title = _token(objects.get(_reference(self.trailer, b"/Info") or 0, b""), b"/Title")

        # What the job replaces with its own (catalog, info, metadata, tree root, ParentTree): a
        # reference to it becomes null.
        metadata = _reference(catalog, b"/Metadata")
        dropped = {root, tree, _reference(self.trailer, b"/Info"), metadata}
        job.conformant = job.conformant and metadata in self.streams and self._claims_pdfua(metadata)
        keys: list[tuple[int, bytes]] = []
        parent_tree = _reference(tree_text, b"/ParentTree")
        if parent_tree is not None:
            keys = [(key + self.key_offset, value) for key, value in self._number_tree(parent_tree, dropped)]
        stated = _NEXT_KEY.search(tree_text)
        next_key = max([key + 1 for key, _ in keys] + [self.key_offset + (int(stated[1]) if stated else 0)])
        self.font_renames = self._font_renames()
        maps: list[tuple[dict[bytes, bytes], bytes, bytes]] = []
        roles = _ROLE_MAP.search(tree_text)
        if b"/ClassMap" in tree_text or b"/IDTree" in tree_text or (b"/RoleMap" in tree_text and roles is None):
            with pikepdf.open(io.BytesIO(self.data)) as pdf:  # not in our packets: qpdf reads them
                source = pdf.Root.StructTreeRoot
                self.id_renames = self._ids(source, dropped)
                maps = [(merged, pikepdf.Name(name).unparse(), _text_of(value))
                        for mapping, merged in (("/RoleMap", job.role_map), ("/ClassMap", job.class_map))
                        for name, value in source.get(mapping, pikepdf.Dictionary()).items()]
        elif roles is not None:  # a role map of names (Typst's): read here
            maps = [(job.role_map, name, value) for name, value in _NAME_PAIR.findall(roles[1])]
        maps = [(merged, name, value) for merged, name, value in maps if name not in merged]

        # Shared objects first (written as they are first met), then the packet's own: its other
        # objects, then one array of owners per ParentTree key that had a direct one, numbered
        # in one run so their cross-reference entries are written in one piece.
        # qpdf writes only what the trailer leads to: every object not left out belongs to the packet.
        numbers = self.numbers
        numbers.update(dict.fromkeys([n for n, text in self.texts.items() if _PER_PACKET.search(text)]))
        numbers.update(dict.fromkeys([number for number in dropped if number is not None], 0))
        for number in [number for number in self.texts if number not in numbers]:
            self._place(number)
        own = [number for number in self.texts if numbers[number] is None and number not in self.streams]
        streams = [number for number in self.streams if numbers[number] is None]
        arrays = [index for index, (_, text) in enumerate(keys) if not _REFERENCE.fullmatch(text)]
        first = job.numbers(len(own) + len(arrays))
        self.numbers.update(zip(own, itertools.count(first)))
        for number in streams:
            self.numbers[number] = job.numbers(1)
        references = self.references
        references.update(zip(map(b"%d".__mod__, own), map(b" %d 0 R".__mod__, range(first, first + len(own)))))
        references.update((b"%d" % number, b" %d 0 R" % (self.numbers[number] or 0)) for number in streams)

        texts = [self.texts[number] for number in own]
        for number, (old, new) in self.id_renames.items():
            index = own.index(number)
            texts[index] = texts[index].replace(b"/ID " + old, b"/ID " + new)
        texts += [keys[index][1] for index in arrays]
        texts = self._fix(_SEPARATOR.join(texts), references).split(_SEPARATOR)
        if len(texts) != len(own) + len(arrays):
            raise CombineError("an object that holds its own end marker")
        index = own.index(pages)  # the packet's page tree becomes a node of the job's
        texts[index] = b"<< /Parent %d 0 R " % _PAGES + texts[index].lstrip()[2:].lstrip()
        index = own.index(document)  # its /Document the packet's /Part
        texts[index] = self._part(texts[index], language, title)
        job.write_compressed(first, texts)
        for number in streams:
            job.write_object(self.numbers[number] or 0, self._fix(self.texts[number], references), self.streams[number])

        for merged, name, text in maps:
            merged[name] = _REFERENCE.sub(lambda m: references.get(m[1], b" null")[1:], text)
        for identifier, element in self.ids.items():
            job.ids[identifier] = self.numbers[element] or 0
        for index, (key, text) in enumerate(keys):
            if index in arrays:
                text = b"%d 0 R" % (first + len(own) + arrays.index(index))
            else:
                text = references.get(text.split()[0], b" null")[1:]
            job.parent_tree.append((key, text))
        job.packet_pages.append(self.numbers[pages] or 0)
        job.packet_parts.append(self.numbers[document] or 0)
        count = _COUNT.search(self.texts[pages])
        job.page_count += int(count[1]) if count else 0
        job.next_key = next_key

    def _part(self, text: bytes, language: bytes | None, title: bytes | None) -> bytes:
        """The packet's /Part: its /Document's kids, with the packet's language and title."""
        kids = _KIDS.search(text)
        if kids is None:
            raise CombineError("a /Document element without kids")
        part = [b"<< /K ", kids[1]]
        if language is not None:
            part.append(b" /Lang " + language)
        part.append(b" /P %d 0 R /S /Part" % _DOCUMENT)
        if title is not None:
            part.append(b" /T " + title)
        part.append(b" /Type /StructElem >>")
        return b"".join(part)

    def _number_tree(self, number: int, nodes: set[int | None]) -> list[tuple[int, bytes]]:
        """(key, value as written) of the number tree at ``number``; its nodes are added to ``nodes``."""
        text = self.texts.get(number, b"")
        nodes.add(number)
        entries = []
        found = _NUMS.search(text)
        if found is not None:
            if not _NUMS_ENTRIES.fullmatch(found[1]):
                raise CombineError("a ParentTree entry that is not an array or a reference")
            entries = [(int(key), value) for key, value in _NUMS_ENTRY.findall(found[1])]
        kids = re.search(rb"/Kids \[([^\]]*)\]", text)
        for kid in _REFERENCE.findall(kids[1]) if kids else ():
            entries += self._number_tree(int(kid[0]), nodes)
        return entries

    def _claims_pdfua(self, metadata: int) -> bool:
        """tags.claims_pdfua for this packet's XMP (asked once for each distinct one)."""
        key = self.texts[metadata] + self.streams[metadata]
        if key not in self.job.claims:
            if b"/Filter" in self.texts[metadata] and b"/FlateDecode" not in self.texts[metadata]:
                raise CombineError("XMP metadata in an unexpected encoding")
            with pikepdf.new() as pdf:
                pdf.Root.Metadata = pdf.make_stream(b"")
                pdf.Root.Metadata.write(self.streams[metadata],
                                        filter=pikepdf.Name.FlateDecode if b"/FlateDecode" in self.texts[metadata] else None)
                self.job.claims[key] = claims_pdfua(pdf)
        return self.job.claims[key]

    def _fix(self, text: bytes, references: dict[bytes, bytes]) -> bytes:
        """Text as the job has it: references renumbered, keys shifted, subset names made unique."""
        if b" 0 R" in text:
            pieces = _REFERENCE_AFTER_SPACE.split(text)
            pieces[1::2] = map(references.get, pieces[1::2], itertools.repeat(b" null"))
            text = b"".join(pieces)
        if self.key_offset and b"/StructParent" in text:
            text = _STRUCT_PARENT.sub(lambda m: b"%s %d" % (m[1], int(m[2]) + self.key_offset), text)
        if self.font_renames and (b"/FontName" in text or b"/BaseFont" in text):
            text = _SUBSET_NAME.sub(lambda m: m[1] + self.font_renames.get(m[2], m[2]), text)
        return text

    def _place(self, number: int) -> int | None:
        """The job's number of an object that stands outside the packet's pages and structure
        and whose references do too, when one with the same content was written already (else it
        is written now); None for the packet's own objects (and while it is being placed, so a
        cycle makes it the packet's own)."""
        if number in self.numbers:
            return self.numbers[number]
        text, stream = self.texts[number], self.streams.get(number)
        self.numbers[number] = None
        for reference in _REFERENCE.findall(text):
            if int(reference[0]) in self.texts and not self._place(int(reference[0])):
                return None
        text = self._fix(text, self.references)
        content = hashlib.sha256(text + b"\0" + (stream if stream is not None else b"-")).digest()
        self.shared_here.add(number)
        existing = self.job.shared.get(content)
        if existing is None:
            existing = self.job.shared[content] = self.job.numbers(1)
            if stream is not None:
                self.job.write_object(existing, text, stream)
            else:
                self.job.write_compressed(existing, [text])
        self.numbers[number] = existing
        self.references[b"%d" % number] = b" %d 0 R" % existing
        return existing

    # --- names --------------------------------------------------------------------------------

    def _font_renames(self) -> dict[bytes, bytes]:
        """Subset names to change in this packet: a name an earlier packet gave another program."""
        renames: dict[bytes, bytes] = {}
        for text in self.texts.values():
            if b"/FontFile" not in text or b"/FontDescriptor" not in text:
                continue
            name = _FONT_NAME.search(text)
            program = re.search(rb"/FontFile[23]? (\d+) 0 R", text)
            if name is None or program is None or int(program[1]) not in self.streams:
                continue
            digest = hashlib.sha256(self.streams[int(program[1])]).digest()
            full = name[1]
            if self.job.subsets.setdefault(full, digest) == digest:
                continue
            renames[full] = "".join(chr(ord("A") + byte % 26) for byte in digest[:6]).encode() + full[6:]
            self.job.subsets.setdefault(renames[full], digest)
        return renames

    def _ids(self, tree: pikepdf.Object, dropped: set[int | None]) -> dict[int, tuple[bytes, bytes]]:
        """Element ids an earlier packet used get this packet's number: element → (old, new).
        The packet's IDTree nodes join ``dropped`` (the job writes one IDTree)."""
        renamed: dict[int, tuple[bytes, bytes]] = {}
        if "/IDTree" not in tree:
            return renamed
        nodes = [tree.IDTree]
        while nodes:
            node = nodes.pop()
            dropped.add(node.objgen[0] if node.is_indirect else None)
            nodes.extend(node.get("/Kids", []))
        for name, element in name_tree_items(tree.IDTree):
            new = f"{name}-{self.index + 1}" if name in self.job.ids else name
            if new != name:
                renamed[element.objgen[0]] = (pikepdf.String(name).unparse(), pikepdf.String(new).unparse())
            self.ids[new] = element.objgen[0]
        return renamed


def _text_of(value: pikepdf.Object) -> bytes:
    """A value as written in its container: a reference for an indirect object."""
    return b"%d 0 R" % value.objgen[0] if value.is_indirect else value.unparse()


def _reference(text: bytes, key: bytes) -> int | None:
    found = re.search(re.escape(key) + rb" (\d+) 0 R", text)
    return int(found[1]) if found else None


def _token(text: bytes, key: bytes) -> bytes | None:
    """The string after ``key`` as written (a literal without nested parentheses, or hex)."""
    found = re.search(re.escape(key) + rb" (\((?:[^()\\]|\\.)*\)|<[0-9A-Fa-f]*>)", text, re.S)
    if found is None and re.search(re.escape(key) + rb"\s*[(<]", text):
        raise CombineError(f"a {key.decode()} string written in another way")
    return found[1] if found else None


_OBJECT_START = re.compile(rb"endobj\n(\d+) 0 obj\n")


def _objects(data: bytes) -> tuple[dict[int, bytes], dict[int, bytes], bytes]:
    """The objects of a file in qpdf's plain layout (one classic cross-reference table, no object
    streams, generation 0, objects in number order, streams with a direct /Length): each
    object's text (without "n 0 obj" and "endobj") by number, each stream's raw data, the trailer."""
    start = data.rfind(b"startxref")
    xref = int(data[start + 9:start + 40].split()[0]) if start >= 0 else -1
    trailer = data.find(b"trailer", xref)
    first = _FIRST_OBJECT.search(data, 0, 100)
    if data[xref:xref + 5] != b"xref\n" or trailer < 0 or b"/Prev" in data[trailer:start] or first is None:
        raise CombineError("not one classic cross-reference table")
    table = data[xref:trailer]
    # one split finds every object (a stream's data is checked against its /Length below)
    pieces = _OBJECT_START.split(b"endobj\n" + data[first.start():xref])
    numbers, texts = list(map(int, pieces[1::2])), pieces[2::2]
    if (not texts or not texts[-1].endswith(b"\nendobj\n") or numbers != sorted(numbers)
            or table.count(b" n") != table.count(b" 00000 n") or table.count(b" n") != len(numbers)):
        raise CombineError("objects not as the cross-reference table says")
    texts[-1] = texts[-1][:-7]
    objects = dict(zip(numbers, texts))  # each text ends with its newline
    streams: dict[int, bytes] = {}
    for number in [number for number, text in objects.items() if text.endswith(b"\nendstream\n")]:
        text = objects[number]
        split = text.find(b">>\nstream\n")
        length = _LENGTH.search(text, 0, split)
        stream = text[split + 10:-11]
        if split < 0 or length is None or int(length[1]) != len(stream):
            raise CombineError("a stream whose length is not given directly")
        objects[number], streams[number] = text[:split + 2], stream
    return objects, streams, data[trailer:start]


def _finish(job: _Job) -> None:
    """The job's catalog, page tree, structure tree, metadata; then the cross-reference stream."""
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
                name + b" " + value for name, value in mapping.items()) + b" >>")
    if job.ids:
        tree.append(b" /IDTree << /Names [ " + b" ".join(
            pikepdf.String(name).unparse() + b" %d 0 R" % job.ids[name] for name in sorted(job.ids)) + b" ] >>")
    tree.append(b" >>")
    job.write_object(_TREE, b"".join(tree))
    job.write_object(_DOCUMENT, b"<< /Type /StructElem /S /Document /P %d 0 R /K [ %s ] >>" % (
        _TREE, b" ".join(b"%d 0 R" % n for n in job.packet_parts)))
    job.write_object(_PARENT_TREE, b"<< /Nums [ %s ] >>" % b" ".join(
        b"%d %s" % pair for pair in job.parent_tree))
    # the cross-reference stream: entry 0 is the head of the free list
    xref_number = job.numbers(1)
    job.locate(0, b"\0" * 6 + b"\xff\xff")
    job.locate(xref_number, b"\1" + job.position.to_bytes(5, "big") + b"\0\0")
    identifier = job.digest.hexdigest()[:32].encode()
    data = zlib.compress(bytes(job.xref), 6)
    start = job.position
    job.write(b"%d 0 obj\n<< /Type /XRef /Size %d /W [ 1 5 2 ] /Root %d 0 R /Info %d 0 R /ID [ <%s> <%s> ]"
              b" /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n"
              % (xref_number, job.next_number, _CATALOG, _INFO, identifier, identifier, len(data), data, start))
