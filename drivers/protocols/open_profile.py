"""The sensortrack open profile (v1): a compact, checksummed IMU packet over the Nordic UART Service.

Defined here for DIY sensors; docs/protocols.md is the maker-facing specification and
firmware/sensortrack_open_profile/sensortrack_open_profile.ino the reference implementation.

Transport: Nordic UART Service (service 6E400001-…, RX write 6E400002-…, TX notify 6E400003-…;
`bem22/ble_knowledge:uuid_definitions.md`). NUS is a byte stream, so packets are self-delimiting and
may be split across notifications: at the default MTU of 23 (20-byte payloads) a packet spans
several notifications; with a larger MTU one notification carries a whole packet of several samples.

Packet, little-endian (HEADER_BYTES = 16, then samples, then 2 bytes of CRC):
    0  u8[2] magic "ST" (0x53 0x54)
    2  u8    version = 1
    3  u8    flags: bit 0 = has gyro; bits 1-7 reserved, sent as 0, ignored by receivers
    4  u16   sequence: device sample counter of the first sample in the packet (wraps at 65536)
    6  u32   t0_us: device clock (µs) when the first sample was taken (wraps at 2^32)
    10 u16   rate_hz: sampling rate of the samples in this packet
    12 u8    acc_range_g: accelerometer full scale (±g), > 0
    13 u16   gyro_range_dps: gyroscope full scale (±°/s); > 0 when has gyro
    15 u8    n: samples in the packet, 1..32
    16       n × (ax, ay, az[, gx, gy, gz]) int16; value = raw × range / 32768
    end-2 u16 CRC-16/CCITT-FALSE over every byte before it (poly 0x1021, init 0xFFFF, no
             reflection, no final XOR; check value 0x29B1 for "123456789" — CRC RevEng catalogue,
             where it is listed as CRC-16/IBM-3740). Python: binascii.crc_hqx(data, 0xFFFF).

Because the sequence counts samples, not packets, a gap in it is exactly the number of samples
lost; sample i of a packet was taken at t0_us + i × 1e6 / rate_hz.

Commands (host → device, one ATT write each, on RX): "ST" + command byte [+ arguments]
    0x01 START, 0x02 STOP, 0x03 SET_RATE u16 rate_hz (the device uses the nearest rate it supports;
    the rate_hz field of the following packets says which), 0x04 SET_RANGE u8 acc_range_g + u16
    gyro_range_dps (the device uses its smallest range at or above each, else its largest; a device
    that cannot change range ignores the command). No acknowledgement: the packets' header shows it.
"""

from __future__ import annotations

import binascii
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
    Unwrapper,
    clamp_int16,
)
from sensortrack.core.model import FloatArray

NUS_SERVICE_UUID = "6e400001-b5a3-f393-e0a9-e50e24dcca9e"
NUS_RX_UUID = "6e400002-b5a3-f393-e0a9-e50e24dcca9e"  # host writes commands here
NUS_TX_UUID = "6e400003-b5a3-f393-e0a9-e50e24dcca9e"  # device notifies packets here

# Countless gadgets use NUS; the advertised name ("sensortrack-1A2B") is what identifies ours.
MATCH = ScanMatch(service_uuids=(NUS_SERVICE_UUID,), name_patterns=(r"sensortrack",), name_required=True)

MAGIC = b"ST"
VERSION = 1
FLAG_HAS_GYRO = 0x01
HEADER_FORMAT = "<2sBBHIHBHB"
HEADER_BYTES = struct.calcsize(HEADER_FORMAT)  # 16
CRC_BYTES = 2
MAX_SAMPLES = 32
FULL_SCALE_COUNTS = 32768.0

CMD_START = 0x01
CMD_STOP = 0x02
CMD_SET_RATE = 0x03
CMD_SET_RANGE = 0x04

# What the reference sketch offers (LSM9DS1 runs at 119 Hz; the sketch samples on a timer).
SUPPORTED_RATES_HZ: tuple[float, ...] = (10.0, 25.0, 50.0, 100.0)
DEFAULT_RATE_HZ = 50.0
DEFAULT_ACC_RANGE_G = 4  # Arduino_LSM9DS1 library defaults: what the device measures at until told
DEFAULT_GYRO_RANGE_DPS = 2000
# The LSM9DS1's full scales (ST LSM9DS1 datasheet, "Mechanical characteristics"): what a device that honours
# SET_RANGE offers, and so what the host lets the user choose from.
ACC_RANGES_G: tuple[float, ...] = (2.0, 4.0, 8.0, 16.0)
GYRO_RANGES_DPS: tuple[float, ...] = (245.0, 500.0, 2000.0)
# What the host asks for: ±8 g / ±2000 °/s (docs/live-sensors.md, "Measuring range").
HOST_DEFAULT_RANGE = FullScale(8.0, 2000.0)
DEFAULT_SAMPLES_PER_PACKET = 4  # 66-byte packets: 40 ms of latency at 100 Hz


