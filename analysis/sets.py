"""Rep acceptance, sets, shallow reps and the knee-drift warning threshold.

Decisions are sequential (each rep is judged against the reps before it), so the streaming and the
batch form, which run this same code over the same samples, agree exactly.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from itertools import groupby
from typing import Any


from sensortrack.analysis.reference import DriftReference, SessionBaseline
from sensortrack.analysis.results import Event, ExerciseSet, Rep, RepCounted, RepWarning, SetEnded, SetStarted
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.analysis.stance import Step
from sensortrack.core.vocabulary import Exercise, Placement


@dataclass(slots=True)
class RepCandidate:
    start_s: float
    peak_s: float
    end_s: float
    range_deg: float
    knee_drift_deg: float | None
    warnings: tuple[RepWarning, ...] = ()
    step: Step | None = None
    hold_s: float = 0.0  # longest time held still during the movement
    impact_g: float = 0.0  # RMS of the quick part of |acc| over the movement: foot strikes
    body_drop: bool = False  # that quick part is the body lowered and stopped (repetition.drop_explains_load)
    past_rest_deg: float = 0.0  # how far the segment turned past rest the other way meanwhile
    drift_limit_deg: float | None = None  # the knee-drift limit this rep was judged against
    calibrated: bool = True  # False: counted from the movement's repetition (repetition.py)
    cut: bool = False  # the recording began during it: its duration is not the rep's own
    # When set, (impact_g, body_drop) are worked out by it, given `gait_impact_g`, only if a test needs
    # them (a rep quicker than a stride): most reps are not, and the two cost a tenth of a rep's time.
    # body_drop is then worked out only when impact_g is over gait_impact_g (else it decides nothing).
    quick_load: Callable[[float], tuple[float, bool]] | None = None


class _RunningMedian:
    """Median of a growing list, kept sorted so each query is O(1) (asked once per rep)."""

    def __init__(self) -> None:
        self._sorted: list[float] = []

    def add(self, value: float) -> None:
        bisect.insort(self._sorted, value)

    def __len__(self) -> int:
        return len(self._sorted)

    def median(self) -> float:
        v, n = self._sorted, len(self._sorted)
        return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


@dataclass(slots=True)
class _OpenSet:
    index: int
    start_s: float
    reps: list[Rep] = field(default_factory=list)
    ranges: _RunningMedian = field(default_factory=_RunningMedian)
    holds_s: list[float] = field(default_factory=list)  # per rep, beside `reps`
    # Movements of the set too small to count (a tired rep, a smaller one): no pause, so the set
    # goes on through them (a set break is a pause in the movement, not a gap between counted reps).
    moving: list[tuple[float, float]] = field(default_factory=list)
    moving_until_s: float = -float("inf")
    # Sorted copies of the reps' durations, durations less holds, and pauses between them, kept as
    # reps come (`add`): their medians are asked several times per rep candidate (set break, tempo).
    durations_s: list[float] = field(default_factory=list)
    moving_s: list[float] = field(default_factory=list)
    pauses_s: list[float] = field(default_factory=list)
    best_range_deg: float = -float("inf")
    # `SetTracker._break_s` of this set while open: asked before every rep candidate (whether the
    # set is due to close, whether a rep joins it), it changes only when a rep is added or replaced.
    break_s: float | None = None

    def add(self, rep: Rep, hold_s: float) -> None:
        self.break_s = None
        if self.reps:
            bisect.insort(self.pauses_s, rep.start_s - self.reps[-1].end_s)
        self.reps.append(rep)
        self.holds_s.append(hold_s)
        self.ranges.add(rep.range_deg)
        bisect.insort(self.durations_s, rep.end_s - rep.start_s)
        bisect.insort(self.moving_s, rep.end_s - rep.start_s - hold_s)
        self.best_range_deg = max(self.best_range_deg, rep.range_deg)

    def replace_last(self, rep: Rep) -> None:
        """The last rep with another end (its pause to the one before is unchanged)."""
        self.break_s = None
        last, hold_s = self.reps[-1], self.holds_s[-1]
        self.durations_s.remove(last.end_s - last.start_s)
        self.moving_s.remove(last.end_s - last.start_s - hold_s)
        self.reps[-1] = rep
        bisect.insort(self.durations_s, rep.end_s - rep.start_s)
        bisect.insort(self.moving_s, rep.end_s - rep.start_s - hold_s)


def _misfit_runs(fits: list[bool]) -> list[int]:
    """Per rep, how many misfits in a row its run holds (0 for a rep that fits)."""
    runs: list[int] = []
    for ok, run in groupby(fits):
        n = len(list(run))
        runs += [0 if ok else n] * n
    return runs


def _runs_between_pauses(
    reps: list[Rep], limit_s: float, moving: list[tuple[float, float]] | None = None
) -> list[slice]:
    """The runs of `reps` that no pause longer than `limit_s` interrupts (one empty run for none).
    `moving`: (start, end) of movements that were not counted but were no pause either."""
    def paused(a: Rep, b: Rep) -> bool:
        if not moving:  # the usual case: the pause is the gap between the two reps
            return b.start_s - a.end_s > limit_s
        edges = [a.end_s] + [x for m in moving or () if a.end_s < m[0] and m[1] < b.start_s for x in m] + [b.start_s]
        return max(y - x for x, y in zip(edges[::2], edges[1::2], strict=True)) > limit_s
    bounds = [0] + [i for i in range(1, len(reps)) if paused(reps[i - 1], reps[i])] + [len(reps)]
    return [slice(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]


def _middle(values: Iterable[float]) -> float:
    """The upper median: an actual value of the set, robust to the odd rep that is not one."""
    return _upper_median(sorted(values))


def _upper_median(ordered: list[float]) -> float:
    """`_middle` of values already sorted."""
    return ordered[len(ordered) // 2]


class SetTracker:
    def __init__(
        self, exercise: Exercise, placement: Placement, settings: AnalysisSettings, reference: DriftReference | None = None
    ) -> None:
        self.exercise = exercise
        self.placement = placement
        self.settings = settings
        self._open: _OpenSet | None = None
        self._closed: list[ExerciseSet] = []
        self._next_index = 1
        self._reference = reference
        self._baseline = SessionBaseline(settings)
        self.last_end_s: float | None = None
        # When movements quicker than any rep (strides of gait) ended (`_strode_before`, and the
        # repetition search: set_recount.SetRecount._count_repetitions, which forgets those it has passed).
        self.stride_ends_s: list[float] = []
        # Movements under the exercise's floor, kept until a set they may belong to ends (`close`).
        self._below_floor: list[RepCandidate] = []
        self._min_range_deg = settings.min_range_deg(exercise, placement)  # the exercise's floor
        # The exercise's duration limits (settings are frozen): asked for every rep candidate.
        self._max_duration_s = settings.max_duration_s(exercise)
        self._min_duration_s = settings.min_duration_s(exercise)
        self._min_quick_duration_s = settings.min_quick_duration_s(exercise)
        self._min_duration_share = settings.min_duration_share(exercise)
        # Given a closing set's reps, the reps its whole repeated pattern explains (set_recount.py's
        # `SetRecount.recount_set`: one rep per period where the finder counted two excursions of one rep).
        self.recount: Callable[[list[Rep]], list[Rep]] | None = None
        # The finder's reps of sets too small to keep since the last kept set (`_recount_with_dropped`):
        # a movement the finder follows only in part (a shank's sit-to-stand) leaves one or two
        # reps at a time, each closing as no set, while the whole pattern is a set.
        self._dropped: list[Rep] = []

    # --- warnings ---------------------------------------------------------------------------
    def drift_threshold_deg(self, depth_deg: Any = None) -> Any:
        """The limit the next rep's drift is judged against: the person's reference when there is
        one (its level scaled by `depth_deg`, float or array, the depth reached: reference.py),
        else this session's own reps so far."""
        if self._reference is not None:
            share = 1.0 if depth_deg is None else self._baseline.depth_share(depth_deg)
            return self._reference.limit_deg(self.settings, self._baseline.level_deg(), share)
        return self._baseline.limit_deg()

    def over_reference_deg(self, drift_deg: float | None) -> float | None:
        if drift_deg is None or self._reference is None:
            return None
        return drift_deg - self._reference.median_deg

    # --- reps -------------------------------------------------------------------------------
    def rejects(self, rep: RepCandidate) -> bool:
        s = self.settings
        duration_s = rep.end_s - rep.start_s
        # Quicker than a walking stride may be a rep too (continuous squats at 0.8–1.2 s) if it is
        # no step: no foot strike loads the leg (walking or jogging in place lands on the foot
        # every stride: UTD-MHAD thigh 0.13–0.4 g at 25 Hz) and it stays on its side of rest (a
        # stride forward swings the thigh behind standing at push-off; no exercise turns past rest).
        # A thigh's quick load that is the body lowered once per rep in step with it is no strike.
        if duration_s > self._max_duration_s:
            return True
        # (Only a rep quicker than a stride needs these tests, so only then are they worked out.)
        if duration_s < self._min_duration_s and not rep.cut:  # a cut rep: only part was recorded
            quick_rep = (
                duration_s >= self._min_quick_duration_s
                and rep.past_rest_deg <= s.quick_rep_past_rest_share_of_range * rep.range_deg
                and self._strike_free(rep)
                and not self._slower_set(rep.start_s, duration_s)
            )
            if not quick_rep:
                if duration_s < self._min_quick_duration_s and rep.range_deg >= self._min_range_deg:
                    self.stride_ends_s.append(rep.end_s)  # quicker than any rep, as large as one: a stride
                return True
        floor_deg = self._min_range_deg
        current = self._current_set(rep.start_s)
        if rep.range_deg < floor_deg:
            if rep.range_deg >= s.below_floor_share_of_min_range * floor_deg:
                self._keep_below_floor(rep)
                self._still_moving(rep)
            return True
        if current is not None and len(current.ranges) >= 2:
            if rep.range_deg < s.min_range_share_of_set * current.ranges.median():
                self._still_moving(rep)
                return True
        return False

    def _strike_free(self, rep: RepCandidate) -> bool:
        """No foot strike loads the leg over `rep`, or its quick load is the body's drop (and no
        stride came between it and the last rep: `_strode_before`)."""
        if rep.quick_load is not None:  # worked out now that it is needed (rep_judge.RepJudge.judge_rep)
            rep.impact_g, rep.body_drop = rep.quick_load(self.settings.gait_impact_g)
            rep.quick_load = None
        return rep.impact_g <= self.settings.gait_impact_g or (rep.body_drop and not self._strode_before(rep))

    def _strode_before(self, rep: RepCandidate) -> bool:
        """Whether a stride (a movement quicker than any rep, `min_quick_rep_duration_s`, and at
        least the exercise's range) ended since the last rep counted and within a set break before
        `rep`. Walking and jogging in place alternate legs: between two lifts of this thigh the other
        leg's stride moves it too, quicker than a rep. Reps of a continuous set follow each other
        with no such stride (none between the fast squats of the simulator's tuning seeds 0–29).
        Needed without a gyroscope: the angle is then gravity's direction from the accelerometer,
        which the foot strikes' linear acceleration tilts in step with |acc|, so a real jogging
        stride (UTD-MHAD s5) passes `drop_explains_load` (range 68–81° read for 26–52° with the gyro)."""
        if not self.stride_ends_s:
            return False
        since_s = rep.start_s - self.settings.set_break_s
        if self.last_end_s is not None:
            since_s = max(since_s, self.last_end_s)
        return self.stride_ends_s[-1] > since_s

    def forget_strides_before(self, t_s: float) -> None:
        """Strides ending before `t_s` will not be asked about again."""
        self.stride_ends_s = [e for e in self.stride_ends_s if e >= t_s]

    def _still_moving(self, rep: RepCandidate) -> None:
        """A rep's worth of movement too small to count: the open set goes on through it if it
        came in the set's rhythm (no longer after the set's last movement than a rhythm break)."""
        until_s = self._active_until_s()
        if self._open is None or until_s is None or len(self._open.reps) < 2:
            return
        if rep.start_s - until_s > self._rhythm_break_from(_upper_median(self._open.pauses_s)):
            return
        self._open.moving.append((rep.start_s, rep.end_s))
        self._open.moving_until_s = max(self._open.moving_until_s, rep.end_s)

    def _slower_set(self, start_s: float, duration_s: float) -> bool:
        """A rep starting at `start_s` would join a set done at a slower tempo than `duration_s`
        allows (`min_duration_share_of_set` of its median rep): quick steps right after a set of
        slow squats are walking away, not more reps (they would also bridge it to the next set)."""
        current = self._current_set(start_s)
        if current is None or len(current.reps) < 2:
            return False
        return duration_s < self._min_duration_share * _upper_median(current.durations_s)

    def _keep_below_floor(self, rep: RepCandidate) -> None:
        """Keep a movement under the floor while a set it could join may still come or go on: within
        a set break of the open set's last rep, or of a set starting after it."""
        horizon_s = rep.start_s - self.settings.set_break_s
        if self._open is not None and self.last_end_s is not None:
            horizon_s = min(horizon_s, self._open.start_s - self.settings.set_break_s)
        self._below_floor = [r for r in self._below_floor if r.end_s >= horizon_s]
        self._below_floor.append(rep)

    def _joining(self, opened: _OpenSet) -> list[tuple[Rep, float]]:
        """The kept movements under the floor that lie within a set break of the set's reps and are
        not far smaller than them, and that no rep of the set covers (the movement's repetition may
        have counted it), as reps (with their holds); the rest are forgotten."""
        s = self.settings
        first_s, last_s = opened.reps[0].start_s, opened.reps[-1].end_s
        mid_range = opened.ranges.median()
        joining = [
            r
            for r in self._below_floor
            if first_s - s.set_break_s <= r.start_s and r.end_s <= last_s + s.set_break_s
            and r.range_deg >= s.min_range_share_of_set * mid_range
            and not any(r.start_s < c.end_s and c.start_s < r.end_s for c in opened.reps)  # counted already
        ]
        self._below_floor = [r for r in self._below_floor if r.start_s > last_s]
        return [
            (
                Rep(
                    index=0, start_s=r.start_s, peak_s=r.peak_s, end_s=r.end_s, range_deg=r.range_deg,
                    down_s=r.peak_s - r.start_s, up_s=r.end_s - r.peak_s, knee_drift_deg=None,
                    knee_drift_over_reference_deg=None, drift_limit_deg=None, calibrated=r.calibrated,
                    warnings=(), shallow=False, step=r.step,
                ),
                r.hold_s,
            )
            for r in joining
        ]

    def _active_until_s(self) -> float | None:
        """The end of the open set's last movement: its last rep, or a smaller one after it."""
        if self._open is None or self.last_end_s is None:
            return None
        return max(self.last_end_s, self._open.moving_until_s)

    def _break_s(self, opened: _OpenSet | None) -> float:
        """A pause longer than this ends `opened` while it is open: `set_break_s`, or room for
        `set_break_reps` of its reps' movements (holds left out) if longer. Once it has a set's worth
        of reps, that room only where its own pauses are long (a pause breaking its rhythm is
        shorter than the room): a set done in short pauses ends after `set_break_s`, as ever."""
        s = self.settings
        if opened is None or not opened.reps:
            return s.set_break_s
        room_s = s.set_break_reps * _upper_median(opened.moving_s)
        if len(opened.reps) >= s.min_reps_per_set:
            room_s = min(room_s, self._rhythm_break_from(_upper_median(opened.pauses_s)))
        return max(s.set_break_s, room_s)

    def _open_break_s(self) -> float:
        """`_break_s` of the open set, worked out once per change of its reps (`_OpenSet.break_s`)."""
        opened = self._open
        if opened is None:
            return self._break_s(None)
        if opened.break_s is None:
            opened.break_s = self._break_s(opened)
        return opened.break_s

    def _current_set(self, start_s: float) -> _OpenSet | None:
        """The open set if a rep starting at `start_s` would join it."""
        until_s = self._active_until_s()
        if until_s is None or start_s - until_s > self._open_break_s():
            return None
        return self._open

    def position_for(self, start_s: float) -> tuple[int, int]:
        """(set index, rep index) a rep starting at `start_s` will get if it is accepted."""
        current = self._current_set(start_s)
        if current is not None:
            return current.index, len(current.reps) + 1
        return (self._open.index + 1 if self._open is not None else self._next_index), 1

    def accept(self, rep: RepCandidate, now_s: float) -> list[Event]:
        events: list[Event] = []
        if self._open is not None and self._current_set(rep.start_s) is None:
            events += self.close(now_s)
        if self._open is None:
            self._open = _OpenSet(index=self._next_index, start_s=rep.start_s)
            self._next_index += 1
            events.append(SetStarted(set_index=self._open.index, t_s=rep.start_s))
        if self._open.reps and self._open.reps[-1].end_s > rep.start_s:
            # An estimated end (a band-walk shank step's loaded half) ran into this rep: it ended here,
            # but not before its own extreme (then this rep starts there instead, not before it).
            last = self._open.reps[-1]
            meet_s = max(rep.start_s, last.peak_s)
            self._open.replace_last(replace(last, end_s=meet_s, up_s=meet_s - last.peak_s))
            if meet_s > rep.start_s:
                rep = replace(rep, start_s=min(meet_s, rep.peak_s))
        best = max(self._open.best_range_deg, rep.range_deg)
        final = Rep(
            index=len(self._open.reps) + 1,
            start_s=rep.start_s,
            peak_s=rep.peak_s,
            end_s=rep.end_s,
            range_deg=rep.range_deg,
            down_s=rep.peak_s - rep.start_s,
            up_s=rep.end_s - rep.peak_s,
            knee_drift_deg=rep.knee_drift_deg,
            knee_drift_over_reference_deg=self.over_reference_deg(rep.knee_drift_deg),
            drift_limit_deg=rep.drift_limit_deg,
            calibrated=rep.calibrated,
            warnings=tuple(rep.warnings),
            shallow=rep.range_deg < self.settings.shallow_share_of_best * best,
            step=rep.step,
        )
        self._open.add(final, rep.hold_s)
        if final.knee_drift_deg is not None:
            self._baseline.add(final.knee_drift_deg, final.range_deg)
        self.last_end_s = rep.end_s
        events.append(RepCounted(set_index=self._open.index, rep=final, t_s=now_s))
        return events

    # --- sets -------------------------------------------------------------------------------
    def break_due_s(self) -> float | None:
        """Stream time at which the open set ends if no rep starts before then."""
        until_s = self._active_until_s()
        return None if until_s is None else until_s + self._open_break_s()

    def close(self, now_s: float) -> list[Event]:
        """End the open set: outliers dropped, shallow reps re-judged against the set's best.

        A movement that was not a rep (sitting down between sets) may have bridged two sets while
        they were open; once it is dropped, a pause longer than `set_break_s` splits them again.
        """
        if self._open is None:
            return []
        opened, self._open = self._open, None
        joining = self._joining(opened) if opened.reps else []
        if joining:
            merged = sorted([*zip(opened.reps, opened.holds_s, strict=True), *joining], key=lambda rh: rh[0].start_s)
            opened.reps = [r for r, _ in merged]
            opened.holds_s = [h for _, h in merged]
        events: list[Event] = []
        index = opened.index
        kept = self._consistent(opened)
        # Closed, a set is split where a pause is a set break and also breaks its rhythm: two sets
        # the longer open break joined come apart, a set done in long pauses (alternating) does not.
        break_s = max(self.settings.set_break_s, self._rhythm_break_s(kept)) if len(kept) > 1 else self.settings.set_break_s
        for part in _runs_between_pauses(kept, break_s, opened.moving):
            reps = kept[part]
            if self.recount is not None and reps:
                reps = self.recount(reps)
                if len(reps) < self.settings.min_reps_per_set:
                    reps = self._recount_with_dropped(reps)
            done = self._as_set(index, opened.start_s, reps)
            if len(done.reps) < self.settings.min_reps_per_set:
                # Fewer reps than a set: fidgeting or re-strapping. Its index is reused.
                events.append(SetEnded(exercise_set=done, t_s=now_s, kept=False))
                if self.recount is not None:
                    self._dropped += [r for r in kept[part] if r.calibrated]
                continue
            self._dropped = []
            self._closed.append(done)
            events.append(SetEnded(exercise_set=done, t_s=now_s, kept=True))
            index += 1
        self._next_index = index
        return events

    def _recount_with_dropped(self, reps: list[Rep]) -> list[Rep]:
        """`reps` (too few for a set) with the finder's dropped reps before them, recounted together
        from their repeated pattern (`recount`): the latest run of them, back to at most
        `repetition_search_s` before `reps`, that the pattern counts as a set; else `reps`.
        The runs tried hold the latest 1, 2, 4, … dropped reps and then all of them: each recount
        searches its run's samples, so the work is linear in the dropped reps (trying every run,
        one more rep at a time, was quadratic)."""
        assert self.recount is not None
        least = self.settings.min_reps_per_set
        earlier = [r for r in self._dropped if r.end_s >= reps[0].start_s - self.settings.repetition_search_s]
        mine = [r for r in reps if r.calibrated]
        size = 1
        while earlier and size <= len(earlier):
            chain = earlier[-size:] + mine
            joined = self.recount(chain)
            if joined is not chain and len(joined) >= least:  # recounted, not handed back as it was
                self._dropped = []
                return joined
            size = len(earlier) if size < len(earlier) < 2 * size else 2 * size
        return reps

    def forget_dropped_before(self, t_s: float) -> None:
        """Dropped reps ending before `t_s` will not be recounted with a later set."""
        if self._dropped and self._dropped[0].end_s < t_s:
            self._dropped = [r for r in self._dropped if r.end_s >= t_s]

    @property
    def recount_from_s(self) -> float | None:
        """Start of the earliest rep a closing may still recount (the open set's, a dropped one's)."""
        open_s = self.open_start_s
        starts = [r.start_s for r in self._dropped[:1]] + ([] if open_s is None else [open_s])
        return min(starts) if starts else None

    def _consistent(self, opened: _OpenSet) -> list[Rep]:
        """Drop reps unlike the rest of their set, judged once the whole set is known.

        While a set is open each rep is only compared with those before it, so the first reps of a
        set (a half-movement while getting into position, or sitting down on the bench just before
        it) have nothing to be compared with. Each rep is judged against the reps done in the same
        rhythm as it (`_rhythm_groups`); one in a group too small to judge against, against the set.
        Fewer reps than a set, cut off by rhythm breaks from the reps on both sides, are fidgeting
        between two sets the open set joined (like a set too small to keep). A set's worth of reps
        in a row unlike the rest is a set of its own kind, not outliers (held bridges joined to a
        quick set: the hold rule alone would drop them all).
        """
        reps, holds = opened.reps, opened.holds_s
        least = self.settings.min_reps_per_set
        if len(reps) < least:
            return reps
        whole = slice(0, len(reps))
        groups = self._rhythm_groups(reps)
        kept: list[Rep] = []
        for i, group in enumerate(groups):
            small = group.stop - group.start < least
            if small and 0 < i < len(groups) - 1:
                continue
            norm = whole if small else group
            fits = self._alike(reps[group], holds[group], reps[norm], holds[norm])
            misfit_runs = _misfit_runs(fits)
            kept += [r for r, ok, run in zip(reps[group], fits, misfit_runs, strict=True) if ok or run >= least]
        return kept

    def _alike(self, reps: list[Rep], holds_s: list[float], norm: list[Rep], norm_holds_s: list[float]) -> list[bool]:
        """Per rep of `reps`, whether it is like those of `norm`: not far smaller (a fidget, a
        half-step), not held far longer (sitting down on the bench), not done in far less time (a
        foot slid while lying)."""
        s = self.settings
        mid_range = _middle(r.range_deg for r in norm)
        min_duration_s = self._min_duration_share * _middle(r.end_s - r.start_s for r in norm)
        hold_limit_s = s.hold_over_set_s + 2.0 * _middle(norm_holds_s)
        return [
            r.range_deg >= s.min_range_share_of_set * mid_range
            and hold_s <= hold_limit_s
            and r.end_s - r.start_s >= min_duration_s
            for r, hold_s in zip(reps, holds_s, strict=True)
        ]

    def _rhythm_groups(self, reps: list[Rep]) -> list[slice]:
        """Runs of reps done in the set's rhythm: a pause longer than `rhythm_break_pause_share` times
        the set's usual pause starts a new run (two sets done with a short rest, or a movement
        between them, may have joined into one open set; their tempos and holds can differ)."""
        return _runs_between_pauses(reps, self._rhythm_break_s(reps))

    def _rhythm_break_s(self, reps: list[Rep]) -> float:
        """A pause longer than this breaks the rhythm of `reps` (two or more)."""
        return self._rhythm_break_from(_middle(b.start_s - a.end_s for a, b in zip(reps, reps[1:], strict=False)))

    def _rhythm_break_from(self, mid_pause_s: float) -> float:
        """`_rhythm_break_s` of reps whose (upper) median pause is `mid_pause_s`."""
        s = self.settings
        # Never shorter than half a set break: in a set of reps done back to back (a median pause
        # near 0) a breath between two reps is not a new rhythm.
        return max(s.rhythm_break_pause_share * mid_pause_s, 0.5 * s.set_break_s)

    def _as_set(self, index: int, opened_s: float, kept: list[Rep]) -> ExerciseSet:
        best = max((r.range_deg for r in kept), default=0.0)
        limit_deg = self.settings.shallow_share_of_best * best
        # (Reps are frozen: one already numbered and judged so is kept as it is, not copied.)
        reps = tuple(
            r if r.index == i and r.shallow == (r.range_deg < limit_deg)
            else replace(r, index=i, shallow=r.range_deg < limit_deg)
            for i, r in enumerate(kept, start=1)
        )
        return ExerciseSet(
            index=index,
            exercise=self.exercise,
            start_s=reps[0].start_s if reps else opened_s,
            end_s=reps[-1].end_s if reps else opened_s,
            reps=reps,
        )

    @property
    def sets(self) -> tuple[ExerciseSet, ...]:
        return tuple(self._closed)

    @property
    def open_start_s(self) -> float | None:
        """Start of the open set's first rep (None with no set open)."""
        return None if self._open is None else self._open.start_s

    @property
    def open_set_index(self) -> int | None:
        return None if self._open is None else self._open.index

    @property
    def open_rep_count(self) -> int:
        return 0 if self._open is None else len(self._open.reps)
