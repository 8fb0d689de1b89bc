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
root="$(cd "$here/../../.." && pwd)"
exec "$root/scripts/python-venv.sh" "$here/requirements.txt" "${EVM_PEER_VENV:-$root/.build/evm-peer-venv}"
