"""`sensortrack demo`: the live set view on a virtual sensor, no hardware needed.

A virtual sensor (the open BLE profile) plays the bundled recording of squats on the in-process
bumble link; the real driver scans for it, connects through bleak, decodes its notifications and
records the session, exactly as `sensortrack live` does with a real sensor.
"""

from __future__ import annotations

import argparse

from sensortrack.core.settings_validation import finite_float
from sensortrack.commands.live import add_recording_options


DEMO_MODEL = "open_profile"  # our own open profile: device clock and gyro, like the good sensors


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--speed", type=finite_float, default=1.0, metavar="X", help="play X times faster than real time (default 1)")
    add_recording_options(parser)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from sensortrack.core.errors import ConfigError

    for name in ("speed", "timeout"):
        if not getattr(args, name) > 0:
            raise ConfigError(f"--{name} must be positive, got {getattr(args, name):g}")
    return asyncio.run(_demo(args))


async def _demo(args: argparse.Namespace) -> int:
    from importlib.resources import as_file, files
    from pathlib import Path

    from sensortrack.commands.live import load_view_plan, run_live_app
    from sensortrack.config import load_settings
    from sensortrack.recording import never_overwrite
    from sensortrack.tui.live import default_session_path, open_virtual_source

    settings = load_settings([])
    plan = load_view_plan(args)
    output = Path(args.output) if args.output else default_session_path()
    never_overwrite(output)
    with as_file(files("sensortrack") / "data" / "demo_squats.csv") as played:
        source, choice = await open_virtual_source(DEMO_MODEL, played, output, speed=args.speed, timeout_s=args.timeout)
        return await run_live_app(
            source,
            choice,
            settings,
            sound=args.sound,
            count_at=args.count_at,
            plan=plan,
            library=args.library,
            register=not args.no_library,
            sub_title="demo: a virtual sensor playing squats over the in-process Bluetooth link",
        )
