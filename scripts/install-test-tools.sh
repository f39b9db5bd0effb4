#!/usr/bin/env bash
# Installs the Debian packages the tests use to judge our output (the lists are scripts/test-packages/*.txt).
# Idempotent: only missing packages are installed. Needs root (or sudo).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# One package per line; "name [arch]" keeps a package to that dpkg architecture (e.g. the amd64 guest kernel).
arch=$(dpkg --print-architecture 2>/dev/null || echo unknown)
mapfile -t wanted < <(cat "$here"/test-packages/*.txt | sed 's/#.*//' \
  | awk -v arch="$arch" '{ for (i = 1; i <= NF; i++) if ($i !~ /^\[/) { only = ($(i+1) ~ /^\[/) ? $(i+1) : ""; if (only == "" || only == "[" arch "]") print $i } }' \
  | sort -u)
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-test-tools: all ${#wanted[@]} packages present"
  exit 0
fi
SUDO=()
if [[ $(id -u) -ne 0 ]]; then SUDO=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-test-tools: installed ${missing[*]}"
