"""A plain interchange CSV is read without the export readers (issue 12), and only where none of
them could have claimed the file: the shortcut changes which modules load, never what is read."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensortrack.core import interchange, loading
from sensortrack.core.errors import InputFileError
from sensortrack.core.formats import registry
from sensortrack.core.interchange import HEAD_BYTES, is_plain_interchange, plain_interchange_head
from sensortrack.core.loading import load_session

REPO = Path(__file__).resolve().parent.parent
NAMES = sorted(interchange._PLAIN_NAMES)
ROW_TEXT = st.text(alphabet=interchange._PLAIN_ROW_BYTES.decode("ascii"), max_size=400)


@st.composite
def plain_heads(draw: st.DrawFn) -> bytes:
    """Any head the shortcut takes: interchange names (spaced at will) and rows of number bytes."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=9))
    pads = draw(st.lists(st.sampled_from(["", " ", "  ", "\t"]), min_size=2 * len(names), max_size=2 * len(names)))
    header = ",".join(pads[2 * i] + n + pads[2 * i + 1] for i, n in enumerate(names))
    bom = draw(st.sampled_from(["", "\ufeff"]))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    return (bom + header + end + draw(ROW_TEXT)).encode("utf-8")[:HEAD_BYTES]


@settings(max_examples=300, deadline=None)
@given(plain_heads())
def test_no_export_format_claims_a_head_the_shortcut_takes(head: bytes) -> None:
    assert plain_interchange_head(head)
    assert registry.recognise_head({"recording.csv": head}) is None
    assert registry.recognise_head({"recording.txt": head}) is None


def test_the_shortcut_sees_at_least_what_the_recognisers_see() -> None:
    assert HEAD_BYTES >= registry.HEAD_BYTES


@pytest.mark.parametrize(
    "head",
    [
        b"Time (s),Acceleration x (m/s^2),Acceleration y (m/s^2),Acceleration z (m/s^2)\n0,1,2,3\n",  # phyphox
        b"time,seconds_elapsed,z,y,x\n1,0,1,2,3\n",  # Sensor Logger
        b"t,ax,ay,az,notes\n0,0,0,1,ok\n",  # another column: the usual path
        b"T,AX,AY,AZ\n0,0,0,1\n",  # not as written by the tools the shortcut knows
        b"t,ax,ay,az\n0,0,nan,1\n",  # letters in a row
        b"t,ax,ay,az\n0;0;0;1\n",
        b"t,ax,ay,az\nPacketCounter,SampleTimeFine\n",
        "t,ax,ay,az\n0,0,0,1\u00a0\n".encode(),
        b"",
    ],
)
def test_what_the_shortcut_leaves_to_the_usual_path(head: bytes) -> None:
    assert not plain_interchange_head(head)


def _plain_csv(path: Path, rows: int = 300) -> Path:
    t = np.arange(rows) / 100.0
    with path.open("w", encoding="utf-8") as fh:
        fh.write("t,ax,ay,az,gx,gy,gz\n")
        for k in range(rows):
            fh.write(f"{t[k]:.2f},0.01,{np.sin(k / 10):.4f},1.0,0.5,-0.5,{np.cos(k / 10):.3f}\n")
    return path


def test_a_file_that_also_holds_a_zip_or_is_named_zip_is_left_to_the_zip_reader(tmp_path: Path) -> None:
    plain = _plain_csv(tmp_path / "plain.csv")
    assert is_plain_interchange(plain)
    polyglot = tmp_path / "polyglot.csv"
    polyglot.write_bytes(plain.read_bytes())
    with zipfile.ZipFile(polyglot, "a") as archive:  # a zip appended to the CSV: is_zipfile() says yes
        archive.writestr("inner.csv", "t,ax,ay,az\n0,0,0,1\n")
    assert zipfile.is_zipfile(polyglot)
    assert not is_plain_interchange(polyglot)
    named = tmp_path / "plain.zip"
    named.write_bytes(plain.read_bytes())
    assert not is_plain_interchange(named)
    assert not is_plain_interchange(tmp_path / "missing.csv")


def _outcome(path: Path) -> tuple[object, ...]:
    try:
        s = load_session(path)
    except InputFileError as exc:
        return ("error", str(exc))
    gyro = None if s.samples.gyro_dps is None else s.samples.gyro_dps.tobytes()
    return (s.meta, s.samples.t_s.tobytes(), s.samples.acc_g.tobytes(), gyro, s.gaps, s.interrupted)


def _every_csv(tmp_path: Path) -> list[Path]:
    files = sorted(p for p in (REPO / "fixtures").rglob("*") if p.is_file() and p.suffix in (".csv", ".txt", ".zip"))
    made = [
        _plain_csv(tmp_path / "plain.csv"),
        tmp_path / "blank_line.csv",
        tmp_path / "crlf.csv",
        tmp_path / "units.csv",
    ]
    made[1].write_text("t,ax,ay,az\n0,0,0,1\n\n0.01,0,0,1\n0.02,0,0,1\n", encoding="utf-8")
    made[2].write_bytes(b"t,ax,ay,az\r\n0,0,0,1\r\n0.01,0,0,1\r\n0.02,0,0,1\r\n")
    made[3].write_text("t_s,ax_g,ay_g,az_g\n0,0,0,1\n0.01,0,0,1e0\n0.02,-0,+0,1.\n", encoding="utf-8")
    return files + made


def test_every_file_reads_the_same_with_and_without_the_shortcut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _every_csv(tmp_path)
    taken = [p for p in files if is_plain_interchange(p)]
    assert len(taken) >= 8  # the shortcut is used: fixtures/bad and the files made here
    with_shortcut = {p: _outcome(p) for p in files}
    monkeypatch.setattr(loading, "is_plain_interchange_open", lambda path, fh, head: False)
    for p in files:
        assert _outcome(p) == with_shortcut[p], p


@pytest.mark.parametrize("rows", [2000, 40_000], ids=["exact path", "pyarrow path"])
def test_analyze_of_a_plain_csv_loads_none_of_the_export_readers(
    tmp_path: Path, rows: int, loaded_by_command: Callable[[list[str], str], str]
) -> None:
    plain = _plain_csv(tmp_path / "plain.csv", rows=rows)
    argv = ["analyze", "--json", "--exercise", "squat", str(plain)]
    assert loaded_by_command(argv, "sensortrack.core.formats") == "0 []"
