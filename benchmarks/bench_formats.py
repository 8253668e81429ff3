"""Reading phone and vendor-app exports (sensortrack/core/formats/): the pyarrow fast path against the exact one.

Each export format's sample (fixtures/vendor, made by sensortrack/core/formats/samples.py) is written
again from a recording tiled to `--rows` rows (default 100 000), then read with `load_session`:
- exact: every table split into a Python list per row (the path that words errors), forced;
- fast: pyarrow's CSV reader splits the table, columns convert in one cast each;
- floor: the interchange CSV (t,ax,ay,az,gx,gy,gz) of the same samples through its own pyarrow reader,
  measured in the same run, so a busy machine moves both sides alike.
Best of `--runs` each. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_formats.py [--rows 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import sensortrack.core.formats.table as table_module
from sensortrack.core.formats import samples
from sensortrack.core.loading import load_session

REPO = Path(__file__).resolve().parent.parent


def _long_movement(rows: int) -> samples.Movement:
    m = samples.load_movement(REPO)
    period = float(m.t_s[-1] - m.t_s[0]) + float(np.median(np.diff(m.t_s)))
    k = -(-rows // m.t_s.size)
    t = np.concatenate([m.t_s + i * period for i in range(k)])[:rows]
    return samples.Movement(t, np.tile(m.acc_g, (k, 1))[:rows], np.tile(m.gyro_dps, (k, 1))[:rows])


def _write(folder: Path, m: samples.Movement) -> dict[str, Path]:
    out = {
        "phyphox": ("Raw Data.csv", samples.phyphox_raw_data(m).encode()),
        "movesense": ("MovesenseShowcase_IMU6_52Hz.csv", samples.movesense_imu6(m).encode()),
        "movella-dot": ("DOT1_20260101_100000.csv", samples.movella_dot_csv(m).encode()),
        "witmotion": ("20260101100000.txt", samples.witmotion_txt(m)),
        "sensor-logger (zip)": ("sensor-logger.zip", samples.sensor_logger_ios_zip(m)),
    }
    polar = folder / "polar"
    polar.mkdir()
    for name, text in samples.polar_files(m).items():
        (polar / name).write_text(text)
    paths = {"polar-sensor-logger (folder)": polar}
    for fmt, (name, data) in out.items():
        (folder / name).write_bytes(data)
        paths[fmt] = folder / name
    interchange = folder / "interchange.csv"
    np.savetxt(interchange, np.column_stack([m.t_s, m.acc_g, m.gyro_dps]), delimiter=",", comments="",
               header="t,ax,ay,az,gx,gy,gz", fmt="%.6f")
    paths["floor: interchange CSV"] = interchange
    return paths


def _best(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    m = _long_movement(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        paths = _write(Path(tmp), m)
        floor, _ = _best(lambda: load_session(paths["floor: interchange CSV"]), args.runs)
        print(f"{args.rows} rows per file; floor (interchange CSV, its pyarrow reader): {floor:.3f} s\n")
        print(f"{'format':30s} {'exact s':>9} {'fast s':>9} {'speed-up':>9} {'fast/floor':>11}  samples")
        original = table_module.use_fast_path
        for fmt, path in paths.items():
            if fmt.startswith("floor"):
                continue
            table_module.use_fast_path = lambda size, fast: False  # type: ignore[assignment]
            try:
                exact, s_exact = _best(lambda p=path: load_session(p), args.runs)
            finally:
                table_module.use_fast_path = original
            table_module.use_fast_path = lambda size, fast: True  # type: ignore[assignment]
            try:
                fast, s_fast = _best(lambda p=path: load_session(p), args.runs)
            finally:
                table_module.use_fast_path = original
            same = np.array_equal(s_exact.samples.acc_g, s_fast.samples.acc_g)  # type: ignore[attr-defined]
            n = len(s_fast.samples)  # type: ignore[attr-defined]
            print(f"{fmt:30s} {exact:9.3f} {fast:9.3f} {exact / fast:8.1f}x {fast / floor:10.1f}x  {n}"
                  + ("" if same else "  (SAMPLES DIFFER)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
