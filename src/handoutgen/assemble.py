"""Assemble stage: merge already-rendered PDFs into one packet with pikepdf.

Handouts are rendered once per batch; a packet is its cover plus those PDFs'
pages, so each handout keeps its own "Page X of Y". Saving is deterministic
(the document id is derived from the content), so the same inputs give the same
bytes, which is what makes ``--resume`` checkable.
"""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf

PACKET_TITLE = "Patient packet"
# Docinfo key holding the hash of everything a packet was made from (see packets.input_hash).
INPUT_HASH_KEY = "/HandoutgenInputs"


def _pad_to_even(pdf: pikepdf.Pdf) -> None:
    """Add a blank page if needed so whatever follows starts on a right-hand page."""
    if len(pdf.pages) % 2:
        box = pdf.pages[-1].mediabox
        pdf.add_blank_page(page_size=(float(box[2]) - float(box[0]), float(box[3]) - float(box[1])))


def assemble_packet(
    cover_pdf: bytes, handouts: list[pikepdf.Pdf], duplex: bool, input_hash: str
) -> tuple[bytes, int]:
    """Cover + handouts → (PDF bytes, page count). With duplex every part starts on a right-hand page."""
    with pikepdf.open(io.BytesIO(cover_pdf)) as packet:
        for handout in handouts:
            if duplex:
                _pad_to_even(packet)
            packet.pages.extend(handout.pages)
        if duplex:
            _pad_to_even(packet)  # so the next packet of a combined print starts on the right
        packet.docinfo["/Title"] = PACKET_TITLE
        packet.docinfo[INPUT_HASH_KEY] = input_hash
        buffer = io.BytesIO()
        packet.save(buffer, deterministic_id=True)
        return buffer.getvalue(), len(packet.pages)


def recorded_input_hash(path: Path) -> str | None:
    """The input hash stored in an existing packet, or None when it is missing or unreadable."""
    try:
        with pikepdf.open(path) as pdf:
            value = pdf.docinfo.get(INPUT_HASH_KEY)
            return str(value) if value is not None else None
    except (pikepdf.PdfError, OSError):
        return None


def page_count(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def combine(paths: list[Path]) -> bytes:
    """One print job: every packet's pages in order (each packet already duplex-padded if asked)."""
    with pikepdf.new() as combined:
        sources = []
        try:
            for path in paths:
                source = pikepdf.open(path)
                sources.append(source)
                combined.pages.extend(source.pages)
            combined.docinfo["/Title"] = "Patient packets"
            buffer = io.BytesIO()
            combined.save(buffer, deterministic_id=True)
            return buffer.getvalue()
        finally:
            for source in sources:
                source.close()
