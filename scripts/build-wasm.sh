#!/usr/bin/env bash
# Builds the page's WebAssembly module (wasm-bindgen, --target web) twice:
#   pkg/          one thread; works in any browser;
#   pkg/threads/  rayon over Web Workers (wasm-bindgen-rayon); the worker uses it when the page
#                 is cross-origin isolated, and falls back to pkg/ otherwise.
# Installs the wasm32 target, rust-src and wasm-bindgen-cli (at exactly the wasm-bindgen crate's
# version) when missing; the cli install takes ~10 minutes once, later runs skip it.
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

rm -rf pkg.tmp
echo "== building the wasm module (one thread)"
# halo2's multicore feature needs wasm atomics, which this build does not have.
# Cargo.toml's `wasm` profile: release with whole-program optimisation (smaller and faster).
cargo build --profile wasm --target wasm32-unknown-unknown --no-default-features --features evm-exec --lib
wasm-bindgen --target web --out-dir pkg.tmp target/wasm32-unknown-unknown/wasm/zkmnist.wasm
# An ES module for Node too (tests/e2e/wasm.test.mjs loads it there; scripts/build-npm.sh packs it).
echo '{"type": "module", "private": true}' > pkg.tmp/package.json

# The threaded build needs std rebuilt with atomics: `-Z build-std`, an unstable cargo flag,
# which stable Rust allows with RUSTC_BOOTSTRAP=1, and the rust-src component. If rust-src
# cannot be had, the page runs on one thread (slower, same proofs).
if rustup component list --installed 2>/dev/null | grep -q '^rust-src' || rustup component add rust-src; then
  echo "== building the wasm module (threads)"
  RUSTC_BOOTSTRAP=1 \
  RUSTFLAGS='-C target-feature=+atomics,+bulk-memory,+mutable-globals -C link-arg=--shared-memory -C link-arg=--max-memory=4294967296 -C link-arg=--import-memory -C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size -C link-arg=--export=__tls_align -C link-arg=--export=__tls_base' \
    cargo build -Z build-std=panic_abort,std --profile wasm --target wasm32-unknown-unknown \
      --no-default-features --features evm-exec,wasm-threads --lib --target-dir target/wasm-threads
  wasm-bindgen --target web --out-dir pkg.tmp/threads \
    target/wasm-threads/wasm32-unknown-unknown/wasm/zkmnist.wasm
  # wasm-bindgen-rayon's worker imports its package as '../../..', which only a bundler
  # resolves; point it at the module file so plain browsers load it.
  helpers=$(echo pkg.tmp/threads/snippets/wasm-bindgen-rayon-*/src/workerHelpers.js)
  grep -q "import('../../..')" "$helpers" || { echo "error: unexpected $helpers" >&2; exit 1; }
  sed -i "s|import('../../..')|import('../../../zkmnist.js')|" "$helpers"
else
  echo "note: rust-src unavailable: the page will prove on one thread" >&2
fi

# Precompressed copies for `zkmnist serve` (sent to browsers that take gzip): the modules shrink
# to about half; compressing once here beats compressing per request.
find pkg.tmp -name '*.wasm' -o -name '*.js' | while read -r f; do gzip -9 -k -f -n "$f"; done

rm -rf pkg
mv pkg.tmp pkg
echo "wrote pkg/ ($(du -h pkg/zkmnist_bg.wasm | cut -f1) of wasm)$([ -d pkg/threads ] && echo ' and pkg/threads/')"
