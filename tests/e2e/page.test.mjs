// The page as a product (issue 25): one honest proof state, a phone-first layout, errors in
// words, the opening reveal, the server button, and recording on the demo's own chain (anvil +
// DigitRegistry, deployed with `scripts/deploy.mjs --out` and served with `zkmnist serve
// --chain`), with the node's dev account and with an injected EIP-1193 wallet. Each test names
// the defect it guards against; each failed on the page before that issue.
//
//   node --test tests/e2e/page.test.mjs        (scripts/test.sh runs it after building everything)
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ethers } from 'ethers';
import { artifacts } from '../../scripts/deploy.mjs';
import {
  root, cli, freePort, start, stopAll, tempDir, devKeys, serve, tamper, launchChromium, waitState, drawSeven,
  upload, uploadChecked, uploadOpening, readyPage, proveSeven, startAnvil, deployCommand, DEV_KEY, OTHER_KEY,
} from './helpers.mjs';

const tmp = tempDir('page');
const pageErrors = [];
let rpcUrl, provider, chain, keysDir, base, browser, context;
let proofPath, openingPath, proofJson;

function watch(page, name) {
  page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
  return page;
}

// Every status line's settled texts, to check that none speaks of a proof not shown.
const VERDICTS = ['verify-status', 'server-status', 'contract-status', 'record-status', 'opening-status'];
async function verdictStates(page) {
  return page.evaluate((ids) => Object.fromEntries(ids.map((id) => {
    const el = document.querySelector(`[data-testid=${id}]`);
    return [id, { state: el.dataset.state, text: el.textContent }];
  })), VERDICTS);
}

before(async () => {
  rpcUrl = await startAnvil();
  provider = new ethers.JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, pollingInterval: 100 });
  const chainPath = path.join(tmp, 'chain.json');
  deployCommand(rpcUrl, { out: chainPath });
  chain = JSON.parse(readFileSync(chainPath, 'utf8'));
  keysDir = devKeys(path.join(tmp, 'keys'));
  base = await serve(keysDir, ['--chain', chainPath]);
  browser = await launchChromium();
  context = await browser.newContext({ acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  // A proof and its opening made by the CLI, for the upload tests.
  proofPath = path.join(tmp, 'proof.json');
  openingPath = path.join(tmp, 'opening.json');
  cli('prove', '--image', path.join(root, 'tests/fixtures/digit-7.png'), '--out', proofPath, '--opening', openingPath, '--keys', keysDir);
  proofJson = readFileSync(proofPath, 'utf8');
});

after(async () => {
  if (browser) await browser.close();
  stopAll();
});

test('the demo chain file: the page is pointed at the chain with nothing to paste', async () => {
  assert.equal(chain.format, 'zkmnist-chain/1');
  assert.equal(chain.chain_id, 31337);
  assert.equal(chain.rpc, rpcUrl);
  assert.equal(chain.setup, 'dev-insecure');
  for (const name of ['Halo2Verifier', 'ZkmnistVerifier', 'DigitRegistry']) {
    assert.notEqual(await provider.getCode(chain.contracts[name]), '0x', `${name} is deployed`);
  }
  const served = await (await fetch(`${base}/chain.json`)).json();
  assert.deepEqual(served, chain);
  const page = watch(await readyPage(context, base), 'chain');
  assert.equal(await page.getByTestId('rpc-url').inputValue(), rpcUrl);
  assert.equal(await page.getByTestId('registry-address').inputValue(), chain.contracts.DigitRegistry);
  assert.equal(await page.getByTestId('verifier-address').inputValue(), chain.contracts.ZkmnistVerifier);
  assert.match(await page.getByTestId('chain-info').textContent(), /local chain 31337/);
  // Query parameters win over the served chain.
  const q = watch(await context.newPage(), 'query');
  await q.goto(`${base}/?rpc=${encodeURIComponent('http://127.0.0.1:1')}&registry=0x000000000000000000000000000000000000dEaD`);
  await q.waitForFunction(() => document.querySelector('[data-testid=registry-address]').value !== '');
  assert.equal(await q.getByTestId('rpc-url').inputValue(), 'http://127.0.0.1:1');
  assert.equal(await q.getByTestId('registry-address').inputValue(), '0x000000000000000000000000000000000000dEaD');
  await q.close();
  await page.close();
});

