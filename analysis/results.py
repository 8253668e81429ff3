"""What the analysis produces: reps, sets, warnings, and the events the streaming form emits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sensortrack.core.vocabulary import Exercise

import numpy as np

from sensortrack.analysis.context import AnalysisContext
from sensortrack.core.result_schema import PAIR_REP_FIELDS, RESULT_SCHEMA_VERSION

WarningKind = Literal["knee_drift"]
Phase = Literal["rest", "down", "up"]


def _round_or_none(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True, slots=True)
class RepWarning:
    kind: WarningKind
    t_s: float  # stream time the threshold was crossed
    value_deg: float
    threshold_deg: float
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "t_s": round(self.t_s, 3),
            "value_deg": round(self.value_deg, 2),
            "threshold_deg": round(self.threshold_deg, 2),
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Rep:
    index: int  # 1-based within its set
    start_s: float
    peak_s: float
    end_s: float
    range_deg: float
    down_s: float  # start → peak ("down" = away from rest: descent of a squat, lift of a bridge)
    up_s: float  # peak → end
    knee_drift_deg: float | None  # None where it is not defined (clamshell)
    warnings: tuple[RepWarning, ...] = ()
    # knee_drift_deg minus the median of the person's reference reps; None without a reference
    knee_drift_over_reference_deg: float | None = None
    drift_limit_deg: float | None = None  # the limit applied to this rep (reference or session)
    # False: counted from the movement's own repetition where the segment could not be calibrated
    # ("calibration uncertain": boundaries from the movement, no drift measured)
    calibrated: bool = True
    shallow: bool = False
    step: Literal["lead", "trail"] | None = None  # band_walk only

    @property
    def drifted(self) -> bool:
        """Warned for knee drift (the one question every face asks of a rep)."""
        return any(w.kind == "knee_drift" for w in self.warnings)

    def to_dict(self, set_index: int | None = None) -> dict[str, Any]:
        """The rep in the result schema (docs/result-schema.md); `set_index`: its set's index (None:
        a rep outside any set). The two-sensor fields are null here; a pair's result fills them."""
        return {
            "set": set_index,
            "index": self.index,
            "start_s": round(self.start_s, 3),
            "peak_s": round(self.peak_s, 3),
            "end_s": round(self.end_s, 3),
            "duration_s": round(self.end_s - self.start_s, 2),
            "down_s": round(self.down_s, 2),
            "up_s": round(self.up_s, 2),
            "range_deg": round(self.range_deg, 1),
            "knee_drift_deg": _round_or_none(self.knee_drift_deg, 1),
            "knee_drift_over_reference_deg": _round_or_none(self.knee_drift_over_reference_deg, 1),
            "drift_limit_deg": _round_or_none(self.drift_limit_deg, 1),
            "warnings": [w.kind for w in self.warnings],
            "warning_details": [w.to_dict() for w in self.warnings],
            "shallow": self.shallow,
            "calibrated": self.calibrated,
            "notes": (["shallow"] if self.shallow else []) + ([] if self.calibrated else ["calibration uncertain"]),
            "step": self.step,
            # two sensors: filled by the pair's result (pair_analysis.py, knee_pair.py), null here
            **dict.fromkeys(PAIR_REP_FIELDS),
        }


@dataclass(frozen=True, slots=True)
class ExerciseSet:
    index: int  # 1-based within the session
    exercise: Exercise
    start_s: float
    end_s: float
    reps: tuple[Rep, ...]
    # Where `exercise` came from (issue 13): "given" (flags or the file) or "recognised" from the
    # movement, with the recogniser's mean probability; `exercise_unsure`: below its unsure limit.
    exercise_source: Literal["given", "recognised"] = "given"
    exercise_confidence: float | None = None
    exercise_unsure: bool = False

    @property
    def best_range_deg(self) -> float:
        return max((r.range_deg for r in self.reps), default=0.0)

    @property
    def drift_reps(self) -> int:
        return sum(1 for r in self.reps if r.drifted)

    def to_dict(self) -> dict[str, Any]:
        ranges = [r.range_deg for r in self.reps]
        return {
            "index": self.index,
            "side": None,  # the leg of a left + right session's set
            "exercise": self.exercise,
            "exercise_source": self.exercise_source,
            "exercise_confidence": _round_or_none(self.exercise_confidence, 2),
            "exercise_unsure": self.exercise_unsure,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "rep_count": len(self.reps),
            "mean_range_deg": round(float(np.mean(ranges)), 1) if ranges else None,
            "best_range_deg": round(self.best_range_deg, 1),
            "mean_tempo_s": round(float(np.mean([r.end_s - r.start_s for r in self.reps])), 2)
            if self.reps
            else None,
            "knee_drift_reps": self.drift_reps,
            # counted from the movement's repetition where the segment could not be calibrated
            "calibration_uncertain": any(not r.calibrated for r in self.reps),
            "reps": [r.to_dict(self.index) for r in self.reps],
        }


@dataclass(frozen=True, slots=True, eq=False)
class Trace:
    """Segment angle and drift over time, decimated for plots (not part of the JSON report)."""

    t_s: np.ndarray
    angle_deg: np.ndarray  # excursion from the rest posture in the movement plane
    drift_deg: np.ndarray  # out-of-plane toward the midline, NaN where undefined


