"""The bilingual edition: each part of a handout in the patient's language, followed by the
same part in a second language (for a caregiver or a clinician who reads that one).

Both languages are rendered with the normal handout template; this module only interleaves
the two documents' top-level blocks of ``<main>`` by their ``id`` (``overview``,
``when-to-call``…), so it keeps working whatever markup a section holds. The opening blocks
without an id (title, summary, review notices) pair up as one part. Each second-language part
is an ``<article lang dir>``: it reads and mirrors in its own direction, and in the tagged
PDF ``tag_parts`` gives it its own /Lang (WeasyPrint writes /Lang only for the document).
The running header and the page footer stay those of the patient's language.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import replace

import pikepdf
import tinyhtml5

from handoutgen.render.html import HtmlDocument
from handoutgen.render.tags import _is_element
from handoutgen.render.tags import _kids as kids

PART_TAG = "article"  # the template never uses <article> directly under <main>: it marks a second-language part
PART_CLASS = "second-language"


def _parse(html: str) -> ET.Element:
    root: ET.Element = tinyhtml5.parse(html, namespace_html_elements=False)
    return root


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _serialize(root: ET.Element) -> str:
    """HTML text again; SVG elements lose their namespace prefix (the HTML parser puts it back)."""
    for element in root.iter():
        element.tag = _local(element.tag)
        for name in [n for n in element.attrib if n.startswith("{")]:
            element.attrib[_local(name)] = element.attrib.pop(name)
    return "<!DOCTYPE html>\n" + ET.tostring(root, encoding="unicode", method="html")


def _main(root: ET.Element) -> ET.Element:
    main = root.find(".//main")
    if main is None:
        raise ValueError("the handout template has no <main>")
    return main


def _part(blocks: list[ET.Element], language: str, direction: str) -> ET.Element:
    """A second-language part holding ``blocks``; their ids (and links to them) get the language,
    so no id is used twice and each part's internal links stay within its language."""
    part = ET.Element(PART_TAG, {"class": PART_CLASS, "lang": language, "dir": direction})
    for block in blocks:
        part.append(block)
    renamed = {element.get("id") for element in part.iter() if element.get("id")}
    for element in part.iter():
        if element.get("id"):
            element.set("id", f"{element.get('id')}-{language}")
        href = element.get("href", "")
        if href.startswith("#") and href[1:] in renamed:
            element.set("href", f"{href}-{language}")
    return part


def _opening(main: ET.Element) -> list[ET.Element]:
    """The blocks before the first one with an id: the title, the summary, the notices."""
    found = []
    for block in main:
        if block.get("id"):
            break
        found.append(block)
    return found


def interleave(first: HtmlDocument, second: HtmlDocument, language: str, direction: str) -> HtmlDocument:
    """``first`` (the patient's language) with each of its parts followed by the same part of
    ``second`` (in ``language``, written in ``direction``). A part only ``second`` has comes last."""
    root, other = _parse(first.html), _parse(second.html)
    main, other_main = _main(root), _main(other)
    others = {block.get("id"): block for block in other_main if block.get("id")}
    blocks = list(main)
    opening = _opening(main)
    for block in blocks:
        main.remove(block)
    for block in opening:
        main.append(block)
    main.append(_part(_opening(other_main), language, direction))
    for block in blocks[len(opening):]:
        main.append(block)
        match = others.pop(block.get("id"), None) if block.get("id") else None
        if match is not None:
            main.append(_part([match], language, direction))
    if others:
        main.append(_part(list(others.values()), language, direction))
    # Styles a second-language render adds (e.g. the --draft marking) apply to its parts too.
    head, other_head = root.find("head"), other.find("head")
    if head is not None and other_head is not None:
        have = {style.text for style in head.iter("style")}
        for style in other_head.iter("style"):
            if style.text not in have:
                head.append(style)
    return replace(first, html=_serialize(root))


def tag_parts(pdf_bytes: bytes, language: str, second_language: str) -> bytes:
    """Every block of ``<main>`` in the tagged PDF gets its /Lang: a second-language part (an
    /Art element, from ``PART_TAG``) ``second_language``, every other block ``language``.

    WeasyPrint tags ``<main>`` as one /Part per page under the /Document; a part that runs
    over a page break is one /Art on each page."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for document in kids(pdf.Root.StructTreeRoot):
            for page_part in kids(document):
                if not _is_element(page_part) or page_part.S != pikepdf.Name.Part:
                    continue
                for block in kids(page_part):
                    if _is_element(block):
                        block.Lang = pikepdf.String(second_language if block.S == pikepdf.Name.Art else language)
        buffer = io.BytesIO()
        pdf.save(buffer, deterministic_id=True)
        return buffer.getvalue()
