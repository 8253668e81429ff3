"""The recognition scenes (sensortrack/simulation/recognition_scenes.py) move the body as described:
the rear leg of a forward lunge, jogging and marching on the spot, single-rep clips."""

from __future__ import annotations

import numpy as np

from sensortrack.simulation.recognition_scenes import clip_sessions, recognition_sessions
from sensortrack.simulation.simulator import simulate_session, true_motion


def _scene(name: str, seed: int = 5):  # type: ignore[no-untyped-def]
    return next((n, spec, s) for n, spec, s in recognition_sessions(seed) if n == name)


def _tilt_deg(rotations, t_s, t0: float, t1: float) -> float:  # type: ignore[no-untyped-def]
    """Largest angle between the segment's long axis and its direction at t0, within [t0, t1]."""
    i0, i1 = np.searchsorted(t_s, [t0, t1])
    axis = rotations[i0:i1].apply(np.array([0.0, 0.0, 1.0]))
    return float(np.degrees(np.arccos(np.clip(axis @ axis[0], -1, 1))).max())


def test_a_trailing_lunge_turns_the_shank_far_more_than_the_thigh() -> None:
    _, spec, seed = _scene("lunge_trailing_thigh")
    truth = true_motion(spec, seed)
    m = truth.motion
    for st in truth.labels.sets:
        t0, t1 = st.start_s + truth.t_first_s, st.end_s + truth.t_first_s
        thigh = _tilt_deg(m.thigh_rotation(), m.t_s, t0, t1)
        shank = _tilt_deg(m.shank_rotation(), m.t_s, t0, t1)
        assert 8.0 < thigh < 35.0 and shank > 40.0, (thigh, shank)
        assert len(st.reps) >= 4


def test_jogging_in_place_stays_put_and_lands_hard() -> None:
    _, spec, seed = _scene("squat_paused_jog_thigh")
    session, labels = simulate_session(spec, seed)
    truth = true_motion(spec, seed)
    jog = next(d for d in labels.distractors if d.kind == "jog")
    i0, i1 = np.searchsorted(truth.t_s, [jog.start_s + truth.t_first_s, jog.end_s + truth.t_first_s])
    hip = truth.motion.hip_e()[i0:i1]
    assert np.ptp(hip[:, 0]) < 0.15 and np.ptp(hip[:, 1]) < 0.15  # on the spot
    t = session.samples.t_s
    inside = (t >= jog.start_s) & (t <= jog.end_s)
    shock = np.linalg.norm(session.samples.acc_g[inside], axis=1)
    assert np.percentile(shock, 99) > 1.5  # landings: well over 1 g
    assert labels.sets and all(s.start_s > jog.end_s for s in labels.sets)


def test_clips_are_one_rep_with_a_short_still_start_and_end() -> None:
    clips = clip_sessions(2)
    assert {n.split("_", 1)[1].rsplit("_", 1)[0] for n, *_ in clips} >= {"squat", "squat_chair", "lunge_trailing", "bridge"}
    for name, spec, seed in clips[:4]:
        session, labels = simulate_session(spec, seed)
        assert len(labels.sets) == 1 and len(labels.sets[0].reps) == 1, name
        assert session.samples.t_s[-1] < 8.0, name


def test_flat_strap_lies_on_the_skin_and_leaves_the_movement_alone() -> None:
    """flat_mount: the sensor's z along the outward normal of the face it sits on (±), its x and y in
    the skin's plane; simulate_flat: the same sets and labels as simulate_session."""
    from sensortrack.simulation.catalog import standard_fixtures
    from sensortrack.simulation.recognition_scenes import STRAP_TILT_SD_DEG, flat_mount, simulate_flat
    from sensortrack.simulation.simulator import simulate_session

    rng = np.random.Generator(np.random.PCG64(5))
    for offset, normal in (([0.05, 0.0, -0.2], [1.0, 0.0, 0.0]), ([0.0, -0.06, 0.25], [0.0, -1.0, 0.0])):
        for _ in range(20):
            m = flat_mount(np.array(offset), rng).as_matrix()  # columns: sensor axes in the segment frame
            tilt_deg = np.degrees(np.arccos(min(1.0, abs(float(m[:, 2] @ np.array(normal))))))
            assert tilt_deg < 5 * STRAP_TILT_SD_DEG
    fx = standard_fixtures()[0]
    a, la = simulate_session(fx.spec, fx.seed)
    b, lb = simulate_flat(fx.spec, fx.seed)
    assert la.sets == lb.sets and la.placement == lb.placement and a.samples.t_s.shape == b.samples.t_s.shape
    assert not np.allclose(a.samples.acc_g, b.samples.acc_g)  # the strap did turn
