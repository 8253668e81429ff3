"""Before reps can be found: calibrate the movement plane and rest, or find a band walk's stance again.

Two stages of the streaming analyzer, each stepping the shared `EngineState` over the samples from
its cursor:
- `step_uncalibrated`: gravity has turned enough over a long enough stretch → try `calibrate` at
  fixed absolute sample indices (chunking does not matter); on success the stretch is replayed as
  calibrated, so the reps it holds count too.
- `step_stance_search`: band walks between sets; the flexion axis is kept (the strap did not move)
  and the posture the steps keep coming back to is the new stance.
"""

from __future__ import annotations

import numpy as np

from sensortrack.analysis.calibration import calibrate, strap_unmoved
from sensortrack.analysis.engine_state import EngineState, Mode
from sensortrack.analysis.rep_finder import run_lengths
from sensortrack.analysis.stance import stance_posture
from sensortrack.core.model import FloatArray


class CalibrationStage:
    def __init__(self, state: EngineState) -> None:
        self._st = state
        self._s = state.settings
        self._k = state.setup

    def step_uncalibrated(self, end: int) -> None:
        """Look for the movement plane and the rest posture in [cursor, end) (a window at a time)."""
        st, s, k = self._st, self._s, self._k
        hist = st.hist
        a = st.cursor
        b = min(end, a + s.calibration_search_window_samples)
        speed = np.linalg.norm(hist.get("gw", a, b), axis=1)
        cum = st.cum_rot_deg + np.cumsum(speed) * (1.0 / st.rate_hz)
        t = hist.get("t", a, b)
        t0 = float(hist.get("t", st.cal_start, st.cal_start + 1)[0])
        ready = (cum >= s.calibration_turn_min_range_share * k.min_range_deg) & (t - t0 >= k.cal_min_s)
        # Try at the first ready sample, then every `calibration_try_every_samples`: fixed absolute indices, so
        # the attempts (and their outcome) do not depend on how the stream was chunked.
        absolute = np.arange(a, b)
        first_ready = (np.cumsum(ready) == 1) & (not st.ready_seen)
        tries = np.flatnonzero(ready & ((absolute % s.calibration_try_every_samples == 0) | first_ready))
        st.ready_seen = st.ready_seen or bool(ready.any())
        st.cum_rot_deg = float(cum[-1])
        st.cursor = b
        confirmed = st.rest_confirmed() if tries.size else False
        for j in tries:
            i = a + int(j)
            if float(t[j]) - t0 > s.calibration_max_s:  # no single movement plane yet: look at newer data
                st.restart_calibration(st.hist_index_at(float(t[j]) - s.calibration_max_s * s.calibration_restart_share_of_max))
                return
            u = hist.get("u", st.cal_start, i + 1)
            cal = calibrate(
                u,
                hist.get("gw", st.cal_start, i + 1),
                st.rate_hz,
                rest_is_start=st.geometry.rest_is_start,
                min_swept_deg=k.min_range_deg,
                rest_hint_s=st.cal,
                rest_is_stance=k.stance,
                rest_confirmed=confirmed,
                tuning=s,
            )
            if cal is not None:
                # Still confirmed while the strap has not moved: the same axis, or gravity in its plane.
                st.cal_confirmed = confirmed and st.cal is not None and strap_unmoved(
                    u, st.cal.flexion_axis_s, cal.flexion_axis_s, s
                )
                st.cal_reps_from = st.counted_reps()
                st.cal = cal
                st.calibrations += 1
                st.set_knee()
                st.mode = Mode.CALIBRATED
                st.still_run = 0
                st.cursor = st.cal_start  # replay the calibration stretch: its reps count too
                return

    def step_stance_search(self, end: int) -> None:
        """Band walks between sets: find the new set's stance, then replay the stretch searched.

        As in the first calibration, the stance is the posture the steps keep coming back to
        (`dwell_posture`), tried at fixed absolute indices so chunking does not matter; the flexion
        axis is kept (the strap did not move). The stretch searched starts where the person last
        stood still for a second: walking and fidgeting before that are neither searched nor
        replayed. Until the stance is found nothing counts; the angle is traced from the old
        stance meanwhile and the finished set closes on time. The new set's first steps are
        counted when it is found (after a few of them), not as each ends.
        """
        st, s, k = self._st, self._s, self._k
        a = st.cursor
        b = min(end, a + s.calibration_search_window_samples)
        run = run_lengths(st.hist.get("speed", a, b) < s.still_dps, st.still_run)
        held = np.flatnonzero(run >= k.still_n) + a
        # Held for a second nearer standing than the stance: standing. Before it is not searched.
        assert st.standing_up_s is not None  # set on leaving the set
        held = held[st.is_standing(st.hist.get("u", a, b)[held - a])]
        longest_n = int(s.calibration_max_s * st.rate_hz)
        stop, stance = b, None
        every = s.calibration_try_every_samples
        for i in range(a + (-a) % every, b, every):
            j = int(held.searchsorted(i, side="right"))
            if j:
                st.search_from = max(st.search_from, int(held[j - 1]))
            if i - st.search_from > longest_n:  # bounded work and memory: look at newer data
                st.search_from = i - int(longest_n * s.calibration_restart_share_of_max)
            stance = self._stance_in(st.search_from, i + 1)
            if stance is not None:
                stop = i + 1
                break
        t = st.hist.get("t", a, stop)
        st.close_set_if_due(t, stop - a)
        st.put_trace(a, stop, st.theta(a, stop), None)
        if stance is None:
            if held.size:
                st.search_from = max(st.search_from, int(held[-1]))
            st.still_run = int(run[-1])
            st.cursor = b
            return
        st.reanchor(stance)
        st.mode = Mode.CALIBRATED
        st.tilt_floor_deg = np.inf
        st.cursor = st.search_from  # replay: the set's first steps count too
        st.still_run = k.still_n  # the search started at the end of a still period

    def _stance_in(self, a: int, b: int) -> FloatArray | None:
        """The posture the movements over [a, b) keep coming back to, unless it is standing."""
        st = self._st
        assert st.cal is not None and st.standing_up_s is not None
        return stance_posture(
            st.hist.get("speed", a, b), st.hist.get("u", a, b), st.hist.get("gw", a, b),
            st.standing_up_s, st.cal.rest_up_s, self._k.min_range_deg, self._k.stance_hold_n, st.rate_hz,
            self._s,
        )
