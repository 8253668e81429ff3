"""What to simulate: the session, its sets, the distractors between them and the sensor's flaws.

A spec says WHAT happens; the seed decides the details (rep depths, tempos, mounting, noise), so
one spec with many seeds gives many different but equally labelled sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sensortrack.core.model import Exercise, Placement, Side

DistractorKind = Literal[
    "stand",  # quiet standing with postural sway
    "fidget",  # shifting weight, small thigh rotations < 10°
    "walk",  # walking between sets, thigh swings ±15–25° at ~1 Hz stride, heel strikes
    "restrap",  # the sensor is taken off and put back in a new random orientation
    "sit_stand",  # sitting down on a bench and standing up once
    "lie",  # quiet lying (bridge, clamshell)
    "adjust",  # lying: shifting the legs and hips
    "roll",  # lying: rolling part way over and back
    "sit",  # quiet sitting on a chair (sit-to-stand sessions rest seated)
    "jog",  # jogging in place (recognition_scenes.py)
    "walk_in_place",  # marching in place (recognition_scenes.py)
]
# Inserted by the simulator itself around sets of exercises with their own start stance.
SETUP_KIND = "setup"
# Labelled, never reps: the other leg's lunges in an alternating lunge set (SetSpec.alternating).
OTHER_LEG_KIND = "other_leg"
STANDING_KINDS = ("stand", "fidget", "walk", "restrap", "sit_stand")
LYING_KINDS = ("lie", "adjust", "roll", "restrap")


@dataclass(frozen=True, slots=True)
class Distractor:
    kind: DistractorKind
    duration_s: float


@dataclass(frozen=True, slots=True)
class SetSpec:
    n_reps: int
    drift: bool = False  # knee drifts toward the midline in reps drift_from_rep..n_reps
    drift_from_rep: int = 1  # 1-based
    depth_scale: float = 1.0  # multiplies the exercise's nominal excursion (0.7 ≈ partial reps)
    shallow_reps: tuple[int, ...] = ()  # 1-based reps done at about half depth
    tempo_scale: float = 1.0  # multiplies rep durations (>1 is slower)
    pause_at_peak_s: tuple[float, float] = (0.0, 0.3)  # drawn per rep (bottom of a squat, top of a bridge)
    rest_between_reps_s: tuple[float, float] = (0.3, 1.5)
    step: Literal["lead", "trail"] | None = None  # band_walk: is the instrumented leg leading?
    # --- harder sets (docs/simulator.md "Harder sessions"); the defaults reproduce generator v1 ---
    rep_duration_s: tuple[float, float] | None = None  # the set's movement time per rep, drawn in this
    # range instead of the exercise's own (0.8–1.8 s: fast squats); still ±20 % per rep
    range_deg: tuple[float, float] | None = None  # the set's nominal excursion (squat/lunge/step-up thigh
    # flexion, bridge thigh lift, clamshell opening) drawn in this range instead of the exercise's own
    alternating: bool = False  # lunge: forward lunges from standing, legs alternating; only the
    # instrumented leg's lunges are reps (n_reps of them), the other leg's are labelled "other_leg"
    trailing: bool = False  # lunge: forward lunges from standing with the instrumented leg behind
    # (recognition_scenes.py); the reps are its movement during the other leg's lunges
    return_pause_s: tuple[float, float] = (0.0, 0.0)  # drawn per rep: a pause part of the way back
    # (30–70 % of the range still to go), as real bridges are lowered unevenly (MEx: a slow creep or
    # a stop half-way down); (0, 0) draws nothing, so default sets are generated as before


@dataclass(frozen=True, slots=True)
class ImuSpec:
    """The sensor's imperfections. Defaults are those of a typical consumer MEMS IMU."""

    gyro: bool = True
    acc_noise_g: float = 0.01  # white noise rms per axis
    gyro_noise_dps: float = 0.3
    acc_bias_g: float = 0.02  # constant bias drawn uniformly in ±this per axis
    gyro_bias_dps: float = 1.0
    quantise: bool = False  # 16-bit over ±acc_range_g / ±gyro_range_dps
    acc_range_g: float = 16.0
    gyro_range_dps: float = 2000.0
    jitter_fraction: float = 0.02  # timestamp jitter rms as a fraction of the sample period
    drop_bursts_per_min: float = 1.0  # bursts of 1..max_drop_samples consecutive lost samples
    max_drop_samples: int = 30
    lowpass: bool = True  # the IMU's own digital low-pass filter at 0.4 × sample rate
    acc_lsb_g: float | None = None  # quantise the accelerometer in steps of this (1/64 g: the MEx
    # Axivity AX3 at ±8 g), clipped to ±acc_range_g; None: 16-bit steps only when `quantise`

    @staticmethod
    def ideal(gyro: bool = True) -> ImuSpec:
        """No noise, bias, quantisation, jitter, loss or filtering: for known-answer tests."""
        return ImuSpec(
            gyro=gyro, acc_noise_g=0.0, gyro_noise_dps=0.0, acc_bias_g=0.0, gyro_bias_dps=0.0,
            quantise=False, jitter_fraction=0.0, drop_bursts_per_min=0.0, lowpass=False,
        )


