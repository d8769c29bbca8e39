#!/usr/bin/env bash
# The demo, from a fresh clone: builds zkmnist, classifies a committed sample digit, then proves
# that classification in zero knowledge and verifies the proof (with the INSECURE dev setup).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
zk=./target/release/zkmnist
$zk info
echo
echo "\$ zkmnist predict --image tests/fixtures/digit-7.png"
$zk predict --image tests/fixtures/digit-7.png
echo
# Keys take a few seconds; making them every time keeps them in step with this build.
echo "\$ zkmnist setup"
$zk setup
echo
mkdir -p .cache/demo
echo "\$ zkmnist prove --image tests/fixtures/digit-7.png --out .cache/demo/proof.json --opening .cache/demo/opening.json"
$zk prove --image tests/fixtures/digit-7.png --out .cache/demo/proof.json --opening .cache/demo/opening.json
echo
echo "\$ zkmnist verify .cache/demo/proof.json"
$zk verify .cache/demo/proof.json
