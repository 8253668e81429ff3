"""`python -m sensortrack` is the same as the `sensortrack` console script."""

from sensortrack.cli import main

raise SystemExit(main())
