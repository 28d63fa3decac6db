"""Write stage: put bytes on disk atomically, private to the user.

A temp file in the target folder is written, flushed to disk and renamed over the
target, so a crash or kill never leaves a half-written PDF and a finished output
is only ever replaced by another finished one. Writing never parses.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def ensure_private_dir(folder: Path) -> None:
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)


def write_atomic(path: Path, data: bytes) -> None:
    ensure_private_dir(path.parent)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def remove_stale_temp_files(folder: Path) -> None:
    """Delete temp files a killed run left behind (finished outputs are never temp files)."""
    for stale in folder.glob(".*.tmp"):
        if stale.is_file():
            stale.unlink(missing_ok=True)
