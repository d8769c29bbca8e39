#!/usr/bin/env node
// Deploys the committed verifier (circuits/evm/*.bin) to a chain: Halo2Verifier,
// ZkmnistVerifier(verifier), DigitRegistry(zkmnist), and prints the addresses. The key is read
// from an environment variable, never from the command line.
//
//   ZKMNIST_DEPLOYER_KEY=0x... node scripts/deploy.mjs --rpc http://127.0.0.1:8545 --private-key-env ZKMNIST_DEPLOYER_KEY [--out chain.json]
//
// A verifier generated from the INSECURE dev keys (anyone can forge proofs it accepts) is
// deployed only to a local test chain (chain id 31337, anvil's), unless --insecure-dev-keys says
// that is really wanted. `--out FILE` writes the deployment as a chain file for
// `zkmnist serve --chain FILE` (the page then records on it with nothing to paste).
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ethers } from 'ethers';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ORDER = ['Halo2Verifier', 'ZkmnistVerifier', 'DigitRegistry'];
// anvil's chain id: the only one dev-insecure keys are deployed to without asking.
export const LOCAL_CHAIN_ID = 31337n;
export const DEV_SETUP = 'dev-insecure';

export function artifacts() {
  const dir = path.join(root, 'circuits/evm');
  const record = JSON.parse(readFileSync(path.join(dir, 'verifier.json'), 'utf8'));
  const bin = Object.fromEntries(ORDER.map((n) => {
    const hex = readFileSync(path.join(dir, `${n}.bin`), 'utf8').trim();
    if (!/^[0-9a-f]+$/.test(hex)) throw new Error(`circuits/evm/${n}.bin is not hex bytecode`);
    return [n, `0x${hex}`];
  }));
  const abi = {
    ZkmnistVerifier: JSON.parse(readFileSync(path.join(dir, 'ZkmnistVerifier.abi.json'), 'utf8')),
    DigitRegistry: JSON.parse(readFileSync(path.join(dir, 'DigitRegistry.abi.json'), 'utf8')),
  };
  return { record, bin, abi };
}

// Deploys the three contracts with `signer`; returns { addresses, gas } keyed by contract name.
export async function deploy(signer, log = () => {}) {
  const { bin } = artifacts();
  const addresses = {};
  const gas = {};
  let previous = null;
  // Explicit nonces: back-to-back deployments must not race ethers' nonce lookup.
  let nonce = await signer.provider.getTransactionCount(await signer.getAddress(), 'pending');
  for (const name of ORDER) {
    const data = previous === null
      ? bin[name]
      : bin[name] + ethers.AbiCoder.defaultAbiCoder().encode(['address'], [previous]).slice(2);
    const tx = await signer.sendTransaction({ data, nonce: nonce++ });
    const receipt = await tx.wait();
    if (!receipt || receipt.status !== 1 || !receipt.contractAddress) {
      throw new Error(`deploying ${name} failed (transaction ${tx.hash})`);
    }
    addresses[name] = receipt.contractAddress;
    gas[name] = Number(receipt.gasUsed);
    previous = receipt.contractAddress;
    log(`${name}: ${receipt.contractAddress} (${receipt.gasUsed} gas)`);
  }
  return { addresses, gas };
}

function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error('usage: node scripts/deploy.mjs --rpc URL --private-key-env VAR [--out FILE] [--insecure-dev-keys]');
  process.exit(message ? 1 : 0);
}

// Why `setup` must not be deployed to `chainId`, or null when it may.
export function refusal(setup, chainId, insecureDevKeys) {
  if (setup !== DEV_SETUP || BigInt(chainId) === LOCAL_CHAIN_ID || insecureDevKeys) return null;
  return `refusing to deploy: circuits/evm/ holds the verifier of the INSECURE dev keys (${DEV_SETUP}: `
    + `anyone can forge proofs it accepts), and chain ${chainId} is not a local test chain (${LOCAL_CHAIN_ID}). `
    + 'Make keys from a real ceremony and regenerate the verifier (README, "Trusted setup"), '
    + 'or pass --insecure-dev-keys if a forgeable verifier on this chain is really what you want.';
}

