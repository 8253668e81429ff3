"""Shared paths for the tests. The repository root is NOT put on sys.path (see pyproject)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import pytest
from textual.pilot import Pilot

from sensortrack.core.sessionfile import read_session, write_session

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


class Until(Protocol):
    def __call__(self, pilot: Pilot[Any], condition: Callable[[], object], timeout_s: float = ...) -> Awaitable[None]: ...


@pytest.fixture
def until() -> Until:
    """`await until(pilot, condition)`: let the app run until `condition()` holds; fails after
    `timeout_s` (default 60 s: two sensors and the view on a loaded 2-core machine)."""

    async def wait(pilot: Pilot[Any], condition: Callable[[], object], timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert time.monotonic() < deadline, "timed out waiting for the app"
            await pilot.pause(0.02)

    return wait


class Choose(Protocol):
    def __call__(self, pilot: Pilot[Any], button_id: str, timeout_s: float = ...) -> Awaitable[None]: ...


@pytest.fixture
def choose(until: Until) -> Choose:
    """`await choose(pilot, "#placement-thigh")`: click a radio button and wait until its RadioSet
    holds it pressed. A click reaches the set as a chain of messages (click, button changed, set
    updated); on a loaded machine `pilot.pause()` could return before the last one, and a key pressed
    then read the old choice (CI, session 10: `s` started with no pair chosen)."""
    from textual.widgets import RadioButton, RadioSet

    async def click(pilot: Pilot[Any], button_id: str, timeout_s: float = 60.0) -> None:
        button = pilot.app.query_one(button_id, RadioButton)
        radio = button.parent
        assert isinstance(radio, RadioSet)
        await pilot.click(button_id)
        await until(pilot, lambda: radio.pressed_button is button, timeout_s)

    return click


@pytest.fixture
def live_app() -> Callable[..., Any]:
    """The live view around a LiveSource (one sensor or a pair), built as `live` builds it."""
    from sensortrack.commands.live import live_second
    from sensortrack.tui.app import make_app

    def build(source: Any, choice: Any, **options: Any) -> Any:
        return make_app(
            source, choice.exercise, choice.placement, choice.side,
            rate_hz=source.supervisor.info.nominal_rate_hz, has_gyro=source.supervisor.family.has_gyro,
            second=live_second(source), **options,
        )  # fmt: skip

    return build


# Tests paced by the wall clock: a recording or virtual sensor plays at a set speed, or a real
# timeout/reconnect must pass. They are the ones a loaded machine can slow down or time out, so they
# carry the `realtime` marker (pyproject.toml): `pytest -m "not realtime"` is the quick run.
REALTIME_MODULES = frozenset(
    {
        "test_ble_backend",
        "test_ble_errors",
        "test_ble_virtual",
        "test_hardening_durability",
        "test_hardening_replay_terminal",
        "test_pair_record",
        "test_record_drift",
        "test_record_e2e",
        "test_record_loop",
        "test_record_ranges",
        "test_tui_app",
        "test_tui_drift_agreement",
        "test_tui_e2e",
        "test_tui_keys",
        "test_tui_live",
        "test_tui_notes",
        "test_tui_plans",
        "test_tui_sources",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in REALTIME_MODULES:
            item.add_marker(pytest.mark.realtime)


# drivers/, analysis/ and tui/ install as sensortrack.drivers / .analysis / .tui (setuptools
# package-dir), which an editable install maps with an import hook that file-walking tools (mypy,
# import-linter's grimp) cannot follow: they get a tree of symbolic links laid out as the installed
# package, the same files under their import names.
INSTALLED_AS = {"drivers": "drivers", "analysis": "analysis", "tui": "tui"}  # sensortrack/<name> → repo folder


@pytest.fixture
def installed_tree(tmp_path: Path) -> Path:
    """A folder holding `sensortrack/` as installed, made of links to this repository's files."""
    root = tmp_path / "tree"
    package = root / "sensortrack"
    package.mkdir(parents=True)
    for item in (REPO / "sensortrack").iterdir():
        if item.name != "__pycache__":
            (package / item.name).symlink_to(item)
    for name, folder in INSTALLED_AS.items():
        (package / name).symlink_to(REPO / folder)
    return root


@pytest.fixture
def loaded_by_command(tmp_path: Path) -> Callable[[list[str], str], str]:
    """Runs `sensortrack ARGV` in a fresh process with private user folders and answers its exit
    code and the modules starting with PREFIX it left loaded, as "CODE [names]"."""

    def run(argv: list[str], prefix: str) -> str:
        code = (
            "import sys\n"
            "from sensortrack.cli import main\n"
            "code = main(sys.argv[2:])\n"
            "print(code, sorted(m for m in sys.modules if m.startswith(sys.argv[1])), file=sys.stderr)\n"
        )
        env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
        out = subprocess.run([sys.executable, "-c", code, prefix, *argv], capture_output=True, text=True,
                             cwd="/", timeout=120, env=env)
        return out.stderr.strip().splitlines()[-1]

    return run
