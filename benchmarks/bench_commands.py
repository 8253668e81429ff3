"""Every user-facing command, timed as a whole process, next to floors measured in the same run.

What a user waits for is the whole command: interpreter start, imports, reading, analysis, output.
Each command runs `--runs` times (default 5) as a fresh process; the median wall time is printed
beside two floors measured the same way in the same run:

    numpy floor   python -c "import numpy"
    scipy floor   python -c "import numpy, scipy.signal"

Goals (issue 12), printed as ratios so a busy machine moves both sides alike:
    --help, sessions                  <= 1.5x numpy floor
    analyze, 11 s recording           <= 1.3x scipy floor
    analyze --json, 1 h at 100 Hz     <= 0.6 s more than the 11 s one (>= 0.6 M samples/s whole process)
    report                            <= 2x analyze of the same file
    replay, first frame               <= 1.5x analyze of the same file
    sessions reanalyze (20 x 10 min)  never slower than --jobs 1; >= 1.7x faster on 2 cores

The TUI commands (replay, demo) run on a pseudo-terminal; "first frame" is the moment the app's
footer (its key bar, drawn last in the first frame) reaches the terminal, after which the process is killed.
replay draws its view before it reads the file; "file read, view bound" is when the status line
shows the file's sample rate. Prints figures; asserts nothing.

The commands run with bytecode caching on (PYTHONDONTWRITEBYTECODE is dropped from their
environment): where it is set, every run compiles the project's modules from source, which an
installed copy never does. The first round writes the caches; the medians leave it out.

    .venv/bin/python benchmarks/bench_commands.py              # everything, 5 runs each
    .venv/bin/python benchmarks/bench_commands.py --runs 3 --only help,sessions,analyze
"""

from __future__ import annotations

import argparse
import dataclasses
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import numpy as np

from sensortrack.core.loading import load_session
from sensortrack.core.model import SampleBlock, Session
from sensortrack.core.sessionfile import write_session

DEMO = Path(str(files("sensortrack") / "data" / "demo_squats.csv"))
HOUR_S = 3600.0
SHORT_S = 11.0
REANALYZE_SESSIONS = 20
REANALYZE_MINUTES = 10.0
# The footer's palette key, in every first frame (the layout for 80×24 dropped the title header).
FIRST_FRAME_MARKER = b"palette"
# The status line's sample rate: on screen once replay has read the file and bound the view (since
# session 7 replay's first frame comes before that: the view drawn, its keys greyed out).
LOADED_MARKER = b" Hz "
FIRST_FRAME_TIMEOUT_S = 60.0


def sensortrack_cmd() -> list[str]:
    """The console script users run, next to this interpreter (else `python -m sensortrack`)."""
    script = Path(sys.executable).with_name("sensortrack")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sensortrack"]


def looped(seconds: float) -> Session:
    """The bundled squats, looped (or cut) to `seconds`, at their own 100 Hz."""
    demo = load_session(DEMO)
    s = demo.samples
    span_s = float(s.t_s[-1] - s.t_s[0]) + 1.0 / demo.meta.sensor.nominal_rate_hz
    reps = int(np.ceil(seconds / span_s))
    t = np.concatenate([s.t_s - s.t_s[0] + k * span_s for k in range(reps)])
    keep = t < seconds
    assert s.gyro_dps is not None
    block = SampleBlock(
        t_s=t[keep],
        acc_g=np.tile(s.acc_g, (reps, 1))[keep],
        gyro_dps=np.tile(s.gyro_dps, (reps, 1))[keep],
        sensor=s.sensor,
    )
    return Session(meta=demo.meta, samples=block)


def write_plain_csv(path: Path, session: Session) -> None:
    """A plain interchange CSV (t,ax,ay,az,gx,gy,gz) with the sidecar JSON saying what it is."""
    s = session.samples
    assert s.gyro_dps is not None
    rows = np.hstack([s.t_s[:, None], s.acc_g, s.gyro_dps])
    with path.open("w", encoding="utf-8") as fh:
        fh.write("t,ax,ay,az,gx,gy,gz\n")
        np.savetxt(fh, rows, fmt=["%.6f"] * 4 + ["%.4f"] * 3, delimiter=",")
    sensor = session.meta.sensor
    sidecar = {"exercise": session.meta.exercise, "placement": sensor.placement, "side": sensor.side}
    path.with_suffix(".json").write_text(json.dumps(sidecar), encoding="utf-8")


