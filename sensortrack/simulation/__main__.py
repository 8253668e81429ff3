"""`python -m sensortrack.simulation`: regenerate the committed fixtures deterministically.

    python -m sensortrack.simulation                 # everything
    python -m sensortrack.simulation --only simulated --name 'squat_*'
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
import time
from pathlib import Path

DEFAULT_MEX_DIR = Path("/work/shared/data/mex-thigh-accelerometer")
PARTS = ("simulated", "demo", "mex", "bad")


def _default_root() -> Path:
    # An editable install runs from the repository: sensortrack/simulation/__main__.py → root.
    here = Path(__file__).resolve().parents[2]
    return here if (here / "pyproject.toml").is_file() else Path.cwd()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sensortrack.simulation", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=_default_root(), help="repository root (default: %(default)s)")
    parser.add_argument("--only", choices=PARTS, action="append", help="regenerate only these parts (repeatable)")
    parser.add_argument("--name", default="*", help="glob on fixture names (simulated/demo), e.g. 'squat_*'")
    parser.add_argument("--mex-dir", type=Path, default=DEFAULT_MEX_DIR, help="the MEx thigh-accelerometer copy")
    args = parser.parse_args(argv)
    parts = set(args.only or PARTS)
    root: Path = args.root

    from sensortrack.simulation.badfiles import write_bad_files
    from sensortrack.simulation.catalog import all_fixtures
    from sensortrack.simulation.fixtures import generate
    from sensortrack.simulation.mex import convert_mex_fixtures

    for fixture in all_fixtures():
        if fixture.where not in parts or not fnmatch.fnmatch(fixture.name, args.name):
            continue
        start = time.perf_counter()
        path, labels = generate(root, fixture)
        reps = sum(len(s.reps) for s in labels.sets)
        print(f"{path.relative_to(root)}: {len(labels.sets)} sets, {reps} reps ({time.perf_counter() - start:.1f} s)")
    if "mex" in parts:
        if args.mex_dir.is_dir():
            for path in convert_mex_fixtures(args.mex_dir, root / "fixtures" / "mex"):
                print(f"{path.relative_to(root)}: converted from MEx")
        else:
            print(f"skipping MEx: {args.mex_dir} not found", file=sys.stderr)
    if "bad" in parts:
        for path in write_bad_files(root / "fixtures" / "bad"):
            print(f"{path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
