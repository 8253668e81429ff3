"""The sensortrack session file (format version 1): a self-describing CSV written while recording.

    # sensortrack-session 1
    # meta {"format": "sensortrack-session", "version": 1, "sensor": {...}, "units": {...}, ...}
    t_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps
    0.000000,0.012000,-0.998000,0.031000,0.2100,-1.0300,0.4400
    # gap {"start_s": 12.34, "end_s": 12.61, "lost_samples": 26}
    ...
    # end {"samples": 12345, "end_time_utc": "..."}

Lines starting with `#` are metadata, so `pandas.read_csv(f, comment="#")` and DuckDB's
`read_csv(f, comment='#')` read the samples directly. Rows are appended and flushed to disk at
least every `flush_interval_s` (0.5 s by default), so a crash or `kill -9` loses at most that much
and leaves a readable file without the `# end` line; the reader then drops a torn last row and marks
the session interrupted instead of refusing it. Full description: docs/session-format.md.
"""

from __future__ import annotations

import io
import json
import math
import os
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from sensortrack import __version__
from sensortrack.csvrows import as_line_index, line_spans, parse_fast, parse_rows, read_fast_or_exact
from sensortrack.errors import InputFileError
from sensortrack.session_events import exercise_line, is_event_line, note_line, parse_events
from sensortrack.model import (
    EXERCISES,
    PLACEMENTS,
    SIDES,
    FloatArray,
    Gap,
    SampleBlock,
    SensorInfo,
    Session,
    SessionMeta,
)
from sensortrack.start_time import start_time_problem
from sensortrack.validation import (
    MAX_RATE_HZ,
    check_samples,
    find_gaps,
    impossible_samples,
    merge_gaps,
)

FORMAT_NAME = "sensortrack-session"
FORMAT_VERSION = 1
MAGIC = f"# {FORMAT_NAME} {FORMAT_VERSION}"
ACC_COLUMNS = ["ax_g", "ay_g", "az_g"]
GYRO_COLUMNS = ["gx_dps", "gy_dps", "gz_dps"]
QUAT_COLUMNS = ["qw", "qx", "qy", "qz"]
UNITS = {
    "t_s": "s (device clock when the sensor has one, else smoothed host arrival time)",
    "a?_g": "g (specific force in the sensor frame, 1 g = 9.80665 m/s²)",
    "g?_dps": "degrees per second (sensor frame)",
    "q?": "unit quaternion, scalar first, sensor orientation from the device's own filter",
}


def is_session_file(path: Path) -> bool:
    """True when the file starts with the session magic line (cheap: reads one line)."""
    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            return fh.readline().startswith(f"# {FORMAT_NAME}")
    except OSError:
        return False


def _meta_to_json(meta: SessionMeta, columns: list[str]) -> dict[str, Any]:
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "columns": columns,
        "units": UNITS,
        "sensor": asdict(meta.sensor),
        "exercise": meta.exercise,
        "start_time_utc": meta.start_time_utc or datetime.now(UTC).isoformat(timespec="seconds"),
        "software_version": meta.software_version or __version__,
        "source": meta.source,
        "notes": meta.notes,
        "attribution": meta.attribution,
    }