@dataclasses.dataclass
class Workspace:
    root: Path
    short: Path  # 11 s session file
    hour: Path  # 1 h plain CSV at 100 Hz
    library: Path  # 20 sessions of 10 min
    env: dict[str, str]
    hour_samples: int


def prepare(root: Path, with_library: bool) -> Workspace:
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = str(root / "config")
    env["XDG_DATA_HOME"] = str(root / "data")
    env.pop("SENSORTRACK_CONFIG", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # see the module's docstring
    library = root / "library.sqlite3"
    env["SENSORTRACK_LIBRARY"] = str(library)
    short = root / "short.csv"
    write_session(short, looped(SHORT_S))
    hour = root / "hour.csv"
    hour_session = looped(HOUR_S)
    write_plain_csv(hour, hour_session)
    if with_library:
        tenth = looped(REANALYZE_MINUTES * 60.0)
        sources = []
        for i in range(REANALYZE_SESSIONS):
            path = root / "sources" / f"s{i:02d}.csv"
            meta = dataclasses.replace(tenth.meta, start_time_utc=f"2025-01-{i + 1:02d}T09:00:00+00:00")
            write_session(path, dataclasses.replace(tenth, meta=meta))
            sources.append(str(path))
        subprocess.run([*sensortrack_cmd(), "import", *sources], env=env, check=True, capture_output=True)
    return Workspace(root, short, hour, library, env, len(hour_session.samples))


def time_process(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the process and everything it waited for)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {err.decode()[-400:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def time_first_frame(cmd: list[str], env: dict[str, str], marker: bytes = FIRST_FRAME_MARKER) -> tuple[float, float]:
    """Wall time from start until `marker` is on the (pseudo-)terminal; then the app is killed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**env, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        while time.perf_counter() - start < FIRST_FRAME_TIMEOUT_S:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                seen = (seen + chunk)[-4096:]
                if marker in seen:
                    return time.perf_counter() - start, float("nan")  # killed: no CPU figure
            elif proc.poll() is not None:
                break
        raise RuntimeError(f"{' '.join(cmd)}: no first frame (exit {proc.poll()}): {seen[-300:]!r}")
    finally:
        if proc.poll() is None:  # the whole process group: demo's app and anything it started
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        os.close(master)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (median reported)")
    parser.add_argument("--only", default="", help="comma-separated groups: help,sessions,analyze,io,report,tui,reanalyze")
    opts = parser.parse_args()
    groups = set(filter(None, opts.only.split(","))) or {"help", "sessions", "analyze", "io", "report", "tui", "reanalyze"}
    st = sensortrack_cmd()
    root = Path(tempfile.mkdtemp(prefix="bench-commands-"))
    try:
        ws = prepare(root, with_library=bool(groups & {"sessions", "io", "report", "reanalyze"}))
        run_all(opts.runs, groups, st, ws)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_all(runs: int, groups: set[str], st: list[str], ws: Workspace) -> None:
    env = ws.env
    py = sys.executable
    counter = iter(range(1_000_000))
    (ws.root / "out").mkdir(exist_ok=True)

    def fresh(name: str) -> str:
        return str(ws.root / "out" / f"{next(counter)}-{name}")

    body = ["--exercise", "squat", "--placement", "thigh", "--side", "left"]
    plan: list[tuple[str, Callable[[], float]]] = []

    def proc(label: str, cmd: Callable[[], list[str]]) -> None:
        plan.append((label, lambda: time_process(cmd(), env)))

    def tui(label: str, cmd: Callable[[], list[str]], marker: bytes = FIRST_FRAME_MARKER) -> None:
        plan.append((label, lambda: time_first_frame(cmd(), env, marker)))

    proc("floor: import numpy", lambda: [py, "-c", "import numpy"])
    proc("floor: import numpy, scipy.signal", lambda: [py, "-c", "import numpy, scipy.signal"])
    if "help" in groups:
        proc("--help", lambda: [*st, "--help"])
    if "sessions" in groups:
        proc("sessions", lambda: [*st, "sessions"])
    if groups & {"analyze", "report", "tui"}:
        proc("analyze 11 s", lambda: [*st, "analyze", str(ws.short)])
    if "analyze" in groups:
        proc("analyze --json 11 s", lambda: [*st, "analyze", "--json", str(ws.short)])
        proc("analyze --json 1 h (100 Hz CSV)", lambda: [*st, "analyze", "--json", str(ws.hour)])
    if "io" in groups:
        proc("import 11 s", lambda: [*st, "import", "--library", fresh("lib.sqlite3"), str(ws.short)])
        proc("export csv (library #1, 10 min)", lambda: [*st, "export", "1", "-o", fresh("x.csv")])
        proc("export parquet (library #1, 10 min)", lambda: [*st, "export", "1", "-o", fresh("x.parquet")])
    if "report" in groups:
        proc("report 11 s", lambda: [*st, "report", str(ws.short), "-o", fresh("r.html")])
        proc("report progress (20 sessions)", lambda: [*st, "report", "-o", fresh("p.html")])
    if "tui" in groups:
        tui("replay 11 s, first frame", lambda: [*st, "replay", str(ws.short), *body])
        tui("replay 11 s, file read, view bound", lambda: [*st, "replay", str(ws.short), *body], LOADED_MARKER)
        tui("demo, first frame", lambda: [*st, "demo", "--no-library", "-o", fresh("demo.csv")])
    if "reanalyze" in groups:
        proc("sessions reanalyze --jobs 1", lambda: [*st, "sessions", "reanalyze", "--jobs", "1"])
        proc("sessions reanalyze", lambda: [*st, "sessions", "reanalyze"])

    # Round robin, not one command's runs back to back: load from other work on a shared machine
    # then falls on every command alike, which is what makes the ratios fair.
    print(f"{runs} rounds over {len(plan)} commands; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start")
    walls: dict[str, list[float]] = {label: [] for label, _ in plan}
    cpus: dict[str, list[float]] = {label: [] for label, _ in plan}
    for _ in range(runs):
        for label, measure in plan:
            wall, cpu = measure()
            walls[label].append(wall)
            cpus[label].append(cpu)
    wall_s = {label: statistics.median(values) for label, values in walls.items()}
    cpu_s = {label: statistics.median(values) for label, values in cpus.items()}
    print(f"load {os.getloadavg()[0]:.1f} at end\n")
    print(f"  {'command':<36} {'wall (median, range)':>24}   {'CPU':>7}")
    for label in wall_s:
        spread = f"{min(walls[label]):.2f}-{max(walls[label]):.2f}"
        cpu = f"{cpu_s[label]:6.2f} s" if cpu_s[label] == cpu_s[label] else "      -"
        print(f"  {label:<36} {wall_s[label]:6.2f} s ({spread:>11})   {cpu}")
    if "analyze" in groups:
        print("\nWhere `analyze --json` of the 1 h file spends its time, in this process (best of 3; CPU in brackets):")
        for part, (part_wall, part_cpu) in hour_breakdown(ws.hour).items():
            print(f"  {part:<48} {part_wall:6.3f} s ({part_cpu:.3f} s)")
    core = analysis_core_rate(ws.hour) if "analyze" in groups else None
    if "reanalyze" in groups:
        print_reanalyze_critical_path(env, runs, cpu_s["sessions reanalyze --jobs 1"])
    print("\nGoals, on wall time (and on CPU time, which a busy machine disturbs less):")
    print_goals(wall_s, cpu_s, ws.hour_samples, core)


# `sessions reanalyze` as on an idle machine (the idle share it measures reads 1.0, after the same
# watch), timing the CPU of each part: this process before its helpers start, after, and the helpers.
_CRITICAL_PATH = """
import json, os, resource, sys, time
import sensortrack.library.reanalyze as r
from sensortrack.cli import main

def cpu(who=resource.RUSAGE_SELF):  # getrusage: microseconds, where os.times() counts 10 ms ticks
    t = resource.getrusage(who)
    return t.ru_utime + t.ru_stime

watch_share = r.IdleWatch.idle_share
r.IdleWatch.idle_share = lambda self, window_s=r.IDLE_SAMPLE_S: (watch_share(self, window_s), 1.0)[1]
marks = {}
spawn = r._HelperPool.spawn

def timed_spawn(self):
    r._import_analysis()  # what a forked helper starts with (a no-op when it is imported already)
    marks["before_helpers_cpu_s"] = cpu()
    marks["helpers"] = self._count
    spawn(self)

r._HelperPool.spawn = timed_spawn
ours = os.getpid()
analyse = r.analyze_record
counted = {"parent_sessions": 0}
ends_r, ends_w = os.pipe()  # each session's end, from whichever process (perf_counter is system-wide)

def counting(*args, **kwargs):
    if os.getpid() == ours:
        counted["parent_sessions"] += 1
    out = analyse(*args, **kwargs)
    os.write(ends_w, f"{time.perf_counter():.6f}\\n".encode())
    return out

r.analyze_record = counting
run = r.reanalyze

def timed_run(*args, **kwargs):
    out = run(*args, **kwargs)
    marks["returned"] = time.perf_counter()
    return out

r.reanalyze = timed_run
def sched():  # wall, on-CPU and run-queue seconds of this thread (Linux)
    try:
        with open("/proc/thread-self/schedstat") as fh:
            run_ns, queued_ns = (int(x) for x in fh.read().split()[:2])
    except OSError:
        return None
    return time.perf_counter(), run_ns / 1e9, queued_ns / 1e9

start = sched()
code = main(["sessions", "reanalyze"])
end = sched()
marks.update(counted, parent_cpu_s=cpu(), helpers_cpu_s=cpu(resource.RUSAGE_CHILDREN), code=code)
os.close(ends_w)
ends = [float(x) for x in os.read(ends_r, 1 << 20).decode().split()]
if ends:  # after the last session's analysis: the last results written (and the helpers gone)
    marks["tail_s"] = marks.pop("returned") - max(ends)
if start and end:  # waiting for something (a helper, the GIL, the disk, a sleep): neither running nor queued
    marks["blocked_s"] = (end[0] - start[0]) - (end[1] - start[1]) - (end[2] - start[2])
print("CRITICAL=" + json.dumps(marks), file=sys.stderr)
"""


def print_reanalyze_critical_path(env: dict[str, str], runs: int, serial_cpu_s: float) -> None:
    """`sessions reanalyze`'s speed-up on 2 idle cores estimated from CPU times, which load from
    other work disturbs far less than wall time: the parallel run takes at least the CPU before its
    helpers start plus the larger of this process's and a helper's CPU after that (waits and
    imbalance at the end come on top), against --jobs 1's whole CPU in the same run. The waits are
    shown apart: the time this process's main thread was blocked, neither running nor queued for a
    core (/proc/thread-self/schedstat), which load from other work does not add to either."""
    parts: list[dict[str, float]] = []
    for _ in range(runs):
        proc = subprocess.run([sys.executable, "-c", _CRITICAL_PATH], env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"the critical-path run exited {proc.returncode}: {proc.stderr[-1500:]}")
        line = next(x for x in proc.stderr.splitlines() if x.startswith("CRITICAL="))
        parts.append(json.loads(line[len("CRITICAL="):]))
    if any("before_helpers_cpu_s" not in p for p in parts):
        print("\n`sessions reanalyze` started no helper even with idle cores: no critical path to show")
        return

    def med(key: str) -> float:
        return statistics.median(float(p[key]) for p in parts)

    before, parent, helpers = med("before_helpers_cpu_s"), med("parent_cpu_s"), med("helpers_cpu_s")
    count = max(1, int(med("helpers")))
    sessions = med("parent_sessions")
    critical = before + max(parent - before, helpers / count)
    print(f"\n`sessions reanalyze` on idle cores, from CPU times (median of {runs}): before helpers start "
          f"{before:.2f} s; then this process {parent - before:.2f} s ({sessions:.0f} sessions), "
          f"{count} helper(s) {helpers:.2f} s; critical path >= {critical:.2f} s against --jobs 1's "
          f"{serial_cpu_s:.2f} s: at most {serial_cpu_s / critical:.2f}x on {count + 1} idle cores")
    if all("blocked_s" in p for p in parts):
        print(f"  this process's main thread blocked (neither running nor queued for a core: helpers, GIL, "
              f"disk, sleeps) for {med('blocked_s'):.3f} s")
    if all("tail_s" in p for p in parts):
        tails = ", ".join(f"{p['tail_s'] * 1000:.1f}" for p in parts)
        print(f"  from the last session's analysis to the results all written: {med('tail_s') * 1000:.1f} ms ({tails})")


def hour_breakdown(hour_csv: Path) -> dict[str, tuple[float, float]]:
    """Reading, analysis and JSON of the 1 h file apart (wall, CPU): what the whole-process figure
    adds over the 11 s one. The reader's first call pays for imports and for memory the process had
    not touched yet; that is given apart."""
    from sensortrack.core.memory import keep_freed_memory_for
    from sensortrack.session_analysis import analyze_session

    keep_freed_memory_for(hour_csv)  # as `analyze` does for a file this size

    def best(step: Callable[[], object]) -> tuple[float, float]:
        walls, cpus = [], []
        for _ in range(3):
            start, start_cpu = time.perf_counter(), time.process_time()
            step()
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - start_cpu)
        return min(walls), min(cpus)

    start, start_cpu = time.perf_counter(), time.process_time()
    already = "pyarrow.csv" in sys.modules
    session = load_session(hour_csv)
    first = (time.perf_counter() - start, time.process_time() - start_cpu)
    reading = best(lambda: load_session(hour_csv))
    result = analyze_session(session)
    payload = result.to_dict()
    parts = {
        "reading (pyarrow CSV, line count, checks)": reading,
        "analysis": best(lambda: analyze_session(session)),
        "result to JSON (to_dict + dumps)": best(lambda: json.dumps(result.to_dict(), ensure_ascii=False)),
    }
    if not already:
        # Imports (pyarrow; numpy.ma behind np.median, which the analysis loads anyway; no export
        # reader since session 9: a plain interchange CSV skips them) and the first touch of fresh memory.
        parts["first read's extra (imports, fresh memory)"] = (first[0] - reading[0], first[1] - reading[1])
    assert payload  # the JSON timed is the one analyze prints
    return parts


def analysis_core_rate(hour_csv: Path) -> tuple[float, float]:
    """In-process samples/s of the analysis alone on the 1 h file: best of 3, on wall and CPU time."""
    from sensortrack.session_analysis import analyze_session

    session = load_session(hour_csv)
    analyze_session(dataclasses.replace(session, samples=session.samples.slice(0, 5000)))  # warm-up
    best_wall = best_cpu = float("inf")
    for _ in range(3):
        start, start_cpu = time.perf_counter(), time.process_time()
        analyze_session(session)
        best_wall = min(best_wall, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    return len(session.samples) / best_wall, len(session.samples) / best_cpu


def print_goals(
    wall: dict[str, float], cpu: dict[str, float], hour_samples: int, core_rate: tuple[float, float] | None
) -> None:
    lines: list[tuple[str, str, bool]] = []

    def ratio(label: str, what: str, base: str, goal: float, base_text: str) -> None:
        if what not in wall or base not in wall:
            return
        w, c = wall[what] / wall[base], cpu[what] / cpu[base]
        cpu_text = f" (CPU {c:.2f}x)" if c == c else ""
        lines.append((label, f"{w:.2f}x {base_text}{cpu_text}, goal <= {goal}x", w <= goal))

    ratio("--help", "--help", "floor: import numpy", 1.5, "numpy floor")
    ratio("sessions", "sessions", "floor: import numpy", 1.5, "numpy floor")
    ratio("analyze 11 s", "analyze 11 s", "floor: import numpy, scipy.signal", 1.3, "scipy floor")
    hour, short = "analyze --json 1 h (100 Hz CSV)", "analyze --json 11 s"
    if hour in wall:
        extra, extra_cpu = wall[hour] - wall[short], cpu[hour] - cpu[short]
        rate = f"{hour_samples / extra / 1e6:.2f} M samples/s" if extra > 0 else "no measurable difference"
        lines.append((
            "analyze 1 h vs 11 s",
            f"{extra:+.2f} s (CPU {extra_cpu:+.2f} s) for {hour_samples / 1e6:.2f} M samples: {rate}, goal <= +0.6 s",
            extra <= 0.6,
        ))
    if core_rate is not None:
        lines.append((
            "analysis core",
            f"{core_rate[0] / 1e6:.2f} M samples/s (CPU {core_rate[1] / 1e6:.2f}), goal >= 2",
            core_rate[0] >= 2e6,
        ))
    ratio("report 11 s", "report 11 s", "analyze 11 s", 2.0, "analyze of the same file")
    ratio("replay first frame", "replay 11 s, first frame", "analyze 11 s", 1.5, "analyze of the same file")
    if "sessions reanalyze" in wall:
        speedup = wall["sessions reanalyze --jobs 1"] / wall["sessions reanalyze"]
        lines.append((
            "reanalyze 20 x 10 min",
            f"{speedup:.2f}x as fast as --jobs 1, goal >= 1.7x on 2 cores, never < 1x",
            speedup >= 1.7,
        ))
    for label, text, met in lines:
        print(f"  {'met ' if met else 'MISS'}  {label:<22} {text}")


if __name__ == "__main__":
    main()
