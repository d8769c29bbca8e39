// The page: drawing and buttons. The wasm module lives in the worker only (one instance, loaded
// once): preprocessing, live scores, proving, verifying and inspecting proof files all go there.

const $ = (id) => document.getElementById(id);
const draw = $('draw');
const ctx = draw.getContext('2d', { willReadFrequently: true });
const preview = $('preview');
const pctx = preview.getContext('2d');

let proof = null;        // { json, opening, name } of the current proof (made here or uploaded)
let keysReady = false;
let verifierReady = false;
let busy = false;

function setStatus(el, state, text) {
  el.dataset.state = state;
  el.textContent = text;
}

// ---- worker ---------------------------------------------------------------------------
let worker = null;
let nextId = 1;
const pending = new Map();
function startWorker(oneThread) {
  worker = new Worker(new URL(`./worker.js${oneThread ? '?threads=1' : ''}`, import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => {
    const p = pending.get(data.id);
    if (!p) return;
    if (data.type === 'stage') p.onStage(data.stage);
    else {
      pending.delete(data.id);
      if (data.type === 'result') p.resolve(data.result);
      else p.reject(new Error(data.message));
    }
  };
  worker.onerror = (e) => {
    for (const p of pending.values()) p.reject(new Error(`the prover thread failed: ${e.message || 'unknown error'}`));
    pending.clear();
  };
}
// Replaces the worker with a one-thread one (everything it had loaded is loaded again).
function restartOnOneThread() {
  worker.terminate();
  for (const p of pending.values()) p.reject(new Error('the prover was restarted'));
  pending.clear();
  keysReady = false;
  verifierReady = false;
  wasmReady = false;
  startWorker(true);
}
startWorker(false);
function ask(type, payload = {}, onStage = () => {}, transfer = []) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onStage });
    worker.postMessage({ id, type, ...payload }, transfer);
  });
}

// ---- drawing --------------------------------------------------------------------------
function clearCanvas() {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, draw.width, draw.height);
  pctx.fillStyle = '#000';
  pctx.fillRect(0, 0, 28, 28);
  renderScores(null);
  scheduleScores(); // a score still in flight must not repaint the cleared canvas
}

let drawing = false;
let last = null;
function point(e) {
  const r = draw.getBoundingClientRect();
  return { x: (e.clientX - r.left) * (draw.width / r.width), y: (e.clientY - r.top) * (draw.height / r.height) };
}
draw.addEventListener('pointerdown', (e) => {
  drawing = true;
  draw.setPointerCapture(e.pointerId);
  last = point(e);
  stroke(last, last);
});
draw.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
  for (const ev of events.length ? events : [e]) {
    const p = point(ev);
    stroke(last, p);
    last = p;
  }
});
for (const type of ['pointerup', 'pointercancel', 'pointerleave']) {
  draw.addEventListener(type, () => { drawing = false; last = null; });
}
function stroke(a, b) {
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 20;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.beginPath();
  ctx.moveTo(a.x, a.y);
  ctx.lineTo(b.x, b.y);
  ctx.stroke();
  scheduleScores();
}

