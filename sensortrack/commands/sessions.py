"""`sensortrack sessions`: list, show, delete and re-analyse the sessions in the library."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sensortrack.library.cli_options import add_library_option, add_reference_options, add_set_option
from sensortrack.core.vocabulary import EXERCISES, PLACEMENTS, SIDES

if TYPE_CHECKING:
    from sensortrack.library.reanalyze import IdleWatch
    from sensortrack.library.store import Library, SessionFilter

STATUSES = ("ok", "needs_metadata", "failed")


def _add_common(parser: argparse.ArgumentParser, *, sub: bool, filters: bool, json_flag: bool = True) -> None:
    # Sub-subcommands take the same options with SUPPRESS defaults, so `sessions --json show 3` and
    # `sessions show 3 --json` both work and neither overwrites the other.
    default = argparse.SUPPRESS if sub else None
    add_library_option(parser, suppress_default=sub)
    if json_flag:
        parser.add_argument(
            "--json", action="store_true", default=argparse.SUPPRESS if sub else False, help="print JSON"
        )
    if not filters:
        return
    parser.add_argument("--exercise", choices=EXERCISES, default=default, help="only this exercise")
    parser.add_argument("--placement", choices=PLACEMENTS, default=default, help="only this sensor placement")
    parser.add_argument("--side", choices=SIDES, default=default, help="only this leg")
    parser.add_argument(
        "--since", metavar="DATE", default=default, help="only sessions on or after DATE (YYYY-MM-DD, local)"
    )
    parser.add_argument(
        "--until", metavar="DATE", default=default, help="only sessions on or before DATE (YYYY-MM-DD, local)"
    )
    parser.add_argument(
        "--status", choices=STATUSES, default=default, help="only sessions whose analysis is in this state"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _add_common(parser, sub=False, filters=True)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="list sessions (the default)", description="List sessions, oldest first.")
    _add_common(listing, sub=True, filters=True)
    show = actions.add_parser("show", help="one session: metadata, sets and reps")
    show.add_argument("id", type=int, metavar="ID")
    _add_common(show, sub=True, filters=False)
    delete = actions.add_parser("delete", help="remove a session and the library's copy of its file")
    delete.add_argument("id", type=int, metavar="ID")
    delete.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    _add_common(delete, sub=True, filters=False, json_flag=False)
    redo = actions.add_parser(
        "reanalyze",
        help="analyse sessions again (after an update or a settings change), on every core",
        description="Analyse library sessions again with the current analysis and settings.",
    )
    _add_common(redo, sub=True, filters=True, json_flag=False)
    add_set_option(redo)
    redo.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: one per core)")
    add_reference_options(redo)


def run(args: argparse.Namespace) -> int:
    from sensortrack.library.location import resolve_library_path
    from sensortrack.library.store import Library

    action = args.action or "list"
    watch = None
    if action == "reanalyze":  # how idle the machine is, measured over what this command does first
        from sensortrack.library.reanalyze import IdleWatch

        watch = IdleWatch()
    if action in ("list", "show"):
        import sys

        from sensortrack.library.recovery import recover_cut_recordings

        recover_cut_recordings(sys.stderr if args.json else sys.stdout, sys.stderr)  # stdout stays JSON
    path = resolve_library_path(args.library)
    if action == "list" and not path.exists():
        # A fresh install has no library yet: that is an empty list, not an error.
        print("[]" if args.json else f"No sessions yet (library {path} does not exist).")
        return 0
    with Library.open(path, create=False) as library:
        if action == "list":
            return _list(library, args)
        if action == "show":
            return _show(library, args)
        if action == "delete":
            return _delete(library, args)
        return _reanalyze(library, args, watch)


def _filter(args: argparse.Namespace) -> SessionFilter:
    from sensortrack.library.store import SessionFilter
    from sensortrack.library.text import local_day_start_utc

    return SessionFilter(
        exercise=args.exercise,
        placement=args.placement,
        side=args.side,
        status=args.status,
        since_utc=local_day_start_utc(args.since, option="--since") if args.since else None,
        until_utc=local_day_start_utc(args.until, option="--until", next_day=True) if args.until else None,
    )


def _list(library: Library, args: argparse.Namespace) -> int:
    import json

    from sensortrack.library.text import (
        STATUS_TEXT,
        exercise_text,
        fmt_number,
        format_duration,
        format_table,
        local_time,
        placement_text,
    )

    records = library.list(_filter(args))
    if args.json:
        print(json.dumps([r.to_dict() for r in records], indent=1))
        return 0
    if not records:
        print("No sessions match." if library.count() else f"No sessions yet in {library.path}.")
        return 0
    headers = [
        "ID",
        "Date",
        "Exercise",
        "Side",
        "Placement",
        "Length",
        "Sets",
        "Reps",
        "Range°",
        "Drift reps",
        "Analysis",
    ]
    rows = [
        [
            str(r.id),
            local_time(r.facts.start_time_utc),
            exercise_text(r),
            r.facts.side or "?",
            placement_text(r),
            format_duration(r.facts.duration_s),
            str(r.set_count),
            str(r.rep_count),
            fmt_number(r.mean_range_deg),
            f"{r.drift_rep_count}/{r.rep_count}" if r.rep_count else "–",
            STATUS_TEXT[r.analysis_status] + (" (interrupted)" if r.facts.interrupted else ""),
        ]
        for r in records
    ]
    print(format_table(headers, rows, right={0, 5, 6, 7, 8, 9}))
    return 0


def _show(library: Library, args: argparse.Namespace) -> int:
    import json

    from sensortrack.library.records import rep_to_dict, set_to_dict
    from sensortrack.library.text import (
        STATUS_TEXT,
        exercise_text,
        fmt_number,
        format_duration,
        format_lines,
        format_table,
        local_time,
        placement_text,
        pair_text,
    )

    record = library.get(args.id)
    sets = library.sets(record.id)
    reps = library.reps(record.id)
    if args.json:
        from sensortrack.core.result_schema import RESULT_SCHEMA_VERSION

        document = {
            "schema_version": RESULT_SCHEMA_VERSION,
            "session": record.to_dict(),
            "analysis_settings": json.loads(library.analysis_settings_json(record.id)),
            "sets": [set_to_dict(s) for s in sets],
            "reps": [rep_to_dict(r) for r in reps],
        }
        print(json.dumps(document, indent=1))
        return 0
    f = record.facts
    lines = [
        f"Session #{record.id}  {local_time(f.start_time_utc)}",
        f"  exercise   {exercise_text(record) if record.exercise else '? (needs metadata)'}",
        f"  sensor     {f.sensor_model} {f.sensor_name}".rstrip() + f" on the {f.side or '?'} {placement_text(record)}, "
        f"{f.rate_hz:.0f} Hz, {'accelerometer + gyroscope' if f.has_gyro else 'accelerometer only'}",
        f"  length     {format_duration(f.duration_s)} ({f.sample_count} samples"
        + (
            f", {f.gap_count} gap{'s' if f.gap_count != 1 else ''}, {f.lost_samples} samples lost"
            if f.gap_count
            else ""
        )
        + (", recording interrupted" if f.interrupted else "")
        + ")",
        f"  file       {record.file_path}" + (" (library copy)" if record.owned else ""),
        f"  from       {record.origin} of {record.original_path}",
        f"  analysis   {STATUS_TEXT[record.analysis_status]}"
        + (f": {record.analysis_message}" if record.analysis_message else "")
        + f" (sensortrack {record.analysis_version or '?'}, {local_time(record.analyzed_utc)})",
    ]
    if record.analysis_status == "ok" and record.pair is not None:
        lines.append(f"  sensors    2, {pair_text(record)}")
    elif record.analysis_status == "ok":
        from sensortrack.personal_reference import describe_reference

        lines.append(f"  reference  {describe_reference(record.drift_reference)}")
    if f.notes:
        lines.append(f"  notes      {f.notes}")
    if f.attribution:
        lines.append(f"  credit     {f.attribution}")
    print(format_lines(lines))
    if sets:
        sided = ["Side"] if any(s.side for s in sets) else []  # a left + right session: each leg's sets
        print()
        print(
            format_table(
                ["Set", *sided, "Exercise", "Reps", "Mean range°", "Best range°", "Tempo s/rep", "Drift reps", "RPE", "Pain"],
                [
                    [
                        str(s.set_index),
                        *([s.side or ""] if sided else []),
                        s.exercise,
                        str(s.rep_count),
                        fmt_number(s.mean_range_deg),
                        fmt_number(s.best_range_deg),
                        fmt_number(s.mean_tempo_s, 1),
                        str(s.drift_rep_count),
                        "–" if s.rpe is None else str(s.rpe),
                        ("–" if s.pain is None else str(s.pain)) + (f" ({s.pain_where})" if s.pain_where else ""),
                    ]
                    for s in sets
                ],
                right={0, *(k + len(sided) for k in (2, 3, 4, 5, 6, 7))},
            )
        )
    if reps:
        from sensortrack.report_text import rep_table_text

        print()
        print(rep_table_text([rep_to_dict(r) for r in reps]))
    return 0


def _delete(library: Library, args: argparse.Namespace) -> int:
    import sys

    from sensortrack.core.errors import ConfigError
    from sensortrack.library.text import one_line
    from sensortrack.core.terminal_text import printable

    record = library.get(args.id)
    what = "and the library's copy of its file" if record.owned else f"(the recording {record.file_path} stays on disk)"
    if not args.yes:
        print(f"Delete {one_line(record)} {printable(what)}? [y/N] ", end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
        if not line:  # no answer can come (no terminal, input closed): a usage error, not a "no"
            print(file=sys.stderr)
            raise ConfigError(f"nothing deleted: no answer to the question; pass --yes to delete session #{record.id} without asking")
        if line.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.", file=sys.stderr)
            return 1
    library.delete(record.id)
    print(printable(f"Deleted session #{record.id}" + ("." if record.owned else f"; {record.file_path} was left in place.")))
    return 0


def _reanalyze(library: Library, args: argparse.Namespace, watch: IdleWatch | None) -> int:
    import os

    from sensortrack import __version__
    from sensortrack.config import load_all_settings
    from sensortrack.core.errors import ConfigError
    from sensortrack.library.cli_options import reference_person
    from sensortrack.library.progress import ProgressBar
    from sensortrack.library.reanalyze import reanalyze
    from sensortrack.personal_reference import library_lookup
    from sensortrack.core.terminal_text import printable

    if args.jobs is not None and args.jobs < 1:
        raise ConfigError("--jobs must be at least 1")
    settings, pair_settings = load_all_settings(args.set)
    person = reference_person(args)
    records = library.list(_filter(args))
    if not records:
        print("No sessions to analyse.")
        return 0
    jobs = args.jobs or os.cpu_count() or 1
    bar = ProgressBar(len(records), "analysing")
    references = None if person is None else library_lookup(library, person)
    report = reanalyze(
        library, records, settings, jobs=jobs, on_progress=bar.update, references=references, idle_watch=watch,
        pair_settings=pair_settings,
    )
    parts = [f"{report.analyzed} analysed"]
    if report.needs_metadata:
        parts.append(
            f"{len(report.needs_metadata)} need metadata ({', '.join(f'#{i}' for i in report.needs_metadata)})"
        )
    if report.vanished:
        parts.append(f"{len(report.vanished)} deleted meanwhile")
    if report.failed:
        parts.append(f"{len(report.failed)} failed")
    print(f"Re-analysed {len(records)} sessions with sensortrack {__version__}: {', '.join(parts)}.")
    for session_id, message in report.failed:
        print(printable(f"  #{session_id}: {message}"))
    return 1 if report.failed else 0
