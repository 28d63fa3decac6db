"""A Dask distributed cluster as the executor (``--executor dask --scheduler tcp://HOST:PORT``).

Same contract as the local pool (parallel.LocalExecutor): ``function`` over ``items``,
results in order, ``initializer(*initargs)`` run once per worker process before its first
item. The initializer and its arguments travel to the cluster once, as a worker plugin
(so a worker that joins or is restarted mid-run gets them too); items go out in a window a
few times the cluster's threads wide, so neither the cluster nor this process holds more
than that many results. Dask is an optional extra
(``handoutgen[dask]``): this module is imported only for ``--executor dask``.

Task data holds patients' rows. A task never raises (an unexpected error comes back as a
RenderError naming only its type), so no worker logs a failed task with its arguments;
across machines use a ``tls://`` scheduler address (Dask's TLS settings).
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections import deque
from collections.abc import Callable, Generator
from typing import Any, ClassVar, TypeVar

from distributed import Client, KilledWorker, WorkerPlugin

from handoutgen import __version__
from handoutgen.errors import HandoutgenError, RenderError, UsageError
from handoutgen.remote import remove_unpacked

T = TypeVar("T")
R = TypeVar("R")

ITEMS_IN_FLIGHT_PER_THREAD = 4
_DIED = object()  # an item whose worker died


def _installed_version() -> str:
    return __version__


# Per worker process: each run's initializer (put there by its plugin, also on a worker that
# joins or restarts mid-run), and the run whose initializer ran last. The lock keeps a
# worker with several threads to one item at a time (a renderer is not shared by threads).
_lock = threading.Lock()
_setups: dict[str, tuple[Callable[..., None], tuple[Any, ...]]] = {}
_started_run: list[str] = []


class _RunSetup(WorkerPlugin):
    """A run's initializer and arguments on every worker, for as long as the run lasts."""

    def __init__(self, run: str, initializer: Callable[..., None], initargs: tuple[Any, ...]):
        self.name = f"handoutgen-run-{run}"
        self.run, self.initializer, self.initargs = run, initializer, initargs

    def setup(self, worker: Any) -> None:
        _setups[self.run] = (self.initializer, self.initargs)

    def teardown(self, worker: Any) -> None:
        """The run is over: forget it, and remove the files shipped for it."""
        with _lock:
            _setups.pop(self.run, None)
            _started_run.clear()
            remove_unpacked()


def _run_item(run: str, function: Callable[[T], R], item: T) -> R | HandoutgenError:
    with _lock:
        try:
            if _started_run != [run]:
                _started_run.clear()
                initializer, initargs = _setups[run]
                initializer(*initargs)
                _started_run.append(run)
            return function(item)
        except Exception as error:  # noqa: BLE001 - never let Dask log a task with a patient's row
            _started_run.clear()
            return RenderError(f"unexpected {type(error).__name__} on the Dask worker")


class DaskExecutor:
    remote: ClassVar[bool] = True

    def __init__(self, client: Any, address: str):
        self.client = client
        self.address = address

    @classmethod
    def connect(cls, address: str) -> DaskExecutor:
        """A client of the scheduler at ``address``, after checking its workers run this handoutgen.

        How long to try is Dask's ``distributed.comm.timeouts.connect`` (30 s unless set,
        e.g. DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s).
        """
        if "://" not in address:
            raise UsageError(f"--scheduler '{address}': give the scheduler's address, e.g. tcp://10.0.0.5:8786")
        try:
            client = Client(address, set_as_default=False)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError, ValueError) as error:
            raise UsageError(f"cannot reach the Dask scheduler at {address}: {error}") from None
        executor = cls(client, address)
        try:
            executor._check_workers()
        except BaseException:
            executor.close()
            raise
        return executor

    def _check_workers(self) -> None:
        try:
            versions = self.client.run(_installed_version)
        except Exception as error:  # noqa: BLE001 - e.g. ModuleNotFoundError on a worker without handoutgen
            raise UsageError(f"the Dask workers at {self.address} cannot run handoutgen "
                             f"({type(error).__name__}); install handoutgen {__version__} on every worker") from None
        if not versions:
            raise UsageError(f"the Dask scheduler at {self.address} has no workers")
        others = sorted({v for v in versions.values() if v != __version__})
        if others:
            raise UsageError(f"the Dask workers at {self.address} run handoutgen {', '.join(others)}, this is "
                             f"{__version__}; the same version everywhere keeps packets identical")

    def ordered_map(self, function: Callable[[T], R], items: list[T], *, initializer: Callable[..., None],
                    initargs: tuple[object, ...]) -> Generator[R | HandoutgenError, None, None]:
        if not items:
            return
        run = uuid.uuid4().hex
        plugin = _RunSetup(run, initializer, initargs)
        self.client.register_plugin(plugin)
        width = max(2, ITEMS_IN_FLIGHT_PER_THREAD * sum(self.client.nthreads().values()))
        waiting = iter(items)
        in_flight: deque[tuple[T, Any]] = deque()

        def send(item: T) -> Any:
            return self.client.submit(_run_item, run, function, item, pure=False)

        def send_next() -> None:
            for item in waiting:
                in_flight.append((item, send(item)))
                return

        try:
            for _ in range(width):
                send_next()
            while in_flight:
                item, future = in_flight.popleft()
                result = self._result(future)
                if result is _DIED:
                    # Dask blames every item running on a worker that died: give this one a second
                    # chance, so only the item that kills its worker again fails.
                    result = self._result(send(item))
                if result is _DIED:
                    result = RenderError("the Dask worker making this item died (out of memory?); "
                                         "run again with --resume")
                send_next()
                yield result
        finally:
            self.client.cancel([future for _, future in in_flight])
            with contextlib.suppress(Exception):  # a lost cluster has nothing left to clean
                self.client.unregister_worker_plugin(plugin.name)

    def _result(self, future: Any) -> Any:
        """The item's result; _DIED when its worker died (after Dask's own retries)."""
        try:
            return future.result()
        except KilledWorker:
            return _DIED
        except Exception as error:  # noqa: BLE001 - the scheduler went away, a cancelled task
            raise HandoutgenError(f"the Dask cluster at {self.address} stopped answering "
                                  f"({type(error).__name__}); finished packets are kept, run again "
                                  "with --resume") from None
        finally:
            future.release()

    def close(self) -> None:
        self.client.close()
