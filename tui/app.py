"""The live set view as a Textual app, built by `make_app` around any SampleSource.

One long-lived worker reads the source and runs the streaming analysis; it posts analysis events
(never dropped) and state snapshots (coalesced: only the newest waiting one is painted), so a slow
terminal never slows the sensor reading and the screen repaints at most every `REPAINT_S`.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, Final, Literal, ParamSpec, TypeVar, cast

from textual import events, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from sensortrack.analysis.context import AnalysisContext
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.errors import ConfigError, SensortrackError
from sensortrack.core.plans import Plan, PlanProgress
from sensortrack.core.sensor_limits import SensorLimits, sensor_limits
from sensortrack.core.session_events import ExerciseChange, SetNote, exercise_line, note_for_set, note_line
from sensortrack.core.vocabulary import Exercise, Placement, Side, exercise_or_none
from sensortrack.tui.cues import Cues, SoundMode, find_speech_engine
from sensortrack.tui.messages import (
    AnalysisEvent,
    AnalysisReset,
    ExerciseChanged,
    PairUpdate,
    Snapshot,
    StreamFinished,
    TurnAtBottom,
)
from sensortrack.tui.note import NoteBar, describe_note
from sensortrack.tui.widgets import (
    AlertBanner,
    DriftGauge,
    DriftLimit,
    LimitsLine,
    PlanLine,
    PhaseLabel,
    Prompt,
    RangeMeter,
    RepCounter,
    RepTable,
    RollingPlot,
    SetSummary,
    StatusLine,
    TempoLabel,
    ViewFooter,
    counter_scale,
    counter_text,
    fmt_drift,
)

if TYPE_CHECKING:
    # Bound at run time by `load_engine`: the first frame needs none of them.
    from sensortrack.tui.engine import (
        KNEE,
        AnalysisResult,
        DriftWarning,
        Event,
        ExerciseSet,
        KneeGauge,
        KneeMeasured,
        KneeRep,
        LivePair,
        LiveWarnings,
        OtherSideRep,
        Recorder,
        Rep,
        RepCounted,
        RepWithdrawn,
        ReplaySource,
        SampleBlock,
        SampleSource,
        Seekable,
        SensorsPanel,
        Session,
        SetEnded,
        SetStarted,
        StreamingAnalyzer,
        SymmetryPanel,
        WarningDecision,
        WarningShown,
        WarningTakenBack,
        combine_parts,
        np,
        symmetry_of,
    )
    from sensortrack.analysis.pair_settings import PairSettings
    from sensortrack.analysis.recognition_live import BoutExercise, LiveRecogniser
    from sensortrack.analysis.reference import DriftReference
    from sensortrack.core.sensor_bodies import SensorBody
    from sensortrack.session_analysis import ReferenceLookup

def load_engine() -> None:
    """Bind the names of sensortrack/tui/engine.py (NumPy, the analysis engine, the sources) into
    this module. Every way of building a running view calls it first; a replay drawn before its
    file is read (`LoadingView`) calls it after its first frame."""
    from sensortrack.tui import engine

    globals().update({name: getattr(engine, name) for name in engine.__all__})


def _for_exercise(ctx: AnalysisContext, exercise: Exercise, lookup: ReferenceLookup | None = None) -> AnalysisContext:
    """The context for the next exercise (a plan's, or one the recording moved to): a knee-drift
    reference is one exercise's, so the new exercise's own is looked up (else none)."""
    if lookup is not None:
        reference = lookup(exercise, ctx.placement, ctx.side)
    else:
        reference = ctx.reference if ctx.reference is not None and ctx.reference.exercise == exercise else None
    return dataclasses.replace(ctx, exercise=exercise, reference=reference)


@dataclass(frozen=True, slots=True)
class RecognisedStretch:
    """A stretch of a replayed recording whose exercise was recognised (the file did not say it)."""

    start_s: float
    end_s: float
    exercise: Exercise
    confidence: float
    unsure: bool  # below RecognitionSettings.unsure_below: shown as unsure, never as a plain label

    def describe(self) -> str:
        name = self.exercise.replace("_", " ")
        return f"unsure: {name}? ({self.confidence:.2f})" if self.unsure else f"recognised: {name} ({self.confidence:.2f})"


SIDE_UNKNOWN = "side not given: knee drift toward the midline is not shown (pass --side)"


def without_side(rep: Rep) -> Rep:
    """A rep without what depends on the side (it is not known: nothing is guessed)."""
    return dataclasses.replace(rep, knee_drift_deg=None, knee_drift_over_reference_deg=None, drift_limit_deg=None, warnings=(), step=None)


def _side_free(event: Event) -> Event | None:
    if isinstance(event, DriftWarning):
        return None
    if isinstance(event, RepCounted):
        return dataclasses.replace(event, rep=without_side(event.rep))
    if isinstance(event, SetEnded):
        done = event.exercise_set
        return dataclasses.replace(event, exercise_set=dataclasses.replace(done, reps=tuple(without_side(r) for r in done.reps)))
    return event


W = TypeVar("W", bound=Widget)
P = ParamSpec("P")


def while_shown(handler: Callable[Concatenate[SensortrackApp, P], None]) -> Callable[Concatenate[SensortrackApp, P], None]:
    """For message handlers and timers that paint the view: a no-op once the app is shutting down
    (its widgets are being removed while the worker's last messages still arrive)."""

    def run(app: SensortrackApp, /, *args: P.args, **kwargs: P.kwargs) -> None:
        if app.shutting_down:
            return
        try:
            handler(app, *args, **kwargs)
        except NoMatches:
            if not app.shutting_down:  # a real bug, not the way out
                raise

    functools.update_wrapper(run, handler)  # Textual finds handlers by name
    return run


PLOT_POINTS = 120  # one point per fed block: ~12 s of history at 1× speed
REPAINT_S = 1 / 15  # snapshots closer together than this are not worth a repaint
SEEK_STEP_S = 10.0
FIRST_FRAME_POLL_S = 0.01  # a LoadingView looks this often whether its first frame is whole …
FIRST_FRAME_WAIT_S = 0.5  # … and reads its file after this at the latest
LIVE_STATUS_S = 0.5  # the live status line also refreshes while no samples arrive (reconnecting)
LATER_ID = "later"  # where a LoadingView puts its rep table after the first frame
CALIBRATION_PROMPT = "Stand tall and still for a moment, then start slowly: the first reps set up the strap (they count)"


@dataclass(frozen=True, slots=True)
class ViewOptions:
    """Everything a running view is built from: `make_app` (live, demo), `replay_app` (a new view or
    a LoadingView bound after its first frame) and `_pair_replay_app` fill one in."""

    source: SampleSource
    ctx: AnalysisContext  # the (first) sensor's
    settings: AnalysisSettings | None = None
    sound: SoundMode = "off"
    count_at: str = "top"
    plan: Plan | None = None
    speech: tuple[str, ...] | None = None  # the speech command; None: looked for when sound is "auto"
    reference_lookup: ReferenceLookup | None = None  # the stored reference of each exercise moved to
    exercise_changes: tuple[ExerciseChange, ...] = ()  # where a recording moved to other exercises
    ask_notes: bool | None = None  # None: where the source records
    second: AnalysisContext | None = None  # a pair's other sensor
    pair_settings: PairSettings | None = None
    recognised: tuple[RecognisedStretch, ...] = ()  # the exercise of each stretch the file did not say
    side_known: bool = True
    auto: LiveRecogniser | None = None  # `live --exercise auto`: each bout's exercise recognised


class SensortrackApp(App[int]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere find it too
    TITLE = "sensortrack"
    # Short terminals drop the plot first, then the table: the counter and the warning stay.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (28, "-tall")]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (90, "-wide")]
    # q and ? first: the footer is cut on the right in a narrow terminal, and these must stay.
    BINDINGS = [
        Binding("q", "quit", "quit"),
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("space", "toggle_pause", "pause"),
        Binding("e", "end_set", "end set"),
        Binding("x", "next_exercise", "next exercise"),
        Binding("b", "cycle_sound", "sound"),
        Binding("plus,equals_sign", "faster", "faster", key_display="+", show=False),
        Binding("minus", "slower", "slower", key_display="−", show=False),
        Binding("n", "next_rep", "next rep", show=False),
        # priority: the rep table would otherwise take the arrows for scrolling
        Binding("left", "seek(-1)", "back 10 s", key_display="←", show=False, priority=True),
        Binding("right", "seek(1)", "forward 10 s", key_display="→", show=False, priority=True),
        Binding("home", "restart", "restart", key_display="Home", show=False, priority=True),
        Binding("t", "toggle_theme", "theme", show=False),
        Binding("s", "summary", "summary", show=False),
    ]
    REPLAY_ACTIONS = frozenset({"toggle_pause", "faster", "slower", "next_rep", "seek", "restart"})
    # A LoadingView's loader (`_bind`s the view after its first frame); None once it ran, and for any other view.
    _pending: Callable[[], object] | None = None

    def __init__(self, options: ViewOptions) -> None:
        super().__init__()
        load_engine()
        self._bind(options)

    def _bind(self, options: ViewOptions) -> SensortrackApp:
        """The view's state (__init__'s, or a LoadingView's once its file is read); the view itself."""
        source, ctx, settings, plan = options.source, options.ctx, options.settings, options.plan
        auto, second, reference_lookup = options.auto, options.second, options.reference_lookup
        # `live --exercise auto`: the exercise of each bout is recognised while it streams
        self.auto = auto if plan is None else None
        self.awaiting_exercise = self.auto is not None
        self._held: list[SampleBlock] = []  # a bout's samples until its exercise is decided
        self._fed_auto = False
        self.recognised = options.recognised  # the exercise of each stretch, where the file did not say it
        self.side_known = options.side_known
        # Two sensors: `second` is the other sensor's context (sensor index 1; `ctx` is index 0's
        # until the pair says which stream the view follows), analysed by a LivePair.
        self.pair: LivePair | None = None
        self.second_ctx: AnalysisContext | None = None  # the stream the view does not follow
        if second is not None:
            self.pair = LivePair((ctx, second), settings or AnalysisSettings(), options.pair_settings)
            self.second_ctx = (ctx, second)[1 - self.pair.primary_index]
            ctx = self.pair.primary_ctx
        self.knee_log: list[tuple[float, float]] = []  # (rep start_s, valgus °) as the knee gauge showed them
        self.knees: dict[float, KneeRep] = {}  # rep start_s → its knee angles (thigh + shank)
        self.pair_reps: list[Rep] = []  # the primary's reps this session (symmetry)
        self.other_reps: list[Rep] = []  # the other leg's reps (left + right)
        # the stored reference of each exercise the session moves to (None: only the given one)
        self.reference_lookup = reference_lookup
        # a recording that moved to other exercises (its `# exercise` lines): replayed the same way
        self.exercise_changes = options.exercise_changes if plan is None else ()
        # the note after a set goes into the recording: asked where there is one (live, demo)
        self.ask_notes = source.records if options.ask_notes is None else options.ask_notes
        self.notes: dict[int, SetNote] = {}  # set index → the wearer's note on it
        self._summary_waits = False  # the stream ended while a note was open: the summary comes after it
        self.source = source
        self.ctx = ctx
        self.settings = settings or AnalysisSettings()
        speech = options.speech if options.speech is not None else (find_speech_engine() if options.sound == "auto" else None)
        self.cues = Cues(options.sound, self._ring, speech=speech)
        self.count_at = options.count_at
        self.plan = PlanProgress(plan) if plan is not None else None
        if plan is not None and plan.steps[0].exercise != ctx.exercise:
            # The plan says what is done now; the analysis follows it (docs/tui.md, "Plans").
            self.ctx = ctx = _for_exercise(ctx, plan.steps[0].exercise, reference_lookup)
        self.first_exercise = ctx.exercise
        self.limits: SensorLimits = sensor_limits(ctx.exercise, ctx.placement, ctx.has_gyro)
        self.error: SensortrackError | None = None
        self.result: AnalysisResult | None = None
        self.kept_sets: list[ExerciseSet] = []
        self.set_reps: list[Rep] = []  # reps of the set on screen
        self._table_set = 0  # the set whose reps the table shows
        # rep start → the limit it was judged against (by start: a set closing can renumber its reps)
        self.rep_limits: dict[float, float] = {}
        self.alert_rep: tuple[int, int] | None = None  # (set, rep) the warning names
        self.end_set_requested = False  # the `e` key; the worker applies it before the next block
        self.switch_requested = False  # the plan moved to another exercise: the worker restarts the analysis
        self.stream_ended = False
        self.alert_log: list[tuple[str, int, int]] = []  # ("raised"|"cleared"|"taken back", set, rep), for the record
        # when a counted rep's warning is shown and when it is taken back (issue 9): as `analyze`
        self.live_warnings = LiveWarnings(self.settings.live_warning_hold_reps)
        self._taken_back_at_s: float | None = None  # when the banner said a warning was taken back
        # (where, rep start_s, drift text) each time a rep's drift is put on screen: the tests hold
        # banner, gauge, table and summary to `analyze`'s number for that rep
        self.drift_log: list[tuple[str, float, str]] = []
        self.stream_t_s = 0.0
        self._last_paint = 0.0
        self._latest: Snapshot | None = None
        self._painted: Snapshot | None = None
        self._finished_parts: list[AnalysisResult] = []  # exercises of a plan done before this one
        # sets of those parts: each part's analysis numbers its sets from 1, the view numbers on
        self._set_offset = 0
        self.sub_title = source.description
        return self

    # ---------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield AlertBanner("", id="alert")
        yield Prompt("", id="prompt")
        yield LimitsLine("", id="limits")
        yield PlanLine("", id="plan")
        with Horizontal(id="top"):
            yield RepCounter(id="counter")
            with Vertical(id="metrics"):
                yield PhaseLabel("", id="phase")
                yield RangeMeter("range    –", id="range")
                yield TempoLabel("tempo    –", id="tempo")
                yield DriftGauge("", id="drift")
                if self.pair is not None:  # two sensors: what only a pair can see
                    if self.pair.kind == KNEE:
                        yield KneeGauge("", id="knee")
                    else:
                        yield SymmetryPanel("", id="symmetry")
        yield RollingPlot("", id="plot")
        if self._pending is None:
            yield RepTable(id="reps")
        else:  # a LoadingView: its rep table (and note bar) come after the first frame (`_mount_later`)
            yield Static("", id=LATER_ID).set_styles("height: 1fr;")
        yield SetSummary("", id="set-summary")
        if self._pending is None:
            yield NoteBar(id="note")
        if self.pair is not None:
            yield SensorsPanel("", id="sensors-panel")
        yield StatusLine("", id="status")
        yield ViewFooter()

    def on_mount(self) -> None:
        if self._pending is None:
            self._view(NoteBar).display = False
        if self._pending is not None:  # a LoadingView: its first frame goes out now, the file is read after it
            self._view(StatusLine).update(self.sub_title)
            self._when_drawn(0.0)
            return
        self._start()

    def _when_drawn(self, waited_s: float) -> None:
        """A LoadingView reads its file once its first frame is whole: the footer puts its keys in a
        refresh or two after mounting (bounded: a terminal without focus may not fill it)."""
        if self.shutting_down:
            return
        keys = self.screen_stack[0].query_one(Footer).children
        if (keys and all(key.region for key in keys)) or waited_s >= FIRST_FRAME_WAIT_S:  # laid out: painted next
            self._mount_later()
            self.call_after_refresh(self._load_pending)
        else:
            self.set_timer(FIRST_FRAME_POLL_S, functools.partial(self._when_drawn, waited_s + FIRST_FRAME_POLL_S))

    def _mount_later(self) -> None:
        """A LoadingView's widgets the first frame does without, put in its place after it: the rep
        table (a DataTable: its styles and rows are the costliest of the view to set up) and the
        note bar (hidden; three text inputs). Issue 12: ~0.03-0.05 s of CPU before the first frame."""
        screen = self.screen_stack[0]
        later = screen.query_one(f"#{LATER_ID}")
        screen.mount(RepTable(id="reps"), before=later)
        later.remove()
        note = NoteBar(id="note")
        note.display = False
        screen.mount(note, before=screen.query_one(StatusLine))

    def _load_pending(self) -> None:
        """A LoadingView's file, read after its first frame: a file it cannot replay ends the app
        with exit 2 and the error is raised once the terminal is restored (one line, as before)."""
        load, self._pending = self._pending, None
        assert load is not None
        try:
            load_engine()
            load()
        except SensortrackError as exc:
            self.error = exc
            self.exit(2)
            return
        self._start()

    def _start(self) -> None:
        """The view's first state on screen, and the worker that reads the source."""
        self._rescale()
        self._show_counter()
        self._view(PhaseLabel).show("rest", False)
        self._show_gauge(None)
        self._show_limits()
        self._show_plan()
        self._show_status(0.0, None)
        self._show_prompt(None)
        self._show_pair_panels()
        if self.source.records:  # its link's state changes while no samples arrive
            self.set_interval(LIVE_STATUS_S, self._refresh_live_status)
        self.set_interval(4 * REPAINT_S, self._flush_paint)
        self.pump()

    @while_shown
    def _flush_paint(self) -> None:
        """Paint the newest state if the repaint limit skipped it (a pause right after a burst)."""
        if self._latest is not None and self._latest is not self._painted:
            self._paint(self._latest)

    @property
    def shutting_down(self) -> bool:
        """exit() was called, or Textual's shutdown began (it clears `is_running` before removing
        the widgets; a test harness leaving run_test does not call exit())."""
        return self._exit or self._closing or not self.is_running or not self.screen_stack

    def _view(self, kind: type[W]) -> W:
        """A widget of the live view, also while a help or summary screen is on top of it
        (App.query_one looks only at the screen on top)."""
        return self.screen_stack[0].query_one(kind)

    @while_shown
    def on_resize(self, _event: events.Resize) -> None:
        self._rescale()

    def _rescale(self) -> None:
        widest = "88/88" if self.plan is not None else "88✓"
        self._view(RepCounter).rescale(counter_scale(self.size.width, self.size.height, widest))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self._pending is not None or not hasattr(self, "source"):  # a LoadingView not loaded yet:
            return True if action == "quit" else None  # the other keys shown, greyed out, as they will be
        if action in self.REPLAY_ACTIONS:
            return self.source.seekable
        if action == "next_exercise":
            return self.plan is not None
        return True

    # ---------------------------------------------------------------- the worker
    @work(exclusive=True, group="sensor")
    async def pump(self) -> None:
        """Read the source to its end, analysing as blocks arrive."""
        analyzer = self._new_analyzer()
        plot: deque[tuple[float, float, float]] = deque(maxlen=PLOT_POINTS)
        phase = "rest"
        changes = list(self.exercise_changes)  # recorded exercise changes still ahead
        try:
            async for whole in self.source.blocks():
                if not isinstance(whole, SampleBlock):  # RESTART
                    self._finished_parts.clear()
                    self._set_offset = 0
                    if self.ctx.exercise != self.first_exercise:  # the plan/recording starts again (on_analysis_reset)
                        self.ctx = _for_exercise(self.ctx, self.first_exercise, self.reference_lookup)
                    changes = list(self.exercise_changes)
                    analyzer = self._new_analyzer()
                    plot.clear()
                    self.post_message(AnalysisReset())
                    continue
                if self.end_set_requested:
                    self.end_set_requested = False
                    self._post_events(analyzer.end_set(), analyzer.state.drift_threshold_deg)
                if self.switch_requested:  # the plan's next exercise: its own analysis from here
                    self.switch_requested = False
                    analyzer = self._next_analyzer(analyzer)
                    if self.source.records and len(whole):  # the recording says where
                        self.recorder.mark(exercise_line(ExerciseChange(float(whole.t_s[0]), self.ctx.exercise)))
                pieces = [(whole, None)] if self.pair is not None else split_at_changes(whole, changes)  # a pair's blocks stay whole: they say their sensor
                for item, change in pieces:
                    if change is not None:  # the recording moved to another exercise here
                        self.ctx = _for_exercise(self.ctx, change.exercise, self.reference_lookup)
                        analyzer = self._next_analyzer(analyzer)
                        self.post_message(ExerciseChanged(change.exercise))
                    if not len(item):
                        continue
                    if self.auto is not None:
                        analyzer, phase = self._feed_auto(analyzer, item, plot, phase)
                    else:
                        phase = self._feed(analyzer, item, plot, phase)
        except SensortrackError as exc:  # e.g. the sensor cannot be reached: one line, after the UI
            self.error = exc
            self.exit(2)
            return
        if self.awaiting_exercise and self._held and self.auto is not None:  # ended before the bout was decided
            guess = self.auto.best_guess()
            if guess is not None:
                analyzer, phase = self._decided(analyzer, guess, plot, phase)
        last = analyzer.finish()
        self.stream_ended = True  # the last set's warning stays up: it is the last thing they did
        self._post_events(analyzer.drain_events(), analyzer.state.drift_threshold_deg)
        result = combine_parts([*self._finished_parts, last])
        if not self.side_known:
            result = dataclasses.replace(result, sets=tuple(
                dataclasses.replace(st, reps=tuple(without_side(r) for r in st.reps)) for st in result.sets))
        self.post_message(StreamFinished(result))

    def _feed_auto(
        self, analyzer: StreamingAnalyzer | LivePair, item: SampleBlock, plot: deque[tuple[float, float, float]], phase: str
    ) -> tuple[StreamingAnalyzer | LivePair, str]:
        """`live --exercise auto`: each bout's samples are held until its exercise is decided
        (LiveRecogniser), then analysed as that exercise — the same analysis as before if it did
        not change, a new one (like a plan's next exercise) if it did."""
        assert self.auto is not None
        # two sensors: the recogniser reads the primary stream (the thigh, or the first leg), whose sets the view shows
        primary = self.pair is None or int(getattr(item, "sensor_index", 0)) == self.pair.primary_index
        decided = self.auto.feed(item.t_s, item.acc_g) if primary else None
        if not self.awaiting_exercise:
            return analyzer, self._feed(analyzer, item, plot, phase)
        self._held.append(item)
        keep_s = self.auto.settings.buffer_s
        while len(self._held) > 1 and float(item.t_s[-1] - self._held[0].t_s[-1]) > keep_s:
            self._held.pop(0)
        if decided is None:
            return analyzer, phase
        return self._decided(analyzer, decided, plot, phase)

    def _decided(
        self, analyzer: StreamingAnalyzer | LivePair, decided: BoutExercise, plot: deque[tuple[float, float, float]], phase: str
    ) -> tuple[StreamingAnalyzer | LivePair, str]:
        """The bout's exercise is known: analyse its held samples as that exercise."""
        self.awaiting_exercise = False
        stretch = RecognisedStretch(decided.start_s, math.inf, decided.exercise, decided.confidence, decided.unsure)
        self.recognised = (*self.recognised, stretch)
        if decided.exercise != self.ctx.exercise or not self._fed_auto:
            self.ctx = _for_exercise(self.ctx, decided.exercise, self.reference_lookup)
            analyzer = self._next_analyzer(analyzer) if self._fed_auto else self._new_analyzer()
        self.post_message(ExerciseChanged(decided.exercise))
        held, self._held = self._held, []
        for block in held:
            phase = self._feed(analyzer, block, plot, phase)
        self._fed_auto = True
        return analyzer, phase

    def _new_analyzer(self) -> StreamingAnalyzer | LivePair:
        """The analysis for `self.ctx` from here on: one stream's, or the pair's."""
        if self.pair is None:
            return StreamingAnalyzer(self.ctx, self.settings, keep_trace=False)
        assert self.second_ctx is not None
        other = dataclasses.replace(self.second_ctx, exercise=self.ctx.exercise)
        contexts = (self.ctx, other) if self.pair.primary_index == 0 else (other, self.ctx)
        self.pair = LivePair(contexts, self.settings, self.pair.pair_settings)
        self.second_ctx = other
        return self.pair

    def _next_analyzer(self, analyzer: StreamingAnalyzer | LivePair) -> StreamingAnalyzer | LivePair:
        """Close `analyzer`'s part of the session; a new one for `self.ctx` from here on."""
        finished = analyzer.finish()
        self._finished_parts.append(finished)
        self._post_events(analyzer.drain_events(), analyzer.state.drift_threshold_deg)
        self._set_offset += len(finished.sets)  # kept sets: as combine_parts numbers them
        return self._new_analyzer()

    def _feed(
        self, analyzer: StreamingAnalyzer | LivePair, item: SampleBlock, plot: deque[tuple[float, float, float]], phase: str
    ) -> str:
        """One block through the analysis; its events and state to the UI. Returns the new phase."""
        # The limit in force while this block's reps were judged: the fallback for a rep
        # without its own `drift_limit_deg` (one counted from repetition).
        limit_deg = analyzer.state.drift_threshold_deg or self.settings.drift_threshold_deg
        if isinstance(analyzer, LivePair):
            index = int(getattr(item, "sensor_index", 0))
            ctx = analyzer.contexts[index]
            self._post_events(analyzer.feed(index, item.t_s, item.acc_g, item.gyro_dps if ctx.has_gyro else None), limit_deg)
            if index != analyzer.primary_index:
                return phase  # the view's phase and plot follow the primary stream
        else:
            gyro = item.gyro_dps if self.ctx.has_gyro else None
            self._post_events(analyzer.feed(item.t_s, item.acc_g, gyro), limit_deg)
        st = analyzer.state
        if phase == "down" and st.phase == "up" and st.calibrated:
            self.post_message(TurnAtBottom())
        phase = st.phase
        plot.append((st.t_s, st.angle_deg, st.drift_deg))
        position = self.replay.position_s if self.source.seekable else st.t_s
        self.post_message(Snapshot(dataclasses.replace(st), tuple(plot), position))
        return phase

    def _post_events(self, events_: Iterable[Event | KneeMeasured | OtherSideRep], limit_deg: float) -> None:
        for event in events_:
            if isinstance(event, KneeMeasured | OtherSideRep):
                self.post_message(PairUpdate(event))
                continue
            if isinstance(event, SetEnded) and self.auto is not None:  # the next bout: recognised anew
                self.awaiting_exercise = True
                self.auto.start_after(event.t_s)
            shown = event if self.side_known else _side_free(event)
            if shown is not None:
                self.post_message(AnalysisEvent(renumbered(shown, self._set_offset), limit_deg))

    # ---------------------------------------------------------------- messages
    @while_shown
    def on_analysis_event(self, message: AnalysisEvent) -> None:
        event = message.event
        decisions = self.live_warnings.on_event(event)
        if isinstance(event, SetEnded) and self._taken_back_at_s is not None and event.t_s > self._taken_back_at_s:
            if self.alert_rep is None:  # the line saying a warning was taken back: until the next set's end
                self._view(AlertBanner).update("")
            self._taken_back_at_s = None
        if isinstance(event, SetStarted):
            self.set_reps = []
            self._view(RepTable).clear_reps()
            self._table_set = event.set_index
            if self.plan is not None and self.plan.rest_until_s is not None:
                self.plan.end_rest()  # started before the rest was over
            self._show_counter(event.set_index)
            self._show_plan()
        elif isinstance(event, RepCounted):
            self._rep_counted(event.set_index, event.rep, message.limit_deg, decisions)
            return
        elif isinstance(event, DriftWarning):
            pass  # raised while the rep is still open: shown only once that movement counts as a rep
        elif isinstance(event, RepWithdrawn):
            # its set, judged whole, does not keep it: its own warning is taken back below
            # (`decisions`); a thigh + shank pair's knee-angle warning on it goes with it here
            if not self._thigh_warns() and self.alert_rep == (event.set_index, event.rep.index):
                self._take_back(event.set_index, event.rep, event.t_s)
            self.pair_reps = [r for r in self.pair_reps if r.start_s != event.rep.start_s]  # nor a knee angle later
        elif isinstance(event, SetEnded):
            self._set_ended(event)
        self._apply_warnings(decisions, banner=not isinstance(event, SetEnded))

    def _apply_warnings(self, decisions: list[WarningDecision], banner: bool = True) -> None:
        """Show the counted reps' warnings `live_warnings` releases, take back those it withdraws.
        `banner=False`: released as their set ends (its table shows them; the banner is for now)."""
        for decision in decisions:
            rep = decision.rep
            if isinstance(decision, WarningTakenBack):
                self._take_back(decision.set_index, rep, decision.t_s)
                continue
            assert isinstance(decision, WarningShown)
            if decision.t_s != decision.counted_t_s and any(r.start_s == rep.start_s for r in self.set_reps):
                self._table_rep(decision.set_index, rep)  # held: its row turns red now
            if banner and self._thigh_warns():
                limit = self._limit_for(rep, self.rep_limits.get(rep.start_s, self.settings.drift_threshold_deg))
                self._raise_alert(decision.set_index, rep, limit)

    def _take_back(self, set_index: int, rep: Rep, t_s: float) -> None:
        """The warning on `rep` is withdrawn with the rep: clear it and say so (a warning on screen
        for another rep stays)."""
        self.alert_log.append(("taken back", set_index, rep.index))
        if self.alert_rep == (set_index, rep.index):
            self._clear_alert()
        if self.alert_rep is None:
            self._view(AlertBanner).update(
                f"rep {rep.index} taken back: its set, seen whole, does not count it — no knee-drift warning"
            )
            self._taken_back_at_s = t_s

    def _thigh_warns(self) -> bool:
        """The rep's own warning is the one shown (a thigh + shank pair's knee angle decides there)."""
        return not (self.pair is not None and self.pair.kind == KNEE and self.pair.knee is not None and self.pair.knee.measurable)

    def _limit_for(self, rep: Rep, limit_deg: float) -> DriftLimit:
        """The limit `rep` was judged against, as the engine put it on the rep (else its warning's,
        else the one in force)."""
        warned = [w.threshold_deg for w in rep.warnings if w.kind == "knee_drift"]
        deg = rep.drift_limit_deg if rep.drift_limit_deg is not None else (warned[0] if warned else limit_deg)
        return DriftLimit.judged(deg, self.settings, reference=self.ctx.reference is not None)

    def _rep_counted(self, set_index: int, rep: Rep, limit_deg: float, decisions: list[WarningDecision]) -> None:
        if self.source.seekable:
            self.replay.fast_forward = False  # "next rep" plays unpaced only up to here
        limit = self._limit_for(rep, limit_deg)
        self.rep_limits[rep.start_s] = limit.deg
        self.set_reps.append(rep)
        self.pair_reps.append(rep)
        held = self.live_warnings.held(set_index, rep)
        self._table_rep(set_index, dataclasses.replace(rep, warnings=()) if held else rep)
        best = max(r.range_deg for r in self.set_reps)
        self._view(RangeMeter).show(rep.range_deg, best)
        self._view(TempoLabel).show(rep)
        self._show_gauge(rep, limit)
        self._show_counter(set_index)
        if self.pair is not None and self.pair.kind == KNEE and self.pair.knee is not None and self.pair.knee.measurable:
            pass  # the knee's own angle decides, once both sensors have covered this rep (on_pair_update)
        elif rep.drifted:
            self._apply_warnings(decisions)  # shown now, or held until its set is established
        elif self.alert_rep is not None:
            self._clear_alert()  # a clean rep after the warned one: calm again
        if not rep.drifted and decisions:
            self._apply_warnings(decisions)  # this rep established the set: its held warnings show
        if self.count_at == "top":
            self.cues.cue("rep", str(len(self.set_reps)))

    def _table_rep(self, set_index: int, rep: Rep) -> None:
        """The rep's row in the table, in the result schema as `analyze` reports it (a knee pair's
        with its knee angles)."""
        shown = self.knee_shown(rep)
        row = shown.to_dict(set_index)
        knee = self.knees.get(rep.start_s) if shown is not rep else None
        if knee is not None:
            row.update(knee.to_dict(), knee_drift_source="knee angle (thigh + shank)")
        self._view(RepTable).put_rep(f"{set_index}.{rep.index}", row)
        self.drift_log.append(("table", rep.start_s, fmt_drift(shown.knee_drift_deg)))

    def knee_shown(self, rep: Rep) -> Rep:
        """A thigh + shank pair's rep with its knee drift and warning from the knee angle, as the
        pair analysis reports it: none yet while the knee is not measured, the thigh's own once
        the stream has ended without a knee angle for it. Any other rep as it is."""
        pair = self.pair
        if pair is None or pair.knee is None or not pair.knee.measurable:
            return rep
        knee = self.knees.get(rep.start_s)
        if knee is None:
            if pair.knee_result is not None and rep.start_s not in pair.knee_result.knee:
                return rep  # never measured (a sensor out): the thigh's own estimate, as `analyze` says
            return dataclasses.replace(rep, knee_drift_deg=None, knee_drift_over_reference_deg=None, warnings=())
        limit = pair.pair_settings.knee_valgus_limit_deg
        return dataclasses.replace(rep, knee_drift_deg=knee.valgus_deg, knee_drift_over_reference_deg=None,
                                   drift_limit_deg=limit, warnings=(knee.warning,) if knee.warning else ())  # fmt: skip

    @while_shown
    def on_pair_update(self, message: PairUpdate) -> None:
        """What only the pair sees: a rep's knee angle (thigh + shank), the other leg's rep (left + right)."""
        assert self.pair is not None
        item = message.item
        if isinstance(item, OtherSideRep):
            self.other_reps.append(item.rep)
            self._show_pair_panels()
            return
        assert isinstance(item, KneeMeasured)
        knee = item.knee
        self.knee_log.append((knee.start_s, knee.valgus_deg))
        self.knees[knee.start_s] = knee
        rep = next((r for r in reversed(self.pair_reps) if abs(r.start_s - knee.start_s) < 1e-9), None)
        index = rep.index if rep is not None else None
        self._view(KneeGauge).show(index, knee, self.pair.pair_settings.knee_valgus_limit_deg)
        set_index = self.kept_sets[-1].index if rep is not None and rep not in self.set_reps and self.kept_sets else None
        on_table = (*self.set_reps, *(self.kept_sets[-1].reps if self.kept_sets and self.kept_sets[-1].index == self._table_set else ()))
        row = next((r for r in on_table if abs(r.start_s - knee.start_s) < 1e-9), None)
        if row is not None:  # its row's drift is the knee angle's now
            self._table_rep(self._table_set, row)
        if rep is not None and knee.warning is not None:
            self._raise_knee_alert(set_index if set_index is not None else self._current_set(), rep, knee.valgus_deg)
        elif self.alert_rep is not None and not self.stream_ended:
            self._clear_alert()

    def _current_set(self) -> int:
        return (self.kept_sets[-1].index + 1) if self.kept_sets else 1

    def _raise_knee_alert(self, set_index: int, rep: Rep, valgus_deg: float) -> None:
        assert self.pair is not None
        self.alert_rep = (set_index, rep.index)
        self.alert_log.append(("raised", set_index, rep.index))
        limit = self.pair.pair_settings.knee_valgus_limit_deg
        self._view(AlertBanner).update(f"⚠ REP {rep.index}: KNEE CAVING INWARD — valgus {valgus_deg:.1f}° (knee angle, limit {limit:g}°)")
        self.screen_stack[0].add_class("-alert")
        self.cues.cue("drift", "knee")

    def _show_pair_panels(self) -> None:
        if self.pair is None:
            return
        if self.pair.kind == KNEE:
            gauge = self._view(KneeGauge)
            if not self.knee_log:
                knee = self.pair.knee
                why = "" if knee is None or knee.measurable else "needs a gyroscope in both sensors (and no clamshells)"
                gauge.show(None, None, self.pair.pair_settings.knee_valgus_limit_deg, why)
        else:
            primary = self.pair.primary_ctx.side
            other = "right" if primary == "left" else "left"
            sym = symmetry_of(self.pair_reps, self.other_reps, self.pair.pair_settings) if self.pair_reps else None
            self._view(SymmetryPanel).show(sym, self.pair.pair_settings, (primary, other))
        self._show_sensors()

    def _show_sensors(self) -> None:
        """Each sensor of the pair: its link live, its stream's place in a replay."""
        if self.pair is not None:
            self._view(SensorsPanel).show(self.source.sensor_views(self.result is not None), self.pair.kind, self.pair.primary_index)

    @while_shown
    def on_turn_at_bottom(self, _message: TurnAtBottom) -> None:
        if self.count_at == "bottom":  # said at the turn, before the rep is judged
            self.cues.cue("rep", str(len(self.set_reps) + 1))

    def _raise_alert(self, set_index: int, rep: Rep, limit: DriftLimit) -> None:
        self.alert_rep = (set_index, rep.index)
        self.alert_log.append(("raised", set_index, rep.index))
        self._view(AlertBanner).update(
            f"⚠ REP {rep.index}: KNEE DRIFTING INWARD — {fmt_drift(rep.knee_drift_deg)} ({limit.describe()})"
        )
        self.drift_log.append(("banner", rep.start_s, fmt_drift(rep.knee_drift_deg)))
        self.screen_stack[0].add_class("-alert")  # the live view, even under a help/summary screen
        self.cues.cue("drift", "knee")

    def _clear_alert(self) -> None:
        if self.alert_rep is not None:
            self.alert_log.append(("cleared", *self.alert_rep))
        self.alert_rep = None
        self._view(AlertBanner).update("")
        self.screen_stack[0].remove_class("-alert")

    def _set_ended(self, event: SetEnded) -> None:
        done = event.exercise_set
        self.set_reps = []
        if event.kept:
            self.kept_sets.append(done)
            self._view(SetSummary).show(self._knee_set(done))
            self._show_final_reps(done)  # the set as `analyze` reports it (reps judged at set end)
            self.cues.cue("set_end", "set done")
            if self.ask_notes:
                self._view(NoteBar).ask(done.index, done.exercise, done.start_s, done.end_s)
            if self.plan is not None:
                self._plan_set_done(len(done.reps), event.t_s)
            self._show_counter(done.index, finished=len(done.reps))
            # the warning names a rep the final set no longer has: not a counted movement
            if self.alert_rep is not None and self.alert_rep[0] == done.index:
                if not any(r.index == self.alert_rep[1] and r.drifted for r in done.reps):
                    self._clear_alert()
        else:  # too few reps for a set: its live reps are withdrawn, and any warning with them
            self._view(RepTable).clear_reps()
            self._view(RangeMeter).show(None, None)
            self._view(TempoLabel).show(None)
            self._show_gauge(None)
            self._show_counter(None)
            self._view(SetSummary).update(f"{len(done.reps)} movement{'s' if len(done.reps) != 1 else ''} not counted as a set (fewer than {self.settings.min_reps_per_set} reps)")
            if self.alert_rep is not None and self.alert_rep[0] == done.index:
                self._clear_alert()
        if self.alert_rep is not None and self.alert_rep[0] == done.index and not self.stream_ended:
            self._clear_alert()

    def _knee_set(self, done: ExerciseSet) -> ExerciseSet:
        """`done` with each rep's knee drift as the table shows it (`knee_shown`)."""
        return dataclasses.replace(done, reps=tuple(self.knee_shown(r) for r in done.reps))

    def _show_final_reps(self, done: ExerciseSet) -> None:
        self._view(RepTable).clear_reps()
        self._table_set = done.index
        for rep in done.reps:
            self._table_rep(done.index, rep)
        if done.reps:
            last = done.reps[-1]
            self._show_gauge(last, self._limit_for(last, self.rep_limits.get(last.start_s, self.settings.drift_threshold_deg)))

    def _plan_set_done(self, reps: int, t_s: float) -> None:
        assert self.plan is not None
        before = self.plan.step.exercise
        transition = self.plan.set_done(reps, t_s)
        if transition.kind == "next" and self.plan.step.exercise != before:
            self._switch_exercise(self.plan.step.exercise)
        self._show_plan()

    def _switch_exercise(self, exercise: Exercise) -> None:
        self.ctx = _for_exercise(self.ctx, exercise, self.reference_lookup)
        self.limits = sensor_limits(self.ctx.exercise, self.ctx.placement, self.ctx.has_gyro)
        self.switch_requested = True
        self._show_limits()
        self._show_status(self.stream_t_s, None)

    @while_shown
    def on_analysis_reset(self, _message: AnalysisReset) -> None:
        self.stream_ended = False
        self.live_warnings = LiveWarnings(self.settings.live_warning_hold_reps)
        self._taken_back_at_s = None
        self.kept_sets.clear()
        self.set_reps = []
        self.rep_limits.clear()
        self.result = None
        self._view(RepTable).clear_reps()
        self._view(SetSummary).update("")
        self._view(RangeMeter).show(None, None)
        self._view(TempoLabel).show(None)
        self._show_gauge(None)
        if self.plan is not None:  # the plan starts again with the recording
            self.plan = PlanProgress(self.plan.plan)
            first = self.plan.step.exercise
            if first != self.ctx.exercise:
                self._switch_exercise(first)
            else:  # the worker already went back to it (RESTART): say so on screen
                self.limits = sensor_limits(self.ctx.exercise, self.ctx.placement, self.ctx.has_gyro)
                self._show_limits()
            self._show_plan()
        elif self.exercise_changes:  # the worker went back to the recording's first exercise
            self.on_exercise_changed(ExerciseChanged(self.ctx.exercise))
        self._show_counter(None)
        self._clear_alert()
        self.pair_reps.clear()
        self.other_reps.clear()
        self.knee_log.clear()
        self.knees.clear()
        self._show_pair_panels()

    @while_shown
    def on_exercise_changed(self, message: ExerciseChanged) -> None:
        """The recording moved on to another exercise (the worker already analyses it as that)."""
        self.limits = sensor_limits(self.ctx.exercise, self.ctx.placement, self.ctx.has_gyro)
        self._show_limits()
        self._show_counter(None)
        self._show_status(self.stream_t_s, None)

    @while_shown
    def on_note_bar_done(self, message: NoteBar.Done) -> None:
        if message.note is not None:
            self.notes[message.set_index] = message.note
            if self.source.records:
                self.recorder.mark(note_line(message.note))
            self.notify(f"set {message.set_index}: {describe_note(message.note)}", title="noted")
        if self._summary_waits and not self._view(NoteBar).is_open:  # the last question answered
            self._summary_waits = False
            self._push_summary()

    def _push_summary(self) -> None:
        assert self.result is not None
        from sensortrack.tui.screens import SessionSummaryScreen  # not needed before the stream ends

        self.push_screen(SessionSummaryScreen(self.result, self.limits.notes, self.plan, self.notes))

    @while_shown
    def on_snapshot(self, message: Snapshot) -> None:
        self._latest = message
        self.stream_t_s = message.state.t_s
        self._tick_rest(message.state.t_s)
        now = time.monotonic()
        if now - self._last_paint < REPAINT_S:
            return
        self._last_paint = now
        self._paint(message)

    def _tick_rest(self, t_s: float) -> None:
        if self.plan is None or self.plan.rest_until_s is None:
            return
        if self.plan.rest_left_s(t_s) == 0.0:
            self.plan.end_rest()
            self.cues.cue("rest_end", "go")
            self._show_counter(None)
            self._show_plan()

    def _paint(self, message: Snapshot) -> None:
        self._painted = message
        st = message.state
        self._view(PhaseLabel).show(st.phase, st.calibrated)
        threshold_deg = st.drift_threshold_deg or self.settings.drift_threshold_deg
        self._view(RollingPlot).show(message.plot, threshold_deg)
        self._show_status(message.position_s, st)
        self._show_prompt(st.calibrated)
        if not self.source.records:  # a live pair's panel has its own timer (_refresh_live_status)
            self._show_sensors()
        if self.plan is not None and self.plan.rest_until_s is not None:
            self._show_plan()
            self._show_counter(None)

    # ---------------------------------------------------------------- pieces
    def _show_counter(self, set_index: int | None = None, *, finished: int | None = None) -> None:
        """During a set: its reps (against the plan's target). Between sets: the last set's count
        with a tick, so the number does not drop to 0 the moment the set ends."""
        counter = self._view(RepCounter)
        exercise = self.ctx.exercise.replace("_", " ")
        stretch = self.current_stretch()
        if stretch is not None and stretch.unsure:
            exercise = f"{exercise}? (unsure)"  # never a plain label the recogniser is not sure of
        if self.awaiting_exercise:
            exercise = "recognising the exercise…"
        # a finished set is named as the exercise it was (the plan may already have moved on)
        done_exercise = (self.kept_sets[-1].exercise if self.kept_sets else self.ctx.exercise).replace("_", " ")
        target = self.plan.target_reps if self.plan is not None else None
        left = self.plan.rest_left_s(self.stream_t_s) if self.plan is not None else None
        rest_s = None if left is None else int(math.ceil(left))
        if finished is not None:
            rest = f" · REST {rest_s} s" if rest_s is not None else ""
            counter.show(f"SET {set_index} DONE · {done_exercise}{rest}", counter_text(finished, None, True), rest_s)
        elif set_index is not None:
            reached = " · target reached ✓" if target and len(self.set_reps) >= target else ""
            counter.show(f"SET {set_index} · {exercise}{reached}", counter_text(len(self.set_reps), target, False))
        else:
            last = self.kept_sets[-1] if self.kept_sets else None
            if last is not None:
                rest = f" · REST {rest_s} s" if rest_s is not None else ""
                counter.show(f"SET {last.index} DONE · {done_exercise}{rest}", counter_text(len(last.reps), None, True), rest_s)
            else:
                counter.show(f"waiting for the first rep · {exercise}", counter_text(0, target, False))

    def _show_gauge(self, rep: Rep | None, limit: DriftLimit | None = None) -> None:
        """The last counted rep's drift. Where the sensor cannot measure drift here the gauge says
        so; a number the analysis still gives is shown (it is `analyze`'s) and marked unreliable."""
        limit = limit or DriftLimit(self.settings.drift_threshold_deg)
        if rep is not None:
            self.drift_log.append(("gauge", rep.start_s, fmt_drift(rep.knee_drift_deg)))
        number = rep.knee_drift_deg if rep is not None else None
        caveat = "" if self.limits.measures_drift else self._drift_reason()
        if not self.side_known:
            caveat = "an unknown side (pass --side)"
        self._view(DriftGauge).show(
            rep.index if rep is not None else None,
            number,
            limit,
            unmeasured=caveat if number is None else "",
            partial=caveat if number is not None else "",
        )

    def _drift_reason(self) -> str:
        if self.ctx.exercise == "clamshell":
            return "clamshells"
        if self.ctx.exercise == "band_walk" and self.ctx.placement == "shank":
            return "band walks on the shank"
        return "a thigh without a gyroscope"

    def _show_limits(self) -> None:
        line = self._view(LimitsLine)
        text = "⚠ " + self.limits.line if self.limits.notes else ""
        if not self.side_known:
            text = (text + " · " if text else "⚠ ") + SIDE_UNKNOWN
        line.display = bool(text)
        line.update(text)

    def _show_plan(self) -> None:
        line = self._view(PlanLine)
        if self.plan is None:
            line.display = False
            return
        line.display = True
        p = self.plan
        if p.finished:
            done = " · ".join(f"{ex.replace('_', ' ')} {reps}" for ex, reps in p.log)
            line.show(f"{p.plan.name}: complete ✓ ({done})", resting=False)
            return
        left = p.rest_left_s(self.stream_t_s)
        if left is not None:
            secs = int(math.ceil(left))  # as the big countdown: 0 only when the rest is over
            line.show(f"REST {secs // 60}:{secs % 60:02d}  → {p.rest_next}", resting=True)
            return
        step = p.step
        following = p.plan.steps[p.step_index + 1].label if p.step_index + 1 < len(p.plan.steps) else "the plan is done"
        line.show(
            f"{p.plan.name} · {step.exercise.replace('_', ' ')} set {p.set_number} of {step.sets} · "
            f"target {step.reps} reps · then {following}",
            resting=False,
        )

    def _show_prompt(self, calibrated: bool | None) -> None:
        """None: no sample yet. Live sensors say they are connecting; then the calibration prompt."""
        prompt = self._view(Prompt)
        if not self.limits.counts:
            prompt.display = True
            prompt.update(f"This sensor cannot count here: {self.limits.notes[0]}")
            return
        if calibrated:
            prompt.display = False
            return
        prompt.display = True
        if calibrated is None and self.source.records:
            prompt.update(f"Connecting to {self.source.description}… keep the sensor on and close by")
        else:
            prompt.update(CALIBRATION_PROMPT)

    @while_shown
    def on_stream_finished(self, message: StreamFinished) -> None:
        self.result = message.result
        self.kept_sets = list(message.result.sets)
        if self.pair is not None and self.pair.other_result is not None and not self._finished_parts:
            # both legs' final reps, as the pair analysis pairs them (a set's close can withdraw a rep)
            self.pair_reps = list(message.result.reps)
            self.other_reps = list(self.pair.other_result.reps)
            self._show_pair_panels()
        recorded = self.source.recorded_notes()  # the notes given when it was recorded, for the summary
        if recorded:
            for done in message.result.sets:
                note = note_for_set(recorded, done.start_s, done.end_s)
                if note is not None:
                    self.notes.setdefault(done.index, note)
        if self._latest is not None:  # the newest state may have been skipped by the repaint limit
            self._paint(self._latest)
        self._view(PhaseLabel).update("finished")
        self._view(Prompt).display = False
        if self.source.records:
            self.notify(f"recording saved to {self.recorder.path}", title="stream ended", timeout=30)
        if message.result.sets:  # the last set closes only now: show its summary too
            last = message.result.sets[-1]
            self._view(SetSummary).show(self._knee_set(last))
            if self.pair is not None and self.pair.knee_result is not None:  # reps the knee angle never came for
                self._show_final_reps(last)
        self._show_status(self.replay.position_s if self.source.seekable else self.stream_t_s, None, finished=True)
        if self._view(NoteBar).is_open:  # the last set's note first: then the summary, with it
            self._summary_waits = True
        else:
            self._push_summary()

    def _show_status(self, position_s: float, st: object | None, *, finished: bool = False) -> None:
        own = self.source.status_parts(position_s, self.ctx.rate_hz, finished)
        if self.source.records:  # what can go wrong first: a narrow terminal cuts the end of the line
            parts = [*own, self._body_text(), self.source.description]
        else:
            parts = [self.source.description, self._body_text(), *own]
            parts.append(f"{self.ctx.rate_hz:g} Hz" + (" acc+gyro" if self.ctx.has_gyro else " acc only"))
        parts.append(self.cues.describe())
        self._view(StatusLine).update(" │ ".join(parts))

    def current_stretch(self) -> RecognisedStretch | None:
        """The recognised stretch the stream is in (the last one begun), if the exercise was recognised."""
        begun = [st for st in self.recognised if st.start_s <= self.stream_t_s + 1e-9]
        return begun[-1] if begun else (self.recognised[0] if self.recognised else None)

    def _body_text(self) -> str:
        if self.awaiting_exercise:
            return f"auto: recognising the exercise… · {self.ctx.placement} · {self.ctx.side}"
        stretch = self.current_stretch()
        exercise = stretch.describe() if stretch is not None else self.ctx.exercise
        side = self.ctx.side if self.side_known else "side not given"
        return f"{exercise} · {self.ctx.placement} · {side}"

    @while_shown
    def _refresh_live_status(self) -> None:
        if self.result is None:
            position = self._latest.position_s if self._latest is not None else 0.0
            self._show_status(position, None)
        if self.pair is not None:
            self._show_pair_panels()

    def _ring(self, times: int, gap_s: float) -> None:
        self.bell()
        for k in range(1, times):
            self.set_timer(k * gap_s, self.bell)

    # ---------------------------------------------------------------- actions
    @property
    def replay(self) -> Seekable:
        """The source's playback controls: asked for only where it says it is `seekable`."""
        if not self.source.seekable:
            raise RuntimeError(f"{self.source.description} cannot be paused or sought")
        return cast(Seekable, self.source)

    @property
    def recorder(self) -> Recorder:
        """The source's recording: asked for only where it says it `records`."""
        if not self.source.records:
            raise RuntimeError(f"{self.source.description} records nothing")
        return cast(Recorder, self.source)

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
        """End the current set now; the next rep starts a new set (sets also end by themselves)."""
        self.end_set_requested = True

    def action_next_exercise(self) -> None:
        """Go on to the plan's next exercise now (the sets left of this one are skipped)."""
        if self.plan is None:
            return
        if self.plan.advance():
            self.plan.end_rest()
            self.end_set_requested = True
            if self.plan.step.exercise != self.ctx.exercise:
                self._switch_exercise(self.plan.step.exercise)
            self.notify(f"next: {self.plan.step.label}", title="plan")
        else:
            self.notify("this is the plan's last exercise")
        self._show_plan()
        self._show_counter(None)

    def action_next_rep(self) -> None:
        """Play unpaced until the next rep is counted."""
        self.replay.fast_forward = True
        self.replay.resume()

    def action_seek(self, direction: int) -> None:
        """Seek 10 s; a paused replay stays paused (at the new place)."""
        if self.result is not None:  # after the end the worker is done: play again from the start
            self.action_restart()
            return
        self.replay.seek(self.replay.position_s + direction * SEEK_STEP_S)

    def action_restart(self) -> None:
        if self.result is not None:  # the stream ended: rewind and read it again
            while isinstance(self.screen, Screen) and len(self.screen_stack) > 1:
                self.pop_screen()
            self.replay.rewind()
            self._finished_parts.clear()
            self._set_offset = 0
            self.on_analysis_reset(AnalysisReset())  # now, so the new worker starts on the plan's first exercise
            self.switch_requested = False  # nothing to close: the new worker starts afresh with self.ctx
            if self.ctx.exercise != self.first_exercise:  # a recording that moved on: from its first exercise
                self.ctx = _for_exercise(self.ctx, self.first_exercise, self.reference_lookup)
                self.on_exercise_changed(ExerciseChanged(self.ctx.exercise))
            self.pump()
        else:
            self.replay.seek(0.0)

    def action_cycle_sound(self) -> None:
        self.cues.cycle()
        self.notify(self.cues.describe())
        self._show_status(self._latest.position_s if self._latest else 0.0, None)

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme != "textual-light" else "textual-dark"

    def action_screenshot_to_folder(self) -> None:
        """An SVG of the screen in `<data dir>/screenshots/` (created if missing)."""
        from sensortrack.config import data_dir

        folder = data_dir() / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        path = self.save_screenshot(path=str(folder))
        self.notify(f"screenshot saved: {path}")

    def action_summary(self) -> None:
        if self.result is not None:
            self._push_summary()
        else:
            kept = len(self.kept_sets)
            self.notify(f"{kept} set{'s' if kept != 1 else ''} so far; the session summary shows when the stream ends")

    def help_lines(self) -> list[tuple[str, str]]:
        """(readable key, what it does) for the keys that work on this source."""
        lines = []
        for b in self.BINDINGS:
            assert isinstance(b, Binding)
            action = b.action.split("(")[0]
            if self.check_action(action, ()) is False:
                continue
            lines.append((b.key_display or b.key, b.description))
        return lines

    def action_help(self) -> None:
        from sensortrack.tui.screens import HelpScreen  # not needed for the first frame

        self.push_screen(HelpScreen(self.help_lines()))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette (ctrl+p) carries the view's own commands, then Textual's."""
        own: list[tuple[str, str, str]] = [
            ("End set", "end the current set now", "end_set"),
            ("Sound: next mode", "speech / bell / off", "cycle_sound"),
            ("Theme: light/dark", "switch the colour theme", "toggle_theme"),
            ("Screenshot", "save an SVG of the screen to the data folder's screenshots/", "screenshot_to_folder"),
            ("Session summary", "every set so far (when the stream has ended)", "summary"),
        ]
        if self.plan is not None:
            own.append(("Next exercise", "go on to the plan's next exercise", "next_exercise"))
        if self.source.seekable:
            own += [
                ("Pause / resume", "pause or resume the replay", "toggle_pause"),
                ("Faster", "double the replay speed", "faster"),
                ("Slower", "halve the replay speed", "slower"),
                ("Next rep", "play at full speed to the next counted rep", "next_rep"),
                ("Restart", "play the recording again from the start", "restart"),
            ]
        for title, help_text, action in own:
            yield SystemCommand(title, help_text, lambda a=action: self.run_action(a))
        for command in super().get_system_commands(screen):
            if command.title not in {"Theme", "Screenshot"}:  # ours above do the same, better
                yield command


def renumbered(event: Event, offset: int) -> Event:
    """`event` with its set numbered after the `offset` sets of the exercises before it."""
    if offset == 0:
        return event
    if isinstance(event, SetEnded):
        return dataclasses.replace(event, exercise_set=dataclasses.replace(event.exercise_set, index=event.exercise_set.index + offset))
    return dataclasses.replace(event, set_index=event.set_index + offset)


def split_at_changes(
    block: SampleBlock, changes: list[ExerciseChange]
) -> Iterator[tuple[SampleBlock, ExerciseChange | None]]:
    """`block` in pieces at the recorded exercise changes it crosses, each with the change that
    starts it (None for the first piece); used changes are taken off `changes`."""
    start = 0
    change: ExerciseChange | None = None
    while changes and len(block) and changes[0].t_s <= float(block.t_s[-1]):
        cut = int(np.searchsorted(block.t_s, changes[0].t_s, side="left"))
        yield block.slice(start, cut), change
        start, change = cut, changes.pop(0)
    yield block.slice(start, len(block)), change


def make_app(
    source: SampleSource,
    exercise: Exercise | Literal["auto"],
    placement: Placement,
    side: Side,
    settings: AnalysisSettings | None = None,
    *,
    rate_hz: float,
    has_gyro: bool,
    sound: SoundMode = "off",
    count_at: str = "top",
    plan: Plan | None = None,
    reference: DriftReference | None = None,
    reference_lookup: ReferenceLookup | None = None,
    ask_notes: bool | None = None,
    second: tuple[Placement, Side, float, bool] | None = None,
    pair_settings: PairSettings | None = None,
) -> SensortrackApp:
    """The live view around `source`; tests and commands build the app only through this.
    `reference_lookup` finds the stored reference of each exercise a plan moves to. `second`:
    the second sensor's (placement, side, rate_hz, has_gyro) when `source` streams a pair.
    `exercise="auto"` (no plan): each bout's exercise is recognised as it streams (a pair's from its
    primary stream: the thigh of a thigh + shank pair, else the first sensor)."""
    auto = None
    if exercise == AUTO and plan is None:
        from sensortrack.analysis.recognition_live import LiveRecogniser
        from sensortrack.recognising import packaged_model

        primary = "thigh" if second is not None and {placement, second[0]} == {"thigh", "shank"} else placement
        auto = LiveRecogniser(packaged_model(), primary)
    known = exercise_or_none(exercise)
    if known is None:  # auto
        known = plan.steps[0].exercise if plan is not None else AUTO_PLACEHOLDER  # replaced once recognised
    ctx = AnalysisContext(
        exercise=known, placement=placement, side=side, rate_hz=rate_hz, has_gyro=has_gyro, reference=reference
    )
    other = None
    if second is not None:
        other = AnalysisContext(exercise=known, placement=second[0], side=second[1], rate_hz=second[2], has_gyro=second[3])
    return SensortrackApp(ViewOptions(
        source, ctx, settings, sound=sound, count_at=count_at, plan=plan, reference_lookup=reference_lookup, ask_notes=ask_notes,
        second=other, pair_settings=pair_settings, auto=auto,
    ))  # fmt: skip


def replay_app(
    path: Path | str,
    speed: float = 1.0,
    settings: AnalysisSettings | None = None,
    reference: DriftReference | ReferenceLookup | None = None,
    *,
    sound: SoundMode = "off",
    count_at: str = "top",
    plan: Plan | None = None,
    recognised: tuple[RecognisedStretch, ...] = (),
    pair_settings: PairSettings | None = None,
    sensors: tuple[SensorBody, ...] = (),
    into: LoadingView | None = None,
    **body: str | None,
) -> SensortrackApp:
    """The view driven by a recorded session; exercise/placement/side default to the file's.
    A two-sensor session is replayed as the pair it is (`_pair_replay_app`).
    `reference`: the knee-drift reference, or a lookup of the stored one by exercise/placement/side.
    `recognised`: the exercise of each stretch where neither flags nor file say it (the view
    switches at each change). A side neither says is not guessed: what depends on it is left out.
    `into`: a one-sensor view already on screen (LoadingView) takes the replay instead of a new app."""
    from sensortrack.analysis.reference import DriftReference
    from sensortrack.core.loading import load_session
    from sensortrack.session_analysis import resolve_context

    load_engine()
    session = load_session(path)
    if pair_settings is not None and not session.companions:
        raise ConfigError("pair.* settings apply to two sensors only (two devices or a two-sensor file)")
    if sensors and not session.companions:
        raise ConfigError("--sensor is for a two-sensor file: use --placement/--side")
    if session.companions and into is not None:  # its layout is one sensor's (the command checks the file first)
        raise ConfigError(f"{path} holds two sensors: the one-sensor view cannot replay it")
    if session.companions:  # `sensors`: where each sat, when the file does not say (sensortrack/core/sensor_bodies.py)
        from sensortrack.core.sensor_bodies import with_sensor_bodies

        session = with_sensor_bodies(session, list(sensors), str(path))
        return _pair_replay_app(session, Path(path), speed, settings, pair_settings, sound=sound, count_at=count_at,
                                plan=plan, recognised=recognised, **body)  # fmt: skip
    side_known = bool(body.get("side") or session.meta.sensor.side)
    exercise = body.get("exercise") or (recognised[0].exercise if recognised else None)
    side = body.get("side") if side_known else PLACEHOLDER_SIDE
    ctx = resolve_context(session, exercise, body.get("placement"), side, reference if side_known else None)
    source = ReplaySource(session, speed, description=f"replay {Path(path).name}")
    # A recording that moved to other exercises is replayed as it was done, unless told otherwise.
    changes = () if body.get("exercise") else session.events.exercise_changes
    if recognised and not changes:  # where the recognised exercise changes
        changes = tuple(
            ExerciseChange(b.start_s, b.exercise) for a, b in zip(recognised, recognised[1:]) if b.exercise != a.exercise
        )
    options = ViewOptions(
        source, ctx, settings, sound=sound, count_at=count_at, plan=plan,
        reference_lookup=None if reference is None or isinstance(reference, DriftReference) or not side_known else reference,
        exercise_changes=changes, recognised=recognised, side_known=side_known,
    )  # fmt: skip
    return SensortrackApp(options) if into is None else into._bind(options)


class LoadingView(SensortrackApp):
    """The one-sensor view put on the terminal before anything of its session is read or analysed.

    `sensortrack replay` draws this first frame with Textual and the widgets alone, then `load` (after
    the frame is out) imports the engine, reads the file and binds the view (`replay_app(into=...)`):
    the first frame no longer waits ~0.4 s of CPU for NumPy, the analysis and the file (docs/speed.md).
    A file it cannot replay ends the app with exit 2, and `run_app` raises its one-line error once the
    terminal is restored, as when the error came before the view."""

    def __init__(self, title: str, load: Callable[[LoadingView], object]) -> None:
        App.__init__(self)  # SensortrackApp's own state comes from `load`, after the first frame
        self._pending = functools.partial(load, self)
        self.pair = None
        self.plan = None
        self.error = None
        self.result = None
        self.sub_title = title


def _pair_replay_app(
    session: Session,
    path: Path,
    speed: float,
    settings: AnalysisSettings | None,
    pair_settings: PairSettings | None,
    *,
    sound: SoundMode,
    count_at: str,
    plan: Plan | None,
    recognised: tuple[RecognisedStretch, ...] = (),
    **body: str | None,
) -> SensortrackApp:
    """A two-sensor session replayed as its pair: both streams, in the pair analysis's order (thigh
    then shank, left then right) and with its clock alignment of the second onto the first, so the
    view's analysis is `analyze`'s of the pair (analysis/ agrees on any chunking of the streams)."""
    from sensortrack.pair_analysis import align_pair
    from sensortrack.session_analysis import resolve_context

    if len(session.companions) != 1:
        raise ConfigError(f"{path} holds {1 + len(session.companions)} sensors: two are replayed together")
    if body.get("placement") or body.get("side"):
        raise ConfigError(f"{path} holds two sensors: leave out --placement/--side (each one's place, where the file "
                          "does not say it: --sensor ID:PLACEMENT:SIDE)")
    # `recognised`: the exercise both sensors' movement gave, where neither flag nor file says it
    exercise = body.get("exercise") or (recognised[0].exercise if recognised else None)
    aligned = align_pair(session, session.companions[0], pair_settings, exercise)
    first = resolve_context(aligned.first, aligned.exercise)
    second = resolve_context(aligned.recorded_second, aligned.exercise)
    source = ReplaySource(aligned.first, speed, description=f"replay {path.name}", companion=aligned.second)
    return SensortrackApp(ViewOptions(source, first, settings, sound=sound, count_at=count_at, plan=plan, second=second,
                                      pair_settings=pair_settings, recognised=recognised))  # fmt: skip

# Analysed with this side where none is known; nothing that depends on it is shown.
PLACEHOLDER_SIDE: Side = "left"
AUTO: Final = "auto"  # `live`'s first exercise choice: recognise each bout's exercise
AUTO_PLACEHOLDER: Exercise = "squat"  # the context's exercise until the first bout is recognised (nothing is analysed before)
