"""The library's SQL schema as an ordered list of migrations; `PRAGMA user_version` is the version.

Never edit a migration that has shipped: add a new one at the end. Each migration runs in the same
transaction as the user_version bump, so a library is always exactly at one version.
"""

from __future__ import annotations

from dataclasses import dataclass

# PRAGMA application_id marks the file as ours (`file` shows it); an arbitrary 32-bit tag, "STLB".
APPLICATION_ID = 0x53544C42


@dataclass(frozen=True, slots=True)
class Migration:
    version: int  # user_version after this migration
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "sessions, sets and reps",
        (
            f"PRAGMA application_id = {APPLICATION_ID}",
            """
            CREATE TABLE sessions (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                file_path TEXT NOT NULL UNIQUE,       -- relative to the library folder when owned
                owned INTEGER NOT NULL,               -- 1: the library's own copy (deleted with the row)
                content_sha256 TEXT NOT NULL UNIQUE,  -- of the file as it was handed in: finds re-imports
                origin TEXT NOT NULL CHECK (origin IN ('import', 'record')),
                original_path TEXT NOT NULL,
                added_utc TEXT NOT NULL,
                start_time_utc TEXT NOT NULL,         -- ISO 8601 with +00:00, so text order is time order
                exercise TEXT,
                placement TEXT,
                side TEXT,
                sensor_model TEXT NOT NULL,
                sensor_name TEXT NOT NULL,
                rate_hz REAL NOT NULL,
                has_gyro INTEGER NOT NULL,
                sample_count INTEGER NOT NULL,
                duration_s REAL NOT NULL,
                gap_count INTEGER NOT NULL,
                lost_samples INTEGER NOT NULL,
                interrupted INTEGER NOT NULL,
                source TEXT NOT NULL,
                notes TEXT NOT NULL,
                attribution TEXT NOT NULL,
                analysis_status TEXT NOT NULL CHECK (analysis_status IN ('ok', 'needs_metadata', 'failed')),
                analysis_message TEXT NOT NULL,
                set_count INTEGER NOT NULL,
                rep_count INTEGER NOT NULL,
                drift_rep_count INTEGER NOT NULL,
                mean_range_deg REAL,
                mean_tempo_s REAL
            )
            """,
            """
            CREATE TABLE sets (
                session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                set_index INTEGER NOT NULL,
                exercise TEXT NOT NULL,
                start_s REAL NOT NULL,
                end_s REAL NOT NULL,
                rep_count INTEGER NOT NULL,
                mean_range_deg REAL,
                best_range_deg REAL,
                mean_tempo_s REAL,
                drift_rep_count INTEGER NOT NULL,
                PRIMARY KEY (session_id, set_index)
            )
            """,
            """
            CREATE TABLE reps (
                session_id INTEGER NOT NULL,
                set_index INTEGER NOT NULL,
                rep_index INTEGER NOT NULL,
                start_s REAL NOT NULL,
                peak_s REAL NOT NULL,
                end_s REAL NOT NULL,
                range_deg REAL NOT NULL,
                down_s REAL NOT NULL,
                up_s REAL NOT NULL,
                knee_drift_deg REAL,
                knee_drift_warning INTEGER NOT NULL,
                shallow INTEGER NOT NULL,
                step TEXT,
                PRIMARY KEY (session_id, set_index, rep_index),
                FOREIGN KEY (session_id, set_index) REFERENCES sets (session_id, set_index) ON DELETE CASCADE
            )
            """,
        ),
    ),
    Migration(
        2,
        "record which analysis produced each summary (for `sessions reanalyze`); index for trends",
        (
            "ALTER TABLE sessions ADD COLUMN analysis_version TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE sessions ADD COLUMN analysis_settings TEXT NOT NULL DEFAULT '{}'",
            "ALTER TABLE sessions ADD COLUMN analyzed_utc TEXT NOT NULL DEFAULT ''",
            # Summaries written by schema-1 code: say so instead of leaving the version blank.
            "UPDATE sessions SET analysis_version = 'unknown (schema 1)', analyzed_utc = added_utc",
            "CREATE INDEX sessions_by_exercise_time ON sessions (exercise, placement, start_time_utc)",
        ),
    ),
    Migration(
        3,
        "personal knee-drift references; which reference each session's warnings were judged against",
        (
            # One reference per person, exercise, placement and side. Its numbers are kept (not only
            # the session they came from), so deleting or re-analysing that session does not change
            # it: `reference set` again does.
            """
            CREATE TABLE drift_references (
                person TEXT NOT NULL,
                exercise TEXT NOT NULL,
                placement TEXT NOT NULL,
                side TEXT NOT NULL,
                median_deg REAL NOT NULL,
                spread_deg REAL NOT NULL CHECK (spread_deg >= 0),
                reps INTEGER NOT NULL CHECK (reps > 0),
                source TEXT NOT NULL,
                session_id INTEGER REFERENCES sessions (id) ON DELETE SET NULL,
                analysis_version TEXT NOT NULL,
                set_utc TEXT NOT NULL,
                PRIMARY KEY (person, exercise, placement, side)
            )
            """,
            # The result's `drift_reference` object as JSON; '' where no analysis ran.
            "ALTER TABLE sessions ADD COLUMN drift_reference TEXT NOT NULL DEFAULT ''",
            # Summaries written before references existed were judged against the session's own reps.
            """UPDATE sessions SET drift_reference = '{"kind": "session"}' WHERE analysis_status = 'ok'""",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        4,
        "the wearer's note after a set: effort (RPE 1-10), pain (0-10) and where",
        (
            # Keyed by the set's time span, not its index: a reanalysis may number the sets anew,
            # and the note must stay with the set it was given for (matched by overlap on reading).
            # Not deleted with the sets (store_summary replaces those): only with the session.
            """
            CREATE TABLE set_notes (
                session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                note_index INTEGER NOT NULL,
                set_start_s REAL NOT NULL,
                set_end_s REAL NOT NULL CHECK (set_end_s >= set_start_s),
                rpe INTEGER CHECK (rpe BETWEEN 1 AND 10),
                pain INTEGER CHECK (pain BETWEEN 0 AND 10),
                pain_where TEXT NOT NULL DEFAULT '',
                PRIMARY KEY (session_id, note_index)
            )
            """,
        ),
    ),
)

