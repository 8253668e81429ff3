#!/usr/bin/env bash
# The product's main job on its embedded default: the live terminal UI fed by a virtual BLE sensor
# that streams the bundled squat recording through the real bleak code path. No hardware needed.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$repo/scripts/setup.sh"
exec "$repo/.venv/bin/sensortrack" demo "$@"
