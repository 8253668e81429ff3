"""The timestamp model and gap detection (drivers/timestamps.py, drivers/timeline.py), no radio."""

from __future__ import annotations

import numpy as np
import pytest

from sensortrack.drivers.protocols.base import Decoded
from sensortrack.drivers.timeline import DRAIN_WAIT_S, SampleTimeline
from sensortrack.drivers.timestamps import DeviceClockMapper, HostClockSmoother, RunningLineFit
from sensortrack.drivers.virtual.playback import Playback, resample
from sensortrack.core.model import SampleBlock, SensorInfo

RNG_SEED = 7


def latency_s(rng: np.random.Generator, n: int) -> np.ndarray:
    """BLE-like delivery delay: a 4 ms floor plus a heavy tail (connection events, scheduling)."""
    return 0.004 + rng.exponential(0.006, n) + (rng.random(n) < 0.02) * rng.uniform(0.02, 0.15, n)


def test_running_line_fit_finds_the_line_and_forgets_the_old_one() -> None:
    fit = RunningLineFit(half_life_x=10.0)
    rng = np.random.default_rng(RNG_SEED)
    for x in np.arange(0, 100, 0.1):
        fit.add(float(x), 3.0 + 2.0 * x + rng.normal(0, 0.01))
    assert fit.slope == pytest.approx(2.0, abs=1e-3)
    for x in np.arange(100, 300, 0.1):
        fit.add(float(x), 203.0 + 0.5 * (x - 100))
    assert fit.slope == pytest.approx(0.5, abs=0.01)  # twenty half-lives later the old slope is gone
    assert RunningLineFit(1.0).slope is None