// ---- live preprocessing and scores --------------------------------------------------------
// One request in flight at a time; strokes made meanwhile are scored when it returns. While a
// proof runs, the worker is busy and the scores catch up afterwards.
let wasmReady = false;
let scoring = false;
let dirty = false;
function canvasRgba() {
  const img = ctx.getImageData(0, 0, draw.width, draw.height);
  return { width: draw.width, height: draw.height, rgba: new Uint8Array(img.data.buffer) };
}
function scheduleScores() {
  dirty = true;
  if (scoring || !wasmReady) return;
  scoring = true;
  requestAnimationFrame(async () => {
    while (dirty) {
      dirty = false;
      const image = canvasRgba();
      try {
        const r = await ask('score', image, () => {}, [image.rgba.buffer]);
        showPreview(r.pixels);
        renderScores(r.scores);
      } catch {
        clearPreview();
        renderScores(null);
      }
    }
    scoring = false;
  });
}
function showPreview(pixels) {
  const img = pctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    img.data.set([pixels[i], pixels[i], pixels[i], 255], i * 4);
  }
  pctx.putImageData(img, 0, 0);
}
function clearPreview() {
  pctx.fillStyle = '#000';
  pctx.fillRect(0, 0, 28, 28);
}
function renderScores(scores) {
  const live = $('live-digit');
  if (scores) {
    const sure = Math.round(100 * scores.confidences[scores.digit]);
    live.innerHTML = `Looks like a <strong>${scores.digit}</strong> (${sure} % sure)`;
    live.dataset.digit = String(scores.digit);
    live.dataset.confidence = scores.confidences[scores.digit].toFixed(4);
  } else {
    live.textContent = 'Draw a digit.';
    live.dataset.digit = '';
    delete live.dataset.confidence;
  }
  const list = $('scores');
  list.replaceChildren();
  const logits = scores ? scores.logits : Array(10).fill(0);
  const max = Math.max(...logits), min = Math.min(...logits, 0);
  logits.forEach((v, d) => {
    const li = document.createElement('li');
    if (scores && d === scores.digit) li.className = 'top';
    const width = scores && max > min ? ((v - min) / (max - min)) * 100 : 0;
    const p = scores ? ` (${(100 * scores.confidences[d]).toFixed(1)} %)` : '';
    li.innerHTML = `<span>${d}</span><span class="bar" title="score ${v}${p}"><span style="width:${width.toFixed(1)}%"></span></span>`;
    list.append(li);
  });
}

// ---- buttons ----------------------------------------------------------------------------
function refreshButtons() {
  $('prove').disabled = !keysReady || busy;
  $('download-proof').disabled = !proof;
  $('download-opening').disabled = !proof || !proof.opening;
  $('verify-page').disabled = !proof || !verifierReady;
  $('verify-contract-local').disabled = !proof;
  $('verify-contract-rpc').disabled = !proof;
}

$('clear').addEventListener('click', () => { clearCanvas(); });

// The watchdog: a threaded proof that makes no progress (no new stage) for this long is
// abandoned, and the page restarts the prover on one thread and proves again. Threaded proofs
// hung, rarely and without an error, in benchmarks; one thread cannot deadlock that way.
// `?watchdog=MS` sets it.
const WATCHDOG_MS = Number(new URLSearchParams(location.search).get('watchdog')) || 90_000;
class Stalled extends Error {}
function proveWatched(payload, onStage) {
  return new Promise((resolve, reject) => {
    let timer;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => reject(new Stalled('no progress')), WATCHDOG_MS);
    };
    arm();
    ask('prove', payload, (stage) => { arm(); onStage(stage); }).then(
      (r) => { clearTimeout(timer); resolve(r); },
      (e) => { clearTimeout(timer); reject(e); });
  });
}

$('prove').addEventListener('click', async () => {
  const status = $('proof-status');
  const image = canvasRgba();
  const context = $('context').value.trim() || '0x0';
  busy = true;
  refreshButtons();
  const stages = $('stages');
  stages.replaceChildren();
  const t0 = performance.now();
  let note = '';
  const tick = setInterval(() => {
    setStatus(status, 'working', `Proving… ${((performance.now() - t0) / 1000).toFixed(1)} s${note}`);
  }, 100);
  setStatus(status, 'working', 'Proving…');
  const onStage = (stage) => {
    for (const li of stages.children) li.className = 'done';
    const li = document.createElement('li');
    li.textContent = `${stage}…`;
    stages.append(li);
  };
  try {
    let r;
    if (proverThreads > 1) {
      try {
        r = await proveWatched({ ...image, context }, onStage);
      } catch (e) {
        if (!(e instanceof Stalled)) throw e;
        note = ` (the threaded prover made no progress for ${WATCHDOG_MS / 1000} s; restarted on one thread)`;
        stages.replaceChildren();
        restartOnOneThread();
        await loadProver();
        r = await ask('prove', { ...image, context }, onStage);
      }
    } else {
      r = await ask('prove', { ...image, context }, onStage);
    }
    const ms = Math.round(performance.now() - t0);
    // Each stage's duration as the prover thread measured it.
    stages.replaceChildren(...r.stages.map(({ name, ms: d }) => {
      const li = document.createElement('li');
      li.className = 'done';
      li.textContent = `${name}: ${d} ms`;
      return li;
    }));
    proof = { json: r.proof_json, opening: r.opening_json, name: 'zkmnist-proof.json' };
    showProof(r);
    $('prove-time-ms').textContent = String(ms);
    setStatus(status, 'ok', `Proved: the model reads this drawing as ${r.digit} (${r.proof_bytes} bytes, ${ms} ms)${note}.`);
    resetVerdicts();
  } catch (e) {
    setStatus(status, 'error', `Proving failed: ${e.message}`);
  } finally {
    clearInterval(tick);
    busy = false;
    refreshButtons();
  }
});

