"""Delimited tables as vendor apps write them: a header row (sometimes after a preamble), then rows.

Separators differ (`,` `;` tab), some apps quote their header names, some write decimal commas in
`;`- or tab-separated files (phyphox's "decimal comma" exports). Numbers are converted per column;
the first field that is not a number is reported as one line with file and line number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sensortrack.errors import InputFileError
from sensortrack.model import FloatArray

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


@dataclass(frozen=True, slots=True)
class Table:
    where: str  # the file (or folder/zip member) errors name
    columns: list[str]
    rows: list[list[str]]
    line_numbers: list[int]  # 1-based file line of each row
    decimal_comma: bool
    min_width: int  # the fewest fields of any row

    def has(self, name: str) -> bool:
        return name in self.columns

    def index(self, name: str) -> int:
        try:
            return self.columns.index(name)
        except ValueError:
            raise InputFileError(self.where, f"has no column '{name}'") from None

    @property
    def lines(self) -> IntArray:
        return np.asarray(self.line_numbers, dtype=np.int64)

    def text(self, column: int) -> list[str]:
        self._check_width(column)
        return [row[column].strip().strip('"') for row in self.rows]

    def numbers(self, column: int) -> FloatArray:
        """Column `column` as floats; the first field that is not a number raises with its line."""
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
        rows = self.rows[:n]
        return Table(self.where, self.columns, rows, self.line_numbers[:n], self.decimal_comma,
                     min(map(len, rows)) if rows else 0)

    def _check_width(self, column: int) -> None:
        if column < self.min_width:
            return
        for row, line in zip(self.rows, self.line_numbers, strict=True):
            if len(row) <= column:
                raise InputFileError(
                    self.where, f"expected at least {column + 1} fields, found {len(row)} (truncated line?)", line
                )


def read_table(where: str, text: str, header_index: int = 0, delimiter: str | None = None) -> Table:
    """The table whose header is line `header_index` of `text` (0-based); blank lines are skipped."""
    lines = text.splitlines()
    if header_index >= len(lines):
        raise InputFileError(where, "file is empty")
    header = lines[header_index]
    sep = delimiter or sniff_delimiter(header)
    columns = [clean_name(f) for f in header.split(sep)]
    body = lines[header_index + 1 :]
    first = header_index + 2
    numbers = [n for n, line in enumerate(body, start=first) if line and not line.isspace()]
    if not numbers:
        raise InputFileError(where, "no samples (the file has a header but no data rows)")
    rows = [body[n - first].split(sep) for n in numbers]
    return Table(where, columns, rows, numbers, decimal_comma=sep != ",", min_width=min(map(len, rows)))
