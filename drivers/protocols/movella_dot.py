"""Movella (formerly Xsens) DOT: payload mode 21 "Rate quantities" on the medium payload characteristic.

Sources (see /work/shared/reference/ble-protocols.md §4): Movella DOT BLE Service Specification
XD0506P Rev C (July 2023) — UUIDs, measurement control `01 <action> <mode>`, mode 21 = u32 µs
timestamp + acc xyz float32 (m/s², sensor frame, calibrated) + gyro xyz float32 (°/s), device
control char with the visit-index bitmask (bit 4 = output rate) and the output rate u16 at byte 24,
streaming rates 1/4/10/12/15/20/30/60 Hz; `xsens/xsens_dot_server:bleHandler.js` (write control,
then subscribe; µs clock wraps at 2^32 and the server unwraps it).

The medium characteristic holds up to 40 bytes; mode 21 fills 28. Longer notifications are accepted
and their tail ignored (the spec does not say whether the sensor pads).
"""

from __future__ import annotations

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


def dot_uuid(short: int) -> str:
    """Movella's base UUID 1517xxxx-4947-11E9-8646-D663BD873D93."""
    return f"1517{short:04x}-4947-11e9-8646-d663bd873d93"


CONFIG_SERVICE_UUID = dot_uuid(0x1000)
DEVICE_CONTROL_UUID = dot_uuid(0x1002)
MEASUREMENT_SERVICE_UUID = dot_uuid(0x2000)
MEASUREMENT_CONTROL_UUID = dot_uuid(0x2001)
MEDIUM_PAYLOAD_UUID = dot_uuid(0x2003)

# "Movella DOT" on current firmware, "Xsens DOT" up to 2.4.0 (spec Table 4).
MATCH = ScanMatch(
    service_uuids=(MEASUREMENT_SERVICE_UUID, CONFIG_SERVICE_UUID),
    name_patterns=(r"Movella DOT", r"Xsens DOT"),
)

MEASUREMENT_TYPE = 0x01
ACTION_STOP = 0x00
ACTION_START = 0x01
PAYLOAD_RATE_QUANTITIES = 21
PAYLOAD_BYTES = 28  # u32 + 6 × float32
MEDIUM_MAX_BYTES = 40

DEVICE_CONTROL_BYTES = 32
VISIT_OUTPUT_RATE = 1 << 4
OUTPUT_RATE_OFFSET = 24

SUPPORTED_RATES_HZ: tuple[float, ...] = (1.0, 4.0, 10.0, 12.0, 15.0, 20.0, 30.0, 60.0)
DEFAULT_RATE_HZ = 60.0
STANDARD_GRAVITY_M_S2 = 9.80665  # CGPM standard gravity: the DOT reports m/s², we use g
# Fixed: ±16 g and ±2000 °/s (Movella DOT User Manual XD0502P, sensor specifications); the BLE
# service specification has no range setting.
FIXED_RANGE = FullScale(16.0, 2000.0)


def measurement_command(start: bool, payload_mode: int = PAYLOAD_RATE_QUANTITIES) -> bytes:
    return bytes((MEASUREMENT_TYPE, ACTION_START if start else ACTION_STOP, payload_mode))


def output_rate_command(rate_hz: float) -> bytes:
    """32-byte device-control write that changes only the output rate (visit-index bit 4).

    The sensor rejects rate changes once measuring or syncing, so write this before starting.
    """
    if float(rate_hz) not in SUPPORTED_RATES_HZ:
        raise ValueError(f"Movella DOT cannot stream at {rate_hz} Hz; choose one of {SUPPORTED_RATES_HZ}")
    out = bytearray(DEVICE_CONTROL_BYTES)
    out[0] = VISIT_OUTPUT_RATE
    out[OUTPUT_RATE_OFFSET : OUTPUT_RATE_OFFSET + 2] = int(rate_hz).to_bytes(2, "little")
    return bytes(out)


def start_writes(rate_hz: float, full_scale: FullScale | None = None) -> tuple[GattWrite, ...]:
    """The range is fixed (`FIXED_RANGE`): `full_scale` is accepted for the uniform signature."""
    return (
        GattWrite(DEVICE_CONTROL_UUID, output_rate_command(rate_hz), with_response=True),
        GattWrite(MEASUREMENT_CONTROL_UUID, measurement_command(True), with_response=True),
    )


def stop_writes() -> tuple[GattWrite, ...]:
    return (GattWrite(MEASUREMENT_CONTROL_UUID, measurement_command(False), with_response=True),)


