#!/usr/bin/env bash
# One command: install what is missing, build, and run the demo on the embedded defaults
# (a private mosquitto on a loopback port, the simulator, the agent, a fresh vault).
# Extra arguments go to `vitalgate demo` (e.g. --duration 60 --patients 8 --json).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
swift build -c release --static-swift-stdlib --product vitalgate 2>&1 | tail -1
exec .build/release/vitalgate demo "$@"
