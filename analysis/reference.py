"""A person's own clean pattern of knee drift, and the warning limit that follows from it.

One absolute limit cannot work from a single segment: on real recordings some people's correct
squats leave the movement plane by 10–15° on every rep while others' stay within 5°, and each
person's knee-valgus reps sit above that person's own correct reps (field-notes §2). So the limit
is taken from the person: from a reference session of their good reps when there is one, else from
the reps of the session itself (all of them, warned or not: a baseline of "clean reps only" never
forms for someone whose first rep is already over an absolute floor).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sensortrack.analysis.settings import AnalysisSettings

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

    exercise: str
    placement: str
    side: str
    median_deg: float
    spread_deg: float
    reps: int
    source: str  # where it came from, for the result and the view ("library session 12", a path)

    @classmethod
    def from_drifts(
        cls, drifts: Iterable[float | None], *, exercise: str, placement: str, side: str, source: str, min_reps: int
    ) -> DriftReference:
        """From the `knee_drift_deg` of the reference's reps; ValueError if too few have one."""
        values = [float(d) for d in drifts if d is not None and math.isfinite(d)]
        if len(values) < min_reps:
            raise ValueError(f"{source} has {len(values)} reps with a knee-drift value; a reference needs {min_reps}")
        return cls(exercise, placement, side, median(values), robust_spread_deg(values), len(values), source)

    def limit_deg(self, settings: AnalysisSettings, session_level_deg: float | None = None) -> float:
        """Warn past the person's own level by the larger of a fixed margin and their spread.

        The level is the reference's median, or `session_level_deg` (the lower quartile of today's
        reps, `SessionBaseline.level_deg`) where that is lower: the strap put on again moves the
        measure by a few degrees either way (the reference sessions of
        benchmarks/accuracy_reference.py), and where today's correct reps read less than the
        reference's, its median would hide today's faulty ones. Never higher: a session of mostly
        faulty reps must not lift the limit it is judged by.
        """
        level = self.median_deg
        if session_level_deg is not None:
            level = min(session_level_deg, self.median_deg)
        margin = max(settings.drift_margin_over_reference_deg, settings.drift_spread_multiple * self.spread_deg)
        return level + margin

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "placement": self.placement,
            "side": self.side,
            "median_deg": round(self.median_deg, 2),
            "spread_deg": round(self.spread_deg, 2),
            "reps": self.reps,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> DriftReference:
        """The inverse of `to_dict` (a stored reference); ValueError on anything malformed."""
        try:
            ref = cls(
                exercise=str(doc["exercise"]),
                placement=str(doc["placement"]),
                side=str(doc["side"]),
                median_deg=float(doc["median_deg"]),
                spread_deg=float(doc["spread_deg"]),
                reps=int(doc["reps"]),
                source=str(doc["source"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a knee-drift reference: {exc}") from None
        if not (math.isfinite(ref.median_deg) and math.isfinite(ref.spread_deg) and ref.spread_deg >= 0 and ref.reps > 0):
            raise ValueError("not a knee-drift reference: values out of range")
        return ref


class SessionBaseline:
    """Without a reference: the limit from this session's own reps so far (every counted rep)."""

    def __init__(self, settings: AnalysisSettings) -> None:
        self._settings = settings
        self._drifts: list[float] = []  # kept sorted: the limit is asked for at every rep

    def add(self, drift_deg: float) -> None:
        bisect.insort(self._drifts, drift_deg)

    def level_deg(self) -> float | None:
        """The lower quartile of the session's reps so far (None before `drift_baseline_reps`): the
        person's correct level today even when up to three reps in four so far drifted."""
        if len(self._drifts) < self._settings.drift_baseline_reps:
            return None
        return quantile(self._drifts, 0.25, ordered=True)

    def limit_deg(self) -> float:
        s = self._settings
        if len(self._drifts) < s.drift_baseline_reps:
            # Not yet seen how this person moves: only drift past what correct reps reach in
            # anyone warns (some people's correct reps read 10–18°, field-notes §2).
            return s.drift_no_baseline_deg
        # The lower quartile: the person's own correct pattern even when up to three reps in four
        # so far drifted (a median would follow a run of faulty reps up and stop warning them).
        return max(s.drift_threshold_deg, quantile(self._drifts, 0.25, ordered=True) + s.drift_margin_over_baseline_deg)


def quantile(values: Sequence[float], q: float, *, ordered: bool = False) -> float:
    """Linear-interpolated quantile (`ordered`: the values are sorted already)."""
    ordered_values = values if ordered else sorted(values)
    pos = q * (len(ordered_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered_values) - 1)
    return ordered_values[lo] + (pos - lo) * (ordered_values[hi] - ordered_values[lo])