@dataclass(frozen=True, slots=True, eq=False)
class AnalysisResult:
    context: AnalysisContext
    sets: tuple[ExerciseSet, ...]
    calibration: dict[str, Any] = field(default_factory=dict)
    trace: Trace | None = None
    # Issue 13, set where the exercise/placement/side were not all given: the recogniser's segments
    # and placement (None: everything was given), and whether the side is known (False: results that
    # depend on it — drift toward the midline, lead/trail — are left out and `notes` says so).
    recognition: dict[str, Any] | None = None
    side_known: bool = True
    placement_known: bool = True  # False: not given and nothing moved enough to recognise it
    notes: tuple[str, ...] = ()
    exercise: str | None = None  # the session's exercise when recognised (most reps; "none": no exercise)

    @property
    def reps(self) -> list[Rep]:
        return [r for s in self.sets for r in s.reps]

    def to_dict(self) -> dict[str, Any]:
        reps = self.reps
        out: dict[str, Any] = {
            "schema_version": RESULT_SCHEMA_VERSION,
            "sensors": 1,
            "pair": None,  # "thigh+shank" | "left+right" for two sensors
            "exercise": self.exercise or self.context.exercise,
            "placement": self.context.placement if self.placement_known else None,
            "side": self.context.side if self.side_known else None,
            "rate_hz": round(self.context.rate_hz, 3),
            "gyro": self.context.has_gyro,
            "set_count": len(self.sets),
            "rep_count": len(reps),
            "knee_drift_reps": sum(s.drift_reps for s in self.sets),
            "sets": [s.to_dict() for s in self.sets],
            "calibration": self.calibration,
            "drift_reference": self.drift_reference(),
        }
        if self.recognition is not None:
            out["recognition"] = self.recognition
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def drift_reference(self) -> dict[str, Any]:
        """Which baseline the knee-drift warnings were judged against, said in the result."""
        ref = self.context.reference
        if ref is not None:
            return {"kind": "personal", **ref.to_dict()}
        return {
            "kind": "session",
            "note": "no personal reference: warnings are judged against this session's own reps "
            "(set one with `sensortrack reference set ID`)",
        }


# ---- streaming --------------------------------------------------------------------------------


@dataclass(slots=True)
class LiveState:
    """What a live display shows between events; refreshed at the end of every `feed`."""

    t_s: float = 0.0
    angle_deg: float = float("nan")
    drift_deg: float = float("nan")
    phase: Phase = "rest"
    calibrated: bool = False
    set_index: int | None = None
    rep_count: int = 0
    drift_threshold_deg: float = 0.0




@dataclass(frozen=True, slots=True)
class SetStarted:
    set_index: int
    t_s: float


@dataclass(frozen=True, slots=True)
class RepCounted:
    set_index: int
    rep: Rep
    t_s: float  # stream time at which the rep was decided


@dataclass(frozen=True, slots=True)
class DriftWarning:
    set_index: int
    rep_index: int  # the rep in progress
    warning: RepWarning


@dataclass(frozen=True, slots=True)
class RepWithdrawn:
    """A rep counted live (`RepCounted`) that its set, judged whole at its end, does not keep: a
    movement unlike the set's reps (a fast squat that was a stride, sitting down after the set) or a
    set too small to keep. Emitted just before that set's `SetEnded`; the view takes the rep back,
    and its warning with it, so what stays shown is what `analyze` reports."""

    set_index: int  # the set it was counted in, as its `RepCounted` said
    rep: Rep  # as counted live (its live index, its warnings)
    t_s: float  # stream time the set was judged


@dataclass(frozen=True, slots=True)
class SetEnded:
    exercise_set: ExerciseSet
    t_s: float
    kept: bool = True  # False: fewer reps than a set (fidgeting); its live reps are withdrawn


Event = SetStarted | RepCounted | DriftWarning | RepWithdrawn | SetEnded


class Withdrawals:
    """Puts a `RepWithdrawn` before the `SetEnded` events of a set's closing for each rep counted
    live in that set (`RepCounted`) that no kept set of the closing holds (sets.py `close` judges a
    set whole: `_consistent` drops reps unlike the rest, a set of too few reps is not kept).

    Fed the events in order (`review`). Events it reviewed and still holds (not yet `handed_out`)
    may come through again unchanged: the analyzer reviews what it has not handed out yet before a
    closing it hands out at once (`end_set`). A rep keeps its `start_s` when its set is judged
    whole, so the start names it. One closing's `SetEnded` events come together, the first with the
    index its reps were counted under (a part not kept reuses it)."""

    def __init__(self) -> None:
        self._counted: dict[int, list[Rep]] = {}  # open set index -> its reps as counted live
        self._held: list[Event] = []  # reviewed, not handed out: kept alive so their ids stay theirs
        self._held_ids: set[int] = set()

    def review(self, events: list[Event], handed_out: bool = False) -> list[Event]:
        """`events` with the withdrawals put in; `handed_out`: the caller hands these out now."""
        out: list[Event] = []
        k = 0
        while k < len(events):
            event = events[k]
            if id(event) in self._held_ids:  # reviewed already
                out.append(event)
                k += 1
                continue
            if isinstance(event, RepCounted):
                self._counted.setdefault(event.set_index, []).append(event.rep)
            if not isinstance(event, SetEnded) or event.exercise_set.index not in self._counted:
                out.append(event)
                k += 1
                continue
            end = k
            while end < len(events) and isinstance(events[end], SetEnded):
                end += 1
            closing = events[k:end]
            index = event.exercise_set.index
            kept = {r.start_s for e in closing if isinstance(e, SetEnded) and e.kept for r in e.exercise_set.reps}
            counted = self._counted.pop(index)
            out += [RepWithdrawn(set_index=index, rep=r, t_s=event.t_s) for r in counted if r.start_s not in kept]
            out += closing
            k = end
        if handed_out:
            self._held, self._held_ids = [], set()
        else:
            self._held += out
            self._held_ids.update(id(e) for e in out)
        return out
