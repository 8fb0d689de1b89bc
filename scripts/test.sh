#!/usr/bin/env bash
# One command: install what is missing, build everything, and run the test suite.
# Tests start their own mosquitto brokers on free loopback ports and use temporary SQLite files.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh || exit 1
mkdir -p .build
# Build tests and the `vitalgate` binary (the crash-recovery test runs the real executable).
swift build --build-tests > .build/build.log 2>&1 && swift build --product vitalgate >> .build/build.log 2>&1
status=$?
grep -E "error:|warning: " .build/build.log | grep -v "^\[" | head -50
[ $status -eq 0 ] || { tail -30 .build/build.log; exit $status; }
# The agent links FoundationEssentials only (DECISIONS 21): full Foundation would bring ICU
# (~50 MB of executable) and ~3 MB of resident memory. An `import Foundation` in any target
# the executable uses brings it back; say so here rather than in a benchmark.
if readelf -d .build/debug/vitalgate | grep -E "NEEDED.*(libFoundation\.so|lib_FoundationICU|libFoundationInternationalization)"; then
  echo "vitalgate links full Foundation: a target it depends on imports Foundation (use FoundationEssentials)"
  exit 1
fi
# The EVM ledger tests run a py-evm JSON-RPC peer from a pinned virtual environment (PyPI).
VITALGATE_EVM_PEER_PYTHON="$(Tests/EVMLedgerTests/Peer/setup.sh)" || { echo "cannot set up the EVM test peer"; exit 1; }
export VITALGATE_EVM_PEER_PYTHON
# The delivery tests validate what the agent sends with fhir.resources (FHIR R4 4.0.1), pinned.
VITALGATE_FHIR_VALIDATOR_PYTHON="$(Tests/DeliveryTests/Validator/setup.sh)" || { echo "cannot set up the FHIR validator"; exit 1; }
export VITALGATE_FHIR_VALIDATOR_PYTHON
swift test --skip-build > .build/test.log 2>&1
status=$?
grep -E "✘|Test run with|Executed .* tests|Fatal error" .build/test.log | head -200
# The Debian package, built (release, static Swift runtime), linted, installed, run from /,
# reinstalled, removed and purged (scripts/test-deb.sh; as root, which CI is).
./scripts/test-deb.sh || status=1
# Every fuzz target for 30 s on its committed corpus (docs/TESTING.md): a parser that traps on an
# input it once handled, or on one near it, is caught at the next landing.
echo "fuzzing each target for 30 s (scripts/fuzz.sh)"
./scripts/fuzz.sh --seconds "${VITALGATE_FUZZ_SECONDS:-30}" || status=1
exit $status
