// End-to-end: a real local chain (anvil), the real server (`zkmnist serve`) and headless Debian
// Chromium driven by playwright-core. Draws a digit with mouse strokes, proves it in the page's
// wasm, verifies it in the page, in the in-page EVM and by eth_call on anvil, downloads the
// proof and verifies it with the CLI, records it on chain through DigitRegistry with a real
// transaction, and checks that tampered proofs and bad inputs are rejected everywhere.
//
//   node tests/e2e/e2e.mjs        (scripts/test.sh runs it after building everything)
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { ethers } from 'ethers';
import { deploy, artifacts } from '../../scripts/deploy.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const zkmnist = path.join(root, 'target/release/zkmnist');
const tmp = mkdtempSync(path.join(tmpdir(), 'zkmnist-e2e-'));
// anvil's first well-known dev account (public test key, funded on every anvil chain).
const DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const children = [];
let currentPage = null;
const timings = {};

function log(msg) { console.log(`[e2e] ${msg}`); }

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

// Starts a process and waits until its output matches `ready`.
function start(cmd, args, ready, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    children.push(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start: ${out}`)), 60_000);
    const onData = (d) => {
      out += d;
      if (ready.test(out)) { clearTimeout(timer); resolve(child); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${cmd} exited with ${code}: ${out}`)); });
  });
}

