"""A full disk is the server's problem, never the user's file: recognise it wherever it surfaces."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

# Below this, a failed write or transcode is put down to the disk, not to the file being saved.
LOW_SPACE_BYTES = 64 * 2**20
FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
MESSAGE = "The server is out of space; nothing was saved. Please try again later; your file was not the problem."


class OutOfSpace(OSError):
    """The disk (or the database's disk) is full."""

    def __init__(self) -> None:
        super().__init__(errno.ENOSPC, MESSAGE)


def is_out_of_space(error: BaseException) -> bool:
    """True for ENOSPC/EDQUOT, SQLite's "database or disk is full" and PostgreSQL's disk_full (53100)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in FULL_ERRNOS:
            return True
        if "database or disk is full" in str(error) or getattr(error, "sqlstate", None) == "53100":
            return True
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
    return False


def low_on_space(path: Path | str, needed: int = 0) -> bool:
    """True when the filesystem holding `path` has less free room than `needed` plus a margin."""
    try:
        return shutil.disk_usage(path).free < needed + LOW_SPACE_BYTES
    except OSError:
        return False


def raise_if_low(path: Path | str, needed: int = 0) -> None:
    """Raise OutOfSpace when a failure next to `path` is better explained by a full disk."""
    if low_on_space(path, needed):
        raise OutOfSpace()
