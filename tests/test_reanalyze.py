"""`sessions reanalyze`: helpers only for work that pays for them, the same results either way, an ETA."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.cli import main
from sensortrack.library import progress, reanalyze
from sensortrack.library.records import SessionRecord
from sensortrack.library.store import Library

REPO = Path(__file__).resolve().parents[1]
SIMULATED = REPO / "fixtures" / "simulated"
FILES = ["squat_thigh_left.csv", "squat_thigh_right.csv", "bridge_thigh_left.csv", "lunge_thigh_left.csv"]


@pytest.fixture
def library(tmp_path: Path, capsys: pytest.CaptureFixture[str], dated_copy: Callable[[Path, Path, str], Path]) -> Path:
    path = tmp_path / "lib.sqlite3"
    files = [
        dated_copy(SIMULATED / name, tmp_path / f"{i}.csv", f"2025-03-{i + 1:02d}T10:00:00+00:00")
        for i, name in enumerate(FILES)
    ]
    assert main(["import", *map(str, files), "--library", str(path)]) == 0
    capsys.readouterr()
    return path


def _with_samples(record: SessionRecord, sample_count: int) -> SessionRecord:
    return dataclasses.replace(record, facts=dataclasses.replace(record.facts, sample_count=sample_count))


def test_helpers_only_for_work_that_pays_for_them(library: Path) -> None:
    with Library.open(library) as lib:
        record = lib.list()[0]
    short = [_with_samples(record, 1_100)] * 5  # five 11 s sessions: a few ms each
    tenth_hour = [_with_samples(record, 60_000)] * 20  # twenty 10 min sessions at 100 Hz
    long = [_with_samples(record, 360_000)] * 20  # twenty hours
    assert reanalyze.helpers_for(short, jobs=8, idle=8) == 0
    assert reanalyze.helpers_for(tenth_hour, jobs=2, idle=2) == 1
    assert reanalyze.helpers_for(long, jobs=2, idle=8) == 1  # --jobs caps the processes, this one included
    assert reanalyze.helpers_for(long, jobs=8, idle=8) == 7
    assert reanalyze.helpers_for(long, jobs=1, idle=8) == 0
    assert reanalyze.helpers_for(long, jobs=8, idle=3) == 2  # a busy machine: only idle cores help
    assert reanalyze.helpers_for(long, jobs=8, idle=0) == 0
    ten_hours = [_with_samples(record, 3_600_000)] * 3
    assert reanalyze.helpers_for(ten_hours, jobs=8, idle=8) == 2  # never more processes than sessions


def _analysis_columns(lib: Library) -> list[dict[str, object]]:
    """Everything the analysis stored per session, but when it ran."""
    keep = ("id", "analysis_status", "analysis_message", "set_count", "rep_count", "knee_drift_reps")
    rows: list[dict[str, object]] = []
    for r in lib.list():
        row: dict[str, object] = {k: r.to_dict()[k] for k in keep}
        row["sets"] = [dataclasses.asdict(s) for s in lib.sets(r.id)]
        row["reps"] = [dataclasses.asdict(x) for x in lib.reps(r.id)]
        rows.append(row)
    return rows


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
@pytest.mark.parametrize("helpers", [1, 2])
def test_helpers_give_the_same_results_as_one_process(library: Path, helpers: int, start_method: str) -> None:
    settings = AnalysisSettings()
    with Library.open(library) as lib:
        serial = reanalyze.reanalyze(lib, lib.list(), settings, helpers=0)
        serial_rows = _analysis_columns(lib)
        seen: list[int] = []
        parallel = reanalyze.reanalyze(
            lib, lib.list(), settings, helpers=helpers, on_progress=seen.append, start_method=start_method
        )
        parallel_rows = _analysis_columns(lib)
        # Forked helpers held a copy of the open connection and never touched it: the file is sound
        # and this process goes on writing to it.
        with lib.transaction() as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        again = reanalyze.reanalyze(lib, lib.list(), settings, helpers=0)
        assert _analysis_columns(lib) == serial_rows and again.analyzed == len(FILES)
    assert serial.analyzed == parallel.analyzed == len(FILES)
    assert not parallel.failed and not parallel.vanished
    assert parallel_rows == serial_rows
    assert seen == list(range(1, len(FILES) + 1))



def test_results_that_are_in_are_written_while_waiting_for_the_helpers(
    library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once this process has no session left, it writes what is in before waiting for the helpers'
    last results, and each wave as it arrives: the commit after the last result holds that wave
    alone, however long since the previous commit (it is the run's tail, issue 12)."""
    monkeypatch.setattr(reanalyze, "STORE_EVERY_S", 3600.0)  # never by the clock here
    settings = AnalysisSettings()

    class Pool:  # a helper that takes the two biggest sessions and answers in two waves, at the end
        def __init__(self, count: int, settings: AnalysisSettings, work: list[reanalyze.Job], *_: object) -> None:
            self.work, self.waves, self.stopped, self.next = work, [[0], [1]], False, 2

        def spawn(self) -> None:
            pass

        def claim(self) -> int | None:
            k, self.next = self.next, self.next + 1
            self.stopped = k >= len(self.work)
            return None if self.stopped else k

        def results(self, *, wait: bool = False) -> list[tuple[int, object]]:
            if not wait:
                return []  # nothing comes while this process still has sessions of its own
            assert self.stopped
            if not self.waves:
                return []
            return [(k, reanalyze.analyze_record(self.work[k][0], settings, self.work[k][1])) for k in self.waves.pop(0)]

        def close(self) -> None:
            pass

    stores: list[list[int]] = []
    store = reanalyze._store

    def watched(lib: Library, results: list[tuple[SessionRecord, object]], report: reanalyze.ReanalyzeReport) -> None:
        stores.append([record.id for record, _ in results])
        store(lib, results, report)  # type: ignore[arg-type]

    monkeypatch.setattr(reanalyze, "_HelperPool", Pool)
    monkeypatch.setattr(reanalyze, "_store", watched)
    with Library.open(library) as lib:
        serial = reanalyze.reanalyze(lib, lib.list(), settings, helpers=0)
        serial_rows = _analysis_columns(lib)
        stores.clear()
        records = sorted(lib.list(), key=lambda r: r.facts.sample_count, reverse=True)
        seen: list[int] = []
        report = reanalyze.reanalyze(lib, records, settings, helpers=1, on_progress=seen.append)
        assert _analysis_columns(lib) == serial_rows
    assert report.analyzed == serial.analyzed == len(FILES)
    assert seen == list(range(1, len(FILES) + 1))
    ids = [r.id for r in records]
    # this process's own two, written before the wait; then each of the helper's waves alone
    assert stores == [ids[2:], ids[:1], ids[1:2]]


