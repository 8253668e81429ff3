"""Polar Measurement Data (PMD) service: Verity Sense (ACC + GYRO) and H10 (ACC only).

Sources (see /work/shared/reference/ble-protocols.md §3): polarofficial/polar-ble-sdk, Android
`pmd/BlePMDClient.kt` (UUIDs, `parseDeltaFramesAll`), `PmdControlPointCommand.kt`, `PmdSetting.kt`,
`PmdDataFrame.kt`, `model/AccData.kt` (raw types are mG; compressed type 0 is G × factor),
`model/GyrData.kt` (compressed type 0 is °/s × factor), `model/PmdTimeStampUtils.kt` (per-sample
times from the previous frame's timestamp); control-point status texts: bleakheart `error_msgs`,
polar-ble-sdk PR #866; rates and ranges: `documentation/products/*.md`, `SdkModeExplained.md`.

Why not the `polar-python` package (MIT, 1.1.1) for the parsing: evaluated from its wheel source.
Its parser (`polar_python.parsers.parse_polar_data`) is importable without its device class only in
name — importing the package runs `polar_python/__init__.py`, which imports bleak, and this layer
must stay bleak-free. It raises ValueError on short frames, unknown measurement or frame types,
so every call would need wrapping; it silently stops at truncated delta blocks without telling
what was dropped; it has no ACC raw type 2; it truncates compressed ACC to whole mG (`int(...)`)
and returns one timestamp per frame, not per sample; it decodes bits one Python list element at a
time. And we need the encoder side (virtual Verity/H10) anyway, which it does not have. Decision:
our own ~300-line codec here, written from the SDK's published format; no new dependency.

Data frames: [measurement type][u64 ns since 2000-01-01, time of the LAST sample][frame type:
bit 7 = delta-compressed, bits 0-6 = type][samples]. Control-point answers on the CP characteristic
start with 0xF0, which is not a measurement type, so the decoder accepts both streams: feed it the
CP notifications too and it learns the FACTOR of compressed streams from the start responses.
"""

from __future__ import annotations

import math
import struct
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from sensortrack.drivers.protocols.base import (
    CharacteristicSpec,
    Decoded,
    DecoderBase,
    EncoderBase,
    FamilyDescriptor,
    FullScale,
    GattWrite,
    Notification,
    RangeSupport,
    ScanMatch,
)
from sensortrack.core.model import FloatArray

PMD_SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
CONTROL_POINT_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"
HEART_RATE_SERVICE_UUID = "0000180d-0000-1000-8000-00805f9b34fb"

# Both sensors expose PMD; only the advertised name ("Polar H10 1A2B3C4D", "Polar Sense 1A2B3C4D")
# tells them apart, so the name is required.
VERITY_MATCH = ScanMatch((PMD_SERVICE_UUID,), (r"Polar Sense", r"Polar Verity"), name_required=True)
H10_MATCH = ScanMatch((PMD_SERVICE_UUID, HEART_RATE_SERVICE_UUID), (r"Polar H10",), name_required=True)

# Control point op codes and measurement types (PmdControlPointCommand.kt, bleakheart core.py).
OP_GET_SETTINGS = 0x01
OP_START = 0x02
OP_STOP = 0x03
CP_RESPONSE = 0xF0
CP_FEATURES = 0x0F
MEAS_ACC = 2
MEAS_GYRO = 5
MEAS_SDK_MODE = 9

# Setting types and their value sizes in bytes (PmdSetting.kt).
SETTING_SAMPLE_RATE = 0
SETTING_RESOLUTION = 1
SETTING_RANGE = 2
SETTING_RANGE_MILLIUNIT = 3
SETTING_CHANNELS = 4
SETTING_FACTOR = 5
SETTING_FIELD_BYTES: dict[int, int] = {0: 2, 1: 2, 2: 2, 3: 4, 4: 1, 5: 4}

STATUS_MESSAGES: dict[int, str] = {
    0: "success",
    1: "invalid op code",
    2: "invalid measurement type",
    3: "not supported",
    4: "invalid length",
    5: "invalid parameter",
    6: "already in that state",
    7: "invalid resolution",
    8: "invalid sample rate",
    9: "invalid range",
    10: "invalid MTU (the phone/adapter negotiated too small an MTU)",
    11: "invalid number of channels",
    12: "invalid state",
    13: "device is in the charger",
}
STATUS_OK = 0
STATUS_NOT_SUPPORTED = 3
STATUS_ALREADY = 6
STATUS_BAD_RATE = 8
STATUS_BAD_RANGE = 9

