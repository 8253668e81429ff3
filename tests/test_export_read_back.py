"""`analyze` and `import` read the product's own CSV export back (columns named with their units)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
SQUATS = ROOT / "fixtures" / "simulated" / "squat_thigh_left.csv"
SENSORTRACK = Path(sys.executable).parent / "sensortrack"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SENSORTRACK), *args], capture_output=True, text=True, timeout=120)


def test_exported_csv_analyzes_like_the_original_and_imports(tmp_path: Path) -> None:
    out = tmp_path / "squats.csv"
    done = _run("export", str(SQUATS), "--format", "csv", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").startswith("t_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps")
    body = ["--exercise", "squat", "--placement", "thigh", "--side", "left", "--json"]
    original = json.loads(_run("analyze", str(SQUATS), "--json").stdout)
    again = _run("analyze", str(out), *body)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert (report["set_count"], report["rep_count"]) == (original["set_count"], original["rep_count"])
    imported = _run("import", str(out), "--library", str(tmp_path / "lib.sqlite3"))
    assert imported.returncode == 0, imported.stderr
