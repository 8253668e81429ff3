"""`sensortrack record` with two sensors: both supervised and reconnected on their own, both placed on
one host timeline, written into one two-sensor session file (format version 2).

    sensortrack record --device A:thigh:right --device B:shank:right -o knee.csv
    sensortrack record --virtual witmotion:thigh:right --from thigh.csv \\
                       --virtual movesense:shank:right --from shank.csv -o knee.csv --speed 10
    sensortrack record --virtual witmotion --from two-sensor-session.csv -o copy.csv
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sensortrack.core.errors import ConfigError, MissingMetadataError, SensortrackError
from sensortrack.core.vocabulary import PLACEMENTS, SIDES, Exercise, Placement, Side, placement_or_none, side_or_none

if TYPE_CHECKING:
    from sensortrack.core.model import Session
    from sensortrack.core.sensor_bodies import SensorBody
    from sensortrack.drivers.backend import BleBackend
    from sensortrack.drivers.pair_supervisor import PairSupervisor
    from sensortrack.drivers.protocols.base import FamilyDescriptor
    from sensortrack.drivers.scan import FoundSensor
    from sensortrack.recording import VirtualSensors

PAIR_MAGIC = "# sensortrack-session 2"


@dataclass(frozen=True, slots=True)
class SensorSpec:
    what: str  # device name/address, or the virtual model
    placement: str | None
    side: str | None


def split_body(spec: str) -> SensorSpec:
    """`NAME:PLACEMENT:SIDE` → its parts; a plain name or Bluetooth address (colons and all) stays whole."""
    parts = spec.rsplit(":", 2)
    if len(parts) == 3 and parts[1] in PLACEMENTS and parts[2] in SIDES:
        return SensorSpec(parts[0], parts[1], parts[2])
    return SensorSpec(spec, None, None)


def add_sensor_option(parser: argparse.ArgumentParser) -> None:
    """`--sensor ID:PLACEMENT:SIDE` for a two-sensor recording that does not say where each sat."""
    parser.add_argument(
        "--sensor", dest="sensors", action="append", default=[], metavar="ID:PLACEMENT:SIDE",
        help="with two sensors: where sensor ID sat, when the file does not say (ID: 1 or 2, or its name or "
        "address in the file; e.g. --sensor 1:thigh:right --sensor 2:shank:right; repeatable)",
    )


def sensor_bodies(args: argparse.Namespace) -> list[SensorBody]:
    """The `--sensor` values, each checked (one line naming a bad one)."""
    from sensortrack.core.sensor_bodies import parse_sensor_body

    return [parse_sensor_body(text) for text in getattr(args, "sensors", None) or []]


def is_pair_file(path: str) -> bool:
    """A two-sensor session file (format version 2), by its first line. Only a regular file is
    opened: a named pipe would block here (the reader says what is wrong with anything else)."""
    try:
        if not Path(path).is_file():
            return False
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            return fh.readline().startswith(PAIR_MAGIC)
    except OSError:
        return False


def is_pair(args: argparse.Namespace) -> bool:
    devices, virtuals, sources = args.device or [], args.virtual or [], args.source or []
    return len(devices) > 1 or len(virtuals) > 1 or (len(virtuals) == 1 and len(sources) == 1 and is_pair_file(sources[0]))


def one_sensor_options(args: argparse.Namespace) -> None:
    """One sensor: --device/--virtual/--from back to single values (a :PLACEMENT:SIDE suffix sets
    placement and side unless given); shared by `record` and `live`."""
    for name in ("device", "virtual"):
        values = getattr(args, name)
        if values:
            spec = split_body(values[0])
            setattr(args, name, spec.what)
            args.placement = args.placement or spec.placement
            args.side = args.side or spec.side
        else:
            setattr(args, name, None)
    if args.source and len(args.source) > 1:
        raise ConfigError("one --virtual plays one --from SESSION")
    args.source = args.source[0] if args.source else None


def single_sensor_args(args: argparse.Namespace) -> None:
    """`record` with one sensor: its options back to single values, and no pair-only option."""
    one_sensor_options(args)
    drift = args.clock_drift_ppm or [0.0]
    if len(drift) > 1:
        raise ConfigError("one sensor has one --clock-drift-ppm")
    args.clock_drift_ppm = drift[0]
    if args.fault_sensor is not None:
        raise ConfigError("--fault-sensor is for two virtual sensors")


def _per_sensor(values: list[float] | None, n: int, flag: str) -> list[float]:
    values = values or [0.0]
    if len(values) == 1:
        return values * n
    if len(values) != n:
        raise ConfigError(f"{flag}: give it once for all sensors or once for each of the {n}")
    return values


def check_bodies(bodies: list[tuple[str | None, str | None]]) -> list[tuple[Placement, Side]]:
    """Each sensor's (placement, side) as the vocabulary's words; one line if one is missing or both
    sit in the same place."""
    checked = [(placement_or_none(p), side_or_none(sd)) for p, sd in bodies]
    known = [(p, sd) for p, sd in checked if p is not None and sd is not None]
    if len(known) != len(bodies):
        raise MissingMetadataError("each sensor needs its placement and side: MODEL:PLACEMENT:SIDE or in its session")
    if known[0] == known[1]:
        raise ConfigError(f"both sensors are on the {known[0][1]} {known[0][0]}: a pair is two places")
    return known


async def record_pair(args: argparse.Namespace) -> int:
    from sensortrack.commands.record import _check_options, _full_scale, check_clock_drifts, range_note, record_until_stopped
    from sensortrack.config import load_settings
    from sensortrack.drivers.backend import SYSTEM_BACKEND
    from sensortrack.drivers.clock import MonotonicClock
    from sensortrack.drivers.pair_supervisor import PairSupervisor
    from sensortrack.core.model import SensorInfo
    from sensortrack.recording import (
        DEFAULT_LIVE_RATE_HZ,
        SensorToRecord,
        ending,
        never_overwrite,
        open_recording,
    )
    from sensortrack.core.terminal_text import printable

    output = Path(args.output)
    never_overwrite(output)
    drifts = args.clock_drift_ppm
    check_clock_drifts(drifts or [])
    args.clock_drift_ppm = 0.0 if not drifts else drifts[0]  # _check_options reads one value
    _check_options(args)
    settings = load_settings()
    virtual: VirtualSensors | None = None
    finished: asyncio.Event | None = None
    families: list[FamilyDescriptor | None]
    try:
        if args.virtual:
            virtual, bodies, exercise, origin = await start_virtual_pair(args, drifts)
            backend, clock, finished, found = virtual.backend, virtual.clock, virtual.finished, virtual.found
            families = [s.family for s in virtual.sensors]
            stated = [s.meta.sensor.nominal_rate_hz for s in virtual.sessions]
        else:
            backend, clock = SYSTEM_BACKEND, MonotonicClock()
            bodies, found = await find_device_pair(args, backend)
            families = [f.family for f in found]
            stated = [0.0, 0.0]
            exercise, origin = args.exercise, ""
        places = check_bodies(bodies)

        sensors = []
        notes = [origin]
        for f, family, (placement, side), rate in zip(found, families, places, stated, strict=True):
            assert family is not None
            rate_hz = family.nearest_rate_hz(args.rate or rate or DEFAULT_LIVE_RATE_HZ)
            info = SensorInfo(model=family.model, placement=placement, side=side, nominal_rate_hz=rate_hz)
            sensors.append(SensorToRecord(f, info, _full_scale(family, args)))
            notes.append(f"{info.placement}: {range_note(family, sensors[-1].full_scale)}")
        recording = open_recording(
            sensors, output, exercise=exercise, source="record:virtual" if virtual else "record",
            notes="; ".join(n for n in notes if n), backend=backend, clock=clock,
        )  # fmt: skip
        described = " and ".join(
            f"{s.family.display_name} '{printable(f.name)}' on the {s.info.side} {s.info.placement} at {s.info.nominal_rate_hz:g} Hz"
            for s, f in zip(recording.sensors, found, strict=True)
        )
        print(f"recording two sensors: {described}, to {printable(output)}; Ctrl-C stops")
        summary, interrupted = await record_until_stopped(recording, args=args, finished=finished)
    finally:
        if virtual is not None:
            await virtual.close()

    how = ending(summary, sensors=2)
    if summary.path is None:
        if interrupted:
            print(f"{how} before any sample arrived; no file written")
            return 130
        raise SensortrackError("no sample arrived from either sensor; no file written")
    print(f"{how}: {summary.samples} samples ({summary.duration_s:.1f} s) in {summary.path}, both sensors on one host timeline")
    assert isinstance(recording.supervisor, PairSupervisor)
    for line in pair_state_lines(recording.supervisor):
        print(f"  {line}")
    if not args.no_library:
        from sensortrack.library.cli_options import register_recording_or_note

        register_recording_or_note(args.library, summary.path, settings, sys.stderr)
    return 0


def pair_state_lines(pair: PairSupervisor) -> list[str]:
    """Per sensor: what it recorded and how its clock was placed on the host timeline."""
    lines = []
    for state in pair.states:
        skew = ("host-timed (no device clock)" if state.drift_ppm is None
                else f"device clock {state.drift_ppm:+.0f} ppm against the host (mapped out)")
        lines.append(f"{state.info.side} {state.info.placement}: {state.samples} samples, {state.gaps} gaps "
                     f"({state.lost_samples} samples lost), {state.reconnects} reconnects, {skew}")
    return lines


def device_bodies(specs: list[SensorSpec]) -> list[tuple[str | None, str | None]]:
    """Two `--device NAME:PLACEMENT:SIDE`: their bodies, checked before looking for any device."""
    if len(specs) != 2:
        raise ConfigError(f"a pair is two sensors, got {len(specs)} --device")
    if any(s.placement is None for s in specs):
        raise MissingMetadataError("with two sensors give each as --device NAME:PLACEMENT:SIDE (e.g. A:thigh:right)")
    bodies = [(s.placement, s.side) for s in specs]
    check_bodies(bodies)
    return bodies


async def find_device_pair(
    args: argparse.Namespace, backend: BleBackend
) -> tuple[list[tuple[str | None, str | None]], list[FoundSensor]]:
    """`--device NAME:PLACEMENT:SIDE` twice: each one's (placement, side), checked first, and the two
    sensors found; shared by `record` and `live`."""
    from sensortrack.drivers.scan import family_by_model, find_sensor

    specs = [split_body(d) for d in args.device]
    bodies = device_bodies(specs)
    model = family_by_model(args.model).model if args.model else None
    return bodies, [await find_sensor(s.what, args.timeout, model=model, backend=backend) for s in specs]


async def start_virtual_pair(
    args: argparse.Namespace, drifts: list[float] | None, *, live: bool = False
) -> tuple[VirtualSensors, list[tuple[str | None, str | None]], Exercise | None, str]:
    """`--virtual MODEL[:PLACEMENT:SIDE] --from FILE` twice, or once with a two-sensor session:
    the two virtual sensors found on their link, each one's (placement, side), the exercise and
    where they play from (`live`: both start playing at one moment). Faults (`--drop-at`, …) hit `--fault-sensor` only, if given."""
    from sensortrack.drivers.scan import family_by_model
    from sensortrack.drivers.virtual.faults import Faults
    from sensortrack.core.loading import load_session
    from sensortrack.recording import DEFAULT_LIVE_RATE_HZ, start_virtual_sensors
    from sensortrack.recording import check_virtual_playable

    specs = [split_body(v) for v in args.virtual]
    if len(specs) == 1:  # one two-sensor session played as a virtual pair
        whole = load_session(args.source[0])
        streams: list[Session] = [whole, *whole.companions]
        specs = specs * len(streams)
        origins = [args.source[0]] * len(streams)
    else:
        if len(args.source or []) != len(specs):
            raise ConfigError("each --virtual needs its own --from SESSION, in the same order")
        streams = [load_session(p) for p in args.source]
        origins = list(args.source)
    if len(streams) != 2:
        raise ConfigError(f"a pair is two sensors, got {len(streams)}")
    clock_drifts = _per_sensor(drifts, 2, "--clock-drift-ppm")
    fault_sensor = getattr(args, "fault_sensor", None)
    if fault_sensor is not None and fault_sensor not in (1, 2):
        raise ConfigError("--fault-sensor is 1 or 2")
    faults = Faults(drop_at_s=tuple(getattr(args, "drop_at", ())), readvertise_after_s=getattr(args, "readvertise_after", 1.0),
                    stall_at_s=tuple(getattr(args, "stall_at", ())), stall_s=getattr(args, "stall_for", 2.0),
                    loss=getattr(args, "loss", 0.0), garbage=getattr(args, "garbage", 0.0), seed=getattr(args, "seed", 0))
    families = [family_by_model(spec.what) for spec in specs]
    for family, stream, origin in zip(families, streams, origins, strict=True):
        if live:  # the live view checks (record keeps what it did before)
            check_virtual_playable(family, stream, origin)
    plays = [(f, s, args.rate or s.meta.sensor.nominal_rate_hz or DEFAULT_LIVE_RATE_HZ) for f, s in zip(families, streams, strict=True)]
    virtual = await start_virtual_sensors(
        plays, speed=args.speed, faults=[faults if fault_sensor in (None, k + 1) else Faults() for k in range(2)],
        clock_drift_ppm=clock_drifts, timeout_s=args.timeout, together=live,  # live: the segments in step
    )  # fmt: skip
    bodies = [(spec.placement or s.meta.sensor.placement, spec.side or s.meta.sensor.side) for spec, s in zip(specs, streams, strict=True)]
    exercise = args.exercise or streams[0].meta.exercise
    return virtual, bodies, exercise, "virtual pair playing " + " and ".join(origins)
