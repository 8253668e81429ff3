"""Fast thigh squats against walking and jogging (repetition.drop_explains_load).

Continuous squats at ~1 s per rep load the thigh as hard as a stride does, so the foot-strike test
alone (`gait_impact_g`) took them for walking and counted 0. What tells them apart: a squat lowers
the body and stops it at the bottom, once per cycle and in step with the angle, within what a
leg-length drop at that depth and tempo can cause; both feet landing (walking) or landing harder
than a small knee lift's drop (jogging) is not that. These tests fail if that distinction breaks.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sensortrack.analysis.context import AnalysisContext
from sensortrack.analysis.pipeline import StreamingAnalyzer, analyze
from sensortrack.analysis.repetition import drop_explains_load
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.session_analysis import analyze_session
from sensortrack.simulation.hard import hard_sessions
from sensortrack.simulation.simulator import simulate_session
from sensortrack.simulation.spec import Distractor, ImuSpec, SessionSpec, SetSpec

RATE_HZ = 25.0
SETTINGS = AnalysisSettings()


def _cycle(period_s: float, range_deg: float, load_g: float, load_phase: float, twice_g: float = 0.0):
    """One rep's angle (rest → range → rest) and an |acc| along z varying once per cycle by `load_g`
    at `load_phase` (0: peaking with the angle) and twice per cycle by `twice_g`."""
    n = int(round(period_s * RATE_HZ))
    phase = 2 * np.pi * np.arange(n) / n
    angle = range_deg * 0.5 * (1 - np.cos(phase))
    magnitude = 1.0 - load_g * np.cos(phase - load_phase) + twice_g * np.cos(2 * phase)
    acc = np.column_stack((np.zeros(n), np.zeros(n), magnitude))
    return acc, angle


def _drop_g(period_s: float, range_deg: float) -> float:
    """What lowering the hip by a leg's length × (1 − cos range), once per cycle, causes (g)."""
    omega = 2 * np.pi / period_s
    return omega**2 * SETTINGS.body_drop_leg_m * (1 - np.cos(np.radians(range_deg))) / 2 / 9.80665


def test_a_squats_load_in_step_and_within_its_drop_is_the_body_lowered() -> None:
    drop = _drop_g(1.0, 80.0)
    acc, angle = _cycle(1.0, 80.0, 0.4 * drop, 0.0, twice_g=0.2 * drop)
    assert drop_explains_load(acc, angle, RATE_HZ, SETTINGS)


@pytest.mark.parametrize(
    "what, load_share, phase, twice_share",
    [
        ("walking: both feet land, twice per cycle, out of step", 0.05, np.pi, 0.6),
        ("jogging: landing far harder than the knee lift's drop", 3.0, 0.0, 0.0),
        ("landing as the thigh comes back down (out of step)", 0.4, np.pi, 0.0),
        ("no drop at all: a thigh swinging without lowering the body", 0.02, 0.0, 0.0),
    ],
)
def test_a_load_that_is_no_drop_is_not_taken_for_one(what: str, load_share: float, phase: float, twice_share: float) -> None:
    drop = _drop_g(0.9, 30.0)
    acc, angle = _cycle(0.9, 30.0, load_share * drop, phase, twice_g=twice_share * drop)
    assert not drop_explains_load(acc, angle, RATE_HZ, SETTINGS), what


def _fast_squats(gyro: bool, seed: int) -> tuple[SessionSpec, int]:
    reps = 14
    fast = SetSpec(reps, rep_duration_s=(0.95, 1.1), pause_at_peak_s=(0.0, 0.0), rest_between_reps_s=(0.0, 0.0))
    spec = SessionSpec(
        exercise="squat", placement="thigh", side="right", rate_hz=100.0, sets=(fast,),
        lead_in=(Distractor("stand", 2.5),), lead_out=(Distractor("stand", 2.0),), imu=ImuSpec(gyro=gyro),
    )
    return spec, reps


def _count(spec: SessionSpec, seed: int, settings: AnalysisSettings = SETTINGS) -> tuple[list[tuple[float, float]], float]:
    session, _ = simulate_session(spec, seed)
    s = session.samples
    ctx = AnalysisContext(exercise=spec.exercise, placement=spec.placement, side=spec.side, rate_hz=spec.rate_hz,
                          has_gyro=s.gyro_dps is not None)
    result = analyze(s.t_s, s.acc_g, s.gyro_dps, ctx, settings)
    return [(r.start_s, r.end_s) for st in result.sets for r in st.reps], float(s.t_s[-1])


