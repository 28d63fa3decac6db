"""Serving handouts from a web app: a minimal, threaded HTTP server over the Python API.

    python docs/serve_handouts.py WORKSPACE [--port 8000]
    curl -o handout.pdf 'http://127.0.0.1:8000/handout?id=retrograde-pyelography'

Each request renders the handout held in the workspace file with handoutgen.render_pdf, in
the request's own thread: renders run concurrently and each sees only its own warnings. A
real service would add authentication and caching; this shows the calls and the error
handling (a bad request gets the `path:line` message, never a traceback).
"""

from __future__ import annotations

import argparse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import handoutgen


def make_server(workspace: Path, port: int = 0) -> ThreadingHTTPServer:
    ws = handoutgen.open_workspace(workspace)
    brand = ws.load_brand().brand.model_copy(update={"logo": ""})  # a brand held in memory

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url = urlsplit(self.path)
            handout_id = parse_qs(url.query).get("id", [""])[0]
            if url.path != "/handout" or not handout_id:
                return self._send(404, b"GET /handout?id=HANDOUT_ID", "text/plain")
            try:
                file = ws.select([handout_id], ["en"])[0]
                handout = ws.load_handout(file).handout
                pdf = handoutgen.render_pdf(handout, brand=brand, paper=ws.config.paper, workspace=ws)  # its figures
            except handoutgen.HandoutgenError as error:
                return self._send(400, error.render(ws.root).encode(), "text/plain; charset=utf-8")
            self._send(200, pdf, "application/pdf")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - no request log
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--port", type=int, default=8000)
    arguments = parser.parse_args()
    server = make_server(arguments.workspace, arguments.port)
    print(f"serving on http://127.0.0.1:{server.server_address[1]}/handout?id=...")
    server.serve_forever()
