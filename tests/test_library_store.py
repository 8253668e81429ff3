"""The library database on real SQLite files: creation, migration, damage, versions, WAL, sweeping."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sensortrack.core.errors import LibraryError
from sensortrack.library.records import AnalysisSummary, RepRow, SessionFacts, SetRow
from sensortrack.library.schema import APPLICATION_ID, SCHEMA_VERSION
from sensortrack.library.store import Library, SessionFilter


def facts(start: str = "2025-03-01T09:00:00+00:00", exercise: str | None = "squat", side: str = "left") -> SessionFacts:
    return SessionFacts(
        start_time_utc=start,
        exercise=exercise,
        placement="thigh",
        side=side,
        sensor_model="test",
        sensor_name="",
        rate_hz=100.0,
        has_gyro=True,
        sample_count=1000,
        duration_s=9.99,
        gap_count=0,
        lost_samples=0,
        interrupted=False,
        source="test",
        notes="",
        attribution="",
    )


def summary(n_reps: int = 3, drift_reps: int = 1) -> AnalysisSummary:
    reps = tuple(
        RepRow(1, i, 2.0 * i, 2.0 * i + 1, 2.0 * i + 1.8, 60.0 + i, 1.0, 0.8, 3.0 + i, i <= drift_reps, False, None)
        for i in range(1, n_reps + 1)
    )
    sets = (SetRow(1, "squat", 2.0, 2.0 * n_reps + 1.8, n_reps, 62.0, 63.0, 1.8, drift_reps),)
    return AnalysisSummary(status="ok", sets=sets, reps=reps)


def add(library: Library, name: str, **kwargs: object) -> int:
    with library.transaction():
        return library.insert_session(
            file_path=library.path.parent / name,
            owned=False,
            origin="record",
            original_path=name,
            content_sha256=name,  # unique per test row; the real value is the file's SHA-256
            facts=facts(**kwargs),  # type: ignore[arg-type]
            summary=summary(),
        )


def add_owned(library: Library, file_path: Path) -> int:
    """Register a copy the library owns (an import), as `sensortrack import` does."""
    with library.transaction():
        return library.insert_session(
            file_path=file_path,
            owned=True,
            origin="import",
            original_path="x",
            content_sha256="k",
            facts=facts(),
            summary=summary(),
        )


def test_new_library_is_wal_tagged_and_at_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "library.sqlite3"
    with Library.open(path) as library:
        assert library.schema_version == SCHEMA_VERSION
        session_id = add(library, "a.csv")
        record = library.get(session_id)
        assert record.rep_count == 3 and record.drift_rep_count == 1
        assert record.mean_range_deg == pytest.approx(62.0)
        assert [r.rep_index for r in library.reps(session_id)] == [1, 2, 3]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()


def test_missing_library_is_an_error_only_when_not_creating(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="no library at"):
        Library.open(tmp_path / "none.sqlite3", create=False)
    assert not (tmp_path / "none.sqlite3").exists()


def test_filters_by_exercise_side_and_time(tmp_path: Path) -> None:
    with Library.open(tmp_path / "lib.sqlite3") as library:
        add(library, "a.csv", start="2025-03-01T09:00:00+00:00", side="left")
        add(library, "b.csv", start="2025-03-08T09:00:00+00:00", side="right")
        add(library, "c.csv", start="2025-03-15T09:00:00+00:00", exercise="bridge")
        names = lambda flt: [r.original_path for r in library.list(flt)]  # noqa: E731
        assert names(SessionFilter()) == ["a.csv", "b.csv", "c.csv"]
        assert names(SessionFilter(exercise="squat", side="right")) == ["b.csv"]
        assert names(SessionFilter(since_utc="2025-03-05T00:00:00+00:00", until_utc="2025-03-10T00:00:00+00:00")) == [
            "b.csv"
        ]


# Schema version 1 exactly as it shipped: the literal SQL, not our migration code, so that a change
# to the shipped migration shows up here as a failing upgrade.
SCHEMA_V1 = f"""
PRAGMA application_id = {APPLICATION_ID};
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_path TEXT NOT NULL UNIQUE, owned INTEGER NOT NULL, content_sha256 TEXT NOT NULL UNIQUE,
    origin TEXT NOT NULL CHECK (origin IN ('import', 'record')), original_path TEXT NOT NULL,
    added_utc TEXT NOT NULL, start_time_utc TEXT NOT NULL, exercise TEXT, placement TEXT, side TEXT,
    sensor_model TEXT NOT NULL, sensor_name TEXT NOT NULL, rate_hz REAL NOT NULL, has_gyro INTEGER NOT NULL,
    sample_count INTEGER NOT NULL, duration_s REAL NOT NULL, gap_count INTEGER NOT NULL,
    lost_samples INTEGER NOT NULL, interrupted INTEGER NOT NULL, source TEXT NOT NULL, notes TEXT NOT NULL,
    attribution TEXT NOT NULL,
    analysis_status TEXT NOT NULL CHECK (analysis_status IN ('ok', 'needs_metadata', 'failed')),
    analysis_message TEXT NOT NULL, set_count INTEGER NOT NULL, rep_count INTEGER NOT NULL,
    drift_rep_count INTEGER NOT NULL, mean_range_deg REAL, mean_tempo_s REAL
);
CREATE TABLE sets (
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE, set_index INTEGER NOT NULL,
    exercise TEXT NOT NULL, start_s REAL NOT NULL, end_s REAL NOT NULL, rep_count INTEGER NOT NULL,
    mean_range_deg REAL, best_range_deg REAL, mean_tempo_s REAL, drift_rep_count INTEGER NOT NULL,
    PRIMARY KEY (session_id, set_index)
);
CREATE TABLE reps (
    session_id INTEGER NOT NULL, set_index INTEGER NOT NULL, rep_index INTEGER NOT NULL,
    start_s REAL NOT NULL, peak_s REAL NOT NULL, end_s REAL NOT NULL, range_deg REAL NOT NULL,
    down_s REAL NOT NULL, up_s REAL NOT NULL, knee_drift_deg REAL, knee_drift_warning INTEGER NOT NULL,
    shallow INTEGER NOT NULL, step TEXT,
    PRIMARY KEY (session_id, set_index, rep_index),
    FOREIGN KEY (session_id, set_index) REFERENCES sets (session_id, set_index) ON DELETE CASCADE
);
INSERT INTO sessions VALUES (
    7, '/data/old.csv', 0, 'abc', 'record', '/data/old.csv', '2024-11-02T10:00:00+00:00',
    '2024-11-02T09:30:00+00:00', 'squat', 'thigh', 'right', 'WT901', 'WT901BLE68', 100.0, 1, 6000, 59.99,
    0, 0, 0, 'record', '', '', 'ok', '', 1, 2, 1, 61.5, 2.5
);
INSERT INTO sets VALUES (7, 1, 'squat', 10.0, 16.0, 2, 61.5, 63.0, 2.5, 1);
INSERT INTO reps VALUES (7, 1, 1, 10.0, 11.2, 12.4, 60.0, 1.2, 1.2, 3.1, 0, 0, NULL);
INSERT INTO reps VALUES (7, 1, 2, 13.5, 14.8, 16.0, 63.0, 1.3, 1.2, 9.4, 1, 0, NULL);
PRAGMA user_version = 1;
"""


def test_upgrades_a_version_1_library_keeping_its_data_and_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_V1)
    conn.close()

    with Library.open(path) as library:
        assert library.schema_version == SCHEMA_VERSION
        record = library.get(7)
        assert (record.facts.exercise, record.facts.side, record.rep_count, record.drift_rep_count) == (
            "squat",
            "right",
            2,
            1,
        )
        assert record.analysis_version == "unknown (schema 1)"  # added by migration 2
        assert record.analyzed_utc == "2024-11-02T10:00:00+00:00"
        assert [r.knee_drift_warning for r in library.reps(7)] == [False, True]
        # The index migration 2 adds is there and used by the trend query.
        plan = " ".join(
            str(row[-1])
            for row in library.query(
                "EXPLAIN QUERY PLAN SELECT * FROM sessions "
                "WHERE exercise = 'squat' AND placement = 'thigh' ORDER BY start_time_utc"
            )
        )
        assert "sessions_by_exercise_time" in plan
        # New rows get the new columns filled.
        new_id = add(library, "new.csv")
        assert library.get(new_id).analysis_version != "unknown (schema 1)"

    backup = tmp_path / "library.sqlite3.v1.bak"
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    assert old.execute("SELECT count(*) FROM reps").fetchone()[0] == 2
    old.close()


def test_refuses_a_library_from_a_newer_sensortrack_without_touching_it(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    with Library.open(path) as library:
        add(library, "a.csv")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(LibraryError, match=rf"schema version {SCHEMA_VERSION + 3}.*upgrade sensortrack"):
        Library.open(path)
    assert path.read_bytes() == before


def test_garbage_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    path.write_bytes(b"this is not a database\n" * 200)
    with pytest.raises(LibraryError, match="not a sensortrack library"):
        Library.open(path)
    assert path.read_bytes() == b"this is not a database\n" * 200


def test_garbage_inside_a_real_library_is_reported_as_damage(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    with Library.open(path) as library:
        for i in range(60):  # enough rows for several pages
            add(library, f"s{i:03d}.csv")
        library.query("PRAGMA wal_checkpoint(TRUNCATE)")  # the pages into the main file, to damage them
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    assert len(data) >= 4 * page_size
    # Keep the header page intact (so SQLite opens it) and overwrite the next pages.
    data[page_size : 3 * page_size] = bytes((i * 37 + 11) % 256 for i in range(2 * page_size))
    path.write_bytes(bytes(data))
    with pytest.raises(LibraryError, match="is damaged"):
        Library.open(path)


def test_another_sqlite_database_is_not_mistaken_for_a_library(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (t TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(LibraryError, match="not a sensortrack library"):
        Library.open(path)


def test_readers_are_not_blocked_by_an_open_write_transaction(tmp_path: Path) -> None:
    """WAL: `sessions` in another process reads the committed state while a writer holds the lock."""
    path = tmp_path / "library.sqlite3"
    with Library.open(path) as library:
        add(library, "committed.csv")
        with library.transaction():
            library.insert_session(
                file_path=tmp_path / "pending.csv",
                owned=False,
                origin="record",
                original_path="pending.csv",
                content_sha256="pending",
                facts=facts(),
                summary=summary(),
            )
            reader = textwrap.dedent(
                f"""
                import time
                from sensortrack.library.store import Library
                t0 = time.monotonic()
                with Library.open({str(path)!r}, create=False) as lib:
                    names = [r.original_path for r in lib.list()]
                print(names, round(time.monotonic() - t0, 3))
                """
            )
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-c", reader], capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            assert done.stdout.startswith("['committed.csv']")
            # Far below the 30 s busy timeout: the reader never waited for the writer.
            assert time.monotonic() - started < 20
        assert [r.original_path for r in library.list()] == ["committed.csv", "pending.csv"]


def test_a_long_reader_does_not_block_the_writer(tmp_path: Path) -> None:
    """WAL again, the other way round: a TUI or report holding a read snapshot must not stop a
    recorder from registering (in rollback-journal mode this commit would wait for the reader)."""
    path = tmp_path / "library.sqlite3"
    with Library.open(path) as library:
        add(library, "first.csv")
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
        started = time.monotonic()
        add(library, "second.csv")  # commits while the reader's snapshot is open
        assert time.monotonic() - started < 5
        assert reader.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1  # its snapshot
        reader.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM sessions").fetchone()[0] == 2
        reader.close()


def test_sweep_removes_unreferenced_library_files_only(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    with Library.open(path) as library:
        folder = library.sessions_dir
        folder.mkdir()
        kept = folder / "20250301T090000Z-squat-0123abcd.csv"
        kept.write_text("x")
        add_owned(library, kept)
    orphan = folder / "20250301T090000Z-squat-89abcdef.csv"  # a crash between rename and commit
    temp = folder / f".import-{'0' * 32}.part"  # a crash while copying
    foreign = folder / "my-notes.csv"  # not ours: never touched
    for f in (orphan, temp, foreign):
        f.write_text("x")
    with Library.open(path):
        pass
    assert kept.exists() and foreign.exists()
    assert not orphan.exists() and not temp.exists()


def test_delete_removes_rows_then_the_owned_file(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    with Library.open(path) as library:
        library.sessions_dir.mkdir()
        owned = library.sessions_dir / "20250301T090000Z-squat-0123abcd.csv"
        owned.write_text("x")
        sid = add_owned(library, owned)
        recorded = tmp_path / "recording.csv"
        recorded.write_text("x")
        rid = add(library, "recording.csv")
        library.delete(sid)
        library.delete(rid)
        assert library.count() == 0
        counts = [library.query(f"SELECT count(*) FROM {t}")[0][0] for t in ("sets", "reps")]
        assert counts == [0, 0]
        with pytest.raises(LibraryError, match=f"no session #{sid}"):
            library.get(sid)
    assert not owned.exists()
    assert recorded.exists()  # a recording the library only referenced stays on disk
