"""Every command × bad input: one line on stderr, exit 2, no traceback, never NaN in JSON.

Each case below was an "internal error", a traceback, a hang or invalid JSON before the hardening
(issue 10). The last tests are a fuzzer: hypothesis mutates a good session file within a fixed
budget and every command must still answer 0 or 2 with at most one line of error.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.cli import main

REPO = Path(__file__).resolve().parent.parent
GOOD = REPO / "fixtures" / "simulated" / "squat_thigh_left.csv"
SENSORTRACK = Path(sys.executable).with_name("sensortrack")
TEXT = GOOD.read_text(encoding="utf-8")
LINES = TEXT.split("\n")
META = json.loads(LINES[1][len("# meta ") :])
FIRST_ROW = next(i for i, line in enumerate(LINES) if i > 2 and line and line[0].isdigit())


def _meta_line(**changes: object) -> str:
    return "# meta " + json.dumps({**META, **changes})


def _with_line(index: int, line: str) -> str:
    return "\n".join([*LINES[:index], line, *LINES[index + 1 :]])


def _with_cell(column: int, value: str) -> str:
    cells = LINES[FIRST_ROW + 10].split(",")
    cells[column] = value
    return _with_line(FIRST_ROW + 10, ",".join(cells))


def _deep(n: int = 100_000) -> str:
    return "[" * n + "]" * n


def _plain(rows: list[str], header: str = "t,ax,ay,az") -> str:
    return "\n".join([header, *rows]) + "\n"


BAD_FILES: dict[str, str] = {
    "underscore_digits": _with_cell(1, "1_0"),
    "arabic_digits": _with_cell(2, "٣"),
    "fullwidth_digits": _with_cell(0, "１"),
    "gap_lost_infinity": _with_line(FIRST_ROW + 5, '# gap {"start_s": 1.0, "end_s": 2.0, "lost_samples": Infinity}'),
    "gap_lost_nan": _with_line(FIRST_ROW + 5, '# gap {"start_s": 1.0, "end_s": 2.0, "lost_samples": NaN}'),
    "gap_lost_1e999": _with_line(FIRST_ROW + 5, '# gap {"start_s": 1.0, "end_s": 2.0, "lost_samples": 1e999}'),
    "gap_nested": _with_line(FIRST_ROW + 5, "# gap " + _deep()),
    "meta_nested": _with_line(1, "# meta " + _deep()),
    "rate_infinity": _with_line(1, _meta_line(sensor={**META["sensor"], "nominal_rate_hz": "Infinity"})),
    "rate_nan": _with_line(1, _meta_line(sensor={**META["sensor"], "nominal_rate_hz": float("nan")})),
    "rate_1e999": _with_line(1, _meta_line(sensor={**META["sensor"], "nominal_rate_hz": "1e999"})),
    "start_year_1": _with_line(1, _meta_line(start_time_utc="0001-01-01T00:00:00+00:00")),
    "one_sample_csv": _plain(["0.0,0,0,1"]),
    "milliseconds": _plain([f"{i * 10},0,0,1" for i in range(500)]),
    "microseconds": _plain([f"{i * 10000},0,0,1" for i in range(500)]),
    "hash_in_text_column": _plain([f"{i / 50:.2f},0,0,1,set #1" for i in range(3)] + ["0.1,0,0,x,#"], "t,ax,ay,az,label"),
    "binary": "\x00\x01\x02garbage\xff",
}

COMMANDS: list[list[str]] = [
    ["analyze", "{f}", "--exercise", "squat", "--placement", "thigh", "--side", "left"],
    ["analyze", "{f}", "--json", "--exercise", "squat", "--placement", "thigh", "--side", "left"],
    ["import", "{f}", "--library", "{lib}"],
    ["export", "{f}", "-o", "{out}.json", "--exercise", "squat", "--placement", "thigh", "--side", "left"],
    ["report", "{f}", "-o", "{out}.html", "--exercise", "squat", "--placement", "thigh", "--side", "left"],
]


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _assert_clean_failure(code: int, out: str, err: str) -> None:
    assert code == 2, (code, err)
    assert err.count("\n") == 1 and err.startswith("sensortrack: error: "), err
    assert "Traceback" not in err and "internal error" not in err
    assert "NaN" not in out and "Infinity" not in out


@pytest.mark.parametrize("name", sorted(BAD_FILES))
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c[:2]).replace("{f}", "f"))
def test_bad_file_is_one_line_and_exit_2(
    name: str, command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_text(BAD_FILES[name], encoding="utf-8", errors="surrogateescape")
    argv = [a.format(f=path, lib=tmp_path / "lib.sqlite3", out=tmp_path / "out") for a in command]
    _assert_clean_failure(*_run(capsys, argv))


def test_named_pipe_and_symlink_loop_do_not_hang(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.csv"
    loop.symlink_to(tmp_path / "loop2.csv")
    (tmp_path / "loop2.csv").symlink_to(loop)
    for target in (fifo, loop):
        for argv in (["analyze", str(target)], ["import", str(target), "--library", str(tmp_path / "l.sqlite3")],
                     ["export", str(target), "-o", str(tmp_path / "x.csv")], ["replay", str(target)]):  # fmt: skip
            _assert_clean_failure(*_run(capsys, argv))
    # … and as an output
    assert main(["export", str(GOOD), "-o", str(fifo), "--force"]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_long_output_name_and_a_full_disk_are_one_line(tmp_path: Path) -> None:
    long_name = tmp_path / ("x" * 300 + ".json")
    done = subprocess.run([str(SENSORTRACK), "export", str(GOOD), "-o", str(long_name)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "too long" in done.stderr

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    out = tmp_path / "big.json"
    done = subprocess.run(
        [str(SENSORTRACK), "export", str(GOOD), "-o", str(out)], capture_output=True, text=True, timeout=120, preexec_fn=small_files
    )
    assert done.returncode == 2 and done.stderr.strip() == "sensortrack: error: File too large"
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".big")]  # no half file


@pytest.fixture
def library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "lib.sqlite3"
    assert main(["import", str(GOOD), "--library", str(path)]) == 0
    capsys.readouterr()
    return path


@pytest.mark.parametrize(
    "argv",
    [["sessions", "--since", "0001-01-01"], ["sessions", "--until", "9999-12-31"], ["sessions", "--since", "9999-12-31"]],
)
def test_extreme_dates_filter_instead_of_crashing(library: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, [*argv, "--json", "--library", str(library)])
    assert code == 0 and err == ""
    assert len(json.loads(out)) == (0 if argv[-1] == "9999-12-31" and argv[1] == "--since" else 1)


@pytest.mark.parametrize("session_id", ["99999999999999999999999", "9223372036854775808", "-1"])
def test_huge_session_ids_are_unknown_sessions(library: Path, session_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["sessions", "show", session_id], ["sessions", "delete", session_id, "--yes"],
                 ["export", session_id, "-o", str(library.with_name("x.csv"))]):  # fmt: skip
        code, out, err = _run(capsys, [*argv, "--library", str(library)])
        if argv[0] == "export" and session_id == "-1":
            assert code == 2 and "no such file" in err
            continue
        _assert_clean_failure(code, out, err)
        assert "no session #" in err


@pytest.mark.parametrize(
    ("column", "value"),
    [("exercise", "yoga"), ("placement", "ankle"), ("duration_s", "long"), ("rate_hz", "fast"), ("sample_count", "many"),
     ("side", "both"), ("mean_range_deg", "wide"), ("start_time_utc", "0001-01-01T00:00:00+00:00")],
)  # fmt: skip
def test_hand_edited_rows_do_not_crash_show_report_or_reanalyze(
    library: Path, tmp_path: Path, column: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(library) as conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")  # as a hand edit in another tool can
        conn.execute(f"UPDATE sessions SET {column} = ?", (value,))  # noqa: S608 - our own column names
        conn.execute("UPDATE reps SET range_deg = 'deep' WHERE rep_index = 1")
    for argv in (["sessions"], ["sessions", "show", "1"], ["sessions", "show", "1", "--json"],
                 ["report", "1", "-o", str(tmp_path / "r.html")], ["report", "-o", str(tmp_path / "p.html")],
                 ["export", "1", "-o", str(tmp_path / "e.json")], ["sessions", "reanalyze", "--jobs", "1"]):  # fmt: skip
        code, out, err = _run(capsys, [*argv, "--library", str(library)])
        assert "internal error" not in err and "Traceback" not in err, (argv, err)
        assert code in (0, 1, 2), (argv, code)
        if "--json" in argv and code == 0:
            json.loads(out)
        (tmp_path / "r.html").unlink(missing_ok=True)
        (tmp_path / "p.html").unlink(missing_ok=True)
        (tmp_path / "e.json").unlink(missing_ok=True)


def test_control_characters_from_files_are_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dated_copy: Callable[[Path, Path, str], Path]
) -> None:
    hostile = "\x1b]0;pwned\x07\x1b[2J\r\nsensortrack: error: forged"
    text = _with_line(1, _meta_line(notes=hostile, sensor={**META["sensor"], "model": "IMU\x1b[31m", "name": "x\ry"}))
    path = tmp_path / "hostile\x1b[2J.csv"
    path.write_text(text, encoding="utf-8")
    library = tmp_path / "lib.sqlite3"
    outputs = []
    for argv in (["import", str(path), "--library", str(library)], ["sessions", "--library", str(library)],
                 ["sessions", "show", "1", "--library", str(library)], ["analyze", str(path)]):  # fmt: skip
        code, out, err = _run(capsys, argv)
        assert code == 0, err
        outputs.append(out + err)
    broken = _with_line(FIRST_ROW + 3, "0.1,\x1b[2Jx,0,1,0,0,0")
    bad = tmp_path / "bad.csv"
    bad.write_text(broken, encoding="utf-8")
    code, out, err = _run(capsys, ["analyze", str(bad)])
    assert code == 2 and err.count("\n") == 1
    for text_out in [*outputs, err]:
        assert "\x1b" not in text_out and "\x07" not in text_out and "\r" not in text_out
        assert "\nsensortrack: error: forged" not in text_out
    assert "\\x1b]0;pwned" in outputs[2]  # shown, escaped


def test_a_recording_of_one_sample_is_still_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Stopped right after its first sample: nothing to analyse, but nothing recorded is refused."""
    path = tmp_path / "one.csv"
    path.write_text("\n".join(LINES[: FIRST_ROW + 1]) + "\n", encoding="utf-8")
    for argv in (["analyze", str(path), "--json"], ["import", str(path), "--library", str(tmp_path / "lib.sqlite3")],
                 ["export", str(path), "-o", str(tmp_path / "one.json")]):  # fmt: skip
        code, out, err = _run(capsys, argv)
        assert code == 0, err
    assert json.loads((tmp_path / "one.json").read_text(encoding="utf-8"), parse_constant=lambda c: pytest.fail(c))


