"""The words a session is described with: exercises, placements, sides, clock sources.

Apart from model.py (which re-exports them) so that building the command line and listing the
library need not import numpy (issue 12: `--help` and `sessions` are timed against numpy's import).
"""

from __future__ import annotations

from typing import Literal, get_args

Placement = Literal["thigh", "shank"]
Side = Literal["left", "right"]
Exercise = Literal["squat", "lunge", "band_walk", "bridge", "clamshell", "step_up"]
ClockSource = Literal["device", "host"]

PLACEMENTS: tuple[Placement, ...] = get_args(Placement)
SIDES: tuple[Side, ...] = get_args(Side)
EXERCISES: tuple[Exercise, ...] = get_args(Exercise)


# Narrowing for text read from outside (a library row, a flag, a sidecar): the word when it is one we
# know, else None (which reads as "not said"), so the Literal types hold past the boundary.
def exercise_or_none(value: object) -> Exercise | None:
    return value if isinstance(value, str) and value in EXERCISES else None


def placement_or_none(value: object) -> Placement | None:
    return value if isinstance(value, str) and value in PLACEMENTS else None


def side_or_none(value: object) -> Side | None:
    return value if isinstance(value, str) and value in SIDES else None