def crc16_ccitt_false(data: bytes) -> int:
    return binascii.crc_hqx(data, 0xFFFF)


def start_command() -> bytes:
    return MAGIC + bytes((CMD_START,))


def stop_command() -> bytes:
    return MAGIC + bytes((CMD_STOP,))


def set_rate_command(rate_hz: float) -> bytes:
    rate = int(round(rate_hz))
    if not 1 <= rate <= 0xFFFF:
        raise ValueError(f"open profile rate must be 1–65535 Hz, not {rate_hz}")
    return MAGIC + bytes((CMD_SET_RATE,)) + rate.to_bytes(2, "little")


def set_range_command(acc_range_g: float, gyro_range_dps: float) -> bytes:
    acc, gyro = int(round(acc_range_g)), int(round(gyro_range_dps))
    if not 1 <= acc <= 0xFF or not 0 <= gyro <= 0xFFFF:
        raise ValueError(f"open profile ranges are 1–255 g and 0–65535 °/s, not {acc_range_g} g / {gyro_range_dps} °/s")
    return MAGIC + bytes((CMD_SET_RANGE, acc)) + gyro.to_bytes(2, "little")


def start_writes(rate_hz: float, full_scale: FullScale | None = None) -> tuple[GattWrite, ...]:
    full_scale = full_scale or HOST_DEFAULT_RANGE
    return (
        GattWrite(NUS_RX_UUID, set_rate_command(rate_hz), with_response=True),
        GattWrite(NUS_RX_UUID, set_range_command(full_scale.acc_g, full_scale.gyro_dps), with_response=True),
        GattWrite(NUS_RX_UUID, start_command(), with_response=True),
    )


def stop_writes() -> tuple[GattWrite, ...]:
    return (GattWrite(NUS_RX_UUID, stop_command(), with_response=True),)


def encode_packet(
    sequence: int,
    t0_us: int,
    rate_hz: int,
    acc_range_g: int,
    gyro_range_dps: int,
    acc_counts: np.ndarray,
    gyro_counts: np.ndarray | None,
) -> bytes:
    """One packet from int16 counts; `sequence` and `t0_us` are wrapped here."""
    n = len(acc_counts)
    if not 1 <= n <= MAX_SAMPLES:
        raise ValueError(f"a packet holds 1..{MAX_SAMPLES} samples, not {n}")
    flags = FLAG_HAS_GYRO if gyro_counts is not None else 0
    header = struct.pack(
        HEADER_FORMAT, MAGIC, VERSION, flags, sequence % (1 << 16), t0_us % (1 << 32),
        rate_hz, acc_range_g, gyro_range_dps if gyro_counts is not None else 0, n,
    )  # fmt: skip
    columns = [acc_counts] if gyro_counts is None else [acc_counts, gyro_counts]
    body = header + np.hstack(columns).astype("<i2").tobytes()
    return body + crc16_ccitt_false(body).to_bytes(2, "little")