class SessionWriter:
    """Appends sample blocks and gaps to a session file, flushing to disk every `flush_interval_s`."""

    def __init__(
        self,
        path: Path,
        meta: SessionMeta,
        *,
        gyro: bool = True,
        quaternion: bool = False,
        flush_interval_s: float = 0.5,
    ) -> None:
        self.path = Path(path)
        self._columns = ["t_s", *ACC_COLUMNS]
        self._columns += GYRO_COLUMNS if gyro else []
        self._columns += QUAT_COLUMNS if quaternion else []
        self._gyro = gyro
        self._quat = quaternion
        self._flush_interval_s = flush_interval_s
        self._samples = 0
        self._pending = io.StringIO()
        self._last_flush = time.monotonic()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # "x": never overwrite an existing recording.
        self._fh: TextIO | None = self.path.open("x", encoding="utf-8", newline="\n")
        header = json.dumps(_meta_to_json(meta, self._columns), ensure_ascii=False)
        self._fh.write(f"{MAGIC}\n# meta {header}\n{','.join(self._columns)}\n")
        self._sync()

    @property
    def samples_written(self) -> int:
        return self._samples

    def append(self, block: SampleBlock) -> None:
        """Queue a block's rows; they reach the disk within `flush_interval_s`."""
        if len(block) == 0:
            return
        parts = [block.t_s[:, None], block.acc_g]
        fmt = ["%.6f"] * 4
        if self._gyro:
            gyro = block.gyro_dps if block.gyro_dps is not None else np.full((len(block), 3), np.nan)
            parts.append(gyro)
            fmt += ["%.4f"] * 3
        if self._quat:
            quat = block.quat_wxyz if block.quat_wxyz is not None else np.full((len(block), 4), np.nan)
            parts.append(quat)
            fmt += ["%.6f"] * 4
        np.savetxt(self._pending, np.hstack(parts), fmt=fmt, delimiter=",")
        self._samples += len(block)
        self._maybe_flush()

    def add_gap(self, gap: Gap) -> None:
        """Write down samples known to be lost (from sequence numbers or a link drop)."""
        self._pending.write(f"# gap {json.dumps(asdict(gap))}\n")
        self._maybe_flush()

    def add_event(self, line: str) -> None:
        """An exercise change or a set note (sensortrack.session_events), where it happened in the stream."""
        if not is_event_line(line) or "\n" in line:
            raise ValueError(f"not a session event line: {line!r}")
        if self._fh is None:  # closed: a note on the last set, given after the stream ended
            with self.path.open("a", encoding="utf-8", newline="\n") as fh:
                fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            return
        self._pending.write(line + "\n")
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if time.monotonic() - self._last_flush >= self._flush_interval_s:
            self.flush()

    def flush(self) -> None:
        if self._fh is None:
            return
        self._fh.write(self._pending.getvalue())
        self._pending = io.StringIO()
        self._sync()

    def _sync(self) -> None:
        assert self._fh is not None
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._last_flush = time.monotonic()

    def close(self) -> None:
        """Flush everything and write the `# end` line that marks a complete recording."""
        if self._fh is None:
            return
        end = {"samples": self._samples, "end_time_utc": datetime.now(UTC).isoformat(timespec="seconds")}
        self._pending.write(f"# end {json.dumps(end)}\n")
        self.flush()
        self._fh.close()
        self._fh = None

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_session(path: Path, session: Session) -> None:
    """Write a whole session at once (fixtures, imports, conversions)."""
    samples = session.samples
    with SessionWriter(
        path,
        session.meta,
        gyro=samples.gyro_dps is not None,
        quaternion=samples.quat_wxyz is not None,
        flush_interval_s=1e9,
    ) as writer:
        gaps = list(session.gaps)
        start = 0
        for gap in gaps:  # interleave gap lines where they happened, as a recorder would
            stop = int(np.searchsorted(samples.t_s, gap.end_s))
            writer.append(samples.slice(start, stop))
            writer.add_gap(gap)
            start = stop
        writer.append(samples.slice(start, len(samples)))
        for change in session.events.exercise_changes:
            writer.add_event(exercise_line(change))
        for note in session.events.set_notes:
            writer.add_event(note_line(note))


def _parse_meta(path: str, text: str, line: int) -> dict[str, Any]:
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"metadata is not valid JSON ({exc.msg})", line) from None
    except RecursionError:  # `[[[[…]]]]` thousands deep
        raise InputFileError(path, "metadata is not valid JSON (nested too deeply)", line) from None
    if not isinstance(meta, dict):
        raise InputFileError(path, "metadata must be a JSON object", line)
    return meta


def _sensor_from_json(path: str, raw: object) -> SensorInfo:
    if not isinstance(raw, dict):
        raise InputFileError(path, "metadata has no 'sensor' object")
    placement = raw.get("placement")
    side = raw.get("side")
    if placement is not None and placement not in PLACEMENTS:
        raise InputFileError(path, f"placement '{placement}' is not one of {', '.join(PLACEMENTS)}")
    if side is not None and side not in SIDES:
        raise InputFileError(path, f"side '{side}' is not one of {', '.join(SIDES)}")
    try:
        rate = float(raw.get("nominal_rate_hz", 0.0))
    except (TypeError, ValueError, OverflowError):
        raise InputFileError(path, "sensor.nominal_rate_hz is not a number", 2) from None
    # 0 means "not stated" (the rate is then taken from the timestamps); NaN, infinity or a rate
    # no IMU streams at would poison every period computed from it.
    if not (math.isfinite(rate) and 0.0 <= rate <= MAX_RATE_HZ):
        raise InputFileError(path, f"sensor.nominal_rate_hz {raw.get('nominal_rate_hz')!r} is not a sample rate (0–{MAX_RATE_HZ:g} Hz)", 2)
    clock = raw.get("clock", "host")
    return SensorInfo(
        model=str(raw.get("model", "unknown")),
        placement=placement,
        side=side,
        nominal_rate_hz=rate,
        name=str(raw.get("name", "")),
        address=str(raw.get("address", "")),
        clock="device" if clock == "device" else "host",
    )


