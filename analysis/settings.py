"""Every analysis default in one frozen object. The core loads overrides from TOML and the CLI.

Units are in the field names. `sensortrack.config` maps `[analysis]` keys of config.toml and
`--set analysis.KEY=VALUE` onto these fields; nothing else holds a threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, cast

from sensortrack.analysis.exercise_rules import EXERCISE_RULES
from sensortrack.core.vocabulary import Exercise, Placement


# The rate the analysis runs at, after the front end's decimation. Here rather than in front_end.py
# so that checking `--set` values does not import SciPy (the front end's filters).
ANALYSIS_RATE_HZ = 25.0  # thigh/shank movement is below 6 Hz; 25 Hz keeps 40 ms rep timing


@dataclass(frozen=True, slots=True)
class AnalysisSettings:
    # --- filtering (SciPy SOS Butterworth, causal with carried state) ---
    # Thigh/shank kinematics live below ~6 Hz; 4 Hz keeps rep shape and drops footfall impacts
    # (field-notes §3: 4–10 Hz is the usual operating point, over-smoothing hurts frontal angles).
    lowpass_hz: float = 4.0
    lowpass_order: int = 2
    # --- orientation ---
    # VQF accelerometer correction time constant; 3 s is VQF's published default (Laidig & Seel 2023).
    vqf_tau_acc_s: float = 3.0
    # --- reps and sets ---
    # A turn of the segment angle counts as a rep only above this range; squats sweep 50–80° at the
    # thigh (field-notes §1), clamshells and band walks far less, so each exercise has its own floor.
    min_range_squat_deg: float = 25.0
    min_range_lunge_deg: float = 20.0
    min_range_step_up_deg: float = 20.0
    # Bridges: real thighs lift 8–27° (MEx); a shank whose knee caves turns mostly out of its plane,
    # leaving only 3–4° in it (shank floor 6 × 0.4 = 2.4°).
    min_range_bridge_deg: float = 6.0
    min_range_clamshell_deg: float = 8.0
    min_range_band_walk_deg: float = 5.0
    # Below the knee the segment sweeps far less (squat shank 25–40° vs thigh 55–90°, bridge shank
    # 5–10°), so a shank sensor's floors are this share of the thigh's.
    shank_range_scale: float = 0.4
    # A rep's range may not fall below this share of the running set median (stops fidgets and
    # half-steps from counting inside a set of real reps).
    min_range_share_of_set: float = 0.45
    # A movement under the exercise's floor but above this share of it is kept aside and joins a set
    # of real reps when the set ends, if it is like them (the share above, the set's rhythm): the
    # floors are set for typical people, and a trailing thigh in a lunge sweeps 10–15° (UTD-MHAD).
    below_floor_share_of_min_range: float = 0.5
    # ... nor be held still this much longer than twice the set's median hold: that is sitting
    # down on a bench and standing up again, not a rep. Holds that belong to the exercise (a
    # bridge held at the top, pause squats) are held on every rep, which raises the median.
    hold_over_set_s: float = 1.5
    # ... nor take less than this share of the set's median time: reps keep a tempo (bridges and
    # clamshells are slow and controlled), a foot slid or the hips shifted while lying is quicker.
    # Not for band walks: a step is found from its swing, whose length varies more than the step's.
    min_duration_share_of_set: float = 0.4
    # Reps are judged against those done in the same rhythm: a pause longer than this many times
    # the set's median pause between reps (and than half a set break) separates them, when the
    # set ends (sets.py). A movement cut off so on both sides, fewer than a set, is fidgeting.
    rhythm_break_pause_share: float = 2.5
    # Reps shorter than this are walking strides (~1 s per stride) or twitches; squats, lunges,
    # step-ups, bridges and clamshells take 1.5–4 s (field-notes §1). Band-walk steps are quicker.
    min_rep_duration_s: float = 1.25
    min_step_duration_band_walk_s: float = 0.5
    # ... unless no foot strike loads the leg over it (`gait_impact_g`): continuous squats take
    # 0.8–1.2 s per rep (issue 9: tempos from 0.8 s). Quicker than this is a twitch, or, when it
    # moves as far as a rep, a stride of gait, after which no quick rep counts until a rep or a set
    # break has passed (sets.SetTracker._strode_before; the other leg strides between lifts).
    min_quick_rep_duration_s: float = 0.6
    # ... and it does not turn past rest the other way by more than this share of its range: a
    # stride forward takes the thigh 10–20° behind standing at push-off against ~30° in front.
    quick_rep_past_rest_share_of_range: float = 0.15
    max_rep_duration_s: float = 15.0
    # A side step against a band takes 1–3 s; a longer "step" is walking or moving between sets.
    max_step_duration_band_walk_s: float = 4.0
    # A step-up rep is up AND down: the step down off the box that starts within this long after
    # the rise (the other leg joins in between) still belongs to the rep.
    step_down_within_s: float = 1.5
    # No rep for this long ends the set.
    set_break_s: float = 6.0
    # ... or than this many of the open set's reps (median movement time, holds left out): in
    # alternating lunges the other leg's lunge (with its hold) and a rest on each side of it lie
    # between two of this leg's reps. Once the set ends, only pauses that also break its rhythm
    # split it. 2.5 on the hard design's tuning seeds (2.0 of whole reps: bridges held 3–5 s then
    # bridged the lying rest between sets, 6 sets of them counted worse).
    set_break_reps: float = 2.5
    # A set needs at least this many reps; fewer are fidgeting or re-strapping.
    min_reps_per_set: int = 3
    # `shallow` when a rep's range is below this share of the set's best rep.
    shallow_share_of_best: float = 0.75
    # --- reps from the movement's own repetition (repetition.py), where the finder counted none ---
    # Unclaimed samples are searched this much at a time (and when the next rep is counted, and at
    # the end): a few sets' worth, so a live view shows such sets with bounded delay and memory.
    repetition_search_s: float = 60.0
    # A rep's interval may differ from its run's typical one by this share: people keep a rhythm
    # within a set, fidgets and posture changes do not.
    repetition_rhythm_tolerance: float = 0.5
    # Gravity must swing at least this far: above a ±8 g accelerometer's 1/64 g steps (0.9°) once
    # low-passed, below the smallest real reps (a 2° clamshell seen by the thigh in MEx).
    repetition_min_range_deg: float = 1.0
    # ... and at least this share of the stretch's own spread (5–95 %), so noise between big reps
    # is not a rep.
    repetition_min_share_of_spread: float = 0.3
    # A stretch repeats when its angle (less its mean) correlates with itself this well at a rep's lag
    # (normalised autocorrelation): a set's reps are alike, fidgets and posture changes are not.
    repetition_min_autocorrelation: float = 0.3
    # The period is the shortest lag correlating within this share of the best: two or three periods
    # line up about as well as one, and a lag between two unlike excursions of one rep does not.
    repetition_period_peak_share: float = 0.8
    # Extremes of one rep lie closer than this share of the period: people keep their tempo within
    # a set to a few tenths of a rep, so the next rep's extreme is further.
    repetition_least_share_of_period: float = 0.7
    # A repeated run loaded like gait is still a set when more than this share of its reps is loaded
    # by the body being lowered (a thigh's fast squats): strides are never, walking's both feet land
    # out of step with the angle, so one rep in two passing by chance does not make a set.
    repetition_lowered_share_of_reps: float = 0.5
    # ... and only a run whose reps move through at least this share of their cycle (median): fast
    # continuous squats do (0.75–0.93 traced on tuning seed 24), a thigh in walking or jogging in place
    # rests about half of each cycle while the other leg strides (the simulator's jog: 0.5).
    repetition_continuous_share_of_cycle: float = 0.7
    # ... and a run loaded like gait is gait when strides (movements quicker than any rep, as large
    # as one) end within it, as many as this share of its reps: in walking or jogging every lift of
    # the thigh is one; the finder reads a fast squat that quick only now and then (a continuous
    # rep's onset and return are found late and early: tuning seed 88, 4 of 22 reps).
    repetition_stride_share_of_reps: float = 0.25
    # Foot strikes are impacts: |acc| changes faster than the 0.25 s a limb segment takes to turn.
    # The RMS of that quick part over a rep: walking ~0.15 g and jogging ~0.3 g at the thigh
    # (UTD-MHAD), controlled squats, lunges, sit-to-stands 0.03–0.05 g.
    gait_impact_g: float = 0.08
    gait_impact_window_s: float = 0.25
    # Alternating lunges (set_recount.SetRecount.own_leg_reps): a stepping foot's strike reaches
    # its own leg directly, the other foot's only through the pelvis and both knees, damped to a
    # fraction. The finder's reps are the other leg's steps when the pauses between them hold a
    # strike at least this many times the reps' own (the simulator's transmitted share at the
    # shank: 15-30 % when chosen; 4.5-15 % since the lead damped strikes at the knee, session 10) ...
    other_leg_strike_ratio: float = 2.0
    # ... of at least this much: a foot landing from a step, not the hum of standing (at the
    # analysis rate the quick part of |acc| peaks at 0.25-1.1 g on the tuning seeds' shank steps,
    # the other foot's strike at 0.09-0.14 g before the knee damping, standing a few hundredths).
    own_strike_least_g: float = 0.15
    # One leg's lunge takes about as long as the other's (one tempo for the set): a pause between
    # the other leg's steps moving for longer than this many times their typical step holds more
    # than one step of this leg, or something else (the simulator's steps: 0.8-1.2 of the set's).
    own_step_longest_share: float = 2.0
    # ... unless, at the thigh, that quick load is the body being lowered and stopped once per rep
    # (repetition.drop_explains_load): fast continuous squats load the thigh as hard as a stride
    # (0.2–0.4 g), but once per cycle, in step with the angle. Measured on the tuning data (simulator
    # seeds 0–29 fast squats, UTD-MHAD odd subjects' walking and jogging in place):
    # - the hip drops at most by a leg's length (thigh + shank of an adult) times (1 − cos range);
    #   jogging lands 1.5–5× harder than that drop could cause, squats reach 0.2–0.55 of it.
    body_drop_leg_m: float = 0.9
    # - and at least this share of it: a squat does lower the body (squats >= 0.18, walking's strides
    #   out of step or near 0).
    body_drop_least_share_of_drop: float = 0.15
    # - and |acc|'s once-per-cycle part peaks with the angle (the drop is stopped at the bottom): its
    #   in-step share (cos of the phase) at least this; squats 0.76+ in 95 %, walking < 0 (both feet
    #   land out of step), most jogging below.
    body_drop_in_step_share_of_load: float = 0.7
    # --- the rep finder's own cut-offs (rep_tracker.py, rep_edges.py, calibration_stage.py) ---
    # Dropouts up to this long are bridged by a straight line; longer ones stay gaps.
    max_fill_s: float = 1.0
    # Turning slower than this is holding still: body sway and strap wobble stay under it. Not
    # slower is moving (a step-up's step down has begun: docs/analysis-validation.md, session 9).
    # The one still cut-off, on the body's true turning rate: calibration adds the measured noise
    # of the rate estimate in use (calibration.still_cut_dps: a gyro reads ~1 °/s at rest, gravity
    # from an accelerometer alone differentiated a few °/s, more on a coarse sensor).
    still_dps: float = 12.0
    # Held still this long re-anchors the rest posture (or reveals a new posture).
    still_s: float = 1.0
    # A rep starts once the angle passes this share of the exercise's minimum range ...
    start_share_of_min_range: float = 0.3
    # ... and never on less than this: the angle's own noise.
    min_start_deg: float = 1.0
    # ... and its start is the last moment it turned slower than this, ...
    onset_dps: float = 3.0
    # ... looked for at most this long before the rise: a slow rep's creeping start (10 s reps,
    # issue 9) still fits, and a long still rest before it is not searched sample by sample.
    rep_onset_look_back_s: float = 3.0
    # Without a gyroscope the angular rate is the angle's change over this long: accelerometer
    # noise then stays well below `onset_dps`.
    rate_diff_s: float = 0.12
    # Past this share of the way back from its peak, a rep ends where the movement stops ...
    return_share_of_peak: float = 0.5
    # ... "stops": slower than this share of its fastest return speed (or turning back up).
    stop_share_of_return_speed: float = 0.03
    # Gravity this far out of the movement plane: the posture has changed (rolled over, re-strapped) ...
    off_plane_deg: float = 30.0
    # ... when it lasts this long; shorter is the movement's own acceleration pulling an
    # accelerometer-only gravity estimate (fast squats).
    off_plane_s: float = 0.25
    # Calibrate on at least this much movement: a rep's worth (field-notes §1: 1.5–4 s per rep) ...
    calibration_min_s: float = 1.5
    # ... once gravity has turned this many of the exercise's minimum ranges in all: a rep down and
    # back is two, so less cannot have swept a rep's arc to fit a plane to.
    calibration_turn_min_range_share: float = 2.5
    # A calibration stretch older than this restarts: no single movement plane yet ...
    calibration_max_s: float = 30.0
    # ... from this newest share of it: still a few reps to fit, and past what spoiled the fit.
    calibration_restart_share_of_max: float = 0.5
    # Resting this close to rest, in the plane, re-anchors rather than recalibrates.
    rest_shift_deg: float = 10.0
    # Slower than `onset_dps` this long mid-rise is a posture held (a lunge's split stance).
    held_s: float = 0.25
    # Band walks: a step ends once within this share of its peak tilt of the stance ...
    stance_return_share_of_peak: float = 0.2
    # ... and starts from the stance: no higher than this share of its range ...
    stance_start_share_of_range: float = 0.5
    # ... and counts once the segment has held still at the stance this long.
    stance_hold_s: float = 0.3
    # Band walks calibrate on this much data (a few steps) at least: the stance shows between steps.
    stance_calibration_s: float = 5.0
    # ... and find the stance again between sets once it was held this often.
    stance_holds: int = 3
    # Held still within this many minimum ranges of the stance: still the stance (it has shifted).
    stance_shift_min_range_share: float = 2.0
    # The first 40 % of a side step's excursion tells a lead step from a trail step.
    lead_share_of_excursion: float = 0.4
    # Band-walk shank: the loaded part of a step (the other foot stepping while this one is planted)
    # lasts about as long as this foot's swing, which as found misses its slow ends. 1.2 fits the
    # fixtures and 16 other simulated gyro sessions; 1.0–1.4 all keep boundaries within 7 %.
    loaded_per_swing_share: float = 1.2
    # --- calibration from the movement (calibration.py) ---
    # (Turning is movement worth fitting an axis to, and dwelling at an arc's end or a held posture
    # is still, by the one cut-off `still_dps` plus the rate estimate's measured noise.)
    # Once enough has moved, calibration (and a band walk's stance search) is tried every this many
    # analysis samples (1 s at 25 Hz), at fixed absolute indices so that chunking does not change the
    # outcome: an axis settles over a rep or two, so trying more often finds the same plane only a
    # fraction of a second sooner at many times the cost.
    calibration_try_every_samples: int = 25
    # Samples looked at per NumPy pass while calibrating or searching a stance (~10 s at 25 Hz): bounds
    # the work done per chunk fed (a live feed stays responsive); the answers do not depend on it.
    calibration_search_window_samples: int = 256
    # The best axis must explain this many times more turning than the next one ...
    axis_dominance_share: float = 2.5
    # ... or gravity's spread along the swept arc must exceed its spread out of the fitted plane
    # this many times (a slow, small movement seen by an accelerometer alone).
    arc_planarity_share: float = 8.0
    # A turning-rate axis is the segment's only if at least this share of gravity's spread over the
    # stretch lies across it (turning about an axis leaves gravity's part along it fixed; a
    # stretch may also hold a movement about another axis, as a band walk's sink into its stance:
    # 39 % across, the least of any axis calibrated on the fixtures and real tuning halves; then a
    # MEx clamshell 72 %, UTD-MHAD trailing-thigh lunges 77 %). MEx subject 10's noise-led bridge
    # axes: 7–14 %.
    axis_plane_share_of_spread: float = 0.25
    # "Near an end" of the swept arc, as a share of the arc.
    arc_end_share_of_arc: float = 0.2
    # Bridges: the posture over this long at the start of the stretch is where the set started ...
    start_posture_s: float = 0.5
    # ... unless it lies within this share of the arc's middle (the recording began mid-rep).
    mid_arc_share_of_arc: float = 0.1
    # Still postures this close are the same posture (sway and sensor noise stay below it).
    same_posture_deg: float = 4.0
    # A recalibrated axis this close to the previous one is the same joint axis through the same strap.
    same_axis_deg: float = 15.0
    # --- knee drift ---
    # Warn when the segment leaves the rep's own plane toward the midline by more than this
    # (IMU frontal-plane error is ~4–5°, field-notes §2, so the floor sits above it) ...
    drift_threshold_deg: float = 6.0
    # ... and by this much more than the lower quartile of the session's reps so far (all of them:
    # a baseline of clean reps only never forms for someone whose first rep is already over 6°).
    # IMU frontal-plane error is ~4–5° (field-notes §2): a person's correct reps scatter that much.
    drift_margin_over_baseline_deg: float = 5.0
    # The session baseline needs this many reps; before that ...
    drift_baseline_reps: int = 3
    # ... only drift beyond what correct reps reach in anyone warns: some people's correct squats
    # leave the plane by 8–18° on every rep seen from the thigh (field-notes §2, issue 9).
    drift_no_baseline_deg: float = 18.0
    # With a personal reference (the person's own good reps): warn past the person's level today
    # (reference.py: today's lower quartile, at most `drift_restrap_shift_*_deg` above the
    # reference's median; scaled by the rep's depth) by the larger of a noise floor (these
    # `drift_margin_over_reference*` fields) and `drift_spread_multiple` × their scatter.
    # A thigh sensor strapped on again moves its measure by up to ±3° (it follows the thigh's
    # heading and femoral rotation): this much more than the lower quartile of today's reps may
    # the person's level sit above the reference's median. Not tuned: the measured re-strapping
    # shift (benchmarks/drift_own_axis.py: the plane carried to a new strapping is 0.5–4° off,
    # tilting a correct rep's reading by up to ~3° at depth) ...
    drift_restrap_shift_thigh_deg: float = 3.0
    # ... a shank's drift is its tilt against gravity, which strapping it on again hardly moves
    # (its correct reps stay within ~1.5° of the reference): no shift, so today's faulty reps
    # cannot lift its level. Tuning seeds 0–99, a shank's valgus / correct reps warned: 95.7 % /
    # 17 of 472 with none, 92.7 % / 6 of 472 with 2°.
    drift_restrap_shift_shank_deg: float = 0.0
    # A thigh's floor over its level today, measured from the calibrated plane (a reference stored
    # without the person's plane): its correct reps scatter ~1.2° within a session (out of the
    # person's plane ~0.6°: the calibrated plane's tilt adds its own). Tuning seeds 0–99 (benchmarks/drift_margin_sweep.py, which
    # replays the rule on the reps' drift traces), thigh correct / valgus reps warned of 371 / 357:
    # 4 / 81.5 % at 3.5°, 5 / 86.3 % at 3.0°, 12 / 89.4 % at 2.5° (the old rule, 3.5° over the
    # reference's median: 20 / 86.0 %); UTD-MHAD odd subjects' correct reps 2/64 at 3.0° (old 3/64) ...
    drift_margin_over_reference_deg: float = 3.0
    # ... with `drift_own_plane`, a thigh's correct reps read about 0 for everyone, re-strapped or not
    # (over the reference: median −0.1°, 95th percentile 1.4° on the tuning seeds), so its floor only
    # covers that scatter: seeds 0–99, thigh correct / valgus warned 4.3 / 90 % at 1.5°, 3.8 / 85 % at
    # 2.0° (axis fitted to all chords); 2.4 / 92 % at 1.5° with the three-point axis (drift.own_axis) ...
    drift_margin_over_reference_own_plane_deg: float = 1.5
    # ... a shank sensor's drift is its tilt against gravity, which strapping it on again hardly
    # moves (its correct reps stay within ~1.5° of the reference): same seeds, 2.0° warned 3.6 % of
    # a shank's correct reps and 95 % of its valgus ones, 3.0° 0.9 % and 87 % ...
    drift_margin_over_reference_shank_deg: float = 2.0
    # ... or by this many standard deviations of the scatter a new rep of the person has around
    # the reference (its reps' robust spread × √(1 + 1/n), reference.py), when their reps vary
    # more: the person's own noise floor. One-sided 2 σ lets ~2 % of a normal scatter through,
    # under the ≤ 5 % of correct reps the warning may flag. Tuning seeds 0–99 (all placements,
    # person's plane): correct / valgus reps warned 2.5 / 93.1 % at 2.0, 2.5 / 92.2 % at 2.5,
    # 2.5 / 91.2 % at 3.0; UTD-MHAD odd subjects' correct reps 1/64 at each.
    drift_spread_multiple: float = 2.0
    # A reference needs at least this many reps with a drift value to say what is normal.
    drift_reference_min_reps: int = 3
    # The live view shows a counted rep's warning once its set has this many reps counted (1: at
    # once); a warning whose rep the set drops when judged whole is taken back (live_warnings.py).
    # Off: a rep is mostly dropped when its set is judged whole at its end, after the set had
    # reps enough to release the hold. Hard design's squat and lunge sessions, tuning seeds 0–39
    # (benchmarks/live_warnings.py --hold N): of 9 warnings taken back, holding until rep 2 or 3
    # kept back 2, and delayed 42 (rep 2) / 84 (rep 3) of the 379 right ones by a median 4–5 s.
    live_warning_hold_reps: int = 1
    # Measure drift out of the plane the rep itself started in (drift.own_plane_drift_gyro) rather
    # than the calibrated one. Off: on the hard design it lifts valgus reps warned with a reference
    # (reporting seeds 1000–1099: 82.7 → 85.2 %, correct 1.5 → 1.7 %), but real thighs do not start
    # a rep in a clean plane as the simulator's do (UTD-MHAD, tuning half: out-of-plane scatter over
    # the first 20° is 0.5–1.5°, simulated 0.03°), and extrapolating that axis over a 90° chair rise
    # read 25–39° on correct reps: 10 of 64 real correct squat/sit-to-stand reps warned without a
    # reference (0 of 64 against the calibrated plane).
    drift_own_plane: bool = False
    # With it, the rep's axis is fitted on the knee's path from the start to where the depth
    # reaches this share of the exercise's range floor (and half-way). The knee caves under load,
    # near the bottom and on the way up (field-notes §2), not in the first part of the
    # descent; under 1, so a rep still open reaches the fit before it can warn (same answer live).
    drift_axis_fit_share_of_min_range: float = 0.8
    # ... when the knee's path has swept at least this much (degrees of arc) by then; else the
    # calibrated axis is used. A short arc hardly curves (1 − cos 8° ≈ 1 %), so the plane's tilt
    # toward the segment is lost in noise: a shank's squat, fitted over 8° (all chords), read its correct reps
    # up to 2.9° over the reference (95th percentile, tuning seeds 0–99), against 1.6° from the
    # calibrated plane; a thigh's, over 20°, 1.4° against 3.9°.
    drift_axis_min_sweep_deg: float = 12.0
    # Build a personal reference with the person's plane (the mean whole-way-down axis of its clean
    # reps, drift.whole_rep_axis_cal); a reference that has one measures a thigh's drift (with a
    # gyroscope) out of THAT plane whatever this says, so its level and the measure always agree.
    # A person whose thigh abducts as it flexes then reads ≈ 0 on a correct rep, and a whole rep
    # fixes the plane to 2–5° on real thighs where a rep's first 20° scatter 4–35°
    # (benchmarks/drift_own_axis.py). Without a reference, or one stored without a plane, nothing changes.
    # On by default since session 8, with the level today and the person's noise floor
    # (reference.py): tuning seeds 0–99, all placements, valgus / correct reps warned 93.1 / 2.5 %
    # with the plane, 91.8 / 2.6 % with the calibrated plane; UTD-MHAD odd subjects' correct reps
    # 1/64 against 2/64. (Session 6, with the old fixed floors: reporting seeds 83.6 / 1.6 %.)
    # Off (`reference set ID --set drift_reference_plane=false`) stores a reference without a plane.
    drift_reference_plane: bool = True
    # ... and then a thigh warns past its level today by at least this much. With the strap's
    # shift taken from today's reps (`drift_restrap_shift_thigh_deg`) it only covers a correct
    # rep's own wobble out of the person's plane (~1.5°) and sensor noise. Tuning seeds 0–99
    # (benchmarks/drift_margin_sweep.py), a thigh with a gyroscope, correct / valgus
    # reps warned of 371 / 357: 8 / 91.3 % at 1.75°, 4 / 89.4 % at 2.0°, 2 / 87.7 % at 2.25°,
    # 0 / 86.0 % at 2.5° (the old rule, 3.0° over the reference's median: 5 / 83.5 %); UTD-MHAD odd
    # subjects' correct reps warned 1/64 at 2.0° (old rule 2/64).
    drift_margin_over_reference_plane_deg: float = 2.0

    def min_range_deg(self, exercise: Exercise, placement: Placement = "thigh") -> float:
        scale = self.shank_range_scale if placement == "shank" else 1.0
        return scale * self._field(EXERCISE_RULES[exercise].min_range_field)

    def min_duration_s(self, exercise: Exercise) -> float:
        return self._field(EXERCISE_RULES[exercise].min_duration_field)

    def min_quick_duration_s(self, exercise: Exercise) -> float:
        """The least duration of a rep with no foot strike (exercise_rules.py)."""
        return self._field(EXERCISE_RULES[exercise].min_quick_duration_field)

    def min_duration_share(self, exercise: Exercise) -> float:
        return self.min_duration_share_of_set if EXERCISE_RULES[exercise].keeps_set_tempo else 0.0

    def max_duration_s(self, exercise: Exercise) -> float:
        return self._field(EXERCISE_RULES[exercise].max_duration_field)

    def _field(self, name: str) -> float:
        """The threshold an exercise-rules row names (tests/test_exercise_rules.py: all are floats)."""
        return cast(float, getattr(self, name))

    def with_overrides(self, values: dict[str, Any]) -> AnalysisSettings:
        """A copy with `values` applied; unknown keys, wrong types and values out of range raise
        ValueError naming the key (rules by unit suffix: sensortrack/core/settings_validation.py)."""
        from sensortrack.core.settings_validation import validated_overrides

        defaults = {f.name: getattr(self, f.name) for f in fields(self)}
        return replace(self, **validated_overrides(defaults, values, ANALYSIS_RATE_HZ))
