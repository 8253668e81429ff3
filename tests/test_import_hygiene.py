"""analysis/ is pure: no bleak, textual, files, clocks or other I/O (checked two ways); the everyday
commands import only what they need."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ANALYSIS = Path(__file__).resolve().parent.parent / "analysis"
FORBIDDEN = {
    "bleak", "bumble", "textual", "rich", "time", "datetime", "os", "pathlib", "io", "socket",
    "sqlite3", "subprocess", "asyncio", "shutil", "tempfile", "sensortrack.drivers", "sensortrack.tui",
    "sensortrack.library", "sensortrack.core.sessionfile", "sensortrack.core.loading", "sensortrack.config",
}
FORBIDDEN_CALLS = {"open", "print", "input"}


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_analysis_source_imports_nothing_that_does_io() -> None:
    offenders = []
    for path in sorted(ANALYSIS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name in _imports(tree):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                offenders.append(f"{path.name}: import {name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
                offenders.append(f"{path.name}:{node.lineno}: {node.func.id}()")
    assert not offenders, offenders


def test_importing_analysis_loads_no_ble_or_ui_module() -> None:
    code = (
        "import sys, pkgutil, importlib, sensortrack.analysis as a\n"
        "for m in pkgutil.iter_modules(a.__path__): importlib.import_module('sensortrack.analysis.' + m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('bleak', 'bumble', 'textual', 'sqlite3')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=True)
    assert out.stdout.strip() == ""


def test_only_drivers_import_bleak_or_bumble() -> None:
    repo = ANALYSIS.parent
    offenders = []
    for folder in ("sensortrack", "analysis", "tui"):
        for path in sorted((repo / folder).rglob("*.py")):
            for name in _imports(ast.parse(path.read_text(encoding="utf-8"))):
                if name.split(".")[0] in ("bleak", "bumble"):
                    offenders.append(f"{path.relative_to(repo)}: import {name}")
    assert not offenders, offenders


def test_importing_drivers_loads_no_ui_module() -> None:
    code = (
        "import sys, pkgutil, importlib, sensortrack.drivers as d\n"
        "for m in pkgutil.walk_packages(d.__path__, 'sensortrack.drivers.'): importlib.import_module(m.name)\n"
        "print(','.join(m for m in sys.modules if m.split('.')[0] == 'textual' or m.startswith('sensortrack.tui')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=True)
    assert out.stdout.strip() == ""


# The commands people run most often start in about the time numpy takes to import (issue 12):
# they must not pull in the UI, plotting, Parquet/CSV engine or BLE stacks (nor pandas, which pyarrow
# loads behind some conversions when it is installed). `analyze` of a big file
# is allowed pyarrow: its CSV reader is then the fast path and pays for its own import (~0.05 s
# against ~1 s saved on a 1 h recording); a short recording is read without it.
HEAVY = ("textual", "matplotlib", "pyarrow", "bleak", "bumble", "pandas")
_LOADED_BY = (
    "import sys\n"
    "from sensortrack.cli import main\n"
    "try:\n"
    "    code = main(sys.argv[1:])\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "loaded = sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[0].split(',')))\n"
    "print('LOADED=' + ','.join(loaded) + f' EXIT={code}', file=sys.stderr)\n"
)


def _heavy_modules_loaded_by(argv: list[str], env: dict[str, str]) -> tuple[list[str], str]:
    proc = subprocess.run(
        [sys.executable, "-c", _LOADED_BY.replace("sys.argv[0]", repr(",".join(HEAVY))), *argv],
        capture_output=True, text=True, cwd="/", env=env, timeout=120,
    )
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("LOADED="), proc.stderr
    loaded, exit_code = last[len("LOADED="):].split(" EXIT=")
    return [m for m in loaded.split(",") if m], exit_code


@pytest.fixture(scope="module")
def library_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A real library with one session in it, and private user folders."""

    tmp_path = tmp_path_factory.mktemp("hygiene")
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["SENSORTRACK_LIBRARY"] = str(tmp_path / "library.sqlite3")
    env.pop("SENSORTRACK_CONFIG", None)
    fixture = ANALYSIS.parent / "fixtures" / "simulated" / "squat_thigh_left.csv"
    subprocess.run([sys.executable, "-m", "sensortrack", "import", str(fixture)], env=env, check=True,
                   capture_output=True, cwd="/", timeout=120)
    return env


SHORT = ANALYSIS.parent / "fixtures" / "simulated" / "squat_thigh_right.csv"


@pytest.mark.parametrize(
    ("argv", "exit_code"),
    [
        (["--help"], "0"),
        (["sessions"], "0"),
        (["sessions", "--json"], "0"),
        (["sessions", "show", "1"], "0"),
        (["analyze", str(SHORT)], "0"),
        (["analyze", "--json", str(SHORT)], "0"),
        (["analyze", "--help"], "0"),
    ],
    ids=lambda v: " ".join(Path(a).name if "/" in a else a for a in v) if isinstance(v, list) else v,
)
def test_everyday_commands_import_no_ui_plots_arrow_or_ble(
    argv: list[str], exit_code: str, library_env: dict[str, str]
) -> None:
    loaded, code = _heavy_modules_loaded_by(argv, library_env)
    assert code == exit_code
    assert loaded == []


