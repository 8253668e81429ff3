"""The leg as two rigid segments on a fine time grid: joint angles in, segment poses out.

Frames (docs/simulator.md): earth x forward, y left, z up. A "heading frame" is the earth frame
turned by the person's heading ψ about z, with its origin at `base_e`. A "body frame" is the
heading frame turned into the posture (standing, supine, side-lying). Segment frames: +z along the
segment pointing up when standing (thigh: knee→hip, shank: ankle→knee), +y the person's left,
+x forward.

Signs: `s` is +1 for the right leg and −1 for the left leg, so that s·ŷ points toward the body's
midline (medial). Medial angles are positive when the knee moves toward the midline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy.spatial.transform import Rotation

from sensortrack.core.model import FloatArray

Posture = Literal["standing", "supine", "side_on_left", "side_on_right"]

# Posture rotations (body → heading frame), written as where the body axes go.
_POSTURE_MATRICES: dict[str, list[list[float]]] = {
    "standing": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    # On the back, feet toward +x: head (body z) → −x, front (body x) → up.
    "supine": [[0, 0, -1], [0, 1, 0], [1, 0, 0]],
    # Lying on the left side (right leg on top): body left (y) → down, head → −x, front → +y.
    "side_on_left": [[0, 0, -1], [1, 0, 0], [0, -1, 0]],
    # Lying on the right side (left leg on top): body left → up, head → −x, front → −y.
    "side_on_right": [[0, 0, -1], [-1, 0, 0], [0, 1, 0]],
}


def posture_rotation(posture: Posture) -> Rotation:
    return Rotation.from_matrix(np.array(_POSTURE_MATRICES[posture], dtype=float))


def medial_sign(side: str) -> float:
    """The sign s such that s·ŷ (body frame) points toward the midline: −1 left leg, +1 right leg."""
    return -1.0 if side == "left" else 1.0


def compose(*rotations: Rotation) -> Rotation:
    """r1 * r2 * … as scipy composes them (Hamilton product of the quaternions, renormalised at each
    step), giving the same bits ~10× faster on long stacks: scipy 1.17's per-element path made
    composition most of a session's simulation time."""
    out = rotations[0]
    for other in rotations[1:]:
        p, q = out.as_quat(), other.as_quat()
        cross = np.cross(p[..., :3], q[..., :3])
        out = Rotation.from_quat(np.stack([
            p[..., 3] * q[..., 0] + q[..., 3] * p[..., 0] + cross[..., 0],
            p[..., 3] * q[..., 1] + q[..., 3] * p[..., 1] + cross[..., 1],
            p[..., 3] * q[..., 2] + q[..., 3] * p[..., 2] + cross[..., 2],
            p[..., 3] * q[..., 3] - p[..., 0] * q[..., 0] - p[..., 1] * q[..., 1] - p[..., 2] * q[..., 2],
        ], axis=-1))
    return out


def _rot(axis: str, deg: FloatArray) -> Rotation:
    """One rotation per angle about a single axis (always a stack, even of one)."""
    return Rotation.from_euler(axis, np.asarray(deg, dtype=float).reshape(-1, 1), degrees=True)


@dataclass(frozen=True, slots=True)
class Anthropometry:
    thigh_m: float  # hip joint centre → knee joint centre
    shank_m: float  # knee → ankle
    ankle_height_m: float  # ankle joint above the floor when standing


