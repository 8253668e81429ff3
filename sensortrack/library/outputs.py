"""Writing output files safely: never over the user's recording, never half-written."""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO
from uuid import uuid4

from sensortrack.core.errors import InputFileError


# SQLite's file header (sqlite.org/fileformat.html §1.3.1): an output never lands on a database.
_SQLITE_MAGIC = b"SQLite format 3\x00"
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
    except OSError:
        return False


def library_part(target: Path) -> str | None:
    """What of a session library `target` is (its database, a journal, its own session copies), or None."""
    if target.is_file() and _is_sqlite(target):
        return "a database (a session library?)"
    for suffix in _SQLITE_SIDE_FILES:
        if target.name.endswith(suffix) and _is_sqlite(target.with_name(target.name.removesuffix(suffix))):
            return "a database's journal"
    folder = target.parent
    if folder.name.endswith("-sessions"):
        stem = folder.name.removesuffix("-sessions")
        if any(_is_sqlite(p) for p in folder.parent.glob(f"{glob.escape(stem)}.*") if p.is_file()):
            return "inside a session library's own folder"
    return None


def check_output(target: Path, sources: list[Path], force: bool) -> None:
    """Refuse a missing folder, the session's own file or any part of a library (even with --force),
    or any existing file without --force."""
    if not target.parent.is_dir():
        raise InputFileError(str(target), "the output folder does not exist")
    part = library_part(target)
    if part is not None:
        raise InputFileError(str(target), f"is {part}; refusing to write there, even with --force")
    if target.exists():
        if not (target.is_file() or target.is_dir()):  # writing to a named pipe blocks forever
            raise InputFileError(str(target), "is not a regular file (a pipe or a device?)")
        if any(src.exists() and target.samefile(src) for src in sources):
            raise InputFileError(str(target), "refusing to overwrite the session it is made from")
        if target.is_dir():
            raise InputFileError(str(target), "is a directory")
        if not force:
            raise InputFileError(str(target), "exists already (use --force to overwrite)")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; it replaces `path` only if the block succeeds."""
    temp = path.with_name(f".{path.name}.{uuid4().hex[:8]}.tmp")
    try:
        yield temp
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def atomic_write_text(path: Path, write: Callable[[TextIO], object]) -> None:
    with atomic_path(path) as temp, temp.open("w", encoding="utf-8", newline="") as fh:
        write(fh)