def test_analyze_json_never_prints_nan_or_infinity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "still.csv"
    path.write_text(_plain([f"{i / 50:.3f},0,0,1" for i in range(50)]), encoding="utf-8")
    code, out, err = _run(capsys, ["analyze", str(path), "--json", "--exercise", "squat", "--placement", "thigh", "--side", "left"])
    assert code == 0, err
    json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


# ---- fuzzer: mutations of a good session file, fixed budget, every command -------------------------

_HEAD = "\n".join(LINES[: FIRST_ROW + 300]) + "\n# end\n"


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = _HEAD
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "duplicate_line"]))
        junk = draw(st.text(alphabet=st.sampled_from(list("0123456789.,-+eE#\n \"{}[]:naifNI_١\x00\x1b")), max_size=12))
        if kind == "insert":
            text = text[:at] + junk + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif kind == "replace":
            text = text[:at] + junk + text[at + len(junk) :]
        elif kind == "truncate":
            text = text[:at]
        else:
            lines = text.split("\n")
            k = draw(st.integers(0, len(lines) - 1))
            text = "\n".join([*lines[: k + 1], lines[k], *lines[k + 1 :]])
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=mutated(), command=st.sampled_from(COMMANDS))
def test_fuzz_mutated_session_files(text: str, command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mutant.csv"
    path.write_text(text, encoding="utf-8")
    out_base = tmp_path / "out"
    for stale in tmp_path.glob("out*"):
        stale.unlink()
    argv = [a.format(f=path, lib=tmp_path / "lib.sqlite3", out=out_base) for a in command]
    code, out, err = _run(capsys, argv)
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err and "internal error" not in err, err
    assert err.count("\n") <= (1 if code == 2 else 3), err  # success may add a note or two
    if "--json" in argv:
        if code == 0:
            json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    (tmp_path / "lib.sqlite3").unlink(missing_ok=True)
    for side in tmp_path.glob("lib*"):
        if side.is_file():
            side.unlink()


# ---- hypothesis over settings, dates and IDs ------------------------------------------------------

_SETTING_NAMES = sorted(f.name for f in fields(AnalysisSettings))
_VALUE_TEXT = st.one_of(
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["nan", "inf", "-0", "1_0", "١", "true", "1e999", "0x10", " 3 ", "5."]),
)


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(_SETTING_NAMES), value=_VALUE_TEXT)
def test_fuzz_settings_are_valid_or_one_config_error(key: str, value: str) -> None:
    import math
    from dataclasses import asdict

    from sensortrack.analysis.front_end import ANALYSIS_RATE_HZ
    from sensortrack.config import load_settings
    from sensortrack.core.errors import ConfigError
    from sensortrack.core.settings_validation import check_settings

    try:
        loaded = load_settings([f"{key}={value}"])
    except ConfigError as exc:
        assert "\n" not in str(exc) and key in str(exc)
        return
    values = asdict(loaded)
    check_settings(values, ANALYSIS_RATE_HZ)  # whatever got through is in range
    assert all(math.isfinite(v) for v in values.values() if isinstance(v, float))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=14), st.dates().map(str)), flag=st.sampled_from(["--since", "--until"]))
