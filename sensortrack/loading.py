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
    if not p.exists():
        raise InputFileError(str(p), "no such file")
    if p.is_dir():
        raise InputFileError(str(p), "is a directory, not a session file")
    if is_session_file(p):
        return read_session(p)
    return read_interchange_csv(p)
