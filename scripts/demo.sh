#!/usr/bin/env bash
# The demo, from a fresh clone: builds zkmnist (and the page's wasm, only if the committed pkg/
# is stale), makes the (INSECURE, dev) keys, proves and verifies a sample digit on the command line, starts a local chain (anvil,
# from the npm package @foundry-rs/anvil, on 127.0.0.1:$CHAIN_PORT, default 8545) with the
# verifier and DigitRegistry deployed, then serves the page on http://127.0.0.1:$PORT/ (default
# 8080), already pointed at that chain, until interrupted. Stopping the demo stops the chain.
# Without Node.js the page is served all the same, and the demo says why the chain is off.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${PORT:-8080}"
chain_port="${CHAIN_PORT:-8545}"

cargo build --release
# pkg/ is committed: rebuilt only when the sources it was built from changed.
./scripts/build-wasm.sh --if-stale
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

# ---- the local chain ----------------------------------------------------------------------
chain_args=()
chain_off=""
anvil_pid=""
serve_pid=""
stop_chain() {
  if [ -n "$anvil_pid" ]; then
    kill "$anvil_pid" 2>/dev/null || true
    wait "$anvil_pid" 2>/dev/null || true
    anvil_pid=""
    echo "zkmnist demo: local chain stopped"
  fi
}
# However the demo ends (Ctrl-C, kill, an error), the server and the chain end with it.
stop_all() {
  if [ -n "$serve_pid" ]; then
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  stop_chain
}
trap stop_all EXIT
trap 'exit 130' INT TERM

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  chain_off="Node.js and npm are not installed (the chain is anvil from npm; scripts/ensure-node.sh installs them)"
elif ! { [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; } \
    && ! npm ci --no-audit --no-fund; then
  chain_off="npm could not install the pinned packages (anvil, ethers)"
elif (echo > "/dev/tcp/127.0.0.1/$chain_port") 2>/dev/null; then
  chain_off="something already listens on 127.0.0.1:$chain_port (set CHAIN_PORT to another port)"
else
  chain_log=.cache/demo/anvil.log
  echo "\$ anvil --host 127.0.0.1 --port $chain_port   (a local test chain, id 31337)"
  node_modules/.bin/anvil --host 127.0.0.1 --port "$chain_port" > "$chain_log" 2>&1 &
  anvil_pid=$!
  for _ in $(seq 1 150); do
    grep -q "Listening on" "$chain_log" 2>/dev/null && break
    kill -0 "$anvil_pid" 2>/dev/null || break
    sleep 0.2
  done
  if ! grep -q "Listening on" "$chain_log" 2>/dev/null; then
    chain_off="anvil did not start: $(tail -n 3 "$chain_log" 2>/dev/null | tr '\n' ' ')"
    stop_chain
    anvil_pid=""
  else
    # anvil's first dev account: a public test key, funded on every anvil chain, nowhere else.
    echo "\$ node scripts/deploy.mjs --rpc http://127.0.0.1:$chain_port --private-key-env ZKMNIST_DEMO_KEY --out .cache/demo/chain.json"
    if ZKMNIST_DEMO_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 \
        node scripts/deploy.mjs --rpc "http://127.0.0.1:$chain_port" --private-key-env ZKMNIST_DEMO_KEY \
          --out .cache/demo/chain.json; then
      chain_args=(--chain .cache/demo/chain.json)
    else
      chain_off="deploying the contracts failed (see above)"
    fi
  fi
fi
echo
if [ -n "$chain_off" ]; then
  echo "zkmnist demo: the local chain is OFF: $chain_off."
  echo "zkmnist demo: the page works without it; only 'Record on chain' and 'Call the deployed verifier' need a chain."
fi

echo "\$ zkmnist serve --port $port ${chain_args[*]:-}"
# In the background and waited for, so that a signal to this script is handled at once.
$zk serve --port "$port" "${chain_args[@]}" &
serve_pid=$!
wait "$serve_pid"
