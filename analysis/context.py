"""What the analysis must know about a recording besides its samples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sensortrack.core.vocabulary import Exercise, Placement, Side

if TYPE_CHECKING:
    from sensortrack.analysis.reference import DriftReference


@dataclass(frozen=True, slots=True)
class AnalysisContext:
    exercise: Exercise
    placement: Placement
    side: Side  # decides which way is medial
    rate_hz: float  # nominal sample rate
    has_gyro: bool = True
    # The person's own good reps of this exercise/placement/side: knee-drift warnings are judged
    # against it. None: judged against the session's own reps (the result says so).
    reference: DriftReference | None = None
