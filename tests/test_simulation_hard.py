"""The simulator's harder options (issue 9): each does what docs/simulator.md says, and the defaults
change nothing — a default spec still writes the committed fixtures byte for byte."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from sensortrack.simulation.catalog import all_fixtures
from sensortrack.simulation.fixtures import fixture_paths, generate
from sensortrack.simulation.hard import MEX_IMU, SCENARIOS, hard_sessions
from sensortrack.simulation.labels import Labels
from sensortrack.simulation.scoring import auc, drift_readings
from sensortrack.simulation.simulator import TrueMotion, simulate_session, true_motion
from sensortrack.simulation.spec import Distractor, ImuSpec, PersonSpec, SessionSpec, SetSpec

ROOT = Path(__file__).resolve().parents[1]
_Z = np.array([0.0, 0.0, 1.0])


def _squats(**kw: object) -> SessionSpec:
    values: dict[str, object] = dict(
        exercise="squat", placement="thigh", side="left", rate_hz=100.0,
        sets=(SetSpec(4), SetSpec(4, drift=True)),
        lead_in=(Distractor("stand", 1.5),), between=((Distractor("stand", 2.0),),),
        lead_out=(Distractor("stand", 1.0),), imu=ImuSpec.ideal(),
    )
    values.update(kw)
    return SessionSpec(**values)  # type: ignore[arg-type]


# ---- defaults change nothing ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["squat_thigh_left_cut", "bridge_thigh_left", "lunge_shank_right"])
def test_a_default_spec_still_writes_the_committed_fixture_byte_for_byte(tmp_path: Path, name: str) -> None:
    fixture = next(f for f in all_fixtures() if f.name == name)
    generate(tmp_path, fixture)
    for committed, regenerated in zip(fixture_paths(ROOT, fixture), fixture_paths(tmp_path, fixture), strict=True):
        assert regenerated.read_bytes() == committed.read_bytes()


def test_the_new_options_default_to_the_textbook_session() -> None:
    spec = _squats()
    assert spec.person == PersonSpec() and spec.person.textbook and not spec.seated
    assert spec.start_in_rep is None and spec.end_in_rep is None and spec.imu.acc_lsb_g is None
    assert all(s.rep_duration_s is None and s.range_deg is None and not s.alternating for s in spec.sets)


# ---- 1. the person's own knee path ----------------------------------------------------------------


def _bottoms(truth: TrueMotion) -> list[int]:
    m = truth.motion
    return [m.index(truth.t_first_s + r.peak_s) for r in truth.labels.reps]


def test_a_knee_in_person_reads_drift_on_every_correct_rep_from_the_thigh_but_not_the_shank() -> None:
    person = PersonSpec(knee_in_deg=14.0, valgus_deg=(3.0, 5.0))
    _, thigh = simulate_session(_squats(person=person), 21)
    _, shank = simulate_session(_squats(person=person, placement="shank"), 21)
    _, textbook = simulate_session(_squats(), 21)
    clean_thigh = [r.knee_drift_deg for r in thigh.reps if not r.valgus]
    valgus_thigh = [r.knee_drift_deg for r in thigh.reps if r.valgus]
    assert all(d is not None and 8.0 < d < 20.0 for d in clean_thigh)
    assert all(r.knee_drift_deg is not None and r.knee_drift_deg < 2.0 for r in textbook.reps if not r.valgus)
    # The valgus reps ride on the person's own level: only a few degrees above it.
    assert 1.5 < float(np.median(valgus_thigh)) - float(np.median(clean_thigh)) < 7.0  # type: ignore[arg-type]
    assert all(r.knee_drift_deg is not None and r.knee_drift_deg < 2.0 for r in shank.reps if not r.valgus)


@pytest.mark.parametrize("yaw_deg", [10.0, -10.0])
def test_a_turned_movement_plane_moves_the_flexed_knee_in_or_out_and_nothing_at_rest(yaw_deg: float) -> None:
    truth = true_motion(_squats(person=PersonSpec(plane_yaw_deg=yaw_deg), sets=(SetSpec(3),), between=()), 22)
    m, medial = truth.motion, truth.medial_e[0]
    assert medial is not None
    for i in _bottoms(truth):
        knee = -truth.segment_rotation[i].apply(_Z)
        flexion = np.degrees(np.arccos(-knee[2]))
        expected = np.degrees(np.arcsin(np.sin(np.radians(flexion)) * np.sin(np.radians(yaw_deg))))
        # within the clean reps' own ±1.5° wobble and the postural sway
        assert float(np.degrees(np.arcsin(knee @ medial))) == pytest.approx(expected, abs=2.5)
        assert abs(expected) > 7.0
    rest = m.index(truth.t_first_s + 0.5)  # standing: the knee straight below the hip as before
    assert abs(float(-truth.segment_rotation[rest].apply(_Z) @ medial)) < np.sin(np.radians(1.5))


def test_femoral_rotation_turns_the_front_of_the_thigh_inward_with_flexion() -> None:
    spec = _squats(sets=(SetSpec(3),), between=(), side="right")
    plain = true_motion(spec, 23)
    rotated = true_motion(replace(spec, person=PersonSpec(femoral_rotation_deg=12.0)), 23)
    medial = plain.medial_e[0]
    assert medial is not None
    for i in _bottoms(plain):
        turn = plain.segment_rotation[i].inv() * rotated.segment_rotation[i]  # in the thigh's frame
        axis_angle = turn.as_rotvec()
        assert abs(axis_angle[2]) > np.radians(8.0)  # about the thigh's own long axis
        assert np.hypot(axis_angle[0], axis_angle[1]) < np.radians(0.5)
        front_before = plain.segment_rotation[i].apply([1.0, 0.0, 0.0])
        front_after = rotated.segment_rotation[i].apply([1.0, 0.0, 0.0])
        assert (front_after - front_before) @ medial > 0.1  # internal: the front faces the midline more


# ---- 2. fast continuous sets ----------------------------------------------------------------------


def test_fast_sets_run_rep_into_rep_at_the_requested_tempo() -> None:
    fast = SetSpec(25, rep_duration_s=(0.8, 1.0), pause_at_peak_s=(0.0, 0.0), rest_between_reps_s=(0.0, 0.0))
    _, labels = simulate_session(_squats(sets=(fast,), between=(), imu=ImuSpec()), 24)
    reps = labels.sets[0].reps
    durations = np.array([r.end_s - r.start_s for r in reps])
    assert len(reps) == 25
    assert np.all(durations > 0.8 * 0.8 - 1e-3) and np.all(durations < 1.0 * 1.2 + 1e-3)
    assert all(b.start_s == a.end_s for a, b in zip(reps, reps[1:], strict=False))  # no pause at the top
    assert all(r.range_deg > 40.0 for r in reps)


# ---- 3. sit-to-stand ------------------------------------------------------------------------------


def test_sit_to_stand_rests_seated_with_the_thigh_horizontal_and_stands_up_each_rep() -> None:
    spec = _squats(sets=(SetSpec(5),), between=(), seated=True, lead_in=(Distractor("sit", 2.0),),
                   lead_out=(Distractor("sit", 1.5),))
    truth = true_motion(spec, 25)
    rot = truth.segment_rotation
    seated = truth.motion.index(truth.t_first_s + 1.0)
    assert 75.0 < np.degrees(np.arccos(rot[seated].apply(_Z)[2])) < 100.0  # thigh about horizontal
    for i in _bottoms(truth):
        assert np.degrees(np.arccos(rot[i].apply(_Z)[2])) < 20.0  # stood up: thigh about vertical
    assert len(truth.labels.reps) == 5 and all(70.0 < r.range_deg < 100.0 for r in truth.labels.reps)
    assert [d.kind for d in truth.labels.distractors] == ["sit", "sit"]
    with pytest.raises(ValueError):
        _squats(exercise="bridge", seated=True)


# ---- 4. recordings that start and stop on a rep --------------------------------------------------


def test_a_recording_can_start_mid_descent_and_stop_mid_set() -> None:
    joined = SetSpec(5, rest_between_reps_s=(0.0, 0.0), pause_at_peak_s=(0.0, 0.0))
    base = _squats(sets=(joined,), between=(), lead_in=(), lead_out=(), imu=ImuSpec())
    session, whole = simulate_session(base, 26)
    cut_session, cut = simulate_session(replace(base, start_in_rep=0.25, end_in_rep=0.35), 26)
    # Starts moving: the thigh turns fast at the first sample; the first rep is kept (its bottom was
    # recorded), clipped at 0; the last is dropped (stopped before its bottom).
    assert cut_session.samples.gyro_dps is not None
    assert np.linalg.norm(cut_session.samples.gyro_dps[0]) > 30.0
    assert len(cut.reps) == 4 and cut.reps[0].start_s == 0.0
    assert cut.reps[-1].end_s <= cut_session.samples.t_s[-1]
    ends_after_peak = simulate_session(replace(base, end_in_rep=0.8), 26)[1]
    assert len(ends_after_peak.reps) == 5  # stopped on the way up: the last rep counts, clipped
    assert len(whole.reps) == 5 and not cut.distractors
    with pytest.raises(ValueError):
        replace(base, start_in_rep=1.0)
    with pytest.raises(ValueError):
        replace(base, start_in_rep=0.2, cut_start_s=0.5)


# ---- 5. ranges, coarse accelerometers, rates ------------------------------------------------------


def test_small_range_sets_on_a_coarse_accelerometer_like_mex() -> None:
    spec = SessionSpec("clamshell", "thigh", "right", 103.0, sets=(SetSpec(5, range_deg=(9.0, 11.0)),),
                       lead_in=(Distractor("lie", 2.0),), lead_out=(Distractor("lie", 1.0),), imu=MEX_IMU)
    session, labels = simulate_session(spec, 27)
    acc = session.samples.acc_g
    assert session.samples.gyro_dps is None
    steps = acc * 64
    assert np.allclose(steps, np.round(steps), atol=1e-6) and np.abs(acc).max() <= 8.0
    assert all(6.0 < r.range_deg < 14.0 for r in labels.reps)
    bridge = SessionSpec("bridge", "thigh", "left", 25.0, sets=(SetSpec(4, range_deg=(8.0, 8.0)),),
                         lead_in=(Distractor("lie", 2.0),), lead_out=(Distractor("lie", 1.0),), imu=ImuSpec())
    fast_rate, b_labels = simulate_session(bridge, 28)
    assert all(5.5 < r.range_deg < 11.0 for r in b_labels.reps)
    assert np.median(np.diff(fast_rate.samples.t_s)) == pytest.approx(1 / 25.0, rel=0.05)


def test_a_bridge_lowered_unevenly_stops_part_of_the_way_down() -> None:
    """`return_pause_s`: each rep pauses on the way back with 30–70 % of its lift still to go, and
    the rep (its label) lasts that much longer; the thigh is still during the pause."""
    pause = SetSpec(4, pause_at_peak_s=(2.0, 2.0), return_pause_s=(1.0, 1.0), range_deg=(20.0, 20.0))
    spec = SessionSpec("bridge", "thigh", "left", 100.0, sets=(pause,), lead_in=(Distractor("lie", 2.0),),
                       lead_out=(Distractor("lie", 1.0),), imu=ImuSpec.ideal())
    truth = true_motion(spec, 31)
    plain = true_motion(replace(spec, sets=(replace(pause, return_pause_s=(0.0, 0.0)),)), 31)
    flex = truth.motion.thigh_flex_deg
    for rep in truth.labels.reps:
        t0 = truth.t_first_s
        window = slice(truth.motion.index(t0 + rep.peak_s), truth.motion.index(t0 + rep.end_s))
        lowering = flex[window]
        lift = float(lowering.max() - lowering.min())
        steps = np.abs(np.diff(lowering))
        held = lowering[1:][steps < 1e-3 * lift]  # barely moving: the top hold and the pause
        middle = held[(held > lowering.min() + 0.25 * lift) & (held < lowering.max() - 0.25 * lift)]
        assert middle.size >= 0.8 * 100  # ~1 s held part of the way down
    durations = [r.end_s - r.start_s for r in truth.labels.reps]
    plain_durations = [r.end_s - r.start_s for r in plain.labels.reps]
    assert len(durations) == 4 and min(durations) > min(plain_durations)


# ---- 7. alternating lunges ------------------------------------------------------------------------


def test_alternating_lunges_label_only_the_instrumented_legs_lunges_and_the_shank_sees_both() -> None:
    spec = SessionSpec("lunge", "shank", "left", 100.0, sets=(SetSpec(4, alternating=True),),
                       lead_in=(Distractor("stand", 1.5),), lead_out=(Distractor("stand", 1.5),), imu=ImuSpec.ideal())
    truth = true_motion(spec, 29)
    reps = truth.labels.reps
    others = [d for d in truth.labels.distractors if d.kind == "other_leg"]
    assert len(reps) == 4 and len(others) == 4
    # Legs alternate, the instrumented one first.
    starts = sorted([(r.start_s, "rep") for r in reps] + [(d.start_s, "other") for d in others])
    assert [kind for _, kind in starts] == ["rep", "other"] * 4
    rot = truth.segment_rotation
    for d in others:  # the rear shank tips far more than the front one ever does
        sl = slice(truth.motion.index(truth.t_first_s + d.start_s), truth.motion.index(truth.t_first_s + d.end_s))
        tilt = np.degrees(np.arccos(np.clip(rot[sl].apply(_Z) @ rot[sl.start].apply(_Z), -1, 1)))
        assert tilt.max() > 40.0
    assert all(r.range_deg < 40.0 for r in reps)


# ---- the hard design and its scoring --------------------------------------------------------------


def test_the_hard_design_is_deterministic_and_covers_every_scenario() -> None:
    a, b = hard_sessions(3), hard_sessions(3)
    assert [(h.scenario, h.spec, h.seed) for h in a] == [(h.scenario, h.spec, h.seed) for h in b]
    assert [h.scenario for h in a] == list(SCENARIOS)
    assert [h.seed for h in hard_sessions(4)] != [h.seed for h in a]
    many = [h for seed in range(40) for h in hard_sessions(seed)]
    assert {h.spec.placement for h in many} == {"thigh", "shank"} and {h.gyro for h in many} == {True, False}
    people = [h.spec.person for h in many if h.scenario == "squat_person"]
    assert any(p.knee_in_deg >= 8.0 for p in people) and any(p.knee_in_deg < 6.0 for p in people)
    assert all(2 * 0.7 <= p.valgus_deg[0] and p.valgus_deg[1] <= 13 * 1.3 for p in people)
    assert all(h.spec.start_in_rep is not None for h in many if h.scenario.endswith("_joined"))
    assert all(h.spec.seated for h in many if h.scenario == "squat_sit_to_stand")
    assert min(h.spec.rate_hz for h in many) == 25.0 and max(h.spec.rate_hz for h in many) == 1000.0


def test_drift_auc_and_readings_from_matched_reps() -> None:
    assert auc([(True, 5.0), (True, 4.0), (False, 1.0), (False, 2.0)]) == 1.0
    assert auc([(True, 1.0), (False, 1.0)]) == 0.5
    assert auc([(True, 1.0), (False, 3.0), (False, 0.0)]) == 0.5
    assert auc([(False, 1.0)]) is None
    _, labels = simulate_session(_squats(), 30)
    sets = [{"start_s": s.start_s, "end_s": s.end_s,
             "reps": [{"start_s": r.start_s, "end_s": r.end_s, "knee_drift_deg": 10.0 if r.valgus else 1.0}
                      for r in s.reps]} for s in labels.sets]
    readings = drift_readings({"sets": sets}, labels)
    assert readings == [(r.valgus, 10.0 if r.valgus else 1.0) for r in labels.reps]
    assert auc(readings) == 1.0
    assert drift_readings({"sets": []}, Labels.from_dict(labels.to_dict())) == []


def test_compose_gives_scipys_bits_for_stacks_and_single_rotations() -> None:
    from sensortrack.simulation.body import compose

    rng = np.random.default_rng(31)
    a, b, c = (Rotation.random(500, random_state=rng) for _ in range(3))
    one = Rotation.random(random_state=rng)
    for args in ((a, b), (a, one), (one, a), (a, b, c), (one, a, one.inv(), b)):
        expected = args[0]
        for r in args[1:]:
            expected = expected * r
        assert np.array_equal(compose(*args).as_quat(), expected.as_quat())


def test_the_hard_benchmark_table_counts_zero_sets_and_pools_warnings() -> None:
    import importlib.util
    import sys

    spec_ = importlib.util.spec_from_file_location("accuracy_hard", ROOT / "benchmarks" / "accuracy_hard.py")
    assert spec_ is not None and spec_.loader is not None
    bench = importlib.util.module_from_spec(spec_)
    sys.modules["accuracy_hard"] = bench  # dataclasses look their module up while the class is made
    try:
        spec_.loader.exec_module(bench)
    finally:
        del sys.modules["accuracy_hard"]
    from sensortrack.simulation.scoring import score

    _, labels = simulate_session(_squats(), 32)  # 4 correct reps, then 4 valgus reps
    first = labels.sets[0]
    found = {"sets": [{"start_s": first.start_s, "end_s": first.end_s,
                       "reps": [{"start_s": r.start_s, "end_s": r.end_s, "knee_drift_deg": 3.0,
                                 "warnings": ["knee_drift"] if i == 0 else []}
                                for i, r in enumerate(first.reps)]}]}  # the valgus set is missed: 0
    s = score(found, labels)
    outcome = bench.Outcome(0, "squat_person", "thigh", True, 100.0, 1, s, tuple(drift_readings(found, labels)))
    rows = bench.table([outcome])
    cells = rows[1].split()
    assert cells[:4] == ["squat_person", "thigh", "yes", "2"]
    assert cells[4:10] == ["50", "50", "1", f"{s.boundary_error_pct:.1f}", "25", "0"]  # exact, ±1, zero, …
    assert cells[10] == "-"  # no valgus rep was matched: no AUC
    assert rows[-1].split()[:2] == ["ALL", "2"]


def test_alternating_lunges_land_each_foot_and_the_leads_strike_is_its_own() -> None:
    """A lunge's step ends in a foot strike: the instrumented leg's own reaches its shank directly,
    the other foot's only damped (15-30 %, then by the knee) through the pelvis (tuning seed 4, shank)."""
    [hard] = hard_sessions(4, "lunge_alternating")
    session, labels = simulate_session(hard.spec, hard.seed)
    t, acc = session.samples.t_s, session.samples.acc_g
    quick = np.abs(np.linalg.norm(acc, axis=1) - np.convolve(np.linalg.norm(acc, axis=1), np.ones(25) / 25, "same"))

    def peak(a: float, b: float) -> float:
        i, j = np.searchsorted(t, [a, b])
        return float(quick[i:j].max())

    own = [peak(r.start_s, r.end_s) for r in labels.reps]
    other = [peak(d.start_s, d.end_s) for d in labels.distractors if d.kind == "other_leg"]
    assert len(other) == len(own) > 6
    assert np.median(own) > 3.0 * np.median(other) and np.median(own) > 0.5
    assert np.median(other) > 0.1  # felt (before session 10 the other leg's lunge landed unfelt: 0.03 g)