def test_helper_reports_a_missing_file_and_the_rest_go_on(library: Path) -> None:
    with Library.open(library) as lib:
        records = lib.list()
        records[0].file_path.unlink()
        report = reanalyze.reanalyze(lib, records, AnalysisSettings(), helpers=2)
        assert report.analyzed == len(FILES) - 1
        assert [i for i, _ in report.failed] == [records[0].id]
        assert "cannot read the session file" in report.failed[0][1]
        assert lib.get(records[0].id).analysis_status == "failed"


def test_progress_bar_shows_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: now[0])
    out = io.StringIO()
    bar = progress.ProgressBar(10, "analysing", stream=out)
    assert "ETA   --:--" in bar.line(0)
    now[0] = 110.0  # the first one also paid for the imports: no pace yet
    assert "ETA   --:--" in bar.line(1)
    now[0] = 140.0  # two more in 30 s: 7 more at 15 s each
    assert bar.line(3).endswith("ETA    1:45")
    now[0] = 200.0
    finished = bar.line(10)
    assert "ETA" not in finished and "10/10" in finished
    assert len(finished) == len(bar.line(9))  # a redraw in place covers the previous line


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="idle share is read from /proc/stat (Linux)")
def test_idle_cores_are_the_ones_idle_now_not_a_minute_ago() -> None:
    """Busy loops on every core leave no core idle; once they stop the cores are idle again at once
    (the 1-minute load average would still count them and keep the second core unused)."""
    import subprocess
    import sys
    import time

    cpus = reanalyze.available_cpus()
    before = reanalyze.idle_share_now(0.2)
    if before is not None and before < 1.0 / (cpus + 1):
        # Others' work already fills the cores: "idle again once they stop" cannot be seen here.
        pytest.skip(f"the machine is busy already (idle share {before:.2f})")
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cpus)]
    try:
        time.sleep(0.5)  # the interpreters are up and spinning
        share = reanalyze.idle_share_now(0.2)
        assert share is not None and 0.0 <= share <= 1.0
        assert reanalyze.idle_cpus() < cpus
    finally:
        for proc in burners:
            proc.kill()
            proc.wait()
    time.sleep(0.2)
    assert reanalyze.idle_share_now(0.2) > 1.0 / (cpus + 1) - 1e-9  # most of a core is free again


