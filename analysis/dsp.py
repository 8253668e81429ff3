"""The few signal-processing routines the analysis needs, in NumPy alone.

`scipy.signal` costs about a second to import (it pulls in scipy.stats, interpolate and optimize),
which was most of every `analyze`, `report`, `replay` and `sessions reanalyze` helper start-up, for
four small routines: a Butterworth low-pass design, second-order-section filtering with carried
state, its group delay, and peak finding by prominence. They follow SciPy's conventions (same
section layout and state, same peak/base definitions) so results stay the same; tests compare them
with SciPy sample for sample.

Sources for the maths: Butterworth poles and the bilinear transform with pre-warping (Oppenheim &
Schafer, Discrete-Time Signal Processing, 3rd ed., §7.1–7.2); transposed direct form II state
layout and the peak/prominence definitions as documented for scipy.signal.sosfilt, sosfilt_zi and
find_peaks/peak_prominences (docs.scipy.org).
"""

from __future__ import annotations

import math

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sensortrack.core.model import FloatArray

IntArray = NDArray[np.intp]

# Samples per block in `SosFilter`: each block is one small matrix product (cost ~ BLOCK per sample),
# and blocks are chained by a 2-number state per section. 64 keeps both the products and the Python
# loop over blocks cheap at the analysis rate (~25 Hz: 90 k samples for an hour).
BLOCK = 64


