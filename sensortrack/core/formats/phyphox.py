"""phyphox (RWTH Aachen) exports: "Acceleration with g", "Linear Acceleration", "Gyroscope".

Layout (checked against phyphox's own experiment definitions, e.g. phyphox/phyphox-android
app/src/main/assets/experiments/accelerometer.phyphox, gyroscope.phyphox, linear_accelerometer.phyphox,
and the iOS exporter phyphox/phyphox-ios phyphox-iOS/phyphox/Experiments/Export/ExperimentExport.swift):
- one table per export set, header names quoted: "Time (s)","Acceleration x (m/s^2)",...,
  "Gyroscope x (rad/s)",..., "Linear Acceleration x (m/s^2)",... (newer versions add an
  "Absolute ..." column, ignored here); numbers like 9.364549000E-3;
- "CSV (Comma, decimal point)" writes one file per set; with several sets (or always on some
  versions) a zip "<experiment> <yyyy-MM-dd HH-mm-ss>.zip" holds "<set name>.csv" per set plus
  meta/device.csv and meta/time.csv; the tab and semicolon variants may use a decimal comma;
- time is seconds since the experiment started, shared by every sensor of one experiment;
- axes: phyphox uses Android's convention on both platforms (the iOS input multiplies Core Motion's
  g by kG = -9.81, phyphox-ios ExperimentSensorInput.swift), so at rest the axis pointing up reads
  +9.81 m/s²: the product's convention.
"Linear Acceleration" (without g) has no gravity: the analysis needs gravity to know the leg's
tilt, so such a file alone is refused with a line saying which experiment to record with.
"""

from __future__ import annotations

import re

import numpy as np

from sensortrack.core.errors import InputFileError
from sensortrack.core.formats.common import ACC_UNITS, GYRO_UNITS, Recording, Stream, unit_factor
from sensortrack.core.formats.sources import Source
from sensortrack.core.formats.table import Table, clean_name, first_line, read_table, sniff_delimiter

NAME = "phyphox"
TITLE = "phyphox export"
TIME = "Time (s)"
_COLUMN = re.compile(r"^(Linear Acceleration|Acceleration|Gyroscope) ([xyz])(?: \((.*)\))?$", re.IGNORECASE)


def _header_columns(head: str) -> list[str]:
    first = first_line(head)
    return [clean_name(f) for f in first.split(sniff_delimiter(first))]


def claims(heads: dict[str, str]) -> bool:
    for member, head in heads.items():
        if member.startswith("meta/"):
            continue
        columns = _header_columns(head)
        if columns and columns[0] == TIME and any(_COLUMN.match(c) for c in columns[1:]):
            return True
    return False


def _groups(table: Table) -> dict[str, dict[str, tuple[int, str | None]]]:
    """kind ('acc', 'linear', 'gyro') → axis → (column index, unit as written)."""
    out: dict[str, dict[str, tuple[int, str | None]]] = {}
    for i, name in enumerate(table.columns):
        m = _COLUMN.match(name)
        if not m:
            continue
        kind = {"linear acceleration": "linear", "acceleration": "acc", "gyroscope": "gyro"}[m.group(1).lower()]
        out.setdefault(kind, {})[m.group(2).lower()] = (i, m.group(3))
    return out


def _filled_rows(table: Table, columns: list[int]) -> int:
    """How many leading rows have all of `columns` filled. phyphox writes `""` where one buffer of a
    set is shorter than another (phyphox-ios ExperimentExportSet.swift): such a tail is dropped;
    an empty cell with filled ones after it is left for the number check to report."""
    flags = table.empty_rows(columns).tolist()
    first = next((i for i, e in enumerate(flags) if e), len(flags))
    return first if all(flags[first:]) else len(flags)


def _stream(table: Table, axes: dict[str, tuple[int, str | None]], units: dict[str, float], quantity: str) -> Stream:
    missing = [a for a in "xyz" if a not in axes]
    if missing:
        raise InputFileError(table.where, f"has no {quantity} column for axis {', '.join(missing)}")
    # A set may hold several sensors, each after its own "Time (s)" column: take the nearest one to the left.
    first = min(index for index, _ in axes.values())
    time_column = max((i for i, c in enumerate(table.columns[:first]) if c == TIME), default=table.index(TIME))
    used = [time_column] + [axes[a][0] for a in "xyz"]
    rows = _filled_rows(table, used)
    if rows < 2:
        raise InputFileError(table.where, f"fewer than two {quantity} samples")
    table = table.head(rows)
    t = table.numbers(time_column)
    cols = []
    for axis in "xyz":
        index, unit = axes[axis]
        cols.append(table.numbers(index) * unit_factor(table.where, table.columns[index], unit, units, quantity))
    return Stream(table.where, t, np.column_stack(cols), table.lines)


def read(source: Source) -> Recording:
    found: dict[str, Stream] = {}
    for member in sorted(source.members):
        if member.startswith("meta/"):  # device and time metadata, no samples
            continue
        text = source.text(member)
        columns = _header_columns(text)
        if not columns or columns[0] != TIME:
            continue
        table = read_table(source.where(member), text)
        groups = _groups(table)
        for kind, units, quantity in (("acc", ACC_UNITS, "acceleration"), ("linear", ACC_UNITS, "acceleration"),
                                      ("gyro", GYRO_UNITS, "angular rate")):
            if kind in groups and kind not in found:
                found[kind] = _stream(table, groups[kind], units, quantity)
    if "acc" not in found:
        if "linear" in found:
            raise InputFileError(
                source.name,
                "phyphox 'Linear Acceleration' has no gravity, which the analysis needs for the leg's tilt: "
                "record with phyphox's 'Acceleration with g' (and 'Gyroscope') instead",
            )
        raise InputFileError(source.name, "phyphox export without an accelerometer: record 'Acceleration with g'")
    return Recording(fmt=NAME, model="phone (phyphox)", acc=found["acc"], gyro=found.get("gyro"))
