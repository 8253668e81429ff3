"""WitMotion BLE 5.0 IMUs (WT901BLECL, BWT901BLECL5.0, WT9011DCL): 0x55 0x61 frames over FFE4.

Sources (see /work/shared/reference/ble-protocols.md §1):
- GATT UUIDs, 0x61 layout and scales: WITMOTION/WitBluetooth_BWT901BLE5_0
  `Python/BWT901BLE5.0_python_sdk/device_model.py`, `Bwt901bleResolver.java`; WT901BLECL datasheet §6.1.
- 0x71 register reply and `FF AA 27 <reg> 00` read request: WT901BLECL datasheet §6.1.2; 22-byte
  replies on some firmware: `witmotion-react-native@1.0.1/dist/witParser.js` (not confirmed).
- Commands and rate codes: `device_model.py`, `Bwt901ble.java`, HWT905-TTL datasheet §5.2.9.

The stream is a byte stream, not a message stream: at higher rates several 20-byte frames share one
notification and a frame may be split across two (ESPHome `witmotion.cpp` comment), so the decoder
is a framer that re-synchronises on `55 61` / `55 71`. Frames carry no checksum, timestamp or
sequence number: the host must timestamp, and a corrupted byte inside a frame cannot be detected.

200 Hz rate code: the WIT standard protocol table says 0x0A = 125 Hz and 0x0B = 200 Hz; the WTVB01-BT50
manual says 0x0A = 200 Hz. Decision: we only ever write 0x0B for 200 Hz and never write 0x0A, then
read register 0x03 back (`start_writes` ends with that read) so the BLE layer can compare
`WitmotionDecoder.rate_code` with what it wrote; the effective rate is then measured from arrivals.
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
    clamp_int16,
)
from sensortrack.core.model import FloatArray

# The vendor base ends in ...9a34fb, not the Bluetooth SIG base ...9b34fb (a known pitfall).
SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"
# Third-party firmware/code also uses the SIG base; accept it when scanning.
SERVICE_UUID_SIG_BASE = "0000ffe5-0000-1000-8000-00805f9b34fb"

MATCH = ScanMatch(
    service_uuids=(SERVICE_UUID, SERVICE_UUID_SIG_BASE),
    name_patterns=(r"B?WT90", r"WT9011"),
)

HEADER = 0x55
FLAG_DATA = 0x61
FLAG_REGISTER = 0x71
FRAME_BYTES = 20
REPLY_BYTES_LONG = 22  # some firmware sends 22-byte register replies (not confirmed)

# Full scales hard-coded in the vendor SDKs: int16 / 32768 × full scale.
ACC_FULL_SCALE_G = 16.0
GYRO_FULL_SCALE_DPS = 2000.0
# The BLE 5.0 models stream at a fixed range: the vendor SDKs hard-code these scales and document
# no range register for them (ble-protocols.md §1).
FIXED_RANGE = FullScale(ACC_FULL_SCALE_G, GYRO_FULL_SCALE_DPS)
ANGLE_FULL_SCALE_DEG = 180.0

REG_SAVE = 0x00
REG_RATE = 0x03
REG_READ = 0x27
REG_UNLOCK = 0x69
UNLOCK_VALUE = 0xB588  # `FF AA 69 88 B5`

# WIT standard protocol rate register (HWT905-TTL datasheet §5.2.9). 0x0C = single, 0x0D = off.
RATE_HZ_BY_CODE: dict[int, float] = {
    0x01: 0.2, 0x02: 0.5, 0x03: 1.0, 0x04: 2.0, 0x05: 5.0, 0x06: 10.0,
    0x07: 20.0, 0x08: 50.0, 0x09: 100.0, 0x0A: 125.0, 0x0B: 200.0,
}  # fmt: skip
RATE_CODE_NO_OUTPUT = 0x0D
# What we write: never 0x0A (125 Hz here, 200 Hz on WTVB01-BT50), so no 125 Hz on offer.
RATE_CODE_BY_HZ: dict[float, int] = {hz: code for code, hz in RATE_HZ_BY_CODE.items() if code != 0x0A}
SUPPORTED_RATES_HZ: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)
DEFAULT_RATE_HZ = 10.0  # code 0x06, the WIT standard default; the BLE models' default is unconfirmed

WRITE_DELAY_S = 0.1  # vendor SDK: unlock → 100 ms → write → 100 ms → save


def command(register: int, value: int) -> bytes:
    """`FF AA <reg> <valL> <valH>`."""
    return bytes((0xFF, 0xAA, register & 0xFF, value & 0xFF, (value >> 8) & 0xFF))


def unlock_command() -> bytes:
    return command(REG_UNLOCK, UNLOCK_VALUE)


def save_command() -> bytes:
    return command(REG_SAVE, 0)


def read_register_command(register: int) -> bytes:
    return command(REG_READ, register)


def rate_command(rate_hz: float) -> bytes:
    code = RATE_CODE_BY_HZ.get(float(rate_hz))
    if code is None:
        raise ValueError(f"WitMotion cannot stream at {rate_hz} Hz; choose one of {SUPPORTED_RATES_HZ}")
    return command(REG_RATE, code)


def start_writes(rate_hz: float, full_scale: FullScale | None = None) -> tuple[GattWrite, ...]:
    """Set the rate (unlock → rate → save, 100 ms apart), then read register 0x03 back. The range
    is fixed (`FIXED_RANGE`): `full_scale` is accepted for the uniform signature and not sent."""
    return tuple(
        GattWrite(WRITE_UUID, data, with_response=False, delay_after_s=WRITE_DELAY_S)
        for data in (unlock_command(), rate_command(rate_hz), save_command(), read_register_command(REG_RATE))
    )


def stop_writes() -> tuple[GattWrite, ...]:
    # The sensor streams whenever notifications are on; stopping = disabling them. Writing
    # "no output" (0x0D) instead would survive into the next session if the user saved it.
    return ()


class WitmotionDecoder(DecoderBase):
    """Byte-stream framer for 0x61 data frames and 0x71 register replies."""

    def __init__(self, rate_hz: float = DEFAULT_RATE_HZ) -> None:
        # rate_hz is accepted for the registry's uniform factory; frames carry no time to spread.
        super().__init__()
        self._buffer = b""
        self.registers: dict[int, int] = {}  # u16 values from 0x71 replies, by register address
        self.last_angles_deg: FloatArray | None = None  # roll, pitch, yaw of the newest frame

    @property
    def pending_bytes(self) -> int:
        return len(self._buffer)

    @property
    def rate_code(self) -> int | None:
        """Register 0x03 as last read back from the sensor."""
        return self.registers.get(REG_RATE)

    @property
    def rate_readback_hz(self) -> float | None:
        """Rate per the WIT standard table for the read-back code (0x0A is ambiguous: see above)."""
        code = self.rate_code
        return None if code is None else RATE_HZ_BY_CODE.get(code)

    def feed(self, payload: bytes) -> Decoded:
        data = self._accept(payload)
        if data is None:
            return Decoded.none()
        buf = self._buffer + data
        frames: list[bytes] = []
        i = 0
        while i < len(buf):
            start = buf.find(HEADER, i)
            if start < 0:
                self._skip(len(buf) - i)
                i = len(buf)
                break
            self._skip(start - i)
            i = start
            remaining = len(buf) - i
            if remaining < 2:
                break  # a lone 0x55 may be the start of the next frame
            flag = buf[i + 1]
            if flag not in (FLAG_DATA, FLAG_REGISTER):
                self._skip(1)  # not a header after all: resync from the next byte
                i += 1
                continue
            if remaining < FRAME_BYTES:
                break  # frame split across notifications: wait for the rest
            if flag == FLAG_DATA:
                frames.append(buf[i : i + FRAME_BYTES])
                self._used(FRAME_BYTES)
                i += FRAME_BYTES
                continue
            size = _register_reply_size(buf, i)
            if size is None:
                break
            self._read_registers(buf[i : i + size])
            self._used(size)
            i += size
        self._buffer = buf[i:]
        return self._decode_frames(frames)

    def _read_registers(self, frame: bytes) -> None:
        first = frame[2] | (frame[3] << 8)
        values = np.frombuffer(frame, dtype="<u2", count=(len(frame) - 4) // 2, offset=4)
        for k, value in enumerate(values):
            self.registers[first + k] = int(value)

    def _decode_frames(self, frames: list[bytes]) -> Decoded:
        if not frames:
            return Decoded.none()
        raw = np.frombuffer(b"".join(f[2:] for f in frames), dtype="<i2").reshape(-1, 9).astype(np.float64)
        self.last_angles_deg = raw[-1, 6:9] / 32768.0 * ANGLE_FULL_SCALE_DEG
        self.stats.samples += len(frames)
        return Decoded(
            acc_g=raw[:, 0:3] / 32768.0 * ACC_FULL_SCALE_G,
            gyro_dps=raw[:, 3:6] / 32768.0 * GYRO_FULL_SCALE_DPS,
        )


def _register_reply_size(buf: bytes, i: int) -> int | None:
    """20 or 22 bytes: decided by where the next header starts; None = wait for more bytes."""
    remaining = len(buf) - i

    def header_at(k: int) -> bool:
        return remaining > k + 1 and buf[i + k] == HEADER and buf[i + k + 1] in (FLAG_DATA, FLAG_REGISTER)

    if header_at(FRAME_BYTES) or remaining == FRAME_BYTES:
        return FRAME_BYTES
    if header_at(REPLY_BYTES_LONG) or remaining == REPLY_BYTES_LONG:
        return REPLY_BYTES_LONG
    if remaining == FRAME_BYTES + 1:
        return None  # could be the first byte of the next header, or of a 22-byte tail
    return FRAME_BYTES  # no header follows at either length: take the documented size


def tilt_angles_deg(acc_g: FloatArray) -> FloatArray:
    """Roll and pitch from gravity (yaw 0): a plausible stand-in for the sensor's own fusion."""
    roll = np.degrees(np.arctan2(acc_g[:, 1], acc_g[:, 2]))
    pitch = np.degrees(np.arctan2(-acc_g[:, 0], np.hypot(acc_g[:, 1], acc_g[:, 2])))
    return np.column_stack([roll, pitch, np.zeros(len(acc_g))])


