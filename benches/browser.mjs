// Browser benchmark: headless Debian chromium on the demo page served by `zkmnist serve`.
// Prints a table of medians. Needs pkg/ (scripts/build-wasm.sh) and target/release/zkmnist.
//
//   BENCH_RUNS=5 node benches/browser.mjs                  (threaded module when the page can use it)
//   BENCH_ONE_THREAD=1 BENCH_RUNS=5 node benches/browser.mjs (pkg/threads hidden: one thread)
import path from 'node:path';
import { tempDir, devKeys, serve, stopAll, launchChromium, waitState, drawSeven } from '../tests/e2e/helpers.mjs';

const runs = Number(process.env.BENCH_RUNS || 5);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const base = await serve(devKeys(path.join(tempDir('bench'), 'keys')));
const browser = await launchChromium(['--enable-precise-memory-info']);
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
  const s = await waitState(page, id, timeout);
  if (s.state !== 'ok') throw new Error(`${id}: ${s.text}`);
};
// Chromium answers measureUserAgentSpecificMemory at a later garbage collection, which an idle
// page may not have for minutes (it stalled 20-proof runs): a measurement not back in 20 s is
// skipped and counted in the table.
let memoryTimeouts = 0;
const memory = async () => {
  const measured = page.evaluate(() => performance.measureUserAgentSpecificMemory
    ? performance.measureUserAgentSpecificMemory().then((r) => r.bytes) : null);
  const late = new Promise((resolve) => setTimeout(() => resolve('late'), 20_000));
  const m = await Promise.race([measured, late]);
  if (m !== 'late') return m;
  memoryTimeouts += 1;
  measured.catch(() => {});
  return null;
};

const first = [];
const cached = [];
await page.goto(`${base}/`);
await state('load-status');
first.push(Number(await page.getByTestId('load-status').getAttribute('data-ms')));
const proverThreads = await page.getByTestId('load-status').getAttribute('data-threads');
for (let i = 0; i < Math.max(1, Math.min(runs, 3)); i++) {
  await page.reload();
  await state('load-status');
  cached.push(Number(await page.getByTestId('load-status').getAttribute('data-ms')));
}
await drawSeven(page);
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
// What the page no longer does (one wasm instance, in the worker): compile and instantiate the
// module a second time on the main thread (from the HTTP cache), and the memory that instance
// holds. Measured on the loaded page, after the proofs above.
const mainThreadLoad = [];
let secondInstanceBytes = 0;
for (let i = 0; i < 3; i++) {
  const r = await page.evaluate(async (i) => {
    const t0 = performance.now();
    const m = await import(`/pkg/zkmnist.js?copy=${i}`);
    const exports = await m.default();
    m.classify(new Uint8Array(784));
    return { ms: Math.round(performance.now() - t0), bytes: exports.memory.buffer.byteLength };
  }, i);
  mainThreadLoad.push(r.ms);
  secondInstanceBytes = r.bytes;
}
const version = browser.version();
await browser.close();
stopAll();

console.log(`chromium ${version}, ${proverThreads} prover thread(s), ${runs} runs, medians (min-max)`);
console.log('| what | median | range |');
console.log('|---|---|---|');
const row = (name, xs, unit) => console.log(`| ${name} | ${median(xs)} ${unit} | ${Math.min(...xs)} - ${Math.max(...xs)} ${unit} |`);
row('page ready, first load (wasm + keys download + key parsing)', first, 'ms');
row('page ready, keys from cache', cached, 'ms');
row('prove, click to proof', prove, 'ms');
row('verify in page (wasm)', verify, 'ms');
row('in-page EVM: deploy the contracts + verify', evmMs, 'ms');
console.log(`| peak memory (measureUserAgentSpecificMemory, page + worker) | ${(peak / 1e6).toFixed(0)} MB | ${memoryTimeouts} of ${runs} measurements not back in 20 s |`);
row('a second module instance on the main thread, as the page did before (no longer done)', mainThreadLoad, 'ms');
console.log(`| linear memory one such instance holds (its WebAssembly.Memory) | ${(secondInstanceBytes / 1e6).toFixed(1)} MB | |`);
