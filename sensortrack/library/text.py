"""Plain-text rendering of library records for the terminal: tables, local times, one-liners."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sensortrack.core.errors import ConfigError
from sensortrack.core.terminal_text import printable

if TYPE_CHECKING:  # annotations only: `analyze` and the view's first frame need no library records
    from sensortrack.library.records import SessionRecord

STATUS_TEXT = {"ok": "ok", "needs_metadata": "needs metadata", "failed": "analysis failed"}


def local_time(utc_iso: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time in the viewer's local time zone (what a diary or a clinic calendar shows)."""
    try:
        return datetime.fromisoformat(utc_iso).astimezone().strftime(fmt)
    except (ValueError, OverflowError, OSError):  # hand-edited rows: show what is there
        return utc_iso


def local_day_start_utc(text: str, *, option: str, next_day: bool = False) -> str:
    """`2025-03-01` (local) → the UTC instant that day starts (or the next day, for inclusive ends)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"{option} needs a date like 2025-03-01, got '{text}'") from None
    try:
        if next_day:
            day += timedelta(days=1)
        local_midnight = datetime.combine(day, time()).astimezone()  # naive → the viewer's time zone
        return local_midnight.astimezone(UTC).isoformat(timespec="seconds")
    except (OverflowError, ValueError, OSError):
        # 0001-01-01 or 9999-12-31: past the calendar's ends in some time zone. Such a bound
        # means "from the beginning" / "to the end"; stored times sort between these texts.
        return "0001-01-01T00:00:00+00:00" if day.year == 1 and not next_day else "9999-12-31T23:59:59+00:00"


def format_duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def fmt_number(value: float | None, digits: int = 0, suffix: str = "", *, signed: bool = False) -> str:
    return "–" if value is None else f"{value:{'+' if signed else ''}.{digits}f}{suffix}"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int] | None = None) -> str:
    """Columns padded to their widest cell; indices in `right` are right-aligned (numbers).
    Cells come from files and hand-edited rows: their control characters are escaped."""
    right = right or set()
    rows = [[printable(c) for c in r] for r in rows]
    widths = (
        [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=True)]
        if rows
        else [len(h) for h in headers]
    )

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def body_text(record: SessionRecord) -> str:
    return " ".join((exercise_text(record), record.facts.side or "?", placement_text(record)))


def exercise_text(record: SessionRecord) -> str:
    """The given exercise, the recognised one marked so, or "?"."""
    return _sourced(record.exercise, record.exercise_source)


def placement_text(record: SessionRecord) -> str:
    return _sourced(record.placement, record.placement_source)


def _sourced(value: str | None, source: str | None) -> str:
    return "?" if value is None else f"{value} (recognised)" if source == "recognised" else value


def format_lines(lines: Sequence[str]) -> str:
    """Lines for the terminal, each with its control characters escaped (terminal_text.py)."""
    return "\n".join(printable(line) for line in lines)  # a line break inside one is escaped too


def one_line(record: SessionRecord) -> str:
    """`#3 2025-03-01 10:15 squat left thigh: 3 sets, 30 reps, 4 with knee drift`."""
    head = f"#{record.id} {printable(local_time(record.facts.start_time_utc))} {body_text(record)}"
    if record.analysis_status != "ok":
        return f"{head}: {STATUS_TEXT[record.analysis_status]} ({printable(record.analysis_message)})"
    return (
        f"{head}: {record.set_count} set{'s' if record.set_count != 1 else ''}, {record.rep_count} reps, "
        f"{record.drift_rep_count} with knee drift"
    )


def pair_text(record: SessionRecord) -> str | None:
    """What a two-sensor session's pair measured, in one line; None for one sensor."""
    measures = record.pair_measures or {}
    if record.pair == "thigh+shank":
        knee = measures.get("knee") or {}
        return (
            f"thigh + shank: knee angles on {knee.get('measured_reps', 0)} of {record.rep_count} reps, "
            "knee drift from the knee's frontal-plane angle (no personal reference needed)"
        )
    if record.pair == "left+right":
        sym = measures.get("symmetry") or {}

        def pct(measure: str) -> str:
            return fmt_number(sym.get(f"{measure}_asymmetry_pct"), 1, " %")

        flagged = ", ".join(f"{f.get('measure')} ({f.get('side')} side short)" for f in sym.get("flagged") or [])
        return (
            f"left + right: asymmetry (median over {measures.get('rep_pairs', 0)} rep pairs) range {pct('range')}, "
            f"tempo {pct('tempo')}, drift {pct('drift')}; " + (f"past its limit: {flagged}" if flagged else "none past its limit")
        )
    return None
