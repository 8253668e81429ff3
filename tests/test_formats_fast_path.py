"""The app readers' pyarrow fast path (sensortrack/core/formats/table.py) gives exactly the exact path's
samples, and bad input still gets the exact path's one-line error with file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import sensortrack.core.formats.table as table_module
from sensortrack.core.errors import InputFileError
from sensortrack.core.formats import witmotion
from sensortrack.core.formats.table import read_table
from sensortrack.core.loading import load_session
from sensortrack.core.model import Session

VENDOR = Path(__file__).resolve().parents[1] / "fixtures" / "vendor"
SAMPLES = [
    "phyphox/squats 2026-01-01 10-00-00.zip",
    "phyphox/Raw Data.csv",
    "sensor-logger/2026-01-01_10-00-00.zip",
    "polar-sensor-logger",
    "movesense/MovesenseShowcase_IMU6_52Hz.csv",
    "movella-dot/DOT1_20260101_100000.csv",
    "witmotion/20260101100000.txt",
]


def _load(path: Path, fast: bool, monkeypatch: pytest.MonkeyPatch) -> Session:
    with monkeypatch.context() as m:
        m.setattr(table_module, "use_fast_path", lambda size, forced: fast)
        return load_session(path)


def _load_error(path: Path, fast: bool, monkeypatch: pytest.MonkeyPatch) -> str:
    with pytest.raises(InputFileError) as info:
        _load(path, fast, monkeypatch)
    return str(info.value)


@pytest.mark.parametrize("rel", SAMPLES)
def test_fast_and_exact_paths_give_the_same_session(rel: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, exact = _load(VENDOR / rel, True, monkeypatch), _load(VENDOR / rel, False, monkeypatch)
    assert np.array_equal(fast.samples.t_s, exact.samples.t_s)
    assert np.array_equal(fast.samples.acc_g, exact.samples.acc_g)
    assert (fast.samples.gyro_dps is None) == (exact.samples.gyro_dps is None)
    if fast.samples.gyro_dps is not None:
        assert np.array_equal(fast.samples.gyro_dps, exact.samples.gyro_dps)
    assert fast.meta == exact.meta and fast.gaps == exact.gaps


@pytest.mark.parametrize(("rel", "row", "column", "bad"), [
    ("movesense/MovesenseShowcase_IMU6_52Hz.csv", 40, 2, b"12x"),
    ("movella-dot/DOT1_20260101_100000.csv", 200, 6, b"abc"),
    ("phyphox/Raw Data.csv", 100, 2, b"1.2.3"),
])
def test_a_bad_value_is_named_with_its_line_on_both_paths(
    tmp_path: Path, rel: str, row: int, column: int, bad: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = (VENDOR / rel).read_bytes().split(b"\n")
    fields = lines[row].split(b",")
    fields[column] = bad
    lines[row] = b",".join(fields)
    path = tmp_path / Path(rel).name
    path.write_bytes(b"\n".join(lines))
    fast, exact = _load_error(path, True, monkeypatch), _load_error(path, False, monkeypatch)
    assert fast == exact and f":{row + 1}:" in fast and "\n" not in fast, fast


def test_a_short_row_a_blank_line_and_quotes_go_the_exact_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rel = "movesense/MovesenseShowcase_IMU6_52Hz.csv"
    lines = (VENDOR / rel).read_text().split("\n")
    short = lines[:50] + ["   "] + [lines[50].rsplit(",", 1)[0]] + lines[51:]
    path = tmp_path / "short.csv"
    path.write_text("\n".join(short))
    assert _load_error(path, True, monkeypatch) == _load_error(path, False, monkeypatch)
    # read_table itself: the fast table answers as the exact one, column by column
    text = 'a;b;c\n1,5;2;"3"\n 4 ;5;6\n\n7;8;9\n'
    fast, exact = read_table("x", text, fast=True), read_table("x", text, fast=False)
    for k in range(3):
        assert fast.text(k) == exact.text(k)
    assert np.array_equal(fast.numbers(0), exact.numbers(0)) and np.array_equal(fast.integers(1), exact.integers(1))
    assert fast.line_numbers == exact.line_numbers == [2, 3, 5]
    assert fast.empty_rows([2]).tolist() == exact.empty_rows([2]).tolist()


def test_witmotion_clock_fast_equals_strptime(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime, timedelta

    rng = np.random.default_rng(3)
    start = datetime(2026, 1, 30, 22, 0, 0)  # across midnight and a month's end
    moments = [start + timedelta(milliseconds=int(ms)) for ms in np.sort(rng.integers(0, 3 * 86400 * 1000, 400))]
    # WitMotion's unpadded date, milliseconds after a dot
    stamps = [f"{m.year}-{m.month}-{m.day} {m.hour:02d}:{m.minute:02d}:{m.second:02d}.{m.microsecond // 1000:03d}"
              for m in moments]
    fast = witmotion._parse_clock(stamps, witmotion._DATE_FORMATS, with_date=True)
    monkeypatch.setattr(witmotion, "_parse_clock_fast", lambda *args: None)
    exact = witmotion._parse_clock(stamps, witmotion._DATE_FORMATS, with_date=True)
    assert fast is not None and exact is not None and np.array_equal(fast, exact)


def test_a_big_folder_export_reads_on_the_fast_path(tmp_path: Path) -> None:
    """Polar's two tables repeated past the size where the fast path starts by itself."""
    folder = tmp_path / "polar"
    shutil.copytree(VENDOR / "polar-sensor-logger", folder)
    session = load_session(folder)
    assert len(session.samples) > 100
