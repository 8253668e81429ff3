"""Robustness probes: every command against bad input, as a careless or hostile user would try.

Prints, per probe class, how many inputs were tried and how many failed. A failure is an answer
other than exit 0 or 2, a traceback or "internal error", more than one line of error, or NaN /
Infinity in JSON. Goal (issue 10): 0 failures in every class.

    .venv/bin/python benchmarks/robustness.py [--mutants N] [--seed S]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

from sensortrack.cli import main

REPO = Path(__file__).resolve().parent.parent
GOOD = REPO / "fixtures" / "simulated" / "squat_thigh_left.csv"
BODY = ["--exercise", "squat", "--placement", "thigh", "--side", "left"]
COMMANDS: list[Callable[[Path, Path], list[str]]] = [
    lambda f, d: ["analyze", str(f), *BODY],
    lambda f, d: ["analyze", str(f), "--json", *BODY],
    lambda f, d: ["import", str(f), "--library", str(d / "lib.sqlite3")],
    lambda f, d: ["export", str(f), "-o", str(d / "out.json"), "--force", *BODY],
    lambda f, d: ["report", str(f), "-o", str(d / "out.html"), "--force", *BODY],
]


def run(argv: list[str]) -> str | None:
    """None when the command answered properly, else what was wrong."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse refusing an option: its usage text, exit 2
            code = int(exc.code or 0)
            return None if code == 2 else f"argparse exit {code}"
        except BaseException as exc:  # escaped main(): the worst kind
            return f"raised {type(exc).__name__}: {exc}"
    text_err = err.getvalue()
    if code not in (0, 2):
        return f"exit {code}: {text_err.strip()[:200]}"
    if "Traceback" in text_err or "internal error" in text_err:
        return text_err.strip()[:200]
    if code == 2 and text_err.count("\n") != 1:
        return f"{text_err.count(chr(10))} lines of error"
    if "--json" in argv and code == 0:
        try:
            json.loads(out.getvalue(), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        except ValueError as exc:
            return f"invalid JSON: {exc}"
    return None


def bad_files(lines: list[str]) -> dict[str, str]:
    first = next(i for i, line in enumerate(lines) if i > 2 and line and line[0].isdigit())

    def cell(column: int, value: str) -> str:
        row = lines[first + 5].split(",")
        row[column] = value
        return "\n".join([*lines[: first + 5], ",".join(row), *lines[first + 6 :]])

    def line(index: int, text: str) -> str:
        return "\n".join([*lines[:index], text, *lines[index + 1 :]])

    meta = json.loads(lines[1][len("# meta ") :])
    deep = "[" * 50_000 + "]" * 50_000
    return {
        "underscore digits": cell(1, "1_0"),
        "arabic digits": cell(2, "٣"),
        "NaN cell": cell(3, "nan"),
        "huge gyro": cell(4, "1e5"),
        "huge acc": cell(1, "1e6"),
        "gap Infinity": line(first + 3, '# gap {"start_s": 1, "end_s": 2, "lost_samples": Infinity}'),
        "gap nested": line(first + 3, "# gap " + deep),
        "meta nested": line(1, "# meta " + deep),
        "rate 1e999": line(1, "# meta " + json.dumps({**meta, "sensor": {**meta["sensor"], "nominal_rate_hz": "1e999"}})),
        "year 1": line(1, "# meta " + json.dumps({**meta, "start_time_utc": "0001-01-01T00:00:00+00:00"})),
        "year 9999": line(1, "# meta " + json.dumps({**meta, "start_time_utc": "9999-12-31T23:59:59+00:00"})),
        "one sample (plain CSV)": "t,ax,ay,az\n0,0,0,1\n",
        "milliseconds": "t,ax,ay,az\n" + "".join(f"{i * 10},0,0,1\n" for i in range(300)),
        "hash in text": "t,ax,ay,az,n\n" + "".join(f"{i / 50},0,0,1,#{i}\n" for i in range(300)),
        "empty": "",
        "binary": "\x00\xff\x01garbage",
    }


def mutate(text: str, rng: random.Random) -> str:
    alphabet = "0123456789.,-+eE#\n \"{}[]:naifNI_١\x00\x1b"
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(text))
        junk = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        kind = rng.choice(["insert", "delete", "replace", "truncate"])
        if kind == "insert":
            text = text[:at] + junk + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + rng.randint(1, 40) :]
        elif kind == "replace":
            text = text[:at] + junk + text[at + len(junk) :]
        else:
            text = text[:at]
    return text


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=200, help="mutated session files to try (default 200)")
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    lines = GOOD.read_text(encoding="utf-8").split("\n")
    head = "\n".join(lines[:400]) + "\n# end\n"
    results: dict[str, tuple[int, list[str]]] = {}

    def probe(kind: str, argv: list[str]) -> None:
        tried, failures = results.get(kind, (0, []))
        problem = run(argv)
        results[kind] = (tried + 1, failures + ([f"{' '.join(argv)[:120]} → {problem}"] if problem else []))

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "probe.csv"
        for name, text in bad_files(lines).items():
            path.write_text(text, encoding="utf-8")
            for command in COMMANDS:
                probe("malformed files × commands", command(path, folder))
        for _ in range(args.mutants):
            path.write_text(mutate(head, rng), encoding="utf-8")
            (folder / "lib.sqlite3").unlink(missing_ok=True)
            probe("mutated session files", rng.choice(COMMANDS)(path, folder))
        for item in ["vqf_tau_acc_s=0", "vqf_tau_acc_s=nan", "lowpass_hz=1e999", "lowpass_hz=13", "lowpass_order=2.5",
                     "lowpass_order=true", "min_reps_per_set=0", "shallow_share_of_best=2", "min_rep_duration_s=99",
                     "nonsense", "=", "no_such_s=1", "drift_threshold_deg=-1", "set_break_s=inf"]:  # fmt: skip
            probe("config values", ["analyze", str(GOOD), "--set", item])
        library = folder / "ids.sqlite3"
        run(["import", str(GOOD), "--library", str(library)])
        for text in ["0", "-1", "99999999999999999999999", "9223372036854775808", "#1", "1e3", "١"]:
            probe("IDs", ["sessions", "show", text, "--library", str(library)])
            probe("IDs", ["export", text, "-o", str(folder / "x.csv"), "--force", "--library", str(library)])
        for text in ["0001-01-01", "9999-12-31", "2025-02-30", "yesterday", "", "2025-03-01T10:00"]:
            for flag in ("--since", "--until"):
                probe("dates", ["sessions", flag, text, "--library", str(library)])
        fifo = folder / "pipe.csv"
        import os

        os.mkfifo(fifo)
        loop = folder / "loop.csv"
        loop.symlink_to(folder / "loop2.csv")
        (folder / "loop2.csv").symlink_to(loop)
        for target in (fifo, loop, folder, folder / ("x" * 300 + ".csv"), folder / "missing.csv"):
            for command in COMMANDS:
                probe("paths", command(target, folder))
            probe("paths", ["export", str(GOOD), "-o", str(target), "--force"])
        probe("paths", ["export", str(GOOD), "-o", str(library), "--force"])

    width = max(len(k) for k in results)
    print(f"{'probe class':<{width}}  tried  failed")
    for kind, (tried, failures) in results.items():
        print(f"{kind:<{width}}  {tried:5d}  {len(failures):6d}")
    for kind, (_, failures) in results.items():
        for failure in failures[:5]:
            print(f"  {kind}: {failure}")


if __name__ == "__main__":
    main_()
