"""The sensortrack session file (format versions 1 and 2): a self-describing CSV written while recording.

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

Version 2 holds two (or more) sensors recorded together: the meta line lists them under "sensors",
every row ends with a `sensor` column (0, 1, …: its index there) and gap lines say which sensor
lost samples. Each sensor's t_s increases on its own; rows of the sensors interleave as they arrived.
A single sensor is still written as version 1, and version 1 files read as before.
"""

from __future__ import annotations

import codecs
import io
import json
import math
import os
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

import numpy as np
from numpy.typing import NDArray

from sensortrack import __version__
from sensortrack.core.csvrows import as_line_index, line_spans, parse_fast, parse_rows, read_fast_or_exact
from sensortrack.core.errors import InputFileError
from sensortrack.core.session_events import exercise_line, is_event_line, note_line, parse_events
from sensortrack.core.model import (
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
from sensortrack.core.start_time import start_time_problem
from sensortrack.core.validation import (
    MAX_RATE_HZ,
    check_samples,
    find_gaps,
    impossible_samples,
    merge_gaps,
)

FORMAT_NAME = "sensortrack-session"
FORMAT_VERSION = 1
PAIR_FORMAT_VERSION = 2  # two or more sensors in one file (the `sensor` column)
READ_VERSIONS = (FORMAT_VERSION, PAIR_FORMAT_VERSION)
MAGIC = f"# {FORMAT_NAME} {FORMAT_VERSION}"
SENSOR_COLUMN = "sensor"
MAX_SENSORS = 8
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
    """True when the file starts with the session magic line (cheap: reads its first bytes)."""
    try:
        with path.open("rb") as fh:
            return is_session_head(fh.read(len(codecs.BOM_UTF8) + len(_SESSION_MAGIC)))
    except OSError:
        return False


# The magic line's start, in bytes (ASCII): a first line that begins with it, after a byte-order mark
# that an editor saving as UTF-8 with one (Notepad) may add, makes a session file.
_SESSION_MAGIC = f"# {FORMAT_NAME}".encode("ascii")


def is_session_head(head: bytes) -> bool:
    """`is_session_file` for a file's first bytes (at least the magic's length and a BOM's)."""
    return head.removeprefix(codecs.BOM_UTF8).startswith(_SESSION_MAGIC)


def _meta_to_json(meta: SessionMeta, columns: list[str], companions: tuple[SensorInfo, ...] = ()) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if companions:
        extra["sensors"] = [asdict(meta.sensor), *(asdict(c) for c in companions)]
    return {
        "format": FORMAT_NAME,
        "version": PAIR_FORMAT_VERSION if companions else FORMAT_VERSION,
        "columns": columns,
        "units": UNITS,
        "sensor": asdict(meta.sensor),
        "exercise": meta.exercise,
        "start_time_utc": meta.start_time_utc or datetime.now(UTC).isoformat(timespec="seconds"),
        "software_version": meta.software_version or __version__,
        "source": meta.source,
        "notes": meta.notes,
        "attribution": meta.attribution,
        **extra,
    }


_Block = TypeVar("_Block", bound=SampleBlock)
# Decimals a session file keeps: times and g to 1 µs / 1 µg, °/s to 1e-4 (far below any sensor's
# noise), orientation quaternions to 1e-6.
DECIMALS_S = 6
DECIMALS_G = 6
DECIMALS_DPS = 4
DECIMALS_QUAT = 6


def as_stored(block: _Block) -> _Block:
    """`block` rounded as its session file keeps it, so that what a live view analyses is exactly
    what `analyze` of the file reads (rounding 27.1025 s one way live and the other way from the
    file moved a reported time by 1 ms). Rounding to `n` decimals and printing `%.nf` then parsing
    give the same double, so the file reads back these very numbers."""
    return replace(
        block,
        t_s=np.round(block.t_s, DECIMALS_S),
        acc_g=np.round(block.acc_g, DECIMALS_G),
        gyro_dps=None if block.gyro_dps is None else np.round(block.gyro_dps, DECIMALS_DPS),
        quat_wxyz=None if block.quat_wxyz is None else np.round(block.quat_wxyz, DECIMALS_QUAT),
    )


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
        companions: tuple[SensorInfo, ...] = (),
    ) -> None:
        """`companions`: the other sensors of a two-sensor session (format version 2); their
        blocks and gaps go in with `sensor=1, 2, …`."""
        self.path = Path(path)
        self._columns = ["t_s", *ACC_COLUMNS]
        self._columns += GYRO_COLUMNS if gyro else []
        self._columns += QUAT_COLUMNS if quaternion else []
        self._sensors = 1 + len(companions)
        if companions:
            self._columns.append(SENSOR_COLUMN)
        self._gyro = gyro
        self._quat = quaternion
        self._flush_interval_s = flush_interval_s
        self._samples = 0
        self._pending = io.StringIO()
        self._last_flush = time.monotonic()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # "x": never overwrite an existing recording.
        self._fh: TextIO | None = self.path.open("x", encoding="utf-8", newline="\n")
        header = json.dumps(_meta_to_json(meta, self._columns, companions), ensure_ascii=False)
        version = PAIR_FORMAT_VERSION if companions else FORMAT_VERSION
        self._fh.write(f"# {FORMAT_NAME} {version}\n# meta {header}\n{','.join(self._columns)}\n")
        self._sync()

    @property
    def samples_written(self) -> int:
        return self._samples

    def append(self, block: SampleBlock, sensor: int = 0) -> None:
        """Queue a block's rows (of sensor number `sensor`); they reach the disk within `flush_interval_s`."""
        if len(block) == 0:
            return
        if not 0 <= sensor < self._sensors:
            raise ValueError(f"sensor {sensor} is not one of this file's {self._sensors}")
        parts = [block.t_s[:, None], block.acc_g]
        fmt = [f"%.{DECIMALS_S}f"] + [f"%.{DECIMALS_G}f"] * 3
        if self._gyro:
            gyro = block.gyro_dps if block.gyro_dps is not None else np.full((len(block), 3), np.nan)
            parts.append(gyro)
            fmt += [f"%.{DECIMALS_DPS}f"] * 3
        if self._quat:
            quat = block.quat_wxyz if block.quat_wxyz is not None else np.full((len(block), 4), np.nan)
            parts.append(quat)
            fmt += [f"%.{DECIMALS_QUAT}f"] * 4
        if self._sensors > 1:
            parts.append(np.full((len(block), 1), float(sensor)))
            fmt.append("%d")
        np.savetxt(self._pending, np.hstack(parts), fmt=fmt, delimiter=",")
        self._samples += len(block)
        self._maybe_flush()

    def add_gap(self, gap: Gap, sensor: int = 0) -> None:
        """Write down samples known to be lost (from sequence numbers or a link drop)."""
        fields_ = asdict(gap) | ({"sensor": sensor} if self._sensors > 1 else {})
        self._pending.write(f"# gap {json.dumps(fields_)}\n")
        self._maybe_flush()

    def add_event(self, line: str) -> None:
        """An exercise change or a set note (sensortrack.core.session_events), where it happened in the stream."""
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
    streams = (session, *session.companions)
    with SessionWriter(
        path,
        session.meta,
        gyro=any(s.samples.gyro_dps is not None for s in streams),
        quaternion=any(s.samples.quat_wxyz is not None for s in streams),
        flush_interval_s=1e9,
        companions=tuple(c.meta.sensor for c in session.companions),
    ) as writer:
        for index, stream in enumerate(streams):  # one sensor after the other: each stays in time order
            samples = stream.samples
            start = 0
            for gap in stream.gaps:  # interleave gap lines where they happened, as a recorder would
                stop = int(np.searchsorted(samples.t_s, gap.end_s))
                writer.append(samples.slice(start, stop), index)
                writer.add_gap(gap, index)
                start = stop
            writer.append(samples.slice(start, len(samples)), index)
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
    if version_text not in {str(v) for v in READ_VERSIONS}:
        readable = " and ".join(str(v) for v in READ_VERSIONS)
        raise InputFileError(
            name, f"session format version '{version_text}' is not supported (this sensortrack reads {readable})", 1
        )
    if len(lines) < 3 or not lines[1].startswith("# meta "):
        raise InputFileError(name, "missing '# meta' line (file truncated in its header?)", 2)
    meta_json = _parse_meta(name, lines[1][len("# meta ") :], 2)
    header = lines[2].strip().split(",")
    if header[:4] != ["t_s", *ACC_COLUMNS]:
        raise InputFileError(name, f"header must start with t_s,{','.join(ACC_COLUMNS)}", 3)
    if version_text == str(PAIR_FORMAT_VERSION):
        if header[-1] != SENSOR_COLUMN:
            raise InputFileError(name, f"a version {PAIR_FORMAT_VERSION} header must end with the '{SENSOR_COLUMN}' column", 3)
        sensors = meta_json.get("sensors")
        if not isinstance(sensors, list) or not 2 <= len(sensors) <= MAX_SENSORS:
            raise InputFileError(name, f"a version {PAIR_FORMAT_VERSION} file lists 2–{MAX_SENSORS} sensors under 'sensors'", 2)
    elif SENSOR_COLUMN in header:
        raise InputFileError(name, f"the '{SENSOR_COLUMN}' column needs format version {PAIR_FORMAT_VERSION}", 3)
    return meta_json, header


