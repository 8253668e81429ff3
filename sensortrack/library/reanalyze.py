"""Analyse library sessions again after the analysis changed, on as many cores as the work is worth.

This process always analyses too. Helper processes are started only for work that pays for their
start-up and only on cores that are idle, so a few short sessions, or a busy machine, never wait for
a pool (the caller's `jobs` is a cap, not a demand). On Linux a helper is forked once this process
has imported the analysis, so it starts with everything loaded; elsewhere it is spawned (a fresh
interpreter importing numpy and the analysis, ~0.35 s of CPU) before this process imports, so both
import at once. Every process, this one included, takes the next session of one shared list (the
biggest first) only when it is free to start it, so nobody waits for a helper that is still
starting, nobody is handed work while busy, and the last sessions finish close together.

Helpers only read session files and compute; this process alone writes to the database, one
transaction for the results in at most every half second (not one per session), so an interrupted
run leaves every session either fully old or fully new, and readers never wait long; once its own
sessions are done it writes what is in while the helpers finish theirs. The commits do not wait for
the disk (Library.recomputable_writes): every result can be computed again.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as _wait_for
from typing import TYPE_CHECKING, Protocol

from sensortrack.core.errors import SensortrackError

if TYPE_CHECKING:
    from multiprocessing.context import ForkContext, SpawnContext
    from multiprocessing.process import BaseProcess

    from sensortrack.analysis.pair_settings import PairSettings
    from sensortrack.analysis.reference import DriftReference
    from sensortrack.analysis.settings import AnalysisSettings
    from sensortrack.core.vocabulary import Exercise, Placement, Side
    from sensortrack.library.records import AnalysisSummary, SessionRecord
    from sensortrack.library.store import Library
    from sensortrack.session_analysis import ReferenceLookup

# One unit of work: a session and the person's stored knee-drift references for its placement and
# side, one per exercise (a plan session holds several exercises). Looked up in this process, which
# holds the library; helpers get the references themselves.
References = dict[str, "DriftReference"]
Job = tuple["SessionRecord", References]

# Reading plus analysing a session runs at about this many samples/s here (pyarrow reader, 2 M
# samples/s analysis core, SQLite write); only used to weigh the work, so a rough figure is enough.
WORK_SAMPLES_PER_S = 1_000_000
# Opening the file and writing the row, whatever the length.
PER_SESSION_S = 0.01
# One more helper for each this many seconds of estimated work: its start-up (~0.3 s of imports
# since the analysis needs no SciPy; ~0.6 s wall on a busy machine) must be paid back by the work
# it takes over, with room to spare.
WORK_PER_HELPER_S = 0.6
# How long to watch the machine before deciding how many cores are idle: a few scheduler ticks
# (10 ms each), short against a helper's ~1 s start-up.
IDLE_SAMPLE_S = 0.05
# A helper's pipe holds this much (Linux, F_SETPIPE_SZ; the default is 64 KiB): ~40 results of a
# 10-minute session (24 KB pickled each), so a helper never waits for this process to read them.
PIPE_BYTES = 1 << 20
# Results are written together at most this often: each commit costs a transaction's set-up and, but
# for Library.recomputable_writes, a wait for the disk (fsync, ~10 ms here, which for 20 sessions of
# 10 min was ~7 % of the whole run); an interrupted run loses at most this much work, and each
# session is still either wholly old or wholly new.
STORE_EVERY_S = 0.5
# Helpers are forked where that is safe and cheap (see _HelperPool), spawned elsewhere.
HELPER_START = "fork" if sys.platform == "linux" else "spawn"
# /proc/stat counts in USER_HZ ticks (proc(5)); os.times() in seconds.
_TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(slots=True)
class ReanalyzeReport:
    analyzed: int = 0
    needs_metadata: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    vanished: list[int] = field(default_factory=list)  # deleted by someone else meanwhile


def estimated_work_s(records: Sequence[SessionRecord]) -> float:
    return sum(PER_SESSION_S + r.facts.sample_count / WORK_SAMPLES_PER_S for r in records)


def available_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):  # a container or taskset may allow fewer than the machine has
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def idle_cpus(watch: IdleWatch | None = None) -> int:
    """Cores nobody is using now (since `watch` started, else over the next ~50 ms); all of them
    where the OS does not say.

    On a machine already busy with other work a helper gets no core of its own: its start-up then
    only takes time from this process (measured: 2 cores at load 8, 20 sessions took 13-20 s with a
    helper against 11-15 s without). "Now" is the last ~50 ms of /proc/stat where there is one: the
    1-minute load average still counts whatever ran just before this command (a previous command of a
    script, or the same user's last `analyze`) and kept a quiet 2-core machine from ever using its
    second core. Elsewhere the load average is the best there is.
    """
    cpus = available_cpus()
    share = (watch or IdleWatch()).idle_share()
    if share is not None:
        return min(cpus, int(share * (os.cpu_count() or cpus) + 0.5))
    if not hasattr(os, "getloadavg"):
        return cpus
    return max(0, cpus - int(os.getloadavg()[0] + 0.5))


def idle_share_now(window_s: float = IDLE_SAMPLE_S) -> float | None:
    """The machine's idle share of CPU time over `window_s` (this process sleeps meanwhile); None
    where there is no /proc/stat."""
    return IdleWatch().idle_share(window_s)


def _cpu_ticks() -> tuple[int, int] | None:
    """(all, idle + iowait) ticks of every core from /proc/stat's first line (user nice system idle
    iowait irq softirq steal ...; proc(5)); None where there is no /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = fh.readline().split()
    except (OSError, UnicodeDecodeError):
        return None
    if len(fields) < 6 or fields[0] != "cpu":
        return None
    ticks = [int(x) for x in fields[1:9] if x.isdigit()]
    return sum(ticks), ticks[3] + ticks[4]


