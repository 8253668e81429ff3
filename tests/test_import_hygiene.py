"""analysis/ is pure: no bleak, textual, files, clocks or other I/O (checked two ways)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ANALYSIS = Path(__file__).resolve().parent.parent / "analysis"
FORBIDDEN = {
    "bleak", "bumble", "textual", "rich", "time", "datetime", "os", "pathlib", "io", "socket",
    "sqlite3", "subprocess", "asyncio", "shutil", "tempfile", "sensortrack.drivers", "sensortrack.tui",
    "sensortrack.library", "sensortrack.sessionfile", "sensortrack.loading", "sensortrack.config",
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