test('a phone: canvas and Prove in the first screen, no layout shift, no sideways scroll', async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  await phone.addInitScript(() => {
    window.__shifts = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts.push(e.value);
    }).observe({ type: 'layout-shift', buffered: true });
  });
  const page = watch(await readyPage(phone, base), 'phone');
  // Let late work (scores, chain lookup) settle, then read the score.
  await page.waitForTimeout(1000);
  const cls = await page.evaluate(() => window.__shifts.reduce((a, b) => a + b, 0));
  assert.ok(cls < 0.05, `layout-shift score after load ${cls.toFixed(3)} (was 0.24: the warning pushed everything down)`);
  for (const id of ['draw-canvas', 'prove']) {
    const b = await page.getByTestId(id).boundingBox();
    assert.ok(b && b.y >= 0 && b.y + b.height <= 844, `${id} is in the first screen: ${JSON.stringify(b)}`);
  }
  assert.ok(await page.getByTestId('setup-warning').isVisible(), 'the dev-setup warning is shown');
  await page.setViewportSize({ width: 320, height: 640 });
  await page.waitForTimeout(200);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 320, `the page is ${wide} px wide at 320 px: it scrolls sideways`);
  // Drawing with a finger works.
  await page.setViewportSize({ width: 390, height: 844 });
  const box = await page.getByTestId('draw-canvas').boundingBox();
  await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForFunction(() => document.querySelector('[data-testid=live-digit]').textContent !== 'Draw a digit.', null, { timeout: 10_000 });
  await phone.close();
});

test('a desktop: Prove in the first screen; what was proved is said next to the result', async () => {
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = watch(await readyPage(desk, base), 'desktop');
  const b = await page.getByTestId('prove').boundingBox();
  assert.ok(b.y + b.height <= 900, `Prove at y=${b.y}`);
  const about = page.getByTestId('what-was-proved');
  await about.locator('summary').click();
  const text = await about.textContent();
  for (const words of [/Public/, /digit, the image\s+commitment/, /context/, /Private/, /opening/]) assert.match(text, words);
  await desk.close();
});

test('light mode follows the system preference', async () => {
  const light = await browser.newContext({ colorScheme: 'light' });
  const page = watch(await light.newPage(), 'light');
  await page.goto(base);
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = bg.match(/\d+/g).map(Number);
  assert.ok(r + g + b > 600, `light background, got ${bg}`);
  await light.close();
});

test('drawing: Prove waits for a digit, a blot is not a digit, scores are probabilities in text', async () => {
  const page = watch(await readyPage(context, base), 'drawing');
  const prove = page.getByTestId('prove');
  assert.equal(await prove.isDisabled(), true, 'Prove is disabled on a blank canvas');
  assert.match(await page.getByTestId('prove-hint').textContent(), /Draw a digit first/);
  // A blot of ink: the model would call it something; the page says it is not a digit.
  const canvas = page.getByTestId('draw-canvas');
  const box = await canvas.boundingBox();
  const at = (x, y) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height];
  for (let y = 40; y <= 240; y += 12) {
    await page.mouse.move(...at(40, y));
    await page.mouse.down();
    await page.mouse.move(...at(240, y), { steps: 4 });
    await page.mouse.up();
  }
  const live = page.getByTestId('live-digit');
  await page.waitForFunction((e) => e.dataset.notDigit === 'yes', await live.elementHandle(), { timeout: 10_000 });
  assert.match(await live.textContent(), /does not look like a digit/);
  assert.equal(await prove.isDisabled(), true, 'a blot cannot be proved');
  assert.match(await page.getByTestId('prove-hint').textContent(), /Not a digit: ink covers \d+ %/);
  // A dot: too small to read, not "too much ink".
  await page.getByTestId('clear').click();
  await page.mouse.click(...at(140, 140));
  await page.waitForFunction((e) => e.dataset.notDigit === 'yes', await live.elementHandle(), { timeout: 10_000 });
  assert.match(await live.textContent(), /Too small to read: draw the digit bigger/);
  assert.match(await page.getByTestId('prove-hint').textContent(), /Too small/);
  assert.equal(await prove.isDisabled(), true);
  // A 7: bars are the probabilities, each written out for screen readers.
  await page.getByTestId('clear').click();
  await drawSeven(page);
  await page.waitForFunction((e) => e.dataset.digit === '7', await live.elementHandle(), { timeout: 10_000 });
  const rows = await page.locator('[data-testid=scores] li').evaluateAll((lis) => lis.map((li) => ({
    width: parseFloat(li.querySelector('.bar span').style.width),
    text: li.querySelector('.pct').textContent,
  })));
  const total = rows.reduce((a, r) => a + r.width, 0);
  assert.ok(Math.abs(total - 100) < 1.5, `bar lengths are probabilities summing to 100 %, got ${total}`);
  const confidence = Number(await live.getAttribute('data-confidence'));
  assert.ok(Math.abs(rows[7].width - 100 * confidence) < 0.2, `the 7's bar is its probability: ${rows[7].width} vs ${confidence}`);
  for (const [d, r] of rows.entries()) {
    assert.match(r.text, /^\d+(\.\d)? %$/, `digit ${d}'s value is text, not only a title`);
    if (d !== 7) assert.ok(r.width < rows[7].width, `runner-up ${d} drawn shorter than the winner`);
  }
  // The context is explained and checked as it is typed.
  const ctx = page.getByTestId('context');
  assert.match(await page.getByTestId('context-help').textContent(), /public value the proof is\s+bound to/);
  await ctx.fill('hello');
  assert.equal(await prove.isDisabled(), true, 'a bad context blocks Prove at once');
  assert.match(await page.getByTestId('prove-hint').textContent(), /Fix the context/);
  assert.match(await page.getByTestId('context-help').getAttribute('data-problem'), /0x followed by 1 to 64 hex digits/);
  assert.equal(await ctx.getAttribute('aria-invalid'), 'true');
  await ctx.fill('0x1234');
  assert.equal(await prove.isDisabled(), false);
  await page.close();
});

