"""Screens over the live view: key help and the end-of-session summary."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from sensortrack.analysis.results import AnalysisResult
from sensortrack.tui.widgets import set_summary_line


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

    def __init__(self, result: AnalysisResult) -> None:
        super().__init__()
        self.result = result

    def compose(self) -> ComposeResult:
        result = self.result
        reps = result.reps
        drift = sum(s.drift_reps for s in result.sets)
        with Vertical(id="summary-box"):
            yield Label(
                f"Session: {len(result.sets)} sets · {len(reps)} reps · {drift} with knee drift",
                id="summary-title",
            )
            # Filled here, not in on_mount: quitting just as the stream ends can run on_mount
            # after the app has begun removing the screen's children (a crash on the way out).
            table: DataTable[str] = DataTable(id="summary-table", cursor_type="row")
            table.add_columns("set", "exercise", "reps", "best range", "knee drift reps")
            for s in result.sets:
                best = f"{s.best_range_deg:.0f}°"
                table.add_row(str(s.index), s.exercise, str(len(s.reps)), best, str(s.drift_reps))
            yield table
            yield Static("\n".join(set_summary_line(s) for s in result.sets) or "no sets were found", id="summary-lines")
            yield Label("q quits · esc goes back", classes="dim")

