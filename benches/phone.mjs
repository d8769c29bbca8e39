// A slow phone, measured: every thread of headless Chromium (page, prover worker, its rayon
// workers) held to a quarter of a core, then the demo page proves a drawn 7 on one thread and on
// two. Prints a table: click to proof, and the page's responsiveness meanwhile (gaps between
// animation frames on the main thread). Needs root (cgroup v1 cpu controller at
// /sys/fs/cgroup/cpu), pkg/ (scripts/build-wasm.sh) and target/release/zkmnist.
//
//   BENCH_RUNS=3 node benches/phone.mjs          (PHONE_SLOWDOWN=4 by default)
//
// Why not the DevTools protocol: Emulation.setCPUThrottlingRate slows a page's main thread only,
// and sent to a worker target Chromium 156 answers "Operation is only supported for pages, not
// workers". Here each thread gets its own cgroup with a CPU quota of 1/PHONE_SLOWDOWN of a core
// (cfs_quota_us over a 10 ms period), re-swept every 50 ms as Chromium starts threads; a busy
// loop in a worker calibrates the slowdown and is printed with the table.
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { tempDir, devKeys, serve, stopAll, launchChromium, waitState, drawSeven } from '../tests/e2e/helpers.mjs';

const runs = Number(process.env.BENCH_RUNS || 3);
const slowdown = Number(process.env.PHONE_SLOWDOWN || 4);
const CG = '/sys/fs/cgroup/cpu';
const ROOT = path.join(CG, 'zkmnist-phone');
const PERIOD_US = 10_000;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

if (!existsSync(path.join(CG, 'tasks'))) {
  console.error(`no cgroup v1 cpu controller at ${CG}: this bench needs it (and root)`);
  process.exit(2);
}

// Whether `pid` descends from this process (the browsers it launched, nobody else's).
function ours(pid) {
  for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
    if (p === process.pid) return true;
    try {
      // /proc/PID/stat: "pid (comm) state ppid ...", comm may hold spaces.
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
}

// Every thread of every process this bench started (the browser: its renderer, the workers'
// threads) gets a cgroup of its own with 1/slowdown of a core; threads placed stay placed.
const placed = new Set();
function sweep() {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    if (Number(pid) === process.pid || !ours(Number(pid))) continue;
    // The server is not on the phone.
    try { if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('zkmnist')) continue; } catch { continue; }
    let tids;
    try { tids = readdirSync(`/proc/${pid}/task`); } catch { continue; }
    for (const tid of tids) {
      if (placed.has(tid)) continue;
      const dir = path.join(ROOT, `t${tid}`);
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
        writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(Math.round(PERIOD_US / slowdown)));
        writeFileSync(path.join(dir, 'tasks'), tid);
        placed.add(tid);
      } catch {
        // The thread ended meanwhile.
      }
    }
  }
}
function release() {
  if (!existsSync(ROOT)) return;
  for (const d of readdirSync(ROOT).filter((n) => n.startsWith('t'))) {
    const dir = path.join(ROOT, d);
    try {
      for (const tid of readFileSync(path.join(dir, 'tasks'), 'utf8').split('\n').filter(Boolean)) {
        try { writeFileSync(path.join(CG, 'tasks'), tid); } catch { /* ended */ }
      }
      rmdirSync(dir);
    } catch { /* busy or gone */ }
  }
}

const base = await serve(devKeys(path.join(tempDir('phone'), 'keys')));
const rows = [];
const calibration = {};
// Each thread count throttled, then as the host runs it, alternately in one run.
for (const [threads, throttled] of [[1, true], [1, false], [2, true], [2, false]]) {
  const browser = await launchChromium();
  const timer = throttled ? setInterval(sweep, 50) : null;
  if (throttled) sweep();
  try {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    if (threads === 1) await context.route('**/pkg/threads/**', (route) => route.fulfill({ status: 404, body: '' }));
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(`${base}/`);
    const load = await waitState(page, 'load-status', 600_000);
    // The same busy loop in a fresh Web Worker, throttled and not: the slowdown achieved.
    if (threads === 1) calibration[throttled ? 'throttled' : 'unthrottled'] = await busyLoop(page);
    if (load.state !== 'ok') throw new Error(load.text);
    const ready = Number(await page.getByTestId('load-status').getAttribute('data-ms'));
    const used = Number(await page.getByTestId('load-status').getAttribute('data-threads'));
    await drawSeven(page);
    await page.waitForFunction(() => document.querySelector('[data-testid=live-digit]').dataset.digit === '7', null, { timeout: 60_000 });
    const prove = [];
    const gaps = [];
    for (let i = 0; i < runs; i++) {
      await page.evaluate(() => {
        window.__gaps = [];
        let last = performance.now();
        const tick = (t) => { window.__gaps.push(t - last); last = t; if (window.__frames) requestAnimationFrame(tick); };
        window.__frames = true;
        requestAnimationFrame(tick);
      });
      await page.getByTestId('prove').click();
      const s = await waitState(page, 'proof-status', 600_000);
      if (s.state !== 'ok') throw new Error(s.text);
      prove.push(Number(await page.getByTestId('prove-time-ms').textContent()));
      const g = await page.evaluate(() => { window.__frames = false; return window.__gaps; });
      const sorted = [...g].sort((a, b) => a - b);
      gaps.push({ max: sorted[sorted.length - 1], p95: sorted[Math.floor(0.95 * (sorted.length - 1))], over100: g.filter((x) => x > 100).length, frames: g.length });
    }
    rows.push({ threads: used, throttled, ready, prove, gaps });
  } finally {
    if (timer) clearInterval(timer);
    await browser.close();
    release();
  }
}
stopAll();

console.log(`slow phone: every Chromium thread held to 1/${slowdown} of a core (cgroup cpu quota, ${PERIOD_US / 1000} ms period); ${runs} proofs per row, medians (min-max)`);
console.log(`calibration: a busy loop in a Web Worker takes ${calibration.throttled.toFixed(0)} ms throttled, ${calibration.unthrottled.toFixed(0)} ms not (${(calibration.throttled / calibration.unthrottled).toFixed(1)}x)`);
console.log('| prover threads | CPU | page ready (first load) | click to proof | longest frame gap while proving | 95th percentile frame gap | frames over 100 ms |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  const m = (xs) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})`;
  console.log(`| ${r.threads} | ${r.throttled ? `1/${slowdown} core per thread` : 'host'} | ${r.ready} ms | ${m(r.prove)} | ${m(r.gaps.map((g) => g.max))} | ${m(r.gaps.map((g) => g.p95))} | ${median(r.gaps.map((g) => g.over100))} of ${median(r.gaps.map((g) => g.frames))} |`);
}

async function busyLoop(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const src = 'onmessage = () => { const t0 = performance.now(); let x = 0; for (let i = 0; i < 4e8; i++) x += i % 7; postMessage(performance.now() - t0 + (x & 0)); };';
    const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
    w.onmessage = (e) => { w.terminate(); resolve(e.data); };
    w.postMessage(0);
  }));
}