def read_session(path: Path, *, fast: bool | None = None) -> Session:
    """Read a session file; a recording cut off by a crash is read up to its last whole row.

    Big files go through pyarrow's CSV reader first (csvrows.parse_fast); whenever it declines or the
    file is bad, the exact path reads it again and words the error. `fast` forces the choice (tests).
    """
    return read_fast_or_exact(path, fast, _read_fast, _read_exact)


def _parse_head(name: str, lines: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Magic line, meta JSON and column header (the file's first three lines)."""
    if not lines or not lines[0].startswith(f"# {FORMAT_NAME}"):
        raise InputFileError(name, "not a sensortrack session file (missing magic line)", 1)
    version_text = lines[0][len(f"# {FORMAT_NAME}") :].strip()
    if version_text != str(FORMAT_VERSION):
        raise InputFileError(
            name, f"session format version '{version_text}' is not supported (this sensortrack reads {FORMAT_VERSION})", 1
        )
    if len(lines) < 3 or not lines[1].startswith("# meta "):
        raise InputFileError(name, "missing '# meta' line (file truncated in its header?)", 2)
    meta_json = _parse_meta(name, lines[1][len("# meta ") :], 2)
    header = lines[2].strip().split(",")
    if header[:4] != ["t_s", *ACC_COLUMNS]:
        raise InputFileError(name, f"header must start with t_s,{','.join(ACC_COLUMNS)}", 3)
    return meta_json, header


def _usecols(header: list[str]) -> tuple[list[int], bool, bool]:
    has_gyro = all(c in header for c in GYRO_COLUMNS)
    has_quat = all(c in header for c in QUAT_COLUMNS)
    usecols = [header.index(c) for c in ["t_s", *ACC_COLUMNS]]
    usecols += [header.index(c) for c in GYRO_COLUMNS] if has_gyro else []
    usecols += [header.index(c) for c in QUAT_COLUMNS] if has_quat else []
    return usecols, has_gyro, has_quat


def _gap_from_line(name: str, text: str, number: int) -> Gap:
    gap = _parse_meta(name, text[len("# gap ") :], number)
    try:
        parsed = Gap(float(gap["start_s"]), float(gap["end_s"]), int(gap["lost_samples"]))
    except (KeyError, TypeError, ValueError, OverflowError):  # int(inf): OverflowError
        raise InputFileError(name, "gap line needs start_s, end_s, lost_samples", number) from None
    if not (math.isfinite(parsed.start_s) and math.isfinite(parsed.end_s)) or parsed.lost_samples < 0:
        raise InputFileError(name, "gap line needs finite times and a count of at least 0", number)
    return parsed


def _read_fast(path: Path) -> Session | None:
    """The rows through pyarrow's CSV reader, comment lines cut out first; None to leave it to the exact path."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    head_end = -1
    for _ in range(3):
        head_end = raw.find(b"\n", head_end + 1)
        if head_end < 0:
            return None
    if raw.find(b"\r", 0, head_end) >= 0:
        return None  # read_text() would break the head's lines at this \r too: leave it to the exact path
    try:
        head = raw[:head_end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    meta_json, header = _parse_head(name, head.split("\n"))
    usecols, has_gyro, has_quat = _usecols(header)
    body = raw[head_end + 1 :]
    if not body.isascii():  # also the torn tail: the exact path decodes the whole file first
        return None
    # read_text() turns \r\n and a lone \r into \n: all three end a line here too.
    if body and not body.endswith((b"\n", b"\r")):
        last = max(body.rfind(b"\n"), body.rfind(b"\r")) + 1
        if not body[last:].startswith(b"# end"):
            body = body[:last]  # a crash can tear the last line; everything before it was flushed whole
    spans = line_spans(body, cr_is_break=True)
    if spans is None:
        return None
    starts, ends = spans
    filled = ends > starts
    first = np.frombuffer(body, dtype=np.uint8)[np.minimum(starts, max(len(body) - 1, 0))] if body else starts
    comment = filled & (first == ord("#"))
    rows = np.flatnonzero(filled & ~comment)
    recorded_gaps: list[Gap] = []
    event_lines: list[str] = []
    ended = False
    kept: list[bytes] = []
    cut = 0
    for i in np.flatnonzero(comment).tolist():
        line = body[starts[i] : ends[i]].decode("ascii")
        if line.startswith("# gap "):
            recorded_gaps.append(_gap_from_line(name, line, i + 4))
        elif line.startswith("# end"):
            ended = True
        elif is_event_line(line):
            event_lines.append(line)
        kept.append(body[cut : starts[i]])
        cut = int(ends[i])
    rows_text = body[cut:] if not kept else b"".join([*kept, body[cut:]])
    data = parse_fast(rows_text, len(header), usecols, rows.size)
    if data is None:
        return None
    return _session(name, meta_json, data, has_gyro, has_quat, recorded_gaps, not ended, rows + 4, event_lines)


def _read_exact(path: Path) -> Session:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputFileError(name, "not a text file (invalid UTF-8)") from None
    except OSError as exc:
        raise InputFileError(name, f"cannot read: {exc.strerror}") from None
    lines = text.split("\n")
    meta_json, header = _parse_head(name, lines)
    usecols, has_gyro, has_quat = _usecols(header)

    body = lines[3:]
    if not text.endswith("\n") and body and not body[-1].startswith("# end"):
        # A crash can tear the last line; everything before it was flushed whole.
        body = body[:-1]
    rows: list[str] = []
    row_lines: list[int] = []
    recorded_gaps: list[Gap] = []
    event_lines: list[str] = []
    ended = False
    for number, line in enumerate(body, start=4):
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("# gap "):
                recorded_gaps.append(_gap_from_line(name, line, number))
            elif line.startswith("# end"):
                ended = True
            elif is_event_line(line):
                event_lines.append(line)
            continue
        rows.append(line)
        row_lines.append(number)

    data = parse_rows(name, rows, row_lines, len(header), usecols)
    return _session(
        name, meta_json, data, has_gyro, has_quat, recorded_gaps, not ended, as_line_index(row_lines), event_lines
    )


def _session(
    name: str,
    meta_json: dict[str, Any],
    data: FloatArray,
    has_gyro: bool,
    has_quat: bool,
    recorded_gaps: list[Gap],
    interrupted: bool,
    line_of_row: NDArray[np.int64],
    event_lines: list[str] | None = None,
) -> Session:
    """Checks and metadata shared by both paths: every sample check belongs here, so both run it."""
    t_s, acc = data[:, 0].copy(), data[:, 1:4].copy()
    gyro = data[:, 4:7].copy() if has_gyro else None
    if gyro is not None and np.isnan(gyro).all():
        gyro = None  # recorded from an accelerometer-only sensor
    quat = data[:, -4:].copy() if has_quat else None
    check_samples(name, t_s, acc, gyro, line_of_row)
    keep, impossible = impossible_samples(name, t_s, acc, gyro)
    if not keep.all():
        t_s, acc = t_s[keep], acc[keep]
        gyro = None if gyro is None else gyro[keep]
        quat = None if quat is None else quat[keep]

    sensor = _sensor_from_json(name, meta_json.get("sensor"))
    exercise = meta_json.get("exercise")
    if exercise is not None and exercise not in EXERCISES:
        raise InputFileError(name, f"exercise '{exercise}' is not one of {', '.join(EXERCISES)}", 2)
    start_time_utc = meta_json.get("start_time_utc", "")
    if start_time_utc != "":
        problem = start_time_problem(start_time_utc) if isinstance(start_time_utc, str) else "start time is not text"
        if problem is not None:
            raise InputFileError(name, problem, 2)
    meta = SessionMeta(
        sensor=sensor,
        exercise=exercise,
        start_time_utc=start_time_utc,
        software_version=str(meta_json.get("software_version", "")),
        notes=str(meta_json.get("notes", "")),
        source=str(meta_json.get("source", "")),
        attribution=str(meta_json.get("attribution", "")),
    )
    samples = SampleBlock(t_s=t_s, acc_g=acc, gyro_dps=gyro, quat_wxyz=quat, sensor=sensor)
    gaps = merge_gaps(recorded_gaps + impossible, find_gaps(t_s, sensor.nominal_rate_hz))
    events = parse_events(event_lines or [])
    return Session(meta=meta, samples=samples, gaps=gaps, interrupted=interrupted, path=name, events=events)