// What a proof states ({digit, image_commitment, proof_bytes}, as the wasm module read it).
function showProof(p) {
  $('predicted-digit').textContent = String(p.digit);
  $('commitment').textContent = p.image_commitment;
  $('proof-size').textContent = `${p.proof_bytes} bytes`;
}

function resetVerdicts() {
  setStatus($('verify-status'), 'idle', 'Not verified yet.');
  setStatus($('contract-status'), 'idle', 'No contract call yet.');
}

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
$('download-proof').addEventListener('click', () => proof && download('zkmnist-proof.json', proof.json));
$('download-opening').addEventListener('click', () => proof && proof.opening && download('zkmnist-opening.json', proof.opening));

// ---- upload -----------------------------------------------------------------------------
$('upload-proof').addEventListener('click', () => $('upload-input').click());
$('upload-input').addEventListener('change', async (e) => {
  const file = e.target.files && e.target.files[0];
  e.target.value = '';
  if (file) await loadProofFile(file);
});
document.addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('dragging'); });
document.addEventListener('dragleave', (e) => { if (!e.relatedTarget) document.body.classList.remove('dragging'); });
document.addEventListener('drop', async (e) => {
  e.preventDefault();
  document.body.classList.remove('dragging');
  const file = e.dataTransfer && e.dataTransfer.files[0];
  if (file) await loadProofFile(file);
});
let maxFileBytes = 256 * 1024; // replaced by the wasm module's limit once it is loaded
async function loadProofFile(file) {
  const status = $('proof-status');
  // Read at most one byte past the limit: the wasm module refuses larger files by name.
  const text = await file.slice(0, maxFileBytes + 1).text();
  let p;
  try {
    p = await ask('inspect', { proofJson: text });
  } catch (err) {
    setStatus(status, 'error', `${file.name}: ${err.message}`);
    return;
  }
  proof = { json: text, opening: null, name: file.name };
  showProof(p);
  $('prove-time-ms').textContent = '–';
  $('stages').replaceChildren();
  setStatus(status, 'ok', `Loaded ${file.name} (claims digit ${p.digit}); not verified yet.`);
  resetVerdicts();
  refreshButtons();
}

// ---- verify -----------------------------------------------------------------------------
$('verify-page').addEventListener('click', async () => {
  const status = $('verify-status');
  setStatus(status, 'working', 'Verifying…');
  try {
    // The verdict, the same object `POST /api/verify` and `zkmnist verify --json` give.
    const r = await ask('verify', { proofJson: proof.json });
    if (r.valid) {
      setStatus(status, 'ok', `Valid: digit ${r.digit}, commitment ${r.image_commitment.slice(0, 12)}…, setup ${r.setup} (verified in ${r.ms} ms).`);
    } else {
      setStatus(status, 'error', `Invalid: ${r.error}`);
    }
    status.dataset.ms = String(r.ms);
  } catch (e) {
    setStatus(status, 'error', `Invalid: ${e.message}`);
  }
});

$('verify-contract-local').addEventListener('click', async () => {
  const status = $('contract-status');
  setStatus(status, 'working', 'Deploying the verifier contracts in an in-page EVM and calling verify…');
  try {
    const r = await ask('verifyEvm', { proofJson: proof.json });
    if (r.valid) {
      setStatus(status, 'ok', `In-page EVM: ZkmnistVerifier.verify returned true; ${r.gas_used.toLocaleString('en-US')} gas (${r.verifier_gas.toLocaleString('en-US')} calling Halo2Verifier directly), ${r.ms} ms.`);
    } else {
      setStatus(status, 'error', `In-page EVM: the verifier contract rejected the proof (verify returned false; ${r.gas_used.toLocaleString('en-US')} gas).`);
    }
    status.dataset.gas = String(r.gas_used);
  } catch (e) {
    setStatus(status, 'error', `In-page EVM: ${e.message}`);
  }
});

