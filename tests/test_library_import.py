"""Getting sessions into the library: copies, duplicates, missing metadata, recordings, crashes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from sensortrack.analysis.settings import AnalysisSettings

from sensortrack.library import register_recording
from sensortrack.library.ingest import import_file
from sensortrack.library.store import Library
from sensortrack.core.loading import load_session
from sensortrack.session_analysis import analyze_session
from sensortrack.core.sessionfile import is_session_file, read_session

REPO = Path(__file__).resolve().parents[1]
SIMULATED = REPO / "fixtures" / "simulated"
SQUAT_RIGHT = SIMULATED / "squat_thigh_right.csv"  # 2 sets with labelled reps, the second drifts
BRIDGE_LEFT = SIMULATED / "bridge_thigh_left.csv"
MEX_BRIDGE = REPO / "fixtures" / "mex" / "bridge_subject01.csv"  # real, accelerometer only
SETTINGS = AnalysisSettings()


def analysed_reps(session_file: Path) -> tuple[int, int]:
    """(reps, reps with a knee-drift warning) as the analysis finds them in the file."""
    result = analyze_session(load_session(session_file), SETTINGS)
    return len(result.reps), sum(s.drift_reps for s in result.sets)


def plain_csv_without_metadata(src: Path, dest: Path) -> Path:
    """The samples of `src` as the plain interchange CSV a phone logger writes: no exercise/side."""
    session = read_session(src)
    s = session.samples
    assert s.gyro_dps is not None
    data = np.column_stack([s.t_s, s.acc_g, s.gyro_dps])
    np.savetxt(dest, data, delimiter=",", header="t,ax,ay,az,gx,gy,gz", comments="", fmt="%.6f")
    return dest


def test_import_copies_the_session_and_stores_its_analysis(tmp_path: Path) -> None:
    original = tmp_path / "squats.csv"
    original.write_bytes(SQUAT_RIGHT.read_bytes())
    with Library.open(tmp_path / "lib.sqlite3") as library:
        outcome = import_file(library, original, SETTINGS)
        record = outcome.record
        assert outcome.action == "imported"
        assert record.origin == "import" and record.owned
        assert record.original_path == str(original.resolve())
        assert record.file_path.parent == library.sessions_dir
        assert (record.facts.exercise, record.facts.placement, record.facts.side) == ("squat", "thigh", "right")
        assert record.analysis_status == "ok"
        # The library holds exactly what the analysis finds (the second set was simulated drifting).
        assert (record.rep_count, record.drift_rep_count) == analysed_reps(SQUAT_RIGHT)
        assert record.rep_count > 0 and record.drift_rep_count > 0
        assert record.set_count == len(library.sets(record.id)) == 2
        assert len(library.reps(record.id)) == record.rep_count
        assert (
            record.analysis_version
            and json.loads(library.analysis_settings_json(record.id))["drift_threshold_deg"] == 6.0
        )

    original.unlink()  # the library does not depend on the user's file
    copy = read_session(record.file_path)
    source = read_session(SQUAT_RIGHT)
    assert is_session_file(record.file_path)
    np.testing.assert_array_equal(copy.samples.t_s, source.samples.t_s)
    np.testing.assert_array_equal(copy.samples.acc_g, source.samples.acc_g)
    assert copy.meta.exercise == "squat" and copy.meta.start_time_utc == source.meta.start_time_utc


def test_same_file_twice_is_one_session(tmp_path: Path) -> None:
    with Library.open(tmp_path / "lib.sqlite3") as library:
        first = import_file(library, SQUAT_RIGHT, SETTINGS)
        again = import_file(library, SQUAT_RIGHT, SETTINGS)
        own_copy = import_file(library, first.record.file_path, SETTINGS)
        assert again.action == own_copy.action == "unchanged"
        assert again.record.id == own_copy.record.id == first.record.id
        assert library.count() == 1
        assert len(list(library.sessions_dir.iterdir())) == 1


def test_missing_metadata_is_registered_then_completed(tmp_path: Path) -> None:
    plain = plain_csv_without_metadata(SQUAT_RIGHT, tmp_path / "phone-log.csv")
    with Library.open(tmp_path / "lib.sqlite3") as library:
        first = import_file(library, plain, SETTINGS)
        assert first.action == "imported"
        # Issue 13: analysed at once with the exercise and placement recognised, the side unknown
        assert first.record.analysis_status == "ok"
        # The plain CSV has no start time: the file's modification time stands in.
        assert first.record.facts.start_time_utc[:4] == str(
            __import__("datetime").datetime.fromtimestamp(plain.stat().st_mtime).year
        )

        done = import_file(library, plain, SETTINGS, exercise="squat", placement="thigh", side="right")
        assert done.action == "updated" and done.record.id == first.record.id
        assert done.record.analysis_status == "ok"
        assert (done.record.facts.exercise, done.record.facts.side) == ("squat", "right")
        assert (done.record.rep_count, done.record.drift_rep_count) == analysed_reps(SQUAT_RIGHT)
        assert library.count() == 1


def test_accelerometer_only_real_recording_imports(tmp_path: Path) -> None:
    with Library.open(tmp_path / "lib.sqlite3") as library:
        record = import_file(library, MEX_BRIDGE, SETTINGS).record
    assert record.facts.has_gyro is False
    assert record.facts.exercise == "bridge"
    assert record.facts.start_time_utc == "2018-11-08T11:41:07+00:00"  # normalised from the file's text
    assert "CC BY 4.0" in record.facts.attribution


def test_a_failure_inside_the_transaction_leaves_no_row_and_no_file(tmp_path: Path) -> None:
    """A real failure half-way through the inserts (a trigger aborting the 3rd rep row), after the
    copy was written and the session and set rows were inserted."""
    path = tmp_path / "lib.sqlite3"
    with Library.open(path) as library:
        import_file(library, BRIDGE_LEFT, SETTINGS)
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TRIGGER fail_third_rep BEFORE INSERT ON reps WHEN NEW.rep_index = 3 "
        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
    )
    conn.commit()
    conn.close()
    with Library.open(path) as library:
        files_before = sorted(p.name for p in library.sessions_dir.iterdir())
        with pytest.raises(sqlite3.IntegrityError, match="injected failure"):
            import_file(library, SQUAT_RIGHT, SETTINGS)
        assert library.count() == 1
        assert library.query("SELECT count(*) FROM sets WHERE session_id != 1")[0][0] == 0
        assert sorted(p.name for p in library.sessions_dir.iterdir()) == files_before  # no copy, no .part


# A real `sensortrack import` in a child process that is SIGKILLed at the chosen point. Patching
# os.fsync / os.replace (the standard library, not our code) only decides WHEN the kill happens.
KILLER = textwrap.dedent(
    """
    import os, signal, sys
    point = sys.argv[1]
    real_replace, real_fsync = os.replace, os.fsync

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def replace_then_die(src, dst):
        real_replace(src, dst)
        if str(dst).endswith(".csv"):
            die()  # the copy has its final name; the transaction is not committed

    def fsync_then_die(fd):
        real_fsync(fd)
        die()  # the first fsync: the copy's header is on disk, the rows are not

    if point == "after-rename":
        os.replace = replace_then_die
    else:
        os.fsync = fsync_then_die
    from sensortrack.cli import main
    sys.exit(main(sys.argv[2:]))
    """
)


@pytest.mark.parametrize("point", ["while-copying", "after-rename"])
def test_killed_mid_import_leaves_neither_half_row_nor_counted_file(tmp_path: Path, point: str) -> None:
    path = tmp_path / "lib.sqlite3"
    with Library.open(path) as library:
        import_file(library, BRIDGE_LEFT, SETTINGS)
        folder = library.sessions_dir
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, point, "import", str(SQUAT_RIGHT), "--library", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -9, killed.stderr
    leftovers = sorted(p.name for p in folder.iterdir())
    assert len(leftovers) == 2  # the earlier copy and the dead import's file
    assert any(n.endswith(".part") for n in leftovers) == (point == "while-copying")

    with Library.open(path) as library:  # opening sweeps
        assert [r.original_path for r in library.list()] == [str(BRIDGE_LEFT)]
        assert library.query("SELECT count(*) FROM reps WHERE session_id != 1")[0][0] == 0
        assert [p.name for p in folder.iterdir()] == [library.get(1).file_path.name]
        assert library.query("PRAGMA integrity_check")[0][0] == "ok"
        # And the import works when tried again.
        assert import_file(library, SQUAT_RIGHT, SETTINGS).action == "imported"
        assert library.count() == 2


def test_register_recording_references_the_file_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recording = tmp_path / "recordings" / "session.csv"
    recording.parent.mkdir()
    recording.write_bytes(SQUAT_RIGHT.read_bytes())
    library_path = tmp_path / "env-library.sqlite3"
    monkeypatch.setenv("SENSORTRACK_LIBRARY", str(library_path))  # None → the environment's library

    session_id = register_recording(None, recording, SETTINGS)
    assert register_recording(None, recording, SETTINGS) == session_id  # idempotent
    assert register_recording(library_path, str(recording)) == session_id
    with Library.open(library_path) as library:
        record = library.get(session_id)
        assert record.origin == "record" and not record.owned
        assert record.file_path == recording.resolve()
        assert record.rep_count > 0
        assert not library.sessions_dir.exists()  # nothing copied
        library.delete(session_id)
    assert recording.exists()


def test_register_an_interrupted_recording(tmp_path: Path) -> None:
    crashed = REPO / "fixtures" / "bad" / "crashed_session.csv"
    session_id = register_recording(tmp_path / "lib.sqlite3", crashed, SETTINGS)
    with Library.open(tmp_path / "lib.sqlite3") as library:
        record = library.get(session_id)
    assert record.facts.interrupted
    assert record.facts.sample_count == len(load_session(crashed).samples)


def test_library_folder_can_be_moved_as_a_whole(tmp_path: Path) -> None:
    first = tmp_path / "a"
    with Library.open(first / "lib.sqlite3") as library:
        session_id = import_file(library, BRIDGE_LEFT, SETTINGS).record.id
    moved = tmp_path / "b"
    os.rename(first, moved)
    with Library.open(moved / "lib.sqlite3") as library:
        record = library.get(session_id)
        assert record.file_path.is_file()
        assert record.file_path.parent == moved / "lib-sessions"
