"""WitMotion WT901BLECL / WT9011DCL: command bytes, the 200 Hz decision, framing, virtual device."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sensortrack.drivers.protocols import witmotion as wm

SAMPLES = st.integers(1, 30).flatmap(
    lambda n: st.tuples(
        arrays(np.float64, (n, 3), elements=st.floats(-16, 16)),
        arrays(np.float64, (n, 3), elements=st.floats(-2000, 2000)),
    )
)


def test_command_bytes_match_the_vendor_sdk() -> None:
    assert wm.unlock_command() == bytes.fromhex("FF AA 69 88 B5")
    assert wm.save_command() == bytes.fromhex("FF AA 00 00 00")
    assert wm.rate_command(100) == bytes.fromhex("FF AA 03 09 00")
    assert wm.rate_command(10) == bytes.fromhex("FF AA 03 06 00")
    assert wm.read_register_command(0x03) == bytes.fromhex("FF AA 27 03 00")


def test_200_hz_is_written_as_0x0b_and_0x0a_is_never_written() -> None:
    assert wm.rate_command(200) == bytes.fromhex("FF AA 03 0B 00")
    assert 0x0A not in wm.RATE_CODE_BY_HZ.values()
    with pytest.raises(ValueError, match="125"):
        wm.rate_command(125)


def test_start_sequence_unlocks_writes_saves_then_reads_back() -> None:
    writes = wm.start_writes(50)
    assert [w.data for w in writes] == [
        wm.unlock_command(), wm.rate_command(50), wm.save_command(), wm.read_register_command(wm.REG_RATE),
    ]  # fmt: skip
    assert all(w.char_uuid == wm.WRITE_UUID and not w.with_response for w in writes)
    assert all(w.delay_after_s == pytest.approx(0.1) for w in writes)


@settings(max_examples=60, deadline=None)
@given(samples=SAMPLES, per_notification=st.sampled_from([20, 40, 100, 244]))
def test_round_trip_within_one_count(samples: tuple[np.ndarray, np.ndarray], per_notification: int) -> None:
    acc, gyro = samples
    encoder = wm.WitmotionEncoder(100.0, max_payload=per_notification)
    payloads = encoder.encode(np.arange(len(acc)) / 100.0, acc, gyro)
    assert all(len(p) <= max(per_notification, wm.FRAME_BYTES) and len(p) % wm.FRAME_BYTES == 0 for p in payloads)
    decoder = wm.WitmotionDecoder()
    out = [d for d in (decoder.feed(p) for p in payloads) if len(d)]
    got_acc = np.concatenate([d.acc_g for d in out])
    got_gyro = np.concatenate([d.gyro_dps for d in out])
    # Rounding to int16 is within half a count; +16 g / +2000 dps saturate one count below.
    np.testing.assert_allclose(got_acc, acc, atol=16 / 32768 + 1e-12)
    np.testing.assert_allclose(got_gyro, gyro, atol=2000 / 32768 + 1e-9)


def test_frames_fed_one_byte_at_a_time() -> None:
    payload = b"".join(wm.encode_frames(np.array([[0.0, 0.0, 1.0], [0.5, 0.5, 0.5]]), None))
    decoder = wm.WitmotionDecoder()
    out = [decoder.feed(payload[k : k + 1]) for k in range(len(payload))]
    assert [len(d) for d in out].count(1) == 2
    np.testing.assert_allclose(np.concatenate([d.acc_g for d in out]), [[0, 0, 1], [0.5, 0.5, 0.5]])
    assert decoder.pending_bytes == 0 and decoder.stats.skipped_bytes == 0


def test_virtual_device_needs_unlock_and_answers_the_read_back() -> None:
    encoder = wm.WitmotionEncoder(10.0)
    decoder = wm.WitmotionDecoder()
    assert encoder.handle_write(wm.WRITE_UUID, wm.rate_command(200)) == []  # locked: ignored
    assert encoder.rate_hz == 10.0
    for write in wm.start_writes(200):
        for reply in encoder.handle_write(write.char_uuid, write.data):
            decoder.feed(reply.data)
    assert encoder.rate_hz == 200.0
    assert encoder.saved_registers[wm.REG_RATE] == 0x0B
    assert decoder.rate_code == 0x0B and decoder.rate_readback_hz == 200.0


def test_virtual_device_streams_only_while_notifications_are_on() -> None:
    encoder = wm.WitmotionEncoder()
    assert not encoder.streaming
    encoder.subscribed(wm.NOTIFY_UUID, True)
    assert encoder.streaming
    encoder.subscribed(wm.NOTIFY_UUID, False)
    assert not encoder.streaming


def test_saturation_at_full_scale() -> None:
    frames = wm.encode_frames(np.array([[40.0, -40.0, 0.0]]), np.array([[5000.0, -5000.0, 0.0]]))
    decoded = wm.WitmotionDecoder().feed(frames[0])
    np.testing.assert_allclose(decoded.acc_g, [[16 * 32767 / 32768, -16.0, 0.0]])
    np.testing.assert_allclose(decoded.gyro_dps, [[2000 * 32767 / 32768, -2000.0, 0.0]])
