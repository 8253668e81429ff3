"""Movesense sensors running the GATT SensorData Protocol (GSP): IMU6 subscriptions.

Sources (see /work/shared/reference/ble-protocols.md §2): movesense.com/docs/esw/gatt_sensordata_protocol
(GD-77 v1.0); `alexisduque/movesense-device-lib:samples/gatt_sensordata_app/GATTSensorDataClient.cpp`
and its `python_client/movesense_sensor_data.py` (command bytes) and `web_client/index.html`
(sample i time = ts/1000 + i/rate); `sensein/movesense-py:src/movensense/protocol.py` (IMU6 body:
all acc vectors, then all gyro vectors).

Commands: [command, client reference, data...]. Notifications: [type, reference, ...]; type 1 is a
command result, type 2 data: u32 timestamp (ms, sensor clock) then N acc float32 xyz (m/s²) then
N gyro float32 xyz (°/s), N from the length. Type 3 (DATA_PART2 in newer firmware) has no public
reassembly rule: it is counted as skipped, never guessed at. GSP only exists in firmware built with
the GattData module (the gatt_sensordata_app sample); factory firmware support is unconfirmed.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    Unwrapper,
    finite_float32,
)
from sensortrack.core.model import FloatArray

SERVICE_UUID = "34802252-7185-4d5d-b431-630e7050e8f0"
WRITE_UUID = "34800001-7185-4d5d-b431-630e7050e8f0"
NOTIFY_UUID = "34800002-7185-4d5d-b431-630e7050e8f0"

MATCH = ScanMatch(service_uuids=(SERVICE_UUID,), name_patterns=(r"Movesense",))

CMD_HELLO = 0
CMD_SUBSCRIBE = 1
CMD_UNSUBSCRIBE = 2
MSG_RESULT = 1
MSG_DATA = 2

# Our client reference for the IMU6 subscription (the official sample uses 99 too). Non-zero.
IMU6_REFERENCE = 99
HELLO_REFERENCE = 1

STANDARD_GRAVITY_M_S2 = 9.80665  # CGPM 1901 standard gravity: Movesense reports m/s², we use g
HEADER_BYTES = 6  # type, reference, u32 timestamp
IMU6_SAMPLE_BYTES = 24  # acc xyz + gyro xyz, float32 each
MAX_SAMPLES_PER_NOTIFICATION = 8  # the virtual device's choice; the real count is unconfirmed

SUPPORTED_RATES_HZ: tuple[float, ...] = (13.0, 26.0, 52.0, 104.0, 208.0, 416.0, 833.0, 1666.0)
DEFAULT_RATE_HZ = 52.0

STATUS_OK = 200
STATUS_NOT_FOUND = 404


def hello_command(reference: int = HELLO_REFERENCE) -> bytes:
    return bytes((CMD_HELLO, reference & 0xFF))


def imu6_path(rate_hz: float) -> str:
    rate = int(rate_hz)
    if float(rate) not in SUPPORTED_RATES_HZ:
        raise ValueError(f"Movesense IMU6 cannot stream at {rate_hz} Hz; choose one of {SUPPORTED_RATES_HZ}")
    return f"/Meas/IMU6/{rate}"


def subscribe_command(path: str, reference: int = IMU6_REFERENCE) -> bytes:
    """Leading slash, no terminator, as in the official sample (`01 63 "/Meas/Acc/13"`)."""
    return bytes((CMD_SUBSCRIBE, reference & 0xFF)) + path.encode("ascii")


def unsubscribe_command(reference: int = IMU6_REFERENCE) -> bytes:
    """The reference must be the one used to subscribe."""
    return bytes((CMD_UNSUBSCRIBE, reference & 0xFF))


# The IMU can measure at 2/4/8/16 g and 245/500/1000/2000 °/s, chosen with /Meas/Acc/Config and
# /Meas/Gyro/Config (sensein/movesense-py docs/movesense-api.md). GSP has SUBSCRIBE but no PUT, so
# the host cannot set (or read) them: the sensor measures at whatever it was configured to. The
# stream is float32 in m/s² and °/s, so decoding never depends on the range.
RANGE_REASON = (
    "Movesense ranges are set with PUT /Meas/Acc/Config and /Meas/Gyro/Config, which the GATT "
    "SensorData protocol cannot send; the sensor keeps the range its firmware or app configured"
)


def start_writes(rate_hz: float, full_scale: FullScale | None = None) -> tuple[GattWrite, ...]:
    """`full_scale` is accepted for the uniform signature: GSP cannot set it (`RANGE_REASON`)."""
    return (
        GattWrite(WRITE_UUID, hello_command(), with_response=True),
        GattWrite(WRITE_UUID, subscribe_command(imu6_path(rate_hz)), with_response=True),
    )


def stop_writes() -> tuple[GattWrite, ...]:
    return (GattWrite(WRITE_UUID, unsubscribe_command(), with_response=True),)


def parse_status(raw: bytes) -> int:
    """The 2-byte result code. Endianness is unconfirmed: the sample firmware sends 507 big-endian
    (`01 FB`) while the sample clients read little-endian; take whichever reads as an HTTP code."""
    little = int.from_bytes(raw[:2], "little")
    big = int.from_bytes(raw[:2], "big")
    return little if 100 <= little < 600 or not 100 <= big < 600 else big


@dataclass(frozen=True, slots=True)
class CommandResult:
    reference: int
    status: int
    body: bytes  # anything after the status (HELLO replies carry version text)


class MovesenseDecoder(DecoderBase):
    """Type 2 IMU6 data for our reference → samples; type 1 results are kept in `results`."""

    def __init__(self, rate_hz: float = DEFAULT_RATE_HZ, reference: int = IMU6_REFERENCE) -> None:
        super().__init__()
        self.rate_hz = float(rate_hz)
        self.reference = reference
        self.results: dict[int, CommandResult] = {}  # newest result per client reference
        self._clock_ms = Unwrapper(32)
        self._next_ms: float | None = None  # expected timestamp of the next notification

    def feed(self, payload: bytes) -> Decoded:
        data = self._accept(payload)
        if data is None:
            return Decoded.none()
        kind = data[0] if data else None
        if kind == MSG_RESULT and len(data) >= 4:
            result = CommandResult(reference=data[1], status=parse_status(data[2:4]), body=data[4:])
            self.results[result.reference] = result
            self._used(len(data))
            return Decoded.none()
        if kind != MSG_DATA:
            self._skip(len(data))  # empty, unknown type, DATA_PART2, or a truncated result
            return Decoded.none()
        body_bytes = len(data) - HEADER_BYTES
        if body_bytes <= 0 or body_bytes % IMU6_SAMPLE_BYTES or data[1] != self.reference:
            self._skip(len(data), bad_frame=True)
            return Decoded.none()
        n = body_bytes // IMU6_SAMPLE_BYTES
        vectors = finite_float32(data, HEADER_BYTES, 6 * n)
        if vectors is None:  # NaN/inf where measurements belong: garbage, not samples
            self._skip(len(data), bad_frame=True)
            return Decoded.none()
        self._used(len(data))
        return self._decode(data, n, vectors.reshape(2 * n, 3))

    def _decode(self, data: bytes, n: int, vectors: FloatArray) -> Decoded:
        raw_ms = int.from_bytes(data[2:6], "little")
        if self._clock_ms.step(raw_ms) < 0:
            self.stats.out_of_order += 1
        ms = self._clock_ms.update(raw_ms)
        period_ms = 1000.0 / self.rate_hz
        if self._next_ms is not None and ms - self._next_ms > 1.5 * period_ms:
            self._lost(round((ms - self._next_ms) / period_ms), self.rate_hz)
        self._next_ms = ms + n * period_ms
        self.stats.samples += n
        return Decoded(
            acc_g=vectors[:n] / STANDARD_GRAVITY_M_S2,
            gyro_dps=vectors[n:],
            device_time_s=ms / 1000.0 + np.arange(n) / self.rate_hz,
        )


class MovesenseEncoder(EncoderBase):
    """A Movesense with the gatt_sensordata_app firmware: answers HELLO/SUBSCRIBE/UNSUBSCRIBE."""

    def __init__(self, rate_hz: float = DEFAULT_RATE_HZ, max_payload: int = 155) -> None:
        super().__init__(rate_hz=rate_hz, max_payload=max_payload)
        self.reference = IMU6_REFERENCE

    def samples_per_notification(self) -> int:
        fit = (self.max_payload - HEADER_BYTES) // IMU6_SAMPLE_BYTES
        return max(1, min(MAX_SAMPLES_PER_NOTIFICATION, fit))

    def encode(self, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None) -> list[bytes]:
        gyro = np.zeros_like(acc_g) if gyro_dps is None else gyro_dps
        step = self.samples_per_notification()
        payloads = []
        for k in range(0, len(t_s), step):
            ms = round(float(t_s[k]) * 1000.0) % (1 << 32)
            body = np.vstack([acc_g[k : k + step] * STANDARD_GRAVITY_M_S2, gyro[k : k + step]]).astype("<f4")
            payloads.append(bytes((MSG_DATA, self.reference)) + ms.to_bytes(4, "little") + body.tobytes())
        return payloads

    def handle_write(self, char_uuid: str, data: bytes) -> list[Notification]:
        if char_uuid != WRITE_UUID or len(data) < 2:
            return []
        command, reference = data[0], data[1]
        status = STATUS_OK
        if command == CMD_SUBSCRIBE:
            status = self._subscribe(reference, data[2:])
        elif command == CMD_UNSUBSCRIBE:
            if reference == self.reference:
                self.streaming = False
            else:
                status = STATUS_NOT_FOUND
        elif command != CMD_HELLO:
            status = STATUS_NOT_FOUND
        return [Notification(NOTIFY_UUID, bytes((MSG_RESULT, reference)) + status.to_bytes(2, "little"))]

    def _subscribe(self, reference: int, path_bytes: bytes) -> int:
        prefix = b"/Meas/IMU6/"
        rate_text = path_bytes[len(prefix) :]
        if not path_bytes.startswith(prefix) or not rate_text.isdigit() or float(rate_text) not in SUPPORTED_RATES_HZ:
            return STATUS_NOT_FOUND
        self.rate_hz = float(rate_text)
        self.reference = reference
        self.streaming = True
        return STATUS_OK


def _characteristics() -> tuple[CharacteristicSpec, ...]:
    return (
        CharacteristicSpec(SERVICE_UUID, WRITE_UUID, frozenset({"write", "write_without_response"})),
        CharacteristicSpec(SERVICE_UUID, NOTIFY_UUID, frozenset({"notify"})),
    )


FAMILY = FamilyDescriptor(
    model="movesense",
    display_name="Movesense (GATT SensorData firmware)",
    match=MATCH,
    service_uuid=SERVICE_UUID,
    data_uuid=NOTIFY_UUID,
    control_uuid=WRITE_UUID,
    notify_uuids=(NOTIFY_UUID,),
    characteristics=_characteristics(),
    has_gyro=True,
    rates_hz=SUPPORTED_RATES_HZ,
    default_rate_hz=DEFAULT_RATE_HZ,
    clock="device",
    has_sequence=False,
    new_decoder=lambda rate_hz, full_scale=None: MovesenseDecoder(rate_hz),
    new_encoder=MovesenseEncoder,
    start_writes=start_writes,
    stop_writes=stop_writes,
    max_acc_g=16.0,
    max_gyro_dps=2000.0,
    ranges=RangeSupport((), (), None, RANGE_REASON),
)
