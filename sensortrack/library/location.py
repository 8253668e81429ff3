"""Where the library lives: `--library PATH`, else $SENSORTRACK_LIBRARY, else the user's data folder."""

from __future__ import annotations

import os
from pathlib import Path

from sensortrack.config import data_dir

LIBRARY_ENV = "SENSORTRACK_LIBRARY"
LIBRARY_FILENAME = "library.sqlite3"


def default_library_path() -> Path:
    return data_dir() / LIBRARY_FILENAME


def resolve_library_path(option: str | os.PathLike[str] | None = None) -> Path:
    """The library file to use: the explicit option wins, then the environment, then the default."""
    if option:
        return Path(option).expanduser()
    override = os.environ.get(LIBRARY_ENV)
    if override:
        return Path(override).expanduser()
    return default_library_path()


def sessions_dir(library_path: Path) -> Path:
    """The folder holding the library's own copies of imported sessions, next to the database.

    Named after the database file so that two libraries in one folder never share copies.
    """
    return library_path.with_name(f"{library_path.stem}-sessions")
