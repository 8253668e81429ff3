"""Shared paths for the tests. The repository root is NOT put on sys.path (see pyproject)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from sensortrack.sessionfile import read_session, write_session

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True)
def _private_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may read or write the real user's config, data or session library."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("SENSORTRACK_LIBRARY", str(home / "data" / "library.sqlite3"))
    monkeypatch.delenv("SENSORTRACK_CONFIG", raising=False)


@pytest.fixture
def dated_copy() -> Callable[[Path, Path, str], Path]:
    """Copy a session file to `dest` with another start time (every simulated fixture starts at the
    same instant; library tests need sessions on different days)."""

    def copy(src: Path, dest: Path, start_time_utc: str) -> Path:
        session = read_session(src)
        write_session(dest, replace(session, meta=replace(session.meta, start_time_utc=start_time_utc)))
        return dest

    return copy
