"""Getting sessions into the library: `sensortrack import` and the recorder's registration.

Imports are copied into the library's sessions folder in the session format, so the library never
depends on the user's original file staying put. The copy is written and fsynced under a temporary
name, renamed into place and its row inserted in one transaction (see store.py for why a crash at
any point leaves neither a half row nor a counted orphan).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from uuid import uuid4

from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.errors import ConfigError, InputFileError, LibraryError, MissingMetadataError, SensortrackError
from sensortrack.library.location import resolve_library_path
from sensortrack.library.records import AnalysisSummary, SessionFacts, SessionRecord, normalize_utc
from sensortrack.library.store import Library
from sensortrack.core.loading import load_session
from sensortrack.core.model import Session
from sensortrack.core.sessionfile import write_session
from sensortrack.core.start_time import start_time_problem
from sensortrack.core.vocabulary import Exercise, Placement, Side


# What a recording's entry says until its analysis is stored.
PENDING_MESSAGE = "the analysis did not finish; `sensortrack sessions reanalyze` runs it again"

if TYPE_CHECKING:
    from sensortrack.analysis.pair_settings import PairSettings
    from sensortrack.core.sensor_bodies import SensorBody
    from sensortrack.analysis.reference import DriftReference
    from sensortrack.session_analysis import ReferenceLookup


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    action: Literal["imported", "updated", "unchanged"]
    record: SessionRecord


def file_sha256(path: Path) -> str:
    if path.is_dir():  # a phone app's export folder (sensortrack.core.formats): its files' names and bytes
        from sensortrack.core.formats.sources import content_sha256

        return content_sha256(path)
    try:
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError as exc:
        raise InputFileError(str(path), f"cannot read: {exc.strerror}") from None


def with_body_metadata(
    session: Session, *, exercise: Exercise | None, placement: Placement | None, side: Side | None
) -> Session:
    """The session with exercise/placement/side replaced where the argument is not None."""
    sensor = session.meta.sensor.with_body(placement, side)
    meta = replace(
        session.meta,
        sensor=sensor,
        exercise=exercise if exercise is not None else session.meta.exercise,
    )
    return replace(session, meta=meta, samples=session.samples.with_sensor(sensor))


def summarize(
    session: Session,
    settings: AnalysisSettings,
    reference: DriftReference | ReferenceLookup | None = None,
    pair_settings: PairSettings | None = None,
) -> AnalysisSummary:
    """Analyse a session for the library; a session the analysis cannot take is kept, and marked.

    `reference`: the person's knee-drift reference, or a lookup of the stored one (None: none); a
    two-sensor session needs none (its knee drift comes from the knee angle or each leg's own reps)
    and is judged with `pair_settings` (None: the defaults).
    """
    from sensortrack.session_analysis import analyze_session  # pulls in the whole pipeline

    try:
        if len(session.companions) == 1:  # two sensors: the pair's measures (docs/two-sensors.md)
            from sensortrack.pair_analysis import analyze_pair

            pair = analyze_pair(session, session.companions[0], settings, pair_settings)
            return AnalysisSummary.from_pair(pair, settings)
        result = analyze_session(session, settings, reference=reference)
    except MissingMetadataError as exc:
        return AnalysisSummary.not_analyzed("needs_metadata", str(exc), settings)
    except SensortrackError as exc:
        return AnalysisSummary.not_analyzed("failed", str(exc), settings)
    except Exception as exc:  # a bug in the analysis must not cost the session its entry
        return AnalysisSummary.not_analyzed(
            "failed", f"internal error: {type(exc).__name__}: {exc}", settings, internal=True
        )
    return AnalysisSummary.from_result(result, settings)


def start_time_of(session: Session, path: Path) -> str:
    """When the session started, in UTC. Plain CSVs carry no start time: their file date stands in."""
    stamp = normalize_utc(session.meta.start_time_utc) if session.meta.start_time_utc else None
    if stamp is not None:
        return stamp
    moment = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
    if start_time_problem(moment) is not None:  # a file date from a wrong clock: the import date instead
        moment = datetime.now(UTC).isoformat(timespec="seconds")
    return moment


def load_library_session(record: SessionRecord) -> Session:
    """The session file of a library entry, with the library's exercise/placement/side applied."""
    if not record.file_path.is_file():
        raise LibraryError(f"the file of session #{record.id} is missing: {record.file_path} (moved or deleted?)")
    session = load_session(record.file_path)
    facts = record.facts
    return with_body_metadata(session, exercise=facts.exercise, placement=facts.placement, side=facts.side)


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); Windows has no directory handles to fsync."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _owned_name(start_time_utc: str, exercise: str | None) -> str:
    stamp = datetime.fromisoformat(start_time_utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{exercise or 'session'}-{uuid4().hex[:8]}.csv"


def import_file(
    library: Library,
    path: Path,
    settings: AnalysisSettings,
    *,
    exercise: Exercise | None = None,
    placement: Placement | None = None,
    side: Side | None = None,
    references: ReferenceLookup | None = None,
    pair_settings: PairSettings | None = None,
    sensors: Sequence[SensorBody] = (),
) -> ImportOutcome:
    """Copy a session file or plain CSV into the library, analysed.

    A file already in the library (same bytes) is not copied again; given exercise/placement/side
    then update that entry instead — that is how a "needs metadata" session gets completed.
    `references` finds the person's stored knee-drift reference for the session (None: none).
    `sensors`: where each sensor of a two-sensor file sat (`--sensor ID:PLACEMENT:SIDE`), kept in
    the library's copy.
    """
    path = Path(path)
    try:
        path.resolve()
    except (RuntimeError, OSError):  # 3.11 raises RuntimeError for a symlink loop
        raise InputFileError(str(path), "no such file (a symbolic link loop)") from None
    given = any(v is not None for v in (exercise, placement, side)) or bool(sensors)
    # The library's own copy (e.g. `import library-sessions/*.csv`) is that session, not a new one.
    existing = library.find_by_path(path) if path.resolve().parent == library.sessions_dir.resolve() else None
    if existing is None:
        session = load_session(path)
        sha256 = file_sha256(path)
        existing = library.find_by_sha256(sha256)
    if existing is not None:
        if not given:
            return ImportOutcome("unchanged", existing)
        record = update_body_metadata(
            library, existing, settings, exercise=exercise, placement=placement, side=side, references=references,
            pair_settings=pair_settings, sensors=sensors, where=str(path),
        )
        return ImportOutcome("updated", record)

    session = with_body_metadata(_placed(session, sensors, str(path)), exercise=exercise, placement=placement, side=side)
    start_time_utc = start_time_of(session, path)
    session = replace(session, meta=replace(session.meta, start_time_utc=start_time_utc))
    summary = summarize(session, settings, references, pair_settings)
    facts = SessionFacts.from_session(session, start_time_utc)

    folder = library.sessions_dir
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / _owned_name(start_time_utc, facts.exercise)
    temp = folder / f".import-{uuid4().hex}.part"
    try:
        with library.transaction():
            # Checked again under the write lock: another process may have imported the same file.
            raced = library.find_by_sha256(sha256)
            if raced is not None:
                return ImportOutcome("unchanged", raced)
            write_session(temp, session)  # fsyncs before closing
            session_id = library.insert_session(
                file_path=final,
                owned=True,
                origin="import",
                original_path=str(path.resolve()),
                content_sha256=sha256,
                facts=facts,
                summary=summary,
                notes=session.events.set_notes,
            )
            os.replace(temp, final)
            _fsync_dir(folder)
    except BaseException:
        temp.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        raise
    return ImportOutcome("imported", library.get(session_id))


def update_body_metadata(
    library: Library,
    record: SessionRecord,
    settings: AnalysisSettings,
    *,
    exercise: Exercise | None,
    placement: Placement | None,
    side: Side | None,
    references: ReferenceLookup | None = None,
    pair_settings: PairSettings | None = None,
    sensors: Sequence[SensorBody] = (),
    where: str = "",
) -> SessionRecord:
    """Give a library session its exercise/placement/side and analyse it again with them. Where
    each sensor of a two-sensor session sat (`sensors`) goes into the library's own copy of it."""
    session = load_library_session(record)
    if sensors:
        if not record.owned:
            raise InputFileError(where or str(record.file_path), f"is library session #{record.id}, a recording kept where "
                                 "it was recorded: --sensor changes only the library's own copies of imported files")
        session = _placed(session, sensors, where or str(record.file_path))
        placement = placement or session.meta.sensor.placement
        side = side or session.meta.sensor.side
    session = with_body_metadata(session, exercise=exercise, placement=placement, side=side)
    summary = summarize(session, settings, references, pair_settings)
    with library.transaction():
        if sensors:  # the copy says where each sensor sat from now on (written whole, then renamed)
            temp = record.file_path.with_name(f".import-{uuid4().hex}.part")
            try:
                write_session(temp, session)
                os.replace(temp, record.file_path)
            finally:
                temp.unlink(missing_ok=True)
            _fsync_dir(record.file_path.parent)
        library.update_body_metadata(record.id, exercise=exercise, placement=placement, side=side)
        library.store_summary(record.id, summary)
    return library.get(record.id)


def _placed(session: Session, sensors: Sequence[SensorBody], where: str) -> Session:
    """`--sensor` bodies on a two-sensor session; a one-sensor file, or a sensor it does not have,
    is this file's error (the other files of the import go on)."""
    if not sensors:
        return session
    if not session.companions:
        raise InputFileError(where, "holds one sensor: --sensor is for two-sensor files (use --placement/--side)")
    from sensortrack.core.sensor_bodies import with_sensor_bodies

    try:
        return with_sensor_bodies(session, list(sensors), where)
    except ConfigError as exc:
        raise InputFileError(where, str(exc)) from None


def register_recording(
    library_path: str | os.PathLike[str] | None,
    session_path: str | os.PathLike[str],
    settings: AnalysisSettings | None = None,
    *,
    person: str | None = None,
    pair_settings: PairSettings | None = None,
) -> int:
    """Add a session file written by `record`/`live` to the library, in place; returns its id.

    The file is referenced, not copied (the recorder chose where it lives) and `sessions delete`
    leaves it on disk. Registering the same file again returns the existing id, so a recorder may
    call this again after a crash without creating duplicates. `library_path` None means the
    default library ($SENSORTRACK_LIBRARY or the user's data folder). The summary's knee-drift
    warnings are judged against `person`'s stored reference (None: no reference). Settings left
    None are the configured ones (config.toml).
    """
    if settings is None:
        from sensortrack.config import load_settings

        settings = load_settings()
    path = Path(session_path).resolve()
    with Library.open(resolve_library_path(library_path)) as library:
        known = library.find_by_path(path)
        if known is not None:
            return known.id
        session = load_session(path)
        if pair_settings is None and session.companions:  # a one-sensor recording needs no [pair]
            from sensortrack.config import load_pair_settings

            pair_settings = load_pair_settings()
        sha256 = file_sha256(path)
        start_time_utc = start_time_of(session, path)
        facts = SessionFacts.from_session(session, start_time_utc)
        # The entry goes in before the analysis runs: should the analysis ever take the process
        # down (a C extension aborting), the recording is still in the library, marked, and
        # `sessions reanalyze` completes it.
        pending = AnalysisSummary.not_analyzed("failed", PENDING_MESSAGE, settings)
        with library.transaction():
            raced = library.find_by_path(path) or library.find_by_sha256(sha256)
            if raced is not None:
                return raced.id
            session_id = library.insert_session(
                file_path=path,
                owned=False,
                origin="record",
                original_path=str(path),
                content_sha256=sha256,
                facts=facts,
                summary=pending,
                notes=session.events.set_notes,
            )
        summary = summarize(session, settings, _lookup(library, person), pair_settings)
        with library.transaction():
            library.store_summary(session_id, summary)
        return session_id


def _lookup(library: Library, person: str | None) -> ReferenceLookup | None:
    from sensortrack.personal_reference import library_lookup

    return None if person is None else library_lookup(library, person)