def _usecols(header: list[str]) -> tuple[list[int], bool, bool]:
    has_gyro = all(c in header for c in GYRO_COLUMNS)
    has_quat = all(c in header for c in QUAT_COLUMNS)
    usecols = [header.index(c) for c in ["t_s", *ACC_COLUMNS]]
    usecols += [header.index(c) for c in GYRO_COLUMNS] if has_gyro else []
    usecols += [header.index(c) for c in QUAT_COLUMNS] if has_quat else []
    usecols += [header.index(SENSOR_COLUMN)] if header[-1] == SENSOR_COLUMN else []
    return usecols, has_gyro, has_quat


def _gap_from_line(name: str, text: str, number: int) -> Gap:
    return _sensor_gap_from_line(name, text, number)[1]


def _sensor_gap_from_line(name: str, text: str, number: int) -> tuple[int, Gap]:
    """(sensor index, gap): version 2 gap lines say which sensor lost the samples (default 0)."""
    gap = _parse_meta(name, text[len("# gap ") :], number)
    try:
        parsed = Gap(float(gap["start_s"]), float(gap["end_s"]), int(gap["lost_samples"]))
        sensor = int(gap.get("sensor", 0))
    except (KeyError, TypeError, ValueError, OverflowError):  # int(inf): OverflowError
        raise InputFileError(name, "gap line needs start_s, end_s, lost_samples", number) from None
    if not (math.isfinite(parsed.start_s) and math.isfinite(parsed.end_s)) or parsed.lost_samples < 0:
        raise InputFileError(name, "gap line needs finite times and a count of at least 0", number)
    if not 0 <= sensor < MAX_SENSORS:
        raise InputFileError(name, f"gap line's sensor {sensor} is not a sensor of this file", number)
    return sensor, parsed


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
        head = raw[:head_end].decode("utf-8-sig")  # (a byte-order mark is not part of the magic line)
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
    recorded_gaps: list[tuple[int, Gap]] = []
    event_lines: list[str] = []
    ended = False
    kept: list[bytes] = []
    cut = 0
    for i in np.flatnonzero(comment).tolist():
        line = body[starts[i] : ends[i]].decode("ascii")
        if line.startswith("# gap "):
            recorded_gaps.append(_sensor_gap_from_line(name, line, i + 4))
        elif line.startswith("# end"):
            ended = True
        elif is_event_line(line):
            event_lines.append(line)
        kept.append(body[cut : starts[i]])
        cut = int(ends[i])
    rows_text = body[cut:] if not kept else b"".join([*kept, body[cut:]])
    parsed = parse_fast(rows_text, len(header), [usecols], rows.size)
    if parsed is None:
        return None
    data = parsed[0]
    return _session(name, meta_json, data, has_gyro, has_quat, recorded_gaps, not ended, rows + 4, event_lines)


