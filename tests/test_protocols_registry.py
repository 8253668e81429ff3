"""The registry's descriptors are complete and consistent, and every family's virtual device obeys
its own start/stop writes: what the BLE layer and the virtual peripherals rely on."""

from __future__ import annotations

import pytest

from sensortrack.drivers.protocols.registry import FAMILIES, MODEL_IDS, family_for_advertisement


def test_every_model_id_is_registered() -> None:
    assert set(MODEL_IDS) == {
        "witmotion", "movesense", "polar_verity", "polar_h10", "movella_dot", "thingy52", "open_profile",
    }  # fmt: skip
    assert all(FAMILIES[m].model == m for m in MODEL_IDS)


@pytest.mark.parametrize("model", MODEL_IDS)
def test_descriptor_is_consistent(model: str) -> None:
    family = FAMILIES[model]
    by_uuid = {c.uuid: c for c in family.characteristics}
    assert family.data_uuid in family.notify_uuids
    assert all("notify" in by_uuid[u].properties for u in family.notify_uuids)
    assert by_uuid[family.data_uuid].service_uuid == family.service_uuid
    assert family.default_rate_hz in family.rates_hz
    assert list(family.rates_hz) == sorted(family.rates_hz)
    assert family.max_acc_g > 0
    assert (family.max_gyro_dps > 0) == family.has_gyro
    assert all(u == u.lower() for u in by_uuid)  # bleak reports lower-case UUIDs
    writes = [w for rate in family.rates_hz for w in family.start_writes(rate)] + list(family.stop_writes())
    for write in writes:
        assert write.char_uuid in by_uuid
        assert by_uuid[write.char_uuid].properties & {"write", "write_without_response"}
        assert write.with_response <= ("write" in by_uuid[write.char_uuid].properties)


@pytest.mark.parametrize(
    ("name", "services", "model"),
    [
        ("WT901BLE68", [], "witmotion"),
        (None, ["0000ffe5-0000-1000-8000-00805f9a34fb"], "witmotion"),
        (None, ["0000FFE5-0000-1000-8000-00805F9B34FB"], "witmotion"),  # SIG-base variant, upper case
        ("Movesense 175030000123", [], "movesense"),
        ("Polar Sense 1A2B3C4D", ["fb005c80-02e7-f387-1cad-8acd2d8df0c8"], "polar_verity"),
        ("Polar H10 1A2B3C4D", ["fb005c80-02e7-f387-1cad-8acd2d8df0c8"], "polar_h10"),
        ("Movella DOT", [], "movella_dot"),
        ("Xsens DOT", [], "movella_dot"),
        ("Thingy", [], "thingy52"),
        (None, ["ef680100-9b35-4933-9b10-52ffa9740042"], "thingy52"),
        ("sensortrack-1A2B", ["6e400001-b5a3-f393-e0a9-e50e24dcca9e"], "open_profile"),
    ],
)
def test_advertisements_are_recognised(name: str | None, services: list[str], model: str) -> None:
    family = family_for_advertisement(name, services)
    assert family is not None and family.model == model


@pytest.mark.parametrize(
    ("name", "services"),
    [
        (None, ["fb005c80-02e7-f387-1cad-8acd2d8df0c8"]),  # PMD alone: H10 or Verity? unknown
        ("Polar OH1 1A2B3C4D", ["fb005c80-02e7-f387-1cad-8acd2d8df0c8"]),  # unsupported model
        ("Nordic_UART", ["6e400001-b5a3-f393-e0a9-e50e24dcca9e"]),  # someone else's NUS gadget
        ("Headphones", ["0000180f-0000-1000-8000-00805f9b34fb"]),
        (None, []),
        ("", []),
    ],
)
def test_other_devices_are_not_claimed(name: str | None, services: list[str]) -> None:
    assert family_for_advertisement(name, services) is None


@pytest.mark.parametrize("model", MODEL_IDS)
def test_virtual_device_follows_start_and_stop_writes(model: str) -> None:
    family = FAMILIES[model]
    for rate in family.rates_hz:
        encoder = family.new_encoder(family.default_rate_hz, 244)
        decoder = family.new_decoder(rate)
        for uuid in family.notify_uuids:
            encoder.subscribed(uuid, True)
        for write in family.start_writes(rate):
            for reply in encoder.handle_write(write.char_uuid, write.data):
                assert reply.char_uuid in family.notify_uuids
                decoder.feed(reply.data)
        assert encoder.streaming, f"{model} not streaming after start at {rate} Hz"
        assert encoder.rate_hz == rate
        assert decoder.stats.bad_frames == 0 and decoder.stats.skipped_bytes == 0
        for write in family.stop_writes():
            encoder.handle_write(write.char_uuid, write.data)
        if family.stop_writes():
            assert not encoder.streaming
        for uuid in family.notify_uuids:
            encoder.subscribed(uuid, False)  # families without a stop command stop this way
        assert not encoder.streaming


def test_nearest_rate_prefers_the_higher_on_a_tie() -> None:
    witmotion = FAMILIES["witmotion"]
    assert witmotion.nearest_rate_hz(150.0) == 200.0
    assert witmotion.nearest_rate_hz(60.0) == 50.0
    assert FAMILIES["polar_h10"].nearest_rate_hz(1000.0) == 200.0
