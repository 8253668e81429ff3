"""Recordings cut off before they reached the library (`kill -9`, power loss, a crash).

The session file survives such an end (it is flushed every 0.5 s and read up to its last whole
sample), but the step that adds it to the library never ran. So `record` leaves a small marker in
the user's data folder while it runs and removes it once the recording is in the library. A marker
whose process is gone belongs to a cut recording: the next `record` or `sessions` adds it to the
library it was meant for — the user asked for that when they started recording, so nothing is
asked now — and says so; if that is not possible it prints the `sensortrack import` line to use.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO
from uuid import uuid4

from sensortrack.config import data_dir

MARKER_DIR_NAME = "recordings-in-progress"


def marker_dir() -> Path:
    return data_dir() / MARKER_DIR_NAME


@contextmanager
def recording_marker(output: Path, library: str | None) -> Iterator[Path | None]:
    """A marker for the recording to `output` while the block runs. It stays when the process
    dies, or when the block fails after the file was written (then it was not added either).

    Yields None when the marker cannot be written (read-only data folder): recording goes on.
    """
    if output.exists():  # record refuses it (never overwritten): nothing of ours to mark
        yield None
        return
    folder = marker_dir()
    marker = folder / f"{os.getpid()}-{uuid4().hex[:8]}.json"
    entry = {"path": str(output.resolve()), "library": library, "pid": os.getpid()}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps(entry), encoding="utf-8")
    except OSError:
        yield None
        return
    try:
        yield marker
    except BaseException:
        if not output.is_file():
            marker.unlink(missing_ok=True)
        raise
    marker.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return False
    return True


def recover_cut_recordings(out: TextIO, err: TextIO) -> int:
    """Add recordings whose recorder died to their library; returns how many were added."""
    folder = marker_dir()
    try:
        markers = sorted(folder.glob("*.json"))
    except OSError:
        return 0
    if not markers:  # the usual case: nothing to recover, so the reader and analysis stay unimported
        return 0
    from sensortrack.core.errors import ConfigError, InputFileError, SensortrackError
    from sensortrack.library import register_recording

    added = 0
    for marker in markers:
        try:
            entry = json.loads(marker.read_text(encoding="utf-8"))
            path, library, pid = Path(entry["path"]), entry.get("library"), int(entry["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            marker.unlink(missing_ok=True)  # not ours or half-written: nothing to recover from it
            continue
        if _alive(pid):
            continue  # still recording
        if not path.is_file():
            marker.unlink(missing_ok=True)  # cut before the first sample: no file was written
            continue
        try:
            session_id = register_recording(library, path)
        except ConfigError:
            return added  # the command reports the config error itself; recover next time
        except SensortrackError as exc:
            print(
                f"note: the recording {path} was cut off and is not in the library ({exc}); "
                f"`sensortrack import {path}` adds it",
                file=err,
            )
            if isinstance(exc, InputFileError):  # the file itself is the problem: say it once
                marker.unlink(missing_ok=True)
            continue
        marker.unlink(missing_ok=True)
        added += 1
        print(
            f"recovered the recording {path}, cut off before it reached the library: "
            f"added as session {session_id} (`sensortrack sessions show {session_id}`)",
            file=out,
        )
    return added
