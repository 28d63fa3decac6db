"""Is a brand's logo safe to print? Checked when the brand loads, so `check` and `build` agree.

An SVG is a program as much as a picture: it can load other files or URLs, carry
scripts, embed HTML (``foreignObject``) or expand entities until memory runs out.
A logo needs none of that, so an SVG may refer only to its own ``#ids``. A PNG is
judged by its header before any decoder sees it: a tiny file can declare billions
of pixels.
"""

from __future__ import annotations

import re
import struct
import unicodedata
from pathlib import Path
from typing import NoReturn
from xml.parsers import expat

MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_PIXELS = 25_000_000  # 25 megapixels: a 5000 × 5000 logo is already far more than print needs
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Elements that run code or pull in other documents; a logo draws shapes and text.
_REFUSED_ELEMENTS = {"script", "foreignObject", "iframe", "object", "embed", "audio", "video", "handler", "listener"}
# url(...) in a style or presentation attribute; only url(#id) stays inside the file.
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?P<target>[^'\")\s]*)", re.IGNORECASE)


class _Unsafe(Exception):
    pass


def logo_problem(path: Path) -> str | None:
    """Why ``path`` (an .svg or .png file) must not be printed, or None when it is fine."""
    try:
        size = path.stat().st_size
        if size > MAX_LOGO_BYTES:
            return f"{path.name} is {size} bytes, over the {MAX_LOGO_BYTES}-byte limit for a logo"
        data = path.read_bytes()
    except OSError as error:
        return f"cannot read {path.name}: {error.strerror}"
    return _png_problem(path.name, data) if path.suffix.lower() == ".png" else _svg_problem(path.name, data)


def _png_problem(name: str, data: bytes) -> str | None:
    # Signature, then the IHDR chunk: length, type, width, height (big-endian).
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return f"{name} is not a PNG image"
    width, height = struct.unpack(">II", data[16:24])
    if width == 0 or height == 0:
        return f"{name} declares an empty image ({width} × {height} pixels)"
    if width * height > MAX_LOGO_PIXELS:
        return (f"{name} is {width} × {height} pixels ({width * height / 1e6:.0f} megapixels), over the "
                f"{MAX_LOGO_PIXELS / 1e6:.0f}-megapixel limit; scale it down (print needs far fewer)")
    return None


def _svg_problem(name: str, data: bytes) -> str | None:
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(what: str) -> NoReturn:
        raise _Unsafe(f"{name} line {parser.CurrentLineNumber}: {what}")

    def doctype(*_args: object) -> NoReturn:
        refuse("a DOCTYPE is not allowed (entities can expand without end or read other files)")

    def entity(*_args: object) -> NoReturn:
        refuse("entity declarations are not allowed")

    def element(tag: str, attributes: dict[str, str]) -> None:
        local = tag.rsplit(" ", 1)[-1]
        if local in _REFUSED_ELEMENTS:
            refuse(f"<{local}> is not allowed in a logo (scripts and embedded documents)")
        for key, value in attributes.items():
            attribute = key.rsplit(" ", 1)[-1]
            if attribute.lower().startswith("on"):
                refuse(f"event handler '{attribute}' is not allowed (scripts)")
            if attribute == "href" and not value.strip().startswith("#"):
                refuse("a logo may not refer to other files or URLs (only to its own #ids)")
            for found in _CSS_URL.finditer(value):
                if not found["target"].startswith("#"):
                    refuse("a logo may not refer to other files or URLs (only to its own #ids)")

    def text(content: str) -> None:  # <style> sheets: no url(...) out of the file, no @import
        if "@import" in content.lower() or any(not m["target"].startswith("#") for m in _CSS_URL.finditer(content)):
            refuse("a style in the logo may not load other files or URLs")
        if any(unicodedata.bidirectional(char) in ("R", "AL") for char in content):
            # WeasyPrint lays out SVG text glyph by glyph, with no bidi or shaping: Arabic and
            # Hebrew print reversed and unjoined. Checked on the drawing, as no test could see it.
            refuse("right-to-left text (Arabic, Hebrew…) inside an SVG prints reversed and unjoined; "
                   "label the drawing with numbers and give the words in the caption or the handout's text")

    parser.buffer_text, parser.buffer_size = True, MAX_LOGO_BYTES  # a style's text in one piece
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.ExternalEntityRefHandler = entity
    parser.StartElementHandler = element
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except _Unsafe as unsafe:
        return str(unsafe)
    except expat.ExpatError as error:
        return f"{name} is not a valid SVG file (line {error.lineno}: {expat.ErrorString(error.code)})"
    return None