def test_fuzz_date_filters(text: str, flag: str, library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, ["sessions", f"{flag}={text}", "--json", "--library", str(library)])
    if code == 0:
        assert isinstance(json.loads(out), list)
    else:
        _assert_clean_failure(code, out, err)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(session_id=st.one_of(st.integers(-(10**25), 10**25), st.just(1)))
def test_fuzz_session_ids(session_id: int, library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, ["sessions", "show", str(session_id), "--json", "--library", str(library)])
    if code == 0:
        assert json.loads(out)["session"]["id"] == session_id
    else:
        _assert_clean_failure(code, out, err)


# Session 9 (benchmarks/hostile_matrix.py): numbers on the command line. `--speed inf` passed the
# "must be positive" checks and ended as an internal error inside the virtual clock; NaN compared
# false with every limit; a negative fault time or an absurd clock drift went through silently.
BAD_FLAGS: list[tuple[list[str], str]] = [
    (["replay", str(GOOD), "--speed", "inf"], "'inf' is not a number"),
    (["replay", str(GOOD), "--speed", "nan"], "not a number"),
    (["replay", str(GOOD), "--speed", "1_0"], "not a number"),
    (["demo", "--speed", "1e999"], "not a finite number"),
    (["live", "--virtual", "open_profile", "--from", str(GOOD), "--no-setup", "--rate", "inf"], "'inf' is not a number"),
    (["scan", "--timeout", "nan"], "not a number"),
    (["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", "{out}", "--speed", "inf"], "'inf' is not a number"),
    (["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", "{out}", "--duration", "1e999"], "'1e999' is not a finite number"),
    (["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", "{out}", "--drop-at", "-1"], "--drop-at must not be negative"),
    (["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", "{out}", "--stall-at", "-0.5"], "--stall-at must not be negative"),
    (["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", "{out}", "--clock-drift-ppm", "1e308"], "--clock-drift-ppm must be within"),
    (["record", "--virtual", "open_profile:thigh:left", "--from", str(GOOD), "--virtual", "open_profile:shank:left", "--from", str(GOOD),
      "-o", "{out}", "--clock-drift-ppm", "1", "--clock-drift-ppm=-1e9"], "--clock-drift-ppm must be within"),
    (["analyze", str(GOOD), "--exercise", "jumping"], "invalid choice: 'jumping'"),
    (["sessions", "show", "abc"], "invalid int value: 'abc'"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "message"), BAD_FLAGS, ids=lambda v: " ".join(v[:1] + v[-2:]) if isinstance(v, list) else None)
