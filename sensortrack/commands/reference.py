"""`sensortrack reference`: the personal knee-drift references kept in the library.

    sensortrack reference set 12                 # session 12 holds my good squats: judge by them
    sensortrack reference                        # list the stored references
    sensortrack reference show squat thigh left
    sensortrack reference clear squat thigh left
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sensortrack.library.cli_options import add_library_option, add_set_option
from sensortrack.core.vocabulary import EXERCISES, PLACEMENTS, SIDES

if TYPE_CHECKING:
    from sensortrack.analysis.settings import AnalysisSettings
    from sensortrack.library.references import StoredReference
    from sensortrack.library.store import Library


def _add_common(parser: argparse.ArgumentParser, *, sub: bool, json_flag: bool = True) -> None:
    # As in `sessions`: sub-subcommands take the same options with SUPPRESS defaults, so the option
    # works before or after the action name and neither overwrites the other.
    add_library_option(parser, suppress_default=sub)
    parser.add_argument(
        "--person",
        metavar="NAME",
        default=argparse.SUPPRESS if sub else None,
        help="whose references (default for set/show/clear: config.toml's [reference] person, else 'me'; "
        "list: everyone's)",
    )
    if json_flag:
        parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS if sub else False, help="print JSON")


def _add_body(parser: argparse.ArgumentParser, *, optional: bool) -> None:
    nargs = "?" if optional else None
    parser.add_argument("exercise", metavar="EXERCISE", nargs=nargs, choices=EXERCISES)
    parser.add_argument("placement", metavar="PLACEMENT", nargs=nargs, choices=PLACEMENTS)
    parser.add_argument("side", metavar="SIDE", nargs=nargs, choices=SIDES)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _add_common(parser, sub=False)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="list the stored references (the default)")
    _add_common(listing, sub=True)
    put = actions.add_parser(
        "set",
        help="make a library session of good reps the person's reference for its exercise, placement and side",
        description="Analyse library session ID and keep the knee drift of its reps as the person's reference "
        "for its exercise, placement and side (replacing any before).",
    )
    put.add_argument("id", metavar="ID", help="library session ID (`sensortrack sessions` lists them)")
    add_set_option(put)
    _add_common(put, sub=True)
    show = actions.add_parser("show", help="one reference in detail (or all of the person's)")
    _add_body(show, optional=True)
    _add_common(show, sub=True)
    clear = actions.add_parser("clear", help="forget one reference: warnings go back to the session's own reps")
    _add_body(clear, optional=False)
    _add_common(clear, sub=True, json_flag=False)


def run(args: argparse.Namespace) -> int:
    from sensortrack.library.location import resolve_library_path
    from sensortrack.library.store import Library

    action = args.action or "list"
    path = resolve_library_path(args.library)
    if action in ("list", "show") and not path.exists():
        print("[]" if args.json else f"No references yet (library {path} does not exist).")
        return 0
    with Library.open(path, create=(action == "set")) as library:
        if action == "set":
            return _set(library, args)
        if action == "show":
            return _show(library, args)
        if action == "clear":
            return _clear(library, args)
        return _list(library, args)


def _person(args: argparse.Namespace) -> str:
    from sensortrack.config import load_person

    return load_person(args.person)


def _set(library: Library, args: argparse.Namespace) -> int:
    from sensortrack.config import load_settings
    from sensortrack.core.errors import DriftReferenceError
    from sensortrack.library.ingest import load_library_session
    from sensortrack.library.references import find_reference, save_reference
    from sensortrack.personal_reference import build_reference_checked

    number = args.id.strip().removeprefix("#")
    if not number.isdigit():
        raise DriftReferenceError(
            f"reference set takes a library session ID, got '{args.id}' (`sensortrack import` a file first)"
        )
    session_id = int(number)
    person = _person(args)
    settings = load_settings(args.set)
    record = library.get(session_id)
    facts = record.facts
    if not (facts.exercise and facts.placement and facts.side):
        raise DriftReferenceError(
            f"session #{session_id} does not say its exercise, placement and side: "
            "complete it with `sensortrack import FILE --exercise ... --placement ... --side ...` first"
        )
    reference, warned = build_reference_checked(
        load_library_session(record),
        settings,
        source=f"library session #{session_id}",
        exercise=facts.exercise,
        placement=facts.placement,
        side=facts.side,
    )
    before = find_reference(library, person, facts.exercise, facts.placement, facts.side)
    save_reference(library, person, reference, session_id)
    stored = find_reference(library, person, facts.exercise, facts.placement, facts.side)
    assert stored is not None
    if args.json:
        import json

        print(json.dumps({**_to_dict(stored, settings), "reps_warned_on_their_own": warned}))
        return 0
    verb = "replaced" if before is not None else "set"
    print(f"{verb} {_one_line(stored, settings)}")
    if warned:
        print(
            f"  note: {warned} of its {reference.reps} reps drifted past the limit of the session's own reps; a "
            "reference should be good reps only (`sensortrack sessions show "
            f"{session_id}`; `reference set` another session if they were not)"
        )
    print(
        "  live, replay, analyze, import and sessions reanalyze judge knee drift against it; sessions already in "
        "the library keep their warnings until `sensortrack sessions reanalyze "
        f"--exercise {facts.exercise} --placement {facts.placement} --side {facts.side}`"
    )
    return 0


def _list(library: Library, args: argparse.Namespace) -> int:
    from sensortrack.config import check_person, load_settings
    from sensortrack.library.references import list_references
    from sensortrack.library.text import format_table, local_time

    person = check_person(args.person) if args.person is not None else None
    references = list_references(library, person)
    settings = load_settings()
    if args.json:
        return _print_json(references, settings)
    if not references:
        print(f"No references{f' for {person}' if person else ''} in {library.path} (`sensortrack reference set ID`).")
        return 0
    rows = [
        [
            r.person,
            r.reference.exercise,
            r.reference.placement,
            r.reference.side,
            str(r.reference.reps),
            f"{r.reference.median_deg:.1f}",
            f"{r.reference.spread_deg:.1f}",
            f"{r.reference.limit_deg(settings):.1f}",
            _from(r),
            local_time(r.set_utc),
        ]
        for r in references
    ]
    headers = ["Person", "Exercise", "Placement", "Side", "Reps", "Median°", "Spread°", "Warn past°", "From", "Set"]
    print(format_table(headers, rows, right={4, 5, 6, 7}))
    return 0


def _show(library: Library, args: argparse.Namespace) -> int:
    from sensortrack import __version__
    from sensortrack.config import load_settings
    from sensortrack.core.errors import ConfigError, LibraryError
    from sensortrack.library.references import find_reference, list_references
    from sensortrack.library.text import local_time

    person = _person(args)
    body = (args.exercise, args.placement, args.side)
    if any(body) and not all(body):
        raise ConfigError("reference show takes EXERCISE PLACEMENT SIDE together, or none for all of the person's")
    if all(body):
        one = find_reference(library, person, *body)
        if one is None:
            raise LibraryError(f"{person} has no reference for {' '.join(body)} (`sensortrack reference set ID`)")
        references = [one]
    else:
        references = list_references(library, person)
    settings = load_settings()
    if args.json:
        return _print_json(references, settings)
    if not references:
        print(f"{person} has no references in {library.path} (`sensortrack reference set ID`).")
        return 0
    for r in references:
        ref = r.reference
        lines = [
            f"{ref.exercise}, {ref.placement} sensor, {ref.side} leg — reference of {r.person}",
            f"  from       {_from(r)} ({ref.source})",
            f"  reps       {ref.reps} with a knee-drift value",
            f"  drift      median {ref.median_deg:.1f}°, robust spread {ref.spread_deg:.1f}°",
            f"  warns past {ref.limit_deg(settings):.1f}° at the usual depth on a session's first reps (median "
            f"+ {ref.restrap_shift_deg(settings):g}° the strap may move it + {ref.margin_deg(settings):.1f}°, the larger "
            f"of the {ref.placement}'s floor and {settings.drift_spread_multiple:g} × spread), then from today's reps, never higher",
            f"  measured   by sensortrack {r.analysis_version}, set {local_time(r.set_utc)}",
        ]
        if r.analysis_version != __version__:
            lines.append("  note       measured by another sensortrack version: `reference set` again to refresh it")
        print("\n".join(lines))
    return 0


def _clear(library: Library, args: argparse.Namespace) -> int:
    from sensortrack.core.errors import LibraryError
    from sensortrack.library.references import clear_reference

    person = _person(args)
    if not clear_reference(library, person, args.exercise, args.placement, args.side):
        raise LibraryError(f"{person} has no reference for {args.exercise} {args.placement} {args.side}")
    print(
        f"cleared the {args.exercise} {args.placement} {args.side} reference of {person}: knee-drift warnings are "
        "judged against each session's own reps again"
    )
    return 0


def _from(stored: StoredReference) -> str:
    return f"session #{stored.session_id}" if stored.session_id is not None else "a deleted session"


def _one_line(stored: StoredReference, settings: AnalysisSettings) -> str:
    ref = stored.reference
    return (
        f"the {ref.exercise} {ref.placement} {ref.side} reference of {stored.person}: {ref.source}, {ref.reps} reps, "
        f"median {ref.median_deg:.1f}°, spread {ref.spread_deg:.1f}° → warnings past {ref.limit_deg(settings):.1f}°"
    )


def _print_json(references: list[StoredReference], settings: AnalysisSettings) -> int:
    import json

    print(json.dumps([_to_dict(r, settings) for r in references], indent=1))
    return 0


def _to_dict(stored: StoredReference, settings: AnalysisSettings) -> dict[str, object]:
    return {**stored.to_dict(), "limit_deg": round(stored.reference.limit_deg(settings), 1)}
