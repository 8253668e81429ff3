"""The pieces of the live set view. Each renders plain numbers it is given; no analysis here."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from sensortrack.report_text import drift_measured, rep_columns

if TYPE_CHECKING:  # the view's first frame is drawn before NumPy and the engine are imported
    from sensortrack.analysis.results import ExerciseSet, Rep
    from sensortrack.analysis.settings import AnalysisSettings


def bar(value: float, full: float, width: int) -> str:
    """A horizontal bar of `width` cells, `value / full` of it filled (clamped)."""
    share = 0.0 if full <= 0 or not math.isfinite(value) else min(1.0, max(0.0, value / full))
    filled = int(round(share * width))
    return "█" * filled + "░" * (width - filled)


def fmt_deg(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value + 0.0:.0f}°".replace("-0°", "0°")


def fmt_drift(value: float | None) -> str:
    """A rep's knee drift as `analyze` gives it (one decimal, its JSON and text round the same)."""
    return "–" if value is None or not math.isfinite(value) else f"{value + 0.0:.1f}°".replace("-0.0°", "0.0°")


def fmt_limit(value: float) -> str:
    """The drift limit: whole degrees unless the person's own reps made it fractional."""
    return fmt_deg(value) if abs(value - round(value)) < 0.05 else f"{value:.1f}°"


# A 3×5 block font, each cell drawn 2·scale columns wide and `scale` rows tall: at scale 1 the digits
# are 5 rows tall and 6 columns wide, readable from two metres on 80×24; larger terminals get larger
# digits (`counter_scale`), so a 200×60 screen is not 80 % empty.
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
    "/": ("  #", "  #", " # ", "#  ", "#  "),
    "✓": ("   ", "  #", "  #", "# #", " # "),
}


def big_number(text: str, scale: int = 1) -> str:
    """`text` (digits, '/', '✓') as 5·scale lines of block characters."""
    rows = []
    for row in range(5):
        cells = [_GLYPHS[ch][row] for ch in text if ch in _GLYPHS]
        line = ("  " * scale).join(c.replace("#", "██" * scale).replace(" ", "  " * scale) for c in cells).rstrip()
        rows.extend([line] * scale)
    return "\n".join(rows)


def big_width(text: str, scale: int) -> int:
    glyphs = sum(1 for ch in text if ch in _GLYPHS)
    return max(0, glyphs * 6 * scale + (glyphs - 1) * 2 * scale)


