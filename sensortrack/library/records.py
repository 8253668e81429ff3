"""What the library keeps about a session: facts from the file, and the analysis summary.

These plain dataclasses are what crosses process boundaries (reanalysis workers) and what the
commands print, so they hold no numpy arrays and no database handles.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sensortrack import __version__
from sensortrack.core.result_schema import PAIR_REP_FIELDS
from sensortrack.core.session_events import note_for_set
from sensortrack.core.start_time import parse_start_time, start_time_problem
from sensortrack.core.vocabulary import Exercise, Placement, Side, exercise_or_none, placement_or_none

if TYPE_CHECKING:  # annotations only: `sessions` lists rows without importing the analysis
    from sensortrack.analysis.results import AnalysisResult
    from sensortrack.analysis.settings import AnalysisSettings
    from sensortrack.core.model import Session
    from sensortrack.pair_analysis import PairAnalysis

AnalysisStatus = Literal["ok", "needs_metadata", "failed"]
Origin = Literal["import", "record"]


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def normalize_utc(text: str) -> str | None:
    """ISO 8601 text → 'YYYY-MM-DDTHH:MM:SS+00:00' (so text order is time order); None if unreadable."""
    moment = parse_start_time(text)
    return None if moment is None else moment.isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class RepRow:
    """One rep as the library keeps it: every field of the result schema's rep
    (docs/result-schema.md), the two-sensor ones None for one sensor."""

    set_index: int
    rep_index: int
    start_s: float
    peak_s: float
    end_s: float
    range_deg: float
    down_s: float
    up_s: float
    knee_drift_deg: float | None
    knee_drift_warning: bool  # the schema's `warnings` (knee_drift is the only kind)
    shallow: bool
    step: str | None
    knee_drift_over_reference_deg: float | None = None
    drift_limit_deg: float | None = None
    calibrated: bool = True
    notes: tuple[str, ...] = ()
    warning_details_json: str = "[]"  # the schema's `warning_details`, as JSON
    side: str | None = None
    knee_drift_source: str | None = None
    segment_knee_drift_deg: float | None = None
    knee_flexion_range_deg: float | None = None
    knee_valgus_deg: float | None = None
    peak_flexion_s: float | None = None
    range_asymmetry_pct: float | None = None
    tempo_asymmetry_pct: float | None = None
    drift_asymmetry_pct: float | None = None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def warnings(self) -> list[str]:
        return ["knee_drift"] if self.knee_drift_warning else []

    @property
    def warning_details(self) -> list[dict[str, Any]]:
        try:
            doc = json.loads(self.warning_details_json or "[]")
        except ValueError:  # a hand-edited row: the warning itself is still in knee_drift_warning
            return []
        return [d for d in doc if isinstance(d, dict)] if isinstance(doc, list) else []

    @staticmethod
    def from_dict(rep: dict[str, Any]) -> RepRow:
        """From a rep of the result schema (a result's `to_dict`)."""
        return RepRow(
            set_index=int(rep["set"]),
            rep_index=int(rep["index"]),
            start_s=rep["start_s"],
            peak_s=rep["peak_s"],
            end_s=rep["end_s"],
            range_deg=rep["range_deg"],
            down_s=rep["down_s"],
            up_s=rep["up_s"],
            knee_drift_deg=rep["knee_drift_deg"],
            knee_drift_warning="knee_drift" in rep["warnings"],
            shallow=bool(rep["shallow"]),
            step=rep["step"],
            knee_drift_over_reference_deg=rep["knee_drift_over_reference_deg"],
            drift_limit_deg=rep["drift_limit_deg"],
            calibrated=bool(rep["calibrated"]),
            notes=tuple(rep["notes"]),
            warning_details_json=json.dumps(rep["warning_details"], ensure_ascii=False),
            **{name: rep[name] for name in PAIR_REP_FIELDS},
        )


@dataclass(frozen=True, slots=True)
class SetRow:
    set_index: int
    exercise: str  # as stored: a hand-edited row shows what it holds rather than failing `show`
    start_s: float
    end_s: float
    rep_count: int
    mean_range_deg: float | None
    best_range_deg: float | None
    mean_tempo_s: float | None  # mean rep duration, start to end
    drift_rep_count: int
    # the wearer's note on this set (sensortrack.core.session_events.SetNote); None/'' where not given
    rpe: int | None = None
    pain: int | None = None
    pain_where: str = ""
    # where `exercise` came from (issue 13): "given" or "recognised", with the recogniser's confidence
    exercise_source: str = "given"
    exercise_confidence: float | None = None
    exercise_unsure: bool = False
    calibration_uncertain: bool = False
    side: str | None = None  # the leg, in a left + right session


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True, slots=True)
class AnalysisSummary:
    """Sets and reps of one session as the library stores them, with what produced them."""

    status: AnalysisStatus
    message: str = ""  # why not "ok"
    sets: tuple[SetRow, ...] = ()
    reps: tuple[RepRow, ...] = ()
    version: str = __version__
    settings_json: str = "{}"
    analyzed_utc: str = field(default_factory=utc_now_iso)
    # Which knee-drift baseline the warnings were judged against (the result's `drift_reference`
    # with the limit it gave), as JSON; "" when not analysed.
    drift_reference_json: str = ""
    # True when sensortrack failed (a bug, a crashed worker), not the file: such a result never
    # replaces an analysis that worked before.
    internal: bool = False
    sensors: int = 1
    pair: str | None = None  # "thigh+shank" | "left+right"
    # A pair's session-wide measures (the knee's axis and method, or the symmetry with its flags;
    # the clock alignment and both streams), as JSON; "" for one sensor.
    pair_json: str = ""
    # The session's exercise (most reps) and placement where recognition gave them (issue 13);
    # None where they were given or nothing was recognised.
    recognised_exercise: Exercise | None = None
    recognised_placement: Placement | None = None

    @property
    def rep_count(self) -> int:
        return len(self.reps)

    @property
    def drift_rep_count(self) -> int:
        return sum(1 for r in self.reps if r.knee_drift_warning)

    @property
    def mean_range_deg(self) -> float | None:
        return _mean([r.range_deg for r in self.reps])

    @property
    def mean_tempo_s(self) -> float | None:
        return _mean([r.duration_s for r in self.reps])

    @staticmethod
    def from_result(result: AnalysisResult, settings: AnalysisSettings) -> AnalysisSummary:
        return replace(
            AnalysisSummary.from_document(result.to_dict(), settings, json.dumps(_drift_reference(result, settings))),
            recognised_exercise=exercise_or_none(result.exercise) if result.sets else None,
            recognised_placement=_recognised_placement(result),
        )

    @staticmethod
    def from_pair(analysis: PairAnalysis, settings: AnalysisSettings) -> AnalysisSummary:
        """A two-sensor session: the pair's reps and measures, not the first sensor's alone."""
        doc = analysis.to_dict()
        if analysis.kind == "thigh+shank":
            reference = {"kind": "knee angle", "note": doc["knee"]["drift_reference"]}
            measures = {k: doc[k] for k in ("knee", "dropout_reps")}
        else:
            reference = doc["drift_reference"]
            measures = {k: doc[k] for k in ("symmetry", "rep_pairs", "only_left", "only_right")}
        measures.update({k: doc[k] for k in ("clock_alignment", "streams")})
        if analysis.recognition is not None:
            measures["recognition"] = doc["recognition"]
        return replace(
            AnalysisSummary.from_document(doc, settings, json.dumps(reference)),
            sensors=2,
            pair=analysis.kind,
            pair_json=json.dumps(measures, ensure_ascii=False, allow_nan=False),
            # the pair's exercise where both sensors' movement gave it (issue 13's field, as for one sensor)
            recognised_exercise=exercise_or_none(doc["exercise"]) if analysis.recognition is not None and doc["sets"] else None,
        )

    @staticmethod
    def from_document(doc: dict[str, Any], settings: AnalysisSettings, drift_reference_json: str) -> AnalysisSummary:
        """From a result in the result schema: its sets and reps as the faces print them."""
        sets: list[SetRow] = []
        reps: list[RepRow] = []
        for s in doc["sets"]:
            set_reps = [RepRow.from_dict(r) for r in s["reps"]]
            reps += set_reps
            ranges = [r.range_deg for r in set_reps]
            sets.append(
                SetRow(
                    set_index=s["index"],
                    exercise=s["exercise"],
                    start_s=s["start_s"],
                    end_s=s["end_s"],
                    rep_count=len(set_reps),
                    mean_range_deg=_mean(ranges),
                    best_range_deg=max(ranges) if ranges else None,
                    mean_tempo_s=_mean([r.duration_s for r in set_reps]),
                    drift_rep_count=sum(1 for r in set_reps if r.knee_drift_warning),
                    exercise_source=s["exercise_source"],
                    exercise_confidence=s["exercise_confidence"],
                    exercise_unsure=bool(s["exercise_unsure"]),
                    calibration_uncertain=bool(s["calibration_uncertain"]),
                    side=s["side"],
                )
            )
        return AnalysisSummary(
            status="ok",
            sets=tuple(sets),
            reps=tuple(reps),
            settings_json=json.dumps(asdict(settings), sort_keys=True),
            drift_reference_json=drift_reference_json,
        )

    @staticmethod
    def not_analyzed(
        status: AnalysisStatus, message: str, settings: AnalysisSettings, *, internal: bool = False
    ) -> AnalysisSummary:
        return AnalysisSummary(
            status=status,
            message=message,
            settings_json=json.dumps(asdict(settings), sort_keys=True),
            internal=internal,
        )


