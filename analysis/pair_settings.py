"""Every threshold of the two-sensor analysis, with its reason (the single-sensor ones stay in settings.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class PairSettings:
    # --- clock alignment of the second stream (clock_align.py) ---
    # Two devices started by hand start within seconds of each other; 10 s covers a slow second start.
    align_max_lag_s: float = 10.0
    # Windows over which the lag is measured again; the lag's drift across them is the clock skew.
    # 30 s holds several reps (a squat takes 2–4 s) yet sees 300 ppm as 9 ms of drift per window.
    align_window_s: float = 30.0
    # Below this normalised correlation the two streams do not show the same movement there.
    align_min_correlation: float = 0.5
    # Angular speed resampled at this rate for the correlation: 20 ms steps, refined by a parabola.
    align_grid_hz: float = 50.0
    # Each window's lag is good to ~10 ms (thigh and shank do not peak at the same instant), so
    # the skew is fitted only across this much movement (10 ms / 300 s ≈ 35 ppm); shorter
    # sessions keep the offset only (300 ppm over 90 s is 27 ms, under one 40 ms analysis sample).
    align_skew_min_span_s: float = 300.0
    # Each window's lag is taken as good to this (one standard deviation) where too few windows show
    # their scatter: the floor of the skew's stated uncertainty (clock_align._skew_fit).
    align_window_lag_sd_s: float = 0.010
    # A skew beyond this is not a crystal (±20–300 ppm) but a wrong fit: keep the plain offset.
    align_max_skew_ppm: float = 2000.0
    # --- functional knee-axis calibration (knee_axis.py) ---
    # Samples where either segment turns faster than this carry the axis; slower ones are mostly noise.
    axis_moving_dps: float = 20.0
    axis_min_samples: int = 30  # four unknowns (two axes in spherical coordinates)
    # Reps (seen by both sensors) the axis is fitted on before the first knee angle is given.
    # Five, not three: a rep that caves tilts the fitted axis toward the caving and hides part of
    # it; more reps average that out (seeds 0–11 with every rep of the first set caving: correct
    # reps warned 19 % with 3, 6 % with 5).
    knee_calibration_reps: int = 5
    # The frontal angle's part that follows flexion (an axis fitted a few degrees off) is measured
    # on each calibration rep's descent up to this share of its peak flexion: knees cave from
    # mid-descent on (field-notes §2), so a caving calibration rep does not teach it its caving.
    crosstalk_share_of_peak: float = 0.5
    # Heading of each sensor's hinge axis averaged over this long at a rep's start and end (standing).
    heading_window_s: float = 0.2
    # The range is measured from the straightest knee this long before the detected rep start too
    # (a rep's onset is found a little after the movement began).
    knee_pre_start_s: float = 0.6
    # A hinge axis more than this far from horizontal gives no heading (side-lying clamshells).
    axis_max_elevation_deg: float = 50.0
    # --- knee valgus from the knee angle ---
    # A rep whose frontal-plane knee angle moves more than this toward valgus is warned, no personal
    # reference needed. Simulated correct squats move it 0–2.5° (wobble, sway), caving ones 6–13°;
    # measured, on seeds 0–99 of benchmarks/accuracy_pair.py: 4° warned 99.7 % of caving and 5.3 % of
    # correct reps, 5° 97.8 % and 3.2 %, 6° 94.9 % and 2.2 %; 5° keeps a margin on both goals.
    # With the flexion crosstalk taken out (knee_pair._fit_crosstalk), same seeds: 4° 100 % and
    # 0.9 %, 5° 99.4 % and 0.2 %, 6° 96.5 % and 0.0 %: 5° still sits in the middle of the gap.
    knee_valgus_limit_deg: float = 5.0
    # --- left + right symmetry (Robinson et al. 1987 symmetry index: 100·|L−R| / mean(L, R)) ---
    # Squat depth differs by up to ~10 % between healthy legs; 15 % is past that and below the
    # 20–40 % seen one-sided after knee injury.
    range_asymmetry_limit_pct: float = 15.0
    # Both legs of a bilateral exercise share the tempo; 20 % means one side lags or hurries.
    tempo_asymmetry_limit_pct: float = 20.0
    # Drift is small on good reps, so its index is taken against at least this many degrees.
    drift_asymmetry_floor_deg: float = 6.0
    drift_asymmetry_limit_pct: float = 60.0
    # Two reps of the two legs are one pair when their spans overlap by this share of the shorter.
    pair_min_overlap_share: float = 0.5
    # --- rep counting from both streams ---
    # The first sensor's stream missing for longer than this inside a rep: the other sensor counts it.
    dropout_s: float = 1.0
    # After a dropout a sensor's orientation filter needs VQF's 3 s accelerometer time constant
    # (vqf_tau_acc_s) for its tilt to come back within a degree or two: reps starting sooner get no knee angle.
    settle_after_dropout_s: float = 3.0

    def with_overrides(self, values: dict[str, Any]) -> PairSettings:
        """A copy with `values` (numbers or their text) set; ValueError names a bad key or value."""
        known = {f.name: f.type for f in fields(self)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown pair setting(s): {', '.join(unknown)} (known: {', '.join(known)})")
        parsed: dict[str, Any] = {}
        for key, raw in values.items():
            kind = int if known[key] in (int, "int") else float
            try:
                value = kind(raw)
            except (TypeError, ValueError):
                raise ValueError(f"pair.{key} must be a number, got {raw!r}") from None
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"pair.{key} must be a finite number ≥ 0, got {raw!r}")
            parsed[key] = value
        return replace(self, **parsed)
