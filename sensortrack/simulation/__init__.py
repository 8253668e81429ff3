"""Physically grounded simulator of thigh/shank IMU sessions with ground-truth labels (docs/simulator.md)."""

from sensortrack.simulation.labels import Labels, load_labels
from sensortrack.simulation.simulator import simulate_session, true_motion
from sensortrack.simulation.spec import Distractor, ImuSpec, SessionSpec, SetSpec

__all__ = [
    "Distractor", "ImuSpec", "Labels", "SessionSpec", "SetSpec", "load_labels", "simulate_session", "true_motion",
]
