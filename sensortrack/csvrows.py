"""Fast parsing of comma-separated numeric rows, with the exact line named when one is bad.

The fast path hands all rows to numpy's C parser; only when that fails do we walk the rows in
Python to say which line is wrong and how.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sensortrack.errors import InputFileError
from sensortrack.model import FloatArray


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
            data = np.loadtxt(rows, delimiter=",", usecols=usecols, ndmin=2, dtype=np.float64)
        # loadtxt reads usecols only: a short or long row elsewhere would slip through.
        if all(r.count(",") == n_fields - 1 for r in rows):
            return data
    except ValueError:
        pass
    _raise_first_bad_row(path, rows, line_numbers, n_fields, usecols)
    raise AssertionError("unreachable: a row failed to parse but no bad row was found")


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
            try:
                float(text)
            except ValueError:
                shown = text if len(text) <= 20 else text[:17] + "..."
                raise InputFileError(path, f"'{shown}' is not a number", line) from None


def as_line_index(line_numbers: list[int]) -> NDArray[np.int64]:
    return np.asarray(line_numbers, dtype=np.int64)
