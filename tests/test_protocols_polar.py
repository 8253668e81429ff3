"""Polar PMD: control-point bytes and answers, delta compression, ACC/GYRO pairing, round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sensortrack.drivers.protocols import polar

VERITY_RATE = 52.0


def test_h10_acc_start_matches_bleakheart_defaults() -> None:
    # bleakheart: rate 200, resolution 16, range 2 -> 02 02 00 01 C8 00 01 01 10 00 02 01 02 00
    assert polar.acc_start_request(200, 2) == bytes.fromhex("02 02 00 01 C8 00 01 01 10 00 02 01 02 00")


def test_verity_start_enters_sdk_mode_only_for_other_rates() -> None:
    at_52 = [w.data for w in polar.verity_start_writes(52)]
    assert at_52 == [
        bytes.fromhex("02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03"),
        bytes.fromhex("02 05 00 01 34 00 01 01 10 00 02 01 D0 07 04 01 03"),
    ]
    at_104 = [w.data for w in polar.verity_start_writes(104)]
    assert at_104[0] == bytes.fromhex("02 09") and len(at_104) == 3
    assert [w.data for w in polar.verity_stop_writes()] == [bytes.fromhex(h) for h in ("03 05", "03 02", "03 09")]
    with pytest.raises(ValueError):
        polar.h10_start_writes(52)


@pytest.mark.parametrize(
    "raw",
    ["F0", "F0 02 02", "F0 02 02 00 00 05", "F0 02 02 00 00 05 01 00 00", "F0 02 02 00 00 63 01 00", "0F 05 00"],
)
def test_malformed_control_responses_are_refused(raw: str) -> None:
    assert polar.parse_control_response(bytes.fromhex(raw)) is None


def test_control_response_with_settings() -> None:
    response = polar.parse_control_response(bytes.fromhex("F0 01 02 00 00 00 02 19 00 32 00 01 01 10 00 02 01 08 00"))
    assert response is not None and response.ok and response.op == polar.OP_GET_SETTINGS
    assert response.settings == {0: (25, 50), 1: (16,), 2: (8,)}
    assert response.factor is None


def test_sdk_compressed_type1_vector() -> None:
    # polar-ble-sdk AccDataTest.swift testProcessAccCompressedFrameType1: F1 FF 14 00 F0 03 | 06 01 | 7B 0F 08
    samples = polar.decode_delta_frames(bytes.fromhex("F1 FF 14 00 F0 03 06 01 7B 0F 08"), 3, 16)
    assert samples is not None
    np.testing.assert_array_equal(samples, [[-15, 20, 1008], [-20, 17, 1008]])


def test_one_bit_deltas_are_signed_as_in_the_official_sdk() -> None:
    # reference (0,0,0), block width 1, count 1, bits 1,1,0 -> deltas (-1, -1, 0)
    samples = polar.decode_delta_frames(bytes(6) + bytes((1, 1, 0b011)), 3, 16)
    np.testing.assert_array_equal(samples, [[0, 0, 0], [-1, -1, 0]])


@settings(max_examples=80, deadline=None)
@given(
    values=st.integers(1, 60).flatmap(
        lambda n: arrays(np.int64, (n, 3), elements=st.integers(-32768, 32767))
    ),
    block=st.integers(1, 255),
)
def test_delta_compression_round_trip(values: np.ndarray, block: int) -> None:
    encoded = polar.encode_delta_frames(values, block_samples=block)
    np.testing.assert_array_equal(polar.decode_delta_frames(encoded, 3, 16), values)


def _started(verity: bool, rate: float, max_payload: int = 244) -> tuple[polar.PolarEncoder, polar.PolarDecoder]:
    encoder = polar.PolarEncoder(rate, max_payload, verity=verity)
    decoder = polar.PolarDecoder(rate, gyro=verity)
    writes = polar.verity_start_writes(rate) if verity else polar.h10_start_writes(rate)
    for write in writes:
        for reply in encoder.handle_write(write.char_uuid, write.data):
            decoder.feed(reply.data)
    assert all(r.ok for r in decoder.responses)
    return encoder, decoder


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 80),
    rate=st.sampled_from(polar.VERITY_RATES_HZ),
    max_payload=st.sampled_from([40, 100, 244]),
    data=st.data(),
)
def test_verity_round_trip(n: int, rate: float, max_payload: int, data: st.DataObject) -> None:
    acc = data.draw(arrays(np.float64, (n, 3), elements=st.floats(-7.9, 7.9)))
    gyro = data.draw(arrays(np.float64, (n, 3), elements=st.floats(-1990, 1990)))
    encoder, decoder = _started(True, rate, max_payload)
    t = 7.0e8 + np.arange(n) / rate  # ~2022 in seconds since 2000
    payloads = encoder.encode(t, acc, gyro)
    assert all(len(p) <= max_payload for p in payloads)
    out = [d for d in (decoder.feed(p) for p in payloads) if len(d)]
    got_acc = np.concatenate([d.acc_g for d in out])
    assert len(got_acc) == n
    np.testing.assert_allclose(got_acc, acc, atol=encoder.factors[polar.MEAS_ACC] / 2 + 1e-9)
    np.testing.assert_allclose(np.concatenate([d.gyro_dps for d in out]), gyro, atol=encoder.factors[polar.MEAS_GYRO] / 2 + 1e-6)
    np.testing.assert_allclose(np.concatenate([d.device_time_s for d in out]), t, atol=2e-6, rtol=0)
    assert decoder.unpaired_samples == 0


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 120), data=st.data())
def test_h10_round_trip_in_milli_g(n: int, data: st.DataObject) -> None:
    acc = data.draw(arrays(np.float64, (n, 3), elements=st.floats(-8, 8)))
    encoder, decoder = _started(False, 100.0)
    out = [decoder.feed(p) for p in encoder.encode(np.arange(n) / 100.0, acc, None)]
    assert all(d.gyro_dps is None for d in out)
    np.testing.assert_allclose(np.concatenate([d.acc_g for d in out]), acc, atol=0.0005 + 1e-12)


def test_lost_gyro_frame_keeps_pairs_aligned() -> None:
    encoder, decoder = _started(True, VERITY_RATE, max_payload=60)
    n = 40
    t = 1000.0 + np.arange(n) / VERITY_RATE
    acc = np.column_stack([np.arange(n) / 100.0, np.zeros(n), np.ones(n)])  # x encodes the index
    gyro = np.column_stack([np.arange(n) * 10.0, np.zeros(n), np.zeros(n)])
    payloads = encoder.encode(t, acc, gyro)
    gyro_frames = [p for p in payloads if p[0] == polar.MEAS_GYRO]
    assert len(gyro_frames) > 2
    lost = gyro_frames[1]
    lost_count = len(polar.decode_delta_frames(lost[polar.HEADER_BYTES :], 3, 16))
    out = [d for d in (decoder.feed(p) for p in payloads if p is not lost) if len(d)]
    got_acc = np.concatenate([d.acc_g for d in out])
    got_gyro = np.concatenate([d.gyro_dps for d in out])
    assert len(got_acc) == n - lost_count
    assert decoder.unpaired_samples == lost_count
    np.testing.assert_array_equal(np.rint(got_gyro[:, 0] / 10.0), np.rint(got_acc[:, 0] * 100.0))  # same index


def test_acc_is_not_withheld_when_the_gyro_stream_never_starts() -> None:
    encoder, decoder = _started(True, VERITY_RATE)
    encoder.active.discard(polar.MEAS_GYRO)
    n = int(3 * VERITY_RATE)
    out = [decoder.feed(p) for p in encoder.encode(np.arange(n) / VERITY_RATE, np.zeros((n, 3)), np.zeros((n, 3)))]
    total = sum(len(d) for d in out)
    assert total > VERITY_RATE * 2
    assert all(d.gyro_dps is None for d in out if len(d))


def test_virtual_sensor_refuses_what_the_real_one_refuses() -> None:
    verity = polar.PolarEncoder(VERITY_RATE, verity=True)
    [reply] = verity.handle_write(polar.CONTROL_POINT_UUID, polar.acc_start_request(104, 8, channels=3))
    response = polar.parse_control_response(reply.data)
    assert response is not None and response.message == "invalid sample rate"  # 104 Hz needs SDK mode
    h10 = polar.PolarEncoder(100.0, verity=False)
    [reply] = h10.handle_write(polar.CONTROL_POINT_UUID, polar.gyro_start_request(100, 2000))
    response = polar.parse_control_response(reply.data)
    assert response is not None and response.status == polar.STATUS_NOT_SUPPORTED
    features = h10.read(polar.CONTROL_POINT_UUID)
    assert features is not None and features[0] == polar.CP_FEATURES
    assert int.from_bytes(features[1:], "little") & (1 << polar.MEAS_GYRO) == 0
    [reply] = h10.handle_write(polar.CONTROL_POINT_UUID, polar.get_settings_request(polar.MEAS_ACC))
    settings_reply = polar.parse_control_response(reply.data)
    assert settings_reply is not None
    assert settings_reply.settings[polar.SETTING_SAMPLE_RATE] == (25, 50, 100, 200)


def test_factor_from_start_response_is_used() -> None:
    decoder = polar.PolarDecoder(VERITY_RATE, gyro=False)
    start = polar.settings_response(polar.OP_START, polar.MEAS_ACC, 0, {polar.SETTING_FACTOR: (0x3F800000,)})  # 1.0
    decoder.feed(start)
    frame = polar.data_frame(polar.MEAS_ACC, 10**9, polar.COMPRESSED_BIT, polar.encode_delta_frames(np.array([[1, 2, 3]])))
    np.testing.assert_allclose(decoder.feed(frame).acc_g, [[1.0, 2.0, 3.0]])
    refused = polar.settings_response(polar.OP_START, polar.MEAS_ACC, 8, {polar.SETTING_FACTOR: (0x40000000,)})
    decoder.feed(refused)
    assert decoder.factors[polar.MEAS_ACC] == 1.0  # a failed start changes nothing
