"""Measuring ranges at the protocol level: what each family can be set to, the bytes that set it,
and virtual devices that honour or refuse a range exactly as the real ones do."""

from __future__ import annotations

import random
import warnings

import numpy as np
import pytest

from sensortrack.drivers.protocols import movella_dot, movesense, open_profile, polar, witmotion
from sensortrack.drivers.protocols.base import FullScale
from sensortrack.drivers.protocols.registry import FAMILIES

RNG = np.random.default_rng(7)


def _motion(n: int, acc_peak_g: float, gyro_peak_dps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = 1000.0 + np.arange(n) / 52.0
    acc = np.clip(RNG.normal(0.0, acc_peak_g / 3, (n, 3)), -acc_peak_g, acc_peak_g)
    gyro = np.clip(RNG.normal(0.0, gyro_peak_dps / 3, (n, 3)), -gyro_peak_dps, gyro_peak_dps)
    return t, acc, gyro


def _cp_answers(encoder: polar.PolarEncoder, writes: tuple) -> list[polar.ControlResponse]:
    answers = []
    for write in writes:
        [reply] = encoder.handle_write(write.char_uuid, write.data)
        response = polar.parse_control_response(reply.data)
        assert response is not None
        answers.append(response)
    return answers


# ---------------------------------------------------------------- what can be chosen


def test_every_family_states_its_ranges() -> None:
    for family in FAMILIES.values():
        ranges = family.ranges
        if ranges.settable:
            assert ranges.default is not None and ranges.default.acc_g in ranges.acc_g
            assert (ranges.default.gyro_dps in ranges.gyro_dps) if family.has_gyro else ranges.default.gyro_dps == 0
            assert max(ranges.acc_g) <= family.max_acc_g  # the plausibility bound covers every choice
        else:
            assert ranges.fixed_reason  # scan/record/docs say why
    # Where the protocol can set it, our default is ±8 g / ±2000 °/s (docs/live-sensors.md).
    for model in ("polar_verity", "open_profile"):
        assert FAMILIES[model].ranges.default == FullScale(8.0, 2000.0)
    assert FAMILIES["polar_h10"].ranges.default == FullScale(8.0)


def test_choosing_a_range_checks_it_against_the_device() -> None:
    verity = FAMILIES["polar_verity"].ranges
    assert verity.choose(16, None, "V") == FullScale(16.0, 2000.0)
    assert verity.choose(None, 500, "V") == FullScale(8.0, 500.0)
    with pytest.raises(ValueError, match=r"cannot measure at ±3 g; choose ±2/4/8/16 g"):
        verity.choose(3, None, "V")
    with pytest.raises(ValueError, match="no gyroscope"):
        FAMILIES["polar_h10"].ranges.choose(None, 2000, "H10")
    # Fixed devices accept only their own range, and say why nothing else is possible.
    assert FAMILIES["witmotion"].ranges.choose(16, 2000, "W") == witmotion.FIXED_RANGE
    with pytest.raises(ValueError, match="fixed ±16 g"):
        FAMILIES["witmotion"].ranges.choose(8, None, "W")
    with pytest.raises(ValueError, match="fixed ±16 g, ±2000 °/s"):
        FAMILIES["movella_dot"].ranges.choose(None, 1000, "DOT")
    # Movesense: GSP cannot PUT /Meas/*/Config; the range is whatever the sensor was set to.
    assert FAMILIES["movesense"].ranges.choose(None, None, "M") is None
    with pytest.raises(ValueError, match="cannot send"):
        FAMILIES["movesense"].ranges.choose(8, None, "M")


# ---------------------------------------------------------------- Polar: RANGE in the start request


def test_verity_range_goes_into_the_start_requests_and_needs_sdk_mode_unless_8g_2000dps() -> None:
    default = [w.data for w in polar.verity_start_writes(52)]
    assert default[0][:2] != polar.sdk_mode_request(True)  # normal mode keeps the optical HR on
    writes = [w.data for w in polar.verity_start_writes(52, FullScale(16, 500))]
    assert writes[0] == polar.sdk_mode_request(True)
    # RANGE is setting 2, u16: 16 g = 10 00, 500 °/s = F4 01
    assert bytes.fromhex("02 01 10 00") in writes[1] and writes[1][1] == polar.MEAS_ACC
    assert bytes.fromhex("02 01 F4 01") in writes[2] and writes[2][1] == polar.MEAS_GYRO
    with pytest.raises(ValueError):
        polar.verity_start_writes(52, FullScale(3, 2000))


def test_virtual_verity_rescales_to_the_range_it_was_started_at() -> None:
    encoder = polar.PolarEncoder(52, 244, verity=True)
    writes = polar.verity_start_writes(52, FullScale(16, 1000))
    answers = _cp_answers(encoder, writes)
    assert all(a.ok for a in answers)
    assert answers[1].factor == pytest.approx(16 / 32768) and answers[2].factor == pytest.approx(1000 / 32768)
    decoder = polar.PolarDecoder(52, gyro=True)  # learns the factors from the answers
    for write, answer in zip(writes, answers, strict=True):
        decoder.feed(polar.settings_response(answer.op, answer.measurement, answer.status, answer.settings))
    t, acc, gyro = _motion(200, 15.0, 900.0)  # beyond the default ±8 g: only a ±16 g stream holds it
    out = [decoder.feed(p) for p in encoder.encode(t, acc, gyro)]
    got_acc = np.vstack([d.acc_g for d in out if len(d)])
    got_gyro = np.vstack([d.gyro_dps for d in out if len(d) and d.gyro_dps is not None])
    n = len(got_acc)
    assert n > 150 and np.abs(got_acc).max() > 8.5
    assert np.abs(got_acc - acc[:n]).max() <= 16 / 32768 / 2 + 1e-9  # quantisation at the new range
    assert np.abs(got_gyro - gyro[:n]).max() <= 1000 / 32768 / 2 + 1e-9


def test_virtual_verity_refuses_a_range_it_cannot_measure_at_with_status_9() -> None:
    encoder = polar.PolarEncoder(52, 244, verity=True)
    # Normal mode (no SDK mode first) offers only ±8 g, as the real sensor does.
    [answer] = _cp_answers(encoder, (polar.GattWrite(polar.CONTROL_POINT_UUID, polar.acc_start_request(52, 16, channels=3), True),))
    assert answer.status == polar.STATUS_BAD_RANGE == 9 and answer.message == "invalid range"
    assert not encoder.streaming
    decoder = polar.PolarDecoder(52, gyro=True)
    decoder.feed(polar.settings_response(polar.OP_START, polar.MEAS_ACC, answer.status, {}))
    assert decoder.refusal == "the sensor refused to start ACC: invalid range"
    # "Already in that state" (SDK mode on a second start) is not a refusal.
    other = polar.PolarDecoder(52, gyro=True)
    other.feed(polar.settings_response(polar.OP_START, polar.MEAS_SDK_MODE, polar.STATUS_ALREADY, {}))
    assert other.refusal is None


def test_virtual_h10_saturates_at_its_range_and_refuses_16g() -> None:
    encoder = polar.PolarEncoder(100, 244, verity=False)
    [answer] = _cp_answers(encoder, polar.h10_start_writes(100, FullScale(2)))
    assert answer.ok and encoder.streaming
    decoder = polar.PolarDecoder(100, gyro=False, full_scale=FullScale(2))
    t = np.arange(10) / 100.0
    acc = np.column_stack([np.linspace(-3, 3, 10), np.full(10, 1.5), np.zeros(10)])
    got = np.vstack([decoder.feed(p).acc_g for p in encoder.encode(t, acc, None)])
    np.testing.assert_allclose(got[:, 0], np.clip(np.rint(acc[:, 0] * 1000) / 1000, -2, 2))  # mG, clipped at ±2 g
    refusing = polar.PolarEncoder(100, 244, verity=False)
    [answer] = _cp_answers(refusing, (polar.GattWrite(polar.CONTROL_POINT_UUID, polar.acc_start_request(100, 16), True),))
    assert answer.status == polar.STATUS_BAD_RANGE


# ---------------------------------------------------------------- open profile: SET_RANGE


def test_open_profile_set_range_bytes_and_start_sequence() -> None:
    assert open_profile.set_range_command(16, 500) == bytes.fromhex("53 54 04 10 F4 01")
    writes = [w.data for w in open_profile.start_writes(50, FullScale(16, 500))]
    assert writes == [open_profile.set_rate_command(50), bytes.fromhex("53 54 04 10 F4 01"), open_profile.start_command()]
    assert open_profile.start_writes(50)[1].data == open_profile.set_range_command(8, 2000)  # the host default


@pytest.mark.parametrize(
    ("asked", "used"),
    [((16, 500), (16, 500)), ((3, 300), (4, 500)), ((100, 4000), (16, 2000)), ((2, 245), (2, 245))],
)
def test_virtual_open_profile_uses_its_smallest_range_at_or_above(asked: tuple[int, int], used: tuple[int, int]) -> None:
    encoder = open_profile.OpenProfileEncoder(50, 244)
    for write in open_profile.start_writes(50, FullScale(*asked)):
        encoder.handle_write(write.char_uuid, write.data)
    decoder = open_profile.OpenProfileDecoder()
    t, acc, gyro = _motion(8, min(used[0], 15.0), min(used[1], 1500.0))
    decoded = [decoder.feed(p) for p in encoder.encode(t, acc, gyro)]
    assert decoder.full_scale == FullScale(*used)  # the packets' header says what the device did
    got = np.vstack([d.acc_g for d in decoded if len(d)])
    assert np.abs(got - acc).max() <= used[0] / 32768 / 2 + 1e-9


def test_a_device_that_ignores_set_range_keeps_stating_its_own() -> None:
    # A v1 device without SET_RANGE (the reference sketch) skips the command; the host learns
    # the range from the header and decodes correctly anyway.
    encoder = open_profile.OpenProfileEncoder(50, 244)
    encoder.handle_write(open_profile.NUS_RX_UUID, open_profile.start_command())
    decoder = open_profile.OpenProfileDecoder(50, FullScale(8, 2000))
    t, acc, gyro = _motion(8, 3.5, 1500.0)
    got = np.vstack([d.acc_g for d in (decoder.feed(p) for p in encoder.encode(t, acc, gyro)) if len(d)])
    assert decoder.full_scale == FullScale(open_profile.DEFAULT_ACC_RANGE_G, open_profile.DEFAULT_GYRO_RANGE_DPS)
    assert np.abs(got - acc).max() <= open_profile.DEFAULT_ACC_RANGE_G / 32768 / 2 + 1e-9


# ---------------------------------------------------------------- float32 decoders and garbage


# Found by feeding random bytes: 6 float32 fields with signalling NaNs, which numpy warns about
# ("invalid value encountered in cast") when converted to float64.
DOT_SNAN_PAYLOAD = bytes.fromhex("ada416dd631fab724bae827fe7641d9bda7a1b26629de7b3332a8541")


def test_dot_decoder_skips_non_finite_values_without_a_warning() -> None:
    decoder = movella_dot.MovellaDotDecoder(60)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        decoded = decoder.feed(DOT_SNAN_PAYLOAD)
    assert len(decoded) == 0 and decoder.stats.bad_frames == 1 and decoder.stats.skipped_bytes == len(DOT_SNAN_PAYLOAD)
    assert decoder.stats.bytes_in == decoder.stats.used_bytes + decoder.stats.skipped_bytes


def test_movesense_decoder_skips_non_finite_values_without_a_warning() -> None:
    body = np.full(6, np.nan, dtype="<f4").view("<u4") | np.uint32(1)  # signalling NaN bits
    payload = bytes((movesense.MSG_DATA, movesense.IMU6_REFERENCE)) + (1000).to_bytes(4, "little") + body.tobytes()
    decoder = movesense.MovesenseDecoder(52)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        decoded = decoder.feed(payload)
    assert len(decoded) == 0 and decoder.stats.bad_frames == 1
    assert decoder.stats.bytes_in == decoder.stats.used_bytes + decoder.stats.skipped_bytes


@pytest.mark.parametrize("model", list(FAMILIES))
def test_no_decoder_warns_on_random_bytes(model: str) -> None:
    """The supervisor no longer silences numpy: decoders must not produce warnings themselves."""
    family = FAMILIES[model]
    decoder = family.new_decoder(family.default_rate_hz)
    rng = random.Random(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3000):
            decoder.feed(bytes(rng.getrandbits(8) for _ in range(rng.choice((1, 18, 20, 28, 30, 40, 54, 64)))))
