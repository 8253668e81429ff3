"""analysis/dsp.py against SciPy, which it replaces on every command's import path (known answers)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import signal

from sensortrack.analysis import dsp


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
@pytest.mark.parametrize(("cutoff_hz", "rate_hz"), [(4.0, 25.0), (4.0, 10.0), (1.0, 100.0), (12.0, 26.0)])
def test_butterworth_filters_like_scipy_for_any_chunking(order: int, cutoff_hz: float, rate_hz: float) -> None:
    ours = dsp.butter_lowpass_sos(order, cutoff_hz, rate_hz)
    theirs = signal.butter(order, cutoff_hz, fs=rate_hz, output="sos")
    x = np.random.default_rng(order).normal(size=(700, 3))
    zi = signal.sosfilt_zi(theirs)[:, :, None] * x[0][None, None, :]
    expected, _ = signal.sosfilt(theirs, x, axis=0, zi=zi)
    state = dsp.sos_steady_state(ours)[:, :, None] * x[0][None, None, :]
    sos_filter = dsp.SosFilter(ours)
    rng = np.random.default_rng(1)
    pieces = []
    i = 0
    while i < x.shape[0]:  # chunks of 1 to 3 blocks, so partial blocks and exact ones both occur
        n = int(rng.integers(1, 3 * dsp.BLOCK))
        y, state = sos_filter.apply(x[i : i + n], state)
        pieces.append(y)
        i += n
    np.testing.assert_allclose(np.concatenate(pieces), expected, rtol=0, atol=1e-12)
    if order % 2 == 0:  # pole pairs only: the same sections as SciPy's, coefficient for coefficient
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_steady_state_is_scipys_sosfilt_zi() -> None:
    sos = dsp.butter_lowpass_sos(4, 3.0, 25.0)
    np.testing.assert_allclose(dsp.sos_steady_state(sos), signal.sosfilt_zi(sos), rtol=0, atol=1e-12)
    # and a constant input started from it stays put: no start-up transient
    state = dsp.sos_steady_state(sos)[:, :, None] * 2.5
    y, _ = dsp.SosFilter(sos).apply(np.full((200, 1), 2.5), state)
    np.testing.assert_allclose(y, 2.5, atol=1e-12)


@pytest.mark.parametrize("order", [1, 2, 4])
def test_group_delay_is_scipys(order: int) -> None:
    sos = dsp.butter_lowpass_sos(order, 4.0, 25.0)
    _, expected = signal.group_delay(signal.sos2tf(sos), w=[0.5], fs=25.0)
    assert dsp.group_delay_samples(sos, 0.5, 25.0) == pytest.approx(float(expected[0]), abs=1e-9)


def test_peaks_prominences_and_bases_are_scipys_including_plateaus_and_ties() -> None:
    rng = np.random.default_rng(5)
    for trial in range(600):
        n = int(rng.integers(2, 300))
        kind = trial % 3
        if kind == 0:
            x = np.cumsum(rng.normal(size=n))
        elif kind == 1:
            x = np.round(np.cumsum(rng.normal(size=n)))  # flat tops
        else:
            x = rng.integers(0, 4, size=n).astype(float)  # many equal heights
        prominence, distance = float(rng.uniform(0, 3)), int(rng.integers(1, 30))
        peaks, props = dsp.find_prominent_peaks(x, prominence, distance)
        expected, expected_props = signal.find_peaks(x, prominence=prominence, distance=distance)
        np.testing.assert_array_equal(peaks, expected)
        for key in ("prominences", "left_bases", "right_bases"):
            np.testing.assert_array_equal(props[key], expected_props[key])


def test_no_peaks_in_flat_or_tiny_signals() -> None:
    for x in (np.zeros(0), np.zeros(1), np.ones(50), np.arange(10.0)):
        peaks, props = dsp.find_prominent_peaks(x, 0.0, 1)
        assert peaks.size == 0 and props["prominences"].size == 0


def test_a_low_pass_that_cannot_exist_is_refused() -> None:
    with pytest.raises(ValueError, match="impossible"):
        dsp.butter_lowpass_sos(2, 20.0, 25.0)


def test_single_sensor_analysis_imports_no_scipy() -> None:
    """The reason dsp.py exists: scipy.signal cost every analysing command about a second."""
    code = "import sys, sensortrack.session_analysis, sensortrack.library.ingest; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
