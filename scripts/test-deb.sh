#!/usr/bin/env bash
# The Debian package, end to end, on this machine: build it (scripts/package-deb.sh), lint it,
# install it, run the installed agent from / (`vitalgate demo`, then `run` as the unit would,
# as the vitalgate user), reinstall it over an edited configuration, remove it, purge it, and
# check at each step what must and must not be left. Run by scripts/test.sh after the Swift
# tests. It installs into the system, so it needs root (or sudo), and it refuses to run where
# vitalgate is already installed: its purge would delete that installation's vault and keys.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo > /dev/null || {
    echo "test-deb: FAILED: not root and no sudo; this test installs, removes and purges a package (CI runs it as root)" >&2
    exit 1
  }
  as_root=(sudo)
fi
root() { "${as_root[@]}" "$@"; }

data=/var/lib/vitalgate
unit=/lib/systemd/system/vitalgate.service
log_dir=.build
mkdir -p "$log_dir"
failed=0
check() { # check "what" command…: prints ok, or FAILED and the command's output; fails the test at the end
  local what=$1 output
  shift
  if output=$("$@" 2>&1); then
    echo "  ok      $what"
  else
    echo "  FAILED  $what"
    [ -z "$output" ] || printf '    %s\n' "${output//$'\n'/$'\n    '}"
    failed=1
  fi
}
fail() { echo "test-deb: FAILED: $*" >&2; exit 1; }
elapsed() { echo "$(($(date +%s) - $1)) s"; }
status_of() { dpkg-query -W -f='${db:Status-Status}' vitalgate 2> /dev/null || echo not-installed; }

existing=$(status_of)
if [ "$existing" != not-installed ] || [ -e "$data" ] || [ -e /etc/vitalgate ] || getent passwd vitalgate > /dev/null; then
  fail "this machine has a vitalgate installation (package: $existing; $data, /etc/vitalgate or the user vitalgate exists). The test ends with a purge, which would delete its vault and key file, so it runs only where there is none."
fi

