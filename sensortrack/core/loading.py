"""Open any recording a user may hand us: a sensortrack session file, a plain interchange CSV, or
an export of a phone or vendor app (a file, a folder, or a zip: sensortrack.core.formats)."""

from __future__ import annotations

from pathlib import Path

from sensortrack.core.errors import InputFileError
from sensortrack.core.interchange import read_interchange_csv
from sensortrack.core.model import Session
from sensortrack.core.sessionfile import is_session_file, read_session


def load_session(path: str | Path) -> Session:
    """Read `path` as whichever supported format it is; errors are InputFileError with the line."""
    from sensortrack.core.formats.registry import load_export, read_file_head, recognise_head
    from sensortrack.core.formats.sources import is_zip_archive

    p = Path(path)
    try:
        if not p.exists():  # (a symlink loop, too)
            raise InputFileError(str(p), "no such file")
        if p.is_dir():
            return load_export(p)
        if not p.is_file():  # a named pipe would hang the read forever; a device never ends
            raise InputFileError(str(p), "is not a regular file (a pipe or a device?)")
        is_zip = is_zip_archive(p)
    except OSError as exc:  # a name too long for the file system
        raise InputFileError(str(p), f"cannot open: {exc.strerror or exc}") from None
    if is_zip:
        return load_export(p)
    if is_session_file(p):
        return read_session(p)
    fmt = recognise_head({p.name: read_file_head(p)})
    if fmt is not None:
        return load_export(p, fmt)
    return read_interchange_csv(p)
