// The page's only wasm instance: loads the module and the keys, then scores drawings, proves,
// verifies and inspects proof files on request, so the page never freezes and the module is
// compiled once. Messages in: {id, type, ...}; out: {id, type: 'stage'|'result'|'error', ...}.
//
// Two builds of the module: pkg/threads/ (rayon on a pool of Web Workers, needs a cross-origin
// isolated page and SharedArrayBuffer) and pkg/ (one thread). The threaded one is used when it
// is present and the page is isolated; anything else falls back to the single-threaded one.

let wasm = null; // the module's exports
let threads = 1;
let wasmPromise = null;

// The page asks for one thread (`worker.js?threads=1`) after a threaded proof stalled.
const oneThread = new URL(self.location.href).searchParams.get('threads') === '1';

async function loadThreaded() {
  if (oneThread || !self.crossOriginIsolated || typeof SharedArrayBuffer === 'undefined') return null;
  const probe = await fetch('../pkg/threads/zkmnist.js', { method: 'HEAD' }).catch(() => null);
  if (!probe || !probe.ok) return null;
  try {
    const m = await import('../pkg/threads/zkmnist.js');
    await m.default();
    const n = Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 8));
    await m.initThreadPool(n);
    threads = n;
    return m;
  } catch (e) {
    console.warn(`threaded wasm unavailable, using one thread: ${e.message}`);
    return null;
  }
}

function init() {
  if (!wasmPromise) {
    wasmPromise = (async () => {
      wasm = await loadThreaded();
      if (!wasm) {
        wasm = await import('../pkg/zkmnist.js');
        await wasm.default();
        threads = 1;
      }
      return wasm;
    })();
  }
  return wasmPromise;
}

const CACHE = 'zkmnist-keys-v1';
let keys = null;
let keysPromise = null;

// Width and height of what differs from the canvas's corner colour (the paper): how big the
// drawing is before preprocessing scales it to MNIST's 20 px box.
function inkExtent(width, height, rgba) {
  const paper = rgba[0];
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (Math.abs(rgba[(y * width + x) * 4] - paper) > 64) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? { width: 0, height: 0 } : { width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

function post(id, type, payload = {}) {
  self.postMessage({ id, type, ...payload });
}

// Fetches a file whole; `onProgress(received, total)` hears each chunk (total: the decoded
// size when the server says it, `x-decoded-length` for gzip bodies, else Content-Length; 0 when
// unknown).
async function fetchBytes(url, onProgress = null) {
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`cannot load ${url}: the server did not answer (${e.message})`);
  }
  if (!res.ok) throw new Error(`cannot load ${url}: HTTP ${res.status}${res.status === 404 ? ' (run `zkmnist setup`)' : ''}`);
  if (!onProgress || !res.body) return new Uint8Array(await res.arrayBuffer());
  const encoded = res.headers.get('content-encoding');
  const total = Number(res.headers.get('x-decoded-length') || (encoded ? 0 : res.headers.get('content-length')) || 0);
  const chunks = [];
  let received = 0;
  const reader = res.body.getReader();
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress(received, total);
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  return bytes;
}