def test_device_clock_drift_is_estimated_and_times_stay_continuous() -> None:
    rng = np.random.default_rng(RNG_SEED)
    drift_ppm, rate_hz, per_notification = 120.0, 104.0, 4
    n_notes = int(600 * rate_hz / per_notification)  # ten minutes
    device = 5000.0 + np.arange(n_notes * per_notification) / rate_hz  # device clock, seconds
    true_host = 100.0 + (device - device[0]) / (1 + drift_ppm * 1e-6)
    last = true_host[per_notification - 1 :: per_notification]
    arrivals = last + latency_s(rng, n_notes)
    mapper = DeviceClockMapper(rate_hz)
    mapped = np.concatenate(
        [
            mapper.map(device[k * per_notification : (k + 1) * per_notification], float(arrivals[k]))
            for k in range(n_notes)
        ]
    )
    assert mapper.drift_ppm == pytest.approx(drift_ppm, abs=10.0)
    steps = np.diff(mapped)
    assert steps.min() > 0 and steps.max() < 1.01 / rate_hz  # continuous: re-anchoring makes no jumps
    error = mapped - true_host
    # Settles on the least delay (4 ms) and stays there: 10 min × 120 ppm would be 72 ms.
    settled = error[len(error) // 10 :]
    assert np.ptp(settled) < 0.003 and abs(np.median(settled) - 0.004) < 0.002
    newest = mapped[per_notification - 1 :: per_notification]
    assert (newest[n_notes // 10 :] <= arrivals[n_notes // 10 :] + 5e-4).all()


def test_host_clock_removes_jitter_and_follows_a_sensor_slower_than_nominal() -> None:
    rng = np.random.default_rng(RNG_SEED)
    nominal_hz, true_hz, per_notification = 100.0, 97.0, 2  # 3 % slow, like cheap IMUs set to 100 Hz
    n_notes = int(120 * true_hz / per_notification)
    true_t = np.arange(n_notes * per_notification) / true_hz
    arrivals = true_t[per_notification - 1 :: per_notification] + latency_s(rng, n_notes)
    smoother = HostClockSmoother(nominal_hz)
    parts = []
    for k in range(n_notes):
        times, lost = smoother.assign(per_notification, float(arrivals[k]))
        assert lost == 0
        parts.append(times)
    t = np.concatenate(parts)
    newest = t[per_notification - 1 :: per_notification]
    ahead = newest[n_notes // 4 :] - arrivals[n_notes // 4 :]
    assert np.max(ahead) < 0.3 / true_hz and np.median(ahead) < -0.003  # (almost) never after arrival
    error = t - true_t
    late = error[len(error) // 2 :]
    assert np.ptp(late) < 0.02  # 2 minutes at 3 % off would be 3.6 s if drift accumulated
    assert smoother.rate_hz == pytest.approx(true_hz, rel=0.002)
    # Arrival jitter (ms) is gone from the sample intervals.
    assert np.std(np.diff(t[len(t) // 2 :])) < 0.1 * np.std(np.diff(arrivals)) / per_notification


def test_host_clock_reports_samples_missing_before_a_late_notification() -> None:
    smoother = HostClockSmoother(50.0)
    for k in range(100):
        smoother.assign(1, 0.005 + k / 50.0)
    arrival_s = 0.005 + (100 + 30) / 50.0  # 30 notifications never came
    assert smoother.lag_s(1, arrival_s) > smoother.late_gap_s
    times, lost = smoother.assign(1, arrival_s, lost_s=smoother.lag_s(1, arrival_s))
    assert lost == 30
    assert times[0] == pytest.approx(0.005 + 130 / 50.0)


def sensor(rate_hz: float) -> SensorInfo:
    return SensorInfo(model="test", placement="thigh", side="left", nominal_rate_hz=rate_hz)


def decoded(n: int, *, device_s: np.ndarray | None = None, sequence: np.ndarray | None = None) -> Decoded:
    return Decoded(acc_g=np.tile([0.0, 0.0, 1.0], (n, 1)), gyro_dps=np.zeros((n, 3)), device_time_s=device_s, sequence=sequence)


def test_timeline_gaps_from_sequence_numbers_are_exact() -> None:
    timeline = SampleTimeline(sensor(100.0), clock="device", has_sequence=True, origin_s=0.0)
    [(first, gaps)] = timeline.place(decoded(4, device_s=10 + np.arange(4) / 100, sequence=np.arange(4)), 1.0)
    assert gaps == []
    [(second, gaps)] = timeline.place(decoded(4, device_s=10 + np.arange(11, 15) / 100, sequence=np.arange(11, 15)), 1.2)
    [gap] = gaps
    assert gap.lost_samples == 7
    assert (gap.start_s, gap.end_s) == (first.t_s[-1], second.t_s[0])
    assert timeline.counts.lost_samples == 7 and timeline.counts.gaps == 1


def test_timeline_gaps_from_device_clock_jumps_including_inside_a_notification() -> None:
    timeline = SampleTimeline(sensor(52.0), clock="device", has_sequence=False, origin_s=0.0)
    timeline.place(decoded(3, device_s=np.arange(3) / 52.0), 0.1)
    [(block, gaps)] = timeline.place(decoded(3, device_s=np.array([3, 9, 10]) / 52.0), 0.3)
    assert [g.lost_samples for g in gaps] == [5]
    assert gaps[0].start_s == block.t_s[0] and gaps[0].end_s == block.t_s[1]


def test_timeline_after_a_device_clock_reset_keeps_time_increasing_and_records_the_gap() -> None:
    timeline = SampleTimeline(sensor(100.0), clock="device", has_sequence=False, origin_s=0.0)
    [(before, _)] = timeline.place(decoded(5, device_s=500 + np.arange(5) / 100), 2.0)
    assert timeline.new_connection() == []
    [(after, gaps)] = timeline.place(decoded(5, device_s=np.arange(5) / 100), 5.0)  # sensor rebooted
    assert timeline.counts.clock_resets == 1
    assert after.t_s[0] > before.t_s[-1]
    [gap] = gaps
    assert gap.lost_samples == pytest.approx(round((after.t_s[0] - before.t_s[-1]) * 100) - 1)


def test_timeline_host_clock_reconnect_gap_and_strictly_increasing_times() -> None:
    timeline = SampleTimeline(sensor(100.0), clock="host", has_sequence=False, origin_s=10.0)
    blocks = [timeline.place(decoded(2), 10.0 + k * 0.02)[0][0] for k in range(1, 50)]
    assert timeline.new_connection() == []
    [(after, gaps)] = timeline.place(decoded(2), 10.0 + 49 * 0.02 + 1.5)  # 1.5 s outage
    [gap] = gaps
    assert gap.lost_samples == pytest.approx(150, abs=3)
    t = np.concatenate([b.t_s for b in [*blocks, after]])
    assert (np.diff(t) > 0).all() and t[0] > 0  # relative to origin_s


def stream_until_late(timeline: SampleTimeline, *, late_by_s: float) -> float:
    """50 notifications of 2 samples at 100 Hz, then one `late_by_s` late; returns its arrival."""
    for k in range(1, 51):
        assert len(timeline.place(decoded(2), k * 0.02)) == 1
    late = 51 * 0.02 + late_by_s
    assert timeline.place(decoded(2), late) == []  # held until the next one says why
    return late


def test_a_late_notification_followed_at_normal_pace_means_samples_were_lost() -> None:
    """The delay persists for DRAIN_WAIT_S: what never drained was lost before the late one."""
    timeline = SampleTimeline(sensor(100.0), clock="host", has_sequence=False, origin_s=0.0)
    late = stream_until_late(timeline, late_by_s=0.6)
    waited = int(DRAIN_WAIT_S / 0.02)
    for k in range(1, waited):  # held: the delay may yet drain
        assert timeline.place(decoded(2), late + k * 0.02) == []
    placed = timeline.place(decoded(2), late + waited * 0.02)
    assert len(placed) == waited + 1
    [gap] = placed[0][1]
    assert gap.lost_samples == pytest.approx(60, abs=2) and gap.end_s == placed[0][0].t_s[0]
    assert all(gaps == [] for _, gaps in placed[1:])
    t = np.concatenate([block.t_s for block, _ in placed])
    assert np.allclose(np.diff(t), 0.01, rtol=0.11)  # after the gap, one period apart


def test_a_backlog_that_drains_slowly_after_a_pause_was_only_delayed() -> None:
    """A host stall: two notifications come at once, the host pauses again, then the backlog
    drains at twice the stream's pace (a link's capacity, not an OS queue). Nothing was lost,
    although the next one after each late one came more than a period later."""
    timeline = SampleTimeline(sensor(100.0), clock="host", has_sequence=False, origin_s=0.0)
    late = stream_until_late(timeline, late_by_s=0.6)
    arrivals = [late + 0.001, late + 0.15] + [late + 0.15 + k * 0.01 for k in range(1, 200)]
    placed = [p for arrival in arrivals for p in timeline.place(decoded(2), arrival)]
    assert len(placed) == 202 and all(gaps == [] for _, gaps in placed)
    t = np.concatenate([block.t_s for block, _ in placed])
    assert np.allclose(np.diff(t), 0.01, rtol=0.11)


def test_a_loss_inside_a_backlog_counts_what_never_drained() -> None:
    """0.3 s of samples lost, then the host stalls 0.5 s and delivers its queue at once."""
    timeline = SampleTimeline(sensor(100.0), clock="host", has_sequence=False, origin_s=0.0)
    late = stream_until_late(timeline, late_by_s=0.8)
    arrivals = [late + k * 0.0001 for k in range(1, 25)] + [late + k * 0.02 for k in range(1, 80)]
    placed = [p for arrival in arrivals for p in timeline.place(decoded(2), arrival)]
    assert len(placed) == len(arrivals) + 1
    gaps = [gap for _, block_gaps in placed for gap in block_gaps]
    [gap] = gaps
    assert gap.lost_samples == pytest.approx(30, abs=2)


def test_a_late_notification_followed_by_a_burst_was_only_delayed() -> None:
    """The host was busy (GC, load, a slow disk): the backlog arrives at once; nothing was lost."""
    timeline = SampleTimeline(sensor(100.0), clock="host", has_sequence=False, origin_s=0.0)
    late = stream_until_late(timeline, late_by_s=0.6)
    placed = []
    for k in range(1, 61):  # the rest of the backlog, 0.1 ms apart, then the stream at its pace
        placed += timeline.place(decoded(2), late + (k * 0.0001 if k <= 30 else (k - 30) * 0.02))
    assert len(placed) == 61 and all(gaps == [] for _, gaps in placed)  # the held one + 60
    t = np.concatenate([block.t_s for block, _ in placed])
    assert np.allclose(np.diff(t), 0.01, rtol=0.11)  # the samples continue one period apart


def test_a_held_notification_is_delivered_when_the_stream_stops() -> None:
    timeline = SampleTimeline(sensor(100.0), clock="host", has_sequence=False, origin_s=0.0)
    stream_until_late(timeline, late_by_s=0.6)
    [(block, _)] = timeline.flush()
    assert len(block) == 2 and timeline.flush() == []


def test_repeated_device_times_are_nudged_to_stay_increasing() -> None:
    timeline = SampleTimeline(sensor(60.0), clock="device", has_sequence=False, origin_s=0.0)
    [(block, _)] = timeline.place(decoded(3, device_s=np.array([1.0, 1.0, 1.0])), 1.0)
    assert (np.diff(block.t_s) > 1.5e-6).all()
    assert len(set(np.char.mod("%.6f", block.t_s))) == 3  # still distinct in the session file


def test_resample_keeps_samples_on_the_grid_and_interpolates_otherwise() -> None:
    t = np.arange(200) / 50.0
    acc = np.column_stack([np.sin(t), np.cos(t), t])
    block = SampleBlock(t_s=t + 3.0, acc_g=acc, gyro_dps=acc * 10, sensor=sensor(50.0))
    same = resample(block, 50.0)
    assert np.array_equal(same.acc_g, acc) and np.array_equal(same.position_s, t)
    other = resample(block, 52.0)
    assert other.position_s[-1] <= t[-1] and np.allclose(np.diff(other.position_s), 1 / 52.0)
    assert np.allclose(other.acc_g[:, 2], other.position_s)
    assert np.allclose(other.gyro_dps[:, 0], 10 * np.interp(other.position_s, t, acc[:, 0]))


def test_playback_releases_due_chunks_skips_outages_and_ends() -> None:
    t = np.arange(100) / 100.0
    playback = Playback(SampleBlock(t_s=t, acc_g=np.zeros((100, 3)), sensor=sensor(100.0)))
    playback.set_rate(100.0, 0.0)
    # Samples 0..4 are due at 45 ms: two full chunks of 2; sample 4 waits for its partner.
    assert [(s.start, s.stop) for s in playback.take(0.045, 2)] == [(0, 2), (2, 4)]
    assert playback.skip_to(0.5) == 47  # samples 4..50 fell due while the link was down
    parts = playback.take(2.0, 8)
    assert parts[0].start == 51 and parts[-1].stop == 100 and playback.finished
