"""`sensortrack analyze FILE`: sets, reps and knee drift from a recorded session."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from sensortrack.library.cli_options import add_library_option, add_reference_options
from sensortrack.core.model import EXERCISES, PLACEMENTS, SIDES

if TYPE_CHECKING:  # imported when run: `--help` stays light
    from sensortrack.analysis.settings import AnalysisSettings
    from sensortrack.core.model import Session
    from sensortrack.core.vocabulary import Exercise, Placement, Side


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
    # Two sensors recorded together (docs/two-sensors.md): a two-sensor session file needs nothing more.
    parser.add_argument("--with", dest="with_file", metavar="FILE2",
                        help="a second sensor's file recorded together with FILE (thigh + shank, or left + right)")
    parser.add_argument("--with-placement", choices=PLACEMENTS, help="override where the --with sensor sits")
    parser.add_argument("--with-side", choices=SIDES, help="override which leg carries the --with sensor")
    from sensortrack.commands.record_pair import add_sensor_option

    add_sensor_option(parser)
    add_reference_options(parser)
    add_library_option(parser)


def run(args: argparse.Namespace) -> int:
    from sensortrack.config import load_settings, split_pair_settings
    from sensortrack.core.errors import ConfigError
    from sensortrack.library.cli_options import reference_person
    from sensortrack.core.loading import load_session
    from sensortrack.core.memory import keep_freed_memory_for
    from sensortrack.personal_reference import stored_lookup
    from sensortrack.report_text import format_report
    from sensortrack.session_analysis import analyze_session
    from sensortrack.core.terminal_text import printable_lines

    if args.reference is not None and args.no_reference:
        raise ConfigError("--reference and --no-reference exclude each other")

    engine_options, pair_options = split_pair_settings(args.set_options)
    settings = load_settings(engine_options)
    from sensortrack.commands.record_pair import sensor_bodies

    bodies = sensor_bodies(args)  # checked before any file is read
    keep_freed_memory_for(args.file)  # a long recording's temporaries reuse memory (core/memory.py)
    session = load_session(args.file)
    if args.with_file is not None or session.companions:
        return _run_pair(args, session, settings, pair_options)
    if pair_options:
        raise ConfigError("pair.* settings apply to two sensors only (a two-sensor file or --with FILE2)")
    if bodies:
        raise ConfigError("--sensor is for two sensors (a two-sensor file or --with FILE2): use --placement/--side")
    reference = None
    exercise, placement, side = args.exercise, args.placement, args.side
    if args.reference is not None:
        exercise, placement, side, reference = _with_reference(args, session, settings)
    else:
        person = reference_person(args)
        if person is not None:
            reference = stored_lookup(args.library, person)
    result = analyze_session(session, settings, exercise, placement, side, reference)
    if args.json:
        payload = result.to_dict()
        payload["file"] = args.file
        payload["samples"] = len(session.samples)
        payload["gaps"] = [
            {"start_s": g.start_s, "end_s": g.end_s, "lost_samples": g.lost_samples} for g in session.gaps
        ]
        payload["interrupted"] = session.interrupted
        # dumps, not dump: dump streams through the pure-Python encoder, one write per token
        # (55 k writes, ~0.5 s for an hour's reps); dumps encodes in C and writes once.
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, allow_nan=False) + "\n")
    else:
        sys.stdout.write(printable_lines(format_report(session, result)))  # names from the file: escaped
    return 0


def _with_reference(args: argparse.Namespace, session: Any, settings: Any) -> tuple[Any, Any, Any, Any]:
    """`--reference REF`: exercise, placement and side from the flags, else FILE, else REF's own
    metadata; what none of them says of exercise and placement is recognised from FILE (the reference
    is then REF analysed as that exercise, per recognised set). The side is never guessed: without
    it there is no drift toward the midline to judge, so REF cannot be used."""
    from functools import cache

    from sensortrack.core.errors import MissingMetadataError
    from sensortrack.personal_reference import load_reference_session, reference_from_argument
    from sensortrack.session_analysis import drift_defined

    ref_session, source = load_reference_session(args.reference, args.library)
    ref_meta = ref_session.meta
    exercise = args.exercise or session.meta.exercise or ref_meta.exercise
    placement = args.placement or session.meta.sensor.placement or ref_meta.sensor.placement
    side = args.side or session.meta.sensor.side or ref_meta.sensor.side
    if side is None:
        raise MissingMetadataError(
            f"neither {args.file} nor the reference ({source}) says which leg carries the sensor: pass --side"
        )
    if exercise and placement:
        return exercise, placement, side, reference_from_argument(
            args.reference, settings, args.library, exercise=exercise, placement=placement, side=side,
            loaded=(ref_session, source),
        )

    @cache
    def lookup(ex: Exercise, pl: Placement, sd: Side) -> Any:
        # A recognised set of another exercise than REF says it is, or one without knee drift
        # (clamshells), is analysed without the reference rather than refused.
        if (ref_meta.exercise and ex != ref_meta.exercise) or not drift_defined(ex, pl):
            return None
        return reference_from_argument(args.reference, settings, args.library, exercise=ex, placement=pl, side=sd,
                                       loaded=(ref_session, source))

    return exercise, placement, side, lookup


def _run_pair(args: argparse.Namespace, session: Session, settings: AnalysisSettings, pair_options: dict[str, str]) -> int:
    """Two sensors: a two-sensor session file, or FILE with --with FILE2."""
    from sensortrack.commands.record_pair import sensor_bodies
    from sensortrack.core.errors import ConfigError
    from sensortrack.core.loading import load_session
    from sensortrack.core.sensor_bodies import bodies_of
    from sensortrack.config import load_pair_settings
    from sensortrack.pair_analysis import analyze_pair, format_pair_report
    from sensortrack.core.terminal_text import printable_lines

    if args.reference is not None:
        raise ConfigError("--reference is for one sensor: with two, knee drift comes from the knee angle itself")
    if args.with_file is not None:
        if session.companions:
            raise ConfigError(f"{args.file} already holds two sensors: leave out --with")
        other = load_session(args.with_file)
        if other.companions:
            raise ConfigError(f"{args.with_file} already holds two sensors: analyse it on its own")
    else:
        if len(session.companions) != 1:
            raise ConfigError(f"{args.file} holds {1 + len(session.companions)} sensors: two are analysed together")
        other = session.companions[0]
    flags = ((args.placement, args.side), (args.with_placement, args.with_side))
    where = args.file if args.with_file is None else f"{args.file} --with {args.with_file}"
    given = bodies_of([session, other], sensor_bodies(args), where)
    for k, ((placement, side), (p, sd)) in enumerate(zip(flags, given, strict=True)):
        if (p or sd) and (placement or side):
            flag = "--placement/--side" if k == 0 else "--with-placement/--with-side"
            raise ConfigError(f"sensor {k + 1} is given by both --sensor and {flag}: give one")
    bodies = ((args.placement or given[0][0], args.side or given[0][1]),
              (args.with_placement or given[1][0], args.with_side or given[1][1]))
    analysis = analyze_pair(session, other, settings, load_pair_settings(pair_options), args.exercise, bodies)
    if args.json:
        payload = analysis.to_dict()
        payload["file"] = args.file
        if args.with_file is not None:
            payload["with_file"] = args.with_file
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, allow_nan=False) + "\n")
    else:
        sys.stdout.write(printable_lines(format_pair_report(analysis)))
    return 0
