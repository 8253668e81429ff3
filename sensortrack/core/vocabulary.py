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

PLACEMENTS: tuple[str, ...] = get_args(Placement)
SIDES: tuple[str, ...] = get_args(Side)
EXERCISES: tuple[str, ...] = get_args(Exercise)
