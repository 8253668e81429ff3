"""The labelled-recording format that benchmarks/accuracy_real.py scores and the converters write.

A collection is a folder of `NAME.csv` (`t,ax,ay,az[,gx,gy,gz]` in s, g, °/s: the interchange CSV,
or a sensortrack session file) each with `NAME.labels.json`:

    {"exercise": "squat", "placement": "thigh", "side": "right",
     "reps": [{"start_s": 1.2, "peak_s": 2.0, "end_s": 3.1, "form": "knee_valgus"}, ...],
     "count_range": [8, 10],          # optional: hand counts any of which is defensible
     "form": "correct",               # optional: for every rep that does not say its own
     "person": "s03",                 # optional: for per-person drift AUC
     "group": "chair",                # optional: the benchmark's breakdown row (default: exercise)
     "note": "..."}                   # optional, free text

or, instead of `reps`, `"sets": [{"reps": [...]}, {"count": 5, "count_range": [4, 6]}, ...]`; a set
given only as a count has no rep times (then the file holds one set, or every set has `start_s` and
`end_s`). `"reps": []` is a recording with no reps (walking, jogging): anything counted is wrong.
The simulator's ground truth (fixtures/simulated/*.labels.json, sensortrack.simulation.labels) is
read too: a rep with a drift label is `knee_valgus` when `valgus`, else `correct`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sensortrack.core.model import EXERCISES, PLACEMENTS, SIDES, FloatArray
from sensortrack.simulation.labels import Labels

CORRECT = "correct"


class LabelError(ValueError):
    """A labels file that cannot be scored; the message is one line for the user."""


@dataclass(frozen=True, slots=True)
class TrueRep:
    start_s: float
    peak_s: float
    end_s: float
    form: str | None  # "correct", "knee_valgus", ... or None when the form is not labelled


@dataclass(frozen=True, slots=True)
class TrueSet:
    count: int
    count_range: tuple[int, int] | None  # accepted hand counts, None = exactly `count`
    reps: tuple[TrueRep, ...]  # empty when the set is given only as a count
    start_s: float | None
    end_s: float | None
    form: str | None  # for a count-only set: the form of every rep in it

    @property
    def timed(self) -> bool:
        return bool(self.reps)

    def accepts(self, counted: int, slack: int = 0) -> bool:
        lo, hi = self.count_range or (self.count, self.count)
        return lo - slack <= counted <= hi + slack


@dataclass(frozen=True, slots=True)
class RecordingLabels:
    exercise: str
    placement: str
    side: str
    sets: tuple[TrueSet, ...]
    person: str | None = None
    group: str = ""  # the benchmark's breakdown row; the exercise when the labels give none

    @property
    def true_reps(self) -> int:
        return sum(s.count for s in self.sets)


def _number(raw: dict[str, Any], key: str, where: str) -> float:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise LabelError(f"{where}: '{key}' must be a number of seconds")
    return float(value)


def _count_range(raw: Any, where: str) -> tuple[int, int] | None:
    if raw is None:
        return None
    if (not isinstance(raw, list) or len(raw) != 2 or not all(isinstance(v, int) and v >= 0 for v in raw)
            or raw[0] > raw[1]):
        raise LabelError(f"{where}: count_range must be [lo, hi] with whole numbers lo <= hi")
    return int(raw[0]), int(raw[1])


def _form(raw: Any, where: str) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    raise LabelError(f"{where}: form must be a string such as 'correct' or 'knee_valgus'")


def _reps(raw: Any, form: str | None, where: str) -> tuple[TrueRep, ...]:
    if not isinstance(raw, list):
        raise LabelError(f"{where}: reps must be a list")
    reps = []
    for i, r in enumerate(raw, start=1):
        if not isinstance(r, dict):
            raise LabelError(f"{where}: rep {i} must be an object with start_s, peak_s, end_s")
        rep = TrueRep(_number(r, "start_s", f"{where} rep {i}"), _number(r, "peak_s", f"{where} rep {i}"),
                      _number(r, "end_s", f"{where} rep {i}"), _form(r.get("form", form), f"{where} rep {i}"))
        if not rep.start_s <= rep.peak_s <= rep.end_s or rep.end_s <= rep.start_s:
            raise LabelError(f"{where}: rep {i} needs start_s <= peak_s <= end_s and start_s < end_s")
        reps.append(rep)
    return tuple(reps)


def _set(raw: Any, form: str | None, range_default: Any, where: str) -> TrueSet:
    if not isinstance(raw, dict):
        raise LabelError(f"{where}: a set must be an object with reps or count")
    form = _form(raw.get("form", form), where)
    count_range = _count_range(raw.get("count_range", range_default), where)
    start = _number(raw, "start_s", where) if raw.get("start_s") is not None else None
    end = _number(raw, "end_s", where) if raw.get("end_s") is not None else None
    if "reps" in raw:
        reps = _reps(raw["reps"], form, where)
        if reps:
            start = reps[0].start_s if start is None else start
            end = reps[-1].end_s if end is None else end
        return TrueSet(len(reps), count_range, reps, start, end, form)
    count = raw.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise LabelError(f"{where}: a set needs reps (a list) or count (a whole number)")
    return TrueSet(count, count_range, (), start, end, form)


def _from_simulator(raw: dict[str, Any]) -> RecordingLabels:
    truth = Labels.from_dict(raw)
    sets = []
    for s in truth.sets:
        reps = tuple(
            TrueRep(r.start_s, r.peak_s, r.end_s,
                    None if r.knee_drift_deg is None else ("knee_valgus" if r.valgus else CORRECT))
            for r in s.reps
        )
        sets.append(TrueSet(len(reps), None, reps, s.start_s, s.end_s, None))
    return RecordingLabels(truth.exercise, truth.placement, truth.side, tuple(sets), group=truth.exercise)


def parse_labels(raw: Any, where: str = "labels") -> RecordingLabels:
    if not isinstance(raw, dict):
        raise LabelError(f"{where}: must be a JSON object")
    for key, allowed in (("exercise", EXERCISES), ("placement", PLACEMENTS), ("side", SIDES)):
        if raw.get(key) not in allowed:
            raise LabelError(f"{where}: {key} must be one of {', '.join(allowed)} (got {raw.get(key)!r})")
    if "generator_version" in raw:  # the simulator's ground truth
        try:
            return _from_simulator(raw)
        except (KeyError, TypeError) as exc:
            raise LabelError(f"{where}: not a simulator labels file ({type(exc).__name__}: {exc})") from None
    form = _form(raw.get("form"), where)
    if ("reps" in raw) == ("sets" in raw):
        raise LabelError(f"{where}: give either reps (one set) or sets")
    if "reps" in raw:
        sets: tuple[TrueSet, ...] = (_set({"reps": raw["reps"]}, form, raw.get("count_range"), where),)
        if not sets[0].reps:
            sets = ()  # a recording with no reps: nothing should be counted
    else:
        if not isinstance(raw["sets"], list):
            raise LabelError(f"{where}: sets must be a list")
        sets = tuple(_set(s, form, None, f"{where} set {i}") for i, s in enumerate(raw["sets"], start=1))
    untimed = [s for s in sets if s.start_s is None or s.end_s is None]
    if untimed and len(sets) > 1:
        raise LabelError(f"{where}: several sets, some without times: give each set start_s and end_s")
    person, group = raw.get("person"), raw.get("group")
    return RecordingLabels(raw["exercise"], raw["placement"], raw["side"], sets,
                           None if person is None else str(person), str(group or raw["exercise"]))


def read_labels(path: Path) -> RecordingLabels:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LabelError(f"{path}: cannot read ({exc.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LabelError(f"{path}: not valid JSON ({exc})") from None
    return parse_labels(raw, str(path))


def write_recording(out_dir: Path, name: str, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None,
                    labels: dict[str, Any]) -> Path:
    """NAME.csv + NAME.labels.json in out_dir (the labels are checked by parsing them back)."""
    parse_labels(labels, name)
    out_dir.mkdir(parents=True, exist_ok=True)
    columns = [t_s[:, None], acc_g] + ([gyro_dps] if gyro_dps is not None else [])
    data = np.hstack(columns)
    header = "t,ax,ay,az" + (",gx,gy,gz" if gyro_dps is not None else "")
    fmt = ["%.6f"] * 4 + (["%.4f"] * 3 if gyro_dps is not None else [])
    csv_path = out_dir / f"{name}.csv"
    np.savetxt(csv_path, data, fmt=fmt, delimiter=",", header=header, comments="")
    (out_dir / f"{name}.labels.json").write_text(json.dumps(labels, indent=1) + "\n", encoding="utf-8")
    return csv_path
