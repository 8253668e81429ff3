"""`sensortrack analyze FILE`: sets, reps and knee drift from a recorded session."""

from __future__ import annotations

import argparse
import json
import sys

from sensortrack.model import EXERCISES, PLACEMENTS, SIDES

HELP = "analyse a recorded session: sets, every rep, knee drift inward and warnings"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a sensortrack session file or a plain CSV with t,ax,ay,az[,gx,gy,gz]")
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


def run(args: argparse.Namespace) -> int:
    from sensortrack.config import load_settings
    from sensortrack.loading import load_session
    from sensortrack.report_text import format_report
    from sensortrack.session_analysis import analyze_session
    from sensortrack.terminal_text import printable_lines

    settings = load_settings(args.set_options)
    session = load_session(args.file)
    result = analyze_session(session, settings, args.exercise, args.placement, args.side)
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
