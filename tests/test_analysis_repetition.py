"""Reps counted from the movement's own repetition (analysis/repetition.py), where the calibrated
finder counts none: small accelerometer-only movements, and gait that must stay uncounted."""

from __future__ import annotations

import numpy as np

from sensortrack.analysis.context import AnalysisContext
from sensortrack.analysis.pipeline import StreamingAnalyzer, analyze
from sensortrack.analysis.repetition import (
    RepeatedRep,
    one_rep_per_excursion,
    find_repetitions,
    impact_g,
    impact_rms_g,
    principal_angle_deg,
    repeat_period_s,
)
from sensortrack.analysis.settings import AnalysisSettings

RATE_HZ = 25.0


def _tilting(amplitude_deg: float, period_s: float, reps: int, rest_s: float = 3.0, seed: int = 1):
    """Gravity tilting about one sensor axis by `amplitude_deg`, `reps` times, rest at both ends,
    quantised like a ±8 g accelerometer (1/64 g), at 100 Hz."""
    rng = np.random.default_rng(seed)
    rate = 100.0
    t = np.arange(0.0, 2 * rest_s + reps * period_s, 1 / rate)
    moving = (t >= rest_s) & (t < rest_s + reps * period_s)
    phase = np.where(moving, (t - rest_s) / period_s, 0.0)
    angle = np.radians(amplitude_deg) * 0.5 * (1 - np.cos(2 * np.pi * phase)) * moving
    acc = np.column_stack((np.sin(angle), np.zeros_like(t), np.cos(angle)))
    acc += rng.normal(0.0, 0.004, acc.shape)
    return t, np.round(acc * 64) / 64


