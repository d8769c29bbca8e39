// End-to-end: a real local chain (anvil), the real server (`zkmnist serve`) and headless Debian
// Chromium driven by playwright-core. Draws a digit with mouse strokes, proves it in the page's
// wasm, verifies it in the page, in the in-page EVM and by eth_call on anvil, downloads the
// proof and verifies it with the CLI, records it on chain through DigitRegistry with a real
// transaction, and checks that tampered proofs and bad inputs are rejected everywhere. One
// `node:test` test per feature: a failure names its feature and the rest still run (tests that
// need an earlier one's proof say so).
//
//   node --test tests/e2e/e2e.test.mjs        (scripts/test.sh runs it after building everything)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ethers } from 'ethers';
import { deploy, artifacts } from '../../scripts/deploy.mjs';
import {
  root, cli, cliFails, freePort, start, stopAll, tempDir, devKeys, serve, tamper, launchChromium,
  waitState, drawSeven, upload, uploadChecked, DEV_KEY, OTHER_KEY,
} from './helpers.mjs';

const tmp = tempDir('e2e');
const timings = {};
const consoleErrors = [];
function log(msg) { console.log(`[e2e] ${msg}`); }

// Shared by the tests, in the order they run.
let rpcUrl, provider, signer, account, addresses, wrapper, registry;
let keysDir, base, url, browser, context, page;
let proofPath, proofJson, proofFile, tamperedPath;
const needProof = () => assert.ok(proofJson, 'needs the proof of "a drawn 7 is proved"');

before(async () => {
  const anvilPort = await freePort();
  rpcUrl = `http://127.0.0.1:${anvilPort}`;
  await start(path.join(root, 'node_modules/.bin/anvil'), ['--host', '127.0.0.1', '--port', String(anvilPort)], /Listening on/);
  provider = new ethers.JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, pollingInterval: 100 });
  signer = new ethers.Wallet(DEV_KEY, provider);
  // The deploy command as a user runs it (its own transactions, then the ones used below).
  const printed = execFileSync('node', [path.join(root, 'scripts/deploy.mjs'), '--rpc', rpcUrl, '--private-key-env', 'E2E_DEPLOYER_KEY'],
    { cwd: root, encoding: 'utf8', env: { ...process.env, E2E_DEPLOYER_KEY: DEV_KEY }, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const name of ['Halo2Verifier', 'ZkmnistVerifier', 'DigitRegistry']) {
    const m = printed.match(new RegExp(`^${name} (0x[0-9a-fA-F]{40})$`, 'm'));
    assert.ok(m, `deploy.mjs printed no ${name} address: ${printed}`);
    assert.notEqual(await provider.getCode(m[1]), '0x', `${name} has code`);
  }
  assert.match(printed, /page: http:\/\/127\.0\.0\.1:8080\/\?rpc=/);
  const deployed = await deploy(signer, log);
  addresses = deployed.addresses;
  const deployGas = deployed.gas;
  timings.deployGas = deployGas;
  const { abi } = artifacts();
  wrapper = new ethers.Contract(addresses.ZkmnistVerifier, abi.ZkmnistVerifier, provider);
  registry = new ethers.Contract(addresses.DigitRegistry, abi.DigitRegistry, signer);

  // Fresh dev keys of this build (deterministic), so the user's keys/ are never touched.
  keysDir = devKeys(path.join(tmp, 'keys'));
  base = await serve(keysDir);
  browser = await launchChromium();
  context = await browser.newContext({ acceptDownloads: true });
  page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error' || process.env.E2E_VERBOSE) log(`page console: ${m.text()}`); });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  url = `${base}/?rpc=${encodeURIComponent(rpcUrl)}&verifier=${addresses.ZkmnistVerifier}`;
  account = await signer.getAddress();
});

