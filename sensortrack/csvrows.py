"""Fast parsing of comma-separated numeric rows, with the exact line named when one is bad.

The fast path hands all rows to numpy's C parser; only when that fails do we walk the rows in
Python to say which line is wrong and how.
"""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import NDArray

from sensortrack.errors import InputFileError
from sensortrack.model import FloatArray

# What a number in these files looks like: ASCII decimal, optional exponent, or nan/inf (which
# check_samples then names as such).
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(nan|inf|infinity)", re.IGNORECASE)


def parse_rows(
    path: str,
    rows: list[str],
    line_numbers: list[int],
    n_fields: int,
    usecols: list[int],
) -> FloatArray:
    """Parse `rows` (each with exactly `n_fields` comma-separated fields) into a (n, len(usecols)) array."""
    if not rows:
        return np.empty((0, len(usecols)))
    try:
        with np.errstate(all="ignore"):
            # comments=None: a '#' inside a text column is text, not the end of the row.
            data = np.loadtxt(rows, delimiter=",", usecols=usecols, ndmin=2, dtype=np.float64, comments=None)
        # loadtxt reads usecols only: a short or long row elsewhere would slip through.
        if all(r.count(",") == n_fields - 1 for r in rows):
            return data
    except ValueError:
        pass
    _raise_first_bad_row(path, rows, line_numbers, n_fields, usecols)
    raise InputFileError(path, "the rows cannot be read as numbers")  # numpy refused what float() took


def _raise_first_bad_row(
    path: str, rows: list[str], line_numbers: list[int], n_fields: int, usecols: list[int]
) -> None:
    for row, line in zip(rows, line_numbers, strict=True):
        fields = row.split(",")
        if len(fields) != n_fields:
            hint = " (truncated line?)" if len(fields) < n_fields else ""
            raise InputFileError(
                path, f"expected {n_fields} fields, found {len(fields)}{hint}", line
            )
        for col in usecols:
            text = fields[col].strip()
            if not _NUMBER.fullmatch(text):  # float() also takes '1_0' and non-ASCII digits; numpy does not
                shown = text if len(text) <= 20 else text[:17] + "..."
                raise InputFileError(path, f"'{shown}' is not a number", line)


def as_line_index(line_numbers: list[int]) -> NDArray[np.int64]:
    return np.asarray(line_numbers, dtype=np.int64)
