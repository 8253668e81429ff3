"""`sensortrack replay SESSION`: the live set view driven by a recorded session.

    sensortrack replay squats.csv --speed 4
"""

from __future__ import annotations

import argparse

from sensortrack.commands.live import add_view_options
from sensortrack.library.cli_options import add_body_options, add_library_option, add_reference_options, add_set_option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session", metavar="SESSION", help="session file or interchange CSV")
    parser.add_argument("--speed", type=float, default=1.0, metavar="X", help="play X times faster than real time (default 1)")
    add_view_options(parser)
    add_body_options(parser, "when the file does not say")
    add_set_option(parser)
    add_reference_options(parser)
    add_library_option(parser)


def run(args: argparse.Namespace) -> int:
    from sensortrack.config import load_settings
    from sensortrack.errors import ConfigError
    from sensortrack.tui.app import replay_app

    if not args.speed > 0:
        raise ConfigError(f"--speed must be positive, got {args.speed:g}")
    from sensortrack.commands.live import load_view_plan
    from sensortrack.library.cli_options import reference_person
    from sensortrack.personal_reference import stored_lookup

    settings = load_settings(args.set)
    plan = load_view_plan(args)
    if plan is None and (args.exercise is None or args.placement is None):
        from sensortrack.recognising import body_for_replay  # issue 13: what the file does not say

        args.exercise, args.placement = body_for_replay(args.session, args.exercise, args.placement)
    person = reference_person(args)
    app = replay_app(
        args.session,
        args.speed,
        settings,
        reference=None if person is None else stored_lookup(args.library, person),
        sound=args.sound,
        count_at=args.count_at,
        plan=plan,
        exercise=args.exercise,
        placement=args.placement,
        side=args.side,
    )
    return run_app(app)


def run_app(app: object) -> int:
    """Run the app; an error the worker hit is raised after the terminal is restored (one line)."""
    from sensortrack.tui.app import SensortrackApp

    assert isinstance(app, SensortrackApp)
    code = app.run()
    if app.error is not None:
        raise app.error
    return int(code or 0)