def test_a_lunge_strike_reaches_the_thigh_through_the_knee_damped() -> None:
    """A foot strike shakes the shank more than the thigh above the flexed knee, and the other
    foot's strike (through the pelvis) the thigh more than the shank (session 10; the whole leg
    shook alike before, so a thigh felt this foot's every strike in full)."""
    from sensortrack.simulation.simulator import true_motion

    [hard] = hard_sessions(4, "lunge_alternating")
    truth = true_motion(hard.spec, hard.seed)
    m = truth.motion
    thigh_shake = m.impact_e[:, 2]  # what moves the hip and the thigh with it
    shank_shake = m.impact_e[:, 2] + m.shank_impact_e[:, 2]  # what moves the ankle and the shank
    own = [slice(*np.searchsorted(truth.t_s, [r.start_s + truth.t_first_s, r.end_s + truth.t_first_s]))
           for r in truth.labels.reps]
    other = [slice(*np.searchsorted(truth.t_s, [d.start_s + truth.t_first_s, d.end_s + truth.t_first_s]))
             for d in truth.labels.distractors if d.kind == "other_leg"]
    assert len(own) > 6 and len(other) > 6

    def peak(x: np.ndarray, spans: list[slice]) -> float:
        return float(np.median([np.abs(x[sl]).max() for sl in spans]))

    assert peak(thigh_shake, own) < 0.55 * peak(shank_shake, own)  # this foot lands: the knee absorbs
    assert peak(shank_shake, other) < 0.55 * peak(thigh_shake, other)  # the other lands: the pelvis first
    # and the joints move with them: the ankle by the whole shock, the hip without the knee's share
    ankle, hip = m.ankle_e(), m.hip_e()
    below_knee = m.shank_impact_e.copy()
    m.shank_impact_e[:] = 0.0
    np.testing.assert_allclose(ankle - m.ankle_e(), below_knee, atol=1e-12)
    np.testing.assert_allclose(hip, m.hip_e(), atol=1e-12)
    assert np.abs(below_knee).max() > 1e-4
