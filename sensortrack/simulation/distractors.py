"""Movements that are NOT reps: standing, fidgeting, walking, re-strapping, sitting, lying adjustments.

An exercise analysis that counts any of these as reps is wrong; the labels list them with their times.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.spatial.transform import Rotation

from sensortrack.simulation.body import Motion
from sensortrack.simulation.curves import bump, ramp, shock, wobble
from sensortrack.simulation.scene import MountChange, Scene


def _small_bumps(scene: Scene, t0: float, t1: float, targets: list[tuple[np.ndarray, float]]) -> None:
    """A few random smooth bumps of up to `max_deg` on each target array within [t0, t1]."""
    rng = scene.rng
    for array, max_deg in targets:
        for _ in range(int(rng.integers(1, 4))):
            length = rng.uniform(0.6, min(2.5, max(0.7, t1 - t0)))
            start = rng.uniform(t0, max(t0, t1 - length))
            sl, t = scene.window(start, start + length)
            array[sl] += rng.uniform(-max_deg, max_deg) * bump(t, start, start + length)


def render_stand(scene: Scene, t0: float, t1: float) -> None:
    """Quiet standing, sitting or lying: only the session-wide postural sway (added later)."""


def render_fidget(scene: Scene, t0: float, t1: float) -> None:
    """Shifting weight and turning the leg a little: thigh rotations below 10°."""
    m = scene.motion
    _small_bumps(scene, t0, t1, [(m.thigh_flex_deg, 9.0), (m.thigh_front_deg, 5.0), (m.thigh_twist_deg, 8.0),
                                 (m.shank_tilt_deg, 6.0), (m.roll_deg, 15.0)])


def render_adjust(scene: Scene, t0: float, t1: float) -> None:
    """Lying: sliding a foot, shifting the hips; the pelvis stays roughly where it is."""
    m = scene.motion
    _small_bumps(scene, t0, t1, [(m.thigh_flex_deg, 12.0), (m.thigh_front_deg, 6.0), (m.thigh_twist_deg, 10.0),
                                 (m.shank_tilt_deg, 10.0), (m.roll_deg, 8.0)])
    m.pin_hip(m.index(t0), m.index(t1) + 1)


def render_roll(scene: Scene, t0: float, t1: float) -> None:
    """Lying: rolling part of the way over and back (30–70°), the legs going along."""
    m = scene.motion
    sl, t = scene.window(t0, t1)
    m.roll_deg[sl] += scene.rng.choice([-1.0, 1.0]) * scene.rng.uniform(30, 70) * bump(t, t0, t1)
    m.pin_hip(sl.start, sl.stop)


def render_sit_stand(scene: Scene, t0: float, t1: float) -> None:
    """Sitting down on a bench and standing up once: thigh to ~horizontal, like one very deep slow squat."""
    rng, m = scene.rng, scene.motion
    sl, t = scene.window(t0, t1)
    down = rng.uniform(1.2, 2.0)
    up = rng.uniform(1.0, 1.8)
    sit = ramp(t, t0, t0 + down) - ramp(t, t1 - up, t1)
    m.thigh_flex_deg[sl] += rng.uniform(80, 95) * sit
    m.shank_tilt_deg[sl] += rng.uniform(5, 15) * sit
    # Forward lean and a small shock as the pelvis lands on the bench.
    m.impact_e[sl, 2] += -0.004 * shock(t, t0 + down, 8.0)


def render_walk(scene: Scene, t0: float, t1: float) -> None:
    """Walking: ~1 Hz strides, thigh swinging ±15–25°, knee bending in swing, heel-strike shocks,
    and possibly turning to face a new direction."""
    rng, m = scene.rng, scene.motion
    sl, t = scene.window(t0, t1)
    i0 = sl.start
    _rebase(m, i0)
    accel = min(1.0, 0.25 * (t1 - t0))
    envelope = ramp(t, t0, t0 + accel) - ramp(t, t1 - accel, t1)
    stride_hz = rng.uniform(0.85, 1.05)
    phase0 = rng.uniform(0, 2 * np.pi)
    phase = 2 * np.pi * stride_hz * (t - t0) + phase0
    swing_deg = rng.uniform(15, 25)
    thigh = (swing_deg * np.sin(phase) + rng.uniform(0, 5)) * envelope
    # Knee flexion peaks early in swing, when the thigh is moving forward (cos(phase) > 0).
    knee = (5.0 + 55.0 * np.maximum(0.0, np.cos(phase + 0.6)) ** 3) * envelope
    m.thigh_flex_deg[sl] += thigh
    m.shank_tilt_deg[sl] += knee - thigh
    # The body moves forward at walking speed (in the heading direction) and may turn.
    speed = rng.uniform(1.0, 1.4) * envelope
    turn = rng.uniform(-180, 180) if rng.random() < 0.6 else 0.0
    m.heading_deg[sl] += turn * ramp(t, t0 + accel, t1 - accel)
    m.heading_deg[sl.stop :] += turn
    heading = np.radians(m.heading_deg[sl])
    step = speed * m.dt_s
    path = np.column_stack([np.cumsum(step * np.cos(heading)), np.cumsum(step * np.sin(heading)), np.zeros(t.size)])
    path -= path[0]
    m.base_e[sl] += path
    m.base_e[sl.stop :] += path[-1]
    bob = np.zeros((t.size, 3))
    bob[:, 2] = 0.02 * np.cos(2 * phase) * envelope  # the pelvis rises and falls twice per stride
    m.pin_hip(sl.start, sl.stop, bob)
    # Heel strikes of the instrumented leg: thigh most flexed, phase = π/2 (mod 2π).
    first = int(np.ceil((phase0 - np.pi / 2) / (2 * np.pi)))
    for k in range(first, first + int((t1 - t0) * stride_hz) + 2):
        t_hit = t0 + (np.pi / 2 + 2 * np.pi * k - phase0) / (2 * np.pi * stride_hz)
        if t0 + accel <= t_hit <= t1 - accel - 0.2:
            m.impact_e[sl, 2] += -rng.uniform(0.0015, 0.003) * shock(t, t_hit, rng.uniform(10, 16))


def _rebase(m: Motion, i: int) -> None:
    """Move the heading-frame origin under the ankle (no physical change) so turning is about the body."""
    offset_h = m.ankle_h[i].copy()
    offset_h[2] = 0.0
    offset_e = Rotation.from_euler("z", m.heading_deg[i], degrees=True).apply(offset_h)
    m.ankle_h[i:] -= offset_h
    m.base_e[i:] += offset_e


def render_restrap(scene: Scene, t0: float, t1: float) -> None:
    """The strap is undone and the sensor put back on in a new, random orientation."""
    rng = scene.rng
    sl, t = scene.window(t0, t1)
    window = bump(t, t0, t1)[:, None]
    erratic = np.column_stack([wobble(t, rng, np.radians(25), 3.0) for _ in range(3)]) * window
    jiggle = np.column_stack([wobble(t, rng, 0.02, 2.0) for _ in range(3)]) * window
    new_offset = scene.sensor_offset_seg_m + rng.uniform(-0.02, 0.02, 3)
    scene.mount_changes.append(
        MountChange(float(t[0]), float(t[-1]), Rotation.random(random_state=rng), new_offset, erratic, jiggle)
    )
    scene.sensor_offset_seg_m = new_offset
    render_fidget(scene, t0, t1)


RENDERERS: dict[str, Callable[[Scene, float, float], None]] = {
    "stand": render_stand,
    "lie": render_stand,
    "sit": render_stand,  # quiet sitting: the seated rest pose (SessionSpec.seated) and sway only
    "fidget": render_fidget,
    "adjust": render_adjust,
    "roll": render_roll,
    "sit_stand": render_sit_stand,
    "walk": render_walk,
    "restrap": render_restrap,
}