@dataclass(frozen=True, slots=True)
class PersonSpec:
    """How this person's correct squats, lunges and step-ups leave the textbook sagittal plane.

    Real thighs do (issue 9: three of six people read 8–18° of knee drift on every correct rep);
    the defaults are the textbook movement of generator v1. Angles at full depth (~70° of thigh
    flexion) for the flexion-coupled ones, medial (knees in) positive.
    """

    knee_in_deg: float = 0.0  # habitual thigh rotation about the vertical growing with flexion
    # (hip internal rotation, pelvis following): the thigh's knee drift on every correct rep
    plane_yaw_deg: float = 0.0  # the thigh flexes in a plane turned about the vertical by this:
    # the knee travels inward (+, adducting as it flexes) or outward over turned-out toes (−)
    femoral_rotation_deg: float = 0.0  # internal rotation about the femur's own axis at full depth
    valgus_deg: tuple[float, float] = (8.0, 18.0)  # a valgus rep's extra peak medial rotation,
    # on top of knee_in_deg

    @property
    def textbook(self) -> bool:
        return self.knee_in_deg == 0.0 and self.plane_yaw_deg == 0.0 and self.femoral_rotation_deg == 0.0


@dataclass(frozen=True, slots=True)
class SessionSpec:
    exercise: Exercise
    placement: Placement
    side: Side
    rate_hz: float
    sets: tuple[SetSpec, ...]
    # Distractors before the first set, between consecutive sets (len(sets) − 1 tuples), after the last.
    lead_in: tuple[Distractor, ...] = (Distractor("stand", 3.0),)
    between: tuple[tuple[Distractor, ...], ...] = ()
    lead_out: tuple[Distractor, ...] = (Distractor("stand", 2.0),)
    imu: ImuSpec = field(default_factory=ImuSpec)
    cut_start_s: float = 0.0  # recording starts this far into the lead-in (mid-movement if it moves)
    cut_end_s: float = 0.0  # and stops this long before the end of the lead-out
    model: str = "simulated IMU"
    # --- harder sessions (docs/simulator.md "Harder sessions"); the defaults reproduce generator v1 ---
    person: PersonSpec = field(default_factory=PersonSpec)
    seated: bool = False  # squat: sit-to-stand from a chair; rest is seated (thigh ~horizontal)
    # The recording starts this fraction into the first rep's movement away from rest (0.5: mid-descent),
    # nothing before it recorded; and stops this fraction into the last rep (None: lead-in/out recorded).
    start_in_rep: float | None = None
    end_in_rep: float | None = None

    def __post_init__(self) -> None:
        if not self.sets:
            raise ValueError("a session needs at least one set")
        if self.between and len(self.between) != len(self.sets) - 1:
            raise ValueError("`between` needs one tuple of distractors per pair of consecutive sets")
        if self.rate_hz <= 0:
            raise ValueError("rate_hz must be positive")
        for name in ("start_in_rep", "end_in_rep"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value < 1.0:
                raise ValueError(f"{name} is a fraction of a rep in [0, 1)")
        if self.start_in_rep is not None and self.cut_start_s:
            raise ValueError("start_in_rep and cut_start_s both say where the recording starts")
        if self.end_in_rep is not None and self.cut_end_s:
            raise ValueError("end_in_rep and cut_end_s both say where the recording stops")
        if self.seated and self.exercise != "squat":
            raise ValueError("a seated start (sit-to-stand) is a squat")
