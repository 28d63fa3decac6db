"""Write stage: put bytes on disk atomically, private to the user.

A temp file in the target folder is written, flushed to disk and renamed over the
target, so a crash or kill never leaves a half-written PDF and a finished output
is only ever replaced by another finished one. Writing never parses.

Temp files and folders carry our own prefix: only those are ever cleaned up, so a
user's own ``notes.tmp`` beside the outputs is never touched.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from handoutgen.errors import HandoutgenError, Location

FILE_MODE = 0o600
FOLDER_MODE = 0o700
TEMP_PREFIX = ".handoutgen-tmp-"
# Errors that no other file in the same folder would escape: stop the run, don't fail each row.
FATAL_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR,
                      errno.EEXIST, errno.EISDIR}


class OutputError(HandoutgenError):
    """The output folder cannot take our files (read-only, full, a file in its place, …)."""


def output_error(error: OSError, path: Path) -> OutputError:
    reason = error.strerror or str(error)
    if error.errno in (errno.ENOTDIR, errno.EEXIST):
        reason = "a file is in the way of the output folder"
    return OutputError(f"cannot write: {reason}", Location(path))


def ensure_private_dir(folder: Path, restrict: bool = False) -> None:
    """Create ``folder`` 0700; with ``restrict``, also make an existing one 0700 (patient data)."""
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    if restrict:
        os.chmod(folder, FOLDER_MODE)


def write_atomic(path: Path, data: bytes) -> None:
    write_atomic_with(path, lambda handle: handle.write(data))


def write_atomic_with(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """``write_atomic`` for output made while it is written (a large file never held in memory)."""
    ensure_private_dir(path.parent)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f"{TEMP_PREFIX}{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def private_temp_dir(folder: Path) -> Path:
    """A scratch folder inside ``folder`` that the next run removes if this one is killed."""
    return Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=folder))


def remove_stale_temp_files(folder: Path) -> None:
    """Delete what a killed run of ours left behind (by our prefix; finished outputs never have it)."""
    for stale in folder.glob(f"{TEMP_PREFIX}*"):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
