"""`load_session` reads a file's first bytes once for every check of what it is (session magic, plain
interchange CSV, zip, compressed or database magic, the export formats' headers), not once per check."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from sensortrack.core import loading
from sensortrack.core.errors import InputFileError
from sensortrack.core.interchange import is_plain_interchange
from sensortrack.core.sessionfile import is_session_file, is_session_head

REPO = Path(__file__).resolve().parents[1]
VENDOR = REPO / "fixtures" / "vendor"

KINDS = {
    "fixtures/simulated/squat_thigh_left.csv": "session",
    "fixtures/bad/ms2_units.csv": "plain",
    "fixtures/bad/interchange_ok.csv": "other",  # extra columns: the export registry is asked, then interchange
    "fixtures/vendor/phyphox/squats 2026-01-01 10-00-00.zip": "zip",
    "fixtures/vendor/phyphox/squats 2026-01-01 10-00-00.xlsx": "zip",
    "fixtures/vendor/movesense/MovesenseShowcase_IMU6_52Hz.csv": "other",
    "fixtures/vendor/witmotion/20260101100000.txt": "other",
}


def _counting_opens(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    opened: list[Path] = []
    real = Path.open

    def counted(self: Path, *args: Any, **kwargs: Any) -> Any:
        opened.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counted)
    return opened


@pytest.mark.parametrize("rel", sorted(KINDS))
def test_each_kind_of_file_is_told_from_one_opening(rel: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = REPO / rel
    opened = _counting_opens(monkeypatch)
    kind, head = loading._kind_of_file(path)
    assert kind == KINDS[rel]
    assert opened == [path]
    assert head == path.read_bytes()[: loading.HEAD_BYTES]


def test_the_head_checks_agree_with_the_checks_by_path() -> None:
    for rel, kind in KINDS.items():
        path = REPO / rel
        head = path.read_bytes()[: loading.HEAD_BYTES]
        assert is_session_head(head) == is_session_file(path) == (kind == "session"), rel
        assert is_plain_interchange(path) == (kind == "plain"), rel


def test_a_byte_order_mark_does_not_hide_a_session_file(tmp_path: Path) -> None:
    source = (REPO / "fixtures/simulated/squat_thigh_left.csv").read_bytes()
    marked = tmp_path / "marked.csv"
    marked.write_bytes(b"\xef\xbb\xbf" + source)
    assert is_session_head(marked.read_bytes()) and is_session_file(marked)
    assert loading._kind_of_file(marked)[0] == "session"
    assert not is_session_head(b"# sensortrack-sess")  # cut short: not the magic
    assert not is_session_head(b"#  sensortrack-session 1\n")


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda p: p.write_bytes(gzip.compress(b"t,ax,ay,az\n0,0,0,1\n")), "gzip-compressed"),
        (lambda p: p.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(40)), "zstd-compressed"),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE x (y)").connection.commit(), "SQLite database"),
        (lambda p: p.write_bytes(b"PK\x03\x04" + bytes(100)), "damaged zip archive"),
    ],
    ids=["gzip", "zstd", "sqlite", "damaged zip"],
)
def test_files_that_are_no_recording_are_told_from_the_same_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Any, said: str
) -> None:
    path = tmp_path / "recording.csv"
    make(path)
    opened = _counting_opens(monkeypatch)
    with pytest.raises(InputFileError, match=said):
        loading.load_session(path)
    assert opened == [path]
