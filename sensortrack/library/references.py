"""Personal knee-drift references kept in the library: one per person, exercise, placement and side.

The library has no notion of people otherwise; a reference names its person so that a coach or a
household can keep several (`--person`, or `[reference] person` in config.toml; "me" by default).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sensortrack import __version__
from sensortrack.analysis.reference import DriftReference
from sensortrack.core.errors import LibraryError
from sensortrack.library.records import utc_now_iso
from sensortrack.library.store import Library
from sensortrack.core.vocabulary import Exercise, Placement, Side


@dataclass(frozen=True, slots=True)
class StoredReference:
    person: str
    reference: DriftReference
    session_id: int | None  # the library session it was built from; None once that is deleted
    analysis_version: str  # the sensortrack that measured the reference reps
    set_utc: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "person": self.person,
            **self.reference.to_dict(),
            "session_id": self.session_id,
            "analysis_version": self.analysis_version,
            "set_utc": self.set_utc,
        }


def save_reference(library: Library, person: str, reference: DriftReference, session_id: int | None) -> None:
    """Store (or replace) the person's reference for the reference's exercise, placement and side."""
    with library.transaction() as conn:
        conn.execute(
            """
            INSERT OR REPLACE INTO drift_references (person, exercise, placement, side, median_deg,
                spread_deg, reps, source, session_id, analysis_version, set_utc, plane_axis_cal)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                person,
                reference.exercise,
                reference.placement,
                reference.side,
                reference.median_deg,
                reference.spread_deg,
                reference.reps,
                reference.source,
                session_id,
                __version__,
                utc_now_iso(),
                None if reference.plane_cal is None else json.dumps(list(reference.plane_cal)),
            ),
        )


def find_reference(library: Library, person: str, exercise: Exercise, placement: Placement, side: Side) -> StoredReference | None:
    rows = library.query(
        "SELECT * FROM drift_references WHERE person = ? AND exercise = ? AND placement = ? AND side = ?",
        (person, exercise, placement, side),
    )
    return _stored(library, rows[0]) if rows else None


def list_references(library: Library, person: str | None = None) -> list[StoredReference]:
    """Every stored reference (of one person when given), ordered by person, exercise, placement, side."""
    where, params = ("WHERE person = ?", (person,)) if person is not None else ("", ())
    rows = library.query(f"SELECT * FROM drift_references {where} ORDER BY person, exercise, placement, side", params)
    return [_stored(library, r) for r in rows]


def clear_reference(library: Library, person: str, exercise: Exercise, placement: Placement, side: Side) -> bool:
    """Remove one reference; False when there was none."""
    with library.transaction() as conn:
        cursor = conn.execute(
            "DELETE FROM drift_references WHERE person = ? AND exercise = ? AND placement = ? AND side = ?",
            (person, exercise, placement, side),
        )
        return cursor.rowcount > 0


def _stored(library: Library, row: Any) -> StoredReference:
    doc = {k: row[k] for k in ("exercise", "placement", "side", "median_deg", "spread_deg", "reps", "source")}
    try:
        if row["plane_axis_cal"] is not None:
            doc["plane_axis_cal"] = json.loads(row["plane_axis_cal"])
        reference = DriftReference.from_dict(doc)
    except ValueError as exc:  # json.JSONDecodeError is one
        raise LibraryError(f"library {library.path}: the {row['exercise']} reference of {row['person']} is damaged ({exc})") from None
    return StoredReference(
        person=row["person"],
        reference=reference,
        session_id=row["session_id"],
        analysis_version=row["analysis_version"],
        set_utc=row["set_utc"],
    )
