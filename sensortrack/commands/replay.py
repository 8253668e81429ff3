"""`sensortrack replay SESSION`: the live set view driven by a recorded session.

    sensortrack replay squats.csv --speed 4
    sensortrack replay phone-export.csv          # exercise and placement recognised, side not needed

What the file and the flags do not say is recognised (issue 13): the placement, and the exercise
of each stretch; the view switches exercise where the recognised exercise changes (or where the
file's `# exercise` lines say), and says "recognised: bridge (0.93)" or that it is unsure. A
missing side is not guessed: results that need it (knee drift toward the midline) are left out,
and the view says so.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sensortrack.core.settings_validation import finite_float

from sensortrack.commands.live import add_view_options
from sensortrack.library.cli_options import add_body_options, add_library_option, add_reference_options, add_set_option

if TYPE_CHECKING:
    from sensortrack.analysis.pair_settings import PairSettings
    from sensortrack.analysis.settings import AnalysisSettings
    from sensortrack.core.plans import Plan
    from sensortrack.session_analysis import ReferenceLookup
    from sensortrack.core.sensor_bodies import SensorBody
    from sensortrack.tui.app import LoadingView, RecognisedStretch, SensortrackApp


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session", metavar="SESSION", help="session file or interchange CSV")
    parser.add_argument("--speed", type=finite_float, default=1.0, metavar="X", help="play X times faster than real time (default 1)")
    add_view_options(parser)
    add_body_options(parser, "when the file does not say")
    from sensortrack.commands.record_pair import add_sensor_option

    add_sensor_option(parser)
    add_set_option(parser)
    add_reference_options(parser)
    add_library_option(parser)


def run(args: argparse.Namespace) -> int:
    from sensortrack.core.errors import ConfigError
    from sensortrack.tui.app import LoadingView, replay_app

    if not args.speed > 0:
        raise ConfigError(f"--speed must be positive, got {args.speed:g}")
    from sensortrack.commands.live import load_view_plan, load_view_settings
    from sensortrack.library.cli_options import reference_person

    from sensortrack.commands.record_pair import is_pair_file, sensor_bodies

    bodies = sensor_bodies(args)
    two_sensors = is_pair_file(args.session)
    if bodies and not two_sensors:
        raise ConfigError("--sensor is for a two-sensor file: use --placement/--side")
    # A two-sensor file is judged with config.toml's [pair] and --set pair.*; a one-sensor file
    # refuses pair keys in one line.
    settings, pair_settings = load_view_settings(args.set, two_sensors=two_sensors)
    plan = load_view_plan(args)
    person = reference_person(args)
    if not two_sensors:  # the stored reference is looked up by the loader: after the first frame
        if draws_first(args.session):
            return run_app(LoadingView(f"replay {Path(args.session).name}",
                                       functools.partial(load_replay, args, settings, plan, person)))  # fmt: skip
        return run_app(load_replay(args, settings, plan, person, None))
    reference = _stored_reference(args, person)
    recognised: tuple[RecognisedStretch, ...] = ()
    if plan is None and args.exercise is None:
        args.exercise, recognised = recognised_pair_stretch(args.session, bodies, pair_settings)
    app = replay_app(
        args.session,
        args.speed,
        settings,
        reference=reference,
        sound=args.sound,
        count_at=args.count_at,
        plan=plan,
        exercise=args.exercise,
        placement=args.placement,
        side=args.side,
        recognised=recognised,
        pair_settings=pair_settings,
        sensors=tuple(bodies),
    )
    return run_app(app)


def draws_first(path: str) -> bool:
    """Whether the view goes on the terminal before the file is read (LoadingView): a one-sensor
    file, on a terminal. Elsewhere (tests calling `main`, output to a pipe) there is no first frame
    to hurry, and errors come before any view as they always did."""
    return sys.stdin.isatty() and sys.stdout.isatty() and Path(path).is_file()


def _stored_reference(args: argparse.Namespace, person: str | None) -> ReferenceLookup | None:
    """The lookup of `person`'s stored knee-drift reference (None: --no-reference). Its modules (the
    library's, sqlite3: ~0.05-0.15 s of CPU) are imported only here, after a LoadingView's first frame."""
    if person is None:
        return None
    from sensortrack.personal_reference import stored_lookup

    return stored_lookup(args.library, person)


def load_replay(
    args: argparse.Namespace, settings: AnalysisSettings | None, plan: Plan | None, person: str | None,
    view: LoadingView | None,
) -> SensortrackApp:
    """A one-sensor file's replay: recognise what the file does not say, read it and build the view,
    or bind `view` (a LoadingView on screen, after its first frame) with the same `replay_app`.
    `person`: whose stored reference judges the drift (None: --no-reference)."""
    from sensortrack.tui.app import replay_app

    reference = _stored_reference(args, person)
    placement = args.placement
    recognised: tuple[RecognisedStretch, ...] = ()
    if plan is None and (args.exercise is None or args.placement is None):
        placement, recognised = recognised_stretches(args.session, args.exercise, args.placement)
    return replay_app(args.session, args.speed, settings, reference=reference, sound=args.sound,
                      count_at=args.count_at, plan=plan, exercise=args.exercise, placement=placement,
                      side=args.side, recognised=recognised, into=view)  # fmt: skip


def recognised_pair_stretch(
    path: str, bodies: list[SensorBody], pair_settings: PairSettings | None
) -> tuple[str | None, tuple[RecognisedStretch, ...]]:
    """A two-sensor file that does not say its exercise: the exercise both sensors' movement gives
    (as `analyze` recognises it, sensortrack/pair_analysis.py), and its stretches. The replay of a
    pair shows one exercise: a pair recognised as several is one line (analyze reports each)."""
    from sensortrack.analysis.recognition import RecognitionSettings
    from sensortrack.core.errors import ConfigError, MissingMetadataError
    from sensortrack.core.loading import load_session
    from sensortrack.core.sensor_bodies import with_sensor_bodies
    from sensortrack.pair_analysis import align_pair, recognise_pair
    from sensortrack.tui.app import RecognisedStretch

    session = load_session(path)
    if session.meta.exercise or any(c.meta.exercise for c in session.companions) or len(session.companions) != 1:
        return None, ()  # the file says it (or is refused as it is: replay_app)
    session = with_sensor_bodies(session, bodies, path)
    recognition = recognise_pair(align_pair(session, session.companions[0], pair_settings))
    stretches = recognition.exercise_stretches()
    if not stretches:
        raise MissingMetadataError(f"{path}: no exercise recognised in either sensor's movement: pass --exercise")
    kinds = list(dict.fromkeys(ex for _, ex in stretches))
    if len(kinds) > 1:
        raise ConfigError(f"{path}: both sensors' movement reads as several exercises ({', '.join(kinds)}); the replay "
                          "of two sensors shows one: pass --exercise (`sensortrack analyze` reports each)")
    unsure_below = RecognitionSettings().unsure_below
    return kinds[0], tuple(RecognisedStretch(st.start_s, st.end_s, ex, st.confidence, st.confidence < unsure_below
                                             or not recognition.posture_known(st.start_s, st.end_s))
                           for st, ex in stretches)


def recognised_stretches(
    path: str, exercise: str | None, placement: str | None
) -> tuple[str | None, tuple[RecognisedStretch, ...]]:
    """The placement (flag, file, else recognised) and, where neither flag nor file says the
    exercise, the recognised stretches of one exercise each, in time order (empty: it is said)."""
    from sensortrack.analysis.recognition import NONE
    from sensortrack.core.errors import MissingMetadataError
    from sensortrack.core.loading import load_session
    from sensortrack.recognising import recognise_session
    from sensortrack.tui.app import RecognisedStretch

    session = load_session(path)
    if session.companions:  # two sensors: the file says where each sits (the pair replays as it is)
        return placement, ()
    placement = placement or session.meta.sensor.placement
    exercise = exercise or session.meta.exercise
    if exercise and placement:
        return placement, ()
    rec = recognise_session(session, placement)
    if exercise:
        return placement or rec.placement, ()
    stretches = tuple(
        RecognisedStretch(seg.start_s, seg.end_s, seg.exercise, conf, rec.unsure(seg.exercise, seg.start_s, seg.end_s))
        for seg in rec.segments
        if seg.exercise != NONE
        for conf in (rec.exercise_confidence(seg.exercise, seg.start_s, seg.end_s),)
    )
    if not stretches:
        raise MissingMetadataError(f"{path}: no exercise recognised in it: pass --exercise")
    return placement or rec.placement, stretches


def run_app(app: object) -> int:
    """Run the app; an error the worker hit is raised after the terminal is restored (one line)."""
    from sensortrack.tui.app import SensortrackApp

    assert isinstance(app, SensortrackApp)
    code = app.run()
    if app.error is not None:
        raise app.error
    return int(code or 0)
