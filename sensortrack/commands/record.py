"""`sensortrack record`: stream a sensor into a session file until Ctrl-C or --duration.

    sensortrack record --device NAME|ADDRESS --placement thigh --side left -o squats.csv
    sensortrack record --virtual witmotion --from squats.csv -o copy.csv --speed 10 --drop-at 20
    sensortrack record --device A:thigh:right --device B:shank:right -o knee.csv      (two sensors)
    sensortrack record --virtual witmotion --from thigh.csv --virtual movesense --from shank.csv -o knee.csv
"""

from __future__ import annotations

import argparse
import shutil
from typing import TYPE_CHECKING, TextIO

from sensortrack.core.settings_validation import finite_float
from sensortrack.library.cli_options import add_library_option
from sensortrack.core.model import EXERCISES, PLACEMENTS, SIDES

# A sensor's quartz clock is off by tens of ppm (BLE requires a sleep clock within ±500 ppm, Core
# spec Vol 6 Part B 4.2.2); 10 000 ppm (36 s an hour) leaves room for stress tests and keeps the
# simulated clock's tick arithmetic finite (1e308 ppm overflowed it).
MAX_CLOCK_DRIFT_PPM = 10_000.0

if TYPE_CHECKING:
    import asyncio

    from sensortrack.drivers.protocols.base import FamilyDescriptor, FullScale
    from sensortrack.recording import Recording, RecordingStatus, RecordingSummary



