"""Left + right: the same segment of both legs, rep by rep, and how much the two sides differ.

Each side runs the single-sensor engine (StreamingAnalyzer) unchanged. A left rep and a right rep
are one pair when their spans overlap by `pair_min_overlap_share` of the shorter one (a bilateral
exercise moves both legs together); per pair the range, tempo (start → end) and knee drift of each
side and their asymmetry as Robinson et al.'s symmetry index, 100·|L − R| / mean(L, R) %
(J Manipulative Physiol Ther 1987). A measure whose session median passes its limit
(PairSettings) is flagged, with the side that is short. Reps only one side made stay listed.
Pairs are formed from the final reps of both sides, so batch and stream agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from sensortrack.analysis.context import AnalysisContext
from sensortrack.analysis.pair_settings import PairSettings
from sensortrack.analysis.pipeline import StreamingAnalyzer
from sensortrack.analysis.results import AnalysisResult, Event, Rep
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.model import FloatArray

Measure = Literal["range", "tempo", "drift"]
MEASURES: tuple[Measure, ...] = ("range", "tempo", "drift")


def symmetry_index_pct(left: float, right: float, floor: float = 0.0) -> float:
    """100·|L − R| / mean(|L|, |R|), the mean taken as at least `floor` (values near zero)."""
    mean = max(0.5 * (abs(left) + abs(right)), floor, 1e-9)
    return 100.0 * abs(left - right) / mean


@dataclass(frozen=True, slots=True)
class RepPair:
    left: Rep
    right: Rep
    asymmetry_pct: dict[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        def side(rep: Rep) -> dict[str, Any]:
            return {
                "start_s": round(rep.start_s, 3), "end_s": round(rep.end_s, 3),
                "range_deg": round(rep.range_deg, 1), "tempo_s": round(rep.end_s - rep.start_s, 2),
                "knee_drift_deg": None if rep.knee_drift_deg is None else round(rep.knee_drift_deg, 1),
                "warnings": [w.kind for w in rep.warnings],
            }

        return {
            "left": side(self.left), "right": side(self.right),
            "asymmetry_pct": {k: None if v is None else round(v, 1) for k, v in self.asymmetry_pct.items()},
        }


def _overlap(a: Rep, b: Rep) -> float:
    shared = min(a.end_s, b.end_s) - max(a.start_s, b.start_s)
    shorter = min(a.end_s - a.start_s, b.end_s - b.start_s)
    return shared / shorter if shorter > 0 else 0.0


def pair_reps(left: list[Rep], right: list[Rep], min_overlap: float) -> tuple[list[tuple[Rep, Rep]], list[Rep], list[Rep]]:
    """Greedy in time order: each left rep with the right rep it overlaps most (once each)."""
    pairs: list[tuple[Rep, Rep]] = []
    used: set[int] = set()
    only_left: list[Rep] = []
    for a in left:
        best, best_share = -1, min_overlap
        for k, b in enumerate(right):
            if k in used:
                continue
            share = _overlap(a, b)
            if share >= best_share:
                best, best_share = k, share
        if best < 0:
            only_left.append(a)
        else:
            used.add(best)
            pairs.append((a, right[best]))
    only_right = [b for k, b in enumerate(right) if k not in used]
    return pairs, only_left, only_right


def _asymmetry(a: Rep, b: Rep, s: PairSettings) -> dict[str, float | None]:
    drift = None
    if a.knee_drift_deg is not None and b.knee_drift_deg is not None:
        drift = symmetry_index_pct(a.knee_drift_deg, b.knee_drift_deg, s.drift_asymmetry_floor_deg)
    return {
        "range": symmetry_index_pct(a.range_deg, b.range_deg),
        "tempo": symmetry_index_pct(a.end_s - a.start_s, b.end_s - b.start_s),
        "drift": drift,
    }


@dataclass(frozen=True, slots=True, eq=False)
class SidesResult:
    left: AnalysisResult
    right: AnalysisResult
    pairs: tuple[RepPair, ...]
    only_left: tuple[Rep, ...]
    only_right: tuple[Rep, ...]
    settings: PairSettings

    def limit_pct(self, measure: Measure) -> float:
        s = self.settings
        limits: dict[Measure, float] = {
            "range": s.range_asymmetry_limit_pct, "tempo": s.tempo_asymmetry_limit_pct,
            "drift": s.drift_asymmetry_limit_pct,
        }
        return limits[measure]

    def median_pct(self, measure: str) -> float | None:
        values = [p.asymmetry_pct[measure] for p in self.pairs if p.asymmetry_pct[measure] is not None]
        return float(np.median(np.array(values, dtype=float))) if values else None

    def short_side(self, measure: str) -> str | None:
        """The side with the smaller range/tempo (the slower one) or the larger drift."""
        get: dict[str, Any] = {
            "range": lambda r: r.range_deg, "tempo": lambda r: r.end_s - r.start_s,
            "drift": lambda r: r.knee_drift_deg,
        }
        values = [(get[measure](p.left), get[measure](p.right)) for p in self.pairs]
        values = [(a, b) for a, b in values if a is not None and b is not None]
        if not values:
            return None
        left, right = np.median(np.array(values, dtype=float), axis=0)
        if measure == "range":
            return "left" if left < right else "right"
        return "left" if left > right else "right"  # slower tempo, more drift

    @property
    def flags(self) -> list[dict[str, Any]]:
        out = []
        for measure in MEASURES:
            median = self.median_pct(measure)
            if median is not None and median > self.limit_pct(measure):
                out.append({"measure": measure, "asymmetry_pct": round(median, 1),
                            "limit_pct": self.limit_pct(measure), "side": self.short_side(measure)})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "sensors": 2,
            "pair": "left+right",
            "exercise": self.left.context.exercise,
            "placement": self.left.context.placement,
            "rep_pairs": len(self.pairs),
            "symmetry": {
                "index": "100·|L−R| / mean(L, R) % (Robinson et al. 1987), session median over rep pairs",
                **{f"{m}_asymmetry_pct": None if self.median_pct(m) is None else round(self.median_pct(m) or 0.0, 1)
                   for m in MEASURES},
                "limits_pct": {m: self.limit_pct(m) for m in MEASURES},
                "flagged": self.flags,
            },
            "pairs": [p.to_dict() for p in self.pairs],
            "only_left": [r.to_dict() for r in self.only_left],
            "only_right": [r.to_dict() for r in self.only_right],
            "left": self.left.to_dict(),
            "right": self.right.to_dict(),
        }


class SidesAnalyzer:
    """Feed each side's samples (one timeline) in any chunks; `finish` for the paired result."""

    def __init__(
        self,
        left_ctx: AnalysisContext,
        right_ctx: AnalysisContext,
        settings: AnalysisSettings | None = None,
        pair_settings: PairSettings | None = None,
    ) -> None:
        self.pair_settings = pair_settings or PairSettings()
        self.left = StreamingAnalyzer(left_ctx, settings)
        self.right = StreamingAnalyzer(right_ctx, settings)

    def feed(self, side: str, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None) -> list[Event]:
        return (self.left if side == "left" else self.right).feed(t_s, acc_g, gyro_dps)

    def finish(self) -> SidesResult:
        left, right = self.left.finish(), self.right.finish()
        pairs, only_left, only_right = pair_reps(left.reps, right.reps, self.pair_settings.pair_min_overlap_share)
        return SidesResult(
            left, right,
            tuple(RepPair(a, b, _asymmetry(a, b, self.pair_settings)) for a, b in pairs),
            tuple(only_left), tuple(only_right), self.pair_settings,
        )
