"""`sensortrack import FILE...`: copy session files or plain CSVs into the library and analyse them."""

from __future__ import annotations

import argparse
import json
import sys

from sensortrack.library.cli_options import (
    add_body_options,
    add_library_option,
    add_reference_options,
    add_set_option,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="session files, t,ax,ay,az[,gx,gy,gz] CSVs or phone/vendor-app exports (files, folders, zips)")
    add_body_options(parser, "for files that do not say (also completes a file imported before)")
    from sensortrack.commands.record_pair import add_sensor_option

    add_sensor_option(parser)
    add_set_option(parser)
    add_library_option(parser)
    add_reference_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object per file")


def run(args: argparse.Namespace) -> int:
    import shlex
    from pathlib import Path

    from sensortrack.config import load_all_settings
    from sensortrack.core.errors import InputFileError, LibraryError
    from sensortrack.library.ingest import import_file
    from sensortrack.library.location import resolve_library_path
    from sensortrack.library.store import Library
    from sensortrack.library.text import one_line
    from sensortrack.core.terminal_text import printable

    from sensortrack.library.cli_options import reference_person
    from sensortrack.personal_reference import library_lookup

    from sensortrack.commands.record_pair import sensor_bodies

    sensors = sensor_bodies(args)  # a bad --sensor is one line before any file is touched
    settings, pair_settings = load_all_settings(args.set)
    person = reference_person(args)
    failures = 0
    with Library.open(resolve_library_path(args.library)) as library:
        references = None if person is None else library_lookup(library, person)
        for name in args.files:
            try:
                outcome = import_file(
                    library,
                    Path(name),
                    settings,
                    exercise=args.exercise,
                    placement=args.placement,
                    side=args.side,
                    references=references,
                    pair_settings=pair_settings,
                    sensors=sensors,
                )
            except (InputFileError, LibraryError) as exc:
                # One bad file must not stop the others; each failure is still one line.
                failures += 1
                print(f"sensortrack: error: {printable(exc)}", file=sys.stderr)
                continue
            record = outcome.record
            if args.json:
                print(json.dumps({"file": name, "action": outcome.action, "session": record.to_dict()}))
                continue
            verb = {"imported": "imported", "updated": "updated", "unchanged": "already in the library:"}[
                outcome.action
            ]
            print(f"{verb} {one_line(record)}  ← {printable(name)}")
            if record.analysis_status == "needs_metadata":
                print(
                    f"  give --exercise, --placement and --side to analyse it: "
                    f"sensortrack import {printable(shlex.quote(name))} --exercise ... --placement ... --side ..."
                    + (" (two sensors: --sensor 1:PLACEMENT:SIDE --sensor 2:PLACEMENT:SIDE)" if record.facts.sensors == 2 else ""),
                )
    return 2 if failures else 0
