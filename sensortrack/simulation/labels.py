"""Ground truth saved beside each simulated recording as NAME.labels.json.

Times are seconds from the recording's first sample, like the session's t_s.
knee_drift_deg is the motion made, out of the body's sagittal plane: with k the unit vector from the
proximal to the distal end toward the knee (thigh hip→knee, shank ankle→knee) and m the horizontal
unit vector toward the body's midline, drift(t) = asin(k(t)·m) − asin(k(start)·m) in degrees, and the
rep's value is its maximum over the rep: the analysis' default definition. With `drift_own_plane`
the analysis measures the same out of the rep's own plane (analysis/drift.py), so a person whose
thigh squats in a turned plane has large labels on correct reps and small analysed values; scoring
uses the labels' `valgus`, not their value. range_deg is the largest angle between the segment's long
axis at the rep's start and during the rep; peak_s is when that happens.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from sensortrack.core.errors import InputFileError
from sensortrack.core.model import FloatArray

_T_DECIMALS = 4
_DEG_DECIMALS = 3


@dataclass(frozen=True, slots=True)
class RepLabel:
    start_s: float
    peak_s: float
    end_s: float
    range_deg: float
    knee_drift_deg: float | None  # None for clamshells (side-lying: "toward the midline" is vertical)
    valgus: bool  # the knee was made to drift inward in this rep
    step: str | None = None  # band_walk: "lead" | "trail"


@dataclass(frozen=True, slots=True)
class SetLabel:
    start_s: float  # first rep's start
    end_s: float  # last rep's end
    drift: bool  # a knee-drift set (its drifting reps have valgus=True)
    step: str | None
    reps: tuple[RepLabel, ...]


@dataclass(frozen=True, slots=True)
class DistractorLabel:
    kind: str
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class Labels:
    exercise: str
    placement: str
    side: str
    rate_hz: float
    seed: int
    generator_version: str
    sets: tuple[SetLabel, ...]
    distractors: tuple[DistractorLabel, ...] = ()
    mount_changes_s: tuple[float, ...] = ()

    @property
    def reps(self) -> list[RepLabel]:
        return [r for s in self.sets for r in s.reps]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1) + "\n"

    @staticmethod
    def from_dict(raw: dict[str, Any]) -> Labels:
        sets = tuple(
            SetLabel(
                start_s=s["start_s"], end_s=s["end_s"], drift=s["drift"], step=s.get("step"),
                reps=tuple(RepLabel(**r) for r in s["reps"]),
            )
            for s in raw["sets"]
        )
        return Labels(
            exercise=raw["exercise"], placement=raw["placement"], side=raw["side"], rate_hz=raw["rate_hz"],
            seed=raw["seed"], generator_version=raw["generator_version"], sets=sets,
            distractors=tuple(DistractorLabel(**d) for d in raw.get("distractors", [])),
            mount_changes_s=tuple(raw.get("mount_changes_s", [])),
        )

    @staticmethod
    def from_json(text: str) -> Labels:
        return Labels.from_dict(json.loads(text))

    def save(self, path: Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")


def load_labels(path: str | Path) -> Labels:
    """Read NAME.labels.json (or the labels beside NAME.csv when given the recording's path)."""
    p = Path(path)
    if p.suffix == ".csv":
        p = p.with_suffix(".labels.json")
    try:
        return Labels.from_json(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputFileError(str(p), f"cannot read labels: {exc.strerror}") from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputFileError(str(p), f"not a labels file ({type(exc).__name__}: {exc})") from None


def rep_geometry(
    t_s: FloatArray, seg: Rotation, thigh: bool, medial_e: FloatArray | None
) -> tuple[float, float, float | None]:
    """(peak time, range_deg, knee_drift_deg) of one rep from its segment orientations."""
    z = seg.apply(np.array([0.0, 0.0, 1.0]))
    cos = np.clip(z @ z[0], -1.0, 1.0)
    angle = np.degrees(np.arccos(cos))
    i_peak = int(np.argmax(angle))
    drift: float | None = None
    if medial_e is not None:
        k = -z if thigh else z
        toward = np.degrees(np.arcsin(np.clip(k @ medial_e, -1.0, 1.0)))
        drift = float(np.max(toward - toward[0]))
    return float(t_s[i_peak]), float(angle[i_peak]), drift


def rounded_rep(start_s: float, peak_s: float, end_s: float, range_deg: float, drift: float | None,
                valgus: bool, step: str | None) -> RepLabel:
    return RepLabel(
        start_s=round(start_s, _T_DECIMALS), peak_s=round(peak_s, _T_DECIMALS), end_s=round(end_s, _T_DECIMALS),
        range_deg=round(range_deg, _DEG_DECIMALS),
        knee_drift_deg=None if drift is None else round(drift, _DEG_DECIMALS), valgus=valgus, step=step,
    )


def round_s(t: float) -> float:
    return round(t, _T_DECIMALS)
