"""Checks shared by every reader: numbers, time order, units and gaps.

Each check raises InputFileError naming the file and the line, so the CLI prints one clear line.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sensortrack.core.errors import InputFileError
from sensortrack.core.model import FloatArray, Gap

# A body-worn IMU at rest or moving at exercise pace reads about 1 g; 9.81 means m/s².
STANDARD_GRAVITY_MS2 = 9.80665
_MS2_MEDIAN_NORM_MIN = 4.0

# A sample interval this many times the nominal period means samples were lost. BLE host
# timestamps jitter by up to about one period, so 1.8 keeps jitter from counting as loss.
GAP_FACTOR = 1.8


# Components are clipped to this before squaring: 1e308 (a corrupted cell) squared overflowed to
# inf with a RuntimeWarning on stderr. Any real reading, in any unit, is far below it.
_NORM_CLIP = 1e100


def median_magnitude(xyz: FloatArray) -> float:
    """Median vector length of the rows of `xyz` (1.0 for none), without overflow for absurd values."""
    if xyz.size == 0:
        return 1.0
    return float(np.median(np.linalg.norm(np.clip(xyz, -_NORM_CLIP, _NORM_CLIP), axis=1)))


def check_samples(
    path: str,
    t_s: FloatArray,
    acc_g: FloatArray,
    gyro_dps: FloatArray | None,
    line_of_row: NDArray[np.int64],
) -> None:
    """Raise InputFileError for non-finite values, time not increasing, or m/s² instead of g."""
    if t_s.size == 0:
        raise InputFileError(path, "no samples (the file has a header but no data rows)")
    arrays = [t_s, acc_g] + ([gyro_dps] if gyro_dps is not None else [])
    # Whole arrays first, rows only to name the bad line: joining the columns (np.hstack) and
    # reducing row by row cost a third of reading a 1 h file.
    if not all(np.isfinite(a).all() for a in arrays):
        finite = np.isfinite(t_s) & np.isfinite(acc_g).all(axis=1)
        if gyro_dps is not None:
            finite &= np.isfinite(gyro_dps).all(axis=1)
        row = int(np.argmin(finite))
        raise InputFileError(path, "value is NaN or infinite", int(line_of_row[row]))
    dt = np.diff(t_s)
    bad = np.flatnonzero(dt <= 0)
    if bad.size:
        row = int(bad[0]) + 1
        how = "repeats" if dt[bad[0]] == 0 else "goes backwards"
        raise InputFileError(
            path, f"time {how} ({t_s[row - 1]:.6f} s then {t_s[row]:.6f} s)", int(line_of_row[row])
        )
    # (One sample has no rate to check: a recording stopped right after its first sample is still
    # read, nothing recorded is lost; a plain CSV needs two to know its rate, interchange.py.)
    rate_problem = sample_rate_problem(estimate_rate_hz(t_s)) if t_s.size >= 2 else None
    if rate_problem is not None:
        raise InputFileError(path, rate_problem)
    median_norm = median_magnitude(acc_g)
    if median_norm > _MS2_MEDIAN_NORM_MIN:
        unit_hint = (
            "looks like m/s² — divide by 9.80665 to get g"
            if 7.0 < median_norm < 13.0
            else "is not in g"
        )
        raise InputFileError(
            path, f"acceleration {unit_hint} (median magnitude {median_norm:.2f}, expected about 1)"
        )


# Beyond these no body-worn IMU can measure, so a value past them is a corrupted byte or a typo,
# never movement: 32 g is the largest full scale any supported stream carries (the Thingy:52's
# Q6.10 format), 4000 °/s the largest gyro range of current MEMS IMUs (e.g. ST LSM6DSO32X).
PHYSICAL_MAX_ACC_G = 32.0
PHYSICAL_MAX_GYRO_DPS = 4000.0


def impossible_samples(
    path: str, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None
) -> tuple[NDArray[np.bool_], list[Gap]]:
    """(rows to keep, gaps where rows were not kept): samples beyond any sensor's range are lost
    samples, taken out and marked like the gaps of dropped ones, never passed to the analysis.

    Raises InputFileError when no sample is left."""
    if _within(acc_g, PHYSICAL_MAX_ACC_G) and (gyro_dps is None or _within(gyro_dps, PHYSICAL_MAX_GYRO_DPS)):
        return np.ones(t_s.size, dtype=np.bool_), []  # the usual case, without full-size temporaries
    keep = np.asarray((np.abs(acc_g) <= PHYSICAL_MAX_ACC_G).all(axis=1), dtype=np.bool_)
    if gyro_dps is not None:
        keep &= np.asarray((np.abs(np.nan_to_num(gyro_dps)) <= PHYSICAL_MAX_GYRO_DPS).all(axis=1), dtype=np.bool_)
    if keep.all():
        return keep, []
    if not keep.any():
        raise InputFileError(
            path, f"every sample is beyond what a sensor can measure (±{PHYSICAL_MAX_ACC_G:g} g, ±{PHYSICAL_MAX_GYRO_DPS:g} °/s)"
        )
    bad = np.flatnonzero(~keep)
    runs = np.split(bad, np.flatnonzero(np.diff(bad) > 1) + 1)
    gaps = [
        Gap(start_s=float(t_s[run[0] - 1]), end_s=float(t_s[run[-1] + 1]), lost_samples=len(run))
        for run in runs
        if run[0] > 0 and run[-1] + 1 < t_s.size  # at either end the recording simply starts later or ends sooner
    ]
    return keep, gaps


def _within(values: FloatArray, limit: float) -> bool:
    """Every value within ±limit (False with a NaN: the row-by-row test then decides)."""
    return values.size == 0 or bool(values.max() <= limit and values.min() >= -limit)


# Movement needs a few samples per second to be followed at all; every supported sensor streams
# at 10 Hz or more. Slower "rates" are time in the wrong unit, or not a recording.
MIN_RATE_HZ = 1.0
MAX_RATE_HZ = 10_000.0


def sample_rate_problem(rate_hz: float) -> str | None:
    """Why timestamps with this median rate cannot be seconds of a recording, or None."""
    if MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
        return None
    for factor, unit in ((1e3, "milliseconds"), (1e6, "microseconds")):
        if MIN_RATE_HZ <= rate_hz * factor <= MAX_RATE_HZ:
            return f"time looks like {unit} (median step {1 / rate_hz:g}): divide it by {factor:g} to get seconds"
    return f"the samples are {1 / rate_hz:g} s apart ({rate_hz:.3g} Hz): time must be in seconds"


def estimate_rate_hz(t_s: FloatArray) -> float:
    """Nominal rate from the median interval: robust to gaps and jitter."""
    if t_s.size < 2:
        return 0.0
    return float(1.0 / np.median(np.diff(t_s)))


def find_gaps(t_s: FloatArray, nominal_rate_hz: float) -> list[Gap]:
    """Intervals longer than GAP_FACTOR nominal periods, with the number of samples they lost."""
    if t_s.size < 2 or nominal_rate_hz <= 0:
        return []
    period_s = 1.0 / nominal_rate_hz
    dt = np.diff(t_s)
    idx = np.flatnonzero(dt > GAP_FACTOR * period_s)
    return [
        Gap(
            start_s=float(t_s[i]),
            end_s=float(t_s[i + 1]),
            lost_samples=max(1, int(round(dt[i] / period_s)) - 1),
        )
        for i in idx
    ]


def merge_gaps(recorded: list[Gap], found: list[Gap]) -> tuple[Gap, ...]:
    """Gaps the recorder wrote down plus those visible in the timestamps, once each, in time order."""
    by_start: dict[float, Gap] = {}
    for gap in found:
        by_start[round(gap.start_s, 6)] = gap
    for gap in recorded:  # the recorder knew sequence numbers: its count wins
        by_start[round(gap.start_s, 6)] = gap
    return tuple(sorted(by_start.values(), key=lambda g: g.start_s))
