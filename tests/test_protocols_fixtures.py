"""Every packet capture in fixtures/packets/ decodes to the values written down next to it.

Each JSON fixture names the model, the rate, optional `setup` notifications (e.g. a Polar start
response carrying the FACTOR), the notifications as hex, and what must come out: sample values,
device times, sequence numbers and the decoder's counters. The bytes were built by hand from the
public layouts (or copied from the vendor SDK's own unit tests, as the fixture's `source` says).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sensortrack.drivers.protocols.base import Decoded
from sensortrack.drivers.protocols.registry import FAMILIES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "packets"
FIXTURE_FILES = sorted(FIXTURES.glob("*/*.json"))


def _hex(text: str) -> bytes:
    return bytes.fromhex(text)


def _decode(fixture: dict[str, Any]) -> tuple[Any, list[Decoded]]:
    decoder = FAMILIES[fixture["model"]].new_decoder(float(fixture["rate_hz"]))
    for text in fixture.get("setup", []):
        assert len(decoder.feed(_hex(text))) == 0
    return decoder, [decoder.feed(_hex(text)) for text in fixture["notifications"]]


def _stack(parts: list[Decoded], name: str) -> np.ndarray | None:
    arrays = [getattr(p, name) for p in parts if len(p)]
    if not arrays:
        return None
    if any(a is None for a in arrays):
        assert all(a is None for a in arrays), f"{name} present in some results only"
        return None
    return np.concatenate(arrays)


def test_there_are_fixtures_for_every_family() -> None:
    families = {path.parent.name for path in FIXTURE_FILES}
    assert families == {"witmotion", "movesense", "polar", "movella_dot", "thingy52", "open_profile"}


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_decodes_to_documented_values(path: Path) -> None:
    fixture = json.loads(path.read_text())
    expected = fixture["expected"]
    tolerance = expected.get("tolerance", 1e-12)
    decoder, parts = _decode(fixture)
    acc = _stack(parts, "acc_g")
    gyro = _stack(parts, "gyro_dps")

    if "acc_g" in expected:
        np.testing.assert_allclose(acc, expected["acc_g"], atol=tolerance)
    if "n" in expected:
        assert acc is not None and len(acc) == expected["n"]
    if "acc_g_head" in expected:
        head = np.array(expected["acc_g_head"])
        np.testing.assert_allclose(acc[: len(head)], head, atol=tolerance)
    if "gyro_dps" in expected:
        if expected["gyro_dps"] is None:
            assert gyro is None
        else:
            np.testing.assert_allclose(gyro, expected["gyro_dps"], atol=tolerance)
    times = _stack(parts, "device_time_s")
    if "device_time_s" in expected:
        np.testing.assert_allclose(times, expected["device_time_s"], atol=tolerance, rtol=0)
    if "device_time_s_first_last" in expected:
        np.testing.assert_allclose([times[0], times[-1]], expected["device_time_s_first_last"], atol=tolerance, rtol=0)
    if "sequence" in expected:
        np.testing.assert_array_equal(_stack(parts, "sequence"), expected["sequence"])

    for name, value in expected["stats"].items():
        actual = decoder.pending_bytes if name == "pending_bytes" else getattr(decoder.stats, name)
        assert actual == value, f"{name}: {actual} != {value}"
    stats = decoder.stats
    assert stats.bytes_in == stats.used_bytes + stats.skipped_bytes + decoder.pending_bytes
    assert stats.samples == sum(len(p) for p in parts)
    assert stats.notifications == len(parts) + len(fixture.get("setup", []))

    _check_family_extras(decoder, expected)


def _check_family_extras(decoder: Any, expected: dict[str, Any]) -> None:
    if "registers" in expected:
        assert {str(k): v for k, v in decoder.registers.items() if str(k) in expected["registers"]} == expected["registers"]
        assert decoder.rate_readback_hz == expected["rate_readback_hz"]
    if "last_angles_deg" in expected:
        np.testing.assert_allclose(decoder.last_angles_deg, expected["last_angles_deg"])
    if "last_compass_ut" in expected:
        np.testing.assert_allclose(decoder.last_compass_ut, expected["last_compass_ut"])
    if "results" in expected:
        assert {str(ref): r.status for ref, r in decoder.results.items()} == expected["results"]
    if "factor" in expected:
        assert decoder.factors[2] == pytest.approx(expected["factor"], rel=1e-7)
    if "responses" in expected:
        got = [[r.op, r.measurement, r.status, r.message] for r in decoder.responses]
        assert got == expected["responses"]
