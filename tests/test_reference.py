"""Personal knee-drift references through the real CLI, against real library files.

The reference and the faulty reps come from one simulated person: fixtures/simulated/
squat_thigh_left.csv is cut at its labelled set boundaries into its clean first set (the person's
good reps) and its all-knee-valgus second set. Without a reference that second session has no clean
rep to form a baseline from; with one, every faulty rep is judged against the person's own pattern.
"""

from __future__ import annotations

import json
import re
import sqlite3
import statistics
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.cli import main
from sensortrack.library.schema import MIGRATIONS, SCHEMA_VERSION
from sensortrack.library.store import Library
from sensortrack.core.model import Session
from sensortrack.personal_reference import stored_lookup
from sensortrack.session_analysis import analyze_session
from sensortrack.core.sessionfile import read_session, write_session
from sensortrack.simulation import load_labels

REPO = Path(__file__).resolve().parents[1]
SIMULATED = REPO / "fixtures" / "simulated"
NO_REFERENCE = "no personal reference: warnings judged against this session's own reps"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _cut(session: Session, start_s: float, end_s: float) -> Session:
    """Samples in [start_s, end_s), time restarted at 0 (a recording of just that stretch)."""
    t = session.samples.t_s
    lo, hi = (int(i) for i in np.searchsorted(t, [start_s, end_s]))
    block = session.samples.slice(lo, hi)
    block = replace(block, t_s=block.t_s - block.t_s[0])
    return replace(session, samples=block, gaps=())


def _set_stretches(name: str) -> list[tuple[float, float]]:
    """Each labelled set with the standing before and after it (from the labels' distractors)."""
    labels = load_labels(SIMULATED / f"{name}.csv")
    stands = [d for d in labels.distractors if d.kind == "stand"]
    out = []
    for st in labels.sets:
        before = max((d.start_s for d in stands if d.end_s <= st.start_s + 1e-6), default=0.0)
        after = min((d.end_s for d in stands if d.start_s >= st.end_s - 1e-6), default=st.end_s + 2.0)
        out.append((before, after))
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sessions")
    left = read_session(SIMULATED / "squat_thigh_left.csv")
    right = read_session(SIMULATED / "squat_thigh_right.csv")
    labels = load_labels(SIMULATED / "squat_thigh_left.csv")
    assert not labels.sets[0].drift and all(r.valgus for r in labels.sets[1].reps)  # what the cuts rely on
    (clean_a, clean_b), (valgus_a, valgus_b), _ = _set_stretches("squat_thigh_left")
    (right_a, right_b), _ = _set_stretches("squat_thigh_right")
    two_reps_end = labels.sets[0].reps[1].end_s + 1.5
    out = {
        "clean": _cut(left, clean_a, clean_b),
        "valgus": _cut(left, valgus_a, valgus_b),
        "clean_right": _cut(right, right_a, right_b),
        "two_reps": _cut(left, clean_a, two_reps_end),
    }
    paths = {}
    for name, session in out.items():
        paths[name] = folder / f"{name}.csv"
        write_session(paths[name], session)
    paths["clamshell"] = SIMULATED / "clamshell_thigh_left.csv"
    return paths


