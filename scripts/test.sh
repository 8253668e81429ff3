#!/usr/bin/env bash
# The whole test suite, from a fresh checkout: sets up .venv, then runs pytest, printing the 15
# slowest tests (so a test that grew slow is seen). Tests marked `realtime` are paced by the wall
# clock; `./scripts/test.sh -m "not realtime"` leaves them out.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$repo/scripts/setup.sh"
cd "$repo"
exec "$repo/.venv/bin/pytest" -q --durations=15 "$@"
