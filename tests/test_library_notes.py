"""A session done as several exercises (a plan), and the wearer's notes after its sets, from the
recording through analyze, replay, the library (schema 4, migrated from a real version-3 file),
`sessions show`, reanalysis and the export."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from textual.widgets import DataTable

from sensortrack.cli import main
from sensortrack.library.ingest import register_recording
from sensortrack.library.schema import SCHEMA_VERSION
from sensortrack.library.store import Library
from sensortrack.core.loading import load_session
from sensortrack.core.model import SampleBlock, Session
from sensortrack.session_analysis import analyze_session
from sensortrack.core.session_events import (
    ExerciseChange,
    SessionEvents,
    SetNote,
    exercise_line,
    note_for_set,
    note_line,
    parse_events,
)
from sensortrack.core.sessionfile import SessionWriter, read_session, write_session
from sensortrack.tui.app import replay_app
from sensortrack.tui.screens import SessionSummaryScreen
from sensortrack.tui.widgets import StatusLine

ROOT = Path(__file__).parent.parent
SIM = ROOT / "fixtures" / "simulated"
SQUATS = SIM / "squat_thigh_right.csv"  # 52 Hz, gyro
BRIDGES = SIM / "bridge_thigh_right.csv"  # 52 Hz, gyro: the same sensor, the next exercise of a plan
V3_LIBRARY = ROOT / "fixtures" / "library" / "library_v3.sqlite3"


def two_exercises(path: Path, notes: tuple[SetNote, ...] = ()) -> tuple[Session, float]:
    """Squats, then bridges on the same strap, as one recording with an `# exercise` line where the
    plan moved on; returns the session written and the time of the change."""
    first, second = load_session(SQUATS), load_session(BRIDGES)
    a, b = first.samples, second.samples
    period_s = 1.0 / first.meta.sensor.nominal_rate_hz
    change_s = float(a.t_s[-1] + period_s)
    t_s = np.concatenate([a.t_s, b.t_s - b.t_s[0] + change_s])
    samples = SampleBlock(
        t_s=t_s,
        acc_g=np.vstack([a.acc_g, b.acc_g]),
        gyro_dps=np.vstack([a.gyro_dps, b.gyro_dps]),  # type: ignore[list-item]
        sensor=a.sensor,
    )
    gaps = tuple(first.gaps) + tuple(replace(g, start_s=g.start_s - b.t_s[0] + change_s, end_s=g.end_s - b.t_s[0] + change_s) for g in second.gaps)
    events = SessionEvents((ExerciseChange(change_s, "bridge"),), notes)
    session = Session(meta=replace(first.meta, notes="squats then bridges"), samples=samples, gaps=gaps, events=events)
    write_session(path, session)
    return read_session(path), change_s


# ---------------------------------------------------------------- the recording


def test_event_lines_round_trip_and_garbage_is_skipped() -> None:
    note = SetNote(1.5, 30.25, 7, 2, "left knee")
    change = ExerciseChange(61.0, "lunge")
    lines = [
        exercise_line(change),
        note_line(note),
        "# note {not json",
        '# note {"set_start_s": 5, "set_end_s": 1, "rpe": 5}',  # ends before it starts
        '# note {"set_start_s": 1, "set_end_s": 5, "rpe": 11, "pain": -1}',  # nothing valid left
        '# exercise {"t_s": 3, "exercise": "situp"}',
        '# exercise {"t_s": NaN, "exercise": "squat"}',
        '# note {"set_start_s": 1, "set_end_s": 5, "rpe": true, "pain": 3.0, "pain_where": "hip\\u0007 outer"}',
    ]
    events = parse_events(lines)
    assert events.exercise_changes == (change,)
    assert events.set_notes == (note, SetNote(1.0, 5.0, None, 3, "hip outer"))
    assert events.skipped_lines == 5
    # a reanalysed set a sample off still finds its note; a set it does not overlap finds none
    assert note_for_set(events.set_notes, 1.52, 30.2) == note
    assert note_for_set(events.set_notes, 40.0, 50.0) is None


@pytest.mark.parametrize("fast", [True, False])
def test_both_readers_keep_the_events_and_old_files_read_as_before(tmp_path: Path, fast: bool) -> None:
    notes = (SetNote(10.0, 30.0, 6, 0, ""), SetNote(40.0, 60.0, 8, 3, "knee, inside"))
    written, change_s = two_exercises(tmp_path / "plan.csv", notes)
    read = read_session(tmp_path / "plan.csv", fast=fast)
    assert read.events.exercise_changes == (ExerciseChange(round(change_s, 6), "bridge"),)
    assert read.events.set_notes == notes
    assert np.array_equal(read.samples.t_s, written.samples.t_s)
    old = read_session(SQUATS, fast=fast)  # a file from before: no events, same samples as ever
    assert old.events == SessionEvents()


def test_a_note_given_after_the_recording_closed_is_kept(tmp_path: Path) -> None:
    """The last set's note is often answered after the stream ended: it goes after `# end`."""
    source = load_session(SQUATS)
    path = tmp_path / "live.csv"
    writer = SessionWriter(path, source.meta, gyro=True)
    writer.append(source.samples)
    writer.add_event(exercise_line(ExerciseChange(30.0, "lunge")))
    writer.close()
    writer.add_event(note_line(SetNote(40.0, 60.0, 9, None, "")))
    with pytest.raises(ValueError):
        writer.add_event("# gap {}")  # only event lines go through this door
    for fast in (True, False):
        read = read_session(path, fast=fast)
        assert not read.interrupted and len(read.samples) == len(source.samples)
        assert read.events.exercise_changes == (ExerciseChange(30.0, "lunge"),)
        assert read.events.set_notes == (SetNote(40.0, 60.0, 9, None, ""),)