def _read_exact(path: Path) -> Session:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
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
    recorded_gaps: list[tuple[int, Gap]] = []
    event_lines: list[str] = []
    ended = False
    for number, line in enumerate(body, start=4):
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("# gap "):
                recorded_gaps.append(_sensor_gap_from_line(name, line, number))
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
    recorded_gaps: list[tuple[int, Gap]],
    interrupted: bool,
    line_of_row: NDArray[np.int64],
    event_lines: list[str] | None = None,
) -> Session:
    """Checks and metadata shared by both paths: every sample check belongs here, so both run it.
    A version 2 file is split by its `sensor` column into one Session per sensor (the first one
    returned, the others as its companions)."""
    sensors = meta_json.get("sensors") if meta_json.get("version") == PAIR_FORMAT_VERSION else None
    if not isinstance(sensors, list):
        return _stream(name, meta_json, meta_json.get("sensor"), data, has_gyro, has_quat,
                       [g for _, g in recorded_gaps], interrupted, line_of_row, event_lines)
    index = data[:, -1]
    bad = ~np.isin(index, np.arange(len(sensors)))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputFileError(name, f"sensor {index[first]:g} is not one of the {len(sensors)} sensors in the metadata",
                             int(line_of_row[first]))
    streams = []
    for k, sensor_json in enumerate(sensors):
        rows = index == k
        if not rows.any():
            raise InputFileError(name, f"sensor {k} ({_describe(sensor_json)}) has no samples in this file")
        streams.append(_stream(name, meta_json, sensor_json, data[rows, :-1], has_gyro, has_quat,
                               [g for s, g in recorded_gaps if s == k], interrupted, line_of_row[rows], event_lines))
    return replace(streams[0], companions=tuple(streams[1:]))


def _describe(sensor_json: object) -> str:
    if isinstance(sensor_json, dict):
        return f"{sensor_json.get('placement') or '?'} {sensor_json.get('side') or '?'}"
    return "not described"


def _stream(
    name: str,
    meta_json: dict[str, Any],
    sensor_json: object,
    data: FloatArray,
    has_gyro: bool,
    has_quat: bool,
    recorded_gaps: list[Gap],
    interrupted: bool,
    line_of_row: NDArray[np.int64],
    event_lines: list[str] | None = None,
) -> Session:
    """One sensor's samples, checked, with the file's metadata."""
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

    sensor = _sensor_from_json(name, sensor_json)
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
