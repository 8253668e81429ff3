"""Offline pipeline throughput: one hour of 100 Hz thigh data through `analyze` (reading excluded).

Prints input samples/s for the whole pipeline (decimation, VQF, filters, calibration, reps, drift)
next to a plain per-sample loop of the `ahrs` Madgwick filter measured in the same run (wall and
CPU time: on a shared machine read the CPU figures), and how much of the CPU time is the per-sample
front end. Goal (issues 2, 9, 12): ≥ 2 million samples/s on the 2-core machine. Results must not
change with speed work: benchmarks/dump_results.py dumps them to compare before and after.

    .venv/bin/python benchmarks/bench_pipeline.py
    .venv/bin/python benchmarks/bench_pipeline.py --instructions   # under valgrind, 1-2 min

`--instructions` counts the CPU instructions of one analysis of the hour instead (valgrind's
callgrind, two runs: with no analysis and with two, the difference halved). Unlike times, the
count does not move with other work on a shared machine (session 10: timings at load 8 scattered
by ±4 %), but it does move between runs of the same code by up to 0.5 % (hash seeds, addresses):
run each side several times before believing a change of about 1 %.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from importlib.resources import files

import numpy as np

from sensortrack.core.loading import load_session
from sensortrack.session_analysis import resolve_context
from sensortrack.analysis.pipeline import analyze


def one_hour_at_100_hz() -> tuple[np.ndarray, np.ndarray, np.ndarray, object]:
    demo = load_session(str(files("sensortrack") / "data" / "demo_squats.csv"))
    s = demo.samples
    span_s = float(s.t_s[-1] - s.t_s[0]) + 0.01
    reps = int(np.ceil(3600.0 / span_s))
    t = np.concatenate([s.t_s + k * span_s for k in range(reps)])
    acc = np.tile(s.acc_g, (reps, 1))
    gyro = np.tile(s.gyro_dps, (reps, 1))  # type: ignore[arg-type]
    keep = t < t[0] + 3600.0
    return t[keep], acc[keep], gyro[keep], resolve_context(demo)


def madgwick_per_sample(acc_g: np.ndarray, gyro_dps: np.ndarray, rate_hz: float) -> tuple[float, float]:
    """Samples/s of a per-sample `ahrs` Madgwick loop: (wall, CPU time)."""
    from ahrs.filters import Madgwick

    m = Madgwick(frequency=rate_hz)
    q = np.array([1.0, 0.0, 0.0, 0.0])
    gyr = np.deg2rad(gyro_dps)
    start, start_cpu = time.perf_counter(), time.process_time()
    for i in range(acc_g.shape[0]):
        q = m.updateIMU(q, gyr=gyr[i], acc=acc_g[i] * 9.80665)
    n = acc_g.shape[0]
    return n / (time.perf_counter() - start), n / (time.process_time() - start_cpu)


def front_end_cpu_s(t: np.ndarray, acc: np.ndarray, gyro: np.ndarray, rate_hz: float) -> float:
    """CPU time of the per-sample part alone (decimation, gap filling, VQF, low-pass): best of 3.
    The rest of `analyze` is per rep candidate (finding, judging, sets, drift)."""
    from sensortrack.analysis.front_end import SignalFrontEnd
    from sensortrack.analysis.settings import AnalysisSettings

    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        SignalFrontEnd(rate_hz, True, AnalysisSettings()).apply(t, acc, gyro)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    t, acc, gyro, ctx = one_hour_at_100_hz()
    n = t.shape[0]
    analyze(t[:5000], acc[:5000], gyro[:5000], ctx)  # warm-up (imports, first calls)
    best = best_cpu = float("inf")
    for _ in range(5):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = analyze(t, acc, gyro, ctx)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    tracemalloc.start()
    analyze(t, acc, gyro, ctx)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    ref_n = 20_000
    ref_rate, ref_rate_cpu = madgwick_per_sample(acc[:ref_n], gyro[:ref_n], ctx.rate_hz)
    front_s = front_end_cpu_s(t, acc, gyro, ctx.rate_hz)
    print(f"input: {n:,} samples = 1 h at {ctx.rate_hz:.0f} Hz, {len(result.sets)} sets, {len(result.reps)} reps")
    print(f"sensortrack pipeline: {n / best / 1e6:6.2f} M samples/s wall ({best:.3f} s for the hour; goal >= 2 M/s)")
    print(f"                      {n / best_cpu / 1e6:6.2f} M samples/s of this process's CPU time "
          f"({best_cpu:.3f} s; less sensitive to other load)")
    print(f"  of which front end: {front_s:.3f} s CPU (decimation, VQF, filters: per sample); "
          f"the rest, {best_cpu - front_s:.3f} s, is per rep candidate")
    print(f"ahrs Madgwick loop  : {ref_rate / 1e6:6.3f} M samples/s wall, {ref_rate_cpu / 1e6:6.3f} M/s CPU "
          f"(per-sample Python loop, {ref_n:,} samples)")
    print(f"speed-up            : {n / best / ref_rate:6.0f}x wall, {n / best_cpu / ref_rate_cpu:6.0f}x CPU")
    print(f"peak traced memory  : {peak / 1e6:6.1f} MB")


def analyses_only(count: int) -> None:
    """Set up the hour, warm up, then analyse it `count` times (what --instructions counts)."""
    t, acc, gyro, ctx = one_hour_at_100_hz()
    analyze(t[:5000], acc[:5000], gyro[:5000], ctx)
    for _ in range(count):
        analyze(t, acc, gyro, ctx)


def instructions_per_analysis() -> float:
    """CPU instructions of one analysis of the hour: callgrind's totals with two analyses and with
    none, the difference halved (set-up, imports and the warm-up cancel out)."""
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    totals = []
    with tempfile.TemporaryDirectory() as tmp:
        for count in (0, 2):
            out = Path(tmp) / f"callgrind.{count}"
            proc = subprocess.run(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__,
                 "--analyses-only", str(count)],
                capture_output=True, text=True, check=True,
            )
            found = re.search(r"refs:\s+([\d,]+)", proc.stderr)
            if found is None:
                raise SystemExit(f"valgrind gave no instruction count:\n{proc.stderr[-2000:]}")
            totals.append(int(found.group(1).replace(",", "")))
    return (totals[1] - totals[0]) / 2


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--analyses-only":
        analyses_only(int(sys.argv[2]))
    elif sys.argv[1:] == ["--instructions"]:
        per = instructions_per_analysis()
        samples = one_hour_at_100_hz()[0].shape[0]
        print(f"{per / 1e9:.4f} G instructions per analysis of the hour ({per / samples:,.0f} per input sample)")
    else:
        main()
