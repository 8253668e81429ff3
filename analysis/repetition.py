"""Reps found from the movement's own repetition, where the calibrated rep finder counted none.

The rep finder (rep_tracker.py) measures the segment angle about a calibrated flexion axis from a rest
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
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from sensortrack.analysis.dsp import find_prominent_peaks
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.model import FloatArray

# m/s² per g (the accelerometer's unit)
STANDARD_GRAVITY_MS2 = 9.80665


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
    along = centred @ vectors[:, -1]
    # np.clip(along, -1, 1) in place, without its wrapper (the same values, NaN kept)
    np.minimum(np.maximum(along, -1.0, out=along), 1.0, out=along)
    return cast(FloatArray, np.degrees(np.arcsin(along, out=along), out=along))


def _runs(
    peaks: np.ndarray, prominence: FloatArray, rate_hz: float, s: AnalysisSettings, shortest_s: float
) -> list[np.ndarray]:
    """Runs of peaks (indices into `peaks`) at a steady rhythm and of a similar size, no two
    closer than `shortest_s`."""
    min_gap = shortest_s * rate_hz
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
    magnitude = acc_magnitude_g(acc_g)
    n = max(1, int(round(window_s * rate_hz)))
    if magnitude.size < n:
        return np.zeros_like(magnitude)
    smooth = np.convolve(magnitude, np.ones(n) / n, mode="same")
    return magnitude - smooth


def acc_magnitude_g(acc_g: FloatArray) -> FloatArray:
    """|acc| per row (g)."""
    return cast(FloatArray, np.sqrt(np.einsum("ij,ij->i", acc_g, acc_g)))


def impact_rms_g(acc_g: FloatArray, rate_hz: float, window_s: float, magnitude_g: FloatArray | None = None) -> float:
    """RMS of the quick part of |acc| (foot strikes) over the samples of `acc_g` that a whole
    `window_s` mean fits around: only the movement's own samples, whatever came before or after.
    `magnitude_g`: |acc| of those rows when the caller has it already."""
    magnitude = acc_magnitude_g(acc_g) if magnitude_g is None else magnitude_g
    n = max(1, int(round(window_s * rate_hz)))
    if magnitude.size < n:
        return 0.0
    smooth = np.convolve(magnitude, _box(n), mode="valid")
    h = (n - 1) // 2
    quick = magnitude[h : h + smooth.size] - smooth
    return float(np.sqrt((quick * quick).sum() / quick.size))  # np.mean(quick**2), its wrapper skipped


@lru_cache(maxsize=8)
def _box(n: int) -> FloatArray:
    """The moving-average kernel of `n` samples (one per window length, not one per call)."""
    box = np.ones(n) / n
    box.flags.writeable = False
    return box


def autocorrelation(angle_deg: FloatArray, lags: int) -> FloatArray | None:
    """The angle (less its mean) correlated with itself at lags 0 … `lags` − 1 samples, each lag's
    sum over the samples it overlaps, normalised by the variance (None for a flat stretch)."""
    n = angle_deg.size
    x = angle_deg - angle_deg.mean()
    energy = float(x @ x) / n
    if energy <= 0.0 or lags > n:
        return None
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(x, size)
    overlap = n - np.arange(lags)
    corr: FloatArray = np.fft.irfft(spectrum * np.conj(spectrum), size)[:lags] / overlap / energy
    return corr


def repeat_period_s(
    angle_deg: FloatArray, rate_hz: float, settings: AnalysisSettings, shortest_s: float | None = None
) -> float | None:
    """The period (s) the movement over the stretch repeats with, or None if it does not clearly repeat.

    The angle (less its mean) is correlated with itself at every lag of a rep's duration (each lag's
    sum over the samples it overlaps); the shortest lag whose correlation is a local peak within
    `repetition_period_peak_share` of the best one, and at least `repetition_min_autocorrelation`, is
    the period: one whole pattern, however many excursions it holds (a shank sit-to-stand tilts
    forward to stand up and again to sit down). `shortest_s`: the shortest lag looked at (default
    `min_rep_duration_s`; quick reps the finder counted need their own quicker one).
    """
    span = _period_lags(angle_deg.size, rate_hz, settings, shortest_s)
    if span is None:
        return None
    corr = autocorrelation(angle_deg, span[1] + 2)
    return period_from_correlation(corr, angle_deg.size, rate_hz, settings, shortest_s)


def _period_lags(n: int, rate_hz: float, s: AnalysisSettings, shortest_s: float | None) -> tuple[int, int] | None:
    """The lags (samples) a period of a stretch of `n` samples may have, None if too few."""
    lo = max(1, int((s.min_rep_duration_s if shortest_s is None else shortest_s) * rate_hz))
    hi = min(int(s.max_rep_duration_s * rate_hz), n // s.min_reps_per_set)
    return None if hi <= lo + 2 else (lo, hi)


def period_from_correlation(
    corr: FloatArray | None, n: int, rate_hz: float, settings: AnalysisSettings, shortest_s: float | None = None
) -> float | None:
    """`repeat_period_s` of a stretch of `n` samples from its `autocorrelation` (None: a flat
    stretch) at lags up to the period's longest + 1 at least, for a caller that reads the same
    correlation at other lags too."""
    s = settings
    span = _period_lags(n, rate_hz, s, shortest_s)
    if span is None or corr is None:
        return None
    lo, hi = span
    # the correlation at lags lo … hi, and one lag before and after each: slices (views), not
    # fancy-indexed copies
    at, before, after = corr[lo : hi + 1], corr[lo - 1 : hi], corr[lo + 1 : hi + 2]
    # a local peak of the correlation: a lag where the pattern lines up with itself again
    local = (at >= before) & (at >= after)
    if not local.any():
        return None
    best = float(at[local].max())
    if best < s.repetition_min_autocorrelation:
        return None
    first = lo + int((local & (at >= s.repetition_period_peak_share * best)).argmax())
    return float(first) / rate_hz


def find_repetitions(
    angle_deg: FloatArray, impact_g: FloatArray, rate_hz: float, settings: AnalysisSettings,
    lowering_acc_g: FloatArray | None = None, stride_ends: NDArray[np.intp] | None = None,
    period_s: float | None = None, shortest_s: float | None = None, quickest_s: float | None = None,
) -> list[RepeatedRep]:
    """The reps of every clearly repeated movement in the stretch (empty if none).

    `angle_deg`: principal_angle_deg of the stretch; `impact_g`: the quick part of |acc| per sample
    (`impact_g()`: foot strikes). Reps are the extremes on the side the movement leaves rest toward: the side
    with more of them in the run (a run that starts and ends at rest has one more rep extreme than
    rest extremes between reps).
    `lowering_acc_g`: the stretch's acceleration (g) where the segment lowers the body over a planted
    foot (a thigh in a squat or lunge): a run loaded like gait still counts when most of its reps'
    load is that drop, once per rep and in step with the angle (`drop_explains_load`), unless
    strides (sample indices `stride_ends`: movements quicker than any rep, as large as one) ended
    within the run, as many as `repetition_stride_share_of_reps` of its reps.
    `period_s`: the pattern's period when the caller measured it on the set alone (else
    `repeat_period_s` of the whole stretch); `shortest_s`: the shortest rep (default
    `min_rep_duration_s`; a set of quick reps the finder counted, its quick-rep minimum).
    `quickest_s`: where no run of reps that long is found, one of reps down to this long (the
    finder's quick-rep minimum) is looked for: reps as quick as a stride are read only where no
    slower repetition explains the movement, as the finder counts them only with more evidence (a
    shank's sit-to-stand tilts twice per rep: read quick, each tilt would be a rep). The set
    recount (set_recount.py) asks for it without a gyroscope only: there the finder refuses quick reps it could count with
    one (gravity's direction from the accelerometer overshoots rest as the segment stops at the
    top of a quick rep, as a stride's push-off does), and with one the quick reading counted
    walking whose foot strikes are soft (a simulated thigh fixture: 8 "reps" at 0.077 g).
    """
    found = _find_repetitions(angle_deg, impact_g, rate_hz, settings, lowering_acc_g, stride_ends, period_s, shortest_s)
    if quickest_s is None or len(found) >= settings.min_reps_per_set:
        return found
    return _find_repetitions(angle_deg, impact_g, rate_hz, settings, lowering_acc_g, stride_ends, period_s, quickest_s)


def _find_repetitions(
    angle_deg: FloatArray, impact_g: FloatArray, rate_hz: float, settings: AnalysisSettings,
    lowering_acc_g: FloatArray | None, stride_ends: NDArray[np.intp] | None, period_s: float | None,
    shortest_s: float | None,
) -> list[RepeatedRep]:
    """`find_repetitions` at one shortest rep."""
    s = settings
    shortest = s.min_rep_duration_s if shortest_s is None else shortest_s
    if angle_deg.size < int(s.min_reps_per_set * shortest * rate_hz):
        return []
    spread = float(np.percentile(angle_deg, 95) - np.percentile(angle_deg, 5))
    floor = max(s.repetition_min_range_deg, s.repetition_min_share_of_spread * spread)
    # One rep per period of the whole repeated pattern, not one per excursion.
    if period_s is None:
        period_s = repeat_period_s(angle_deg, rate_hz, s, shortest_s)
    gap_s = shortest if period_s is None else max(shortest, s.repetition_least_share_of_period * period_s)
    best: list[RepeatedRep] = []
    for sign in (1.0, -1.0):
        x = sign * angle_deg
        peaks, props = find_prominent_peaks(x, floor, max(1, int(gap_s * rate_hz)))
        if peaks.size < s.min_reps_per_set:
            continue
        found: list[RepeatedRep] = []
        for run in _runs(peaks, props["prominences"], rate_hz, s, shortest):
            reps = [_rep_around(x, int(peaks[k]), props, k) for k in run]
            quick = np.concatenate([impact_g[r.start : r.end + 1] for r in reps])
            strode = stride_ends is not None and int(
                np.count_nonzero((stride_ends >= reps[0].start) & (stride_ends <= reps[-1].end))
            ) >= s.repetition_stride_share_of_reps * len(reps)
            if float(np.sqrt(np.mean(quick**2))) > s.gait_impact_g and (
                strode or not _lowers_body(reps, x, lowering_acc_g, rate_hz, s)
            ):
                continue  # foot strikes: walking or jogging, not a set
            found += reps
        if len(found) > len(best):
            best = found
    return one_rep_per_excursion(best)


def one_rep_per_excursion(reps: list[RepeatedRep]) -> list[RepeatedRep]:
    """`reps` in time order, meeting at most at a boundary: a rep starts where the one before ended.
    One that starts before the other's extreme (runs of different periods overlap) claims the same
    excursion: the larger is the movement's, so it is kept (else a rep would end before its peak)."""
    kept: list[RepeatedRep] = []
    for rep in sorted(reps, key=lambda r: r.start):
        if kept and rep.start < kept[-1].peak:
            if rep.range_deg > kept[-1].range_deg:
                kept[-1] = rep
            continue
        if kept and rep.start < kept[-1].end:
            prev = kept[-1]
            kept[-1] = RepeatedRep(prev.start, prev.peak, rep.start, prev.range_deg)
        kept.append(rep)
    return kept


def _lowers_body(
    reps: list[RepeatedRep], x: FloatArray, acc_g: FloatArray | None, rate_hz: float, s: AnalysisSettings
) -> bool:
    """Whether most reps of a run are loaded by the body being lowered and stopped, not by feet
    landing. Only continuous reps (each moving through most of its cycle) are loaded like strides
    by the drop: a thigh in walking or jogging in place rests while the other leg strides. Each is
    judged over its whole cycle, from its start to the next rep's (the last: one median cycle), as
    `drop_explains_load` needs: in walking or jogging in place the other foot lands in the half of
    the cycle the instrumented thigh rests, twice per cycle in all."""
    if acc_g is None or len(reps) < 2:
        return False
    starts = [r.start for r in reps]
    cycle = int(np.median(np.diff(starts)))
    if np.median([r.end - r.start for r in reps]) < s.repetition_continuous_share_of_cycle * cycle:
        return False  # a thigh resting half of each cycle while the other leg strides: gait
    ends = [*starts[1:], min(starts[-1] + cycle, x.size)]
    lowered = sum(
        drop_explains_load(acc_g[a:b], x[a:b], rate_hz, s) for a, b in zip(starts, ends, strict=True) if b - a >= 4
    )
    return lowered > s.repetition_lowered_share_of_reps * len(reps)


def drop_explains_load(
    acc_g: FloatArray, angle_deg: FloatArray, rate_hz: float, settings: AnalysisSettings,
    magnitude_g: FloatArray | None = None,
) -> bool:
    """Whether the way |acc| varies over one movement cycle of a thigh (a rep's own samples, `angle_deg`
    rising from rest to the rep's extreme and back) is the body being lowered and stopped, as in a
    squat, lunge or sit-to-stand, rather than feet landing, as in walking or jogging in place.

    Lowered: |acc| varies once per cycle in step with the angle (most load at the bottom, where the
    drop is stopped), by at least `body_drop_least_share_of_drop` and at most the whole of what dropping the
    hip by a leg's length times (1 − cos range), once per cycle at this tempo, would cause. Walking
    loads the thigh twice per cycle (both feet land) and out of step; jogging lands harder than any
    drop its small knee lift could cause. The cycle is the rep itself, so no sample rate enters.
    """
    s = settings
    n = angle_deg.size
    if n < 4 or acc_g.shape[0] != n:
        return False
    magnitude = acc_magnitude_g(acc_g) if magnitude_g is None else magnitude_g
    # Once-per-cycle parts: the line from the first sample to the last taken out, as a cycle need not
    # end where it started (a rep stops short of rest). Both rows at once: one ramp, one FFT call.
    rows = np.vstack((magnitude, angle_deg))
    first, last = rows[:, 0], rows[:, -1]
    # np.linspace(first, last, n) row by row, written out (same arithmetic: ramp · step + first, the
    # last sample set to `last`) to save its per-call overhead.
    line = np.arange(n, dtype=np.float64) * ((last - first) / (n - 1))[:, None]
    line += first[:, None]
    line[:, -1] = last
    ones = np.fft.rfft(rows - line, axis=1)[:, 1]
    load, turn = ones[0] * (2.0 / n), ones[1]
    if abs(load) == 0.0 or abs(turn) == 0.0:
        return False
    in_step_g = float((load * np.conj(turn)).real / abs(turn))  # the part peaking with the angle
    if in_step_g < s.body_drop_in_step_share_of_load * abs(load):
        return False
    range_deg = float(angle_deg.max() - min(angle_deg[0], angle_deg[-1]))
    omega = 2.0 * np.pi * rate_hz / n
    drop_g = omega**2 * s.body_drop_leg_m * (1.0 - np.cos(np.radians(range_deg))) / 2.0 / STANDARD_GRAVITY_MS2
    return bool(s.body_drop_least_share_of_drop * drop_g <= in_step_g <= drop_g)


def explained_by_period(
    finder_peaks: NDArray[np.intp], finder_starts: NDArray[np.intp], finder_ends: NDArray[np.intp],
    period_reps: list[RepeatedRep], period_n: float, edges: tuple[float, float] = (-np.inf, np.inf),
) -> list[list[int]] | None:
    """Per rep of the whole set's repeated pattern (`find_repetitions` over the set: one extreme per
    period of `period_n` samples), the indices of the calibrated finder's reps that belong to it:
    those from its extreme up to the next one's (before the first: the first's). None where the
    pattern does not explain the finder's reps:
    - one of them lies more than a period before the first extreme or after the last;
    - a period the finder saw nothing of lies outside the finder's first and last rep (the
      movement before or after the set is not counted from the pattern: allowing one period more
      on each side counted the standing about around squat sets, tuning seeds 0–99), unless its
      extreme lies before `edges[0]` or after `edges[1]` (the recording began or ended within a
      period of it: a set filmed from a rep, or stopped during one, has nothing around it;
      `edges` (inf, −inf): every period may, for reps fewer than a set, set_recount.py);
    - the pattern counts fewer reps, but fewer than half of its periods hold several of the
      finder's (a set whose rhythm broke once is no set of double movements; a rep of two unlike
      excursions, a trailing thigh's lunge extending the hip on the step out and less on the step
      back, shows its smaller one above the finder's floor in only some reps: UTD-MHAD);
    - a period the finder saw nothing of, between its first and last rep, has its extreme within
      one of the finder's reps (a held bridge's plateau: the pattern found an extreme there, not a
      rep the finder missed; fresh standard-design seeds);
    - the two counts agree.
    A shank standing up from a chair and sitting down again tilts forward twice per rep: the finder
    counts both tilts (two reps in one period) or only some of them; the period counts the rep.
    All indices are sample indices into the same stretch."""
    anchors = np.asarray([r.peak for r in period_reps])
    if len(anchors) == len(finder_peaks) or not anchors.size or not finder_peaks.size:
        return None
    if finder_peaks.min() < anchors[0] - period_n or finder_peaks.max() > anchors[-1] + period_n:
        return None
    groups: list[list[int]] = [[] for _ in period_reps]
    for k, at in enumerate(np.searchsorted(anchors, finder_peaks, side="right") - 1):
        groups[max(0, int(at))].append(k)
    first, last = int(finder_starts.min()), int(finder_ends.max())
    for group, rep in zip(groups, period_reps, strict=True):
        if not group and (rep.start < first or rep.end > last) and edges[0] < rep.peak < edges[1]:
            return None
        if not group and first <= rep.start and rep.end <= last and bool(
            ((finder_starts < rep.peak) & (rep.peak < finder_ends)).any()
        ):
            return None  # a rep the finder missed between its reps lies between them, not within one
    if len(anchors) < len(finder_peaks) and 2 * sum(len(g) > 1 for g in groups) < len(groups):
        return None
    return groups
