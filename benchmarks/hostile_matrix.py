"""Hostile-input matrix, run as real subprocesses (session 9): every user-facing command × bad input.

Unlike benchmarks/robustness.py (in-process, fast), this starts `python -m sensortrack` for every
case with a timeout, so hangs, crashes of the interpreter and anything printed outside main() show.
Per case it reports the exit code, the number of stderr lines, whether a "Traceback" appeared and
whether stdout JSON holds NaN/Infinity. A case fails when the exit code is not 0 or 2, the command
times out (replay/live/demo: without drawing their view), a traceback, "internal error" or a Python
warning is printed, an exit 2 says more than one line, or JSON output is not strict JSON.

    .venv/bin/python benchmarks/hostile_matrix.py [--jobs 2] [--only WORD] [--all]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOOD = REPO / "fixtures" / "simulated" / "squat_thigh_left.csv"
VENDOR = REPO / "fixtures" / "vendor"
BODY = ["--exercise", "squat", "--placement", "thigh", "--side", "left"]
TIMEOUT_S = 90.0
# replay, live and demo open an interactive view that runs until the user quits: a case that is
# still running after this, with the view drawn on the terminal, answered properly.
VIEW_TIMEOUT_S = 15.0
VIEW_COMMANDS = ("replay", "live", "demo")
VENDOR_LABELS = ("witmotion", "movesense", "movella", "phyphox", "polar", "sensor logger")


@dataclass(frozen=True, slots=True)
class Case:
    group: str
    name: str
    argv: list[str]
    stdin: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    case: Case
    code: int | None  # None: timed out
    view: bool  # an interactive view was drawn (and left running until the timeout)
    stderr_lines: int
    traceback: bool
    bad_json: str
    first_error: str
    warning: bool = False  # "RuntimeWarning: overflow ..." and the like: noise a user cannot act on

    @property
    def failed(self) -> str:
        if self.code is None:
            return "" if self.view else "timeout"
        if self.code not in (0, 2):
            return f"exit {self.code}"
        if self.traceback:
            return "traceback / internal error"
        if self.code == 2 and self.stderr_lines != 1:
            return f"{self.stderr_lines} lines of error"
        if self.warning:
            return "a Python warning on stderr"
        if self.bad_json:
            return f"JSON: {self.bad_json}"
        return ""


def _strict_json(text: str) -> str:
    """'' when every non-empty stdout line (or the whole text) is strict JSON, else what is wrong."""

    def refuse(word: str) -> object:
        raise ValueError(f"{word} in output")

    chunks = [text] if text.lstrip().startswith("{\n") else [line for line in text.splitlines() if line.strip()]
    for chunk in chunks:
        try:
            json.loads(chunk, parse_constant=refuse)
        except ValueError as exc:
            return str(exc)[:80]
    return ""


def run(case: Case, env: dict[str, str]) -> Outcome:
    cmd = [sys.executable, "-m", "sensortrack", *case.argv]
    interactive = case.argv[0] in VIEW_COMMANDS
    try:
        proc = subprocess.run(cmd, input=case.stdin, capture_output=True, text=True, errors="replace",
                              timeout=VIEW_TIMEOUT_S if interactive else TIMEOUT_S, env=env, cwd=env["HOME"])
    except subprocess.TimeoutExpired as exc:
        drawn = exc.stderr or b""
        text = drawn.decode("utf-8", "replace") if isinstance(drawn, bytes) else drawn
        return Outcome(case, None, interactive and "\x1b[" in text, text.count("\n"), "Traceback" in text, "", "")
    err = proc.stderr
    wants_json = "--json" in case.argv and proc.returncode == 0
    return Outcome(
        case, proc.returncode, False, len(err.splitlines()), "Traceback" in err or "internal error" in err,
        _strict_json(proc.stdout) if wants_json else "", err.strip().splitlines()[0][:160] if err.strip() else "",
        "Warning:" in err,
    )


def _header_count(lines: list[str]) -> int:
    return next(i for i, line in enumerate(lines) if line[:1].isdigit() or line[:1] == "-")


def _float(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def text_variants(text: str, sep: str) -> dict[str, str]:
    """Malformed variants of a delimited text file (header lines first, then data rows)."""
    lines = text.splitlines()
    head = _header_count(lines)
    header, rows = lines[:head], lines[head:]
    mid = len(rows) // 2

    def with_cells(value: str, first_too: bool = False) -> str:
        cells = rows[mid].split(sep)
        cells = [value if (_float(c) and (i > 0 or first_too)) else c for i, c in enumerate(cells)]
        return "\n".join([*header, *rows[:mid], sep.join(cells), *rows[mid + 1 :]]) + "\n"

    def with_time(value: str) -> str:
        cells = rows[mid].split(sep)
        cells[0] = value
        return "\n".join([*header, *rows[:mid], sep.join(cells), *rows[mid + 1 :]]) + "\n"

    columns = header[-1].split(sep)
    return {
        "empty": "",
        "header only": "\n".join(header) + "\n",
        "one row": "\n".join([*header, rows[0]]) + "\n",
        "two rows": "\n".join([*header, *rows[:2]]) + "\n",
        "NaN values": with_cells("nan"),
        "inf values": with_cells("inf"),
        "1e308 values": with_cells("1e308"),
        "negative 1e308 values": with_cells("-1e308"),
        "NaN time": with_time("nan"),
        "inf time": with_time("inf"),
        "huge time": with_time("1e300"),
        "reversed rows": "\n".join([*header, *reversed(rows)]) + "\n",
        "duplicated rows": "\n".join([*header, *(r for r in rows for _ in (0, 1))]) + "\n",
        "all rows one time": "\n".join([*header, *(sep.join([rows[0].split(sep)[0], *r.split(sep)[1:]]) for r in rows)]) + "\n",
        "truncated mid-line": text[: len(text) // 2 + 7],
        "duplicated columns": "\n".join([*header[:-1], sep.join(columns + columns[1:]), *rows]) + "\n",
        "columns swapped": "\n".join([*header[:-1], sep.join([columns[0], *reversed(columns[1:])]), *rows]) + "\n",
        "header garbage": "\n".join([*header[:-1], sep.join("xyz" for _ in columns), *rows]) + "\n",
        "extra cells": "\n".join([*header, *(r + sep + "1" + sep + "2" for r in rows)]) + "\n",
        "short rows": "\n".join([*header, *(sep.join(r.split(sep)[:2]) for r in rows)]) + "\n",
    }


def files(folder: Path) -> Iterator[tuple[str, Path]]:
    """(label, path) for every hostile input file."""
    folder.mkdir(parents=True, exist_ok=True)

    def put(label: str, name: str, data: bytes | str) -> tuple[str, Path]:
        path = folder / f"{len(list(folder.iterdir())):03d}" / name
        path.parent.mkdir()
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return label, path

    good = GOOD.read_text(encoding="utf-8")
    yield put("session: binary", "s.csv", bytes(range(256)) * 8)
    yield put("session: UTF-16", "s.csv", good[:20000].encode("utf-16"))
    yield put("session: BOM", "s.csv", "\ufeff" + good)
    yield put("session: truncated", "s.csv", good[: len(good) // 3])
    yield put("session: truncated in meta", "s.csv", good[:120])
    yield put("session: gzip that is not", "s.csv.gz", good[:5000])
    yield put("session: zip that is not", "s.zip", good[:5000])
    yield put("session: gzip of a session", "s.csv.gz", gzip.compress(good.encode("utf-8")))
    yield put("session: NUL bytes", "s.csv", good[:3000] + "\x00" * 100 + good[3100:6000])
    plain = "t,ax,ay,az,gx,gy,gz\n" + "".join(f"{i / 50:.2f},0.1,0.2,0.97,1,2,3\n" for i in range(600))
    for label, text in text_variants(plain, ",").items():
        yield put(f"plain CSV: {label}", "p.csv", text)
    yield put("plain CSV: UTF-16", "p.csv", plain.encode("utf-16"))
    yield put("plain CSV: BOM", "p.csv", "\ufeff" + plain)
    yield put("plain CSV: semicolons", "p.csv", plain.replace(",", ";"))
    yield put("plain CSV: CR only", "p.csv", plain.replace("\n", "\r"))
    # sidecars beside a good plain CSV
    for label, side in {"malformed": "{", "list": "[1,2]", "wrong types": '{"exercise": 3, "side": ["left"]}',
                        "unknown values": '{"exercise": "jumping", "placement": "wrist", "side": "middle"}',
                        "notes huge nested": '{"notes": ' + "[" * 20000 + "]" * 20000 + "}",
                        "binary": "\xff\xfe\x00"}.items():
        label_, path = put(f"sidecar: {label}", "p.csv", plain)
        path.with_suffix(".json").write_bytes(side.encode("latin-1") if label == "binary" else side.encode())
        yield label_, path
    # vendor formats
    sources = {
        "witmotion": (VENDOR / "witmotion" / "20260101100000.txt", "\t"),
        "movesense": (VENDOR / "movesense" / "MovesenseShowcase_IMU6_52Hz.csv", ","),
        "movella": (VENDOR / "movella-dot" / "DOT1_20260101_100000.csv", ","),
        "phyphox": (VENDOR / "phyphox" / "Raw Data.csv", ","),
        "polar": (VENDOR / "polar-sensor-logger" / "Polar_Sense_B5C3F123_20260101100000_ACC.txt", ";"),
    }
    for fmt, (src, sep) in sources.items():
        raw = src.read_bytes()
        text = raw.decode("utf-8", errors="surrogateescape")
        for label, variant in text_variants(text, sep).items():
            yield put(f"{fmt}: {label}", src.name, variant.encode("utf-8", errors="surrogateescape"))
        yield put(f"{fmt}: UTF-16", src.name, raw.decode("utf-8", errors="replace").encode("utf-16"))
    slog = (VENDOR / "sensor-logger" / "android_2026-01-01_10-00-00.json").read_text(encoding="utf-8")
    entries = json.loads(slog)
    yield put("sensor logger: truncated", "a.json", slog[: len(slog) // 2])
    yield put("sensor logger: object", "a.json", "{}")
    yield put("sensor logger: empty list", "a.json", "[]")
    yield put("sensor logger: list of numbers", "a.json", "[1, 2, 3]")
    yield put("sensor logger: only metadata", "a.json", json.dumps(entries[:1]))
    for field, value in [("x", "nan"), ("x", "1e308"), ("x", None), ("time", "nan"), ("time", "1e300"),
                         ("time", [1]), ("seconds_elapsed", "inf")]:
        broken = [dict(e) for e in entries]
        for e in broken[1 : len(broken) // 2]:
            if field in e:
                e[field] = value
        yield put(f"sensor logger: {field}={value}", "a.json", json.dumps(broken))
    yield put("sensor logger: rows reversed", "a.json", json.dumps(entries[:1] + entries[:0:-1]))
    meta_bad = [dict(entries[0], sampleRateMs="x|0", **{"recording epoch time": "1e300"}), *entries[1:]]
    yield put("sensor logger: bad metadata", "a.json", json.dumps(meta_bad))
    zipped = (VENDOR / "sensor-logger" / "2026-01-01_10-00-00.zip").read_bytes()
    yield put("sensor logger zip: truncated", "z.zip", zipped[: len(zipped) // 2])
    yield put("phyphox zip: truncated", "z.zip", (VENDOR / "phyphox" / "squats 2026-01-01 10-00-00.zip").read_bytes()[:3000])
    yield put("phyphox xlsx: truncated", "x.xlsx", (VENDOR / "phyphox" / "squats 2026-01-01 10-00-00.xlsx").read_bytes()[:3000])
    yield put("xlsx that is text", "x.xlsx", "t,ax,ay,az\n0,0,0,1\n")


def cases(tmp: Path) -> Iterator[Case]:
    inputs = tmp / "inputs"
    lib = tmp / "lib.sqlite3"
    out = tmp / "out"
    out.mkdir()
    missing = tmp / "missing.csv"
    unreadable = tmp / "unreadable.csv"
    shutil.copy(GOOD, unreadable)
    unreadable.chmod(0)
    for label, path in [*files(inputs), ("a folder", inputs), ("missing file", missing), ("unreadable (chmod 000)", unreadable)]:
        yield Case("files × analyze --json", label, ["analyze", str(path), "--json", *BODY])
        yield Case("files × import", label, ["import", str(path), "--library", str(lib), "--json"])
        yield Case("files × export", label, ["export", str(path), "-o", str(out / "x.json"), "--force", *BODY])
        yield Case("files × report", label, ["report", str(path), "-o", str(out / "x.html"), "--force", *BODY])
        if not label.startswith(VENDOR_LABELS):  # the view of a good file runs until `q`: 15 s each
            yield Case("files × replay", label, ["replay", str(path), "--speed", "1000"])
    # libraries that are not one
    not_sqlite = tmp / "notsqlite.sqlite3"
    not_sqlite.write_bytes(b"this is not a database\n" * 100)
    truncated_db = tmp / "truncated.sqlite3"
    corrupt_db = tmp / "corrupt.sqlite3"
    yield Case("setup", "library import", ["import", str(GOOD), "--library", str(truncated_db)])
    yield Case("setup", "library import 2", ["import", str(GOOD), "--library", str(corrupt_db)])
    yield Case("setup", "good library", ["import", str(GOOD), "--library", str(lib)])


def library_cases(tmp: Path) -> Iterator[Case]:
    lib = tmp / "lib.sqlite3"
    out = tmp / "out"
    dbs = {"not SQLite": tmp / "notsqlite.sqlite3", "truncated": tmp / "truncated.sqlite3",
           "corrupted pages": tmp / "corrupt.sqlite3", "locked": tmp / "locked.sqlite3",
           "empty file": tmp / "empty.sqlite3", "a folder": tmp / "inputs", "missing dir": tmp / "nodir" / "l.sqlite3"}
    for label, db in dbs.items():
        for argv in (["sessions", "--library", str(db)], ["sessions", "show", "1", "--library", str(db)],
                     ["sessions", "reanalyze", "--library", str(db)], ["sessions", "delete", "1", "-y", "--library", str(db)],
                     ["reference", "list", "--library", str(db)], ["reference", "set", "1", "--library", str(db)],
                     ["export", "1", "-o", str(out / "l.csv"), "--force", "--library", str(db)],
                     ["report", "-o", str(out / "l.html"), "--force", "--library", str(db)],
                     ["import", str(GOOD), "--library", str(db)]):
            yield Case("libraries", f"{label}: {' '.join(argv[:2])}", argv)
    for id_text in ("0", "-1", "999", "99999999999999999999", "abc", "1.5", ""):
        for argv in (["sessions", "show", id_text], ["sessions", "delete", id_text, "-y"], ["export", id_text, "-o", str(out / "i.csv"), "--force"],
                     ["report", id_text, "-o", str(out / "i.html"), "--force"], ["reference", "set", id_text],
                     ["replay", id_text]):
            yield Case("IDs", f"{argv[0]} {argv[1]} {id_text!r}", [*argv, "--library", str(lib)] if argv[0] != "replay" else argv)
    flags = [
        ["replay", str(GOOD), "--speed", "0"], ["replay", str(GOOD), "--speed", "-1"], ["replay", str(GOOD), "--speed", "nan"],
        ["replay", str(GOOD), "--speed", "inf"], ["replay", str(GOOD), "--speed", "1e308"],
        ["demo", "--speed", "0"], ["demo", "--speed", "-5"], ["demo", "--speed", "nan"],
        ["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", str(out / "r1.csv"), "--duration", "-1", "--no-library"],
        ["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", str(out / "r2.csv"), "--duration", "0", "--no-library"],
        ["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", str(out / "r3.csv"), "--duration", "nan", "--no-library"],
        ["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", str(out / "r4.csv"), "--duration", "inf", "--speed", "0", "--no-library"],
        ["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", str(out / "r5.csv"), "--duration", "1", "--speed", "-2", "--no-library"],
        ["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", str(out / "r6.csv"), "--duration", "1", "--loss", "2", "--no-library"],
        ["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", str(out / "r7.csv"), "--duration", "1", "--garbage", "nan", "--no-library"],
        ["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", str(out / "r8.csv"), "--duration", "1", "--rate", "0", "--no-library"],
        ["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", str(out / "r9.csv"), "--duration", "1", "--rate", "-100", "--no-library"],
        ["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", str(out / "ra.csv"), "--duration", "1", "--drop-at", "-3", "--no-library"],
        ["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", str(out / "rb.csv"), "--duration", "1", "--stall-for", "-1", "--stall-at", "0.1", "--no-library"],
        ["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", str(out / "rc.csv"), "--duration", "1", "--timeout", "-1", "--no-library"],
        ["record", "--virtual", "nonsense", "--from", str(GOOD), "-o", str(out / "rd.csv"), "--duration", "1", "--no-library"],
        ["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", str(tmp / "nodir" / "r.csv"), "--duration", "1", "--no-library"],
        ["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", str(tmp / "inputs"), "--duration", "1", "--no-library"],
        ["record", "--virtual", "open_profile", "--from", str(GOOD), "-o", str(out / "re.csv"), "--duration", "1", "--exercise", "jumping"],
        ["record", "--virtual", "open_profile", "-o", str(out / "rf.csv"), "--duration", "1", "--from", str(tmp / "missing.csv"), "--no-library"],
        ["record", "--virtual", "open_profile", "-o", str(out / "rg.csv"), "--duration", "1", "--from", str(tmp / "notsqlite.sqlite3"), "--no-library"],
        ["live", "--virtual", "open_profile", "--from", str(GOOD), "--no-setup", "--speed", "0"],
        ["live", "--virtual", "open_profile", "--from", str(GOOD), "--no-setup", "--rate", "nan"],
        ["live", "--virtual", "open_profile", "--from", str(GOOD), "--no-setup", "--timeout", "-1"],
        ["scan", "--timeout", "-1"], ["scan", "--timeout", "nan"],
        ["analyze", str(GOOD), "--exercise", "jumping"], ["analyze", str(GOOD), "--placement", "wrist"],
        ["analyze", str(GOOD), "--side", "middle"], ["analyze", str(GOOD), "--set", "nonsense"],
        ["analyze", str(GOOD), "--set", "lowpass_hz=abc"], ["analyze", str(GOOD), "--set", "lowpass_hz="],
        ["analyze", str(GOOD), "--set", "=3"], ["analyze", str(GOOD), "--set", "min_rep_duration_s=-1"],
        ["analyze", str(GOOD), "--set", "drift_threshold_deg=1e308"], ["analyze", str(GOOD), "--set", "lowpass_hz=1", "--set", "lowpass_hz=2"],
        ["analyze", str(GOOD), "--with", str(tmp / "missing.csv")], ["analyze", str(GOOD), "--with", str(GOOD)],
        ["analyze", str(GOOD), "--with", str(tmp / "inputs")],
        ["export", str(GOOD), "-o", str(tmp / "nodir" / "x.csv")], ["export", str(GOOD), "-o", str(tmp / "ro" / "x.csv")],
        ["export", str(GOOD), "-o", str(out / "x.unknownext")], ["export", str(GOOD), "-o", ""],
        ["report", str(GOOD), "-o", str(tmp / "nodir" / "x.html")], ["report", str(GOOD), "-o", str(tmp / "ro" / "x.html")],
        ["import", str(GOOD), "--library", str(tmp / "ro" / "l.sqlite3")],
        ["sessions", "--since", "yesterday", "--library", str(lib)], ["sessions", "--until", "2025-13-01", "--library", str(lib)],
        ["sessions", "--exercise", "jumping", "--library", str(lib)],
        ["sessions", "reanalyze", "--jobs", "0", "--library", str(lib)], ["sessions", "reanalyze", "--jobs", "-3", "--library", str(lib)],
        ["reference", "show", "jumping", "thigh", "left", "--library", str(lib)],
        ["reference", "clear", "squat", "wrist", "left", "--library", str(lib)],
        ["reference", "clear", "squat", "thigh", "left", "--library", str(lib)],
    ]
    for argv in flags:
        yield Case("flags", " ".join(a if len(a) < 30 else "…" + a[-20:] for a in argv), argv)


def prepare_libraries(tmp: Path) -> None:
    for name in ("truncated.sqlite3", "corrupt.sqlite3"):
        db = tmp / name
        data = db.read_bytes()
        if name == "truncated.sqlite3":
            db.write_bytes(data[: len(data) // 3])
        else:
            mangled = bytearray(data)
            for at in range(4096, len(mangled), 997):
                mangled[at] ^= 0x5A
            db.write_bytes(bytes(mangled))
    (tmp / "empty.sqlite3").write_bytes(b"")
    shutil.copy(tmp / "lib.sqlite3", tmp / "locked.sqlite3")
    ro = tmp / "ro"
    ro.mkdir()
    ro.chmod(0o555)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default="", help="only cases whose group or name contains this")
    parser.add_argument("--all", action="store_true", help="print every case, not only failures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        home = tmp / "home"
        home.mkdir()
        env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
               "SENSORTRACK_LIBRARY": str(tmp / "default.sqlite3"), "TERM": "dumb", "PYTHONPATH": str(REPO)}
        first = list(cases(tmp))
        for case in (c for c in first if c.group == "setup"):
            run(case, env)
        prepare_libraries(tmp)
        locker = sqlite3.connect(tmp / "locked.sqlite3")
        locker.execute("BEGIN EXCLUSIVE")
        all_cases = [c for c in first if c.group != "setup"] + list(library_cases(tmp))
        all_cases = [c for c in all_cases if args.only in c.group or args.only in c.name]
        with ThreadPoolExecutor(args.jobs) as pool:
            outcomes = list(pool.map(lambda c: run(c, env), all_cases))
        locker.rollback()
        locker.close()
        (tmp / "ro").chmod(0o755)
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(o.case.group, []).append(o)
    width = max(len(g) for g in groups)
    print(f"{'group':<{width}}  tried  failed")
    for group, items in groups.items():
        print(f"{group:<{width}}  {len(items):5d}  {sum(bool(o.failed) for o in items):6d}")
    for o in outcomes:
        if o.failed or args.all:
            print(f"  [{o.case.group}] {o.case.name}: {'view running' if o.view else f'exit {o.code}'}, {o.stderr_lines} stderr lines"
                  f"{', TRACEBACK' if o.traceback else ''}{', ' + o.bad_json if o.bad_json else ''}"
                  f" {'FAIL ' + o.failed if o.failed else ''} | {o.first_error}")


if __name__ == "__main__":
    main()
