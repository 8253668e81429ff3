"""Writing output files safely: never over the user's recording, never half-written."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO
from uuid import uuid4

from sensortrack.errors import InputFileError


def check_output(target: Path, sources: list[Path], force: bool) -> None:
    """Refuse a missing folder, the session's own file (even with --force), or any existing file without it."""
    if not target.parent.is_dir():
        raise InputFileError(str(target), "the output folder does not exist")
    if target.exists():
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


def atomic_write_text(path: Path, write: Callable[[TextIO], None]) -> None:
    with atomic_path(path) as temp, temp.open("w", encoding="utf-8", newline="") as fh:
        write(fh)
