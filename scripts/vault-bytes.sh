#!/usr/bin/env bash
# Bytes on disk per stored reading (issue 20 item 4): drains the 50,000-message simulator stream of
# scripts/drain-ab.sh (50 patients, seed 1) into a new vault with one vitalgate build, then prints
# SQLite's dbstat per table and index, and the readings table's bytes attributed to each kind and
# model (each row's record size, scaled by the table's page use) plus the identity index's share.
#
# usage: scripts/vault-bytes.sh BUILD [KEEP_DIR]   (e.g. .build/release/vitalgate)
# Needs mosquitto, sqlite3 (Debian's has dbstat) and python3.
set -euo pipefail
bin=$1
HERE=$(cd "$(dirname "$0")" && pwd)
SCHEMAS=$HERE/../Firmware-Schemas
out=${2:-$(mktemp -d)}; [ -n "${2:-}" ] || trap 'rm -rf "$out"' EXIT
rm -rf "$out/data"; mkdir -p "$out/data"; data=$out/data; port=$((20000 + RANDOM % 20000))
printf 'user %s\nlistener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 1000000\nmax_queued_bytes 0\nmax_inflight_messages 100\npersistent_client_expiration 7d\n' \
    "$(id -un)" "$port" > "$out/mosquitto.conf"
mosquitto -c "$out/mosquitto.conf" > "$out/mosquitto.log" 2>&1 & broker=$!
trap 'kill $broker 2> /dev/null || true; [ -n "${2:-}" ] || rm -rf "$out"' EXIT
sleep 0.5
run=(run --broker "mqtt://127.0.0.1:$port" --data-dir "$data" --gateway bench --schemas "$SCHEMAS" --no-detection)
"$bin" keys init --data-dir "$data" > /dev/null
"$bin" "${run[@]}" > "$out/first.log" 2>&1 & agent=$!   # creates the session
sleep 1.5; kill -TERM $agent; wait $agent || true
"$bin" simulate --broker "mqtt://127.0.0.1:$port" --patients 50 --seed 1 --speed 0 --count 50000 \
    --start reference --max-inflight 1000 > /dev/null 2>&1
"$bin" "${run[@]}" --stop-after-messages 50000 > "$out/agent.log" 2>&1
db=$data/vault.sqlite
sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE);' > /dev/null
echo "vault file: $(stat -c %s "$db") bytes, $(sqlite3 "$db" 'SELECT count(*) FROM readings') readings"
sqlite3 -column -header "$db" "SELECT name, sum(pgsize) AS bytes,
    round(sum(pgsize) * 1.0 / (SELECT count(*) FROM readings), 1) AS per_reading, sum(unused) AS unused
    FROM dbstat GROUP BY name ORDER BY bytes DESC LIMIT 6"
python3 - "$db" <<'PY'
import collections, sqlite3, sys
def varint_len(n):
    n &= (1 << 64) - 1
    if n > 0x00FFFFFFFFFFFFFF: return 9
    c = 1
    while n >= 0x80: n >>= 7; c += 1
    return c
def serial(v):  # (serial type, content bytes) of SQLite's record format
    if v is None: return 0, 0
    if isinstance(v, int):
        if v in (0, 1): return 8 + v, 0
        for t, size, bound in ((1, 1, 1 << 7), (2, 2, 1 << 15), (3, 3, 1 << 23), (4, 4, 1 << 31), (5, 6, 1 << 47)):
            if -bound <= v < bound: return t, size
        return 6, 8
    if isinstance(v, float): return 7, 8
    b = len(v.encode()) if isinstance(v, str) else len(v)
    return (13 if isinstance(v, str) else 12) + 2 * b, b
db = sqlite3.connect(sys.argv[1])
cols = [r[1] for r in db.execute("PRAGMA table_info(readings)")]
kind, model = cols.index("kind"), cols.index("model")
cells = collections.defaultdict(lambda: [0, 0]); total = 0
for row in db.execute("SELECT * FROM readings"):
    values = list(row); rowid = values[0]; values[0] = None  # the INTEGER PRIMARY KEY is stored as NULL
    header = sum(varint_len(serial(v)[0]) for v in values); header += varint_len(header + 1)
    payload = header + sum(serial(v)[1] for v in values)
    cell = payload + varint_len(payload) + varint_len(rowid) + 2  # + the cell pointer
    key = row[kind] if row[kind] == "event" else f"{row[kind]}/{row[model]}"
    cells[key][0] += 1; cells[key][1] += cell; total += cell
table = db.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'readings'").fetchone()[0]
index = db.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'readings_identity'").fetchone()[0]
n = db.execute("SELECT count(*) FROM readings").fetchone()[0]
scale = table / total
print(f"per reading, readings table and identity index (index {index / n:.1f} B for every row):")
vitals = [0, 0]
for key, (count, size) in sorted(cells.items()):
    print(f"  {key:22s} {count:6d} rows  {size / count * scale + index / n:6.1f} B")
    if key.startswith("vitals"): vitals[0] += count; vitals[1] += size
if vitals[0]:
    print(f"  {'all vitals':22s} {vitals[0]:6d} rows  {vitals[1] / vitals[0] * scale + index / n:6.1f} B")
PY