// The chain file `zkmnist serve --chain` reads.
export function chainFile(rpc, chainId, record, addresses) {
  return {
    format: 'zkmnist-chain/1',
    rpc,
    chain_id: Number(chainId),
    setup: record.setup,
    vk_digest: record.vk_digest,
    contracts: addresses,
  };
}

async function main(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') usage();
    if (a === '--insecure-dev-keys') { args.insecureDevKeys = true; continue; }
    if (!['--rpc', '--private-key-env', '--out'].includes(a)) usage(`unknown argument ${a}`);
    if (i + 1 >= argv.length) usage(`${a} needs a value`);
    args[a.slice(2)] = argv[++i];
  }
  if (!args.rpc) usage('--rpc is required');
  if (!args['private-key-env']) usage('--private-key-env is required');
  const key = process.env[args['private-key-env']];
  if (!key) usage(`environment variable ${args['private-key-env']} is not set`);
  const provider = new ethers.JsonRpcProvider(args.rpc, undefined, { staticNetwork: true });
  let network;
  try {
    network = await provider.getNetwork();
  } catch (e) {
    usage(`cannot reach ${args.rpc}: ${e.shortMessage || e.message}`);
  }
  let signer;
  try {
    signer = new ethers.Wallet(key, provider);
  } catch {
    usage(`${args['private-key-env']} does not hold a valid private key`);
  }
  const { record } = artifacts();
  const refused = refusal(record.setup, network.chainId, args.insecureDevKeys);
  if (refused) {
    provider.destroy();
    console.error(`error: ${refused}`);
    process.exit(2);
  }
  console.error(`deploying the zkmnist verifier for key ${record.vk_digest} (${record.setup}) to chain ${network.chainId} from ${signer.address}`);
  if (record.setup === DEV_SETUP) {
    console.error(`WARNING: ${DEV_SETUP} setup: anyone can forge proofs this verifier accepts${BigInt(network.chainId) === LOCAL_CHAIN_ID ? ' (a local test chain: fine for the demo)' : ' (deployed anyway: --insecure-dev-keys)'}.`);
  }
  const { addresses } = await deploy(signer, (line) => console.error(line));
  // What a dApp will read from the wrapper: the key and the setup it trusts.
  const { abi } = artifacts();
  const wrapper = new ethers.Contract(addresses.ZkmnistVerifier, abi.ZkmnistVerifier, provider);
  const [digest, setup] = [await wrapper.VK_DIGEST(), await wrapper.SETUP()];
  if (digest !== record.vk_digest || setup !== record.setup) {
    throw new Error(`the deployed ZkmnistVerifier names key ${digest} (${setup}), circuits/evm/verifier.json ${record.vk_digest} (${record.setup})`);
  }
  console.error(`ZkmnistVerifier names key ${digest} (${setup}) for dApps: VK_DIGEST(), SETUP(), INSECURE_DEV_SETUP()`);
  for (const [name, address] of Object.entries(addresses)) console.log(`${name} ${address}`);
  if (!args.out) {
    console.log(`page: http://127.0.0.1:8080/?rpc=${encodeURIComponent(args.rpc)}&registry=${addresses.DigitRegistry}&verifier=${addresses.ZkmnistVerifier}`);
  } else {
    // Written whole to a temporary name, then renamed: a reader never sees half a file.
    const tmp = `${args.out}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(chainFile(args.rpc, network.chainId, record, addresses), null, 2)}\n`);
    renameSync(tmp, args.out);
    console.error(`wrote ${args.out}`);
  }
  provider.destroy();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(`error: ${e.shortMessage || e.message}`);
    process.exit(1);
  });
}
