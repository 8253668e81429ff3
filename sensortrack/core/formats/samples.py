"""`python -m sensortrack.core.formats.samples`: write fixtures/vendor/, one small recording per format.

No vendor's published sample may be copied here (their licences are unknown or restrictive), so
each sample is generated from the format's documented layout (docs/formats.md) out of the same
simulated movement: the first set of fixtures/simulated/squat_thigh_right.csv (six squats,
thigh, right; 52 Hz), converted back into each app's units, axis signs, clocks and file split.
Deterministic: regenerating reproduces the committed files (tests/test_formats_registry.py).
"""

from __future__ import annotations

from typing import cast

import argparse
import io
import json
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sensortrack.core.model import FloatArray
from sensortrack.core.sessionfile import read_session
from sensortrack.core.validation import STANDARD_GRAVITY_MS2

SOURCE = Path("fixtures/simulated/squat_thigh_right.csv")
CUT_S = 30.0  # the first set (6 reps) ends at 24.6 s
EXPECTED_REPS = 6
START_EPOCH_NS = 1_767_261_600_000_000_000  # 2026-01-01T10:00:00Z
POLAR_EPOCH_OFFSET_NS = 946_684_800_000_000_000  # the Polar sensor clock counts from 2000-01-01
G = STANDARD_GRAVITY_MS2
DEG_TO_RAD = math.pi / 180.0


