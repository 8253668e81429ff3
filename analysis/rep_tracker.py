"""The calibrated rep state machine: find each rep's start and end in the segment angle, a stretch at
a time, and hand it to the judge (rep_judge.py); settle at still periods (re-anchor rest, or notice
that the posture changed and calibrate again).

Every decision is taken at a definite sample index from samples up to it, so any chunking of the
stream gives the same reps. The array work is in rep_finder.py and rep_edges.py (pure functions).
"""

from __future__ import annotations

import numpy as np

from sensortrack.analysis.engine_state import EngineState
from sensortrack.analysis.rep_edges import (
    first_rise,
    held_start,
    held_unrisen,
    plane_excursion,
    rep_start,
    step_down_end,
)
from sensortrack.analysis.rep_finder import rep_end, run_lengths
from sensortrack.analysis.rep_judge import RepJudge
from sensortrack.analysis.stance import stance_shifted, stance_taken
from sensortrack.core.model import FloatArray


class RepTracker:
    def __init__(self, state: EngineState, judge: RepJudge) -> None:
        self._st = state
        self._s = state.settings
        self._k = state.setup
        self._judge = judge
        self._step_down_wait_n = int(round(self._s.step_down_within_s * state.rate_hz))

    def step(self, end: int) -> None:
        """Find and judge the reps in [cursor, end), a few numpy passes per rep.

        The angle basis only changes at a settled still period (re-anchor: the angles are measured
        afresh from there on) or a posture change (recalibration, where the stretch is cut). A rep starts
        when the angle rises past the start threshold above where the last rep came back to
        (people do not always return all the way to rest between reps) and ends where, on its way
        back, the movement stops.
        """
        st, s, k = self._st, self._s, self._k
        hist = st.hist
        assert st.basis is not None and st.cal is not None
        a = st.cursor
        end = min(end, a + k.stretch_n)
        lead = min(a, max(hist.base, a - k.look_back_n, st.last_end_idx + 1))
        theta = st.theta(lead, end)
        rate = st.theta_rate(lead, end, theta)
        t = hist.get("t", lead, end)
        speed = hist.get("speed", lead, end)
        # |u · f|: how far gravity is out of the movement plane (re-anchoring keeps the axis).
        off_plane = None if k.tilt else np.abs(hist.get("u", lead, end) @ st.cal.flexion_axis_s)
        off = a - lead
        thr = k.thr_deg
        onsets = np.flatnonzero(rate <= s.onset_dps)
        run = run_lengths(speed[off:] < s.still_dps, st.still_run)
        settled = np.flatnonzero(run == k.still_n) + off

        st.open = None
        prev_end = st.last_end_idx - lead  # may be negative
        pos = off
        if k.stance and not st.in_stance:
            pos = self._enter_stance(lead, end, theta, t, run, settled)
            if pos < 0:
                return
        gate = st.stance_from - lead  # may be negative
        # Tilt: the lowest tilt since the last rep, settle or stance hold (carried between calls).
        floor_init = st.tilt_floor_deg if pos == off else np.inf
        stop_at = theta.size  # array index where this call's processing ends
        quiet_from = prev_end  # settles at or before this array index are behind us
        while True:
            up = first_rise(theta, pos, thr, st.floor_deg, floor_init if k.tilt else None)
            risen = up < theta.size
            q = int(settled.searchsorted(max(prev_end, quiet_from), side="right"))
            if q < settled.size and settled[q] < up:
                quiet_at = int(settled[q])
                st.put_trace(lead + off, lead + quiet_at, theta[off:quiet_at], None)
                if not self._settle(lead + quiet_at, float(theta[quiet_at])):
                    return
                # Re-anchored: carry on in this call with every angle measured in the new basis,
                # exactly as a call starting after the settle would (it saves that call's set-up).
                if k.rate_from_angle:  # (the rate is the angle's difference: every angle is needed)
                    theta = st.theta(lead, end)
                    rate = st.theta_rate(lead, end, theta)
                    onsets = np.flatnonzero(rate <= s.onset_dps)
                else:
                    # Nothing before the next rise's onset look-back, nor before the last rep's
                    # end, is read again (`lower` below): ~490 settles an hour measure only the
                    # angles still needed.
                    theta = st.theta_from(lead, end, lead + max(prev_end + 1, quiet_at + 1 - k.look_back_n))
                off = pos = quiet_at + 1
                quiet_from = quiet_at
                floor_init = np.inf
                continue
            if not risen:
                st.close_set_if_due(t, theta.size)
                break
            # Look back at most `rep_onset_look_back_s`, never into the previous rep: both
            # independent of chunking.
            lower = min(max(prev_end + 1, up - k.look_back_n, 0, gate), up)
            rose_at = rep_start(onsets, up, lower, theta)
            st.close_set_if_due(t, rose_at)
            # Where the segment came back to before this rise: the last rep's end, or lower (not
            # below rest) if it went on down after the end was found (an uneven descent's stop).
            low_before = float(theta[lower : rose_at + 1].min())  # also the range's base (below)
            start, stop, peak = self._span(theta, rate, onsets, t, lower, up, rose_at, low_before)
            moved_start = start != rose_at
            last = stop if stop >= 0 else theta.size - 1
            left, back = -1, -1
            if off_plane is not None:  # (band-walk thigh steps tilt in any direction: no plane to leave)
                left, back = plane_excursion(
                    off_plane, theta, speed, rose_at, last, off_plane_cos=k.off_plane_cos,
                    off_plane_n=k.off_plane_n, still_dps=s.still_dps,
                    rest_deg=max(k.min_range_deg, s.rest_shift_deg),
                )
            if left >= 0:  # out of the plane on the way: not a rep; it lasts until back at rest
                stop, last = -1, (back if back >= 0 else theta.size - 1)
            moved_off = self._still_off_plane(settled, up, last, lead) if settled.size and settled[-1] >= up else -1
            if moved_off < 0 and not k.stance:
                moved_off = held_unrisen(settled, rose_at, up, last, theta, thr)
            if moved_off >= 0:
                # Held still with gravity far out of the movement plane (or, in a band walk, away
                # from the stance): no rep does that; the strap moved, the person lay down or stood
                # up. Or held still before rising a rep's worth: the posture shifted a little (a
                # foot slid while lying). Drop the "rep" and settle there (recalibrating unless it
                # is a band walk or a small shift).
                st.put_trace(lead + off, lead + moved_off, theta[off:moved_off], None)
                self._settle(lead + moved_off, float(theta[moved_off]))
                return
            if back >= 0:
                # Gravity left the movement plane and came back: rolling part of the way over and
                # back while lying (the legs go along), not a rep. Look for reps after it.
                st.last_end_idx = lead + back
                prev_end = back
                pos = back + 1
                floor_init = np.inf
                st.floor_deg = float(theta[back]) if float(theta[back]) > thr else 0.0
                continue
            if t[last] - t[rose_at] > s.max_rep_duration_s:
                # Longer than any real rep: the person sat down, knelt or lay down.
                limit_s = t[rose_at] + s.max_rep_duration_s
                cut = rose_at + int(t[rose_at:].searchsorted(limit_s))
                st.put_trace(lead + off, lead + cut, theta[off:cut], None)
                st.last_end_idx = lead + cut
                st.restart_calibration(lead + cut)
                return
            if stop < 0:  # still going: warn if due, look again from here when more samples arrive
                drift = None if left >= 0 else self._judge.rep_drift(lead + start, lead + theta.size, theta[start:])
                self._judge.maybe_warn(drift, lead + start, t[start:], theta[start:], finished=False)
                st.open = (lead + start, drift)
                stop_at = up
                break
            low = float(theta[start]) if moved_start else low_before
            self._judge.judge_rep(lead + start, theta[start : stop + 1], t[start : stop + 1], low, peak - start)
            prev_end = stop
            pos = stop + 1
            floor_init = np.inf
            # Stopped short of rest (people do not always go all the way back): the next rep is
            # measured from where this one came back to; otherwise from rest.
            ended_at = float(theta[stop])
            st.floor_deg = ended_at if ended_at > thr else 0.0
        new_cursor = lead + max(stop_at, off)
        if new_cursor - lead > pos:  # the lowest angle so far carries into the next call
            lowest = float(theta[pos : new_cursor - lead].min())
            if k.tilt:
                floor_init = min(floor_init, lowest)
            else:
                st.floor_deg = min(st.floor_deg, max(lowest, 0.0))
        st.tilt_floor_deg = floor_init
        st.put_trace(lead + off, new_cursor, theta[off : new_cursor - lead], None)
        if new_cursor > a:
            st.still_run = int(run[new_cursor - a - 1])
        st.cursor = new_cursor

    def _enter_stance(
        self, lead: int, end: int, theta: FloatArray, t: FloatArray, run: np.ndarray, settled: np.ndarray
    ) -> int:
        """Band walks out of their stance: the array index steps count from once it is taken again,
        or -1 when this call ends here (standing up after a set, or not in the stance yet)."""
        st = self._st
        a = st.cursor
        off = a - lead
        taken, wait = self._stance_taken(a, end, theta[off:])
        stood = self._stood_up(settled + lead, a + taken if taken >= 0 else end)
        if stood >= 0:  # stood up after a set before getting back into its stance
            st.close_set_if_due(t, stood + 1 - lead)
            st.put_trace(a, stood + 1, theta[off : stood + 1 - lead], None)
            st.find_stance_again(stood, st.held_up(stood))
            return -1
        if taken < 0:  # not in the stance yet: nothing here is a step
            new_cursor = a + wait
            st.close_set_if_due(t, new_cursor - lead)
            st.put_trace(a, new_cursor, theta[off : new_cursor - lead], None)
            if new_cursor > a:
                st.still_run = int(run[new_cursor - a - 1])
            st.cursor = new_cursor
            return -1
        st.in_stance = True
        pos = off + taken + 1
        st.stance_from = lead + pos  # nothing before the stance was taken belongs to a step
        return pos

    def _span(
        self, theta: FloatArray, rate: FloatArray, onsets: np.ndarray, t: FloatArray,
        lower: int, up: int, start: int, low_before: float,
    ) -> tuple[int, int, int]:
        """(start, stop, peak) array indices of the rep that rose past the start threshold at `up`
        from `start` (looked back to no earlier than `lower`; `low_before` the lowest angle from
        there to `start`). `stop` is -1 while the rep is still under way, `peak` -1 unless known. The
        start moves to the end of a posture held on the way up (a lunge's split stance); a step-up
        ends after its step down."""
        st, s, k = self._st, self._s, self._k
        # Tilt: the rise was measured from the lowest point before it, so is the way back.
        ref = min(float(theta[start]), float(theta[lower : up + 1].min())) if k.tilt else float(theta[start])
        rest_floor = -np.inf if k.tilt else min(st.floor_deg, max(low_before, 0.0))
        stop = self._rep_end(theta[up:], rate[up:], ref, rest_floor)
        stop = up + stop if stop >= 0 else -1
        peak = -1
        if stop >= 0:
            peak = start + int(theta[start : stop + 1].argmax())
            held = held_start(
                start, up, peak, theta, rate, onsets, held_n=k.held_n, onset_dps=s.onset_dps,
                # A band-walk shank holds still between its swings wherever its angle settles (a
                # degree above the stance is enough to rise past the start threshold): any hold
                # there counts.
                lift_deg=-np.inf if k.swing_only else k.thr_deg, min_range_deg=k.min_range_deg,
            )
            if held != start:  # the rep left a posture held on the way (a lunge's split stance)
                start, peak = held, -1
                from_i = max(up, start)
                stop = self._rep_end(theta[from_i:], rate[from_i:], float(theta[start]), rest_floor)
                stop = from_i + stop if stop >= 0 else -1
        # Only a rise long enough to be a rep on its own waits for its step down, so that
        # walking strides (too short) are not stitched into "reps" by the next stride.
        if stop >= 0 and st.geometry.steps_down and t[stop] - t[start] >= s.min_rep_duration_s:
            peak = -1
            range_deg = float(theta[start : stop + 1].max() - theta[start])
            stop = step_down_end(stop, theta, rate, range_deg, self._step_down_wait_n, s)
        return start, stop, peak

    def _rep_end(self, theta: FloatArray, rate: FloatArray, theta_start: float, floor_deg: float) -> int:
        """`rep_finder.rep_end` with this session's cut-offs."""
        s = self._s
        return rep_end(
            theta, rate, theta_start, self._k.thr_deg, self._k.return_share,
            stop_share=s.stop_share_of_return_speed, onset_dps=s.onset_dps, floor_deg=floor_deg,
        )

    def _stance_taken(self, a: int, end: int, theta: FloatArray) -> tuple[int, int]:
        """Band walks: `stance.stance_taken` over [a, end). Holds are counted from `a`, a definite
        index (a settle, a restart or where a hold began), so chunking does not matter."""
        quiet = (self._st.hist.get("speed", a, end) < self._s.still_dps) & (np.abs(theta) < self._k.min_range_deg)
        return stance_taken(quiet, self._k.stance_hold_n)

    def _stood_up(self, settled: np.ndarray, limit: int) -> int:
        """Band walks out of the stance: the first second held still before `limit` (absolute
        indices), after the stance was last taken, nearer standing than the stance; or -1."""
        st = self._st
        if st.stance_from < 0:
            return -1
        for index in settled[(settled > st.stance_from) & (settled < limit)]:
            if st.is_standing(st.held_up(int(index))):
                return int(index)
        return -1

    def _still_off_plane(self, settled: np.ndarray, first: int, last: int, lead: int) -> int:
        """The first settled (array) index in [first, last] where the posture left the movement plane
        (band walks: left the stance), or -1."""
        lo, hi = int(settled.searchsorted(first)), int(settled.searchsorted(last + 1))  # no tuple → array
        if lo == hi:
            return -1
        st, k = self._st, self._k
        still = settled[lo:hi]
        assert st.cal is not None
        u = st.hist.get("u", lead, lead + int(still[-1]) + 1)[still]
        moved = np.abs(u @ st.cal.flexion_axis_s) > k.off_plane_cos
        if k.stance:  # side steps never hold still away from the stance: this is a new posture
            moved |= u @ st.cal.rest_up_s < np.cos(np.radians(k.min_range_deg))
        hits = np.flatnonzero(moved)
        return int(still[hits[0]]) if hits.size else -1

    def _settle(self, index: int, theta_deg: float) -> bool:
        """Held still for a second at `index`: near rest re-anchors the rest posture; far from it, or
        out of the movement plane, means the strap moved or the person changed position.
        True when it re-anchored (the search for reps may go on right after `index`)."""
        st, s, k = self._st, self._s, self._k
        assert st.cal is not None
        st.tilt_floor_deg = np.inf  # whatever follows is measured afresh from here
        held_up_s = st.held_up(index)
        u_now = st.hist.get("u", index, index + 1)[0]
        off_plane = abs(float(u_now @ st.cal.flexion_axis_s)) > k.off_plane_cos
        if k.stance and abs(theta_deg) > k.min_range_deg and not self._stance_shifted(index, theta_deg):
            if 0 <= st.stance_from < index and st.is_standing(held_up_s):
                # Standing after a band-walk set: the next set may be stepped from a quarter squat
                # a few degrees deeper or shallower, which this stance would not count from.
                st.find_stance_again(index, held_up_s)
                return False
            if index < st.stance_from:
                st.standing_up_s = held_up_s  # standing before the set: what standing looks like
            # Standing before the set, or held away from the stance mid-set (a step held, or the
            # orientation off for a while after a dropout): steps count once back in it.
            st.cursor = index + 1
            st.still_run = k.still_n
            st.in_stance = False
            return False
        # (A band walk held a little off its stance mid-set: the stance has shifted; follow it.)
        # Resting a few degrees off the rest posture, in the plane (a lying adjustment): rest has
        # shifted, the axis has not. Refitting the axis on the next reps could take in knee drift,
        # which in small movements (a 5–10° shank bridge) turns the segment as much as the rep.
        if abs(theta_deg) > max(k.min_range_deg, s.rest_shift_deg) or off_plane:
            st.restart_calibration(index)
            return False
        if not k.stance and st.tracker.open_rep_count > 0 and theta_deg > k.thr_deg:
            # Held above rest during a set: a pause on the way down (bridges are lowered unevenly),
            # not a new rest. Rest stays; the next rep is measured from here unless it goes lower.
            st.floor_deg = theta_deg
        else:
            st.reanchor(held_up_s)
        st.cursor = index + 1
        st.still_run = k.still_n
        return True

    def _stance_shifted(self, index: int, theta_deg: float) -> bool:
        """Band walks: held still mid-set a little off the stance (it has shifted; follow it)."""
        in_set = self._st.in_stance and index > self._st.stance_from
        return stance_shifted(theta_deg, in_set, self._k.min_range_deg, self._s)

