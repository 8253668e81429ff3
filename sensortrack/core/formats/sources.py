"""What a user hands to `analyze`/`import`: one file, a folder of files, or a zip of files.

Phone apps and vendor apps export a recording either as one table or as one table per sensor,
zipped or in a folder (phyphox, Sensor Logger, Polar Sensor Logger). A `Source` gives every reader
the same view of all three: member names and their text.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from sensortrack.core.errors import InputFileError

# An export of a session lasts minutes: a few MB a sensor. Past these a "recording" is something
# else (a photo library, a zip bomb), and reading it whole would only exhaust memory.
MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_MEMBERS = 2000
# Members deeper than this are not part of an export (phyphox puts its metadata one level down).
MAX_DEPTH = 2
_SKIPPED_PARTS = {"__MACOSX"}
# Every supported app exports text tables as .csv or .txt: in a folder or zip only those are read, so
# a folder given by mistake (Downloads, a photo album) is not read into memory.
EXPORT_SUFFIXES = (".csv", ".txt")


@dataclass(frozen=True, slots=True)
class Source:
    """A recording's files: `members` maps a relative POSIX name to the raw bytes."""

    path: Path
    kind: str  # "file", "folder" or "zip"
    members: dict[str, bytes]

    @property
    def name(self) -> str:
        return str(self.path)

    def where(self, member: str) -> str:
        """How errors name a member: the file itself, or the folder/zip and the member inside."""
        return self.name if self.kind == "file" else f"{self.name}/{member}"

    def text(self, member: str) -> str:
        """The member as text: UTF-8 (BOM dropped) or, failing that, GB18030, the Chinese
        Windows code page WitMotion's PC software writes its '°' in."""
        raw = self.members[member]
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            raise InputFileError(self.where(member), "not a text file (invalid UTF-8)") from None

    def basename(self, member: str) -> str:
        return PurePosixPath(member).name


# The signatures a zip archive starts with (local file header; empty or spanned archive), per
# PKWARE's APPNOTE.TXT 4.3.7, 4.3.16 and 8.5.3.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


def is_zip_archive(path: Path, opened: tuple[BinaryIO, bytes] | None = None) -> bool:
    """`path` is a readable zip archive; a file that starts like one or is named .zip but whose
    archive is damaged (truncated, no central directory) is an InputFileError, not a CSV to try.
    `opened`: the file already open and its first bytes (at least _ZIP_HEAD_BYTES of them, or all)
    when the caller read them for other checks too (`load_session`); moves the file's position."""
    try:
        if opened is not None:
            return _judge_zip(path, *opened)
        with path.open("rb") as fh:
            return _judge_zip(path, fh, fh.read(_ZIP_HEAD_BYTES))
    except OSError as exc:
        raise InputFileError(str(path), f"cannot read: {exc.strerror or exc}") from None


# How much of a file's start tells a damaged zip from a text file named .zip.
_ZIP_HEAD_BYTES = 512


def _judge_zip(path: Path, fh: BinaryIO, head: bytes) -> bool:
    if zipfile.is_zipfile(fh):  # looks for the directory at the end (moves the position)
        return True
    head = head[:_ZIP_HEAD_BYTES]
    if head[:4] in _ZIP_MAGIC or (path.suffix.lower() == ".zip" and not _is_text(head)):
        raise InputFileError(str(path), "is a damaged zip archive (truncated or corrupt: its directory cannot be read)")
    return False


def _is_text(head: bytes) -> bool:
    """No control bytes but tab, newline, return: a .zip that is really a CSV is read as one."""
    return not any(b < 9 or 13 < b < 32 for b in head)


def open_source(path: Path) -> Source:
    """Read `path` as a single file, a folder or a zip; errors are one-line InputFileErrors."""
    if path.is_dir():
        return Source(path, "folder", _folder_members(path))
    from sensortrack.core.formats.xlsx import is_workbook, workbook_members

    if is_workbook(path):  # an Excel export (phyphox): its worksheets as CSV members
        return Source(path, "zip", workbook_members(path))
    if is_zip_archive(path):
        return Source(path, "zip", _zip_members(path))
    return Source(path, "file", {path.name: _read_bytes(path)})


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_MEMBER_BYTES:
            raise InputFileError(str(path), f"is {size // 2**20} MB: too big for a recording export")
        return path.read_bytes()
    except OSError as exc:
        raise InputFileError(str(path), f"cannot read: {exc.strerror or exc}") from None


def _folder_members(folder: Path) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    total = 0
    try:
        candidates = sorted(p for p in folder.rglob("*") if len(p.relative_to(folder).parts) <= MAX_DEPTH)
    except OSError as exc:
        raise InputFileError(str(folder), f"cannot list: {exc.strerror or exc}") from None
    for p in candidates:
        rel = p.relative_to(folder)
        if (
            _SKIPPED_PARTS & set(rel.parts)
            or any(part.startswith(".") for part in rel.parts)
            or p.suffix.lower() not in EXPORT_SUFFIXES
            or not p.is_file()
        ):
            continue
        if len(members) >= MAX_MEMBERS:
            raise InputFileError(str(folder), f"holds more than {MAX_MEMBERS} files: not a recording export")
        data = _read_bytes(p)
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            raise InputFileError(str(folder), "holds more than 1 GB: not a recording export")
        members[rel.as_posix()] = data
    return members


def _zip_members(path: Path) -> dict[str, bytes]:
    name = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [
                info
                for info in archive.infolist()
                if not info.is_dir()
                and len(PurePosixPath(info.filename).parts) <= MAX_DEPTH + 1  # exports often wrap all in one folder
                and not _SKIPPED_PARTS & set(PurePosixPath(info.filename).parts)
                and not PurePosixPath(info.filename).name.startswith(".")
                and PurePosixPath(info.filename).suffix.lower() in EXPORT_SUFFIXES
            ]
            if len(infos) > MAX_MEMBERS:
                raise InputFileError(name, f"holds more than {MAX_MEMBERS} files: not a recording export")
            if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES or any(i.file_size > MAX_MEMBER_BYTES for i in infos):
                raise InputFileError(name, "unpacks to more than a recording export can hold")
            members = {info.filename: archive.read(info) for info in infos}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError) as exc:
        raise InputFileError(name, f"is a damaged or unsupported zip ({exc})") from None
    except RuntimeError as exc:  # an encrypted member
        raise InputFileError(name, f"cannot be unpacked ({exc})") from None
    except OSError as exc:
        raise InputFileError(name, f"cannot read: {exc.strerror or exc}") from None
    return _strip_common_folder(members)


def _strip_common_folder(members: dict[str, bytes]) -> dict[str, bytes]:
    """'Squats 2026-01-01/Accelerometer.csv' → 'Accelerometer.csv' when every member shares the folder."""
    tops = {PurePosixPath(m).parts[0] for m in members}
    if len(tops) == 1 and all(len(PurePosixPath(m).parts) > 1 for m in members):
        return {PurePosixPath(*PurePosixPath(m).parts[1:]).as_posix(): data for m, data in members.items()}
    return members


def content_sha256(path: Path) -> str:
    """The SHA-256 of a file, or of a folder's export files (names and bytes, in name order), so that
    importing the same folder twice is recognised like the same file."""
    if not path.is_dir():
        try:
            with path.open("rb") as fh:
                return hashlib.file_digest(fh, "sha256").hexdigest()
        except OSError as exc:
            raise InputFileError(str(path), f"cannot read: {exc.strerror}") from None
    digest = hashlib.sha256()
    for member, data in sorted(_folder_members(path).items()):
        digest.update(member.encode("utf-8") + b"\0" + len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()
