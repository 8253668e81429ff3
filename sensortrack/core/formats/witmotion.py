"""WitMotion PC software and app recordings (WT901BLECL, WT9011DCL and the other WIT sensors).

Layout (the records the WitMotion software writes, as read by gyroflow's telemetry-parser
`src/witmotion` module, and as quoted by users' scripts, e.g. a file under
`Witmotion(V2025.11.12.3)/Record/<date>/<time>/_WT901BLE67(<mac>)_0.csv`):
- a header row `Time, Device name, Chip Time(), Acceleration X(g), Acceleration Y(g),
  Acceleration Z(g), Angular velocity X(°/s), ..., Angle X(°), ..., Magnetic field X(uT), ...,
  Temperature(℃), Quaternions 0() ...`, tab-separated in the .txt records of the PC software and
  comma-separated in the .csv records; the '°' is often in the GB2312 code page (bytes A1 E3);
- `Time` is the host's time of day ("16:44:16.689"), `Chip Time()` a date and time
  ("2024-3-19 16:44:16.689", some versions "2024-01-02 12:34:56:789" with a colon before the
  milliseconds). The BLE 5.0 sensors stream no clock of their own, so both are arrival times with
  millisecond resolution, and the records of one notification share a stamp: ties are spread evenly
  up to the next stamp (common.untie_times);
- units are in the header: acceleration in g, angular velocity in °/s (rad/s and m/s² are converted
  too); a header whose unit the reader does not know is refused as ambiguous. A '°' mangled by the
  code page (one odd character before "/s") still means degrees: the software writes no other unit.
"""

from __future__ import annotations

from typing import cast

import re
from collections.abc import Callable
from datetime import date, datetime

import numpy as np

from sensortrack.core.errors import InputFileError
from sensortrack.core.formats.common import ACC_UNITS, GYRO_UNITS, Recording, Stream, unit_factor, untie_times
from sensortrack.core.formats.sources import Source
from sensortrack.core.formats.table import Table, find_header_line, first_lines, read_table, sniff_delimiter

NAME = "witmotion"
TITLE = "WitMotion software record"
_ACC = re.compile(r"^Acceleration ([XYZ])\s*\((.*)\)$", re.IGNORECASE)
_GYRO = re.compile(r"^Angular velocity ([XYZ])\s*\((.*)\)$", re.IGNORECASE)
_MANGLED_DEGREE = re.compile(r"^[^\x00-\x7f?]?\??/s$")
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S:%f", "%Y/%m/%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S")
_TIME_FORMATS = ("%H:%M:%S.%f", "%H:%M:%S:%f", "%H:%M:%S")


def _fields(line: str) -> list[str]:
    return [f.strip().strip('"') for f in line.split(sniff_delimiter(line))]


def _is_header(line: str) -> bool:
    fields = _fields(line)
    return any(_ACC.match(f) for f in fields) and ("Chip Time()" in fields or "Time" in fields)


def claims(heads: dict[str, str]) -> bool:
    return any(find_header_line(h.splitlines(), _is_header, 10) is not None for h in heads.values())


def _gyro_unit(unit: str) -> str:
    return "°/s" if _MANGLED_DEGREE.match(unit.strip()) else unit


def _parse_clock(texts: list[str], formats: tuple[str, ...], with_date: bool) -> np.ndarray | None:
    """Seconds from the first stamp, or None when the first stamp fits none of `formats`."""
    first = texts[0].strip()
    fmt = next((f for f in formats if _try(first, f) is not None), None)
    if fmt is None:
        return None
    fast = _parse_clock_fast(texts, fmt, with_date)
    if fast is not None:
        return fast
    moments = []
    for text in texts:
        moment = _try(text.strip(), fmt)
        if moment is None:
            return None
        moments.append(moment)
    if with_date:  # differences of datetimes: exact to the microsecond, unlike epoch floats
        return np.array([(m - moments[0]).total_seconds() for m in moments])
    out = np.array([m.hour * 3600 + m.minute * 60 + m.second + m.microsecond / 1e6 for m in moments])
    out += 86400.0 * np.concatenate([[0], np.cumsum(np.diff(out) < -43200.0)])  # past midnight
    return cast("np.ndarray | None", out - out[0])


# strptime's own patterns for the fields these formats use (CPython Lib/_strptime.py, TimeRE), so
# that a stamp matches here exactly when strptime would read it; a space is any run of blanks.
_FIELD = {"Y": r"\d\d\d\d", "m": r"1[0-2]|0[1-9]|[1-9]", "d": r"3[01]|[12]\d|0[1-9]|[1-9]| [1-9]",
          "H": r"2[0-3]|[0-1]\d|\d", "M": r"[0-5]\d|\d", "S": r"6[0-1]|[0-5]\d|\d", "f": r"[0-9]{1,6}"}


