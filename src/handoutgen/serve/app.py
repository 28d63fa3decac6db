"""The ``handoutgen serve`` web app: a read-only, local preview of a workspace.

Pages: the index (handouts × languages with their status), a handout as its pages print,
a translation side by side with its source, and a roster dry run. Everything is read
through the library API (handoutgen.api) from the files as they are saved; nothing is
ever written into the workspace, and rendered pages are kept in memory only.

Renders run one at a time in one worker thread: it keeps WeasyPrint's fonts and parsed
styles warm, and pypdfium2 (which rasterises the pages) is not thread-safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handoutgen import api
from handoutgen.builder import output_name
from handoutgen.errors import HandoutgenError
from handoutgen.model import PaperSize
from handoutgen.prepared import HandoutFile
from handoutgen.render.html import text_direction
from handoutgen.packets.roster import MAX_ROSTER_BYTES
from handoutgen.serve import views
from handoutgen.serve.forms import form_fields, read_body
from handoutgen.serve.live import KEEP_ALIVE_SECONDS, Broadcaster, stamp
from handoutgen.workspace import Workspace

HERE = Path(__file__).parent
# Host names a browser on this machine uses; any other Host header is refused, so a web page
# elsewhere cannot reach the workspace through DNS rebinding.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
# No asset from anywhere but this server; no framing; no referrer carrying a handout path away.
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
                                 b"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
PREVIEWS_KEPT = 12
# How an uploaded roster is named in messages (never by the name it had on the user's disk).
UPLOAD_NAME = "uploaded roster.csv"
ROSTER_OPTIONS = ("encoding", "fallback_language", "map", "date_format")  # as `handoutgen packets` has them

log = logging.getLogger("handoutgen.serve")
T = TypeVar("T")


class Guard:
    """Security headers on every response; an unexpected error becomes a plain 500 page, logged by
    its type only (a traceback or message may quote a roster's patient data)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as error:  # noqa: BLE001 - the one place an unexpected error is answered
            log.error("internal error (%s) answering a request; this is a bug", type(error).__name__)
            if not started:
                await Response("Internal error: this is a bug in handoutgen serve.", 500,
                               media_type="text/plain")(scope, receive, send_with_headers)


class Site:
    """The served workspace: its folder, the render options, the render thread and its caches."""

    def __init__(self, root: Path, brand: str | None, paper: PaperSize | None):
        self.root = root
        self.brand = brand
        self.paper = paper
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="handoutgen-serve-render")
        self.previews: OrderedDict[tuple[str, str, str], views.Preview] = OrderedDict()
        self.live = Broadcaster(root)

    def workspace(self) -> Workspace:
        """The workspace as it is now (settings are read again: they may have been saved since)."""
        return api.open_workspace(self.root)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.worker, function, *args)

    def _preview(self, workspace: Workspace, file: HandoutFile, version: str) -> views.Preview:
        key = (file.id, file.language, version)
        if key not in self.previews:
            self.previews[key] = views.render_preview(workspace, file, self.brand, self.paper)
            while len(self.previews) > PREVIEWS_KEPT:
                self.previews.popitem(last=False)
        self.previews.move_to_end(key)
        return self.previews[key]

    async def preview(self, workspace: Workspace, file: HandoutFile, version: str) -> views.Preview:
        return await self.run(self._preview, workspace, file, version)


def _translation(workspace: Workspace, file: HandoutFile) -> bool:
    try:
        return workspace.is_translation(file)
    except HandoutgenError:  # a file that does not load: the translation page shows why
        return True


