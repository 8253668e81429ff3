"""Reps from the movement's own repetition (repetition.py), next to the calibrated finder's.

Two jobs on the shared `EngineState`:
- the samples no counted rep covers are searched, a stretch of `repetition_search_s` at a time
  (fixed indices, so chunking does not matter), for a clearly repeated movement: its reps form sets
  of their own ("calibration uncertain": counted from the movement, no drift measured);
- a closing set of the finder's is recounted from its whole repeated pattern (`recount_set`, the
  set tracker's `recount`), where that explains the finder's reps: a period holding several of them
  is one rep, one holding none is a rep of its own.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from sensortrack.analysis.engine_state import EngineState
from sensortrack.analysis.exercise_rules import EXERCISE_RULES
from sensortrack.analysis.reference import median  # bit for bit np.median of a short list, without its ~15 µs of wrappers
from sensortrack.analysis.repetition import (
    autocorrelation,
    explained_by_period,
    find_repetitions,
    impact_g,
    period_from_correlation,
    principal_angle_deg,
)
from sensortrack.analysis.results import Rep
from sensortrack.analysis.sets import RepCandidate
from sensortrack.core.model import FloatArray


class SetRecount:
    def __init__(self, state: EngineState) -> None:
        self._st = state
        self._s = state.settings
        self._k = state.setup
        # Where the samples no counted rep covers begin: searched for a clearly repeated movement
        # when the next rep is counted, at the end, or a stretch at a time.
        self.unclaimed_from = 0
        self.repetition_reps = 0  # reps counted from the movement, not by the calibrated finder
        self._finder_end_s: float | None = None  # end of the last rep the calibrated finder counted
        self._finder_run = 0  # how many reps it counted in a row, no set break between them

    # ---------------------------------------------------------------- unclaimed samples
    def before_finder_rep(self, start: int, stop: int, start_s: float, end_s: float) -> None:
        """The calibrated finder is about to count a rep over samples [start, stop) (times
        `start_s`–`end_s`): search what lies unclaimed before it, and claim its samples."""
        self.search_unclaimed(start, whole=True, next_rep_s=start_s)
        self.unclaimed_from = max(self.unclaimed_from, stop)
        apart = self._finder_end_s is None or start_s - self._finder_end_s > self._s.set_break_s
        self._finder_run = 1 if apart else self._finder_run + 1
        self._finder_end_s = end_s

    def search_unclaimed(self, until: int, whole: bool = False, next_rep_s: float | None = None) -> None:
        """Count the clearly repeated movement in the samples no counted rep covers, up to `until`.

        Searched in stretches of `repetition_search_s` from where the unclaimed samples begin (fixed
        indices, so chunking does not matter); the last, shorter stretch only when `whole` (the
        next rep was counted, or the stream ended).
        """
        while True:
            a = self.unclaimed_from
            b = a + self._k.unclaimed_n
            if b > until:
                if not whole or until - a <= 0:
                    return
                b = until
            self._count_repetitions(a, b, next_rep_s if b == until else None)
            self.unclaimed_from = b
            if b == until:
                return

    def _count_repetitions(self, a: int, b: int, next_rep_s: float | None) -> None:
        """Reps of a clearly repeated movement in [a, b) as sets of their own: none within a set
        break of a rep the finder counted (their ranges are not on the finder's scale, so they do
        not join its sets)."""
        st, s, k = self._st, self._s, self._k
        if not st.geometry.one_excursion_per_rep:
            return
        hist = st.hist
        a = max(a, hist.base)
        if b - a < 2:
            return
        t = hist.get("t", a, b)
        shift = k.boundary_delay_s
        gap_s = s.set_break_s
        # Most stretches lie between two reps of a set: no room there for a set of its own.
        room_from_s = float(t[0]) - shift
        # A rep the finder counted alone (no set of its own yet) claims no room: it may be one
        # excursion of a set the finder cannot follow (a shank sit-to-stand, standing up from a chair).
        claimed_s = self._finder_end_s if self._finder_run >= s.min_reps_per_set else None
        if claimed_s is not None:
            room_from_s = max(room_from_s, claimed_s + gap_s)
        room_to_s = float(t[-1]) - shift if next_rep_s is None else min(float(t[-1]) - shift, next_rep_s - gap_s)
        if room_to_s - room_from_s < s.min_reps_per_set * s.min_rep_duration_s:
            return
        acc = hist.get("acc", a, b)
        # Strides the finder saw here (sets.SetTracker._strode_before): a run around them is gait.
        st.tracker.forget_strides_before(float(t[0]) - shift)
        strides = t.searchsorted(np.asarray(st.tracker.stride_ends_s) + shift)
        reps = find_repetitions(
            principal_angle_deg(hist.get("u", a, b)),
            impact_g(acc, st.rate_hz, s.gait_impact_window_s),
            st.rate_hz,
            s,
            acc if k.lowers_body else None,
            strides[strides < t.size],
            quickest_s=None if k.gyro else s.min_quick_duration_s(st.ctx.exercise),
        )
        reps = [
            r
            for r in reps
            if (claimed_s is None or float(t[r.start]) - shift - claimed_s > gap_s)
            and (next_rep_s is None or next_rep_s - (float(t[r.end]) - shift) > gap_s)
        ]
        if len(reps) < s.min_reps_per_set:
            return
        for rep in reps:
            candidate = RepCandidate(
                start_s=float(t[rep.start]) - shift,
                peak_s=float(t[rep.peak]) - shift,
                end_s=float(t[rep.end]) - shift,
                range_deg=rep.range_deg,
                knee_drift_deg=None,
                calibrated=False,
            )
            self.repetition_reps += 1
            st.events += st.tracker.accept(candidate, now_s=float(t[-1]) - shift)

    # ---------------------------------------------------------------- a closing set
    def forget_unrecountable(self) -> None:
        """Dropped reps no later closing can recount with its set (sets.SetTracker
        `_recount_with_dropped`: a set's first rep starts no earlier than the open set's, or than a
        rep the finder may still count, `max_rep_duration_s` and its onset look-back before what is
        decided): forgotten, so their samples need not be kept."""
        st, s = self._st, self._s
        frontier = st.decided_until()
        if frontier <= st.hist.base:
            return
        earliest_s = float(st.hist.get("t", frontier - 1, frontier)[0]) - self._k.boundary_delay_s
        earliest_s -= s.max_rep_duration_s + s.rep_onset_look_back_s
        open_s = st.tracker.open_start_s
        if open_s is not None:
            earliest_s = min(earliest_s, open_s)
        st.tracker.forget_dropped_before(earliest_s - s.repetition_search_s)

    def recount_set(self, reps: list[Rep]) -> list[Rep]:
        """A closing set's reps, recounted from its whole repeated pattern where that explains the
        finder's reps (repetition.explained_by_period): a period rep holding several of them is one
        rep (their extremes' largest, its warnings all), one holding none is a rep of its own
        ("calibration uncertain": counted from the movement), one holding one keeps it as it is.
        Searched over the set and a set break on each side, so the rep before or after the first
        and last the finder saw is whole; a set the pattern counted already is left as it is.
        Reps fewer than a set are recounted over the whole pattern around them (no edges)."""
        st, s, k = self._st, self._s, self._k
        if len(reps) < 2 or not all(r.calibrated for r in reps):
            return reps
        own = self.own_leg_reps(reps)
        if own is not None:
            return joined_edges(own)
        hist = st.hist
        shift = k.boundary_delay_s
        t_all = hist.get("t", hist.base, hist.end)
        a = hist.base + max(0, int(t_all.searchsorted(reps[0].start_s + shift)) - k.recount_margin_n)
        b = min(hist.end, hist.base + int(t_all.searchsorted(reps[-1].end_s + shift)) + k.recount_margin_n)
        if b - a < 4:
            return reps
        t = hist.get("t", a, b)
        angle = principal_angle_deg(hist.get("u", a, b))
        # The period of the set itself (from the finder's first rep to its last): the rests around
        # it would weigh in the correlation as much as the reps.
        inner = slice(int(t.searchsorted(reps[0].start_s + shift)), int(t.searchsorted(reps[-1].end_s + shift)))
        # Looked for down to the quickest rep the finder counts: continuous squats at 1 s per rep
        # repeat every rep, not every second one.
        quickest_s = s.min_quick_duration_s(st.ctx.exercise)
        set_angle = angle[inner]
        corr = autocorrelation(set_angle, set_angle.size)  # read at the period's lags and the finder's
        period_s = period_from_correlation(corr, set_angle.size, st.rate_hz, s, quickest_s)
        if period_s is None or corr is None:
            return reps  # no whole pattern to count by
        whole_reps = self._finder_cycle_repeats(corr, reps)
        edges = self._recording_edges(a, b, period_s * st.rate_hz)
        if len(reps) < s.min_reps_per_set:
            # Fewer reps than a set (lone reps the set tracker dropped, recounted together with
            # the next: sets.SetTracker._recount_with_dropped): the finder did not follow the
            # movement, so its first and last rep do not mark where the set began and ended. A
            # shank's sit-to-stand tilts quickly forward twice per rep, and the finder counted one
            # tilt in a set or two (tuning seeds: 7 sets of 5 read 0); the pattern may count the
            # periods around them too (`explained_by_period` with no edge: every period may).
            edges = (np.inf, -np.inf)
        if whole_reps and edges == (-np.inf, np.inf):
            # Its reps are whole periods: only a period it missed between two of them could be
            # added, and there is room for one only where two start a period and more apart (a rep
            # is never nearer its neighbours than `repetition_least_share_of_period` of it). Most
            # sets end here, before the search for their extremes (a third of the hour's analysis).
            room_s = 2.0 * s.repetition_least_share_of_period * period_s
            # (plain floats: the same subtractions as np.diff, without its array and wrappers)
            if max(b.start_s - a.start_s for a, b in zip(reps, reps[1:])) < room_s:
                return reps
        acc = hist.get("acc", a, b)
        period_reps = find_repetitions(
            angle, impact_g(acc, st.rate_hz, s.gait_impact_window_s), st.rate_hz, s,
            acc if k.lowers_body else None, period_s=period_s, shortest_s=quickest_s,
        )
        if len(period_reps) < s.min_reps_per_set:
            return reps
        if len(period_reps) < len(reps) and whole_reps:
            return reps  # the movement repeats at the finder's own spacing: its reps are whole reps

        def index(times: list[float]) -> NDArray[np.intp]:
            """Rep times to sample indices into [a, b)."""
            return t.searchsorted(np.asarray(times) + shift)

        groups = explained_by_period(
            index([r.peak_s + k.delay_s - shift for r in reps]),  # a peak is moved back by the angle's delay
            index([r.start_s for r in reps]), index([r.end_s for r in reps]), period_reps, period_s * st.rate_hz, edges,
        )
        if groups is None or (whole_reps and any(len(g) > 1 for g in groups)):
            return reps  # (where its reps are whole periods, none of them is merged with another)
        out: list[Rep] = []
        for group, found in zip(groups, period_reps, strict=True):
            if len(group) == 1:
                out.append(reps[group[0]])
            elif group:
                out.append(merged_rep([reps[j] for j in group]))
            else:
                start_s, peak_s, end_s = (float(t[i]) - shift for i in (found.start, found.peak, found.end))
                out.append(Rep(
                    index=0, start_s=start_s, peak_s=peak_s, end_s=end_s, range_deg=found.range_deg,
                    down_s=peak_s - start_s, up_s=end_s - peak_s, knee_drift_deg=None, calibrated=False,
                ))
                self.repetition_reps += 1
        return joined_edges(out)

    def own_leg_reps(self, reps: list[Rep]) -> list[Rep] | None:
        """The instrumented leg's own steps of a set of alternating steps (a lunge, exercise_rules
        `steps_out`), where the finder counted the other leg's; None where it counted this leg's.

        Each step ends with the stepping foot's strike, which reaches its own leg directly and the
        other leg only damped, through the pelvis and both knees. From a shank, the other leg's
        lunge tips the planted rear shank 55-75 deg, more than its own lunge moves it: the finder
        counts those. When the pauses between its reps hold a foot strike `other_leg_strike_ratio`
        times the reps' own (and at least `own_strike_least_g`), the reps are the other leg's, and
        this leg's are the pauses: each from where the shank starts moving in it to where it stops,
        its extreme where gravity's direction is furthest from the pause's start, and a pause
        before the first or after the last (a typical pause long) where it holds such a strike.
        A pause between two reps with no one step's movement in it (none, or longer than
        `own_step_longest_share` times the other leg's typical step) leaves the set as the finder
        counted it. Counted from the movement: no drift measured
        ("calibration uncertain")."""
        st, s, k = self._st, self._s, self._k
        exercise = st.ctx.exercise
        if exercise not in EXERCISE_RULES or not EXERCISE_RULES[exercise].steps_out:
            return None
        pauses_s = [b.start_s - a.end_s for a, b in zip(reps, reps[1:])]
        pause_s = float(np.median(pauses_s))
        if pause_s <= 0.0:
            return None
        hist = st.hist
        shift = k.boundary_delay_s
        t_all = hist.get("t", hist.base, hist.end)
        spans = [(reps[0].start_s - pause_s, reps[0].start_s)]
        spans += [(a.end_s, b.start_s) for a, b in zip(reps, reps[1:])]
        spans += [(reps[-1].end_s, reps[-1].end_s + pause_s)]
        a = hist.base + int(t_all.searchsorted(spans[0][0] + shift))
        b = hist.base + int(t_all.searchsorted(spans[-1][1] + shift))
        if b - a < 4:
            return None
        t = hist.get("t", a, b)
        strike = np.abs(impact_g(hist.get("acc", a, b), st.rate_hz, s.gait_impact_window_s))

        def index(t_s: float) -> int:
            return int(t.searchsorted(t_s + shift))

        def peak_g(i: int, j: int) -> float:
            return float(strike[i:j].max()) if j > i else 0.0

        rep_g = float(np.median([peak_g(index(r.start_s), index(r.end_s)) for r in reps]))
        least_g = max(s.own_strike_least_g, s.other_leg_strike_ratio * rep_g)
        cut = [(index(lo), index(hi)) for lo, hi in spans]
        strikes_g = [peak_g(i, j) for i, j in cut]
        if np.median(strikes_g[1:-1]) < least_g:
            return None  # most pauses between the reps hold no step of this leg: its reps are its own
        speed = hist.get("speed", a, b)
        angle = principal_angle_deg(hist.get("u", a, b))
        # One leg's step takes about as long as the other's: at most `own_step_longest_share`
        # times the other leg's typical step (a longer "step" holds more than one movement).
        longest_s = min(s.max_duration_s(exercise), s.own_step_longest_share * float(
            np.median([r.end_s - r.start_s for r in reps])))
        shortest_s = s.min_quick_duration_s(exercise)
        steps: list[Rep | None] = []
        for n_span, ((i, j), g) in enumerate(zip(cut, strikes_g, strict=True)):
            moving = np.flatnonzero(speed[i:j] >= s.still_dps)
            lo, hi = (i + int(moving[0]), i + int(moving[-1])) if moving.size else (i, i)
            # Between two of the other leg's steps this leg stepped (the legs alternate; a strike
            # sampled at 25 Hz may fall between samples); before the first or after the last only
            # where its strike shows it.
            edge = n_span in (0, len(cut) - 1)
            if (edge and g < least_g) or not shortest_s <= float(t[hi] - t[lo]) <= longest_s:
                if not edge:
                    return None  # no one step of this leg between two of the other's: not alternating
                steps.append(None)
                continue
            away = np.abs(angle[lo : hi + 1] - angle[lo])
            top = lo + int(away.argmax())
            start_s, peak_s, end_s = (float(t[n]) - shift for n in (lo, top, hi))
            steps.append(Rep(
                index=0, start_s=start_s, peak_s=peak_s, end_s=end_s, range_deg=float(away.max()),
                down_s=peak_s - start_s, up_s=end_s - peak_s, knee_drift_deg=None, calibrated=False,
            ))
        first, last = steps[0], steps[-1]
        if first is not None and last is not None:
            # This leg stepped before the other's first step or after its last, not both: the one
            # that keeps the set's rhythm (as near the other leg's step as its steps between them
            # are; the other is walking off or about).
            between = [(r, a, b) for r, a, b in zip(steps[1:-1], reps[:-1], reps[1:], strict=True) if r is not None]
            to_next_s = float(np.median([b.start_s - r.end_s for r, _, b in between])) if between else 0.0
            from_last_s = float(np.median([r.start_s - a.end_s for r, a, _ in between])) if between else 0.0
            early = abs(reps[0].start_s - first.end_s - to_next_s)
            late = abs(last.start_s - reps[-1].end_s - from_last_s)
            steps[-1 if early <= late else 0] = None
        out = [r for r in steps if r is not None]
        if len(out) < s.min_reps_per_set:
            return None
        self.repetition_reps += len(out)
        return out

    def _recording_edges(self, a: int, b: int, period_n: float) -> tuple[float, float]:
        """Sample indices into [a, b) within a period of the recording's first sample and (once
        the stream has ended) its last, as `explained_by_period` takes them."""
        start = period_n if a == 0 else -np.inf
        end = b - a - 1 - period_n if self._st.ended and b == self._st.hist.end else np.inf
        return start, end

    def _finder_cycle_repeats(self, corr: FloatArray, reps: list[Rep]) -> bool:
        """Whether the set's angle (`corr`: its autocorrelation at every lag) correlates with itself
        by `repetition_min_autocorrelation` at the finder's own spacing (its reps' median
        start-to-start time, give or take the share of it `repetition_least_share_of_period`
        leaves): then each rep it counted is a whole period of
        the movement, even where a longer period lines up better (a person's knee-valgus reps
        alternating in shape). A shank's stand-up and sit-down tilts, unlike each other and unevenly
        spaced, do not correlate at that spacing (tuning seeds: −0.1–0.23; squats 0.5)."""
        s = self._s
        cycle_n = median([b.start_s - a.start_s for a, b in zip(reps, reps[1:])]) * self._st.rate_hz
        slack = 1.0 - s.repetition_least_share_of_period
        lo, hi = int(cycle_n * (1.0 - slack)), int(np.ceil(cycle_n * (1.0 + slack)))
        top = min(hi + 1, corr.size)
        if lo >= top:
            return False
        return float(corr[max(lo, 1) : top].max()) >= s.repetition_min_autocorrelation


def merged_rep(parts: list[Rep]) -> Rep:
    """Several of the finder's reps within one period of the movement, as one rep: the largest's
    extreme and range, the earliest start, the latest end, every warning, the largest drift."""
    top = max(parts, key=lambda r: r.range_deg)
    drifts = [r.knee_drift_deg for r in parts if r.knee_drift_deg is not None]
    start_s, end_s = min(r.start_s for r in parts), max(r.end_s for r in parts)
    return replace(
        top, start_s=start_s, end_s=end_s, down_s=top.peak_s - start_s, up_s=end_s - top.peak_s,
        warnings=tuple(w for r in parts for w in r.warnings),
        knee_drift_deg=max(drifts) if drifts else top.knee_drift_deg,
    )


def joined_edges(reps: list[Rep]) -> list[Rep]:
    """Recounted reps whose spans overlap made to meet at one boundary between their extremes
    (start <= extreme <= end, the next start no earlier than this end): a finder's rep keeps its
    start where that lies between the two extremes (the rep before ends there; a live rep is known
    by its start), and a rep counted from the pattern starts where the finder's before it ended;
    else the other rep's own edge (a finder's rep whose estimated end ran past the next rep's
    extreme, joined squats: it ends where the next rise begins), else the middle of the overlap,
    moved to the nearer extreme. Two reps
    whose extremes lie in the wrong order claim one excursion: they become one rep (merged_rep)."""
    out: list[Rep] = []
    for rep in reps:
        before = out[-1] if out else None
        if before is None or rep.start_s >= before.end_s:
            out.append(rep)
            continue
        if rep.peak_s < before.peak_s:
            out[-1] = merged_rep([before, rep])
            continue
        # A counted rep is known by its start (results.Withdrawals: the live view's rep is the
        # final one with the same start): a finder's rep keeps its start, the one before it ends there.
        edges = (rep.start_s, before.end_s) if rep.calibrated else (before.end_s, rep.start_s)
        inside = [e for e in edges if before.peak_s <= e <= rep.peak_s]
        at_s = inside[0] if inside else min(max(0.5 * (before.end_s + rep.start_s), before.peak_s), rep.peak_s)
        if at_s != before.end_s:
            out[-1] = replace(before, end_s=at_s, up_s=at_s - before.peak_s)
        out.append(rep if at_s == rep.start_s else replace(rep, start_s=at_s, down_s=rep.peak_s - at_s))
    return out
