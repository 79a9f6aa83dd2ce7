#!/usr/bin/env bash
# Debian packages the test suite drives for real (listed in system-deps.txt), installed only when missing.
set -euo pipefail
missing=()
while read -r cmd pkg; do
  [ -z "${cmd:-}" ] && continue
  command -v "$cmd" >/dev/null 2>&1 || [ -x "$cmd" ] || missing+=("$pkg")
done < "$(dirname "$0")/system-deps.txt"
if [ "${#missing[@]}" -gt 0 ]; then
  echo "system deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "system deps: ok"
