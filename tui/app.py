"""The live set view as a Textual app, built by `make_app` around any SampleSource.

One long-lived worker reads the source and runs the streaming analysis; it posts analysis events
(never dropped) and state snapshots (coalesced: only the newest waiting one is painted), so a slow
terminal never slows the sensor reading and the screen repaints at most every `REPAINT_S`.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header

from sensortrack.analysis.context import AnalysisContext
from sensortrack.analysis.pipeline import StreamingAnalyzer
from sensortrack.analysis.results import (
    AnalysisResult,
    DriftWarning,
    ExerciseSet,
    Rep,
    RepCounted,
    SetEnded,
    SetStarted,
)
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.errors import SensortrackError
from sensortrack.tui.live import LiveSource
from sensortrack.tui.messages import AnalysisEvent, AnalysisReset, Snapshot, StreamFinished
from sensortrack.tui.screens import HelpScreen, SessionSummaryScreen
from sensortrack.tui.sources import RESTART, ReplaySource, SampleSource
from sensortrack.tui.widgets import (
    AlertBanner,
    DriftGauge,
    PhaseLabel,
    Prompt,
    RangeMeter,
    RepCounter,
    RepTable,
    RollingPlot,
    SetSummary,
    StatusLine,
    TempoLabel,
    set_summary_line,
)

if TYPE_CHECKING:
    from sensortrack.analysis.reference import DriftReference
    from sensortrack.session_analysis import ReferenceLookup

PLOT_POINTS = 120  # one point per fed block: ~12 s of history at 1× speed
REPAINT_S = 1 / 15  # snapshots closer together than this are not worth a repaint
SEEK_STEP_S = 10.0
LIVE_STATUS_S = 0.5  # the live status line also refreshes while no samples arrive (reconnecting)
CALIBRATION_PROMPT = "Stand tall and still for a moment, then start slowly: the first reps set up the strap (they count)"


class SensortrackApp(App[int]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere find it too
    TITLE = "sensortrack"
    # Short terminals drop the plot first, then the table: the counter and the warning stay.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (28, "-tall")]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (90, "-wide")]
    BINDINGS = [
        Binding("space", "toggle_pause", "pause"),
        Binding("plus,equals_sign", "faster", "faster"),
        Binding("minus", "slower", "slower"),
        Binding("n", "next_rep", "next rep"),
        Binding("e", "end_set", "end set"),
        # priority: the rep table would otherwise take the arrows for scrolling
        Binding("left", "seek(-1)", "−10 s", priority=True),
        Binding("right", "seek(1)", "+10 s", priority=True),
        Binding("home", "restart", "restart", show=False, priority=True),
        Binding("b", "toggle_bell", "bell"),
        Binding("t", "toggle_theme", "theme"),
        Binding("s", "summary", "summary"),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
    ]
    REPLAY_ACTIONS = frozenset({"toggle_pause", "faster", "slower", "next_rep", "seek", "restart"})

    def __init__(
        self,
        source: SampleSource,
        ctx: AnalysisContext,
        settings: AnalysisSettings | None = None,
        *,
        bell: bool = False,
    ) -> None:
        super().__init__()
        self.source = source
        self.ctx = ctx
        self.settings = settings or AnalysisSettings()
        self.bell_enabled = bell
        self.error: SensortrackError | None = None
        self.result: AnalysisResult | None = None
        self.kept_sets: list[ExerciseSet] = []
        self.set_reps: list[Rep] = []  # reps of the set on screen
        self.alert_rep: tuple[int, int] | None = None  # (set, rep) the warning names
        self.end_set_requested = False  # the `e` key; the worker applies it before the next block
        self.stream_ended = False
        self.alert_log: list[tuple[str, int, int]] = []  # ("raised"|"cleared", set, rep), for the record
        self._last_paint = 0.0
        self._latest: Snapshot | None = None
        self.sub_title = source.description

    # ---------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield AlertBanner("", id="alert")
        yield Prompt("", id="prompt")
        with Horizontal(id="top"):
            yield RepCounter(id="counter")
            with Vertical(id="metrics"):
                yield PhaseLabel("", id="phase")
                yield RangeMeter("range    –", id="range")
                yield TempoLabel("tempo    –", id="tempo")
                yield DriftGauge("", id="drift")
        yield RollingPlot("", id="plot")
        yield RepTable(id="reps")
        yield SetSummary("", id="set-summary")
        yield StatusLine("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(RepCounter).show(None, 0, self.ctx.exercise)
        self.query_one(PhaseLabel).show("rest", False)
        self.query_one(DriftGauge).show(float("nan"), self.settings.drift_threshold_deg)
        self._show_status(0.0, None)
        self._show_prompt(None)
        if isinstance(self.source, LiveSource):
            self.set_interval(LIVE_STATUS_S, self._refresh_live_status)
        self.pump()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.REPLAY_ACTIONS:
            return isinstance(self.source, ReplaySource)
        return True

    # ---------------------------------------------------------------- the worker
    @work(exclusive=True, group="sensor")
    async def pump(self) -> None:
        """Read the source to its end, analysing as blocks arrive."""
        analyzer = StreamingAnalyzer(self.ctx, self.settings, keep_trace=False)
        plot: deque[tuple[float, float, float]] = deque(maxlen=PLOT_POINTS)
        try:
            async for item in self.source.blocks():
                if item is RESTART:
                    analyzer = StreamingAnalyzer(self.ctx, self.settings, keep_trace=False)
                    plot.clear()
                    self.post_message(AnalysisReset())
                    continue
                assert not isinstance(item, type(RESTART))
                if self.end_set_requested:
                    self.end_set_requested = False
                    for event in analyzer.end_set():
                        self.post_message(AnalysisEvent(event))
                gyro = item.gyro_dps if self.ctx.has_gyro else None
                for event in analyzer.feed(item.t_s, item.acc_g, gyro):
                    self.post_message(AnalysisEvent(event))
                st = analyzer.state
                plot.append((st.t_s, st.angle_deg, st.drift_deg))
                position = getattr(self.source, "position_s", st.t_s)
                self.post_message(Snapshot(dataclasses.replace(st), tuple(plot), position))
        except SensortrackError as exc:  # e.g. the sensor cannot be reached: one line, after the UI
            self.error = exc
            self.exit(2)
            return
        result = analyzer.finish()
        self.stream_ended = True  # the last set's warning stays up: it is the last thing they did
        for event in analyzer.drain_events():  # the last set, closed by the end of the stream
            self.post_message(AnalysisEvent(event))
        self.post_message(StreamFinished(result))

    # ---------------------------------------------------------------- messages
    def on_analysis_event(self, message: AnalysisEvent) -> None:
        event = message.event
        if isinstance(event, SetStarted):
            self.set_reps = []
            self.query_one(RepTable).clear()
        elif isinstance(event, RepCounted):
            self._rep_counted(event.set_index, event.rep)
        elif isinstance(event, DriftWarning):
            self._raise_alert(event)
        elif isinstance(event, SetEnded):
            self._set_ended(event)

    def _rep_counted(self, set_index: int, rep: Rep) -> None:
        if isinstance(self.source, ReplaySource):
            self.source.fast_forward = False  # "next rep" plays unpaced only up to here
        self.set_reps.append(rep)
        self.query_one(RepTable).add_rep(set_index, rep)
        best = max(r.range_deg for r in self.set_reps)
        self.query_one(RangeMeter).show(rep.range_deg, best)
        self.query_one(TempoLabel).show(rep)
        self.query_one(RepCounter).show(set_index, len(self.set_reps), self.ctx.exercise)
        drifted = any(w.kind == "knee_drift" for w in rep.warnings)
        if not drifted and self.alert_rep is not None:
            # A clean rep after the warned one: calm again. Also when the warned movement itself was
            # counted clean or not at all (the analyzer warns while a rep is still open).
            self._clear_alert()

    def _raise_alert(self, event: DriftWarning) -> None:
        self.alert_rep = (event.set_index, event.rep_index)
        self.alert_log.append(("raised", event.set_index, event.rep_index))
        w = event.warning
        self.query_one(AlertBanner).update(
            f"⚠ REP {event.rep_index}: KNEE DRIFTING INWARD — {w.value_deg:.0f}° (limit {w.threshold_deg:.0f}°)"
        )
        self.screen_stack[0].add_class("-alert")  # the live view, even under a help/summary screen
        if self.bell_enabled:
            self.bell()

    def _clear_alert(self) -> None:
        if self.alert_rep is not None:
            self.alert_log.append(("cleared", *self.alert_rep))
        self.alert_rep = None
        self.query_one(AlertBanner).update("")
        self.screen_stack[0].remove_class("-alert")

    def _set_ended(self, event: SetEnded) -> None:
        done = event.exercise_set
        self.set_reps = []
        self.query_one(RepCounter).show(None, 0, self.ctx.exercise)
        if event.kept:
            self.kept_sets.append(done)
            self.query_one(SetSummary).show(done)
            self.notify(set_summary_line(done), title="set done")
        else:  # too few reps for a set: its live reps are withdrawn
            self.query_one(RepTable).clear()
            self.query_one(SetSummary).update(f"{len(done.reps)} movements were not a set (fewer than {self.settings.min_reps_per_set} reps)")
        if self.alert_rep is not None and self.alert_rep[0] == done.index and not self.stream_ended:
            self._clear_alert()

    def on_analysis_reset(self, _message: AnalysisReset) -> None:
        self.stream_ended = False
        self.kept_sets.clear()
        self.set_reps = []
        self.result = None
        self.query_one(RepTable).clear()
        self.query_one(SetSummary).update("")
        self.query_one(RangeMeter).show(None, None)
        self.query_one(TempoLabel).show(None)
        self.query_one(RepCounter).show(None, 0, self.ctx.exercise)
        self._clear_alert()

    def on_snapshot(self, message: Snapshot) -> None:
        self._latest = message
        now = time.monotonic()
        if now - self._last_paint < REPAINT_S:
            return
        self._last_paint = now
        self._paint(message)

    def _paint(self, message: Snapshot) -> None:
        st = message.state
        self.query_one(PhaseLabel).show(st.phase, st.calibrated)
        threshold_deg = st.drift_threshold_deg or self.settings.drift_threshold_deg
        self.query_one(DriftGauge).show(st.drift_deg, threshold_deg)
        self.query_one(RollingPlot).show(message.plot, threshold_deg)
        self._show_status(message.position_s, st)
        self._show_prompt(st.calibrated)

    def _show_prompt(self, calibrated: bool | None) -> None:
        """None: no sample yet. Live sensors say they are connecting; then the calibration prompt."""
        prompt = self.query_one(Prompt)
        if calibrated:
            prompt.display = False
            return
        prompt.display = True
        if calibrated is None and isinstance(self.source, LiveSource):
            prompt.update(f"Connecting to {self.source.description}… keep the sensor on and close by")
        else:
            prompt.update(CALIBRATION_PROMPT)

    def on_stream_finished(self, message: StreamFinished) -> None:
        self.result = message.result
        self.kept_sets = list(message.result.sets)
        if self._latest is not None:  # the newest state may have been skipped by the repaint limit
            self._paint(self._latest)
        self.query_one(PhaseLabel).update("finished")
        self.query_one(Prompt).display = False
        if isinstance(self.source, LiveSource):
            self.notify(f"recording saved to {self.source.path}", title="stream ended", timeout=30)
        if message.result.sets:  # the last set closes only now: show its summary too
            self.query_one(SetSummary).show(message.result.sets[-1])
        self._show_status(getattr(self.source, "position_s", 0.0), None, finished=True)
        self.push_screen(SessionSummaryScreen(message.result))

    def _show_status(self, position_s: float, st: object | None, *, finished: bool = False) -> None:
        parts = [self.source.description, f"{self.ctx.exercise} · {self.ctx.placement} · {self.ctx.side}"]
        if isinstance(self.source, ReplaySource):
            state = "finished" if finished else ("paused" if self.source.paused else f"{self.source.speed:g}×")
            parts.append(f"{position_s:5.1f} / {self.source.duration_s:.1f} s {state}")
        if isinstance(self.source, LiveSource):
            # What can go wrong first: a narrow terminal cuts the end of the line.
            parts = self._live_status_parts(finished) + parts[1:] + [self.source.description]
        else:
            parts.append(f"{self.ctx.rate_hz:g} Hz" + (" acc+gyro" if self.ctx.has_gyro else " acc only"))
        self.query_one(StatusLine).update(" │ ".join(parts))

    def _live_status_parts(self, finished: bool) -> list[str]:
        """Connection state, measured rate, lost samples and where the recording goes."""
        assert isinstance(self.source, LiveSource)
        st = self.source.status
        state = "ended" if finished else st.state
        if st.state == "reconnecting" and st.last_problem and not finished:
            state = f"reconnecting ({st.last_problem})"
        lost = f"lost {st.lost_samples}" + (f" in {st.gaps} gaps" if st.gaps else "")
        parts = [state, f"{st.rate_hz:.0f}/{self.ctx.rate_hz:g} Hz", lost]
        if st.reconnects:
            parts.append(f"{st.reconnects} reconnects")
        parts.append(f"● rec {self.source.path.name}")
        return parts

    def _refresh_live_status(self) -> None:
        if self.result is None:
            position = self._latest.position_s if self._latest is not None else 0.0
            self._show_status(position, None)

    # ---------------------------------------------------------------- actions
    @property
    def replay(self) -> ReplaySource:
        assert isinstance(self.source, ReplaySource)
        return self.source

    def action_toggle_pause(self) -> None:
        if self.replay.paused:
            self.replay.resume()
        else:
            self.replay.pause()
        self._show_status(self.replay.position_s, None)

    def action_faster(self) -> None:
        self.replay.speed = self.replay.speed * 2
        self._show_status(self.replay.position_s, None)

    def action_slower(self) -> None:
        self.replay.speed = self.replay.speed / 2
        self._show_status(self.replay.position_s, None)

    def action_end_set(self) -> None:
        """End the current set now; the next rep starts a new one (sets also end by themselves)."""
        self.end_set_requested = True

    def action_next_rep(self) -> None:
        """Play unpaced until the next rep is counted."""
        self.replay.fast_forward = True
        self.replay.resume()

    def action_seek(self, direction: int) -> None:
        self.replay.seek(self.replay.position_s + direction * SEEK_STEP_S)
        self.replay.resume()

    def action_restart(self) -> None:
        self.replay.seek(0.0)
        self.replay.resume()

    def action_toggle_bell(self) -> None:
        self.bell_enabled = not self.bell_enabled
        self.notify(f"bell on drift warnings {'on' if self.bell_enabled else 'off'}")

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme != "textual-light" else "textual-dark"

    def action_summary(self) -> None:
        if self.result is not None:
            self.push_screen(SessionSummaryScreen(self.result))
        else:
            self.notify(f"{len(self.kept_sets)} sets so far; the session summary shows when the stream ends")

    def action_help(self) -> None:
        lines = [(b.key, b.description) for b in self.BINDINGS if isinstance(b, Binding)]
        if not isinstance(self.source, ReplaySource):
            lines = [(k, d) for k, d in lines if k not in {"space", "plus,equals_sign", "minus", "n", "left", "right", "home"}]
        self.push_screen(HelpScreen(lines))


def make_app(
    source: SampleSource,
    exercise: str,
    placement: str,
    side: str,
    settings: AnalysisSettings | None = None,
    *,
    rate_hz: float,
    has_gyro: bool,
    bell: bool = False,
    reference: DriftReference | None = None,
) -> SensortrackApp:
    """The live view around `source`; tests and commands build the app only through this."""
    ctx = AnalysisContext(
        exercise=exercise, placement=placement, side=side, rate_hz=rate_hz, has_gyro=has_gyro, reference=reference
    )
    return SensortrackApp(source, ctx, settings, bell=bell)


def replay_app(
    path: Path | str,
    speed: float = 1.0,
    settings: AnalysisSettings | None = None,
    reference: DriftReference | ReferenceLookup | None = None,
    **body: str | None,
) -> SensortrackApp:
    """The view driven by a recorded session; exercise/placement/side default to the file's.
    `reference`: the knee-drift reference, or a lookup of the stored one by exercise/placement/side."""
    from sensortrack.loading import load_session
    from sensortrack.session_analysis import resolve_context

    session = load_session(path)
    ctx = resolve_context(session, body.get("exercise"), body.get("placement"), body.get("side"), reference)
    source = ReplaySource(session, speed, description=f"replay {Path(path).name}")
    return SensortrackApp(source, ctx, settings)
