"""`sensortrack record --virtual MODEL` for every supported model, end to end.

Each run goes through the whole live path: a virtual sensor on the bumble link plays a simulated
squat session in the family's own bytes, the driver scans for it, connects through bleak,
configures it with the family's commands, decodes, time-stamps and writes a session file. The
recording must hold the source's samples (resampled to the rate the sensor was set to) within the
sensor's quantisation, and the analysis must find the same sets, reps and warnings in it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sensortrack import cli
from sensortrack.drivers.protocols import open_profile, polar, thingy52, witmotion
from sensortrack.drivers.protocols.registry import FAMILIES
from sensortrack.drivers.virtual.playback import Resampled, resample
from sensortrack.core.loading import load_session
from sensortrack.core.model import SampleBlock, Session
from sensortrack.session_analysis import analyze_session
from sensortrack.core.sessionfile import read_session

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "simulated" / "squat_thigh_right.csv"
SPEED = 20.0  # 75 s of squats in about 4 s (at 40× a 2-core machine's scheduling jitter showed as 1 s)

# Smallest step each stream can express (acc g, gyro °/s); float32 streams are far finer than these.
FLOAT32 = (1e-6, 1e-4)
# The session file keeps 6 decimals of g and 4 of °/s (sensortrack/core/sessionfile.py).
FILE_ROUNDING = (0.5e-6, 0.5e-4)
# Device clocks' tick where it is coarse against a sample period: Movesense stamps each notification
# in whole ms (drivers/protocols/movesense.py); Polar (ns), Movella DOT and the open profile (µs) do not.
CLOCK_TICK_S: dict[str, float] = {"movesense": 1e-3}
QUANTUM: dict[str, tuple[float, float]] = {
    "witmotion": (witmotion.ACC_FULL_SCALE_G / 32768, witmotion.GYRO_FULL_SCALE_DPS / 32768),
    "movesense": FLOAT32,
    "polar_verity": (polar.DEFAULT_ACC_FACTOR_G, polar.DEFAULT_GYRO_FACTOR_DPS),
    "polar_h10": (0.001, 0.0),  # raw frames in mG
    "movella_dot": FLOAT32,
    "thingy52": (1 / thingy52.ACC_LSB_PER_G, 1 / thingy52.GYRO_LSB_PER_DPS),
    # The host asks for ±8 g / ±2000 °/s (the device's own default is ±4 g): the packets say so.
    "open_profile": (open_profile.HOST_DEFAULT_RANGE.acc_g / 32768, open_profile.HOST_DEFAULT_RANGE.gyro_dps / 32768),
}


@pytest.fixture(scope="module")
def source() -> Session:
    return load_session(FIXTURE)


def record(
    tmp_path: Path, model: str, *extra: str, source: Path = FIXTURE, speed: float = SPEED
) -> tuple[Session, str]:
    out = tmp_path / f"{model}.csv"
    args = ["record", "--virtual", model, "--from", str(source), "-o", str(out), "--speed", str(speed), *extra]
    assert cli.main(args) == 0
    return read_session(out), out.read_text(encoding="utf-8")


def best_offset(recorded: np.ndarray, expected: np.ndarray, search: int = 400) -> int:
    """Index of the expected sample the recording starts at (the first samples a sensor sends
    before it is fully configured may be discarded, e.g. Polar ACC before GYRO runs)."""
    m = min(100, len(recorded))
    errors = [np.abs(recorded[:m] - expected[k : k + m]).max() for k in range(min(search, len(expected) - m))]
    return int(np.argmin(errors))


def aligned(recording: Session, expected: Resampled) -> tuple[int, np.ndarray]:
    """Start index in `expected`, and the recording's clock minus the expected position."""
    k0 = best_offset(recording.samples.acc_g, expected.acc_g)
    n = len(recording.samples)
    assert k0 + n <= len(expected)
    return k0, recording.samples.t_s - expected.position_s[k0 : k0 + n]


def as_sensor_saw_it(source: Session, model: str) -> Session:
    """The source as the model would have measured it (no gyro on accelerometer-only sensors)."""
    if FAMILIES[model].has_gyro:
        return source
    s = source.samples
    return Session(source.meta, SampleBlock(s.t_s, s.acc_g, None, sensor=s.sensor))


Reps = list[list[tuple[float, float, float, tuple[str, ...]]]]


def rep_summary(session: Session, to_source_s: Callable[[float], float] = float) -> Reps:
    """Sets of (start, peak, end, warnings) per rep, times mapped by `to_source_s`."""
    result = analyze_session(session)
    return [
        [
            (to_source_s(r.start_s), to_source_s(r.peak_s), to_source_s(r.end_s), tuple(w.kind for w in r.warnings))
            for r in s.reps
        ]
        for s in result.sets
    ]


def source_time_of(recording: Session, expected: Resampled, k0: int, source_t0_s: float) -> Callable[[float], float]:
    """Recording time → source time through the sample the recording holds at that time, so rep
    boundaries compare without the host-clock jitter of a sped-up run."""
    t = recording.samples.t_s

    def convert(t_s: float) -> float:
        i = int(np.clip(np.searchsorted(t, t_s), 0, len(t) - 1))
        return source_t0_s + float(expected.position_s[k0 + i])

    return convert


