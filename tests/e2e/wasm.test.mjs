// The wasm bindings (pkg/, src/wasm.rs) loaded in Node: the same module the page uses, without a
// browser. Needs pkg/ (scripts/build-wasm.sh), target/release/zkmnist, and the npm digits.
//
//   node --test tests/e2e/wasm.test.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ethers } from 'ethers';
import {
  initSync, preprocessRgba, classify, modelInfo, inspect, maxFileBytes, keyFileHashes, Keys, verifyEvm, wrapperCalldata, evmVerifierInfo,
  open, recordCalldata, registryViewCalldata, decodeRegistryEntry,
} from '../../pkg/zkmnist.js';
import { root, cli, cliFails, tempDir, devKeys, throwsMatching as throws } from './helpers.mjs';

const tmp = tempDir('wasm');
let keysDir, file, verifyOnly, proofPath, proofJson, parsed;

before(() => {
  initSync({ module: readFileSync(path.join(root, 'pkg/zkmnist_bg.wasm')) });
  keysDir = devKeys(path.join(tmp, 'keys'));
  file = (n) => new Uint8Array(readFileSync(path.join(keysDir, n)));
  verifyOnly = new Keys('keys', file('keys.json'), file('params.bin'), file('vk.bin'), new Uint8Array(0));
  proofPath = path.join(tmp, 'proof.json');
  cli('prove', '--image', path.join(root, 'tests/fixtures/digit-3.png'), '--out', proofPath, '--keys', keysDir, '--context', '0x1234');
  proofJson = readFileSync(proofPath, 'utf8');
  parsed = JSON.parse(proofJson);
});

// A real MNIST 7 drawn on a 280x280 canvas (white ink on black, like the page's).
function canvasSeven() {
  const sevens = JSON.parse(readFileSync(path.join(root, '.cache/mnist/package/src/digits/7.json'), 'utf8')).data;
  const rgba = new Uint8Array(280 * 280 * 4);
  for (let y = 0; y < 280; y++) {
    for (let x = 0; x < 280; x++) {
      const v = Math.round(255 * sevens[Math.floor(y / 10) * 28 + Math.floor(x / 10)]);
      rgba.set([v, v, v, 255], (y * 280 + x) * 4);
    }
  }
  return rgba;
}

test('model info matches the CLI', () => {
  const info = modelInfo();
  const text = cli('info');
  assert.match(text, new RegExp(`model ${info.content_hash}`));
  assert.match(text, new RegExp(`multiply-accumulates per image: ${info.macs}\n`));
  assert.match(text, new RegExp(`parameters: ${info.parameters}\n`));
  assert.equal(maxFileBytes(), 256 * 1024);
});

test('preprocessing and scores agree with the CLI; confidences are a distribution', () => {
  const pixels = preprocessRgba(280, 280, canvasSeven());
  assert.equal(pixels.length, 784);
  const scores = classify(pixels);
  assert.equal(scores.digit, 7);
  assert.equal(scores.logits.length, 10);
  assert.equal(Math.max(...scores.logits), scores.logits[7]);
  const sum = scores.confidences.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-9, `confidences sum to ${sum}`);
  assert.equal(Math.max(...scores.confidences), scores.confidences[7]);
  assert.ok(scores.confidences[7] > 0.5, `a clear 7 is more likely than not: ${scores.confidences[7]}`);
});

test('bad images: clear errors, no panics', () => {
  throws(() => preprocessRgba(280, 280, new Uint8Array(280 * 280 * 4)), /image is empty/);
  throws(() => preprocessRgba(280, 280, new Uint8Array(12)), /RGBA buffer has 12 bytes/);
  throws(() => preprocessRgba(0, 0, new Uint8Array(0)), /expected 1x1/);
  throws(() => classify(new Uint8Array(783)), /expected 784 pixels, got 783/);
});

