"""Properties every family's decoder keeps, whatever bytes arrive.

- feed() never raises: random bytes, mangled valid streams, even things that are not bytes;
- the byte accounting adds up: bytes_in == used_bytes + skipped_bytes + pending_bytes;
- every result is well-formed (shapes agree) and stats.samples counts exactly what was returned;
- a valid stream, encoded by the family's own encoder, survives being re-split at arbitrary points
  wherever the protocol is a byte stream (WitMotion, open profile).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensortrack.drivers.protocols.base import MAX_LINK_SILENCE_S, Decoded
from sensortrack.drivers.protocols.registry import FAMILIES, MODEL_IDS

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STREAM_FAMILIES = ("witmotion", "open_profile")  # framers over a byte stream


def _check_result(decoded: Decoded) -> None:
    n = len(decoded)
    assert decoded.acc_g.shape == (n, 3)
    if decoded.gyro_dps is not None:
        assert decoded.gyro_dps.shape == (n, 3)
    if decoded.device_time_s is not None:
        assert decoded.device_time_s.shape == (n,)
    if decoded.sequence is not None:
        assert decoded.sequence.shape == (n,)


def _feed_all(decoder: Any, payloads: list[Any]) -> int:
    total = 0
    for payload in payloads:
        decoded = decoder.feed(payload)
        _check_result(decoded)
        total += len(decoded)
    stats = decoder.stats
    assert stats.bytes_in == stats.used_bytes + stats.skipped_bytes + decoder.pending_bytes
    assert stats.samples == total
    assert stats.notifications == len(payloads)
    assert stats.bad_frames <= stats.notifications + stats.skipped_bytes
    return total


def _valid_stream(model: str, n: int = 24, seed: int = 0) -> list[bytes]:
    """Notifications a started virtual device of this family sends for n random samples."""
    family = FAMILIES[model]
    rate = family.default_rate_hz
    encoder = family.new_encoder(rate, 244)
    payloads = []
    for uuid in family.notify_uuids:
        encoder.subscribed(uuid, True)
    for write in family.start_writes(rate):
        payloads += [reply.data for reply in encoder.handle_write(write.char_uuid, write.data)]
    rng = np.random.default_rng(seed)
    t = 5.0 + np.arange(n) / rate
    acc = rng.uniform(-2, 2, (n, 3))
    gyro = rng.uniform(-300, 300, (n, 3)) if family.has_gyro else None
    payloads += encoder.encode(t, acc, gyro)
    return payloads


@pytest.mark.parametrize("model", MODEL_IDS)
@FAST
@given(payloads=st.lists(st.binary(max_size=300), max_size=12))
def test_random_bytes_never_raise_and_add_up(model: str, payloads: list[bytes]) -> None:
    _feed_all(FAMILIES[model].new_decoder(FAMILIES[model].default_rate_hz), payloads)


@pytest.mark.parametrize("model", MODEL_IDS)
def test_things_that_are_not_bytes_are_ignored(model: str) -> None:
    decoder = FAMILIES[model].new_decoder(FAMILIES[model].default_rate_hz)
    for junk in (None, "55 61", 42, [1, 2, 3], b"", bytearray(b"\x00"), memoryview(b"\x01\x02")):
        assert len(decoder.feed(junk)) == 0  # type: ignore[arg-type]
    assert decoder.stats.notifications == 7
    assert decoder.stats.bytes_in == 3


Mutation = tuple[str, int, int]
MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "truncate", "drop", "duplicate", "swap", "insert", "splice"]),
        st.integers(min_value=0, max_value=10_000),
        st.integers(min_value=0, max_value=255),
    ),
    min_size=1,
    max_size=6,
)


def _mutate(payloads: list[bytes], mutations: list[Mutation]) -> list[bytes]:
    out = list(payloads)
    for kind, where, value in mutations:
        if not out:
            break
        k = where % len(out)
        data = bytearray(out[k])
        if kind == "flip" and data:
            data[where % len(data)] ^= value or 0xFF
            out[k] = bytes(data)
        elif kind == "truncate":
            out[k] = bytes(data[: where % (len(data) + 1)])
        elif kind == "drop":
            del out[k]
        elif kind == "duplicate":
            out.insert(k, out[k])
        elif kind == "swap" and len(out) > 1:
            j = (k + 1) % len(out)
            out[k], out[j] = out[j], out[k]  # out of order delivery
        elif kind == "insert":
            out.insert(k, bytes([value]) * (where % 7))
        elif kind == "splice" and len(out) > 1:
            j = (k + 1) % len(out)
            joined = out[k] + out[j]
            cut = where % (len(joined) + 1)
            out[k], out[j] = joined[:cut], joined[cut:]
    return out


@pytest.mark.parametrize("model", MODEL_IDS)
@FAST
@given(mutations=MUTATIONS, seed=st.integers(0, 3))
def test_mangled_valid_streams_never_raise_and_add_up(model: str, mutations: list[Mutation], seed: int) -> None:
    payloads = _mutate(_valid_stream(model, seed=seed), mutations)
    _feed_all(FAMILIES[model].new_decoder(FAMILIES[model].default_rate_hz), payloads)


@pytest.mark.parametrize("model", MODEL_IDS)
def test_unmangled_stream_decodes_every_sample(model: str) -> None:
    decoder = FAMILIES[model].new_decoder(FAMILIES[model].default_rate_hz)
    total = _feed_all(decoder, _valid_stream(model, n=24))
    open_profile_held = 24 % 4 if model == "open_profile" else 0  # the encoder holds a partial packet
    assert total == 24 - open_profile_held
    assert decoder.stats.skipped_bytes == 0
    assert decoder.stats.bad_frames == 0
    assert decoder.stats.lost_samples == 0
    assert decoder.stats.out_of_order == 0


@pytest.mark.parametrize("model", STREAM_FAMILIES)
@FAST
@given(cuts=st.lists(st.integers(min_value=0, max_value=2_000), max_size=20))
def test_byte_streams_decode_the_same_however_they_are_split(model: str, cuts: list[int]) -> None:
    whole = b"".join(_valid_stream(model))
    points = sorted({c % (len(whole) + 1) for c in cuts} | {0, len(whole)})
    pieces = [whole[a:b] for a, b in zip(points, points[1:], strict=False)]
    reference = FAMILIES[model].new_decoder(FAMILIES[model].default_rate_hz)
    expected = [d for d in (reference.feed(p) for p in _valid_stream(model)) if len(d)]
    decoder = FAMILIES[model].new_decoder(FAMILIES[model].default_rate_hz)
    results = [d for d in (decoder.feed(p) for p in pieces) if len(d)]
    np.testing.assert_array_equal(
        np.concatenate([d.acc_g for d in results]), np.concatenate([d.acc_g for d in expected])
    )
    assert decoder.stats.skipped_bytes == 0
    assert decoder.pending_bytes == 0


@pytest.mark.parametrize("model", MODEL_IDS)
def test_corrupt_stamps_never_claim_more_lost_samples_than_a_link_can_miss(model: str) -> None:
    # Polar frames carry no checksum: random bytes in a frame's time or sequence field once added
    # 2.5e11 to lost_samples (hardening sweep, session 9). A decoder lives for one connection, which
    # cannot stay silent past the BLE supervision timeout, so no single step may claim more than that.
    family = FAMILIES[model]
    rate = family.default_rate_hz
    payloads = _valid_stream(model, n=3000, seed=3)
    rng = np.random.default_rng(7)
    mangled = []
    for payload in payloads:
        data = bytearray(payload)
        if data and rng.random() < 0.5:  # in the header, where the time or sequence field is
            data[int(rng.integers(min(len(data), 12)))] = int(rng.integers(256))
        mangled.append(bytes(data))
    decoder = family.new_decoder(rate)
    _feed_all(decoder, mangled)
    steps = decoder.stats.frames + decoder.stats.bad_frames
    assert decoder.stats.lost_samples <= steps * MAX_LINK_SILENCE_S * rate
    # and the count is not simply switched off: a real hole of 1 s is still counted
    whole = family.new_decoder(rate)
    kept = [p for i, p in enumerate(payloads) if i not in range(len(payloads) // 2, len(payloads) // 2 + 3)]
    _feed_all(whole, kept)
    if model in ("polar_verity", "polar_h10", "movesense", "movella_dot", "open_profile"):
        assert whole.stats.lost_samples > 0 and whole.stats.clock_leaps == 0
