"""Training plans: exercises with sets × reps targets and rest, and the progress through one.

A plan is a small TOML file (built-ins live in sensortrack/data/plans/):

    name = "Squats"
    rest_s = 60                 # default rest between sets, seconds
    [[exercise]]
    exercise = "squat"          # one of sensortrack.core.model.EXERCISES
    sets = 3
    reps = 10                   # target per set
    rest_s = 90                 # optional: this exercise's rest

`PlanProgress` is the plan being done: the view feeds it the sets the analysis ends and the stream
time, and shows what it says (target, set k of n, rest left, what comes next). No clock of its own:
the stream time is passed in, so replays at any speed and tests see the same countdown.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from sensortrack.core.errors import ConfigError
from sensortrack.core.vocabulary import EXERCISES, Exercise, exercise_or_none

# Limits that catch typos (reps = 100 for 10), not training choices.
MAX_SETS = 20
MAX_REPS = 200
MAX_REST_S = 900.0
DEFAULT_REST_S = 60.0


@dataclass(frozen=True, slots=True)
class PlanStep:
    exercise: Exercise
    sets: int
    reps: int
    rest_s: float

    @property
    def label(self) -> str:
        return f"{self.exercise.replace('_', ' ')} {self.sets}×{self.reps}"


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    steps: tuple[PlanStep, ...]
    source: str  # built-in name or file path, for messages


def builtin_plan_names() -> list[str]:
    folder = files("sensortrack") / "data" / "plans"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_plan(name_or_path: str) -> Plan:
    """A built-in plan by name, or a TOML file; anything wrong is one ConfigError line."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"plan {name_or_path}: cannot be read ({exc.strerror or exc})") from None
    else:
        resource = files("sensortrack") / "data" / "plans" / f"{name_or_path}.toml"
        if not resource.is_file():
            names = ", ".join(builtin_plan_names())
            raise ConfigError(f"no plan '{name_or_path}': give a TOML file or one of the built-in plans ({names})")
        text = resource.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"plan {name_or_path}: not valid TOML ({exc})") from None
    return parse_plan(data, name_or_path)


def parse_plan(data: dict[str, Any], source: str) -> Plan:
    def fail(what: str) -> ConfigError:
        return ConfigError(f"plan {source}: {what}")

    default_rest = _number(data.get("rest_s", DEFAULT_REST_S), "rest_s", 0.0, MAX_REST_S, fail)
    raw = data.get("exercise")
    if not isinstance(raw, list) or not raw:
        raise fail("needs at least one [[exercise]] table")
    steps = []
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise fail(f"exercise {i} is not a table")
        unknown = set(item) - {"exercise", "sets", "reps", "rest_s"}
        if unknown:
            raise fail(f"exercise {i}: unknown key(s) {', '.join(sorted(unknown))}")
        exercise = exercise_or_none(item.get("exercise"))
        if exercise is None:
            raise fail(f"exercise {i}: 'exercise' must be one of {', '.join(EXERCISES)}, got {item.get('exercise')!r}")
        sets = int(_number(item.get("sets"), f"exercise {i}: sets", 1, MAX_SETS, fail, whole=True))
        reps = int(_number(item.get("reps"), f"exercise {i}: reps", 1, MAX_REPS, fail, whole=True))
        rest = _number(item.get("rest_s", default_rest), f"exercise {i}: rest_s", 0.0, MAX_REST_S, fail)
        steps.append(PlanStep(exercise, sets, reps, rest))
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str) or not name.strip():
        raise fail("'name' must be a non-empty string")
    return Plan(name.strip(), tuple(steps), source)


def _number(value: Any, key: str, low: float, high: float, fail: Any, *, whole: bool = False) -> float:
    ok_type = isinstance(value, int) if whole else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or not low <= value <= high:
        kind = "a whole number" if whole else "a number"
        raise fail(f"{key} must be {kind} from {low:g} to {high:g}, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class Transition:
    """What ending a set did to the plan."""

    kind: str  # "rest" (another set of this exercise), "next" (next exercise after rest), "done"
    rest_until_s: float | None


class PlanProgress:
    """Where the person is in the plan. Sets are the analysis's kept sets, in order."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.step_index = 0
        self.sets_done = 0  # of the current step
        self.rest_until_s: float | None = None
        self.rest_next: str = ""  # what the rest leads to, for the countdown line
        self.finished = False
        self.log: list[tuple[str, int]] = []  # (exercise, reps) per set done, in order

    @property
    def step(self) -> PlanStep:
        return self.plan.steps[self.step_index]

    @property
    def target_reps(self) -> int | None:
        return None if self.finished else self.step.reps

    @property
    def set_number(self) -> int:
        """The set being done (or next), 1-based within the exercise."""
        return min(self.sets_done + 1, self.step.sets)

    def next_label(self) -> str:
        if self.finished:
            return ""
        if self.sets_done < self.step.sets:
            return f"set {self.sets_done + 1} of {self.step.sets} · {self.step.exercise.replace('_', ' ')} · {self.step.reps} reps"
        if self.step_index + 1 < len(self.plan.steps):
            following = self.plan.steps[self.step_index + 1]
            return f"next exercise: {following.label}"
        return "plan complete"

    def set_done(self, reps: int, t_s: float) -> Transition:
        """A kept set ended at stream time t_s."""
        if self.finished:
            return Transition("done", None)
        self.log.append((self.step.exercise, reps))
        self.sets_done += 1
        if self.sets_done < self.step.sets:
            return self._rest(t_s, "rest")
        if self.step_index + 1 < len(self.plan.steps):
            return self._rest(t_s, "next")
        self.finished = True
        self.rest_until_s = None
        return Transition("done", None)

    def _rest(self, t_s: float, kind: str) -> Transition:
        self.rest_until_s = t_s + self.step.rest_s if self.step.rest_s > 0 else None
        self.rest_next = self.next_label()
        if kind == "next":
            self.advance()
        return Transition(kind, self.rest_until_s)

    def advance(self) -> bool:
        """On to the next exercise (also by hand, before its sets are done); False at the end."""
        if self.step_index + 1 >= len(self.plan.steps):
            return False
        self.step_index += 1
        self.sets_done = 0
        return True

    def rest_left_s(self, t_s: float) -> float | None:
        if self.rest_until_s is None:
            return None
        return max(0.0, self.rest_until_s - t_s)

    def end_rest(self) -> None:
        self.rest_until_s = None
