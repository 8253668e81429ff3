"""`sensortrack export`: samples and the per-rep table as CSV, JSON or Parquet.

Column names carry their units (t_s, ax_g, gx_dps, range_deg) in every format. CSV and Parquet
write two files, samples and reps (`OUT` and `OUT-reps` with the same extension); JSON writes one
object holding both. Outputs are written to a temporary name and renamed, never over an existing
file unless forced, and never over the session they come from.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from sensortrack.library.cli_options import EXPORT_FORMATS
from sensortrack.library.outputs import atomic_path, atomic_write_text, check_output
from sensortrack.library.records import AnalysisSummary, SessionRecord, SetRow, noted_set, rep_to_dict, set_to_dict
from sensortrack.core.model import FloatArray, Session
from sensortrack.core.result_schema import REP_FIELDS, RESULT_SCHEMA_VERSION
from sensortrack.core.sessionfile import ACC_COLUMNS, GYRO_COLUMNS, QUAT_COLUMNS

EXPORT_FORMAT = "sensortrack-export"
# 2: the rep table in the result schema (docs/result-schema.md: `index`, `warnings` and the two-sensor
# fields; 1 had `rep` and `knee_drift_warning`).
EXPORT_VERSION = 2

UNITS = {
    "t_s": "s",
    "ax_g, ay_g, az_g": "g (specific force, sensor frame; 1 g = 9.80665 m/s²)",
    "gx_dps, gy_dps, gz_dps": "degrees per second (sensor frame)",
    "qw, qx, qy, qz": "unit quaternion, scalar first (sensor's own orientation estimate)",
    "*_deg": "degrees",
    "*_s": "seconds since the start of the recording (t_s) or durations",
}
# The rep table: every rep field of the result schema (docs/result-schema.md), then its set's
# exercise and the wearer's note on that set. In CSV and Parquet the list fields (`warnings`,
# `notes`) are texts joined by "; " and `warning_details` is JSON text.
SET_COLUMNS = ["exercise", "set_rpe", "set_pain", "set_pain_where"]
REP_COLUMNS = [*REP_FIELDS, *SET_COLUMNS]
_LIST_COLUMNS = ("warnings", "notes")
_FLAG_COLUMNS = ("shallow", "calibrated")
_COLUMN_UNITS = {"t_s": "s", **{c: "g" for c in ACC_COLUMNS}, **{c: "deg/s" for c in GYRO_COLUMNS}}
_DECIMALS = {"t_s": 6, **{c: 6 for c in ACC_COLUMNS}, **{c: 4 for c in GYRO_COLUMNS}, **{c: 6 for c in QUAT_COLUMNS}}


def sample_columns(session: Session) -> dict[str, FloatArray]:
    """The samples as named columns, in the session file's order."""
    s = session.samples
    columns: dict[str, FloatArray] = {"t_s": s.t_s}
    columns.update({name: s.acc_g[:, i] for i, name in enumerate(ACC_COLUMNS)})
    if s.gyro_dps is not None:
        columns.update({name: s.gyro_dps[:, i] for i, name in enumerate(GYRO_COLUMNS)})
    if s.quat_wxyz is not None:
        columns.update({name: s.quat_wxyz[:, i] for i, name in enumerate(QUAT_COLUMNS)})
    return columns


def export_metadata(session: Session, summary: AnalysisSummary, record: SessionRecord | None) -> dict[str, Any]:
    meta = session.meta
    t_s = session.samples.t_s
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "schema_version": RESULT_SCHEMA_VERSION,
        "library_id": record.id if record else None,
        "start_time_utc": record.facts.start_time_utc if record else meta.start_time_utc,
        "exercise": meta.exercise,
        "placement": meta.sensor.placement,
        "side": meta.sensor.side,
        "sensor": asdict(meta.sensor),
        "source": meta.source,
        "software_version": meta.software_version,
        "notes": meta.notes,
        "attribution": meta.attribution,
        "interrupted": session.interrupted,
        "sample_count": len(session.samples),
        "duration_s": round(float(t_s[-1] - t_s[0]), 3) if len(t_s) else 0.0,
        "gaps": [asdict(g) for g in session.gaps],
        "sensors": 1 + len(session.companions),
        "pair": summary.pair,
        "pair_measures": json.loads(summary.pair_json) if summary.pair_json else None,
        "units": UNITS,
        "analysis": {
            "status": summary.status,
            "message": summary.message,
            "software_version": summary.version,
            "analyzed_utc": summary.analyzed_utc,
            "settings": json.loads(summary.settings_json or "{}"),
        },
    }


def output_paths(out: Path, fmt: str, name: str) -> tuple[Path, Path | None]:
    """(samples file, reps file or None): `-o DIR` → DIR/NAME.ext + DIR/NAME-reps.ext; `-o OUT.ext` →
    OUT.ext + OUT-reps.ext. JSON has no second file."""
    ext = f".{fmt}"
    if out.is_dir():
        out = out / f"{name}{ext}"
    elif not out.suffix:
        out = out.with_suffix(ext)
    reps = None if fmt == "json" else out.with_name(f"{out.stem}-reps{out.suffix}")
    return out, reps


