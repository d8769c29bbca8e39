// zkmnist for Node.js: verify zkmnist proofs (Halo2, KZG over BN254) without Rust. The
// WebAssembly module is the one the zkmnist page runs; the verifying key and KZG parameters in
// keys/ are the ones it was built with, checked against the digests pinned in the module.
import { readFileSync } from 'node:fs';
import {
  initSync, Keys, inspect as inspectText, verifyEvm as verifyEvmText, modelInfo as wasmModelInfo,
} from './zkmnist.js';

initSync({ module: readFileSync(new URL('./zkmnist_bg.wasm', import.meta.url)) });

let keys = null;
function verifierKeys() {
  if (!keys) {
    const file = (name) => readFileSync(new URL(`./keys/${name}`, import.meta.url));
    keys = new Keys('zkmnist/keys', file('keys.json'), file('params.bin'), file('vk.bin'), new Uint8Array(0));
  }
  return keys;
}

const text = (proof) => (typeof proof === 'string' ? proof : Buffer.from(proof).toString('utf8'));

/** The verdict on a proof file (text or bytes); never throws for a bad proof. */
export function verify(proof) {
  return verifierKeys().verify(text(proof));
}

/** What a proof file claims, without verifying it; throws when it is malformed. */
export function inspect(proof) {
  return inspectText(text(proof));
}

/** Runs the Solidity verifier's bytecode in an embedded EVM (revm) on a proof file. */
export function verifyEvm(proof) {
  return verifyEvmText(text(proof));
}

/** The model the proofs are about (content hash, size, validation accuracy). */
export function modelInfo() {
  return wasmModelInfo();
}

/** The trusted setup of the bundled keys: "dev-insecure" or "ptau:<hash>". */
export function setup() {
  return verifierKeys().setup;
}