class OpenProfileDecoder(DecoderBase):
    """Byte-stream framer: finds "ST", checks the header and CRC, resynchronises byte by byte."""

    def __init__(self, rate_hz: float = DEFAULT_RATE_HZ, full_scale: FullScale | None = None) -> None:
        # rate_hz and full_scale are accepted for the registry's uniform factory; every packet
        # states its own rate and ranges.
        super().__init__()
        self._buffer = b""
        self._sequence = Unwrapper(16)
        self._clock_us = Unwrapper(32)
        self._next_sequence: int | None = None  # unwrapped sequence the next packet should carry
        self.rate_hz: float | None = None  # from the newest packet header
        self.has_gyro: bool | None = None
        self.full_scale: FullScale | None = None  # ranges in the newest packet header

    @property
    def pending_bytes(self) -> int:
        return len(self._buffer)

    def feed(self, payload: bytes) -> Decoded:
        data = self._accept(payload)
        if data is None:
            return Decoded.none()
        buf = self._buffer + data
        parts: list[Decoded] = []
        i = 0
        while True:
            start = buf.find(MAGIC, i)
            if start < 0:
                keep = 1 if buf.endswith(MAGIC[:1]) and len(buf) > i else 0  # maybe half a magic
                self._skip(len(buf) - i - keep)
                i = len(buf) - keep
                break
            self._skip(start - i)
            i = start
            if len(buf) - i < HEADER_BYTES:
                break
            header = struct.unpack_from(HEADER_FORMAT, buf, i)
            size = _packet_size(header)
            if size is None:
                self._skip(1)  # "ST" by chance, or a version we don't know: resync
                i += 1
                continue
            if len(buf) - i < size:
                break  # rest of the packet is in a later notification
            packet = buf[i : i + size]
            if crc16_ccitt_false(packet[:-CRC_BYTES]) != int.from_bytes(packet[-CRC_BYTES:], "little"):
                self._skip(1, bad_frame=True)  # the length may be what is corrupt: resync from i+1
                i += 1
                continue
            self._used(size)
            parts.append(self._decode(header, packet))
            i += size
        self._buffer = buf[i:]
        return _join(parts)

    def _decode(self, header: tuple[bytes, int, int, int, int, int, int, int, int], packet: bytes) -> Decoded:
        _, _, flags, raw_sequence, raw_t0_us, rate_hz, acc_range_g, gyro_range_dps, n = header
        gyro = bool(flags & FLAG_HAS_GYRO)
        if self._sequence.started and self._sequence.step(raw_sequence) <= 0:
            self.stats.out_of_order += 1
        sequence = self._sequence.update(raw_sequence)
        if self._next_sequence is not None and sequence > self._next_sequence:
            self._lost(sequence - self._next_sequence, float(rate_hz))
        self._next_sequence = sequence + n
        t0_us = self._clock_us.update(raw_t0_us)
        self.rate_hz, self.has_gyro = float(rate_hz), gyro
        self.full_scale = FullScale(float(acc_range_g), float(gyro_range_dps) if gyro else 0.0)
        width = 6 if gyro else 3
        counts = np.frombuffer(packet, dtype="<i2", count=n * width, offset=HEADER_BYTES).reshape(n, width)
        counts = counts.astype(np.float64)
        self.stats.samples += n
        return Decoded(
            acc_g=counts[:, 0:3] * (acc_range_g / FULL_SCALE_COUNTS),
            gyro_dps=counts[:, 3:6] * (gyro_range_dps / FULL_SCALE_COUNTS) if gyro else None,
            device_time_s=(t0_us + np.arange(n, dtype=np.float64) * (1e6 / rate_hz)) / 1e6,
            sequence=sequence + np.arange(n),
        )


def _packet_size(header: tuple[bytes, int, int, int, int, int, int, int, int]) -> int | None:
    """Total packet length if the header is plausible, else None."""
    _, version, flags, _, _, rate_hz, acc_range_g, gyro_range_dps, n = header
    gyro = bool(flags & FLAG_HAS_GYRO)
    if version != VERSION or not 1 <= n <= MAX_SAMPLES or rate_hz == 0 or acc_range_g == 0:
        return None
    if gyro and gyro_range_dps == 0:
        return None
    return HEADER_BYTES + n * (12 if gyro else 6) + CRC_BYTES


def _join(parts: list[Decoded]) -> Decoded:
    """One Decoded for the notification; packets that disagree on gyro keep the first's shape."""
    if not parts:
        return Decoded.none()
    if len(parts) == 1:
        return parts[0]
    gyro = all(p.gyro_dps is not None for p in parts)
    return Decoded(
        acc_g=np.vstack([p.acc_g for p in parts]),
        gyro_dps=np.vstack([p.gyro_dps for p in parts if p.gyro_dps is not None]) if gyro else None,
        device_time_s=np.concatenate([p.device_time_s for p in parts if p.device_time_s is not None]),
        sequence=np.concatenate([p.sequence for p in parts if p.sequence is not None]),
    )


