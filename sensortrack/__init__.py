"""sensortrack: reps and knee drift from a thigh or shank IMU, live and offline."""

import os
import sys

_DIST_PREFIX, _DIST_SUFFIX = "sensortrack-", ".dist-info"


def _installed_version() -> str:
    """The installed version, from the name of our `sensortrack-<version>.dist-info` folder.

    importlib.metadata would read the same folder but costs ~45 ms of imports (its email parser,
    zipfile) at every command start, a quarter of `import numpy` (issue 12). Anything unusual (a
    zipped install, no folder found) goes to importlib.metadata after all.
    """
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if name.startswith(_DIST_PREFIX) and name.endswith(_DIST_SUFFIX):
                return name[len(_DIST_PREFIX) : -len(_DIST_SUFFIX)]
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sensortrack")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


__version__ = _installed_version()