def export_session(
    session: Session,
    summary: AnalysisSummary,
    record: SessionRecord | None,
    fmt: str,
    out: Path,
    name: str,
    *,
    force: bool = False,
) -> list[Path]:
    """Write the export; returns the files written."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    samples_path, reps_path = output_paths(Path(out).expanduser(), fmt, name)
    targets = [p for p in (samples_path, reps_path) if p is not None]
    sources = [Path(p) for p in (session.path, record.file_path if record else None) if p]
    for target in targets:
        check_output(target, sources, force)
    metadata = export_metadata(session, summary, record)
    columns = sample_columns(session)
    sets = [noted_set(s, session) for s in summary.sets]
    by_index = {(s.side, s.set_index): s for s in sets}
    reps = [{**rep_to_dict(r), **_set_columns(by_index.get((r.side, r.set_index)))} for r in summary.reps]
    if fmt == "csv":
        atomic_write_text(samples_path, lambda fh: _write_samples_csv(fh, columns))
        assert reps_path is not None
        atomic_write_text(reps_path, lambda fh: _write_reps_csv(fh, reps))
    elif fmt == "json":
        document = {
            **metadata,
            "samples": {k: _json_floats(v, _DECIMALS.get(k, 6)) for k, v in columns.items()},
            "sets": [set_to_dict(s) for s in sets],  # each rep names its set: they are listed apart
            "reps": reps,
        }
        atomic_write_text(samples_path, lambda fh: fh.write(json.dumps(document, ensure_ascii=False, allow_nan=False)))
    else:
        assert reps_path is not None
        _write_parquet(samples_path, reps_path, columns, reps, metadata)
    return targets


def _set_columns(row: SetRow | None) -> dict[str, Any]:
    if row is None:
        return {"exercise": None, "set_rpe": None, "set_pain": None, "set_pain_where": None}
    return {"exercise": row.exercise, "set_rpe": row.rpe, "set_pain": row.pain, "set_pain_where": row.pain_where}


def _write_samples_csv(fh: TextIO, columns: dict[str, FloatArray]) -> None:
    fh.write(",".join(columns) + "\n")
    if not columns or len(next(iter(columns.values()))) == 0:
        return
    data = np.column_stack(list(columns.values()))
    fmt = [f"%.{_DECIMALS.get(name, 6)}f" for name in columns]
    np.savetxt(fh, data, fmt=fmt, delimiter=",")


def rep_table_row(rep: dict[str, Any]) -> dict[str, Any]:
    """A rep (with its set's columns) as one flat row of scalars, for CSV and Parquet."""
    row = {k: rep[k] for k in REP_COLUMNS}
    for name in _LIST_COLUMNS:
        row[name] = "; ".join(row[name])
    row["warning_details"] = json.dumps(row["warning_details"], ensure_ascii=False)
    return row


def _write_reps_csv(fh: TextIO, reps: list[dict[str, Any]]) -> None:
    writer = csv.DictWriter(fh, fieldnames=REP_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for rep in reps:
        row = rep_table_row(rep)
        # 1/0 and empty cells: what spreadsheets and pandas read without a converter.
        for flag in _FLAG_COLUMNS:
            row[flag] = int(bool(row[flag]))
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})


def _json_floats(values: FloatArray, decimals: int) -> list[float | None]:
    return [None if math.isnan(v) else v for v in np.round(values, decimals).tolist()]


def _write_parquet(
    samples_path: Path,
    reps_path: Path,
    columns: dict[str, FloatArray],
    reps: list[dict[str, Any]],
    metadata: dict[str, Any],
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = [
        pa.field(name, pa.float64(), metadata={"unit": _COLUMN_UNITS[name]} if name in _COLUMN_UNITS else None)
        for name in columns
    ]
    key_value = {"sensortrack": json.dumps(metadata, ensure_ascii=False)}
    samples = pa.table(list(columns.values()), schema=pa.schema(fields, metadata=key_value))
    rep_types = {
        "set": pa.int32(),
        "index": pa.int32(),
        **{c: pa.bool_() for c in _FLAG_COLUMNS},
        **{c: pa.string() for c in (*_LIST_COLUMNS, "warning_details", "step", "side", "knee_drift_source")},
        "exercise": pa.string(),
        "set_rpe": pa.int32(),
        "set_pain": pa.int32(),
        "set_pain_where": pa.string(),
    }
    rep_schema = pa.schema([pa.field(c, rep_types.get(c, pa.float64())) for c in REP_COLUMNS], metadata=key_value)
    rep_table = pa.Table.from_pylist([rep_table_row(r) for r in reps], schema=rep_schema)
    with atomic_path(samples_path) as temp:
        pq.write_table(samples, temp)
    with atomic_path(reps_path) as temp:
        pq.write_table(rep_table, temp)
