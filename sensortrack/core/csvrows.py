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
from collections.abc import Callable, Sequence
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


# Bytes a plain row may hold besides its \n: printable ASCII (DEL too, as in line_spans) and tab.
_PLAIN_BYTES = bytes(range(32, 128)) + b"\t"


def plain_line_count(raw: bytes, start: int) -> int | None:
    """The number of lines of `raw[start:]` (a last line without a break counts) when every byte of
    `raw` is printable ASCII, a tab or \n; else None (then `line_spans` on the body decides).

    One pass that allocates only what it finds outside the plain bytes (the \n of each line), where
    `line_spans` makes several full-size temporaries (issue 12: the first touch of fresh memory is
    slow here). Whether lines are empty is not looked at: pyarrow skips empty lines, so a file with
    one reads fewer rows than this count and the fast path steps aside (`parse_fast`)."""
    rest = raw.translate(None, _PLAIN_BYTES)  # \n, and anything that is not plain
    if rest.count(b"\n") != len(rest):
        return None
    breaks_before = raw.count(b"\n", 0, start)
    lines = len(rest) - breaks_before
    return lines + (1 if len(raw) > start and not raw.endswith(b"\n") else 0)


Columns = int | Sequence[int]


def parse_fast(
    raw: bytes, n_fields: int, groups: Sequence[Columns], expected_rows: int, start: int = 0
) -> list[FloatArray] | None:
    """The rows of `raw[start:]` (no header, no comment lines), or None.

    Each of `groups` is one array of the result: a column index gives a 1-D array, a list of them
    a C-ordered (n, len) array (the shapes the engine uses: time, acc, gyro), each allocated once
    and filled block by block from pyarrow's column buffers (no table nor row-major copy between).
    Every row must have exactly `n_fields` comma-separated fields; empty lines are skipped. The
    result is used only when pyarrow read exactly `expected_rows` rows (the non-empty lines the
    caller counted), so a disagreement about where lines end can never slip through.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if expected_rows <= 0:
        return None
    names = [f"f{i}" for i in range(n_fields)]
    used = sorted({c for group in groups for c in ([group] if isinstance(group, int) else group)})
    wanted = [names[c] for c in used]
    out = [np.empty(expected_rows if isinstance(g, int) else (expected_rows, len(g))) for g in groups]
    # Where each parsed column goes: a 1-D array, or a column of an (n, k) one.
    targets = {
        names[c]: array if isinstance(group, int) else array[:, j]
        for group, array in zip(groups, out, strict=True)
        for j, c in enumerate([group] if isinstance(group, int) else group)
    }
    row = 0
    try:
        # The streaming reader, a block at a time into `out`: read_csv's whole table first took
        # 2-3x the CPU on a cold start here and as much fresh memory again as the result (issue 12).
        reader = pacsv.open_csv(
            pa.py_buffer(memoryview(raw)[start:]),  # the body where it lies: no copy of it
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
        for batch in reader:
            count = batch.num_rows
            if row + count > expected_rows:
                return None
            for name in wanted:
                column = batch.column(name)
                # Straight from the value buffer (no nulls: none are allowed above). Arrow's own
                # to_numpy() first imports pandas when it is installed: 0.3 s of CPU on a cold start.
                values = np.frombuffer(column.buffers()[1], dtype=np.float64)[column.offset : column.offset + count]
                targets[name][row : row + count] = values
            row += count
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if row != expected_rows:
        return None
    # pyarrow reads "nan(1)" as NaN where float() refuses it; any other NaN/inf spelling they share.
    if raw.find(b"(", start) >= 0 and not all(np.isfinite(a).all() for a in out):
        return None
    return out


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
