"""Movesense GATT SensorData Protocol: command bytes, IMU6 round trip, virtual device answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sensortrack.drivers.protocols import movesense as ms


def test_command_bytes_match_the_official_sample() -> None:
    # python_client/movesense_sensor_data.py subscribes with 01 63 "/Meas/Acc/13" and unsubscribes 02 63.
    assert ms.subscribe_command("/Meas/Acc/13") == bytes.fromhex("01 63") + b"/Meas/Acc/13"
    assert ms.unsubscribe_command() == bytes.fromhex("02 63")
    assert ms.hello_command() == bytes.fromhex("00 01")
    assert ms.subscribe_command(ms.imu6_path(104)) == bytes.fromhex("01 63") + b"/Meas/IMU6/104"


def test_unsupported_rate_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="52"):
        ms.imu6_path(50)


@pytest.mark.parametrize(("raw", "status"), [("C8 00", 200), ("01 FB", 507), ("FB 01", 507), ("94 01", 404)])
def test_status_code_either_byte_order(raw: str, status: int) -> None:
    assert ms.parse_status(bytes.fromhex(raw)) == status


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 40),
    t0=st.floats(0, 4_000_000),
    max_payload=st.sampled_from([30, 100, 155, 244]),
    data=st.data(),
)
def test_round_trip(n: int, t0: float, max_payload: int, data: st.DataObject) -> None:
    acc = data.draw(arrays(np.float64, (n, 3), elements=st.floats(-16, 16)))
    gyro = data.draw(arrays(np.float64, (n, 3), elements=st.floats(-2000, 2000)))
    rate = 104.0
    t = t0 + np.arange(n) / rate
    encoder = ms.MovesenseEncoder(rate, max_payload)
    decoder = ms.MovesenseDecoder(rate)
    payloads = encoder.encode(t, acc, gyro)
    assert all(len(p) <= max_payload for p in payloads)
    out = [decoder.feed(p) for p in payloads]
    np.testing.assert_allclose(np.concatenate([d.acc_g for d in out]), acc, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.concatenate([d.gyro_dps for d in out]), gyro, rtol=1e-6, atol=1e-4)
    # The timestamp is whole milliseconds: per-sample times are within half a millisecond.
    np.testing.assert_allclose(np.concatenate([d.device_time_s for d in out]), t, atol=0.0005 + 1e-9, rtol=0)
    assert decoder.stats.lost_samples == 0 and decoder.stats.out_of_order == 0


def test_virtual_device_answers_commands() -> None:
    encoder = ms.MovesenseEncoder()
    decoder = ms.MovesenseDecoder()
    [reply] = encoder.handle_write(ms.WRITE_UUID, ms.subscribe_command("/Meas/IMU6/50"))
    decoder.feed(reply.data)
    assert not encoder.streaming and decoder.results[ms.IMU6_REFERENCE].status == ms.STATUS_NOT_FOUND
    [reply] = encoder.handle_write(ms.WRITE_UUID, ms.subscribe_command(ms.imu6_path(208)))
    decoder.feed(reply.data)
    assert encoder.streaming and encoder.rate_hz == 208.0
    assert decoder.results[ms.IMU6_REFERENCE].status == ms.STATUS_OK
    [reply] = encoder.handle_write(ms.WRITE_UUID, ms.unsubscribe_command(reference=7))  # wrong reference
    assert encoder.streaming
    encoder.handle_write(ms.WRITE_UUID, ms.unsubscribe_command())
    assert not encoder.streaming


def test_other_subscriptions_data_is_not_taken_for_imu6() -> None:
    encoder = ms.MovesenseEncoder()
    encoder.reference = 0x20  # another client's subscription on the same characteristic
    payload = encoder.encode(np.array([0.0]), np.array([[0.0, 0.0, 1.0]]), np.zeros((1, 3)))[0]
    decoder = ms.MovesenseDecoder()
    assert len(decoder.feed(payload)) == 0
    assert decoder.stats.bad_frames == 1