test('an 8 is "an 8"', async () => {
  const page = watch(await readyPage(context, base), 'eight');
  const box = await page.getByTestId('draw-canvas').boundingBox();
  const at = (x, y) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height];
  // Two loops, one above the other.
  for (const [cy, r] of [[85, 45], [190, 55]]) {
    await page.mouse.move(...at(140 + r, cy));
    await page.mouse.down();
    for (let a = 0; a <= 2 * Math.PI + 0.2; a += 0.25) await page.mouse.move(...at(140 + r * Math.cos(a), cy + r * Math.sin(a)));
    await page.mouse.up();
  }
  const live = page.getByTestId('live-digit');
  await page.waitForFunction((e) => e.dataset.digit === '8', await live.elementHandle(), { timeout: 10_000 });
  assert.match(await live.textContent(), /^Looks like an 8 \(\d+ % sure\)$/);
  await page.close();
});

test('the keyboard can draw: Tab to the canvas, arrows and Space', async () => {
  const page = watch(await readyPage(context, base), 'keyboard');
  await page.getByTestId('draw-canvas').focus();
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'draw-canvas', 'the canvas takes focus');
  // Up to the top, then a vertical stroke down: a 1.
  for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Space');
  for (let i = 0; i < 12; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.querySelector('[data-testid=live-digit]').dataset.digit === '1', null, { timeout: 10_000 });
  await page.keyboard.press('Delete');
  await page.waitForFunction(() => document.querySelector('[data-testid=live-digit]').dataset.digit === '');
  await page.close();
});

test('a proof in progress: the old one is gone, the stage is lit, one announcement, drawing meanwhile is honest', async () => {
  const page = watch(await readyPage(context, base), 'progress');
  let s = await proveSeven(page);
  assert.equal(s.state, 'ok', s.text);
  // Count what a screen reader would hear from the proof status during the next proof.
  await page.evaluate(() => {
    window.__announced = [];
    const el = document.querySelector('[data-testid=proof-status]');
    new MutationObserver(() => window.__announced.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
  });
  await page.getByTestId('prove').click();
  // While it runs: no digit, no download, no verdict of the old proof.
  await page.waitForFunction(() => document.querySelector('[data-testid=proof-status]').dataset.state === 'working');
  const during = await page.evaluate(() => ({
    digit: document.querySelector('[data-testid=predicted-digit]').textContent,
    download: document.querySelector('[data-testid=download-proof]').disabled,
    verify: document.querySelector('[data-testid=verify-page]').disabled,
    cancel: !document.querySelector('[data-testid=cancel-proof]').hidden,
  }));
  assert.deepEqual(during, { digit: '–', download: true, verify: true, cancel: true });
  const running = await page.waitForSelector('[data-testid=stages] li.running', { timeout: 30_000 });
  const style = await running.evaluate((li) => {
    const pending = li.parentElement.querySelector('li.pending') || li;
    const cs = getComputedStyle(li);
    return { weight: Number(cs.fontWeight), color: cs.color, opacity: Number(cs.opacity), pendingColor: getComputedStyle(pending).color };
  });
  assert.ok(style.weight >= 600 && style.opacity === 1, `the running stage stands out: ${JSON.stringify(style)}`);
  // Draw a stroke during the proof: the guess says why it waits instead of "Draw a digit."
  const box = await page.getByTestId('draw-canvas').boundingBox();
  await page.mouse.move(box.x + 30, box.y + box.height - 30);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 30, box.y + box.height - 30, { steps: 4 });
  await page.mouse.up();
  const liveDuring = await page.getByTestId('live-digit').textContent();
  s = await waitState(page, 'proof-status', 180_000);
  assert.equal(s.state, 'ok', s.text);
  assert.match(liveDuring, /Scores resume when the proof is done/, `during a proof the guess said ${liveDuring}`);
  const announced = await page.evaluate(() => window.__announced);
  assert.ok(announced.length <= 3, `the live region changed ${announced.length} times: ${JSON.stringify(announced)}`);
  // The proved image is shown; the drawing changed after the click, and the page says so.
  const proved = await page.getByTestId('proved-image').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - d[0]) > 64) ink++;
    return ink;
  });
  assert.ok(proved > 20, `the proved 28x28 image is drawn (${proved} inked pixels)`);
  assert.match(await page.locator('#proved-caption').textContent(), /your drawing has changed since/);
  // The scores come back by themselves once the prover is free.
  await page.waitForFunction(() => !/Scores resume/.test(document.querySelector('[data-testid=live-digit]').textContent), null, { timeout: 10_000 });
  assert.notEqual(await page.locator('[data-testid=scores] li .pct').first().textContent(), '–');
  await page.close();
});

