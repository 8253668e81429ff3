"""Open any recording a user may hand us: a sensortrack session file, a plain interchange CSV, or
an export of a phone or vendor app (a file, a folder, or a zip: sensortrack.core.formats)."""

from __future__ import annotations

from pathlib import Path

from sensortrack.core.errors import InputFileError
from sensortrack.core.interchange import is_plain_interchange, read_interchange_csv
from sensortrack.core.model import Session
from sensortrack.core.sessionfile import is_session_file, read_session


def load_session(path: str | Path) -> Session:
    """Read `path` as whichever supported format it is; errors are InputFileError with the line."""
    p = Path(path)
    try:
        if not p.exists():  # (a symlink loop, too)
            raise InputFileError(str(p), "no such file")
        if p.is_dir():
            from sensortrack.core.formats.registry import load_export

            return load_export(p)
        if not p.is_file():  # a named pipe would hang the read forever; a device never ends
            raise InputFileError(str(p), "is not a regular file (a pipe or a device?)")
        # Our own files first: they start with the magic line, which no zip does, and need none of
        # the export readers (zipfile and the registry: ~0.03 s of every `analyze`, replay and
        # reanalysis helper; issue 12). A plain interchange CSV that no export format could claim
        # needs none of them either (interchange.plain_interchange_head).
        own = is_session_file(p)
        plain = not own and is_plain_interchange(p)
        if not own and not plain:
            from sensortrack.core.formats.sources import is_zip_archive

            is_zip = is_zip_archive(p)
    except OSError as exc:  # a name too long for the file system
        raise InputFileError(str(p), f"cannot open: {exc.strerror or exc}") from None
    if own:
        return read_session(p)
    if plain:
        return read_interchange_csv(p)
    from sensortrack.core.formats.registry import load_export, read_file_head, recognise_head

    if is_zip:
        return load_export(p)
    fmt = recognise_head({p.name: read_file_head(p)})
    if fmt is not None:
        return load_export(p, fmt)
    return read_interchange_csv(p)
