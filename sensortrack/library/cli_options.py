"""Command-line options shared by the library commands (`import`, `sessions`, `export`, `report`)."""

from __future__ import annotations

import argparse

from sensortrack.library.location import LIBRARY_ENV, default_library_path
from sensortrack.model import EXERCISES, PLACEMENTS, SIDES

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
