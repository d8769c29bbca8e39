// Helpers shared by the JavaScript suites (tests/e2e/*.test.mjs, run with `node --test`) and the
// browser benchmark (benches/browser.mjs): the CLI, child processes, ports, proof tampering, and
// driving the page.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const zkmnistBin = path.join(root, 'target/release/zkmnist');
// anvil's first well-known dev account (public test key, funded on every anvil chain).
export const DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
// anvil's second well-known dev account.
export const OTHER_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

// A temporary directory removed when the process exits.
export function tempDir(prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), `zkmnist-${prefix}-`));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Runs the CLI; returns stdout, throws (with stderr) on a non-zero exit.
export function cli(...args) {
  return execFileSync(zkmnistBin, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// Runs the CLI expecting failure; returns {stdout, stderr, status}.
export function cliFails(...args) {
  try {
    execFileSync(zkmnistBin, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    return { stdout: e.stdout, stderr: e.stderr, status: e.status };
  }
  throw new Error(`zkmnist ${args.join(' ')} succeeded but should have failed`);
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

const children = [];
process.on('exit', () => { for (const c of children) c.kill(); });

// Starts a process and waits until its output matches `ready`; it is killed when this process
// exits (or by `stopAll`).
export function start(cmd, args, ready, opts = {}) {
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

export function stopAll() {
  for (const c of children.splice(0)) c.kill();
}

// Fresh dev keys of this build in `dir` (deterministic), so the user's keys/ are never touched.
export function devKeys(dir) {
  cli('setup', '--out', dir);
  return dir;
}

// `zkmnist serve` on a free port with the given keys (and more arguments, e.g. `--chain FILE`);
// resolves to its base URL.
export async function serve(keysDir, args = []) {
  const port = await freePort();
  await start(zkmnistBin, ['serve', '--port', String(port), '--keys', keysDir, ...args], /zkmnist demo: http/);
  return `http://127.0.0.1:${port}`;
}

// anvil (npm @foundry-rs/anvil) on a free port; resolves to its JSON-RPC URL.
export async function startAnvil() {
  const port = await freePort();
  await start(path.join(root, 'node_modules/.bin/anvil'), ['--host', '127.0.0.1', '--port', String(port)], /Listening on/);
  return `http://127.0.0.1:${port}`;
}

// The deploy command as a user runs it, with anvil's first dev key; returns what it printed
// (and wrote to `out`, a chain file, when given).
export function deployCommand(rpcUrl, { out = null, extra = [], env = {} } = {}) {
  const args = [path.join(root, 'scripts/deploy.mjs'), '--rpc', rpcUrl, '--private-key-env', 'E2E_DEPLOYER_KEY', ...extra];
  if (out) args.push('--out', out);
  return execFileSync('node', args, {
    cwd: root, encoding: 'utf8', env: { ...process.env, E2E_DEPLOYER_KEY: DEV_KEY, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
}

// A proof file's text with one proof byte changed (its calldata dropped: readers recompute it).
export function tamper(proofJson, byteIndex) {
  const file = JSON.parse(proofJson);
  const hex = file.proof.slice(2);
  const i = byteIndex * 2;
  const flipped = (parseInt(hex.slice(i, i + 2), 16) ^ 1).toString(16).padStart(2, '0');
  file.proof = `0x${hex.slice(0, i)}${flipped}${hex.slice(i + 2)}`;
  delete file.calldata;
  return JSON.stringify(file, null, 2);
}

// assert.throws with a message pattern.
export function throwsMatching(f, pattern, what) {
  assert.throws(f, (e) => { assert.match(e.message, pattern, what); return true; }, what);
}

// ---- the page ------------------------------------------------------------------------------

export async function launchChromium(extraArgs = []) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}

// Waits until a status element settles (data-state ok or error).
export async function waitState(page, testid, timeout = 60_000) {
  const el = page.getByTestId(testid);
  await page.waitForFunction(
    (e) => e && (e.dataset.state === 'ok' || e.dataset.state === 'error'),
    await el.elementHandle(), { timeout });
  return { state: await el.getAttribute('data-state'), text: await el.textContent() };
}

// Draws a 7 with two mouse strokes.
export async function drawSeven(page) {
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

// Uploads a file through the page's upload button and waits for the proof status.
export async function upload(page, file) {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('upload-proof').click()]);
  await chooser.setFiles(file);
  return waitState(page, 'proof-status');
}

// Uploads a proof file that the page can read and waits for the page's own check of it:
// returns { proof, verify } (the proof status as first settled, then the verify status).
export async function uploadChecked(page, file) {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('upload-proof').click()]);
  await chooser.setFiles(file);
  // The proof status names the file once the page has read it (and again with the verdict).
  await page.waitForFunction((name) => {
    const el = document.querySelector('[data-testid=proof-status]');
    return el.dataset.state !== 'working' && el.textContent.includes(name);
  }, path.basename(file), { timeout: 60_000 });
  const verify = await waitState(page, 'verify-status');
  const proof = await waitState(page, 'proof-status');
  return { proof, verify };
}

// Uploads an opening for the current proof and waits for the opening status.
export async function uploadOpening(page, file) {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('upload-opening').click()]);
  await chooser.setFiles(file);
  return waitState(page, 'opening-status');
}

// Opens the page and waits until it can prove.
export async function readyPage(context, url, timeout = 120_000) {
  const page = await context.newPage();
  await page.goto(url);
  const load = await waitState(page, 'load-status', timeout);
  assert.equal(load.state, 'ok', load.text);
  return page;
}

// Draws a 7 and proves it; resolves to the proof status once it settles.
export async function proveSeven(page) {
  await drawSeven(page);
  await page.waitForFunction(() => document.querySelector('[data-testid=live-digit]').dataset.digit === '7', null, { timeout: 10_000 });
  await page.getByTestId('prove').click();
  return waitState(page, 'proof-status', 180_000);
}
