// Browser benchmark: headless Debian chromium on the demo page served by `zkmnist serve`.
// Prints a table of medians. Needs pkg/ (scripts/build-wasm.sh) and target/release/zkmnist.
//
//   BENCH_RUNS=5 node benches/browser.mjs                  (threaded module when the page can use it)
//   BENCH_ONE_THREAD=1 BENCH_RUNS=5 node benches/browser.mjs (pkg/threads hidden: one thread)
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const zkmnist = path.join(root, 'target/release/zkmnist');
const runs = Number(process.env.BENCH_RUNS || 5);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const port = await new Promise((resolve) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});
const keys = path.join(mkdtempSync(path.join(tmpdir(), 'zkmnist-bench-')), 'keys');
execFileSync(zkmnist, ['setup', '--out', keys], { cwd: root, stdio: 'ignore' });
const server = spawn(zkmnist, ['serve', '--port', String(port), '--keys', keys], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
await new Promise((resolve) => server.stdout.on('data', (d) => { if (/zkmnist demo/.test(d)) resolve(); }));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--enable-precise-memory-info'],
});
const context = await browser.newContext();
if (process.env.BENCH_ONE_THREAD) {
  // What a page that cannot use the threaded module gets: the worker probes pkg/threads/ and
  // falls back to pkg/.
  await context.route('**/pkg/threads/**', (route) => route.fulfill({ status: 404, body: '' }));
}
const page = await context.newPage();
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.error(`page ${m.type()}: ${m.text()}`); });
page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
const state = async (id, timeout = 300_000) => {
  const h = await page.getByTestId(id).elementHandle();
  await page.waitForFunction((e) => e.dataset.state === 'ok' || e.dataset.state === 'error', h, { timeout });
  const st = await page.getByTestId(id).getAttribute('data-state');
  if (st !== 'ok') throw new Error(`${id}: ${await page.getByTestId(id).textContent()}`);
};
const memory = async () => {
  const m = await page.evaluate(() => performance.measureUserAgentSpecificMemory
    ? performance.measureUserAgentSpecificMemory().then((r) => r.bytes) : null);
  return m;
};

const first = [];
const cached = [];
await page.goto(`http://127.0.0.1:${port}/`);
await state('load-status');
first.push(Number(await page.getByTestId('load-status').getAttribute('data-ms')));
const proverThreads = await page.getByTestId('load-status').getAttribute('data-threads');
for (let i = 0; i < Math.max(1, Math.min(runs, 3)); i++) {
  await page.reload();
  await state('load-status');
  cached.push(Number(await page.getByTestId('load-status').getAttribute('data-ms')));
}
const canvas = page.getByTestId('draw-canvas');
await canvas.scrollIntoViewIfNeeded();
const box = await canvas.boundingBox();
const at = (x, y) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height];
for (const [a, b] of [[[70, 60], [205, 60]], [[205, 60], [120, 235]]]) {
  await page.mouse.move(...at(...a)); await page.mouse.down();
  await page.mouse.move(...at(...b), { steps: 12 }); await page.mouse.up();
}
const prove = [];
const verify = [];
const evmMs = [];
let peak = 0;
for (let i = 0; i < runs; i++) {
  await page.getByTestId('prove').click();
  await state('proof-status');
  prove.push(Number(await page.getByTestId('prove-time-ms').textContent()));
  peak = Math.max(peak, (await memory()) || 0);
  await page.getByTestId('verify-page').click();
  await state('verify-status');
  verify.push(Number(await page.getByTestId('verify-status').getAttribute('data-ms')));
  await page.getByTestId('verify-contract-local').click();
  await state('contract-status');
  evmMs.push(Number((await page.getByTestId('contract-status').textContent()).match(/(\d+) ms/)[1]));
}
const version = browser.version();
await browser.close();
server.kill();

console.log(`chromium ${version}, ${proverThreads} prover thread(s), ${runs} runs, medians (min-max)`);
console.log('| what | median | range |');
console.log('|---|---|---|');
const row = (name, xs, unit) => console.log(`| ${name} | ${median(xs)} ${unit} | ${Math.min(...xs)} - ${Math.max(...xs)} ${unit} |`);
row('page ready, first load (wasm + keys download + key parsing)', first, 'ms');
row('page ready, keys from cache', cached, 'ms');
row('prove, click to proof', prove, 'ms');
row('verify in page (wasm)', verify, 'ms');
row('in-page EVM: deploy the contracts + verify', evmMs, 'ms');
console.log(`| peak memory (measureUserAgentSpecificMemory, page + worker) | ${(peak / 1e6).toFixed(0)} MB | |`);
