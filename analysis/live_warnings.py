"""When a live view shows a counted rep's knee-drift warning, and when it takes one back.

`analyze` warns only on the reps of its final count; live, a rep is counted as it ends and its set is
judged whole only when the set ends (sets.py `close`), which can still drop it (a quick squat that
was a stride, sitting down after the set) or drop the whole set (fewer reps than a set). Two rules
keep what a live user sees to what `analyze` gives for the same file:

- hold: a warning on a set's first reps waits until the set has `hold_reps` counted reps (a set of
  fewer is not kept), or until the set ends kept with that rep in it;
- take back: a shown warning whose rep is withdrawn (`RepWithdrawn`) is taken back, visibly.

The streaming analyzer's `DriftWarning` (raised while a rep is still under way) is provisional and
not shown: the warning a view shows is the one on the counted rep (`RepCounted.rep.warnings`).
Pure: events in, decisions out; the TUI and benchmarks/live_warnings.py run this same code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sensortrack.analysis.results import Event, Rep, RepCounted, RepWithdrawn, SetEnded, SetStarted


@dataclass(frozen=True, slots=True)
class WarningShown:
    set_index: int
    rep: Rep  # as counted live
    t_s: float  # stream time it is shown
    counted_t_s: float  # stream time its rep was counted (earlier when it was held)


@dataclass(frozen=True, slots=True)
class WarningTakenBack:
    set_index: int
    rep: Rep
    t_s: float


WarningDecision = WarningShown | WarningTakenBack


class LiveWarnings:
    """Feed every analysis event in order (`review`); get the warnings to show and to take back."""

    def __init__(self, hold_reps: int) -> None:
        self.hold_reps = max(1, hold_reps)
        self._counted: dict[int, int] = {}  # open set index -> reps counted live
        self._held: list[RepCounted] = []  # warned reps waiting for their set to be established
        self._shown: set[tuple[int, float]] = set()  # (set index, rep start) on screen

    def held(self, set_index: int, rep: Rep) -> bool:
        """Whether `rep`'s warning is waiting (the view shows the rep without it meanwhile)."""
        return any(e.set_index == set_index and e.rep.start_s == rep.start_s for e in self._held)

    def review(self, events: Iterable[Event]) -> list[WarningDecision]:
        out: list[WarningDecision] = []
        for event in events:
            out += self.on_event(event)
        return out

    def on_event(self, event: Event) -> list[WarningDecision]:
        if isinstance(event, SetStarted):
            self._counted[event.set_index] = 0
            return []
        if isinstance(event, RepCounted):
            n = self._counted.get(event.set_index, 0) + 1
            self._counted[event.set_index] = n
            if event.rep.drifted:
                self._held.append(event)
            if n < self.hold_reps:
                return []
            return self._release(event.set_index, event.t_s)
        if isinstance(event, RepWithdrawn):
            before = len(self._held)
            self._held = [e for e in self._held if not (e.set_index == event.set_index and e.rep.start_s == event.rep.start_s)]
            key = (event.set_index, event.rep.start_s)
            if len(self._held) == before and key in self._shown:
                self._shown.discard(key)
                return [WarningTakenBack(event.set_index, event.rep, event.t_s)]
            return []
        if isinstance(event, SetEnded):
            # Its withdrawn reps came first: what is still held is in a kept set (live it had fewer
            # reps than `hold_reps`, and reps that were too small to count live joined it).
            index = event.exercise_set.index
            self._counted.pop(index, None)
            self._shown = {k for k in self._shown if k[0] != index}  # nothing of it is withdrawn later
            return self._release(index, event.t_s) if event.kept else []
        return []

    def _release(self, set_index: int, t_s: float) -> list[WarningDecision]:
        due = [e for e in self._held if e.set_index == set_index]
        self._held = [e for e in self._held if e.set_index != set_index]
        self._shown.update((e.set_index, e.rep.start_s) for e in due)
        return [WarningShown(e.set_index, e.rep, t_s, e.t_s) for e in due]
