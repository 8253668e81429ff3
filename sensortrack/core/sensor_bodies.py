"""Where each sensor of a two-sensor recording sits, given on the command line (`--sensor ID:PLACEMENT:SIDE`).

A two-sensor file written by another tool may not say which sensor sat where; `analyze`, `replay`
and `import` take it in the form `record --device` takes it. ID is the sensor's number in the file
(1 or 2, the order of its `sensors` list, as `--fault-sensor` counts), or its name or Bluetooth
address as the file says them; with `analyze FILE --with FILE2`, 1 is FILE and 2 is FILE2.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sensortrack.core.errors import ConfigError
from sensortrack.core.vocabulary import PLACEMENTS, SIDES, Placement, Side, placement_or_none, side_or_none

if TYPE_CHECKING:  # parsing `--sensor` needs no NumPy (replay's first frame comes before it: docs/speed.md)
    from sensortrack.core.model import Session

FORM = "ID:PLACEMENT:SIDE (e.g. 1:thigh:right)"


@dataclass(frozen=True, slots=True)
class SensorBody:
    sensor: str  # 1-based number, name or address
    placement: Placement
    side: Side


def parse_sensor_body(text: str) -> SensorBody:
    """`ID:PLACEMENT:SIDE` (an address keeps its colons: the last two fields are the body); one line
    naming what is wrong otherwise."""
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or not parts[0].strip():
        raise ConfigError(f"--sensor {text!r}: give {FORM}")
    ident, placement, side = parts[0].strip(), placement_or_none(parts[1]), side_or_none(parts[2])
    if placement is None:
        raise ConfigError(f"--sensor {text!r}: unknown placement {parts[1]!r} (one of {', '.join(PLACEMENTS)})")
    if side is None:
        raise ConfigError(f"--sensor {text!r}: unknown side {parts[2]!r} (one of {', '.join(SIDES)})")
    return SensorBody(ident, placement, side)


def sensor_number(streams: list[Session], ident: str, where: str) -> int:
    """The 0-based index of the stream `ident` names: its number (1-based), name or address."""
    if ident.isdigit():
        k = int(ident)
        if 1 <= k <= len(streams):
            return k - 1
    else:
        named = [k for k, s in enumerate(streams)
                 if ident in (s.meta.sensor.name, s.meta.sensor.address) or ident.upper() == s.meta.sensor.address.upper()]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise ConfigError(f"--sensor {ident}: both sensors of {where} are called that: use its number (1 or 2)")
    known = ", ".join(
        f"{k + 1}" + "".join(f" {v!r}" for v in (s.meta.sensor.name, s.meta.sensor.address) if v)
        for k, s in enumerate(streams)
    )
    raise ConfigError(f"--sensor {ident}: {where} has no such sensor (its sensors: {known})")


def bodies_of(
    streams: list[Session], bodies: list[SensorBody], where: str
) -> list[tuple[Placement | None, Side | None]]:
    """Each stream's (placement, side) from `bodies` (None where none was given for it)."""
    out: list[tuple[Placement | None, Side | None]] = [(None, None)] * len(streams)
    seen: set[int] = set()
    for body in bodies:
        k = sensor_number(streams, body.sensor, where)
        if k in seen:
            raise ConfigError(f"--sensor: sensor {k + 1} of {where} is given twice")
        seen.add(k)
        out[k] = (body.placement, body.side)
    return out


def with_sensor_bodies(session: Session, bodies: list[SensorBody], where: str) -> Session:
    """A two-sensor session (its first sensor and its companions) with the given placements and sides."""
    streams = [session, *session.companions]
    placed = [_placed(s, p, sd) for s, (p, sd) in zip(streams, bodies_of(streams, bodies, where), strict=True)]
    return replace(placed[0], companions=tuple(placed[1:]))


def _placed(session: Session, placement: Placement | None, side: Side | None) -> Session:
    if placement is None and side is None:
        return session
    sensor = session.meta.sensor.with_body(placement, side)
    return replace(session, meta=replace(session.meta, sensor=sensor), samples=session.samples.with_sensor(sensor))
