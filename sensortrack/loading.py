"""Open any file a user may hand us: a sensortrack session file or a plain interchange CSV."""

from __future__ import annotations

from pathlib import Path

from sensortrack.errors import InputFileError
from sensortrack.interchange import read_interchange_csv
from sensortrack.model import Session
from sensortrack.sessionfile import is_session_file, read_session


def load_session(path: str | Path) -> Session:
    """Read `path` as whichever supported format it is; errors are InputFileError with the line."""
    p = Path(path)
    try:
        if not p.exists():  # (a symlink loop, too)
            raise InputFileError(str(p), "no such file")
        if p.is_dir():
            raise InputFileError(str(p), "is a directory, not a session file")
        if not p.is_file():  # a named pipe would hang the read forever; a device never ends
            raise InputFileError(str(p), "is not a regular file (a pipe or a device?)")
    except OSError as exc:  # a name too long for the file system
        raise InputFileError(str(p), f"cannot open: {exc.strerror or exc}") from None
    if is_session_file(p):
        return read_session(p)
    return read_interchange_csv(p)
