"""Virtual sensors on their own link, ready to be scanned and recorded like real ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sensortrack.drivers.clock import ScaledClock
from sensortrack.drivers.protocols.base import FamilyDescriptor
from sensortrack.drivers.virtual.faults import Faults
from sensortrack.drivers.virtual.link import VirtualLink
from sensortrack.drivers.virtual.peripheral import VirtualSensor
from sensortrack.core.model import Session


@dataclass(slots=True)
class VirtualRig:
    link: VirtualLink
    sensors: list[VirtualSensor]

    @property
    def clock(self) -> ScaledClock:
        # a rig's link is always made with its ScaledClock (VirtualLink types the clock as any HostClock)
        return self.link.clock  # type: ignore[return-value]

    async def close(self) -> None:
        for sensor in self.sensors:
            await sensor.close()


async def start_rig(
    sensors: Sequence[tuple[FamilyDescriptor, Session]],
    *,
    speed: float = 1.0,
    faults: Faults = Faults(),
    rate_hz: float | None = None,
    keep_trace: bool = False,
    clock_drift_ppm: float = 0.0,
    notify_interval_s: float = 0.02,
) -> VirtualRig:
    """Advertising virtual sensors, one per (family, session), on one link running at `speed`.

    `rate_hz` is the rate each sensor has stored from "last time" (it still obeys the rate the
    client writes); by default the family's factory default. `clock_drift_ppm`: how much faster
    than the link's clock the sensors' own clocks run (negative: slower), for families with one.
    `notify_interval_s`: how much stream each notification carries at most (families that pack
    several samples per notification fill it; longer means fewer notifications per second).
    """
    link = VirtualLink(ScaledClock(speed))
    started: list[VirtualSensor] = []
    rig = VirtualRig(link, started)
    try:
        for family, session in sensors:
            sensor = VirtualSensor(
                link,
                family,
                session,
                faults=faults,
                initial_rate_hz=None if rate_hz is None else family.nearest_rate_hz(rate_hz),
                keep_trace=keep_trace,
                clock_drift_ppm=clock_drift_ppm,
                notify_interval_s=notify_interval_s,
            )
            await sensor.start()
            started.append(sensor)
    except BaseException:
        await rig.close()
        raise
    return rig
