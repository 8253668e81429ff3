"""Impossible values are garbage: decoders and readers count them and mark them like gaps.

A Thingy:52 with garbage notifications used to record 53 g / 1019 °/s samples (0 reps found instead of
14), and one sample of 1e5 °/s or 1e6 g in a file changed the count with exit 0.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from sensortrack.cli import main
from sensortrack.drivers.protocols.base import Decoded, plausible_range
from sensortrack.drivers.protocols.registry import FAMILIES
from sensortrack.drivers.timeline import SampleTimeline
from sensortrack.core.errors import InputFileError
from sensortrack.core.loading import load_session
from sensortrack.core.model import SensorInfo
from sensortrack.core.sessionfile import read_session

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "fixtures" / "simulated" / "squat_thigh_right.csv"


def _one(acc: list[float], gyro: list[float]) -> Decoded:
    return Decoded(acc_g=np.array([acc], dtype=float), gyro_dps=np.array([gyro], dtype=float))


def test_the_configured_range_bounds_what_is_plausible() -> None:
    thingy = FAMILIES["thingy52"]
    assert plausible_range(thingy, thingy.ranges.default) == (2.0, 32767 / 32)  # not the format's 32 g
    movesense = FAMILIES["movesense"]  # range known only to the sensor: the stream's largest
    assert plausible_range(movesense, None) == (movesense.max_acc_g, movesense.max_gyro_dps)


def test_host_timed_impossible_sample_is_counted_and_marked_as_a_gap() -> None:
    thingy = FAMILIES["thingy52"]
    info = SensorInfo(model="thingy52", placement="thigh", side="left", nominal_rate_hz=50.0)
    timeline = SampleTimeline(
        info, clock="host", has_sequence=False, origin_s=0.0,
        full_scale=plausible_range(thingy, thingy.ranges.default), has_gyro=True,
    )  # fmt: skip
    placed = []
    for k in range(1, 60):
        arrival = k * 0.02
        if k in (30, 31):  # corrupted notifications: 53 g, then 1019 °/s with 5 g
            assert timeline.place(_one([30.0, -40.0, 12.0] if k == 30 else [5.0, 0, 0], [1019.0, 0, 0]), arrival) == []
            continue
        placed += timeline.place(_one([0.0, 0.0, 1.0], [10.0, 0, 0]), arrival)
    assert timeline.counts.rejected_samples == 2
    gaps = [g for _, gs in placed for g in gs]
    assert [g.lost_samples for g in gaps] == [2]  # the hole, marked where it is
    t = np.concatenate([b.t_s for b, _ in placed])
    assert gaps[0].start_s == t[28] and gaps[0].end_s == t[29]  # between notifications 29 and 32
    acc = np.concatenate([b.acc_g for b, _ in placed])
    assert np.abs(acc).max() <= 2.0 and len(t) == 57


@pytest.mark.slow
def test_thingy_with_garbage_records_no_impossible_sample_and_finds_the_reps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "thingy.csv"
    args = ["record", "--virtual", "thingy52", "--from", str(FIXTURE), "-o", str(out), "--speed", "5"]
    assert main([*args, "--garbage", "0.3", "--seed", "1", "--no-library"]) == 0
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    rejected = int(summary.split(" impossible samples dropped")[0].rsplit(", ", 1)[1])
    assert rejected > 10
    recording = read_session(out)
    assert np.abs(recording.samples.acc_g).max() <= 2.0 * 1.05
    assert sum(g.lost_samples for g in recording.gaps) >= rejected  # every one marked
    assert main(["analyze", str(out), "--json"]) == 0
    assert main(["analyze", str(FIXTURE), "--json"]) == 0
    found, clean = (json.loads(x) for x in capsys.readouterr().out.strip().splitlines())
    assert found["rep_count"] == pytest.approx(clean["rep_count"], abs=1)


def _with_spike(tmp_path: Path, column: int, value: float, row: int = 1500) -> Path:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    data_rows = [i for i, line in enumerate(lines) if line and not line.startswith("#") and line[0].isdigit()]
    cells = lines[data_rows[row]].split(",")
    cells[column] = f"{value:g}"
    lines[data_rows[row]] = ",".join(cells)
    path = tmp_path / "spiked.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("column", "value"), [(1, 1e6), (3, -1e6), (4, 1e5), (6, -5000.0)])
def test_a_file_with_an_impossible_sample_gives_the_same_answer_and_marks_a_gap(
    tmp_path: Path, column: int, value: float, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = load_session(FIXTURE)
    spiked_path = _with_spike(tmp_path, column, value)
    spiked = load_session(spiked_path)
    assert len(spiked.samples) == len(clean.samples) - 1
    assert np.abs(spiked.samples.acc_g).max() < 32 and np.abs(spiked.samples.gyro_dps).max() < 4000
    assert len(spiked.gaps) == len(clean.gaps) + 1
    assert main(["analyze", str(FIXTURE), "--json"]) == 0
    assert main(["analyze", str(spiked_path), "--json"]) == 0
    a, b = (json.loads(x) for x in capsys.readouterr().out.strip().splitlines())
    assert (a["set_count"], a["rep_count"]) == (b["set_count"], b["rep_count"])


def test_plain_csv_impossible_samples_are_taken_out_too(tmp_path: Path) -> None:
    rows = [f"{i / 50:.2f},0,0,{1e6 if i == 100 else 1}\n" for i in range(300)]
    path = tmp_path / "plain.csv"
    path.write_text("t,ax,ay,az\n" + "".join(rows), encoding="utf-8")
    session = load_session(path)
    assert len(session.samples) == 299 and [g.lost_samples for g in session.gaps] == [1]
    path.write_text("t,ax,ay,az,gx,gy,gz\n0,0,0,1,9999,0,0\n0.02,0,0,1,0,-1e5,0\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="beyond what a sensor can measure"):
        load_session(path)


@pytest.mark.slow
@pytest.mark.parametrize("model", sorted(FAMILIES))
def test_every_virtual_model_writes_its_gaps(model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A drop and a stall: each hole in the timestamps has its `# gap` line with the samples lost
    (the open profile used to write none: its counter does not count the slots while the link is down)."""
    out = tmp_path / f"{model}.csv"
    args = ["record", "--virtual", model, "--from", str(FIXTURE), "-o", str(out), "--speed", "10", "--duration", "40"]
    assert main([*args, "--drop-at", "10", "--stall-at", "25", "--stall-for", "3", "--no-library"]) == 0
    written = [
        json.loads(line[len("# gap ") :]) for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("# gap ")
    ]
    t = read_session(out).samples.t_s
    period = 1.0 / FAMILIES[model].nearest_rate_hz(52.0)
    holes = [(float(t[i]), int(round((t[i + 1] - t[i]) / period)) - 1) for i in np.flatnonzero(np.diff(t) > 1.8 * period)]
    assert len(holes) >= 2, holes  # the drop and the stall
    by_start = {round(g["start_s"], 6): g["lost_samples"] for g in written}
    for start, lost in holes:
        assert round(start, 6) in by_start, f"no '# gap' line for the hole at {start:.2f} s"
        assert by_start[round(start, 6)] == pytest.approx(lost, rel=0.1, abs=2)


@pytest.mark.parametrize("value", [1e308, -1e308])
def test_absurd_value_is_a_lost_sample_without_a_numpy_warning(
    tmp_path: Path, value: float, capsys: pytest.CaptureFixture[str]
) -> None:
    """Session 9: 1e308 squared overflowed in the unit check, printing a RuntimeWarning on stderr."""
    rows = [f"{i / 50:.2f},{value if i == 100 else 0},0,{value if i == 100 else 1},0,0,0\n" for i in range(300)]
    path = tmp_path / "plain.csv"
    path.write_text("t,ax,ay,az,gx,gy,gz\n" + "".join(rows), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        session = load_session(path)
        assert len(session.samples) == 299 and [g.lost_samples for g in session.gaps] == [1]
        assert main(["analyze", str(path), "--json", "--exercise", "squat", "--placement", "thigh", "--side", "left"]) == 0
    assert capsys.readouterr().err == ""
