"""Decoded notifications → time-stamped sample blocks and the gaps between them. Pure: no I/O.

One `SampleTimeline` per sensor and recording. It is fed from the notification callback, so it does
only array arithmetic. Lost samples are found, in order of preference, from the protocol's
sequence numbers, from jumps in the device clock, or (sensors with neither) from host time: a
notification arriving much later than predicted, or a reconnect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from sensortrack.drivers.protocols.base import Decoded
from sensortrack.drivers.timestamps import DeviceClockMapper, HostClockSmoother
from sensortrack.core.model import FloatArray, Gap, SampleBlock, SensorInfo

# A step between consecutive samples of more than this many periods is a gap. The device clocks
# we read are exact to a fraction of a period, so 1.5 is safe (session files use 1.8 for host time).
DEVICE_GAP_FACTOR = 1.5
# The session file keeps 6 decimals: consecutive samples must stay distinct after rounding.
MIN_STEP_S = 2e-6  # two units of the 6th decimal: distinct after rounding
# Without a device clock, how long (real time) a late notification's delay is watched before the
# part of it that never drained is taken as lost. A backlog drains faster than the stream: an OS
# queue at once once the host runs again, a sensor's buffer at the link's capacity, several
# notifications per connection event. A loss leaves the delay in place for good.
DRAIN_WAIT_S = 1.0


Placed = tuple[SampleBlock, list[Gap]]


@dataclass(slots=True)
class TimelineCounts:
    samples: int = 0
    lost_samples: int = 0
    gaps: int = 0
    clock_resets: int = 0
    rejected_samples: int = 0  # decoded but impossible (non-finite, beyond full scale, time travel)


class SampleTimeline:
    def __init__(
        self,
        sensor: SensorInfo,
        *,
        clock: Literal["device", "host"],
        has_sequence: bool,
        origin_s: float,
        time_scale: float = 1.0,
        full_scale: tuple[float, float] | None = None,
        has_gyro: bool | None = None,
    ) -> None:
        """`time_scale`: clock seconds per real second. Arrival jitter is a real-time quantity, so
        everything sized against it (late-arrival threshold, envelope buckets, fit spans) is
        stretched by this when a virtual link runs faster than real time. `full_scale` is the
        sensor's (acc g, gyro °/s) range: values beyond it can only come from corrupted bytes.
        With `has_gyro` set, every block has gyro or none has: a session file cannot hold a mix."""
        self.sensor = sensor
        self._clock = clock
        self._has_sequence = has_sequence
        self._origin_s = origin_s
        self._period_s = 1.0 / sensor.nominal_rate_hz
        self._device = DeviceClockMapper(sensor.nominal_rate_hz, time_scale=time_scale)
        self._host = HostClockSmoother(sensor.nominal_rate_hz, time_scale=time_scale)
        self._time_scale = time_scale
        self._full_scale = full_scale
        self._has_gyro = has_gyro
        self._last_t_s: float | None = None
        self._last_arrival_s: float | None = None
        self._last_device_s: float | None = None
        self._last_sequence: int | None = None
        self._reconnected = False
        # Late notifications held until their delay drains (a backlog) or persists (a loss), and
        # the least delay seen since the first of them: the part that never drained.
        self._held: list[tuple[Decoded, float]] = []
        self._held_n = 0  # samples in them
        self._held_lag_s = 0.0
        self._drain_wait_s = DRAIN_WAIT_S * time_scale
        # Host-timed samples rejected since the last one kept: marked as a gap before the next kept
        # one (nothing else would show the hole: no sequence number, no device clock).
        self._pending_lost = 0
        self.counts = TimelineCounts()

    @property
    def rate_hz(self) -> float:
        """The rate the samples arrive at as far as the clocks tell (nominal until known)."""
        return self._host.rate_hz if self._clock == "host" else self.sensor.nominal_rate_hz

    @property
    def drift_ppm(self) -> float | None:
        return self._device.drift_ppm if self._clock == "device" and self._device.started else None

    def new_connection(self) -> list[Placed]:
        """The link was re-established: samples may have been missed while it was down. Returns
        a notification still held back (see `place`), to be delivered before the new ones."""
        out = self.flush()
        self._host.restart()
        self._reconnected = True
        return out

    def flush(self) -> list[Placed]:
        """Deliver the notifications held back by `place` (the stream ended or stopped after
        them): the part of their delay that had not drained counts as lost."""
        return self._release(self._held_lag_s)

    def place(self, decoded: Decoded, arrival_s: float) -> list[Placed]:
        """Time-stamp one notification's samples (`len(decoded) > 0`) and report gaps before/in it.

        Usually returns one (block, gaps); none when nothing in it is plausible (protocols without
        a checksum let garbage through). Without a device clock a notification that comes far
        later than predicted is held back, with those after it, until what follows tells why: a
        backlog (the host was busy, or the link delivers a sensor's buffer) arrives faster than
        the stream, so the delay drains and nothing was lost; a loss leaves the delay in place.
        After `DRAIN_WAIT_S` the part of the delay that never drained counts as lost samples.
        """
        plausible = self._plausible(decoded, arrival_s)
        if plausible is None:
            return []
        decoded = plausible
        if self._clock == "device" and decoded.device_time_s is not None and len(decoded.device_time_s) == len(decoded):
            return [self._stamp(decoded, arrival_s)]
        out: list[Placed] = []
        if self._held:
            lag_s = self._host.lag_s(self._held_n + len(decoded), arrival_s)
            self._held_lag_s = min(self._held_lag_s, lag_s)
            if lag_s > self._host.late_gap_s and arrival_s - self._held[0][1] < self._drain_wait_s:
                self._hold(decoded, arrival_s)
                return []
            # Drained: a backlog, nothing lost. Still late after the wait: the least delay was lost.
            out = self._release(self._held_lag_s if lag_s > self._host.late_gap_s else 0.0)
        lag_s = self._host.lag_s(len(decoded), arrival_s)
        if lag_s > self._host.late_gap_s:
            self._held_lag_s = lag_s
            self._hold(decoded, arrival_s)
        else:
            out.append(self._stamp(decoded, arrival_s))
        return out

    @property
    def holding(self) -> bool:
        """Late notifications are held (see `place`): data is arriving, the link is alive."""
        return bool(self._held)

    def _hold(self, decoded: Decoded, arrival_s: float) -> None:
        self._held.append((decoded, arrival_s))
        self._held_n += len(decoded)

    def _release(self, lost_s: float) -> list[Placed]:
        """Stamp the held notifications, with `lost_s` of samples missing before the first."""
        held, self._held, self._held_n = self._held, [], 0
        return [self._stamp(d, arrival_s, lost_s=lost_s if k == 0 else 0.0) for k, (d, arrival_s) in enumerate(held)]

    def _stamp(self, decoded: Decoded, arrival_s: float, *, lost_s: float = 0.0) -> Placed:
        n = len(decoded)
        host_lost = 0
        device_t = decoded.device_time_s if self._clock == "device" else None
        if device_t is not None and len(device_t) == n:
            if self._last_device_s is not None and device_t[0] < self._last_device_s - 0.5 * self._period_s:
                self._device.restart()  # the sensor restarted its clock (power cycle)
                self._last_device_s = None
                self.counts.clock_resets += 1
            t_host = self._device.map(device_t, arrival_s)
        else:
            device_t = None
            t_host, host_lost = self._host.assign(n, arrival_s, lost_s=lost_s)
        t_s = _strictly_after(t_host - self._origin_s, self._last_t_s)

        gaps = self._gaps(t_s, device_t, decoded.sequence, host_lost)
        if self._pending_lost and self._last_t_s is not None:
            gaps = _with_lost_before(gaps, self._last_t_s, float(t_s[0]), self._pending_lost)
        self._pending_lost = 0
        self._last_t_s = float(t_s[-1])
        self._last_arrival_s = arrival_s
        if device_t is not None:
            self._last_device_s = float(device_t[-1])
        if decoded.sequence is not None and len(decoded.sequence) == n:
            self._last_sequence = int(decoded.sequence[-1])
        self._reconnected = False
        self.counts.samples += n
        for gap in gaps:
            self.counts.gaps += 1
            self.counts.lost_samples += gap.lost_samples
        block = SampleBlock(t_s=t_s, acc_g=decoded.acc_g, gyro_dps=decoded.gyro_dps, sensor=self.sensor)
        return block, gaps

    def _plausible(self, decoded: Decoded, arrival_s: float) -> Decoded | None:
        """`decoded` without samples that cannot be real, or None if none are left."""
        n = len(decoded)
        if self._has_gyro is not None and (decoded.gyro_dps is not None) != self._has_gyro:
            # e.g. Polar ACC frames whose GYRO partner never came: nothing to pair them with.
            return self._reject(n)
        device_t = decoded.device_time_s
        if self._clock == "device" and device_t is not None and len(device_t) == n:
            if not np.isfinite(device_t).all():
                return self._reject(n)
            if self._last_device_s is not None and not self._reconnected and self._last_arrival_s is not None:
                # Within one connection the device clock neither runs backwards (a reset drops the
                # link) nor ahead of the host's by more than delivery jitter.
                step = float(device_t[0]) - self._last_device_s
                host_step = arrival_s - self._last_arrival_s
                if step < -0.5 * self._period_s or step > 1.5 * host_step + 2.0 * self._time_scale:
                    return self._reject(n)
        ok = np.isfinite(decoded.acc_g).all(axis=1)
        gyro = decoded.gyro_dps
        if gyro is not None:
            ok &= np.isfinite(gyro).all(axis=1)
        if self._full_scale is not None:
            # 5 % above full scale: saturated readings are real, beyond them only garbage.
            acc_max, gyro_max = self._full_scale
            ok &= (np.abs(decoded.acc_g) <= 1.05 * acc_max).all(axis=1)
            if gyro is not None and gyro_max > 0:
                ok &= (np.abs(gyro) <= 1.05 * gyro_max).all(axis=1)
        if ok.all():
            return decoded
        timed = self._clock == "device" and device_t is not None and len(device_t) == n
        counted = self._has_sequence and decoded.sequence is not None and len(decoded.sequence) == n
        if not (timed or counted):
            # Time is not advanced over them: a corrupted notification may also be an extra one.
            self._pending_lost += int(n - ok.sum())
        if not ok.any():
            return self._reject(n)
        self.counts.rejected_samples += int(n - ok.sum())
        return Decoded(
            acc_g=decoded.acc_g[ok],
            gyro_dps=None if gyro is None else gyro[ok],
            device_time_s=None if device_t is None or len(device_t) != n else device_t[ok],
            sequence=None if decoded.sequence is None or len(decoded.sequence) != n else decoded.sequence[ok],
        )

    def _reject(self, n: int) -> Decoded | None:  # always None: `_plausible` returns it as its answer
        self.counts.rejected_samples += n
        return None

    def _gaps(
        self,
        t_s: FloatArray,
        device_t: FloatArray | None,
        sequence: np.ndarray | None,
        host_lost: int,
    ) -> list[Gap]:
        previous = self._last_t_s
        # All sample times including the last one already delivered, and the matching counters.
        times = t_s if previous is None else np.concatenate(([previous], t_s))
        if self._has_sequence and sequence is not None and len(sequence) == len(t_s):
            seq = sequence.astype(np.int64)
            if self._last_sequence is not None:
                seq = np.concatenate(([self._last_sequence], seq))
            elif previous is not None:
                times = t_s
            missing = np.diff(seq) - 1
            if device_t is not None and self._last_device_s is not None and len(missing) == len(device_t):
                # The counter counts the slots the device sampled; while it was not sampling (the
                # link was down: the open profile restarts its slots on START, not its counter)
                # only its clock moved on. Whichever shows more is the hole.
                dev = np.concatenate(([self._last_device_s], device_t))
                steps = np.diff(dev) / self._period_s
                missing = np.maximum(missing, np.where(steps > DEVICE_GAP_FACTOR, np.rint(steps) - 1, 0).astype(np.int64))
            return _gaps_at(times, missing)
        if device_t is not None and (self._last_device_s is not None or previous is None):
            dev = device_t if self._last_device_s is None else np.concatenate(([self._last_device_s], device_t))
            steps = np.diff(dev) / self._period_s
            missing = np.where(steps > DEVICE_GAP_FACTOR, np.rint(steps) - 1, 0).astype(np.int64)
            return _gaps_at(times, missing)
        if previous is None:
            return []
        # Host time only: a late notification, a reconnect, or a device clock that restarted.
        lost = host_lost
        if not lost and (self._reconnected or device_t is not None):
            step = (t_s[0] - previous) / self._period_s
            lost = int(round(step)) - 1 if step > DEVICE_GAP_FACTOR else 0
        return [Gap(previous, float(t_s[0]), lost)] if lost > 0 else []


def _with_lost_before(gaps: list[Gap], previous_s: float, first_s: float, lost: int) -> list[Gap]:
    """`gaps` with `lost` more samples missing between the previous block and this one."""
    if gaps and gaps[0].start_s == previous_s:
        first = gaps[0]
        return [Gap(first.start_s, first.end_s, first.lost_samples + lost), *gaps[1:]]
    return [Gap(previous_s, first_s, lost), *gaps]


def _gaps_at(times: FloatArray, missing: np.ndarray) -> list[Gap]:
    """Gaps after each position of `times` (length len(missing)+1) where `missing` > 0."""
    return [Gap(float(times[i]), float(times[i + 1]), int(missing[i])) for i in np.flatnonzero(missing > 0)]


def _strictly_after(t_s: FloatArray, previous: float | None) -> FloatArray:
    """`t_s` nudged forward where needed so every sample is later than the one before it."""
    ramp = np.arange(len(t_s)) * MIN_STEP_S
    floor = -np.inf if previous is None else previous + MIN_STEP_S
    shifted: FloatArray = np.maximum.accumulate(np.maximum(t_s - ramp, floor))
    return shifted + ramp
