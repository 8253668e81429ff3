"""The `sensortrack` command line. Each subcommand lives in sensortrack/commands/<name>.py.

Every error the user can cause is a SensortrackError: it is printed as one line on stderr and the
exit code is 2. Ctrl-C exits 130 without a traceback. Anything else is a bug: one line too, and
`--debug` shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

# The analysis multiplies only small matrices (filter blocks, rotations), where BLAS worker threads
# cost more than they save, and `sessions reanalyze` already runs one process per idle core, which
# threaded BLAS would oversubscribe (measured: analysis/dsp.py's block product 30x slower with
# OpenBLAS threads on a busy 2-core machine). Set before anything imports numpy; the user's own
# setting wins.
for _blas_threads in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas_threads, "1")

from sensortrack import __version__
from sensortrack.core.errors import SensortrackError
from sensortrack.core.terminal_text import printable

# (subcommand, module under sensortrack.commands, one-line help). The help lives here, not in the
# modules, so that `sensortrack --help` lists every command without importing any of them.
COMMANDS: list[tuple[str, str, str]] = [
    ("analyze", "analyze", "analyse a recorded session: sets, every rep, knee drift inward and warnings"),
    ("demo", "demo",
     "see the live set view on a virtual sensor playing a bundled recording of squats (no sensor needed)"),
    ("live", "live",
     "live set view for a sensor (or a virtual one): counts reps, warns on knee drift, records the session"),
    ("replay", "replay", "replay a recorded session in the live set view (pause, speed, next rep, seek)"),
    ("import", "import_cmd", "add session files or plain CSVs to the library (copied in and analysed)"),
    ("sessions", "sessions", "list, show, delete or re-analyse the sessions in the library"),
    ("reference", "reference",
     "personal knee-drift references: a session of your good reps that warnings are judged against"),
    ("export", "export", "export a session's samples and per-rep table as CSV, JSON or Parquet"),
    ("report", "report", "write a printable HTML report of a session, or of progress over all library sessions"),
    ("scan", "scan", "list nearby supported sensors (or virtual ones with --virtual)"),
    ("record", "record", "record a live sensor (or a virtual one) to a session file"),
]


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a wrong option is one line like every other error (exit 2): argparse's own
    answer starts with the whole usage block, which buried the one line that says what is wrong."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {printable(message)} (`{self.prog} --help` lists the options)\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `only` just that subcommand (so the others' modules stay unimported)."""
    parser = OneLineParser(
        prog="sensortrack",
        description="Reps and knee drift from a thigh or shank IMU: live, replayed, or from a file.",
    )
    parser.add_argument("--version", action="version", version=f"sensortrack {__version__}")
    parser.add_argument("--debug", action="store_true", help="show a traceback on unexpected errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name, help_text in COMMANDS:
        if only is not None and name != only:
            continue
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        if only is None:
            continue  # the overview (or an unknown command's error) needs no command's options
        module = importlib.import_module(f"sensortrack.commands.{module_name}")
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def _subcommand(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line, if it is one of ours (the first non-option word).

    None for `sensortrack --help analyze`: that help lists every command.
    """
    for arg in argv:
        if arg in ("-h", "--help"):
            return None
        if not arg.startswith("-"):
            return arg if arg in {name for name, _, _ in COMMANDS} else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_subcommand(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except SensortrackError as exc:
        # Escaped: messages quote file contents and names; one line must stay one line.
        print(f"sensortrack: error: {printable(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("sensortrack: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `sensortrack analyze f | head`
        return 0
    except OSError as exc:  # the machine said no: disk full, file too large (ulimit -f), name too long
        if args.debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"sensortrack: error: {printable(where)}{printable(exc.strerror or exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, not the user's fault: still one line unless asked
        if args.debug:
            raise
        print(
            f"sensortrack: internal error: {type(exc).__name__}: {printable(exc)} (run with --debug for details)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
