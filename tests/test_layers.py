"""Imports run downward: import-linter's contracts in pyproject.toml ([tool.importlinter]), issue 15."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [str(LINT_IMPORTS), "--config", str(REPO / "pyproject.toml"), "--no-cache", "--no-logo"]
    return subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(os.name != "posix", reason="the package tree is made of symbolic links")
def test_every_layer_imports_only_downward(installed_tree: Path) -> None:
    proc = _lint(installed_tree)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


@pytest.mark.skipif(os.name != "posix", reason="the package tree is made of symbolic links")
def test_a_ground_floor_module_reaching_up_breaks_the_contract(installed_tree: Path) -> None:
    """The check can fail: a copy of the ground floor whose vocabulary imports the terminal UI."""
    tree = installed_tree
    core = tree / "sensortrack" / "core"
    core.unlink()
    core.mkdir()
    for item in (REPO / "sensortrack" / "core").iterdir():
        if item.name != "__pycache__":
            (core / item.name).symlink_to(item)
    vocabulary = core / "vocabulary.py"
    text = vocabulary.read_text(encoding="utf-8")
    vocabulary.unlink()
    vocabulary.write_text(text + "\nimport sensortrack.tui.app  # reaches up\n", encoding="utf-8")
    proc = _lint(tree)
    assert proc.returncode != 0
    assert "The ground floor imports nothing above it BROKEN" in proc.stdout
    assert "sensortrack.core.vocabulary -> sensortrack.tui.app" in proc.stdout