// Key files by content hash: a changed key is a different cache entry, never a stale one.
async function cachedBytes(name, sha256, onStage) {
  const url = `../keys/${name}`;
  const cacheKey = `${new URL(url, self.location.href).href}?sha256=${sha256}`;
  const cache = self.caches ? await self.caches.open(CACHE).catch(() => null) : null;
  if (cache) {
    const hit = await cache.match(cacheKey);
    if (hit) return { bytes: new Uint8Array(await hit.arrayBuffer()), cached: true };
  }
  onStage(`downloading ${name}`);
  const bytes = await fetchBytes(url, (received, total) => onStage(`downloading ${name}`, { received, total }));
  if (cache) {
    await cache.put(cacheKey, new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream' } })).catch(() => {});
  }
  return { bytes, cached: false };
}

// The verifier's files come first (keys.json, params.bin, vk.bin): uploaded proofs verify as
// soon as they are in; the proving key (pk.bin, the big one) follows for proving.
let verifier = null;
let verifierFiles = null;
let verifierPromise = null;

async function loadVerifier(onStage) {
  const t0 = performance.now();
  onStage('loading the prover');
  await init();
  onStage('loading keys');
  const manifestBytes = await fetchBytes('../keys/keys.json');
  const origin = new URL('../keys', self.location.href).href;
  // Checked by the module (format, model); the hashes name the cached files.
  const hashes = wasm.keyFileHashes(origin, manifestBytes);
  const files = { manifestBytes, hashes };
  let cached = true;
  for (const name of ['params.bin', 'vk.bin']) {
    const sha = hashes[name];
    if (!sha) throw new Error(`keys/keys.json lists no ${name}`);
    const got = await cachedBytes(name, sha, onStage);
    files[name] = got.bytes;
    cached = cached && got.cached;
  }
  onStage('reading keys');
  verifier = new wasm.Keys(origin, manifestBytes, files['params.bin'], files['vk.bin'], new Uint8Array(0));
  verifierFiles = files;
  return { setup: verifier.setup, vkDigest: verifier.vkDigest, insecure: verifier.insecure, cached, threads, ms: Math.round(performance.now() - t0) };
}

function ensureVerifier(onStage) {
  if (!verifierPromise) {
    verifierPromise = loadVerifier(onStage).catch((e) => { verifierPromise = null; throw e; });
  }
  return verifierPromise;
}

async function loadKeys(onStage) {
  const t0 = performance.now();
  const v = await ensureVerifier(onStage);
  const sha = verifierFiles.hashes['pk.bin'];
  if (!sha) throw new Error('keys/keys.json lists no pk.bin');
  const pk = await cachedBytes('pk.bin', sha, onStage);
  onStage('reading the proving key');
  // Checked against the same keys.json; params.bin and vk.bin are not parsed again.
  verifier.addProvingKey(pk.bytes);
  keys = verifier;
  return { setup: keys.setup, vkDigest: keys.vkDigest, cached: v.cached && pk.cached, threads, ms: Math.round(performance.now() - t0) };
}

function ensureKeys(onStage) {
  if (!keysPromise) {
    keysPromise = loadKeys(onStage).catch((e) => { keysPromise = null; throw e; });
  }
  return keysPromise;
}

self.onmessage = async (event) => {
  const { id, type } = event.data;
  const stage = (name, progress) => post(id, 'stage', { stage: name, progress });
  try {
    let result;
    if (type === 'modelInfo') {
      stage('loading the prover');
      await init();
      result = { ...wasm.modelInfo(), max_file_bytes: wasm.maxFileBytes() };
    } else if (type === 'score') {
      await init();
      const inkBox = inkExtent(event.data.width, event.data.height, event.data.rgba);
      const pixels = wasm.preprocessRgba(event.data.width, event.data.height, event.data.rgba);
      result = { pixels, scores: wasm.classify(pixels), inkBox };
    } else if (type === 'inspect') {
      await init();
      result = wasm.inspect(event.data.proofJson);
    } else if (type === 'loadVerifier') {
      result = await ensureVerifier(stage);
    } else if (type === 'load') {
      result = await ensureKeys(stage);
    } else if (type === 'open') {
      await init();
      result = wasm.open(event.data.proofJson, event.data.openingJson);
    } else if (type === 'call') {
      // The module's pure helpers (ABI encoding and decoding for the chain).
      await init();
      const allowed = ['recordCalldata', 'registryViewCalldata', 'decodeRegistryEntry', 'wrapperCalldata'];
      if (!allowed.includes(event.data.fn)) throw new Error(`no helper ${event.data.fn}`);
      result = wasm[event.data.fn](...event.data.args);
    } else if (type === 'prove') {
      await ensureKeys(stage);
      // Pixels already preprocessed (proving again an image proved or opened before), or the
      // canvas's RGBA.
      let pixels = event.data.pixels;
      if (!pixels) {
        try {
          pixels = wasm.preprocessRgba(event.data.width, event.data.height, event.data.rgba);
        } catch (e) {
          throw new Error(`Draw a digit first: ${e.message}`);
        }
      }
      const looks = wasm.classify(pixels);
      if (looks.not_a_digit) throw new Error(`Not proved: ${looks.not_a_digit}.`);
      // Stage marks are taken here, on the proving thread, as each stage starts; a stage
      // lasts until the next one starts (the last until the proof is out).
      const t0 = performance.now();
      const marks = [];
      result = keys.prove(pixels, event.data.context, (name) => {
        marks.push([name, performance.now() - t0]);
        stage(name);
      });
      const total = performance.now() - t0;
      result.ms = Math.round(total);
      result.pixels = pixels;
      result.stages = marks.map(([name, at], i) => ({
        name,
        ms: Math.round((i + 1 < marks.length ? marks[i + 1][1] : total) - at),
      }));
    } else if (type === 'verify') {
      // The verifier only: verifying never waits for the proving key. The answer is the
      // verdict ({valid, ..., error}); a bad proof is a verdict, not an exception.
      await ensureVerifier(stage);
      const t0 = performance.now();
      result = verifier.check(event.data.proofJson);
      result.ms = +(performance.now() - t0).toFixed(1);
    } else if (type === 'verifyEvm') {
      await init();
      const t0 = performance.now();
      result = wasm.verifyEvm(event.data.proofJson);
      result.ms = Math.round(performance.now() - t0);
    } else if (type === 'calldata') {
      await init();
      result = { calldata: wasm.wrapperCalldata(event.data.proofJson) };
    } else {
      throw new Error(`unknown request ${type}`);
    }
    post(id, 'result', { result });
  } catch (e) {
    post(id, 'error', { message: e && e.message ? e.message : String(e), kind: e && e.kind });
  }
};
