"""sensortrack open profile v1: CRC, packet layout, any-MTU round trip, loss and resync."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sensortrack.drivers.protocols import open_profile as op


def test_crc_is_ccitt_false() -> None:
    assert op.crc16_ccitt_false(b"123456789") == 0x29B1  # check value, CRC RevEng catalogue


def test_layout_matches_the_spec() -> None:
    packet = op.encode_packet(0x1234, 0xAABBCCDD, 100, 4, 2000, np.array([[1, 2, 3]]), np.array([[4, 5, 6]]))
    assert op.HEADER_BYTES == 16
    assert packet[:2] == b"ST" and packet[2] == 1 and packet[3] == op.FLAG_HAS_GYRO
    assert struct.unpack_from("<HIHBHB", packet, 4) == (0x1234, 0xAABBCCDD, 100, 4, 2000, 1)
    assert struct.unpack_from("<6h", packet, 16) == (1, 2, 3, 4, 5, 6)
    assert len(packet) == 16 + 12 + 2
    assert int.from_bytes(packet[-2:], "little") == op.crc16_ccitt_false(packet[:-2])


def test_command_bytes() -> None:
    assert op.start_command() == bytes.fromhex("53 54 01")
    assert op.stop_command() == bytes.fromhex("53 54 02")
    assert op.set_rate_command(100) == bytes.fromhex("53 54 03 64 00")
    with pytest.raises(ValueError):
        op.set_rate_command(0)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 90),
    max_payload=st.integers(20, 244),
    per_packet=st.integers(1, 32),
    gyro=st.booleans(),
    data=st.data(),
)
def test_round_trip_at_any_mtu(n: int, max_payload: int, per_packet: int, gyro: bool, data: st.DataObject) -> None:
    acc = data.draw(arrays(np.float64, (n, 3), elements=st.floats(-3.99, 3.99)))
    rot = data.draw(arrays(np.float64, (n, 3), elements=st.floats(-1999, 1999)))
    encoder = op.OpenProfileEncoder(100.0, max_payload, samples_per_packet=per_packet, gyro=gyro)
    t = 12.5 + np.arange(n) / 100.0
    payloads = encoder.encode(t, acc, rot)
    assert all(len(p) <= max_payload for p in payloads)
    decoder = op.OpenProfileDecoder()
    out = [d for d in (decoder.feed(p) for p in payloads) if len(d)]
    sent = n - n % per_packet
    assert sum(len(d) for d in out) == sent
    if sent == 0:
        return
    np.testing.assert_allclose(np.concatenate([d.acc_g for d in out]), acc[:sent], atol=4 / 65536 + 1e-12)
    if gyro:
        np.testing.assert_allclose(np.concatenate([d.gyro_dps for d in out]), rot[:sent], atol=2000 / 65536 + 1e-9)
    else:
        assert all(d.gyro_dps is None for d in out)
    np.testing.assert_allclose(np.concatenate([d.device_time_s for d in out]), t[:sent], atol=1e-6, rtol=0)
    np.testing.assert_array_equal(np.concatenate([d.sequence for d in out]), np.arange(sent))
    assert decoder.stats.lost_samples == 0 and decoder.pending_bytes == 0


def _packets(count: int, per_packet: int = 4) -> list[bytes]:
    """One packet per notification (large MTU)."""
    encoder = op.OpenProfileEncoder(50.0, 244, samples_per_packet=per_packet)
    n = count * per_packet
    return encoder.encode(np.arange(n) / 50.0, np.tile([0.0, 0.0, 1.0], (n, 1)), np.zeros((n, 3)))


def test_lost_notification_is_reported_as_lost_samples() -> None:
    packets = _packets(6)
    decoder = op.OpenProfileDecoder()
    for k, packet in enumerate(packets):
        if k not in (2, 3):
            decoder.feed(packet)
    assert decoder.stats.lost_samples == 8
    assert decoder.stats.samples == 16


def test_resync_after_garbage_and_a_corrupt_packet() -> None:
    packets = _packets(4)
    corrupt = bytearray(packets[1])
    corrupt[-1] ^= 0x01
    decoder = op.OpenProfileDecoder()
    stream = packets[0] + b"ST\x07garbage" + bytes(corrupt) + packets[2] + b"S" + packets[3]
    decoded = [decoder.feed(stream[k : k + 7]) for k in range(0, len(stream), 7)]
    assert sum(len(d) for d in decoded) == 12
    assert decoder.stats.bad_frames == 1
    assert decoder.stats.lost_samples == 4
    assert decoder.stats.skipped_bytes == 10 + len(corrupt) + 1


def test_unknown_version_is_skipped_not_guessed() -> None:
    packet = bytearray(_packets(1)[0])
    packet[2] = 2
    decoder = op.OpenProfileDecoder()
    assert len(decoder.feed(bytes(packet))) == 0
    assert decoder.stats.skipped_bytes == len(packet) and decoder.stats.bad_frames == 0


def test_virtual_device_commands() -> None:
    encoder = op.OpenProfileEncoder(50.0)
    encoder.handle_write(op.NUS_RX_UUID, op.set_rate_command(90))
    assert encoder.rate_hz == 100.0  # nearest the reference sketch offers
    encoder.handle_write(op.NUS_RX_UUID, op.start_command())
    assert encoder.streaming
    assert encoder.encode(np.zeros(3), np.zeros((3, 3)), np.zeros((3, 3))) == []  # packet not full yet
    encoder.handle_write(op.NUS_RX_UUID, op.stop_command())
    assert not encoder.streaming
    encoder.handle_write(op.NUS_RX_UUID, op.start_command())
    assert encoder.encode(np.zeros(3), np.zeros((3, 3)), np.zeros((3, 3))) == []  # stop dropped the 3 held
    chunks = encoder.encode(np.zeros(1), np.zeros((1, 3)), np.zeros((1, 3)))  # the 4th sample fills a packet
    assert [len(c) for c in chunks] == [20, 20, 20, 6]  # 16 + 4 × 12 + 2 = 66 bytes at MTU 23
    encoder.handle_write(op.NUS_RX_UUID, b"XY\x01")
    assert encoder.streaming