class OpenProfileEncoder(EncoderBase):
    """What the reference sketch sends: packets of `samples_per_packet`, split into notifications
    of at most `max_payload` bytes. Samples are held until a packet is full, as on the device."""

    def __init__(
        self,
        rate_hz: float = DEFAULT_RATE_HZ,
        max_payload: int = 20,
        *,
        samples_per_packet: int = DEFAULT_SAMPLES_PER_PACKET,
        acc_range_g: int = DEFAULT_ACC_RANGE_G,
        gyro_range_dps: int = DEFAULT_GYRO_RANGE_DPS,
        gyro: bool = True,
    ) -> None:
        super().__init__(rate_hz=rate_hz, max_payload=max_payload)
        self.samples_per_packet = max(1, min(MAX_SAMPLES, samples_per_packet))
        self.acc_range_g = acc_range_g
        self.gyro_range_dps = gyro_range_dps
        self.gyro = gyro
        self.sample_counter = 0
        self._held: list[tuple[FloatArray, FloatArray, FloatArray | None]] = []

    def encode(self, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None) -> list[bytes]:
        if len(t_s):
            self._held.append((np.asarray(t_s, dtype=np.float64), acc_g, gyro_dps))
        t_all = np.concatenate([h[0] for h in self._held]) if self._held else np.empty(0)
        acc_all = np.concatenate([h[1] for h in self._held]) if self._held else np.empty((0, 3))
        gyro_all = None
        if self.gyro:
            gyro_all = np.concatenate([np.zeros_like(h[1]) if h[2] is None else h[2] for h in self._held]) if self._held else np.empty((0, 3))
        full = len(t_all) - len(t_all) % self.samples_per_packet
        notifications = []
        for k in range(0, full, self.samples_per_packet):
            chunk = slice(k, k + self.samples_per_packet)
            packet = encode_packet(
                self.sample_counter,
                int(round(float(t_all[k]) * 1e6)),
                int(self.rate_hz),
                self.acc_range_g,
                self.gyro_range_dps,
                clamp_int16(acc_all[chunk] / self.acc_range_g * FULL_SCALE_COUNTS),
                None if gyro_all is None else clamp_int16(gyro_all[chunk] / self.gyro_range_dps * FULL_SCALE_COUNTS),
            )
            self.sample_counter += self.samples_per_packet
            notifications += [packet[j : j + self.max_payload] for j in range(0, len(packet), self.max_payload)]
        rest = slice(full, None)
        self._held = [(t_all[rest], acc_all[rest], None if gyro_all is None else gyro_all[rest])] if full < len(t_all) else []
        return notifications

    def handle_write(self, char_uuid: str, data: bytes) -> list[Notification]:
        if char_uuid != NUS_RX_UUID or len(data) < 3 or data[:2] != MAGIC:
            return []
        command = data[2]
        if command == CMD_START:
            self.streaming = True
        elif command == CMD_STOP:
            self.streaming = False
            self._held = []
        elif command == CMD_SET_RATE and len(data) >= 5:
            asked = int.from_bytes(data[3:5], "little")
            self.rate_hz = min(SUPPORTED_RATES_HZ, key=lambda r: (abs(r - asked), -r))
        elif command == CMD_SET_RANGE and len(data) >= 6:
            self.acc_range_g = _at_or_above(data[3], ACC_RANGES_G)
            self.gyro_range_dps = _at_or_above(int.from_bytes(data[4:6], "little"), GYRO_RANGES_DPS)
        return []


def _at_or_above(asked: int, ranges: tuple[float, ...]) -> int:
    """The smallest range that holds `asked`, else the largest (as the protocol says)."""
    return int(next((r for r in ranges if r >= asked), ranges[-1]))


def _characteristics() -> tuple[CharacteristicSpec, ...]:
    return (
        CharacteristicSpec(NUS_SERVICE_UUID, NUS_RX_UUID, frozenset({"write", "write_without_response"})),
        CharacteristicSpec(NUS_SERVICE_UUID, NUS_TX_UUID, frozenset({"notify"})),
    )


FAMILY = FamilyDescriptor(
    model="open_profile",
    display_name="sensortrack open profile (DIY)",
    match=MATCH,
    service_uuid=NUS_SERVICE_UUID,
    data_uuid=NUS_TX_UUID,
    control_uuid=NUS_RX_UUID,
    notify_uuids=(NUS_TX_UUID,),
    characteristics=_characteristics(),
    has_gyro=True,
    rates_hz=SUPPORTED_RATES_HZ,
    default_rate_hz=DEFAULT_RATE_HZ,
    clock="device",
    has_sequence=True,
    new_decoder=OpenProfileDecoder,
    new_encoder=OpenProfileEncoder,
    start_writes=start_writes,
    stop_writes=stop_writes,
    max_acc_g=max(ACC_RANGES_G),
    max_gyro_dps=max(GYRO_RANGES_DPS),
    ranges=RangeSupport(ACC_RANGES_G, GYRO_RANGES_DPS, HOST_DEFAULT_RANGE),
)
