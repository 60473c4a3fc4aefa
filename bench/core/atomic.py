"""Atomic writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TMP_PREFIX = ".tmp-"  # readers skip names starting with this; a crash can leave one behind

# Faults of the disk or the folder that every later write there meets too: a sweep stops at the first one
# instead of training cells whose results it cannot keep.
RECURRING = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR}
ADVICE = {
    errno.ENOSPC: "free space on that disk, or give a folder on another disk (--out, --cache)",
    errno.EDQUOT: "free space under your quota, or give a folder on another disk (--out, --cache)",
    errno.EROFS: "the disk is read-only: give a writable folder (--out, --cache)",
    errno.EACCES: "make the folder writable for you, or give another one (--out, --cache)",
    errno.EPERM: "make the folder writable for you, or give another one (--out, --cache)",
    errno.ENOTDIR: "a file is where a folder belongs on that path: move it, or give another folder",
    errno.EISDIR: "a folder is where a file belongs on that path: move it, or give another path",
}


class StorageError(OSError):
    """A write to the results folder or the cache failed: one line naming the path, the operation and what to do.
    ``recurring``: the fault will meet every later write there too (a full disk, a read-only folder)."""

    def __init__(self, message: str, path: str = "", recurring: bool = True) -> None:
        super().__init__(message)
        self.path, self.recurring = path, recurring


def storage_error(path: str | os.PathLike, operation: str, cause: OSError) -> StorageError:
    """The StorageError for ``cause``, met while doing ``operation`` on ``path``."""
    code = cause.errno
    name = errno.errorcode.get(code, "") if code is not None else ""
    reason = f"{cause.strerror or cause}" + (f" ({name})" if name else "")
    advice = ADVICE.get(code, "check the disk and the folder's permissions")
    return StorageError(f"cannot {operation} {path}: {reason}; {advice}", str(path), code in RECURRING)


@contextmanager
def storage_guard(path: str | os.PathLike, operation: str) -> Iterator[None]:
    """Turns an OSError inside into a StorageError naming ``path`` and ``operation``."""
    try:
        yield
    except StorageError:
        raise
    except OSError as exc:
        raise storage_error(path, operation, exc) from exc


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, rename over ``path``, fsync the folder."""
    path = Path(path)
    with storage_guard(path, "write"):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX + path.name + ".", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fsync_dir(path.parent)


def check_writable_folder(path: str | os.PathLike, flag: str) -> Path:
    """``path`` as a folder that exists (made if missing) and takes a file, or a StorageError naming ``flag``:
    checked before any work, so a sweep does not train cells whose results it cannot write."""
    path = Path(path)
    with storage_guard(path, f"use {flag}"):
        if path.exists() and not path.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=TMP_PREFIX + "probe.", dir=path)
        os.close(fd)
        os.unlink(probe)
    return path


def write_json_atomic(path: str | os.PathLike, value: Any) -> None:
    write_text_atomic(path, json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")


def fsync_dir(path: str | os.PathLike) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