def _source(given: str | None, recognised: str | None) -> str | None:
    return "given" if given else "recognised" if recognised else None


def _recognised_placement(result: AnalysisResult) -> Placement | None:
    rec = result.recognition
    if rec is None or rec.get("placement_source") != "recognised" or not result.placement_known:
        return None
    return placement_or_none(result.context.placement)


def _drift_reference(result: AnalysisResult, settings: AnalysisSettings) -> dict[str, Any]:
    doc = result.drift_reference()
    ref = result.context.reference
    if ref is not None:
        doc["limit_deg"] = round(ref.limit_deg(settings), 1)
    return doc


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """What the session file says about the recording (after any user-supplied metadata)."""

    start_time_utc: str
    exercise: Exercise | None
    placement: Placement | None
    side: Side | None
    sensor_model: str
    sensor_name: str
    rate_hz: float
    has_gyro: bool
    sample_count: int
    duration_s: float
    gap_count: int
    lost_samples: int
    interrupted: bool
    source: str
    notes: str
    attribution: str
    sensors: int = 1  # 2: a two-sensor session (the facts above are the first sensor's)

    @staticmethod
    def from_session(session: Session, start_time_utc: str) -> SessionFacts:
        t_s = session.samples.t_s
        sensor = session.meta.sensor
        return SessionFacts(
            start_time_utc=start_time_utc,
            exercise=session.meta.exercise,
            placement=sensor.placement,
            side=sensor.side,
            sensor_model=sensor.model,
            sensor_name=sensor.name,
            rate_hz=float(sensor.nominal_rate_hz),
            has_gyro=session.samples.has_gyro,
            sample_count=len(session.samples),
            duration_s=float(t_s[-1] - t_s[0]) if len(t_s) else 0.0,
            gap_count=len(session.gaps),
            lost_samples=sum(g.lost_samples for g in session.gaps),
            interrupted=session.interrupted,
            source=session.meta.source,
            notes=session.meta.notes,
            attribution=session.meta.attribution,
            sensors=1 + len(session.companions),
        )


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One row of the library's session table, with the file path made absolute."""

    id: int
    file_path: Path
    owned: bool
    origin: Origin
    original_path: str
    content_sha256: str
    added_utc: str
    facts: SessionFacts
    analysis_status: AnalysisStatus
    analysis_message: str
    analysis_version: str
    analyzed_utc: str
    set_count: int
    rep_count: int
    drift_rep_count: int
    mean_range_deg: float | None
    mean_tempo_s: float | None
    drift_reference_json: str = ""  # see AnalysisSummary
    pair: str | None = None  # see AnalysisSummary
    pair_json: str = ""
    recognised_exercise: str | None = None  # see AnalysisSummary
    recognised_placement: str | None = None

    @property
    def pair_measures(self) -> dict[str, Any] | None:
        """A pair's session-wide measures (AnalysisSummary.pair_json); None for one sensor."""
        return _json_object(self.pair_json)

    @property
    def exercise(self) -> str | None:
        """The exercise the user or file gave, else the recognised one."""
        return self.facts.exercise or self.recognised_exercise

    @property
    def exercise_source(self) -> str | None:
        return _source(self.facts.exercise, self.recognised_exercise)

    @property
    def placement(self) -> str | None:
        return self.facts.placement or self.recognised_placement

    @property
    def placement_source(self) -> str | None:
        return _source(self.facts.placement, self.recognised_placement)

    @property
    def drift_reference(self) -> dict[str, Any] | None:
        """The baseline this session's knee-drift warnings were judged against; None if unknown."""
        return _json_object(self.drift_reference_json)

    @property
    def dated(self) -> bool:
        """Whether the stored start time can be plotted: rows edited by hand, or imported before
        start times were checked, may hold anything."""
        return start_time_problem(self.facts.start_time_utc) is None

    @property
    def drift_share(self) -> float | None:
        """Share of reps with a knee-drift warning, None without reps."""
        return self.drift_rep_count / self.rep_count if self.rep_count else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            **asdict(self.facts),
            "file_path": str(self.file_path),
            "owned_copy": self.owned,
            "origin": self.origin,
            "original_path": self.original_path,
            "added_utc": self.added_utc,
            "analysis_status": self.analysis_status,
            "analysis_message": self.analysis_message,
            "analysis_version": self.analysis_version,
            "analyzed_utc": self.analyzed_utc,
            "set_count": self.set_count,
            "rep_count": self.rep_count,
            "knee_drift_reps": self.drift_rep_count,
            "mean_range_deg": _round(self.mean_range_deg, 1),
            "mean_tempo_s": _round(self.mean_tempo_s, 2),
            "drift_reference": self.drift_reference,
            "pair": self.pair,
            "pair_measures": self.pair_measures,
        }
        out["duration_s"] = round(self.facts.duration_s, 2)
        out.update(exercise=self.exercise, exercise_source=self.exercise_source,
                   placement=self.placement, placement_source=self.placement_source)
        return out