test('cancel a running proof: the previous proof comes back, the prover reloads', async () => {
  const page = watch(await readyPage(context, base), 'cancel');
  let s = await proveSeven(page);
  assert.equal(s.state, 'ok', s.text);
  const commitment = await page.getByTestId('commitment').textContent();
  await page.getByTestId('prove').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid=cancel-proof]').hidden);
  await page.getByTestId('cancel-proof').click();
  await page.waitForFunction(() => /Cancelled/.test(document.querySelector('[data-testid=proof-status]').textContent));
  assert.match(await page.getByTestId('proof-status').textContent(), /Cancelled: no proof was made\. Your previous proof is back/);
  assert.equal(await page.getByTestId('commitment').textContent(), commitment);
  const load = await waitState(page, 'load-status', 60_000);
  assert.equal(load.state, 'ok', load.text);
  s = await (async () => { await page.getByTestId('prove').click(); return waitState(page, 'proof-status', 180_000); })();
  assert.equal(s.state, 'ok', `proving works after a cancel: ${s.text}`);
  await page.close();
});

test('a rejected upload leaves no current proof: nothing says valid, every proof button is off', async () => {
  const page = watch(await readyPage(context, base), 'rejected');
  let s = await proveSeven(page);
  assert.equal(s.state, 'ok', s.text);
  await page.getByTestId('verify-page').click();
  s = await waitState(page, 'verify-status');
  assert.equal(s.state, 'ok');
  // One hex digit of `proof` changed, calldata kept: the file contradicts itself.
  const file = JSON.parse(proofJson);
  file.proof = `${file.proof.slice(0, 100)}${file.proof[100] === '0' ? '1' : '0'}${file.proof.slice(101)}`;
  const bad = path.join(tmp, 'one-digit.json');
  writeFileSync(bad, JSON.stringify(file, null, 2));
  s = await upload(page, bad);
  assert.equal(s.state, 'error');
  assert.match(s.text, /damaged or was edited/);
  assert.doesNotMatch(s.text.split('Details')[0], /calldata: is not/, 'the headline is in words, not the parser\'s message');
  for (const id of ['verify-page', 'verify-contract-local', 'verify-contract-rpc', 'record-onchain', 'download-proof', 'verify-server', 'upload-opening', 'copy-proof']) {
    assert.equal(await page.getByTestId(id).isDisabled(), true, `${id} is disabled after a rejected upload`);
  }
  const verdicts = await verdictStates(page);
  for (const [id, v] of Object.entries(verdicts)) {
    assert.notEqual(v.state, 'ok', `${id} still says ${v.text}`);
    assert.doesNotMatch(v.text, /^Valid|returned true/, `${id}`);
  }
  assert.equal(await page.getByTestId('predicted-digit').textContent(), '–');
  // Nothing lost: the previous proof can come back.
  await page.getByTestId('restore-previous').click();
  assert.equal(await page.getByTestId('predicted-digit').textContent(), '7');
  assert.equal(await page.getByTestId('download-proof').isDisabled(), false);
  await page.close();
});

