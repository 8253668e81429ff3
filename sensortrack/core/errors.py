"""One root error for everything the user can cause; the CLI turns each into one line and exit 2.

Subclasses carry the data a caller may act on (file and line, device name), like bleak's exc.py.
"""

from __future__ import annotations


class SensortrackError(Exception):
    """Something the user can fix: bad file, bad option, missing device. Never a bug."""

    exit_code = 2


class InputFileError(SensortrackError):
    """A file that cannot be read as a session; `where` says file and line when known."""

    def __init__(self, path: str, problem: str, line: int | None = None) -> None:
        self.path = path
        self.problem = problem
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {problem}")


class MissingMetadataError(SensortrackError):
    """Exercise, placement or side is neither in the file nor on the command line."""


class ConfigError(SensortrackError):
    """A config file or option value that is not valid."""


class DeviceError(SensortrackError):
    """A sensor could not be found, connected or configured; the message says what to do."""

    # Retrying cannot help (no adapter, Bluetooth off, no permission): the recorder stops instead of
    # reconnecting. The BLE errors in drivers/ble_errors.py set it per kind.
    fatal: bool = False


class LibraryError(SensortrackError):
    """The session library is missing, corrupt, or from a newer sensortrack."""

    def __init__(self, message: str, *, read_only: bool = False, busy: bool = False) -> None:
        self.read_only = read_only  # the library could be read but not written (permissions)
        self.busy = busy  # another process held the lock
        super().__init__(message)


class DriftReferenceError(SensortrackError):
    """A personal knee-drift reference that cannot be built or does not fit the session."""
