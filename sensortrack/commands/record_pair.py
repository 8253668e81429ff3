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

from sensortrack.errors import ConfigError, MissingMetadataError, SensortrackError
from sensortrack.model import PLACEMENTS, SIDES, Session

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


def _is_pair_file(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.readline().startswith(PAIR_MAGIC)
    except OSError:
        return False


def is_pair(args: argparse.Namespace) -> bool:
    devices, virtuals, sources = args.device or [], args.virtual or [], args.source or []
    return len(devices) > 1 or len(virtuals) > 1 or (len(virtuals) == 1 and len(sources) == 1 and _is_pair_file(sources[0]))


def single_sensor_args(args: argparse.Namespace) -> None:
    """One sensor: the repeatable options back to single values (a :PLACEMENT:SIDE suffix sets those)."""
    for name in ("device", "virtual"):
        values = getattr(args, name)
        if values:
            spec = split_body(values[0])
            setattr(args, name, spec.what)
            args.placement = args.placement or spec.placement
            args.side = args.side or spec.side
    if args.source and len(args.source) > 1:
        raise ConfigError("one --virtual plays one --from SESSION")
    args.source = args.source[0] if args.source else None
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


def _check_bodies(bodies: list[tuple[str | None, str | None]]) -> None:
    if any(p is None or sd is None for p, sd in bodies):
        raise MissingMetadataError("each sensor needs its placement and side: MODEL:PLACEMENT:SIDE or in its session")
    if bodies[0] == bodies[1]:
        raise ConfigError(f"both sensors are on the {bodies[0][1]} {bodies[0][0]}: a pair is two places")


async def record_pair(args: argparse.Namespace) -> int:  # noqa: C901 - one straight sequence of steps
    from sensortrack.commands.record import (
        _check_options,
        _full_scale,
        create_writer,
        range_note,
        record_until_stopped,
    )
    from sensortrack.config import load_settings
    from sensortrack.drivers.backend import SYSTEM_BACKEND
    from sensortrack.recording import DEFAULT_LIVE_RATE_HZ
    from sensortrack.drivers.clock import MonotonicClock, ScaledClock
    from sensortrack.drivers.pair_supervisor import PairSupervisor
    from sensortrack.drivers.scan import family_by_model, find_sensor
    from sensortrack.drivers.supervisor import SensorSupervisor, SupervisorSettings, shared_connect_lock
    from sensortrack.drivers.virtual.faults import Faults
    from sensortrack.drivers.virtual.link import VirtualLink
    from sensortrack.drivers.virtual.names import advertised_name
    from sensortrack.drivers.virtual.peripheral import VirtualSensor
    from sensortrack.loading import load_session
    from sensortrack.model import SensorInfo, SessionMeta
    from sensortrack.terminal_text import printable

    output = Path(args.output)
    if output.exists():
        raise SensortrackError(f"{output}: already exists; recordings are never overwritten — choose another name")
    drifts = args.clock_drift_ppm
    args.clock_drift_ppm = 0.0 if not drifts else drifts[0]  # _check_options reads one value
    _check_options(args)
    settings = load_settings()
    virtual = bool(args.virtual)
    sensors: list[VirtualSensor] = []
    finished: asyncio.Event | None = None
    watcher: asyncio.Future[None] | None = None
    try:
        if virtual:
            specs = [split_body(v) for v in args.virtual]
            if len(specs) == 1:  # one two-sensor session played as a virtual pair
                whole = load_session(args.source[0])
                streams: list[Session] = [whole, *whole.companions]
                specs = specs * len(streams)
                origins = [args.source[0]] * len(streams)
            else:
                if len(args.source) != len(specs):
                    raise ConfigError("each --virtual needs its own --from SESSION, in the same order")
                streams = [load_session(p) for p in args.source]
                origins = list(args.source)
            if len(streams) != 2:
                raise ConfigError(f"a pair is two sensors, got {len(streams)}")
            clock_drifts = _per_sensor(drifts, 2, "--clock-drift-ppm")
            if args.fault_sensor is not None and args.fault_sensor not in (1, 2):
                raise ConfigError("--fault-sensor is 1 or 2")
            faults = Faults(drop_at_s=tuple(args.drop_at), readvertise_after_s=args.readvertise_after,
                            stall_at_s=tuple(args.stall_at), stall_s=args.stall_for, loss=args.loss,
                            garbage=args.garbage, seed=args.seed)
            link = VirtualLink(ScaledClock(args.speed))
            backend, clock = link.backend, link.clock
            bodies = []
            families = []
            for k, (spec, stream) in enumerate(zip(specs, streams, strict=True)):
                family = family_by_model(spec.what)
                rate_hz = family.nearest_rate_hz(args.rate or stream.meta.sensor.nominal_rate_hz or DEFAULT_LIVE_RATE_HZ)
                sensor = VirtualSensor(
                    link, family, stream, name=f"{advertised_name(family)}-{k + 1}",
                    faults=faults if args.fault_sensor in (None, k + 1) else Faults(),
                    initial_rate_hz=rate_hz, clock_drift_ppm=clock_drifts[k],
                )
                await sensor.start()
                sensors.append(sensor)
                families.append(family)
                bodies.append((spec.placement or stream.meta.sensor.placement, spec.side or stream.meta.sensor.side))
            found = [await find_sensor(s.address, args.timeout, model=f.model, backend=backend)
                     for s, f in zip(sensors, families, strict=True)]
            exercise = args.exercise or streams[0].meta.exercise
            origin = "virtual pair playing " + " and ".join(origins)
            finished = asyncio.Event()

            async def all_played() -> None:
                await asyncio.gather(*(s.finished.wait() for s in sensors))
                finished.set()  # type: ignore[union-attr]

            watcher = asyncio.ensure_future(all_played())
        else:
            backend, clock = SYSTEM_BACKEND, MonotonicClock()
            specs = [split_body(d) for d in args.device]
            if len(specs) != 2:
                raise ConfigError(f"a pair is two sensors, got {len(specs)} --device")
            if any(s.placement is None for s in specs):
                raise MissingMetadataError("with two sensors give each as --device NAME:PLACEMENT:SIDE (e.g. A:thigh:right)")
            bodies = [(s.placement, s.side) for s in specs]
            _check_bodies(bodies)  # before looking for any device
            model = family_by_model(args.model).model if args.model else None
            found = [await find_sensor(s.what, args.timeout, model=model, backend=backend) for s in specs]
            families = [f.family for f in found]  # type: ignore[misc]
            exercise, origin = args.exercise, ""
        _check_bodies(bodies)

        queue_origin = clock.now()  # one host timeline for both
        lock = shared_connect_lock()
        supervisors = []
        for k, (f, family, (placement, side)) in enumerate(zip(found, families, bodies, strict=True)):
            assert family is not None
            stated = streams[k].meta.sensor.nominal_rate_hz if virtual else 0.0
            rate_hz = family.nearest_rate_hz(args.rate or stated or DEFAULT_LIVE_RATE_HZ)
            info = SensorInfo(model=family.model, placement=placement, side=side, nominal_rate_hz=rate_hz)  # type: ignore[arg-type]
            supervisors.append(SensorSupervisor(
                f, info, asyncio.Queue(), settings=SupervisorSettings(), backend=backend, clock=clock,
                origin_s=queue_origin, connect_lock=lock, full_scale=_full_scale(family, args),
            ))
        pair = PairSupervisor(supervisors)
        notes = [origin, *(f"{s.info.placement}: {range_note(s.family, s.full_scale)}" for s in supervisors)]
        meta = SessionMeta(sensor=supervisors[0].info, exercise=exercise,  # type: ignore[arg-type]
                           source="record:virtual" if virtual else "record", notes="; ".join(n for n in notes if n))
        writer = create_writer(output, meta, gyro=any(s.family.has_gyro for s in supervisors),
                               companions=(supervisors[1].info,))
        described = " and ".join(
            f"{s.family.display_name} '{printable(f.name)}' on the {s.info.side} {s.info.placement} at {s.info.nominal_rate_hz:g} Hz"
            for s, f in zip(supervisors, found, strict=True)
        )
        print(f"recording two sensors: {described}, to {printable(output)}; Ctrl-C stops")
        summary, interrupted = await record_until_stopped(pair, writer, clock=clock, args=args, finished=finished)
    finally:
        if watcher is not None:
            watcher.cancel()
        for sensor in sensors:
            await sensor.close()

    how = {"duration": "duration reached", "stop": "stopped", "source ended": "sources played to the end"}.get(summary.ended_by, summary.ended_by)
    if summary.path is None:
        if interrupted:
            print(f"{how} before any sample arrived; no file written")
            return 130
        raise SensortrackError("no sample arrived from either sensor; no file written")
    print(f"{how}: {summary.samples} samples ({summary.duration_s:.1f} s) in {summary.path}, both sensors on one host timeline")
    for state in pair.states:
        skew = ("host-timed (no device clock)" if state.drift_ppm is None
                else f"device clock {state.drift_ppm:+.0f} ppm against the host (mapped out)")
        print(f"  {state.info.side} {state.info.placement}: {state.samples} samples, {state.gaps} gaps "
              f"({state.lost_samples} samples lost), {state.reconnects} reconnects, {skew}")
    if not args.no_library:
        from sensortrack.library.cli_options import register_recording_or_note

        register_recording_or_note(args.library, summary.path, settings, sys.stderr)
    return 0