def _json_object(text: str) -> dict[str, Any] | None:
    """The JSON object in a stored text; None for '', other JSON or a hand-edited cell."""
    try:
        doc = json.loads(text) if text else None
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def noted_set(row: SetRow, session: Session) -> SetRow:
    """`row` with the wearer's note on it from the recording, if there is one."""
    note = note_for_set(session.events.set_notes, row.start_s, row.end_s)
    return row if note is None else replace(row, rpe=note.rpe, pain=note.pain, pain_where=note.pain_where)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def set_to_dict(row: SetRow) -> dict[str, Any]:
    """A set in the result schema (its reps listed apart, each naming its set)."""
    return {
        "index": row.set_index,
        "side": row.side,
        "exercise": row.exercise,
        "exercise_source": row.exercise_source,
        "exercise_confidence": _round(row.exercise_confidence, 2),
        "exercise_unsure": row.exercise_unsure,
        "start_s": round(row.start_s, 3),
        "end_s": round(row.end_s, 3),
        "rep_count": row.rep_count,
        "mean_range_deg": _round(row.mean_range_deg, 1),
        "best_range_deg": _round(row.best_range_deg, 1),
        "mean_tempo_s": _round(row.mean_tempo_s, 2),
        "knee_drift_reps": row.drift_rep_count,
        "calibration_uncertain": row.calibration_uncertain,
        "rpe": row.rpe,
        "pain": row.pain,
        "pain_where": row.pain_where,
    }


