"""The session simulator: known-answer physics, labels, determinism, files, fixtures and scoring."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation, Slerp

from sensortrack.core.errors import InputFileError
from sensortrack.core.loading import load_session
from sensortrack.simulation.badfiles import BAD_FILES, GOOD_FILES, write_bad_files
from sensortrack.simulation.catalog import all_fixtures
from sensortrack.simulation.fixtures import fixture_paths, write_recording
from sensortrack.simulation.imu import STANDARD_GRAVITY_MS2, body_rate_dps, record, specific_force_g
from sensortrack.simulation.labels import Labels, load_labels
from sensortrack.simulation.mex import strictly_increasing
from sensortrack.simulation.scoring import score
from sensortrack.simulation.simulator import simulate_session, true_motion
from sensortrack.simulation.spec import Distractor, ImuSpec, SessionSpec, SetSpec

ROOT = Path(__file__).resolve().parents[1]
DT_S = 0.001


def _short_spec(exercise: str = "squat", placement: str = "thigh", side: str = "left", **kw: object) -> SessionSpec:
    values: dict[str, object] = dict(
        exercise=exercise, placement=placement, side=side, rate_hz=100.0,
        sets=(SetSpec(3), SetSpec(3, drift=True)),
        lead_in=(Distractor("stand", 1.5),),
        between=((Distractor("stand", 2.0),),),
        lead_out=(Distractor("stand", 1.0),),
    )
    values.update(kw)
    return SessionSpec(**values)  # type: ignore[arg-type]


# ---- known-answer physics -----------------------------------------------------------------------


def test_a_static_sensor_reads_one_g_along_the_axis_pointing_up_for_any_mounting() -> None:
    mountings = Rotation.random(20, random_state=np.random.default_rng(1))
    for mount in mountings:
        r = Rotation.concatenate([mount] * 50)
        acc = specific_force_g(np.zeros((50, 3)), r, DT_S)
        up_in_sensor = mount.inv().apply([0.0, 0.0, 1.0])
        np.testing.assert_allclose(acc, np.tile(up_in_sensor, (50, 1)), atol=1e-12)
        np.testing.assert_allclose(np.linalg.norm(acc, axis=1), 1.0, atol=1e-12)


def test_a_pure_rotation_at_a_known_rate_gives_that_rate_in_the_sensor_frame() -> None:
    t = np.arange(0, 2.0, DT_S)
    rate_dps = 90.0
    for mount in Rotation.random(5, random_state=np.random.default_rng(2)):
        # The sensor turns about the earth's vertical; mounted at `mount` it sees ω = mount^T ẑ·rate.
        r = Rotation.from_euler("z", (rate_dps * t)[:, None], degrees=True) * mount
        gyro = body_rate_dps(r, DT_S)
        np.testing.assert_allclose(gyro, np.tile(mount.inv().apply([0, 0, rate_dps]), (t.size - 1, 1)), atol=1e-6)


def test_a_segment_turning_about_a_fixed_joint_adds_the_centripetal_acceleration() -> None:
    t = np.arange(0, 1.0, DT_S)
    omega = 2 * np.pi  # rad/s about the earth's y axis, joint fixed at the origin
    r = Rotation.from_rotvec(np.column_stack([np.zeros_like(t), omega * t, np.zeros_like(t)]))
    offset = np.array([0.0, 0.0, -0.2])  # 20 cm down the segment
    acc = specific_force_g(r.apply(offset), r, DT_S)[2:-2]
    gravity_part = r.inv().apply([0.0, 0.0, 1.0])[2:-2]
    # a = −ω² r points from the sensor to the joint: +z in the segment frame, ω²·0.2 m/s².
    expected = np.tile([0.0, 0.0, omega**2 * 0.2 / STANDARD_GRAVITY_MS2], (t.size - 4, 1))
    np.testing.assert_allclose(acc - gravity_part, expected, atol=1e-5)


def test_integrating_the_simulated_gyro_from_the_true_start_reproduces_the_true_orientation() -> None:
    spec = _short_spec(rate_hz=200.0, imu=ImuSpec.ideal())
    truth = true_motion(spec, seed=5)
    rec = record(truth.t_s, truth.sensor_position_e, truth.sensor_rotation, rate_hz=200.0,
                 t_first=truth.t_first_s, t_last=truth.t_last_s, spec=ImuSpec.ideal(),
                 rng=np.random.default_rng(0))
    assert rec.gyro_dps is not None
    true_at_samples = Slerp(truth.t_s, truth.sensor_rotation)(truth.t_first_s + rec.true_t_s)
    estimate = true_at_samples[0]
    worst_deg = 0.0
    for k in range(1, rec.t_s.size):
        dt = rec.true_t_s[k] - rec.true_t_s[k - 1]
        mean_rate = np.radians(0.5 * (rec.gyro_dps[k - 1] + rec.gyro_dps[k]))
        estimate = estimate * Rotation.from_rotvec(mean_rate * dt)
        worst_deg = max(worst_deg, np.degrees((estimate.inv() * true_at_samples[k]).magnitude()))
    assert rec.t_s[-1] > 20.0  # reps and rests: a real workout, not a toy rotation
    assert worst_deg < 0.1


# ---- labels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("placement", "side", "seed"), [("thigh", "left", 3), ("shank", "right", 4)])
def test_clean_reps_drift_less_than_2_degrees_and_drift_reps_more_than_6(placement: str, side: str, seed: int) -> None:
    _, labels = simulate_session(_short_spec(placement=placement, side=side), seed)
    clean, drifting = labels.sets
    assert not clean.drift and drifting.drift
    assert all(r.knee_drift_deg is not None and r.knee_drift_deg < 2.0 and not r.valgus for r in clean.reps)
    assert all(r.knee_drift_deg is not None and r.knee_drift_deg > 6.0 and r.valgus for r in drifting.reps)
    assert all(40.0 < r.range_deg < 100.0 for r in clean.reps + drifting.reps) if placement == "thigh" else True


def test_band_walk_lead_moves_the_sensor_laterally_first_and_trail_medially() -> None:
    spec = _short_spec("band_walk", sets=(SetSpec(3, step="lead"), SetSpec(3, step="trail")), imu=ImuSpec.ideal())
    truth = true_motion(spec, seed=8)
    m = truth.motion
    for set_label, medial, step in zip(truth.labels.sets, truth.medial_e, ("lead", "trail"), strict=True):
        assert set_label.step == step and all(r.step == step for r in set_label.reps)
        assert medial is not None
        for rep in set_label.reps:
            start = m.index(truth.t_first_s + rep.start_s)
            early = m.index(truth.t_first_s + rep.start_s + 0.3 * (rep.peak_s - rep.start_s))
            toward_midline_m = (truth.sensor_position_e[early] - truth.sensor_position_e[start]) @ medial
            assert (toward_midline_m < -0.003) if step == "lead" else (toward_midline_m > 0.003)


def test_clamshell_has_no_drift_label_and_restrap_is_recorded() -> None:
    _, clam = simulate_session(_short_spec("clamshell", sets=(SetSpec(3), SetSpec(3))), 9)
    assert all(r.knee_drift_deg is None and not r.valgus for r in clam.reps)
    spec = _short_spec(between=((Distractor("stand", 1.0), Distractor("restrap", 2.0), Distractor("stand", 1.0)),))
    session, labels = simulate_session(spec, 10)
    assert len(labels.mount_changes_s) == 1
    restrap = next(d for d in labels.distractors if d.kind == "restrap")
    assert labels.mount_changes_s[0] == pytest.approx(restrap.start_s, abs=0.01)
    # The gravity direction in the sensor frame at rest differs before and after re-strapping.
    t, acc = session.samples.t_s, session.samples.acc_g
    before = acc[(t > restrap.start_s - 0.8) & (t < restrap.start_s)].mean(axis=0)
    after = acc[(t > restrap.end_s) & (t < restrap.end_s + 0.8)].mean(axis=0)
    assert np.degrees(np.arccos(before @ after / np.linalg.norm(before) / np.linalg.norm(after))) > 5.0


# ---- determinism and files ----------------------------------------------------------------------


def test_same_seed_gives_identical_output_and_another_seed_does_not() -> None:
    spec = _short_spec()
    a, labels_a = simulate_session(spec, 11)
    b, labels_b = simulate_session(spec, 11)
    c, labels_c = simulate_session(spec, 12)
    assert np.array_equal(a.samples.t_s, b.samples.t_s) and np.array_equal(a.samples.acc_g, b.samples.acc_g)
    assert np.array_equal(a.samples.gyro_dps, b.samples.gyro_dps) and a.gaps == b.gaps and labels_a == labels_b
    assert labels_a != labels_c
    n = min(len(a.samples), len(c.samples))
    assert not np.allclose(a.samples.acc_g[:n], c.samples.acc_g[:n])


@pytest.mark.parametrize("gyro", [True, False])
def test_files_round_trip_through_load_session_with_gaps(tmp_path: Path, gyro: bool) -> None:
    spec = _short_spec(imu=ImuSpec(gyro=gyro, drop_bursts_per_min=12.0, quantise=True))
    session, labels = simulate_session(spec, 13)
    assert session.gaps, "the spec drops samples: there must be gaps"
    write_recording(tmp_path / "s.csv", tmp_path / "s.labels.json", session, labels)
    loaded = load_session(tmp_path / "s.csv")
    assert not loaded.interrupted
    assert np.array_equal(loaded.samples.t_s, session.samples.t_s)
    assert np.array_equal(loaded.samples.acc_g, session.samples.acc_g)
    assert (loaded.samples.gyro_dps is None) == (not gyro)
    if gyro:
        assert np.array_equal(loaded.samples.gyro_dps, session.samples.gyro_dps)
    assert loaded.gaps == session.gaps
    assert sum(g.lost_samples for g in loaded.gaps) == sum(g.lost_samples for g in session.gaps)
    meta = loaded.meta
    assert (meta.exercise, meta.sensor.placement, meta.sensor.side, meta.source) == ("squat", "thigh", "left", "simulated")
    assert "seed=13" in meta.notes
    assert load_labels(tmp_path / "s.csv") == labels == Labels.from_json(labels.to_json())


def test_regenerating_a_committed_fixture_reproduces_it() -> None:
    fixture = next(f for f in all_fixtures() if f.name == "squat_shank_left")
    csv_path, labels_path = fixture_paths(ROOT, fixture)
    committed = load_session(csv_path)
    session, labels = simulate_session(fixture.spec, fixture.seed)
    assert np.allclose(committed.samples.t_s, session.samples.t_s)
    assert np.allclose(committed.samples.acc_g, session.samples.acc_g)
    assert np.allclose(committed.samples.gyro_dps, session.samples.gyro_dps)
    assert committed.gaps == session.gaps
    assert load_labels(labels_path) == labels


def test_the_committed_fixture_set_is_complete_and_small() -> None:
    sim = ROOT / "fixtures" / "simulated"
    for exercise in ("squat", "lunge", "band_walk", "bridge", "clamshell", "step_up"):
        for placement in ("thigh", "shank"):
            for side in ("left", "right"):
                assert (sim / f"{exercise}_{placement}_{side}.csv").is_file()
                assert (sim / f"{exercise}_{placement}_{side}.labels.json").is_file()
    for hard in ("squat_thigh_left_restrap", "squat_thigh_right_partial", "squat_thigh_left_cut"):
        assert (sim / f"{hard}.csv").is_file()
    assert (ROOT / "sensortrack" / "data" / "demo_squats.csv").stat().st_size < 1_000_000
    total = sum(p.stat().st_size for p in (ROOT / "fixtures").rglob("*") if p.is_file())
    assert total < 25_000_000
    acc_only = [p.name for p in sim.glob("*.csv") if load_session(p).samples.gyro_dps is None]
    assert len(acc_only) == 4


# ---- MEx and broken files -----------------------------------------------------------------------


def test_repeated_or_backward_timestamps_are_retimed_without_dropping_samples() -> None:
    t, repaired = strictly_increasing(np.array([0.0, 0.01, 0.01, 0.03, 0.02, 0.05, 0.05]))
    assert repaired == 3 and t.size == 7
    assert np.all(np.diff(t) > 0)
    np.testing.assert_allclose(t[:6], [0.0, 0.01, 0.02, 0.03, 0.04, 0.05])


def test_mex_fixtures_are_real_accelerometer_sessions_with_credit() -> None:
    files = sorted((ROOT / "fixtures" / "mex").glob("*.csv"))
    assert len(files) == 4
    for path in files:
        session = load_session(path)
        assert session.samples.gyro_dps is None and session.meta.sensor.placement == "thigh"
        assert session.meta.exercise in ("bridge", "clamshell")
        assert "CC BY 4.0" in session.meta.attribution and "Wijekoon" in session.meta.attribution
        assert 15.0 < session.samples.t_s[-1] < 90.0
        assert 0.8 < np.median(np.linalg.norm(session.samples.acc_g, axis=1)) < 1.2
    assert (ROOT / "fixtures" / "mex" / "NOTICE.md").is_file()


@pytest.mark.parametrize("name", sorted(n for n in BAD_FILES if n != "crashed_session.csv"))
def test_each_broken_file_is_refused_with_one_clear_error(name: str) -> None:
    with pytest.raises(InputFileError) as err:
        load_session(ROOT / "fixtures" / "bad" / name)
    assert "\n" not in str(err.value) and name in str(err.value)


def test_the_crashed_session_and_the_interchange_example_load(tmp_path: Path) -> None:
    crashed = load_session(ROOT / "fixtures" / "bad" / "crashed_session.csv")
    assert crashed.interrupted and len(crashed.samples) == 6 and crashed.gaps
    ok = load_session(ROOT / "fixtures" / "bad" / "interchange_ok.csv")
    assert (ok.meta.exercise, ok.meta.sensor.placement, ok.meta.sensor.side) == ("squat", "thigh", "left")
    assert ok.samples.gyro_dps is not None and len(ok.samples) == 100
    written = write_bad_files(tmp_path)  # the committed files are exactly what the generator writes
    assert len(written) == len(BAD_FILES) + len(GOOD_FILES)
    for path in written:
        assert path.read_bytes() == (ROOT / "fixtures" / "bad" / path.name).read_bytes()


# ---- scoring ------------------------------------------------------------------------------------


def _result_from(labels: Labels, drop_rep: int | None = None, warn_all: bool = False) -> dict[str, object]:
    sets = []
    k = 0
    for s in labels.sets:
        reps = []
        for r in s.reps:
            k += 1
            if k == drop_rep:
                continue
            warned = warn_all or r.valgus
            reps.append({"start_s": r.start_s + 0.1, "peak_s": r.peak_s, "end_s": r.end_s - 0.1,
                         "range_deg": r.range_deg, "knee_drift_deg": r.knee_drift_deg,
                         "warnings": ["knee_drift"] if warned else []})
        sets.append({"exercise": labels.exercise, "start_s": s.start_s, "end_s": s.end_s, "reps": reps})
    return {"sets": sets}


def test_scoring_a_perfect_result_and_a_flawed_one() -> None:
    _, labels = simulate_session(_short_spec(), 14)
    perfect = score(_result_from(labels), labels)
    assert perfect.exact_count_rate == 1.0 and perfect.count_mae == 0.0 and perfect.reps_matched == 6
    assert perfect.drift_hit_rate == 1.0 and perfect.drift_false_alarm_rate == 0.0
    durations = np.array([r.end_s - r.start_s for r in labels.reps])
    assert perfect.start_error_pct == pytest.approx(float(np.mean(0.1 / durations * 100)), rel=1e-6)

    flawed = score(_result_from(labels, drop_rep=4, warn_all=True), labels)  # first rep of the drift set missed
    assert flawed.set_counts == ((3, 3), (3, 2))
    assert flawed.exact_count_rate == 0.5 and flawed.within_one_rate == 1.0 and flawed.count_mae == 0.5
    assert flawed.drift_hit_rate == pytest.approx(2 / 3) and flawed.drift_false_alarm_rate == 1.0
    nothing = score({"sets": []}, labels)
    assert nothing.exact_count_rate == 0.0 and nothing.count_mae == 3.0 and nothing.drift_hit_rate == 0.0


def test_main_regenerates_only_what_it_is_asked_for(tmp_path: Path) -> None:
    from sensortrack.simulation.__main__ import main

    assert main(["--root", str(tmp_path), "--only", "bad"]) == 0
    assert (tmp_path / "fixtures" / "bad" / "nan.csv").is_file()
    assert not (tmp_path / "fixtures" / "simulated").exists()


def test_spec_rejects_inconsistent_sets() -> None:
    with pytest.raises(ValueError):
        SessionSpec("squat", "thigh", "left", 100.0, sets=())
    with pytest.raises(ValueError):
        replace(_short_spec(), between=((), ()))
