"""Polar Sensor Logger (Jukka Happonen's Android app for Polar H10, Verity Sense, OH1, ...).

Layout (the headers the app writes, as quoted by projects that read or mimic it, e.g.
`Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]` for ACC and
`Phone timestamp;sensor timestamp [ns];X [dps];Y [dps];Z [dps]` for GYRO; MAGN, PPG, ECG, HR and RR
go to their own files and are not used here):
- one semicolon-separated .txt per stream, named like Polar_<model>_<device id>_<yyyyMMddHHmmss>_ACC.txt
  and ..._GYRO.txt; a session is a folder (or zip) of them, or the ACC file alone;
- `Phone timestamp` is the phone's wall clock as text, `sensor timestamp [ns]` the sensor's own clock
  (nanoseconds since 2000-01-01, the same clock for ACC and GYRO of one device): the sensor clock is
  used, so ACC and GYRO align without the phone's Bluetooth delays;
- units are in the header brackets: ACC in mG (1/1000 g), GYRO in °/s. A header without a unit
  bracket, or with one the reader does not know, is refused as ambiguous.
"""

from __future__ import annotations

import re

import numpy as np

from sensortrack.core.errors import InputFileError
from sensortrack.core.formats.common import ACC_UNITS, GYRO_UNITS, AmbiguousUnitsError, Recording, Stream, unit_factor
from sensortrack.core.formats.sources import Source
from sensortrack.core.formats.table import read_table

NAME = "polar-sensor-logger"
TITLE = "Polar Sensor Logger export"
_HEADER = re.compile(r"^\s*Phone timestamp;sensor timestamp \[ns\];", re.IGNORECASE)
_AXIS = re.compile(r"^([XYZ])(?:\s*\[(.*)\])?$")
_FILENAME = re.compile(r"^Polar_(.+?)_([0-9A-Fa-f]{6,})_\d{8,14}_([A-Z]+)\.txt$")


def claims(heads: dict[str, str]) -> bool:
    return any(_HEADER.match(h) and re.search(r";\s*X(\s*\[|;)", h.splitlines()[0] + ";") for h in heads.values() if h.strip())


def _kind(member: str, columns: list[str]) -> str | None:
    """'acc', 'gyro' or None (another stream), from the file name or else the unit of X."""
    m = _FILENAME.match(member.rsplit("/", 1)[-1])
    if m:
        return {"ACC": "acc", "GYRO": "gyro", "GYR": "gyro"}.get(m.group(3))
    for column in columns:
        axis = _AXIS.match(column)
        if axis and axis.group(1) == "X":
            if (axis.group(2) or "").strip() == "G":  # the MAGN stream: gauss, not g
                return None
            unit = (axis.group(2) or "").lower()
            if unit in ACC_UNITS:
                return "acc"
            if unit in GYRO_UNITS:
                return "gyro"
            return "unknown"
    return None


def read(source: Source) -> Recording:
    found: dict[str, list[tuple[str, np.ndarray, Stream]]] = {"acc": [], "gyro": []}
    model = "Polar"
    for member in sorted(source.members):
        text = source.text(member)
        if not _HEADER.match(text):
            continue
        where = source.where(member)
        table = read_table(where, text, delimiter=";")
        kind = _kind(member, table.columns)
        if kind == "unknown":
            x = next(c for c in table.columns if _AXIS.match(c))
            raise AmbiguousUnitsError(where, f"column '{x}': cannot tell an accelerometer from a gyroscope by its unit")
        if kind is None:
            continue
        name_match = _FILENAME.match(member.rsplit("/", 1)[-1])
        if name_match:
            model = f"Polar {name_match.group(1).replace('_', ' ')}"
        units, quantity = (ACC_UNITS, "acceleration") if kind == "acc" else (GYRO_UNITS, "angular rate")
        cols = []
        for axis in "XYZ":
            column = next(
                ((i, m) for i, c in enumerate(table.columns) if (m := _AXIS.match(c)) and m.group(1) == axis), None
            )
            if column is None:
                raise InputFileError(where, f"has no {axis} column")
            index, match = column
            unit = match.group(2)
            cols.append(table.numbers(index) * unit_factor(where, table.columns[index], unit, units, quantity))
        ns = table.integers(table.index("sensor timestamp [ns]"))
        found[kind].append((member, ns, Stream(where, np.empty(0), np.column_stack(cols), table.lines)))
    if not found["acc"]:
        raise InputFileError(source.name, "Polar Sensor Logger export without an ACC file")
    if len(found["acc"]) > 1 or len(found["gyro"]) > 1:
        names = ", ".join(m for m, _, _ in found["acc"] + found["gyro"])
        raise InputFileError(source.name, f"holds more than one ACC or GYRO file ({names}): pass one sensor's files")
    origin = int(found["acc"][0][1][0])

    def timed(entry: tuple[str, np.ndarray, Stream]) -> Stream:
        _, ns, stream = entry
        # Subtract the origin as integers: 2^53 ns is only 104 days, the Polar clock counts from 2000.
        return Stream(stream.where, (ns - origin).astype(np.float64) / 1e9, stream.xyz, stream.line_of_row)

    acc = timed(found["acc"][0])
    gyro = timed(found["gyro"][0]) if found["gyro"] else None
    return Recording(fmt=NAME, model=model, acc=acc, gyro=gyro, clock="device")
