"""Live refresh: a stamp of what a render reads, and a watcher that tells open pages it changed.

The stamp is a hash of the name, size and modification time of every file under the
workspace's handouts/, templates/ and styles/, and of handoutgen.yaml and jargon.yaml. Pages
carry the stamp they were made from; the watcher (watchfiles) sends each open page the new
stamp over server-sent events, and a page whose stamp differs fetches itself again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

from handoutgen.workspace import CONFIG_FILE, RENDER_ROOTS

WATCHED_FILES = (CONFIG_FILE, "jargon.yaml")
# Editors save within a few milliseconds; a short debounce keeps the refresh well within a second.
DEBOUNCE_MS = 150
KEEP_ALIVE_SECONDS = 15
REARM_SECONDS = 0.3  # time a new watcher takes to start watching


def stamp(root: Path) -> str:
    """Changes whenever a file a render or a check reads is saved, added or removed."""
    digest = hashlib.sha256()
    paths = [root / name for name in WATCHED_FILES]
    for folder in RENDER_ROOTS:
        if (root / folder).is_dir():
            paths += sorted((root / folder).rglob("*"))
    for path in paths:
        try:
            info = path.stat()
        except OSError:  # removed meanwhile, or never there
            continue
        digest.update(f"{path.relative_to(root)}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


class Broadcaster:
    """Hands the workspace's current stamp to every open page after each change."""

    def __init__(self, root: Path):
        self.root = root
        self.listeners: set[asyncio.Queue[str]] = set()

    @contextlib.contextmanager
    def listen(self) -> Iterator[asyncio.Queue[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1)
        self.listeners.add(queue)
        try:
            yield queue
        finally:
            self.listeners.discard(queue)

    def changed(self) -> None:
        now = stamp(self.root)
        for queue in self.listeners:
            if queue.full():  # the page has not fetched the previous news yet: only the latest counts
                queue.get_nowait()
            queue.put_nowait(now)

    async def watch(self, stop: asyncio.Event) -> None:
        """Until ``stop``: watch the render folders (recursively) and the workspace's own files."""
        rearmed = False
        while not stop.is_set():
            folders = [self.root / name for name in RENDER_ROOTS if (self.root / name).is_dir()]
            restart = asyncio.Event()  # a render folder was created or removed: watch the new set
            # Each round's watchers get their own stop event: watchfiles sets the one it is given
            # when cancelled, and the server's must stay clear.
            done = asyncio.Event()
            tasks = [asyncio.create_task(self._watch_folders(folders, done)),
                     asyncio.create_task(self._watch_root(done, restart))]
            if rearmed:  # a save while the watchers were re-armed: the current stamp covers it
                await asyncio.sleep(REARM_SECONDS)
                self.changed()
            rearmed = True
            waits = [asyncio.create_task(stop.wait()), asyncio.create_task(restart.wait())]
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            done.set()  # the watchers see it within a step and return
            for wait in waits:
                wait.cancel()
            await asyncio.gather(*tasks, *waits, return_exceptions=True)

    async def _watch_folders(self, folders: list[Path], done: asyncio.Event) -> None:
        if not folders:
            return
        async for _ in awatch(*folders, debounce=DEBOUNCE_MS, step=50, stop_event=done, rust_timeout=500):
            self.changed()

    async def _watch_root(self, done: asyncio.Event, restart: asyncio.Event) -> None:
        ignored = DefaultFilter()

        def ours(change: Change, path: str) -> bool:
            return Path(path).name in (*WATCHED_FILES, *RENDER_ROOTS) and ignored(change, path)

        async for changes in awatch(self.root, watch_filter=ours, recursive=False, debounce=DEBOUNCE_MS, step=50,
                                    stop_event=done, rust_timeout=500):
            self.changed()
            if any(Path(path).name in RENDER_ROOTS for _, path in changes):
                restart.set()
