"""The exercise of the set that is going on, recognised from its own first two reps
(`live --exercise auto`).

Reps are found before the exercise is known, from gravity's direction alone: every exercise here
moves the segment away from the posture it rests in between reps and back (a squat, a bridge, a
clamshell, a band walk's step alike). So a rep is an EXCURSION: gravity's direction (the 0.5 s
trailing mean of the accelerometer, as recognition.py smooths it) leaves the resting direction by
more than `enter_deg` and comes back within `exit_share` of its farthest point. The resting
direction is where it was last held still outside an excursion.

At the end of the bout's second excursion, `recognition.recognise` runs on the bout's own samples:
from `lead_s` before the first excursion to the end of the second, padded back to one whole
recognition window with the rest before it (never into the previous bout). An exercise is the bout's decision at once: sure when its
confidence reaches `sure_from` and its posture was read (Recognition.posture_known), else unsure with that best guess (the view
then says "unsure", never a plain label); until then the view says it is still recognising.
"none" (walking, fidgeting) decides nothing: the next excursion tries again, on the newest
`retry_span_s` of the bout.

Pure: the caller passes timestamps. Each sample is judged once, from the samples up to it, so
any chunking of the same samples gives the same decisions at the same stream times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sensortrack.analysis.recognition import NONE, RecognitionModel, RecognitionSettings, recognise
from sensortrack.core.model import FloatArray
from sensortrack.core.vocabulary import Exercise, exercise_or_none


@dataclass(frozen=True, slots=True)
class LiveRecognitionSettings:
    # Samples kept: two slow reps with holds (MEx bridges: ~7 s each) plus the rest before them.
    buffer_s: float = 30.0
    # Gravity's direction over this trailing mean (RecognitionSettings.gravity_mean_s's reason:
    # heel strikes and tremor out); trailing, so a sample's direction needs no later samples.
    gravity_mean_s: float = 0.5
    # An excursion begins this far from the resting direction: above postural sway and a strap's
    # wobble (1–3°), below the smallest rep here (a trailing-leg lunge turns the thigh 10–25°).
    enter_deg: float = 5.0
    # ... and ends when back within this share of its farthest point (the rep's last third is
    # slow and the trailing mean lags: waiting for the full return would be ~0.3 s late).
    exit_share: float = 0.3
    # Still is turning slower than this (RecognitionSettings.still_dps's reason), held this long.
    still_dps: float = 6.0
    still_hold_s: float = 0.3
    # An excursion shorter than this is a twitch, not a rep (the fastest reps here take ~1 s).
    min_excursion_s: float = 0.6
    # An excursion still open after this long, and held still, never returns: the posture moved
    # (stepping into a band walk's stance, lying down); the rest is taken afresh. Longer than a
    # slow rep with its hold (MEx bridges: ~7 s).
    max_excursion_s: float = 8.0
    # Recognised from this much before the first rep: the rest posture is part of the evidence.
    lead_s: float = 1.0
    # When two reps read as "none", each further excursion tries again on this much of the bout.
    retry_span_s: float = 12.0
    # A decision from two reps is shown as sure only from this confidence on (below: the label is
    # shown as unsure). Two reps are less evidence than the whole set the batch reads, and a wrong
    # label shown as sure is the one mistake the view must not make, so the rule is: the lowest
    # confidence from which at least 95 % of the answers shown as sure are right, on simulator
    # tuning seeds 40–49 (120 sets, the packaged tree; session 7). The tree's leaf probabilities
    # are overconfident on two reps: sure answers were right 83 % from 0.6, 91 % from 0.8, 90 %
    # from 0.9, 94 % from 0.92, 100 % from 0.94 (16 sure, 0 wrong; 68 right answers shown unsure).
    sure_from: float = 0.94
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
        self._t = np.zeros(0)
        self._acc = np.zeros((0, 3))
        self._judged = 0  # samples of the buffer already judged
        self._prev_u: FloatArray | None = None  # the last judged sample's direction
        self._prev_t = -np.inf
        self._still_since: float | None = None
        self._rest: FloatArray | None = None  # resting direction (unit), outside excursions
        self._in: tuple[float, float] | None = None  # open excursion: (start_s, farthest_deg)
        self._plateau: FloatArray | None = None  # where the open excursion was last held still
        self._sub: tuple[float, float] | None = None  # an excursion from the plateau: (start_s, farthest_deg)
        self._reps_inside = 0  # reps counted from the open excursion's plateau
        self._excursions: list[tuple[float, float]] = []  # completed: (start_s, end_s)
        self._not_before_s = -np.inf  # excursions that began before this belong to a decided bout
        self._decided = False
        self._check_tracked = False  # start_after: the excursions tracked already may make a bout

    def start_after(self, t_s: float) -> None:
        """Look for the next bout from `t_s` on (the current one ended there)."""
        self._not_before_s = t_s
        self._decided = False
        self._check_tracked = True

    def feed(self, t_s: FloatArray, acc_g: FloatArray) -> BoutExercise | None:
        if not len(t_s):
            return None
        self._t = np.concatenate([self._t, np.asarray(t_s, dtype=np.float64)])
        self._acc = np.vstack([self._acc, np.asarray(acc_g, dtype=np.float64)])
        decided = self._tracked()
        u = self._directions(self._judged)
        for i in range(self._judged, self._t.size):
            ended = self._step(float(self._t[i]), u[i - self._judged])
            if ended and decided is None and not self._decided:
                decided = self._try(float(self._t[i]))
        self._judged = self._t.size
        self._forget(float(self._t[-1]) - self.settings.buffer_s)
        return decided

    def best_guess(self) -> BoutExercise | None:
        """The stream ended before the bout was decided: what its samples look like now (unsure
        unless sure)."""
        if not self._t.size or self._decided:
            return None
        bout = [e for e in self._excursions if e[0] >= self._not_before_s]
        start = bout[0][0] - self.settings.lead_s if bout else max(float(self._t[0]), self._not_before_s)
        return self._recognise(start, float(self._t[-1]), may_be_none=False)

    # ---- excursions ----------------------------------------------------------------------------

    def _directions(self, first: int) -> FloatArray:
        """Gravity's direction at samples first.. : the trailing gravity_mean_s mean, unit length."""
        t, acc = self._t, self._acc
        c = np.vstack([np.zeros((1, 3)), np.cumsum(acc, axis=0)])
        idx = np.arange(first, t.size)
        lo = np.searchsorted(t, t[idx] - self.settings.gravity_mean_s, side="right")
        mean = (c[idx + 1] - c[lo]) / (idx + 1 - lo)[:, None]
        unit: FloatArray = mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-9)
        return unit

    def _step(self, t: float, u: FloatArray) -> bool:
        """One sample through the excursion tracker; True where an excursion (a rep) just ended."""
        s = self.settings
        dt = t - self._prev_t
        turn_dps = (float(np.degrees(np.arccos(np.clip(u @ self._prev_u, -1.0, 1.0)))) / dt
                    if self._prev_u is not None and dt > 0 else 0.0)
        self._prev_u, self._prev_t = u, t
        if self._rest is None:
            self._rest = u
            return False
        still = turn_dps < s.still_dps
        self._still_since = (self._still_since if self._still_since is not None else t) if still else None
        held = self._still_since is not None and t - self._still_since >= s.still_hold_s
        if self._in is not None and held and t - self._in[0] > s.max_excursion_s:
            self._in, self._plateau, self._sub, self._reps_inside = None, None, None, 0  # the posture moved
        away = float(np.degrees(np.arccos(np.clip(u @ self._rest, -1.0, 1.0))))
        if self._in is None:
            if held:
                self._rest, away = u, 0.0  # held still here: the posture reps start from
            if away > s.enter_deg:
                self._in = (t, away)
            return False
        start, farthest = self._in
        farthest = max(farthest, away)
        self._in = (start, farthest)
        if away <= s.exit_share * farthest:  # back at rest: one rep, unless its reps were counted
            had_reps = self._reps_inside  # from a plateau (stepping out of a stance is no rep)
            self._in, self._plateau, self._sub, self._reps_inside = None, None, None, 0
            return False if had_reps else self._ended(start, t)
        # Held still away from the rest (a bridge's top, a squat's bottom, or a new stance): reps
        # may go out from here and back (a band walk's steps from the stance it stepped into).
        if held and self._sub is None:
            first_hold = self._plateau is None
            self._plateau = u
            # Gone past this stance by more than a rep's entry and come back to it before it was
            # first held: a rep done on the way into the stance (a band walk's first step, taken
            # while sinking into the half-squat), not only the stance. Counted like a rep from the
            # plateau (so stepping back out to the rest is not one).
            if first_hold and farthest - away > s.enter_deg:
                self._reps_inside += 1
                return self._ended(start, t)
        if self._plateau is None:
            return False
        off = float(np.degrees(np.arccos(np.clip(u @ self._plateau, -1.0, 1.0))))
        if self._sub is None:
            if off > s.enter_deg:
                self._sub = (t, off)
            return False
        sub_start, sub_far = self._sub[0], max(self._sub[1], off)
        self._sub = (sub_start, sub_far)
        if off > s.exit_share * sub_far:
            return False
        self._sub = None
        self._reps_inside += 1
        return self._ended(sub_start, t)

    def _ended(self, start_s: float, end_s: float) -> bool:
        if end_s - start_s < self.settings.min_excursion_s:
            return False
        self._excursions.append((start_s, end_s))
        return True

    # ---- decisions -----------------------------------------------------------------------------

    def _tracked(self) -> BoutExercise | None:
        """Right after start_after: two of the excursions already tracked may lie in the new bout
        (the view learns of a set's end late, after its break)."""
        if not self._check_tracked or self._decided:
            return None
        self._check_tracked = False
        bout = [e for e in self._excursions if e[0] >= self._not_before_s]
        for _, end_s in bout[1:]:  # as if judged when each ended (so in any chunking alike)
            decided = self._try(end_s)
            if decided is not None:
                return decided
        return None

    def _try(self, at_s: float) -> BoutExercise | None:
        bout = [e for e in self._excursions if e[0] >= self._not_before_s and e[1] <= at_s]
        if len(bout) < 2:
            return None
        start = bout[0][0] - self.settings.lead_s
        if len(bout) > 2:  # two reps were not enough (read as no exercise): the newest of the bout
            start = max(start, at_s - self.settings.retry_span_s)
        # The tree knows whole windows: two quick reps are padded to one with the rest before them
        # (as the windows at a set's start are), never reaching back into the previous bout.
        window_s = self.settings.recognition.window_s
        start = min(start, max(at_s - window_s, self._not_before_s, float(self._t[0])))
        return self._recognise(start, at_s, may_be_none=True)

    def _recognise(self, start_s: float, at_s: float, may_be_none: bool) -> BoutExercise | None:
        keep = (self._t >= start_s) & (self._t <= at_s)
        if np.count_nonzero(keep) < 10:
            return None
        rec = recognise(self._t[keep], self._acc[keep], self.model, self.settings.recognition, self.placement)
        bouts = [seg for seg in rec.segments if seg.exercise != NONE]
        if not bouts:
            if may_be_none:
                return None
            exercise_p = rec.window_exercise_p[:, :-1].sum(axis=0) if rec.window_exercise_p.size else None
            if exercise_p is None or not exercise_p.any():
                return None
            best = exercise_or_none(rec.exercises[int(np.argmax(exercise_p))])
            if best is None:  # (never: the "none" column is left out above; this tells the type checker)
                return None
            return BoutExercise(best, rec.exercise_confidence(best, start_s, at_s), True, start_s, at_s)
        # one exercise for the bout: the one covering most of it
        longest = max(bouts, key=lambda seg: seg.end_s - seg.start_s)
        exercise = longest.exercise
        if exercise == NONE:  # (never: NONE is left out above; this tells the type checker)
            return None
        confidence = rec.exercise_confidence(exercise, start_s, at_s)
        self._decided = True
        # sure only from a calibrated confidence AND a posture read (Recognition.posture_known)
        unsure = confidence < self.settings.sure_from or not rec.posture_known(start_s, at_s)
        return BoutExercise(exercise, confidence, unsure, max(start_s, self._not_before_s), at_s)

    def _forget(self, before_s: float) -> None:
        drop = int(np.searchsorted(self._t, before_s))
        if drop:
            self._t, self._acc = self._t[drop:], self._acc[drop:]
            self._judged -= drop
        self._excursions = [e for e in self._excursions if e[1] >= before_s]