def create_app(workspace_root: str | Path, *, brand: str | None = None, paper: PaperSize | None = None,
               watch: bool = True, allowed_hosts: tuple[str, ...] | None = LOOPBACK_NAMES) -> Starlette:
    """The web app over the workspace at ``workspace_root``.

    ``watch``: refresh open pages when a file is saved (off for tests that need no watcher);
    ``allowed_hosts``: Host headers accepted (None: any, for ``--host``).
    """
    site = Site(api.open_workspace(workspace_root).root, brand, paper)
    templates = Jinja2Templates(env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True))

    def page(request: Request, name: str, context: dict[str, Any], version: str = "",
             status_code: int = 200) -> Response:
        """A page; with ``version`` (the workspace's stamp taken before its content was read) it
        refreshes itself after the next save."""
        context = {"stamp": version, "workspace": site.root.name, **context}
        return templates.TemplateResponse(request, name, context, status_code=status_code,
                                          headers={"cache-control": "no-store"})

    def known_file(request: Request) -> tuple[Workspace, HandoutFile]:
        workspace = site.workspace()
        file = views.find_file(workspace, request.path_params["handout_id"], request.path_params["language"])
        if file is None:
            raise HTTPException(404)
        return workspace, file

    async def index(request: Request) -> Response:
        text = request.query_params.get("q", "")
        show = request.query_params.get("show", "all")
        show = show if show in views.FILTERS else "all"
        version = stamp(site.root)
        rows, total, problems = await site.run(views.index_rows, site.workspace(), text, show)
        return page(request, "index.html.j2", {"rows": rows, "total": total, "problems": problems,
                                               "text": text, "show": show, "filters": views.FILTERS}, version)

    async def handout(request: Request) -> Response:
        workspace, file = known_file(request)
        version = stamp(site.root)
        preview = await site.preview(workspace, file, version)
        info = await site.run(views.handout_info, workspace, file)
        return page(request, "handout.html.j2", {
            "file": file, "info": info, "preview": preview, "version": version,
            "editions": views.editions(workspace, file),
            "direction": text_direction(file.language),
            "path": file.path.relative_to(site.root).as_posix(),
        }, version)

    async def page_image(request: Request) -> Response:
        workspace, file = known_file(request)
        # The images of the render the page shows, while kept; else those of the files as saved now.
        shown = site.previews.get((file.id, file.language, request.query_params.get("v", "")))
        preview = shown or await site.preview(workspace, file, stamp(site.root))
        number = request.path_params["number"]
        if not 1 <= number <= len(preview.pages):
            raise HTTPException(404)
        return Response(preview.pages[number - 1], media_type="image/png", headers={"cache-control": "no-cache"})

    async def download(request: Request) -> Response:
        workspace, file = known_file(request)
        offered = views.editions(workspace, file)
        name = request.query_params.get("edition", "standard")
        if name not in offered:  # only an edition the page offers: never a language from the request
            raise HTTPException(404)
        edition = offered[name][1]
        draft = request.query_params.get("draft") == "1"
        try:
            pdf = await site.run(lambda: api.render_file(
                workspace, file.id, file.language, brand=site.brand, paper=site.paper, draft=draft,
                large_print=edition.large_print, bilingual=edition.second_language))
        except HandoutgenError as error:
            return page(request, "refused.html.j2", {"file": file, "errors": views.error_lines(error, site.root),
                                                     "edition": name}, status_code=409)
        filename = output_name(file, edition).removesuffix(".pdf") + (".draft" if draft else "") + ".pdf"
        filename = re.sub(r"[^A-Za-z0-9._-]", "_", filename)  # a folder name may hold anything; a header may not
        return Response(pdf, media_type="application/pdf",
                        headers={"content-disposition": f'attachment; filename="{filename}"',
                                 "cache-control": "no-store"})

    async def translation(request: Request) -> Response:
        version = stamp(site.root)
        workspace = site.workspace()
        handout_id, language = request.path_params["handout_id"], request.path_params["language"]
        file = views.find_file(workspace, handout_id, language)
        wanted = any(f.id == handout_id for f in workspace.handout_files()) and language in workspace.translation_languages()
        if file is None and not wanted or file is not None and not _translation(workspace, file):
            raise HTTPException(404)
        try:
            view, errors = await site.run(views.translation_view, workspace, handout_id, language), []
        except HandoutgenError as error:
            view, errors = None, views.error_lines(error, site.root)
        return page(request, "translation.html.j2", {"handout_id": handout_id, "language": language, "file": file,
                                                     "view": view, "errors": errors,
                                                     "direction": text_direction(language)}, version)

    async def roster_form(request: Request) -> Response:
        files = await site.run(views.roster_files, site.workspace())
        return page(request, "roster.html.j2", {"files": files, "result": None, "chosen": "",
                                                "options": dict.fromkeys(ROSTER_OPTIONS, ""), "uploaded": False})

    async def roster_check(request: Request) -> Response:
        """A dry run of the chosen or uploaded roster. The upload stays in memory and is dropped with
        the response; nothing about it is logged."""
        workspace = site.workspace()
        files = await site.run(views.roster_files, workspace)
        body = await read_body(request, MAX_ROSTER_BYTES + 64 * 1024)
        if body is None:
            raise HTTPException(413)
        fields = form_fields(request.headers.get("content-type", ""), body)
        options = {name: fields.get(name, b"").decode("utf-8", "replace")
                   for name in ROSTER_OPTIONS}
        upload = fields.get("upload", b"")
        chosen = fields.get("roster", b"").decode("utf-8", "replace")
        if upload:
            result = await site.run(views.check_roster, workspace, UPLOAD_NAME, upload, options)
            chosen = ""
        elif chosen in files:  # only a file the form offered: never a path from the request
            result = await site.run(views.check_roster, workspace, chosen, None, options)
        else:
            result = views.RosterCheck(errors=["Choose a roster file from the list, or upload a CSV file."])
        return page(request, "roster.html.j2", {"files": files, "result": result, "chosen": chosen,
                                                "options": options, "uploaded": bool(upload)})

    async def events(request: Request) -> Response:
        async def stream() -> AsyncIterator[str]:
            with site.live.listen() as news:
                yield f"retry: 1000\nevent: stamp\ndata: {stamp(site.root)}\n\n"
                while True:
                    try:
                        yield f"event: stamp\ndata: {await asyncio.wait_for(news.get(), KEEP_ALIVE_SECONDS)}\n\n"
                    except TimeoutError:
                        yield ": still here\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"cache-control": "no-store"})

    async def not_found(request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, HTTPException) else 500
        return page(request, "missing.html.j2", {"code": code}, status_code=code)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        watcher = asyncio.create_task(site.live.watch(stop)) if watch else None
        try:
            yield
        finally:
            stop.set()
            if watcher is not None:
                await asyncio.gather(watcher, return_exceptions=True)
            site.worker.shutdown(wait=False, cancel_futures=True)

    routes = [
        Route("/", index),
        Route("/handout/{handout_id}/{language}", handout),
        Route("/handout/{handout_id}/{language}/page-{number:int}.png", page_image),
        Route("/handout/{handout_id}/{language}/pdf", download),
        Route("/translation/{handout_id}/{language}", translation),
        Route("/roster", roster_form, methods=["GET"]),
        Route("/roster", roster_check, methods=["POST"]),
        Route("/events", events),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [Middleware(Guard)]
    if allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={HTTPException: not_found})
    app.state.site = site
    return app