def _analyze_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    code, out, err = run(capsys, "analyze", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def _reps(doc: dict[str, object]) -> list[dict[str, object]]:
    return [rep for s in doc["sets"] for rep in s["reps"]]  # type: ignore[index, union-attr]


def test_a_reference_judges_each_rep_against_the_persons_own_clean_reps(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    clean_reps = analyze_session(read_session(files["clean"])).reps
    assert len(clean_reps) == 6 and all(r.knee_drift_deg is not None for r in clean_reps)
    # Each reference rep's drift taken at the reference's median depth (reference.py).
    usual_ref = statistics.median([r.range_deg for r in clean_reps])
    clean_drifts = [r.knee_drift_deg * usual_ref / r.range_deg for r in clean_reps]  # type: ignore[operator]
    median = statistics.median(clean_drifts)
    spread = 1.4826 * statistics.median([abs(d - median) for d in clean_drifts])
    # The calibrated plane (a reference stored without the person's plane): its arithmetic in full.
    calibrated = ("--set", "drift_reference_plane=false")
    s = AnalysisSettings(drift_reference_plane=False)
    # The person's noise floor: the spread a new rep has around the median of 6 (× √(1 + 1/6)).
    margin = max(s.drift_margin_over_reference_deg, s.drift_spread_multiple * spread * (1 + 1 / 6) ** 0.5)
    ceiling = median + s.drift_restrap_shift_thigh_deg  # the strap may lift today's level this far

    doc = _analyze_json(capsys, str(files["valgus"]), "--reference", str(files["clean"]), *calibrated)
    ref = doc["drift_reference"]
    assert ref["kind"] == "personal" and ref["source"] == str(files["clean"]) and ref["reps"] == 6  # type: ignore[index]
    assert ref["median_deg"] == pytest.approx(median, abs=0.01)  # type: ignore[index]
    assert ref["spread_deg"] == pytest.approx(spread, abs=0.01)  # type: ignore[index]
    reps = _reps(doc)
    assert len(reps) == 6
    for i, rep in enumerate(reps):
        drift = rep["knee_drift_deg"]
        assert rep["knee_drift_over_reference_deg"] == pytest.approx(drift - median, abs=0.11)
        # The limit at the rep's own depth: the person's level today × range / today's usual range,
        # + margin. The level: the reference's median + the strap's shift until today's reps say,
        # then the lower quartile of today's reps so far (at today's usual depth), never higher.
        limit = ceiling + margin
        if i >= s.drift_baseline_reps:
            before = reps[:i]
            usual = statistics.median([r["range_deg"] for r in before])
            today = sorted(r["knee_drift_deg"] * usual / r["range_deg"] for r in before)
            pos = 0.25 * (len(today) - 1)
            lower_quartile = today[int(pos)] + (pos - int(pos)) * (today[min(int(pos) + 1, len(today) - 1)] - today[int(pos)])
            limit = min(ceiling, lower_quartile) * rep["range_deg"] / usual + margin
        assert rep["drift_limit_deg"] == pytest.approx(limit, abs=0.3)
        if rep["warnings"]:
            threshold = rep["warning_details"][0]["threshold_deg"]
            assert rep["warning_details"][0]["value_deg"] > threshold - 0.05
            assert threshold <= limit + 0.3  # reached on the way down: at a depth up to the rep's range
    with_reference = sum(1 for rep in reps if rep["warnings"])
    # Every rep of this set was made to cave in. A session of faulty reps only lifts today's level
    # by up to the strap's shift (reference.py), so from the calibrated plane one rep (6.5° against
    # 7.0°) goes unwarned; out of the person's plane (the default) every one is warned.
    assert with_reference >= 5
    default = _analyze_json(capsys, str(files["valgus"]), "--reference", str(files["clean"]))
    assert "plane_axis_cal" in default["drift_reference"]  # type: ignore[operator]
    assert sum(1 for rep in _reps(default) if rep["warnings"]) == 6

    # The same session judged against its own reps: every rep is faulty, so no baseline of clean
    # reps exists and most go unwarned. That is what the reference is for.
    alone = _analyze_json(capsys, str(files["valgus"]), *calibrated)
    assert alone["drift_reference"]["kind"] == "session"  # type: ignore[index]
    assert all(rep["knee_drift_over_reference_deg"] is None for rep in _reps(alone))
    assert sum(1 for rep in _reps(alone) if rep["warnings"]) < with_reference
    assert [r["knee_drift_deg"] for r in _reps(alone)] == [r["knee_drift_deg"] for r in reps]  # raw measure kept

    # The clean session judged against itself: no rep is warned.
    own = _analyze_json(capsys, str(files["clean"]), "--reference", str(files["clean"]), *calibrated)
    assert not any(rep["warnings"] for rep in _reps(own))

    code, out, err = run(capsys, "analyze", str(files["valgus"]), "--reference", str(files["clean"]))
    assert code == 0, err
    plane_median = default["drift_reference"]["median_deg"]  # type: ignore[index]
    assert f"judged against the personal reference {files['clean']} (6 reps, median {plane_median:.1f}°" in out
    assert "over ref" in out and out.count("KNEE DRIFTING INWARD") == 6
    code, out, _ = run(capsys, "analyze", str(files["valgus"]))
    assert NO_REFERENCE in out and "over ref" not in out


@pytest.mark.parametrize(
    ("target", "reference", "extra", "message"),
    [
        ("valgus", "clean_right", (), "is squat with the sensor on the right thigh, this session squat with the sensor on the left thigh"),
        # Two reps are not a set: nothing to take a reference from.
        ("valgus", "two_reps", (), "two_reps.csv has 0 reps with a knee-drift value; a reference needs 3"),
        ("valgus", "clean", ("--set", "drift_reference_min_reps=10"), "has 6 reps with a knee-drift value; a reference needs 10"),
        ("clamshell", "clean", (), "knee drift is not measured for clamshell"),
        ("valgus", "missing", (), "no such file (and not a library session ID)"),
        ("valgus", "#42", (), "no library at"),
    ],
)
def test_a_bad_reference_is_one_line_and_exit_2(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    target: str,
    reference: str,
    extra: tuple[str, ...],
    message: str,
) -> None:
    ref = str(files.get(reference, tmp_path / reference)) if not reference.startswith("#") else reference
    code, out, err = run(
        capsys, "analyze", str(files[target]), "--reference", ref, "--library", str(tmp_path / "none.sqlite3"), *extra
    )
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("sensortrack: error: ") and message in err, err


def test_reference_and_no_reference_exclude_each_other(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "analyze", str(files["valgus"]), "--reference", str(files["clean"]), "--no-reference")
    assert code == 2 and out == "" and err.strip() == "sensortrack: error: --reference and --no-reference exclude each other"


@pytest.fixture
def library(tmp_path: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> Path:
    """#1 the clean squats, #2 the valgus squats, #3 a clamshell session; no reference yet."""
    path = tmp_path / "lib.sqlite3"
    code, out, err = run(
        capsys, "import", str(files["clean"]), str(files["valgus"]), str(files["clamshell"]), "--library", str(path)
    )
    assert code == 0 and out.count("imported #") == 3, err
    return path


def _show(capsys: pytest.CaptureFixture[str], library: Path, session_id: int) -> dict[str, object]:
    code, out, err = run(capsys, "sessions", "show", str(session_id), "--json", "--library", str(library))
    assert code == 0, err
    return json.loads(out)["session"]


def test_reference_set_is_used_by_default_and_no_reference_ignores_it(
    library: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    lib = str(library)
    code, out, _ = run(capsys, "reference", "--library", lib)
    assert code == 0 and "No references" in out
    before = _show(capsys, library, 2)
    assert before["drift_reference"]["kind"] == "session"  # type: ignore[index]

    # A session with faulty reps can be set, with a note: judged on their own, some reps were warned.
    code, out, err = run(capsys, "reference", "set", "2", "--library", lib)
    assert code == 0 and re.search(r"note: [1-6] of its 6 reps drifted past the limit of the session's own reps", out)
    code, out, err = run(capsys, "reference", "set", "1", "--library", lib)
    assert code == 0, err
    assert out.startswith("replaced the squat thigh left reference of me: library session #1, 6 reps")
    assert "note:" not in out
    assert "sessions reanalyze --exercise squat --placement thigh --side left" in out

    # analyze without --reference: the stored one.
    doc = _analyze_json(capsys, str(files["valgus"]), "--library", lib)
    ref = doc["drift_reference"]
    assert ref["kind"] == "personal" and ref["source"] == "library session #1, reference of me"  # type: ignore[index]
    by_file = _analyze_json(capsys, str(files["valgus"]), "--reference", str(files["clean"]))
    assert _reps(doc) == _reps(by_file)  # the stored reference judges exactly like the file it came from
    assert all(rep["warnings"] for rep in _reps(doc))
    code, out, _ = run(capsys, "analyze", str(files["valgus"]), "--library", lib)
    assert "judged against the personal reference library session #1, reference of me (6 reps" in out

    # --no-reference: the session's own reps, as if there were none.
    doc = _analyze_json(capsys, str(files["valgus"]), "--library", lib, "--no-reference")
    assert doc["drift_reference"]["kind"] == "session"  # type: ignore[index]
    assert all(rep["knee_drift_over_reference_deg"] is None for rep in _reps(doc))
    code, out, _ = run(capsys, "analyze", str(files["valgus"]), "--library", lib, "--no-reference")
    assert NO_REFERENCE in out
    # Another person has no reference.
    doc = _analyze_json(capsys, str(files["valgus"]), "--library", lib, "--person", "ana")
    assert doc["drift_reference"]["kind"] == "session"  # type: ignore[index]

    # The library's summaries: #2 was imported before the reference; reanalyze applies it.
    code, _, err = run(capsys, "sessions", "reanalyze", "--jobs", "1", "--library", lib)
    assert code == 0, err
    after = _show(capsys, library, 2)
    assert after["drift_reference"]["kind"] == "personal" and after["drift_reference"]["limit_deg"] > 0  # type: ignore[index]
    assert after["knee_drift_reps"] == 6 > before["knee_drift_reps"]  # type: ignore[operator]
    code, out, _ = run(capsys, "sessions", "show", "2", "--library", lib)
    assert "  reference  personal reference: library session #1, reference of me (6 reps, median " in out
    code, _, err = run(capsys, "sessions", "reanalyze", "--jobs", "1", "--no-reference", "--library", lib)
    assert code == 0, err
    assert _show(capsys, library, 2)["drift_reference"]["kind"] == "session"  # type: ignore[index]
    code, out, _ = run(capsys, "sessions", "show", "2", "--library", lib)
    assert f"  reference  {NO_REFERENCE}" in out

    # import uses it too (a re-import with metadata analyses the session again).
    code, _, err = run(capsys, "import", str(files["valgus"]), "--side", "left", "--library", lib)
    assert code == 0, err
    assert _show(capsys, library, 2)["drift_reference"]["kind"] == "personal"  # type: ignore[index]
    code, _, err = run(capsys, "import", str(files["valgus"]), "--side", "left", "--no-reference", "--library", lib)
    assert _show(capsys, library, 2)["drift_reference"]["kind"] == "session"  # type: ignore[index]


def test_report_and_export_use_the_stored_reference(
    library: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lib = str(library)
    assert run(capsys, "reference", "set", "1", "--library", lib)[0] == 0
    code, _, err = run(capsys, "report", "2", "-o", str(tmp_path / "with.html"), "--library", lib)
    assert code == 0, err
    assert "this person's own reference (library session #1, reference of me, 6 good reps" in (tmp_path / "with.html").read_text()
    code, _, err = run(capsys, "report", "2", "-o", str(tmp_path / "without.html"), "--library", lib, "--no-reference")
    assert code == 0, err
    assert "There is no personal reference for this exercise" in (tmp_path / "without.html").read_text()

    for flags, warned in (((), 6), (("--no-reference",), None)):
        out = tmp_path / f"export{len(flags)}.json"
        code, _, err = run(capsys, "export", str(files["valgus"]), "-o", str(out), "--library", lib, *flags)
        assert code == 0, err
        reps = json.loads(out.read_text())["reps"]
        n_warned = sum(1 for r in reps if "knee_drift" in r["warnings"])
        assert n_warned == 6 if warned else n_warned < 6


def test_reference_list_show_clear_and_persons(
    library: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = str(library)
    assert run(capsys, "reference", "set", "#1", "--library", lib)[0] == 0
    assert run(capsys, "reference", "set", "1", "--person", "Ana", "--library", lib)[0] == 0
    code, out, _ = run(capsys, "reference", "--library", lib)
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:4] == ["Person", "Exercise", "Placement", "Side"]
    assert [line.split()[0] for line in lines[2:]] == ["Ana", "me"]
    code, out, _ = run(capsys, "reference", "list", "--person", "Ana", "--json", "--library", lib)
    listed = json.loads(out)
    assert [r["person"] for r in listed] == ["Ana"] and listed[0]["session_id"] == 1
    code, out, _ = run(capsys, "reference", "set", "1", "--json", "--library", lib)
    assert code == 0 and json.loads(out)["reps_warned_on_their_own"] == 0 and json.loads(out)["reps"] == 6

    code, out, _ = run(capsys, "reference", "show", "squat", "thigh", "left", "--library", lib)
    assert code == 0 and "reference of me" in out and "from       session #1" in out and "warns past" in out
    code, out, err = run(capsys, "reference", "show", "lunge", "thigh", "left", "--library", lib)
    assert code == 2 and err.strip() == "sensortrack: error: me has no reference for lunge thigh left (`sensortrack reference set ID`)"

    # config.toml names the person the commands use.
    config = tmp_path / "config.toml"
    config.write_text('[reference]\nperson = "Ana"\n', encoding="utf-8")
    monkeypatch.setenv("SENSORTRACK_CONFIG", str(config))
    assert run(capsys, "reference", "clear", "squat", "thigh", "left", "--person", "me", "--library", lib)[0] == 0
    doc = _analyze_json(capsys, str(files["valgus"]), "--library", lib)
    assert doc["drift_reference"]["source"] == "library session #1, reference of Ana"  # type: ignore[index]
    code, out, _ = run(capsys, "reference", "clear", "squat", "thigh", "left", "--library", lib)
    assert code == 0 and "cleared the squat thigh left reference of Ana" in out
    assert _analyze_json(capsys, str(files["valgus"]), "--library", lib)["drift_reference"]["kind"] == "session"  # type: ignore[index]
    code, _, err = run(capsys, "reference", "clear", "squat", "thigh", "left", "--library", lib)
    assert code == 2 and err.count("\n") == 1

    # Deleting the reference's session keeps the reference (its numbers are stored).
    assert run(capsys, "reference", "set", "1", "--library", lib)[0] == 0
    assert run(capsys, "sessions", "delete", "1", "--yes", "--library", lib)[0] == 0
    code, out, _ = run(capsys, "reference", "show", "--json", "--library", lib)
    assert json.loads(out)[0]["session_id"] is None
    assert _analyze_json(capsys, str(files["valgus"]), "--library", lib)["drift_reference"]["kind"] == "personal"  # type: ignore[index]

    config.write_text('[reference]\nperson = ""\n', encoding="utf-8")
    code, out, err = run(capsys, "analyze", str(files["valgus"]), "--library", lib)
    assert code == 2 and err.count("\n") == 1 and "[reference] person" in err


@pytest.mark.parametrize(
    ("session_id", "message"),
    [
        ("3", "knee drift is not measured for clamshell"),
        ("9", "no session #9 in library"),
        ("abc", "reference set takes a library session ID, got 'abc'"),
    ],
)
def test_reference_set_refuses_what_cannot_be_a_reference(
    library: Path, capsys: pytest.CaptureFixture[str], session_id: str, message: str
) -> None:
    code, out, err = run(capsys, "reference", "set", session_id, "--library", str(library))
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err, err


def test_a_library_id_works_as_reference(library: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    doc = _analyze_json(capsys, str(files["valgus"]), "--reference", "1", "--library", str(library))
    assert doc["drift_reference"]["source"] == "library session #1"  # type: ignore[index]
    code, out, err = run(capsys, "analyze", str(files["valgus"]), "--reference", "3", "--library", str(library))
    assert code == 2 and "the reference (library session #3) is clamshell" in err


async def test_replay_uses_the_stored_reference(library: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    from sensortrack.tui.app import replay_app

    assert run(capsys, "reference", "set", "1", "--library", str(library))[0] == 0
    expected = _analyze_json(capsys, str(files["valgus"]), "--library", str(library))
    app = replay_app(files["valgus"], 1000.0, reference=stored_lookup(str(library), "me"))
    assert app.ctx.reference is not None and app.ctx.reference.source == "library session #1, reference of me"
    async with app.run_test(size=(100, 36)) as pilot:
        while app.result is None:
            await pilot.pause(0.05)
    assert app.result.to_dict()["sets"] == expected["sets"]
    assert app.result.to_dict()["drift_reference"]["kind"] == "personal"


async def test_live_view_and_its_registration_use_the_reference(
    library: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import io

    from sensortrack.library.cli_options import register_recording_or_note
    from sensortrack.tui.app import make_app
    from sensortrack.tui.live import open_virtual_source

    assert run(capsys, "reference", "set", "1", "--library", str(library))[0] == 0
    reference = stored_lookup(str(library), "me")("squat", "thigh", "left")
    assert reference is not None
    out = tmp_path / "live.csv"
    source, choice = await open_virtual_source("open_profile", files["valgus"], out, speed=20.0)
    app = make_app(
        source, choice.exercise, choice.placement, choice.side, rate_hz=source.supervisor.info.nominal_rate_hz,
        has_gyro=source.supervisor.family.has_gyro, reference=reference,
    )
    try:
        async with app.run_test(size=(110, 36)) as pilot:
            while app.result is None:
                await pilot.pause(0.05)
    finally:
        await source.close()
    assert app.result.to_dict()["drift_reference"]["kind"] == "personal"
    assert len(app.result.reps) == 6 and all(rep.warnings for rep in app.result.reps)
    register_recording_or_note(str(library), out, AnalysisSettings(), io.StringIO())
    with Library.open(library) as lib:
        recorded = lib.find_by_path(out)
        assert recorded is not None and recorded.drift_reference["kind"] == "personal"  # type: ignore[index]


def test_an_old_library_is_upgraded_and_takes_references(
    tmp_path: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A version-2 library (as sensortrack wrote it before references) keeps its sessions."""
    path = tmp_path / "old.sqlite3"
    code, _, err = run(capsys, "import", str(files["clean"]), "--library", str(path))
    assert code == 0, err
    # Take it back to version 2: what a library written before migration 3 looks like.
    conn = sqlite3.connect(path)
    conn.executescript(
        "DROP TABLE set_notes; DROP TABLE drift_references; ALTER TABLE sessions DROP COLUMN drift_reference; "
        # and what migration 5 added to the sessions table (its sets and reps it rebuilds from any)
        "ALTER TABLE sessions DROP COLUMN sensors; ALTER TABLE sessions DROP COLUMN pair; "
        "ALTER TABLE sessions DROP COLUMN pair_measures; PRAGMA user_version = 2;"
    )
    conn.close()
    assert [m.version for m in MIGRATIONS][:2] == [1, 2] and SCHEMA_VERSION >= 3

    code, out, err = run(capsys, "sessions", "show", "1", "--library", str(path))
    assert code == 0, err
    assert f"  reference  {NO_REFERENCE}" in out  # summaries from before were judged by the session
    with Library.open(path) as library:
        assert library.schema_version == SCHEMA_VERSION
    backup = sqlite3.connect(tmp_path / "old.sqlite3.v2.bak")
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 2
    backup.close()
    code, out, err = run(capsys, "reference", "set", "1", "--library", str(path))
    assert code == 0, err
    assert _analyze_json(capsys, str(files["valgus"]), "--library", str(path))["drift_reference"]["kind"] == "personal"  # type: ignore[index]

    # A newer library is refused, by the default lookup too, without being touched.
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = path.read_bytes()
    code, out, err = run(capsys, "analyze", str(files["valgus"]), "--library", str(path))
    assert code == 2 and out == "" and err.count("\n") == 1 and "upgrade sensortrack" in err
    assert path.read_bytes() == before
    assert run(capsys, "analyze", str(files["valgus"]), "--library", str(path), "--no-reference")[0] == 0


def test_todays_level_moves_the_reference_limit_down_freely_and_up_by_the_straps_shift_only() -> None:
    """The strap put on again shifts the whole session's reading: where today's reps (lower
    quartile) read less than the reference's median, the limit follows them down; where they read
    more, up by at most what re-strapping can move the measure (`drift_restrap_shift_*_deg`), so a
    session of faulty reps cannot lift its own limit further. Before today's reps say, that ceiling
    applies. A shank's tilt against gravity hardly moves with the strap: no shift."""
    from sensortrack.analysis.reference import DriftReference, SessionBaseline
    from sensortrack.analysis.sets import RepCandidate, SetTracker

    s = AnalysisSettings()
    shift = s.drift_restrap_shift_thigh_deg
    assert shift > 0 and s.drift_restrap_shift_shank_deg == 0
    ref = DriftReference("squat", "thigh", "left", median_deg=12.0, spread_deg=0.0, reps=8, source="test")
    m = ref.margin_deg(s)
    assert m == pytest.approx(s.drift_margin_over_reference_deg)  # no scatter: the floor
    assert ref.limit_deg(s) == pytest.approx(12.0 + shift + m)  # today's level not known yet
    assert ref.limit_deg(s, 8.0) == pytest.approx(8.0 + m)  # today reads lower: follow it down
    assert ref.limit_deg(s, 13.0) == pytest.approx(13.0 + m)  # a strap's shift up: follow it
    assert ref.limit_deg(s, 30.0) == pytest.approx(12.0 + shift + m)  # faulty reps: no further
    shank = replace(ref, placement="shank")
    assert shank.limit_deg(s) == pytest.approx(12.0 + shank.margin_deg(s))
    assert shank.limit_deg(s, 13.0) == pytest.approx(12.0 + shank.margin_deg(s))
    baseline = SessionBaseline(s)
    for drift in (8.0, 9.0):
        baseline.add(drift)
        assert baseline.level_deg() is None  # too few reps to say what today's level is
    baseline.add(30.0)
    assert baseline.level_deg() == pytest.approx(8.5)

    tracker = SetTracker("squat", "thigh", s, ref)
    drifts = (13.0, 13.5, 14.0, 13.2) + (40.0,) * 16  # four correct reps a little over the reference, then faulty ones
    for k, drift in enumerate(drifts):
        expected = 12.0 + shift + m
        if k >= s.drift_baseline_reps:
            expected = min(12.0 + shift, float(np.quantile(drifts[:k], 0.25))) + m
        assert tracker.drift_threshold_deg() == pytest.approx(expected)
        tracker.accept(RepCandidate(3.0 * k, 3.0 * k + 1, 3.0 * k + 2, 60.0, drift), now_s=3.0 * k + 2)
    # Over three faulty reps in four lift the lower quartile past the ceiling: the limit stops there.
    assert float(np.quantile(drifts, 0.25)) > 12.0 + shift
    assert tracker.drift_threshold_deg() == pytest.approx(12.0 + shift + m)


def test_the_margin_is_the_persons_own_scatter_above_a_noise_floor() -> None:
    """A person whose reps vary more gets a wider margin: `drift_spread_multiple` × the spread a
    new rep has around the median of the reference's n reps (× √(1 + 1/n)), never under the
    placement's floor; a short reference is less sure of its median and widens it more."""
    from sensortrack.analysis.reference import DriftReference

    s = AnalysisSettings()
    steady = DriftReference("squat", "thigh", "left", 5.0, 0.2, 12, "test", plane_cal=(1.0, 0.0, 0.0))
    assert steady.margin_deg(s) == pytest.approx(s.drift_margin_over_reference_plane_deg)
    loose = replace(steady, spread_deg=2.0)
    assert loose.margin_deg(s) == pytest.approx(s.drift_spread_multiple * 2.0 * (1 + 1 / 12) ** 0.5)
    assert loose.margin_deg(s) > steady.margin_deg(s)
    assert replace(loose, reps=3).margin_deg(s) == pytest.approx(s.drift_spread_multiple * 2.0 * (4 / 3) ** 0.5)
    # The floor is the measure's: calibrated plane, person's plane, shank.
    flat = replace(steady, plane_cal=None)
    assert flat.margin_deg(s) == pytest.approx(s.drift_margin_over_reference_deg)
    assert replace(flat, placement="shank").margin_deg(s) == pytest.approx(s.drift_margin_over_reference_shank_deg)


def test_the_reference_level_scales_with_the_reps_depth() -> None:
    """A person's habitual drift grows with depth: a reference is taken at its reps' usual depth,
    and a rep's limit follows the depth it reached against today's usual range (the margin not)."""
    import numpy as np

    from sensortrack.analysis.reference import DriftReference, at_usual_depth
    from sensortrack.analysis.sets import RepCandidate, SetTracker

    s = AnalysisSettings()
    # Three reps of one person whose drift is 0.2° per degree of depth: at the usual depth (60°)
    # they all read 12°, so no spread is left from their depth differences.
    assert at_usual_depth([10.0, 12.0, 14.0], [50.0, 60.0, 70.0]) == pytest.approx([12.0, 12.0, 12.0])
    ref = DriftReference.from_drifts([10.0, 12.0, 14.0, None], exercise="squat", placement="thigh", side="left",
                                     source="test", min_reps=3, ranges_deg=[50.0, 60.0, 70.0, 40.0])
    assert ref.median_deg == pytest.approx(12.0) and ref.spread_deg == pytest.approx(0.0) and ref.reps == 3
    flat = DriftReference.from_drifts([10.0, 12.0, 14.0], exercise="squat", placement="thigh", side="left",
                                      source="test", min_reps=3)
    assert flat.spread_deg == pytest.approx(1.4826 * 2.0)  # without ranges: the depth differences stay
    m = s.drift_margin_over_reference_deg
    shank = DriftReference("squat", "shank", "left", 1.0, 0.0, 5, "test")
    assert shank.limit_deg(s) == pytest.approx(1.0 + s.drift_margin_over_reference_shank_deg)

    tracker = SetTracker("squat", "thigh", s, ref)
    first = 12.0 + s.drift_restrap_shift_thigh_deg + m  # today's level and usual range not known yet
    assert tracker.drift_threshold_deg(np.array([0.0, 30.0])) == pytest.approx(first)
    for k in range(3):
        tracker.accept(RepCandidate(3.0 * k, 3.0 * k + 1, 3.0 * k + 2, 60.0, 12.0), now_s=3.0 * k + 2)
    depth = np.array([0.0, 30.0, 60.0, 72.0])
    assert tracker.drift_threshold_deg(depth) == pytest.approx(12.0 * depth / 60.0 + m)
    assert tracker.drift_threshold_deg() == pytest.approx(12.0 + m)


def test_with_a_reference_streaming_gives_the_batch_answer(files: dict[str, Path]) -> None:
    """The depth-scaled limit is decided per sample from what came before it: any chunking of the
    stream gives the batch result, warnings and their times included."""
    from sensortrack.analysis.pipeline import StreamingAnalyzer, analyze
    from sensortrack.personal_reference import build_reference
    from sensortrack.session_analysis import resolve_context

    session = read_session(files["valgus"])
    ctx = resolve_context(session)
    reference = build_reference(read_session(files["clean"]), AnalysisSettings(), source="clean",
                                exercise=ctx.exercise, placement=ctx.placement, side=ctx.side)
    ctx = replace(ctx, reference=reference)
    s = session.samples
    batch = analyze(s.t_s, s.acc_g, s.gyro_dps, ctx)
    assert sum(1 for r in batch.reps if r.warnings) == 6
    rng = np.random.default_rng(3)
    analyzer = StreamingAnalyzer(ctx)
    i = 0
    while i < len(s):
        n = int(rng.choice([1, 5, 16, 333]))
        block = s.slice(i, i + n)
        analyzer.feed(block.t_s, block.acc_g, block.gyro_dps)
        i += n
    assert analyzer.finish().to_dict() == batch.to_dict()
