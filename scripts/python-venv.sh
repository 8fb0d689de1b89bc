#!/usr/bin/env bash
# Creates (or refreshes) a Python virtual environment for a test peer and prints its interpreter.
#   scripts/python-venv.sh REQUIREMENTS VENV_DIR
# PYTHON picks the base interpreter (default python3). Idempotent: reinstalls only when the
# requirements file changed. A venv keeps each peer's pins away from the machine's own packages.
set -euo pipefail
requirements=$1
venv=$2
python="${PYTHON:-python3}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python3" ]; then
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv" >&2
fi
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    "$venv/bin/python3" -m pip install --disable-pip-version-check -q -r "$requirements" >&2
    echo "$want" > "$stamp"
fi
echo "$venv/bin/python3"
