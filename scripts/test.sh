#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need (idempotent), then
# checks formatting and lints, runs every Rust test, builds the page's wasm, and runs the
# JavaScript suites (node:test): the wasm bindings in Node, the npm package, and the end-to-end
# test (anvil + `zkmnist serve` + headless chromium). CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
elapsed() { echo "   ($(( $(date +%s) - start )) s so far)"; }

./scripts/fetch-mnist.sh
./scripts/fetch-ptau.sh
scripts/ensure-node.sh
scripts/ensure-chromium.sh
# Node packages pinned in package-lock.json (solc-js, ethers, anvil, playwright-core); installed
# again only when the lock file is newer than the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --release --workspace --all-targets -- -D warnings
cargo clippy --release -p zkmnist-wasm --target wasm32-unknown-unknown -- -D warnings
elapsed
echo "== cargo test"
cargo test --release --workspace
elapsed
echo "== wasm: the committed pkg/ is what the committed sources build"
./scripts/build-wasm.sh --check
elapsed
echo "== JavaScript suites: wasm in node, the npm package (built and packed by its test), end to end, the page"
# One file at a time (they share the machine's two cores); each file's tests run in order.
node --test --test-concurrency=1 tests/e2e/wasm.test.mjs tests/e2e/npm.test.mjs tests/e2e/e2e.test.mjs tests/e2e/page.test.mjs
elapsed