class MovellaDotDecoder(DecoderBase):
    """One mode-21 sample per notification, with the unwrapped µs device clock."""

    def __init__(self, rate_hz: float = DEFAULT_RATE_HZ) -> None:
        super().__init__()
        self.rate_hz = float(rate_hz)
        self._clock_us = Unwrapper(32)
        self._last_us: int | None = None

    def feed(self, payload: bytes) -> Decoded:
        data = self._accept(payload)
        if data is None:
            return Decoded.none()
        values = finite_float32(data, 4, 6) if PAYLOAD_BYTES <= len(data) <= MEDIUM_MAX_BYTES else None
        if values is None:  # wrong length, or NaN/inf where measurements belong: not a sample
            self._skip(len(data), bad_frame=bool(data))
            return Decoded.none()
        self._used(len(data))
        raw_us = int.from_bytes(data[0:4], "little")
        step_us = self._clock_us.step(raw_us)
        if self._clock_us.started and step_us <= 0:
            self.stats.out_of_order += 1
        period_us = 1e6 / self.rate_hz
        if self._clock_us.started and step_us > 1.5 * period_us:
            self._lost(round(step_us / period_us) - 1, self.rate_hz)
        us = self._clock_us.update(raw_us)
        self.stats.samples += 1
        return Decoded(
            acc_g=values[None, 0:3] / STANDARD_GRAVITY_M_S2,
            gyro_dps=values[None, 3:6],
            device_time_s=np.array([us / 1e6]),
        )


class MovellaDotEncoder(EncoderBase):
    """A DOT that knows payload mode 21 only; rate changes refused while measuring, as specified."""

    def __init__(self, rate_hz: float = DEFAULT_RATE_HZ, max_payload: int = 244) -> None:
        # One 28-byte sample per notification: the DOT needs an MTU of at least 31 (spec: BLE 5 + DLE).
        super().__init__(rate_hz=rate_hz, max_payload=max_payload)
        self.payload_mode = PAYLOAD_RATE_QUANTITIES

    def encode(self, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None) -> list[bytes]:
        gyro = np.zeros_like(acc_g) if gyro_dps is None else gyro_dps
        body = np.hstack([acc_g * STANDARD_GRAVITY_M_S2, gyro]).astype("<f4")
        stamps_us = np.rint(np.asarray(t_s, dtype=np.float64) * 1e6).astype(np.int64) % (1 << 32)
        return [int(us).to_bytes(4, "little") + row.tobytes() for us, row in zip(stamps_us, body, strict=True)]

    def read(self, char_uuid: str) -> bytes | None:
        if char_uuid == MEASUREMENT_CONTROL_UUID:
            return measurement_command(self.streaming, self.payload_mode)
        if char_uuid == DEVICE_CONTROL_UUID:
            out = bytearray(DEVICE_CONTROL_BYTES)
            out[OUTPUT_RATE_OFFSET : OUTPUT_RATE_OFFSET + 2] = int(self.rate_hz).to_bytes(2, "little")
            return bytes(out)
        return None

    def handle_write(self, char_uuid: str, data: bytes) -> list[Notification]:
        if char_uuid == MEASUREMENT_CONTROL_UUID and len(data) == 3 and data[0] == MEASUREMENT_TYPE:
            if data[2] == PAYLOAD_RATE_QUANTITIES and data[1] in (ACTION_START, ACTION_STOP):
                self.streaming = data[1] == ACTION_START
        elif char_uuid == DEVICE_CONTROL_UUID and len(data) == DEVICE_CONTROL_BYTES and data[0] & VISIT_OUTPUT_RATE:
            rate = float(int.from_bytes(data[OUTPUT_RATE_OFFSET : OUTPUT_RATE_OFFSET + 2], "little"))
            if rate in SUPPORTED_RATES_HZ and not self.streaming:
                self.rate_hz = rate
        return []


def _characteristics() -> tuple[CharacteristicSpec, ...]:
    return (
        CharacteristicSpec(CONFIG_SERVICE_UUID, DEVICE_CONTROL_UUID, frozenset({"read", "write"})),
        CharacteristicSpec(
            MEASUREMENT_SERVICE_UUID, MEASUREMENT_CONTROL_UUID, frozenset({"read", "write"}), measurement_command(False)
        ),
        CharacteristicSpec(MEASUREMENT_SERVICE_UUID, MEDIUM_PAYLOAD_UUID, frozenset({"notify"})),
    )


FAMILY = FamilyDescriptor(
    model="movella_dot",
    display_name="Movella DOT",
    match=MATCH,
    service_uuid=MEASUREMENT_SERVICE_UUID,
    data_uuid=MEDIUM_PAYLOAD_UUID,
    control_uuid=MEASUREMENT_CONTROL_UUID,
    notify_uuids=(MEDIUM_PAYLOAD_UUID,),
    characteristics=_characteristics(),
    has_gyro=True,
    rates_hz=SUPPORTED_RATES_HZ,
    default_rate_hz=DEFAULT_RATE_HZ,
    clock="device",
    has_sequence=False,
    new_decoder=lambda rate_hz, full_scale=None: MovellaDotDecoder(rate_hz),
    new_encoder=MovellaDotEncoder,
    start_writes=start_writes,
    stop_writes=stop_writes,
    max_acc_g=FIXED_RANGE.acc_g,
    max_gyro_dps=FIXED_RANGE.gyro_dps,
    ranges=RangeSupport((), (), FIXED_RANGE, "the Movella DOT measures at a fixed ±16 g, ±2000 °/s"),
)
