#!/usr/bin/env bash
# The demo, from a fresh clone: builds zkmnist and the page's wasm, makes the (INSECURE, dev)
# keys, proves and verifies a sample digit on the command line, then serves the page on
# http://127.0.0.1:$PORT/ (default 8080) until interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${PORT:-8080}"

cargo build --release
./scripts/build-wasm.sh
zk=./target/release/zkmnist
echo
$zk info
echo
# Keeps keys/ when they are this build's pinned keys (dev or a real ceremony's, see the
# README); otherwise makes the INSECURE dev keys.
echo "\$ zkmnist setup --if-needed"
$zk setup --if-needed
echo
mkdir -p .cache/demo
echo "\$ zkmnist prove --image tests/fixtures/digit-7.png --out .cache/demo/proof.json --opening .cache/demo/opening.json"
$zk prove --image tests/fixtures/digit-7.png --out .cache/demo/proof.json --opening .cache/demo/opening.json
echo
echo "\$ zkmnist verify .cache/demo/proof.json"
$zk verify .cache/demo/proof.json
echo
echo "\$ zkmnist verify-evm .cache/demo/proof.json"
$zk verify-evm .cache/demo/proof.json
echo
echo "\$ zkmnist serve --port $port"
exec $zk serve --port "$port"
