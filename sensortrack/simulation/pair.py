"""Two sensors on one simulated body: thigh + shank of the same leg, or the same segment of both legs.

One body model (simulator.true_motion) drives both streams, so the knee between them is known
exactly. Each sensor gets its own strap orientation (uniform on SO(3): no alignment assumed), its
own place on the segment, its own noise, and its own clock: the second stream starts `offset_s`
later on the true timeline and its clock runs `skew_ppm` fast, as two separate BLE devices do.

Knee angles (the truth the pair analysis is scored against) follow the joint coordinate system of
Grood & Suntay (J Biomech Eng 1983): with the shank's long axis z₂ (ankle→knee) expressed in the
thigh's frame (x forward, y left, z knee→hip),
  flexion  = atan2(z₂·x, z₂·z)            (0 with the leg straight, positive as the knee bends),
  frontal  = s · asin(z₂·y)               (s = +1 right leg, −1 left: positive = valgus, the shank's
                                            knee end turned toward the midline relative to the thigh).
A rep's `flexion_range_deg` is the largest flexion change from its start, `valgus_deg` the largest
frontal change toward valgus from its start. Times are on the FIRST stream's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from scipy.spatial.transform import Rotation

from sensortrack.core.model import FloatArray, SampleBlock, SensorInfo, Session, SessionMeta
from sensortrack.simulation.body import Motion, compose
from sensortrack.simulation.imu import record
from sensortrack.simulation.labels import Labels
from sensortrack.simulation.simulator import GENERATOR_VERSION, TrueMotion, true_motion
from sensortrack.simulation.spec import Distractor, ImuSpec, SessionSpec, SetSpec

_START_TIME_UTC = "2025-01-06T09:00:00+00:00"
PAIR_GENERATOR_VERSION = "1"
OneSided = Literal["range", "valgus"]


@dataclass(frozen=True, slots=True)
class DeviceClock:
    """The second device's clock against the first stream's timeline: its recording starts
    `offset_s` later and its clock runs `skew_ppm` parts per million fast."""

    offset_s: float = 0.0
    skew_ppm: float = 0.0

    def to_first(self, t_second_s: FloatArray) -> FloatArray:
        """Second-stream timestamps → the first stream's timeline (what alignment must recover)."""
        return self.offset_s + np.asarray(t_second_s) / (1.0 + self.skew_ppm * 1e-6)


@dataclass(frozen=True, slots=True)
class KneeRepTruth:
    start_s: float  # first stream's timeline
    peak_s: float  # deepest knee flexion
    end_s: float
    flexion_range_deg: float
    valgus_deg: float  # largest frontal-plane change toward valgus from the rep's start
    valgus: bool  # the knee was made to cave in this rep


@dataclass(frozen=True, slots=True, eq=False)
class KneePairTruth:
    exercise: str
    side: str
    seed: int
    clock: DeviceClock  # the shank's clock against the thigh's
    reps: tuple[KneeRepTruth, ...]
    thigh_labels: Labels


@dataclass(frozen=True, slots=True)
class SidesRepTruth:
    start_s: float
    end_s: float
    left_range_deg: float  # segment range (the single-sensor label's definition)
    right_range_deg: float
    left_valgus: bool
    right_valgus: bool


@dataclass(frozen=True, slots=True, eq=False)
class SidesPairTruth:
    exercise: str
    placement: str
    seed: int
    clock: DeviceClock  # the right sensor's clock against the left's
    one_sided: OneSided | None  # None: a symmetric session
    affected_side: str | None
    reps: tuple[SidesRepTruth, ...]


# ---- knee angles -----------------------------------------------------------------------------


def knee_angles_deg(thigh: Rotation, shank: Rotation, side: str) -> tuple[FloatArray, FloatArray]:
    """(flexion, frontal toward valgus) per sample from segment→earth rotations (module doc)."""
    z2 = compose(thigh.inv(), shank).apply(np.array([0.0, 0.0, 1.0]))
    z2 = np.atleast_2d(z2)
    s = 1.0 if side == "right" else -1.0
    flexion = np.degrees(np.arctan2(z2[:, 0], z2[:, 2]))
    frontal = s * np.degrees(np.arcsin(np.clip(z2[:, 1], -1.0, 1.0)))
    return flexion, frontal


# ---- sensors on segments ---------------------------------------------------------------------