def test_analyze_of_a_big_file_reads_it_with_pyarrow_and_still_no_ui(tmp_path: Path, library_env: dict[str, str]) -> None:
    from sensortrack.core.csvrows import FAST_MIN_BYTES

    rows = SHORT.read_text(encoding="utf-8").splitlines()
    head, body = rows[:3], [r for r in rows[3:] if not r.startswith("#")]
    span_s = float(body[-1].split(",")[0]) + 0.01
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as fh:
        fh.write("\n".join(head) + "\n")
        k = 0
        while fh.tell() < FAST_MIN_BYTES * 1.2:
            for r in body:
                t, rest = r.split(",", 1)
                fh.write(f"{float(t) + k * span_s:.6f},{rest}\n")
            k += 1
    loaded, code = _heavy_modules_loaded_by(["analyze", "--json", str(big)], library_env)
    assert code == "0"
    assert loaded == ["pyarrow"]


def test_version_read_without_importlib_metadata_is_the_installed_one() -> None:
    code = (
        "import sys, sensortrack\n"
        "loaded = 'importlib.metadata' in sys.modules\n"
        "from importlib.metadata import version\n"
        "print(sensortrack.__version__, version('sensortrack'), loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=True)
    ours, installed, loaded = out.stdout.split()
    assert ours == installed
    assert loaded == "False"


_OURS_LOADED = (
    "import sys\n"
    "from sensortrack.cli import main\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "except SystemExit:\n"
    "    pass\n"
    "print('LOADED=' + ','.join(sorted(m for m in sys.modules if m.startswith(('sensortrack.', 'numpy', 'zipfile')))),\n"
    "      file=sys.stderr)\n"
)


@pytest.mark.parametrize(
    ("argv", "unwanted"),
    [
        # The overview lists commands from cli.COMMANDS: no command module, option or setting loads.
        (["--help"], ("numpy", "sensortrack.commands.", "sensortrack.analysis", "sensortrack.library.store")),
        # Listing reads rows: no numpy, no analysis, no reader, no recovery import unless a marker is left.
        (["sessions"], ("numpy", "sensortrack.analysis", "sensortrack.core.loading", "sensortrack.core.sessionfile",
                        "sensortrack.library.ingest")),
        (["sessions", "--json"], ("numpy", "sensortrack.analysis")),
        # A session file needs none of the export readers (zip archives, phone and vendor apps).
        (["analyze", str(SHORT)], ("sensortrack.core.formats", "zipfile")),
    ],
    ids=["--help", "sessions", "sessions --json", "analyze session file"],
)
def test_overview_and_listing_load_none_of_the_commands_machinery(
    argv: list[str], unwanted: tuple[str, ...], library_env: dict[str, str]
) -> None:
    proc = subprocess.run([sys.executable, "-c", _OURS_LOADED, *argv], capture_output=True, text=True, cwd="/",
                          env=library_env, timeout=120)
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("LOADED="), proc.stderr
    loaded = last[len("LOADED="):].split(",")
    assert [m for m in loaded if m.startswith(unwanted)] == []


def test_reanalyze_starts_its_helpers_before_this_process_imports_the_analysis() -> None:
    """What `sessions reanalyze` does before starting helpers (settings with --set, the reference
    lookup) loads no SciPy: otherwise this process's ~1 s of imports ends before the helpers start
    theirs, and on 2 cores the helpers never pay off (issue 12)."""
    code = (
        "import sys\n"
        "from sensortrack.config import load_settings\n"
        "from sensortrack.personal_reference import library_lookup\n"
        "from sensortrack.library.reanalyze import reanalyze\n"
        "load_settings(['drift_threshold_deg=7'])\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'\n"
        "                      or m == 'sensortrack.analysis.pipeline')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=True,
                         env={**os.environ, "SENSORTRACK_CONFIG": "/nonexistent/config.toml"})
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("command", [["analyze", "{file}", "--json"], ["report", "{file}", "-o", "{out}"]])
def test_one_sensor_analyze_and_report_load_no_scipy(
    command: list[str], tmp_path: Path, loaded_by_command: Callable[[list[str], str], str]
) -> None:
    """The analysis needs NumPy only (analysis/dsp.py); SciPy is imported only where two sensors are
    aligned and their knee axis fitted. scipy.signal was ~1 s of every `analyze`, scipy.optimize
    ~0.5 s of every `report` (issue 12)."""
    argv = [a.format(file=SHORT, out=tmp_path / "r.html") for a in command]
    assert loaded_by_command(argv, "scipy") == "0 []"


def test_replay_runs_without_loading_bleak_or_the_drivers(tmp_path: Path) -> None:
    """`replay` builds and runs the live view on a file: no radio, so no bleak, bumble, BLE drivers or
    live-sensor source (tui/live.py) load (issue 12: ~0.1 s of replay's start-up). The drivers load
    bleak only when a scan or a connection starts, so `live` does not pay for it before either."""
    code = (
        "import asyncio, sys\n"
        "import sensortrack.commands.replay\n"
        "from sensortrack.tui.app import replay_app\n"
        "app = replay_app(sys.argv[1], 50.0, exercise='squat', placement='thigh', side='left')\n"
        "async def first_frames():\n"
        "    async with app.run_test() as pilot:\n"
        "        await pilot.pause(0.3)\n"
        "asyncio.run(first_frames())\n"
        "print('LOADED=' + ','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('bleak', 'bumble')\n"
        "      or m.startswith(('sensortrack.drivers', 'sensortrack.tui.live', 'sensortrack.recording')))))\n"
        "import sensortrack.drivers.supervisor, sensortrack.drivers.scan, sensortrack.tui.live\n"
        "print('LIVE=' + ','.join(sorted({m.split('.')[0] for m in sys.modules} & {'bleak', 'bumble'})))\n"
    )
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    out = subprocess.run([sys.executable, "-c", code, str(SHORT)], capture_output=True, text=True, cwd="/",
                         check=True, timeout=120, env=env)
    assert out.stdout.strip().splitlines()[-2:] == ["LOADED=", "LIVE="]
