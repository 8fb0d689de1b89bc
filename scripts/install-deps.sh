#!/usr/bin/env bash
# Installs the Debian packages VitalGate needs, if any is missing. Debian 12 (bookworm).
set -euo pipefail
packages=(pkg-config openssl mosquitto mosquitto-clients libmosquitto-dev libsqlite3-dev libssl-dev libsecp256k1-dev libcurl4-openssl-dev libevent-dev)
# Test peers: promtool (in `prometheus`) checks /metrics; headless Chromium loads the status page.
packages+=(prometheus chromium)
# scripts/package-deb.sh and scripts/test-deb.sh: dpkg-shlibdeps (in dpkg-dev) and lintian.
packages+=(dpkg-dev lintian)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The EVM test peer (py-evm, PyPI) runs in its own virtual environment: python3 needs venv and pip.
if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: python3-venv python3-pip"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv python3-pip >/dev/null
fi
# The Debian packages enable a system broker and a Prometheus server where systemd runs;
# VitalGate's demo and tests start their own broker and need only promtool.
if [ -d /run/systemd/system ] && ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
command -v swift >/dev/null || { echo "Swift toolchain not found on PATH (see https://swift.org/install)"; exit 1; }
