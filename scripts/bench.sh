#!/usr/bin/env bash
# Benchmarks (release build, static Swift runtime as deployed). Figures go to BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
swift build -c release --static-swift-stdlib --product vitalgate 2>&1 | tail -1
swift build -c release --static-swift-stdlib --product vitalgate-bench 2>&1 | tail -1
.build/release/vitalgate-bench ingest "$@"