def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--device", metavar="NAME|ADDRESS[:PLACEMENT:SIDE]", action="append",
        help="the sensor's advertised name or Bluetooth address; give two (each with :PLACEMENT:SIDE, e.g. "
        "A:thigh:right B:shank:right) to record both into one two-sensor session",
    )  # fmt: skip
    source.add_argument(
        "--virtual", metavar="MODEL[:PLACEMENT:SIDE]", action="append",
        help="record a virtual sensor of this model (no hardware); twice, each with its --from, for a pair",
    )  # fmt: skip
    parser.add_argument(
        "--from", dest="source", metavar="SESSION", action="append",
        help="session the virtual sensor plays back (a two-sensor session plays as a virtual pair)",
    )  # fmt: skip
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="session file to create (never overwritten)")
    parser.add_argument("--placement", choices=PLACEMENTS, help="where the sensor sits (required with --device)")
    parser.add_argument("--side", choices=SIDES, help="which leg (required with --device)")
    parser.add_argument("--exercise", choices=EXERCISES, help="what you are about to do (stored in the file)")
    parser.add_argument("--duration", type=finite_float, metavar="S", help="stop after S seconds of streaming (default: Ctrl-C)")
    parser.add_argument("--rate", type=finite_float, metavar="HZ", help="sampling rate to ask for (nearest the sensor supports)")
    parser.add_argument(
        "--range-g", type=finite_float, metavar="G",
        help="accelerometer range ±G where the sensor can be set (default ±8 g; `scan` lists the choices)",
    )  # fmt: skip
    parser.add_argument(
        "--range-dps", type=finite_float, metavar="DPS",
        help="gyroscope range ±DPS °/s where the sensor can be set (default ±2000 °/s)",
    )  # fmt: skip
    parser.add_argument("--model", metavar="MODEL", help="with --device: the sensor's model if its name does not say")
    parser.add_argument("--timeout", type=finite_float, default=15.0, metavar="S", help="give up if the sensor is not found within S seconds (default 15)")
    parser.add_argument("--no-library", action="store_true", help="do not add the recording to the session library")
    add_library_option(parser)
    faults = parser.add_argument_group("virtual sensor options (with --virtual)")
    faults.add_argument("--speed", type=finite_float, default=1.0, metavar="X", help="play X times faster than real time")
    faults.add_argument("--drop-at", type=finite_float, action="append", default=[], metavar="S", help="drop the link at S seconds into the session (repeatable)")
    faults.add_argument("--readvertise-after", type=finite_float, default=1.0, metavar="S", help="after a drop, advertise again after S seconds (default 1)")
    faults.add_argument("--stall-at", type=finite_float, action="append", default=[], metavar="S", help="stop sending at S seconds (repeatable)")
    faults.add_argument("--stall-for", type=finite_float, default=2.0, metavar="S", help="length of each stall (default 2)")
    faults.add_argument("--loss", type=finite_float, default=0.0, metavar="P", help="drop each notification with probability P")
    faults.add_argument("--garbage", type=finite_float, default=0.0, metavar="P", help="inject random-byte notifications with probability P")
    faults.add_argument("--seed", type=int, default=0, help="seed for --loss and --garbage")
    faults.add_argument(
        "--clock-drift-ppm", type=finite_float, action="append", metavar="PPM",
        help="the sensor's own clock runs PPM parts per million fast (negative: slow); with two sensors "
        "once for each, or once for both",
    )  # fmt: skip
    faults.add_argument(
        "--fault-sensor", type=int, metavar="N",
        help="with two virtual sensors: --drop-at/--stall-at/--loss/--garbage hit only sensor N (1 or 2)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    import asyncio
    import sys
    from pathlib import Path

    from sensortrack.library.location import resolve_library_path
    from sensortrack.library.recovery import recording_marker, recover_cut_recordings

    recover_cut_recordings(sys.stdout, sys.stderr)
    if args.no_library:
        return asyncio.run(_record(args))
    # Until the recording is in the library, a marker says where it is (a `kill -9` cannot stop
    # the file, only the step that adds it): the next run finds and adds it.
    with recording_marker(Path(args.output), str(resolve_library_path(args.library).absolute())):
        return asyncio.run(_record(args))


async def _record(args: argparse.Namespace) -> int:
    from sensortrack.commands.record_pair import is_pair, record_pair, single_sensor_args

    if is_pair(args):
        return await record_pair(args)
    single_sensor_args(args)
    import sys
    from pathlib import Path

    from sensortrack.drivers.backend import SYSTEM_BACKEND
    from sensortrack.drivers.clock import MonotonicClock
    from sensortrack.drivers.scan import family_by_model, find_sensor
    from sensortrack.core.errors import ConfigError, MissingMetadataError, SensortrackError
    from sensortrack.core.model import SensorInfo
    from sensortrack.recording import (
        DEFAULT_LIVE_RATE_HZ,
        SensorToRecord,
        ending,
        never_overwrite,
        open_recording,
        start_virtual_sensors,
    )
    from sensortrack.core.terminal_text import printable

    output = Path(args.output)
    never_overwrite(output)
    _check_options(args)
    # Read before recording: a broken config is an error now, not a note after the session.
    from sensortrack.config import load_settings

    settings = load_settings()

    virtual = None
    try:
        if args.virtual:
            from sensortrack.drivers.virtual.faults import Faults
            from sensortrack.core.loading import load_session

            if args.model:
                raise ConfigError("--model is for --device; with --virtual the model is the argument of --virtual")
            family = family_by_model(args.virtual)
            full_scale = _full_scale(family, args)
            source = load_session(args.source)
            rate_hz = family.nearest_rate_hz(args.rate or source.meta.sensor.nominal_rate_hz or DEFAULT_LIVE_RATE_HZ)
            faults = Faults(
                drop_at_s=tuple(args.drop_at),
                readvertise_after_s=args.readvertise_after,
                stall_at_s=tuple(args.stall_at),
                stall_s=args.stall_for,
                loss=args.loss,
                garbage=args.garbage,
                seed=args.seed,
            )
            virtual = await start_virtual_sensors(
                [(family, source, rate_hz)], speed=args.speed, faults=[faults],
                clock_drift_ppm=[args.clock_drift_ppm], timeout_s=args.timeout,
            )  # fmt: skip
            backend, clock, finished = virtual.backend, virtual.clock, virtual.finished
            found = virtual.found[0]
            placement = args.placement or source.meta.sensor.placement
            side = args.side or source.meta.sensor.side
            exercise = args.exercise or source.meta.exercise
            origin = f"virtual {family.model} playing {args.source}"
        else:
            backend, clock, finished = SYSTEM_BACKEND, MonotonicClock(), None
            model = family_by_model(args.model).model if args.model else None
            found = await find_sensor(args.device, args.timeout, model=model, backend=backend)
            assert found.family is not None
            family = found.family
            full_scale = _full_scale(family, args)
            rate_hz = family.nearest_rate_hz(args.rate or DEFAULT_LIVE_RATE_HZ)
            placement, side, exercise = args.placement, args.side, args.exercise
            origin = ""
        if placement is None or side is None:
            raise MissingMetadataError("record needs --placement (thigh|shank) and --side (left|right)")
        if args.rate and rate_hz != args.rate:
            print(f"note: {family.display_name} does not offer {args.rate:g} Hz; recording at {rate_hz:g} Hz")

        info = SensorInfo(model=family.model, placement=placement, side=side, nominal_rate_hz=rate_hz)
        recording = open_recording(
            [SensorToRecord(found, info, full_scale)], output, exercise=exercise,
            source="record:virtual" if args.virtual else "record",
            notes="; ".join(part for part in (origin, range_note(family, full_scale)) if part),
            backend=backend, clock=clock,
        )  # fmt: skip
        print(  # the name is whatever the device advertises: escaped
            f"recording {family.display_name} '{printable(found.name)}' ({printable(found.address)}) at {rate_hz:g} Hz, "
            f"{range_note(family, full_scale)}, to {printable(output)}; Ctrl-C stops"
        )
        summary, interrupted = await record_until_stopped(recording, args=args, finished=finished)
    finally:
        if virtual is not None:
            await virtual.close()

    how = ending(summary)
    if summary.path is None:
        if interrupted:
            print(f"{how} before any sample arrived; no file written")
            return 130
        raise SensortrackError(f"{found.name or found.address}: no sample arrived; no file written")
    gaps = f"{summary.gaps} gap{'s' if summary.gaps != 1 else ''} ({summary.lost_samples} samples lost)"
    garbage = f", {summary.skipped_bytes} unusable bytes skipped" if summary.skipped_bytes else ""
    if summary.rejected_samples:
        garbage += f", {summary.rejected_samples} impossible samples dropped"
    print(
        f"{how}: {summary.samples} samples ({summary.duration_s:.1f} s) in {summary.path}; "
        f"{gaps}, {summary.reconnects} reconnect{'s' if summary.reconnects != 1 else ''}{garbage}"
    )
    if not args.no_library:
        from sensortrack.library.cli_options import register_recording_or_note

        register_recording_or_note(args.library, summary.path, settings, sys.stderr)
    return 0


async def record_until_stopped(
    recording: Recording,
    *,
    args: argparse.Namespace,
    finished: asyncio.Event | None,
) -> tuple[RecordingSummary, list[int]]:
    """Record with the status line until --duration, Ctrl-C/SIGTERM or the virtual source's end;
    also the signals that stopped it (none: it ended by itself)."""
    import asyncio
    import signal
    import sys

    from sensortrack.recording import RecordingControl

    control = RecordingControl()
    loop = asyncio.get_running_loop()
    interrupted: list[int] = []

    def on_signal(signum: int) -> None:
        interrupted.append(signum)
        control.stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
    printer = StatusPrinter(sys.stdout)
    try:
        summary = await recording.run(
            duration_s=args.duration,
            control=control,
            source_finished=finished,
            # In real seconds even on a sped-up virtual link: connecting is not sped up.
            first_connect_timeout_s=max(args.timeout, 30.0) * recording.clock.speed,
            on_status=printer.show,
        )
    finally:
        printer.done()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return summary, interrupted


def _full_scale(family: FamilyDescriptor, args: argparse.Namespace) -> FullScale | None:
    """The range to ask the sensor for; a ConfigError (one line, the choices) if it cannot."""
    from sensortrack.core.errors import ConfigError

    try:
        return family.ranges.choose(args.range_g, args.range_dps, family.display_name)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def range_note(family: FamilyDescriptor, full_scale: FullScale | None) -> str:
    """What the file's notes and the start line say about the measuring range."""
    if full_scale is None:
        return f"measuring range as configured on the sensor ({family.ranges.fixed_reason})"
    how = "set by sensortrack" if family.ranges.settable else "fixed by the sensor"
    return f"measuring range {full_scale.describe()} ({how})"


def _check_options(args: argparse.Namespace) -> None:
    from sensortrack.core.errors import ConfigError

    if args.virtual and not args.source:
        raise ConfigError("--virtual needs --from SESSION: the recording the virtual sensor plays back")
    if not args.virtual:
        used = [
            flag
            for flag, value in (
                ("--from", args.source),
                ("--speed", args.speed != 1.0),
                ("--drop-at", args.drop_at),
                ("--stall-at", args.stall_at),
                ("--loss", args.loss),
                ("--garbage", args.garbage),
                ("--clock-drift-ppm", args.clock_drift_ppm),
            )
            if value
        ]
        if used:
            raise ConfigError(f"{', '.join(used)} only apply to virtual sensors (--virtual MODEL)")
    for name in ("duration", "rate", "timeout", "speed", "range_g", "range_dps"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise ConfigError(f"--{name.replace('_', '-')} must be positive, got {value:g}")
    for name in ("loss", "garbage"):
        value = getattr(args, name)
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"--{name} is a probability between 0 and 1, got {value:g}")
    times = [("--readvertise-after", args.readvertise_after), ("--stall-for", args.stall_for)]
    times += [("--drop-at", v) for v in args.drop_at] + [("--stall-at", v) for v in args.stall_at]
    for flag, value in times:
        if value < 0:
            raise ConfigError(f"{flag} must not be negative, got {value:g}")
    check_clock_drifts([args.clock_drift_ppm])


def check_clock_drifts(drifts: list[float]) -> None:
    """Every --clock-drift-ppm within what a sensor's clock can be off by (ConfigError if not)."""
    from sensortrack.core.errors import ConfigError

    for ppm in drifts:
        if abs(ppm) > MAX_CLOCK_DRIFT_PPM:
            raise ConfigError(f"--clock-drift-ppm must be within ±{MAX_CLOCK_DRIFT_PPM:g}, got {ppm:g}")


class StatusPrinter:
    """The ~1 Hz status line: rewritten in place on a terminal, one plain line per update otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._shown = False

    def show(self, status: RecordingStatus) -> None:
        minutes, seconds = divmod(int(status.elapsed_s), 60)
        state = status.state if status.state != "reconnecting" or not status.last_problem else f"reconnecting ({status.last_problem})"
        line = (
            f"{state:<12} {minutes:02d}:{seconds:02d}  {status.rate_hz:6.1f} Hz  {status.written_samples} samples  "
            f"lost {status.lost_samples} ({status.gaps} gaps)  reconnects {status.reconnects}"
        )
        if status.skipped_bytes:
            line += f"  garbage {status.skipped_bytes} B"
        if self._tty:
            self._stream.write("\r\x1b[2K" + line[: shutil.get_terminal_size().columns - 1])
            self._shown = True
        else:
            self._stream.write(line + "\n")
        self._stream.flush()

    def done(self) -> None:
        if self._tty and self._shown:
            self._stream.write("\n")
            self._stream.flush()