test('uploads in words: not JSON, 1 MB, a relabelled setup, a tampered proof that looks fine', async () => {
  const page = watch(await readyPage(context, base), 'uploads');
  let s;
  const notJson = path.join(tmp, 'notes.json');
  writeFileSync(notJson, 'hello, this is not JSON');
  s = await upload(page, notJson);
  assert.equal(s.state, 'error');
  assert.match(s.text, /notes\.json is not a zkmnist proof file: it is not JSON/);
  assert.doesNotMatch(s.text.split('Details')[0], /expected .* at line/);
  const big = path.join(tmp, 'big.json');
  writeFileSync(big, 'x'.repeat(1024 * 1024));
  s = await upload(page, big);
  assert.equal(s.state, 'error');
  assert.match(s.text, /big\.json is 1\.0 MB: too large for a proof file \(at most 256 KB/);
  assert.doesNotMatch(s.text, /262145/);
  // A relabelled setup: the digest is named once, the setups both.
  const relabelled = JSON.parse(proofJson);
  relabelled.setup = `ptau:${'ab'.repeat(64)}`;
  const relPath = path.join(tmp, 'relabelled.json');
  writeFileSync(relPath, JSON.stringify(relabelled));
  const { verify: v } = await uploadChecked(page, relPath);
  assert.equal(v.state, 'error');
  assert.match(v.text, /made with other keys/);
  const digest = relabelled.vk_digest;
  assert.equal(v.text.split(digest).length - 1, 1, `the digest is printed once: ${v.text}`);
  // A well-formed but tampered proof: checked at once, shown as not valid.
  const tampered = path.join(tmp, 'tampered.json');
  writeFileSync(tampered, tamper(proofJson, 700));
  const { verify: t } = await uploadChecked(page, tampered);
  assert.equal(t.state, 'error');
  assert.match(t.text, /Not valid in this page: the proof does not hold/);
  assert.doesNotMatch(t.text.split('Details')[0], /Transcript|curve/);
  assert.equal(await page.getByTestId('predicted-digit').getAttribute('data-verified'), 'invalid');
  assert.match(await page.getByTestId('proof-status').textContent(), /tampered\.json is NOT valid/);
  assert.equal(await page.getByTestId('record-onchain').isDisabled(), true, 'a proof found not valid cannot be recorded');
  // The real one: verified at once.
  const { verify: ok } = await uploadChecked(page, proofPath);
  assert.equal(ok.state, 'ok', ok.text);
  assert.equal(await page.getByTestId('predicted-digit').getAttribute('data-verified'), 'yes');
  await page.close();
});

test('an uploaded proof is not shown as a success before it is verified', async () => {
  // The verifier's key never arrives: the upload is read, but cannot be verified.
  const slow = await browser.newContext();
  await slow.route('**/keys/vk.bin', () => { /* never answered */ });
  const page = watch(await slow.newPage(), 'unverified');
  await page.goto(base);
  const s = await upload(page, proofPath);
  assert.equal(s.state, 'ok', s.text);
  assert.match(s.text, /claims digit 7 \(not verified yet/);
  const look = await page.evaluate(() => {
    const digit = document.querySelector('[data-testid=predicted-digit]');
    const status = document.querySelector('[data-testid=proof-status]');
    const ok = document.createElement('p');
    ok.className = 'status';
    ok.dataset.state = 'ok';
    document.body.append(ok);
    const okColour = getComputedStyle(ok).color;
    ok.remove();
    return {
      verified: digit.dataset.verified, label: document.getElementById('digit-label').textContent,
      digitColour: getComputedStyle(digit).color, statusColour: getComputedStyle(status).color, okColour,
      note: document.querySelector('[data-testid=claim-note]').textContent,
    };
  });
  assert.equal(look.verified, 'unchecked');
  assert.equal(look.label, 'Claimed digit');
  assert.match(look.note, /not verified yet/);
  assert.notEqual(look.digitColour, look.okColour, 'the claimed digit is not drawn in the success colour');
  assert.notEqual(look.statusColour, look.okColour, 'the upload status is not drawn in the success colour');
  assert.equal(await page.getByTestId('verify-status').getAttribute('data-state'), 'idle');
  await slow.close();
});

test('reveal an opening: the right one shows the image, a wrong one says why', async () => {
  const page = watch(await readyPage(context, base), 'opening');
  await upload(page, proofPath);
  let s = await uploadOpening(page, openingPath);
  assert.equal(s.state, 'ok', s.text);
  assert.match(s.text, /opens this proof/);
  const inked = await page.getByTestId('opening-image').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - d[0]) > 64) n++;
    return n;
  });
  assert.ok(inked > 20, `the opened image is drawn (${inked} inked pixels)`);
  // Another proof's opening.
  const otherProof = path.join(tmp, 'other-proof.json');
  const otherOpening = path.join(tmp, 'other-opening.json');
  cli('prove', '--image', path.join(root, 'tests/fixtures/digit-3.png'), '--out', otherProof, '--opening', otherOpening, '--keys', keysDir);
  // The opening of a proof found NOT valid: the image is the committed one, not a proved one.
  const tamperedPath = path.join(tmp, 'tampered-for-opening.json');
  writeFileSync(tamperedPath, tamper(proofJson, 600));
  const { verify } = await uploadChecked(page, tamperedPath);
  assert.equal(verify.state, 'error');
  s = await uploadOpening(page, openingPath);
  assert.equal(s.state, 'ok', s.text);
  assert.match(s.text, /But the proof itself is NOT valid: this is the committed image, not a proved one/);
  assert.doesNotMatch(s.text, /the image that was proved/);
  await upload(page, proofPath);
  s = await uploadOpening(page, otherOpening);
  assert.equal(s.state, 'error');
  assert.match(s.text, /belongs to another proof/);
  // An edited opening.
  const edited = JSON.parse(readFileSync(openingPath, 'utf8'));
  edited.salt = '0x01';
  const editedPath = path.join(tmp, 'edited-opening.json');
  writeFileSync(editedPath, JSON.stringify(edited));
  s = await uploadOpening(page, editedPath);
  assert.equal(s.state, 'error');
  assert.match(s.text, /damaged or was edited/);
  await page.close();
});

