"""What real bodies do that the rest of the simulator does not, for the exercise recogniser (issue 13).

Found on the recogniser's tuning recordings (UTD-MHAD odd subjects, never its reporting ones):
- forward lunges whose instrumented leg is the TRAILING one (UTD a26: the thigh sensor on the leg
  that stays behind). That thigh hardly turns (the hip extends 10–25° while the body moves over
  the front foot); its knee drops toward the floor, so a shank sensor turns 50–80°;
- jogging and walking in place (UTD a22/a23): thigh swings without travelling, heel strikes, and for
  jogging a knee lift of 35–60°, 2.4–3.2 steps per second and hard landings;
- single reps with a short still start and end (UTD trials of 2–4 s; `clip_sessions`), and sets
  with long still pauses between reps (each UTD trial was recorded on its own).

Renderers here follow sensortrack/simulation/exercises.py and distractors.py (same Scene, same
angle conventions); the specs of `recognition_sessions` are drawn from one design seed like
hard.hard_sessions, so tuning seeds 0–99 and reporting seeds 1000+ stay apart.

`flat_straps` / `simulate_flat` strap the simulator's sensor flat on the skin, as every real strap
sits (the recogniser's posture features read gravity against the skin normal); the simulator's own
mount is drawn over all rotations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
from scipy.spatial.transform import Rotation

from sensortrack.core.model import Session
from sensortrack.simulation.labels import Labels

from sensortrack.simulation.curves import bump, ramp, shock
from sensortrack.simulation.exercises import RepPlan, RepTruth, SetPlan
from sensortrack.simulation.hard import _imu, draw_person
from sensortrack.simulation.scene import Scene
from sensortrack.simulation.spec import Distractor, SessionSpec, SetSpec


def _profile(t: np.ndarray, rep: RepPlan, t0: float) -> np.ndarray:
    """0 at rest, 1 at the bottom: down, hold, back up (exercises._rep_profile without its return pause)."""
    return ramp(t, t0 + rep.start_s, t0 + rep.reach_s) - ramp(t, t0 + rep.leave_s, t0 + rep.end_s)


def render_trailing_lunge(scene: Scene, t0: float, plan: SetPlan) -> list[RepTruth]:
    """Forward lunges of the OTHER leg, from standing: the instrumented foot stays planted behind.

    The body first moves forward over the stepping foot (this hip extends 10–25°, the heel rises and
    the knee bends a little), then drops: the rear knee goes toward the floor (shank tips 50–80°
    forward from vertical) while the thigh comes back near vertical; then all in reverse."""
    rng, m = scene.rng, scene.motion
    extend_deg = rng.uniform(10, 25)  # hip extension while the body moves forward
    bottom_thigh = rng.uniform(-12, 2)  # at the bottom: thigh a little behind vertical
    knee_drop_deg = rng.uniform(50, 80)
    out = []
    for rep in plan.reps:
        start, reach, leave, end = (t0 + rep.start_s, t0 + rep.reach_s, t0 + rep.leave_s, t0 + rep.end_s)
        sl, t = scene.window(start, end)
        f = _profile(t, rep, t0) * rep.amplitude
        step_out = bump(t, start, start + 0.6 * (reach - start)) + bump(t, leave + 0.4 * (end - leave), end)
        m.thigh_flex_deg[sl] += bottom_thigh * f - extend_deg * step_out
        m.shank_tilt_deg[sl] += knee_drop_deg * f + 0.4 * extend_deg * step_out
        # The front foot landing and pushing off shakes the whole body a little.
        for t_hit in (start + 0.4 * (reach - start), leave + 0.6 * (end - leave)):
            hit_sl, hit_t = scene.window(t_hit - 0.05, t_hit + 0.6)
            m.impact_e[hit_sl, 2] += -rng.uniform(0.001, 0.003) * shock(hit_t, t_hit - 0.05, rng.uniform(8, 14))
        out.append(RepTruth(start, end, False, None))
    return out


def _in_place(scene: Scene, t0: float, t1: float, steps_hz: tuple[float, float], thigh_deg: tuple[float, float],
              knee_deg: tuple[float, float], bob_m: float, hit_m: tuple[float, float]) -> None:
    """Stepping on the spot: the thigh swings forward (knee lift) and back once per stride (two
    steps), the knee bends most while the foot is up, the pelvis bobs once per step, and the
    instrumented foot lands once per stride."""
    rng, m = scene.rng, scene.motion
    sl, t = scene.window(t0, t1)
    edge = min(0.8, 0.2 * (t1 - t0))
    envelope = ramp(t, t0, t0 + edge) - ramp(t, t1 - edge, t1)
    stride_hz = 0.5 * rng.uniform(*steps_hz)
    phase0 = rng.uniform(0, 2 * np.pi)
    phase = 2 * np.pi * stride_hz * (t - t0) + phase0
    lift = np.maximum(0.0, np.sin(phase)) ** 1.5  # foot up half of the stride, down the other half
    thigh = rng.uniform(*thigh_deg) * lift
    knee = rng.uniform(*knee_deg) * np.maximum(0.0, np.sin(phase + 0.3)) ** 1.5
    m.thigh_flex_deg[sl] += thigh * envelope
    m.shank_tilt_deg[sl] += (knee - thigh) * envelope
    bob = np.zeros((t.size, 3))
    bob[:, 2] = bob_m * np.cos(2 * phase) * envelope
    m.pin_hip(sl.start, sl.stop, bob)
    first = int(np.ceil((phase0 - np.pi) / (2 * np.pi)))
    for k in range(first, first + int((t1 - t0) * stride_hz) + 2):
        t_hit = t0 + (np.pi + 2 * np.pi * k - phase0) / (2 * np.pi * stride_hz)  # the foot back down
        if t0 + edge <= t_hit <= t1 - edge - 0.2:
            m.impact_e[sl, 2] += -rng.uniform(*hit_m) * shock(t, t_hit, rng.uniform(10, 18))


def render_jog_in_place(scene: Scene, t0: float, t1: float) -> None:
    """Jogging on the spot: 2.4–3.2 steps/s, knee lift 35–60°, hard landings."""
    _in_place(scene, t0, t1, (2.4, 3.2), (35, 60), (60, 100), 0.04, (0.003, 0.006))


def render_walk_in_place(scene: Scene, t0: float, t1: float) -> None:
    """Marching on the spot: 1.4–2.0 steps/s, knee lift 12–35°, soft landings."""
    _in_place(scene, t0, t1, (1.4, 2.0), (12, 35), (25, 60), 0.01, (0.0006, 0.0015))


# The phones' and sensors' usual rates (UTD-MHAD: 50 Hz; MEx: 100 Hz); the hard design's 400 and
# 1000 Hz add nothing to recognition, which resamples to 25 Hz, but simulation time.
RATES_HZ = (25.0, 50.0, 52.0, 100.0, 104.0)

DISTRACTORS: dict[str, Callable[[Scene, float, float], None]] = {
    "jog": render_jog_in_place,
    "walk_in_place": render_walk_in_place,
}


def _common(rng: np.random.Generator, placement: str) -> dict[str, object]:
    gyro = bool(rng.random() < 0.7)
    return dict(placement=placement, side=str(rng.choice(["left", "right"])),
                rate_hz=float(rng.choice(RATES_HZ)), imu=_imu(rng, gyro))


def _paused(rng: np.random.Generator, n: int, **kw: object) -> SetSpec:
    """Reps each on their own: a still 1–3.5 s between them (as UTD's trials, joined)."""
    return SetSpec(n, rest_between_reps_s=(1.0, 3.5), **kw)  # type: ignore[arg-type]


def recognition_sessions(seed: int) -> list[tuple[str, SessionSpec, int]]:
    """(scenario, spec, simulator seed) of the scenes above, thigh and shank, drawn from `seed`."""
    rng = np.random.Generator(np.random.PCG64(seed * 7919 + 13))
    out: list[tuple[str, SessionSpec, int]] = []
    for placement in ("thigh", "shank"):
        def add(name: str, spec: SessionSpec) -> None:
            out.append((f"{name}_{placement}", spec, int(rng.integers(2**31))))

        n = lambda lo=4, hi=9: int(rng.integers(lo, hi))  # noqa: E731 - a draw, named for reading
        add("lunge_trailing", SessionSpec(
            exercise="lunge", sets=(SetSpec(n(), trailing=True), _paused(rng, n(), trailing=True)),
            lead_in=(Distractor("stand", rng.uniform(1, 3)),),
            between=((Distractor("stand", rng.uniform(2, 4)), Distractor("walk", rng.uniform(4, 8)),
                      Distractor("stand", rng.uniform(1, 3))),),
            lead_out=(Distractor("stand", rng.uniform(1, 3)),), person=draw_person(rng),
            **_common(rng, placement)))  # type: ignore[arg-type]
        add("squat_paused_jog", SessionSpec(
            exercise="squat", sets=(_paused(rng, n()),),
            lead_in=(Distractor("stand", rng.uniform(1, 2)), Distractor("jog", rng.uniform(12, 30)),
                     Distractor("stand", rng.uniform(2, 4))),
            lead_out=(Distractor("stand", rng.uniform(2, 4)), Distractor("walk_in_place", rng.uniform(12, 30)),
                      Distractor("stand", rng.uniform(1, 2))), person=draw_person(rng),
            **_common(rng, placement)))  # type: ignore[arg-type]
        add("lunge_paused_walk_in_place", SessionSpec(
            exercise="lunge", sets=(_paused(rng, n(), alternating=bool(rng.random() < 0.5)),),
            lead_in=(Distractor("stand", rng.uniform(1, 2)), Distractor("walk_in_place", rng.uniform(12, 30)),
                     Distractor("stand", rng.uniform(2, 4))),
            lead_out=(Distractor("stand", rng.uniform(2, 4)), Distractor("jog", rng.uniform(12, 30)),
                      Distractor("stand", rng.uniform(1, 2))),
            **_common(rng, placement)))  # type: ignore[arg-type]
        add("chair_paused", SessionSpec(
            exercise="squat", seated=True, sets=(_paused(rng, n()),),
            lead_in=(Distractor("sit", rng.uniform(1, 3)),), lead_out=(Distractor("sit", rng.uniform(1, 3)),),
            **_common(rng, placement)))  # type: ignore[arg-type]
    return out


def clip_sessions(seed: int) -> list[tuple[str, SessionSpec, int]]:
    """Single reps recorded on their own: 0.3–1.2 s still before and after one rep (a 2–5 s file)."""
    rng = np.random.Generator(np.random.PCG64(seed * 104729 + 7))
    out: list[tuple[str, SessionSpec, int]] = []
    kinds = (("squat", "squat", {}), ("squat_chair", "squat", {}), ("lunge_trailing", "lunge", {"trailing": True}),
             ("lunge_alternating", "lunge", {"alternating": True}), ("step_up", "step_up", {}),
             ("bridge", "bridge", {}), ("clamshell", "clamshell", {}))
    for placement in ("thigh", "shank"):
        for name, exercise, kw in kinds:
            seated = name == "squat_chair"
            rest = "sit" if seated else "lie" if exercise in ("bridge", "clamshell") else "stand"
            spec = SessionSpec(
                exercise=exercise, seated=seated,  # type: ignore[arg-type]
                sets=(SetSpec(1, **kw),),  # type: ignore[arg-type]
                lead_in=(Distractor(rest, rng.uniform(0.3, 1.2)),),  # type: ignore[arg-type]
                lead_out=(Distractor(rest, rng.uniform(0.3, 1.2)),),  # type: ignore[arg-type]
                **_common(rng, placement))  # type: ignore[arg-type]
            out.append((f"clip_{name}_{placement}", spec, int(rng.integers(2**31))))
    return out


# Straps sit flat on the skin (analysis/recognition.py: the posture features read gravity against
# the sensor's z axis, the skin normal). The simulator draws the mount uniformly over all rotations,
# which no strap does; for the recogniser's training, benchmark and tests the sensor is strapped flat instead: z along the
# outward normal of the face the simulator put it on (front or side, its own draw), any turn about
# that normal, either face out, and a tilt of a few degrees (soft tissue, curved skin).
STRAP_TILT_SD_DEG = 6.0


def flat_mount(offset_seg_m: np.ndarray, rng: np.random.Generator) -> Rotation:
    """A strap flat on the skin at `offset_seg_m` (segment frame: z along the bone): sensor → segment."""
    normal = np.array([offset_seg_m[0], offset_seg_m[1], 0.0])
    normal /= max(float(np.linalg.norm(normal)), 1e-9)
    normal *= rng.choice([-1.0, 1.0])
    along = np.array([0.0, 0.0, 1.0])
    across = np.cross(normal, along)
    psi = rng.uniform(0.0, 2 * np.pi)
    ex = np.cos(psi) * along + np.sin(psi) * across
    ey = np.cross(normal, ex)
    tilt = Rotation.from_rotvec(rng.normal(0.0, np.radians(STRAP_TILT_SD_DEG), 3))
    return Rotation.from_matrix(np.column_stack([ex, ey, normal])) * tilt


@contextmanager
def flat_straps(seed: int) -> Iterator[None]:
    """Within this block the simulator straps its sensor flat (flat_mount), re-strapping included;
    everything else it draws is unchanged (its own random stream is not touched)."""
    from sensortrack.simulation import simulator

    original = simulator._mount_series
    rng = np.random.Generator(np.random.PCG64(seed))

    def flat_series(scene: Scene, initial: Rotation, offset0: np.ndarray) -> tuple[Rotation, np.ndarray]:
        scene.mount_changes[:] = [replace(c, new_mount=flat_mount(c.new_offset_seg_m, rng))
                                  for c in scene.mount_changes]
        return original(scene, flat_mount(offset0, rng), offset0)

    simulator._mount_series = flat_series
    try:
        yield
    finally:
        simulator._mount_series = original


def simulate_flat(spec: SessionSpec, seed: int) -> tuple[Session, Labels]:
    """simulate_session with the sensor strapped flat on the skin (flat_straps): the same movement,
    set times and labels, only the strap's orientation differs."""
    from sensortrack.simulation.simulator import simulate_session

    with flat_straps(seed + 7919):
        return simulate_session(spec, seed)
