"""Nordic Thingy:52: configuration bytes, fixed-point round trip, saturation, virtual device."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sensortrack.drivers.protocols import thingy52 as th


def test_config_bytes() -> None:
    # u16 1000 ms, u16 500 ms, u16 500 ms, u16 100 Hz, u8 wake-on-motion
    assert th.config_command(100) == bytes.fromhex("E8 03 F4 01 F4 01 64 00 01")
    with pytest.raises(ValueError):
        th.config_command(201)
    with pytest.raises(ValueError):
        th.config_command(50, compass_interval_ms=50)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 30), data=st.data())
def test_round_trip_within_half_a_count(n: int, data: st.DataObject) -> None:
    acc = data.draw(arrays(np.float64, (n, 3), elements=st.floats(-1.99, 1.99)))  # the IMU's ±2 g
    gyro = data.draw(arrays(np.float64, (n, 3), elements=st.floats(-1023, 1023)))
    decoder = th.Thingy52Decoder()
    out = [decoder.feed(p) for p in th.Thingy52Encoder().encode(np.zeros(n), acc, gyro)]
    np.testing.assert_allclose(np.concatenate([d.acc_g for d in out]), acc, atol=0.5 / 1024 + 1e-12)
    np.testing.assert_allclose(np.concatenate([d.gyro_dps for d in out]), gyro, atol=0.5 / 32 + 1e-12)
    assert all(d.device_time_s is None and d.sequence is None for d in out)


def test_full_scale_saturates_like_the_imu_and_the_firmware_clamp() -> None:
    [payload] = th.Thingy52Encoder().encode(np.zeros(1), np.array([[40.0, -40.0, 0.0]]), np.array([[2000.0, 0, 0]]))
    decoded = th.Thingy52Decoder().feed(payload)
    np.testing.assert_allclose(decoded.acc_g, [[2.0, -2.0, 0.0]])  # the MPU-9250 at ±2 g saturates
    assert decoded.gyro_dps[0, 0] == pytest.approx(32767 / 32)  # Q11.5 clamps the ±2000 °/s gyro
    # The BLE format itself carries up to ±32 g; the recorder rejects such values as corrupted.
    raw = np.array([32767, -32768, 0, 0, 0, 0, 0, 0, 0], dtype="<i2").tobytes()
    np.testing.assert_allclose(th.Thingy52Decoder().feed(raw).acc_g, [[32767 / 1024, -32.0, 0.0]])


def test_virtual_device_streams_on_subscribe_and_obeys_config() -> None:
    encoder = th.Thingy52Encoder()
    assert not encoder.streaming
    encoder.subscribed(th.RAW_DATA_UUID, True)
    assert encoder.streaming
    encoder.handle_write(th.MOTION_CONFIG_UUID, th.config_command(100))
    assert encoder.rate_hz == 100.0
    assert encoder.read(th.MOTION_CONFIG_UUID) == th.config_command(100)
    out_of_range = bytes.fromhex("E8 03 F4 01 F4 01 2C 01 01")  # 300 Hz
    encoder.handle_write(th.MOTION_CONFIG_UUID, out_of_range)
    assert encoder.rate_hz == 100.0
