"""Personal knee-drift references for the commands: build one from a session of the person's good
reps (`analyze --reference REF`, `reference set ID`) and find the stored one for a session.

How a reference judges the warnings is the analysis' business (analysis/reference.py); this module
only gets the reference reps' drift and checks that the reference fits.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sensortrack.analysis.reference import DriftReference
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.errors import DriftReferenceError, LibraryError
from sensortrack.library.store import Library

if TYPE_CHECKING:
    from sensortrack.core.model import Session
    from sensortrack.core.vocabulary import Exercise, Placement, Side
    from sensortrack.session_analysis import ReferenceLookup

# The analysis (pipeline, SciPy: ~1 s) is imported only where a reference is built or checked, not
# to look one up: `sessions reanalyze` starts its helpers while this process imports the analysis,
# and an import here had it done before they started, so they never overlapped (issue 12).

NO_REFERENCE_TEXT = "no personal reference: warnings judged against this session's own reps"


def check_drift_defined(exercise: Exercise, placement: Placement) -> None:
    from sensortrack.session_analysis import drift_defined

    if not drift_defined(exercise, placement):
        raise DriftReferenceError(
            f"knee drift is not measured for {exercise} ({placement} sensor), so a {exercise} session "
            "takes no knee-drift reference"
        )


def build_reference(
    session: Session, settings: AnalysisSettings, *, source: str, exercise: Exercise, placement: Placement, side: Side
) -> DriftReference:
    """The drift of the session's reps (analysed with `settings`, like the sessions it will judge)."""
    return build_reference_checked(
        session, settings, source=source, exercise=exercise, placement=placement, side=side
    )[0]


def build_reference_checked(
    session: Session, settings: AnalysisSettings, *, source: str, exercise: Exercise, placement: Placement, side: Side
) -> tuple[DriftReference, int]:
    """`build_reference`, and how many of its reps were warned when judged against the session's
    own reps: a reference is meant to be good reps, and a warned one may not have been."""
    from sensortrack.analysis.drift import person_plane_cal
    from sensortrack.analysis.pipeline import StreamingAnalyzer
    from sensortrack.session_analysis import analyze_session, resolve_context

    check_drift_defined(exercise, placement)
    # What analyze_session does with exercise, placement and side given, keeping the analyzer to
    # read the reps' whole-way-down axes from.
    analyzer = StreamingAnalyzer(resolve_context(session, exercise, placement, side), settings, keep_trace=False)
    rep_axes: dict[float, Any] = {}
    if settings.drift_reference_plane:
        analyzer.rep_axes_cal = rep_axes  # record each counted rep's whole-way-down axis
    analyzer.feed(session.samples.t_s, session.samples.acc_g, session.samples.gyro_dps)
    result = analyzer.finish()
    warned = sum(1 for rep in result.reps if rep.warnings)
    # The person's plane from the clean reps (a warned one may have caved), when enough have one.
    axes = [rep_axes[rep.start_s] for rep in result.reps if not rep.warnings and rep.start_s in rep_axes]
    plane = person_plane_cal(axes) if settings.drift_reference_plane and len(axes) >= settings.drift_reference_min_reps else None
    plane_cal = None if plane is None else (float(plane[0]), float(plane[1]), float(plane[2]))
    if plane_cal is not None:
        # The reference's level and spread in the measure it will judge by: drift out of its plane.
        measuring = DriftReference(exercise, placement, side, 0.0, 0.0, 1, source, plane_cal)
        result = analyze_session(session, settings, exercise, placement, side, reference=measuring)
    try:
        reference = DriftReference.from_drifts(
            (rep.knee_drift_deg for rep in result.reps),
            exercise=exercise,
            placement=placement,
            side=side,
            source=source,
            min_reps=settings.drift_reference_min_reps,
            ranges_deg=[rep.range_deg for rep in result.reps],
            plane_cal=plane_cal,
        )
    except ValueError as exc:
        raise DriftReferenceError(f"{exc}: record more good reps for the reference") from None
    return reference, warned


def reference_from_argument(
    text: str, settings: AnalysisSettings, library_option: str | None, *, exercise: Exercise, placement: Placement, side: Side,
    loaded: tuple[Session, str] | None = None,
) -> DriftReference:
    """`--reference REF`: a session file, or `12`/`#12` for a library session, of the same person's
    good reps of `exercise`/`placement`/`side`. What REF's own metadata does not say is taken from
    the session it will judge; what it says must match. `loaded`: REF already read
    (load_reference_session)."""
    check_drift_defined(exercise, placement)
    session, source = loaded or load_reference_session(text, library_option)
    ref_body = (
        session.meta.exercise or exercise,
        session.meta.sensor.placement or placement,
        session.meta.sensor.side or side,
    )
    # Checked before the analysis: a mismatch is the likelier mistake, and cheaper to report.
    from sensortrack.session_analysis import check_same_body

    check_same_body(source, ref_body, (exercise, placement, side))
    return build_reference(session, settings, source=source, exercise=exercise, placement=placement, side=side)


def load_reference_session(text: str, library_option: str | None) -> tuple[Session, str]:
    """The session `--reference REF` names (a file, or `12`/`#12` in the library) and how to cite it."""
    from sensortrack.library.ingest import load_library_session
    from sensortrack.library.location import resolve_library_path
    from sensortrack.library.targets import parse_target
    from sensortrack.core.loading import load_session

    where = parse_target(text)
    if isinstance(where, int):
        with Library.open(resolve_library_path(library_option), create=False) as library:
            return load_library_session(library.get(where)), f"library session #{where}"
    return load_session(where), str(where)


def library_lookup(library: Library, person: str) -> ReferenceLookup:
    """The stored reference of `person` by exercise/placement/side, from an open library."""
    from sensortrack.library.references import find_reference

    def lookup(exercise: Exercise, placement: Placement, side: Side) -> DriftReference | None:
        stored = find_reference(library, person, exercise, placement, side)
        if stored is None:
            return None
        return replace(stored.reference, source=f"{stored.reference.source}, reference of {person}")

    return lookup


def stored_lookup(library_option: str | None, person: str) -> ReferenceLookup:
    """Like `library_lookup`, opening the library (if there is one: none means no reference) per call."""
    from sensortrack.library.location import resolve_library_path

    def lookup(exercise: Exercise, placement: Placement, side: Side) -> DriftReference | None:
        path = resolve_library_path(library_option)
        if not path.exists():
            return None
        try:
            with Library.open(path, create=False) as library:
                return library_lookup(library, person)(exercise, placement, side)
        except LibraryError as exc:
            raise LibraryError(f"{exc} (--no-reference: go without the stored knee-drift reference)") from None

    return lookup


def describe_reference(doc: dict[str, Any] | None) -> str:
    """One line on which baseline judged the warnings, from a result's `drift_reference` object."""
    if not doc:
        return "not recorded"
    if doc.get("kind") != "personal":
        return NO_REFERENCE_TEXT
    text = f"personal reference: {doc.get('source', '?')} ({doc.get('reps', '?')} reps, median {_deg(doc.get('median_deg'))}"
    if doc.get("limit_deg") is not None:
        text += f", warnings past {_deg(doc.get('limit_deg'))}"
    if doc.get("plane_axis_cal") is not None:
        text += ", drift out of the person's own plane"
    return text + ")"


def _deg(value: object) -> str:
    return f"{value:.1f}°" if isinstance(value, (int, float)) else "?"
