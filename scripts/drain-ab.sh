#!/usr/bin/env bash
# Side-by-side drain timing of two vitalgate builds, in ABBA order (A B, B A, ...), so that
# neither build always runs after the other (on a shared machine, run order alone has shown
# 10 % effects). Each run: a private mosquitto, a persistent session queued with a 50,000
# message simulator stream (50 patients, seed 1), then `vitalgate run --no-detection` drains it.
# Prints per-run drain time (vault arrival span) and agent CPU time, then the medians.
#
# usage: scripts/drain-ab.sh BUILD_A BUILD_B [PAIRS=16]   (release builds, e.g. .build/release/vitalgate)
# Needs mosquitto, sqlite3, GNU time and python3 (Debian: mosquitto sqlite3 time python3).
#
# SLOW_SYNC_MS=N models slower storage (a gateway's flash card): every fsync of the agents
# first waits N ms (scripts/slow-sync.c, preloaded into the agents only; needs a C compiler).
set -euo pipefail
A=$1; B=$2; PAIRS=${3:-16}
HERE=$(cd "$(dirname "$0")" && pwd)
SCHEMAS=$HERE/../Firmware-Schemas
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
preload=()
if [ -n "${SLOW_SYNC_MS:-}" ]; then
    "${CC:-cc}" -shared -fPIC -O2 -o "$WORK/slow-sync.so" "$HERE/slow-sync.c" -ldl
    preload=(env LD_PRELOAD="$WORK/slow-sync.so" SLOW_SYNC_MS="$SLOW_SYNC_MS")
    echo "storage model: every fsync waits $SLOW_SYNC_MS ms"
fi

drain() {  # drain BUILD -> "drain_ms cpu_s"
    local bin=$1 port=$((20000 + RANDOM % 20000)) data=$WORK/data
    rm -rf "$data"; mkdir -p "$data"
    printf 'user %s\nlistener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 1000000\nmax_queued_bytes 0\nmax_inflight_messages 100\npersistent_client_expiration 7d\n' \
        "$(id -un)" "$port" > "$WORK/mosquitto.conf"
    mosquitto -c "$WORK/mosquitto.conf" > "$WORK/mosquitto.log" 2>&1 & local broker=$!
    sleep 0.5
    local run=(run --broker "mqtt://127.0.0.1:$port" --data-dir "$data" --gateway bench --schemas "$SCHEMAS" --no-detection)
    "$bin" keys init --data-dir "$data" > /dev/null
    "${preload[@]}" "$bin" "${run[@]}" > "$WORK/first.log" 2>&1 & local agent=$!   # creates the session
    sleep 1.5; kill -TERM $agent; wait $agent || true
    "$bin" simulate --broker "mqtt://127.0.0.1:$port" --patients 50 --seed 1 --speed 0 --count 50000 \
        --start reference --max-inflight 1000 > /dev/null 2>&1
    /usr/bin/time -o "$WORK/cpu" -f '%U %S' "${preload[@]}" "$bin" "${run[@]}" --stop-after-messages 50000 \
        > "$WORK/agent.log" 2>&1
    local cpu; cpu=$(awk '{print $1 + $2}' "$WORK/cpu")
    kill $broker; wait $broker 2> /dev/null || true
    echo "$(sqlite3 "$data/vault.sqlite" 'SELECT max(received_at) - min(received_at) FROM readings') $cpu"
}

results=$WORK/results
for i in $(seq 1 "$PAIRS"); do
    if (( i % 2 )); then a=$(drain "$A"); b=$(drain "$B"); else b=$(drain "$B"); a=$(drain "$A"); fi
    echo "pair $i: A $a  B $b" | tee -a "$results"
done
python3 - "$results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
a = [float(r[3]) for r in rows]; ca = [float(r[4]) for r in rows]
b = [float(r[6]) for r in rows]; cb = [float(r[7]) for r in rows]
m = statistics.median
print(f"drain ms, median: A {m(a):.0f}  B {m(b):.0f}  -> B is {m(a) / m(b):.3f}x A "
      f"(median of pairwise ratios {m([x / y for x, y in zip(a, b)]):.3f})")
print(f"agent CPU s, median: A {m(ca):.2f}  B {m(cb):.2f}  -> B uses {m(cb) / m(ca):.3f}x")
PY
