"""`sensortrack scan`: list nearby supported sensors (model, name, address, signal strength).

    sensortrack scan --timeout 8
    sensortrack scan --virtual witmotion --virtual polar_h10 --from squats.csv   # no hardware
"""

from __future__ import annotations

import argparse

from sensortrack.core.settings_validation import finite_float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=finite_float, default=5.0, metavar="S", help="listen for S seconds (default 5)")
    parser.add_argument("--all", action="store_true", help="also list Bluetooth devices that are not supported sensors")
    parser.add_argument(
        "--virtual",
        action="append",
        default=[],
        metavar="MODEL",
        help="scan an in-process virtual link with a sensor of this model on it (repeatable)",
    )
    parser.add_argument("--from", dest="source", metavar="SESSION", help="session the virtual sensors play back")


def run(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_scan(args))


async def _scan(args: argparse.Namespace) -> int:
    from sensortrack.drivers.backend import SYSTEM_BACKEND
    from sensortrack.drivers.scan import family_by_model, scan_sensors
    from sensortrack.core.errors import ConfigError

    if not args.timeout > 0:
        raise ConfigError(f"--timeout must be positive, got {args.timeout:g}")
    if args.source and not args.virtual:
        raise ConfigError("--from only applies to virtual sensors (--virtual MODEL)")
    rig = None
    try:
        backend = SYSTEM_BACKEND
        if args.virtual:
            from sensortrack.drivers.virtual.rig import start_rig
            from sensortrack.core.loading import load_session

            if not args.source:
                raise ConfigError("--virtual needs --from SESSION: the recording the virtual sensors play back")
            families = [family_by_model(model) for model in args.virtual]
            source = load_session(args.source)
            rig = await start_rig([(family, source) for family in families])
            backend = rig.link.backend
        found = await scan_sensors(args.timeout, include_all=args.all, backend=backend)
    finally:
        if rig is not None:
            await rig.close()

    if not found:
        what = "Bluetooth devices" if args.all else "supported sensors"
        print(f"no {what} found in {args.timeout:g} s (is the sensor on and awake? try a longer --timeout)")
        return 0
    # RANGE: the measuring ranges `record --range-g/--range-dps` can choose from, or the fixed one.
    rows = [("MODEL", "NAME", "ADDRESS", "RSSI", "RANGE")] + [
        (f.model, f.name or "(no name)", f.address, f"{f.rssi} dBm", f.family.ranges.describe() if f.family else "-")
        for f in found
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[4])
    return 0
