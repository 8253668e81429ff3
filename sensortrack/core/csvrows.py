"""Parsing comma-separated numeric rows: a fast path for big files, an exact path that names bad lines.

Fast path (`parse_fast`): pyarrow's multithreaded CSV reader, about 10x `np.loadtxt` (issue 12). It
returns None whenever it cannot vouch that its answer equals the exact path's: a non-ASCII or
control byte, a row of the wrong length, a value it will not convert, or a `nan(...)` spelling
that pyarrow reads as NaN and Python's float() refuses. The caller then runs the exact path, which
is today's reader unchanged: it either gives the same samples or the one-line error with file and
line number.

Exact path (`parse_rows`): numpy's C parser over the rows, and when that fails a walk in Python to
say which line is wrong and how.

Small files skip the fast path: importing pyarrow costs more than `np.loadtxt` spends on a few
thousand rows, and `analyze` of a short recording should not pay for it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from sensortrack.core.errors import InputFileError
from sensortrack.core.model import FloatArray

T = TypeVar("T")

# Below this many bytes the exact path is the quicker one: here `import pyarrow.csv` costs ~40-100 ms
# beyond numpy, which np.loadtxt plus the Python row pass (~4 µs a row) spends on ~20 000 rows (~1 MB).
FAST_MIN_BYTES = 1_000_000

_NL, _CR, _TAB = 10, 13, 9
IntArray = NDArray[np.int64]


def use_fast_path(size_bytes: int, fast: bool | None) -> bool:
    """`fast` forces the choice (tests); by default big files, or any file once pyarrow is loaded anyway."""
    if fast is not None:
        return fast
    return size_bytes >= FAST_MIN_BYTES or "pyarrow.csv" in sys.modules


def read_fast_or_exact(
    path: Path, fast: bool | None, read_fast: Callable[[Path], T | None], read_exact: Callable[[Path], T]
) -> T:
    """`read_fast` for big files (or as `fast` forces), `read_exact` when it declines or the file is bad:
    the exact path alone words the errors (file and line)."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if use_fast_path(size, fast):
        try:
            result = read_fast(path)
        except InputFileError:  # bad input: the exact path says which line and how
            result = None
        if result is not None:
            return result
    return read_exact(path)


def line_spans(body: bytes, *, cr_is_break: bool) -> tuple[IntArray, IntArray] | None:
    """Start and end (exclusive, without the line break) byte offsets of every line of `body`.

    Lines end at \\n, \\r\\n and, when `cr_is_break`, a lone \\r (as after Path.read_text()'s newline
    translation and str.splitlines()). None when `body` holds a byte on which the fast path and
    Python could split or read lines differently: anything outside ASCII, a control character other
    than tab and the line breaks, or (without `cr_is_break`) any \\r at all.
    """
    if not body.isascii():
        return None
    raw = np.frombuffer(body, dtype=np.uint8)
    controls = np.bincount(raw[raw < 32], minlength=32)
    controls[[_TAB, _NL, _CR]] = 0
    if controls.any():
        return None
    has_cr = body.find(b"\r") >= 0
    if has_cr and not cr_is_break:
        return None
    if not has_cr:
        breaks = np.flatnonzero(raw == _NL)
        ends = breaks
    else:
        nl = raw == _NL
        cr = raw == _CR
        crlf = np.zeros_like(cr)
        crlf[:-1] = cr[:-1] & nl[1:]  # the \r of a \r\n pair ends a line, its \n is the break
        breaks = np.flatnonzero(nl | (cr & ~crlf))
        ends = breaks - crlf[np.maximum(breaks - 1, 0)].astype(np.int64) * (breaks > 0)
    starts = np.concatenate([[0], breaks + 1]).astype(np.int64)
    ends = np.concatenate([ends, [len(body)]]).astype(np.int64)
    return starts, ends


def parse_fast(body: bytes, n_fields: int, usecols: list[int], expected_rows: int) -> FloatArray | None:
    """All rows of `body` (no header, no comment lines) as a (n, len(usecols)) array, or None.

    Every row must have exactly `n_fields` comma-separated fields; empty lines are skipped. The
    result is used only when pyarrow read exactly `expected_rows` rows (the non-empty lines the
    caller counted), so a disagreement about where lines end can never slip through.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"f{i}" for i in range(n_fields)]
    wanted = [names[c] for c in usecols]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(column_names=names),
            # Python's float() knows no quotes or escapes: neither may the fast path.
            parse_options=pacsv.ParseOptions(
                quote_char=False, double_quote=False, escape_char=False, newlines_in_values=False
            ),
            # Empty fields and "NA" are errors to float(), not missing values.
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.float64() for n in wanted},
                include_columns=wanted,
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != expected_rows or expected_rows == 0:
        return None
    data = np.empty((table.num_rows, len(wanted)))
    for j, column in enumerate(wanted):
        row = 0
        for chunk in table.column(column).chunks:
            # Straight from the chunk's value buffer (no nulls: none are allowed above). Arrow's own
            # to_numpy() first imports pandas when it is installed: 0.3 s of CPU on a cold start.
            values = np.frombuffer(chunk.buffers()[1], dtype=np.float64)[chunk.offset : chunk.offset + len(chunk)]
            data[row : row + len(chunk), j] = values
            row += len(chunk)
    # pyarrow reads "nan(1)" as NaN where float() refuses it; any other NaN/inf spelling they share.
    if b"(" in body and not np.isfinite(data).all():
        return None
    return data


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
            if not _is_number(text):
                shown = text if len(text) <= 20 else text[:17] + "..."
                raise InputFileError(path, f"'{shown}' is not a number", line)


def _is_number(text: str) -> bool:
    """float()'s judgement, less what np.loadtxt refuses: underscores ("1_0") and non-ASCII digits."""
    if "_" in text or not text.isascii():
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


def as_line_index(line_numbers: list[int]) -> NDArray[np.int64]:
    return np.asarray(line_numbers, dtype=np.int64)
