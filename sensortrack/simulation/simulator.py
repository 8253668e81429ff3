"""simulate_session(spec, seed): a whole labelled recording from a SessionSpec, deterministically.

Pipeline: plan every block (rng draws durations) → render joint angles and positions on a 1 kHz
grid → postural sway → segment pose and sensor mounting → ideal IMU signals by differentiation →
sampling with noise, bias, quantisation, jitter and dropped samples → Session + Labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from sensortrack.core.model import FloatArray, SampleBlock, SensorInfo, Session, SessionMeta
from sensortrack.simulation.body import Anthropometry, Motion, Posture, compose
from sensortrack.simulation.curves import min_jerk, wobble
from sensortrack.simulation.distractors import RENDERERS as _DISTRACTORS
from sensortrack.simulation.exercises import RENDERERS as SET_RENDERERS
from sensortrack.simulation.exercises import ADDUCTION_SHARE, RepTruth, SetPlan, plan_set
from sensortrack.simulation.imu import record
from sensortrack.simulation.labels import (
    DistractorLabel,
    Labels,
    SetLabel,
    rep_geometry,
    round_s,
    rounded_rep,
)
from sensortrack.simulation.recognition_scenes import DISTRACTORS as RECOGNITION_DISTRACTORS
from sensortrack.simulation.scene import Scene
from sensortrack.simulation.spec import OTHER_LEG_KIND, SETUP_KIND, Distractor, PersonSpec, SessionSpec

GENERATOR_VERSION = "1"
GRID_HZ = 1000.0  # fine grid: well above every sample rate and the ~16 Hz heel-strike shocks
_PRE_ROLL_S = 1.0  # settles the IMU's low-pass before the first recorded sample
_START_TIME_UTC = "2025-01-06T09:00:00+00:00"  # fixed so regenerated files are identical
# PersonSpec angles are given at this thigh flexion (a full squat); they scale with flexion.
_FULL_DEPTH_DEG = 70.0
_UPRIGHT_EXERCISES = ("squat", "lunge", "step_up", "band_walk")  # where PersonSpec applies
DISTRACTOR_RENDERERS = {**_DISTRACTORS, **RECOGNITION_DISTRACTORS}


@dataclass(frozen=True, slots=True)
class _Block:
    start_s: float
    duration_s: float
    distractor: Distractor | None = None
    set_plan: SetPlan | None = None


def _posture(exercise: str, side: str) -> Posture:
    if exercise == "bridge":
        return "supine"
    if exercise == "clamshell":  # instrumented leg on top: lie on the other side
        return "side_on_right" if side == "left" else "side_on_left"
    return "standing"


def _rest_pose(m: Motion, exercise: str, rng: np.random.Generator, seated: bool = False) -> None:
    """The posture held between reps, for the whole session."""
    if seated:  # on a chair, feet flat: thigh about horizontal, shank about vertical
        m.thigh_flex_deg += rng.uniform(82, 95)
        m.shank_tilt_deg += rng.uniform(-5, 10)
    elif exercise == "bridge":  # supine, knees bent: thigh ~35–50° up from the floor, shank ~70°
        m.thigh_flex_deg += rng.uniform(35, 50)
        m.shank_tilt_deg += rng.uniform(65, 75)
    elif exercise == "clamshell":  # side-lying, hips ~45° flexed, knees ~90° flexed
        hip, knee = rng.uniform(40, 50), rng.uniform(80, 100)
        m.thigh_flex_deg += hip
        m.shank_tilt_deg += knee - hip
        th, sh = np.radians(hip), np.radians(knee - hip)
        axis = m.body.shank_m * np.array([np.sin(sh), 0, np.cos(sh)]) + m.body.thigh_m * np.array(
            [-np.sin(th), 0, np.cos(th)]
        )
        m.open_axis_b = axis / np.linalg.norm(axis)
    else:  # standing: a few degrees of natural thigh and shank inclination
        m.thigh_flex_deg += rng.uniform(-3, 3)
        m.shank_tilt_deg += rng.uniform(0, 5)


def _sensor_offset(placement: str, s: float, body: Anthropometry, rng: np.random.Generator) -> FloatArray:
    """Where the sensor sits in the segment frame: on the front or lateral face, ~5 cm off the bone."""
    off_axis = rng.uniform(0.045, 0.07)
    if placement == "thigh":
        along = -rng.uniform(0.3, 0.5) * body.thigh_m  # 30–50 % down from the hip
    else:
        along = rng.uniform(0.4, 0.7) * body.shank_m  # 40–70 % up from the ankle
    if rng.random() < 0.5:
        return np.array([off_axis, 0.0, along])
    return np.array([0.0, -s * off_axis, along])  # lateral face: −s·ŷ points away from the midline


def _plan(spec: SessionSpec, rng: np.random.Generator) -> list[_Block]:
    blocks: list[_Block] = []
    t = _PRE_ROLL_S

    def add_distractors(items: tuple[Distractor, ...]) -> None:
        nonlocal t
        for d in items:
            blocks.append(_Block(t, d.duration_s, distractor=d))
            t += d.duration_s

    add_distractors(spec.lead_in)
    for i, set_spec in enumerate(spec.sets):
        plan = plan_set(spec.exercise, set_spec, rng, spec.person)
        blocks.append(_Block(t, plan.duration_s, set_plan=plan))
        t += plan.duration_s
        if i < len(spec.sets) - 1 and spec.between:
            add_distractors(spec.between[i])
    add_distractors(spec.lead_out)
    return blocks


def _mount_series(scene: Scene, initial: Rotation, offset0: FloatArray) -> tuple[Rotation, FloatArray]:
    """Sensor-on-segment rotation and offset at every grid point, with each re-strapping blended in."""
    t = scene.t
    n = t.size
    quats = np.tile(initial.as_quat(), (n, 1))
    offsets = np.tile(offset0, (n, 1))
    current, current_offset = initial, offset0
    for change in scene.mount_changes:
        sl, tw = scene.window(change.t0_s, change.t1_s)
        progress = min_jerk((tw - change.t0_s) / (change.t1_s - change.t0_s))
        slerp = Slerp([0.0, 1.0], Rotation.concatenate([current, change.new_mount]))
        blended = compose(slerp(progress), Rotation.from_rotvec(change.erratic_rotvec_rad))
        quats[sl] = blended.as_quat()
        quats[sl.stop :] = change.new_mount.as_quat()
        offsets[sl] = current_offset + progress[:, None] * (change.new_offset_seg_m - current_offset)
        offsets[sl] += change.erratic_offset_m
        offsets[sl.stop :] = change.new_offset_seg_m
        current, current_offset = change.new_mount, change.new_offset_seg_m
    return Rotation.from_quat(quats), offsets


def _add_sway(m: Motion, rng: np.random.Generator, lying: bool) -> None:
    """Postural sway present all the time (quiet standing is never perfectly still)."""
    scale = 0.5 if lying else 1.0
    t = m.t_s
    for array, rms in ((m.thigh_flex_deg, 0.4), (m.thigh_front_deg, 0.3), (m.thigh_twist_deg, 0.5),
                       (m.shank_tilt_deg, 0.4), (m.shank_front_deg, 0.3)):
        array += wobble(t, rng, rms * scale, 0.6)
    for axis, rms in ((0, 0.003), (1, 0.003), (2, 0.001)):
        m.base_e[:, axis] += wobble(t, rng, rms * scale, 0.4)


@dataclass(frozen=True, slots=True, eq=False)
class TrueMotion:
    """The noiseless truth behind a simulated session, on the 1 kHz grid (times are grid times)."""

    t_s: FloatArray
    sensor_rotation: Rotation  # sensor frame → earth
    sensor_position_e: FloatArray  # (n, 3) metres
    segment_rotation: Rotation  # segment frame → earth (with knee drift)
    medial_e: tuple[FloatArray | None, ...]  # per set: the horizontal unit vector toward the midline
    t_first_s: float  # grid time of the first recorded sample (recording time 0)
    t_last_s: float
    motion: Motion
    labels: Labels


def true_motion(spec: SessionSpec, seed: int) -> TrueMotion:
    """What simulate_session(spec, seed) records, before the sensor samples it."""
    return _render(spec, seed, np.random.Generator(np.random.PCG64(seed)))


def _render(spec: SessionSpec, seed: int, rng: np.random.Generator) -> TrueMotion:
    body = Anthropometry(
        thigh_m=rng.uniform(0.40, 0.48), shank_m=rng.uniform(0.38, 0.45), ankle_height_m=rng.uniform(0.07, 0.09)
    )
    blocks = _plan(spec, rng)
    end_s = blocks[-1].start_s + blocks[-1].duration_s
    t_grid = np.arange(0.0, end_s + _PRE_ROLL_S, 1.0 / GRID_HZ)
    motion = Motion(t_grid, _posture(spec.exercise, spec.side), spec.side, body)
    upright = spec.exercise in _UPRIGHT_EXERCISES
    if upright:
        motion.plane_yaw_deg = spec.person.plane_yaw_deg
    _rest_pose(motion, spec.exercise, rng, spec.seated)
    mount0 = Rotation.random(random_state=rng)  # uniform on SO(3): any strap orientation, upside down too
    offset0 = _sensor_offset(spec.placement, motion.s, body, rng)
    scene = Scene(motion, rng, offset0.copy(), seated=spec.seated)

    set_truths: list[tuple[SetPlan, float, list[RepTruth], FloatArray | None]] = []
    distractors: list[DistractorLabel] = []
    for block in blocks:
        if block.distractor is not None:
            DISTRACTOR_RENDERERS[block.distractor.kind](scene, block.start_s, block.start_s + block.duration_s)
            distractors.append(DistractorLabel(block.distractor.kind, block.start_s, block.start_s + block.duration_s))
            continue
        plan = block.set_plan
        assert plan is not None
        medial = _medial_direction(motion, motion.index(block.start_s))
        reps = SET_RENDERERS[spec.exercise](scene, block.start_s, plan)
        set_truths.append((plan, block.start_s, reps, medial))
        if plan.setup_s:
            distractors.append(DistractorLabel(SETUP_KIND, block.start_s, block.start_s + plan.setup_s))
            end = block.start_s + plan.duration_s
            distractors.append(DistractorLabel(SETUP_KIND, end - plan.teardown_s, end))
    for start, end in scene.other_leg:
        distractors.append(DistractorLabel(OTHER_LEG_KIND, start, end))
    if upright:
        _person_habits(motion, spec.person)
    _add_sway(motion, rng, lying=motion.posture != "standing" or spec.seated)  # seated: less sway too

    # Segment pose → sensor pose and position.
    thigh = spec.placement == "thigh"
    seg = motion.thigh_rotation() if thigh else motion.shank_rotation()
    joint = motion.hip_e() if thigh else motion.ankle_e()
    mount, offset = _mount_series(scene, mount0, offset0)
    t_first, t_last = _recorded_span(spec, blocks, end_s)
    labels = _labels(spec, seed, motion, seg, set_truths, distractors, scene, t_first, t_last)
    return TrueMotion(
        t_s=t_grid, sensor_rotation=compose(seg, mount), sensor_position_e=joint + seg.apply(offset),
        segment_rotation=seg, medial_e=tuple(medial for *_, medial in set_truths),
        t_first_s=t_first, t_last_s=t_last, motion=motion, labels=labels,
    )


def simulate_session(spec: SessionSpec, seed: int) -> tuple[Session, Labels]:
    """A labelled simulated recording; the same spec and seed always give the same output."""
    rng = np.random.Generator(np.random.PCG64(seed))
    truth = _render(spec, seed, rng)
    rec = record(truth.t_s, truth.sensor_position_e, truth.sensor_rotation, rate_hz=spec.rate_hz,
                 t_first=truth.t_first_s, t_last=truth.t_last_s, spec=spec.imu, rng=rng)
    sensor = SensorInfo(model=spec.model, placement=spec.placement, side=spec.side, nominal_rate_hz=spec.rate_hz,
                        name="simulator", clock="host")
    meta = SessionMeta(
        sensor=sensor, exercise=spec.exercise, start_time_utc=_START_TIME_UTC,
        notes=f"seed={seed}, generator v{GENERATOR_VERSION}", source="simulated",
    )
    samples = SampleBlock(t_s=rec.t_s, acc_g=rec.acc_g, gyro_dps=rec.gyro_dps, sensor=sensor)
    return Session(meta=meta, samples=samples, gaps=rec.gaps), truth.labels


def _person_habits(m: Motion, person: PersonSpec) -> None:
    """The person's own way of flexing the thigh (PersonSpec), in proportion to thigh flexion:
    the knee turning in about the vertical (a thigh-only knee drift on every rep; the pelvis follows,
    so the knee stays over the foot and the shank does not tip) and internal femoral rotation."""
    if person.knee_in_deg == 0.0 and person.femoral_rotation_deg == 0.0:
        return
    depth = np.clip(m.thigh_flex_deg / _FULL_DEPTH_DEG, 0.0, 1.3)
    m.drift_yaw_deg += person.knee_in_deg * depth
    m.drift_add_deg += ADDUCTION_SHARE * person.knee_in_deg * depth
    m.thigh_twist_deg += m.s * person.femoral_rotation_deg * depth  # front of the thigh turns medially


def _recorded_span(spec: SessionSpec, blocks: list[_Block], end_s: float) -> tuple[float, float]:
    """Grid times of the first and last recorded sample: inside the lead-in/out, or inside a rep."""
    t_first = blocks[0].start_s + spec.cut_start_s
    t_last = end_s - spec.cut_end_s
    sets = [b for b in blocks if b.set_plan is not None]
    if spec.start_in_rep is not None:
        block = sets[0]
        assert block.set_plan is not None
        first = block.set_plan.reps[0]
        t_first = block.start_s + first.start_s + spec.start_in_rep * (first.end_s - first.start_s)
    if spec.end_in_rep is not None:
        block = sets[-1]
        assert block.set_plan is not None
        last = block.set_plan.reps[-1]
        t_last = block.start_s + last.start_s + spec.end_in_rep * (last.end_s - last.start_s)
    return t_first, t_last


def _medial_direction(m: Motion, i: int) -> FloatArray | None:
    """Horizontal unit vector toward the midline in the earth frame, fixed for a set (None side-lying)."""
    toward = np.atleast_2d(m.body_rotation(slice(i, i + 1)).apply(np.array([0.0, m.s, 0.0])))[0].copy()
    toward[2] = 0.0
    norm = np.linalg.norm(toward)
    return None if m.posture.startswith("side") or norm < 0.5 else toward / norm


def _labels(
    spec: SessionSpec,
    seed: int,
    m: Motion,
    seg: Rotation,
    set_truths: list[tuple[SetPlan, float, list[RepTruth], FloatArray | None]],
    distractors: list[DistractorLabel],
    scene: Scene,
    t_first: float,
    t_last: float,
) -> Labels:
    thigh = spec.placement == "thigh"
    sets: list[SetLabel] = []
    for plan, _, reps, medial in set_truths:
        rep_labels = []
        for rep in reps:
            sl = slice(m.index(rep.start_s), m.index(rep.end_s) + 1)
            peak_s, range_deg, drift = rep_geometry(m.t_s[sl], seg[sl], thigh, medial)
            if not t_first <= peak_s <= t_last:
                continue  # cut by the recording's start or end before its peak: not a rep of this file
            # A rep cut after its peak is labelled, its times clipped to what was recorded.
            start, end = max(rep.start_s, t_first), min(rep.end_s, t_last)
            rep_labels.append(
                rounded_rep(start - t_first, peak_s - t_first, end - t_first, range_deg, drift, rep.valgus, rep.step)
            )
        if not rep_labels:
            continue
        sets.append(SetLabel(rep_labels[0].start_s, rep_labels[-1].end_s, plan.spec.drift, plan.spec.step,
                             tuple(rep_labels)))
    kept = []
    for d in distractors:  # clipped to what was recorded
        start, end = max(d.start_s, t_first), min(d.end_s, t_last)
        if end > start:
            kept.append(DistractorLabel(d.kind, round_s(start - t_first), round_s(end - t_first)))
    return Labels(
        exercise=spec.exercise, placement=spec.placement, side=spec.side, rate_hz=spec.rate_hz, seed=seed,
        generator_version=GENERATOR_VERSION, sets=tuple(sets), distractors=tuple(kept),
        mount_changes_s=tuple(round_s(c.t0_s - t_first) for c in scene.mount_changes),
    )
