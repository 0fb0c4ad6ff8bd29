"""Atomic file writes: a temporary file beside the target (same file system),
renamed over it only once complete. An interrupted or failed write leaves
neither a torn file nor a stray temporary, and never touches the old file."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import BinaryIO

__all__ = ["commit", "discard", "open_temp_beside", "write_atomic"]


def open_temp_beside(path: Path) -> tuple[BinaryIO, Path]:
    """A new, empty file next to ``path``, created with the user's umask."""
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        return os.fdopen(fd, "wb"), tmp


def commit(file: BinaryIO, tmp: Path, path: Path) -> Path:
    """Flush ``file`` to disk and move it over ``path``; on failure remove it."""
    try:
        file.flush()
        os.fsync(file.fileno())
        file.close()
        os.replace(tmp, path)
    except BaseException:
        discard(file, tmp)
        raise
    return path


def discard(file: BinaryIO, tmp: Path) -> None:
    file.close()
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()


def write_atomic(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    file, tmp = open_temp_beside(path)
    try:
        file.write(data)
    except BaseException:
        discard(file, tmp)
        raise
    return commit(file, tmp, path)
