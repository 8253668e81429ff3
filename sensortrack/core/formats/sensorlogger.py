"""Sensor Logger (Kelvin Choi's app, iOS and Android): a folder or zip of one CSV per sensor.

Layout (tszheichoi/awesome-sensor-logger UNITS.md, COORDINATES.md, CROSSPLATFORM.md; the column
order is confirmed by published recordings, e.g. the RoNIN-format notes quoting
"time,seconds_elapsed,z,y,x"):
- Accelerometer.csv, Gravity.csv, Gyroscope.csv (and on Android TotalAcceleration.csv), each
  `time,seconds_elapsed,z,y,x`: `time` in nanoseconds since the Unix epoch, `seconds_elapsed` in
  seconds since the recording started; acceleration and gravity in m/s² (g = 9.80665 m/s²),
  rotation rate in rad/s;
- Accelerometer.csv is acceleration WITHOUT gravity (user-induced motion only) on both platforms;
  TotalAcceleration.csv (Android) includes it. Total = Accelerometer + Gravity (UNITS.md: "You may
  create acceleration with gravity by combining the Accelerometer and Gravity sensor readings");
- Metadata.csv says `platform` (ios / android) and `standardisation` (true / false). On iOS, unless
  "Standardise Units & Frames" is on, acceleration and gravity carry the opposite sign in all three
  axes (gravity flat on a table: -z on iOS, +z on Android); rotation rates agree. The product wants
  Android's convention (the axis pointing up reads +1 g at rest), so iOS values are negated.
Without Metadata.csv (and without TotalAcceleration.csv, which only Android writes) the sign cannot
be told: the reader says so instead of guessing.

The JSON export (awesome-sensor-logger README.md, "File Handling → JSON") is one file: an array of
objects, one per sample, each naming its `sensor` ("Accelerometer", "Gravity", "Gyroscope", ...)
beside `time` (ns, as a string), `seconds_elapsed` and `z`, `y`, `x` (strings of numbers), grouped
by sensor and sorted by time; the recording's metadata is one more object with `"sensor":
"Metadata"` and the keys of Metadata.csv (`platform`, ...), as in published exports. It is read as
the CSV export with one table per sensor (errors name the sensor as `FILE.json/Accelerometer.csv`);
objects of other sensors are ignored, and records that are not objects are counted and skipped.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import numpy as np

from sensortrack.core.errors import InputFileError
from sensortrack.core.formats.common import (
    RAD_TO_DEG,
    AmbiguousUnitsError,
    Recording,
    Stream,
    resample_onto,
    check_stream_times,
    utc_from_epoch_ns,
)
from sensortrack.core.formats.sources import Source
from sensortrack.core.formats.table import Table, first_line, read_table
from sensortrack.core.validation import STANDARD_GRAVITY_MS2, median_magnitude

NAME = "sensor-logger"
TITLE = "Sensor Logger export"
HEADER_START = ("time", "seconds_elapsed")
SENSOR_FILES = ("Accelerometer.csv", "TotalAcceleration.csv", "Gravity.csv", "Gyroscope.csv")


def _is_sensor_header(head: str) -> bool:
    first = first_line(head)
    names = [f.strip().strip('"') for f in first.split(",")]
    return tuple(names[:2]) == HEADER_START and {"x", "y", "z"} <= set(names)


def _is_json_export(head: str) -> bool:
    """The start of an array of objects with the app's keys (a head may end mid-record)."""
    text = head.lstrip()
    return text.startswith("[") and '"sensor"' in text and '"seconds_elapsed"' in text


def claims(heads: dict[str, str]) -> bool:
    return any(_is_sensor_header(h) or _is_json_export(h) for h in heads.values())


# The JSON keys turned into each CSV table's columns, in the app's CSV column order.
_JSON_COLUMNS = ("time", "seconds_elapsed", "z", "y", "x")


def _tables_from_json(source: Source, member: str) -> tuple[dict[str, bytes], int]:
    """The JSON export as the CSV export's members ("<sensor>.csv"), and how many records were
    skipped as not being objects with a sensor name."""
    try:
        records = json.loads(source.text(member))
    except json.JSONDecodeError as exc:
        raise InputFileError(source.where(member), f"is not valid JSON ({exc.msg})", exc.lineno) from None
    if not isinstance(records, list):
        raise InputFileError(source.where(member), "a Sensor Logger JSON export is an array of records; this is not")
    rows: dict[str, list[list[str]]] = {}
    metadata: dict[str, str] | None = None
    skipped = 0
    wanted = {name[: -len(".csv")] for name in SENSOR_FILES}
    for record in records:
        if not isinstance(record, dict) or not isinstance(record.get("sensor"), str):
            skipped += 1
            continue
        sensor = record["sensor"]
        if sensor == "Metadata" and metadata is None:
            metadata = {str(k): str(v) for k, v in record.items() if k != "sensor"}
        elif sensor in wanted:
            rows.setdefault(sensor, []).append(["" if record.get(k) is None else str(record.get(k))
                                                for k in _JSON_COLUMNS])
    members: dict[str, bytes] = {}
    for sensor, table in rows.items():
        members[f"{sensor}.csv"] = _csv_bytes(list(_JSON_COLUMNS), table)
    if metadata is not None:
        members["Metadata.csv"] = _csv_bytes(list(metadata), [list(metadata.values())])
    return members, skipped


def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _members(source: Source) -> dict[str, str]:
    """basename → member for the files this reader uses (a single file counts as itself)."""
    out: dict[str, str] = {}
    for member in sorted(source.members):
        base = source.basename(member)
        if base in SENSOR_FILES + ("Metadata.csv",) and base not in out:
            out[base] = member
    return out