def test_bad_flag_value_is_one_line_and_exit_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a.format(out=tmp_path / "r.csv") for a in argv]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refusing a value: now one line too, no usage block
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert code == 2, err
    assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "r.csv").exists()


def test_session_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Notepad and some spreadsheets save UTF-8 with a BOM; the session file was then 'missing columns'."""
    from sensortrack.core.sessionfile import _read_exact, _read_fast

    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.read_bytes())
    clean = _read_exact(GOOD)
    for read in (_read_fast, _read_exact):
        session = read(path)
        assert session is not None and len(session.samples) == len(clean.samples)
        assert session.meta.exercise == clean.meta.exercise
    assert main(["analyze", str(path), "--json"]) == 0


@pytest.mark.parametrize(
    ("magic", "name"),
    [(b"\x1f\x8b\x08\x00", "is gzip-compressed"), (b"BZh91AY", "is bzip2-compressed"), (b"\xfd7zXZ\x00\x00", "is xz-compressed"),
     (b"SQLite format 3\x00", "is a SQLite database")],
)  # fmt: skip
def test_compressed_file_or_a_library_is_named_as_such(
    magic: bytes, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "session.csv.gz"
    path.write_bytes(magic + bytes(range(256)))
    _assert_clean_failure(*_run(capsys, ["analyze", str(path)]))
    path.write_bytes(magic + bytes(range(256)))
    assert main(["import", str(path), "--library", str(tmp_path / "l.sqlite3")]) == 2
    assert name in capsys.readouterr().err
