"""What every phone/vendor-app reader shares: streams in product units, one timeline, one Session.

A reader turns its export into `Stream`s already in the product's units (s, g, °/s) and a
`Recording`; `to_session` puts the gyro onto the accelerometer's timeline and runs the same sample
checks as the interchange CSV (validation.py), so garbage and impossible values are refused or
dropped the same way whatever the format.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from sensortrack.core.errors import InputFileError
from sensortrack.core.interchange import read_sidecar
from sensortrack.core.model import ClockSource, FloatArray, SampleBlock, SensorInfo, Session, SessionMeta
from sensortrack.core.start_time import start_time_problem
from sensortrack.core.validation import (
    GAP_FACTOR,
    STANDARD_GRAVITY_MS2,
    check_samples,
    estimate_rate_hz,
    find_gaps,
    impossible_samples,
    median_magnitude,
    merge_gaps,
)

IntArray = NDArray[np.int64]
RAD_TO_DEG = 180.0 / math.pi


class AmbiguousUnitsError(InputFileError):
    """The format is known but its units (or axis signs) cannot be told from the file."""


# Unit spellings seen in the exports' headers, and the factor to the product's unit.
ACC_UNITS = {"g": 1.0, "mg": 1e-3, "m/s^2": 1 / STANDARD_GRAVITY_MS2, "m/s²": 1 / STANDARD_GRAVITY_MS2,
             "m/s2": 1 / STANDARD_GRAVITY_MS2, "ms^-2": 1 / STANDARD_GRAVITY_MS2}
GYRO_UNITS = {"°/s": 1.0, "deg/s": 1.0, "dps": 1.0, "degree per second": 1.0, "rad/s": RAD_TO_DEG}


def unit_factor(where: str, column: str, unit: str | None, table: dict[str, float], quantity: str) -> float:
    """The factor for `unit`, or a one-line AmbiguousUnitsError naming the column."""
    key = (unit or "").strip().lower()
    if key in table:
        return table[key]
    said = f"unit '{unit}'" if unit else "no unit"
    known = ", ".join(sorted(set(table)))
    raise AmbiguousUnitsError(where, f"column '{column}' gives {said} for {quantity}: cannot tell how to convert it (known: {known})")


@dataclass(frozen=True, slots=True, eq=False)
class Stream:
    """One sensor's samples: time in seconds from the recording's origin, values in product units."""

    where: str
    t_s: FloatArray
    xyz: FloatArray
    line_of_row: IntArray


@dataclass(frozen=True, slots=True, eq=False)
class Recording:
    fmt: str  # short name: "phyphox", "sensor-logger", ...
    model: str
    acc: Stream  # g, gravity included
    gyro: Stream | None  # °/s
    clock: ClockSource = "host"
    start_time_utc: str = ""
    notes: str = ""


def utc_from_epoch_ns(ns: int) -> str:
    """ISO 8601 UTC for a Unix-epoch nanosecond stamp; "" when it is no plausible start time (a phone
    with a wrong clock: the import date stands in, as for plain CSVs)."""
    try:
        text = datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return ""
    return "" if start_time_problem(text) is not None else text


# A body-worn sensor reads about 1 g at rest and at exercise pace; a median far below that after
# converting means the file's numbers are in another unit than its format documents (g written
# where m/s² is expected reads ~0.1 g). check_samples catches the other direction (> 4 g).
MIN_MEDIAN_NORM_G = 0.3


def check_gravity_scale(rec: Recording) -> None:
    norm = median_magnitude(rec.acc.xyz)
    if norm < MIN_MEDIAN_NORM_G:
        hint = " — were the values written in g?" if 0.07 < norm < 0.14 else ""
        raise AmbiguousUnitsError(
            rec.acc.where,
            f"acceleration converted to g has a median magnitude of {norm:.3f} (expected about 1): the file's units "
            f"do not match what the {rec.fmt} format documents{hint}, or the recording has no gravity",
        )


def check_stream_times(stream: Stream) -> None:
    """Finite, strictly increasing time and finite values: the checks check_samples makes on the
    accelerometer, for a stream that is only interpolated from."""
    finite = np.isfinite(stream.t_s) & np.all(np.isfinite(stream.xyz), axis=1)
    if not finite.all():
        row = int(np.argmin(finite))
        raise InputFileError(stream.where, "value is NaN or infinite", int(stream.line_of_row[row]))
    dt = np.diff(stream.t_s)
    bad = np.flatnonzero(dt <= 0)
    if bad.size:
        row = int(bad[0]) + 1
        how = "repeats" if dt[bad[0]] == 0 else "goes backwards"
        raise InputFileError(
            stream.where,
            f"time {how} ({stream.t_s[row - 1]:.6f} s then {stream.t_s[row]:.6f} s)",
            int(stream.line_of_row[row]),
        )
    if stream.t_s.size < 2:
        raise InputFileError(stream.where, "fewer than two samples: at least two are needed to know the sample rate")


def untie_times(t_s: FloatArray) -> FloatArray:
    """Spread runs of equal timestamps evenly up to the next distinct one.

    Apps that stamp samples on arrival give every sample of one BLE notification the same time
    (WitMotion packs several records in a notification); the samples are still distinct and in
    order. Times that go backwards are left alone: check_samples refuses those.
    """
    n = t_s.size
    if n < 2 or not (np.diff(t_s) == 0).any():
        return t_s
    out = t_s.copy()
    start = 0
    while start < n:
        end = start
        while end + 1 < n and t_s[end + 1] == t_s[start]:
            end += 1
        if end > start:
            if end + 1 < n:
                step = (t_s[end + 1] - t_s[start]) / (end - start + 1)
            else:  # the last run: the median step of the whole recording
                diffs = np.diff(np.unique(t_s))
                step = float(np.median(diffs)) / (end - start + 1) if diffs.size else 1e-3
            out[start : end + 1] = t_s[start] + step * np.arange(end - start + 1)
        start = end + 1
    return out


def resample_onto(target_t: FloatArray, stream: Stream) -> tuple[FloatArray, NDArray[np.bool_]]:
    """`stream`'s values at `target_t` (linear interpolation) and which targets could be given one.

    A target outside the stream's span, or between two stream samples further apart than a gap
    (GAP_FACTOR median periods), gets none: those samples are dropped and show as gaps instead of
    being invented.
    """
    t = stream.t_s
    idx = np.searchsorted(t, target_t)
    inside = (target_t >= t[0]) & (target_t <= t[-1])
    left = np.clip(idx - 1, 0, t.size - 1)
    right = np.clip(idx, 0, t.size - 1)
    exact = t[right] == target_t
    span = t[right] - t[left]
    period = float(np.median(np.diff(t)))
    ok = inside & (exact | (span <= GAP_FACTOR * period))
    values = np.column_stack([np.interp(target_t, t, stream.xyz[:, k]) for k in range(stream.xyz.shape[1])])
    return values, ok


def to_session(path_name: str, sidecar_base: str, rec: Recording) -> Session:
    """The recording as a Session: gyro on the accelerometer's timeline, the shared sample checks,
    impossible samples dropped and marked as gaps, the sidecar's exercise/placement/side applied."""
    from pathlib import Path

    check_gravity_scale(rec)
    acc = rec.acc
    t_s, acc_g, lines = acc.t_s, acc.xyz, acc.line_of_row
    gyro = None
    if rec.gyro is not None:
        check_stream_times(rec.gyro)
        check_samples(acc.where, t_s, acc_g, None, lines)  # before resampling: errors name the real line
        gyro, ok = resample_onto(t_s, rec.gyro)
        if not ok.any():
            raise InputFileError(path_name, "the accelerometer and gyroscope recordings do not overlap in time")
        t_s, acc_g, gyro, lines = t_s[ok], acc_g[ok], gyro[ok], lines[ok]
    check_samples(acc.where, t_s, acc_g, gyro, lines)
    if t_s.size < 2:
        raise InputFileError(path_name, "only one sample: at least two are needed to know the sample rate")
    keep, impossible = impossible_samples(path_name, t_s, acc_g, gyro)
    if not keep.all():
        t_s, acc_g = t_s[keep], acc_g[keep]
        gyro = None if gyro is None else gyro[keep]
    # a JSON export (Sensor Logger's) would be its own NAME.json sidecar: it has none
    side_info = {} if Path(sidecar_base).suffix.lower() == ".json" else read_sidecar(Path(sidecar_base))
    rate_hz = estimate_rate_hz(t_s)
    sensor = SensorInfo(
        model=str(side_info.get("model", rec.model)),
        placement=side_info.get("placement"),
        side=side_info.get("side"),
        nominal_rate_hz=round(rate_hz, 3),
        clock=rec.clock,
    )
    meta = SessionMeta(
        sensor=sensor,
        exercise=side_info.get("exercise"),
        start_time_utc=rec.start_time_utc,
        source=f"import:{rec.fmt}",
        notes=str(side_info.get("notes", rec.notes)),
        attribution=str(side_info.get("attribution", "")),
    )
    samples = SampleBlock(t_s=t_s, acc_g=acc_g, gyro_dps=gyro, sensor=sensor)
    return Session(meta=meta, samples=samples, gaps=merge_gaps(impossible, find_gaps(t_s, rate_hz)), path=path_name)