def _strap(motion: Motion, placement: str, rng: np.random.Generator, flat: bool = False) -> tuple[Rotation, FloatArray]:
    """A sensor strapped anywhere on the segment in any orientation: (sensor→earth, position).
    `flat`: strapped flat on the skin instead (recognition_scenes.flat_mount, as every real strap
    sits and as the exercise recogniser expects), drawn from its own stream so that the other
    draws stay those of the any-orientation strap."""
    body = motion.body
    off_axis = rng.uniform(0.045, 0.07)
    face = np.array([off_axis, 0.0, 0.0]) if rng.random() < 0.5 else np.array([0.0, -motion.s * off_axis, 0.0])
    if placement == "thigh":
        seg, joint = motion.thigh_rotation(), motion.hip_e()
        along = -rng.uniform(0.3, 0.5) * body.thigh_m
    else:
        seg, joint = motion.shank_rotation(), motion.ankle_e()
        along = rng.uniform(0.4, 0.7) * body.shank_m
    offset = face + np.array([0.0, 0.0, along])
    mount = Rotation.random(random_state=rng)  # strap misalignment: any orientation at all
    if flat:
        from sensortrack.simulation.recognition_scenes import flat_mount

        mount = flat_mount(offset, np.random.Generator(np.random.PCG64([int(rng.integers(2**31)), 11])))
    return compose(seg, mount), joint + seg.apply(offset)


def _stream(
    truth: TrueMotion,
    placement: str,
    side: str,
    spec: SessionSpec,
    rng: np.random.Generator,
    clock: DeviceClock,
    name: str,
    flat: bool = False,
) -> Session:
    rotation, position = _strap(truth.motion, placement, rng, flat)
    t_first = truth.t_first_s + clock.offset_s
    t_last = min(truth.t_last_s + clock.offset_s, float(truth.t_s[-1]) - 0.01)
    rec = record(truth.t_s, position, rotation, rate_hz=spec.rate_hz, t_first=t_first, t_last=t_last,
                 spec=spec.imu, rng=rng)
    scale = 1.0 + clock.skew_ppm * 1e-6
    t_s = np.round(rec.t_s * scale, 6)
    gaps = tuple(replace(g, start_s=round(g.start_s * scale, 6), end_s=round(g.end_s * scale, 6)) for g in rec.gaps)
    sensor = SensorInfo(model=spec.model, placement=placement, side=side,  # type: ignore[arg-type]
                        nominal_rate_hz=spec.rate_hz, name=name, clock="device")
    meta = SessionMeta(sensor=sensor, exercise=spec.exercise, start_time_utc=_START_TIME_UTC, source="simulated",
                       notes=f"generator v{GENERATOR_VERSION}, pair v{PAIR_GENERATOR_VERSION}")
    return Session(meta=meta, samples=SampleBlock(t_s=t_s, acc_g=rec.acc_g, gyro_dps=rec.gyro_dps, sensor=sensor),
                   gaps=gaps)


def _rng(seed: int, stream: int) -> np.random.Generator:
    # Streams of their own: the body model's draws (true_motion's seed) stay those of simulate_session.
    return np.random.Generator(np.random.PCG64([seed, stream]))


def draw_clock(rng: np.random.Generator) -> DeviceClock:
    """Two devices started by hand a moment apart; consumer crystals are off by tens of ppm, cheap
    ones by a few hundred (skew drawn up to ±300 ppm: 0.18 s over ten minutes)."""
    return DeviceClock(offset_s=float(rng.uniform(0.0, 2.5)), skew_ppm=float(rng.uniform(-300.0, 300.0)))


# ---- thigh + shank of one leg ----------------------------------------------------------------


def simulate_knee_pair(
    spec: SessionSpec, seed: int, clock: DeviceClock | None = None, flat: bool = False
) -> tuple[Session, Session, KneePairTruth]:
    """A thigh and a shank stream of the same leg (spec.placement is ignored) and the knee's truth;
    `flat`: both strapped flat on the skin (see _strap)."""
    rng = _rng(seed, 1)
    clock = clock if clock is not None else draw_clock(rng)
    truth = true_motion(replace(spec, placement="thigh"), seed)
    thigh = _stream(truth, "thigh", spec.side, spec, _rng(seed, 2), DeviceClock(), "simulator thigh", flat)
    shank = _stream(truth, "shank", spec.side, spec, _rng(seed, 3), clock, "simulator shank", flat)
    m = truth.motion
    reps: list[KneeRepTruth] = []
    for label in truth.labels.reps:
        sl = slice(m.index(label.start_s + truth.t_first_s), m.index(label.end_s + truth.t_first_s) + 1)
        flexion, frontal = knee_angles_deg(m.thigh_rotation(sl), m.shank_rotation(sl), spec.side)
        peak = int(np.argmax(flexion))
        reps.append(KneeRepTruth(
            start_s=label.start_s, peak_s=round(float(m.t_s[sl][peak]) - truth.t_first_s, 4), end_s=label.end_s,
            flexion_range_deg=round(float(flexion.max() - flexion[0]), 3),
            valgus_deg=round(float(np.max(frontal - frontal[0])), 3), valgus=label.valgus,
        ))
    return thigh, shank, KneePairTruth(spec.exercise, spec.side, seed, clock, tuple(reps), truth.labels)


