"""QR codes for a handout's ``links``: drawn offline by segno as vector SVG, inline in the HTML.

Inline, because a render may load no URL at all (not even a data: URL, see render/pdf.py);
vector, so the code prints sharp at any size and on any printer. The SVG's ``<title>`` is
the alt text: WeasyPrint makes it the /Alt of the code's Figure in the tagged PDF, so a
screen reader says where the code leads.
"""

from __future__ import annotations

import io

import segno
from markupsafe import Markup


def qr_svg(url: str, alt: str) -> Markup:
    """``url`` as an inline ``<svg class="qr">`` with ``alt`` as its title (segno escapes it).

    Error correction M (15% of the code may be smudged), and the standard 4-module white
    border that scanners need around the code."""
    code = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="svg", xmldecl=False, svgns=False, omitsize=True, border=4, title=alt,
              svgclass="qr", lineclass=None, nl=False)
    return Markup(buffer.getvalue().decode("utf-8"))


def short_url(url: str) -> str:
    """The address as a reader types it: without ``https://`` and a trailing slash."""
    return url.removeprefix("https://").removesuffix("/")