after(async () => {
  // The page as the last test left it (look here when one failed).
  if (page) await page.screenshot({ path: path.join(root, 'target/e2e-last.png'), fullPage: true }).catch(() => {});
  if (browser) await browser.close();
  stopAll();
  log(`timings ${JSON.stringify(timings)}`);
  writeFileSync(path.join(root, 'target/e2e-timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
});

test('the page loads: cross-origin isolated, threaded, dev warning shown', async () => {
  const t0 = Date.now();
  await page.goto(url);
  const load = await waitState(page, 'load-status', 120_000);
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
});

test('an empty canvas: Prove waits, and says why', async () => {
  assert.equal(await page.getByTestId('prove').isDisabled(), true);
  assert.match(await page.getByTestId('prove-hint').textContent(), /Draw a digit first/);
  assert.equal(await page.getByTestId('proof-status').getAttribute('data-state'), 'idle');
  assert.equal(await page.getByTestId('live-digit').getAttribute('data-digit'), '');
});

test('the live digit follows the drawing, in words, with a confidence', async () => {
  const live = page.getByTestId('live-digit');
  const canvas = page.getByTestId('draw-canvas');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  const at = (x, y) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height];
  // One vertical stroke: the model has an opinion while the digit is unfinished.
  await page.mouse.move(...at(140, 50));
  await page.mouse.down();
  await page.mouse.move(...at(140, 230), { steps: 12 });
  await page.mouse.up();
  await page.waitForFunction((e) => e.dataset.digit !== '', await live.elementHandle());
  assert.match(await live.textContent(), /^Looks like a \d \(\d+ % sure\)$/);
  const one = await live.getAttribute('data-digit');
  assert.equal(one, '1', 'a vertical bar looks like a 1');
  const c1 = Number(await live.getAttribute('data-confidence'));
  assert.ok(c1 > 0.1 && c1 <= 1, `confidence ${c1}`);
  // Clear: back to nothing.
  await page.getByTestId('clear').click();
  await page.waitForFunction((e) => e.dataset.digit === '', await live.elementHandle());
  assert.equal(await live.textContent(), 'Draw a digit.');
  // A 7, stroke by stroke: the top bar, then the stem; the live digit ends on 7 and agrees with
  // the highlighted score bar.
  await drawSeven(page);
  await page.waitForFunction((e) => e.dataset.digit === '7', await live.elementHandle(), { timeout: 10_000 });
  assert.match(await live.textContent(), /^Looks like a 7 \(\d+ % sure\)$/);
  const liveTop = await page.locator('#scores li.top span').first().textContent();
  assert.equal(liveTop, '7');
});

test('a drawn 7 is proved; the stage timings add up', async () => {
  // DigitRegistry binds proofs to (chain, registry, account): the context comes from it.
  await page.getByTestId('context').fill(ethers.toBeHex(await registry.contextFor(account), 32));
  assert.equal(await page.getByTestId('live-digit').getAttribute('data-digit'), '7', 'needs the drawn 7');
  const s = await (async () => { await page.getByTestId('prove').click(); return waitState(page, 'proof-status', 180_000); })();
  assert.equal(s.state, 'ok', s.text);
  const total = Number(await page.getByTestId('prove-time-ms').textContent());
  timings.proveClickToProofMs = total;
  log(`proved: ${s.text}`);
  const digit = (await page.getByTestId('predicted-digit').textContent()).trim();
  assert.equal(digit, '7', 'a drawn 7 is proved as 7, the live prediction');
  // Stage durations as the proving thread measured them: every stage shown, proving is the
  // bulk of the work (the old page said "proving 17 ms, checking 3,795 ms"), and together they
  // account for the click-to-proof time but never exceed it.
  const stages = await page.getByTestId('stages').locator('li').allTextContents();
  const ms = Object.fromEntries(stages.map((t) => { const m = t.match(/^(\w+): (\d+) ms$/); assert.ok(m, t); return [m[1], Number(m[2])]; }));
  assert.deepEqual(Object.keys(ms), ['witness', 'commitment', 'proving', 'checking']);
  const sum = Object.values(ms).reduce((a, b) => a + b, 0);
  assert.ok(ms.proving > ms.checking && ms.proving > ms.witness, JSON.stringify(ms));
  assert.ok(sum <= total && sum >= 0.5 * total, `stages sum to ${sum} ms of ${total} ms`);
  timings.stages = ms;
});

test('verified in the page, the in-page EVM and on anvil (eth_call)', async () => {
  let s;
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
});

test('the downloaded proof verifies with the CLI; the opening opens it', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-proof').click()]);
  proofPath = path.join(tmp, 'proof.json');
  await download.saveAs(proofPath);
  proofJson = readFileSync(proofPath, 'utf8');
  proofFile = JSON.parse(proofJson);
  assert.equal(proofFile.format, 'zkmnist-proof/1');
  assert.ok(cli('verify', proofPath, '--keys', keysDir).includes('valid'));
  assert.ok(cli('verify-evm', proofPath).includes('valid'));
  const [openingDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-opening').click()]);
  const openingPath = path.join(tmp, 'opening.json');
  await openingDl.saveAs(openingPath);
  assert.match(cli('open', proofPath, openingPath), /opening matches the commitment/);
  tamperedPath = path.join(tmp, 'tampered.json');
  writeFileSync(tamperedPath, tamper(proofJson, 700));
});

test('anvil: wrong inputs and tampered proofs rejected, gas from receipts, DigitRegistry records the digit', async () => {
  needProof();
  const publics = proofFile.public_inputs.map((h) => BigInt(h));
  const proofBytes = proofFile.proof;
  assert.equal(await wrapper.verify(proofBytes, ...publics), true);
  const estimate = await wrapper.verify.estimateGas(proofBytes, ...publics);
  timings.anvilEstimateGas = Number(estimate);
  // The raw verifier with the proof file's calldata: a 32-byte 1 (an address without code would
  // "succeed" too, with nothing returned). An empty call names the key it checks.
  assert.equal(await provider.call({ to: addresses.Halo2Verifier, data: proofFile.calldata }), ethers.toBeHex(1, 32));
  assert.equal(await provider.call({ to: '0x000000000000000000000000000000000000dEaD', data: proofFile.calldata }), '0x');
  assert.equal(await provider.call({ to: addresses.Halo2Verifier, data: '0x' }), proofFile.vk_digest);
  // The wrapper says which key and setup a dApp is trusting.
  assert.equal(await wrapper.VK_DIGEST(), proofFile.vk_digest);
  assert.equal(await wrapper.SETUP(), 'dev-insecure');
  assert.equal(await wrapper.INSECURE_DEV_SETUP(), true);
  // A wrapper cannot be deployed in front of a contract that is not this key's verifier.
  const { bin } = artifacts();
  const coder = ethers.AbiCoder.defaultAbiCoder();
  await assert.rejects(signer.sendTransaction({ data: bin.ZkmnistVerifier + coder.encode(['address'], [addresses.DigitRegistry]).slice(2), gasLimit: 3_000_000 }).then((t) => t.wait()));
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
  const other = new ethers.Wallet(OTHER_KEY, provider);
  await assert.rejects(registry.connect(other).record.staticCall(proofBytes, publics[0], publics[1]));
});

test('a tampered upload is rejected in the page, the in-page EVM, on anvil and by the CLI', async () => {
  needProof();
  let s;
  assert.match(cliFails('verify', tamperedPath, '--keys', keysDir).stderr, /error: .*invalid/);
  // Read, then checked at once: the page says it is not valid without being asked.
  const checked = await uploadChecked(page, tamperedPath);
  assert.equal(checked.verify.state, 'error', checked.verify.text);
  assert.match(await page.getByTestId('proof-status').textContent(), /tampered\.json is NOT valid/);
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
  s = await upload(page, junkPath);
  assert.equal(s.state, 'error');
  assert.match(s.text, /not a zkmnist proof file/);
  // The original proof, uploaded back, verifies again.
  await upload(page, proofPath);
  await page.getByTestId('verify-page').click();
  s = await waitState(page, 'verify-status');
  assert.equal(s.state, 'ok', s.text);
});

test('an injected wallet (EIP-1193) instead of a URL', async () => {
  needProof();
  let s;
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
});

test('wrong network or address: clear messages', async () => {
  needProof();
  let s;
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
  assert.match(s.text, /Nothing answered at/);
});

test('a second load takes the keys from the cache', async () => {
  needProof();
  const t0 = Date.now();
  await page.reload();
  const load = await waitState(page, 'load-status', 60_000);
  assert.equal(load.state, 'ok', load.text);
  assert.match(load.text, /keys from cache/);
  timings.cachedLoadMs = Date.now() - t0;
});

test('a phone-sized viewport: every control reachable', async () => {
  needProof();
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
});

test('without the threaded module the page proves on one thread; drag and drop', async () => {
  needProof();
  let s;
  const single = await context.newPage();
  single.on('pageerror', (e) => consoleErrors.push(`single-thread page: ${e.message}`));
  await single.route('**/pkg/threads/**', (route) => route.abort());
  await single.goto(url);
  const load = await waitState(single, 'load-status', 60_000);
  assert.equal(load.state, 'ok', load.text);
  assert.equal(await single.getByTestId('load-status').getAttribute('data-threads'), '1');
  await upload(single, proofPath);
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
});

test('a threaded proof that stalls is restarted on one thread (the watchdog)', async () => {
  // ?watchdog=1 makes every threaded proof "stall" at once: the page must terminate the
  // threaded prover, load the one-thread module and its keys again, and prove there.
  const w = await context.newPage();
  w.on('pageerror', (e) => consoleErrors.push(`watchdog page: ${e.message}`));
  await w.goto(`${url}&watchdog=1`);
  const load = await waitState(w, 'load-status', 60_000);
  assert.equal(load.state, 'ok', load.text);
  assert.ok(Number(await w.getByTestId('load-status').getAttribute('data-threads')) > 1, 'starts threaded');
  await drawSeven(w);
  await w.waitForFunction(() => document.querySelector('[data-testid=live-digit]').dataset.digit === '7');
  await w.getByTestId('prove').click();
  const s = await waitState(w, 'proof-status', 180_000);
  assert.equal(s.state, 'ok', s.text);
  assert.match(s.text, /restarted on one thread/);
  assert.equal(await w.getByTestId('load-status').getAttribute('data-threads'), '1');
  await w.getByTestId('verify-page').click();
  const v = await waitState(w, 'verify-status');
  assert.equal(v.state, 'ok', v.text);
  await w.close();
});

test('pk.bin never arrives: uploaded proofs still verify', async () => {
  needProof();
  let s;
  const noPkContext = await browser.newContext();
  const noPk = await noPkContext.newPage();
  noPk.on('pageerror', (e) => consoleErrors.push(`no-pk page: ${e.message}`));
  let pkRequested;
  const asked = new Promise((resolve) => { pkRequested = resolve; });
  await noPk.route('**/keys/pk.bin', () => { pkRequested(); /* never answered */ });
  await noPk.goto(url);
  await upload(noPk, proofPath);
  await noPk.waitForFunction(() => !document.querySelector('[data-testid=verify-page]').disabled, null, { timeout: 60_000 });
  await noPk.getByTestId('verify-page').click();
  s = await waitState(noPk, 'verify-status');
  assert.equal(s.state, 'ok', s.text);
  await Promise.race([asked, new Promise((_, reject) => setTimeout(() => reject(new Error('the page never asked for pk.bin')), 10_000))]);
  assert.equal(await noPk.getByTestId('load-status').getAttribute('data-state'), 'working', 'still waiting for pk.bin');
  assert.equal(await noPk.getByTestId('prove').isDisabled(), true, 'no proving without the proving key');
  await noPkContext.close();
});

test('POST /api/verify gives the CLI --json verdict', async () => {
  needProof();
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
  // The same verdict, byte for byte, as `zkmnist verify --json` (and the wasm API and the npm
  // package: tests/e2e/wasm.test.mjs, tests/e2e/npm.test.mjs).
  for (const file of [proofPath, tamperedPath]) {
    const body = (await (await post(readFileSync(file))).text()).trim();
    let json;
    try { json = cli('verify', file, '--keys', keysDir, '--json'); } catch (e) { json = e.stdout; }
    assert.equal(body, json.trim(), file);
  }
});

test('no uncaught errors in the pages', () => {
  assert.deepEqual(consoleErrors, []);
});
