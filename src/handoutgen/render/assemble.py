"""Assemble stage: merge already-rendered PDFs into one packet with pikepdf.

Handouts are rendered once per batch; a packet is its cover plus those PDFs'
pages, so each handout keeps its own "Page X of Y". Saving is deterministic
(the document id is derived from the content), so the same inputs give the same
bytes, which is what makes ``--resume`` checkable.
"""

from __future__ import annotations

import hashlib
import io
from contextlib import ExitStack
from pathlib import Path
from collections.abc import Iterable, Iterator
from typing import BinaryIO, cast

import pikepdf

from handoutgen.render.tags import PDF_VERSION, Part, merge

PACKET_TITLE = "Patient packet"
COMBINED_TITLE = "Patient packets"


def assemble_packet(
    cover_pdf: bytes | pikepdf.Pdf, handouts: list[pikepdf.Pdf], duplex: bool, blank_page: bytes | None = None,
) -> tuple[bytes, int]:
    """Cover + handouts → (PDF bytes, page count). With duplex every part starts on a right-hand page.

    The packet keeps every part's tags in one structure tree (see pdf_tags.merge). A duplex
    back is ``blank_page`` (one page saying it is blank on purpose), or else an empty page.
    The cover may be given open (as PdfRenderer.render_pdf leaves it): it is closed here.
    """
    cover_file = cover_pdf if isinstance(cover_pdf, pikepdf.Pdf) else pikepdf.open(io.BytesIO(cover_pdf))
    with cover_file as cover, pikepdf.new() as packet, ExitStack() as stack:
        filler = None
        if blank_page is not None:
            filler = Part(stack.enter_context(pikepdf.open(io.BytesIO(blank_page))), blank=True)
        parts: list[Part | None] = [Part(cover)]
        pages = len(cover.pages)
        for handout in handouts:
            if duplex and pages % 2:
                parts.append(filler)  # a blank back, so the handout starts on a right-hand page
                pages += 1
            parts.append(Part(handout))
            pages += len(handout.pages)
        if duplex and pages % 2:
            parts.append(filler)  # so the next packet of a combined print starts on the right
        merge(packet, parts, PACKET_TITLE)
        buffer = io.BytesIO()
        packet.save(buffer, deterministic_id=True, min_version=PDF_VERSION)
        return buffer.getvalue(), len(packet.pages)


def combine(paths: list[Path], output: BinaryIO) -> None:
    """One print job: every packet in order (each already duplex-padded if asked), one structure
    tree, saved straight into ``output``.

    Every packet carries its own copy of the same handouts; in the print job each distinct
    stream (a handout page's content, a font program, an image) is stored once and every page
    refers to it, so the file is about the size of the covers plus one copy of each handout.
    Packets are opened one at a time: once merged, a packet's streams hold their own bytes and
    the packet is closed (qpdf would otherwise keep every packet's parsed objects until the end).
    """
    with pikepdf.new() as combined:
        shared = _SharedStreams()

        def parts() -> Iterator[Part]:
            for path in paths:
                with pikepdf.open(path) as source:
                    yield Part(source)
                    # merge() has copied this packet (it asks for the next one only then); copying a
                    # page again gives the copy it made
                    shared.adopt(combined.copy_foreign(page.obj) for page in source.pages)

        merge(combined, parts(), COMBINED_TITLE)
        # object streams: the structure elements, a few hundred per packet, compress well together
        combined.save(output, deterministic_id=True, min_version=PDF_VERSION,
                      object_stream_mode=pikepdf.ObjectStreamMode.generate)


# Back up the page tree or into the structure tree, or long arrays of numbers (glyph widths):
# nothing there leads to a stream.
_NOT_RESOURCES = frozenset(("/Parent", "/P", "/StructParent", "/StructParents", "/W", "/W2", "/Widths"))


class _SharedStreams:
    """Pages refer to one object for streams with the same bytes and dictionary; the first of
    each kind is given its own copy of the bytes, so the file it was copied from may close."""

    def __init__(self) -> None:
        self.canonical: dict[tuple[bytes, bytes], pikepdf.Object] = {}
        self.done: dict[tuple[int, int], pikepdf.Object] = {}  # indirect object → what replaces it

    def adopt(self, pages: Iterable[pikepdf.Object]) -> None:
        for page in pages:
            for name in ("/Contents", "/Resources", "/Annots"):
                if name in page:
                    value = page[name]
                    if (swapped := self._shared(value)) is not value:
                        page[name] = swapped

    def _shared(self, obj: pikepdf.Object) -> pikepdf.Object:
        """``obj`` with its members shared (bottom-up); a stream is swapped for its first twin."""
        if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)):
            return obj
        if obj.is_indirect:
            if obj.objgen in self.done:
                return self.done[obj.objgen]  # a stream two pages share is swapped on both
            self.done[obj.objgen] = obj
        if isinstance(obj, pikepdf.Array):
            for index, item in enumerate(obj):
                if (swapped := self._shared(item)) is not item:
                    obj[index] = swapped
            return obj
        holder = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
        for key in list(holder.keys()):
            if key in _NOT_RESOURCES:
                continue
            value = holder[key]
            if (swapped := self._shared(value)) is not value:
                holder[key] = swapped
        if not isinstance(obj, pikepdf.Stream):
            return obj
        raw = obj.read_raw_bytes()
        twin = self.canonical.setdefault((hashlib.sha256(raw).digest(), holder.unparse()), obj)
        if twin is obj:  # the first: its bytes are kept here, not read from its packet at save time
            obj.write(raw, filter=cast("pikepdf.Name | pikepdf.Array | None", holder.get("/Filter")),
                      decode_parms=cast("pikepdf.Dictionary | pikepdf.Array | None", holder.get("/DecodeParms")))
        self.done[obj.objgen] = twin
        return twin
