#!/usr/bin/env bash
# Creates (or refreshes) the test peer's virtual environment and prints its interpreter.
#   Tests/EVMLedgerTests/Peer/setup.sh      -> prints e.g. /…/repo/.build/evm-peer-venv/bin/python3
# EVM_PEER_VENV overrides the location (default: .build/evm-peer-venv in the repository: ignored
# by git and outside every SwiftPM target, so the build never scans it); PYTHON picks the
# base interpreter (default: python3, which must be CPython 3.11). Idempotent: reinstalls only
# when requirements.txt changed. A venv keeps the pins away from the machine's own packages
# (eth-account needs pydantic 2.14 and pycryptodome < 4, which other tools may not accept).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${EVM_PEER_VENV:-$(cd "$here/../../.." && pwd)/.build/evm-peer-venv}"
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