# ---- left + right ----------------------------------------------------------------------------


def _scaled(spec: SessionSpec, depth: float, drift: bool | None) -> SessionSpec:
    sets = tuple(replace(s, depth_scale=s.depth_scale * depth, drift=s.drift if drift is None else drift,
                         drift_from_rep=1 if drift else s.drift_from_rep) for s in spec.sets)
    return replace(spec, sets=sets)


def simulate_sides_pair(
    spec: SessionSpec,
    seed: int,
    one_sided: OneSided | None = None,
    affected_side: str = "right",
    clock: DeviceClock | None = None,
    flat: bool = False,
) -> tuple[Session, Session, SidesPairTruth]:
    """The same segment (spec.placement) of the left and the right leg doing the same sets.

    Both legs share the seed, so their reps keep the same timing and per-rep depth draws (one body,
    bilateral exercise). Symmetric: each leg's depth within ±4 % of the other's, no valgus.
    `one_sided="range"`: the affected leg moves through 60–78 % of the other's range (as after a knee
    injury); `"valgus"`: the affected knee caves on every rep, the other never does.
    """
    rng = _rng(seed, 1)
    clock = clock if clock is not None else draw_clock(rng)
    depth = {side: float(rng.uniform(0.96, 1.04)) for side in ("left", "right")}
    drift: dict[str, bool | None] = {"left": False, "right": False}
    if one_sided == "range":
        depth[affected_side] = float(rng.uniform(0.60, 0.78))
    elif one_sided == "valgus":
        drift[affected_side] = True
    truths = {side: true_motion(_scaled(replace(spec, side=side), depth[side], drift[side]), seed)
              for side in ("left", "right")}
    left = _stream(truths["left"], spec.placement, "left", spec, _rng(seed, 2), DeviceClock(), "simulator left", flat)
    right = _stream(truths["right"], spec.placement, "right", spec, _rng(seed, 3), clock, "simulator right", flat)
    reps = tuple(
        SidesRepTruth(start_s=a.start_s, end_s=a.end_s, left_range_deg=a.range_deg, right_range_deg=b.range_deg,
                      left_valgus=a.valgus, right_valgus=b.valgus)
        for a, b in zip(truths["left"].labels.reps, truths["right"].labels.reps, strict=False)
    )
    return left, right, SidesPairTruth(spec.exercise, spec.placement, seed, clock, one_sided,
                                       affected_side if one_sided else None, reps)


# ---- the benchmark's design ------------------------------------------------------------------

TUNING_SEEDS = range(0, 100)
REPORTING_SEEDS = range(1000, 1100)


def pair_session_spec(seed: int, exercise: str = "squat", placement: str = "thigh", valgus_first: bool = False) -> SessionSpec:
    """One session of the pair benchmark: two squat sets, the second with valgus from a drawn rep
    (or none), 100–200 Hz, consumer-IMU flaws, standing and walking between the sets.
    `valgus_first`: the first set's knee caves on every rep (the knee axis is then calibrated on
    caving reps)."""
    rng = _rng(seed, 7)
    n1, n2 = int(rng.integers(6, 11)), int(rng.integers(6, 11))
    valgus_from = int(rng.integers(1, n2 + 1)) if rng.random() < 0.75 else 0
    sets = (SetSpec(n_reps=n1, drift=valgus_first),
            SetSpec(n_reps=n2, drift=valgus_from > 0, drift_from_rep=max(valgus_from, 1)))
    between = ((Distractor("stand", float(rng.uniform(2, 4))), Distractor("walk", float(rng.uniform(4, 8))),
                Distractor("stand", float(rng.uniform(2, 3)))),)
    imu = ImuSpec(drop_bursts_per_min=float(rng.uniform(0.5, 2.0)), jitter_fraction=float(rng.uniform(0.0, 0.04)),
                  quantise=bool(rng.random() < 0.4))
    side = "left" if rng.random() < 0.5 else "right"
    rate = float(rng.choice([100.0, 104.0, 200.0]))
    return SessionSpec(exercise=exercise, placement=placement, side=side, rate_hz=rate,  # type: ignore[arg-type]
                       sets=sets, between=between, imu=imu, lead_in=(Distractor("stand", float(rng.uniform(3, 5))),))
