"""The data model: one sample-block type for everything that streams, plus the metadata around it.

Units are fixed and in the names: time in seconds (`_s`), acceleration in g (`_g`), angular rate
in degrees per second (`_dps`). Arrays are time-major: `(n,)` and `(n, 3)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from sensortrack.core.session_events import SessionEvents
# Re-exported (`X as X`): most of the code says `from sensortrack.core.model import EXERCISES`.
from sensortrack.core.vocabulary import EXERCISES as EXERCISES
from sensortrack.core.vocabulary import PLACEMENTS as PLACEMENTS
from sensortrack.core.vocabulary import SIDES as SIDES
from sensortrack.core.vocabulary import ClockSource as ClockSource
from sensortrack.core.vocabulary import Exercise as Exercise
from sensortrack.core.vocabulary import Placement as Placement
from sensortrack.core.vocabulary import Side as Side

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class SensorInfo:
    """What produced the samples and where it sits on the body. Travels with every block."""

    model: str = "unknown"
    placement: Placement | None = None
    side: Side | None = None
    nominal_rate_hz: float = 100.0
    name: str = ""
    address: str = ""
    clock: ClockSource = "host"

    def with_body(self, placement: Placement | None, side: Side | None) -> SensorInfo:
        """A copy with placement/side overridden where the argument is not None."""
        return replace(
            self,
            placement=placement if placement is not None else self.placement,
            side=side if side is not None else self.side,
        )


@dataclass(frozen=True, slots=True)
class Gap:
    """Samples known to be missing between two received samples. Never filled in silently."""

    start_s: float  # time of the last sample before the gap
    end_s: float  # time of the first sample after the gap
    lost_samples: int  # estimated from the nominal rate or sequence numbers


@dataclass(frozen=True, slots=True, eq=False)
class SampleBlock:
    """A run of consecutive samples from one sensor.

    `gyro_dps` is None for accelerometer-only sensors; `quat_wxyz` is the sensor's own orientation
    estimate when it streams one (scalar first), else None.
    """

    t_s: FloatArray
    acc_g: FloatArray
    gyro_dps: FloatArray | None = None
    quat_wxyz: FloatArray | None = None
    sensor: SensorInfo = field(default_factory=SensorInfo)

    def __post_init__(self) -> None:
        n = self.t_s.shape[0]
        if self.t_s.ndim != 1:
            raise ValueError("t_s must be one-dimensional")
        if self.acc_g.shape != (n, 3):
            raise ValueError(f"acc_g must have shape ({n}, 3), got {self.acc_g.shape}")
        if self.gyro_dps is not None and self.gyro_dps.shape != (n, 3):
            raise ValueError(f"gyro_dps must have shape ({n}, 3), got {self.gyro_dps.shape}")
        if self.quat_wxyz is not None and self.quat_wxyz.shape != (n, 4):
            raise ValueError(f"quat_wxyz must have shape ({n}, 4), got {self.quat_wxyz.shape}")

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def has_gyro(self) -> bool:
        return self.gyro_dps is not None

    def slice(self, start: int, stop: int) -> SampleBlock:
        """Samples [start, stop) as a new block sharing memory with this one."""
        return SampleBlock(
            t_s=self.t_s[start:stop],
            acc_g=self.acc_g[start:stop],
            gyro_dps=None if self.gyro_dps is None else self.gyro_dps[start:stop],
            quat_wxyz=None if self.quat_wxyz is None else self.quat_wxyz[start:stop],
            sensor=self.sensor,
        )

    def with_sensor(self, sensor: SensorInfo) -> SampleBlock:
        return replace(self, sensor=sensor)

    @staticmethod
    def empty(sensor: SensorInfo, *, gyro: bool = True) -> SampleBlock:
        return SampleBlock(
            t_s=np.empty(0),
            acc_g=np.empty((0, 3)),
            gyro_dps=np.empty((0, 3)) if gyro else None,
            sensor=sensor,
        )

    @staticmethod
    def concat(blocks: list[SampleBlock]) -> SampleBlock:
        """Join blocks of the same sensor in time order (gyro/quaternion kept only if all have them)."""
        if not blocks:
            raise ValueError("nothing to concatenate")
        gyro = all(b.gyro_dps is not None for b in blocks)
        quat = all(b.quat_wxyz is not None for b in blocks)
        return SampleBlock(
            t_s=np.concatenate([b.t_s for b in blocks]),
            acc_g=np.concatenate([b.acc_g for b in blocks]),
            gyro_dps=np.concatenate([b.gyro_dps for b in blocks if b.gyro_dps is not None]) if gyro else None,
            quat_wxyz=np.concatenate([b.quat_wxyz for b in blocks if b.quat_wxyz is not None]) if quat else None,
            sensor=blocks[0].sensor,
        )


@dataclass(frozen=True, slots=True)
class SessionMeta:
    """Everything a session file says about itself besides the samples."""

    sensor: SensorInfo
    exercise: Exercise | None = None
    start_time_utc: str = ""  # ISO 8601, when recording started (host clock)
    software_version: str = ""
    notes: str = ""
    source: str = ""  # where the samples came from: "record", "import:csv", "simulated", ...
    attribution: str = ""  # credit/licence for data that is not the user's own (e.g. MEx, CC BY 4.0)


@dataclass(frozen=True, slots=True, eq=False)
class Session:
    """A whole recording: metadata, all samples, and the gaps found while recording or reading."""

    meta: SessionMeta
    samples: SampleBlock
    gaps: tuple[Gap, ...] = ()
    interrupted: bool = False  # the recorder did not close the file (crash, kill -9, power loss)
    path: str = ""
    events: SessionEvents = SessionEvents()  # exercise changes of a plan, the wearer's set notes
    # The other sensors recorded in the same session (a two-sensor file, format version 2), each a
    # Session of its own on the same timeline; () for a single sensor.
    companions: tuple[Session, ...] = ()