test('verify on the server from the page (POST /api/verify)', async () => {
  const page = watch(await readyPage(context, base), 'server');
  await upload(page, proofPath);
  await page.getByTestId('verify-server').click();
  let s = await waitState(page, 'server-status');
  assert.equal(s.state, 'ok', s.text);
  assert.match(s.text, /Valid on the server.*HTTP 200/);
  const tampered = path.join(tmp, 'tampered-server.json');
  writeFileSync(tampered, tamper(proofJson, 900));
  await upload(page, tampered);
  await page.getByTestId('verify-server').click();
  s = await waitState(page, 'server-status');
  assert.equal(s.state, 'error');
  assert.match(s.text, /Not valid on the server/);
  await page.close();
});

test('copy the proof; a reload keeps the proof and its opening', async () => {
  const page = watch(await readyPage(context, base), 'reload');
  const s = await proveSeven(page);
  assert.equal(s.state, 'ok', s.text);
  await page.getByTestId('copy-proof').click();
  await page.waitForFunction(() => /Copied/.test(document.querySelector('[data-testid=proof-status]').textContent));
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(JSON.parse(copied).format, 'zkmnist-proof/1');
  const commitment = await page.getByTestId('commitment').textContent();
  await page.reload();
  await page.waitForFunction(() => /Restored/.test(document.querySelector('[data-testid=proof-status]').textContent), null, { timeout: 60_000 });
  assert.equal(await page.getByTestId('commitment').textContent(), commitment);
  assert.equal(await page.getByTestId('download-opening').isDisabled(), false, 'the opening survived the reload');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-opening').click()]);
  const saved = path.join(tmp, 'reloaded-opening.json');
  await dl.saveAs(saved);
  const proofSaved = path.join(tmp, 'reloaded-proof.json');
  writeFileSync(proofSaved, copied);
  assert.match(cli('open', proofSaved, saved), /opening matches the commitment/);
  // A reload while a new proof runs: the proof it was replacing is what comes back.
  await drawSeven(page);
  await page.waitForFunction(() => !document.querySelector('[data-testid=prove]').disabled, null, { timeout: 60_000 });
  await page.getByTestId('prove').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=proof-status]').dataset.state === 'working');
  await page.reload();
  await page.waitForFunction(() => /Restored/.test(document.querySelector('[data-testid=proof-status]').textContent), null, { timeout: 60_000 });
  assert.equal(await page.getByTestId('commitment').textContent(), commitment);
  assert.equal(await page.getByTestId('download-opening').isDisabled(), false);
  await page.close();
});

