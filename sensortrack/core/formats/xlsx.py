"""Excel workbooks (.xlsx) as text tables: each worksheet becomes one CSV member named after it.

phyphox's "Excel" export writes one worksheet per export set, named after the set ("Accelerometer",
"Gyroscope", ...): a header row with the same column names as its CSV export ("Time (s)",
"Acceleration x (m/s^2)", ...), then one row of numbers per sample; cells of a column shorter than
the longest hold the text "NaN" (phyphox/phyphox-ios ExperimentExportSet.swift serializeToXlsx,
"laid out like the Android implementation (DataExport.ExcelFormat)"). Turned into CSV text, such a
workbook is read by the phyphox reader like the CSV zip (a "NaN" padding cell becomes an empty
cell, as the CSV export's padding is).

openpyxl reads the workbook (pyproject.toml says why): an .xlsx is a zip of XML parts whose
shared strings, inline strings, number formats and sparse rows a hand-written reader would have to
get right too.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from sensortrack.core.errors import InputFileError

# The part every Office Open XML workbook has (ECMA-376 Part 2, the package's main document).
WORKBOOK_PART = "xl/workbook.xml"
# A recording sheet is a few columns by some 10^5 rows; past this it is not one (memory guard).
MAX_CELLS = 20_000_000


def is_workbook(path: Path) -> bool:
    """`path` is a zip holding an Excel workbook (checked by its parts, not its name)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return WORKBOOK_PART in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return "" if value.strip() == "NaN" else value  # phyphox's padding of a shorter column
    if isinstance(value, float):
        return repr(value)
    return str(value)


def workbook_members(path: Path) -> dict[str, bytes]:
    """Every worksheet as "<sheet name>.csv" (comma-separated, UTF-8); errors are one line."""
    try:
        import openpyxl
    except ImportError:  # a broken install: the dependency is declared
        raise InputFileError(str(path), "reading .xlsx needs openpyxl (pip install openpyxl)") from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook (KeyError, XML errors)
        raise InputFileError(str(path), f"is a damaged Excel workbook ({type(exc).__name__})") from None
    members: dict[str, bytes] = {}
    cells = 0
    try:
        for sheet in book.worksheets:
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            for row in sheet.iter_rows(values_only=True):
                cells += len(row)
                if cells > MAX_CELLS:
                    raise InputFileError(str(path), "holds more cells than a recording export can")
                writer.writerow([_cell_text(v) for v in row])
            members[f"{sheet.title}.csv"] = out.getvalue().encode("utf-8")
    except InputFileError:
        raise
    except Exception as exc:
        raise InputFileError(str(path), f"is a damaged Excel workbook ({type(exc).__name__})") from None
    finally:
        book.close()
    return members
