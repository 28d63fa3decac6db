"""Render-PDF stage: HTML + CSS become tagged PDF bytes with WeasyPrint.

WeasyPrint is imported here only, and lazily, so ``check``, ``list`` and
``--help`` never pay for it. A render may read files only under the workspace's
templates/, styles/ and handouts/ folders; anything else (http, https, data,
file URLs elsewhere) stops the render. WeasyPrint reports bad CSS, refused URLs
and unusable fonts only as log messages: every such message fails the render.
"""

from __future__ import annotations

import atexit
import io
import logging
import mimetypes
import re
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

from handoutgen.errors import Location, RenderError
from handoutgen.model import PaperSize
from handoutgen.render.html import HtmlDocument
from handoutgen.render.settings import RenderSettings
from handoutgen.resources import find

if TYPE_CHECKING:  # imported where used, at render time: `check` never loads WeasyPrint
    import pikepdf
    from weasyprint import CSS

_FONT_FACES = "<font faces>"  # the key of the renderer's generated face stylesheet
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1", "pdf_identifier": b"handoutgen", "uncompressed_pdf": False}


class _WarningCollector(logging.Handler):
    """Collects the warnings of one render: only those logged by the thread doing it.

    The ``weasyprint`` logger is process-wide; in a threaded server another request's
    warning (which may quote its text) must neither fail this render nor appear in it.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextmanager
def _fail_on_weasyprint_warnings(source: Path, source_is_css: bool) -> Iterator[None]:
    """Turn every WeasyPrint warning or error logged inside the block into a RenderError."""
    logger = logging.getLogger("weasyprint")
    collector = _WarningCollector()
    logger.addHandler(collector)
    try:
        yield
    finally:
        logger.removeHandler(collector)
    if collector.messages:
        shown = "; ".join(dict.fromkeys(collector.messages))
        # CSS messages say "at LINE:COLUMN"; that line is only ours to show for a CSS file.
        where = re.search(r" at (\d+):\d+", collector.messages[0]) if source_is_css else None
        raise RenderError(
            f"WeasyPrint refused it: {shown}", Location(source, int(where[1]) if where else None)
        )


class _Fetcher(Protocol):
    """A WeasyPrint URL fetcher that remembers what it refused."""

    refused: list[str]


def _make_fetcher_class() -> Callable[[list[Path]], _Fetcher]:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class WorkspaceFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type hints
        """Serves files under the allowed folders and refuses everything else."""

        def __init__(self, roots: list[Path]):
            super().__init__(allowed_protocols={"file"}, allow_redirects=False, fail_on_errors=True)
            self.roots = [root.resolve() for root in roots]
            self.refused: list[str] = []

        def allowed_path(self, url: str) -> Path | None:
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                return None
            path = Path(unquote(parts.path)).resolve()
            if any(path.is_relative_to(root) for root in self.roots) and path.is_file():
                return path
            return None

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:  # a URLFetcherResponse
            path = self.allowed_path(url)
            if path is None:
                self.refused.append(url)
                raise PermissionError(f"refused to load {url}: only files under the workspace's "
                                      "templates/, styles/ and handouts/ may be used")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})

    return WorkspaceFetcher


# WeasyPrint's FontConfiguration cleans up in __del__, which fails ("'NoneType' object is not
# callable") when it first runs while the interpreter tears modules down: release every
# renderer's font configuration at exit, before that.
_renderers: weakref.WeakSet[PdfRenderer] = weakref.WeakSet()
atexit.register(lambda: [renderer.__dict__.pop("font_config", None) for renderer in list(_renderers)])


class PdfRenderer:
    """Keeps one font configuration and every parsed stylesheet for many renders."""

    def __init__(self, style_path: tuple[Path, ...], allowed_roots: list[Path], font_faces: Path | None = None):
        """``font_faces``: a generated stylesheet of extra faces (render/cjk.py) every render uses last."""
        from weasyprint.text.fonts import FontConfiguration

        self.style_path = style_path  # the workspace's styles/, then the packaged defaults
        self.font_faces = font_faces
        self.fetcher = _make_fetcher_class()(allowed_roots + ([font_faces.parent] if font_faces else []))
        self.font_config = FontConfiguration()
        self._stylesheets: dict[str, CSS] = {}
        self._page_css: dict[str, CSS] = {}
        self._blank_pages: dict[tuple[str, PaperSize], bytes] = {}
        _renderers.add(self)

    def stylesheet(self, name: str) -> CSS:
        """``styles/<name>`` (the workspace's, else the default), parsed once."""
        from weasyprint import CSS

        if name not in self._stylesheets:
            path = (self.font_faces if name == _FONT_FACES and self.font_faces is not None
                    else find(self.style_path, name))
            if not path.is_file():
                raise RenderError("stylesheet is missing", Location(path))
            with self._guard(path, source_is_css=True):
                self._stylesheets[name] = CSS(
                    filename=str(path), url_fetcher=self.fetcher, font_config=self.font_config
                )
        return self._stylesheets[name]

    def _parsed_page_css(self, document: HtmlDocument) -> CSS:
        from weasyprint import CSS

        css = self._page_css.get(document.page_css)
        if css is None:
            css = CSS(string=document.page_css, base_url=document.base_url,
                      url_fetcher=self.fetcher, font_config=self.font_config)
            if document.page_css_shared:  # same text for many documents: keep it parsed
                self._page_css[document.page_css] = css
        return css

    @contextmanager
    def _guard(self, source: Path, source_is_css: bool = False) -> Iterator[None]:
        from weasyprint.urls import FatalURLFetchingError

        self.fetcher.refused.clear()
        try:
            with _fail_on_weasyprint_warnings(source, source_is_css):
                yield
        except FatalURLFetchingError:
            refused = ", ".join(self.fetcher.refused) or "a resource"
            raise RenderError(
                f"the render tried to load {refused}; only files under the workspace's "
                "templates/, styles/ and handouts/ may be used",
                Location(source),
            ) from None

    def render(self, document: HtmlDocument, source: Path) -> bytes:
        """Render ``document``; errors name ``source`` (the file it came from)."""
        with self.render_pdf(document, source) as pdf:
            return _saved(pdf)

    def render_pdf(self, document: HtmlDocument, source: Path) -> pikepdf.Pdf:
        """``render``, the result left open: a packet merges it without saving and reading it again."""
        from weasyprint import HTML

        names = document.stylesheets + ((_FONT_FACES,) if self.font_faces else ())
        stylesheets = [self.stylesheet(name) for name in names]
        with self._guard(source):
            stylesheets.append(self._parsed_page_css(document))
            html = HTML(string=document.html, base_url=document.base_url, url_fetcher=self.fetcher)
            data = html.write_pdf(stylesheets=stylesheets, font_config=self.font_config, **PDF_OPTIONS)
        return finished(data)


    def blank_page(self, language: str, settings: RenderSettings) -> bytes:
        """The duplex filler page in ``language``, its notice an artifact; rendered once per (language, paper)."""
        from handoutgen.render.tags import artifact_only
        from handoutgen.render.html import BLANK_TEMPLATE, render_blank_html

        key = (language, settings.paper)
        if key not in self._blank_pages:
            document = render_blank_html(language, settings)
            with self.render_pdf(document, source=settings.find_template(BLANK_TEMPLATE)) as pdf:
                artifact_only(pdf)
                self._blank_pages[key] = _saved(pdf)
        return self._blank_pages[key]


def finished(data: bytes) -> pikepdf.Pdf:
    """WeasyPrint's PDF, opened, with its page furniture made artifacts and right-to-left runs
    given their logical text (see render/tags.py)."""
    import pikepdf

    from handoutgen.render.tags import fix_rtl_text, tidy

    pdf = pikepdf.open(io.BytesIO(data))
    tidy(pdf)
    fix_rtl_text(pdf)
    return pdf


def _saved(pdf: pikepdf.Pdf) -> bytes:
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True)
    return buffer.getvalue()
