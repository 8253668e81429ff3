"""When a session started: ISO 8601 text checked for a plausible clock.

Apart from the sample checks in validation.py because the library lists sessions without numpy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Start times outside these bounds are a wrong clock or a typo, not a recording: 0001-01-01 or
# 9999-12-31 used to break every later progress report of the whole library (matplotlib's date
# range). No sensortrack recording predates the Unix epoch; two days ahead allows for a host clock
# that is off by a time zone or so.
EARLIEST_START_UTC = datetime(1970, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=2)


def parse_start_time(text: str) -> datetime | None:
    """ISO 8601 text as an aware UTC time; None when it is not a time at all (a bare time is UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        return None


def start_time_problem(text: str, now: datetime | None = None) -> str | None:
    """Why `text` cannot be when a session started, or None when it can."""
    moment = parse_start_time(text)
    if moment is None:
        try:
            datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            return f"start time '{text}' is not an ISO 8601 date and time"
        return f"start time '{text}' is not plausible (before the year 1 in UTC): was the clock wrong?"
    latest = (now or datetime.now(UTC)) + FUTURE_SLACK
    if not EARLIEST_START_UTC <= moment <= latest:
        return f"start time '{text}' is not plausible (before 1970 or in the future): was the clock wrong?"
    return None
