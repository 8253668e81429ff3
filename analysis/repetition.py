"""Reps found from the movement's own repetition, where the calibrated rep finder counted none.

The rep finder (pipeline.py) measures the segment angle about a calibrated flexion axis from a rest
posture, and asks each rep for the exercise's minimum range. When that calibration fails or the
movement is smaller than the floor (a 2–10° clamshell or bridge seen by an accelerometer alone, a
trailing thigh in a lunge) a set of clear reps used to come out as 0. A set is several similar
movements, so here they are counted from their own amplitude and rhythm instead: the direction of
gravity in the sensor frame is projected on the direction along which it varies most over the
stretch, and a run of at least `min_reps_per_set` extremes of similar size, at a steady rhythm and
of a rep's duration, is a set. Gait is not: walking and jogging load the leg with foot strikes, which
a controlled exercise does not.

Pure functions over arrays: the caller decides which stretch of samples to search.
"""

from __future__ import annotations

from typing import cast

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sensortrack.analysis.dsp import find_prominent_peaks
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.model import FloatArray


@dataclass(frozen=True, slots=True)
class RepeatedRep:
    start: int  # sample indices into the stretch searched
    peak: int
    end: int
    range_deg: float


def _rep_around(x: FloatArray, p: int, props: dict[str, NDArray[np.intp] | FloatArray], k: int) -> RepeatedRep:
    """The rep of peak `p`: from where its rise begins to where its return ends (the last / first
    sample within a tenth of the prominence of its lower side)."""
    lo, hi = int(props["left_bases"][k]), int(props["right_bases"][k])
    prominence = float(props["prominences"][k])
    near = x[p] - 0.9 * prominence
    before = np.flatnonzero(x[lo : p + 1] <= near)
    after = np.flatnonzero(x[p : hi + 1] <= near)
    left = lo + int(before[-1]) if before.size else lo
    right = p + int(after[0]) if after.size else hi
    return RepeatedRep(left, p, right, prominence)


def principal_angle_deg(up_s: FloatArray) -> FloatArray:
    """Gravity's direction as an angle (°) along the axis it varies most about over the stretch."""
    centred = up_s - up_s.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    return cast(FloatArray, np.degrees(np.arcsin(np.clip(centred @ vectors[:, -1], -1.0, 1.0))))


def _runs(peaks: np.ndarray, prominence: FloatArray, rate_hz: float, s: AnalysisSettings) -> list[np.ndarray]:
    """Runs of peaks (indices into `peaks`) at a steady rhythm and of a similar size."""
    min_gap = s.min_rep_duration_s * rate_hz
    max_gap = s.max_rep_duration_s * rate_hz
    runs: list[list[int]] = []
    current: list[int] = []
    for k in range(len(peaks)):
        if current:
            gap = peaks[k] - peaks[current[-1]]
            typical = np.median(np.diff(peaks[current])) if len(current) > 1 else gap
            steady = abs(gap - typical) <= s.repetition_rhythm_tolerance * typical
            if not (min_gap <= gap <= max_gap and steady):
                runs.append(current)
                current = []
        current.append(k)
    runs.append(current)
    out = []
    for run in runs:
        if len(run) < s.min_reps_per_set:
            continue
        idx = np.asarray(run)
        sizes = prominence[idx]
        kept = idx[sizes >= s.min_range_share_of_set * np.median(sizes)]
        if len(kept) >= s.min_reps_per_set:
            out.append(kept)
    return out


def impact_g(acc_g: FloatArray, rate_hz: float, window_s: float) -> FloatArray:
    """|acc| minus its moving average over `window_s`: the quick part of the load, foot strikes."""
    magnitude = np.sqrt(np.einsum("ij,ij->i", acc_g, acc_g))
    n = max(1, int(round(window_s * rate_hz)))
    if magnitude.size < n:
        return np.zeros_like(magnitude)
    smooth = np.convolve(magnitude, np.ones(n) / n, mode="same")
    return cast(FloatArray, magnitude - smooth)


def impact_rms_g(acc_g: FloatArray, rate_hz: float, window_s: float) -> float:
    """RMS of the quick part of |acc| (foot strikes) over the samples of `acc_g` that a whole
    `window_s` mean fits around: only the movement's own samples, whatever came before or after."""
    magnitude = np.sqrt(np.einsum("ij,ij->i", acc_g, acc_g))
    n = max(1, int(round(window_s * rate_hz)))
    if magnitude.size < n:
        return 0.0
    smooth = np.convolve(magnitude, np.ones(n) / n, mode="valid")
    h = (n - 1) // 2
    quick = magnitude[h : h + smooth.size] - smooth
    return float(np.sqrt(np.mean(quick**2)))


def find_repetitions(
    angle_deg: FloatArray, impact_g: FloatArray, rate_hz: float, settings: AnalysisSettings
) -> list[RepeatedRep]:
    """The reps of every clearly repeated movement in the stretch (empty if none).

    `angle_deg`: principal_angle_deg of the stretch; `impact_g`: the quick part of |acc| per sample
    (`impact_g()`: foot strikes). Reps are the extremes on the side the movement leaves rest toward: the side
    with more of them in the run (a run that starts and ends at rest has one more rep extreme than
    rest extremes between reps).
    """
    s = settings
    if angle_deg.size < int(s.min_reps_per_set * s.min_rep_duration_s * rate_hz):
        return []
    spread = float(np.percentile(angle_deg, 95) - np.percentile(angle_deg, 5))
    floor = max(s.repetition_min_range_deg, s.repetition_min_share_of_spread * spread)
    best: list[RepeatedRep] = []
    for sign in (1.0, -1.0):
        x = sign * angle_deg
        peaks, props = find_prominent_peaks(x, floor, max(1, int(s.min_rep_duration_s * rate_hz)))
        if peaks.size < s.min_reps_per_set:
            continue
        found: list[RepeatedRep] = []
        for run in _runs(peaks, props["prominences"], rate_hz, s):
            reps = [_rep_around(x, int(peaks[k]), props, k) for k in run]
            quick = np.concatenate([impact_g[r.start : r.end + 1] for r in reps])
            if float(np.sqrt(np.mean(quick**2))) > s.gait_impact_g:
                continue  # foot strikes: walking or jogging, not a set
            found += reps
        if len(found) > len(best):
            best = found
    best.sort(key=lambda r: r.start)
    # Neighbouring reps share a boundary at most: a rep starts where the one before ended.
    for i in range(1, len(best)):
        if best[i].start < best[i - 1].end:
            prev = best[i - 1]
            best[i - 1] = RepeatedRep(prev.start, prev.peak, best[i].start, prev.range_deg)
    return best