def _own_cpu_s() -> float:
    times = os.times()
    return times.user + times.system


class IdleWatch:
    """The machine's idle share since this was made, without having to sleep through the window.

    `sessions reanalyze` starts one before it opens the library, reads its settings and lists the
    sessions, and reads it when deciding on helpers: that work is the window, so helpers start
    without the ~50 ms wait (issue 12). This process's own CPU time in the window counts as idle:
    the core it used is the one it keeps for itself, as when it sleeps through the window.
    """

    def __init__(self) -> None:
        self._start = _cpu_ticks()
        self._own_s = _own_cpu_s()
        self._t = time.monotonic()

    def idle_share(self, window_s: float = IDLE_SAMPLE_S) -> float | None:
        """Idle share since this was made, at least `window_s` (sleeping what is left of it)."""
        if self._start is None:
            return None
        left_s = window_s - (time.monotonic() - self._t)
        if left_s > 0:
            time.sleep(left_s)
        after = _cpu_ticks()
        if after is None or after[0] <= self._start[0]:
            return None
        total = after[0] - self._start[0]
        own = (_own_cpu_s() - self._own_s) * _TICKS_PER_S
        return min(1.0, (after[1] - self._start[1] + own) / total)


def helpers_for(
    records: Sequence[SessionRecord], jobs: int, idle: int | None = None, watch: IdleWatch | None = None
) -> int:
    """Helper processes worth starting besides this one: `jobs` caps the processes (this one
    included), idle cores cap the helpers (this process takes one), and the work decides. `idle`
    gives the idle cores; else they are measured (since `watch` started, if given)."""
    if min(jobs, len(records)) <= 1:
        return 0  # nothing to decide: no need to watch the machine
    idle = idle_cpus(watch) if idle is None else idle
    limit = min(jobs - 1, len(records) - 1, idle - 1)
    if limit <= 0:
        return 0
    return min(limit, int(estimated_work_s(records) / WORK_PER_HELPER_S))


def import_before_deciding(
    start_method: str, records: Sequence[SessionRecord], jobs: int, helpers: int | None = None
) -> bool:
    """Whether to import the analysis before deciding on helpers: where they are forked and the work
    is worth one (before the idle cores are looked at). Forked helpers need it imported first anyway,
    and the ~0.1-0.2 s it takes is then the window the idle cores are measured over, instead of a
    sleep of up to IDLE_SAMPLE_S on the way of every parallel run (issue 12). Spawned helpers import
    for themselves while this process does, so they are started first; with one process, or a few
    short sessions, the first session imports only what it needs (small files: no pyarrow)."""
    if start_method != "fork":
        return False
    if helpers is not None:
        return helpers > 0
    return min(jobs, len(records)) > 1 and estimated_work_s(records) >= WORK_PER_HELPER_S