def _read(source: Source, member: str) -> tuple[Table, np.ndarray, np.ndarray]:
    """(table, time in ns, x/y/z as floats in file units)."""
    table = read_table(source.where(member), source.text(member), delimiter=",")
    time_ns = table.integers(table.index("time"))
    xyz = np.column_stack([table.numbers(table.index(axis)) for axis in "xyz"])
    return table, time_ns, xyz


def _sign(source: Source, members: dict[str, str]) -> float:
    if "TotalAcceleration.csv" in members:
        return 1.0  # only the Android app writes it
    if "Metadata.csv" not in members:
        raise AmbiguousUnitsError(
            source.name,
            "Sensor Logger recording without Metadata.csv: iOS and Android record acceleration with opposite "
            "signs and nothing else tells them apart — include Metadata.csv from the same export",
        )
    where = source.where(members["Metadata.csv"])
    table = read_table(where, source.text(members["Metadata.csv"]), delimiter=",")
    columns = [c.lower() for c in table.columns]
    if "platform" not in columns:
        raise AmbiguousUnitsError(where, "Metadata.csv has no 'platform' column: cannot tell iOS from Android signs")
    platform = table.text(columns.index("platform"))[0].lower()
    standardised = "standardisation" in columns and table.text(columns.index("standardisation"))[0].lower() == "true"
    if platform == "android" or standardised:
        return 1.0
    if platform == "ios":
        return -1.0
    raise AmbiguousUnitsError(where, f"platform '{platform}' is neither ios nor android: cannot tell the acceleration signs")


# User acceleration (gravity removed) of a leg at exercise pace has a median magnitude of a few
# tenths of a g at most; gravity alone is 1 g. Above this the file cannot be gravity-free.
GRAVITY_INCLUDED_MEDIAN_G = 0.6


def _includes_gravity(acc_ms2: np.ndarray) -> bool:
    median_g = median_magnitude(acc_ms2) / STANDARD_GRAVITY_MS2
    return median_g > GRAVITY_INCLUDED_MEDIAN_G


def read(source: Source) -> Recording:
    json_members = [m for m in sorted(source.members) if _is_json_export(source.text(m)[:4096])]
    if json_members:
        tables, skipped = _tables_from_json(source, json_members[0])
        # the tables stand in for the file's own members; where() then names file.json/<sensor>.csv
        recording = _read_csv_export(replace(source, kind="folder", members=tables))
        if skipped:
            note = f"{skipped} JSON record(s) that were not sensor samples were skipped"
            recording = replace(recording, notes="; ".join(n for n in (recording.notes, note) if n))
        return recording
    return _read_csv_export(source)


def _read_csv_export(source: Source) -> Recording:
    members = _members(source)
    if not any(name in members for name in SENSOR_FILES):
        raise InputFileError(
            source.name,
            "a Sensor Logger table, but which sensor it holds is told only by the app's file names "
            f"({', '.join(SENSOR_FILES)}): keep them",
        )
    total = "TotalAcceleration.csv" in members
    if not total and "Accelerometer.csv" not in members:
        raise InputFileError(source.name, "Sensor Logger export without Accelerometer.csv or TotalAcceleration.csv")
    if not total and "Gravity.csv" not in members:
        raise InputFileError(
            source.name,
            "Sensor Logger's Accelerometer.csv excludes gravity, which the analysis needs: pass the whole export "
            "(folder or zip) with Gravity.csv, or record TotalAcceleration on Android",
        )
    sign = _sign(source, members)
    acc_member = members["TotalAcceleration.csv" if total else "Accelerometer.csv"]
    table, acc_ns, acc_ms2 = _read(source, acc_member)
    origin_ns = int(acc_ns[0])

    def seconds(ns: np.ndarray) -> np.ndarray:
        return (ns - origin_ns).astype(np.float64) / 1e9

    acc_t = seconds(acc_ns)
    lines = table.lines
    notes = ""
    if not total and _includes_gravity(acc_ms2):
        total = True  # an export whose Accelerometer.csv already holds gravity: adding Gravity would double it
        notes = "Accelerometer.csv already included gravity (median about 1 g): Gravity.csv was not added"
    if not total:
        g_table, g_ns, g_ms2 = _read(source, members["Gravity.csv"])
        gravity = Stream(g_table.where, seconds(g_ns), g_ms2, g_table.lines)
        check_stream_times(gravity)
        acc_probe = Stream(table.where, acc_t, acc_ms2, lines)
        check_stream_times(acc_probe)
        g_on_acc, ok = resample_onto(acc_t, gravity)
        if not ok.any():
            raise InputFileError(source.name, "Accelerometer.csv and Gravity.csv do not overlap in time")
        acc_t, acc_ms2, lines = acc_t[ok], acc_ms2[ok] + g_on_acc[ok], lines[ok]
    acc = Stream(table.where, acc_t, acc_ms2 * (sign / STANDARD_GRAVITY_MS2), lines)
    gyro = None
    if "Gyroscope.csv" in members:
        gy_table, gy_ns, gy_rad = _read(source, members["Gyroscope.csv"])
        gyro = Stream(gy_table.where, seconds(gy_ns), gy_rad * RAD_TO_DEG, gy_table.lines)
    return Recording(
        fmt=NAME,
        model="phone (Sensor Logger)",
        acc=acc,
        gyro=gyro,
        clock="host",
        start_time_utc=utc_from_epoch_ns(origin_ns),
        notes=notes,
    )
