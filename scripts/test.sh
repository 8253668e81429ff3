#!/usr/bin/env bash
# The whole test suite, from a fresh checkout: sets up .venv, then runs pytest.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$repo/scripts/setup.sh"
cd "$repo"
exec "$repo/.venv/bin/pytest" -q "$@"
