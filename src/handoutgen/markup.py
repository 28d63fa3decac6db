"""Inline markup in handout text: **bold**, *emphasis* and [links](https://…), nothing else.

Every text field may hold this small Markdown subset (markdown-it-py, "zero" preset with
only emphasis, links and backslash escapes; HTML off, linkify off). Translation segments
keep the raw markup, so translators see it; the page gets it rendered inline and escaped;
the content checks read ``plain_text`` (the words a reader sees, no markup, no URLs).
A link prints its address after its text too, for readers of the paper copy.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape

RULES = ["emphasis", "link", "escape"]
LINK_SCHEMES = ("https", "http", "mailto", "tel")
_STYLES = {"strong": "strong", "em": "em"}


def _parser(accept_every_link: bool) -> MarkdownIt:
    parser = MarkdownIt("zero", {"html": False, "linkify": False, "typographer": False}).enable(RULES)
    if accept_every_link:  # to find links the renderer would refuse, and name them as errors
        parser.validateLink = lambda url: True  # type: ignore[method-assign]
    return parser


_RENDERER = _parser(accept_every_link=False)
_FINDER = _parser(accept_every_link=True)


def _inline_tokens(parser: MarkdownIt, text: str) -> list[Token]:
    blocks = parser.parseInline(text)
    return list(blocks[0].children or []) if blocks else []


def _scheme_allowed(url: str) -> bool:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):  # a web address names its host: not http:javascript:1 or https:/\x
        return url.strip()[len(scheme):].startswith("://") and bool(parts.hostname)
    return scheme in LINK_SCHEMES and bool(url.split(":", 1)[1].strip("/"))


def link_problem(text: str) -> str | None:
    """Why a link in ``text`` cannot be printed (only https, http, mailto and tel), or None."""
    if "](" not in text:  # no link: skip the parser (validation runs on every string)
        return None
    for token in _inline_tokens(_FINDER, text):
        href = str(token.attrs.get("href", "")) if token.type == "link_open" else ""
        if token.type == "link_open" and not _scheme_allowed(href):
            return (f"link to '{href}' is not allowed: a link must start with https://, http://, "
                    "mailto: or tel: (a full address a reader can use)")
    return None


def _printed_address(href: str) -> str:
    """What a paper reader needs to type or dial: the address without mailto:/tel:."""
    scheme, _, rest = href.partition(":")
    return rest if scheme.lower() in ("mailto", "tel") else href


@lru_cache(maxsize=4096)
def render_inline(text: str) -> Markup:
    """``text`` as safe inline HTML: <strong>, <em>, and <a href> followed by its printed address."""
    html: list[str] = []
    link: tuple[str, list[str]] | None = None  # href and the link's words, while inside one
    for token in _inline_tokens(_RENDERER, text):
        if token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            if _scheme_allowed(href):
                link = (href, [])
                html.append(f'<a href="{escape(href)}">')
            else:  # validation refuses it; never print a live link to it
                link = ("", [])
        elif token.type == "link_close" and link is not None:
            href, words = link
            if href:
                html.append("</a>")
                address = _printed_address(href)
                if address not in "".join(words):
                    # Isolated left to right: an address reads the same on a right-to-left page.
                    html.append(f' (<bdi class="link-address" dir="ltr">{escape(address)}</bdi>)')
            link = None
        elif token.type in ("strong_open", "em_open"):
            html.append(f"<{token.tag}>")
        elif token.type in ("strong_close", "em_close"):
            html.append(f"</{token.tag}>")
        elif token.type == "softbreak" or token.type == "hardbreak":
            html.append("\n")
        else:
            html.append(str(escape(token.content)))
            if link is not None:
                link[1].append(token.content)
    return Markup("".join(html))


@lru_cache(maxsize=4096)
def plain_text(text: str) -> str:
    """The words of ``text`` as a reader sees them: markup gone, link addresses left out."""
    if not any(mark in text for mark in "*_[\\"):
        return str(text)
    return "".join("\n" if token.type in ("softbreak", "hardbreak") else token.content
                   for token in _inline_tokens(_RENDERER, str(text)) if token.type in
                   ("text", "softbreak", "hardbreak", "code_inline"))
