#!/usr/bin/env bash
# Create .venv beside the repository and install sensortrack with its test extras into it.
# Re-runs pip only when pyproject.toml changed since the last install. Needs only python3 >= 3.11.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="${PYTHON:-python3}"
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "sensortrack needs Python 3.11 or newer (found: $("$py" --version 2>&1))" >&2
  exit 2
fi
if [ ! -x "$repo/.venv/bin/python" ]; then
  "$py" -m venv "$repo/.venv"
fi
stamp="$repo/.venv/.sensortrack-installed"
if [ ! -f "$stamp" ] || [ "$repo/pyproject.toml" -nt "$stamp" ]; then
  "$repo/.venv/bin/python" -m pip install -q --upgrade pip setuptools wheel
  # setuptools explains editable installs in a boxed "Editable installation" notice before the first
  # test dot (information only: analysis/, drivers/, tui/ are mapped into the sensortrack namespace).
  PYTHONWARNINGS="ignore:Editable installation" "$repo/.venv/bin/python" -m pip install -q -e "$repo[test]"
  touch "$stamp"
fi