@dataclass(frozen=True)
class Movement:
    t_s: FloatArray
    acc_g: FloatArray
    gyro_dps: FloatArray

    def gyro_at(self, t_s: FloatArray) -> FloatArray:
        return np.column_stack([np.interp(t_s, self.t_s, self.gyro_dps[:, k]) for k in range(3)])

    def gravity_g(self) -> FloatArray:
        """A smooth estimate of gravity in the sensor frame, as phones' fusion gives it: a 0.5 s
        centred moving average of the acceleration, scaled to 1 g."""
        width = 27  # ~0.5 s at 52 Hz
        kernel = np.ones(width) / width
        padded = np.pad(self.acc_g, ((width // 2, width // 2), (0, 0)), mode="edge")
        smooth = np.column_stack([np.convolve(padded[:, k], kernel, mode="valid") for k in range(3)])
        return cast(FloatArray, smooth / np.linalg.norm(smooth, axis=1, keepdims=True))


def load_movement(root: Path) -> Movement:
    session = read_session(root / SOURCE)
    s = session.samples
    keep = s.t_s < CUT_S
    assert s.gyro_dps is not None
    return Movement(s.t_s[keep], s.acc_g[keep], s.gyro_dps[keep])


def _phyphox_number(value: float) -> str:
    """phyphox's 10-significant-digit scientific notation: 9.364549000E-3, 1.134611602E0."""
    text = f"{value:.9E}"
    mantissa, exponent = text.split("E")
    return f"{mantissa}E{int(exponent)}"


def phyphox_zip(m: Movement) -> bytes:
    acc = m.acc_g * G
    lines = ['"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)","Absolute acceleration (m/s^2)"']
    for t, a in zip(m.t_s, acc, strict=True):
        lines.append(",".join(_phyphox_number(v) for v in (t, *a, float(np.linalg.norm(a)))))
    # The gyroscope runs on its own sensor events: 7 ms later than the accelerometer's.
    gt = m.t_s + 0.007
    gyro = m.gyro_at(gt) * DEG_TO_RAD
    glines = ['"Time (s)","Gyroscope x (rad/s)","Gyroscope y (rad/s)","Gyroscope z (rad/s)","Absolute (rad/s)"']
    for t, w in zip(gt, gyro, strict=True):
        glines.append(",".join(_phyphox_number(v) for v in (t, *w, float(np.linalg.norm(w)))))
    meta = '"property","value"\n"version","1.1.15"\n"build","1011500"\n"fileFormat","1.17"\n"deviceModel","generated"\n'
    time_csv = ('"event","experiment time","system time","system time text"\n'
                '"START",0.000000000E0,1.767261600E9,"2026-01-01 10:00:00.000 UTC+00:00"\n')
    return _zip({"Accelerometer.csv": "\n".join(lines) + "\n", "Gyroscope.csv": "\n".join(glines) + "\n",
                 "meta/device.csv": meta, "meta/time.csv": time_csv})


def _sheet_xml(header: list[str], numbers: list[list[float]]) -> str:
    """One worksheet (ECMA-376 SpreadsheetML): the header as inline strings, then numbers."""
    from xml.sax.saxutils import escape

    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    rows: list[list[str] | list[float]] = [header, *numbers]
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{chr(ord('A') + c)}{r}"
            if isinstance(value, str):
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    out.append("</sheetData></worksheet>")
    return "".join(out)


def phyphox_xlsx(m: Movement) -> bytes:
    """phyphox's "Excel" export of "Acceleration with g" + "Gyroscope": one sheet per set, a header
    row, one row of numbers per sample (ExperimentExportSet.swift serializeToXlsx). Written part by
    part with fixed zip dates (reproducible bytes), read back by openpyxl."""
    acc = m.acc_g * G
    gt = m.t_s + 0.007
    gyro = m.gyro_at(gt) * DEG_TO_RAD
    sheets: dict[str, tuple[list[str], list[list[float]]]] = {
        "Accelerometer": (["Time (s)", "Acceleration x (m/s^2)", "Acceleration y (m/s^2)", "Acceleration z (m/s^2)"],
                          [[round(float(t), 6), *(round(float(v), 6) for v in a)] for t, a in zip(m.t_s, acc, strict=True)]),
        "Gyroscope": (["Time (s)", "Gyroscope x (rad/s)", "Gyroscope y (rad/s)", "Gyroscope z (rad/s)"],
                      [[round(float(t), 6), *(round(float(v), 6) for v in w)] for t, w in zip(gt, gyro, strict=True)]),
    }
    ns = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
    doc = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                      'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                      for i in range(1, len(sheets) + 1))
            + "</Types>"),
        "_rels/.rels": (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships {ns}>'
                        f'<Relationship Id="rId1" Type="{doc}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{doc}"><sheets>'
            + "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(sheets, start=1))
            + "</sheets></workbook>"),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships {ns}>'
            + "".join(f'<Relationship Id="rId{i}" Type="{doc}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, len(sheets) + 1))
            + "</Relationships>"),
    }
    for i, (header, numbers) in enumerate(sheets.values(), start=1):
        files[f"xl/worksheets/sheet{i}.xml"] = _sheet_xml(header, numbers)
    return _zip(files)


def phyphox_raw_data(m: Movement) -> str:
    """A single-set "Acceleration with g" export (Raw Data.csv): accelerometer only."""
    acc = m.acc_g * G
    lines = ['"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)","Absolute acceleration (m/s^2)"']
    for t, a in zip(m.t_s, acc, strict=True):
        lines.append(",".join(_phyphox_number(v) for v in (t, *a, float(np.linalg.norm(a)))))
    return "\n".join(lines) + "\n"


def _sensor_logger_csv(t_s: FloatArray, xyz: FloatArray) -> str:
    lines = ["time,seconds_elapsed,z,y,x"]
    for t, v in zip(t_s, xyz, strict=True):
        ns = START_EPOCH_NS + int(round(t * 1e9))
        lines.append(f"{ns},{t + 0.0625:.9f},{float(v[2])!r},{float(v[1])!r},{float(v[0])!r}")
    return "\n".join(lines) + "\n"


def _round6(values: FloatArray) -> FloatArray:
    return np.asarray(np.round(values, 6), dtype=np.float64)


def sensor_logger_ios_zip(m: Movement) -> bytes:
    """An iPhone export without "Standardise Units & Frames": acceleration and gravity negated."""
    gravity = m.gravity_g()
    user = (m.acc_g - gravity) * G
    gt = m.t_s + 0.003
    files = {
        "Accelerometer.csv": _sensor_logger_csv(m.t_s, _round6(-user)),
        "Gravity.csv": _sensor_logger_csv(m.t_s, _round6(-gravity * G)),
        "Gyroscope.csv": _sensor_logger_csv(gt, _round6(m.gyro_at(gt) * DEG_TO_RAD)),
        "Metadata.csv": (
            "version,device name,recording epoch time,recording time,recording timezone,platform,appVersion,"
            "device id,sensors,sampleRateMs,standardisation,platform version\n"
            f"3,generated,{START_EPOCH_NS // 1_000_000},2026-01-01_10-00-00,UTC,ios,1.40,generated,"
            "Accelerometer|Gravity|Gyroscope,19|19|19,false,17.0\n"
        ),
    }
    return _zip({f"2026-01-01_10-00-00/{k}": v for k, v in files.items()})


def _sensor_logger_records(sensor: str, t_s: FloatArray, xyz: FloatArray) -> list[dict[str, str]]:
    """The JSON export's records: every value a string (awesome-sensor-logger README, "JSON")."""
    return [{"sensor": sensor, "time": str(START_EPOCH_NS + int(round(t * 1e9))), "seconds_elapsed": f"{t + 0.0625:.9f}",
             "z": repr(float(v[2])), "y": repr(float(v[1])), "x": repr(float(v[0]))}
            for t, v in zip(t_s, xyz, strict=True)]


def sensor_logger_android_json(m: Movement) -> str:
    """An Android JSON export: TotalAcceleration (gravity included, m/s²) and Gyroscope (rad/s,
    4 ms later) grouped by sensor, and the Metadata record."""
    gt = m.t_s + 0.004
    records: list[dict[str, str]] = [{
        "sensor": "Metadata", "version": "3", "device name": "generated", "recording epoch time":
        str(START_EPOCH_NS // 1_000_000), "recording time": "2026-01-01_10-00-00", "recording timezone": "UTC",
        "platform": "android", "appVersion": "1.40", "sensors": "TotalAcceleration|Gyroscope", "sampleRateMs": "19|19",
    }]
    records += _sensor_logger_records("TotalAcceleration", m.t_s, np.round(m.acc_g * G, 5))
    records += _sensor_logger_records("Gyroscope", gt, np.round(m.gyro_at(gt) * DEG_TO_RAD, 5))
    return json.dumps(records, separators=(",", ":")) + "\n"


def polar_files(m: Movement) -> dict[str, str]:
    origin = START_EPOCH_NS - POLAR_EPOCH_OFFSET_NS
    acc_lines = ["Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]"]
    for t, a in zip(m.t_s, m.acc_g, strict=True):
        phone = _phone_time(t + 0.045)
        acc_lines.append(f"{phone};{origin + int(round(t * 1e9))};{int(round(a[0] * 1000))};{int(round(a[1] * 1000))};{int(round(a[2] * 1000))}")
    gt = m.t_s + 0.011
    gyro_lines = ["Phone timestamp;sensor timestamp [ns];X [dps];Y [dps];Z [dps]"]
    for t, w in zip(gt, m.gyro_at(gt), strict=True):
        gyro_lines.append(f"{_phone_time(t + 0.045)};{origin + int(round(t * 1e9))};{w[0]:.2f};{w[1]:.2f};{w[2]:.2f}")
    stem = "Polar_Sense_B5C3F123_20260101100000"
    return {f"{stem}_ACC.txt": "\n".join(acc_lines) + "\n", f"{stem}_GYRO.txt": "\n".join(gyro_lines) + "\n"}


def _phone_time(t: float) -> str:
    ms = int(round(t * 1000))
    return f"2026-01-01T10:{ms // 60000:02d}:{(ms // 1000) % 60:02d}.{ms % 1000:03d}"


def movesense_imu6(m: Movement) -> str:
    lines = ["Timestamp,AccX,AccY,AccZ,GyroX,GyroY,GyroZ,MagnX,MagnY,MagnZ"]
    base_ms = 3_600_000  # the sensor's clock counts from its own power-up
    for t, a, w in zip(m.t_s, m.acc_g * G, m.gyro_dps, strict=True):
        lines.append(f"{base_ms + int(round(t * 1000))},{a[0]:.6f},{a[1]:.6f},{a[2]:.6f},{w[0]:.6f},{w[1]:.6f},{w[2]:.6f}")
    return "\n".join(lines) + "\n"


def movella_dot_csv(m: Movement) -> str:
    """The app's export as the DOT SDK's CSV logger writes it: padded metadata lines, an empty line,
    the header, rows joined by ", "."""
    start_us = 2**32 - 12_000_000  # the µs counter wraps 12 s in: the reader must unwrap it
    pad = ",,,,,,,,,,,,,,,,,"
    preamble = [
        "sep=,",
        f"DeviceTag:,DOT 1{pad}",
        f"FirmwareVersion:,2.6.0{pad}",
        f"AppVersion:,2024.0.0{pad}",
        f"Measurement Mode:,Custom Mode 5{pad}",
        f"StartTime:,2026-01-01 11:00:00.000 +0100{pad}",
        f"Movella Technologies B. V. 2005-2026,,{pad}",
        "",
    ]
    lines = preamble + ["PacketCounter,SampleTimeFine,Quat_W,Quat_X,Quat_Y,Quat_Z,Acc_X,Acc_Y,Acc_Z,Gyr_X,Gyr_Y,Gyr_Z"]
    for i, (t, a, w) in enumerate(zip(m.t_s, m.acc_g * G, m.gyro_dps, strict=True)):
        us = (start_us + int(round(t * 1e6))) % 2**32
        values = [1.0, 0.0, 0.0, 0.0, *(round(float(v), 6) for v in a), *(round(float(v), 6) for v in w)]
        lines.append(", ".join([str(i + 1), str(us), *(repr(v) for v in values)]))
    return "\n".join(lines) + "\n"


def witmotion_txt(m: Movement) -> bytes:
    """The PC software's tab-separated record, '°' in GB2312; two records per BLE notification
    share one millisecond arrival stamp."""
    header = ("Time\tDevice name\tChip Time()\tAcceleration X(g)\tAcceleration Y(g)\tAcceleration Z(g)\t"
              "Angular velocity X(°/s)\tAngular velocity Y(°/s)\tAngular velocity Z(°/s)\tAngle X(°)\tAngle Y(°)\tAngle Z(°)")
    lines = [header]
    for i, (t, a, w) in enumerate(zip(m.t_s, m.acc_g, m.gyro_dps, strict=True)):
        stamp_t = m.t_s[i | 1] if (i | 1) < m.t_s.size else t  # the later record's arrival
        ms = int(round(stamp_t * 1000))
        clock = f"10:{ms // 60000:02d}:{(ms // 1000) % 60:02d}.{ms % 1000:03d}"
        lines.append(
            f"{clock}\tWT901BLE67(d0:1c:1b:3a:ee:9d)\t2026-1-1 {clock}\t{a[0]:.4f}\t{a[1]:.4f}\t{a[2]:.4f}\t"
            f"{w[0]:.3f}\t{w[1]:.3f}\t{w[2]:.3f}\t0.000\t0.000\t0.000"
        )
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 10, 0, 0))  # fixed: reproducible bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue()


