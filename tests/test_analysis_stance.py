"""Band-walk stance logic (analysis/stance.py) on its own: pure functions over arrays."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.analysis.stance import (
    is_standing,
    outward_of_knee,
    stance_posture,
    stance_shifted,
    stance_taken,
    step_side,
    whole_step_span,
)

S = AnalysisSettings()
UP = np.array([0.0, 0.0, 1.0])


def _tilted(deg: float) -> np.ndarray:
    """Gravity 'up' in the sensor frame of a segment tilted `deg` about x."""
    r = np.radians(deg)
    return np.array([0.0, np.sin(r), np.cos(r)])


def test_standing_is_the_posture_nearer_standing_than_the_stance() -> None:
    standing, stance = _tilted(0.0), _tilted(30.0)
    rows = np.array([_tilted(5.0), _tilted(25.0), _tilted(14.0), _tilted(16.0)])
    assert list(is_standing(rows, standing, stance)) == [True, False, True, False]
    assert is_standing(rows, None, stance) is True  # standing not seen yet: anything could be


def test_the_stance_is_taken_after_a_hold_and_a_hold_under_way_is_waited_for() -> None:
    quiet = np.array([0, 1, 1, 0, 1, 1, 1, 1, 0, 0], dtype=bool)
    assert stance_taken(quiet, 4) == (7, 0)  # the 4th quiet sample in a row
    assert stance_taken(quiet, 5) == (-1, 10)  # never held that long; nothing under way at the end
    assert stance_taken(quiet[:7], 5) == (-1, 4)  # a hold under way since index 4: look again from there
    assert stance_taken(np.zeros(0, dtype=bool), 3) == (-1, 0)


def test_a_small_hold_off_the_stance_mid_set_is_the_stance_shifting() -> None:
    limit = S.stance_shift_min_range_share * 5.0
    assert stance_shifted(limit - 0.1, True, 5.0, S)
    assert not stance_shifted(limit + 0.1, True, 5.0, S)
    assert not stance_shifted(1.0, False, 5.0, S)  # before the set: not a shift of its stance


def _band_walk_stretch(stance_deg: float, steps: int, rate_hz: float = 25.0) -> tuple[np.ndarray, ...]:
    """Quarter squat held at `stance_deg`, stepping out 12° and back `steps` times, holding 0.6 s between."""
    angles: list[float] = []
    for _ in range(steps):
        angles += [stance_deg] * int(0.6 * rate_hz)
        angles += list(stance_deg + 12.0 * np.sin(np.linspace(0, np.pi, int(1.0 * rate_hz))))
    angles += [stance_deg] * int(0.6 * rate_hz)
    theta = np.array(angles)
    up = np.array([_tilted(a) for a in theta])
    rate = np.gradient(theta) * rate_hz
    turn = np.column_stack([rate, np.zeros_like(rate), np.zeros_like(rate)])
    return np.abs(rate), up, turn


def test_the_stance_is_the_posture_the_steps_come_back_to_and_held() -> None:
    hold_n = int(round(S.stance_hold_s * 25.0))
    speed, up, turn = _band_walk_stretch(30.0, 4)
    found = stance_posture(speed, up, turn, _tilted(0.0), _tilted(28.0), 5.0, hold_n, 25.0, S)
    assert found is not None
    assert np.degrees(np.arccos(np.clip(found @ _tilted(30.0), -1, 1))) < 1.0
    # Only two holds: not enough to know it is the stance.
    speed2, up2, turn2 = _band_walk_stretch(30.0, 1)
    assert stance_posture(speed2, up2, turn2, _tilted(0.0), _tilted(28.0), 5.0, hold_n, 25.0, S) is None
    # The posture come back to is nearer standing than the last stance: standing about, not a set.
    assert stance_posture(speed, up, turn, _tilted(32.0), _tilted(0.0), 5.0, hold_n, 25.0, S) is None


def test_lead_steps_accelerate_outward_first_and_trail_steps_inward() -> None:
    quat = np.tile(Rotation.identity().as_quat(scalar_first=True), (10, 1))
    lateral = np.array([1.0, 0.0, 0.0])
    out = np.tile([0.2, 0.0, 1.0], (10, 1))
    assert step_side(quat, out, lateral) == "lead"
    assert step_side(quat, out * [-1.0, 1.0, 1.0], lateral) == "trail"


def test_a_thighs_outward_direction_is_where_its_knee_end_swung() -> None:
    outward = outward_of_knee(np.array([0.3, -0.4, -0.87]))
    assert outward is not None and outward == pytest.approx([0.6, -0.8, 0.0])
    assert outward_of_knee(np.array([0.0, 0.0, -1.0])) is None


def test_a_shank_step_is_widened_by_its_loaded_part_never_into_the_step_before() -> None:
    assert whole_step_span(10.0, 11.0, "lead", 1.2, None) == pytest.approx((10.0, 12.2))
    assert whole_step_span(10.0, 11.0, "trail", 1.2, None) == pytest.approx((8.8, 11.0))
    assert whole_step_span(10.0, 11.0, "trail", 1.2, 9.5) == pytest.approx((9.5, 11.0))
    assert whole_step_span(10.0, 11.0, "trail", 1.2, 10.4) == pytest.approx((10.0, 11.0))
