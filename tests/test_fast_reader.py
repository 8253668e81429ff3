"""The pyarrow fast path of both readers gives exactly what the exact path gives, or steps aside.

Every fixture (good and bad) is read both ways: the same samples, gaps and metadata, or the same
one-line error. Mangled files, odd line endings and random numeric spellings are compared the same
way; big files (past FAST_MIN_BYTES) really take the fast path by default and still name the bad line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensortrack.core import csvrows, interchange, sessionfile
from sensortrack.core.errors import InputFileError
from sensortrack.core.loading import load_session
from sensortrack.core.model import Gap, Session
from sensortrack.simulation.badfiles import BAD_FILES, GOOD_FILES, write_bad_files

REPO = Path(__file__).resolve().parent.parent
FIXTURE_CSVS = sorted((REPO / "fixtures").rglob("*.csv")) + [REPO / "sensortrack" / "data" / "demo_squats.csv"]
HEADER = "t,ax,ay,az,gx,gy,gz"


def _read(path: Path, fast: bool) -> Session | str:
    """The session, or the error's one line, read with the fast path on or off."""
    try:
        if sessionfile.is_session_file(path):
            return sessionfile.read_session(path, fast=fast)
        return interchange.read_interchange_csv(path, fast=fast)
    except InputFileError as exc:
        return str(exc)


def _fast_only(path: Path) -> Session | None:
    """The fast path alone: None where it declines."""
    module = sessionfile if sessionfile.is_session_file(path) else interchange
    try:
        return module._read_fast(path)
    except InputFileError:
        return None


def _assert_same(a: Session | str, b: Session | str) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    for x, y in (
        (a.samples.t_s, b.samples.t_s),
        (a.samples.acc_g, b.samples.acc_g),
        (a.samples.gyro_dps, b.samples.gyro_dps),
        (a.samples.quat_wxyz, b.samples.quat_wxyz),
    ):
        assert (x is None) == (y is None)
        if x is not None:
            assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True)
    assert a.gaps == b.gaps
    assert a.meta == b.meta
    assert a.interrupted == b.interrupted
    assert a.path == b.path


