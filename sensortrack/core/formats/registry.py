"""Which export format a file, folder or zip holds: recognised by headers, never by file name alone.

Order matters only where two formats could both claim a file; none of the headers overlap today
(each format's `claims` looks for its own header words), and the interchange CSV (t,ax,ay,az) and
the session file are tried by sensortrack.core.loading before and after these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sensortrack.core.errors import InputFileError
from sensortrack.core.formats import movella_dot, movesense, phyphox, polar_logger, sensorlogger, witmotion
from sensortrack.core.formats.common import Recording, to_session
from sensortrack.core.formats.sources import Source, open_source
from sensortrack.core.interchange import HEAD_BYTES as INTERCHANGE_HEAD_BYTES
from sensortrack.core.model import Session

# How much of each member the recognisers look at: headers sit in the first lines (the Movella DOT
# app writes a few metadata lines first). One size with the plain-CSV check that runs before them.
HEAD_BYTES = INTERCHANGE_HEAD_BYTES


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    title: str
    claims: Callable[[dict[str, str]], bool]
    read: Callable[[Source], Recording]


FORMATS: tuple[Format, ...] = tuple(
    Format(m.NAME, m.TITLE, m.claims, m.read)
    for m in (sensorlogger, phyphox, polar_logger, movesense, movella_dot, witmotion)
)


def heads(members: dict[str, bytes]) -> dict[str, str]:
    """The start of every member as text, for the recognisers (undecodable bytes replaced)."""
    out = {}
    for name, data in members.items():
        head = data[:HEAD_BYTES]
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
        if "\ufffd" in text:
            text = head.decode("gb18030", errors="replace")
        out[name] = text
    return out


def recognise_head(head_bytes: dict[str, bytes]) -> Format | None:
    member_heads = heads(head_bytes)
    return next((f for f in FORMATS if f.claims(member_heads)), None)


def load_export(path: Path, fmt: Format | None = None) -> Session:
    """Read `path` (file, folder or zip) as the export format its headers show."""
    source = open_source(path)
    if fmt is None:
        fmt = recognise_head(source.members)
    if fmt is None:
        what = "folder" if source.kind == "folder" else "zip" if source.kind == "zip" else "file"
        raise InputFileError(
            str(path),
            f"this {what} holds no recording sensortrack can read (a session file, a t,ax,ay,az CSV, or an export "
            "of phyphox, Sensor Logger, Polar Sensor Logger, Movesense Showcase, Movella DOT or WitMotion)",
        )
    return to_session(str(path), str(path), fmt.read(source))
