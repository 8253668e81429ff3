"""Every package folder of the card's layout ends up in the wheel under the sensortrack namespace."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE_ROOTS = {"sensortrack": "sensortrack", "drivers": "sensortrack.drivers", "analysis": "sensortrack.analysis", "tui": "sensortrack.tui"}


def _package_folders() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder, name in PACKAGE_ROOTS.items():
        root = REPO / folder
        for init in root.rglob("__init__.py"):
            rel = init.parent.relative_to(root)
            dotted = ".".join([name, *rel.parts]) if rel.parts else name
            if "__pycache__" not in dotted:
                found[dotted] = init.parent
    return found


def test_pyproject_lists_every_package_folder() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    assert set(_package_folders()) == listed


def test_wheel_contains_every_package(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(REPO)],
        check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("sensortrack-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for dotted in _package_folders():
        assert dotted.replace(".", "/") + "/__init__.py" in names, dotted
    assert "sensortrack/data/demo_squats.csv" in names
    # Nothing generic lands at the top of site-packages.
    tops = {n.split("/")[0] for n in names}
    assert tops <= {"sensortrack", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}
