"""What every worker process of ours does: leave when the run that started it is gone.

A pool worker blocks on its task queue. If the parent is killed (kill -9, an OOM kill),
nothing tells the worker, and a worker holding a font configuration and open PDFs keeps
hundreds of MB for nothing. Each worker therefore watches its parent and exits with it.
"""

from __future__ import annotations

import os
import threading
import time

PARENT_CHECK_SECONDS = 0.5


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else: our pid was reused
        return False
    # A killed parent nobody has reaped yet is a zombie: as good as gone.
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except OSError:
        return True  # no /proc (macOS): the kill(0) answer stands


def exit_with_parent(run_pid: int) -> None:
    """Start a daemon thread that ends this process once ``run_pid`` or our parent is gone."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent or not _alive(run_pid):
                os._exit(1)

    threading.Thread(target=watch, name="handoutgen-parent-watch", daemon=True).start()
