"""Shared state while a session is rendered block by block onto the fine grid."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

from sensortrack.core.model import FloatArray
from sensortrack.simulation.body import Motion


@dataclass(slots=True)
class MountChange:
    """The sensor taken off and strapped on again over [t0_s, t1_s] in a new orientation."""

    t0_s: float
    t1_s: float
    new_mount: Rotation
    new_offset_seg_m: FloatArray
    erratic_rotvec_rad: FloatArray  # (n_window, 3) hand motion while re-strapping
    erratic_offset_m: FloatArray  # (n_window, 3)


@dataclass(slots=True)
class Scene:
    motion: Motion
    rng: np.random.Generator
    sensor_offset_seg_m: FloatArray  # where the sensor sits on the segment now (changes on re-strapping)
    mount_changes: list[MountChange] = field(default_factory=list)
    seated: bool = False  # squats are sit-to-stand from a chair (SessionSpec.seated)
    other_leg: list[tuple[float, float]] = field(default_factory=list)  # the other leg's lunges (not reps)

    @property
    def t(self) -> FloatArray:
        return self.motion.t_s

    def window(self, t0: float, t1: float) -> tuple[slice, FloatArray]:
        """The grid slice covering [t0, t1] and its times."""
        m = self.motion
        sl = slice(m.index(t0), m.index(t1) + 1)
        return sl, m.t_s[sl]
