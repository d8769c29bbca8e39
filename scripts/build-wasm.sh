#!/usr/bin/env bash
# Builds the page's WebAssembly module (crates/wasm, wasm-bindgen --target web) twice:
#   pkg/          one thread; works in any browser, and is the npm package's module;
#   pkg/threads/  rayon over Web Workers (wasm-bindgen-rayon); the worker uses it when the page
#                 is cross-origin isolated (zkmnist serve always is), and pkg/ otherwise.
#
# pkg/ is committed, built from the committed sources: pkg/SOURCES holds a hash of everything
# the modules are made from (the crates, the curve library, Cargo.toml and Cargo.lock, the
# embedded circuits/ files, this script, the Rust and wasm-bindgen versions). The builds are
# reproducible (paths remapped), so anyone can check that the committed bytes are what the
# sources make.
#
#   scripts/build-wasm.sh              build, replace pkg/ (and its .gz copies)
#   scripts/build-wasm.sh --if-stale   only if pkg/SOURCES differs from the sources (the demo)
#   scripts/build-wasm.sh --check      build to pkg.tmp/ and fail unless it equals pkg/ (the tests)
#
# Installs the wasm32 target and rust-src when a build is needed, and builds wasm-bindgen's code
# generator (crates/wasm/bindgen: the library behind the wasm-bindgen command line, at exactly
# the wasm-bindgen crate's version, output byte for byte the command line's).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-build}"
case "$mode" in build|--if-stale|--check) ;; *) echo "usage: $0 [--if-stale|--check]" >&2; exit 2 ;; esac

version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ -z "$version" ]; then
  echo "error: no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi

# The stamp: one hash over the inputs' contents (paths relative to the repository), the
# compiler's version and the wasm-bindgen version. Anything else cannot change the modules.
sources_hash() {
  {
    find crates third_party circuits -type f \( -name '*.rs' -o -name '*.toml' -o -name '*.json' -o -name '*.bin' -o -name '*.sol' -o -name Cargo.lock \) \
      -not -path '*/target/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    sha256sum Cargo.toml Cargo.lock scripts/build-wasm.sh
    rustc --version
    echo "wasm-bindgen $version"
  } | sha256sum | cut -d' ' -f1
}
stamp=$(sources_hash)

if [ "$mode" = "--if-stale" ] && [ -f pkg/SOURCES ] && [ "$(cat pkg/SOURCES)" = "$stamp" ] \
    && [ -f pkg/zkmnist_bg.wasm ] && [ -f pkg/threads/zkmnist_bg.wasm ]; then
  echo "pkg/ is built from these sources (pkg/SOURCES): not rebuilt"
  # The server sends these to browsers that take gzip; they are not committed.
  find pkg -name '*.wasm' -o -name '*.js' | while read -r f; do [ -f "$f.gz" ] || gzip -9 -k -n "$f"; done
  exit 0
fi

rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
# The threaded build needs std rebuilt with atomics: `-Z build-std`, an unstable cargo flag,
# which stable Rust allows with RUSTC_BOOTSTRAP=1, and the rust-src component.
rustup component list --installed 2>/dev/null | grep -q '^rust-src' || rustup component add rust-src

# Reproducible: the repository, cargo's registry and the toolchain under fixed names, so the
# modules do not depend on where the clone or the tools live.
remap="--remap-path-prefix=$PWD=/zkmnist --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo --remap-path-prefix=$(rustc --print sysroot)=/rustc"

# The two modules and the code generator build at the same time, each in its own target
# directory (cargo locks one while it builds): from nothing that is about 800 core-seconds,
# mostly dependencies, and the cores stay busy to the end.
rm -rf pkg.tmp
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
pids=()
names=()
in_background() {
  local name=$1
  shift
  "$@" > "$logs/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
}
# The code generator must be the wasm-bindgen crate's own version (its lock file pins it).
tool_version=$(awk '/^name = "wasm-bindgen-cli-support"$/ { getline; gsub(/"/, "", $3); print $3; exit }' crates/wasm/bindgen/Cargo.lock)
if [ "$tool_version" != "$version" ]; then
  echo "error: crates/wasm/bindgen has wasm-bindgen-cli-support $tool_version, the wasm crate wasm-bindgen $version: pin the same version in both" >&2
  exit 1
