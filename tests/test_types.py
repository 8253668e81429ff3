"""mypy in strict mode on drivers/ and the ground-floor modules ([tool.mypy] in pyproject.toml).

mypy cannot follow the editable install's import hook for drivers/, analysis/ and tui/, so the check
runs on the `installed_tree` fixture (tests/conftest.py): the same files under their import names.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "pyproject.toml"


@pytest.mark.skipif(os.name != "posix", reason="the package tree is made of symbolic links")
def test_strict_mypy_is_clean(installed_tree: Path) -> None:
    tree = installed_tree
    files = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["tool"]["mypy"]["files"]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(CONFIG), "--cache-dir", str(REPO / ".mypy_cache"), *files],
        cwd=tree, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success" in proc.stdout
