"""mypy in strict mode on drivers/ and the ground-floor modules ([tool.mypy] in pyproject.toml).

drivers/ and analysis/ install as sensortrack.drivers / sensortrack.analysis (setuptools package-dir),
which an editable install maps with an import hook mypy cannot follow. So the check runs on a tree of
symbolic links laid out as the installed package: the same files, under their import names.
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
MAPPED = {"drivers": "drivers", "analysis": "analysis", "tui": "tui"}  # sensortrack/<name> → repo folder


def _package_tree(root: Path) -> Path:
    package = root / "sensortrack"
    package.mkdir(parents=True)
    for item in (REPO / "sensortrack").iterdir():
        if item.name != "__pycache__":
            (package / item.name).symlink_to(item)
    for name, folder in MAPPED.items():
        (package / name).symlink_to(REPO / folder)
    return root


@pytest.mark.skipif(os.name != "posix", reason="the package tree is made of symbolic links")
def test_strict_mypy_is_clean(tmp_path: Path) -> None:
    tree = _package_tree(tmp_path / "tree")
    files = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["tool"]["mypy"]["files"]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(CONFIG), "--cache-dir", str(REPO / ".mypy_cache"), *files],
        cwd=tree, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success" in proc.stdout