def encode_frames(acc_g: FloatArray, gyro_dps: FloatArray | None) -> list[bytes]:
    """One 20-byte 0x61 frame per sample."""
    gyro = np.zeros_like(acc_g) if gyro_dps is None else gyro_dps
    scaled = np.hstack(
        [
            acc_g / ACC_FULL_SCALE_G * 32768.0,
            gyro / GYRO_FULL_SCALE_DPS * 32768.0,
            tilt_angles_deg(acc_g) / ANGLE_FULL_SCALE_DEG * 32768.0,
        ]
    )
    body = clamp_int16(scaled)
    return [bytes((HEADER, FLAG_DATA)) + row.tobytes() for row in body]


def register_reply(first_register: int, registers: dict[int, int]) -> bytes:
    """`55 71 RegL RegH` + the 8 registers from `first_register` (20-byte variant)."""
    values = np.array([registers.get(first_register + k, 0) for k in range(8)], dtype="<u2")
    return bytes((HEADER, FLAG_REGISTER, first_register & 0xFF, (first_register >> 8) & 0xFF)) + values.tobytes()


class WitmotionEncoder(EncoderBase):
    """A WT901BLECL as seen over the air: streams while notifications are on, obeys FF AA commands.

    Writes other than unlock/read are ignored until the unlock command (as on the device, where
    unlocking opens a ~10 s window; the window's expiry is not modelled: there is no clock here).
    Rate code 0x0A is taken to mean 125 Hz, per the standard table.
    """

    def __init__(self, rate_hz: float = DEFAULT_RATE_HZ, max_payload: int = 20) -> None:
        super().__init__(rate_hz=rate_hz, max_payload=max_payload)
        code = RATE_CODE_BY_HZ.get(float(rate_hz), RATE_CODE_BY_HZ[DEFAULT_RATE_HZ])
        self.registers: dict[int, int] = {REG_RATE: code}
        self.unlocked = False
        self.saved_registers: dict[int, int] = dict(self.registers)

    def encode(self, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None) -> list[bytes]:
        frames = encode_frames(acc_g, gyro_dps)
        per_notification = max(1, self.max_payload // FRAME_BYTES)
        return [b"".join(frames[k : k + per_notification]) for k in range(0, len(frames), per_notification)]

    def subscribed(self, char_uuid: str, enabled: bool) -> None:
        if char_uuid == NOTIFY_UUID:
            self.streaming = enabled and self.registers.get(REG_RATE) != RATE_CODE_NO_OUTPUT

    def handle_write(self, char_uuid: str, data: bytes) -> list[Notification]:
        if char_uuid != WRITE_UUID or len(data) != 5 or data[0] != 0xFF or data[1] != 0xAA:
            return []
        register, value = data[2], data[3] | (data[4] << 8)
        if register == REG_UNLOCK:
            self.unlocked = value == UNLOCK_VALUE
        elif register == REG_READ:
            return [Notification(NOTIFY_UUID, register_reply(value, self.registers))]
        elif not self.unlocked:
            return []
        elif register == REG_SAVE:
            self.saved_registers = dict(self.registers)
        else:
            self.registers[register] = value
            if register == REG_RATE:
                self._apply_rate_code(value)
        return []

    def _apply_rate_code(self, code: int) -> None:
        if code in RATE_HZ_BY_CODE:
            self.rate_hz = RATE_HZ_BY_CODE[code]
        self.streaming = self.streaming and code != RATE_CODE_NO_OUTPUT


def _characteristics() -> tuple[CharacteristicSpec, ...]:
    return (
        CharacteristicSpec(SERVICE_UUID, NOTIFY_UUID, frozenset({"notify"})),
        CharacteristicSpec(SERVICE_UUID, WRITE_UUID, frozenset({"write", "write_without_response"})),
    )


FAMILY = FamilyDescriptor(
    model="witmotion",
    display_name="WitMotion WT901BLECL / WT9011DCL",
    match=MATCH,
    service_uuid=SERVICE_UUID,
    data_uuid=NOTIFY_UUID,
    control_uuid=WRITE_UUID,
    notify_uuids=(NOTIFY_UUID,),
    characteristics=_characteristics(),
    has_gyro=True,
    rates_hz=SUPPORTED_RATES_HZ,
    default_rate_hz=DEFAULT_RATE_HZ,
    clock="host",
    has_sequence=False,
    new_decoder=lambda rate_hz, full_scale=None: WitmotionDecoder(rate_hz),
    new_encoder=WitmotionEncoder,
    start_writes=start_writes,
    stop_writes=stop_writes,
    max_acc_g=ACC_FULL_SCALE_G,
    max_gyro_dps=GYRO_FULL_SCALE_DPS,
    ranges=RangeSupport((), (), FIXED_RANGE, "WitMotion BLE 5.0 sensors stream at a fixed ±16 g, ±2000 °/s"),
)
