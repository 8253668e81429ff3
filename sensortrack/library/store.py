"""The library database: open safely, migrate, query, and change it in short transactions.

SQLite in WAL mode lets any number of readers (`sessions`, the TUI, a report) run while one process
writes (a recorder registering, an import). Every change is one `BEGIN IMMEDIATE` transaction, so a
crash leaves the library exactly as before or exactly as after it. Files the library owns (its copies
of imported sessions) are created inside the transaction that adds their row and removed only after
the transaction that drops the row has committed; whatever a crash leaves in between is an
unreferenced file that `sweep()` removes on the next open.
"""

from __future__ import annotations

import builtins
import json
import math
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from sensortrack import __version__
from sensortrack.core.errors import LibraryError
from sensortrack.library.location import sessions_dir
from sensortrack.library.records import (
    AnalysisSummary,
    RepRow,
    SessionFacts,
    SessionRecord,
    SetRow,
    utc_now_iso,
)
from sensortrack.library.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from sensortrack.core.session_events import PAIN_RANGE, RPE_RANGE, SetNote, check_score, clean_where, note_for_set
from sensortrack.core.vocabulary import exercise_or_none, placement_or_none, side_or_none

SQLITE_MAGIC = b"SQLite format 3\x00"
# A writer holds the lock for one session's worth of rows and one file copy: well under a second.
# Waiting this long before calling the library busy covers a slow disk without hanging forever.
BUSY_TIMEOUT_S = 30.0
# How often opening retries when SQLite reports a lock conflict it does not wait for (below).
PREPARE_ATTEMPTS = 10

# Names the library gives its own files; the sweep touches nothing else in the sessions folder.
OWNED_NAME = re.compile(r"^\d{8}T\d{6}Z-[a-z_]+-[0-9a-f]{8}\.csv$")
TEMP_NAME = re.compile(r"^\.import-[0-9a-f]{32}\.part$")


# A session row with what recognition said of it (schema 6's session_recognition; NULLs where none).
_SESSION_ROWS = (
    "SELECT sessions.*, rec.exercise AS recognised_exercise, rec.placement AS recognised_placement "
    "FROM sessions LEFT JOIN session_recognition AS rec ON rec.session_id = sessions.id"
)


@dataclass(frozen=True, slots=True)
class SessionFilter:
    exercise: str | None = None
    placement: str | None = None
    side: str | None = None
    since_utc: str | None = None  # inclusive, normalised ISO text
    until_utc: str | None = None  # exclusive
    status: str | None = None


# PRAGMA synchronous levels (sqlite.org/pragma.html#pragma_synchronous): OFF 0, NORMAL 1, FULL 2, EXTRA 3.
_SYNCHRONOUS_NORMAL = 1


