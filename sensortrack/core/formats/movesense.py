"""Movesense Showcase app (Android) CSV logs.

Layout (the Showcase sample app in Movesense's mobile library, ImuActivity: header
`Timestamp,AccX,AccY,AccZ,GyroX,GyroY,GyroZ,MagnX,MagnY,MagnZ` for every IMU variant; IMU6 rows
carry only the first seven fields; `Timestamp` is the sensor's millisecond clock, interpolated within
a notification; values printed with "%.6f"):
- units are not in the header; the Movesense API fixes them: /Meas/Acc and the IMU paths give
  m/s², /Meas/Gyro °/s (Movesense API yaml; the project's driver notes, docs/ble-protocols
  reference §2);
- the single-sensor screens of the same app log `Timestamp,X: (m/s^2),...` or
  `Timestamp,X: (degree per second),...` (unit in the header), one file per sensor: a folder or zip of
  an accelerometer and a gyroscope log is joined on the sensor clock;
- "%.6f" follows the phone's locale: with a decimal comma every value splits into two fields, and a
  file whose rows have more fields than its header cannot be read back unambiguously: refused.
"""

from __future__ import annotations

import re

import numpy as np

from sensortrack.core.errors import InputFileError
from sensortrack.core.formats.common import ACC_UNITS, GYRO_UNITS, AmbiguousUnitsError, Recording, Stream, unit_factor
from sensortrack.core.formats.sources import Source
from sensortrack.core.formats.table import Table, first_line, read_table
from sensortrack.core.validation import STANDARD_GRAVITY_MS2

NAME = "movesense-showcase"
TITLE = "Movesense Showcase app log"
IMU_ACC = ("AccX", "AccY", "AccZ")
IMU_GYRO = ("GyroX", "GyroY", "GyroZ")
_SINGLE = re.compile(r"^([XYZ]):\s*\((.*)\)$")


def _columns(head: str) -> list[str]:
    first = first_line(head)
    return [c.strip() for c in first.split(",")]


def _layout(columns: list[str]) -> str | None:
    if not columns or not columns[0].startswith("Timestamp"):
        return None
    if set(IMU_ACC) <= set(columns):
        return "imu"
    if any(_SINGLE.match(c) for c in columns[1:]):
        return "single"
    return None


def claims(heads: dict[str, str]) -> bool:
    return any(_layout(_columns(h)) for h in heads.values())


def _check_decimal_comma(table: Table, needed: int) -> None:
    width = len(table.columns)
    if table.max_width > width:
        raise AmbiguousUnitsError(
            table.where,
            f"rows have more fields than the header ({width}): the app wrote decimal commas into a "
            "comma-separated file, so the numbers cannot be told apart — set the phone to a locale with a "
            "decimal point and export again",
        )
    if table.min_width < needed:
        row = next(i for i, r in enumerate(table.rows) if len(r) < needed)
        found = len(table.rows[row])
        raise InputFileError(table.where, f"expected at least {needed} fields, found {found} (truncated line?)", table.line_numbers[row])


def read(source: Source) -> Recording:
    acc: Stream | None = None
    gyro: Stream | None = None
    for member in sorted(source.members):
        text = source.text(member)
        layout = _layout(_columns(text))
        if layout is None:
            continue
        where = source.where(member)
        table = read_table(where, text, delimiter=",")
        t = table.numbers(0) / 1000.0  # the sensor's millisecond clock
        if layout == "imu":
            has_gyro = set(IMU_GYRO) <= set(table.columns)
            needed = 1 + 3 + (3 if has_gyro else 0)
            _check_decimal_comma(table, needed)
            a = np.column_stack([table.numbers(table.index(c)) for c in IMU_ACC]) / STANDARD_GRAVITY_MS2
            acc = acc or Stream(where, t, a, table.lines)
            if has_gyro:
                g = np.column_stack([table.numbers(table.index(c)) for c in IMU_GYRO])
                gyro = gyro or Stream(where, t, g, table.lines)
            continue
        _check_decimal_comma(table, 4)
        axes = {m.group(1): (i, m.group(2)) for i, c in enumerate(table.columns) if (m := _SINGLE.match(c))}
        if set(axes) != {"X", "Y", "Z"}:
            raise InputFileError(where, "needs X, Y and Z columns")
        unit = axes["X"][1].strip().lower()
        kind = "acc" if unit in ACC_UNITS else "gyro" if unit in GYRO_UNITS else None
        if kind is None:
            raise AmbiguousUnitsError(where, f"column '{table.columns[axes['X'][0]]}': unit '{axes['X'][1]}' is neither an acceleration nor an angular rate the reader knows")
        units, quantity = (ACC_UNITS, "acceleration") if kind == "acc" else (GYRO_UNITS, "angular rate")
        values = np.column_stack([
            table.numbers(axes[a][0]) * unit_factor(where, table.columns[axes[a][0]], axes[a][1], units, quantity)
            for a in "XYZ"
        ])
        stream = Stream(where, t, values, table.lines)
        if kind == "acc":
            acc = acc or stream
        else:
            gyro = gyro or stream
    if acc is None:
        raise InputFileError(source.name, "Movesense Showcase log without accelerometer columns")
    origin = float(acc.t_s[0])
    acc = Stream(acc.where, acc.t_s - origin, acc.xyz, acc.line_of_row)
    if gyro is not None:
        gyro = Stream(gyro.where, gyro.t_s - origin, gyro.xyz, gyro.line_of_row)
    return Recording(fmt=NAME, model="Movesense", acc=acc, gyro=gyro, clock="device")
