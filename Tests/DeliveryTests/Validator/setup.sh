#!/usr/bin/env bash
# Creates (or refreshes) the FHIR validator's virtual environment and prints its interpreter.
#   Tests/DeliveryTests/Validator/setup.sh   -> prints e.g. /…/repo/.build/fhir-validator-venv/bin/python3
# FHIR_VALIDATOR_VENV overrides the location (default: .build/fhir-validator-venv, ignored by
# git). fhir.resources 6.4 (FHIR R4 4.0.1) is built on pydantic 1, which the EVM peer's pins
# exclude: hence a venv of its own.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
exec "$root/scripts/python-venv.sh" "$here/requirements.txt" "${FHIR_VALIDATOR_VENV:-$root/.build/fhir-validator-venv}"
