"""The pieces of the live set view. Each renders plain numbers it is given; no analysis here."""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from sensortrack.analysis.results import ExerciseSet, Rep


def bar(value: float, full: float, width: int) -> str:
    """A horizontal bar of `width` cells, `value / full` of it filled (clamped)."""
    share = 0.0 if full <= 0 or not math.isfinite(value) else min(1.0, max(0.0, value / full))
    filled = int(round(share * width))
    return "█" * filled + "░" * (width - filled)


def fmt_deg(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value + 0.0:.0f}°".replace("-0°", "0°")


# A 3×5 block font, each cell drawn two columns wide: digits 5 rows tall and 6 columns wide stay
# readable from two metres on an 80×24 terminal, where Textual's 3-row Digits are too small.
_GLYPHS: dict[str, tuple[str, ...]] = {
    "0": ("###", "# #", "# #", "# #", "###"),
    "1": ("## ", " # ", " # ", " # ", "###"),
    "2": ("###", "  #", "###", "#  ", "###"),
    "3": ("###", "  #", "###", "  #", "###"),
    "4": ("# #", "# #", "###", "  #", "  #"),
    "5": ("###", "#  ", "###", "  #", "###"),
    "6": ("###", "#  ", "###", "# #", "###"),
    "7": ("###", "  #", "  #", "  #", "  #"),
    "8": ("###", "# #", "###", "# #", "###"),
    "9": ("###", "# #", "###", "  #", "###"),
}


def big_number(text: str) -> str:
    """`text` (digits only) as 5 lines of block characters."""
    rows = []
    for row in range(5):
        cells = [_GLYPHS[ch][row] for ch in text if ch in _GLYPHS]
        rows.append("  ".join(c.replace("#", "██").replace(" ", "  ") for c in cells).rstrip())
    return "\n".join(rows)


class BigNumber(Static):
    """The rep count in large block digits."""

    def show(self, value: int) -> None:
        self.update(big_number(str(value)))


class RepCounter(Vertical):
    """The big number: reps in the current set, readable from two metres."""

    def compose(self) -> ComposeResult:
        yield Label("waiting for the first rep", id="set-title")
        yield BigNumber(big_number("0"), id="rep-digits")

    def show(self, set_index: int | None, rep_count: int, exercise: str) -> None:
        title = f"SET {set_index} · {exercise.replace('_', ' ')}" if set_index else "between sets"
        self.query_one("#set-title", Label).update(title)
        self.query_one("#rep-digits", BigNumber).show(rep_count)


class PhaseLabel(Static):
    """Which way the movement goes now, or what calibration waits for."""

    def show(self, phase: str, calibrated: bool) -> None:
        if not calibrated:
            self.update("calibrating: stand still, then do a few slow reps")
        else:
            self.update({"down": "▼ down", "up": "▲ up", "rest": "● rest"}.get(phase, phase))


class RangeMeter(Static):
    """Range of motion of the last rep against the set's best."""

    def show(self, last_deg: float | None, best_deg: float | None) -> None:
        if last_deg is None or best_deg is None:
            self.update("range    –")
            return
        self.update(f"range    {bar(last_deg, best_deg, 20)} {fmt_deg(last_deg)} of best {fmt_deg(best_deg)}")


class TempoLabel(Static):
    def show(self, rep: Rep | None) -> None:
        if rep is None:
            self.update("tempo    –")
        else:
            self.update(f"tempo    down {rep.down_s:.1f} s · up {rep.up_s:.1f} s · {rep.end_s - rep.start_s:.1f} s")


class DriftGauge(Static):
    """Knee drift toward the midline now, with the warning line at its threshold."""

    WIDTH = 30

    def show(self, drift_deg: float, threshold_deg: float) -> None:
        full = max(2.0 * threshold_deg, 1.0)
        cells = bar(drift_deg, full, self.WIDTH)
        mark = int(round(self.WIDTH * threshold_deg / full))
        text = Text("drift    ")
        style = "bold red" if math.isfinite(drift_deg) and drift_deg > threshold_deg else "green"
        text.append(cells[:mark], style=style)
        text.append("│", style="bold")
        text.append(cells[mark:], style=style)
        text.append(f" {fmt_deg(drift_deg)} (limit {fmt_deg(threshold_deg)})")
        self.update(text)


LEVELS = " ▁▂▃▄▅▆▇█"


def strip_chart(values: list[float], full: float, width: int) -> str:
    """The newest `width` values as one row of block characters on a FIXED 0…full scale, so a
    calm signal looks calm (an auto-scaled sparkline would blow noise up to full height)."""
    tail = values[-width:]
    cells = []
    for v in tail:
        share = 0.0 if not math.isfinite(v) else min(1.0, max(0.0, v / full))
        cells.append(LEVELS[int(round(share * (len(LEVELS) - 1)))])
    return "".join(cells).rjust(width)


class RollingPlot(Static):
    """The last seconds of segment angle and drift, newest on the right."""

    def show(self, points: tuple[tuple[float, float, float], ...], threshold_deg: float) -> None:
        width = max(10, self.size.width - 8)
        angles = [a for _, a, _ in points]
        drifts = [d for _, _, d in points]
        full_angle = max([90.0] + [a for a in angles if math.isfinite(a)])
        text = Text()
        text.append("angle ", style="dim")
        text.append(strip_chart(angles, full_angle, width), style="cyan")
        text.append("\ndrift ", style="dim")
        for ch, d in zip(strip_chart(drifts, 2 * threshold_deg, width), [math.nan] * (width - len(drifts[-width:])) + drifts[-width:]):
            text.append(ch, style="bold red" if math.isfinite(d) and d > threshold_deg else "green")
        self.update(text)


class RepTable(DataTable[str]):
    """One row per rep of the current set; drift reps marked."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_columns("rep", "range", "down", "up", "drift", "")

    def add_rep(self, set_index: int, rep: Rep) -> None:
        drift = any(w.kind == "knee_drift" for w in rep.warnings)
        note = "KNEE IN" if drift else ("shallow" if rep.shallow else "")
        style = "bold red" if drift else ""
        cells = (
            str(rep.index),
            fmt_deg(rep.range_deg),
            f"{rep.down_s:.1f}s",
            f"{rep.up_s:.1f}s",
            fmt_deg(rep.knee_drift_deg),
            note,
        )
        self.add_row(*(Text(c, style=style) for c in cells), key=f"{set_index}.{rep.index}")
        self.move_cursor(row=self.row_count - 1)


class AlertBanner(Static):
    """Hidden while reps are clean; names the rep when the knee drifts inward."""


class SetSummary(Static):
    def show(self, done: ExerciseSet) -> None:
        self.update(set_summary_line(done))


def set_summary_line(done: ExerciseSet) -> str:
    reps = done.reps
    if not reps:
        return f"set {done.index}: no reps"
    mean_range = sum(r.range_deg for r in reps) / len(reps)
    tempo = sum(r.end_s - r.start_s for r in reps) / len(reps)
    return (
        f"set {done.index} done: {len(reps)} reps · range {mean_range:.0f}° avg, {done.best_range_deg:.0f}° best · "
        f"{tempo:.1f} s per rep · {done.drift_reps} with knee drift"
    )


class StatusLine(Static):
    """Where the data comes from and how it flows."""


class Prompt(Static):
    """What the wearer should do now (connecting, calibrating); hidden once reps can be counted."""
