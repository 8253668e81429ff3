"""The contract every sensor family's byte codec meets. Pure: no bleak, no I/O, no clocks.

A decoder is a small stateful object (it may carry a partial frame, the last reference sample of a
delta-compressed stream, or a timestamp unwrapping state) fed one notification payload at a time.
`feed` never raises: bytes it cannot use are counted in `stats.skipped_bytes` and dropped.

Byte accounting, checked by the property tests for every family:
    stats.bytes_in == stats.used_bytes + stats.skipped_bytes + decoder.pending_bytes
where `pending_bytes` is a frame start held back until the next notification completes it.
Bytes of a frame that fails a check count in `skipped_bytes` and the frame in `bad_frames`.

Device time going backwards (or a sequence number repeating/going back) is counted in
`stats.out_of_order` and the samples are still returned with the time the device gave: a sensor
reset looks exactly like that, and dropping everything after it would lose the recording.

An encoder is the device side of the same family (used by virtual peripherals and round-trip
tests): samples in, notification payloads out, exactly as the real sensor would send them; it also
answers the commands a central writes (`handle_write`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from sensortrack.core.model import FloatArray


# A connection whose peer stays silent longer than its supervision timeout is dropped; the timeout
# is at most 32 s (Bluetooth Core 5.3, Vol 6, Part B, §4.5.2). A decoder lives for one connection,
# so its stream cannot have skipped more than this much time.
MAX_LINK_SILENCE_S = 32.0


@dataclass(slots=True)
class DecodeStats:
    notifications: int = 0
    samples: int = 0
    skipped_bytes: int = 0  # garbage, truncated frames, unknown frame types
    bad_frames: int = 0  # frames that were recognised but failed a check
    # Added after the first four (keep positional construction working):
    bytes_in: int = 0  # every payload byte fed
    used_bytes: int = 0  # bytes that were part of a frame that decoded (samples or a reply)
    frames: int = 0  # frames/packets that decoded
    lost_samples: int = 0  # samples the device sent that never arrived (sequence or clock gap)
    out_of_order: int = 0  # frames whose sequence or device time went backwards
    clock_leaps: int = 0  # frames whose device time or sequence leapt further ahead than a live link can fall silent


@dataclass(frozen=True, slots=True, eq=False)
class Decoded:
    """Samples from one notification. Time is what the device says, if it says anything."""

    acc_g: FloatArray  # (n, 3)
    gyro_dps: FloatArray | None = None  # (n, 3) or None for accelerometer-only streams
    device_time_s: FloatArray | None = None  # (n,) device clock, unwrapped, when the sensor has one
    sequence: np.ndarray | None = None  # (n,) per-sample counter when the protocol carries one

    def __len__(self) -> int:
        return int(self.acc_g.shape[0])

    @staticmethod
    def none() -> Decoded:
        return Decoded(acc_g=np.empty((0, 3)))


@dataclass(slots=True)
class DecoderBase:
    stats: DecodeStats = field(default_factory=DecodeStats)
    # Set when the device answered a start command with a refusal it will repeat on every try
    # (e.g. Polar "invalid range"): the BLE layer stops with this message instead of retrying.
    refusal: str | None = None

    @property
    def pending_bytes(self) -> int:
        """Bytes held back waiting for the rest of a frame (only stream framers hold any)."""
        return 0

    def _accept(self, payload: object) -> bytes | None:
        """Count the notification; return its bytes, or None for something that is not bytes."""
        self.stats.notifications += 1
        if not isinstance(payload, bytes | bytearray | memoryview):
            return None
        data = bytes(payload)
        self.stats.bytes_in += len(data)
        return data

    def _skip(self, n_bytes: int, *, bad_frame: bool = False) -> None:
        self.stats.skipped_bytes += n_bytes
        if bad_frame:
            self.stats.bad_frames += 1

    def _used(self, n_bytes: int) -> None:
        self.stats.used_bytes += n_bytes
        self.stats.frames += 1

    def _lost(self, missing_samples: int, rate_hz: float) -> None:
        """Count samples a forward step of the device's time or sequence skipped, unless the step is
        longer than a connected link can stay silent: that is a corrupt stamp (frames without a
        checksum, e.g. Polar's) or a reset clock, never billions of lost samples."""
        if missing_samples <= 0:
            return
        if missing_samples > MAX_LINK_SILENCE_S * rate_hz:
            self.stats.clock_leaps += 1
        else:
            self.stats.lost_samples += missing_samples


class Decoder(Protocol):
    stats: DecodeStats
    refusal: str | None

    def feed(self, payload: bytes) -> Decoded:
        """Decode one notification payload. Never raises on any input."""
        ...


class Unwrapper:
    """Turns a wrapping unsigned counter (u16 sequence, u32 ms/µs clock) into a monotonic integer.

    A step forward of less than half the range is progress (across a wrap if needed); a bigger
    "forward" step is really a step backwards, reported as such rather than as ~2^32 of progress.
    """

    __slots__ = ("_modulus", "_last_raw", "_value")

    def __init__(self, bits: int) -> None:
        self._modulus = 1 << bits
        self._last_raw: int | None = None
        self._value = 0

    @property
    def started(self) -> bool:
        return self._last_raw is not None

    @property
    def value(self) -> int:
        return self._value

    def step(self, raw: int) -> int:
        """Signed difference from the previous raw value (0 for the first one)."""
        if self._last_raw is None:
            return 0
        diff = (raw - self._last_raw) % self._modulus
        return diff if diff < self._modulus // 2 else diff - self._modulus

    def update(self, raw: int) -> int:
        """Unwrapped value of `raw`; call `step` first if you need to know the direction."""
        self._value = raw if self._last_raw is None else self._value + self.step(raw)
        self._last_raw = raw
        return self._value


def finite_float32(data: bytes, offset: int, count: int) -> FloatArray | None:
    """`count` little-endian float32 values from `data` as float64, or None if any is NaN or
    infinite. Checked on the bits (exponent all ones) before converting: converting a signalling
    NaN raises numpy's "invalid value" RuntimeWarning, and garbage bytes are full of them."""
    bits = np.frombuffer(data, dtype="<u4", count=count, offset=offset)
    if ((bits & 0x7F80_0000) == 0x7F80_0000).any():
        return None
    values: FloatArray = bits.view("<f4").astype(np.float64)
    return values


def clamp_int16(values: np.ndarray) -> np.ndarray:
    """Round to the nearest int16, saturating like a sensor's ADC at full scale."""
    counts: np.ndarray = np.clip(np.rint(values), -32768, 32767).astype("<i2")
    return counts


# ---- Family descriptors: what the BLE layer and the virtual peripherals need to know. ----


@dataclass(frozen=True, slots=True)
class FullScale:
    """Measuring range: accelerometer ±`acc_g` g, gyroscope ±`gyro_dps` °/s (0 without a gyro)."""

    acc_g: float
    gyro_dps: float = 0.0

    def describe(self) -> str:
        text = f"±{self.acc_g:g} g"
        return text + (f", ±{self.gyro_dps:g} °/s" if self.gyro_dps else "")


@dataclass(frozen=True, slots=True)
class RangeSupport:
    """Which measuring ranges a family can be set to, and what it uses otherwise.

    `acc_g`/`gyro_dps` list the ranges `start_writes` can ask for; both empty when the host cannot
    choose (the device's range is fixed, or only settable through a channel we do not have).
    `default` is what we ask for when the user does not choose, or the range a fixed device always
    measures at (None: whatever the sensor was set to, unknown to us). `fixed_reason` says why the
    range cannot be chosen; `scan`, `record` and the docs show it.
    """

    acc_g: tuple[float, ...]
    gyro_dps: tuple[float, ...]
    default: FullScale | None
    fixed_reason: str = ""

    @property
    def settable(self) -> bool:
        return bool(self.acc_g or self.gyro_dps)

    def choose(self, acc_g: float | None, gyro_dps: float | None, device: str) -> FullScale | None:
        """The range to ask for; ValueError (one line that says what is possible) when the device
        cannot measure at what was asked for."""
        if not self.settable:
            if acc_g is None and gyro_dps is None:
                return self.default
            default = self.default
            if default is not None and FullScale(
                default.acc_g if acc_g is None else float(acc_g), default.gyro_dps if gyro_dps is None else float(gyro_dps)
            ) == default:
                return default
            raise ValueError(f"{device}: the measuring range cannot be chosen: {self.fixed_reason}")
        assert self.default is not None
        if acc_g is not None and float(acc_g) not in self.acc_g:
            raise ValueError(f"{device} cannot measure at ±{acc_g:g} g; choose ±{_choices(self.acc_g, 'g')}")
        if gyro_dps is not None and not self.gyro_dps:
            raise ValueError(f"{device} has no gyroscope: a gyroscope range does not apply")
        if gyro_dps is not None and float(gyro_dps) not in self.gyro_dps:
            raise ValueError(f"{device} cannot measure at ±{gyro_dps:g} °/s; choose ±{_choices(self.gyro_dps, '°/s')}")
        return FullScale(
            self.default.acc_g if acc_g is None else float(acc_g),
            self.default.gyro_dps if gyro_dps is None else float(gyro_dps),
        )

    def describe(self) -> str:
        """A short phrase for `scan`: the choices, the fixed range, or where it is set."""
        if self.settable:
            text = f"±{_choices(self.acc_g, 'g')}"
            return text + (f", ±{_choices(self.gyro_dps, '°/s')}" if self.gyro_dps else "")
        if self.default is None:
            return "set on the sensor"
        return f"{self.default.describe()} fixed"


def _choices(values: tuple[float, ...], unit: str) -> str:
    return "/".join(f"{v:g}" for v in values) + f" {unit}"


class StartWrites(Protocol):
    def __call__(self, rate_hz: float, full_scale: FullScale | None = None, /) -> tuple[GattWrite, ...]:
        """The writes that configure rate (and, where the protocol can, range) and start streaming;
        `full_scale` None means the family's default range."""
        ...


class NewDecoder(Protocol):
    def __call__(self, rate_hz: float, full_scale: FullScale | None = None, /) -> Decoder:
        """A decoder for a stream configured at `rate_hz` and `full_scale` (None: the default)."""
        ...

Property = Literal["read", "write", "write_without_response", "notify"]


@dataclass(frozen=True, slots=True)
class CharacteristicSpec:
    """One GATT characteristic a real device exposes and a virtual one must serve."""

    service_uuid: str
    uuid: str
    properties: frozenset[Property]
    initial_value: bytes = b""  # what a read returns before anything is written


@dataclass(frozen=True, slots=True)
class GattWrite:
    """One write the central performs, in order, to start or stop streaming."""

    char_uuid: str
    data: bytes
    with_response: bool
    delay_after_s: float = 0.0  # the vendor-documented pause before the next write


@dataclass(frozen=True, slots=True)
class Notification:
    """A payload the peripheral sends on a notify characteristic."""

    char_uuid: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ScanMatch:
    """How a scan recognises the family from advertising data.

    A device matches when its local name matches one of `name_patterns` (regular expressions,
    case-insensitive, anchored at the start), or — unless `name_required` — when it advertises
    one of `service_uuids`. `name_required` is for services several products share (Polar PMD,
    Nordic UART), where only the name tells them apart.
    """

    service_uuids: tuple[str, ...]
    name_patterns: tuple[str, ...]
    name_required: bool = False

    def name_matches(self, name: str | None) -> bool:
        return bool(name) and any(re.match(p, name or "", re.IGNORECASE) for p in self.name_patterns)

    def matches(self, name: str | None, service_uuids: Iterable[str] = ()) -> bool:
        if self.name_matches(name):
            return True
        if self.name_required:
            return False
        wanted = {u.lower() for u in self.service_uuids}
        return any(u.lower() in wanted for u in service_uuids)


class Encoder(Protocol):
    """Device side of a family: the bytes a real sensor would send for given samples."""

    rate_hz: float
    streaming: bool  # a virtual peripheral sends encode() output only while this is True

    def encode(self, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None) -> list[bytes]:
        """Notification payloads for the data characteristic. `t_s` is device-clock time."""
        ...

    def handle_write(self, char_uuid: str, data: bytes) -> list[Notification]:
        """React to a central's write like the device does; return the notifications it sends."""
        ...

    def subscribed(self, char_uuid: str, enabled: bool) -> None:
        """The central enabled/disabled notifications (some devices start streaming on this)."""
        ...

    def read(self, char_uuid: str) -> bytes | None:
        """Current value of a readable characteristic, None if the encoder does not own it."""
        ...


@dataclass(slots=True)
class EncoderBase:
    """Shared state of encoders; families override what their device does differently."""

    rate_hz: float
    max_payload: int = 20  # ATT_MTU - 3; 20 at the default MTU of 23
    streaming: bool = False

    def handle_write(self, char_uuid: str, data: bytes) -> list[Notification]:
        return []

    def subscribed(self, char_uuid: str, enabled: bool) -> None:
        return None

    def read(self, char_uuid: str) -> bytes | None:
        return None


@dataclass(frozen=True, slots=True)
class FamilyDescriptor:
    """Everything about one sensor family that is not bytes → samples. See registry.py."""

    model: str  # registry key; also SensorInfo.model
    display_name: str
    match: ScanMatch
    service_uuid: str  # the service carrying the stream
    data_uuid: str  # notify characteristic with the sample stream
    control_uuid: str | None  # characteristic the start/stop/rate commands go to
    notify_uuids: tuple[str, ...]  # subscribe to all before start_writes; feed all to the decoder
    characteristics: tuple[CharacteristicSpec, ...]  # full table a virtual peripheral serves
    has_gyro: bool
    rates_hz: tuple[float, ...]  # output rates the device can be set to
    default_rate_hz: float
    clock: Literal["device", "host"]  # "device" when Decoded.device_time_s is filled
    has_sequence: bool  # Decoded.sequence is filled
    new_decoder: NewDecoder  # (rate_hz[, full_scale]) -> decoder
    new_encoder: Callable[[float, int], Encoder]  # rate_hz, max_payload -> encoder
    start_writes: StartWrites  # (rate_hz[, full_scale]) -> writes, in order
    stop_writes: Callable[[], tuple[GattWrite, ...]]
    max_acc_g: float  # full scale of what the stream can carry (the largest range)
    max_gyro_dps: float
    ranges: RangeSupport  # measuring ranges: settable ones, default, or the fixed one

    def nearest_rate_hz(self, rate_hz: float) -> float:
        """The supported rate closest to what was asked for."""
        return min(self.rates_hz, key=lambda r: (abs(r - rate_hz), -r))


def plausible_range(family: FamilyDescriptor, full_scale: FullScale | None) -> tuple[float, float]:
    """(acc g, gyro °/s) beyond which a decoded value cannot be a measurement.

    The range the sensor measures at — the one we set, or its fixed one — where we know it: a
    ±2 g accelerometer saturates at 2 g, so 53 g can only be corrupted bytes (the stream's own
    format would carry up to ±32 g). Where only the sensor knows (Movesense), the largest range
    the stream can carry.
    """
    if full_scale is None:
        return family.max_acc_g, family.max_gyro_dps
    gyro_dps = full_scale.gyro_dps if full_scale.gyro_dps > 0 else family.max_gyro_dps
    return min(full_scale.acc_g, family.max_acc_g), min(gyro_dps, family.max_gyro_dps)