def counter_scale(width: int, height: int, widest: str = "88✓") -> int:
    """How large the digits can be: the rest of the view keeps ~16 rows (80×24 → 1, 140×45 → 2,
    200×60 → 3), and the widest text the counter will show (with a plan "88/88") must fit in 60 %
    of the width, so the size does not jump between counts."""
    by_height = max(1, (height - 16) // 13)
    by_width = max(1, int(width * 0.6) // big_width(widest, 1))
    return min(4, by_height, by_width)


class BigNumber(Static):
    """The rep count in large block digits; during a rest the seconds left beside it, in the
    warning colour, as large as the count (readable from where the rest is taken)."""

    def show(self, text: str, scale: int = 1, rest_s: int | None = None) -> None:
        if rest_s is None:
            self.update(big_number(text, scale))
            return
        count = big_number(text, scale).split("\n")
        rest = big_number(str(rest_s), scale).split("\n")
        width = max(len(line) for line in count)
        shown = Text()
        for k, (left, right) in enumerate(zip(count, rest)):
            shown.append(left.ljust(width + 4 * scale))
            shown.append(right, style="bold yellow")
            if k < len(count) - 1:
                shown.append("\n")
        self.update(shown)


class RepCounter(Vertical):
    """The big number, readable from two metres: reps in the current set (against the target when
    there is one), or the last set's count with a tick between sets (and the rest countdown)."""

    scale = 1

    def compose(self) -> ComposeResult:
        yield Label("waiting for the first rep", id="set-title")
        yield BigNumber(big_number("0"), id="rep-digits")

    def show(self, title: str, text: str, rest_s: int | None = None) -> None:
        self._text, self.rest_s = text, rest_s
        self.query_one("#set-title", Label).update(title)
        self.query_one("#rep-digits", BigNumber).show(text, self.scale, rest_s)

    def rescale(self, scale: int) -> None:
        if scale != self.scale:
            self.scale = scale
            self.query_one("#rep-digits", BigNumber).show(getattr(self, "_text", "0"), scale, getattr(self, "rest_s", None))


def counter_text(count: int, target: int | None, done: bool) -> str:
    """"4", "4/10", or after the set "8✓"."""
    if done:
        return f"{count}✓"
    return f"{count}/{target}" if target else str(count)


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
    """The last counted rep's knee drift (the number the table, the banner and `analyze` give for
    that rep), with the warning line (│) at the limit that rep was judged against."""

    WIDTH = 24

    def show(
        self, rep_index: int | None, drift_deg: float | None, limit: DriftLimit, *, unmeasured: str = "", partial: str = ""
    ) -> None:
        self._shown = (rep_index, drift_deg, limit, unmeasured, partial)
        self._render_gauge()

    def on_resize(self) -> None:
        if hasattr(self, "_shown"):
            self._render_gauge()  # the bar's width follows the widget's

    def _render_gauge(self) -> None:
        rep_index, drift_deg, limit, unmeasured, partial = self._shown
        if unmeasured:
            self.update(Text(f"drift    not measured for {unmeasured}", style="dim"))
            return
        value = math.nan if drift_deg is None else drift_deg
        who = f"rep {rep_index} " if rep_index is not None else ""
        tail = f" {who}{fmt_drift(drift_deg)} ({limit.describe()})"
        # The number and its limit matter more than the bar: the bar gives way in a narrow terminal.
        width = self.WIDTH if not self.size.width else max(8, min(self.WIDTH, self.size.width - 10 - len(tail)))
        full = max(2.0 * limit.deg, 1.0)
        cells = bar(value, full, width)
        mark = int(round(width * limit.deg / full))
        over = math.isfinite(value) and value > limit.deg
        style = "bold red" if over else "green"
        text = Text("drift    ")
        text.append(cells[:mark], style=style)
        text.append("│", style="bold")
        text.append(cells[mark:], style=style)
        text.append(tail)
        if partial:
            text.append(f" · not reliable for {partial}", style="yellow")
        self.update(text)


@dataclass(frozen=True, slots=True)
class DriftLimit:
    """The knee-drift limit a rep was judged against (the engine's `Rep.drift_limit_deg`), and where
    it came from: the person's stored reference, or their own reps so far when those raised it above
    the fixed floor (AnalysisSettings.drift_threshold_deg)."""

    deg: float
    personal: bool = False
    reference: bool = False
    # Before the session's first `drift_baseline_reps` reps the limit is the fixed
    # `drift_no_baseline_deg` (18°): it is above the floor, but not from the person's reps yet.
    provisional: bool = False

    @classmethod
    def judged(cls, deg: float, settings: AnalysisSettings, *, reference: bool) -> DriftLimit:
        """The limit a rep was judged against, named by where it came from (a reference, the
        person's own reps once they raised it above the floor, or the fixed no-baseline limit)."""
        provisional = not reference and math.isclose(deg, settings.drift_no_baseline_deg, abs_tol=1e-6)
        personal = not provisional and deg > settings.drift_threshold_deg + 1e-6
        return cls(deg, personal=personal, reference=reference, provisional=provisional)

    def describe(self) -> str:
        if self.reference:
            return f"limit {fmt_limit(self.deg)}, from your reference"
        if self.provisional:
            return f"limit {fmt_limit(self.deg)} until your first reps set it"
        return f"limit {fmt_limit(self.deg)}" + (", from your own reps" if self.personal else "")


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


class RepTable(DataTable[Text]):
    """One row per rep of the current set, drawn by the terminal's one rep-table renderer
    (`report_text.rep_columns`, as `analyze` and `sessions show` print it); drift reps in red."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id, cursor_type="row")
        # set up here, not on mount: a LoadingView mounts the table while the view starts
        self._reps: dict[str, Mapping[str, Any]] = {}  # row key → the rep in the result schema
        self._headers: list[str] = []

    def put_rep(self, key: str, rep: Mapping[str, Any]) -> None:
        """Add the rep (result schema), or replace its row when it is shown again (a pair's knee
        angle arrived); the table is redrawn, since a new value can bring a column."""
        new = key not in self._reps
        self._reps[key] = rep
        self._redraw()
        if new:
            self.move_cursor(row=self.row_count - 1)

    def clear_reps(self) -> None:
        self._reps.clear()
        self.clear()

    def _redraw(self) -> None:
        reps = list(self._reps.values())
        columns = rep_columns(reps, with_set=False)
        headers = [header for header, _, _ in columns]
        if headers != self._headers:
            self.clear(columns=True)
            self.add_columns(*headers)
            self._headers = headers
        else:
            self.clear()
        for key, rep in self._reps.items():
            style = "bold red" if rep["warnings"] else ""
            cells = [Text(cell(rep), style=style, justify="right" if right else "left") for _, cell, right in columns]
            self.add_row(*cells, key=key)


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
    drifted = [r for r in reps if r.drifted]
    if drifted:
        drift = f"knee drift on rep {', '.join(f'{r.index} ({fmt_drift(r.knee_drift_deg)})' for r in drifted)}"
    else:
        drift = "no knee drift" if drift_measured(reps) else "knee drift not measured"
    return (
        f"set {done.index} done: {len(reps)} reps · range {mean_range:.0f}° avg, {done.best_range_deg:.0f}° best · "
        f"{tempo:.1f} s per rep · {drift}"
    )


class LimitsLine(Static):
    """What this sensor cannot do for this exercise and placement, said before the set starts."""


class PlanLine(Static):
    """The plan: exercise, set k of n, target, what comes next; or the rest countdown."""

    def show(self, text: str, *, resting: bool) -> None:
        self.set_class(resting, "-resting")
        self.update(text)


class StatusLine(Static):
    """Where the data comes from and how it flows."""


class Prompt(Static):
    """What the wearer should do now (connecting, calibrating); hidden once reps can be counted."""


class ViewFooter(Footer):
    """Textual's footer with its keys in the first frame.

    Textual's Footer composes empty, then fills its keys a refresh after the screen announces its
    bindings: the first frame whole took a second styling and layout pass (issue 12, `replay`'s
    first frame). This one composes the keys at once, from the bindings the screen has when the
    footer mounts (the app's and the screen's: nothing is focused yet), and composes again only
    when the keys shown (or whether each is enabled) change."""

    def __init__(self) -> None:
        super().__init__()
        self.set_reactive(Footer._bindings_ready, True)
        self._shown: tuple[tuple[str, str, bool], ...] | None = None

    def _keys(self) -> tuple[tuple[str, str, bool], ...]:
        return tuple((b.key, b.action, enabled) for _, b, enabled, _ in self.screen.active_bindings.values() if b.show)

    def compose(self) -> ComposeResult:
        self._shown = self._keys()
        yield from super().compose()

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen and self._keys() == self._shown:
            return  # nothing shown would change
        super().bindings_changed(screen)