test('record on chain with the local dev account: receipt, gas, the digit read back; a second time is refused in words', async () => {
  const page = watch(await readyPage(context, base), 'record-dev');
  const s = await proveSeven(page);
  assert.equal(s.state, 'ok', s.text);
  await page.getByTestId('record-onchain').click();
  const r = await waitState(page, 'record-status', 180_000);
  assert.equal(r.state, 'ok', r.text);
  assert.match(r.text, /Recorded on chain 31337: the registry now holds digit 7 for the local chain's dev account #0/);
  const tx = await page.getByTestId('record-status').getAttribute('data-tx');
  const gas = Number(await page.getByTestId('record-status').getAttribute('data-gas'));
  const receipt = await provider.getTransactionReceipt(tx);
  assert.equal(receipt.status, 1);
  assert.equal(Number(receipt.gasUsed), gas);
  const { abi } = artifacts();
  const registry = new ethers.Contract(chain.contracts.DigitRegistry, abi.DigitRegistry, provider);
  const devAccount = new ethers.Wallet(DEV_KEY).address;
  const entry = await registry.entries(devAccount);
  assert.equal(entry.recorded, true);
  assert.equal(Number(entry.digit), 7);
  assert.equal(ethers.toBeHex(entry.imageCommitment, 32), await page.getByTestId('commitment').textContent());
  // The proof was made with context 0x0 and proved again with the account's context.
  assert.equal(ethers.toBeHex(await registry.contextFor(devAccount), 32), await page.getByTestId('proof-context').textContent());
  // The same proof again: already recorded, nothing sent.
  const block = await provider.getBlockNumber();
  await page.getByTestId('record-onchain').click();
  const again = await waitState(page, 'record-status', 60_000);
  assert.equal(again.state, 'ok', again.text);
  assert.match(again.text, /Already recorded: the registry on chain 31337 holds digit 7 from this proof/);
  assert.equal(await provider.getBlockNumber(), block, 'no transaction was sent');

  await page.close();
});

test('record on chain through an injected wallet (EIP-1193)', async () => {
  const walletContext = await browser.newContext();
  const walletAccount = new ethers.Wallet(OTHER_KEY).address;
  await walletContext.addInitScript(({ rpc, account }) => {
    window.__walletCalls = [];
    window.ethereum = {
      isTestWallet: true,
      async request({ method, params }) {
        window.__walletCalls.push(method);
        if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [account];
        const res = await fetch(rpc, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
        const body = await res.json();
        if (body.error) { const e = new Error(body.error.message); e.code = body.error.code; e.data = body.error.data; throw e; }
        return body.result;
      },
    };
  }, { rpc: rpcUrl, account: walletAccount });
  const page = watch(await readyPage(walletContext, base), 'record-wallet');
  const s = await proveSeven(page);
  assert.equal(s.state, 'ok', s.text);
  await page.getByTestId('record-onchain').click();
  const r = await waitState(page, 'record-status', 180_000);
  assert.equal(r.state, 'ok', r.text);
  assert.match(r.text, /for your wallet's account/);
  const calls = await page.evaluate(() => window.__walletCalls);
  assert.ok(calls.includes('eth_requestAccounts') && calls.includes('eth_sendTransaction'), `the wallet was used: ${calls}`);
  const { abi } = artifacts();
  const registry = new ethers.Contract(chain.contracts.DigitRegistry, abi.DigitRegistry, provider);
  const entry = await registry.entries(walletAccount);
  assert.equal(Number(entry.digit), 7);
  const receipt = await provider.getTransactionReceipt(await page.getByTestId('record-status').getAttribute('data-tx'));
  assert.equal(receipt.from, walletAccount);
  await walletContext.close();
});

test('a revert is named in words: a wallet that signs as another account than it said', async () => {
  // The wallet says it is account #3, but sends as account #4: the registry computes the context
  // for #4, the proof carries #3's, and the real contract reverts "DigitRegistry: invalid proof".
  const said = new ethers.Wallet('0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6').address;
  const other = new ethers.Wallet('0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a').address;
  const ctx = await browser.newContext();
  await ctx.addInitScript(({ rpc, said, other }) => {
    window.ethereum = {
      async request({ method, params }) {
        if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [said];
        const p = JSON.parse(JSON.stringify(params || []));
        if ((method === 'eth_call' || method === 'eth_estimateGas' || method === 'eth_sendTransaction') && p[0] && p[0].from) p[0].from = other;
        const res = await fetch(rpc, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: p }) });
        const body = await res.json();
        if (body.error) { const e = new Error(body.error.message); e.code = body.error.code; e.data = body.error.data; throw e; }
        return body.result;
      },
    };
  }, { rpc: rpcUrl, said, other });
  const page = watch(await readyPage(ctx, base), 'revert');
  const s = await proveSeven(page);
  assert.equal(s.state, 'ok', s.text);
  await page.getByTestId('record-onchain').click();
  const r = await waitState(page, 'record-status', 180_000);
  assert.equal(r.state, 'error');
  assert.match(r.text, /The registry's verifier rejected the proof for this account/);
  assert.doesNotMatch(r.text.split('Details')[0], /execution reverted|0x08c379a0/);
  await ctx.close();
});

test('JSON-RPC failures: a silent node times out within 15 s, and each failure says what to check', async () => {
  // A node that accepts and never answers.
  const silentPort = await freePort();
  const silent = http.createServer(() => {}).listen(silentPort, '127.0.0.1');
  // A node that answers, but without CORS headers.
  const noCorsPort = await freePort();
  const noCors = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('{"jsonrpc":"2.0","id":1,"result":"0x7a69"}'); }); }).listen(noCorsPort, '127.0.0.1');
  try {
    const page = watch(await readyPage(context, base), 'rpc');
    await upload(page, proofPath);
    const call = async (url) => {
      await page.getByTestId('rpc-url').fill(url);
      const t0 = Date.now();
      await page.getByTestId('verify-contract-rpc').click();
      const s = await waitState(page, 'contract-status', 30_000);
      return { ...s, ms: Date.now() - t0 };
    };
    const silentUrl = `http://127.0.0.1:${silentPort}`;
    await page.getByTestId('rpc-url').fill(silentUrl);
    await page.getByTestId('verify-contract-rpc').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=contract-status]').dataset.state === 'working');
    assert.equal(await page.getByTestId('verify-contract-rpc').isDisabled(), true, 'no second call while one is in flight');
    assert.equal(await page.getByTestId('cancel-chain').isVisible(), true, 'a call in flight can be cancelled');
    const t0 = Date.now();
    let s = await waitState(page, 'contract-status', 20_000);
    const ms = Date.now() - t0;
    assert.equal(s.state, 'error');
    assert.ok(ms <= 16_000, `the silent node's error came after ${ms} ms`);
    assert.match(s.text, /did not answer eth_getCode within 15 s/);
    s = await call('127.0.0.1:8545');
    assert.equal(s.state, 'error');
    assert.match(s.text, /needs http:\/\/ or https:\/\/ in front/);
    s = await call(`http://127.0.0.1:${await freePort()}`);
    assert.equal(s.state, 'error');
    assert.match(s.text, /Nothing answered at .*, or the node there does not accept calls from web pages \(CORS\)/);
    s = await call(`http://127.0.0.1:${noCorsPort}`);
    assert.equal(s.state, 'error');
    assert.match(s.text, /does not accept calls from web pages \(CORS\)/);
    // Cancel: a call to the silent node, cancelled by hand.
    await page.getByTestId('rpc-url').fill(silentUrl);
    await page.getByTestId('verify-contract-rpc').click();
    await page.getByTestId('cancel-chain').click();
    s = await page.waitForFunction(() => document.querySelector('[data-testid=contract-status]').dataset.state === 'idle');
    assert.match(await page.getByTestId('contract-status').textContent(), /Cancelled/);
    await page.close();
  } finally {
    silent.closeAllConnections();
    silent.close();
    noCors.close();
  }
});

