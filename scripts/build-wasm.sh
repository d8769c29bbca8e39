#!/usr/bin/env bash
# Builds the page's WebAssembly module into pkg/ (wasm-bindgen, --target web). Installs the
# wasm32 target and wasm-bindgen-cli at exactly the wasm-bindgen crate's version when missing
# (the install takes ~10 minutes once; later runs skip it).
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown

version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ -z "$version" ]; then
  echo "error: no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
  echo "== installing wasm-bindgen-cli $version (once; takes several minutes)"
  cargo install wasm-bindgen-cli --version "=$version"
fi

echo "== building the wasm module"
# No rayon threads in the browser build (halo2's multicore feature does not compile there).
cargo build --release --target wasm32-unknown-unknown --no-default-features --features evm-exec --lib
rm -rf pkg.tmp
wasm-bindgen --target web --out-dir pkg.tmp target/wasm32-unknown-unknown/release/zkmnist.wasm
# An ES module for Node too (tests/e2e/wasm.mjs loads it there).
echo '{"type": "module", "private": true}' > pkg.tmp/package.json
rm -rf pkg
mv pkg.tmp pkg
echo "wrote pkg/ ($(du -h pkg/zkmnist_bg.wasm | cut -f1) of wasm)"