def _clock_regex(fmt: str) -> str:
    """`fmt` as a regular expression with a named group per field (Python's and RE2's syntax alike)."""
    out, i = "", 0
    while i < len(fmt):
        if fmt[i] == "%":
            out += f"(?P<{fmt[i + 1]}>{_FIELD[fmt[i + 1]]})"
            i += 2
        else:
            out += r"\s+" if fmt[i] == " " else re.escape(fmt[i])
            i += 1
    return "(?i)^" + out + "$"  # strptime ignores case and wants the whole stamp


def _parse_clock_fast(texts: list[str], fmt: str, with_date: bool) -> np.ndarray | None:
    """_parse_clock's answer without a datetime per row (strptime: ~0.2 ms each, 20 s for 100 000
    rows): pyarrow matches strptime's own patterns on every stamp at once, numpy does the
    arithmetic. None where a stamp needs strptime's own judgement (no match, a leap second, a day
    the month does not have)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        found = pc.extract_regex(pc.utf8_trim_whitespace(pa.array(texts, type=pa.string())), _clock_regex(fmt))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if found.null_count:
        return None
    fields = re.findall(r"%(.)", fmt)
    value = {k: np.asarray(pc.cast(pc.struct_field(found, k), pa.int64()).to_numpy(zero_copy_only=False))
             for k in fields}
    if "S" in value and (value["S"] > 59).any():
        return None
    micro = np.zeros(len(texts), dtype=np.int64)
    if "f" in value:  # strptime's %f: "020" is 20 000 µs
        digits = np.asarray(pc.utf8_length(pc.struct_field(found, "f")).to_numpy(zero_copy_only=False), dtype=np.int64)
        micro = value["f"] * 10 ** (6 - digits)
    clock_s = value["H"] * 3600 + value["M"] * 60 + value["S"]
    if not with_date:
        out = clock_s + micro / 1e6
        out += 86400.0 * np.concatenate([[0], np.cumsum(np.diff(out) < -43200.0)])  # past midnight
        return cast("np.ndarray | None", out - out[0])
    ymd = value["Y"] * 10000 + value["m"] * 100 + value["d"]
    unique, where = np.unique(ymd, return_inverse=True)
    try:
        ordinals = np.array([date(int(k) // 10000, int(k) // 100 % 100, int(k) % 100).toordinal() for k in unique])
    except ValueError:
        return None
    us = (ordinals[where].astype(np.int64) * 86400 + clock_s) * 1_000_000 + micro
    return cast("np.ndarray | None", (us - us[0]) / 1e6)  # as timedelta.total_seconds(): exact to the microsecond


def _try(text: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(text, fmt)
    except ValueError:
        return None


def read(source: Source) -> Recording:
    for member in sorted(source.members):
        text = source.text(member)
        header = find_header_line(first_lines(text, 10), _is_header, 10)
        if header is None:
            continue
        where = source.where(member)
        table = read_table(where, text, header_index=header)
        if table.has("Device name"):
            devices = sorted(set(table.text(table.index("Device name"))))
            if len(devices) > 1:
                raise InputFileError(where, f"holds {len(devices)} sensors ({', '.join(devices[:3])}): record or export one sensor per file")
        t = None
        if table.has("Chip Time()"):
            t = _parse_clock(table.text(table.index("Chip Time()")), _DATE_FORMATS, with_date=True)
        if t is None and table.has("Time"):
            stamps = table.text(table.index("Time"))
            t = _parse_clock(stamps, _DATE_FORMATS, with_date=True)
            if t is None:
                t = _parse_clock(stamps, _TIME_FORMATS, with_date=False)
        if t is None:
            raise InputFileError(where, "neither 'Chip Time()' nor 'Time' holds readable times on every row", table.line_numbers[0])
        t = untie_times(t)
        acc = _vector(table, _ACC, ACC_UNITS, "acceleration", lambda u: u)
        if acc is None:
            raise InputFileError(where, "needs Acceleration X, Y and Z columns")
        gyro = _vector(table, _GYRO, GYRO_UNITS, "angular rate", _gyro_unit)
        device = table.text(table.index("Device name"))[0] if table.has("Device name") else ""
        model = f"WitMotion {device.split('(')[0]}".strip() if device else "WitMotion"
        return Recording(
            fmt=NAME,
            model=model,
            acc=Stream(where, t, acc, table.lines),
            gyro=None if gyro is None else Stream(where, t, gyro, table.lines),
            clock="host",
        )
    raise InputFileError(source.name, "no WitMotion record table")


def _vector(
    table: Table, pattern: re.Pattern[str], units: dict[str, float], quantity: str, fix_unit: Callable[[str], str]
) -> np.ndarray | None:
    axes = {m.group(1).upper(): (i, m.group(2)) for i, c in enumerate(table.columns) if (m := pattern.match(c))}
    if not axes:
        return None
    if set(axes) != {"X", "Y", "Z"}:
        raise InputFileError(table.where, f"{quantity} columns must come as X, Y and Z")
    return np.column_stack([
        table.numbers(axes[a][0]) * unit_factor(table.where, table.columns[axes[a][0]], fix_unit(axes[a][1]), units, quantity)
        for a in "XYZ"
    ])
