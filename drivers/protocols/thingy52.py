"""Nordic Thingy:52 motion service: raw accelerometer/gyroscope/compass notifications.

Sources (see /work/shared/reference/ble-protocols.md §6): NordicSemiconductor/Nordic-Thingy52-FW
`include/ble_services/ble_tms.h`, `source/ble_services/ble_tms.c`, `source/modules/m_motion.c`:
raw characteristic 0x0406 = 9 × int16 (acc Q6.10 → g, gyro Q11.5 → °/s, compass Q12.4 → µT);
configuration 0x0401 = u16 pedometer ms, u16 temperature-compensation ms, u16 compass ms,
u16 motion frequency Hz, u8 wake-on-motion (limits 100–5000 ms, 1–200 Hz; default 1000/500/500/10/1).
Pitfall: Thingy.js divides by 64/2048/4096 and aiothingy 0.0.3 divides gyro by 256; both disagree
with the firmware's fixed-point formats, which the Android app (devzone thread 65198) matches.

No timestamps or sequence numbers: the host timestamps. The firmware stops motion processing on
disconnect; it starts streaming raw data when notifications on 0x0406 are enabled.
"""

from __future__ import annotations

import struct

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


def thingy_uuid(short: int) -> str:
    """Nordic's Thingy base UUID EF68xxxx-9B35-4933-9B10-52FFA9740042."""
    return f"ef68{short:04x}-9b35-4933-9b10-52ffa9740042"


CONFIGURATION_SERVICE_UUID = thingy_uuid(0x0100)  # the one the Thingy advertises
MOTION_SERVICE_UUID = thingy_uuid(0x0400)
MOTION_CONFIG_UUID = thingy_uuid(0x0401)
RAW_DATA_UUID = thingy_uuid(0x0406)

MATCH = ScanMatch(
    service_uuids=(CONFIGURATION_SERVICE_UUID, MOTION_SERVICE_UUID),
    name_patterns=(r"Thingy",),
)

RAW_BYTES = 18
ACC_LSB_PER_G = 2**10  # Q6.10
GYRO_LSB_PER_DPS = 2**5  # Q11.5
COMPASS_LSB_PER_UT = 2**4  # Q12.4

CONFIG_FORMAT = "<HHHHB"
CONFIG_BYTES = struct.calcsize(CONFIG_FORMAT)
DEFAULT_CONFIG = (1000, 500, 500, 10, 1)  # pedometer ms, temp comp ms, compass ms, motion Hz, wake
INTERVAL_LIMITS_MS = (100, 5000)
MOTION_FREQ_LIMITS_HZ = (1, 200)

SUPPORTED_RATES_HZ: tuple[float, ...] = (10.0, 20.0, 25.0, 50.0, 100.0, 200.0)
DEFAULT_RATE_HZ = 10.0
# The firmware never sets the MPU-9250's full scales (drv_motion.c `mpulib_config` only reads them
# back), so InvenSense Motion Driver 6.12's `mpu_init` defaults stay: ±2 g and ±2000 °/s; the
# gyro's Q11.5 BLE format then saturates at ±1024 °/s. The motion config has no range field.
# Read from the firmware source, not confirmed on hardware. The virtual Thingy saturates at ±2 g
# like the IMU would, and the recorder rejects anything beyond it as corrupted (drivers/timeline.py).
FIXED_RANGE = FullScale(2.0, 1024.0)


def config_command(
    motion_freq_hz: float,
    *,
    pedometer_interval_ms: int = DEFAULT_CONFIG[0],
    temp_comp_interval_ms: int = DEFAULT_CONFIG[1],
    compass_interval_ms: int = DEFAULT_CONFIG[2],
    wake_on_motion: bool = True,
) -> bytes:
    """The 9-byte motion configuration; the whole struct is written at once."""
    freq = int(motion_freq_hz)
    if not MOTION_FREQ_LIMITS_HZ[0] <= freq <= MOTION_FREQ_LIMITS_HZ[1]:
        raise ValueError(f"Thingy:52 motion frequency must be 1–200 Hz, not {motion_freq_hz}")
    for interval in (pedometer_interval_ms, temp_comp_interval_ms, compass_interval_ms):
        if not INTERVAL_LIMITS_MS[0] <= interval <= INTERVAL_LIMITS_MS[1]:
            raise ValueError(f"Thingy:52 intervals must be 100–5000 ms, not {interval}")
    return struct.pack(
        CONFIG_FORMAT, pedometer_interval_ms, temp_comp_interval_ms, compass_interval_ms, freq, int(wake_on_motion)
    )


def start_writes(rate_hz: float, full_scale: FullScale | None = None) -> tuple[GattWrite, ...]:
    # Streaming itself starts when notifications on the raw characteristic are enabled. The range
    # is fixed (`FIXED_RANGE`): `full_scale` is accepted for the uniform signature and not sent.
    return (GattWrite(MOTION_CONFIG_UUID, config_command(rate_hz), with_response=True),)


