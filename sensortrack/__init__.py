"""sensortrack: reps and knee drift from a thigh or shank IMU, live and offline."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sensortrack")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
