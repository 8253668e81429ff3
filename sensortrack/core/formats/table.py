"""Delimited tables as vendor apps write them: a header row (sometimes after a preamble), then rows.

Separators differ (`,` `;` tab), some apps quote their header names, some write decimal commas in
`;`- or tab-separated files (phyphox's "decimal comma" exports). Numbers are converted per column;
the first field that is not a number is reported as one line with file and line number. Big tables
are split by pyarrow's CSV reader (about 10x faster than a Python list per row); the exact path
stays the judge of every value the fast one does not vouch for.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from sensortrack.core.csvrows import line_spans, use_fast_path
from sensortrack.core.errors import InputFileError
from sensortrack.core.model import FloatArray

IntArray = NDArray[np.int64]
DELIMITERS = (",", ";", "\t")


def sniff_delimiter(header: str) -> str:
    """The separator a header row uses: the most frequent of `,` `;` tab (ties: comma)."""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def clean_name(field: str) -> str:
    return field.strip().strip('"').strip()


def find_header_line(lines: list[str], is_header: Callable[[str], bool], max_lines: int = 60) -> int | None:
    """Index of the first of the first `max_lines` lines that `is_header` accepts."""
    for i, line in enumerate(lines[:max_lines]):
        if is_header(line):
            return i
    return None


class Table:
    """The rows of one table: `read_table` makes it. Big plain tables are read by pyarrow's CSV reader
    into text columns (no Python list per row); a column converts to numbers in one cast, and any
    column the cast refuses (or that holds NaN/inf spellings) is converted again the exact way,
    row by row, which alone words the error with file and line."""

    def __init__(self, where: str, columns: list[str], rows: list[list[str]] | None, line_numbers: IntArray,
                 decimal_comma: bool, fast: list[Any] | None = None,
                 exact_rows: Callable[[], list[list[str]]] | None = None) -> None:
        self.where = where  # the file (or folder/zip member) errors name
        self.columns = columns
        self._rows = rows
        self._line_numbers = line_numbers  # 1-based file line of each row
        self.decimal_comma = decimal_comma
        self._fast = fast  # pyarrow string arrays, one per field, every row as wide (fast path)
        self._exact_rows = exact_rows  # the rows split the exact way, made only when asked for

    @property
    def rows(self) -> list[list[str]]:
        if self._rows is None:
            assert self._exact_rows is not None
            self._rows = self._exact_rows()
        return self._rows

    @property
    def line_numbers(self) -> list[int]:
        return cast("list[int]", self._line_numbers.tolist())

    @property
    def lines(self) -> IntArray:
        return self._line_numbers

    @property
    def min_width(self) -> int:
        """The fewest fields of any row."""
        if self._fast is not None:
            return len(self._fast)
        return min(map(len, self.rows)) if self.rows else 0

    @property
    def max_width(self) -> int:
        if self._fast is not None:
            return len(self._fast)
        return max(map(len, self.rows)) if self.rows else 0

    def __len__(self) -> int:
        return int(self._line_numbers.size)

    def has(self, name: str) -> bool:
        return name in self.columns

    def index(self, name: str) -> int:
        try:
            return self.columns.index(name)
        except ValueError:
            raise InputFileError(self.where, f"has no column '{name}'") from None

    def text(self, column: int) -> list[str]:
        if self._fast is not None and column < len(self._fast):
            return [v.strip().strip('"') for v in self._fast[column].to_pylist()]
        self._check_width(column)
        return [row[column].strip().strip('"') for row in self.rows]

    def empty_rows(self, columns: list[int]) -> NDArray[np.bool_]:
        """Per row: whether any of `columns` is missing or blank (whitespace and quotes only)."""
        if self._fast is not None and all(c < len(self._fast) for c in columns):
            import pyarrow.compute as pc

            out = np.zeros(len(self), dtype=bool)
            for c in columns:
                # as str.strip().strip('"'): blanks first, then quotes
                length = pc.utf8_length(pc.utf8_trim(pc.utf8_trim_whitespace(self._fast[c]), characters='"'))
                out |= _values(length, np.int32) == 0
            return out
        return np.array([any(c >= len(row) or not row[c].strip().strip('"') for c in columns) for row in self.rows],
                        dtype=bool)

    def numbers(self, column: int) -> FloatArray:
        """Column `column` as floats; the first field that is not a number raises with its line."""
        fast = self._cast(column, "float64")
        if fast is not None and np.isfinite(fast).all():  # NaN/inf spellings: the exact path decides
            return cast("FloatArray", fast)
        self._check_width(column)
        values = [row[column] for row in self.rows]
        if self.decimal_comma:
            values = [v.replace(",", ".") for v in values]
        try:
            return np.array(values, dtype=np.float64)
        except ValueError:
            pass
        for value, line in zip(values, self.line_numbers, strict=True):
            text = value.strip()
            try:
                float(text)
            except ValueError:
                shown = text if len(text) <= 20 else text[:17] + "..."
                raise InputFileError(self.where, f"'{shown}' is not a number", line) from None
        raise InputFileError(self.where, f"column '{self.columns[column]}' cannot be read as numbers")

    def integers(self, column: int) -> IntArray:
        """Column `column` as 64-bit integers (nanosecond and microsecond clocks lose digits as floats)."""
        fast = self._cast(column, "int64")
        if fast is not None:
            return cast("IntArray", fast)
        self._check_width(column)
        values = [row[column].strip() for row in self.rows]
        try:
            return np.array(values, dtype=np.int64)
        except (ValueError, OverflowError):
            pass
        for value, line in zip(values, self.line_numbers, strict=True):
            try:
                int(value)
            except ValueError:
                shown = value if len(value) <= 24 else value[:21] + "..."
                raise InputFileError(self.where, f"'{shown}' is not a whole number", line) from None
            if not -(2**63) <= int(value) < 2**63:
                raise InputFileError(self.where, f"'{value}' is out of range for a timestamp", line)
        raise InputFileError(self.where, f"column '{self.columns[column]}' cannot be read as whole numbers")

    def head(self, n: int) -> Table:
        """The first `n` rows."""
        fast = None if self._fast is None else [a.slice(0, n) for a in self._fast]
        rows = None if self._rows is None else self._rows[:n]
        return Table(self.where, self.columns, rows, self._line_numbers[:n], self.decimal_comma, fast,
                     lambda: self.rows[:n])

    def _cast(self, column: int, kind: str) -> Any:
        """The fast path's column as numbers, or None where it has none or the cast refuses a value."""
        if self._fast is None or column >= len(self._fast):
            return None
        import pyarrow as pa
        import pyarrow.compute as pc

        values = self._fast[column]
        if self.decimal_comma and kind == "float64":
            values = pc.replace_substring(values, ",", ".")
        try:
            # float(" 1.5") and int(" 7") allow the blanks around a number; the cast does not.
            cast = pc.cast(pc.utf8_trim_whitespace(values), pa.float64() if kind == "float64" else pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        if cast.null_count:
            return None
        return _values(cast, np.float64 if kind == "float64" else np.int64)

    def _check_width(self, column: int) -> None:
        if column < self.min_width:
            return
        for row, line in zip(self.rows, self.line_numbers, strict=True):
            if len(row) <= column:
                raise InputFileError(
                    self.where, f"expected at least {column + 1} fields, found {len(row)} (truncated line?)", line
                )


def first_lines(text: str, n: int) -> list[str]:
    """`text.splitlines()[:n]` without splitting the whole of a big file."""
    cut = -1
    for _ in range(n):
        cut = text.find("\n", cut + 1)
        if cut < 0:
            return text.splitlines()[:n]
    return text[: cut + 1].splitlines()[:n]


def first_line(text: str) -> str:
    """The first line as `text.splitlines()[0]` gives it ("" for blank text)."""
    return (first_lines(text, 1) or [""])[0] if text.strip() else ""


def read_table(where: str, text: str, header_index: int = 0, delimiter: str | None = None,
               fast: bool | None = None) -> Table:
    """The table whose header is line `header_index` of `text` (0-based); blank lines are skipped.

    `fast` forces the pyarrow path on or off (tests compare the two); by default tables of
    csvrows.FAST_MIN_BYTES or more take it (below, importing pyarrow costs more than it saves), and
    every table once pyarrow is loaded anyway."""
    head = first_lines(text, header_index + 1)
    if header_index >= len(head):
        raise InputFileError(where, "file is empty")
    header = head[header_index]
    sep = delimiter or sniff_delimiter(header)
    columns = [clean_name(f) for f in header.split(sep)]
    if use_fast_path(len(text), fast):
        table = _fast_table(where, text, header_index, sep, columns)
        if table is not None:
            return table
    lines = text.splitlines()
    body = lines[header_index + 1 :]
    first = header_index + 2
    numbers = [n for n, line in enumerate(body, start=first) if line and not line.isspace()]
    if not numbers:
        raise InputFileError(where, "no samples (the file has a header but no data rows)")
    rows = [body[n - first].split(sep) for n in numbers]
    return Table(where, columns, rows, np.asarray(numbers, dtype=np.int64), sep != ",")


_BLANK_LINE = re.compile(rb"(?:^|[\r\n])[ \t]+(?:[\r\n]|$)")
# Line breaks of str.splitlines() beyond \n, \r and \r\n: a text holding any goes the exact way.
_OTHER_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e")


def _fast_table(where: str, text: str, header_index: int, sep: str, columns: list[str]) -> Table | None:
    """The table through pyarrow, or None where only the exact path can vouch for the rows: rows
    outside ASCII or with line breaks other than \\n and \\r, a line of blanks, rows of different
    widths. (The lines above the rows — header, preamble — may hold anything: they are read apart.)"""
    cut = -1
    for _ in range(header_index + 1):
        cut = text.find("\n", cut + 1)
        if cut < 0:
            return None
    if len(text[: cut + 1].splitlines()) != header_index + 1:  # another break above the rows
        return None
    body = text[cut + 1 :]
    if not body.isascii() or any(b in body for b in _OTHER_BREAKS):
        return None
    raw = body.encode("ascii")
    spans = line_spans(raw, cr_is_break=True)
    if spans is None:  # other control characters
        return None
    starts, ends = spans
    nonempty = ends > starts
    if not nonempty.any():
        return None  # the exact path says there are no samples
    # a line of blanks only: str.isspace() skips it, pyarrow would read a row (rare: looked for
    # with a quick scan first, the exact pattern only where one may be)
    if raw[:1] in (b" ", b"\t") or any(p in raw for p in _BLANK_STARTS):
        if _BLANK_LINE.search(raw):
            return None
    first = int(np.flatnonzero(nonempty)[0])
    arrays = _read_fast(raw, sep, int(nonempty.sum()), raw[int(starts[first]) : int(ends[first])])
    if arrays is None:
        return None
    line_numbers = np.flatnonzero(nonempty).astype(np.int64) + header_index + 2

    def exact_rows() -> list[list[str]]:
        return [line.split(sep) for line in text.splitlines()[header_index + 1 :] if line and not line.isspace()]

    return Table(where, columns, None, line_numbers, sep != ",", arrays, exact_rows)


_BLANK_STARTS = (b"\n ", b"\n\t", b"\r ", b"\r\t")


def _values(array: Any, dtype: Any) -> Any:
    """A null-free pyarrow array's values as numpy, straight from its buffer (Arrow's to_numpy()
    imports pandas first where it is installed: 0.3 s on a cold start; csvrows.parse_fast)."""
    return np.frombuffer(array.buffers()[1], dtype=dtype)[array.offset : array.offset + len(array)].copy()


def _read_fast(body: bytes, sep: str, n_rows: int, first_row: bytes) -> list[Any] | None:
    """Every row's fields as pyarrow string arrays, or None where pyarrow's rows could differ from
    `str.split(sep)` of the lines: a row of another width than the first, or another row count."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    width = first_row.count(sep.encode()) + 1
    names = [f"f{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(column_names=names),
            # str.split knows no quotes or escapes: neither may the fast path.
            parse_options=pacsv.ParseOptions(delimiter=sep, quote_char=False, double_quote=False, escape_char=False,
                                              newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[],
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != n_rows:
        return None
    return [table.column(n).combine_chunks() for n in names]
