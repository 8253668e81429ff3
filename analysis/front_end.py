"""The signal front end: raw samples in, the analysis-rate columns the rep finder reads out.

raw samples → block-mean decimation to ~25 Hz → short dropouts bridged → VQF orientation (or
low-passed gravity without a gyroscope) → gravity direction u, rotation rate w, its magnitude, and
the turn gravity shows (u × du/dt). All state is carried between calls, so any chunking of the
stream gives the same columns.
"""

from __future__ import annotations

import numpy as np

from sensortrack.analysis.filtering import CausalLowPass, Decimator, GapFiller
from sensortrack.analysis.orientation import OrientationTracker, cross_rows, unit_rows, up_in_sensor
from sensortrack.analysis.settings import ANALYSIS_RATE_HZ as ANALYSIS_RATE_HZ  # re-exported
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.model import FloatArray


class SignalFrontEnd:
    def __init__(self, rate_hz: float, has_gyro: bool, settings: AnalysisSettings) -> None:
        self.has_gyro = has_gyro
        self._decimator = Decimator(rate_hz, ANALYSIS_RATE_HZ)
        self.rate_hz = self._decimator.out_rate_hz
        # After decimation: the filled rows are 2–8× fewer, and so is the copy inserting them makes.
        self._gap_filler = GapFiller(self.rate_hz, settings.max_fill_s, 6 if has_gyro else 3)
        self._lowpass = CausalLowPass(settings.lowpass_hz, self.rate_hz, settings.lowpass_order, 3)
        self._orientation = OrientationTracker(self.rate_hz, settings.vqf_tau_acc_s) if has_gyro else None
        self._prev_u: FloatArray | None = None
        # The low-pass delays what it filters by this much (the angle without a gyro, every rate).
        self.lowpass_delay_s = self._lowpass.group_delay_s(self.rate_hz)

    def apply(self, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None) -> dict[str, FloatArray] | None:
        """The analysis-rate columns for a block of raw samples (t, u, w, speed, gw, acc[, quat]),
        or None when the block yields no new analysis sample yet."""
        if self.has_gyro and gyro_dps is None:
            raise ValueError("this analyzer was set up for gyro data")
        columns = (acc_g, gyro_dps) if self.has_gyro else (acc_g,)
        t_dec, dec = self._decimator.apply(
            np.asarray(t_s, dtype=np.float64), *(np.asarray(c, dtype=np.float64) for c in columns)
        )
        t, kept = self._gap_filler.apply(t_dec, np.hstack(dec) if len(dec) > 1 else dec[0])
        if not kept.shape[0]:
            return None
        acc = kept[:, :3]
        if self._orientation is not None:
            gyro = kept[:, 3:6]
            quat = self._orientation.update(acc, gyro)
            u = up_in_sensor(quat)
            w = self._lowpass.apply(gyro)
            speed = np.sqrt(np.einsum("ij,ij->i", w, w))
            return {"t": t, "u": u, "w": w, "speed": speed, "gw": self._gravity_turn_rate(u), "acc": acc, "quat": quat}
        u = unit_rows(self._lowpass.apply(acc))
        gw = self._gravity_turn_rate(u)
        speed = np.sqrt(np.einsum("ij,ij->i", gw, gw))
        return {"t": t, "u": u, "w": gw, "speed": speed, "gw": gw, "acc": acc}

    def _gravity_turn_rate(self, u: FloatArray) -> FloatArray:
        """u × du/dt in °/s: the rotation gravity's direction shows, blind to turns about the vertical.

        The flexion axis is fitted to this rather than to the gyro, so a knee turning in about the
        vertical (the very drift we measure) cannot tilt the calibrated axis.
        """
        prev = u[:1] if self._prev_u is None else self._prev_u
        du = np.diff(np.vstack((prev, u)), axis=0) * self.rate_hz
        self._prev_u = u[-1:]
        return np.degrees(cross_rows(u, du))
