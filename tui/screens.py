"""Screens over the live view: key help and the end-of-session summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from sensortrack.core.plans import PlanProgress
from sensortrack.core.session_events import SetNote
from sensortrack.report_text import drift_measured
from sensortrack.tui.note import describe_note
from sensortrack.tui.widgets import fmt_drift, set_summary_line

if TYPE_CHECKING:  # the view's first frame is drawn before NumPy and the engine are imported
    from sensortrack.analysis.results import AnalysisResult


def plan_summary(progress: PlanProgress) -> str:
    """Plan against what was done: "squat 8/8, 7/8 · lunge –"."""
    plan = progress.plan
    parts = []
    for step in plan.steps:
        done = [reps for ex, reps in progress.log if ex == step.exercise]
        sets = ", ".join(f"{reps}/{step.reps}" for reps in done[: step.sets]) or "–"
        parts.append(f"{step.exercise.replace('_', ' ')} {sets}")
    state = "complete" if progress.finished else "not finished"
    return f"Plan {plan.name} ({state}): " + " · ".join(parts)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "close")]

    def __init__(self, lines: list[tuple[str, str]]) -> None:
        super().__init__()
        self._lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Label("Keys", id="help-title")
            width = max(len(k) for k, _ in self._lines)
            yield Static("\n".join(f"{k.rjust(width)}  {what}" for k, what in self._lines), id="help-keys")
            yield Label("ctrl+p opens the command palette · esc closes this", classes="dim")


class SessionSummaryScreen(ModalScreen[None]):
    """Shown when the stream ends: every kept set with its reps, range, tempo and drift."""

    BINDINGS = [Binding("escape", "dismiss", "back to the view"), Binding("q", "app.quit", "quit")]

    def __init__(
        self,
        result: AnalysisResult,
        limits: tuple[str, ...] = (),
        plan: PlanProgress | None = None,
        notes: dict[int, SetNote] | None = None,
    ) -> None:
        super().__init__()
        self.result = result
        self.limits = limits  # what the sensor could not do here, said again with the numbers
        self.plan = plan
        self.notes = notes or {}  # set index → how it felt, as the wearer noted it

    def compose(self) -> ComposeResult:
        result = self.result
        reps = result.reps
        drift = sum(s.drift_reps for s in result.sets)
        drift_said = f"{drift} with knee drift" if drift or drift_measured(reps) else "knee drift not measured"
        with Vertical(id="summary-box"):
            yield Label(
                f"Session: {len(result.sets)} set{'s' if len(result.sets) != 1 else ''} · "
                f"{len(reps)} rep{'s' if len(reps) != 1 else ''} · {drift_said}",
                id="summary-title",
            )
            if self.limits:
                yield Static("⚠ " + " · ".join(self.limits), id="summary-limits")
            if self.plan is not None:
                yield Static(plan_summary(self.plan), id="summary-plan")
            # Filled here, not in on_mount: quitting just as the stream ends can run on_mount
            # after the app has begun removing the screen's children (a crash on the way out).
            table: DataTable[str] = DataTable(id="summary-table", cursor_type="row")
            # how it felt before the drift list (the widest column): seen without scrolling
            felt = ["how it felt"] if self.notes else []
            table.add_columns("set", "exercise", "reps", "best range", *felt, "knee drift on rep (°)")
            for s in result.sets:
                best = f"{s.best_range_deg:.0f}°"
                none = "none" if drift_measured(s.reps) else "not measured"
                drifted = ", ".join(f"{r.index} ({fmt_drift(r.knee_drift_deg)})" for r in s.reps if r.drifted) or none
                note = self.notes.get(s.index)
                said = [describe_note(note) if note else "–"] if self.notes else []
                table.add_row(str(s.index), s.exercise, str(len(s.reps)), best, *said, drifted)
            yield table
            yield Static("\n".join(set_summary_line(s) for s in result.sets) or "no sets were found", id="summary-lines")
            yield Label("q quits · esc goes back", classes="dim")