def test_a_small_repeated_tilt_is_counted() -> None:
    t, acc = _tilting(4.0, 3.0, 9)
    k = 4
    dec = acc[: len(acc) // k * k].reshape(-1, k, 3).mean(axis=1)
    up = dec / np.linalg.norm(dec, axis=1, keepdims=True)
    reps = find_repetitions(principal_angle_deg(up), impact_g(dec, RATE_HZ, 0.25), RATE_HZ, AnalysisSettings())
    assert len(reps) == 9
    assert all(3.0 < r.range_deg < 5.0 for r in reps)
    assert all(r.start < r.peak < r.end for r in reps)


def test_foot_strikes_are_not_reps() -> None:
    t, acc = _tilting(30.0, 1.4, 8)
    strikes = (np.arange(len(t)) % 70) < 3  # an impact every 0.7 s (both feet)
    acc = acc + strikes[:, None] * np.array([0.0, 0.0, 1.5])
    k = 4
    dec = acc[: len(acc) // k * k].reshape(-1, k, 3).mean(axis=1)
    up = dec / np.linalg.norm(dec, axis=1, keepdims=True)
    assert find_repetitions(principal_angle_deg(up), impact_g(dec, RATE_HZ, 0.25), RATE_HZ, AnalysisSettings()) == []


def test_the_engine_counts_a_set_below_the_floor_and_says_calibration_is_uncertain() -> None:
    """A 4° clamshell seen by an accelerometer alone is under the 8° floor: before, 0 reps."""
    t, acc = _tilting(4.0, 3.0, 9)
    ctx = AnalysisContext("clamshell", "thigh", "left", 100.0, has_gyro=False)
    result = analyze(t, acc, None, ctx)
    assert len(result.reps) == 9
    assert all("calibration uncertain" in r.to_dict()["notes"] for r in result.reps)
    assert result.calibration["uncertain_reps"] == 9
    assert result.to_dict()["sets"][0]["calibration_uncertain"] is True
    # The same in a stream fed in small blocks.
    stream = StreamingAnalyzer(ctx)
    for i in range(0, len(t), 37):
        stream.feed(t[i : i + 37], acc[i : i + 37])
    assert stream.finish().to_dict() == result.to_dict()


def test_rest_is_not_a_set() -> None:
    t, acc = _tilting(0.0, 3.0, 9)
    ctx = AnalysisContext("bridge", "thigh", "left", 100.0, has_gyro=False)
    assert analyze(t, acc, None, ctx).reps == []


def test_a_thigh_without_a_gyroscope_measures_no_drift_in_a_standing_exercise() -> None:
    """The knee turning in turns a standing thigh about the vertical: gravity alone cannot see it,
    so no drift value and no warning (a shank can: its tilt toward the midline is seen)."""
    t, acc = _tilting(60.0, 3.0, 6)
    thigh = analyze(t, acc, None, AnalysisContext("squat", "thigh", "left", 100.0, has_gyro=False))
    assert thigh.reps and all(r.knee_drift_deg is None and not r.warnings for r in thigh.reps)
    assert thigh.calibration["drift_sees"].startswith("nothing")
    shank = analyze(t, acc, None, AnalysisContext("squat", "shank", "left", 100.0, has_gyro=False))
    assert shank.reps and all(r.knee_drift_deg is not None for r in shank.reps)


def test_analyze_says_calibration_is_uncertain(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The command a user runs: the readable report names the set and its reps as uncertain."""
    from sensortrack.cli import main

    t, acc = _tilting(4.0, 3.0, 9)
    path = tmp_path / "clam.csv"
    rows = "\n".join(f"{ti:.3f},{a:.6f},{b:.6f},{c:.6f}" for ti, (a, b, c) in zip(t, acc, strict=True))
    path.write_text("t,ax,ay,az\n" + rows + "\n", encoding="utf-8")
    assert main(["analyze", str(path), "--exercise", "clamshell", "--placement", "thigh", "--side", "left"]) == 0
    out = capsys.readouterr().out
    assert "Set 1: 9 reps" in out and out.count("calibration uncertain") == 10


def test_impact_rms_sees_foot_strikes_not_a_smooth_rep() -> None:
    rate_hz = 25.0
    t = np.arange(0, 4, 1 / rate_hz)
    smooth = np.column_stack((0.3 * np.sin(2 * np.pi * t / 2.0), np.zeros_like(t), np.ones_like(t)))
    assert impact_rms_g(smooth, rate_hz, 0.25) < 0.02
    struck = smooth.copy()
    struck[::25, 2] += 1.0  # one 1 g shock a second
    assert impact_rms_g(struck, rate_hz, 0.25) > 0.1
    assert impact_rms_g(smooth[:3], rate_hz, 0.25) == 0.0  # shorter than the window: nothing to judge


def _two_tilts_per_cycle(cycles: int, seed: int = 3) -> tuple[np.ndarray, float]:
    """A principal angle (°, 25 Hz) that, once per cycle, tilts 20° and back, then 7° and back (a
    shank standing up from a chair and sitting down again), with a rest of 0.2–1.2 s between cycles."""
    rng = np.random.default_rng(seed)
    bump = lambda deg, s: -deg * np.sin(np.linspace(0.0, np.pi, int(s * RATE_HZ))) ** 2  # noqa: E731
    parts = [np.zeros(int(3 * RATE_HZ))]
    for _ in range(cycles):
        parts += [bump(20.0, 0.8), np.zeros(int(1.3 * RATE_HZ)), bump(7.0, 0.7),
                  np.zeros(int(rng.uniform(0.2, 1.2) * RATE_HZ))]
    parts.append(np.zeros(int(3 * RATE_HZ)))
    angle = np.concatenate(parts)
    return angle + rng.normal(0.0, 0.2, angle.size), 0.8 + 1.3 + 0.7 + 0.7


def test_a_pattern_of_two_tilts_repeats_once_per_cycle() -> None:
    """The period is the whole pattern's (stand up and sit down), not the gap between its tilts."""
    angle, mean_cycle_s = _two_tilts_per_cycle(6)
    period_s = repeat_period_s(angle, RATE_HZ, AnalysisSettings())
    assert period_s is not None and abs(period_s - mean_cycle_s) < 0.6
    reps = find_repetitions(angle, np.zeros_like(angle), RATE_HZ, AnalysisSettings())
    assert len(reps) == 6  # one per cycle (7 without the period: some sit-downs counted)
    assert all(r.range_deg > 15.0 for r in reps)


def test_rest_and_noise_have_no_period() -> None:
    rng = np.random.default_rng(5)
    assert repeat_period_s(rng.normal(0.0, 0.3, 1500), RATE_HZ, AnalysisSettings()) is None
    assert repeat_period_s(np.zeros(1500), RATE_HZ, AnalysisSettings()) is None


def test_reps_of_overlapping_runs_claim_each_excursion_once() -> None:
    """Runs of two periods found in one stretch: a rep starting before another's extreme is the
    same excursion (the larger kept); one starting after it cuts the other's end there."""
    big = RepeatedRep(start=21, peak=121, end=125, range_deg=41.8)
    nested = RepeatedRep(start=79, peak=81, end=98, range_deg=8.4)  # inside big's way down
    first = RepeatedRep(start=2, peak=15, end=30, range_deg=15.3)  # runs into big after its peak
    later = RepeatedRep(start=122, peak=150, end=170, range_deg=50.0)  # starts past big's peak
    kept = one_rep_per_excursion([later, nested, big, first])
    assert kept == [
        RepeatedRep(start=2, peak=15, end=21, range_deg=15.3),
        RepeatedRep(start=21, peak=121, end=122, range_deg=41.8),
        later,
    ]
    assert all(r.start <= r.peak <= r.end for r in kept)
    # The larger of two claims on one excursion wins whichever comes first.
    assert one_rep_per_excursion([nested, RepeatedRep(80, 90, 100, 20.0)]) == [RepeatedRep(80, 90, 100, 20.0)]


def test_every_rep_holds_its_extreme_between_its_start_and_end() -> None:
    """Hard-design tuning sessions where a rep ended before its own extreme (sessions 1-8): a
    lunge cut at its extreme by the other leg's (boundaries moved back by the rate's filter
    delay, the extreme by the angle's), and overlapping repetition runs in fast squats."""
    from sensortrack.session_analysis import analyze_session
    from sensortrack.simulation.hard import hard_sessions
    from sensortrack.simulation.simulator import simulate_session

    checked = 0
    for seed, scenario in [(5, "lunge_alternating"), (13, "squat_fast"), (15, "lunge_alternating")]:
        [hard] = [h for h in hard_sessions(seed) if h.scenario == scenario]
        session, _ = simulate_session(hard.spec, hard.seed)
        for rep_set in analyze_session(session).sets:
            for rep in rep_set.reps:
                assert rep.start_s <= rep.peak_s <= rep.end_s, (seed, scenario, rep)
                assert rep.down_s >= 0 and rep.up_s >= 0
                checked += 1
    assert checked > 30
