"""The rep finder's pure functions (analysis/rep_finder.py) on hand-made angle traces."""

from __future__ import annotations

import numpy as np

from sensortrack.analysis.rep_finder import REP_END_FIRST_LOOK, rep_end, run_lengths

RATE_HZ = 25.0


def _rep(peak_deg: float, up_s: float, down_s: float, hold_after_s: float) -> tuple[np.ndarray, np.ndarray]:
    """A smooth rise to `peak_deg` and back to 0, then held still: angle and its rate."""
    t_up = np.linspace(0, np.pi, int(up_s * RATE_HZ), endpoint=False)
    t_down = np.linspace(0, np.pi, int(down_s * RATE_HZ), endpoint=False)
    theta = np.concatenate(
        (peak_deg * 0.5 * (1 - np.cos(t_up)), peak_deg * 0.5 * (1 + np.cos(t_down)), np.zeros(int(hold_after_s * RATE_HZ)))
    )
    return theta, np.gradient(theta) * RATE_HZ


def _end(theta: np.ndarray, rate: np.ndarray, **kw: float) -> int:
    return rep_end(theta, rate, 0.0, 5.0, 0.5, stop_share=0.03, onset_dps=3.0, **kw)


def test_a_rep_ends_where_it_stops_on_the_way_back() -> None:
    theta, rate = _rep(60.0, 1.5, 1.5, 2.0)
    end = _end(theta, rate)
    back_home = int(3.0 * RATE_HZ)
    assert back_home - 4 <= end <= back_home + 1
    assert theta[end] < 3.0


def test_a_rep_still_under_way_has_no_end() -> None:
    theta, rate = _rep(60.0, 1.5, 1.5, 0.0)
    cut = int(2.0 * RATE_HZ)  # on the way back, still moving fast
    assert _end(theta[:cut], rate[:cut]) == -1


def test_stopping_short_of_half_way_is_not_the_end() -> None:
    """Paused at the bottom of a squat (past the peak, not yet half-way back): not ended."""
    theta, rate = _rep(60.0, 1.5, 1.5, 1.0)
    paused = np.concatenate((theta[:40], np.full(25, theta[40]), theta[40:]))
    rate_paused = np.gradient(paused) * RATE_HZ
    end = _end(paused, rate_paused)
    assert paused[end] < 0.5 * 60.0
    assert end > 40 + 25


def test_a_long_rep_is_found_past_the_first_look() -> None:
    theta, rate = _rep(60.0, 4.0, 4.0, 1.0)
    assert theta.size > REP_END_FIRST_LOOK
    assert _end(theta, rate) > REP_END_FIRST_LOOK


def test_back_at_the_floor_ends_a_rep_that_started_low() -> None:
    """Rising from 40° below rest (the tail of a stride) to 20° and back to rest, held there: never
    half-way back to where it started, but back where the last rep came back to (the floor)."""
    up = np.linspace(0, np.pi, 40, endpoint=False)
    down = np.linspace(0, np.pi, 40, endpoint=False)
    theta = np.concatenate((-40 + 60 * 0.5 * (1 - np.cos(up)), 10 + 10 * np.cos(down), np.zeros(40)))
    rate = np.gradient(theta) * RATE_HZ
    up_at = int(np.argmax(theta > 5.0))  # searched from where it rose past the floor's threshold
    theta, rate = theta[up_at:], rate[up_at:]
    ended = rep_end(theta, rate, -40.0, 5.0, 0.5, stop_share=0.03, onset_dps=3.0, floor_deg=0.0)
    assert ended > 0 and abs(theta[ended]) < 5.0 and rate[ended] > -3.0
    assert rep_end(theta, rate, -40.0, 5.0, 0.5, stop_share=0.03, onset_dps=3.0) == -1


def test_run_lengths_carry_a_run_from_before() -> None:
    flags = np.array([True, True, False, True, True, True])
    assert run_lengths(flags, 0).tolist() == [1, 2, 0, 1, 2, 3]
    assert run_lengths(flags, 5).tolist() == [6, 7, 0, 1, 2, 3]