work=$(mktemp -d)
broker_pid=""
agent_pid=""
installed=0
# shellcheck disable=SC2317 # (called by the trap)
cleanup() {
  [ -z "$agent_pid" ] || root kill "$agent_pid" 2> /dev/null || true
  [ -z "$broker_pid" ] || kill "$broker_pid" 2> /dev/null || true
  # A failed run leaves nothing installed, so the next run (and the machine) start clean.
  if [ "$installed" = 1 ] && [ "$(status_of)" != not-installed ]; then
    echo "test-deb: purging the package after a failure"
    root dpkg -P vitalgate > /dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

started=$(date +%s)
echo "test-deb: building the package (release build, static Swift runtime; log: $log_dir/deb-build.log)"
t=$(date +%s)
deb=$(scripts/package-deb.sh 2> "$log_dir/deb-build.log") || { tail -30 "$log_dir/deb-build.log"; fail "scripts/package-deb.sh"; }
echo "test-deb: built $deb ($(du -h "$deb" | cut -f1)) in $(elapsed "$t")"
upstream=$(dpkg-deb -f "$deb" Version | sed 's/-[^-]*$//')

# Errors and warnings fail (overrides, each with its reason: packaging/deb/lintian-overrides). The
# informational tags are known and explained in docs/DECISIONS.md; `lintian -I` shows them.
t=$(date +%s)
lintian --fail-on error,warning "$deb" || { echo "test-deb: lintian found errors or warnings" >&2; failed=1; }
echo "test-deb: lintian in $(elapsed "$t")"

t=$(date +%s)
echo "test-deb: installing"
installed=1
if ! root env DEBIAN_FRONTEND=noninteractive dpkg -i "$deb"; then
  echo "test-deb: installing missing dependencies (apt-get install -f)"
  root env DEBIAN_FRONTEND=noninteractive apt-get install -f -y -qq
fi
[ "$(status_of)" = installed ] || fail "the package is not installed after dpkg -i: $(status_of)"
echo "test-deb: installed in $(elapsed "$t")"
check "vitalgate on PATH is /usr/bin/vitalgate" test "$(command -v vitalgate)" = /usr/bin/vitalgate
version=$(cd / && vitalgate --version) || fail "vitalgate --version"
printf '    %s\n' "${version//$'\n'/$'\n    '}"
check "--version says $upstream" test "$(echo "$version" | head -1)" = "vitalgate $upstream"
if git rev-parse --verify -q HEAD > /dev/null; then
  check "--version names the commit" grep -q "^commit $(git rev-parse --short=12 HEAD)" <<< "$version"
fi
check "system user vitalgate, home $data, no login shell" \
  grep -Eq "^vitalgate:x:[0-9]+:[0-9]+:[^:]*:$data:/usr/sbin/nologin\$" <<< "$(getent passwd vitalgate)"
check "group vitalgate" getent group vitalgate
check "$data is 0700 vitalgate:vitalgate" test "$(root stat -c '%a %U:%G' "$data")" = "700 vitalgate:vitalgate"
check "the key file is 0600 vitalgate:vitalgate" \
  test "$(root stat -c '%a %U:%G' "$data/keys/gateway.keys")" = "600 vitalgate:vitalgate"
check "/etc/vitalgate/vitalgate.conf is a conffile" grep -q "/etc/vitalgate/vitalgate.conf" <<< "$(dpkg-query -W -f='${Conffiles}' vitalgate)"
check "the configuration's data_dir is $data" grep -q "^data_dir = \"$data\"" /etc/vitalgate/vitalgate.conf
check "the unit runs /usr/bin/vitalgate" grep -q "^ExecStart=/usr/bin/vitalgate run " "$unit"
# deb-systemd-helper enables without a running systemd: a later boot with systemd starts it.
check "the unit is enabled (multi-user.target.wants)" test -L /etc/systemd/system/multi-user.target.wants/vitalgate.service
check "the firmware schemas are in /usr/share/vitalgate/schemas" \
  test "$(find /usr/share/vitalgate/schemas -name '*.json' | wc -l)" -eq "$(find Firmware-Schemas -name '*.json' | wc -l)"
check "the manual page is in the package" grep -q ' ./usr/share/man/man1/vitalgate.1.gz$' <<< "$(dpkg-deb -c "$deb")"
# What systemd would say of the unit at boot (keys, ExecStart's binary, the Documentation= page).
if command -v systemd-analyze > /dev/null; then
  check "systemd-analyze verify accepts the unit" root systemd-analyze verify "$unit"
fi

t=$(date +%s)
echo "test-deb: vitalgate demo, from / (its own broker and data directory; reads /etc/vitalgate/vitalgate.conf)"
if (cd / && vitalgate demo --duration 10 --data-dir "$work/demo") > "$work/demo.out" 2>&1; then
  echo "  ok      demo ($(elapsed "$t")): $(grep -E "^(processed by agent|agent stopped cleanly)" "$work/demo.out" | tr -s ' ' | paste -sd ',')"
else
  echo "  FAILED  demo:"
  sed 's/^/    /' "$work/demo.out"
  failed=1
fi

# What systemd would run, as it would run it (ExecStart, User=vitalgate, UMask=0077, from /),
# against a private broker, its HTTP endpoints on a free port rather than [http]'s 9180: the
# installed user, data directory and key file must do.
t=$(date +%s)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
http_port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port" > "$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
broker_pid=$!
read -ra exec_start <<< "$(sed -n 's/^ExecStart=//p' "$unit")"
(cd / && umask 0077 && exec "${as_root[@]}" setpriv --reuid=vitalgate --regid=vitalgate --init-groups -- \
  "${exec_start[@]}" --broker "mqtt://127.0.0.1:$port" --http "127.0.0.1:$http_port") > "$work/agent.log" 2>&1 &
agent_pid=$!
online=""
for _ in $(seq 40); do
  online=$(mosquitto_sub -h 127.0.0.1 -p "$port" -t 'vitalgate/+/status' -C 1 -W 1 2> /dev/null || true)
  [ "$online" = online ] && break
  kill -0 "$agent_pid" 2> /dev/null || break
done
check "the unit's ExecStart, as vitalgate, comes online" test "$online" = online
check "its /healthz answers" python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' \
  "http://127.0.0.1:$http_port/healthz"
root kill -TERM "$agent_pid" 2> /dev/null || true
agent_status=0
wait "$agent_pid" || agent_status=$?
agent_pid=""
check "it stops cleanly on SIGTERM (exit 0)" test "$agent_status" -eq 0
if [ "$online" != online ] || [ "$agent_status" -ne 0 ]; then sed 's/^/    agent: /' "$work/agent.log"; fi
check "its vault is in $data, the service user's" test "$(root stat -c '%U' "$data/vault.sqlite")" = vitalgate
kill "$broker_pid" 2> /dev/null || true
wait "$broker_pid" 2> /dev/null || true
broker_pid=""
echo "test-deb: the unit's command line in $(elapsed "$t")"

# An upgrade (here: the same version again) keeps an edited configuration and the key file.
t=$(date +%s)
echo "# edited by test-deb" | root tee -a /etc/vitalgate/vitalgate.conf > /dev/null
key_digest=$(root sha256sum "$data/keys/gateway.keys")
root env DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold "$deb" > "$work/reinstall.log" 2>&1 \
  || { cat "$work/reinstall.log"; fail "reinstalling the package"; }
check "reinstall: the edited configuration is kept" grep -q "^# edited by test-deb" /etc/vitalgate/vitalgate.conf
check "reinstall: the key file is the same" test "$(root sha256sum "$data/keys/gateway.keys")" = "$key_digest"
check "reinstall: the vault is kept" root test -s "$data/vault.sqlite"

echo "test-deb: dpkg -r (keeps configuration, data and user)"
root dpkg -r vitalgate > "$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "dpkg -r"; }
check "remove: package state config-files" test "$(status_of)" = config-files
check "remove: /usr/bin/vitalgate is gone" test ! -e /usr/bin/vitalgate
check "remove: the unit is gone" test ! -e "$unit"
check "remove: the configuration is kept" grep -q "^# edited by test-deb" /etc/vitalgate/vitalgate.conf
check "remove: the key file is kept" test "$(root sha256sum "$data/keys/gateway.keys")" = "$key_digest"
check "remove: the user is kept" getent passwd vitalgate

echo "test-deb: dpkg -P (deletes configuration, data and user)"
root dpkg -P vitalgate > "$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg -P"; }
installed=0
check "purge: warns that the vault cannot be recovered" grep -q "cannot be recovered" "$work/purge.log"
check "purge: the package is gone" test "$(status_of)" = not-installed
check "purge: $data is gone" test ! -e "$data"
check "purge: /etc/vitalgate is gone" test ! -e /etc/vitalgate
check "purge: the user is gone" test -z "$(getent passwd vitalgate)"
check "purge: the group is gone" test -z "$(getent group vitalgate)"
check "purge: no systemd links or state left" \
  test -z "$(find /etc/systemd /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked -name '*vitalgate*' 2> /dev/null)"
check "purge: no file of the package left" test ! -e /usr/share/vitalgate -a ! -e /usr/share/doc/vitalgate
echo "test-deb: reinstall, remove and purge in $(elapsed "$t")"

echo "test-deb: $( ((failed)) && echo FAILED || echo passed) in $(elapsed "$started")"
exit "$failed"