class Library:
    """An open library. Use `Library.open(path)`; close it (or use `with`) when done."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._root = path.resolve().parent  # relative file paths in the table are relative to this
        self._conn = conn
        self._in_transaction = False
        self.read_only = False

    # ---- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Library:
        """Open (and with `create`, make or upgrade) the library at `path`.

        Raises LibraryError, one line, when the file is missing (without `create`), is not a
        sensortrack library, is damaged, or was written by a newer sensortrack.
        """
        path = Path(path)
        if path.is_dir():
            raise LibraryError(f"{path} is a directory; --library needs the library's database file")
        if not path.exists():
            if not create:
                raise LibraryError(f"no library at {path} (import or record a session first)")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LibraryError(f"cannot create the library folder {path.parent}: {exc.strerror}") from None
        else:
            _check_magic(path)
        for attempt in range(PREPARE_ATTEMPTS):
            try:
                conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            except sqlite3.Error as exc:
                raise LibraryError(f"cannot open library {path}: {exc}") from None
            library = cls(path, conn)
            try:
                library._prepare()
            except LibraryError as exc:
                conn.close()
                if exc.busy and attempt + 1 < PREPARE_ATTEMPTS:
                    # SQLite answers BUSY at once, without waiting, where waiting could deadlock:
                    # several processes creating the same library at the same moment, one of
                    # them switching it to WAL. The others simply try again after it.
                    time.sleep(0.02 * (attempt + 1))
                    continue
                if create or not exc.read_only:
                    raise
                return cls._open_read_only(path)  # a read-only folder or file: listing must still work
            except BaseException:
                conn.close()
                raise
            return library
        raise AssertionError("unreachable: the last attempt returns or raises")

    @classmethod
    def _open_read_only(cls, path: Path) -> Library:
        """The library as it is, for reading only: no WAL switch, migration or sweep.

        `immutable=1` (sqlite.org/uri.html) because a WAL library in a folder we cannot write has
        no -shm file to coordinate through; nobody can write there either, so nothing changes
        under us.
        """
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise LibraryError(f"cannot open library {path}: {exc}") from None
        library = cls(path, conn)
        try:
            with library._guard():
                conn.row_factory = sqlite3.Row
                version = library._check_identity()
                if version != SCHEMA_VERSION:
                    raise LibraryError(
                        f"library {path} is read-only and has schema version {version}; this sensortrack "
                        f"({__version__}) reads version {SCHEMA_VERSION}: open it once where it can be written"
                    )
                library._check_integrity()
        except BaseException:
            conn.close()
            raise
        library.read_only = True
        return library

    def _prepare(self) -> None:
        with self._guard():
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA foreign_keys = ON")
            version = self._check_identity()  # first: another program's user_version means nothing here
            if version > SCHEMA_VERSION:
                raise LibraryError(
                    f"library {self.path} has schema version {version}, but this sensortrack "
                    f"({__version__}) only understands up to {SCHEMA_VERSION}: upgrade sensortrack"
                )
            if version > 0:
                self._check_integrity()
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise LibraryError(
                    f"library {self.path}: cannot switch to WAL mode (got '{mode}'); is the folder read-only?",
                    read_only=True,
                )
            if version < SCHEMA_VERSION:
                self._migrate(version)
        self.sweep()

    def _user_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _check_identity(self) -> int:
        """The schema version, after making sure the file is ours.

        Version, application id and tables are read in one transaction: read apart, a library
        that another process was creating meanwhile looked like "version 0 with tables", i.e.
        someone else's database.
        """
        self._conn.execute("BEGIN")
        try:
            version = self._user_version()
            app_id = int(self._conn.execute("PRAGMA application_id").fetchone()[0])
            tables = self._conn.execute("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").fetchone()[0]
        finally:
            self._conn.execute("COMMIT")
        if (version > 0 and app_id != APPLICATION_ID) or (version == 0 and tables > 0):
            raise LibraryError(f"{self.path} is an SQLite database but not a sensortrack library")
        return version

    def _check_integrity(self) -> None:
        # quick_check is O(database size) without the index cross-checks of integrity_check; the
        # library holds summaries only (kilobytes per session), so this costs milliseconds.
        rows = [r[0] for r in self._conn.execute("PRAGMA quick_check").fetchall()]
        if rows != ["ok"]:
            raise LibraryError(self._damaged_message(rows[0] if rows else "quick_check failed"))

    def _damaged_message(self, detail: str) -> str:
        return (
            f"library {self.path} is damaged ({detail}); restore it from a backup or move it away to "
            f"start a new one (session copies are in {self.sessions_dir})"
        )

    def _migrate(self, from_version: int) -> None:
        if from_version > 0:
            self._backup_before_migration(from_version)
        with self.transaction():
            current = self._user_version()  # another process may have migrated while we waited
            for migration in MIGRATIONS:
                if migration.version <= current:
                    continue
                for statement in migration.statements:
                    self._conn.execute(statement)
                # PRAGMA does not take parameters; the version is our own integer constant.
                self._conn.execute(f"PRAGMA user_version = {int(migration.version)}")

    def _backup_before_migration(self, from_version: int) -> None:
        """A copy of the library as it was, because a migration cannot be undone by older code."""
        target = self.path.with_name(f"{self.path.name}.v{from_version}.bak")
        if target.exists():
            return
        dest = sqlite3.connect(target)
        try:
            self._conn.backup(dest)
        finally:
            dest.close()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- plumbing -----------------------------------------------------------------------------

    @property
    def sessions_dir(self) -> Path:
        return sessions_dir(self.path)

    @property
    def schema_version(self) -> int:
        with self._guard():
            return self._user_version()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite failures into one-line LibraryErrors that say what to do."""
        try:
            yield
        except sqlite3.Error as exc:
            name = getattr(exc, "sqlite_errorname", "")
            if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
                raise LibraryError(self._damaged_message(str(exc))) from None
            if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED"):
                raise LibraryError(
                    f"library {self.path} is busy: another sensortrack has been writing to it for "
                    f"{BUSY_TIMEOUT_S:.0f} s; try again",
                    busy=True,
                ) from None
            if name.startswith("SQLITE_READONLY") or name.startswith("SQLITE_CANTOPEN"):
                raise LibraryError(
                    f"library {self.path} cannot be written ({exc}); check the folder's permissions",
                    read_only=True,
                ) from None
            if name == "SQLITE_FULL":
                raise LibraryError(f"library {self.path}: the disk is full") from None
            if isinstance(exc, (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)):
                raise  # our bug, not the user's file
            raise LibraryError(f"library {self.path}: {exc}") from None

    @contextmanager
    def recomputable_writes(self) -> Iterator[None]:
        """Commits that do not wait for the disk, for results that can be computed again from the
        session files (`sessions reanalyze`). In WAL mode with synchronous=NORMAL a commit only
        appends to the WAL; the WAL is synced at checkpoints. The database stays consistent, but the
        last commits may roll back after a power loss (sqlite.org/pragma.html#pragma_synchronous):
        those sessions then keep their previous analysis, each still wholly old or wholly new.
        Each FULL commit waited ~3.5 ms for fsync here, on the critical path of a parallel run."""
        with self._guard():
            before = int(self._conn.execute("PRAGMA synchronous").fetchone()[0])
            if before > _SYNCHRONOUS_NORMAL:
                self._conn.execute(f"PRAGMA synchronous = {_SYNCHRONOUS_NORMAL}")
        try:
            yield
        finally:
            if before > _SYNCHRONOUS_NORMAL:
                with self._guard():
                    self._conn.execute(f"PRAGMA synchronous = {before}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: BEGIN IMMEDIATE takes the write lock up front, so no deadlock later."""
        if self._in_transaction:
            raise RuntimeError("nested library transaction")
        with self._guard():
            self._conn.execute("BEGIN IMMEDIATE")
            self._in_transaction = True
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._in_transaction = False

    def query(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        """Rows of one read-only statement, with SQLite failures as one-line LibraryErrors."""
        with self._guard():
            return self._conn.execute(sql, params).fetchall()

    def stored_path(self, file_path: Path) -> str:
        """Paths inside the library's folder are kept relative, so the folder can be moved as a whole."""
        file_path = file_path.resolve()
        try:
            return file_path.relative_to(self._root).as_posix()
        except ValueError:
            return str(file_path)

    def _absolute(self, stored: str) -> Path:
        p = Path(stored)
        return p if p.is_absolute() else self._root / p

    def _owned_file(self, stored: str) -> Path:
        """Where the library's own copy is: in THIS library's sessions folder, whatever the row says.

        By name only, so a copied library (database and folder copied) uses its own copies, and a
        copied database without its folder finds its files missing instead of deleting the original
        library's (both rows say `lib-sessions/NAME.csv`, relative to the same folder).
        """
        return self.sessions_dir / Path(stored).name

    # ---- reading ------------------------------------------------------------------------------

    def get(self, session_id: int) -> SessionRecord:
        if not -(2**63) <= session_id < 2**63:  # SQLite integers are 64-bit: no such row
            raise LibraryError(f"no session #{session_id} in library {self.path}")
        with self._guard():
            row = self._conn.execute(f"{_SESSION_ROWS} WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise LibraryError(f"no session #{session_id} in library {self.path}")
        return self._record(row)

    def find_by_sha256(self, sha256: str) -> SessionRecord | None:
        with self._guard():
            row = self._conn.execute(f"{_SESSION_ROWS} WHERE content_sha256 = ?", (sha256,)).fetchone()
        return None if row is None else self._record(row)

    def find_by_path(self, file_path: Path) -> SessionRecord | None:
        if file_path.resolve().parent == self.sessions_dir.resolve():  # one of our own copies
            with self._guard():
                rows = self._conn.execute(f"{_SESSION_ROWS} WHERE owned = 1").fetchall()
            return next((self._record(r) for r in rows if Path(r["file_path"]).name == file_path.name), None)
        with self._guard():
            row = self._conn.execute(
                f"{_SESSION_ROWS} WHERE file_path = ?", (self.stored_path(file_path),)
            ).fetchone()
        return None if row is None else self._record(row)

    def list(self, flt: SessionFilter | None = None) -> list[SessionRecord]:
        flt = flt or SessionFilter()
        clauses: list[str] = []
        params: list[object] = []
        for column in ("exercise", "placement", "side"):
            value = getattr(flt, column)
            if value is not None:
                # the given value, else the recognised one (side is never recognised)
                clauses.append(f"coalesce(sessions.{column}, rec.{column}) = ?" if column != "side" else "side = ?")
                params.append(value)
        if flt.status is not None:
            clauses.append("analysis_status = ?")
            params.append(flt.status)
        if flt.since_utc is not None:
            clauses.append("start_time_utc >= ?")
            params.append(flt.since_utc)
        if flt.until_utc is not None:
            clauses.append("start_time_utc < ?")
            params.append(flt.until_utc)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._guard():
            rows = self._conn.execute(f"{_SESSION_ROWS} {where} ORDER BY start_time_utc, id", params).fetchall()
        return [self._record(r) for r in rows]

    def count(self) -> int:
        with self._guard():
            return int(self._conn.execute("SELECT count(*) FROM sessions").fetchone()[0])

    def sets(self, session_id: int) -> builtins.list[SetRow]:
        with self._guard():
            rows = self._conn.execute(
                "SELECT * FROM sets WHERE session_id = ? ORDER BY side, set_index", (session_id,)
            ).fetchall()
        sets = [
            SetRow(
                set_index=_count(r["set_index"]),
                exercise=_text(r["exercise"]),
                start_s=_number(r["start_s"]) or 0.0,
                end_s=_number(r["end_s"]) or 0.0,
                rep_count=_count(r["rep_count"]),
                mean_range_deg=_number(r["mean_range_deg"]),
                best_range_deg=_number(r["best_range_deg"]),
                mean_tempo_s=_number(r["mean_tempo_s"]),
                drift_rep_count=_count(r["drift_rep_count"]),
                exercise_source=_text(r["exercise_source"]),
                exercise_confidence=_number(r["exercise_confidence"]),
                exercise_unsure=bool(_count(r["exercise_unsure"])),
                calibration_uncertain=bool(_count(r["calibration_uncertain"])),
                side=_text(r["side"]) or None,
            )
            for r in rows
        ]
        notes = self.set_notes(session_id)
        return [_with_note(s, note_for_set(notes, s.start_s, s.end_s)) for s in sets]

    def set_notes(self, session_id: int) -> builtins.list[SetNote]:
        """The wearer's notes on the session's sets, in the order given; an odd row is read as
        far as it makes sense (the scores through the same checks as the file's)."""
        with self._guard():
            rows = self._conn.execute(
                "SELECT * FROM set_notes WHERE session_id = ? ORDER BY note_index", (session_id,)
            ).fetchall()
        notes = []
        for r in rows:
            start, end = _number(r["set_start_s"]), _number(r["set_end_s"])
            if start is None or end is None:
                continue
            notes.append(
                SetNote(start, end, check_score(r["rpe"], RPE_RANGE), check_score(r["pain"], PAIN_RANGE), clean_where(r["pain_where"]))
            )
        return notes

    def felt_by_session(self) -> dict[int, tuple[float | None, int | None]]:
        """Session id → (mean effort RPE, most pain) over its noted sets, for the progress report."""
        with self._guard():
            rows = self._conn.execute(
                "SELECT session_id, avg(rpe), max(pain) FROM set_notes GROUP BY session_id"
            ).fetchall()
        return {int(r[0]): (_number(r[1]), check_score(r[2], PAIN_RANGE)) for r in rows}

    def reps(self, session_id: int) -> builtins.list[RepRow]:
        with self._guard():
            rows = self._conn.execute(
                "SELECT * FROM reps WHERE session_id = ? ORDER BY side, set_index, rep_index", (session_id,)
            ).fetchall()
        return [
            RepRow(
                set_index=_count(r["set_index"]),
                rep_index=_count(r["rep_index"]),
                start_s=_number(r["start_s"]) or 0.0,
                peak_s=_number(r["peak_s"]) or 0.0,
                end_s=_number(r["end_s"]) or 0.0,
                range_deg=_number(r["range_deg"]) or 0.0,
                down_s=_number(r["down_s"]) or 0.0,
                up_s=_number(r["up_s"]) or 0.0,
                knee_drift_deg=_number(r["knee_drift_deg"]),
                knee_drift_warning=bool(_count(r["knee_drift_warning"])),
                shallow=bool(_count(r["shallow"])),
                step=r["step"] if r["step"] is None or isinstance(r["step"], str) else str(r["step"]),
                knee_drift_over_reference_deg=_number(r["knee_drift_over_reference_deg"]),
                drift_limit_deg=_number(r["drift_limit_deg"]),
                calibrated=bool(_count(r["calibrated"])),
                notes=_text_list(r["notes"]),
                warning_details_json=_text(r["warning_details"]),
                side=_text(r["side"]) or None,
                knee_drift_source=None if r["knee_drift_source"] is None else _text(r["knee_drift_source"]),
                segment_knee_drift_deg=_number(r["segment_knee_drift_deg"]),
                knee_flexion_range_deg=_number(r["knee_flexion_range_deg"]),
                knee_valgus_deg=_number(r["knee_valgus_deg"]),
                peak_flexion_s=_number(r["peak_flexion_s"]),
                range_asymmetry_pct=_number(r["range_asymmetry_pct"]),
                tempo_asymmetry_pct=_number(r["tempo_asymmetry_pct"]),
                drift_asymmetry_pct=_number(r["drift_asymmetry_pct"]),
            )
            for r in rows
        ]

    def analysis_settings_json(self, session_id: int) -> str:
        with self._guard():
            row = self._conn.execute("SELECT analysis_settings FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return "{}" if row is None else str(row[0])

    def _record(self, r: sqlite3.Row) -> SessionRecord:
        # SQLite keeps whatever a hand edit put in a column; every value is read through a
        # check so that one odd row shows as odd instead of crashing `show`, `report`, `reanalyze`.
        facts = SessionFacts(
            start_time_utc=_text(r["start_time_utc"]),
            exercise=exercise_or_none(r["exercise"]),
            placement=placement_or_none(r["placement"]),
            side=side_or_none(r["side"]),
            sensor_model=_text(r["sensor_model"]),
            sensor_name=_text(r["sensor_name"]),
            rate_hz=_number(r["rate_hz"]) or 0.0,
            has_gyro=bool(_count(r["has_gyro"])),
            sample_count=_count(r["sample_count"]),
            duration_s=_number(r["duration_s"]) or 0.0,
            gap_count=_count(r["gap_count"]),
            lost_samples=_count(r["lost_samples"]),
            interrupted=bool(_count(r["interrupted"])),
            source=_text(r["source"]),
            notes=_text(r["notes"]),
            attribution=_text(r["attribution"]),
            sensors=max(1, _count(r["sensors"])),
        )
        owned = bool(_count(r["owned"]))
        stored_path = _text(r["file_path"])
        return SessionRecord(
            id=r["id"],
            file_path=self._owned_file(stored_path) if owned else self._absolute(stored_path),
            owned=owned,
            origin="import" if _text(r["origin"]) == "import" else "record",
            original_path=_text(r["original_path"]),
            content_sha256=_text(r["content_sha256"]),
            added_utc=_text(r["added_utc"]),
            facts=facts,
            analysis_status=r["analysis_status"],  # a CHECK constraint, verified by quick_check on open
            analysis_message=_text(r["analysis_message"]),
            analysis_version=_text(r["analysis_version"]),
            analyzed_utc=_text(r["analyzed_utc"]),
            set_count=_count(r["set_count"]),
            rep_count=_count(r["rep_count"]),
            drift_rep_count=_count(r["drift_rep_count"]),
            mean_range_deg=_number(r["mean_range_deg"]),
            mean_tempo_s=_number(r["mean_tempo_s"]),
            drift_reference_json=_text(r["drift_reference"]),
            pair=_text(r["pair"]) or None,
            pair_json=_text(r["pair_measures"]),
            recognised_exercise=exercise_or_none(r["recognised_exercise"]),
            recognised_placement=placement_or_none(r["recognised_placement"]),
        )

    # ---- writing (call inside `with library.transaction():`) -----------------------------------

    def _require_transaction(self) -> None:
        if not self._in_transaction:
            raise RuntimeError("library writes must run inside library.transaction()")

    def insert_session(
        self,
        *,
        file_path: Path,
        owned: bool,
        origin: str,
        original_path: str,
        content_sha256: str,
        facts: SessionFacts,
        summary: AnalysisSummary,
        notes: Sequence[SetNote] = (),
    ) -> int:
        """A new session row with its summary and the wearer's set notes (from the file)."""
        self._require_transaction()
        cursor = self._conn.execute(
            """
            INSERT INTO sessions (
                file_path, owned, content_sha256, origin, original_path, added_utc, start_time_utc,
                exercise, placement, side, sensor_model, sensor_name, rate_hz, has_gyro, sample_count,
                duration_s, gap_count, lost_samples, interrupted, source, notes, attribution,
                analysis_status, analysis_message, set_count, rep_count, drift_rep_count, sensors
            ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'failed', '', 0, 0, 0, ?)
            """,
            (
                self.stored_path(file_path),
                int(owned),
                content_sha256,
                origin,
                original_path,
                utc_now_iso(),
                facts.start_time_utc,
                facts.exercise,
                facts.placement,
                facts.side,
                facts.sensor_model,
                facts.sensor_name,
                facts.rate_hz,
                int(facts.has_gyro),
                facts.sample_count,
                facts.duration_s,
                facts.gap_count,
                facts.lost_samples,
                int(facts.interrupted),
                facts.source,
                facts.notes,
                facts.attribution,
                facts.sensors,
            ),
        )
        session_id = int(cursor.lastrowid or 0)
        self.store_summary(session_id, summary)
        self._conn.executemany(
            "INSERT INTO set_notes VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(session_id, k, n.set_start_s, n.set_end_s, n.rpe, n.pain, n.pain_where) for k, n in enumerate(notes)],
        )
        return session_id

    def store_summary(self, session_id: int, summary: AnalysisSummary) -> None:
        """Replace the session's sets, reps and totals with `summary`."""
        self._require_transaction()
        conn = self._conn
        conn.execute("DELETE FROM sets WHERE session_id = ?", (session_id,))  # cascades to reps
        conn.executemany(
            f"INSERT INTO sets ({', '.join(_SET_COLUMNS)}) VALUES ({', '.join('?' * len(_SET_COLUMNS))})",
            [
                (
                    session_id,
                    s.side or "",
                    s.set_index,
                    s.exercise,
                    s.start_s,
                    s.end_s,
                    s.rep_count,
                    s.mean_range_deg,
                    s.best_range_deg,
                    s.mean_tempo_s,
                    s.drift_rep_count,
                    s.exercise_source,
                    s.exercise_confidence,
                    int(s.exercise_unsure),
                    int(s.calibration_uncertain),
                )
                for s in summary.sets
            ],
        )
        conn.executemany(
            f"INSERT INTO reps ({', '.join(_REP_COLUMNS)}) VALUES ({', '.join('?' * len(_REP_COLUMNS))})",
            [
                (
                    session_id,
                    r.side or "",
                    r.set_index,
                    r.rep_index,
                    r.start_s,
                    r.peak_s,
                    r.end_s,
                    r.range_deg,
                    r.down_s,
                    r.up_s,
                    r.knee_drift_deg,
                    int(r.knee_drift_warning),
                    int(r.shallow),
                    r.step,
                    r.knee_drift_over_reference_deg,
                    r.drift_limit_deg,
                    int(r.calibrated),
                    json.dumps(list(r.notes), ensure_ascii=False),
                    r.warning_details_json,
                    r.knee_drift_source,
                    r.segment_knee_drift_deg,
                    r.knee_flexion_range_deg,
                    r.knee_valgus_deg,
                    r.peak_flexion_s,
                    r.range_asymmetry_pct,
                    r.tempo_asymmetry_pct,
                    r.drift_asymmetry_pct,
                )
                for r in summary.reps
            ],
        )
        conn.execute(
            """
            UPDATE sessions SET analysis_status = ?, analysis_message = ?, set_count = ?, rep_count = ?,
                drift_rep_count = ?, mean_range_deg = ?, mean_tempo_s = ?, analysis_version = ?,
                analysis_settings = ?, analyzed_utc = ?, drift_reference = ?, pair = ?, pair_measures = ?
            WHERE id = ?
            """,
            (
                summary.status,
                summary.message,
                len(summary.sets),
                summary.rep_count,
                summary.drift_rep_count,
                summary.mean_range_deg,
                summary.mean_tempo_s,
                summary.version,
                summary.settings_json,
                summary.analyzed_utc,
                summary.drift_reference_json,
                summary.pair,
                summary.pair_json,
                session_id,
            ),
        )
        conn.execute("DELETE FROM session_recognition WHERE session_id = ?", (session_id,))
        if summary.recognised_exercise or summary.recognised_placement:
            conn.execute("INSERT INTO session_recognition VALUES (?, ?, ?)",
                         (session_id, summary.recognised_exercise, summary.recognised_placement))

    def update_body_metadata(
        self, session_id: int, *, exercise: str | None, placement: str | None, side: str | None
    ) -> None:
        """Set exercise/placement/side where given; the library's values win over the file's."""
        self._require_transaction()
        self._conn.execute(
            """
            UPDATE sessions SET exercise = coalesce(?, exercise), placement = coalesce(?, placement),
                side = coalesce(?, side)
            WHERE id = ?
            """,
            (exercise, placement, side, session_id),
        )

    def delete(self, session_id: int) -> SessionRecord:
        """Remove the session's rows, then its owned file; returns what was removed.

        The rows go first, in one transaction: a crash before the file is unlinked leaves only an
        unreferenced copy, which the next `sweep()` removes. The reverse order could leave a row
        pointing at nothing.
        """
        record = self.get(session_id)
        with self.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        if record.owned and record.file_path.parent == self.sessions_dir:  # never another library's
            record.file_path.unlink(missing_ok=True)
        return record

    def sweep(self) -> builtins.list[Path]:
        """Remove copies and temporary files in the sessions folder that no row refers to.

        Runs under the write lock so that it never races an import, which creates its files while
        holding that lock. If another process is writing right now, skip: the next open sweeps.
        """
        folder = self.sessions_dir
        if not folder.is_dir():
            return []
        removed: list[Path] = []
        with self._guard():
            self._conn.execute("PRAGMA busy_timeout = 0")
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return []
            finally:
                self._conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            try:
                referenced = {
                    self._owned_file(r[0]).name
                    for r in self._conn.execute("SELECT file_path FROM sessions WHERE owned = 1")
                }
                for entry in folder.iterdir():
                    name = entry.name
                    if (TEMP_NAME.match(name) or OWNED_NAME.match(name)) and name not in referenced:
                        entry.unlink(missing_ok=True)
                        removed.append(entry)
            finally:
                self._conn.execute("COMMIT")
        return removed


# Column order of the INSERTs (schema.py, migration 5).
_SET_COLUMNS = (
    "session_id", "side", "set_index", "exercise", "start_s", "end_s", "rep_count", "mean_range_deg",
    "best_range_deg", "mean_tempo_s", "drift_rep_count", "exercise_source", "exercise_confidence",
    "exercise_unsure", "calibration_uncertain",
)
_REP_COLUMNS = (
    "session_id", "side", "set_index", "rep_index", "start_s", "peak_s", "end_s", "range_deg", "down_s", "up_s",
    "knee_drift_deg", "knee_drift_warning", "shallow", "step", "knee_drift_over_reference_deg", "drift_limit_deg",
    "calibrated", "notes", "warning_details", "knee_drift_source", "segment_knee_drift_deg",
    "knee_flexion_range_deg", "knee_valgus_deg", "peak_flexion_s", "range_asymmetry_pct", "tempo_asymmetry_pct",
    "drift_asymmetry_pct",
)


def _text_list(value: object) -> tuple[str, ...]:
    """A JSON list of texts from a cell; () for anything else (a hand-edited row)."""
    try:
        doc = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return ()
    return tuple(str(v) for v in doc) if isinstance(doc, list) else ()


def _with_note(row: SetRow, note: SetNote | None) -> SetRow:
    return row if note is None else replace(row, rpe=note.rpe, pain=note.pain, pain_where=note.pain_where)


def _text(value: object) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def _number(value: object) -> float | None:
    """A finite number, or None for NULL, text, NaN or infinity (a hand-edited cell)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _count(value: object) -> int:
    number = _number(value)
    return int(number) if number is not None and number >= 0 else 0


def _check_magic(path: Path) -> None:
    """A non-empty file that is not SQLite is not ours: say so before SQLite says something vaguer."""
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise LibraryError(f"cannot read library {path}: {exc.strerror}") from None
    if head and head != SQLITE_MAGIC:
        raise LibraryError(f"{path} is not a sensortrack library (not an SQLite database; damaged or the wrong file?)")