async function rpc(url, method, params) {
  if (!url) {
    if (!window.ethereum) throw new Error('enter a JSON-RPC URL, or open this page in a browser with a wallet');
    return window.ethereum.request({ method, params });
  }
  let res;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  } catch (e) {
    throw new Error(`cannot reach ${url}: ${e.message}`);
  }
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  const body = await res.json().catch(() => { throw new Error(`${url} did not answer JSON-RPC`); });
  if (body.error) {
    const err = new Error(body.error.message || JSON.stringify(body.error));
    err.data = body.error.data;
    throw err;
  }
  return body.result;
}

$('verify-contract-rpc').addEventListener('click', async () => {
  const status = $('contract-status');
  const url = $('rpc-url').value.trim();
  const to = $('verifier-address').value.trim();
  if (!/^0x[0-9a-fA-F]{40}$/.test(to)) {
    setStatus(status, 'error', 'Enter the deployed ZkmnistVerifier address (0x followed by 40 hex digits).');
    return;
  }
  setStatus(status, 'working', `Calling ZkmnistVerifier.verify at ${to}…`);
  try {
    const { calldata } = await ask('calldata', { proofJson: proof.json });
    const code = await rpc(url, 'eth_getCode', [to, 'latest']);
    if (!code || code === '0x') throw new Error(`no contract at ${to} on this network`);
    const chainId = parseInt(await rpc(url, 'eth_chainId', []), 16);
    const out = await rpc(url, 'eth_call', [{ to, data: calldata }, 'latest']);
    if (typeof out !== 'string' || out.length !== 66) throw new Error(`unexpected answer ${out}: is ${to} a ZkmnistVerifier?`);
    const valid = BigInt(out) === 1n;
    let gas = '';
    if (valid) {
      const est = await rpc(url, 'eth_estimateGas', [{ to, data: calldata }]);
      gas = `; eth_estimateGas ${parseInt(est, 16).toLocaleString('en-US')} gas`;
      status.dataset.gas = String(parseInt(est, 16));
    }
    setStatus(status, valid ? 'ok' : 'error', valid
      ? `Chain ${chainId}: ZkmnistVerifier.verify returned true${gas}.`
      : `Chain ${chainId}: the verifier contract rejected the proof (verify returned false).`);
  } catch (e) {
    setStatus(status, 'error', `Contract call failed: ${e.message}`);
  }
});

// ---- start ------------------------------------------------------------------------------
const params = new URLSearchParams(location.search);
if (params.get('rpc')) $('rpc-url').value = params.get('rpc');
if (params.get('verifier')) $('verifier-address').value = params.get('verifier');

let proverThreads = 1;
// Loads the module, then the verifier's keys, then the proving key, saying so in load-status.
async function loadProver() {
  const load = $('load-status');
  const t0 = performance.now();
  const onStage = (stage) => setStatus(load, 'working', `${stage[0].toUpperCase()}${stage.slice(1)}…`);
  const info = await ask('modelInfo', {}, onStage);
  wasmReady = true;
  maxFileBytes = info.max_file_bytes;
  $('model-hash').textContent = info.content_hash;
  scheduleScores();
  // The verifier's keys first: uploaded proofs can be verified while pk.bin downloads.
  const v = await ask('loadVerifier', {}, onStage);
  verifierReady = true;
  $('vk-digest').textContent = v.vkDigest;
  $('setup-label').textContent = v.setup;
  $('setup-warning').hidden = !v.insecure;
  refreshButtons();
  setStatus(load, 'working', 'Verifier ready; loading the proving key…');
  const k = await ask('load', {}, onStage);
  keysReady = true;
  proverThreads = k.threads;
  const ms = Math.round(performance.now() - t0);
  load.dataset.ms = String(ms);
  load.dataset.threads = String(k.threads);
  const notes = [k.cached ? 'keys from cache' : null, `${k.threads} prover thread${k.threads === 1 ? '' : 's'}`].filter(Boolean);
  setStatus(load, 'ok', `Ready in ${ms} ms (${notes.join(', ')}). Draw a digit and press Prove.`);
  refreshButtons();
}

clearCanvas();
refreshButtons();
loadProver().catch((e) => {
  setStatus($('load-status'), 'error', `Could not start: ${e.message}`);
  refreshButtons();
});