test('a progress figure while the proving key downloads', async () => {
  const fresh = await browser.newContext();
  await fresh.addInitScript(() => {
    window.__load = [];
    addEventListener('DOMContentLoaded', () => {
      const el = document.querySelector('[data-testid=load-status]');
      new MutationObserver(() => window.__load.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
    });
  });
  const page = watch(await readyPage(fresh, base), 'progress-figure');
  const seen = await page.evaluate(() => window.__load);
  assert.ok(seen.some((t) => /^Downloading the proving key: [\d.]+ (KB|MB|bytes) of [\d.]+ MB \(\d+ %\)/.test(t)), `load-status said: ${JSON.stringify(seen)}`);
  await fresh.close();
});

test('deploy.mjs refuses the dev-insecure verifier on a chain that is not local, unless told', async () => {
  // anvil posing as another chain (Sepolia's id): the committed verifier is the dev setup's.
  const port = await freePort();
  const other = `http://127.0.0.1:${port}`;
  await start(path.join(root, 'node_modules/.bin/anvil'), ['--host', '127.0.0.1', '--port', String(port), '--chain-id', '11155111'], /Listening on/);
  let refused;
  try {
    deployCommand(other);
  } catch (e) {
    refused = e;
  }
  assert.ok(refused, 'the deployment was refused');
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /refusing to deploy: .*INSECURE dev keys .*chain 11155111 is not a local test chain/);
  const p = new ethers.JsonRpcProvider(other, undefined, { staticNetwork: true });
  assert.equal(await p.getTransactionCount(new ethers.Wallet(DEV_KEY).address), 0, 'nothing was sent');
  const printed = deployCommand(other, { extra: ['--insecure-dev-keys'] });
  const m = printed.match(/^DigitRegistry (0x[0-9a-fA-F]{40})$/m);
  assert.ok(m, printed);
  assert.notEqual(await p.getCode(m[1]), '0x');
  p.destroy();
});

test('no uncaught errors in the pages', () => {
  assert.deepEqual(pageErrors, []);
});
