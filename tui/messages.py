"""Messages from the sensor worker to the UI: analysis events, coalesced snapshots, the end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # the view's first frame is drawn before NumPy and the engine are imported
    from sensortrack.analysis.results import AnalysisResult, Event, LiveState
    from sensortrack.core.vocabulary import Exercise


class AnalysisEvent(Message):
    """One rep/set/warning event, delivered in order and never dropped."""

    def __init__(self, event: Event, limit_deg: float = 0.0) -> None:
        super().__init__()
        self.event = event
        self.limit_deg = limit_deg  # the knee-drift limit in force while the event's block was judged


class Snapshot(Message):
    """The analyzer's state after a block plus recent plot points. Only the newest one matters,
    so a queued snapshot is replaced by a newer one instead of repainting for each."""

    def __init__(self, state: LiveState, plot: tuple[tuple[float, float, float], ...], position_s: float) -> None:
        super().__init__()
        self.state = state
        self.plot = plot  # (t_s, angle_deg, drift_deg) oldest first
        self.position_s = position_s

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Snapshot)


class AnalysisReset(Message):
    """The source went back to its start (backward seek): forget every rep shown."""


class StreamFinished(Message):
    """The source has no more samples; `result` is the whole session's analysis."""

    def __init__(self, result: AnalysisResult) -> None:
        super().__init__()
        self.result = result


class TurnAtBottom(Message):
    """The movement turned from going down to coming up: the bottom of a rep (a cue, not a count)."""


class ExerciseChanged(Message):
    """The recording moved on to another exercise (a plan's `# exercise` line): analysed as that from here."""

    def __init__(self, exercise: Exercise) -> None:
        super().__init__()
        self.exercise = exercise


class PairUpdate(Message):
    """Two sensors: a rep's knee angle is known, or the other leg counted a rep."""

    def __init__(self, item: object) -> None:
        super().__init__()
        self.item = item
