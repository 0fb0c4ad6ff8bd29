"""Where edgetts keeps its files, and atomic writes.

Writes go to a temporary file beside the target (same file system), renamed
over it only once complete. An interrupted or failed write leaves neither a
torn file nor a stray temporary, and never touches the old file. Folders are
made the same way: built under a temporary name, then renamed into place.

Temporaries are named ``.TARGET.PID-RANDOM.tmp``: what a killed process left
behind (SIGKILL runs no clean-up) is removed by the next write to the same
target, once no process of that id is alive."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "commit",
    "discard",
    "home_dir",
    "open_temp_beside",
    "sha256_file",
    "staged_folder",
    "staging_dir",
    "store_dir",
    "sweep_temps",
    "write_atomic",
]

HOME_ENV = "EDGETTS_HOME"


def home_dir() -> Path:
    """``$EDGETTS_HOME``, else ``edgetts`` in the user cache dir (``$XDG_CACHE_HOME``)."""
    configured = os.environ.get(HOME_ENV)
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "edgetts"


def store_dir() -> Path:
    """The model store: split graphs and optimised variants of voices."""
    return home_dir() / "models"


def sha256_file(path: Path) -> str:
    """The file's SHA-256, computed once per (path, size, modification time): start-up
    checks the voice and each variant file against it more than once."""
    stat = Path(path).stat()
    return _sha256(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def staged_folder(folder: Path, *, replace: bool = False) -> Iterator[Path]:
    """Yield an empty staging folder that becomes ``folder`` when the block succeeds.

    Without ``replace`` an existing ``folder`` is an error (:class:`FileExistsError`)
    and is left alone; with it, the old folder is swapped out only after the new
    one is complete. A failed block leaves ``folder`` as it was.
    """
    if folder.exists() and not replace:
        raise FileExistsError(f"{folder} already exists")
    staging = staging_dir(folder)
    # Not a sweepable name: if the swap is cut short, this is the user's folder.
    old = folder.with_name(f".{folder.name}-{secrets.token_hex(4)}.old")
    try:
        yield staging
        if folder.exists():
            os.replace(folder, old)
            try:
                os.replace(staging, folder)
            except BaseException:
                os.replace(old, folder)  # put the user's folder back
                raise
        else:
            os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


_TEMP = re.compile(r"^\.(?P<target>.+)\.(?P<pid>\d+)-[a-z0-9_]+\.tmp$")


def _temp_name(target: str) -> str:
    return f".{target}.{os.getpid()}-{secrets.token_hex(4)}.tmp"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def sweep_temps(target: Path) -> None:
    """Remove the temporaries for ``target`` left by processes no longer alive."""
    with contextlib.suppress(OSError):
        for entry in target.parent.iterdir():
            found = _TEMP.match(entry.name)
            if found and found["target"] == target.name and not _alive(int(found["pid"])):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)


def staging_dir(target: Path) -> Path:
    """A new, empty folder beside ``target`` to build it in (made after a sweep)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_temps(target)
    prefix = f".{target.name}.{os.getpid()}-"
    return Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=target.parent))


def open_temp_beside(path: Path) -> tuple[BinaryIO, Path]:
    """A new, empty file next to ``path``, created with the user's umask."""
    sweep_temps(path)
    while True:
        tmp = path.with_name(_temp_name(path.name))
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