COMPRESSED_BIT = 0x80
HEADER_BYTES = 10
EPOCH_2000_UNIX_S = 946_684_800  # device time 0 = 2000-01-01T00:00:00Z; add to get Unix seconds

# Rates and ranges: polar-ble-sdk documentation/products/*.md and SdkModeExplained.md.
H10_RATES_HZ: tuple[float, ...] = (25.0, 50.0, 100.0, 200.0)
H10_RANGES_G: tuple[float, ...] = (2.0, 4.0, 8.0)
H10_RANGE_G = 8  # our default of 2/4/8: squats with a thigh-strapped sensor need the headroom
VERITY_RATES_HZ: tuple[float, ...] = (26.0, 52.0, 104.0, 208.0, 416.0)
VERITY_NORMAL_MODE_RATE_HZ = 52.0  # any other rate needs SDK mode
VERITY_ACC_RANGE_G = 8  # normal mode's only range, and our default
VERITY_GYRO_RANGE_DPS = 2000
VERITY_SDK_ACC_RANGES_G: tuple[float, ...] = (2.0, 4.0, 8.0, 16.0)  # any but 8 g needs SDK mode
VERITY_SDK_GYRO_RANGES_DPS: tuple[float, ...] = (250.0, 500.0, 1000.0, 2000.0)
VERITY_NORMAL_MODE_RANGE = FullScale(VERITY_ACC_RANGE_G, VERITY_GYRO_RANGE_DPS)
RESOLUTION_BITS = 16
# Used until a start response gives the real FACTOR: full scale / 2^15 (an assumption, see docs).
DEFAULT_ACC_FACTOR_G = VERITY_ACC_RANGE_G / 32768.0
DEFAULT_GYRO_FACTOR_DPS = VERITY_GYRO_RANGE_DPS / 32768.0


# ---------------------------------------------------------------- control point requests


def get_settings_request(measurement: int) -> bytes:
    return bytes((OP_GET_SETTINGS, measurement))


def start_request(measurement: int, settings: dict[int, int]) -> bytes:
    """`02 <type>` then `<setting type> 01 <value>` per setting, value sized per PmdSetting."""
    out = bytearray((OP_START, measurement))
    for setting, value in settings.items():
        out += bytes((setting, 1)) + int(value).to_bytes(SETTING_FIELD_BYTES[setting], "little")
    return bytes(out)


def stop_request(measurement: int) -> bytes:
    return bytes((OP_STOP, measurement))


def acc_start_request(rate_hz: float, range_g: int, *, channels: int | None = None) -> bytes:
    settings = {SETTING_SAMPLE_RATE: int(rate_hz), SETTING_RESOLUTION: RESOLUTION_BITS, SETTING_RANGE: range_g}
    if channels is not None:
        settings[SETTING_CHANNELS] = channels  # Verity wants it (bleakheart issue #10), H10 does not
    return start_request(MEAS_ACC, settings)


def gyro_start_request(rate_hz: float, range_dps: int, *, channels: int | None = 3) -> bytes:
    settings = {SETTING_SAMPLE_RATE: int(rate_hz), SETTING_RESOLUTION: RESOLUTION_BITS, SETTING_RANGE: range_dps}
    if channels is not None:
        settings[SETTING_CHANNELS] = channels
    return start_request(MEAS_GYRO, settings)


def sdk_mode_request(enable: bool) -> bytes:
    return bytes((OP_START if enable else OP_STOP, MEAS_SDK_MODE))


def _check_rate(rate_hz: float, rates: tuple[float, ...], device: str) -> None:
    if float(rate_hz) not in rates:
        raise ValueError(f"{device} cannot stream at {rate_hz} Hz; choose one of {rates}")


CP_DELAY_S = 0.2  # wait for each CP answer before the next command (the SDK serialises them)


def _check_range(value: float, ranges: tuple[float, ...], what: str) -> int:
    if float(value) not in ranges:
        raise ValueError(f"{what} cannot measure at ±{value:g}; choose one of {ranges}")
    return int(value)


def h10_start_writes(rate_hz: float, full_scale: FullScale | None = None) -> tuple[GattWrite, ...]:
    """The ACC start request carries the range (RANGE setting, u16 g), as bleakheart's defaults do."""
    _check_rate(rate_hz, H10_RATES_HZ, "Polar H10")
    range_g = _check_range(full_scale.acc_g if full_scale else H10_RANGE_G, H10_RANGES_G, "Polar H10 ACC")
    return (GattWrite(CONTROL_POINT_UUID, acc_start_request(rate_hz, range_g), True, CP_DELAY_S),)


