"""The streaming analyzer gives the batch answer for any chunking, and emits events in time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sensortrack.analysis.pipeline import StreamingAnalyzer, analyze
from sensortrack.analysis.results import DriftWarning, RepCounted
from sensortrack.loading import load_session
from sensortrack.session_analysis import resolve_context

SIM = Path(__file__).resolve().parent.parent / "fixtures" / "simulated"
CASES = sorted(p.stem for p in SIM.glob("*.csv"))


def _stream(path: Path, seed: int) -> tuple[object, list[object]]:
    session = load_session(path)
    ctx = resolve_context(session)
    s = session.samples
    rng = np.random.default_rng(seed)
    analyzer = StreamingAnalyzer(ctx)
    events: list[object] = []
    i = 0
    while i < len(s):
        n = int(rng.choice([1, 2, 3, 7, 16, 50, 333, 1000]))
        block = s.slice(i, i + n)
        events += analyzer.feed(block.t_s, block.acc_g, block.gyro_dps)
        i += n
    return analyzer.finish(), events


@pytest.mark.parametrize("name", CASES)
def test_random_chunking_equals_batch(name: str) -> None:
    path = SIM / f"{name}.csv"
    session = load_session(path)
    s = session.samples
    batch = analyze(s.t_s, s.acc_g, s.gyro_dps, resolve_context(session))
    if not name.startswith("band_walk"):  # band walks are a known limit (README)
        assert batch.sets, "fixture should contain sets"
    for seed in (1, 2):
        streamed, _ = _stream(path, seed)
        assert streamed.to_dict() == batch.to_dict()  # type: ignore[attr-defined]


def test_events_arrive_within_latency_bounds() -> None:
    """A rep no later than 0.3 s after it ends; a warning no later than 0.1 s after the crossing."""
    path = SIM / "squat_thigh_left.csv"
    session = load_session(path)
    ctx = resolve_context(session)
    s = session.samples
    analyzer = StreamingAnalyzer(ctx)
    block_s = 0.02
    step = max(1, int(block_s * ctx.rate_hz))
    reps = warnings = 0
    for i in range(0, len(s), step):
        block = s.slice(i, i + step)
        now = float(block.t_s[-1])
        for ev in analyzer.feed(block.t_s, block.acc_g, block.gyro_dps):
            if isinstance(ev, RepCounted):
                reps += 1
                assert now - ev.rep.end_s <= 0.3 + block_s
            if isinstance(ev, DriftWarning):
                warnings += 1
                assert now - ev.warning.t_s <= 0.1 + block_s
    assert reps >= 10 and warnings >= 3


def test_live_state_tracks_phase_and_angle() -> None:
    session = load_session(SIM / "squat_thigh_right.csv")
    ctx = resolve_context(session)
    s = session.samples
    analyzer = StreamingAnalyzer(ctx)
    phases = set()
    max_angle = 0.0
    for i in range(0, len(s), 10):
        b = s.slice(i, i + 10)
        analyzer.feed(b.t_s, b.acc_g, b.gyro_dps)
        phases.add(analyzer.state.phase)
        if np.isfinite(analyzer.state.angle_deg):
            max_angle = max(max_angle, analyzer.state.angle_deg)
    assert {"rest", "down", "up"} <= phases
    assert max_angle > 40


def test_without_trace_the_results_are_the_same() -> None:
    session = load_session(SIM / "squat_thigh_left.csv")
    ctx = resolve_context(session)
    s = session.samples
    with_trace = analyze(s.t_s, s.acc_g, s.gyro_dps, ctx)
    analyzer = StreamingAnalyzer(ctx, keep_trace=False)
    analyzer.feed(s.t_s, s.acc_g, s.gyro_dps)
    without = analyzer.finish()
    assert without.to_dict() == with_trace.to_dict()
    assert without.trace is not None and without.trace.t_s.size == 0 and with_trace.trace is not None
    assert with_trace.trace.t_s.size > 100
