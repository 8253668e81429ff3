"""Sets of reps for each exercise, as joint-angle and joint-position changes on the fine grid.

Numbers are segment rotations in degrees from the task brief and field-notes §1 (thigh tilt 50–80°
in full squats, 40–55° in partial ones, reps 2–4 s). Every rep is randomised (±15 % amplitude,
±20 % tempo); every set draws its own depth, tempo and pauses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sensortrack.model import FloatArray
from sensortrack.simulation.curves import bump, move_hold_return, ramp
from sensortrack.simulation.scene import Scene
from sensortrack.simulation.spec import SetSpec

# Movement time of one rep (without pauses), before the ±20 % per-rep variation.
REP_DURATION_S: dict[str, tuple[float, float]] = {
    "squat": (1.8, 4.0),
    "lunge": (1.8, 4.0),
    "step_up": (2.6, 4.0),
    "bridge": (1.8, 3.5),
    "clamshell": (1.6, 3.0),
    "band_walk": (1.2, 2.2),
}
# Fraction of the movement spent going away from rest (descent of a squat, lift of a bridge).
AWAY_FRACTION: dict[str, tuple[float, float]] = {
    "squat": (0.4, 0.55),
    "lunge": (0.4, 0.55),
    "step_up": (0.22, 0.3),
    "bridge": (0.35, 0.5),
    "clamshell": (0.4, 0.55),
    "band_walk": (0.4, 0.55),
}
DRIFT_PEAK_DEG = (8.0, 18.0)
CLEAN_WOBBLE_DEG = 1.5  # clean reps: a small random in/out wobble (plus postural sway)
# Knee drift on the thigh is mostly rotation about the vertical plus ~30 % as much hip adduction.
ADDUCTION_SHARE = 0.3
SETUP_S = (1.0, 1.6)  # stepping into a split stance or sinking into a band-walk quarter squat


@dataclass(frozen=True, slots=True)
class RepPlan:
    start_s: float  # leaves rest (relative to the set block's start)
    reach_s: float  # arrives at maximal excursion
    leave_s: float  # leaves it again (after a pause at the peak)
    end_s: float  # back at rest
    amplitude: float  # multiplies the set's nominal excursion
    drift_deg: float  # peak medial rotation: 8–18° when valgus, a small wobble otherwise
    valgus: bool


@dataclass(frozen=True, slots=True)
class SetPlan:
    spec: SetSpec
    reps: tuple[RepPlan, ...]
    setup_s: float  # transition into the exercise's stance before the first rep (0: none)
    teardown_s: float
    duration_s: float  # setup + reps + teardown


@dataclass(slots=True)
class RepTruth:
    start_s: float
    end_s: float
    valgus: bool
    step: str | None


def needs_setup(exercise: str) -> bool:
    return exercise in ("lunge", "band_walk")


def plan_set(exercise: str, spec: SetSpec, rng: np.random.Generator) -> SetPlan:
    lo, hi = REP_DURATION_S[exercise]
    set_duration = rng.uniform(lo, hi) * spec.tempo_scale
    setup = rng.uniform(*SETUP_S) if needs_setup(exercise) else 0.0
    t = setup + (rng.uniform(0.2, 0.6) if setup else 0.0)
    reps: list[RepPlan] = []
    for i in range(1, spec.n_reps + 1):
        duration = set_duration * rng.uniform(0.8, 1.2)
        away = duration * rng.uniform(*AWAY_FRACTION[exercise])
        pause = rng.uniform(*spec.pause_at_peak_s)
        amplitude = spec.depth_scale * rng.uniform(0.85, 1.15) * (0.5 if i in spec.shallow_reps else 1.0)
        valgus = spec.drift and i >= spec.drift_from_rep and exercise != "clamshell"
        drift = rng.uniform(*DRIFT_PEAK_DEG) if valgus else rng.uniform(-1, 1) * CLEAN_WOBBLE_DEG
        reps.append(RepPlan(t, t + away, t + away + pause, t + duration + pause, amplitude, drift, valgus))
        t = reps[-1].end_s + (rng.uniform(*spec.rest_between_reps_s) if i < spec.n_reps else 0.0)
    teardown = rng.uniform(*SETUP_S) if setup else 0.0
    if teardown:
        t += rng.uniform(0.2, 0.6)
    return SetPlan(spec, tuple(reps), setup, teardown, t + teardown)


def squat_drift_envelope(t: FloatArray, rep: RepPlan, t0: float) -> FloatArray:
    """0 → ~0.75 from mid-descent to the bottom, peak ~1 early on the way up, 0 at the end
    ("knees cave as you rise", field-notes §2)."""
    start, reach, leave, end = (t0 + rep.start_s, t0 + rep.reach_s, t0 + rep.leave_s, t0 + rep.end_s)
    up = end - leave
    mid_descent = 0.5 * (start + reach)
    return 0.75 * (ramp(t, mid_descent, reach) - ramp(t, leave + 0.3 * up, end)) + 0.25 * bump(
        t, leave, leave + 0.7 * up
    )


def _add_drift(scene: Scene, sl: slice, deg: FloatArray, yaw_share: float = 1.0,
               add_share: float = ADDUCTION_SHARE) -> None:
    """Knee drift of `deg` (medial positive): for a thigh sensor as rotation about the vertical plus
    hip adduction, for a shank sensor as the shank tilting medially about the ankle."""
    m = scene.motion
    m.drift_yaw_deg[sl] += yaw_share * deg
    m.drift_add_deg[sl] += add_share * deg
    m.drift_shank_deg[sl] += deg


def _rep_profile(t: FloatArray, rep: RepPlan, t0: float) -> FloatArray:
    return move_hold_return(t, t0 + rep.start_s, t0 + rep.reach_s, t0 + rep.leave_s, t0 + rep.end_s)


def _stance(scene: Scene, t0: float, plan: SetPlan, thigh_deg: float, shank_deg: float) -> None:
    """Hold a stance (flexion offsets) for the whole set, entered and left with min-jerk moves."""
    m = scene.motion
    sl, t = scene.window(t0, t0 + plan.duration_s)
    f = move_hold_return(t, t0, t0 + plan.setup_s, t0 + plan.duration_s - plan.teardown_s, t0 + plan.duration_s)
    m.thigh_flex_deg[sl] += thigh_deg * f
    m.shank_tilt_deg[sl] += shank_deg * f


def render_squat(scene: Scene, t0: float, plan: SetPlan) -> list[RepTruth]:
    rng, m = scene.rng, scene.motion
    # Set depth drawn inside the brief's range so the ±15 % per-rep spread stays within 55–90°.
    thigh_peak, shank_peak = rng.uniform(62, 78), rng.uniform(28, 36)
    out = []
    for rep in plan.reps:
        sl, t = scene.window(t0 + rep.start_s, t0 + rep.end_s)
        f = _rep_profile(t, rep, t0)
        m.thigh_flex_deg[sl] += thigh_peak * rep.amplitude * f
        m.shank_tilt_deg[sl] += shank_peak * rep.amplitude * f
        _add_drift(scene, sl, rep.drift_deg * squat_drift_envelope(t, rep, t0))
        out.append(RepTruth(t0 + rep.start_s, t0 + rep.end_s, rep.valgus, None))
    return out


def render_lunge(scene: Scene, t0: float, plan: SetPlan) -> list[RepTruth]:
    """Split squat, instrumented leg in front: the stance already flexes the front thigh 15–20°."""
    rng, m = scene.rng, scene.motion
    stance_thigh, stance_shank = rng.uniform(15, 20), rng.uniform(0, 5)
    thigh_peak, shank_peak = rng.uniform(56, 72), rng.uniform(12, 22)  # reps ±15 %: ~50–80°
    # Stepping forward into the stance: the hip stays over the back foot while the front foot moves.
    _stance(scene, t0, plan, stance_thigh, stance_shank)
    m.pin_hip(m.index(t0), m.index(t0 + plan.setup_s) + 1)
    t_back = t0 + plan.duration_s - plan.teardown_s
    out = []
    for rep in plan.reps:
        sl, t = scene.window(t0 + rep.start_s, t0 + rep.end_s)
        f = _rep_profile(t, rep, t0)
        m.thigh_flex_deg[sl] += (thigh_peak - stance_thigh) * rep.amplitude * f
        m.shank_tilt_deg[sl] += (shank_peak - stance_shank) * rep.amplitude * f
        _add_drift(scene, sl, rep.drift_deg * squat_drift_envelope(t, rep, t0))
        out.append(RepTruth(t0 + rep.start_s, t0 + rep.end_s, rep.valgus, None))
    m.pin_hip(m.index(t_back), m.index(t0 + plan.duration_s) + 1)
    return out


def render_step_up(scene: Scene, t0: float, plan: SetPlan) -> list[RepTruth]:
    """Up with the instrumented leg first, down with it first ("up, up, down, down")."""
    rng, m = scene.rng, scene.motion
    thigh_peak, shank_peak = rng.uniform(50, 62), rng.uniform(17, 26)  # reps ±15 %: ~45–70°
    out = []
    for rep in plan.reps:
        # a: swing the foot onto the box; b: rise over it; c: the other leg joins; d: step down.
        a0, a1, b0, d1 = t0 + rep.start_s, t0 + rep.reach_s, t0 + rep.leave_s, t0 + rep.end_s
        b1 = b0 + 0.4 * (d1 - b0)
        d0 = b1 + 0.15 * (d1 - b0)
        hip_before = m.hip_h(m.index(a0))
        sl, t = scene.window(a0, d1)
        lift = ramp(t, a0, a1) - ramp(t, b0, b1)
        m.thigh_flex_deg[sl] += thigh_peak * rep.amplitude * lift
        # The knee bends more mid-swing (foot back and up) to clear the box edge.
        m.shank_tilt_deg[sl] += shank_peak * rep.amplitude * lift + 15.0 * bump(t, a0, a1)
        # Stepping down backwards: thigh a little behind the hip, knee bent as the foot reaches down.
        m.thigh_flex_deg[sl] -= 8.0 * bump(t, d0, d1)
        m.shank_tilt_deg[sl] += 25.0 * bump(t, d0, d1)
        _add_drift(scene, sl, rep.drift_deg * bump(t, a1 - 0.3 * (a1 - a0), b1))  # knee caves while rising
        m.pin_hip(m.index(a0), m.index(a1) + 1)  # the other leg holds the hip during the swing
        i0, i1 = m.index(d0), m.index(d1) + 1
        hip_top = m.hip_h(i0)
        m.pin_hip(i0, i1, (hip_before - hip_top)[None, :] * ramp(m.t_s[i0:i1], d0, d1)[:, None])
        out.append(RepTruth(a0, d1, rep.valgus, None))
    return out


def render_bridge(scene: Scene, t0: float, plan: SetPlan) -> list[RepTruth]:
    """Supine, feet on the floor: the hips lift until the thigh is 5–15° from horizontal."""
    rng, m = scene.rng, scene.motion
    rest = float(m.thigh_flex_deg[m.index(t0)])
    # Brief: top 5–15° from horizontal; real MEx bridges move the thigh only 12–27°, so the top
    # range is widened to 20° to cover those smaller lifts too.
    top = rng.uniform(5, 20)
    shank_change = rng.uniform(5, 10)
    out = []
    for rep in plan.reps:
        sl, t = scene.window(t0 + rep.start_s, t0 + rep.end_s)
        f = _rep_profile(t, rep, t0)
        m.thigh_flex_deg[sl] -= (rest - top) * rep.amplitude * f
        m.shank_tilt_deg[sl] += shank_change * rep.amplitude * f
        start, reach = t0 + rep.start_s, t0 + rep.reach_s
        envelope = ramp(t, start + 0.3 * (reach - start), reach) - ramp(t, t0 + rep.leave_s, t0 + rep.end_s)
        # Supine, the thigh lies near the horizontal: the knees cave by rotating about the vertical,
        # which for this posture is the body's adduction axis.
        _add_drift(scene, sl, rep.drift_deg * envelope, yaw_share=ADDUCTION_SHARE, add_share=1.0)
        out.append(RepTruth(start, t0 + rep.end_s, rep.valgus, None))
    return out


def render_clamshell(scene: Scene, t0: float, plan: SetPlan) -> list[RepTruth]:
    """Side-lying, feet together: the top knee opens about the hip–ankle axis; the pelvis stays."""
    rng, m = scene.rng, scene.motion
    opening = rng.uniform(25, 45)
    out = []
    for rep in plan.reps:
        sl, t = scene.window(t0 + rep.start_s, t0 + rep.end_s)
        m.open_deg[sl] += opening * rep.amplitude * _rep_profile(t, rep, t0)
        # A little pelvis roll backward goes with the opening, as people do.
        m.roll_deg[sl] += rng.uniform(0, 6) * -m.s * _rep_profile(t, rep, t0)
        m.pin_hip(sl.start, sl.stop)
        out.append(RepTruth(t0 + rep.start_s, t0 + rep.end_s, False, None))
    return out


def render_band_walk(scene: Scene, t0: float, plan: SetPlan) -> list[RepTruth]:
    """Side steps in a quarter squat, one rep per step of the instrumented leg.

    Lead: the foot swings out (hip held by the other leg), then the pelvis moves over the planted
    foot. Trail: the pelvis moves away from the planted foot first, then the foot swings in. The
    abduction (10–20°) is at the hip; the shank stays vertical in the frontal plane ("knees out over
    the feet") and bends back during the swing so the foot clears the floor."""
    rng, m = scene.rng, scene.motion
    stance_thigh, stance_shank = rng.uniform(20, 30), rng.uniform(10, 15)
    abduction_peak = rng.uniform(11, 17)  # reps ±15 %: ~10–20°
    swing_thigh, swing_knee = rng.uniform(4, 10), rng.uniform(15, 25)
    step = plan.spec.step or "lead"
    _stance(scene, t0, plan, stance_thigh, stance_shank)
    out = []
    for rep in plan.reps:
        sl, t = scene.window(t0 + rep.start_s, t0 + rep.end_s)
        start, reach, leave, end = (t0 + rep.start_s, t0 + rep.reach_s, t0 + rep.leave_s, t0 + rep.end_s)
        m.thigh_front_deg[sl] -= abduction_peak * rep.amplitude * _rep_profile(t, rep, t0)
        if step == "lead":  # swing out first; loaded late while the pelvis moves over the foot
            swing, loaded = (start, reach), (leave + 0.3 * (end - leave), end)
        else:  # loaded early while the pelvis moves away from the foot; then swing in
            swing, loaded = (leave, end), (start, start + 0.7 * (reach - start))
        lift = bump(t, *swing)
        m.thigh_flex_deg[sl] += swing_thigh * rep.amplitude * lift
        m.shank_tilt_deg[sl] += swing_knee * rep.amplitude * lift  # knee bends: the foot goes back and up
        # In a quarter squat the thigh is nearly vertical: the knee caves mostly by hip adduction.
        _add_drift(scene, sl, rep.drift_deg * bump(t, *loaded), add_share=1.0)
        m.pin_hip(m.index(swing[0]), m.index(swing[1]) + 1)  # the other leg carries the body
        out.append(RepTruth(start, end, rep.valgus, step))
    return out


RENDERERS: dict[str, Callable[[Scene, float, SetPlan], list[RepTruth]]] = {
    "squat": render_squat,
    "lunge": render_lunge,
    "step_up": render_step_up,
    "bridge": render_bridge,
    "clamshell": render_clamshell,
    "band_walk": render_band_walk,
}
