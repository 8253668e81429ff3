"""Score an analysis result against ground-truth labels, the way the literature reports rep counting
(field-notes §1): exact-count rate per set, ±1 rate, MAE of counts, and rep boundary error as a
percentage of the true rep's duration; plus knee-drift warning hit and false-alarm rates.

Matching: a detected rep matches the true rep whose [start, end] overlaps it most, each true rep
used once (greedy, largest overlap first); sets are matched the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np

from sensortrack.simulation.labels import Labels, RepLabel

DRIFT_WARNING = "knee_drift"


class _HasToDict(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Score:
    sets_true: int
    sets_detected: int
    exact_count_rate: float  # fraction of true sets whose matched detected set has the same rep count
    within_one_rate: float  # … within ±1 rep
    count_mae: float  # mean |detected − true| reps per true set (an unmatched set counts 0 detected)
    reps_true: int
    reps_detected: int
    reps_matched: int
    start_error_pct: float | None  # mean |start error| / true rep duration × 100 over matched reps
    end_error_pct: float | None
    boundary_error_pct: float | None  # mean of the two
    drift_hit_rate: float | None  # valgus reps (matched or not) whose detected rep warned
    drift_false_alarm_rate: float | None  # clean reps with a drift label whose matched detected rep warned
    valgus_reps: int
    clean_reps: int  # reps with a drift label that are not valgus
    set_counts: tuple[tuple[int, int], ...]  # (true, detected) per true set

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _match(true: list[tuple[float, float]], found: list[tuple[float, float]]) -> dict[int, int]:
    """true index → found index, greedily by largest overlap, each used once."""
    pairs = [
        (_overlap(t0, t1, f0, f1), i, j)
        for i, (t0, t1) in enumerate(true)
        for j, (f0, f1) in enumerate(found)
    ]
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    matched: dict[int, int] = {}
    used: set[int] = set()
    for overlap, i, j in pairs:
        if overlap <= 0:
            break
        if i not in matched and j not in used:
            matched[i] = j
            used.add(j)
    return matched


def _found_reps(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [rep for s in report.get("sets", []) for rep in s.get("reps", [])]


def _rep_match(true_reps: list[RepLabel], found_reps: list[dict[str, Any]]) -> dict[int, int]:
    return _match([(r.start_s, r.end_s) for r in true_reps],
                  [(float(r["start_s"]), float(r["end_s"])) for r in found_reps])


def drift_readings(result: dict[str, Any] | _HasToDict, labels: Labels) -> list[tuple[bool, float]]:
    """(valgus, the analysis' knee_drift_deg) for every true rep with a drift label whose matched
    detected rep reports a drift value: what a per-rep drift AUC is computed from."""
    report = result if isinstance(result, dict) else result.to_dict()
    found_reps = _found_reps(report)
    true_reps = labels.reps
    out = []
    for i, j in sorted(_rep_match(true_reps, found_reps).items()):
        value = found_reps[j].get("knee_drift_deg")
        if true_reps[i].knee_drift_deg is not None and value is not None:
            out.append((true_reps[i].valgus, float(value)))
    return out


def auc(readings: list[tuple[bool, float]]) -> float | None:
    """Probability that a valgus rep reads more drift than a correct one (ties count half): the
    Mann–Whitney form of the ROC area. None without both kinds of rep."""
    faulty = np.array([v for valgus, v in readings if valgus], dtype=float)
    clean = np.array([v for valgus, v in readings if not valgus], dtype=float)
    if faulty.size == 0 or clean.size == 0:
        return None
    greater = (faulty[:, None] > clean[None, :]).sum()
    ties = (faulty[:, None] == clean[None, :]).sum()
    return float((greater + 0.5 * ties) / (faulty.size * clean.size))


def score(result: dict[str, Any] | _HasToDict, labels: Labels) -> Score:
    """Compare `result` (AnalysisResult or its to_dict()) with `labels`."""
    report = result if isinstance(result, dict) else result.to_dict()
    found_sets = report.get("sets", [])
    found_reps = _found_reps(report)

    set_match = _match([(s.start_s, s.end_s) for s in labels.sets],
                       [(float(s["start_s"]), float(s["end_s"])) for s in found_sets])
    counts = []
    for i, true_set in enumerate(labels.sets):
        detected = len(found_sets[set_match[i]].get("reps", [])) if i in set_match else 0
        counts.append((len(true_set.reps), detected))
    diffs = np.array([abs(t - d) for t, d in counts], dtype=float)

    true_reps = labels.reps
    rep_match = _rep_match(true_reps, found_reps)
    start_err, end_err = [], []
    hits = valgus = false_alarms = clean = 0
    for i, rep in enumerate(true_reps):
        warned = False
        if i in rep_match:
            found = found_reps[rep_match[i]]
            duration = rep.end_s - rep.start_s
            start_err.append(abs(float(found["start_s"]) - rep.start_s) / duration * 100.0)
            end_err.append(abs(float(found["end_s"]) - rep.end_s) / duration * 100.0)
            warned = DRIFT_WARNING in found.get("warnings", [])
        if rep.knee_drift_deg is None:
            continue  # no drift label (clamshell)
        if rep.valgus:
            valgus += 1
            hits += warned
        else:
            clean += 1
            false_alarms += warned

    def mean(values: list[float]) -> float | None:
        return float(np.mean(values)) if values else None

    start_pct, end_pct = mean(start_err), mean(end_err)
    return Score(
        sets_true=len(labels.sets),
        sets_detected=len(found_sets),
        exact_count_rate=float(np.mean(diffs == 0)),
        within_one_rate=float(np.mean(diffs <= 1)),
        count_mae=float(np.mean(diffs)),
        reps_true=len(true_reps),
        reps_detected=len(found_reps),
        reps_matched=len(rep_match),
        start_error_pct=start_pct,
        end_error_pct=end_pct,
        boundary_error_pct=None if start_pct is None or end_pct is None else (start_pct + end_pct) / 2.0,
        drift_hit_rate=hits / valgus if valgus else None,
        drift_false_alarm_rate=false_alarms / clean if clean else None,
        valgus_reps=valgus,
        clean_reps=clean,
        set_counts=tuple(counts),
    )


def pooled(scores: list[Score]) -> dict[str, float | None]:
    """Scores of many files pooled per set and per rep (weights: number of sets / reps in each)."""
    def weighted(field: str, weight: str) -> float | None:
        pairs = [(getattr(s, field), getattr(s, weight)) for s in scores if getattr(s, field) is not None]
        total = sum(w for _, w in pairs)
        return sum(v * w for v, w in pairs) / total if total else None

    return {
        "files": float(len(scores)),
        "exact_count_rate": weighted("exact_count_rate", "sets_true"),
        "within_one_rate": weighted("within_one_rate", "sets_true"),
        "count_mae": weighted("count_mae", "sets_true"),
        "boundary_error_pct": weighted("boundary_error_pct", "reps_matched"),
        "drift_hit_rate": weighted("drift_hit_rate", "valgus_reps"),
        "drift_false_alarm_rate": weighted("drift_false_alarm_rate", "clean_reps"),
    }