def analyze_record(
    record: SessionRecord,
    settings: AnalysisSettings,
    references: References | None = None,
    pair_settings: PairSettings | None = None,
) -> AnalysisSummary:
    """Read one library session and analyse it; a bug in the analysis fails this session only."""
    from sensortrack.library.ingest import load_library_session, summarize
    from sensortrack.library.records import AnalysisSummary

    try:
        session = load_library_session(record)
    except SensortrackError as exc:
        return AnalysisSummary.not_analyzed("failed", f"cannot read the session file: {exc}", settings)
    try:
        return summarize(session, settings, _lookup(record, references or {}), pair_settings)
    except Exception as exc:  # a bug, not the user's fault: the other sessions still get done
        return AnalysisSummary.not_analyzed(
            "failed", f"internal error: {type(exc).__name__}: {exc}", settings, internal=True
        )


def reanalyze(
    library: Library,
    records: Sequence[SessionRecord],
    settings: AnalysisSettings,
    *,
    jobs: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    helpers: int | None = None,
    references: ReferenceLookup | None = None,
    idle_watch: IdleWatch | None = None,
    pair_settings: PairSettings | None = None,
    start_method: str | None = None,
) -> ReanalyzeReport:
    """Analyse `records` again and store the results. `jobs` caps the processes (default: the CPUs
    this process may use); `helpers` forces the number of helper processes (tests); `references`
    finds the person's stored knee-drift reference per session (None: none); `idle_watch`, started
    when the command started, measures the idle cores without a wait; `start_method`: how helpers
    start ("fork" or "spawn"; default HELPER_START)."""
    report = ReanalyzeReport()
    if not records:
        return report
    # Commits need not wait for the disk: every result can be computed again (Library.recomputable_writes).
    with library.recomputable_writes():
        from sensortrack.core.memory import keep_freed_memory

        keep_freed_memory()  # before any helper forks: each session's temporaries reuse memory (core/memory.py)
        start_method = start_method or HELPER_START
        if import_before_deciding(start_method, records, jobs or available_cpus(), helpers):
            _import_analysis()
        count = helpers if helpers is not None else helpers_for(records, jobs or available_cpus(), watch=idle_watch)
        work = _work_list(records, references)
        done = 0
        unstored: list[tuple[SessionRecord, AnalysisSummary]] = []
        stored_at = time.monotonic()

        def store() -> None:
            nonlocal stored_at
            _store(library, unstored, report)
            unstored.clear()
            stored_at = time.monotonic()

        def finish(record: SessionRecord, summary: AnalysisSummary, *, last: bool = False, hold: bool = False) -> None:
            nonlocal done
            unstored.append((record, summary))
            if not hold and (last or time.monotonic() - stored_at >= STORE_EVERY_S):
                store()
            done += 1
            if on_progress is not None:
                on_progress(done)

        if count <= 0:
            for k, (record, refs) in enumerate(work):
                finish(record, analyze_record(record, settings, refs, pair_settings), last=k == len(work) - 1)
            return report
        pool = _HelperPool(count, settings, work, pair_settings, start_method)
        try:
            pool.spawn()
            while True:
                for k, summary in pool.results():
                    finish(work[k][0], summary)
                mine = pool.claim()
                if mine is None:
                    break
                record, refs = work[mine]
                finish(record, analyze_record(record, settings, refs, pair_settings))
            # Nothing left for this process but waiting for the helpers' last sessions: what is in
            # is written meanwhile, so that the commit after the last result holds that result
            # alone, not up to STORE_EVERY_S of them (issue 12: that commit is the run's tail).
            while True:
                if unstored:
                    store()
                arrived = pool.results(wait=True)
                if not arrived:
                    break
                for k, summary in arrived:
                    finish(work[k][0], summary, hold=True)
        finally:
            pool.close()
    return report


def _work_list(records: Sequence[SessionRecord], references: ReferenceLookup | None) -> list[Job]:
    """The sessions in the order they are handed out, the biggest first (so that the last ones, when
    a process may be left idle, are the shortest), each with its references."""
    ordered = sorted(records, key=lambda r: r.facts.sample_count, reverse=True)
    by_body: dict[tuple[str | None, str | None], References] = {}  # looked up once per placement and side
    for r in ordered:
        body = (r.facts.placement, r.facts.side)
        if body not in by_body:
            by_body[body] = _references_for(r, references)
    return [(r, by_body[(r.facts.placement, r.facts.side)]) for r in ordered]


