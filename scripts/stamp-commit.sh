#!/usr/bin/env bash
# Runs a build command with the commit it builds written into the binary, for `vitalgate
# --version`, then puts the checked-in file back:
#
#   scripts/stamp-commit.sh swift build -c release --static-swift-stdlib --product vitalgate
#
# The commit is $VITALGATE_COMMIT if set (a package build from a tarball, which has no .git),
# else `git rev-parse --short=12 HEAD` with `-dirty` if tracked files differ from it, else
# "unknown". Sources/VitalGateCommands/Version/BuildCommit.swift is checked in as "unknown", so a
# build without this script, from a clean clone or a tarball, compiles and says so; no SwiftPM
# plugin is involved (docs/DECISIONS.md 36). The file is restored with its old timestamp, so
# the next plain build recompiles it back to "unknown".
# VITALGATE_BUILD_COMMIT_FILE names another file to stamp (the tests use a copy).
set -euo pipefail
cd "$(dirname "$0")/.."
file=${VITALGATE_BUILD_COMMIT_FILE:-Sources/VitalGateCommands/Version/BuildCommit.swift}
commit=${VITALGATE_COMMIT:-}
if [ -z "$commit" ] && git rev-parse --verify -q HEAD > /dev/null 2>&1; then
  commit=$(git rev-parse --short=12 HEAD)
  if [ -n "$(git status --porcelain --untracked-files=no -- . ":(exclude)$file" 2> /dev/null)" ]; then
    commit+=-dirty
  fi
fi
commit=${commit:-unknown}
if ! [[ $commit =~ ^[A-Za-z0-9._+-]{1,64}$ ]]; then
  echo "stamp-commit: '$commit' is not a commit name (A-Z a-z 0-9 . _ + -)" >&2
  exit 1
fi
saved=$(mktemp)
cp -p "$file" "$saved"
trap 'cp -p "$saved" "$file"; rm -f "$saved"' EXIT
sed -i "s/^let buildCommit = \".*\"\$/let buildCommit = \"$commit\"/" "$file"
grep -q "^let buildCommit = \"$commit\"\$" "$file" || { echo "stamp-commit: no buildCommit line in $file" >&2; exit 1; }
"$@"
