"""Open any recording a user may hand us: a sensortrack session file, a plain interchange CSV, or
an export of a phone or vendor app (a file, a folder, or a zip: sensortrack.core.formats)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from sensortrack.core.errors import InputFileError
from sensortrack.core.interchange import HEAD_BYTES, is_plain_interchange_open, read_interchange_csv
from sensortrack.core.model import Session
from sensortrack.core.sessionfile import is_session_head, read_session

# Files that no reader takes, said as what they are rather than as "invalid UTF-8" (first bytes from
# each format's specification: RFC 1952, bzip2, xz, 7z, zstd, SQLite's file header).
NOT_A_RECORDING: dict[bytes, str] = {
    b"\x1f\x8b": "is gzip-compressed: decompress it first, then read the file inside",
    b"BZh": "is bzip2-compressed: decompress it first, then read the file inside",
    b"\xfd7zXZ\x00": "is xz-compressed: decompress it first, then read the file inside",
    b"7z\xbc\xaf\x27\x1c": "is a 7z archive: unpack it first, then read the file inside",
    b"\x28\xb5\x2f\xfd": "is zstd-compressed: decompress it first, then read the file inside",
    b"SQLite format 3\x00": "is a SQLite database (a sensortrack library?), not a recording: use --library for a library",
}


def not_a_recording(head: bytes) -> str | None:
    """What a file whose first bytes are `head` is when they say it is no recording (a zip is read,
    not refused)."""
    return next((what for magic, what in NOT_A_RECORDING.items() if head.startswith(magic)), None)


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
        kind, head = _kind_of_file(p)
    except OSError as exc:  # a name too long for the file system
        raise InputFileError(str(p), f"cannot open: {exc.strerror or exc}") from None
    if kind == "session":
        return read_session(p)
    if kind == "plain":
        return read_interchange_csv(p)
    from sensortrack.core.formats.registry import load_export, recognise_head

    if kind == "zip":
        return load_export(p)
    fmt = recognise_head({p.name: head})
    if fmt is not None:
        return load_export(p, fmt)
    return read_interchange_csv(p)


FileKind = Literal["session", "plain", "zip", "other"]


def _kind_of_file(p: Path) -> tuple[FileKind, bytes]:
    """What `p` holds and its first HEAD_BYTES, from one opening of the file: its head read once for
    every check (session magic, plain interchange CSV, zip, compressed or database magic, the export
    formats' headers), the end looked at only for a zip's directory. Refused files raise."""
    try:
        fh = p.open("rb")
    except OSError as exc:
        raise InputFileError(str(p), f"cannot read: {exc.strerror or exc}") from None
    with fh:
        try:
            head = fh.read(HEAD_BYTES)
        except OSError as exc:
            raise InputFileError(str(p), f"cannot read: {exc.strerror or exc}") from None
        # Our own files first: they start with the magic line, which no zip does, and need none of
        # the export readers (zipfile and the registry: ~0.03 s of every `analyze`, replay and
        # reanalysis helper; issue 12). A plain interchange CSV that no export format could claim
        # needs none of them either (interchange.plain_interchange_head).
        if is_session_head(head):
            return "session", head
        try:
            if is_plain_interchange_open(p, fh, head):
                return "plain", head
        except OSError:
            pass  # as is_plain_interchange: the checks below word the error
        from sensortrack.core.formats.sources import is_zip_archive

        if is_zip_archive(p, (fh, head)):
            return "zip", head
    what = not_a_recording(head)
    if what is not None:
        raise InputFileError(str(p), what)
    return "other", head
