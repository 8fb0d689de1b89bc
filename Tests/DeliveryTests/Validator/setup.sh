#!/usr/bin/env bash
# Creates (or refreshes) the FHIR validator's virtual environment and prints its interpreter.
#   Tests/DeliveryTests/Validator/setup.sh   -> prints e.g. /…/repo/.build/fhir-validator-venv/bin/python3
# FHIR_VALIDATOR_VENV overrides the location (default: .build/fhir-validator-venv in the
# repository, ignored by git). Idempotent: reinstalls only when requirements.txt changed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${FHIR_VALIDATOR_VENV:-$(cd "$here/../../.." && pwd)/.build/fhir-validator-venv}"
python="${PYTHON:-python3}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python3" ]; then
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv" >&2
fi
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    "$venv/bin/python3" -m pip install --disable-pip-version-check -q -r "$here/requirements.txt" >&2
    echo "$want" > "$stamp"
fi
echo "$venv/bin/python3"
