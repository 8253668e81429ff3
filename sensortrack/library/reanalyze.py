"""Analyse library sessions again after the analysis changed, on every core.

Workers only read session files and compute; the parent process alone writes to the database,
one transaction per session, so an interrupted run leaves every session either fully old or fully
new, and readers never wait long.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.errors import SensortrackError
from sensortrack.library.ingest import load_library_session, summarize
from sensortrack.library.records import AnalysisSummary, SessionRecord
from sensortrack.library.store import Library


@dataclass(slots=True)
class ReanalyzeReport:
    analyzed: int = 0
    needs_metadata: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    vanished: list[int] = field(default_factory=list)  # deleted by someone else meanwhile


def analyze_record(record: SessionRecord, settings: AnalysisSettings) -> AnalysisSummary:
    """Worker: read one library session and analyse it (module-level so it pickles)."""
    try:
        session = load_library_session(record)
    except SensortrackError as exc:
        return AnalysisSummary.not_analyzed("failed", f"cannot read the session file: {exc}", settings)
    return summarize(session, settings)


def reanalyze(
    library: Library,
    records: Sequence[SessionRecord],
    settings: AnalysisSettings,
    *,
    jobs: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ReanalyzeReport:
    report = ReanalyzeReport()
    if not records:
        return report
    workers = max(1, min(jobs or os.cpu_count() or 1, len(records)))
    if workers == 1:  # no pool: starting a worker costs a second of imports
        for done, record in enumerate(records, start=1):
            _store(library, record, analyze_record(record, settings), report)
            if on_progress is not None:
                on_progress(done)
        return report
    # spawn, not fork: the parent holds an open SQLite connection, which must never cross a fork
    # (sqlite.org/howtocorrupt.html §2.6), and it behaves the same on macOS and Windows.
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        futures: dict[Future[AnalysisSummary], SessionRecord] = {
            pool.submit(analyze_record, record, settings): record for record in records
        }
        for done, future in enumerate(as_completed(futures), start=1):
            record = futures[future]
            try:
                summary = future.result()
            except Exception as exc:  # a crashed worker (BrokenProcessPool) must not stop the others
                summary = AnalysisSummary.not_analyzed(
                    "failed", f"internal error: {type(exc).__name__}: {exc}", settings, internal=True
                )
            _store(library, record, summary, report)
            if on_progress is not None:
                on_progress(done)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return report


def _store(library: Library, record: SessionRecord, summary: AnalysisSummary, report: ReanalyzeReport) -> None:
    if summary.internal and record.analysis_status == "ok":
        # sensortrack failed, not the file: the analysis that worked before is kept.
        report.failed.append((record.id, f"{summary.message}; the previous analysis is kept"))
        return
    with library.transaction() as conn:
        if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (record.id,)).fetchone() is None:
            report.vanished.append(record.id)
            return
        library.store_summary(record.id, summary)
    if summary.status == "ok":
        report.analyzed += 1
    elif summary.status == "needs_metadata":
        report.needs_metadata.append(record.id)
    else:
        report.failed.append((record.id, summary.message))
