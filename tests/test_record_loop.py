"""The recording loop and the `record` command: crash safety, clean stops, one-line errors."""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sensortrack import cli
from sensortrack.drivers.clock import ScaledClock
from sensortrack.drivers.protocols.registry import FAMILIES
from sensortrack.drivers.scan import find_sensor
from sensortrack.drivers.status import DriverItem
from sensortrack.drivers.supervisor import SensorSupervisor
from sensortrack.drivers.virtual.link import VirtualLink
from sensortrack.drivers.virtual.peripheral import VirtualSensor
from sensortrack.drivers.virtual.rig import start_rig
from sensortrack.core.loading import load_session
from sensortrack.core.model import SampleBlock, SensorInfo, SessionMeta
from sensortrack.recording import record_session
from sensortrack.core.sessionfile import SessionWriter, read_session

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "simulated" / "squat_thigh_right.csv"
SENSORTRACK = Path(sys.executable).with_name("sensortrack")  # the installed console script


async def recording_setup(
    tmp_path: Path, speed: float = 1.0, queue: asyncio.Queue[DriverItem] | None = None
) -> tuple[SensorSupervisor, SessionWriter, VirtualLink]:
    link = VirtualLink(ScaledClock(speed))
    sensor = VirtualSensor(link, FAMILIES["movesense"], load_session(FIXTURE))
    await sensor.start()
    found = await find_sensor(sensor.name, 2.0, backend=link.backend)
    queue = asyncio.Queue() if queue is None else queue
    info = SensorInfo(placement="thigh", side="right", nominal_rate_hz=52.0)
    sup = SensorSupervisor(found, info, queue, backend=link.backend, clock=link.clock)
    writer = SessionWriter(tmp_path / "live.csv", SessionMeta(sup.info, exercise="squat"), flush_interval_s=float("inf"))
    return sup, writer, link


async def test_the_file_on_disk_is_never_more_than_half_a_second_behind(tmp_path: Path) -> None:
    sup, writer, link = await recording_setup(tmp_path)
    seen: list[DriverItem] = []
    task = asyncio.create_task(record_session(sup, writer, clock=link.clock, on_item=seen.append))
    lags: list[int] = []
    for _ in range(6):
        await asyncio.sleep(0.4)
        in_memory = writer.samples_written
        lines = writer.path.read_text().splitlines()[3:]  # after magic, meta and column header
        on_disk = sum(1 for line in lines if line and not line.startswith("#"))
        lags.append(in_memory - on_disk)
    task.cancel()  # like the TUI closing, or an unexpected error above the loop
    with pytest.raises(asyncio.CancelledError):
        await task
    # 0.5 s at 52 Hz is 26 samples; allow a notification's worth of slack.
    assert max(lags) <= 26 + 8 and writer.samples_written > 52
    session = read_session(writer.path)
    assert not session.interrupted and len(session.samples) == writer.samples_written  # closed properly
    blocks = [item for item in seen if isinstance(item, SampleBlock)]
    assert sum(len(b) for b in blocks) == writer.samples_written
    # What the live view analyses is exactly what the file reads back (float32 g, host times: both
    # rounded as the file keeps them), so its result is `analyze` of the file to the last digit.
    assert np.array_equal(np.concatenate([b.t_s for b in blocks]), session.samples.t_s)
    assert np.array_equal(np.concatenate([b.acc_g for b in blocks]), session.samples.acc_g)
    gyro = session.samples.gyro_dps
    assert gyro is not None and np.array_equal(np.concatenate([b.gyro_dps for b in blocks if b.gyro_dps is not None]), gyro)


def assert_closed_properly(writer: SessionWriter) -> None:
    session = read_session(writer.path)
    assert not session.interrupted and len(session.samples) == writer.samples_written > 0
    assert writer.path.read_text().rstrip().splitlines()[-1].startswith("# end")


class CancelWithTheFirstBlock(asyncio.Queue[DriverItem]):
    """Cancels `victim` in the loop iteration right after handing out the first sample block: the
    moment Python 3.11's asyncio.wait_for loses a cancellation (CPython gh-86296)."""

    victim: asyncio.Task[object] | None = None

    async def get(self) -> DriverItem:
        item = await super().get()
        if self.victim is not None and isinstance(item, SampleBlock):
            asyncio.get_running_loop().call_soon(self.victim.cancel)
            self.victim = None
        return item


async def test_a_cancellation_that_arrives_with_a_sample_block_still_ends_the_recording(tmp_path: Path) -> None:
    """The rare CI hang: the cancelled recording went on forever and `await task` never returned."""
    queue = CancelWithTheFirstBlock()
    sup, writer, link = await recording_setup(tmp_path, queue=queue)
    task = asyncio.create_task(record_session(sup, writer, clock=link.clock))
    queue.victim = task
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=20.0)  # a regression fails here instead of hanging
    assert queue.victim is None and sup.state == "stopped"
    assert_closed_properly(writer)


