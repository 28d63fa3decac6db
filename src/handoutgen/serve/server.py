"""Running the preview app: uvicorn on 127.0.0.1 unless another host is asked for."""

from __future__ import annotations

import ipaddress
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

import uvicorn

from handoutgen.model import PaperSize
from handoutgen.serve.app import LOOPBACK_NAMES, create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str) -> str | None:
    """What to tell the user before serving on ``host``: None for this machine only."""
    if is_loopback(host):
        return None
    return (f"serving on {host}: anyone who can reach this machine on the network can read this "
            "workspace's handouts and roster files, without a password")


def config(workspace: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, brand: str | None = None,
           paper: PaperSize | None = None) -> uvicorn.Config:
    """The server for ``workspace``. No access log: a request path can name a roster file, and
    nothing about patients may reach a log."""
    app = create_app(workspace, brand=brand, paper=paper,
                     allowed_hosts=LOOPBACK_NAMES if is_loopback(host) else None)
    # A page keeps an event stream open; on Ctrl-C do not wait for the browser to close it.
    return uvicorn.Config(app, host=host, port=port, access_log=False, log_level="warning",
                          timeout_graceful_shutdown=1, lifespan="on")


def url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/"


def serve(settings: uvicorn.Config, open_browser: bool = False,
          say: Callable[[str], None] = print) -> None:
    """Run until Ctrl-C; with ``open_browser``, open the index once the server listens."""
    server = uvicorn.Server(settings)
    address = url(settings.host, settings.port)
    say(f"Serving {address} (read-only preview; Ctrl-C stops it)")
    if open_browser:
        def when_started() -> None:
            for _ in range(100):
                if server.started:
                    webbrowser.open(address)
                    return
                threading.Event().wait(0.1)

        threading.Thread(target=when_started, daemon=True).start()
    server.run()
