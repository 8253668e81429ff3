"""The analysis pipeline, streaming first: `analyze` is the streaming analyzer fed one block.

Data flow per fed block (all causal, all state carried between calls):
  raw samples → block-mean decimation to ~25 Hz → short dropouts bridged → VQF orientation (or
  low-passed gravity) → gravity direction u and rotation rate w → segment angle θ about the
  calibrated flexion axis → reps found a stretch at a time → sets, drift, warnings.
Every decision depends only on samples up to the one being judged and is taken at a definite
sample index, so any chunking of the stream gives the same reps, sets and warnings as one batch.
Reps are searched with a few numpy passes per rep and no per-sample Python loop; the throughput is
printed by benchmarks/bench_pipeline.py (docs/speed.md).

`StreamingAnalyzer` only coordinates; the work is done by
  front_end.py          SignalFrontEnd: raw samples → analysis-rate columns (History)
  engine_state.py       EngineSetup (fixed per session), EngineState (shared, mutable), Mode
  calibration_stage.py  calibrating the movement plane and rest; a band walk's stance found again
  rep_tracker.py        the calibrated rep state machine (rep_finder.py, rep_edges.py: pure arrays)
  rep_judge.py          is it a rep (sets.SetTracker), its knee drift and warning
  set_recount.py        reps from the movement's own repetition; a closing set recounted
"""

from __future__ import annotations

from sensortrack.analysis.calibration_stage import CalibrationStage
from sensortrack.analysis.context import AnalysisContext
from sensortrack.analysis.engine_state import TRACE_RATE_HZ as TRACE_RATE_HZ  # re-exported
from sensortrack.analysis.engine_state import EngineSetup, EngineState
from sensortrack.analysis.engine_state import Mode as Mode  # re-exported
from sensortrack.analysis.front_end import SignalFrontEnd
from sensortrack.analysis.results import AnalysisResult, Event, LiveState
from sensortrack.analysis.rep_judge import RepJudge
from sensortrack.analysis.rep_tracker import RepTracker
from sensortrack.analysis.set_recount import SetRecount
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.model import FloatArray