function cli(...args) {
  return execFileSync(zkmnist, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
function cliFails(...args) {
  try {
    execFileSync(zkmnist, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    return e.stderr;
  }
  throw new Error(`zkmnist ${args.join(' ')} succeeded but should have failed`);
}

function tamper(proofJson, byteIndex) {
  const file = JSON.parse(proofJson);
  const hex = file.proof.slice(2);
  const i = byteIndex * 2;
  const flipped = (parseInt(hex.slice(i, i + 2), 16) ^ 1).toString(16).padStart(2, '0');
  file.proof = `0x${hex.slice(0, i)}${flipped}${hex.slice(i + 2)}`;
  delete file.calldata; // recomputed by readers; a stale one would be caught first
  return JSON.stringify(file, null, 2);
}

async function state(page, testid) {
  return page.getByTestId(testid).getAttribute('data-state');
}
async function waitState(page, testid, timeout = 60_000) {
  const el = page.getByTestId(testid);
  await page.waitForFunction(
    (e) => e && (e.dataset.state === 'ok' || e.dataset.state === 'error'),
    await el.elementHandle(), { timeout });
  return { state: await el.getAttribute('data-state'), text: await el.textContent() };
}

async function drawSeven(page) {
  const canvas = page.getByTestId('draw-canvas');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  const at = (x, y) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height];
  const line = async (from, to) => {
    await page.mouse.move(...at(...from));
    await page.mouse.down();
    await page.mouse.move(...at(...to), { steps: 12 });
    await page.mouse.up();
  };
  await line([70, 60], [205, 60]);
  await line([205, 60], [120, 235]);
}

async function main() {
  // ---- chain -----------------------------------------------------------------------------
  const anvilPort = await freePort();
  const rpcUrl = `http://127.0.0.1:${anvilPort}`;
  await start(path.join(root, 'node_modules/.bin/anvil'), ['--host', '127.0.0.1', '--port', String(anvilPort)], /Listening on/);
  const provider = new ethers.JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, pollingInterval: 100 });
  const signer = new ethers.Wallet(DEV_KEY, provider);
  // The deploy command as a user runs it (its own transactions, then the ones used below).
  const printed = execFileSync('node', [path.join(root, 'scripts/deploy.mjs'), '--rpc', rpcUrl, '--private-key-env', 'E2E_DEPLOYER_KEY'],
    { cwd: root, encoding: 'utf8', env: { ...process.env, E2E_DEPLOYER_KEY: DEV_KEY }, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const name of ['Halo2Verifier', 'ZkmnistVerifier', 'DigitRegistry']) {
    const m = printed.match(new RegExp(`^${name} (0x[0-9a-fA-F]{40})$`, 'm'));
    assert.ok(m, `deploy.mjs printed no ${name} address: ${printed}`);
    assert.notEqual(await provider.getCode(m[1]), '0x', `${name} has code`);
  }
  assert.match(printed, /page: http:\/\/127\.0\.0\.1:8080\/\?rpc=/);
  const { addresses, gas: deployGas } = await deploy(signer, log);
  timings.deployGas = deployGas;
  const { abi } = artifacts();
  const wrapper = new ethers.Contract(addresses.ZkmnistVerifier, abi.ZkmnistVerifier, provider);
  const registry = new ethers.Contract(addresses.DigitRegistry, abi.DigitRegistry, signer);

  // ---- server and browser ----------------------------------------------------------------------
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Fresh dev keys of this build (deterministic), so the user's keys/ are never touched.
  const keysDir = path.join(tmp, 'keys');
  cli('setup', '--out', keysDir);
  await start(zkmnist, ['serve', '--port', String(port), '--keys', keysDir], /zkmnist demo: http/);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  currentPage = page;
  page.on('console', (m) => { if (m.type() === 'error' || process.env.E2E_VERBOSE) log(`page console: ${m.text()}`); });
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  const url = `${base}/?rpc=${encodeURIComponent(rpcUrl)}&verifier=${addresses.ZkmnistVerifier}`;

  let t0 = Date.now();
  await page.goto(url);
  let load = await waitState(page, 'load-status', 120_000);
  assert.equal(load.state, 'ok', load.text);
  timings.firstLoadMs = Date.now() - t0;
  log(`page ready: ${load.text}`);
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), true, 'COOP/COEP make the page cross-origin isolated');
  assert.ok(await page.getByTestId('setup-warning').isVisible(), 'the dev-setup warning is visible');
  const threads = Number(await page.getByTestId('load-status').getAttribute('data-threads'));
  timings.proverThreads = threads;
  if (existsSync(path.join(root, 'pkg/threads/zkmnist.js')) && cpus().length > 1) {
    assert.ok(threads > 1, `the threaded module is built but the page proves on ${threads} thread`);
  }

  // Empty canvas: a clear message, no proof.
  await page.getByTestId('prove').click();
  let s = await waitState(page, 'proof-status');
  assert.equal(s.state, 'error');
  assert.match(s.text, /Draw a digit first/);

  // ---- draw, prove ---------------------------------------------------------------------------
  const account = await signer.getAddress();
  // DigitRegistry binds proofs to (chain, registry, account): the context comes from it.
  await page.getByTestId('context').fill(ethers.toBeHex(await registry.contextFor(account), 32));
  await drawSeven(page);
  await page.waitForFunction(() => document.querySelector('#scores li.top'));
  const liveTop = await page.locator('#scores li.top span').first().textContent();
  t0 = Date.now();
  await page.getByTestId('prove').click();
  s = await waitState(page, 'proof-status', 180_000);
  assert.equal(s.state, 'ok', s.text);
  timings.proveClickToProofMs = Number(await page.getByTestId('prove-time-ms').textContent());
  log(`proved: ${s.text}`);
  const digit = (await page.getByTestId('predicted-digit').textContent()).trim();
  assert.equal(digit, liveTop, 'the proven digit is the live prediction');
  assert.equal(digit, '7', 'a drawn 7 is read as 7');
  const stages = await page.getByTestId('stages').textContent();
  for (const st of ['witness', 'commitment', 'proving', 'checking']) assert.ok(stages.includes(st), `stage ${st} shown`);

  // ---- verify in page, in the in-page EVM, on anvil -------------------------------------------
  await page.getByTestId('verify-page').click();
  s = await waitState(page, 'verify-status');
  assert.equal(s.state, 'ok', s.text);
  timings.verifyPageMs = Number(await page.getByTestId('verify-status').getAttribute('data-ms'));
  await page.getByTestId('verify-contract-local').click();
  s = await waitState(page, 'contract-status', 120_000);
  assert.equal(s.state, 'ok', s.text);
  timings.inPageEvmGas = Number(await page.getByTestId('contract-status').getAttribute('data-gas'));
  log(s.text);
  await page.getByTestId('verify-contract-rpc').click();
  s = await waitState(page, 'contract-status');
  assert.equal(s.state, 'ok', s.text);
  assert.match(s.text, /Chain 31337/);
  log(s.text);

  // ---- download; the CLI verifies the same file ----------------------------------------------
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-proof').click()]);
  const proofPath = path.join(tmp, 'proof.json');
  await download.saveAs(proofPath);
  const proofJson = readFileSync(proofPath, 'utf8');
  const proofFile = JSON.parse(proofJson);
  assert.equal(proofFile.format, 'zkmnist-proof/1');
  assert.ok(cli('verify', proofPath, '--keys', keysDir).includes('valid'));
  assert.ok(cli('verify-evm', proofPath).includes('valid'));
  const [openingDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-opening').click()]);
  const openingPath = path.join(tmp, 'opening.json');
  await openingDl.saveAs(openingPath);
  assert.match(cli('open', proofPath, openingPath), /opening matches the commitment/);

  // ---- anvil over JSON-RPC: eth_call, eth_estimateGas, a real transaction -----------------------
  const publics = proofFile.public_inputs.map((h) => BigInt(h));
  const proofBytes = proofFile.proof;
  assert.equal(await wrapper.verify(proofBytes, ...publics), true);
  const estimate = await wrapper.verify.estimateGas(proofBytes, ...publics);
  timings.anvilEstimateGas = Number(estimate);
  // The raw verifier with the proof file's calldata.
  assert.equal(await provider.call({ to: addresses.Halo2Verifier, data: proofFile.calldata }), '0x');
  // Wrong public inputs, tampered proofs, truncated and over-long calldata: all rejected.
  for (let i = 0; i < 3; i++) {
    const wrong = [...publics];
    wrong[i] += 1n;
    assert.equal(await wrapper.verify(proofBytes, ...wrong), false, `wrong public input ${i}`);
  }
  const bytes = ethers.getBytes(proofBytes);
  for (let pos = 0; pos < bytes.length; pos += 211) {
    const bad = new Uint8Array(bytes);
    bad[pos] ^= 0x01;
    assert.equal(await wrapper.verify(bad, ...publics), false, `flipped byte ${pos}`);
  }
  const rawFails = async (data) => {
    await assert.rejects(provider.call({ to: addresses.Halo2Verifier, data }), `raw calldata of ${ethers.dataLength(data)} bytes`);
  };
  await rawFails(ethers.dataSlice(proofFile.calldata, 0, ethers.dataLength(proofFile.calldata) - 1));
  await rawFails(ethers.concat([proofFile.calldata, '0x00']));
  // Too little gas: the wrapper reverts, it never says false.
  await assert.rejects(provider.call({ to: addresses.ZkmnistVerifier, data: wrapper.interface.encodeFunctionData('verify', [proofBytes, ...publics]), gasLimit: 400_000 }));
  // Gas as a transaction pays it (receipts, not estimates): the raw verifier and the wrapper.
  // Explicit nonces: ethers may answer a nonce lookup from its short-lived cache.
  let nonce = await provider.getTransactionCount(account, 'latest');
  for (const [key, to, data] of [
    ['verifierTxGas', addresses.Halo2Verifier, proofFile.calldata],
    ['wrapperTxGas', addresses.ZkmnistVerifier, wrapper.interface.encodeFunctionData('verify', [proofBytes, ...publics])],
  ]) {
    const sent = await signer.sendTransaction({ to, data, gasLimit: 1_000_000, nonce: nonce++ });
    const r = await sent.wait();
    assert.equal(r.status, 1, `${key}: transaction reverted`);
    timings[key] = Number(r.gasUsed);
    log(`${key}: ${r.gasUsed} gas (receipt)`);
  }
  // A real transaction: DigitRegistry records the digit for the account the proof is bound to.
  const tx = await registry.record(proofBytes, publics[0], publics[1], { nonce: nonce++ });
  const receipt = await tx.wait();
  assert.equal(receipt.status, 1);
  timings.recordTxGas = Number(receipt.gasUsed);
  const entry = await registry.entries(account);
  assert.equal(entry.recorded, true);
  assert.equal(Number(entry.digit), 7);
  await assert.rejects(registry.record.staticCall(proofBytes, publics[0], publics[1]), /image already used/);
  const other = new ethers.Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', provider);
  await assert.rejects(registry.connect(other).record.staticCall(proofBytes, publics[0], publics[1]));

  // ---- upload a tampered proof: rejected in page, in-page EVM, on anvil, and by the CLI ----------
  const tamperedPath = path.join(tmp, 'tampered.json');
  writeFileSync(tamperedPath, tamper(proofJson, 700));
  assert.match(cliFails('verify', tamperedPath, '--keys', keysDir), /error: .*invalid/);
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('upload-proof').click()]);
  await chooser.setFiles(tamperedPath);
  s = await waitState(page, 'proof-status');
  assert.equal(s.state, 'ok', s.text);
  assert.match(s.text, /not verified yet/);
  await page.getByTestId('verify-page').click();
  s = await waitState(page, 'verify-status');
  assert.equal(s.state, 'error', s.text);
  await page.getByTestId('verify-contract-local').click();
  s = await waitState(page, 'contract-status', 120_000);
  assert.equal(s.state, 'error', s.text);
  assert.match(s.text, /rejected/);
  await page.getByTestId('verify-contract-rpc').click();
  s = await waitState(page, 'contract-status');
  assert.equal(s.state, 'error', s.text);
  assert.match(s.text, /rejected/);
  // A file that is not a proof.
  const junkPath = path.join(tmp, 'junk.json');
  writeFileSync(junkPath, '{"hello": 1}');
  const [chooser2] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('upload-proof').click()]);
  await chooser2.setFiles(junkPath);
  s = await waitState(page, 'proof-status');
  assert.equal(s.state, 'error');
  assert.match(s.text, /not a zkmnist proof file/);
  // The original proof, uploaded back, verifies again.
  const [chooser3] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('upload-proof').click()]);
  await chooser3.setFiles(proofPath);
  await waitState(page, 'proof-status');
  await page.getByTestId('verify-page').click();
  s = await waitState(page, 'verify-status');
  assert.equal(s.state, 'ok', s.text);

  // ---- an injected wallet (EIP-1193) instead of a URL: a provider that forwards to anvil ------------
  await page.evaluate((rpc) => {
    window.ethereum = {
      request: async ({ method, params }) => {
        const res = await fetch(rpc, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
        const body = await res.json();
        if (body.error) throw new Error(body.error.message);
        return body.result;
      },
    };
  }, rpcUrl);
  await page.getByTestId('rpc-url').fill('');
  await page.getByTestId('verify-contract-rpc').click();
  s = await waitState(page, 'contract-status');
  assert.equal(s.state, 'ok', s.text);
  assert.match(s.text, /Chain 31337: ZkmnistVerifier.verify returned true/);

  // ---- wrong network / address: clear messages ------------------------------------------------
  await page.getByTestId('verifier-address').fill('0x000000000000000000000000000000000000dEaD');
  await page.getByTestId('verify-contract-rpc').click();
  s = await waitState(page, 'contract-status');
  assert.equal(s.state, 'error');
  assert.match(s.text, /no contract at/);
  await page.getByTestId('rpc-url').fill(`http://127.0.0.1:${await freePort()}`);
  await page.getByTestId('verifier-address').fill(addresses.ZkmnistVerifier);
  await page.getByTestId('verify-contract-rpc').click();
  s = await waitState(page, 'contract-status');
  assert.equal(s.state, 'error');
  assert.match(s.text, /cannot reach/);

  // ---- second load: keys from the cache -------------------------------------------------------
  t0 = Date.now();
  await page.reload();
  load = await waitState(page, 'load-status', 60_000);
  assert.equal(load.state, 'ok', load.text);
  assert.match(load.text, /keys from cache/);
  timings.cachedLoadMs = Date.now() - t0;

  // ---- phone-sized viewport: everything reachable ---------------------------------------------
  await page.setViewportSize({ width: 390, height: 844 });
  for (const id of ['draw-canvas', 'clear', 'prove', 'download-proof', 'upload-proof', 'verify-page',
    'verify-contract-local', 'verify-contract-rpc', 'rpc-url', 'verifier-address', 'predicted-digit',
    'proof-status', 'verify-status', 'contract-status', 'prove-time-ms']) {
    const el = page.getByTestId(id);
    assert.equal(await el.count(), 1, `data-testid=${id}`);
    const b = await el.boundingBox();
    assert.ok(b && b.width > 0 && b.x >= 0 && b.x + b.width <= 391, `${id} fits a 390 px viewport`);
  }
  // Buttons are reachable from the keyboard.
  await page.getByTestId('clear').focus();
  await page.keyboard.press('Tab');
  assert.ok(await page.evaluate(() => document.activeElement && document.activeElement.dataset.testid), 'Tab moves between controls');

  // ---- without the threaded module (blocked): the page falls back to one thread ----------------
  const single = await context.newPage();
  single.on('pageerror', (e) => consoleErrors.push(`single-thread page: ${e.message}`));
  await single.route('**/pkg/threads/**', (route) => route.abort());
  await single.goto(url);
  load = await waitState(single, 'load-status', 60_000);
  assert.equal(load.state, 'ok', load.text);
  assert.equal(await single.getByTestId('load-status').getAttribute('data-threads'), '1');
  const [chooser4] = await Promise.all([single.waitForEvent('filechooser'), single.getByTestId('upload-proof').click()]);
  await chooser4.setFiles(proofPath);
  await waitState(single, 'proof-status');
  await single.getByTestId('verify-page').click();
  s = await waitState(single, 'verify-status');
  assert.equal(s.state, 'ok', s.text);
  // Drag and drop a tampered proof onto the page.
  await single.evaluate((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'dropped.json', { type: 'application/json' }));
    document.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, readFileSync(tamperedPath, 'utf8'));
  await single.waitForFunction(() => document.querySelector('[data-testid=proof-status]').textContent.includes('dropped.json'));
  await single.getByTestId('verify-page').click();
  s = await waitState(single, 'verify-status');
  assert.equal(s.state, 'error', s.text);
  await single.close();

  // ---- pk.bin never arrives (a fresh browser, nothing cached): uploaded proofs still verify ------
  const noPkContext = await browser.newContext();
  const noPk = await noPkContext.newPage();
  noPk.on('pageerror', (e) => consoleErrors.push(`no-pk page: ${e.message}`));
  let pkRequested = false;
  await noPk.route('**/keys/pk.bin', () => { pkRequested = true; /* never answered */ });
  await noPk.goto(url);
  const [chooser5] = await Promise.all([noPk.waitForEvent('filechooser'), noPk.getByTestId('upload-proof').click()]);
  await chooser5.setFiles(proofPath);
  await waitState(noPk, 'proof-status');
  await noPk.waitForFunction(() => !document.querySelector('[data-testid=verify-page]').disabled, null, { timeout: 60_000 });
  await noPk.getByTestId('verify-page').click();
  s = await waitState(noPk, 'verify-status');
  assert.equal(s.state, 'ok', s.text);
  assert.ok(pkRequested, 'the page asked for pk.bin');
  assert.equal(await noPk.getByTestId('load-status').getAttribute('data-state'), 'working', 'still waiting for pk.bin');
  assert.equal(await noPk.getByTestId('prove').isDisabled(), true, 'no proving without the proving key');
  await noPkContext.close();

  // ---- POST /api/verify -------------------------------------------------------------------------
  const post = (body, headers = {}) => fetch(`${base}/api/verify`, { method: 'POST', body, headers });
  let r = await post(proofJson);
  assert.equal(r.status, 200);
  let v = await r.json();
  assert.equal(v.valid, true);
  assert.equal(v.digit, 7);
  assert.equal(v.image_commitment, proofFile.public_inputs[0]);
  assert.equal(v.vk_digest, proofFile.vk_digest);
  assert.equal(v.setup, 'dev-insecure');
  r = await post(readFileSync(tamperedPath));
  v = await r.json();
  assert.equal(r.status, 200);
  assert.equal(v.valid, false);
  assert.match(v.error, /invalid/);
  r = await post('not json');
  assert.equal(r.status, 400);
  assert.equal((await r.json()).valid, false);
  r = await post('x'.repeat(300 * 1024));
  assert.equal(r.status, 413);
  r = await fetch(`${base}/api/verify`);
  assert.equal(r.status, 405);

  assert.deepEqual(consoleErrors, [], 'no uncaught errors in the page');
  await browser.close();
  log(`timings ${JSON.stringify(timings)}`);
  writeFileSync(path.join(root, 'target/e2e-timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
  log('all end-to-end checks passed');
}

main().then(() => {
  for (const c of children) c.kill();
  process.exit(0);
}, async (e) => {
  console.error(`[e2e] FAILED: ${e.stack || e.message}`);
  if (currentPage) {
    await currentPage.screenshot({ path: path.join(root, 'target/e2e-failure.png'), fullPage: true }).catch(() => {});
    console.error('[e2e] screenshot: target/e2e-failure.png');
  }
  for (const c of children) c.kill();
  process.exit(1);
});
