"""The small broken (and two good) files in fixtures/bad/ that the reader tests feed to load_session.

Each is written out literally so a reader test can say exactly which line is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

_REST = [
    "0.000,0.012,-0.020,0.998,0.21,-0.35,0.10",
    "0.010,0.011,-0.021,0.999,0.18,-0.31,0.12",
    "0.020,0.013,-0.019,0.997,0.25,-0.33,0.08",
    "0.030,0.012,-0.022,1.001,0.19,-0.36,0.11",
    "0.040,0.010,-0.020,0.998,0.22,-0.30,0.09",
]
_HEADER = "t,ax,ay,az,gx,gy,gz"

_SESSION_META = {
    "format": "sensortrack-session",
    "version": 1,
    "columns": ["t_s", "ax_g", "ay_g", "az_g", "gx_dps", "gy_dps", "gz_dps"],
    "sensor": {"model": "WitMotion WT9011DCL", "placement": "thigh", "side": "left", "nominal_rate_hz": 100.0,
               "name": "WT901BLE68", "address": "", "clock": "device"},
    "exercise": "squat",
    "start_time_utc": "2025-01-06T09:00:00+00:00",
    "software_version": "0.1.0",
    "source": "record",
    "notes": "hand-written: the recorder was killed mid-row (no '# end' line)",
    "attribution": "",
}

BAD_FILES: dict[str, str] = {
    "empty.csv": "",
    "header_only.csv": _HEADER + "\n",
    # The last row stops after three fields, as when a copy or a write was cut off.
    "truncated_mid_line.csv": "\n".join([_HEADER, *_REST, "0.050,0.011,-0.0"]),
    "non_numeric.csv": "\n".join([_HEADER, *_REST[:3], "0.030,0.012,abc,1.001,0.19,-0.36,0.11", _REST[4]]) + "\n",
    "nan.csv": "\n".join([_HEADER, *_REST[:2], "0.020,nan,-0.019,0.997,0.25,-0.33,0.08", *_REST[3:]]) + "\n",
    "time_backwards.csv": "\n".join([_HEADER, *_REST[:3], "0.015,0.012,-0.022,1.001,0.19,-0.36,0.11", _REST[4]]) + "\n",
    "time_repeats.csv": "\n".join([_HEADER, *_REST[:3], "0.020,0.012,-0.022,1.001,0.19,-0.36,0.11", _REST[4]]) + "\n",
    "missing_columns.csv": "\n".join(["t,ax,ay,gx,gy,gz"] + [",".join(r.split(",")[:3] + r.split(",")[4:]) for r in _REST])
    + "\n",
    # Accelerations in m/s² (a phone logger's default) instead of g.
    "ms2_units.csv": "\n".join(
        [_HEADER]
        + [
            ",".join([r.split(",")[0]] + [f"{float(v) * 9.80665:.4f}" for v in r.split(",")[1:4]] + r.split(",")[4:])
            for r in _REST
        ]
    )
    + "\n",
    "partial_gyro_columns.csv": "\n".join(["t,ax,ay,az,gx,gy"] + [",".join(r.split(",")[:6]) for r in _REST]) + "\n",
    # A session file whose recorder died: no '# end' line and a torn last row. Must still load.
    "crashed_session.csv": "\n".join(
        [
            "# sensortrack-session 1",
            "# meta " + json.dumps(_SESSION_META),
            "t_s,ax_g,ay_g,az_g,gx_dps,gy_dps,gz_dps",
            *_REST,
            '# gap {"start_s": 0.04, "end_s": 0.08, "lost_samples": 3}',
            "0.080,0.012,-0.021,0.999,0.20,-0.32,0.10",
            "0.090,0.011,-0.020,0.998,0.2",
        ]
    ),
}


def _interchange_ok() -> str:
    """Two seconds of a thigh tilting forward and back at 50 Hz, with extra columns readers must ignore."""
    t = np.arange(100) / 50.0
    tilt = np.radians(40.0) * np.sin(np.pi * t / 2.0) ** 2  # 0 → 40° → 0 over two seconds
    rate = np.degrees(np.gradient(tilt, t))
    lines = ["seq,t,ax,ay,az,gx,gy,gz,temp_c,label"]
    for i in range(t.size):
        # A sensor turning by +tilt about its y axis sees gravity's reaction R^T·ẑ = (−sin, 0, cos).
        ax, az = -np.sin(tilt[i]), np.cos(tilt[i])
        lines.append(f"{i},{t[i]:.3f},{ax:.4f},0.0000,{az:.4f},0.00,{rate[i]:.2f},0.00,31.5,squat")
    return "\n".join(lines) + "\n"


GOOD_FILES: dict[str, str] = {
    "interchange_ok.csv": _interchange_ok(),
    "interchange_ok.json": json.dumps({"exercise": "squat", "placement": "thigh", "side": "left"}, indent=1) + "\n",
}


def write_bad_files(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in {**BAD_FILES, **GOOD_FILES}.items():
        path = out_dir / name
        path.write_bytes(text.encode("utf-8"))  # bytes: the same line endings on every OS
        written.append(path)
    return written
