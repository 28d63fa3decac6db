"""The one process pool of handoutgen, what every worker of it does, and the Executor seam.

A stage that fans out asks an Executor to run its items: LocalExecutor is the pool below;
dask_executor.DaskExecutor runs the same items on a cluster (``--executor dask``).

Workers leave when the run that started it is gone.

A pool worker blocks on its task queue. If the parent is killed (kill -9, an OOM kill),
nothing tells the worker, and a worker holding a font configuration and open PDFs keeps
hundreds of MB for nothing. Each worker therefore watches its parent and exits with it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import ClassVar, Protocol, TypeVar

from handoutgen.errors import HandoutgenError, UsageError

T = TypeVar("T")
R = TypeVar("R")

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


def _bootstrap(run_pid: int, initializer: Callable[..., None], initargs: tuple[object, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    exit_with_parent(run_pid)
    initializer(*initargs)


def ordered_map(function: Callable[[T], R], items: list[T], *, jobs: int, initializer: Callable[..., None],
                initargs: tuple[object, ...], recycle_after: int = 0) -> Generator[R, None, None]:
    """``function`` over ``items``, results in order: in a process pool, or here when one job will do.

    One way for every stage that fans out (build, packets): workers start from a forkserver
    with WeasyPrint and pikepdf preloaded (no state inherited from the parent, no fork of a
    threaded process), run ``initializer(*initargs)`` once, ignore Ctrl-C and exit with the
    run. With ``recycle_after``, items go in waves of ``jobs × recycle_after``, each to a
    fresh pool, so no worker handles more than that and memory stays flat. (Not
    ``max_tasks_per_child``: on Python 3.11 a pool replacing workers that way can hang for
    good near the end of a run.) Stopping early (an error, Ctrl-C) drops what is queued.
    """
    if jobs <= 1 or len(items) <= 1:
        initializer(*initargs)
        yield from map(function, items)
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["weasyprint", "pikepdf", "handoutgen.builder", "handoutgen.packets.run"])
    wave = jobs * recycle_after if recycle_after else len(items)
    for start in range(0, len(items), wave):
        part = items[start : start + wave]
        pool = ProcessPoolExecutor(
            max_workers=min(jobs, len(part)), mp_context=context, initializer=_bootstrap,
            initargs=(os.getpid(), initializer, initargs),
        )
        try:
            yield from pool.map(function, part, chunksize=max(1, min(16, len(part) // (jobs * 8))))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class Executor(Protocol):
    """Where a stage's items run: this machine's process pool, or a cluster (dask_executor.py).

    A ``remote`` executor's workers share no files with this process: what they read must
    travel to them (remote.Shipment) and what they make comes back as data to be written here.
    """

    @property
    def remote(self) -> bool: ...

    def ordered_map(self, function: Callable[[T], R], items: list[T], *, initializer: Callable[..., None],
                    initargs: tuple[object, ...]) -> Generator[R | HandoutgenError, None, None]:
        """Results in the order of ``items``; an item a remote worker could not finish is an error."""
        ...


@dataclass(frozen=True)
class LocalExecutor:
    """This machine's process pool (``ordered_map`` above)."""

    jobs: int
    recycle_after: int = 0
    remote: ClassVar[bool] = False

    def ordered_map(self, function: Callable[[T], R], items: list[T], *, initializer: Callable[..., None],
                    initargs: tuple[object, ...]) -> Generator[R, None, None]:
        return ordered_map(function, items, jobs=self.jobs, initializer=initializer, initargs=initargs,
                           recycle_after=self.recycle_after)


@contextlib.contextmanager
def open_executor(kind: str, scheduler: str | None) -> Iterator[Executor | None]:
    """The executor ``--executor``/``--scheduler`` ask for, connected and closed after use;
    None for the local pool (whose size the caller's --jobs gives)."""
    if kind == "local":
        if scheduler:
            raise UsageError("--scheduler needs --executor dask")
        yield None
        return
    if kind != "dask":
        raise UsageError(f"unknown executor '{kind}'; use local or dask")
    if not scheduler:
        raise UsageError("--executor dask needs --scheduler ADDRESS, e.g. tcp://scheduler.example.org:8786")
    try:
        from handoutgen.dask_executor import DaskExecutor  # Dask is an optional extra
    except ImportError as missing:
        if missing.name not in ("dask", "distributed"):
            raise
        raise UsageError("--executor dask needs Dask: pip install 'handoutgen[dask]'") from None

    executor = DaskExecutor.connect(scheduler)
    try:
        yield executor
    finally:
        executor.close()