fi
bindgen=target/bindgen/debug/zkmnist-bindgen
# Unoptimised and without debug information: 43 crates, compiled once per clone.
in_background bindgen cargo build --locked --manifest-path crates/wasm/bindgen/Cargo.toml --target-dir target/bindgen
echo "== building the wasm modules (one thread; threads)"
# halo2's multicore feature needs wasm atomics, which the one-thread build does not have.
# Cargo.toml's `wasm` profile: release with whole-program optimisation (smaller and faster).
in_background one-thread env RUSTFLAGS="$remap" \
  cargo build -p zkmnist-wasm --profile wasm --target wasm32-unknown-unknown --target-dir target/wasm
in_background threads env RUSTC_BOOTSTRAP=1 \
  RUSTFLAGS="$remap -C target-feature=+atomics,+bulk-memory,+mutable-globals -C link-arg=--shared-memory -C link-arg=--max-memory=4294967296 -C link-arg=--import-memory -C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size -C link-arg=--export=__tls_align -C link-arg=--export=__tls_base" \
  cargo build -Z build-std=panic_abort,std -p zkmnist-wasm --profile wasm --target wasm32-unknown-unknown \
    --features wasm-threads --target-dir target/wasm-threads
failed=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "error: building ${names[$i]} failed:" >&2
    tail -n 40 "$logs/${names[$i]}.log" >&2
    failed=1
  fi
done
[ "$failed" = 0 ] || exit 1

# = wasm-bindgen --target web --out-name zkmnist --out-dir DIR MODULE
"$bindgen" target/wasm/wasm32-unknown-unknown/wasm/zkmnist_wasm.wasm pkg.tmp
# An ES module for Node too (tests/e2e/wasm.test.mjs loads it there; scripts/build-npm.sh packs it).
echo '{"type": "module", "private": true}' > pkg.tmp/package.json
"$bindgen" target/wasm-threads/wasm32-unknown-unknown/wasm/zkmnist_wasm.wasm pkg.tmp/threads
# wasm-bindgen-rayon's worker imports its package as '../../..', which only a bundler
# resolves; point it at the module file so plain browsers load it.
helpers=$(echo pkg.tmp/threads/snippets/wasm-bindgen-rayon-*/src/workerHelpers.js)
grep -q "import('../../..')" "$helpers" || { echo "error: unexpected $helpers" >&2; exit 1; }
sed -i "s|import('../../..')|import('../../../zkmnist.js')|" "$helpers"
echo "$stamp" > pkg.tmp/SOURCES

if [ "$mode" = "--check" ]; then
  if ! diff -r -x '*.gz' pkg pkg.tmp > /dev/null; then
    diff -r -q -x '*.gz' pkg pkg.tmp >&2 || true
    echo "error: the committed pkg/ is not what the committed sources build: run scripts/build-wasm.sh and commit pkg/" >&2
    exit 1
  fi
  rm -rf pkg.tmp
  echo "pkg/ is exactly what these sources build"
  exit 0
fi

# Precompressed copies for `zkmnist serve` (sent to browsers that take gzip): the modules shrink
# to about half; compressing once here beats compressing per request.
find pkg.tmp -name '*.wasm' -o -name '*.js' | while read -r f; do gzip -9 -k -f -n "$f"; done

rm -rf pkg
mv pkg.tmp pkg
echo "wrote pkg/ ($(du -h pkg/zkmnist_bg.wasm | cut -f1) one thread, $(du -h pkg/threads/zkmnist_bg.wasm | cut -f1) threaded)"
