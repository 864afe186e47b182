#!/bin/sh
# Installs the npm packages the tests use as independent peers (lora-packet for
# the LoRaWAN Join Server) into tests/lorawan/node_modules, at the versions
# pinned in tests/lorawan/package-lock.json. Does nothing when they are there.
set -eu
dir=$(cd "$(dirname "$0")/../tests/lorawan" && pwd)
want=$(sed -n 's/.*"lora-packet": "\(.*\)".*/\1/p' "$dir/package.json")
have=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$dir/node_modules/lora-packet/package.json" 2>/dev/null || true)
[ "$have" = "$want" ] && exit 0
cd "$dir"
npm ci --no-audit --no-fund
