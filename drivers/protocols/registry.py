"""Every supported sensor family by model id: how to recognise it, talk to it, decode and fake it.

Shape (stable; the BLE layer and the virtual peripherals build on it):

    FAMILIES: dict[str, FamilyDescriptor]   # model id -> descriptor, ids listed in MODEL_IDS

    FamilyDescriptor (base.py), frozen:
      model, display_name            "polar_h10", "Polar H10"
      match: ScanMatch               .matches(local_name, advertised_service_uuids) -> bool
      service_uuid, data_uuid        the stream's service and notify characteristic
      control_uuid                   where commands are written (None if none)
      notify_uuids                   subscribe to ALL of these before start_writes, and feed every
                                     notification from any of them to the decoder (Polar's control
                                     point answers, WitMotion's register replies arrive that way)
      characteristics                CharacteristicSpec(service_uuid, uuid, properties, initial_value)
                                     for every characteristic a virtual peripheral must serve
      has_gyro, rates_hz, default_rate_hz, nearest_rate_hz(rate)
      clock                          "device" (Decoded.device_time_s filled) | "host"
      has_sequence                   Decoded.sequence filled
      new_decoder(rate_hz[, full_scale]) -> Decoder (.feed(payload) -> Decoded, .stats, .refusal)
      new_encoder(rate_hz, max_payload) -> Encoder (.encode(t_s, acc_g, gyro_dps) -> [payload],
                                     .handle_write(uuid, data) -> [Notification], .subscribed(uuid, on),
                                     .read(uuid) -> bytes | None, .streaming, .rate_hz)
      start_writes(rate_hz[, full_scale]), stop_writes()  -> tuple[GattWrite(char_uuid, data,
                                     with_response, delay_after_s)], to perform in order;
                                     full_scale = FullScale(acc_g, gyro_dps) where settable
      max_acc_g, max_gyro_dps        full scale the stream can carry (the largest range)
      ranges: RangeSupport           settable ranges (acc_g, gyro_dps), default (±8 g / ±2000 °/s
                                     where settable; the fixed range, or None if unknown),
                                     fixed_reason; .choose(acc_g, gyro_dps, device) validates

A virtual peripheral serves `characteristics`, forwards writes to `handle_write` and sends the
returned notifications, calls `subscribed` on CCCD changes, answers reads from `read` (falling back
to `initial_value`), and while `streaming` sends `encode(...)` output on `data_uuid` at `rate_hz`.
"""

from __future__ import annotations

from sensortrack.drivers.protocols import movella_dot, movesense, open_profile, polar, thingy52, witmotion
from sensortrack.drivers.protocols.base import FamilyDescriptor

FAMILIES: dict[str, FamilyDescriptor] = {
    family.model: family
    for family in (
        witmotion.FAMILY,
        movesense.FAMILY,
        polar.VERITY_FAMILY,
        polar.H10_FAMILY,
        movella_dot.FAMILY,
        thingy52.FAMILY,
        open_profile.FAMILY,
    )
}

MODEL_IDS: tuple[str, ...] = tuple(FAMILIES)


def family_for_advertisement(name: str | None, service_uuids: list[str] | tuple[str, ...] = ()) -> FamilyDescriptor | None:
    """The family a scanned device belongs to; a name match wins over a service-only match.

    Name first, because several families share services (Polar H10 and Verity both expose PMD).
    """
    for family in FAMILIES.values():
        if family.match.name_matches(name):
            return family
    for family in FAMILIES.values():
        if family.match.matches(None, service_uuids):
            return family
    return None
