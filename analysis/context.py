"""What the analysis must know about a recording besides its samples."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AnalysisContext:
    exercise: str  # one of sensortrack.model.EXERCISES
    placement: str  # "thigh" | "shank"
    side: str  # "left" | "right": decides which way is medial
    rate_hz: float  # nominal sample rate
    has_gyro: bool = True