@pytest.mark.parametrize("model", list(FAMILIES))
def test_record_virtual_reproduces_the_source_and_its_analysis(model: str, source: Session, tmp_path: Path) -> None:
    family = FAMILIES[model]
    recording, _ = record(tmp_path, model)
    rate_hz = family.nearest_rate_hz(source.meta.sensor.nominal_rate_hz)
    expected = resample(source.samples, rate_hz)

    meta = recording.meta
    assert (meta.sensor.model, meta.sensor.nominal_rate_hz, meta.sensor.clock) == (model, rate_hz, family.clock)
    assert (meta.sensor.placement, meta.sensor.side, meta.exercise) == ("thigh", "right", "squat")
    assert meta.source == "record:virtual" and not recording.interrupted and recording.gaps == ()

    k0, offset = aligned(recording, expected)
    n = len(recording.samples)
    assert k0 < 2 * rate_hz  # at most the first ~2 s are lost to configuration
    assert len(expected) - (k0 + n) <= 8  # the end is there too (a packing encoder may hold a few)
    acc_q, gyro_q = QUANTUM[model]
    assert np.abs(recording.samples.acc_g - expected.acc_g[k0 : k0 + n]).max() <= acc_q / 2 + FILE_ROUNDING[0] + 1e-12
    if family.has_gyro:
        assert expected.gyro_dps is not None and recording.samples.gyro_dps is not None
        gyro_error = np.abs(recording.samples.gyro_dps - expected.gyro_dps[k0 : k0 + n]).max()
        assert gyro_error <= gyro_q / 2 + FILE_ROUNDING[1] + 1e-12
    else:
        assert recording.samples.gyro_dps is None

    # Times. Sample intervals stay within 10 % of the period whatever the delivery jitter (the
    # line through the device clock or the sample count only ever moves that slowly). Once the
    # constant offset is removed, what is left follows the run's delivery delays and backlogs,
    # multiplied by SPEED on a busy machine: 1 s here is 50 ms of real time (the tight checks are
    # test_host_clock_timing_near_real_time and tests/test_ble_timestamps.py).
    # A device clock that ticks in whole ms (Movesense) already spaces two notifications' first
    # samples up to one tick off the period (each timestamp rounded by half a tick), before any
    # correction: that much more is the clock's, not the mapping's.
    tolerance = 0.1 + CLOCK_TICK_S.get(model, 0.0) * rate_hz
    steps = np.diff(recording.samples.t_s) * rate_hz
    assert 1.0 - tolerance - 0.01 < steps.min() and steps.max() < 1.0 + tolerance + 0.01
    residual = offset[n // 5 :] - np.median(offset)
    assert np.percentile(np.abs(residual), 99) < 1.0

    got = rep_summary(recording, source_time_of(recording, expected, k0, float(source.samples.t_s[0])))
    want = rep_summary(as_sensor_saw_it(source, model))
    assert [len(s) for s in got] == [len(s) for s in want] and sum(len(s) for s in want) >= 10
    for got_set, want_set in zip(got, want):
        for g, w in zip(got_set, want_set):
            assert g[3] == w[3]  # the same warnings on the same rep
            assert np.allclose(g[:3], w[:3], atol=0.25)  # start/peak/end (resampling moves them a little)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["witmotion", "thingy52"])
def test_host_clock_timing_near_real_time(model: str, source: Session, tmp_path: Path) -> None:
    """Without a device clock, times come from arrivals: at 4× the jitter stays a few ms (real)."""
    out = tmp_path / "slow.csv"
    assert cli.main(["record", "--virtual", model, "--from", str(FIXTURE), "-o", str(out), "--speed", "4", "--duration", "8"]) == 0
    recording = read_session(out)
    expected = resample(source.samples, FAMILIES[model].nearest_rate_hz(source.meta.sensor.nominal_rate_hz))
    _, offset = aligned(recording, expected)
    residual = offset[len(offset) // 4 :] - np.median(offset)
    assert np.percentile(np.abs(residual), 99) < 4 * 0.015  # 15 ms of real jitter at 4×
    steps = np.diff(recording.samples.t_s) * expected.rate_hz
    assert 0.85 < steps.min() and steps.max() < 1.15  # jitter does not reach the sample intervals


@pytest.mark.parametrize("model", ["witmotion", "movesense"])  # host clock, device clock
def test_link_drop_mid_recording_reconnects_and_records_the_gap(model: str, source: Session, tmp_path: Path) -> None:
    family = FAMILIES[model]
    rate_hz = family.nearest_rate_hz(source.meta.sensor.nominal_rate_hz)
    # At 10×: a host-timed sensor's gaps come from arrival times, and a stall of the test process
    # is multiplied by the speed. A stall is a delay that drains, not a gap (tested below with a
    # real SIGSTOP), so exactly one gap, the drop's, is required.
    recording, text = record(tmp_path, model, "--drop-at", "30", "--readvertise-after", "3", speed=10.0)
    [gap] = recording.gaps
    t = recording.samples.t_s
    before, after = t[t <= gap.start_s], t[t >= gap.end_s]
    assert len(before) > 25 * rate_hz and len(after) > 35 * rate_hz  # both sides of the drop are there
    assert gap.end_s - gap.start_s >= 3.0  # silent while not advertising, then reconnect + restart
    assert gap.lost_samples == pytest.approx((gap.end_s - gap.start_s) * rate_hz - 1, abs=0.1 * rate_hz)
    expected = resample(source.samples, rate_hz)
    k0, _ = aligned(recording, expected)
    total = len(recording.samples) + gap.lost_samples
    # lost + kept = what was played: exact with a device clock, within arrival jitter without.
    tolerance_s = 0.1 if family.clock == "device" else 0.5
    assert total == pytest.approx(len(expected) - k0, abs=tolerance_s * rate_hz)
    assert '"lost_samples"' in [line for line in text.splitlines() if line.startswith("# gap ")][0]
    result = analyze_session(recording)  # the analysis copes with the gap
    assert sum(len(s.reps) for s in result.sets) >= 10


def stall_process_once_recording(out: Path, stall_real_s: float, after_bytes: int) -> threading.Thread:
    """Stop this whole process (event loop, virtual sensor and recorder alike) for `stall_real_s`
    once `out` holds `after_bytes`: a real host stall, as a busy machine or a GC pause makes one.
    A child process resumes it (SIGSTOP cannot be caught or outlived by this process)."""

    def watch() -> None:
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline:
            if out.exists() and out.stat().st_size >= after_bytes:
                subprocess.Popen(["sh", "-c", f"sleep {stall_real_s}; kill -CONT {os.getpid()}"])
                os.kill(os.getpid(), signal.SIGSTOP)
                return
            time.sleep(0.01)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_host_stall_is_a_delay_not_a_gap(source: Session, tmp_path: Path) -> None:
    """A host-timed sensor (no device clock, no sequence): the process stops for 0.3 s mid-stream
    (3 s of stream at 10×). The backlog arrives late but drains: no gap, nothing lost, nothing extra."""
    model = "witmotion"
    rate_hz = FAMILIES[model].nearest_rate_hz(source.meta.sensor.nominal_rate_hz)
    watcher = stall_process_once_recording(tmp_path / f"{model}.csv", 0.3, after_bytes=60_000)
    recording, _ = record(tmp_path, model, speed=10.0)
    watcher.join(timeout=1.0)
    assert not watcher.is_alive()  # the stall happened, while the file was being written
    assert len(recording.gaps) == 0
    expected = resample(source.samples, rate_hz)
    k0, offset = aligned(recording, expected)
    assert len(recording.samples) == len(expected) - k0  # every sample played, once
    steps = np.diff(recording.samples.t_s) * rate_hz
    assert steps.max() < 1.8  # no hole in time either (session files call 1.8 periods a gap)


@pytest.mark.parametrize("model", ["witmotion", "polar_verity", "open_profile", "movella_dot"])
def test_faults_never_crash_a_recording(model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The stall is long enough to be told from jitter on a host clock at SPEED (its late-arrival
    # threshold is 0.25 s of real time), yet short of the supervisor's stall timeout.
    faults = ["--loss", "0.05", "--garbage", "0.1", "--stall-at", "8", "--stall-for", "12", "--seed", "3"]
    recording, _ = record(tmp_path, model, "--duration", "35", *faults)
    *_, summary, library = capsys.readouterr().out.strip().splitlines()
    assert summary.startswith("duration reached:") and "unusable bytes skipped" in summary
    assert library.startswith("added to the library as session ")
    assert "0 reconnects" in summary
    rate_hz = FAMILIES[model].nearest_rate_hz(52)
    assert len(recording.samples) > 15 * rate_hz
    assert np.all(np.diff(recording.samples.t_s) > 0)
    assert np.isfinite(recording.samples.acc_g).all()
    stall = [g for g in recording.gaps if g.end_s - g.start_s > 10]
    assert len(stall) == 1 and stall[0].lost_samples == pytest.approx(12 * rate_hz, rel=0.1)
    if FAMILIES[model].clock == "device":
        # Lost notifications show as gaps too when the device clock or sequence tells.
        assert len(recording.gaps) > 5


def test_every_model_has_a_quantum_entry() -> None:
    assert set(QUANTUM) == set(FAMILIES)


def test_recording_is_added_to_the_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rec.csv"
    library = tmp_path / "lib.sqlite3"
    args = ["record", "--virtual", "open_profile", "--from", str(FIXTURE), "-o", str(out), "--speed", "40"]
    assert cli.main([*args, "--duration", "20", "--library", str(library)]) == 0
    assert "added to the library as session 1" in capsys.readouterr().out
    assert cli.main(["sessions", "--library", str(library), "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert Path(listed["file_path"]) == out.resolve() and not listed["owned_copy"]
    out2 = tmp_path / "rec2.csv"
    assert cli.main([*args[:5], "-o", str(out2), "--speed", "40", "--duration", "5", "--no-library", "--library", str(library)]) == 0
    assert "library" not in capsys.readouterr().out
    assert cli.main(["sessions", "--library", str(library), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