class StreamingAnalyzer:
    """Feed blocks of any size; get rep and warning events as they happen; `finish` for the result."""

    def __init__(
        self, ctx: AnalysisContext, settings: AnalysisSettings | None = None, *, keep_trace: bool = True
    ) -> None:
        """`keep_trace=False`: no angle/drift trace in the result (a live view over hours keeps its
        memory flat; reps, sets and warnings are unchanged)."""
        self.ctx = ctx
        self.settings = settings or AnalysisSettings()
        self._front = SignalFrontEnd(ctx.rate_hz, ctx.has_gyro, self.settings)
        self.rate_hz = self._front.rate_hz
        setup = EngineSetup.of(ctx, self.settings, self.rate_hz, self._front.lowpass_delay_s)
        self._st = st = EngineState(ctx, self.settings, setup, keep_trace=keep_trace)
        self.geometry = st.geometry
        self._calibration = CalibrationStage(st)
        self._recount = SetRecount(st)
        self._judge = RepJudge(st, self._recount)
        self._reps = RepTracker(st, self._judge)
        if st.geometry.one_excursion_per_rep and not setup.stance:
            st.tracker.recount = self._recount.recount_set
        self.state = LiveState()

    @property
    def rep_axes_cal(self) -> dict[float, FloatArray] | None:
        """Counted reps' whole-way-down axes (calibration basis) by start time, when asked for by
        setting it to {} before feeding (personal_reference.build_reference_checked)."""
        return self._judge.rep_axes_cal

    @rep_axes_cal.setter
    def rep_axes_cal(self, axes: dict[float, FloatArray] | None) -> None:
        self._judge.rep_axes_cal = axes

    # ---------------------------------------------------------------- input
    def feed(self, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None = None) -> list[Event]:
        """Add samples (times in seconds, acc in g, gyro in °/s) and return the events they caused."""
        columns = self._front.apply(t_s, acc_g, gyro_dps)
        if columns is not None:
            self._st.hist.append(**columns)
        self._run()
        self._refresh_state()
        return self.drain_events()

    def _run(self) -> None:
        """Step the stage the analyzer is in until it waits for samples, then drop history no
        decision still needs."""
        st, k = self._st, self._st.setup
        end = st.hist.end
        while st.cursor < end:
            before = (st.cursor, st.mode, st.basis)
            if st.mode == Mode.UNCALIBRATED:
                self._calibration.step_uncalibrated(end)
            elif st.mode == Mode.FINDING_STANCE:
                self._calibration.step_stance_search(end)
            else:
                self._reps.step(end)
            if (st.cursor, st.mode, st.basis) == before:
                break  # a rep is in progress: wait for more samples
        keep_from = st.cursor - k.history_keep_n
        if st.mode == Mode.UNCALIBRATED:
            keep_from = min(keep_from, st.cal_start)
        elif st.mode == Mode.FINDING_STANCE:
            keep_from = min(keep_from, st.search_from)
        keep_from = min(keep_from, st.last_end_idx - k.look_back_n)
        self._recount.search_unclaimed(st.decided_until())
        keep_from = min(keep_from, self._recount.unclaimed_from)
        if st.tracker.recount is not None:
            # A set may open on a rep up to its longest before the cursor: keep a set break more.
            keep_from = min(keep_from, st.cursor - k.recount_keep_n)
            self._recount.forget_unrecountable()
            from_s = st.tracker.recount_from_s
            if from_s is not None:
                keep_from = min(keep_from, st.hist_index_at(from_s + k.boundary_delay_s) - k.recount_margin_n)
        st.hist.forget_before(keep_from)

    # ---------------------------------------------------------------- output
    def _refresh_state(self) -> None:
        st = self._st
        end = st.hist.end
        if end == 0:
            return
        last = end - 1
        live = self.state
        live.t_s = float(st.hist.get("t", last, end)[0])
        live.calibrated = st.basis is not None and st.mode != Mode.UNCALIBRATED
        live.angle_deg = float(st.theta(last, end)[0]) if live.calibrated else float("nan")
        live.drift_deg = float("nan")
        live.phase = "rest"
        if st.open is not None and live.calibrated:
            start, drift = st.open
            theta = st.theta(start, end)
            # still at its highest (the newest sample or the one before: a sample of noise) → going down
            live.phase = "down" if int(theta.argmax()) >= theta.size - 2 else "up"
            if drift is not None:
                live.drift_deg = float(drift.drift_deg[-1])
        live.set_index = st.tracker.open_set_index
        live.rep_count = st.tracker.open_rep_count
        live.drift_threshold_deg = st.tracker.drift_threshold_deg()

    def end_set(self) -> list[Event]:
        """The user ends the set now (a manual key): the next counted rep starts a new set.

        Decided at the newest sample fed so far, so a replay that presses the key at the same
        point gets the same sets; without the key, sets end by themselves after `set_break_s`.
        """
        st = self._st
        if st.hist.end == 0:
            return []
        now_s = float(st.hist.get("t", st.hist.end - 1, st.hist.end)[0])
        st.events = st.withdrawals.review(st.events)  # reps counted but not handed out yet
        return st.withdrawals.review(st.tracker.close(now_s - st.setup.boundary_delay_s))

    def drain_events(self) -> list[Event]:
        """Events raised since they were last handed out (`feed` returns them; after `finish`, the
        last set's end is collected here)."""
        st = self._st
        events, st.events = st.withdrawals.review(st.events, handed_out=True), []
        return events

    def finish(self) -> AnalysisResult:
        """End of stream: close the open set and return the whole session's result."""
        st = self._st
        self._run()
        if st.open is not None and st.mode == Mode.CALIBRATED:
            # The recording stopped on the way back up: still a rep if it was past half-way home.
            # (Counting a rep cut nearer its far end was tried: real recordings end with movements
            # that are no reps, MEx s08 of the tuning half read 11 bridges for 9.)
            start = st.open[0]
            end = st.hist.end
            theta = st.theta(start, end)
            if theta[-1] < self.settings.return_share_of_peak * float(theta.max()):
                self._judge.judge_rep(start, theta, st.hist.get("t", start, end))
        st.open = None
        st.ended = True  # the set closed now may end with the recording (set_recount._recording_edges)
        self._recount.search_unclaimed(st.hist.end, whole=True)
        st.events += self.end_set()  # the stream's end ends the last set, like the key does
        self._refresh_state()
        calibration: dict[str, object] = {
            "mode": "gyro+acc (VQF)" if st.setup.gyro else "acc only (gravity)",
            "drift_sees": self._judge.drift_sees(),
            "calibrations": st.calibrations,
            "analysis_rate_hz": round(self.rate_hz, 3),
            # Reps counted from the movement's own repetition where the calibrated finder counted
            # none: their boundaries are the movement's, their drift is not measured.
            "uncertain_reps": self._recount.repetition_reps,
        }
        if st.cal is not None:
            calibration["flexion_axis_sensor"] = [round(float(x), 4) for x in st.cal.flexion_axis_s]
            calibration["rest_up_sensor"] = [round(float(x), 4) for x in st.cal.rest_up_s]
        return AnalysisResult(context=self.ctx, sets=st.tracker.sets, calibration=calibration, trace=st.trace.result())


def analyze(
    t_s: FloatArray,
    acc_g: FloatArray,
    gyro_dps: FloatArray | None,
    ctx: AnalysisContext,
    settings: AnalysisSettings | None = None,
) -> AnalysisResult:
    """Batch form: the streaming analyzer fed everything at once (identical results by design)."""
    analyzer = StreamingAnalyzer(ctx, settings)
    analyzer.feed(t_s, acc_g, gyro_dps)
    return analyzer.finish()
