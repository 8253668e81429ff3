"""Movella DOT (formerly Xsens DOT) app CSV exports.

Layout (the CSV writer of the Movella DOT Android SDK, class XsensDotLogger in
com.xsens.dot.android.sdk, which the app uses for its exports; Movella DOT user manual):
- metadata lines before the table, each padded with commas: `sep=,`, `DeviceTag:,<tag>`,
  `FirmwareVersion:,…`, `AppVersion:,…`, then (for live logs) `SyncStatus:,…`, `OutputRate:,60Hz`,
  `FilterProfile:,…`, `Measurement Mode:,…`, then `StartTime:,yyyy-MM-dd HH:mm:ss.SSS Z` and a
  copyright line, an empty line, and the header: `PacketCounter,SampleTimeFine,…` (with an optional
  `Label` column first); rows are written with ", " between fields, and exported recordings end each
  row with a separator;
- `SampleTimeFine` is the sensor clock in microseconds, an unsigned 32-bit counter that wraps
  every 2^32 µs (71.6 min): unwrapped here;
- `Acc_X,Acc_Y,Acc_Z` in m/s² (gravity included), `Gyr_X,Gyr_Y,Gyr_Z` in °/s; other columns (Euler,
  Quat, dq/dv, Mag, FreeAcc, Status) are ignored. An export with only `FreeAcc_*` (gravity removed)
  or only dq/dv is refused with a line saying which columns to export.
"""

from __future__ import annotations

from typing import cast

from datetime import UTC, datetime

import numpy as np

from sensortrack.core.errors import InputFileError
from sensortrack.core.formats.common import Recording, Stream
from sensortrack.core.formats.sources import Source
from sensortrack.core.formats.table import find_header_line, first_lines, read_table
from sensortrack.core.start_time import start_time_problem
from sensortrack.core.validation import STANDARD_GRAVITY_MS2

NAME = "movella-dot"
TITLE = "Movella DOT app export"
ACC = ("Acc_X", "Acc_Y", "Acc_Z")
GYRO = ("Gyr_X", "Gyr_Y", "Gyr_Z")
WRAP_US = 2**32


def _is_header(line: str) -> bool:
    fields = [f.strip().strip('"') for f in line.split(",")]
    return len(fields) > 1 and "PacketCounter" in fields[:2] and "SampleTimeFine" in fields


def _start_time(lines: list[str]) -> str:
    """The `StartTime:` line as ISO 8601 UTC ("" when absent or not a plausible time)."""
    for line in lines:
        if line.startswith("StartTime:,"):
            text = line.split(",")[1].strip()
            try:
                moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f %z")
            except ValueError:
                return ""
            iso = moment.astimezone(UTC).isoformat(timespec="seconds")
            return "" if start_time_problem(iso) is not None else iso
    return ""


def claims(heads: dict[str, str]) -> bool:
    return any(find_header_line(h.splitlines(), _is_header) is not None for h in heads.values())


def unwrap_us(raw: np.ndarray) -> np.ndarray:
    """A wrapping uint32 µs counter as a monotonic int64 (one wrap per backwards jump of > half the range)."""
    steps = np.diff(raw)
    wraps = np.concatenate([[0], np.cumsum(steps < -(WRAP_US // 2))])
    return cast("np.ndarray", raw + wraps * WRAP_US)


def read(source: Source) -> Recording:
    for member in sorted(source.members):
        text = source.text(member)
        header = find_header_line(first_lines(text, 60), _is_header)
        if header is None:
            continue
        where = source.where(member)
        table = read_table(where, text, header_index=header, delimiter=",")
        if not set(ACC) <= set(table.columns):
            if any(c.startswith("FreeAcc_") for c in table.columns):
                raise InputFileError(
                    where, "has free acceleration only (gravity removed), which the analysis cannot use: export Acc_X..Z and Gyr_X..Z"
                )
            raise InputFileError(where, "has no Acc_X, Acc_Y, Acc_Z columns: export the sensor data (Acc and Gyr)")
        us = unwrap_us(table.integers(table.index("SampleTimeFine")))
        t = (us - us[0]).astype(np.float64) / 1e6
        acc = np.column_stack([table.numbers(table.index(c)) for c in ACC]) / STANDARD_GRAVITY_MS2
        gyro = None
        if set(GYRO) <= set(table.columns):
            gyro = Stream(where, t, np.column_stack([table.numbers(table.index(c)) for c in GYRO]), table.lines)
        # One table holds both: the gyro shares the accelerometer's rows and timeline.
        return Recording(
            fmt=NAME,
            model="Movella DOT",
            acc=Stream(where, t, acc, table.lines),
            gyro=gyro,
            clock="device",
            start_time_utc=_start_time(first_lines(text, header)),
        )
    raise InputFileError(source.name, "no Movella DOT table (a header starting PacketCounter,SampleTimeFine)")