async def test_a_disconnection_that_is_never_confirmed_is_abandoned(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Closing the TUI mid-stream, or cancelling in CI, must not wait for an adapter that never
    reports the disconnection complete: the supervisor gives up on it by itself."""
    sup, writer, link = await recording_setup(tmp_path)
    link.faults.disconnect_never_completes = True
    task = asyncio.create_task(record_session(sup, writer, clock=link.clock))
    await asyncio.wait_for(wait_until(lambda: writer.samples_written > 0), timeout=10.0)
    task.cancel()
    with caplog.at_level(logging.INFO), pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=20.0)
    abandoned = [r for r in caplog.records if "not confirmed" in r.getMessage()]
    assert len(abandoned) == 1 and abandoned[0].name == "sensortrack.drivers.supervisor"
    assert not any("did not stop" in r.getMessage() for r in caplog.records)  # not cancelled from above
    assert sup.state == "stopped"
    assert_closed_properly(writer)


async def test_a_second_cancellation_while_stopping_still_completes_the_file(tmp_path: Path) -> None:
    sup, writer, link = await recording_setup(tmp_path)
    link.faults.disconnect_never_completes = True  # stopping takes DISCONNECT_TIMEOUT_S
    task = asyncio.create_task(record_session(sup, writer, clock=link.clock))
    await asyncio.wait_for(wait_until(lambda: writer.samples_written > 0), timeout=10.0)
    task.cancel()
    await asyncio.sleep(0.5)  # into the stopping
    task.cancel()  # e.g. the event loop shutting down
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=20.0)
    assert sup.state == "stopped"  # waited for: the samples its timeline still held are in the file
    assert_closed_properly(writer)


async def wait_until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.02)


def test_ctrl_c_closes_the_file_cleanly(tmp_path: Path) -> None:
    out = tmp_path / "ctrl-c.csv"
    process = subprocess.Popen(
        [str(SENSORTRACK), "record", "--virtual", "witmotion", "--from", str(FIXTURE), "-o", str(out), "--speed", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,  # not the repository root: its sensortrack/ folder would shadow the package
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (out.exists() and out.read_text().count("\n") > 200):
            time.sleep(0.1)  # rows appear while recording: the file is flushed as it goes
        assert out.exists(), process.stderr.read() if process.poll() is not None else "no file"
        time.sleep(1.2)  # let a status line or two be printed
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    lines = stdout.strip().splitlines()
    assert lines[-2].startswith("stopped: ") and str(out) in lines[-2]
    assert lines[-1].startswith("added to the library as session ")
    status = [line for line in lines if line.startswith("recording ") and " Hz " in line]
    assert status  # plain status lines, one per second, since stdout is not a terminal
    session = read_session(out)
    assert not session.interrupted and len(session.samples) > 200
    assert out.read_text().rstrip().splitlines()[-1].startswith("# end")


def test_existing_files_are_never_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "precious.csv"
    out.write_text("my recording\n")
    code = cli.main(["record", "--virtual", "witmotion", "--from", str(FIXTURE), "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "already exists" in err[0]
    assert out.read_text() == "my recording\n"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--device", "X", "--placement", "thigh", "--side", "left", "--speed", "3"], "only apply to virtual sensors"),
        (["--virtual", "witmotion"], "--virtual needs --from"),
        (["--virtual", "fitbit", "--from", str(FIXTURE)], "unknown sensor model 'fitbit'; supported models: witmotion"),
        (["--virtual", "witmotion", "--from", "missing.csv"], "missing.csv: no such file"),
        (["--virtual", "witmotion", "--from", str(FIXTURE), "--loss", "2"], "--loss is a probability"),
        (["--virtual", "witmotion", "--from", str(FIXTURE), "--duration", "0"], "--duration must be positive"),
    ],
)
def test_bad_options_are_one_line_errors(
    args: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.csv"
    code = cli.main(["record", *args, "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and words in err[0], err
    assert not out.exists()


@pytest.mark.slow
def test_virtual_sensor_remembering_another_rate_is_reconfigured(tmp_path: Path) -> None:
    """A WitMotion streams at its stored rate as soon as notifications are on; the rate command
    follows. The few early samples must not derail the recording."""
    async def run() -> Path:
        rig = await start_rig([(FAMILIES["witmotion"], load_session(FIXTURE))], speed=10.0, rate_hz=10.0)
        try:
            found = await find_sensor(rig.sensors[0].name, 2.0, backend=rig.link.backend)
            queue: asyncio.Queue[DriverItem] = asyncio.Queue()
            info = SensorInfo(placement="thigh", side="right", nominal_rate_hz=100.0)
            sup = SensorSupervisor(found, info, queue, backend=rig.link.backend, clock=rig.clock)
            writer = SessionWriter(tmp_path / "stored10.csv", SessionMeta(sup.info), flush_interval_s=float("inf"))
            await record_session(sup, writer, clock=rig.clock, duration_s=15.0)
            return writer.path
        finally:
            await rig.close()

    session = read_session(asyncio.run(run()))
    steps = np.diff(session.samples.t_s)
    assert np.median(steps) == pytest.approx(0.01, rel=0.05)  # at the requested 100 Hz after the switch
    assert len(session.samples) > 10 * 100
