#!/usr/bin/env bash
# Makes sure node and npm exist (Debian's packages when the machine has none). Idempotent.
set -euo pipefail
if command -v npm >/dev/null && command -v node >/dev/null; then
  exit 0
fi
echo "installing nodejs and npm from Debian ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq nodejs npm >/dev/null