@dataclass(slots=True)
class Motion:
    """Everything that moves, sampled every `dt_s` seconds. Angles in degrees, positions in metres."""

    t_s: FloatArray
    posture: Posture
    side: str
    body: Anthropometry
    thigh_flex_deg: FloatArray = field(init=False)  # sagittal: knee forward/up is positive
    thigh_front_deg: FloatArray = field(init=False)  # frontal, medial (adduction) positive
    thigh_twist_deg: FloatArray = field(init=False)  # about the thigh's own long axis
    shank_tilt_deg: FloatArray = field(init=False)  # sagittal: knee forward of the ankle positive
    shank_front_deg: FloatArray = field(init=False)  # frontal, knee medial of the ankle positive
    shank_twist_deg: FloatArray = field(init=False)
    open_deg: FloatArray = field(init=False)  # clamshell: whole leg about `open_axis_b`, knee lateral positive
    drift_yaw_deg: FloatArray = field(init=False)  # knee drift: thigh about the vertical, medial positive
    drift_add_deg: FloatArray = field(init=False)  # knee drift: thigh adduction, medial positive
    drift_shank_deg: FloatArray = field(init=False)  # knee drift: shank tilting medially about the ankle
    roll_deg: FloatArray = field(init=False)  # whole body about its long axis (turning, rolling over)
    heading_deg: FloatArray = field(init=False)
    base_e: FloatArray = field(init=False)  # (n, 3) origin of the heading frame
    ankle_h: FloatArray = field(init=False)  # (n, 3) ankle joint in the heading frame
    impact_e: FloatArray = field(init=False)  # (n, 3) heel-strike shock displacement of the joints
    # (n, 3) the part of a shock felt below the knee only: a flexed knee absorbs much of a foot
    # strike on its way up (and of one arriving from the pelvis on its way down), so the shank
    # and the thigh do not shake alike (session 10: lunge strikes; walking still moves both alike)
    shank_impact_e: FloatArray = field(init=False)
    # Ankle→hip direction in the body frame at rest: the clamshell hinge (feet stay together).
    open_axis_b: FloatArray = field(default_factory=lambda: np.array([0.0, 0.0, 1.0]))
    # The thigh flexes in a plane turned this far about the vertical, medial positive (PersonSpec).
    plane_yaw_deg: float = 0.0

    def __post_init__(self) -> None:
        n = self.t_s.shape[0]
        for name in (
            "thigh_flex_deg", "thigh_front_deg", "thigh_twist_deg", "shank_tilt_deg", "shank_front_deg",
            "shank_twist_deg", "open_deg", "drift_yaw_deg", "drift_add_deg", "drift_shank_deg",
            "roll_deg", "heading_deg",
        ):
            setattr(self, name, np.zeros(n))
        self.base_e = np.zeros((n, 3))
        self.ankle_h = np.zeros((n, 3))
        self.ankle_h[:, 2] = self.body.ankle_height_m
        self.impact_e = np.zeros((n, 3))
        self.shank_impact_e = np.zeros((n, 3))

    @property
    def dt_s(self) -> float:
        return float(self.t_s[1] - self.t_s[0])

    @property
    def s(self) -> float:
        return medial_sign(self.side)

    def index(self, t: float) -> int:
        return int(np.clip(round((t - self.t_s[0]) / self.dt_s), 0, self.t_s.shape[0]))

    # ---- orientations ------------------------------------------------------------------------

    def body_rotation(self, sl: slice = slice(None)) -> Rotation:
        """Body → earth: heading, posture, then roll about the body's long axis."""
        return compose(_rot("z", self.heading_deg[sl]), posture_rotation(self.posture), _rot("z", self.roll_deg[sl]))

    def _open(self, sl: slice) -> Rotation:
        # Lateral is −s·ŷ; a positive opening turns the knee that way about the hip→ankle axis.
        angle = np.radians(self.open_deg[sl]) * (-self.s)
        return Rotation.from_rotvec(angle[:, None] * self.open_axis_b[None, :])

    def thigh_rotation(self, sl: slice = slice(None), *, drift: bool = True) -> Rotation:
        """Thigh segment → earth. Without drift: the 'clean' pose the leg chain is built from."""
        s = self.s
        r = compose(self.body_rotation(sl), self._open(sl))
        front = self.thigh_front_deg[sl]
        if drift:
            r = compose(r, _rot("z", s * self.drift_yaw_deg[sl]))
            front = front + self.drift_add_deg[sl]
        # Flexion turns the knee (−z) forward: a rotation about −y.
        flex = _rot("y", -self.thigh_flex_deg[sl])
        if self.plane_yaw_deg:  # about an axis turned by the plane's yaw: the knee travels in or out
            turn = Rotation.from_euler("z", s * self.plane_yaw_deg, degrees=True)
            flex = compose(turn, flex, turn.inv())
        return compose(r, _rot("x", s * front), flex, _rot("z", self.thigh_twist_deg[sl]))

    def shank_rotation(self, sl: slice = slice(None), *, drift: bool = True) -> Rotation:
        s = self.s
        # Knee (+z) medial = toward s·ŷ, which a rotation of −s·angle about x gives.
        r = compose(self.body_rotation(sl), self._open(sl), _rot("x", -s * self.shank_front_deg[sl]))
        if drift:
            # Medial tilt in the frontal plane (earth vertical + medial): its axis is the body's x
            # when standing but the body's long axis z when supine (the shank then points up along x).
            if self.posture == "supine":
                r = compose(r, _rot("z", s * self.drift_shank_deg[sl]))
            else:
                r = compose(r, _rot("x", -s * self.drift_shank_deg[sl]))
        return compose(r, _rot("y", self.shank_tilt_deg[sl]), _rot("z", self.shank_twist_deg[sl]))

    # ---- joint positions ---------------------------------------------------------------------

    def chain_h(self, sl: slice = slice(None)) -> FloatArray:
        """Ankle → hip vector in the heading frame for the clean (drift-free) leg pose."""
        heading = _rot("z", self.heading_deg[sl])
        thigh = compose(heading.inv(), self.thigh_rotation(sl, drift=False))
        shank = compose(heading.inv(), self.shank_rotation(sl, drift=False))
        z = np.array([0.0, 0.0, 1.0])
        return self.body.shank_m * shank.apply(z) + self.body.thigh_m * thigh.apply(z)

    def ankle_e(self) -> FloatArray:
        return self._leg_base_e() + self.shank_impact_e

    def hip_e(self) -> FloatArray:
        return self._leg_base_e() + _rot("z", self.heading_deg).apply(self.chain_h())

    def _leg_base_e(self) -> FloatArray:
        """The ankle as the thigh moves with it: every shock but the part absorbed at the knee."""
        return self.base_e + _rot("z", self.heading_deg).apply(self.ankle_h) + self.impact_e

    def hip_h(self, i: int) -> FloatArray:
        sl = slice(i, i + 1)
        return self.ankle_h[i] + np.atleast_2d(self.chain_h(sl))[0]

    def pin_hip(self, i0: int, i1: int, hip_delta_h: FloatArray | None = None) -> None:
        """Over [i0, i1) move the ankle so the hip follows hip(i0) + hip_delta_h (the stance leg is
        the other one: swing, walking, stepping down). Later samples keep the ankle where it ends."""
        if i1 <= i0:
            return
        sl = slice(i0, i1)
        hip0 = self.hip_h(i0)
        target = hip0[None, :] + (0.0 if hip_delta_h is None else hip_delta_h)
        new_ankle = target - self.chain_h(sl)
        shift = new_ankle[-1] - self.ankle_h[i1 - 1]
        self.ankle_h[sl] = new_ankle
        self.ankle_h[i1:] += shift