def test_a_two_exercise_recording_is_analysed_a_span_per_exercise(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    session, change_s = two_exercises(tmp_path / "plan.csv")
    result = analyze_session(session)
    alone = [analyze_session(load_session(SQUATS)), analyze_session(load_session(BRIDGES))]
    assert [s.exercise for s in result.sets] == ["squat"] * len(alone[0].sets) + ["bridge"] * len(alone[1].sets)
    assert [len(s.reps) for s in result.sets] == [len(s.reps) for part in alone for s in part.sets]
    assert [s.index for s in result.sets] == list(range(1, len(result.sets) + 1))
    assert all(s.end_s <= change_s for s in result.sets if s.exercise == "squat")
    # told the exercise, the whole file is that exercise (the override wins, as for any file)
    assert {s.exercise for s in analyze_session(session, exercise="squat").sets} == {"squat"}
    # `analyze --json` says each set's exercise
    capsys.readouterr()
    assert main(["analyze", str(tmp_path / "plan.csv"), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [s["exercise"] for s in document["sets"]] == [s.exercise for s in result.sets]
    assert main(["analyze", str(tmp_path / "plan.csv")]) == 0  # the readable report names them too
    text = capsys.readouterr().out
    first_bridge = next(s.index for s in result.sets if s.exercise == "bridge")
    assert f"Set {first_bridge} (bridge): " in text and "Set 1: " in text


async def test_replay_moves_to_the_recorded_exercise_and_agrees_with_analyze(tmp_path: Path, until) -> None:  # type: ignore[no-untyped-def]
    probe = analyze_session(two_exercises(tmp_path / "probe.csv")[0])
    last = probe.sets[-1]
    session, _ = two_exercises(tmp_path / "plan.csv", (SetNote(last.start_s, last.end_s, 9, 1, "hip"),))
    app = replay_app(tmp_path / "plan.csv", speed=200.0)
    async with app.run_test(size=(100, 36)) as pilot:
        await until(pilot, lambda: app.ctx.exercise == "bridge")
        await until(pilot, lambda: "bridge · thigh · right" in str(app.query_one(StatusLine).content))
        await until(pilot, lambda: app.result is not None)
        assert app.result is not None
        assert app.result.to_dict()["sets"] == analyze_session(session).to_dict()["sets"]
        # the summary shows the note given when it was recorded, at its set
        assert list(app.notes) == [last.index]
        noted = app.notes[last.index]
        assert (noted.rpe, noted.pain, noted.pain_where) == (9, 1, "hip")
        assert noted.set_start_s == pytest.approx(last.start_s, abs=1e-3)  # written to the millisecond
        # the screen is pushed before its table is composed: wait for the table itself
        await until(pilot, lambda: isinstance(app.screen, SessionSummaryScreen) and bool(app.screen.query("#summary-table")))
        rows = app.screen.query_one("#summary-table", DataTable)
        assert "RPE 9 · pain 1 (hip)" in [str(c) for c in rows.get_row_at(len(app.result.sets) - 1)]
        await pilot.press("escape")
        # Home plays it again from the first exercise (at 1×, so it is still there to be seen)
        app.replay.speed = 1.0
        await pilot.press("home")
        await until(pilot, lambda: app.result is None and app.ctx.exercise == "squat")


# ---------------------------------------------------------------- the library


def _v3_library(tmp_path: Path) -> Path:
    """The committed version-3 library (two imported sessions) with its session copies."""
    path = tmp_path / "library.sqlite3"
    shutil.copyfile(V3_LIBRARY, path)
    copies = tmp_path / "library-sessions"
    copies.mkdir()
    conn = sqlite3.connect(path)
    try:
        for (stored,) in conn.execute("SELECT file_path FROM sessions"):
            source = SQUATS.with_name("squat_thigh_left.csv") if "squat" in stored else SIM / "bridge_thigh_left.csv"
            shutil.copyfile(source, tmp_path / stored)
    finally:
        conn.close()
    return path


def _dump(path: Path, columns: dict[str, list[str]] | None = None) -> dict[str, list[tuple[object, ...]]]:
    """Each table's rows, in `columns` (a table's columns as they were before a migration) or all."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        for t in ("sessions", "sets", "reps", "drift_references"):
            names = (columns or {}).get(t) or [d[0] for d in conn.execute(f"SELECT * FROM {t}").description]
            out[t] = conn.execute(f"SELECT {', '.join(names)} FROM {t} ORDER BY {', '.join(names[:2])}").fetchall()
        return out
    finally:
        conn.close()


def _columns(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    try:
        return {t: [d[0] for d in conn.execute(f"SELECT * FROM {t}").description] for t in ("sessions", "sets", "reps")}
    finally:
        conn.close()


def test_a_version_3_library_opens_migrated_without_loss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _v3_library(tmp_path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    conn.close()
    before, old_columns = _dump(path), _columns(path)
    assert len(before["sessions"]) == 2 and len(before["reps"]) > 20
    with Library.open(path) as library:
        assert library.schema_version == SCHEMA_VERSION >= 5
        assert [len(library.sets(r.id)) for r in library.list()] == [3, 2]
        assert all(s.rpe is None and s.pain is None for r in library.list() for s in library.sets(r.id))
    assert _dump(path, old_columns) == before  # every row as it was (migration 5 adds columns)
    assert (tmp_path / "library.sqlite3.v3.bak").exists()  # and the old file kept beside it
    assert main(["sessions", "show", "1", "--library", str(path), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["sets"][0]["rpe"] is None and shown["sets"][0]["exercise"] == "squat"


def test_notes_reach_the_library_show_and_export_and_survive_reanalysis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    probe = analyze_session(two_exercises(tmp_path / "probe.csv")[0])
    squat_set = next(s for s in probe.sets if s.exercise == "squat")
    bridge_set = next(s for s in probe.sets if s.exercise == "bridge")
    # the notes the live view would have written after the first squat set and the first bridge set
    notes = (
        SetNote(squat_set.start_s, squat_set.end_s, 6, 0, ""),
        SetNote(bridge_set.start_s, bridge_set.end_s, 8, 3, "right knee"),
    )
    two_exercises(tmp_path / "plan.csv", notes)
    library = tmp_path / "library.sqlite3"
    session_id = register_recording(library, tmp_path / "plan.csv")
    with Library.open(library) as lib:
        sets = lib.sets(session_id)
    noted = {(s.exercise, s.rpe, s.pain, s.pain_where) for s in sets if s.rpe is not None}
    assert noted == {("squat", 6, 0, ""), ("bridge", 8, 3, "right knee")}

    assert main(["sessions", "show", str(session_id), "--library", str(library)]) == 0
    text = capsys.readouterr().out
    assert "RPE" in text and "3 (right knee)" in text and "bridge" in text
    assert main(["sessions", "reanalyze", "--library", str(library), "--set", "drift_threshold_deg=7"]) == 0
    capsys.readouterr()
    assert main(["sessions", "show", str(session_id), "--library", str(library), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {s["exercise"] for s in shown["sets"]} == {"squat", "bridge"}  # reanalysed a span per exercise too
    assert [(s["rpe"], s["pain"], s["pain_where"]) for s in shown["sets"] if s["rpe"] is not None] == [
        (6, 0, ""),
        (8, 3, "right knee"),
    ]

    assert main(["export", str(session_id), "--library", str(library), "--format", "csv", "-o", str(tmp_path / "out.csv")]) == 0
    with (tmp_path / "out-reps.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["exercise"], r["set_rpe"], r["set_pain"], r["set_pain_where"]) for r in rows if r["set_rpe"]} == {
        ("squat", "6", "0", ""),
        ("bridge", "8", "3", "right knee"),
    }
    assert {r["exercise"] for r in rows} == {"squat", "bridge"}
    assert main(["export", str(session_id), "--library", str(library), "--format", "parquet", "-o", str(tmp_path / "out.parquet")]) == 0
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "out-reps.parquet").to_pylist()
    assert {(r["exercise"], r["set_rpe"], r["set_pain"]) for r in table if r["set_rpe"] is not None} == {("squat", 6, 0), ("bridge", 8, 3)}
    # a session deleted takes its notes with it
    assert main(["sessions", "delete", str(session_id), "--library", str(library), "--yes"]) == 0
    conn = sqlite3.connect(library)
    assert conn.execute("SELECT count(*) FROM set_notes").fetchone()[0] == 0
    conn.close()


def test_reanalysis_judges_each_exercise_of_a_plan_against_its_own_reference(tmp_path: Path) -> None:
    """A stored reference per exercise reaches every span of a plan session, in this process and in
    a helper (references travel as a dict, one per exercise at the session's placement and side)."""
    from sensortrack.analysis.reference import DriftReference
    from sensortrack.analysis.settings import AnalysisSettings
    from sensortrack.library.reanalyze import reanalyze

    two_exercises(tmp_path / "plan.csv")
    library_path = tmp_path / "library.sqlite3"
    assert main(["import", str(tmp_path / "plan.csv"), "--library", str(library_path)]) == 0
    # A reference far below anything measured: every rep of its exercise is then past the limit.
    low = DriftReference("bridge", "thigh", "right", median_deg=-90.0, spread_deg=0.0, reps=5, source="test")
    stored = {("bridge", "thigh", "right"): low}

    def warned(helpers: int) -> dict[str, list[bool]]:
        with Library.open(library_path) as library:
            records = library.list()
            reanalyze(library, records, AnalysisSettings(), helpers=helpers,
                      references=lambda e, p, s: stored.get((e, p, s)))
            exercise_of = {s.set_index: s.exercise for s in library.sets(records[0].id)}
            reps = library.reps(records[0].id)
        by_exercise: dict[str, list[bool]] = {}
        for rep in reps:
            by_exercise.setdefault(exercise_of[rep.set_index], []).append(rep.knee_drift_warning)
        return by_exercise

    for helpers in (0, 1):
        result = warned(helpers)
        assert result["bridge"] and all(result["bridge"]), helpers
        assert not all(result["squat"]), helpers  # no squat reference: judged against its own reps
