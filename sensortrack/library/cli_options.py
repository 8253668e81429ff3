"""Command-line options shared by the library commands (`import`, `sessions`, `export`, `report`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from sensortrack.library.location import LIBRARY_ENV, default_library_path
from sensortrack.core.vocabulary import EXERCISES, PLACEMENTS, SIDES

if TYPE_CHECKING:
    import os

    from sensortrack.analysis.settings import AnalysisSettings
    from sensortrack.analysis.pair_settings import PairSettings

# Here rather than in export.py so that building the parser does not import numpy and pyarrow.
EXPORT_FORMATS = ("csv", "json", "parquet")


def add_library_option(parser: argparse.ArgumentParser, *, suppress_default: bool = False) -> None:
    """`--library PATH`.

    `suppress_default` is for sub-subcommands: their default must not overwrite a value given
    before the sub-subcommand name (`sessions --library X show 3`).
    """
    parser.add_argument(
        "--library",
        metavar="PATH",
        default=argparse.SUPPRESS if suppress_default else None,
        help=f"library database file (default: ${LIBRARY_ENV}, else {default_library_path()})",
    )


def add_body_options(parser: argparse.ArgumentParser, what: str) -> None:
    """--exercise/--placement/--side for files that do not say (plain CSVs, old recordings)."""
    parser.add_argument("--exercise", choices=EXERCISES, help=f"exercise, {what}")
    parser.add_argument("--placement", choices=PLACEMENTS, help=f"where the sensor sat, {what}")
    parser.add_argument("--side", choices=SIDES, help=f"which leg, {what}")


def add_set_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override an analysis setting, e.g. --set drift_threshold_deg=7 (repeatable)",
    )


def add_reference_options(parser: argparse.ArgumentParser) -> None:
    """`--no-reference` and `--person`: whose stored knee-drift reference judges the warnings."""
    parser.add_argument(
        "--no-reference",
        action="store_true",
        help="ignore the stored personal knee-drift reference: judge warnings against the session's own reps",
    )
    parser.add_argument(
        "--person", metavar="NAME", help="use this person's stored reference (default: config.toml, else 'me')"
    )


def reference_person(args: argparse.Namespace) -> str | None:
    """The person whose stored reference to use, None with --no-reference."""
    from sensortrack.config import load_person

    return None if args.no_reference else load_person(args.person)


def register_recording_or_note(
    library: str | None,
    path: str | os.PathLike[str],
    settings: AnalysisSettings,
    err: TextIO,
    *,
    use_reference: bool = True,
    person: str | None = None,
    pair_settings: PairSettings | None = None,
) -> None:
    """After `record`/`live`/`demo`: add the finished recording to the library, or say how to later.

    The recording is already safe on disk, so a library problem is a note, not an error. Its summary
    is judged against `person`'s stored reference (None: the configured person) unless not
    `use_reference`.
    """
    from sensortrack.config import load_person
    from sensortrack.core.errors import SensortrackError
    from sensortrack.library import register_recording

    try:
        whose = load_person(person) if use_reference else None
        session_id = register_recording(library, path, settings, person=whose, pair_settings=pair_settings)
    except SensortrackError as exc:
        print(f"note: not added to the library ({exc}); `sensortrack import {path}` adds it", file=err)
        return
    except Exception as exc:  # a bug: the recording is safe on disk, so say how to add it and go on
        print(
            f"note: not added to the library (internal error: {type(exc).__name__}: {exc}); "
            f"`sensortrack import {path}` adds it",
            file=err,
        )
        return
    print(f"added to the library as session {session_id} (`sensortrack sessions show {session_id}`)")
