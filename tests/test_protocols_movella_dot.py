"""Movella DOT: measurement/output-rate command bytes, mode-21 round trip, virtual device rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sensortrack.drivers.protocols import movella_dot as dot


def test_measurement_control_bytes() -> None:
    assert dot.measurement_command(True) == bytes.fromhex("01 01 15")  # start, payload mode 21
    assert dot.measurement_command(False) == bytes.fromhex("01 00 15")


def test_output_rate_write_touches_only_the_rate() -> None:
    command = dot.output_rate_command(30)
    assert len(command) == 32
    assert command[0] == 0x10  # visit index bit 4: output rate
    assert command[24:26] == (30).to_bytes(2, "little")
    assert set(command[1:24]) | set(command[26:]) == {0}
    with pytest.raises(ValueError):
        dot.output_rate_command(50)


def test_start_sets_the_rate_before_measuring() -> None:
    writes = dot.start_writes(20)
    assert [w.char_uuid for w in writes] == [dot.DEVICE_CONTROL_UUID, dot.MEASUREMENT_CONTROL_UUID]


def test_uuids_use_the_movella_base() -> None:
    assert dot.MEDIUM_PAYLOAD_UUID == "15172003-4947-11e9-8646-d663bd873d93"


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 30), t0=st.floats(0, 4000), data=st.data())
def test_round_trip(n: int, t0: float, data: st.DataObject) -> None:
    acc = data.draw(arrays(np.float64, (n, 3), elements=st.floats(-16, 16)))
    gyro = data.draw(arrays(np.float64, (n, 3), elements=st.floats(-2000, 2000)))
    t = t0 + np.arange(n) / 60.0
    decoder = dot.MovellaDotDecoder(60.0)
    out = [decoder.feed(p) for p in dot.MovellaDotEncoder(60.0).encode(t, acc, gyro)]
    np.testing.assert_allclose(np.concatenate([d.acc_g for d in out]), acc, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.concatenate([d.gyro_dps for d in out]), gyro, rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(np.concatenate([d.device_time_s for d in out]), t, atol=0.5e-6 + 1e-9, rtol=0)
    assert decoder.stats.lost_samples == 0


def test_rate_cannot_change_while_measuring() -> None:
    encoder = dot.MovellaDotEncoder(60.0)
    encoder.handle_write(dot.DEVICE_CONTROL_UUID, dot.output_rate_command(20))
    assert encoder.rate_hz == 20.0
    encoder.handle_write(dot.MEASUREMENT_CONTROL_UUID, dot.measurement_command(True))
    assert encoder.streaming
    encoder.handle_write(dot.DEVICE_CONTROL_UUID, dot.output_rate_command(60))
    assert encoder.rate_hz == 20.0
    control = encoder.read(dot.DEVICE_CONTROL_UUID)
    assert control is not None and int.from_bytes(control[24:26], "little") == 20
    assert encoder.read(dot.MEASUREMENT_CONTROL_UUID) == dot.measurement_command(True)
    encoder.handle_write(dot.MEASUREMENT_CONTROL_UUID, dot.measurement_command(True, payload_mode=2))
    assert encoder.streaming  # other payload modes are not simulated: ignored
    encoder.handle_write(dot.MEASUREMENT_CONTROL_UUID, dot.measurement_command(False))
    assert not encoder.streaming