@pytest.mark.parametrize("path", FIXTURE_CSVS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_fixture_reads_the_same_both_ways(path: Path) -> None:
    fast, exact = _read(path, fast=True), _read(path, fast=False)
    _assert_same(fast, exact)
    if not isinstance(exact, str):
        # A good file must not have been handed to the exact path behind our back.
        fast_only = _fast_only(path)
        assert fast_only is not None, "the fast path declined a well-formed file"
        _assert_same(fast_only, exact)


def test_bad_files_from_the_generator_read_the_same_both_ways(tmp_path: Path) -> None:
    written = write_bad_files(tmp_path)
    assert {p.name for p in written} == set(BAD_FILES) | set(GOOD_FILES)
    for path in written:
        if path.suffix == ".csv":
            _assert_same(_read(path, fast=True), _read(path, fast=False))
    # The two that load must load through the fast path (one a crashed session with a torn row).
    for name in ("crashed_session.csv", "interchange_ok.csv"):
        assert _fast_only(tmp_path / name) is not None


def _big_interchange(rows: int = 30_000) -> list[str]:
    """Enough 100 Hz rows to pass FAST_MIN_BYTES (a thigh at rest, slowly rocking)."""
    t = np.arange(rows) / 100.0
    tilt = 0.3 * np.sin(t)
    lines = [
        f"{ti:.2f},{-np.sin(a):.6f},0.010000,{np.cos(a):.6f},0.1000,{0.3 * np.cos(ti) * 57.3:.4f},-0.2000"
        for ti, a in zip(t, tilt, strict=True)
    ]
    assert sum(len(x) + 1 for x in lines) > csvrows.FAST_MIN_BYTES
    return lines


def test_big_file_takes_the_fast_path_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.csv"
    path.write_text("\n".join([HEADER, *_big_interchange()]) + "\n", encoding="utf-8")
    exact = _read(path, fast=False)

    def refuse(_: Path) -> Session:
        raise AssertionError("exact path used for a good big file")

    monkeypatch.setattr(interchange, "_read_exact", refuse)
    session = load_session(path)
    _assert_same(session, exact)


@pytest.mark.parametrize(
    ("row", "bad_value", "expected"),
    [
        (25_000, "0.5,0.1,abc,0.9,0,0,0", "'abc' is not a number"),
        (25_000, "0.5,0.1,0.2", "expected 7 fields, found 3 (truncated line?)"),
        (25_000, "250.00,0.1,nan,0.9,0,0,0", "value is NaN or infinite"),
        (25_000, "1.00,0.1,0.0,0.9,0,0,0", "time goes backwards"),
    ],
)
def test_big_bad_file_still_names_the_line(tmp_path: Path, row: int, bad_value: str, expected: str) -> None:
    lines = _big_interchange()
    lines[row] = bad_value
    path = tmp_path / "big_bad.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        load_session(path)
    assert expected in str(info.value)
    assert info.value.line == row + 2  # the header is line 1
    assert str(info.value) == _read(path, fast=False)


def test_big_session_file_with_gaps_and_a_torn_row(tmp_path: Path) -> None:
    src = tmp_path / "plain.csv"
    src.write_text("\n".join([HEADER, *_big_interchange()]) + "\n", encoding="utf-8")
    session = load_session(src)
    session = Session(
        meta=session.meta,
        samples=session.samples,
        gaps=(Gap(10.0, 10.01, 3), Gap(200.0, 200.01, 5)),
    )
    path = tmp_path / "session.csv"
    sessionfile.write_session(path, session)
    text = path.read_text(encoding="utf-8")
    # A crash: the '# end' line and half of the last row never reached the disk.
    torn = text[: text.rindex("# end")]
    torn = torn[: len(torn) - 20]
    path.write_text(torn, encoding="utf-8")
    fast = _fast_only(path)
    assert fast is not None and fast.interrupted
    assert [g.lost_samples for g in fast.gaps][:2] == [3, 5]
    _assert_same(fast, _read(path, fast=False))
    _assert_same(load_session(path), fast)


@pytest.mark.parametrize(
    "body",
    [
        "0.00,0.0,0.0,1.0\r\n0.01,0.0,0.0,1.0\r\n\r\n0.02,0.0,0.0,1.0\r\n",  # Windows line ends
        "0.00,0.0,0.0,1.0\r0.01,0.0,0.0,1.0\r0.02,0.0,0.0,1.0\r",  # old Mac line ends
        "0.00,0.0,0.0,1.0\n\n\n0.01,0.0,0.0,1.0\n0.02,0.0,0.0,1.0",  # blank lines, no final newline
        "0.00,0.0,0.0,1.0\n0.01,0.0,0.0,1.0\x0c\n0.02,0.0,0.0,1.0\n",  # form feed: a line break to Python
        "0.00,0.0,0.0,1.0\n0.01, 0.0 ,\t0.0,1.0\n0.02,0.0,0.0,1.0\n",  # spaces and tabs around numbers
        "0.00,0.0,0.0,1.0\n  \n0.01,0.0,0.0,1.0\n",  # a line of spaces
        "0.00,0.0,0.0,1.0\n0.01,nan(1),0.0,1.0\n",  # pyarrow's NaN, not Python's
        "0.00,0.0,0.0,1.0\n0.01,\"0.0\",0.0,1.0\n",  # quotes
        "0.00,0.0,0.0,1.0\n0.01,,0.0,1.0\n",  # an empty field
        "0.00,0.0,0.0,1.0\n0.01,NA,0.0,1.0\n",  # pyarrow's default null spelling
        "0.00,0.0,0.0,1.0\n0.01,1_0,0.0,1.0\n",  # Python's float() reads underscores
        "0.00,0.0,0.0,1.0\n0.01,0.0,0.0,1.0,\n",  # one field too many
        "0.00,0.0,0.0,1.0\n0.01,0.0,0.0,1.0\u20280.02,0.0,0.0,1.0\n",  # a Unicode line separator
    ],
)
def test_odd_interchange_files_read_the_same_both_ways(tmp_path: Path, body: str) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(("t,ax,ay,az\n" + body).encode("utf-8"))
    _assert_same(_read(path, fast=True), _read(path, fast=False))


_NUMBERISH = st.text(alphabet="0123456789.eE+-naifINFxy() \t_", min_size=0, max_size=8)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.tuples(_NUMBERISH, _NUMBERISH), min_size=1, max_size=6))
def test_random_number_spellings_read_the_same_both_ways(tmp_path: Path, cells: list[tuple[str, str]]) -> None:
    lines = ["t,ax,ay,az,label"]
    for i, (ax, label) in enumerate(cells):
        lines.append(f"{i / 100:.2f},{ax},0.0,1.0,{label}")
    path = tmp_path / "spellings.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _assert_same(_read(path, fast=True), _read(path, fast=False))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=6_000), noise=st.binary(max_size=12), pos=st.integers(min_value=0, max_value=6_000))
def test_mangled_session_files_read_the_same_both_ways(tmp_path: Path, cut: int, noise: bytes, pos: int) -> None:
    data = (REPO / "fixtures" / "bad" / "crashed_session.csv").read_bytes()
    demo = (REPO / "sensortrack" / "data" / "demo_squats.csv").read_bytes()[:6_000]
    source = demo if cut % 2 else data
    source = source[: min(cut, len(source))] if cut > 2_000 else source
    p = min(pos, len(source))
    path = tmp_path / "mangled.csv"
    path.write_bytes(source[:p] + noise + source[p:])
    _assert_same(_read(path, fast=True), _read(path, fast=False))


def test_fast_path_parses_into_the_engines_arrays(tmp_path: Path) -> None:
    """Time 1-D, acc and gyro (n, 3) C-ordered, each its own writeable array (parsed block by block
    straight into them), the same as the exact path; a blank line amid many blocks steps aside."""
    lines = _big_interchange()
    path = tmp_path / "big.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    fast = interchange._read_fast(path)
    assert fast is not None
    s = fast.samples
    assert s.t_s.ndim == 1 and s.acc_g.shape == (len(lines), 3) and s.gyro_dps is not None
    for array in (s.t_s, s.acc_g, s.gyro_dps):
        assert array.flags.c_contiguous and array.flags.writeable and array.flags.owndata
    _assert_same(fast, _read(path, fast=False))
    blank = tmp_path / "blank.csv"
    blank.write_text("\n".join([HEADER, *lines[:20_000], "", *lines[20_000:]]) + "\n", encoding="utf-8")
    exact = _read(blank, fast=False)
    assert not isinstance(exact, str) and len(exact.samples) == len(lines)
    _assert_same(_read(blank, fast=True), exact)
    declined_or_same = _fast_only(blank)
    if declined_or_same is not None:
        _assert_same(declined_or_same, exact)
