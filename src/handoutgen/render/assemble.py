"""Assemble stage: merge already-rendered PDFs into one packet with pikepdf.

Handouts are rendered once per batch; a packet is its cover plus those PDFs'
pages, so each handout keeps its own "Page X of Y". Saving is deterministic
(the document id is derived from the content), so the same inputs give the same
bytes, which is what makes ``--resume`` checkable.
"""

from __future__ import annotations

import io
from contextlib import ExitStack

import pikepdf

from handoutgen.render.tags import PDF_VERSION, Part, merge

PACKET_TITLE = "Patient packet"


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