def h10_stop_writes() -> tuple[GattWrite, ...]:
    return (GattWrite(CONTROL_POINT_UUID, stop_request(MEAS_ACC), True, CP_DELAY_S),)


def verity_start_writes(rate_hz: float, full_scale: FullScale | None = None) -> tuple[GattWrite, ...]:
    """SDK mode only when the rate or the ranges need it: it switches the optical HR sensor off."""
    _check_rate(rate_hz, VERITY_RATES_HZ, "Polar Verity Sense")
    full_scale = full_scale or VERITY_NORMAL_MODE_RANGE
    range_g = _check_range(full_scale.acc_g, VERITY_SDK_ACC_RANGES_G, "Polar Verity Sense ACC")
    range_dps = _check_range(full_scale.gyro_dps, VERITY_SDK_GYRO_RANGES_DPS, "Polar Verity Sense GYRO")
    writes = []
    if float(rate_hz) != VERITY_NORMAL_MODE_RATE_HZ or full_scale != VERITY_NORMAL_MODE_RANGE:
        writes.append(GattWrite(CONTROL_POINT_UUID, sdk_mode_request(True), True, CP_DELAY_S))
    writes.append(GattWrite(CONTROL_POINT_UUID, acc_start_request(rate_hz, range_g, channels=3), True, CP_DELAY_S))
    writes.append(GattWrite(CONTROL_POINT_UUID, gyro_start_request(rate_hz, range_dps), True, CP_DELAY_S))
    return tuple(writes)


def verity_stop_writes() -> tuple[GattWrite, ...]:
    # Leave SDK mode too: it switches the optical heart-rate sensor off (SdkModeExplained.md).
    # If it was never on, the answer is "already in that state", which is harmless.
    return tuple(
        GattWrite(CONTROL_POINT_UUID, data, True, CP_DELAY_S)
        for data in (stop_request(MEAS_GYRO), stop_request(MEAS_ACC), sdk_mode_request(False))
    )


# ---------------------------------------------------------------- control point responses


