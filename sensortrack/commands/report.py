"""`sensortrack report [ID|FILE] -o report.html`: a printable, self-contained HTML report."""

from __future__ import annotations

import argparse

from sensortrack.library.cli_options import add_body_options, add_library_option, add_reference_options, add_set_option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target",
        nargs="?",
        metavar="ID|FILE",
        help="library session ID or a session file; leave out for a progress report of the whole library",
    )
    parser.add_argument("-o", "--output", required=True, metavar="OUT.html", help="the HTML file to write")
    parser.add_argument("--force", action="store_true", help="overwrite OUT.html if it exists")
    add_body_options(parser, "for a FILE that does not say; for a progress report, only these sessions")
    add_set_option(parser)
    add_library_option(parser)
    add_reference_options(parser)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sensortrack.config import load_all_settings
    from sensortrack.library.report_html import write_progress_report, write_report

    out = Path(args.output).expanduser()
    body = {"exercise": args.exercise, "placement": args.placement, "side": args.side}
    if args.target is None:
        count = write_progress_report(out, library_option=args.library, force=args.force, **body)
        print(f"{out} ({count} sessions)")
        return 0
    from sensortrack.library.cli_options import reference_person
    from sensortrack.personal_reference import stored_lookup

    person = reference_person(args)
    reference = None if person is None else stored_lookup(args.library, person)
    settings, pair_settings = load_all_settings(args.set)
    write_report(
        args.target,
        out,
        settings,
        pair_settings=pair_settings,
        library_option=args.library,
        force=args.force,
        reference=reference,
        **body,
    )
    print(out)
    return 0