class SharedIndex(Protocol):
    """The next unclaimed place in the work list, shared by every process of a run."""

    value: int

    def get_lock(self) -> AbstractContextManager[object]: ...


def claim_next(shared: SharedIndex, total: int) -> int | None:
    """Take the next session of the work list for the calling process (None: all are taken). Each
    process claims its next session only when it is free to start it, so none is ever promised to a
    process that is still busy (issue 12: a session queued to a helper kept the other process idle
    at the end) and nobody waits for another to be handed work."""
    with shared.get_lock():
        k = shared.value
        if k >= total:
            return None
        shared.value = k + 1
    return k


class _ForkedIndex:
    """A SharedIndex for forked helpers: 8 bytes of anonymous shared memory and a semaphore, which
    both cross the fork (multiprocessing.Value would import sharedctypes first, ~10 ms here)."""

    def __init__(self, context: ForkContext) -> None:
        import mmap

        self._memory = mmap.mmap(-1, 8)  # MAP_SHARED | MAP_ANONYMOUS: one page seen by every fork
        self._lock = context.Lock()

    def get_lock(self) -> AbstractContextManager[object]:
        return self._lock

    @property
    def value(self) -> int:
        return int.from_bytes(self._memory[:8], "little")

    @value.setter
    def value(self, k: int) -> None:
        self._memory[:8] = k.to_bytes(8, "little")


class _HelperPool:
    """Helper processes that take sessions from the work list themselves, one at a time as each is
    free (`claim_next` over an index every process shares), and send each result through a pipe.
    No thread runs in this process: it claims its own sessions the same way and reads what the
    helpers sent between them (a feeder thread handing out sessions took the GIL from this
    process's analysis at every result and its sessions queued ahead to a helper left this process
    idle at the end; issue 12). The database is written by this process alone.

    Forked on Linux, once this process has imported the analysis: a helper is then ready at once and
    costs no interpreter start-up nor imports (~0.35 s of CPU each, which on a shared machine is
    taken from the work), and gets the work list with the fork. The open SQLite connection this
    process holds crosses the fork, but the helper never uses it (sqlite.org/howtocorrupt.html §2.6
    forbids using it in the child): it only reads session files, answers through its pipe and leaves
    by os._exit (multiprocessing's own end of a forked process), so nothing of the connection is even
    closed there. Spawned elsewhere (macOS and Windows do not fork safely), with the work list pickled.
    """

    def __init__(
        self, count: int, settings: AnalysisSettings, work: Sequence[Job], pair_settings: PairSettings | None = None,
        start_method: str = "spawn",
    ) -> None:  # fmt: skip
        self._count = count
        self._start_method = start_method
        self._settings = settings
        self._pair_settings = pair_settings
        self._work = work
        self._processes: dict[Connection, BaseProcess] = {}
        self._live: set[Connection] = set()
        self._accounted: set[int] = set()  # places of the work list done here or answered by a helper
        self._index: SharedIndex | None = None

    def spawn(self) -> None:
        """Start the helpers (forked: with the analysis imported first)."""
        forked = self._start_method == "fork"
        if forked:
            _import_analysis()
            fork = get_context("fork")
            context: ForkContext | SpawnContext = fork
            self._index = _ForkedIndex(fork)
        else:
            spawn = get_context("spawn")
            context = spawn
            self._index = spawn.Value("q", 0)
        for _ in range(self._count):
            ours, theirs = context.Pipe(duplex=False)
            _widen(theirs)
            process = context.Process(
                target=_helper_main, args=(theirs, self._index, self._work, self._settings, self._pair_settings),
                daemon=True,
            )
            process.start()
            theirs.close()
            self._processes[ours] = process
            self._live.add(ours)

    def claim(self) -> int | None:
        """The next session for this process, or None when all are taken."""
        assert self._index is not None
        k = claim_next(self._index, len(self._work))
        if k is not None:
            self._accounted.add(k)
        return k

    def results(self, *, wait: bool = False) -> list[tuple[int, AnalysisSummary]]:
        """Results the helpers have sent (place in the work list, summary). With `wait`: at least
        one while any session a helper took is unanswered, waiting as needed; what a helper that
        died had taken comes back failed once no live helper is left to answer."""
        out: list[tuple[int, AnalysisSummary]] = []
        while self._live:
            block = wait and not out and bool(self._unanswered())
            ready = _wait_for(list(self._live), None if block else 0)
            if not ready:
                break
            for conn in ready:
                assert isinstance(conn, Connection)
                try:
                    k, summary = conn.recv()
                except (EOFError, OSError):  # the helper ended: done, killed or out of memory
                    self._live.discard(conn)
                    continue
                self._accounted.add(k)
                out.append((k, summary))
        if wait and not out and not self._live:
            from sensortrack.library.records import AnalysisSummary

            lost = AnalysisSummary.not_analyzed(
                "failed", "internal error: the helper process stopped unexpectedly", self._settings, internal=True
            )
            for k in sorted(self._unanswered()):
                self._accounted.add(k)
                out.append((k, lost))
        return out

    def _unanswered(self) -> set[int]:
        assert self._index is not None
        with self._index.get_lock():
            taken = min(self._index.value, len(self._work))
        return set(range(taken)) - self._accounted

    def close(self) -> None:
        for conn, process in self._processes.items():
            if process.is_alive():
                process.terminate()  # still starting, or interrupted: nothing of ours is lost
            process.join(timeout=5.0)
            conn.close()


