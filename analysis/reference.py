"""A person's own clean pattern of knee drift, and the warning limit that follows from it.

One absolute limit cannot work from a single segment: on real recordings some people's correct
squats leave the movement plane by 10–15° on every rep while others' stay within 5°, and each
person's knee-valgus reps sit above that person's own correct reps (field-notes §2). So the limit
is taken from the person: from a reference session of their good reps when there is one, else from
the reps of the session itself (all of them, warned or not: a baseline of "clean reps only" never
forms for someone whose first rep is already over an absolute floor).

A person's habitual knee path (the knee turning in, the femur rotating, the plane of the squat
turned a little) grows with how deep they go, so with a reference their expected drift is scaled
by depth: the reference's reps are taken at that person's usual depth (each rep's drift × usual
range / its range), and during a rep the level is scaled by the depth reached so far over today's
usual range. A rep 15 % deeper than usual then is not read as 15 % of extra drift, and the
reference's spread no longer carries its reps' depth differences (benchmarks/accuracy_reference.py).

Two kinds of noise sit between a reference and a session, and the limit treats each by its own
source: the strap put on again shifts the whole session's reading (up to ~3° on a thigh, hardly at
all on a shank), which the reference cannot know but today's reps show (their lower quartile,
bounded by how far re-strapping can move the measure: `level_today_deg`); and the person's
rep-to-rep scatter, which the reference's reps show (`margin_deg`: a multiple of their spread, the
person's own noise floor, above a fixed floor for sensor noise).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.vocabulary import Exercise, Placement, Side, exercise_or_none, placement_or_none, side_or_none

# A normal distribution's standard deviation is 1.4826 × its median absolute deviation.
_MAD_TO_SIGMA = 1.4826


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])


def robust_spread_deg(values: Sequence[float]) -> float:
    """σ estimated from the median absolute deviation: one odd rep does not widen it."""
    mid = median(values)
    return _MAD_TO_SIGMA * median([abs(v - mid) for v in values])


@dataclass(frozen=True, slots=True)
class DriftReference:
    """The drift of one person's good reps of one exercise, placement and side."""

    exercise: Exercise
    placement: Placement
    side: Side
    median_deg: float
    spread_deg: float
    reps: int
    source: str  # where it came from, for the result and the view ("library session 12", a path)
    # The person's plane: the mean whole-way-down axis of the reference's clean reps, in the
    # calibration's basis (drift.whole_rep_axis_cal); with it, drift is measured out of that plane
    # (thigh with a gyroscope, `drift_reference_plane`). None: a reference stored before planes.
    plane_cal: tuple[float, float, float] | None = None

    @classmethod
    def from_drifts(
        cls,
        drifts: Iterable[float | None],
        *,
        exercise: Exercise,
        placement: Placement,
        side: Side,
        source: str,
        min_reps: int,
        ranges_deg: Iterable[float] | None = None,
        plane_cal: tuple[float, float, float] | None = None,
    ) -> DriftReference:
        """From the `knee_drift_deg` of the reference's reps; ValueError if too few have one.

        With `ranges_deg` (each rep's range, in the same order) every drift is taken at the
        reference's median range first (`at_usual_depth`), so the spread is the person's own
        scatter and not their reps' depth differences."""
        drift_list = list(drifts)
        range_list = list(ranges_deg) if ranges_deg is not None else [None] * len(drift_list)
        pairs = [
            (float(d), r) for d, r in zip(drift_list, range_list, strict=True) if d is not None and math.isfinite(d)
        ]
        if len(pairs) < min_reps:
            raise ValueError(f"{source} has {len(pairs)} reps with a knee-drift value; a reference needs {min_reps}")
        values = [d for d, _ in pairs]
        if all(r is not None and math.isfinite(r) for _, r in pairs):
            values = at_usual_depth(values, [float(r) for _, r in pairs if r is not None])
        return cls(exercise, placement, side, median(values), robust_spread_deg(values), len(values), source, plane_cal)

    def limit_deg(
        self, settings: AnalysisSettings, session_level_deg: float | None = None, depth_share: Any = 1.0
    ) -> Any:
        """Warn past the person's level today by the larger of a noise floor and their own scatter.

        The level is scaled by `depth_share` (a float, or a NumPy array per sample: the depth
        reached so far over today's usual range), as the person's habitual drift grows with depth
        (module doc); the margin is not."""
        return self.level_today_deg(settings, session_level_deg) * depth_share + self.margin_deg(settings)

    def level_today_deg(self, settings: AnalysisSettings, session_level_deg: float | None = None) -> float:
        """Where this person's correct reps read today: the reference's median moved by the strap.

        A sensor strapped on again shifts the whole session's reading by a few degrees either way
        (the thigh's heading and femoral rotation, the plane carried to a new strapping), while the
        person's rep-to-rep scatter is the reference's own. So the level is today's reps' lower
        quartile (`session_level_deg`, `SessionBaseline.level_deg`: the correct level even when up
        to three reps in four drifted) — lower than the reference's median as far as it goes, higher
        by at most what re-strapping can move the measure (`drift_restrap_shift_*_deg`), so a
        session of faulty reps cannot lift its own limit further. Before today's reps say
        (`session_level_deg` None) the strap's shift is not known yet, and that ceiling applies.
        """
        ceiling = self.median_deg + self.restrap_shift_deg(settings)
        return ceiling if session_level_deg is None else min(session_level_deg, ceiling)

    def restrap_shift_deg(self, settings: AnalysisSettings) -> float:
        """How far strapping the sensor on again can raise correct reps' reading (settings)."""
        if self.placement == "shank":
            return settings.drift_restrap_shift_shank_deg
        return settings.drift_restrap_shift_thigh_deg

    def margin_deg(self, settings: AnalysisSettings) -> float:
        """How far past the person's level today a rep warns: a fixed noise floor (by placement and
        measure, settings) or `drift_spread_multiple` of the scatter a new rep of theirs has around
        the reference's median, whichever is larger. That scatter is the reference reps' robust
        spread widened by √(1 + 1/n): the median of n reps is itself uncertain by spread/√n (the
        prediction interval of one new observation), which matters for a short reference."""
        if self.placement == "shank":
            floor = settings.drift_margin_over_reference_shank_deg
        elif self.plane_cal is not None:  # a thigh's drift out of the person's plane
            floor = settings.drift_margin_over_reference_plane_deg
        elif settings.drift_own_plane:  # a thigh's own-plane drift: its scatter only (settings)
            floor = settings.drift_margin_over_reference_own_plane_deg
        else:
            floor = settings.drift_margin_over_reference_deg
        scatter_deg = self.spread_deg * math.sqrt(1.0 + 1.0 / max(self.reps, 1))
        return max(floor, settings.drift_spread_multiple * scatter_deg)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "exercise": self.exercise,
            "placement": self.placement,
            "side": self.side,
            "median_deg": round(self.median_deg, 2),
            "spread_deg": round(self.spread_deg, 2),
            "reps": self.reps,
            "source": self.source,
        }
        if self.plane_cal is not None:  # absent, not null, for a reference without one (as before)
            doc["plane_axis_cal"] = [round(x, 5) for x in self.plane_cal]
        return doc

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> DriftReference:
        """The inverse of `to_dict` (a stored reference); ValueError on anything malformed."""
        try:
            exercise, placement = exercise_or_none(doc["exercise"]), placement_or_none(doc["placement"])
            side = side_or_none(doc["side"])
            if exercise is None or placement is None or side is None:
                raise ValueError(f"not an exercise, placement and side: {doc['exercise']!r}, {doc['placement']!r}, {doc['side']!r}")
            ref = cls(
                exercise=exercise,
                placement=placement,
                side=side,
                median_deg=float(doc["median_deg"]),
                spread_deg=float(doc["spread_deg"]),
                reps=int(doc["reps"]),
                source=str(doc["source"]),
                plane_cal=_plane_or_none(doc.get("plane_axis_cal")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a knee-drift reference: {exc}") from None
        if not (math.isfinite(ref.median_deg) and math.isfinite(ref.spread_deg) and ref.spread_deg >= 0 and ref.reps > 0):
            raise ValueError("not a knee-drift reference: values out of range")
        return ref


def _plane_or_none(value: Any) -> tuple[float, float, float] | None:
    """A stored plane axis: three finite numbers of length about 1; ValueError otherwise."""
    if value is None:
        return None
    x, y, z = (float(c) for c in value)
    norm = math.sqrt(x * x + y * y + z * z)
    if not (math.isfinite(norm) and abs(norm - 1.0) < 1e-3):
        raise ValueError(f"plane axis {value!r} is not a unit vector")
    return (x / norm, y / norm, z / norm)


class SessionBaseline:
    """Without a reference: the limit from this session's own reps so far (every counted rep)."""

    def __init__(self, settings: AnalysisSettings) -> None:
        self._settings = settings
        self._drifts: list[float] = []  # kept sorted: the limit is asked for at every rep
        self._reps: list[tuple[float, float]] = []  # (drift, range) of the reps that have a range
        # Answers worked out since the last `add` (the only change): they are asked at every rep
        # candidate and open rep, and worked out afresh they would sort every rep of the session.
        self._usual_range: tuple[float | None] | None = None
        self._level: tuple[float | None] | None = None
        self._limit: float | None = None

    def add(self, drift_deg: float, range_deg: float | None = None) -> None:
        bisect.insort(self._drifts, drift_deg)
        if range_deg is not None and math.isfinite(range_deg):
            self._reps.append((drift_deg, range_deg))
        self._usual_range = self._level = self._limit = None

    def usual_range_deg(self) -> float | None:
        """The median range of the session's reps so far (None before `drift_baseline_reps`)."""
        if self._usual_range is None:
            enough = len(self._reps) >= self._settings.drift_baseline_reps
            self._usual_range = (median([r for _, r in self._reps]) if enough else None,)
        return self._usual_range[0]

    def level_deg(self) -> float | None:
        """The lower quartile of the session's reps so far (None before `drift_baseline_reps`), each
        taken at today's usual depth when the reps have ranges (module doc): the person's correct
        level today even when up to three reps in four so far drifted."""
        if self._level is None:
            self._level = (self._work_out_level(),)
        return self._level[0]

    def _work_out_level(self) -> float | None:
        if len(self._drifts) < self._settings.drift_baseline_reps:
            return None
        if len(self._reps) == len(self._drifts):
            return quantile(sorted(at_usual_depth([d for d, _ in self._reps], [r for _, r in self._reps])), 0.25)
        return quantile(self._drifts, 0.25, ordered=True)

    def depth_share(self, depth_deg: Any) -> Any:
        """`depth_deg` (float or NumPy array) over today's usual range; 1.0 while that is unknown."""
        usual = self.usual_range_deg()
        if usual is None or usual <= 0:
            return 1.0
        return depth_deg / usual

    def limit_deg(self) -> float:
        """The warning limit without a reference (worked out once per `add`, like the answers above)."""
        if self._limit is None:
            self._limit = self._work_out_limit()
        return self._limit

    def _work_out_limit(self) -> float:
        s = self._settings
        if len(self._drifts) < s.drift_baseline_reps:
            # Not yet seen how this person moves: only drift past what correct reps reach in
            # anyone warns (some people's correct reps read 10–18°, field-notes §2).
            return s.drift_no_baseline_deg
        # The lower quartile: the person's own correct pattern even when up to three reps in four
        # so far drifted (a median would follow a run of faulty reps up and stop warning them).
        return max(s.drift_threshold_deg, quantile(self._drifts, 0.25, ordered=True) + s.drift_margin_over_baseline_deg)


def at_usual_depth(drifts_deg: Sequence[float], ranges_deg: Sequence[float]) -> list[float]:
    """Each rep's drift scaled to the median range of the reps (drift × median range / its range):
    what it would read at the person's usual depth. Ranges under 1° count as 1°."""
    usual = median(ranges_deg)
    return [d * usual / max(r, 1.0) for d, r in zip(drifts_deg, ranges_deg, strict=True)]


def quantile(values: Sequence[float], q: float, *, ordered: bool = False) -> float:
    """Linear-interpolated quantile (`ordered`: the values are sorted already)."""
    ordered_values = values if ordered else sorted(values)
    pos = q * (len(ordered_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered_values) - 1)
    return ordered_values[lo] + (pos - lo) * (ordered_values[hi] - ordered_values[lo])
