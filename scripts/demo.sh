#!/usr/bin/env bash
# The demo, from a fresh clone: builds zkmnist and classifies a committed sample digit.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
./target/release/zkmnist info
echo
echo "\$ zkmnist predict --image tests/fixtures/digit-7.png"
./target/release/zkmnist predict --image tests/fixtures/digit-7.png
