#!/usr/bin/env bash
# Detection benchmark (issue 5): replays the development set and freshly generated held-out
# seeds through `vitalgate detect --replay`, scores them with score_alerts.py at --budget 0.1,
# and runs the cost benchmark. Generated data goes to a scratch directory outside git.
#
#   scripts/detect-eval.sh [SEED ...]         (default seeds: 101 202; never tune on the seeds you report as held out)
#
# Environment: VITALGATE (binary, default .build/release/vitalgate), SHARED (default /work/shared),
# SCRATCH (default ${TMPDIR:-/tmp}/vitalgate-detect-eval).
set -euo pipefail
cd "$(dirname "$0")/.."
VITALGATE=${VITALGATE:-.build/release/vitalgate}
SHARED=${SHARED:-/work/shared}
SCRATCH=${SCRATCH:-${TMPDIR:-/tmp}/vitalgate-detect-eval}
if [ $# -gt 0 ]; then SEEDS=("$@"); else SEEDS=(101 202); fi
mkdir -p "$SCRATCH"
[ -x "$VITALGATE" ] || swift build -c release --product vitalgate

score() {  # name messages labels
    "$VITALGATE" detect --replay "$2" --alerts "$SCRATCH/$1-alerts.jsonl" --schemas Firmware-Schemas
    echo "== $1"
    python3 "$SHARED/tools/score_alerts.py" "$3" "$SCRATCH/$1-alerts.jsonl" --budget 0.1 || true
}

score dev "$SHARED/data/anomaly/dev/messages.jsonl.gz" "$SHARED/data/anomaly/dev/labels.jsonl"
for s in "${SEEDS[@]}"; do
    if [ ! -s "$SCRATCH/seed$s.jsonl.gz" ]; then
        python3 "$SHARED/tools/wban_sim.py" --variant public --seed "$s" --patients 8 --hours 12 \
            --out "$SCRATCH/seed$s.jsonl.gz" --labels "$SCRATCH/seed$s-labels.jsonl"
    fi
    score "seed$s" "$SCRATCH/seed$s.jsonl.gz" "$SCRATCH/seed$s-labels.jsonl"
done
[ -x "$VITALGATE-bench" ] || swift build -c release --product vitalgate-bench
"$VITALGATE-bench" detect --patients 50 --seconds 1800
