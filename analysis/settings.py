"""Every analysis default in one frozen object. The core loads overrides from TOML and the CLI.

Units are in the field names. `sensortrack.config` maps `[analysis]` keys of config.toml and
`--set analysis.KEY=VALUE` onto these fields; nothing else holds a threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


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
    max_rep_duration_s: float = 15.0
    # A side step against a band takes 1–3 s; a longer "step" is walking or moving between sets.
    max_step_duration_band_walk_s: float = 4.0
    # A step-up rep is up AND down: the step down off the box that starts within this long after
    # the rise (the other leg joins in between) still belongs to the rep.
    step_down_within_s: float = 1.5
    # No rep for this long ends the set.
    set_break_s: float = 6.0
    # A set needs at least this many reps; fewer are fidgeting or re-strapping.
    min_reps_per_set: int = 3
    # `shallow` when a rep's range is below this share of the set's best rep.
    shallow_share_of_best: float = 0.75
    # --- knee drift ---
    # Warn when the segment leaves the rep's own plane toward the midline by more than this
    # (IMU frontal-plane error is ~4–5°, field-notes §2, so the floor sits above it) ...
    drift_threshold_deg: float = 6.0
    # ... or by this much more than the median of the user's clean reps so far in the session.
    drift_margin_over_clean_deg: float = 4.0

    def min_range_deg(self, exercise: str, placement: str = "thigh") -> float:
        scale = self.shank_range_scale if placement == "shank" else 1.0
        return scale * float(getattr(self, f"min_range_{exercise}_deg"))

    def min_duration_s(self, exercise: str) -> float:
        return self.min_step_duration_band_walk_s if exercise == "band_walk" else self.min_rep_duration_s

    def min_duration_share(self, exercise: str) -> float:
        return 0.0 if exercise == "band_walk" else self.min_duration_share_of_set

    def max_duration_s(self, exercise: str) -> float:
        return self.max_step_duration_band_walk_s if exercise == "band_walk" else self.max_rep_duration_s

    def with_overrides(self, values: dict[str, Any]) -> AnalysisSettings:
        """A copy with `values` applied; unknown keys, wrong types and values out of range raise
        ValueError naming the key (rules by unit suffix: sensortrack/settings_validation.py)."""
        from sensortrack.analysis.pipeline import ANALYSIS_RATE_HZ
        from sensortrack.settings_validation import validated_overrides

        defaults = {f.name: getattr(self, f.name) for f in fields(self)}
        return replace(self, **validated_overrides(defaults, values, ANALYSIS_RATE_HZ))
