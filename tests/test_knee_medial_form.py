"""The knee's quadratic form (drift.knee_medial_form): qᵀMq is m·(R(q)k) for every unit q."""

from __future__ import annotations

import numpy as np

from sensortrack.analysis.drift import knee_medial_form, medial_angle_gyro
from sensortrack.analysis.orientation import rotate_to_earth


def test_the_form_gives_the_rotated_knee_along_the_medial_axis() -> None:
    rng = np.random.default_rng(7)
    for _ in range(50):
        knee_s = rng.normal(size=3)
        knee_s /= np.linalg.norm(knee_s)
        medial_e = rng.normal(size=3)
        medial_e /= np.linalg.norm(medial_e)
        quat = rng.normal(size=(40, 4))
        quat /= np.linalg.norm(quat, axis=1, keepdims=True)
        form = knee_medial_form(knee_s, medial_e)
        assert form.shape == (4, 4)
        np.testing.assert_allclose(form, form.T, atol=1e-15)
        expected = rotate_to_earth(quat, knee_s) @ medial_e
        np.testing.assert_allclose(np.einsum("ni,ij,nj->n", quat, form, quat), expected, atol=1e-12)
        np.testing.assert_allclose(
            medial_angle_gyro(quat, form), np.degrees(np.arcsin(np.clip(expected, -1, 1))), atol=1e-9
        )
