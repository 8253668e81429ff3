"""`sensortrack live`: pick the sensor and the exercise, then the live set view, recorded as it streams.

    sensortrack live                                   # scan, choose, go
    sensortrack live --device "Movesense 220330000123"
    sensortrack live --virtual open_profile --from squats.csv --speed 4     # no hardware
    sensortrack live --device A:thigh:right --device B:shank:right          # two sensors: knee angles
    sensortrack live --virtual movesense:thigh:right --from thigh.csv --virtual movesense:shank:right --from shank.csv
    sensortrack live --virtual movesense --from two-sensor-session.csv      # a recorded pair, played back

Every live session is written to a session file as it streams (default
`<data dir>/sessions/<start time>.csv`) and added to the library when it ends.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sensortrack.core.settings_validation import finite_float
from sensortrack.core.vocabulary import EXERCISES, PLACEMENTS, SIDES
from sensortrack.library.cli_options import (
    add_library_option,
    add_reference_options,
    add_set_option,
    register_recording_or_note,
)

if TYPE_CHECKING:
    from pathlib import Path

    from sensortrack.analysis.pair_settings import PairSettings
    from sensortrack.analysis.reference import DriftReference
    from sensortrack.analysis.settings import AnalysisSettings
    from sensortrack.core.plans import Plan
    from sensortrack.core.vocabulary import Placement, Side
    from sensortrack.drivers.clock import HostClock
    from sensortrack.session_analysis import ReferenceLookup
    from sensortrack.tui.cues import SoundMode
    from sensortrack.tui.live import LiveChoice, LiveSource
    from sensortrack.tui.setup import Remembered


# The model ids of drivers/protocols/registry.py (MODEL_IDS), written out so that `--help` does not
# import the drivers; tests/test_tui_plans.py checks the two agree.
VIRTUAL_MODELS = ("witmotion", "movesense", "polar_verity", "polar_h10", "movella_dot", "thingy52", "open_profile")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--device", metavar="NAME|ADDRESS[:PLACEMENT:SIDE]", action="append",
        help="the sensor to use (default: scan and pick one); twice, each NAME:PLACEMENT:SIDE, for a pair "
        "(thigh + shank of one leg, or one segment of each leg)",
    )  # fmt: skip
    source.add_argument(
        "--virtual", metavar="MODEL[:PLACEMENT:SIDE]", action="append",
        help=f"a virtual sensor of this model (no hardware; needs --from; twice for a pair): {', '.join(VIRTUAL_MODELS)}"
    )
    parser.add_argument(
        "--from", dest="source", metavar="SESSION", action="append",
        help="session the virtual sensor plays back (a two-sensor session plays as a virtual pair)",
    )  # fmt: skip
    parser.add_argument("--speed", type=finite_float, default=1.0, metavar="X", help="with --virtual: play X times faster than real time")
    parser.add_argument("--model", metavar="MODEL", help="with --device: the sensor's model if its name does not say")
    parser.add_argument("--rate", type=finite_float, metavar="HZ", help="sampling rate to ask for (default 100, nearest the sensor offers)")
    parser.add_argument("--no-setup", action="store_true", help="skip the set-up screen: use the options and the remembered choices")
    add_recording_options(parser)
    parser.add_argument(
        "--exercise", choices=("auto", *EXERCISES),
        help="exercise (default: what you chose last time); auto: recognise each set's exercise as it streams",
    )  # fmt: skip
    parser.add_argument("--placement", choices=PLACEMENTS, help="where the sensor sits (default: what you chose last time)")
    parser.add_argument("--side", choices=SIDES, help="which leg (default: what you chose last time)")
    add_set_option(parser)
    add_reference_options(parser)


def add_view_options(parser: argparse.ArgumentParser) -> None:
    """Options every live view has (`live`, `demo`, `replay`): the plan and the sounds."""
    parser.add_argument(
        "--plan", metavar="PLAN", help="train to a plan: a TOML file or a built-in (glutes-knee-friendly, rehab-starter, squats)"
    )
    sound = parser.add_mutually_exclusive_group()
    sound.add_argument(
        "--sound", choices=("auto", "bell", "off"), default="auto",
        help="cues for a rep, knee drift, set end and rest end: auto = spoken where espeak-ng/espeak/say is installed, "
        "else terminal bell patterns (default auto)",
    )
    sound.add_argument("--mute", dest="sound", action="store_const", const="off", help="no sounds (same as --sound off)")
    sound.add_argument("--bell", dest="sound", action="store_const", const="bell", help="terminal bell patterns only (same as --sound bell)")
    parser.add_argument(
        "--count-at", choices=("top", "bottom"), default="top",
        help="when the rep cue sounds: top = when the rep is counted (default), bottom = at the turn of the movement",
    )


def load_view_settings(set_options: list[str], two_sensors: bool) -> tuple[AnalysisSettings, PairSettings | None]:
    """The engine's settings and, for two sensors, the pair's (`--set pair.KEY=VALUE`, as `analyze`
    takes them); an unknown key, or a pair key for one sensor, is one line of error."""
    from sensortrack.config import load_settings, split_pair_settings
    from sensortrack.core.errors import ConfigError

    engine, pair = split_pair_settings(set_options)
    settings = load_settings(engine)
    if not two_sensors:
        if pair:
            raise ConfigError("pair.* settings apply to two sensors only (two devices or a two-sensor file)")
        return settings, None
    from sensortrack.config import load_pair_settings

    return settings, load_pair_settings(pair)  # config.toml's [pair], then --set pair.*


def load_view_plan(args: argparse.Namespace) -> Plan | None:
    from sensortrack.core.plans import load_plan

    return load_plan(args.plan) if args.plan else None


def add_recording_options(parser: argparse.ArgumentParser) -> None:
    """Options `live` and `demo` share: where the recording goes, the library, plan and sounds."""
    parser.add_argument("-o", "--output", metavar="FILE", help="session file to record to (default: a new file in the data folder's sessions/)")
    parser.add_argument("--no-library", action="store_true", help="do not add the recording to the session library")
    add_library_option(parser)
    add_view_options(parser)
    parser.add_argument("--timeout", type=finite_float, default=15.0, metavar="S", help="give up if the sensor is not found within S seconds (default 15)")


def run(args: argparse.Namespace) -> int:
    import asyncio
    import sys
    from pathlib import Path

    from sensortrack.library.location import resolve_library_path
    from sensortrack.library.recovery import recording_marker, recover_cut_recordings
    from sensortrack.recording import never_overwrite
    from sensortrack.tui.live import default_session_path

    _sensor_options(args)
    _check_options(args)
    output = Path(args.output) if args.output else default_session_path()
    never_overwrite(output)
    recover_cut_recordings(sys.stdout, sys.stderr)
    if args.no_library:
        return asyncio.run(_live(args, output))
    # Until the recording is in the library, a marker says where it is (a `kill -9` cannot stop
    # the file, only the step that adds it): the next live, record or sessions finds and adds it.
    with recording_marker(output, str(resolve_library_path(args.library).absolute())):
        return asyncio.run(_live(args, output))


def _sensor_options(args: argparse.Namespace) -> None:
    """One sensor: --device/--virtual/--from back to single values (a :PLACEMENT:SIDE suffix sets
    those). Two (`args.pair`): kept as lists, as `record` takes them."""
    from sensortrack.commands.record_pair import is_pair, one_sensor_options

    args.pair = is_pair(args)
    if not args.pair:
        one_sensor_options(args)


def _check_options(args: argparse.Namespace) -> None:
    from sensortrack.core.errors import ConfigError

    if args.virtual and not args.source:
        raise ConfigError("--virtual needs --from SESSION: the recording the virtual sensor plays back")
    if args.pair and (args.placement or args.side):
        raise ConfigError("with two sensors give each one's placement and side as NAME:PLACEMENT:SIDE, not --placement/--side")
    if not args.virtual and (args.source or args.speed != 1.0):
        raise ConfigError("--from and --speed only apply to virtual sensors (--virtual MODEL)")
    if args.model and not args.device:
        raise ConfigError("--model goes with --device")
    for name in ("speed", "rate", "timeout"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise ConfigError(f"--{name} must be positive, got {value:g}")


async def _live(args: argparse.Namespace, output: Path) -> int:
    from dataclasses import replace
    from pathlib import Path

    from sensortrack.drivers.backend import SYSTEM_BACKEND
    from sensortrack.drivers.clock import MonotonicClock
    from sensortrack.drivers.scan import family_by_model, find_sensor, scan_sensors
    from sensortrack.core.errors import ConfigError
    from sensortrack.tui.live import LiveChoice, open_live_source
    from sensortrack.tui.setup import SetupApp, load_choices, remembered_from, save_choices

    settings, pair_settings = load_view_settings(args.set, args.pair)
    plan = load_view_plan(args)
    if plan is not None and not args.exercise:
        args.exercise = plan.steps[0].exercise  # the plan says what comes first; the set-up screen shows it
    remembered = load_choices()
    virtual = None
    try:
        clock: HostClock = MonotonicClock()
        backend, finished, origin, rate_hz = SYSTEM_BACKEND, None, "", args.rate
        if args.pair:
            return await _live_pair(args, output, settings, plan, remembered, pair_settings)
        if args.virtual:
            from sensortrack.core.loading import load_session
            from sensortrack.recording import check_virtual_playable, start_virtual_sensors
            from sensortrack.tui.live import live_rate_hz

            family = family_by_model(args.virtual)
            played = load_session(args.source)
            check_virtual_playable(family, played, args.source)
            rate_hz = live_rate_hz(family, args.rate or played.meta.sensor.nominal_rate_hz)
            virtual = await start_virtual_sensors([(family, played, rate_hz)], speed=args.speed, timeout_s=args.timeout)
            backend, clock, finished = virtual.backend, virtual.clock, virtual.finished
            origin = f"virtual {family.model} playing {Path(args.source).name}"
            # The file says what was done: it beats last time's choice, the options beat both.
            remembered = remembered.with_options(played.meta.exercise, played.meta.sensor.placement, played.meta.sensor.side)
            remembered = replace(remembered, sensor=virtual.found[0].name)
        defaults = remembered.with_options(args.exercise, args.placement, args.side)

        fixed = None
        if args.device:
            model = family_by_model(args.model).model if args.model else None
            fixed = await find_sensor(args.device, args.timeout, model=model, backend=backend)
        elif virtual is not None and args.no_setup:
            fixed = virtual.found[0]  # found already; the set-up screen scans for it like a real one
        elif args.no_setup:
            if not defaults.sensor:
                raise ConfigError("--no-setup needs --device the first time: no sensor has been used before")
            fixed = await find_sensor(defaults.sensor, args.timeout, backend=backend)

        if args.no_setup:
            assert fixed is not None
            choice: LiveChoice | None = LiveChoice(fixed, defaults.exercise, defaults.placement, defaults.side)
        else:
            scan_backend = backend
            scan = None if fixed is not None else (lambda: scan_sensors(min(args.timeout, 4.0), backend=scan_backend))
            choice = await SetupApp(scan, defaults, sensor=fixed).run_async()
        if choice is None:
            return 0
        save_choices(remembered_from(choice))
        from sensortrack.library.cli_options import reference_person
        from sensortrack.personal_reference import stored_lookup

        person = reference_person(args)
        # each exercise a plan moves to gets its own stored reference (a reference is one exercise's)
        lookup = None if person is None else stored_lookup(args.library, person)
        reference = None if lookup is None or choice.exercise == "auto" else lookup(choice.exercise, choice.placement, choice.side)
        source = open_live_source(
            choice, output, rate_hz=rate_hz, backend=backend, clock=clock, source_finished=finished, origin=origin,
            on_close=virtual.close if virtual is not None else None,
        )
        virtual = None  # the source closes it from now on
        return await run_live_app(
            source, choice, settings, sound=args.sound, count_at=args.count_at, plan=plan, library=args.library,
            register=not args.no_library, reference=reference, use_reference=person is not None, person=person,
            reference_lookup=lookup,
        )
    finally:
        if virtual is not None:
            await virtual.close()


async def _live_pair(
    args: argparse.Namespace, output: Path, settings: AnalysisSettings, plan: Plan | None, remembered: Remembered,
    pair_settings: PairSettings | None = None,
) -> int:
    """Two sensors: both found (or played as a virtual pair), confirmed in the set-up screen unless
    --no-setup, recorded into one two-sensor session and shown together."""
    from dataclasses import replace

    from sensortrack.commands.record_pair import check_bodies, find_device_pair, start_virtual_pair
    from sensortrack.drivers.backend import SYSTEM_BACKEND
    from sensortrack.drivers.clock import MonotonicClock
    from sensortrack.tui.live import LiveChoice, SecondSensor, open_live_source
    from sensortrack.tui.setup import SetupApp, remembered_from, save_choices

    virtual = None
    try:
        if args.virtual:
            virtual, bodies, exercise, origin = await start_virtual_pair(args, None, live=True)
            backend, clock, finished, found = virtual.backend, virtual.clock, virtual.finished, virtual.found
            rates: list[float | None] = [args.rate or s.meta.sensor.nominal_rate_hz or None for s in virtual.sessions]
        else:
            backend, clock, finished, origin = SYSTEM_BACKEND, MonotonicClock(), None, ""
            bodies, found = await find_device_pair(args, backend)
            exercise, rates = args.exercise, [args.rate, args.rate]
        (p1, s1), (p2, s2) = check_bodies(bodies)
        defaults = replace(remembered.with_options(args.exercise or exercise, p1, s1), sensor=found[0].name or found[0].address)
        given = LiveChoice(found[0], defaults.exercise, p1, s1, second=SecondSensor(found[1], p2, s2, rates[1]))
        choice: LiveChoice | None = given
        if not args.no_setup:
            choice = await SetupApp(None, defaults, sensor=found[0], second=given.second).run_async()
        if choice is None:
            return 0
        save_choices(remembered_from(choice))
        source = open_live_source(
            choice, output, rate_hz=rates[0], backend=backend, clock=clock, source_finished=finished, origin=origin,
            on_close=virtual.close if virtual is not None else None,
        )
        virtual = None  # the source closes it from now on
        # Knee drift of a thigh + shank pair comes from the knee angle: no personal reference.
        return await run_live_app(
            source, choice, settings, sound=args.sound, count_at=args.count_at, plan=plan, library=args.library,
            register=not args.no_library, use_reference=False, pair_settings=pair_settings,
        )
    finally:
        if virtual is not None:
            await virtual.close()


def live_second(source: LiveSource) -> tuple[Placement, Side, float, bool] | None:
    """The second sensor of a live pair as the view takes it: (placement, side, rate, gyroscope)."""
    sensors = source.recording.sensors
    if len(sensors) < 2:
        return None
    info = sensors[1].info
    assert info.placement is not None and info.side is not None  # a pair is refused without them
    return info.placement, info.side, info.nominal_rate_hz, sensors[1].family.has_gyro


async def run_live_app(
    source: LiveSource,
    choice: LiveChoice,
    settings: AnalysisSettings,
    *,
    sound: SoundMode = "auto",
    count_at: str = "top",
    plan: Plan | None = None,
    library: str | None,
    register: bool,
    sub_title: str | None = None,
    reference: DriftReference | None = None,
    use_reference: bool = True,
    person: str | None = None,
    reference_lookup: ReferenceLookup | None = None,
    pair_settings: PairSettings | None = None,
) -> int:
    """The live view on `source` until the user quits or the stream ends; then the recording is
    completed, reported and added to the library. Errors come after the terminal is restored.
    `reference` judges knee drift in the view; the library judges the recording against `person`'s
    stored reference (None: the configured person's) unless not `use_reference`."""
    import asyncio
    import signal
    import sys

    from sensortrack.tui.app import make_app

    app = make_app(
        source,
        choice.exercise,
        choice.placement,
        choice.side,
        settings,
        rate_hz=source.supervisor.info.nominal_rate_hz,
        has_gyro=source.supervisor.family.has_gyro,
        sound=sound,
        count_at=count_at,
        plan=plan,
        reference=reference,
        reference_lookup=reference_lookup,
        second=live_second(source),
        pair_settings=pair_settings,
    )
    if sub_title:
        app.sub_title = sub_title
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, app.exit)  # `kill`: end cleanly, the file gets its end line
    try:
        code = await app.run_async()
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        summary = await source.close()
    if summary is not None and summary.path is not None:
        lost = f", {summary.lost_samples} samples lost in {summary.gaps} gaps" if summary.gaps else ""
        print(f"recording saved: {summary.path} ({summary.samples} samples, {summary.duration_s:.0f} s{lost})")
        if register:
            register_recording_or_note(
                library, summary.path, settings, sys.stderr, use_reference=use_reference, person=person,
                pair_settings=pair_settings,  # the view's: the library judges the pair as the wearer saw it
            )
    elif app.error is None:
        print("no sample arrived; no recording was written")
    if app.error is not None:
        raise app.error
    return int(code or 0)
