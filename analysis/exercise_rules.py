"""The per-exercise rules table: which `AnalysisSettings` field holds each exercise's thresholds.

Exercises differ in their floors (a squat sweeps 50–80° at the thigh, a band-walk step far less) and
in what one rep is (a band-walk step is quicker than a squat, a step-up's rise and step down are one
rep). Rather than `exercise == "..."` branches, each exercise has one frozen row here, and the
settings methods read it. A row names settings fields instead of holding numbers, so every threshold
stays a field of `AnalysisSettings` (with its reason), reachable by `--set` and config.toml. How each
exercise moves the segment (plane, rest, steps) is the other table, `geometry.py`, per placement.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from sensortrack.core.vocabulary import Exercise


@dataclass(frozen=True, slots=True)
class ExerciseRules:
    # The thigh's least range of a rep (a shank's is `shank_range_scale` of it).
    min_range_field: str
    # The least and most time one rep (a band walk: one step) takes.
    min_duration_field: str = "min_rep_duration_s"
    max_duration_field: str = "max_rep_duration_s"
    # The least time of a rep with no foot strike over it: a step-up's rise and its step down are
    # each quicker than a stride and no rep alone, so its rep (both, 2.6–4 s) keeps the full minimum.
    min_quick_duration_field: str = "min_quick_rep_duration_s"
    # Whether a rep must keep the set's tempo (`min_duration_share_of_set`): not a band-walk step,
    # found from its swing, whose length varies more than the step's.
    keeps_set_tempo: bool = True
    # Why a thigh + shank pair gives no knee angle for this exercise; None: it does.
    no_knee_angle_reason: str | None = None
    # Whether each rep steps out and lands that leg's foot (a lunge): a set whose reps carry no
    # strike of their own while the pauses between them do counts the other leg's steps
    # (set_recount.SetRecount.own_leg_reps).
    steps_out: bool = False


EXERCISE_RULES: Mapping[Exercise, ExerciseRules] = MappingProxyType({
    "squat": ExerciseRules("min_range_squat_deg"),
    "lunge": ExerciseRules("min_range_lunge_deg", steps_out=True),
    "step_up": ExerciseRules("min_range_step_up_deg", min_quick_duration_field="min_rep_duration_s"),
    "bridge": ExerciseRules("min_range_bridge_deg"),
    "clamshell": ExerciseRules(
        "min_range_clamshell_deg",
        no_knee_angle_reason="no knee angle for clamshells (the knee axis stands near vertical)",
    ),
    "band_walk": ExerciseRules(
        "min_range_band_walk_deg",
        min_duration_field="min_step_duration_band_walk_s",
        max_duration_field="max_step_duration_band_walk_s",
        keeps_set_tempo=False,
    ),
})