def test_idle_watch_counts_this_process_own_cpu_time_as_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's own work before deciding on helpers is the measuring window: the core it used
    is the one it keeps, so its CPU time counts as idle (2 cores, 1 s: 100 of 200 ticks busy, 60
    of them this process's own -> 160 idle), and no sleep is needed once the window has passed."""
    ticks = iter([(1000, 500), (1200, 600)])  # (all, idle) before and after
    own = iter([2.0, 2.6])
    monkeypatch.setattr(reanalyze, "_cpu_ticks", lambda: next(ticks))
    monkeypatch.setattr(reanalyze, "_own_cpu_s", lambda: next(own))
    monkeypatch.setattr(reanalyze, "_TICKS_PER_S", 100)
    slept: list[float] = []
    monkeypatch.setattr(reanalyze.time, "sleep", slept.append)
    watch = reanalyze.IdleWatch()
    monkeypatch.setattr(reanalyze.time, "monotonic", lambda: watch._t + 1.0)
    assert watch.idle_share() == pytest.approx(0.8)
    assert slept == []
    monkeypatch.setattr(reanalyze, "available_cpus", lambda: 2)
    monkeypatch.setattr(reanalyze.os, "cpu_count", lambda: 2)
    ticks = iter([(1000, 500), (1200, 600)])
    own = iter([2.0, 2.6])
    assert reanalyze.idle_cpus(reanalyze.IdleWatch()) == 2  # 0.8 of 2 cores: this one and one for a helper


@pytest.mark.parametrize(("every_s", "commits"), [(0.0, len(FILES)), (3600.0, 1)])
def test_results_are_committed_together_at_most_every_store_interval(
    library: Path, monkeypatch: pytest.MonkeyPatch, every_s: float, commits: int
) -> None:
    """Each commit waits for the disk: results are written together (at the end at the latest),
    and the stored analysis is the same however they were grouped."""
    monkeypatch.setattr(reanalyze, "STORE_EVERY_S", every_s)
    with Library.open(library) as lib:
        opened = 0
        real = lib.transaction

        def counted() -> object:
            nonlocal opened
            opened += 1
            return real()

        monkeypatch.setattr(lib, "transaction", counted)
        before = _analysis_columns(lib)
        report = reanalyze.reanalyze(lib, lib.list(), AnalysisSettings(), helpers=0)
        assert report.analyzed == len(FILES)
        assert opened == commits
        assert _analysis_columns(lib) == before


@pytest.mark.parametrize("helpers", [0, 1])
def test_reanalysis_commits_without_waiting_for_the_disk_and_then_restores_it(
    library: Path, monkeypatch: pytest.MonkeyPatch, helpers: int
) -> None:
    """Reanalysed results can be computed again, so their commits skip the fsync (synchronous=NORMAL
    in WAL mode: consistent, the last commits may roll back after a power loss); every other write of
    the library keeps waiting for the disk, before and after."""
    seen: list[int] = []
    store = reanalyze._store

    def watched(lib: Library, results: object, report: reanalyze.ReanalyzeReport) -> None:
        seen.append(int(lib.query("PRAGMA synchronous")[0][0]))
        store(lib, results, report)  # type: ignore[arg-type]

    monkeypatch.setattr(reanalyze, "_store", watched)
    with Library.open(library) as lib:
        before = int(lib.query("PRAGMA synchronous")[0][0])
        assert before > 1  # FULL: the library's own default
        report = reanalyze.reanalyze(lib, lib.list(), AnalysisSettings(), helpers=helpers)
        assert report.analyzed == len(FILES)
        assert seen and set(seen) == {1}
        assert int(lib.query("PRAGMA synchronous")[0][0]) == before
        with pytest.raises(KeyboardInterrupt):  # restored however the run ends
            with lib.recomputable_writes():
                raise KeyboardInterrupt
        assert int(lib.query("PRAGMA synchronous")[0][0]) == before


def test_forked_helpers_are_decided_after_the_analysis_is_imported(library: Path) -> None:
    """Where helpers are forked and the work is worth one, the import comes first (it is then the
    idle window, no sleep); spawned helpers import for themselves, and one process, or a few short
    sessions, import on the first session only what it needs."""
    with Library.open(library) as lib:
        record = lib.list()[0]
    tenth_hour = [_with_samples(record, 60_000)] * 20
    short = [_with_samples(record, 1_100)] * 5
    decide = reanalyze.import_before_deciding
    assert decide("fork", tenth_hour, jobs=2)
    assert not decide("spawn", tenth_hour, jobs=2)
    assert not decide("fork", tenth_hour, jobs=1)  # --jobs 1: no helper to decide on
    assert not decide("fork", tenth_hour[:1], jobs=8)
    assert not decide("fork", short, jobs=8)  # no helper would pay off: small files need no pyarrow
    assert decide("fork", short[:1], jobs=1, helpers=1)  # tests force helpers
    assert not decide("fork", tenth_hour, jobs=8, helpers=0)


@pytest.mark.parametrize(("start_method", "first"), [("fork", "import"), ("spawn", "decide")])
def test_reanalyze_imports_then_decides_where_helpers_fork(
    library: Path, monkeypatch: pytest.MonkeyPatch, start_method: str, first: str
) -> None:
    order: list[str] = []
    imported = reanalyze._import_analysis

    def import_analysis() -> None:
        order.append("import")
        imported()

    def decide(records: object, jobs: int, idle: int | None = None, watch: object = None) -> int:
        order.append("decide")
        return 0

    monkeypatch.setattr(reanalyze, "_import_analysis", import_analysis)
    monkeypatch.setattr(reanalyze, "helpers_for", decide)
    with Library.open(library) as lib:
        weighed = [_with_samples(r, 200_000) for r in lib.list()]  # as if ~30 min each: worth a helper
        report = reanalyze.reanalyze(lib, weighed, AnalysisSettings(), jobs=2, start_method=start_method)
    assert report.analyzed == len(FILES)
    assert order[0] == first and "decide" in order


def test_sessions_are_claimed_in_order_once_each_and_never_past_the_end() -> None:
    class Index:
        def __init__(self) -> None:
            self.value = 0
            self.locked = 0

        def get_lock(self) -> contextlib.AbstractContextManager[object]:
            index = self

            class Lock:
                def __enter__(self) -> None:
                    index.locked += 1

                def __exit__(self, *_: object) -> None:
                    index.locked -= 1

            return Lock()

    index = Index()
    claims = [reanalyze.claim_next(index, 3) for _ in range(5)]
    assert claims == [0, 1, 2, None, None]
    assert index.value == 3 and index.locked == 0


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_helpers_take_sessions_themselves_and_this_process_runs_no_thread(
    library: Path, monkeypatch: pytest.MonkeyPatch, start_method: str
) -> None:
    """Every session is analysed exactly once, by whichever process was free first; this process
    starts no thread (a feeder thread took the GIL from its analysis at every result, issue 12)."""
    ours = os.getpid()
    log_r, log_w = os.pipe()
    analyse = reanalyze.analyze_record

    def logged(record: SessionRecord, *args: object, **kwargs: object) -> object:
        os.write(log_w, f"{os.getpid()} {record.id}\n".encode())
        return analyse(record, *args, **kwargs)  # type: ignore[arg-type]

    threads: list[int] = []
    store = reanalyze._store

    def watched(*args: object) -> None:
        threads.append(threading.active_count())
        store(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(reanalyze, "analyze_record", logged)
    monkeypatch.setattr(reanalyze, "_store", watched)
    with Library.open(library) as lib:
        before = threading.active_count()
        report = reanalyze.reanalyze(lib, lib.list(), AnalysisSettings(), helpers=1, start_method=start_method)
        ids = sorted(r.id for r in lib.list())
    os.close(log_w)
    with os.fdopen(log_r) as fh:
        lines = [line.split() for line in fh]
    assert report.analyzed == len(FILES)
    assert threads and set(threads) == {before}
    if start_method == "fork":  # a spawned helper does not run this test's patch: only this process's sessions show
        assert sorted(int(i) for _, i in lines) == ids
    assert all(int(pid) == ours for pid, _ in lines) or start_method == "fork"


def test_a_helper_that_dies_fails_its_session_only(library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The session a helper had taken when it died fails with the reason; this process does the rest."""
    ours = os.getpid()
    died_r, died_w = os.pipe()
    analyse = reanalyze.analyze_record

    def dying(record: SessionRecord, *args: object, **kwargs: object) -> object:
        if os.getpid() != ours:  # the helper: say which session it took, then die on it
            os.write(died_w, f"{record.id}\n".encode())
            os._exit(1)
        if not seen:  # this process waits on its first session until the helper has taken one
            seen.append(int(os.read(died_r, 64).split()[0]))
        return analyse(record, *args, **kwargs)  # type: ignore[arg-type]

    seen: list[int] = []
    monkeypatch.setattr(reanalyze, "analyze_record", dying)
    with Library.open(library) as lib:
        report = reanalyze.reanalyze(lib, lib.list(), AnalysisSettings(), helpers=1, start_method="fork")
    assert report.analyzed == len(FILES) - 1
    assert [i for i, _ in report.failed] == seen
    assert "helper process stopped unexpectedly" in report.failed[0][1]