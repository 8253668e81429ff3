"""What happened during a recording besides the samples: a plan moving to another exercise, and the
note the wearer gave after a set (how it felt, pain and where).

Both are `#` lines in the session file's body, written when they happen (docs/session-format.md,
"Exercise changes and set notes"):

    # exercise {"t_s": 61.24, "exercise": "lunge"}
    # note {"set_start_s": 12.1, "set_end_s": 40.3, "rpe": 7, "pain": 2, "pain_where": "left knee"}

Readers that predate them skip them like any other comment line, so a new file still opens in an
older sensortrack (as a one-exercise session without notes), and every older file reads as before.
Like the decoders, the parser never raises on a garbled line: it counts and skips it (a note is
worth less than the recording it sits in).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from sensortrack.core.vocabulary import Exercise, exercise_or_none

EXERCISE_PREFIX = "# exercise "
NOTE_PREFIX = "# note "
RPE_RANGE = (1, 10)  # Borg CR10 rating of perceived exertion, as the rehab/strength apps ask it
PAIN_RANGE = (0, 10)  # numeric pain rating scale, 0 = none, 10 = worst imaginable
MAX_WHERE_CHARS = 60  # "left knee, inside": a word or two, not an essay


@dataclass(frozen=True, slots=True)
class ExerciseChange:
    """From `t_s` on (sample time), the session is `exercise` (the file header names the first)."""

    t_s: float
    exercise: Exercise


@dataclass(frozen=True, slots=True)
class SetNote:
    """The wearer's note on the set that ran from `set_start_s` to `set_end_s` (sample time).
    A question they skipped is None (rpe, pain) or '' (where)."""

    set_start_s: float
    set_end_s: float
    rpe: int | None = None
    pain: int | None = None
    pain_where: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "set_start_s": round(self.set_start_s, 3),
            "set_end_s": round(self.set_end_s, 3),
            "rpe": self.rpe,
            "pain": self.pain,
            "pain_where": self.pain_where,
        }

    @property
    def empty(self) -> bool:
        return self.rpe is None and self.pain is None and not self.pain_where


@dataclass(frozen=True, slots=True)
class SessionEvents:
    exercise_changes: tuple[ExerciseChange, ...] = ()
    set_notes: tuple[SetNote, ...] = ()
    skipped_lines: int = 0  # garbled event lines, left out


def is_event_line(line: str) -> bool:
    return line.startswith((EXERCISE_PREFIX, NOTE_PREFIX))


def exercise_line(change: ExerciseChange) -> str:
    return EXERCISE_PREFIX + json.dumps({"t_s": round(change.t_s, 6), "exercise": change.exercise})


def note_line(note: SetNote) -> str:
    return NOTE_PREFIX + json.dumps(note.to_dict(), ensure_ascii=False)


def check_score(value: object, bounds: tuple[int, int]) -> int | None:
    """A whole score within `bounds`, else None (bool is not a score)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value != int(value) or not bounds[0] <= int(value) <= bounds[1]:
        return None
    return int(value)


def clean_where(text: object) -> str:
    """One short line of text: control characters out, length capped."""
    if not isinstance(text, str):
        return ""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())[:MAX_WHERE_CHARS]


def parse_events(lines: list[str]) -> SessionEvents:
    """The event lines of a file, in file order; exercise changes sorted by time."""
    changes: list[ExerciseChange] = []
    notes: list[SetNote] = []
    skipped = 0
    for line in lines:
        prefix = EXERCISE_PREFIX if line.startswith(EXERCISE_PREFIX) else NOTE_PREFIX
        try:
            raw = json.loads(line[len(prefix) :])
        except (json.JSONDecodeError, RecursionError):
            skipped += 1
            continue
        parsed = _exercise(raw) if prefix == EXERCISE_PREFIX else _note(raw)
        if parsed is None:
            skipped += 1
        elif isinstance(parsed, ExerciseChange):
            changes.append(parsed)
        else:
            notes.append(parsed)
    changes.sort(key=lambda c: c.t_s)
    return SessionEvents(tuple(changes), tuple(notes), skipped)


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _exercise(raw: object) -> ExerciseChange | None:
    if not isinstance(raw, dict):
        return None
    t_s = _finite(raw.get("t_s"))
    exercise = exercise_or_none(raw.get("exercise"))
    if t_s is None or exercise is None:
        return None
    return ExerciseChange(t_s, exercise)


def _note(raw: object) -> SetNote | None:
    if not isinstance(raw, dict):
        return None
    start, end = _finite(raw.get("set_start_s")), _finite(raw.get("set_end_s"))
    if start is None or end is None or end < start:
        return None
    note = SetNote(
        start,
        end,
        check_score(raw.get("rpe"), RPE_RANGE),
        check_score(raw.get("pain"), PAIN_RANGE),
        clean_where(raw.get("pain_where", "")),
    )
    return None if note.empty else note


def exercise_segments(
    first: Exercise, changes: tuple[ExerciseChange, ...], t0_s: float, t1_s: float
) -> list[tuple[float, float, Exercise]]:
    """(start_s, end_s, exercise) spans covering [t0_s, t1_s]; a change to the exercise already in
    force, or outside the recording, changes nothing."""
    spans: list[tuple[float, float, Exercise]] = []
    start, current = t0_s, first
    for change in changes:
        if change.exercise == current or not t0_s < change.t_s <= t1_s:
            continue
        spans.append((start, change.t_s, current))
        start, current = change.t_s, change.exercise
    spans.append((start, t1_s, current))
    return spans


def note_for_set(notes: tuple[SetNote, ...] | list[SetNote], start_s: float, end_s: float) -> SetNote | None:
    """The latest note whose set overlaps [start_s, end_s] most (a set found again by a reanalysis
    may start or end a sample or two apart from the one the wearer saw)."""
    best: tuple[float, int] | None = None
    found: SetNote | None = None
    for k, note in enumerate(notes):
        overlap = min(end_s, note.set_end_s) - max(start_s, note.set_start_s)
        if overlap <= 0:
            continue
        if best is None or (overlap, k) >= best:
            best, found = (overlap, k), note
    return found