# The result schema's rep and set fields (docs/result-schema.md) and two sensors (issue 14): sets and
# reps are keyed by their side too ('' for one leg; a left + right session numbers each leg's sets
# from 1), so both tables are rebuilt (SQLite cannot change a primary key) and their rows copied.
_REP_COLUMNS_V1 = (
    "session_id, set_index, rep_index, start_s, peak_s, end_s, range_deg, down_s, up_s, knee_drift_deg, "
    "knee_drift_warning, shallow, step"
)
_SET_COLUMNS_V1 = (
    "session_id, set_index, exercise, start_s, end_s, rep_count, mean_range_deg, best_range_deg, mean_tempo_s, "
    "drift_rep_count"
)
MIGRATIONS += (
    Migration(
        5,
        "one result shape: every rep and set field of the result schema; two-sensor sessions and their measures",
        (
            """
            CREATE TABLE sets_v5 (
                session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                side TEXT NOT NULL DEFAULT '',
                set_index INTEGER NOT NULL,
                exercise TEXT NOT NULL,
                start_s REAL NOT NULL,
                end_s REAL NOT NULL,
                rep_count INTEGER NOT NULL,
                mean_range_deg REAL,
                best_range_deg REAL,
                mean_tempo_s REAL,
                drift_rep_count INTEGER NOT NULL,
                exercise_source TEXT NOT NULL DEFAULT 'given',
                exercise_confidence REAL,
                exercise_unsure INTEGER NOT NULL DEFAULT 0,
                calibration_uncertain INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (session_id, side, set_index)
            )
            """,
            """
            CREATE TABLE reps_v5 (
                session_id INTEGER NOT NULL,
                side TEXT NOT NULL DEFAULT '',
                set_index INTEGER NOT NULL,
                rep_index INTEGER NOT NULL,
                start_s REAL NOT NULL,
                peak_s REAL NOT NULL,
                end_s REAL NOT NULL,
                range_deg REAL NOT NULL,
                down_s REAL NOT NULL,
                up_s REAL NOT NULL,
                knee_drift_deg REAL,
                knee_drift_warning INTEGER NOT NULL,
                shallow INTEGER NOT NULL,
                step TEXT,
                knee_drift_over_reference_deg REAL,
                drift_limit_deg REAL,
                calibrated INTEGER NOT NULL DEFAULT 1,
                notes TEXT NOT NULL DEFAULT '[]',            -- JSON list of the rep's notes
                warning_details TEXT NOT NULL DEFAULT '[]',  -- JSON list, as in the result
                knee_drift_source TEXT,
                segment_knee_drift_deg REAL,
                knee_flexion_range_deg REAL,
                knee_valgus_deg REAL,
                peak_flexion_s REAL,
                range_asymmetry_pct REAL,
                tempo_asymmetry_pct REAL,
                drift_asymmetry_pct REAL,
                PRIMARY KEY (session_id, side, set_index, rep_index),
                FOREIGN KEY (session_id, side, set_index) REFERENCES sets_v5 (session_id, side, set_index)
                    ON DELETE CASCADE
            )
            """,
            f"INSERT INTO sets_v5 ({_SET_COLUMNS_V1}) SELECT {_SET_COLUMNS_V1} FROM sets",
            f"INSERT INTO reps_v5 ({_REP_COLUMNS_V1}) SELECT {_REP_COLUMNS_V1} FROM reps",
            # Rows written before: their notes as the analysis would have said them.
            """UPDATE reps_v5 SET notes = CASE WHEN shallow THEN '["shallow"]' ELSE '[]' END""",
            "DROP TABLE reps",
            "DROP TABLE sets",
            "ALTER TABLE sets_v5 RENAME TO sets",
            "ALTER TABLE reps_v5 RENAME TO reps",
            "ALTER TABLE sessions ADD COLUMN sensors INTEGER NOT NULL DEFAULT 1",
            "ALTER TABLE sessions ADD COLUMN pair TEXT",
            "ALTER TABLE sessions ADD COLUMN pair_measures TEXT NOT NULL DEFAULT ''",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        6,
        "the session's exercise and placement as recognised where the file and flags did not say",
        (
            # Apart from sessions.exercise/placement (what the user or file said, which win on every
            # reanalysis): the analysis' own output, replaced with each summary; no row where both
            # were given or nothing was recognised.
            """
            CREATE TABLE IF NOT EXISTS session_recognition (
                session_id INTEGER PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
                exercise TEXT,
                placement TEXT
            )
            """,
        ),
    ),
)

MIGRATIONS += (
    Migration(
        7,
        "a knee-drift reference's plane: the person's own axis of flexion, in the calibration's basis",
        (
            # JSON [x, y, z] (a unit vector: flexion axis, rest up, their cross product); NULL for a
            # reference stored before planes or where none was measured, judged as before.
            "ALTER TABLE drift_references ADD COLUMN plane_axis_cal TEXT",
        ),
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version