test('keys are checked against keys.json and the pins', () => {
  const keys = new Keys('keys', file('keys.json'), file('params.bin'), file('vk.bin'), file('pk.bin'));
  assert.equal(keys.setup, 'dev-insecure');
  assert.equal(keys.insecure, true);
  assert.equal(keys.canProve, true);
  assert.equal(keys.vkDigest, JSON.parse(readFileSync(path.join(keysDir, 'keys.json'), 'utf8')).vk_digest);
  const hashes = keyFileHashes('keys', file('keys.json'));
  assert.deepEqual(hashes, JSON.parse(readFileSync(path.join(keysDir, 'keys.json'), 'utf8')).files);
  throws(() => keyFileHashes('keys', new TextEncoder().encode('{}')), /keys\/keys.json is not a zkmnist keys manifest/);
  const otherModel = JSON.parse(readFileSync(path.join(keysDir, 'keys.json'), 'utf8'));
  otherModel.model = `sha256:${'0'.repeat(64)}`;
  throws(() => keyFileHashes('keys', new TextEncoder().encode(JSON.stringify(otherModel))), /are for model sha256:0+, this build's model is/);
  const corrupt = file('pk.bin');
  corrupt[1000] ^= 1;
  throws(() => new Keys('keys', file('keys.json'), file('params.bin'), file('vk.bin'), corrupt), /pk.bin is corrupted or was replaced/);
  throws(() => new Keys('keys', new TextEncoder().encode('{}'), file('params.bin'), file('vk.bin'), file('pk.bin')), /not a zkmnist keys manifest/);
  const later = new Keys('keys', file('keys.json'), file('params.bin'), file('vk.bin'), new Uint8Array(0));
  assert.equal(later.canProve, false);
  throws(() => later.prove(new Uint8Array(784), '0x0', () => {}), /no proving key loaded/);
  throws(() => later.addProvingKey(corrupt), /pk.bin is corrupted or was replaced/);
  assert.equal(later.canProve, false);
  later.addProvingKey(file('pk.bin'));
  assert.equal(later.canProve, true);
});

test('a wasm proof verifies with the CLI', () => {
  const keys = new Keys('keys', file('keys.json'), file('params.bin'), file('vk.bin'), file('pk.bin'));
  const stages = [];
  const r = keys.prove(preprocessRgba(280, 280, canvasSeven()), '0x99', (s) => stages.push(s));
  assert.deepEqual(stages, ['witness', 'commitment', 'proving', 'checking']);
  assert.equal(r.digit, 7);
  assert.equal(r.proof_bytes, (JSON.parse(r.proof_json).proof.length - 2) / 2);
  const p = path.join(tmp, 'wasm-proof.json');
  const o = path.join(tmp, 'wasm-opening.json');
  writeFileSync(p, r.proof_json);
  writeFileSync(o, r.opening_json);
  assert.match(cli('verify', p, '--keys', keysDir), /^valid\ndigit: 7\n/);
  assert.match(cli('open', p, o), /opening matches the commitment/);
});

test('a CLI proof: inspect, and the verdict is the CLI\'s --json verdict', () => {
  const info = inspect(proofJson);
  assert.equal(info.format, 'zkmnist-proof/1');
  assert.equal(info.digit, 3);
  assert.equal(info.image_commitment, parsed.public_inputs[0]);
  assert.equal(info.context, `0x${'1234'.padStart(64, '0')}`);
  assert.equal(info.proof_bytes, (parsed.proof.length - 2) / 2);
  const v = verifyOnly.verify(proofJson);
  assert.equal(v.valid, true);
  assert.equal(v.digit, 3);
  assert.equal(v.error, undefined);
  assert.equal(JSON.stringify(v), cli('verify', proofPath, '--keys', keysDir, '--json').trim());
  throws(() => inspect('{'), /proof file: not a zkmnist proof file/);
  throws(() => inspect(JSON.stringify({ ...parsed, format: 'zkmnist-proof/9' })), /zkmnist-proof\/9/);
  throws(() => inspect(' '.repeat(300 * 1024)), /refused/);
});

test('tampered proofs and changed public inputs: verdicts with the reason', () => {
  const rejected = (text, pattern, what) => {
    const v = verifyOnly.verify(text);
    assert.equal(v.valid, false, what);
    assert.match(v.error, pattern, what);
    return v;
  };
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
    rejected(JSON.stringify(bad), /the proof is invalid|not a zkmnist proof/, `byte ${byte}`);
    swept++;
  }
  assert.ok(swept >= Math.min(sweep, proofBytes), `${swept} positions swept`);
  for (let i = 0; i < 3; i++) {
    const publics = [...parsed.public_inputs];
    publics[i] = `0x${(BigInt(publics[i]) + 1n).toString(16).padStart(64, '0')}`;
    const bad = { ...parsed, public_inputs: publics };
    delete bad.calldata;
    if (i === 1) bad.digit = Number(BigInt(publics[1]));
    rejected(JSON.stringify(bad), /the proof is invalid|does not match/, `public input ${i}`);
  }
  const four = { ...parsed, calldata: undefined, digit: 4, public_inputs: [parsed.public_inputs[0], `0x${'4'.padStart(64, '0')}`, parsed.public_inputs[2]] };
  assert.equal(rejected(JSON.stringify(four), /the proof is invalid/).digit, 4);
  const junk = rejected('{', /proof file: not a zkmnist proof file/);
  assert.deepEqual(Object.keys(junk), ['valid', 'error']);
  rejected(JSON.stringify({ ...parsed, format: 'zkmnist-proof/9' }), /zkmnist-proof\/9/);
  rejected(JSON.stringify({ ...parsed, vk_digest: `0x${'0'.repeat(64)}` }), /the proof is for verifying key/);
});

