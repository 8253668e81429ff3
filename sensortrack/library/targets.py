"""`ID|FILE` arguments of `export` and `report`: a library session by number, or any session file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sensortrack.core.errors import ConfigError, InputFileError, LibraryError
from sensortrack.library.ingest import file_sha256, load_library_session, with_body_metadata
from sensortrack.library.location import resolve_library_path
from sensortrack.library.records import AnalysisSummary, SessionRecord
from sensortrack.library.store import Library, SessionFilter
from sensortrack.core.loading import load_session
from sensortrack.core.model import Session
from sensortrack.core.vocabulary import Exercise, Placement, Side

_ID = re.compile(r"#?(\d+)")


@dataclass(frozen=True, slots=True)
class Target:
    session: Session
    name: str  # base name for output files: "session-12" or the file's stem
    record: SessionRecord | None = None  # set when the session is in the library
    stored: AnalysisSummary | None = None  # the library's summary (ID targets only)
    history: tuple[SessionRecord, ...] = field(default_factory=tuple)  # same exercise and placement
    library_note: str = ""  # why there is no history, when that is worth saying


def parse_target(text: str) -> int | Path:
    """An existing path wins; otherwise `12` or `#12` is a library ID."""
    path = Path(text).expanduser()
    if path.exists():
        return path
    match = _ID.fullmatch(text.strip())
    if match:
        return int(match.group(1))
    raise InputFileError(text, "no such file (and not a library session ID)")


def load_target(
    text: str,
    library_option: str | None,
    *,
    exercise: Exercise | None = None,
    placement: Placement | None = None,
    side: Side | None = None,
    with_history: bool = False,
) -> Target:
    ref = parse_target(text)
    if isinstance(ref, int):
        if any(v is not None for v in (exercise, placement, side)):
            raise ConfigError(
                "--exercise/--placement/--side apply to files; for a library session, set them with "
                "`sensortrack import FILE --exercise ...` on the original file"
            )
        return _library_target(ref, resolve_library_path(library_option), with_history)
    session = with_body_metadata(load_session(ref), exercise=exercise, placement=placement, side=side)
    if not with_history:
        return Target(session=session, name=ref.stem)
    return _file_target_with_history(ref, session, resolve_library_path(library_option))


def _library_target(session_id: int, library_path: Path, with_history: bool) -> Target:
    with Library.open(library_path, create=False) as library:
        record = library.get(session_id)
        stored = AnalysisSummary(
            status=record.analysis_status,
            message=record.analysis_message,
            sets=tuple(library.sets(session_id)),
            reps=tuple(library.reps(session_id)),
            version=record.analysis_version,
            settings_json=library.analysis_settings_json(session_id),
            analyzed_utc=record.analyzed_utc,
            drift_reference_json=record.drift_reference_json,
            sensors=record.facts.sensors,
            pair=record.pair,
            pair_json=record.pair_json,
        )
        history = _history(library, record) if with_history else ()
    return Target(
        session=load_library_session(record),
        name=f"session-{session_id}",
        record=record,
        stored=stored,
        history=history,
    )


def _file_target_with_history(path: Path, session: Session, library_path: Path) -> Target:
    """A file that is also in the library (same bytes) gets its history; a library problem only
    costs the history, never the report the user asked for."""
    if not library_path.exists():
        return Target(session=session, name=path.stem, library_note="no library yet")
    try:
        with Library.open(library_path, create=False) as library:
            record = library.find_by_sha256(file_sha256(path))
            if record is None:
                return Target(session=session, name=path.stem, library_note="this file is not in the library")
            return Target(session=session, name=path.stem, record=record, history=_history(library, record))
    except LibraryError as exc:
        return Target(session=session, name=path.stem, library_note=f"library not used: {exc}")


def _history(library: Library, record: SessionRecord) -> tuple[SessionRecord, ...]:
    facts = record.facts
    if facts.exercise is None:
        return ()
    # Same placement only: thigh and shank angles are not comparable. Both sides are kept; plots
    # tell them apart.
    flt = SessionFilter(exercise=facts.exercise, placement=facts.placement, status="ok")
    # A session with an impossible date cannot sit on a time axis; it must not cost this report its plot.
    return tuple(r for r in library.list(flt) if r.dated)
