#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need (idempotent), then
# checks formatting and lints and runs every test. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/fetch-mnist.sh
./scripts/fetch-ptau.sh
scripts/ensure-node.sh
# Node packages pinned in package-lock.json (solc-js for the Solidity verifier); installed
# again only when the lock file is newer than the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy

echo "== cargo fmt --check"
cargo fmt --all -- --check
# The `evm` feature adds the Solidity verifier (snark-verifier, revm): lint and test with it, so
# everything is built once, in one configuration.
echo "== cargo clippy"
cargo clippy --release --all-targets --features evm -- -D warnings
echo "== cargo test"
cargo test --release --features evm
