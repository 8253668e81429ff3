"""The exercise of the bout that is going on, recognised while it streams (`live --exercise auto`).

Built on analysis/recognition.py unchanged: `recognise` runs on the newest `buffer_s` of the stream
every `every_s` stream seconds, and the newest segment that is an exercise (not "none", not
quiet) is the bout's. A decision is made as soon as that segment is sure (its confidence at least
RecognitionSettings.unsure_below), or, after `decide_after_s` of it without becoming sure, as
unsure with the best guess — the view then says "unsure", never a plain label. Pure: the caller
passes timestamps; the same samples in any chunking give the same decisions (recognition runs at
fixed stream times, on the samples up to them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sensortrack.analysis.recognition import NONE, RecognitionModel, RecognitionSettings, recognise
from sensortrack.core.model import FloatArray
from sensortrack.core.vocabulary import Exercise


@dataclass(frozen=True, slots=True)
class LiveRecognitionSettings:
    # Recognition needs its 10 s windows (RecognitionSettings.window_s) plus room for the quiet
    # before the bout: 30 s of stream is enough and keeps each run cheap.
    buffer_s: float = 30.0
    # How often (stream seconds) recognition runs: a rep takes 2–7 s, so a decision is late by at
    # most a third of a rep.
    every_s: float = 1.0
    # A bout that has not become sure after this long is decided as unsure (about 4 slow reps).
    decide_after_s: float = 16.0
    # A bout is judged once it has filled one recognition window (a part-window of the first rep
    # alone read as clamshells on simulator bridges), and a sure answer must hold this many runs in
    # a row (the answer settles as the windows fill with the bout).
    confirm_runs: int = 2
    recognition: RecognitionSettings = field(default_factory=RecognitionSettings)


@dataclass(frozen=True, slots=True)
class BoutExercise:
    """The exercise of the bout that began at `start_s`, decided at `decided_s`."""

    exercise: Exercise
    confidence: float
    unsure: bool
    start_s: float
    decided_s: float


class LiveRecogniser:
    """Feed samples; `feed` returns a BoutExercise once the current bout's exercise is decided."""

    def __init__(self, model: RecognitionModel, placement: str | None, settings: LiveRecognitionSettings | None = None) -> None:
        self.model = model
        self.placement = placement
        self.settings = settings or LiveRecognitionSettings()
        self._t: list[FloatArray] = []
        self._acc: list[FloatArray] = []
        self._next_run_s: float | None = None
        self._not_before_s = -np.inf  # bouts that began before this were decided already
        self._streak: tuple[str, int] = ("", 0)  # the sure answer of the last runs, and how many

    def start_after(self, t_s: float) -> None:
        """Look for the next bout from `t_s` on (the current one ended there)."""
        self._not_before_s = t_s
        self._streak = ("", 0)

    def feed(self, t_s: FloatArray, acc_g: FloatArray) -> BoutExercise | None:
        if not len(t_s):
            return None
        self._t.append(np.asarray(t_s, dtype=np.float64))
        self._acc.append(np.asarray(acc_g, dtype=np.float64))
        s = self.settings
        if self._next_run_s is None:
            self._next_run_s = float(t_s[0]) + s.every_s
        decided: BoutExercise | None = None
        while self._next_run_s <= float(t_s[-1]):
            at_s = self._next_run_s
            self._next_run_s += s.every_s
            decided = self._run(at_s)
            if decided is not None:
                break
        self._forget(float(t_s[-1]) - s.buffer_s)
        return decided

    def best_guess(self) -> BoutExercise | None:
        """The stream ended before the bout was decided: what it looks like now (unsure unless sure)."""
        if not self._t:
            return None
        return self._run(float(self._t[-1][-1]), final=True)

    def _run(self, at_s: float, final: bool = False) -> BoutExercise | None:
        t = np.concatenate(self._t)
        acc = np.concatenate(self._acc)
        keep = (t <= at_s) & (t >= max(at_s - self.settings.buffer_s, self._not_before_s - self.settings.recognition.window_s))
        if np.count_nonzero(keep) < 10 or float(t[keep][-1] - t[keep][0]) < self.settings.recognition.window_s:
            return None
        rec = recognise(t[keep], acc[keep], self.model, self.settings.recognition, self.placement)
        bouts = [seg for seg in rec.segments if seg.exercise != NONE and seg.end_s >= self._not_before_s]
        if not bouts:
            return None
        bout = bouts[-1]
        exercise = bout.exercise
        if exercise == NONE:  # (never: the bouts above leave NONE out; this tells the type checker)
            return None
        start_s = max(bout.start_s, self._not_before_s)
        confidence = rec.exercise_confidence(exercise, bout.start_s, bout.end_s)
        sure = confidence >= self.settings.recognition.unsure_below
        if final:
            return BoutExercise(exercise, confidence, not sure, start_s, at_s)
        if at_s - start_s < self.settings.recognition.window_s:
            return None
        if sure:
            same = self._streak[0] == exercise
            self._streak = (exercise, self._streak[1] + 1 if same else 1)
            if self._streak[1] >= self.settings.confirm_runs:
                return BoutExercise(exercise, confidence, False, start_s, at_s)
            return None
        self._streak = ("", 0)
        if at_s - start_s >= self.settings.decide_after_s:
            return BoutExercise(exercise, confidence, True, start_s, at_s)
        return None

    def _forget(self, before_s: float) -> None:
        while len(self._t) > 1 and float(self._t[0][-1]) < before_s:
            self._t.pop(0)
            self._acc.pop(0)
