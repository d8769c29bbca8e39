#!/usr/bin/env bash
# The long tampering sweep: single-byte changes at 1,000+ positions over a proof and its public
# inputs, each rejected by the native verifier and the generated contract in revm
# (tests/evm.rs) and by the wasm verifier in Node (tests/e2e/wasm.test.mjs). The suite runs the
# same sweeps with about 200 positions. Needs pkg/ and a release build.
#
#   scripts/tamper-sweep.sh [POSITIONS]     (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
positions="${1:-1000}"
echo "== native + EVM (revm): $positions positions"
ZKMNIST_TAMPER_POSITIONS="$positions" cargo test --release --test integration \
  evm::the_contract_and_the_native_verifier_agree_on_tampered_calldata -- --nocapture
echo "== wasm (Node): $positions positions"
cargo build --release --bin zkmnist
TAMPER_POSITIONS="$positions" node --test tests/e2e/wasm.test.mjs
