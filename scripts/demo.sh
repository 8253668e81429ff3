#!/usr/bin/env bash
# The product's main job on its embedded default: the bundled squat recording, analysed.
# (Replaced by the live terminal UI fed by a virtual sensor once `sensortrack demo` exists.)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$repo/scripts/setup.sh"
exec "$repo/.venv/bin/sensortrack" analyze "$repo/sensortrack/data/demo_squats.csv" "$@"