test('the in-page EVM gives the native revm verdict', () => {
  assert.equal(evmVerifierInfo().vk_digest, parsed.vk_digest);
  const evm = verifyEvm(proofJson);
  assert.equal(evm.valid, true);
  const native = cli('verify-evm', proofPath);
  assert.ok(native.includes(`gas: ${evm.gas_used} (ZkmnistVerifier.verify transaction), ${evm.verifier_gas}`), native);
  const badEvm = { ...parsed, proof: `${parsed.proof.slice(0, 1000)}${parsed.proof[1000] === '0' ? '1' : '0'}${parsed.proof.slice(1001)}` };
  delete badEvm.calldata;
  assert.equal(verifyEvm(JSON.stringify(badEvm)).valid, false);
  // Another key, or not a proof file: a verdict, as the native verifier gives, never a throw.
  const other = verifyEvm(JSON.stringify({ ...parsed, setup: 'ptau:00' }));
  assert.equal(other.valid, false);
  assert.equal(other.outcome, 'other_keys');
  assert.match(other.error, /the proof names setup "ptau:00", the key the verifier contract was generated from has setup "dev-insecure"/);
  assert.equal(other.gas_used, undefined, 'the contracts did not run');
  const junk = verifyEvm('{');
  assert.deepEqual([junk.valid, junk.outcome], [false, 'malformed']);
  // The valid one: the native verdict's fields, and the EVM's.
  const { outcome, evm: run, gas_used: g, verifier_gas: vg, runtime_sizes: rs, ...fields } = evm;
  assert.equal(outcome, 'valid');
  assert.deepEqual(fields, verifyOnly.verify(proofJson));
  assert.deepEqual([run.gas_used, run.verifier_gas, run.runtime_sizes], [g, vg, rs]);
});

test('the wrapper call data is the ABI encoding ethers produces', () => {
  const abi = JSON.parse(readFileSync(path.join(root, 'circuits/evm/ZkmnistVerifier.abi.json'), 'utf8'));
  const expected = new ethers.Interface(abi).encodeFunctionData('verify', [parsed.proof, ...parsed.public_inputs.map(BigInt)]);
  assert.equal(wrapperCalldata(proofJson), expected);
});

test('CLI --json: a tampered proof gives the wasm verdict and exit status 1', () => {
  const bad = { ...parsed, proof: `${parsed.proof.slice(0, 1000)}${parsed.proof[1000] === '0' ? '1' : '0'}${parsed.proof.slice(1001)}` };
  delete bad.calldata;
  const badPath = path.join(tmp, 'tampered.json');
  writeFileSync(badPath, JSON.stringify(bad));
  const failed = cliFails('verify', badPath, '--keys', keysDir, '--json');
  assert.equal(failed.status, 1);
  assert.equal(failed.stderr, '');
  assert.equal(failed.stdout.trim(), JSON.stringify(verifyOnly.verify(JSON.stringify(bad))));
});

