"""`sensortrack analyze FILE`: sets, reps and knee drift from a recorded session."""

from __future__ import annotations

import argparse
import json
import sys

from sensortrack.library.cli_options import add_library_option, add_reference_options
from sensortrack.model import EXERCISES, PLACEMENTS, SIDES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        help="a sensortrack session file, a plain CSV with t,ax,ay,az[,gx,gy,gz], or a phone/vendor-app export "
        "(file, folder or zip: docs/formats.md)",
    )
    parser.add_argument("--exercise", choices=EXERCISES, help="override the file's exercise")
    parser.add_argument("--placement", choices=PLACEMENTS, help="override where the sensor sits")
    parser.add_argument("--side", choices=SIDES, help="override which leg carries the sensor")
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    parser.add_argument(
        "--set",
        dest="set_options",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override an analysis setting, e.g. --set drift_threshold_deg=8 (repeatable)",
    )
    parser.add_argument(
        "--reference",
        metavar="REF",
        help="judge knee drift against REF: a session file or library ID of the same person's good reps "
        "(same exercise, placement and side); default: the stored reference (`sensortrack reference`)",
    )
    add_reference_options(parser)
    add_library_option(parser)


def run(args: argparse.Namespace) -> int:
    from sensortrack.config import load_settings
    from sensortrack.errors import ConfigError
    from sensortrack.library.cli_options import reference_person
    from sensortrack.loading import load_session
    from sensortrack.personal_reference import reference_from_argument, stored_lookup
    from sensortrack.report_text import format_report
    from sensortrack.session_analysis import analyze_session, resolve_context
    from sensortrack.terminal_text import printable_lines

    if args.reference is not None and args.no_reference:
        raise ConfigError("--reference and --no-reference exclude each other")
    settings = load_settings(args.set_options)
    session = load_session(args.file)
    reference = None
    if args.reference is not None:
        ctx = resolve_context(session, args.exercise, args.placement, args.side)
        reference = reference_from_argument(
            args.reference, settings, args.library, exercise=ctx.exercise, placement=ctx.placement, side=ctx.side
        )
    else:
        person = reference_person(args)
        if person is not None:
            reference = stored_lookup(args.library, person)
    result = analyze_session(session, settings, args.exercise, args.placement, args.side, reference)
    if args.json:
        payload = result.to_dict()
        payload["file"] = args.file
        payload["samples"] = len(session.samples)
        payload["gaps"] = [
            {"start_s": g.start_s, "end_s": g.end_s, "lost_samples": g.lost_samples} for g in session.gaps
        ]
        payload["interrupted"] = session.interrupted
        json.dump(payload, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(printable_lines(format_report(session, result)))  # names from the file: escaped
    return 0
