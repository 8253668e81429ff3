"""Known answers for the analysis's hand-written maths: the quaternion and vector helpers against
scipy's Rotation, and the filters' chunk invariance (streaming in any chunks equals one batch)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal
from scipy.spatial.transform import Rotation

from sensortrack.analysis.filtering import CausalLowPass, Decimator, GapFiller
from sensortrack.analysis.geometry import rotate_about
from sensortrack.analysis.orientation import cross_rows, rotate_to_earth, unit_rows, up_in_sensor


def _rotations(seed: int, n: int) -> Rotation:
    return Rotation.random(n, random_state=np.random.default_rng(seed))


def _wxyz(r: Rotation) -> np.ndarray:
    return np.asarray(r.as_quat(scalar_first=True))


@pytest.mark.parametrize("seed", range(5))
def test_rotate_to_earth_is_scipys_rotation(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    r = _rotations(seed, 500)
    v = rng.normal(size=(500, 3))
    np.testing.assert_allclose(rotate_to_earth(_wxyz(r), v), r.apply(v), atol=1e-12)
    one = rng.normal(size=3)  # one vector, rotated by every orientation
    np.testing.assert_allclose(rotate_to_earth(_wxyz(r), one), r.apply(np.tile(one, (500, 1))), atol=1e-12)
    # q and -q are the same rotation
    np.testing.assert_allclose(rotate_to_earth(-_wxyz(r), v), r.apply(v), atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_up_in_sensor_is_earth_up_rotated_back(seed: int) -> None:
    r = _rotations(seed, 500)
    np.testing.assert_allclose(up_in_sensor(_wxyz(r)), r.inv().apply([0.0, 0.0, 1.0]), atol=1e-12)


def test_up_in_sensor_known_poses() -> None:
    upright = _wxyz(Rotation.identity(1))
    np.testing.assert_allclose(up_in_sensor(upright), [[0.0, 0.0, 1.0]], atol=1e-15)
    # a sensor pitched 90° about its y axis: earth up lies along its -x axis
    pitched = _wxyz(Rotation.from_euler("y", [90.0], degrees=True))
    np.testing.assert_allclose(up_in_sensor(pitched), [[-1.0, 0.0, 0.0]], atol=1e-12)


def test_cross_rows_is_numpys_cross() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(200, 3)), rng.normal(size=(200, 3))
    np.testing.assert_allclose(cross_rows(a, b), np.cross(a, b), atol=1e-12)
    np.testing.assert_allclose(cross_rows(a[0], b[0]), np.cross(a[0], b[0]), atol=1e-12)
    np.testing.assert_allclose(cross_rows(a, b[0]), np.cross(a, b[0]), atol=1e-12)  # one vector broadcast


@pytest.mark.parametrize(("axis", "angle_deg"), [([0, 0, 1], 90.0), ([1, 0, 0], -30.0), ([1, 2, 2], 137.5)])
def test_rotate_about_is_scipys_rotvec(axis: list[float], angle_deg: float) -> None:
    unit = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    v = np.array([0.3, -1.2, 0.7])
    expected = Rotation.from_rotvec(unit * np.deg2rad(angle_deg)).apply(v)
    np.testing.assert_allclose(rotate_about(v, unit, angle_deg), expected, atol=1e-12)


def test_unit_rows_normalises_and_leaves_zero_rows() -> None:
    v = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0], [0.0, -2.0, 0.0]])
    np.testing.assert_allclose(unit_rows(v), [[0.6, 0.8, 0.0], [0.0, 0.0, 0.0], [0.0, -1.0, 0.0]])


# ---- filters: any chunking gives the batch answer -------------------------------------------------

_CHUNKS = st.lists(st.integers(min_value=0, max_value=97), min_size=1, max_size=30)


def _split(n: int, sizes: list[int]) -> list[slice]:
    cuts = np.cumsum(sizes)
    cuts = cuts[cuts < n]
    edges = [0, *cuts.tolist(), n]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]


@settings(max_examples=40, deadline=None)
@given(sizes=_CHUNKS)
def test_low_pass_in_chunks_equals_one_batch(sizes: list[int]) -> None:
    rng = np.random.default_rng(3)
    x = np.cumsum(rng.normal(size=(600, 3)), axis=0)
    batch = CausalLowPass(4.0, 100.0, 2, 3).apply(x)
    streamed = CausalLowPass(4.0, 100.0, 2, 3)
    out = np.concatenate([streamed.apply(x[s]) for s in _split(len(x), sizes)])
    np.testing.assert_allclose(out, batch, rtol=0, atol=1e-12)


def test_low_pass_is_scipys_butterworth_from_a_steady_start() -> None:
    rate_hz, cutoff_hz = 100.0, 4.0
    x = np.sin(np.linspace(0, 20, 800))[:, None] + 1.0
    sos = signal.butter(2, cutoff_hz, fs=rate_hz, output="sos")
    expected, _ = signal.sosfilt(sos, x, axis=0, zi=signal.sosfilt_zi(sos)[:, :, None] * x[0])
    np.testing.assert_allclose(CausalLowPass(cutoff_hz, rate_hz, 2, 1).apply(x), expected, atol=1e-12)
    # a constant passes unchanged from the first sample (no start-up transient)
    np.testing.assert_allclose(CausalLowPass(cutoff_hz, rate_hz, 2, 1).apply(np.full((50, 1), 2.5)), 2.5, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(sizes=_CHUNKS)
def test_decimator_in_chunks_equals_one_batch(sizes: list[int]) -> None:
    n = 1003  # not a multiple of the factor: the leftover waits for more samples
    t = np.arange(n) / 104.0
    x = np.random.default_rng(5).normal(size=(n, 3))
    batch_t, (batch_x,) = Decimator(104.0, 25.0).apply(t, x)
    streamed = Decimator(104.0, 25.0)
    parts = [streamed.apply(t[s], x[s]) for s in _split(n, sizes)]
    np.testing.assert_allclose(np.concatenate([p[0] for p in parts]), batch_t, atol=1e-12)
    np.testing.assert_allclose(np.concatenate([p[1][0] for p in parts]), batch_x, atol=1e-12)


def test_decimator_known_answer() -> None:
    d = Decimator(100.0, 25.0)
    assert (d.factor, d.out_rate_hz) == (4, 25.0)
    t = np.arange(10) * 0.01
    x = np.arange(10, dtype=float)[:, None]
    t_out, (x_out,) = d.apply(t, x)
    np.testing.assert_allclose(t_out, [0.015, 0.055])  # each output at the mean time of its inputs
    np.testing.assert_allclose(x_out[:, 0], [1.5, 5.5])  # the mean of each run of four
    t_out, (x_out,) = d.apply(np.array([0.10, 0.11]), np.array([[10.0], [11.0]]))
    np.testing.assert_allclose(x_out[:, 0], [9.5])  # samples 8, 9 carried over, then 10, 11


@settings(max_examples=40, deadline=None)
@given(sizes=_CHUNKS)
def test_gap_filler_in_chunks_equals_one_batch(sizes: list[int]) -> None:
    t = np.arange(500) * 0.01
    keep = np.ones(500, dtype=bool)
    keep[[50, 51, 52, 200, 330, 331]] = False  # short dropouts to bridge
    keep[400:460] = False  # a long one (0.6 s) stays a gap
    t, x = t[keep], np.column_stack((np.sin(t[keep]), np.cos(t[keep])))
    batch_t, batch_x = GapFiller(100.0, 0.25, 2).apply(t, x)
    assert len(batch_t) == len(t) + 6  # the six lost samples, not the long gap
    streamed = GapFiller(100.0, 0.25, 2)
    parts = [streamed.apply(t[s], x[s]) for s in _split(len(t), sizes)]
    np.testing.assert_allclose(np.concatenate([p[0] for p in parts]), batch_t, atol=1e-12)
    np.testing.assert_allclose(np.concatenate([p[1] for p in parts]), batch_x, atol=1e-12)
