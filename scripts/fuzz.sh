#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/) with -sanitize=fuzzer,address in .build-fuzz and runs
# each for a given time on its committed corpus (Fuzz/Corpus/<target>, with
# Fuzz/Dictionaries/<target>.dict where there is one). docs/TESTING.md describes the targets.
#
#   scripts/fuzz.sh [--seconds N | --runs N] [--jobs J] [--merge] [TARGET ...]
#
# --seconds N   time per target (default 30, what CI runs)
# --runs N      executions per target instead of a time
# --jobs J      libFuzzer worker processes per target (default 1)
# --merge       afterwards, add the inputs that reach new coverage to the committed corpus
#               (Fuzz/Corpus/<target>; otherwise it is only read)
# Each target fuzzes a working corpus in .build-fuzz/corpus/<target>, seeded from the committed
# one. A crash leaves its input in .build-fuzz/findings/<target>/ and the script exits 1.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=30
runs=""
jobs=1
merge=0
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --merge) merge=1; shift ;;
    -h|--help) sed -n 2,15p "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
all=(FuzzJSON FuzzMessageDecoder FuzzFleet FuzzConsent FuzzNotes FuzzProofBundle FuzzEVM FuzzConfigFile)
((${#targets[@]})) || targets=("${all[@]}")

flags=(-c release --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld)
export VITALGATE_FUZZ=1
mkdir -p .build-fuzz
for target in "${targets[@]}"; do
  if ! swift build "${flags[@]}" --product "$target" > ".build-fuzz/build-$target.log" 2>&1; then
    grep -E "error:" ".build-fuzz/build-$target.log" | head -20
    echo "fuzz: cannot build $target (.build-fuzz/build-$target.log)"
    exit 1
  fi
done
bin=$(swift build "${flags[@]}" --show-bin-path)

# Swift's backtracer would catch the crash before libFuzzer saves the input.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
status=0
for target in "${targets[@]}"; do
  corpus="Fuzz/Corpus/$target"
  findings=".build-fuzz/findings/$target"
  mkdir -p "$corpus" "$findings"
  work=".build-fuzz/corpus/$target"
  mkdir -p "$work"
  cp -R "$corpus/." "$work/"
  # Seeds the target builds itself (signed documents, notes): regenerated, never stale.
  "$bin/$target" --write-seeds "$work" >/dev/null 2>&1 || true
  options=(-print_final_stats=1 -artifact_prefix="$findings/" -timeout=10 -rss_limit_mb=2048)
  if [ -n "$runs" ]; then options+=(-runs="$runs"); else options+=(-max_total_time="$seconds"); fi
  [ -f "Fuzz/Dictionaries/$target.dict" ] && options+=(-dict="Fuzz/Dictionaries/$target.dict")
  if ((jobs > 1)); then options+=(-fork="$jobs"); fi
  log=".build-fuzz/$target.log"
  "$bin/$target" "${options[@]}" "$work" > "$log" 2>&1
  code=$?
  executed=$(grep -E "^stat::number_of_executed_units" "$log" | awk '{s+=$2} END {print s+0}')
  cov=$(grep -oE "cov: [0-9]+ ft: [0-9]+" "$log" | tail -1)
  elapsed=$(grep -E "^stat::(average_exec_per_sec|number_of_executed_units)" "$log" | awk '/per_sec/ {r=$2} /executed/ {n=$2} END {if (r > 0) printf "%.0f", n / r; else print "?"}')
  printf '%-20s %s  %12s runs in %ss  %s  corpus %s\n' "$target" "$([ $code -eq 0 ] && echo ok || echo FAILED)" \
    "$executed" "$elapsed" "${cov:-}" "$(ls "$work" | wc -l)"
  if ((code != 0)); then
    status=1
    grep -E "ERROR|FINDING|Fatal error|panic|==[0-9]+==|SUMMARY" "$log" | head -15
    input=$(ls -t "$findings" | head -1)
    echo "  log: $log; input: $findings/$input"
    # The input itself, so that a CI log is enough to reproduce it (base64 -d > file).
    [ -n "$input" ] && [ "$(stat -c %s "$findings/$input")" -le 8192 ] && base64 -w 0 "$findings/$input" && echo
  elif ((merge)); then
    "$bin/$target" -merge=1 "$corpus" "$work" > ".build-fuzz/merge-$target.log" 2>&1 \
      && echo "  merged: Fuzz/Corpus/$target has $(ls "$corpus" | wc -l) inputs"
  fi
done
exit $status