def rep_to_dict(row: RepRow) -> dict[str, Any]:
    """A rep in the result schema: the same fields, in the same order, as `Rep.to_dict`."""
    return {
        "set": row.set_index,
        "index": row.rep_index,
        "start_s": round(row.start_s, 3),
        "peak_s": round(row.peak_s, 3),
        "end_s": round(row.end_s, 3),
        "duration_s": round(row.duration_s, 2),
        "down_s": round(row.down_s, 2),
        "up_s": round(row.up_s, 2),
        "range_deg": round(row.range_deg, 1),
        "knee_drift_deg": _round(row.knee_drift_deg, 1),
        "knee_drift_over_reference_deg": _round(row.knee_drift_over_reference_deg, 1),
        "drift_limit_deg": _round(row.drift_limit_deg, 1),
        "warnings": row.warnings,
        "warning_details": row.warning_details,
        "shallow": row.shallow,
        "calibrated": row.calibrated,
        "notes": list(row.notes),
        "step": row.step,
        "side": row.side,
        "knee_drift_source": row.knee_drift_source,
        "segment_knee_drift_deg": _round(row.segment_knee_drift_deg, 1),
        "knee_flexion_range_deg": _round(row.knee_flexion_range_deg, 1),
        "knee_valgus_deg": _round(row.knee_valgus_deg, 1),
        "peak_flexion_s": _round(row.peak_flexion_s, 3),
        "range_asymmetry_pct": _round(row.range_asymmetry_pct, 1),
        "tempo_asymmetry_pct": _round(row.tempo_asymmetry_pct, 1),
        "drift_asymmetry_pct": _round(row.drift_asymmetry_pct, 1),
    }
