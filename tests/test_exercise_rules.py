"""The per-exercise rules table (analysis/exercise_rules.py) and the settings methods that read it."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from sensortrack.analysis import exercise_rules
from sensortrack.analysis.exercise_rules import EXERCISE_RULES
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.vocabulary import EXERCISES


def test_every_exercise_has_one_row() -> None:
    assert sorted(EXERCISE_RULES) == sorted(EXERCISES)


def test_every_named_threshold_is_a_float_setting() -> None:
    float_fields = {f.name for f in fields(AnalysisSettings) if f.type == "float"}
    for exercise, rules in EXERCISE_RULES.items():
        for name in (rules.min_range_field, rules.min_duration_field, rules.max_duration_field,
                     rules.min_quick_duration_field):
            assert name in float_fields, (exercise, name)


def test_band_walk_step_durations_come_from_its_row() -> None:
    s = AnalysisSettings(min_step_duration_band_walk_s=0.7, max_step_duration_band_walk_s=3.3,
                         min_rep_duration_s=1.4, max_rep_duration_s=12.0, min_range_band_walk_deg=4.0)
    assert s.min_duration_s("band_walk") == 0.7
    assert s.max_duration_s("band_walk") == 3.3
    assert s.min_duration_share("band_walk") == 0.0  # a step keeps no set tempo
    assert s.min_range_deg("band_walk") == 4.0
    assert s.min_range_deg("band_walk", "shank") == pytest.approx(4.0 * s.shank_range_scale)
    # the other exercises keep the rep durations
    assert s.min_duration_s("squat") == 1.4 and s.max_duration_s("squat") == 12.0
    assert s.min_duration_share("squat") == s.min_duration_share_of_set
    # a step-up's rise alone is no rep: its quick minimum is the full one
    assert s.min_quick_duration_s("step_up") == 1.4
    assert s.min_quick_duration_s("squat") == s.min_quick_rep_duration_s


def test_settings_follow_the_table_not_the_exercise_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """Swap band_walk's row for a squat-like one: the settings methods change with it."""
    table = dict(EXERCISE_RULES)
    table["band_walk"] = replace(table["squat"])
    monkeypatch.setattr(exercise_rules, "EXERCISE_RULES", table)
    monkeypatch.setattr("sensortrack.analysis.settings.EXERCISE_RULES", table)
    s = AnalysisSettings()
    assert s.min_duration_s("band_walk") == s.min_rep_duration_s
    assert s.max_duration_s("band_walk") == s.max_rep_duration_s
    assert s.min_duration_share("band_walk") == s.min_duration_share_of_set
    assert s.min_range_deg("band_walk") == s.min_range_squat_deg


def test_only_clamshells_have_no_knee_angle() -> None:
    without = [e for e, r in EXERCISE_RULES.items() if r.no_knee_angle_reason is not None]
    assert without == ["clamshell"]
