"""`sensortrack export ID|FILE -o OUT`: samples (units in the column names) and the per-rep table."""

from __future__ import annotations

import argparse

from sensortrack.library.cli_options import EXPORT_FORMATS as FORMATS
from sensortrack.library.cli_options import add_body_options, add_library_option, add_reference_options, add_set_option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target", metavar="ID|FILE", help="library session ID (see `sensortrack sessions`) or a session file"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="output format (default: from OUT's extension, else csv)",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="output file, or an existing folder; csv and parquet also write OUT-reps.<ext> (the rep table)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    add_body_options(parser, "for a FILE that does not say")
    add_set_option(parser)
    add_library_option(parser)
    add_reference_options(parser)


def run(args: argparse.Namespace) -> int:
    import os
    import sys
    from pathlib import Path

    from sensortrack.config import load_all_settings
    from sensortrack.core.errors import InputFileError
    from sensortrack.library.export import export_session
    from sensortrack.library.ingest import summarize
    from sensortrack.library.targets import load_target

    if args.output == "-":  # (a file named "-.csv" beside "--reps.csv" is no one's intent)
        raise InputFileError("-", "export writes files (the samples and OUT-reps.<ext>): give a file or folder, not standard output")
    out = Path(args.output)
    if args.output.endswith(("/", os.sep)) and not out.is_dir():
        raise InputFileError(args.output, "the output folder does not exist")
    fmt = args.format or (out.suffix[1:].lower() if out.suffix[1:].lower() in FORMATS else "csv")
    target = load_target(args.target, args.library, exercise=args.exercise, placement=args.placement, side=args.side)
    if target.stored is not None:
        summary = target.stored  # a library session: the summary `sessions show` gives
    else:
        from sensortrack.library.cli_options import reference_person
        from sensortrack.personal_reference import stored_lookup

        person = reference_person(args)
        reference = None if person is None else stored_lookup(args.library, person)
        settings, pair_settings = load_all_settings(args.set)
        summary = summarize(target.session, settings, reference, pair_settings)
    if summary.status != "ok":
        print(f"sensortrack: note: the rep table is empty: {summary.message}", file=sys.stderr)
    written = export_session(target.session, summary, target.record, fmt, out, target.name, force=args.force)
    for path in written:
        print(path)
    return 0