def butter_lowpass_sos(order: int, cutoff_hz: float, rate_hz: float) -> FloatArray:
    """Digital Butterworth low-pass as second-order sections, rows (b0, b1, b2, 1, a1, a2), unit DC gain."""
    if order < 1 or not 0.0 < cutoff_hz < rate_hz / 2.0:
        raise ValueError(f"low-pass of order {order} at {cutoff_hz} Hz impossible at {rate_hz} Hz")
    fs2 = 2.0 * rate_hz
    warped = fs2 * math.tan(math.pi * cutoff_hz / rate_hz)  # pre-warp: the cut-off lands where asked
    # Left-half-plane analog poles; k < order/2 are the upper ones of each conjugate pair.
    analog = [warped * complex(math.cos(a), math.sin(a)) for a in
              (math.pi * (2 * k + order + 1) / (2 * order) for k in range(order))]
    digital = [(fs2 + p) / (fs2 - p) for p in analog]  # bilinear transform; the zeros all go to z = -1
    rows: list[list[float]] = []
    for p in digital[: order // 2]:
        rows.append([1.0, 2.0, 1.0, 1.0, -2.0 * p.real, abs(p) ** 2])
    if order % 2:
        rows.append([1.0, 1.0, 0.0, 1.0, -digital[order // 2].real, 0.0])
    sos = np.array(rows)
    # Poles nearest the unit circle (largest a2 = |p|²) last, as SciPy orders them.
    sos = sos[np.argsort(sos[:, 5], kind="stable")]
    dc = sos[:, :3].sum(axis=1) / sos[:, 3:].sum(axis=1)
    sos[0, :3] /= float(np.prod(dc))
    return sos


def sos_steady_state(sos: FloatArray) -> FloatArray:
    """Each section's state (sections, 2) after a unit step has settled (SciPy's sosfilt_zi)."""
    out = np.empty((sos.shape[0], 2))
    scale = 1.0
    for i, (b0, b1, b2, _a0, a1, a2) in enumerate(sos):
        gain = (b0 + b1 + b2) / (1.0 + a1 + a2)
        y = gain * scale
        out[i, 0] = y - b0 * scale
        out[i, 1] = b2 * scale - a2 * y
        scale = y
    return out


class _Section:
    """One biquad as a state-space system, with the matrices that filter a whole block at once.

    Transposed direct form II: y = b0·x + z1; z1' = b1·x − a1·y + z2; z2' = b2·x − a2·y, i.e.
    s' = A s + B x, y = C s + D x with s = (z1, z2) — the layout of SciPy's `zi`.
    """

    def __init__(self, row: FloatArray) -> None:
        b0, b1, b2, _a0, a1, a2 = (float(v) for v in row)
        a = np.array([[-a1, 1.0], [-a2, 0.0]])
        b = np.array([b1 - a1 * b0, b2 - a2 * b0])
        powers = [np.eye(2)]
        for _ in range(BLOCK):
            powers.append(a @ powers[-1])
        self.powers = np.stack(powers)  # A^0 … A^BLOCK
        impulse = np.empty(BLOCK)
        impulse[0] = b0
        impulse[1:] = self.powers[: BLOCK - 1, 0, :] @ b  # C A^(m-1) B, C = (1, 0)
        lag = np.subtract.outer(np.arange(BLOCK), np.arange(BLOCK))
        self.toeplitz = np.where(lag >= 0, impulse[np.maximum(lag, 0)], 0.0)  # zero-state response
        self.from_state = self.powers[:BLOCK, 0, :]  # row k: C A^k, the response to the start state
        self.to_state = (self.powers[BLOCK - 1 :: -1] @ b).T  # column j: A^(BLOCK-1-j) B

    def apply(self, x: FloatArray, state: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Filter x (n, ch) from `state` (2, ch); returns the output and the state after the last sample."""
        n = x.shape[0]
        full = n // BLOCK
        y = np.empty_like(x)
        if full:
            ch = x.shape[1]
            # Blocks side by side as columns (BLOCK, full·ch): one product for all of them. einsum, not
            # @: a product this size wakes BLAS worker threads, which then spin on every core for
            # milliseconds (30 % more CPU for the whole analysis, measured); einsum's loop is ~4 ms
            # for an hour of data on one core.
            columns = x[: full * BLOCK].reshape(full, BLOCK, ch).transpose(1, 0, 2).reshape(BLOCK, full * ch)
            y_cols = np.einsum("ij,jk->ik", self.toeplitz, columns)  # every block as if it started from rest
            added = np.einsum("ij,jk->ik", self.to_state, columns).reshape(2, full, ch)  # each block's effect on the state
            carry = self.powers[BLOCK]
            starts = _chain_states(carry, state, added)
            state = carry @ starts[:, -1] + added[:, -1]
            y_cols += np.einsum("ij,jk->ik", self.from_state, starts.reshape(2, full * ch))
            y[: full * BLOCK] = y_cols.reshape(BLOCK, full, ch).transpose(1, 0, 2).reshape(full * BLOCK, ch)
        rest = n - full * BLOCK
        if rest:
            tail = x[full * BLOCK :]
            y[full * BLOCK :] = self.toeplitz[:rest, :rest] @ tail + self.from_state[:rest] @ state
            state = self.powers[rest] @ state + self.to_state[:, BLOCK - rest :] @ tail
        return y, state


def _chain_states(carry: FloatArray, first: FloatArray, added: FloatArray) -> FloatArray:
    """The state at the start of each block, s[k+1] = carry·s[k] + added[k] from s[0] = first, as a
    prefix scan (log2(blocks) vectorised steps instead of a Python step per block)."""
    out = np.empty_like(added)  # (2, blocks, ch)
    out[:, 0] = first
    out[:, 1:] = added[:, :-1]
    power = carry.copy()  # carry^step
    step = 1
    while step < out.shape[1]:
        earlier = out[:, :-step]
        out[:, step:] = out[:, step:] + np.stack(
            (power[0, 0] * earlier[0] + power[0, 1] * earlier[1], power[1, 0] * earlier[0] + power[1, 1] * earlier[1])
        )
        power = power @ power
        step *= 2
    return out


class SosFilter:
    """Second-order sections applied along axis 0 of (n, ch) arrays; state carries across calls,
    so any chunking gives the same output as one call (up to floating-point rounding)."""

    def __init__(self, sos: FloatArray) -> None:
        self.sos = np.asarray(sos, dtype=float)
        self._sections = [_Section(row) for row in self.sos]

    def apply(self, x: FloatArray, state: FloatArray) -> tuple[FloatArray, FloatArray]:
        """x (n, ch), state (sections, 2, ch) → output (n, ch), state after the last sample."""
        y = np.asarray(x, dtype=float)
        out_state = np.empty_like(state)
        for i, section in enumerate(self._sections):
            y, out_state[i] = section.apply(y, state[i])
        return y, out_state


def group_delay_samples(sos: FloatArray, freq_hz: float, rate_hz: float) -> float:
    """Group delay (samples) of the cascade at `freq_hz`: −dφ/dω, summed over numerators and
    denominators as Re(Σ k·c_k e^(−jωk) / Σ c_k e^(−jωk)) of each polynomial."""
    w = 2.0 * math.pi * freq_hz / rate_hz
    e = np.exp(-1j * w * np.arange(3))
    k = np.arange(3)
    delay = 0.0
    for row in np.asarray(sos, dtype=float):
        b, a = row[:3], row[3:]
        delay += float(np.real((k * b) @ e / (b @ e)) - np.real((k * a) @ e / (a @ e)))
    return delay


def _local_maxima(x: FloatArray) -> IntArray:
    """Indices of local maxima; a flat top counts once, at its middle (left-biased), as in SciPy."""
    d = np.diff(x)
    moving = np.flatnonzero(d)  # steps that change the value; flat runs between them are plateaus
    if moving.size < 2:
        return np.empty(0, dtype=np.intp)
    rise = d[moving[:-1]] > 0
    fall = d[moving[1:]] < 0
    at = np.flatnonzero(rise & fall)
    left = moving[at] + 1  # first sample of the top
    right = moving[at + 1]  # last sample of the top
    return (left + right) // 2


def _thin_by_distance(peaks: IntArray, heights: FloatArray, distance: int) -> IntArray:
    """Drop peaks closer than `distance` samples to a higher one, highest first (SciPy's rule)."""
    keep = np.ones(peaks.size, dtype=bool)
    # SciPy's order exactly (numpy's default argsort, walked from the end), so ties resolve alike.
    for j in np.argsort(heights)[::-1]:
        if not keep[j]:
            continue
        lo = np.searchsorted(peaks, peaks[j] - distance, side="right")
        hi = np.searchsorted(peaks, peaks[j] + distance, side="left")
        keep[lo:j] = False
        keep[j + 1 : hi] = False
    return peaks[keep]


def _nearest_higher(x: FloatArray, p: int, step: int) -> int:
    """The index nearest to p (searching by `step` = ±1) whose value exceeds x[p]; −1 or len(x) if none."""
    level = x[p]
    width = 64
    i = p
    while True:
        if step < 0:
            lo = max(0, i - width)
            hits = np.flatnonzero(x[lo:i] > level)
            if hits.size:
                return lo + int(hits[-1])
            if lo == 0:
                return -1
            i = lo
        else:
            hi = min(x.size, i + 1 + width)
            hits = np.flatnonzero(x[i + 1 : hi] > level)
            if hits.size:
                return i + 1 + int(hits[0])
            if hi == x.size:
                return x.size
            i = hi - 1
        width *= 2


def find_prominent_peaks(
    x: FloatArray, min_prominence: float, min_distance: int
) -> tuple[IntArray, dict[str, NDArray[Any]]]:
    """Peaks of x at least `min_distance` samples apart (higher ones win) whose prominence is at least
    `min_prominence`, with "prominences", "left_bases" and "right_bases" as scipy.signal.find_peaks
    returns them: a peak's base on each side is the lowest point before the signal rises above the
    peak again (or ends); the prominence is the peak's height over the higher of its two bases."""
    x = np.asarray(x, dtype=float)
    peaks = _local_maxima(x)
    if min_distance > 1 and peaks.size > 1:
        peaks = _thin_by_distance(peaks, x[peaks], min_distance)
    prominences = np.empty(peaks.size)
    left_bases = np.empty(peaks.size, dtype=np.intp)
    right_bases = np.empty(peaks.size, dtype=np.intp)
    for k, p in enumerate(peaks):
        p = int(p)
        lo = _nearest_higher(x, p, -1) + 1
        hi = _nearest_higher(x, p, 1)
        left = x[lo : p + 1]
        right = x[p:hi]
        # Ties: the base nearest the peak on each side (SciPy walks outward keeping strict minima).
        left_base = lo + left.size - 1 - int(np.argmin(left[::-1]))
        right_base = p + int(np.argmin(right))
        left_bases[k], right_bases[k] = left_base, right_base
        prominences[k] = x[p] - max(x[left_base], x[right_base])
    keep = prominences >= min_prominence
    return peaks[keep], {
        "prominences": prominences[keep],
        "left_bases": left_bases[keep],
        "right_bases": right_bases[keep],
    }