def stop_writes() -> tuple[GattWrite, ...]:
    return ()  # stopping = disabling notifications


class Thingy52Decoder(DecoderBase):
    """One 18-byte raw sample per notification."""

    def __init__(self, rate_hz: float = DEFAULT_RATE_HZ) -> None:
        # rate_hz is accepted for the registry's uniform factory; samples carry no time to spread.
        super().__init__()
        self.last_compass_ut: FloatArray | None = None

    def feed(self, payload: bytes) -> Decoded:
        data = self._accept(payload)
        if data is None:
            return Decoded.none()
        if len(data) != RAW_BYTES:
            self._skip(len(data), bad_frame=bool(data))
            return Decoded.none()
        self._used(len(data))
        raw = np.frombuffer(data, dtype="<i2").astype(np.float64)
        self.last_compass_ut = raw[6:9] / COMPASS_LSB_PER_UT
        self.stats.samples += 1
        return Decoded(acc_g=raw[None, 0:3] / ACC_LSB_PER_G, gyro_dps=raw[None, 3:6] / GYRO_LSB_PER_DPS)


class Thingy52Encoder(EncoderBase):
    """A Thingy:52 streaming raw motion data; the compass reads zero (not simulated)."""

    def __init__(self, rate_hz: float = DEFAULT_RATE_HZ, max_payload: int = 20) -> None:
        super().__init__(rate_hz=rate_hz, max_payload=max_payload)
        self.config = (*DEFAULT_CONFIG[:3], int(rate_hz), DEFAULT_CONFIG[4])

    def encode(self, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None) -> list[bytes]:
        gyro = np.zeros_like(acc_g) if gyro_dps is None else gyro_dps
        acc = np.clip(acc_g, -FIXED_RANGE.acc_g, FIXED_RANGE.acc_g)  # the IMU saturates at its ±2 g
        raw = clamp_int16(np.hstack([acc * ACC_LSB_PER_G, gyro * GYRO_LSB_PER_DPS, np.zeros_like(acc_g)]))
        return [row.tobytes() for row in raw]

    def subscribed(self, char_uuid: str, enabled: bool) -> None:
        if char_uuid == RAW_DATA_UUID:
            self.streaming = enabled

    def read(self, char_uuid: str) -> bytes | None:
        return struct.pack(CONFIG_FORMAT, *self.config) if char_uuid == MOTION_CONFIG_UUID else None

    def handle_write(self, char_uuid: str, data: bytes) -> list[Notification]:
        if char_uuid != MOTION_CONFIG_UUID or len(data) != CONFIG_BYTES:
            return []
        config = struct.unpack(CONFIG_FORMAT, data)
        intervals_ok = all(INTERVAL_LIMITS_MS[0] <= v <= INTERVAL_LIMITS_MS[1] for v in config[:3])
        if intervals_ok and MOTION_FREQ_LIMITS_HZ[0] <= config[3] <= MOTION_FREQ_LIMITS_HZ[1]:
            self.config = config  # the firmware rejects out-of-range values the same way
            self.rate_hz = float(config[3])
        return []


def _characteristics() -> tuple[CharacteristicSpec, ...]:
    return (
        CharacteristicSpec(
            MOTION_SERVICE_UUID, MOTION_CONFIG_UUID, frozenset({"read", "write"}), struct.pack(CONFIG_FORMAT, *DEFAULT_CONFIG)
        ),
        CharacteristicSpec(MOTION_SERVICE_UUID, RAW_DATA_UUID, frozenset({"notify"})),
    )


FAMILY = FamilyDescriptor(
    model="thingy52",
    display_name="Nordic Thingy:52",
    match=MATCH,
    service_uuid=MOTION_SERVICE_UUID,
    data_uuid=RAW_DATA_UUID,
    control_uuid=MOTION_CONFIG_UUID,
    notify_uuids=(RAW_DATA_UUID,),
    characteristics=_characteristics(),
    has_gyro=True,
    rates_hz=SUPPORTED_RATES_HZ,
    default_rate_hz=DEFAULT_RATE_HZ,
    clock="host",
    has_sequence=False,
    new_decoder=lambda rate_hz, full_scale=None: Thingy52Decoder(rate_hz),
    new_encoder=Thingy52Encoder,
    start_writes=start_writes,
    stop_writes=stop_writes,
    max_acc_g=32767 / ACC_LSB_PER_G,
    max_gyro_dps=32767 / GYRO_LSB_PER_DPS,
    ranges=RangeSupport(
        (), (), FIXED_RANGE,
        "the Thingy:52 firmware leaves its IMU at ±2 g, ±2000 °/s (±1024 °/s after the BLE format) and has no range setting",
    ),  # fmt: skip
)
