"""Sets of reps for each exercise, as joint-angle and joint-position changes on the fine grid.

Numbers are segment rotations in degrees from the task brief and field-notes §1 (thigh tilt 50–80°
in full squats, 40–55° in partial ones, reps 2–4 s). Every rep is randomised (±15 % amplitude,
±20 % tempo); every set draws its own depth, tempo and pauses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sensortrack.core.model import FloatArray
from sensortrack.simulation.curves import bump, move_hold_return, ramp, shock
from sensortrack.simulation.scene import Scene
from sensortrack.simulation.spec import PersonSpec, SetSpec

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
DRIFT_PEAK_DEG = PersonSpec().valgus_deg  # 8–18° (the textbook person)
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
    other_leg: bool = False  # alternating lunges: the other leg's lunge (not a rep of this sensor's leg)
    return_pause_s: float = 0.0  # a pause on the way back (SetSpec.return_pause_s) ...
    return_pause_level: float = 0.5  # ... with this share of the excursion still to go


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


def plan_set(exercise: str, spec: SetSpec, rng: np.random.Generator, person: PersonSpec | None = None) -> SetPlan:
    person = person or PersonSpec()
    lo, hi = spec.rep_duration_s or REP_DURATION_S[exercise]
    set_duration = rng.uniform(lo, hi) * spec.tempo_scale
    alternating = spec.alternating and exercise == "lunge"
    # Alternating (or trailing-leg) forward lunges start from standing: no split stance to step into.
    from_standing = alternating or (spec.trailing and exercise == "lunge")
    setup = rng.uniform(*SETUP_S) if needs_setup(exercise) and not from_standing else 0.0
    t = setup + (rng.uniform(0.2, 0.6) if setup else 0.0)
    reps: list[RepPlan] = []
    moves = 2 * spec.n_reps if alternating else spec.n_reps
    for k in range(1, moves + 1):
        other = alternating and k % 2 == 0  # the instrumented leg lunges first
        i = (k + 1) // 2 if alternating else k  # the instrumented leg's rep number
        duration = set_duration * rng.uniform(0.8, 1.2)
        away = duration * rng.uniform(*AWAY_FRACTION[exercise])
        pause = rng.uniform(*spec.pause_at_peak_s)
        amplitude = spec.depth_scale * rng.uniform(0.85, 1.15) * (0.5 if i in spec.shallow_reps else 1.0)
        valgus = spec.drift and i >= spec.drift_from_rep and exercise != "clamshell" and not other
        drift = rng.uniform(*person.valgus_deg) if valgus else rng.uniform(-1, 1) * CLEAN_WOBBLE_DEG
        back_pause, back_level = 0.0, 0.5
        if spec.return_pause_s[1] > 0:  # drawn only when asked: default sets keep their random stream
            back_pause, back_level = rng.uniform(*spec.return_pause_s), rng.uniform(0.3, 0.7)
        end = t + duration + pause + back_pause
        reps.append(RepPlan(t, t + away, t + away + pause, end, amplitude, drift, valgus, other, back_pause, back_level))
        t = reps[-1].end_s + (rng.uniform(*spec.rest_between_reps_s) if k < moves else 0.0)
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
    if rep.return_pause_s <= 0:
        return move_hold_return(t, t0 + rep.start_s, t0 + rep.reach_s, t0 + rep.leave_s, t0 + rep.end_s)
    # Back in two moves with a pause between: first to `return_pause_level`, then home.
    level = rep.return_pause_level
    leave, end = t0 + rep.leave_s, t0 + rep.end_s
    moving = end - leave - rep.return_pause_s
    first_end = leave + (1.0 - level) * moving
    return (ramp(t, t0 + rep.start_s, t0 + rep.reach_s) - (1.0 - level) * ramp(t, leave, first_end)
            - level * ramp(t, first_end + rep.return_pause_s, end))


def _stance(scene: Scene, t0: float, plan: SetPlan, thigh_deg: float, shank_deg: float) -> None:
    """Hold a stance (flexion offsets) for the whole set, entered and left with min-jerk moves."""
    m = scene.motion
    sl, t = scene.window(t0, t0 + plan.duration_s)
    f = move_hold_return(t, t0, t0 + plan.setup_s, t0 + plan.duration_s - plan.teardown_s, t0 + plan.duration_s)
    m.thigh_flex_deg[sl] += thigh_deg * f
    m.shank_tilt_deg[sl] += shank_deg * f


# A minimum-jerk move over D in T peaks at 10 / √3 · D / T² (Flash & Hogan 1985).
MIN_JERK_PEAK_ACC = 10.0 / np.sqrt(3.0)
G_M_S2 = 9.81


def reachable_depth_share(thigh_deg: float, shank_deg: float, move_s: float, thigh_m: float, shank_m: float) -> float:
    """The share of a planned squat depth a body reaches in `move_s` each way.

    With the feet on the floor nothing pulls the hips down faster than they fall: a squat whose
    hips would have to drop (or stop on the way up) at more than 1 g is done shallower, which is
    what people doing quick continuous squats do. Hip height is thigh·cos + shank·cos of the tilts.
    """
    def peak_acc(k: float) -> float:
        drop = thigh_m * (1 - np.cos(np.radians(k * thigh_deg))) + shank_m * (1 - np.cos(np.radians(k * shank_deg)))
        return MIN_JERK_PEAK_ACC * drop / move_s**2
    if move_s <= 0 or peak_acc(1.0) <= G_M_S2:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(30):  # bisection: the drop grows with depth
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if peak_acc(mid) <= G_M_S2 else (lo, mid)
    return lo


def render_squat(scene: Scene, t0: float, plan: SetPlan) -> list[RepTruth]:
    rng, m = scene.rng, scene.motion
    # Set depth drawn inside the brief's range so the ±15 % per-rep spread stays within 55–90°.
    if scene.seated:
        return _render_sit_to_stand(scene, t0, plan)
    thigh_peak, shank_peak = rng.uniform(*(plan.spec.range_deg or (62, 78))), rng.uniform(28, 36)
    out = []
    for rep in plan.reps:
        sl, t = scene.window(t0 + rep.start_s, t0 + rep.end_s)
        f = _rep_profile(t, rep, t0)
        move_s = min(rep.reach_s - rep.start_s, rep.end_s - rep.leave_s)
        depth = rep.amplitude * reachable_depth_share(
            thigh_peak * rep.amplitude, shank_peak * rep.amplitude, move_s, m.body.thigh_m, m.body.shank_m
        )
        m.thigh_flex_deg[sl] += thigh_peak * depth * f
        m.shank_tilt_deg[sl] += shank_peak * depth * f
        _add_drift(scene, sl, rep.drift_deg * squat_drift_envelope(t, rep, t0))
        out.append(RepTruth(t0 + rep.start_s, t0 + rep.end_s, rep.valgus, None))
    return out


def render_lunge(scene: Scene, t0: float, plan: SetPlan) -> list[RepTruth]:
    """Split squat, instrumented leg in front: the stance already flexes the front thigh 15–20°."""
    if plan.spec.alternating:
        return _render_alternating_lunge(scene, t0, plan)
    if plan.spec.trailing:
        from sensortrack.simulation.recognition_scenes import render_trailing_lunge

        return render_trailing_lunge(scene, t0, plan)
    rng, m = scene.rng, scene.motion
    stance_thigh, stance_shank = rng.uniform(15, 20), rng.uniform(0, 5)
    thigh_peak, shank_peak = rng.uniform(*(plan.spec.range_deg or (56, 72))), rng.uniform(12, 22)  # ±15 %: ~50–80°
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


def _render_sit_to_stand(scene: Scene, t0: float, plan: SetPlan) -> list[RepTruth]:
    """Sit-to-stand from a chair: rest is seated (the rest pose: thigh ~horizontal). A rep stands up
    (thigh to about vertical, the shank tipping forward as the weight comes over the feet at seat-off)
    and sits back down, landing on the seat with a small shock."""
    rng, m = scene.rng, scene.motion
    i0 = m.index(t0)
    seat_thigh, seat_shank = float(m.thigh_flex_deg[i0]), float(m.shank_tilt_deg[i0])
    lean = rng.uniform(8, 15)  # the shank's extra forward tilt around seat-off
    out = []
    for rep in plan.reps:
        start, reach, leave, end = (t0 + rep.start_s, t0 + rep.reach_s, t0 + rep.leave_s, t0 + rep.end_s)
        stand_thigh, stand_shank = rng.uniform(-2, 5), rng.uniform(0, 4)
        sl, t = scene.window(start, end)
        f = _rep_profile(t, rep, t0) * min(1.0, rep.amplitude)  # a short rep stops short of upright
        m.thigh_flex_deg[sl] += (stand_thigh - seat_thigh) * f
        m.shank_tilt_deg[sl] += (stand_shank - seat_shank) * f
        m.shank_tilt_deg[sl] += lean * (bump(t, start, start + 0.7 * (reach - start))
                                        + 0.5 * bump(t, leave + 0.3 * (end - leave), end))
        # The knees cave while the thigh is still flexed: rising from the seat and lowering onto it.
        _add_drift(scene, sl, rep.drift_deg * (bump(t, start, reach) + 0.6 * bump(t, leave, end)))
        # The seat stops the pelvis, not the feet: the hip drops a few mm more and springs back,
        # the thigh turning about the knee while the shank stands on the floor and hardly moves (a
        # jolt at the ankle would shake the shank like a heel strike). Hip height over the knee is
        # thigh_m · cos(flex), so a drop of h turns the thigh by h / (thigh_m · sin(flex)) rad.
        hit_sl, hit_t = scene.window(end - 0.05, end + 0.6)
        drop_m = rng.uniform(0.002, 0.004) * shock(hit_t, end - 0.05, rng.uniform(6, 10))
        lever_m = m.body.thigh_m * max(np.sin(np.radians(seat_thigh)), 0.5)
        m.thigh_flex_deg[hit_sl] += np.degrees(drop_m / lever_m)
        out.append(RepTruth(start, end, rep.valgus, None))
    return out


def _render_alternating_lunge(scene: Scene, t0: float, plan: SetPlan) -> list[RepTruth]:
    """Forward lunges from standing, legs alternating, the instrumented leg first.

    Its own lunge: the foot swings forward (the other leg holds the body), lands, the front thigh
    flexes to 55–90° with the shank 10–20° forward, then it pushes back and the foot swings home.
    The other leg's lunge: this foot stays planted behind, the thigh extends a little and the rear
    knee drops toward the floor: the shank tips 55–75° — more than the front shank ever does,
    which is why a shank sensor sees the other leg's lunges as big movements.
    Each lunge ends its swing with a foot strike: the stepping foot lands and stops the body's
    forward travel. This leg's own strike reaches its shank directly (a heel strike, as in walking);
    the other foot's reaches the planted rear leg only through the pelvis and both knees, a small
    share of it."""
    rng, m = scene.rng, scene.motion
    front_thigh, front_shank = rng.uniform(*(plan.spec.range_deg or (62, 78))), rng.uniform(10, 20)
    rear_thigh, rear_shank = rng.uniform(5, 15), rng.uniform(55, 75)
    swing_knee = rng.uniform(15, 25)
    # A lunge's step lands at least as hard as a walking heel strike (render_walk: 1.5–3 mm at
    # 10–16 Hz); the other foot's strike arrives at this leg damped to 15–30 % of that. Drawn from
    # a jumped copy of the scene's generator, which stays where it was: every other draw of the
    # session is as before session 10, so only the strikes differ.
    strikes = np.random.Generator(rng.bit_generator.jumped())
    strike_m, strike_hz = strikes.uniform(0.002, 0.004), strikes.uniform(10, 16)
    felt_share = strikes.uniform(0.15, 0.3)
    # The flexed knee passes on only part of a strike (the lunge lands on a bent knee, and the
    # thigh's soft tissue damps it further): this foot's strike reaches the thigh at this share of
    # what the shank feels; the other foot's reaches the thigh first, through the pelvis, and the
    # shank at this share of that. Drawn after the three above: those stay as they were.
    knee_share = strikes.uniform(0.3, 0.5)
    out = []
    for rep in plan.reps:
        start, reach, leave, end = (t0 + rep.start_s, t0 + rep.reach_s, t0 + rep.leave_s, t0 + rep.end_s)
        land, lift_off = start + 0.35 * (reach - start), leave + 0.65 * (end - leave)
        sl, t = scene.window(start, end)
        f = _rep_profile(t, rep, t0)
        hit_sl, hit_t = scene.window(land, land + 0.5)
        hit = -strike_m * rep.amplitude * shock(hit_t, land, strike_hz)
        thigh_felt, shank_felt = (felt_share, felt_share * knee_share) if rep.other_leg else (knee_share, 1.0)
        m.impact_e[hit_sl, 2] += thigh_felt * hit  # the whole leg
        m.shank_impact_e[hit_sl, 2] += (shank_felt - thigh_felt) * hit  # below the knee only
        if rep.other_leg:
            m.thigh_flex_deg[sl] -= rear_thigh * rep.amplitude * f
            m.shank_tilt_deg[sl] += rear_shank * rep.amplitude * f
            scene.other_leg.append((start, end))
            continue
        hip_before = m.hip_h(m.index(start))
        m.thigh_flex_deg[sl] += front_thigh * rep.amplitude * f
        m.shank_tilt_deg[sl] += front_shank * rep.amplitude * f + swing_knee * (bump(t, start, land) + bump(t, lift_off, end))
        _add_drift(scene, sl, rep.drift_deg * squat_drift_envelope(t, rep, t0))
        m.pin_hip(m.index(start), m.index(land) + 1)  # swinging forward: the other leg holds the body
        i0, i1 = m.index(lift_off), m.index(end) + 1  # swinging home: the body comes back over it
        m.pin_hip(i0, i1, (hip_before - m.hip_h(i0))[None, :] * ramp(m.t_s[i0:i1], lift_off, end)[:, None])
        out.append(RepTruth(start, end, rep.valgus, None))
    return out


def render_step_up(scene: Scene, t0: float, plan: SetPlan) -> list[RepTruth]:
    """Up with the instrumented leg first, down with it first ("up, up, down, down")."""
    rng, m = scene.rng, scene.motion
    thigh_peak = rng.uniform(*(plan.spec.range_deg or (50, 62)))  # reps ±15 %: ~45–70°
    shank_peak = rng.uniform(17, 26)
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
    # A set's own range (`range_deg`) is the thigh's lift from rest (MEx people: 12–27°, some 8°).
    top = rest - rng.uniform(*plan.spec.range_deg) if plan.spec.range_deg else rng.uniform(5, 20)
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
    opening = rng.uniform(*(plan.spec.range_deg or (25, 45)))
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
