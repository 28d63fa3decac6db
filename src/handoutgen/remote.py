"""A worker initializer and the folders it reads, packed to run on another machine.

A local pool worker reads the workspace's templates, styles and fonts, and the batch's
rendered handouts, from this machine's disk. A worker on a cluster has none of them: a
Shipment carries their files as bytes, and on the worker unpacks them into a private
temp folder and starts the initializer with every path of its arguments moved there
(same layout below the workspace root, so relative URLs such as the logo still resolve).
Other paths (the roster's, used only to name rows in messages) stay as they are and are
never read.
"""

from __future__ import annotations

import atexit
import dataclasses
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = "root"  # where the folders below the workspace root go, in their places


def _map_paths(value: Any, move: Callable[[Path], Path]) -> Any:
    """``value`` with every Path in it (in tuples, lists, dicts, dataclasses) passed through ``move``."""
    if isinstance(value, Path):
        return move(value)
    if isinstance(value, tuple):
        return tuple(_map_paths(v, move) for v in value)
    if isinstance(value, list):
        return [_map_paths(v, move) for v in value]
    if isinstance(value, dict):
        return {_map_paths(k, move): _map_paths(v, move) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _map_paths(getattr(value, f.name), move) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    return value


def _mover(root: tuple[Path, Path], places: dict[Path, Path]) -> Callable[[Path], Path]:
    """Move the root folder itself, and paths in or below a key of ``places`` to below its value."""

    def move(path: Path) -> Path:
        if path == root[0]:
            return root[1]
        for folder, there in places.items():
            if path.is_relative_to(folder):
                return there / path.relative_to(folder)
        return path

    return move


@dataclass(frozen=True)
class Shipment:
    """``initializer(*initargs)``, ready to start on a machine that has none of ``folders``."""

    initializer: Callable[..., None]
    initargs: tuple[Any, ...]
    root: Path  # the workspace root here (a document's relative URLs start there)
    places: dict[Path, str]  # each shipped folder here -> where it goes, relative to the unpack folder
    files: dict[str, bytes]  # relative path on the worker -> content

    @classmethod
    def pack(cls, initializer: Callable[..., None], initargs: tuple[Any, ...], folders: list[Path],
             root: Path) -> Shipment:
        """Carry every file of ``folders``; those below ``root`` keep their place relative to it."""
        root = root.resolve()
        places: dict[Path, str] = {}
        files: dict[str, bytes] = {}
        shipped: list[Path] = []
        for folder in sorted({f.resolve() for f in folders if f.is_dir()}, key=lambda p: len(p.parts)):
            if any(folder.is_relative_to(done) for done in shipped):
                continue  # inside a folder already shipped (a brand inside styles/)
            shipped.append(folder)
            target = Path(ROOT) / folder.relative_to(root) if folder.is_relative_to(root) \
                else Path(f"outside-{len(places)}")
            places[folder] = str(target)
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    files[str(target / path.relative_to(folder))] = path.read_bytes()
        # Arguments may name a folder through a symlink or as given: move the resolved form too.
        return cls(initializer, _map_paths(initargs, lambda p: p.resolve() if p.exists() else p), root, places, files)

    def unpack(self, into: Path) -> tuple[Any, ...]:
        """Write the files below ``into``; the initargs with their paths moved there."""
        for name, data in self.files.items():
            path = into / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        (into / ROOT).mkdir(exist_ok=True)
        places = {here: into / there for here, there in self.places.items()}
        moved: tuple[Any, ...] = _map_paths(self.initargs, _mover((self.root, into / ROOT), places))
        return moved


_unpacked: list[Path] = []


def remove_unpacked() -> None:
    """Remove what this process unpacked (at exit, and when a remote run ends)."""
    while _unpacked:
        shutil.rmtree(_unpacked.pop(), ignore_errors=True)


atexit.register(remove_unpacked)


def start_shipped(shipment: Shipment) -> None:
    """Worker initializer: unpack into a private temp folder (the previous run's is removed)."""
    remove_unpacked()
    into = Path(tempfile.mkdtemp(prefix="handoutgen-worker-"))  # 0700
    _unpacked.append(into)
    shipment.initializer(*shipment.unpack(into))