def _widen(conn: Connection) -> None:
    """Let a helper's pipe hold several results (Linux: up to 1 MiB, /proc/sys/fs/pipe-max-size) so
    that a helper does not wait for this process to finish its own session and read them; where the
    pipe cannot grow, the helper waits that long at worst."""
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


def _helper_main(
    conn: Connection, index: SharedIndex, work: Sequence[Job], settings: AnalysisSettings,
    pair_settings: PairSettings | None,
) -> None:  # fmt: skip
    """A helper process: import the analysis, then analyse the next unclaimed session until none is left."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops us
    _import_analysis()  # forked: already done
    from sensortrack.core.memory import keep_freed_memory

    keep_freed_memory()  # forked: already done
    while (k := claim_next(index, len(work))) is not None:
        record, refs = work[k]
        conn.send((k, analyze_record(record, settings, refs, pair_settings)))
    conn.close()


def _import_analysis() -> None:
    """What analysing a session imports (the start-up a helper pays, or a forked one inherits),
    including what the first session's reading and analysis import on first use: pyarrow's CSV
    reader (csvrows.parse_fast) and numpy.ma (behind np.median). Imported once before the fork, a
    helper does not import them again on its first session (~0.04-0.08 s of CPU each, issue 12)."""
    import numpy.ma  # noqa: F401
    import pyarrow.csv  # noqa: F401

    import sensortrack.library.ingest  # noqa: F401
    import sensortrack.session_analysis  # noqa: F401


def _references_for(record: SessionRecord, references: ReferenceLookup | None) -> References:
    """The stored references of every exercise at this session's placement and side."""
    from sensortrack.core.vocabulary import EXERCISES

    facts = record.facts
    if references is None or not (facts.placement and facts.side):
        return {}
    found = {exercise: references(exercise, facts.placement, facts.side) for exercise in EXERCISES}
    return {exercise: ref for exercise, ref in found.items() if ref is not None}


def _lookup(record: SessionRecord, references: References) -> ReferenceLookup | None:
    """`references` as the lookup the analysis asks per exercise (None when there is none)."""
    if not references:
        return None
    placement, side = record.facts.placement, record.facts.side

    def lookup(exercise: Exercise, at_placement: Placement, at_side: Side) -> DriftReference | None:
        return references.get(exercise) if (at_placement, at_side) == (placement, side) else None

    return lookup


def _store(library: Library, results: Sequence[tuple[SessionRecord, AnalysisSummary]], report: ReanalyzeReport) -> None:
    """Results in one transaction: each session is either wholly old or wholly new."""
    kept: list[tuple[SessionRecord, AnalysisSummary]] = []
    with library.transaction() as conn:
        for record, summary in results:
            if summary.internal and record.analysis_status == "ok":
                # sensortrack failed, not the file: the analysis that worked before is kept.
                report.failed.append((record.id, f"{summary.message}; the previous analysis is kept"))
            elif conn.execute("SELECT 1 FROM sessions WHERE id = ?", (record.id,)).fetchone() is None:
                report.vanished.append(record.id)
            else:
                library.store_summary(record.id, summary)
                kept.append((record, summary))
    for record, summary in kept:
        if summary.status == "ok":
            report.analyzed += 1
        elif summary.status == "needs_metadata":
            report.needs_metadata.append(record.id)
        else:
            report.failed.append((record.id, summary.message))
