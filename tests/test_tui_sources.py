"""ReplaySource: every sample exactly once, in order, paced, pausable and seekable."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np

from sensortrack.core.loading import load_session
from sensortrack.core.model import SampleBlock
from sensortrack.tui.sources import RESTART, ReplaySource, SampleSource

FIXTURE = Path(__file__).parent.parent / "fixtures" / "simulated" / "squat_thigh_left.csv"


def _session():  # type: ignore[no-untyped-def]
    return load_session(FIXTURE)


async def _collect(source: ReplaySource, limit_s: float = 20.0) -> list[object]:
    items: list[object] = []

    async def run() -> None:
        async for item in source.blocks():
            items.append(item)

    await asyncio.wait_for(run(), limit_s)
    return items


async def test_yields_every_sample_once_in_small_chunks() -> None:
    session = _session()
    source = ReplaySource(session, speed=1000.0)
    assert isinstance(source, SampleSource)
    items = await _collect(source)
    blocks = [b for b in items if isinstance(b, SampleBlock)]
    joined = SampleBlock.concat(blocks)
    np.testing.assert_array_equal(joined.t_s, session.samples.t_s)
    np.testing.assert_array_equal(joined.gyro_dps, session.samples.gyro_dps)
    assert source.position_s == source.duration_s


async def test_pacing_follows_speed() -> None:
    session = _session()
    source = ReplaySource(session, speed=100.0)  # ~103 s of recording → ~1 s of wall time
    started = time.monotonic()
    blocks = [b for b in await _collect(source) if isinstance(b, SampleBlock)]
    elapsed = time.monotonic() - started
    assert elapsed >= source.duration_s / 100.0 * 0.9
    # at 100× each chunk spans ~1 s of recording: dozens of blocks, not one
    assert len(blocks) > 50
    assert max(float(b.t_s[-1] - b.t_s[0]) for b in blocks) <= 1.05


async def test_pause_holds_the_stream_until_resume() -> None:
    source = ReplaySource(_session(), speed=1000.0)
    source.pause()
    task = asyncio.ensure_future(_collect(source))
    await asyncio.sleep(0.2)
    assert source.position_s == 0.0 and not task.done()
    source.resume()
    items = await task
    assert any(isinstance(i, SampleBlock) for i in items)


async def test_backward_seek_restarts_and_forward_seek_skips_pacing() -> None:
    session = _session()
    source = ReplaySource(session, speed=1.0)  # real time: only the seeks make this finish fast
    items: list[object] = []
    started = time.monotonic()
    async for item in source.blocks():
        items.append(item)
        if len(items) == 3:
            source.seek(60.0)  # forward: unpaced up to 60 s
        if isinstance(item, SampleBlock) and source.position_s >= 60.0 and RESTART not in items:
            assert time.monotonic() - started < 5.0
            source.seek(0.0)  # backward: RESTART, then from the first sample again
        if RESTART in items and source.position_s >= 1.0:
            break
    assert items.count(RESTART) == 1
    after = items[items.index(RESTART) + 1]
    assert isinstance(after, SampleBlock)
    assert after.t_s[0] == session.samples.t_s[0]
    before = SampleBlock.concat([b for b in items[: items.index(RESTART)] if isinstance(b, SampleBlock)])
    # nothing skipped on the way forward: the analysis must see every sample to count right
    np.testing.assert_array_equal(before.t_s, session.samples.t_s[: len(before)])


async def test_speed_is_clamped() -> None:
    source = ReplaySource(_session(), speed=1.0)
    source.speed = 1e9
    assert source.speed == ReplaySource.MAX_SPEED
    source.speed = 0.0
    assert source.speed == ReplaySource.MIN_SPEED
