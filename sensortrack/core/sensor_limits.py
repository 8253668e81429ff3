"""What a sensor cannot do for an exercise and placement, said before the set starts.

The analysis reports drift as None where it is not defined (clamshell) and simply finds nothing
where the sensor cannot see it; the view, the summary and the report name these cases up front
instead. The cases come from the validation (docs/analysis-validation.md, "Still weak"):
- without a gyroscope only gravity is known, so a thigh turning about the vertical (how the knee
  caves on a thigh) is invisible: drift hits were 0 for accelerometer-only thighs;
- on the shank a band-walk step's loaded half is estimated from the swing, so drift in it is not
  seen (drift hits 0 on shank band walks);
- without a gyroscope a shank band-walk step has no lead/trail and the swing alone rarely passes the
  step checks: such sets go uncounted.
"""

from __future__ import annotations

from dataclasses import dataclass

from sensortrack.core.vocabulary import Exercise, Placement


@dataclass(frozen=True, slots=True)
class SensorLimits:
    counts: bool  # reps can be counted
    measures_drift: bool  # knee drift can be measured (False: what is shown is partial or none)
    notes: tuple[str, ...]  # one sentence per limit, for the view, the summary and the report

    @property
    def line(self) -> str:
        return " · ".join(self.notes)


def sensor_limits(exercise: Exercise, placement: Placement, has_gyro: bool) -> SensorLimits:
    counts, drift, notes = True, True, []
    name = exercise.replace("_", " ")
    if exercise == "band_walk" and placement == "shank" and not has_gyro:
        counts = False
        notes.append(f"an accelerometer-only sensor on the shank cannot count {name}s: wear it on the thigh")
    if exercise == "clamshell":
        drift = False
        notes.append("knee drift is not measured for clamshells (the thigh turns about its own axis)")
    elif exercise == "band_walk" and placement == "shank":
        drift = False
        notes.append("knee drift is not measured for band walks on the shank: wear the sensor on the thigh")
    elif placement == "thigh" and not has_gyro:
        drift = False
        notes.append("without a gyroscope the thigh's turn inward is not seen: a clean knee-drift reading is no proof")
    return SensorLimits(counts, drift, tuple(notes))