test('check: the verdict with its outcome, for the page to word', () => {
  const v = verifyOnly.check(proofJson);
  assert.equal(v.outcome, 'valid');
  const { outcome, ...verdict } = v;
  assert.equal(outcome, 'valid');
  assert.deepEqual(verdict, verifyOnly.verify(proofJson));
  const bad = { ...parsed, proof: `${parsed.proof.slice(0, 1000)}${parsed.proof[1000] === '0' ? '1' : '0'}${parsed.proof.slice(1001)}` };
  delete bad.calldata;
  assert.equal(verifyOnly.check(JSON.stringify(bad)).outcome, 'invalid');
  assert.equal(verifyOnly.check(JSON.stringify({ ...parsed, setup: `ptau:${'ab'.repeat(64)}` })).outcome, 'other_keys');
  assert.equal(verifyOnly.check('{').outcome, 'malformed');
});

test('file errors carry a kind the page words for people', () => {
  const kindOf = (f) => { try { f(); } catch (e) { return e.kind; } throw new Error('did not throw'); };
  assert.equal(kindOf(() => inspect('hello')), 'json');
  assert.equal(kindOf(() => inspect(JSON.stringify({ ...parsed, format: 'zkmnist-proof/9' }))), 'format');
  assert.equal(kindOf(() => inspect(' '.repeat(300 * 1024))), 'too_large');
  assert.equal(kindOf(() => inspect(proofJson.replace('{', '{"digit": 3,'))), 'duplicate_key');
  assert.equal(kindOf(() => inspect(JSON.stringify({ ...parsed, proof: '0xzz' }))), 'field');
});

test('open: an opening reveals the image its proof commits to, or says why not', () => {
  const keys = new Keys('keys', file('keys.json'), file('params.bin'), file('vk.bin'), file('pk.bin'));
  const pixels = preprocessRgba(280, 280, canvasSeven());
  const r = keys.prove(pixels, '0x0', () => {});
  const opened = open(r.proof_json, r.opening_json);
  assert.equal(opened.digit, 7);
  assert.equal(opened.image_commitment, r.image_commitment);
  assert.deepEqual(Array.from(opened.pixels), Array.from(pixels));
  const kindOf = (f) => { try { f(); } catch (e) { return [e.kind, e.message]; } throw new Error('did not throw'); };
  const [k1, m1] = kindOf(() => open(proofJson, r.opening_json));
  assert.equal(k1, 'opening_mismatch');
  assert.match(m1, /the proof commits to/);
  const edited = JSON.parse(r.opening_json);
  edited.salt = '0x01';
  assert.equal(kindOf(() => open(r.proof_json, JSON.stringify(edited)))[0], 'opening_mismatch');
  assert.equal(kindOf(() => open(r.proof_json, 'nope'))[0], 'opening_file');
});

test('classify says when an image does not look like a digit', () => {
  assert.equal(classify(preprocessRgba(280, 280, canvasSeven())).not_a_digit, undefined);
  const blot = new Uint8Array(784);
  for (let y = 4; y < 24; y++) for (let x = 4; x < 24; x++) blot[y * 28 + x] = 255;
  assert.match(classify(blot).not_a_digit, /^this does not look like a digit: ink covers 51 %/);
});

test('the registry calls are the ABI encodings ethers produces, and the context matches', () => {
  const abi = JSON.parse(readFileSync(path.join(root, 'circuits/evm/DigitRegistry.abi.json'), 'utf8'));
  const iface = new ethers.Interface(abi);
  const account = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
  assert.equal(recordCalldata(proofJson), iface.encodeFunctionData('record', [parsed.proof, BigInt(parsed.public_inputs[0]), BigInt(parsed.public_inputs[1])]));
  assert.equal(registryViewCalldata('contextFor', account), iface.encodeFunctionData('contextFor', [account]));
  assert.equal(registryViewCalldata('entries', account), iface.encodeFunctionData('entries', [account]));
  throws(() => registryViewCalldata('owner', account), /no registry view "owner"/);
  throws(() => registryViewCalldata('entries', '0x1234'), /is not an address/);
  const word = iface.encodeFunctionResult('entries', [true, 7, 123n]);
  assert.deepEqual({ ...decodeRegistryEntry(word) }, { recorded: true, digit: 7, image_commitment: `0x${'7b'.padStart(64, '0')}` });
  throws(() => decodeRegistryEntry('0x1234'), /not three ABI words/);
  throws(() => decodeRegistryEntry(iface.encodeFunctionResult('entries', [true, 11, 1n])), /no digit/);
});
