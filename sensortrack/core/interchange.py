"""The plain interchange CSV other tools write: a header row with t,ax,ay,az[,gx,gy,gz] (s, g, °/s),
or t_s,ax_g,ay_g,az_g[,gx_dps,gy_dps,gz_dps] as `sensortrack export` writes them.

Other columns are ignored; the gyro columns are optional (accelerometer-only sensors: Polar H10,
phone loggers, the MEx data). An optional sidecar NAME.json beside NAME.csv may give `exercise`,
`placement` and `side`.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import NDArray

from sensortrack.core.csvrows import as_line_index, line_spans, parse_fast, parse_rows, plain_line_count, read_fast_or_exact
from sensortrack.core.errors import InputFileError
from sensortrack.core.model import EXERCISES, PLACEMENTS, SIDES, FloatArray, SampleBlock, SensorInfo, Session, SessionMeta
from sensortrack.core.validation import check_samples, estimate_rate_hz, find_gaps, impossible_samples, merge_gaps

REQUIRED = ["t", "ax", "ay", "az"]
GYRO = ["gx", "gy", "gz"]
# The same columns with their units in the name, as `sensortrack export --format csv` (and the
# session file) writes them: the product reads its own export back.
UNIT_NAMES = {"t_s": "t", "ax_g": "ax", "ay_g": "ay", "az_g": "az", "gx_dps": "gx", "gy_dps": "gy", "gz_dps": "gz"}


# The keys a sidecar may hold; a JSON object beside the CSV with none of them is not one.
SIDECAR_KEYS = ("exercise", "placement", "side", "model", "notes", "attribution")


def read_sidecar(csv_path: Path) -> dict[str, Any]:
    """`exercise`, `placement`, `side` (and `model`, `notes`, `attribution`) from NAME.json next to
    NAME.csv; {} when there is none.

    A NAME.json that is valid JSON but not an object holding any sidecar key is some other file of the
    user's (a phone app's JSON export of the same recording, say), not a sidecar: it is left alone
    rather than refusing the CSV. One that is not valid JSON is most likely a hand-written sidecar with
    a typo, and is refused in one line, since silently ignoring it would drop what the user meant.
    """
    sidecar = csv_path.with_suffix(".json")
    if not sidecar.is_file():
        return {}
    try:
        raw = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(str(sidecar), f"sidecar is not valid JSON ({exc})") from None
    except RecursionError:
        raise InputFileError(str(sidecar), "sidecar is not valid JSON (nested too deeply)") from None
    if not isinstance(raw, dict) or not any(key in raw for key in SIDECAR_KEYS):
        return {}
    for key, allowed in (("exercise", EXERCISES), ("placement", PLACEMENTS), ("side", SIDES)):
        value = raw.get(key)
        if value is not None and value not in allowed:
            raise InputFileError(str(sidecar), f"{key} '{value}' is not one of {', '.join(allowed)}")
    return raw


# How much of a file `plain_interchange_head` sees; the export formats' recognisers look at the same
# (core/formats/registry.py takes its HEAD_BYTES from here), so no header they read lies beyond it.
HEAD_BYTES = 16 * 1024
# The end of a zip archive's central directory and how far from the end it may lie (22 bytes plus a
# comment of up to 65535; PKWARE APPNOTE.TXT 4.3.16): where zipfile.is_zipfile looks for it.
_ZIP_END_SIGNATURE = b"PK\x05\x06"
_ZIP_END_SEARCH_BYTES = 22 + 65535
# Every column name a plain interchange header may hold for the shortcut below (lowercase, as written).
_PLAIN_NAMES = frozenset(REQUIRED + GYRO) | frozenset(UNIT_NAMES)
# Bytes of the rows after such a header, for the shortcut: numbers, commas, blanks and line breaks.
_PLAIN_ROW_BYTES = b"0123456789+-.eE, \t\r\n"


def plain_interchange_head(head: bytes) -> bool:
    """True when `head` (a file's first HEAD_BYTES) is a header of interchange columns only
    (t,ax,ay,az[,gx,gy,gz] or their `_s`/`_g`/`_dps` names, lowercase, comma-separated) followed
    by rows of nothing but numbers, commas and blanks.

    None of the export formats can claim such a head: each needs a word of its own app in a header
    (`Time (s)`, `Timestamp`, `PacketCounter`, `time,seconds_elapsed`, `Phone timestamp;`, ...),
    which neither these names nor these rows hold. `load_session` then reads the file as interchange
    CSV without importing the export readers (~15 ms of CPU, ~30 ms wall of every `analyze` of a plain
    CSV here; issue 12);
    tests/test_plain_interchange_head.py checks the claim against every recogniser.
    """
    head = head.removeprefix(codecs.BOM_UTF8)
    end = head.find(b"\n")
    first, rest = (head, b"") if end < 0 else (head[:end], head[end + 1 :])
    if first.endswith(b"\r"):
        first = first[:-1]
    if not first.isascii() or rest.translate(None, _PLAIN_ROW_BYTES):
        return False
    names = [name.strip() for name in first.decode("ascii").split(",")]
    return bool(names) and all(name in _PLAIN_NAMES for name in names)


def is_plain_interchange(path: Path) -> bool:
    """`path` is to be read as interchange CSV because no export format nor the zip reader could
    claim it (see `plain_interchange_head`); False when it might be something else (then
    `load_session` asks the export registry, as for any other file). Never raises."""
    try:
        with path.open("rb") as fh:
            return is_plain_interchange_open(path, fh, fh.read(HEAD_BYTES))
    except OSError:
        return False  # the usual path words the error


def is_plain_interchange_open(path: Path, fh: BinaryIO, head: bytes) -> bool:
    """`is_plain_interchange` for `path` open as `fh`, whose first HEAD_BYTES are `head` (read once
    by `load_session` for every check of its kind); moves `fh`'s position. OSError is the caller's."""
    if path.suffix.lower() == ".zip":  # is_zip_archive judges these by their name too
        return False
    if not plain_interchange_head(head):
        return False
    # A zip's directory sits at its end: a file that holds one is the zip reader's to judge.
    size = fh.seek(0, 2)
    fh.seek(max(0, size - _ZIP_END_SEARCH_BYTES))
    return _ZIP_END_SIGNATURE not in fh.read(_ZIP_END_SEARCH_BYTES)


def read_interchange_csv(path: Path, *, fast: bool | None = None) -> Session:
    """Read an interchange CSV: pyarrow's reader for big files, else (or when it declines) the exact path.

    `fast` forces the choice (tests compare the two); the exact path alone words the errors.
    """
    return read_fast_or_exact(path, fast, _read_fast, _read_exact)


def _columns(name: str, header_text: str, header_line: int) -> tuple[list[str], list[str], bool]:
    """The header's column names, the columns used (in order) and whether gyro columns are there."""
    header = [h.strip().strip('"').lower() for h in header_text.split(",")]
    if not set(REQUIRED) <= set(header):
        header = [UNIT_NAMES.get(h, h) for h in header]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputFileError(
            name,
            f"missing column(s) {', '.join(missing)}: the header needs t,ax,ay,az (s, g) and optionally gx,gy,gz (°/s)",
            header_line + 1,
        )
    gyro_present = [c for c in GYRO if c in header]
    if gyro_present and len(gyro_present) != 3:
        absent = [c for c in GYRO if c not in header]
        raise InputFileError(name, f"gyro columns must come as a set: missing {', '.join(absent)}", header_line + 1)
    return header, REQUIRED + (GYRO if gyro_present else []), bool(gyro_present)


def _read_fast(path: Path) -> Session | None:
    """The file through pyarrow's CSV reader; None when only the exact path can vouch for it.

    Takes the common shape only: the header on the first line, ASCII rows (see csvrows.line_spans).
    The body is parsed where it lies in the file's bytes, straight into the arrays the engine uses
    (issue 12: each full-size copy costs fresh memory, slow to touch first here).
    """
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    raw = raw.removeprefix(codecs.BOM_UTF8)  # spreadsheets like to add a BOM
    end = raw.find(b"\n")
    if end <= 0:
        return None
    try:
        header_text = raw[:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if header_text.endswith("\r"):
        header_text = header_text[:-1]
    if not header_text.strip() or header_text.splitlines() != [header_text]:
        return None  # a blank first line, or one str.splitlines() would cut: the exact path's job
    header, used, gyro_present = _columns(name, header_text, 0)
    groups: list[int | list[int]] = [header.index("t"), [header.index(c) for c in used[1:4]]]
    groups += [[header.index(c) for c in GYRO]] if gyro_present else []
    start = end + 1
    lines = plain_line_count(raw, start)
    if lines is not None:  # every line a row, if pyarrow reads as many (it skips empty lines)
        line_of_row = np.arange(2, lines + 2, dtype=np.int64)  # line 1 is the header
    else:  # \r line ends, a byte outside printable ASCII: count the non-empty lines exactly
        raw = raw[start:]
        start = 0
        spans = line_spans(raw, cr_is_break=True)
        if spans is None:
            return None
        starts, ends = spans
        line_of_row = np.flatnonzero(ends > starts) + 2
    columns = parse_fast(raw, len(header), groups, line_of_row.size, start)
    if columns is None:
        return None
    return _session(name, path, columns[0], columns[1], columns[2] if gyro_present else None, line_of_row)


def _read_exact(path: Path) -> Session:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets like to add a BOM
    except UnicodeDecodeError:
        raise InputFileError(name, "not a text file (invalid UTF-8)") from None
    except OSError as exc:
        raise InputFileError(name, f"cannot read: {exc.strerror}") from None
    if not text.strip():
        raise InputFileError(name, "file is empty")
    lines = text.splitlines()
    header_line = next((i for i, line in enumerate(lines) if line.strip()), 0)
    header, used, gyro_present = _columns(name, lines[header_line], header_line)
    rows: list[str] = []
    row_lines: list[int] = []
    for number, line in enumerate(lines[header_line + 1 :], start=header_line + 2):
        if line.strip():
            rows.append(line)
            row_lines.append(number)
    if not rows:
        raise InputFileError(name, "no samples (the file has a header but no data rows)")
    data = parse_rows(name, rows, row_lines, len(header), [header.index(c) for c in used])
    gyro = data[:, 4:7].copy() if gyro_present else None
    return _session(name, path, data[:, 0].copy(), data[:, 1:4].copy(), gyro, as_line_index(row_lines))


def _session(
    name: str, path: Path, t_s: FloatArray, acc: FloatArray, gyro: FloatArray | None, line_of_row: NDArray[np.int64]
) -> Session:
    """Checks and metadata shared by both paths: every sample check belongs here, so both run it."""
    check_samples(name, t_s, acc, gyro, line_of_row)
    if t_s.size < 2:  # the rate comes from the timestamps alone
        raise InputFileError(name, "only one sample: at least two are needed to know the sample rate")
    keep, impossible = impossible_samples(name, t_s, acc, gyro)
    if not keep.all():
        t_s, acc = t_s[keep], acc[keep]
        gyro = None if gyro is None else gyro[keep]

    side_info = read_sidecar(path)
    rate_hz = estimate_rate_hz(t_s)
    sensor = SensorInfo(
        model=str(side_info.get("model", "csv")),
        placement=side_info.get("placement"),
        side=side_info.get("side"),
        nominal_rate_hz=round(rate_hz, 3),
    )
    meta = SessionMeta(
        sensor=sensor,
        exercise=side_info.get("exercise"),
        source="import:csv",
        notes=str(side_info.get("notes", "")),
        attribution=str(side_info.get("attribution", "")),
    )
    samples = SampleBlock(t_s=t_s, acc_g=acc, gyro_dps=gyro, sensor=sensor)
    return Session(meta=meta, samples=samples, gaps=merge_gaps(impossible, find_gaps(t_s, rate_hz)), path=name)