@dataclass(frozen=True, slots=True)
class ControlResponse:
    """`F0 <op> <type> <status> <more frames> <settings...>`."""

    op: int
    measurement: int
    status: int
    more_frames: bool
    settings: dict[int, tuple[int, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK

    @property
    def message(self) -> str:
        return STATUS_MESSAGES.get(self.status, f"unknown status {self.status}")

    @property
    def factor(self) -> float | None:
        """FACTOR (float32 bits in a u32), sent in start responses of compressed streams."""
        values = self.settings.get(SETTING_FACTOR)
        return struct.unpack("<f", struct.pack("<I", values[0]))[0] if values else None


def parse_control_response(data: bytes) -> ControlResponse | None:
    """None unless `data` is a well-formed CP response (settings must parse to the last byte)."""
    if len(data) < 5 or data[0] != CP_RESPONSE:
        return None
    settings: dict[int, tuple[int, ...]] = {}
    offset = 5
    while offset < len(data):
        if offset + 2 > len(data) or data[offset] not in SETTING_FIELD_BYTES:
            return None
        size, count = SETTING_FIELD_BYTES[data[offset]], data[offset + 1]
        end = offset + 2 + size * count
        if end > len(data):
            return None
        settings[data[offset]] = tuple(
            int.from_bytes(data[k : k + size], "little") for k in range(offset + 2, end, size)
        )
        offset = end
    return ControlResponse(op=data[1], measurement=data[2], status=data[3], more_frames=data[4] != 0, settings=settings)


def settings_response(op: int, measurement: int, status: int, settings: dict[int, tuple[int, ...]]) -> bytes:
    out = bytearray((CP_RESPONSE, op, measurement, status, 0))
    for setting, values in settings.items():
        size = SETTING_FIELD_BYTES[setting]
        out += bytes((setting, len(values))) + b"".join(int(v).to_bytes(size, "little") for v in values)
    return bytes(out)


# ---------------------------------------------------------------- delta compression


def decode_delta_frames(content: bytes, channels: int, resolution_bits: int) -> np.ndarray | None:
    """(n, channels) int64 samples, or None if the blocks do not parse to the last byte.

    Reference sample: channels × ceil(res/8) bytes, signed LE. Then blocks of
    [bit width u8][sample count u8][count × channels deltas, LSB-first, sign-extended], each block
    padded to a whole byte; every delta adds to the previous sample (BlePMDClient.kt).
    """
    ref_size = math.ceil(resolution_bits / 8)
    offset = channels * ref_size
    if len(content) < offset:
        return None
    reference = np.array(
        [int.from_bytes(content[k * ref_size : (k + 1) * ref_size], "little", signed=True) for k in range(channels)],
        dtype=np.int64,
    )
    blocks = []
    while offset < len(content):
        if offset + 2 > len(content):
            return None
        width, count = content[offset], content[offset + 1]
        offset += 2
        n_bytes = math.ceil(width * count * channels / 8)
        if width > 32 or offset + n_bytes > len(content):
            return None
        blocks.append(_unpack_deltas(content[offset : offset + n_bytes], width, count, channels))
        offset += n_bytes
    deltas = np.concatenate(blocks) if blocks else np.empty((0, channels), dtype=np.int64)
    samples: np.ndarray = reference + np.vstack([np.zeros((1, channels), dtype=np.int64), np.cumsum(deltas, axis=0)])
    return samples


def _unpack_deltas(block: bytes, width: int, count: int, channels: int) -> np.ndarray:
    if width == 0:
        return np.zeros((count, channels), dtype=np.int64)
    bits = np.unpackbits(np.frombuffer(block, dtype=np.uint8), bitorder="little")[: width * count * channels]
    values = bits.reshape(-1, width).astype(np.int64) @ (np.int64(1) << np.arange(width, dtype=np.int64))
    values = np.where(values >= (1 << (width - 1)), values - (1 << width), values)  # sign-extend
    return values.reshape(count, channels)


def _signed_width(values: np.ndarray) -> int:
    """Smallest two's-complement width holding every value; at least 2, because polar-python reads
    1-bit deltas as unsigned while the official SDK reads them signed."""
    width = 2
    while values.size and (values.min() < -(1 << (width - 1)) or values.max() > (1 << (width - 1)) - 1):
        width += 1
    return width


def encode_delta_frames(samples: np.ndarray, resolution_bits: int = RESOLUTION_BITS, block_samples: int = 8) -> bytes:
    """Reference sample, then deltas in blocks of `block_samples`, each at its own minimal width."""
    ref_size = math.ceil(resolution_bits / 8)
    out = bytearray(b"".join(int(v).to_bytes(ref_size, "little", signed=True) for v in samples[0]))
    deltas: np.ndarray = np.diff(np.asarray(samples, dtype=np.int64), axis=0)
    for k in range(0, len(deltas), block_samples):
        block = deltas[k : k + block_samples]
        width = _signed_width(block)
        unsigned = block.reshape(-1) & ((1 << width) - 1)
        bits = ((unsigned[:, None] >> np.arange(width)) & 1).astype(np.uint8).reshape(-1)
        out += bytes((width, len(block))) + np.packbits(bits, bitorder="little").tobytes()
    return bytes(out)


# ---------------------------------------------------------------- data frames


def _decode_frame_values(measurement: int, frame_type: int, content: bytes, factor: float) -> FloatArray | None:
    """Samples in g (ACC) or °/s (GYRO); None when the frame type is unknown or malformed."""
    compressed, kind = bool(frame_type & COMPRESSED_BIT), frame_type & 0x7F
    if measurement == MEAS_ACC and not compressed and kind in (0, 1, 2):
        size = kind + 1  # int8 / int16 / int24 per axis, in mG
        if not content or len(content) % (3 * size):
            return None
        if size == 3:
            raw = np.frombuffer(content, dtype=np.uint8).reshape(-1, 3).astype(np.int64)
            values = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
            ints = np.where(values >= 1 << 23, values - (1 << 24), values)
        else:
            ints = np.frombuffer(content, dtype="<i1" if size == 1 else "<i2").astype(np.int64)
        return ints.reshape(-1, 3).astype(np.float64) / 1000.0
    if compressed and kind in (0, 1) and measurement in (MEAS_ACC, MEAS_GYRO):
        if measurement == MEAS_GYRO and kind == 1:
            return None  # float32 deltas: not sent by the sensors we support
        samples = decode_delta_frames(content, 3, RESOLUTION_BITS)
        if samples is None:
            return None
        scale = factor
        if measurement == MEAS_ACC and kind == 1:
            scale = factor / 1000.0  # compressed type 1 is mG × factor
        return samples.astype(np.float64) * scale
    return None


class PolarDecoder(DecoderBase):
    """PMD data frames (and CP responses) → samples; with `gyro`, ACC and GYRO paired by time."""

    def __init__(self, rate_hz: float, *, gyro: bool, full_scale: FullScale | None = None) -> None:
        """`full_scale`: the range the streams were started at, which sets the FACTOR assumed until
        a start response states the real one (both are full scale / 2^15 on our virtual sensor)."""
        super().__init__()
        self.rate_hz = float(rate_hz)
        self.gyro = gyro
        self.factors: dict[int, float] = {MEAS_ACC: DEFAULT_ACC_FACTOR_G, MEAS_GYRO: DEFAULT_GYRO_FACTOR_DPS}
        if full_scale is not None:
            self.factors[MEAS_ACC] = full_scale.acc_g / 32768.0
            if full_scale.gyro_dps:
                self.factors[MEAS_GYRO] = full_scale.gyro_dps / 32768.0
        self.responses: deque[ControlResponse] = deque(maxlen=32)
        self.unpaired_samples = 0  # ACC or GYRO samples dropped for lack of a partner at that time
        self._last_ns: dict[int, int] = {}
        self._pending: dict[int, list[tuple[FloatArray, FloatArray]]] = {MEAS_ACC: [], MEAS_GYRO: []}

    def feed(self, payload: bytes) -> Decoded:
        data = self._accept(payload)
        if data is None:
            return Decoded.none()
        if data[:1] == bytes((CP_RESPONSE,)):
            return self._control_response(data)
        if len(data) <= HEADER_BYTES or data[0] not in (MEAS_ACC, MEAS_GYRO):
            self._skip(len(data))  # too short, or a stream we did not ask for (ECG, PPG, ...)
            return Decoded.none()
        measurement = data[0]
        if measurement == MEAS_GYRO and not self.gyro:
            self._skip(len(data))
            return Decoded.none()
        values = _decode_frame_values(measurement, data[9], data[HEADER_BYTES:], self.factors[measurement])
        if values is None:
            self._skip(len(data), bad_frame=True)
            return Decoded.none()
        self._used(len(data))
        times_s = self._sample_times_s(measurement, int.from_bytes(data[1:9], "little"), len(values))
        if not self.gyro:
            self.stats.samples += len(values)
            return Decoded(acc_g=values, device_time_s=times_s)
        self._pending[measurement].append((times_s, values))
        return self._pair()

    def _control_response(self, data: bytes) -> Decoded:
        response = parse_control_response(data)
        if response is None:
            self._skip(len(data), bad_frame=True)
            return Decoded.none()
        self._used(len(data))
        self.responses.append(response)
        if response.op == OP_START and response.status not in (STATUS_OK, STATUS_ALREADY):
            # Asking again gets the same answer (invalid range, rate, MTU, in the charger, ...).
            what = {MEAS_ACC: "ACC", MEAS_GYRO: "GYRO", MEAS_SDK_MODE: "SDK mode"}.get(response.measurement, f"stream {response.measurement}")
            self.refusal = f"the sensor refused to start {what}: {response.message}"
        factor = response.factor
        if response.op == OP_START and response.ok and factor is not None and math.isfinite(factor) and factor > 0:
            self.factors[response.measurement] = factor
        return Decoded.none()

    def _sample_times_s(self, measurement: int, ns: int, n: int) -> FloatArray:
        """Spread between the previous frame's time and this one (as PmdTimeStampUtils); from the
        rate alone for the first frame, after a gap, or when time went backwards."""
        period_ns = 1e9 / self.rate_hz
        previous = self._last_ns.get(measurement)
        self._last_ns[measurement] = ns
        span = None if previous is None else ns - previous
        if span is not None and span <= 0:
            if measurement == MEAS_ACC:
                self.stats.out_of_order += 1
            self._drop_pending()  # pairing across a jump back would match wrong samples
        elif span is not None and measurement == MEAS_ACC and span > (n + 0.5) * period_ns:
            self._lost(round(span / period_ns) - n, self.rate_hz)
        steps_back = np.arange(1, n + 1, dtype=np.float64) - n  # -(n-1) .. 0: the last sample is at ns
        step_ns = span / n if span is not None and 0 < span <= (n + 0.5) * period_ns else period_ns
        times_s: FloatArray = (ns + steps_back * step_ns) / 1e9
        return times_s

    def _drop_pending(self) -> None:
        for queue in self._pending.values():
            self.unpaired_samples += sum(len(t) for t, _ in queue)
            queue.clear()

    def _pair(self) -> Decoded:
        acc_t, acc = _flatten(self._pending[MEAS_ACC])
        gyro_t, gyro = _flatten(self._pending[MEAS_GYRO])
        stalled = 2.0 * self.rate_hz  # 2 s of one stream with nothing of the other ...
        # ... over more than one frame: one long frame (well-compressible data) is not a stall.
        acc_frames = len(self._pending[MEAS_ACC])
        if len(gyro_t) == 0 and len(acc_t) > stalled and acc_frames > 1:
            # No GYRO stream (its start failed, or it stalled): don't withhold ACC forever.
            self._pending[MEAS_ACC] = []
            self.stats.samples += len(acc_t)
            return Decoded(acc_g=acc, device_time_s=acc_t)
        if len(acc_t) == 0 and len(gyro_t) > stalled:
            self._drop_pending()  # GYRO alone cannot make samples
            return Decoded.none()
        tolerance_s = 0.5 / self.rate_hz  # nearest-neighbour: closer than half a period
        acc_idx: list[int] = []
        gyro_idx: list[int] = []
        i = j = 0
        while i < len(acc_t) and j < len(gyro_t):
            dt = acc_t[i] - gyro_t[j]
            if abs(dt) <= tolerance_s:
                acc_idx.append(i)
                gyro_idx.append(j)
                i, j = i + 1, j + 1
            elif dt < 0:
                i += 1  # an ACC sample whose GYRO partner was lost
                self.unpaired_samples += 1
            else:
                j += 1
                self.unpaired_samples += 1
        self._pending[MEAS_ACC] = [(acc_t[i:], acc[i:])] if i < len(acc_t) else []
        self._pending[MEAS_GYRO] = [(gyro_t[j:], gyro[j:])] if j < len(gyro_t) else []
        if not acc_idx:
            return Decoded.none()
        self.stats.samples += len(acc_idx)
        return Decoded(acc_g=acc[acc_idx], gyro_dps=gyro[gyro_idx], device_time_s=acc_t[acc_idx])


def _flatten(queue: list[tuple[FloatArray, FloatArray]]) -> tuple[FloatArray, FloatArray]:
    if not queue:
        return np.empty(0), np.empty((0, 3))
    return np.concatenate([t for t, _ in queue]), np.concatenate([v for _, v in queue])


# ---------------------------------------------------------------- encoder (virtual sensor)


def data_frame(measurement: int, last_sample_ns: int, frame_type: int, content: bytes) -> bytes:
    return bytes((measurement,)) + (last_sample_ns % (1 << 64)).to_bytes(8, "little") + bytes((frame_type,)) + content


class PolarEncoder(EncoderBase):
    """A Verity Sense (compressed ACC + GYRO, SDK mode for rates ≠ 52 Hz) or an H10 (raw ACC)."""

    def __init__(self, rate_hz: float, max_payload: int = 244, *, verity: bool) -> None:
        super().__init__(rate_hz=rate_hz, max_payload=max_payload)
        self.verity = verity
        self.sdk_mode = False
        self.active: set[int] = set()
        self.factors = {MEAS_ACC: DEFAULT_ACC_FACTOR_G, MEAS_GYRO: DEFAULT_GYRO_FACTOR_DPS}
        self.ranges: dict[int, int] = {MEAS_ACC: VERITY_ACC_RANGE_G if verity else H10_RANGE_G, MEAS_GYRO: VERITY_GYRO_RANGE_DPS}

    @property
    def rates_hz(self) -> tuple[float, ...]:
        if not self.verity:
            return H10_RATES_HZ
        return VERITY_RATES_HZ if self.sdk_mode else (VERITY_NORMAL_MODE_RATE_HZ,)

    def read(self, char_uuid: str) -> bytes | None:
        if char_uuid != CONTROL_POINT_UUID:
            return None
        types = (1, MEAS_ACC, 3, MEAS_GYRO, 6, MEAS_SDK_MODE) if self.verity else (0, MEAS_ACC)
        return bytes((CP_FEATURES,)) + sum(1 << t for t in types).to_bytes(2, "little")

    def handle_write(self, char_uuid: str, data: bytes) -> list[Notification]:
        if char_uuid != CONTROL_POINT_UUID or len(data) < 2:
            return []
        op, measurement = data[0], data[1]
        status, params = self._command(op, measurement, data[2:])
        self.streaming = MEAS_ACC in self.active or MEAS_GYRO in self.active
        return [Notification(CONTROL_POINT_UUID, settings_response(op, measurement, status, params))]

    def _command(self, op: int, measurement: int, args: bytes) -> tuple[int, dict[int, tuple[int, ...]]]:
        supported = {MEAS_ACC, MEAS_GYRO, MEAS_SDK_MODE} if self.verity else {MEAS_ACC}
        if op not in (OP_GET_SETTINGS, OP_START, OP_STOP):
            return 1, {}
        if measurement not in supported:
            return STATUS_NOT_SUPPORTED, {}
        if measurement == MEAS_SDK_MODE:
            return self._sdk_mode(op)
        if op == OP_GET_SETTINGS:
            return STATUS_OK, self._available(measurement)
        if op == OP_STOP:
            if measurement not in self.active:
                return STATUS_ALREADY, {}
            self.active.discard(measurement)
            return STATUS_OK, {}
        if measurement in self.active:
            return STATUS_ALREADY, {}
        requested = parse_control_response(bytes((CP_RESPONSE, op, measurement, 0, 0)) + args)
        if requested is None:
            return 4, {}
        rate = float(requested.settings.get(SETTING_SAMPLE_RATE, (0,))[0])
        if rate not in self.rates_hz or (self.active and rate != self.rate_hz):
            return STATUS_BAD_RATE, {}
        available = self._available(measurement)[SETTING_RANGE]
        range_value = requested.settings.get(SETTING_RANGE, (available[-1],))[0]
        if range_value not in available:
            return STATUS_BAD_RANGE, {}
        self.rate_hz = rate
        self.ranges[measurement] = range_value
        self.active.add(measurement)
        if not self.verity:
            return STATUS_OK, {}
        # Compressed samples are counts × FACTOR: the factor follows the range (our assumption:
        # full scale / 2^15, which the decoder also assumes before the response arrives).
        self.factors[measurement] = range_value / 32768.0
        factor_bits = struct.unpack("<I", struct.pack("<f", self.factors[measurement]))[0]
        return STATUS_OK, {SETTING_FACTOR: (factor_bits,)}

    def _sdk_mode(self, op: int) -> tuple[int, dict[int, tuple[int, ...]]]:
        wanted = op == OP_START
        if op == OP_GET_SETTINGS or wanted == self.sdk_mode:
            return (STATUS_ALREADY if op != OP_GET_SETTINGS else STATUS_OK), {}
        self.sdk_mode = wanted
        self.active.clear()  # entering or leaving SDK mode closes every stream
        return STATUS_OK, {}

    def _available(self, measurement: int) -> dict[int, tuple[int, ...]]:
        rates = tuple(int(r) for r in self.rates_hz)
        if measurement == MEAS_GYRO:
            gyro_ranges = tuple(int(r) for r in VERITY_SDK_GYRO_RANGES_DPS) if self.sdk_mode else (VERITY_GYRO_RANGE_DPS,)
            return {SETTING_SAMPLE_RATE: rates, SETTING_RESOLUTION: (16,), SETTING_RANGE: gyro_ranges, SETTING_CHANNELS: (3,)}
        ranges = tuple(int(r) for r in (H10_RANGES_G if not self.verity else VERITY_SDK_ACC_RANGES_G if self.sdk_mode else (VERITY_ACC_RANGE_G,)))
        settings: dict[int, tuple[int, ...]] = {SETTING_SAMPLE_RATE: rates, SETTING_RESOLUTION: (16,), SETTING_RANGE: ranges}
        if self.verity:
            settings[SETTING_CHANNELS] = (3,)
        return settings

    def encode(self, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None) -> list[bytes]:
        ns = np.rint((np.asarray(t_s, dtype=np.float64)) * 1e9).astype(np.int64)
        frames = []
        if MEAS_ACC in self.active:
            if self.verity:
                frames += self._compressed(MEAS_ACC, ns, acc_g / self.factors[MEAS_ACC])
            else:
                frames += self._raw_acc(ns, acc_g)
        if MEAS_GYRO in self.active and gyro_dps is not None:
            frames += self._compressed(MEAS_GYRO, ns, gyro_dps / self.factors[MEAS_GYRO])
        # The sensor sends each stream's frame when it fills, so the two streams interleave in time.
        return sorted(frames, key=lambda frame: int.from_bytes(frame[1:9], "little"))

    def _raw_acc(self, ns: np.ndarray, acc_g: FloatArray) -> list[bytes]:
        # Raw frames are mG whatever the range; the range is where the sensor saturates.
        limit_mg = self.ranges[MEAS_ACC] * 1000
        ints = np.clip(np.rint(acc_g * 1000.0), -limit_mg, limit_mg).astype("<i2")
        per_frame = max(1, (self.max_payload - HEADER_BYTES) // 6)
        return [
            data_frame(MEAS_ACC, int(ns[min(k + per_frame, len(ns)) - 1]), 1, ints[k : k + per_frame].tobytes())
            for k in range(0, len(ns), per_frame)
        ]

    def _compressed(self, measurement: int, ns: np.ndarray, counts: FloatArray) -> list[bytes]:
        ints = np.clip(np.rint(counts), -32768, 32767).astype(np.int64)
        # Like the sensor, never pack more samples into a frame than would fit at full 16-bit width:
        # well-compressible data (a still sensor) must not turn into one huge, late frame.
        per_frame = max(1, (self.max_payload - HEADER_BYTES - 6) // 6)
        frames, k = [], 0
        while k < len(ints):
            n = min(len(ints) - k, per_frame)
            content = encode_delta_frames(ints[k : k + n])
            while n > 1 and HEADER_BYTES + len(content) > self.max_payload:
                n = max(1, n * (self.max_payload - HEADER_BYTES) // (len(content) + 1))
                content = encode_delta_frames(ints[k : k + n])
            frames.append(data_frame(measurement, int(ns[k + n - 1]), COMPRESSED_BIT, content))
            k += n
        return frames


def _characteristics() -> tuple[CharacteristicSpec, ...]:
    return (
        CharacteristicSpec(PMD_SERVICE_UUID, CONTROL_POINT_UUID, frozenset({"read", "write", "notify"})),
        CharacteristicSpec(PMD_SERVICE_UUID, DATA_UUID, frozenset({"notify"})),
    )


VERITY_FAMILY = FamilyDescriptor(
    model="polar_verity",
    display_name="Polar Verity Sense",
    match=VERITY_MATCH,
    service_uuid=PMD_SERVICE_UUID,
    data_uuid=DATA_UUID,
    control_uuid=CONTROL_POINT_UUID,
    notify_uuids=(CONTROL_POINT_UUID, DATA_UUID),  # both on before the first CP write (SDK clientReady)
    characteristics=_characteristics(),
    has_gyro=True,
    rates_hz=VERITY_RATES_HZ,
    default_rate_hz=VERITY_NORMAL_MODE_RATE_HZ,
    clock="device",
    has_sequence=False,
    new_decoder=lambda rate_hz, full_scale=None: PolarDecoder(rate_hz, gyro=True, full_scale=full_scale),
    new_encoder=lambda rate_hz, max_payload: PolarEncoder(rate_hz, max_payload, verity=True),
    start_writes=verity_start_writes,
    stop_writes=verity_stop_writes,
    max_acc_g=max(VERITY_SDK_ACC_RANGES_G),
    max_gyro_dps=max(VERITY_SDK_GYRO_RANGES_DPS),
    ranges=RangeSupport(VERITY_SDK_ACC_RANGES_G, VERITY_SDK_GYRO_RANGES_DPS, VERITY_NORMAL_MODE_RANGE),
)

H10_FAMILY = FamilyDescriptor(
    model="polar_h10",
    display_name="Polar H10 (accelerometer only)",
    match=H10_MATCH,
    service_uuid=PMD_SERVICE_UUID,
    data_uuid=DATA_UUID,
    control_uuid=CONTROL_POINT_UUID,
    notify_uuids=(CONTROL_POINT_UUID, DATA_UUID),
    characteristics=_characteristics(),
    has_gyro=False,
    rates_hz=H10_RATES_HZ,
    default_rate_hz=100.0,
    clock="device",
    has_sequence=False,
    new_decoder=lambda rate_hz, full_scale=None: PolarDecoder(rate_hz, gyro=False, full_scale=full_scale),
    new_encoder=lambda rate_hz, max_payload: PolarEncoder(rate_hz, max_payload, verity=False),
    start_writes=h10_start_writes,
    stop_writes=h10_stop_writes,
    max_acc_g=max(H10_RANGES_G),
    max_gyro_dps=0.0,
    ranges=RangeSupport(H10_RANGES_G, (), FullScale(H10_RANGE_G)),
)
