"""Faults a virtual sensor can be told to commit, to test that recordings survive them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Faults:
    """Times are seconds into the session being played (the sensor's stream time).

    - link drop: at each `drop_at_s` the sensor closes the connection, stays silent (not even
      advertising) for `readvertise_after_s`, then advertises again so the client can reconnect;
    - stall: from each `stall_at_s`, `stall_s` seconds of samples are never sent (the link stays up);
    - packet loss: each data notification is dropped with probability `loss`;
    - garbage: before each data notification, a notification of random bytes is sent with
      probability `garbage`.
    Random choices come from `seed`, so a faulty run is reproducible.
    """

    drop_at_s: tuple[float, ...] = ()
    readvertise_after_s: float = 1.0
    stall_at_s: tuple[float, ...] = ()
    stall_s: float = 2.0
    loss: float = 0.0
    garbage: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("loss", "garbage"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability between 0 and 1, got {value}")
        if self.readvertise_after_s < 0 or self.stall_s < 0:
            raise ValueError("durations must not be negative")
