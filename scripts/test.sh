#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need (idempotent), then
# checks formatting and lints, rebuilds the page's wasm and checks it is the committed pkg/, runs
# every Rust test, and runs the JavaScript suites (node:test): the wasm bindings in Node, the npm
# package, the end-to-end test and the page's (anvil + `zkmnist serve` + headless chromium). CI
# runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
elapsed() { echo "   ($(( $(date +%s) - start )) s so far)"; }

# The wasm check (rebuild both modules, compare them with the committed pkg/) is the longest
# step, about 800 core-seconds from nothing; it starts first, in the background and its own
# process group, and the downloads, the Rust build, the Rust tests and the Node suites run
# beside it (BENCHMARKS.md, "Issue 27").
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
mkdir -p target
echo "== wasm, in the background: the committed pkg/ must be what the committed sources build"
setsid ./scripts/build-wasm.sh --check > target/build-wasm-check.log 2>&1 &
wasm_check=$!
trap 'kill -- -"$wasm_check" 2>/dev/null || true' EXIT

./scripts/fetch-mnist.sh
./scripts/fetch-ptau.sh
scripts/ensure-node.sh
scripts/ensure-chromium.sh
# Node packages pinned in package-lock.json (solc-js, ethers, anvil, playwright-core); installed
# again only when the lock file is newer than the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
elapsed

echo "== cargo fmt --check"
cargo fmt --all -- --check
# Clippy lints while the tests build: clippy-driver compiles the workspace's own crates (exactly
# what `cargo clippy` sets up, RUSTC_WORKSPACE_WRAPPER and CLIPPY_ARGS), so every dependency is
# compiled once, for the tests, instead of once more for a separate `cargo check`. Any lint
# fails the build (-D warnings). The wasm crate compiles natively too, so this lints it.
export RUSTC_WORKSPACE_WRAPPER
RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
echo "== cargo test: build every target, linted by clippy (-D warnings)"
cargo test --release --workspace --all-targets --no-run
elapsed
# The Rust tests assert no timings, so they run beside the wasm check; the browser suites wait.
echo "== cargo test"
cargo test --release --workspace
elapsed
# So do the suites in Node (the committed pkg/'s bindings, the npm package): no browser, no
# timings.
echo "== JavaScript suites in Node: the wasm bindings, the npm package (built and packed by its test)"
node --test --test-concurrency=1 tests/e2e/wasm.test.mjs tests/e2e/npm.test.mjs
elapsed
echo "== wasm: waiting for the check"
if ! wait "$wasm_check"; then
  cat target/build-wasm-check.log >&2
  exit 1
fi
tail -n 1 target/build-wasm-check.log
elapsed
echo "== JavaScript suites in Chromium: end to end, the page"
# One file at a time, with the machine to themselves (they measure layout and wait on
# timeouts); each file's tests run in order.
node --test --test-concurrency=1 tests/e2e/e2e.test.mjs tests/e2e/page.test.mjs
elapsed
