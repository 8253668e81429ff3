"""Fast sets (issue 9, session 9): continuous squats at 0.8–1.8 s per rep seen by a thigh
accelerometer alone, which the calibrated finder refuses (the angle overshoots rest as the thigh
stops at the top, as a stride's push-off does).

- Without a gyroscope, where no slower repetition explains the movement, the repetition search
  looks for reps as quick as the finder counts (`min_quick_rep_duration_s`), and calls a run gait
  only when strides end in it for a share of its reps (`repetition_stride_share_of_reps`): the
  finder reads a fast squat as quick as a stride now and then, walking and jogging every lift.
These tests fail if either breaks.
"""

from __future__ import annotations

from pathlib import Path

from sensortrack.analysis.pipeline import StreamingAnalyzer
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.loading import load_session
from sensortrack.session_analysis import analyze_session, resolve_context
from sensortrack.simulation.hard import hard_sessions
from sensortrack.simulation.labels import load_labels
from sensortrack.simulation.simulator import simulate_session

REPO = Path(__file__).resolve().parents[1]


def _fast(seed: int) -> tuple[object, object]:
    (hard,) = hard_sessions(seed, "squat_fast")
    assert hard.spec.placement == "thigh" and not hard.gyro
    return simulate_session(hard.spec, hard.seed)


def test_a_fast_set_with_a_few_quick_readings_is_no_gait() -> None:
    """Hard design, tuning seed 70: thigh accelerometer, 13 and 12 fast squats (0.8–1.0 s per rep)
    the finder refuses (their angle overshoots rest as the thigh stops at the top). The repetition
    search counts them; where every stride the finder saw vetoed the run as gait, the second read 0."""
    session, labels = _fast(70)
    assert [len(s.reps) for s in labels.sets] == [13, 12]  # type: ignore[attr-defined]
    counts = [len(s.reps) for s in analyze_session(session).sets]  # type: ignore[arg-type]
    assert counts[0] == 13 and len(counts) == 2 and counts[1] >= 6  # 10 now (0 before)
    any_stride = AnalysisSettings().with_overrides({"repetition_stride_share_of_reps": 0.01})
    assert [len(s.reps) for s in analyze_session(session, any_stride).sets] == [13]  # type: ignore[arg-type]


def test_walking_with_soft_foot_strikes_is_no_quick_set() -> None:
    """The simulated lunge fixture (thigh with a gyroscope) walks between its sets with foot strikes
    of 0.077 g RMS, under `gait_impact_g`: read down to quick reps, the walk was a set of 8. With a
    gyroscope the finder counts quick reps itself, so the repetition search does not read them."""
    session = load_session(REPO / "fixtures" / "simulated" / "lunge_thigh_left.csv")
    labels = load_labels(REPO / "fixtures" / "simulated" / "lunge_thigh_left.labels.json")
    assert session.samples.gyro_dps is not None
    assert [len(s.reps) for s in analyze_session(session).sets] == [len(s.reps) for s in labels.sets] == [6, 5]


def test_the_quick_reading_streams_as_it_batches() -> None:
    session, _ = _fast(70)
    batch = analyze_session(session).to_dict()  # type: ignore[arg-type]
    s = session.samples  # type: ignore[attr-defined]
    analyzer = StreamingAnalyzer(resolve_context(session))  # type: ignore[arg-type]
    sizes = (1, 7, 64, 333)
    i = k = 0
    while i < s.t_s.size:
        j = min(s.t_s.size, i + sizes[k % len(sizes)])
        analyzer.feed(s.t_s[i:j], s.acc_g[i:j], None)
        i, k = j, k + 1
    streamed = analyzer.finish().to_dict()
    assert [len(x["reps"]) for x in batch["sets"]] == [13, 10]
    assert streamed["sets"] == batch["sets"]