@pytest.mark.parametrize("gyro", [True, False])
def test_fast_continuous_thigh_squats_are_counted(gyro: bool) -> None:
    spec, reps = _fast_squats(gyro, seed=5)
    counted, _ = _count(spec, 5)
    # Without a gyroscope the first reps, before the plane is calibrated, may be missed.
    assert reps - (1 if gyro else 3) <= len(counted) <= reps, counted
    # ... and it is the drop that counts them: a body that could not drop (no leg) reads them as strides.
    no_drop = dataclasses.replace(SETTINGS, body_drop_least_share_of_drop=1.0, body_drop_leg_m=0.01)
    assert len(_count(spec, 5, no_drop)[0]) < reps // 2


@pytest.mark.parametrize("gyro", [True, False])
@pytest.mark.parametrize("kind", ["jog", "walk"])
def test_walking_and_jogging_around_a_set_stay_uncounted(kind: str, gyro: bool) -> None:
    """A set of 8 squats with 20 s of jogging in place or walking about before and after it, from the
    thigh: nothing in the jogging or walking is counted. (The simulator's soft marching on the spot,
    "walk_in_place", is counted as squats with or without this rule: not solved, see the docs.)"""
    squats = SetSpec(8)
    spec = SessionSpec(
        exercise="squat", placement="thigh", side="left", rate_hz=50.0, sets=(squats,),
        lead_in=(Distractor("stand", 2.0), Distractor(kind, 20.0), Distractor("stand", 3.0)),  # type: ignore[arg-type]
        lead_out=(Distractor("stand", 3.0), Distractor(kind, 20.0), Distractor("stand", 2.0)),  # type: ignore[arg-type]
        imu=ImuSpec(gyro=gyro),
    )
    _, labels = simulate_session(spec, 11)
    counted, _ = _count(spec, 11)
    first_s, last_s = labels.sets[0].start_s, labels.sets[0].end_s
    outside = [r for r in counted if r[1] < first_s - 0.5 or r[0] > last_s + 0.5]
    assert outside == []
    assert counted  # the set itself is seen


def test_fast_squats_after_a_seated_rest_are_counted_from_their_repetition() -> None:
    """Hard design, tuning seed 24: accelerometer-only fast thigh squats, 30 s seated between the sets.
    Recalibrating after the seat puts rest between seated and standing, and the second set (10 reps)
    read 0. It is a clearly repeated movement, loaded like strides but by the body being lowered once
    per continuous rep, so it is counted from its repetition (repetition._lowers_body)."""
    (hard,) = [h for h in hard_sessions(24, "squat_fast") if h.scenario == "squat_fast"]
    assert hard.spec.placement == "thigh" and not hard.gyro
    session, labels = simulate_session(hard.spec, hard.seed)
    second_s = labels.sets[1].start_s - 1.0

    def second_set(settings: AnalysisSettings) -> int:
        result = analyze_session(session, settings)
        return sum(r.start_s >= second_s for st in result.sets for r in st.reps)

    assert 7 <= second_set(SETTINGS) <= 10
    assert second_set(dataclasses.replace(SETTINGS, repetition_lowered_share_of_reps=1.0)) == 0


def test_fast_thigh_squats_stream_as_they_batch() -> None:
    """The drop is judged on each rep's own samples, so any chunking counts the same reps."""
    spec, _ = _fast_squats(True, seed=5)
    session, _ = simulate_session(spec, 5)
    s = session.samples
    ctx = AnalysisContext(exercise="squat", placement="thigh", side="right", rate_hz=spec.rate_hz, has_gyro=True)
    batch = analyze(s.t_s, s.acc_g, s.gyro_dps, ctx)
    assert s.gyro_dps is not None
    for block in (7, 61, 250):
        stream = StreamingAnalyzer(ctx)
        for i in range(0, s.t_s.size, block):
            stream.feed(s.t_s[i : i + block], s.acc_g[i : i + block], s.gyro_dps[i : i + block])
        streamed = stream.finish()
        assert [(r.start_s, r.end_s) for st in streamed.sets for r in st.reps] == [
            (r.start_s, r.end_s) for st in batch.sets for r in st.reps
        ]