def expected_files(root: Path) -> dict[str, bytes]:
    """Relative path under fixtures/vendor/ → the bytes it must hold."""
    m = load_movement(root)
    out: dict[str, bytes] = {
        "phyphox/squats 2026-01-01 10-00-00.zip": phyphox_zip(m),
        "phyphox/Raw Data.csv": phyphox_raw_data(m).encode(),
        "phyphox/squats 2026-01-01 10-00-00.xlsx": phyphox_xlsx(m),
        "sensor-logger/2026-01-01_10-00-00.zip": sensor_logger_ios_zip(m),
        "sensor-logger/android_2026-01-01_10-00-00.json": sensor_logger_android_json(m).encode(),
        "movesense/MovesenseShowcase_IMU6_52Hz.csv": movesense_imu6(m).encode(),
        "movella-dot/DOT1_20260101_100000.csv": movella_dot_csv(m).encode(),
        "witmotion/20260101100000.txt": witmotion_txt(m),
    }
    for name, text in polar_files(m).items():
        out[f"polar-sensor-logger/{name}"] = text.encode()
    return out


def write_all(root: Path) -> list[Path]:
    written = []
    for rel, data in expected_files(root).items():
        path = root / "fixtures" / "vendor" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sensortrack.core.formats.samples", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (default: the current folder)")
    args = parser.parse_args(argv)
    for path in write_all(args.root):
        print(path.relative_to(args.root))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
