// The page: drawing, live scores (wasm in this thread), and everything slow in the worker.
import init, { preprocessRgba, classify, modelInfo } from '../pkg/zkmnist.js';

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
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let nextId = 1;
const pending = new Map();
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
function ask(type, payload = {}, onStage = () => {}) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onStage });
    worker.postMessage({ id, type, ...payload });
  });
}

// ---- drawing --------------------------------------------------------------------------
function clearCanvas() {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, draw.width, draw.height);
  pctx.fillStyle = '#000';
  pctx.fillRect(0, 0, 28, 28);
  renderScores(null);
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
let wasmReady = false;
let scoreQueued = false;
function scheduleScores() {
  if (scoreQueued || !wasmReady) return;
  scoreQueued = true;
  requestAnimationFrame(() => { scoreQueued = false; updateScores(); });
}
function currentPixels() {
  const img = ctx.getImageData(0, 0, draw.width, draw.height);
  return preprocessRgba(draw.width, draw.height, new Uint8Array(img.data.buffer));
}
function updateScores() {
  let pixels;
  try {
    pixels = currentPixels();
  } catch {
    clearPreview();
    renderScores(null);
    return;
  }
  const img = pctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    img.data.set([pixels[i], pixels[i], pixels[i], 255], i * 4);
  }
  pctx.putImageData(img, 0, 0);
  renderScores(classify(pixels));
}
function clearPreview() {
  pctx.fillStyle = '#000';
  pctx.fillRect(0, 0, 28, 28);
}
function renderScores(scores) {
  const list = $('scores');
  list.replaceChildren();
  const logits = scores ? scores.logits : Array(10).fill(0);
  const max = Math.max(...logits), min = Math.min(...logits, 0);
  logits.forEach((v, d) => {
    const li = document.createElement('li');
    if (scores && d === scores.digit) li.className = 'top';
    const width = scores && max > min ? ((v - min) / (max - min)) * 100 : 0;
    li.innerHTML = `<span>${d}</span><span class="bar" title="score ${v}"><span style="width:${width.toFixed(1)}%"></span></span>`;
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

$('prove').addEventListener('click', async () => {
  const status = $('proof-status');
  let pixels;
  try {
    pixels = currentPixels();
  } catch (e) {
    setStatus(status, 'error', `Draw a digit first: ${e.message}`);
    return;
  }
  const context = $('context').value.trim() || '0x0';
  busy = true;
  refreshButtons();
  const stages = $('stages');
  stages.replaceChildren();
  const t0 = performance.now();
  const tick = setInterval(() => {
    setStatus(status, 'working', `Proving… ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }, 100);
  setStatus(status, 'working', 'Proving…');
  try {
    const r = await ask('prove', { pixels, context }, (stage) => {
      for (const li of stages.children) li.className = 'done';
      const li = document.createElement('li');
      li.textContent = `${stage}…`;
      stages.append(li);
    });
    const ms = Math.round(performance.now() - t0);
    // Each stage's duration as the prover thread measured it.
    stages.replaceChildren(...r.stages.map(({ name, ms: d }) => {
      const li = document.createElement('li');
      li.className = 'done';
      li.textContent = `${name}: ${d} ms`;
      return li;
    }));
    proof = { json: r.proof_json, opening: r.opening_json, name: 'zkmnist-proof.json' };
    showProof(JSON.parse(r.proof_json), r.proof_bytes);
    $('prove-time-ms').textContent = String(ms);
    setStatus(status, 'ok', `Proved: the model reads this drawing as ${r.digit} (${r.proof_bytes} bytes, ${ms} ms).`);
    resetVerdicts();
  } catch (e) {
    setStatus(status, 'error', `Proving failed: ${e.message}`);
  } finally {
    clearInterval(tick);
    busy = false;
    refreshButtons();
  }
});

function showProof(file, bytes) {
  $('predicted-digit').textContent = String(file.digit);
  $('commitment').textContent = file.public_inputs[0];
  $('proof-size').textContent = `${bytes} bytes`;
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
async function loadProofFile(file) {
  const status = $('proof-status');
  if (file.size > 256 * 1024) {
    setStatus(status, 'error', `${file.name}: ${file.size} bytes is too large for a proof file`);
    return;
  }
  const text = await file.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    setStatus(status, 'error', `${file.name} is not JSON: ${err.message}`);
    return;
  }
  if (!parsed || parsed.format !== 'zkmnist-proof/1' || !Array.isArray(parsed.public_inputs)) {
    setStatus(status, 'error', `${file.name} is not a zkmnist proof file (format ${JSON.stringify(parsed && parsed.format)}, expected "zkmnist-proof/1")`);
    return;
  }
  proof = { json: text, opening: null, name: file.name };
  const bytes = typeof parsed.proof === 'string' ? (parsed.proof.length - 2) / 2 : 0;
  showProof(parsed, bytes);
  $('prove-time-ms').textContent = '–';
  $('stages').replaceChildren();
  setStatus(status, 'ok', `Loaded ${file.name} (claims digit ${parsed.digit}); not verified yet.`);
  resetVerdicts();
  refreshButtons();
}

// ---- verify -----------------------------------------------------------------------------
$('verify-page').addEventListener('click', async () => {
  const status = $('verify-status');
  setStatus(status, 'working', 'Verifying…');
  try {
    const r = await ask('verify', { proofJson: proof.json });
    setStatus(status, 'ok', `Valid: digit ${r.digit}, commitment ${r.image_commitment.slice(0, 12)}…, setup ${r.setup} (verified in ${r.ms} ms).`);
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

clearCanvas();
refreshButtons();
(async () => {
  const load = $('load-status');
  const t0 = performance.now();
  try {
    await init();
    wasmReady = true;
    const info = modelInfo();
    $('model-hash').textContent = info.content_hash;
    const onStage = (stage) => setStatus(load, 'working', `${stage[0].toUpperCase()}${stage.slice(1)}…`);
    // The verifier's keys first: uploaded proofs can be verified while pk.bin downloads.
    const v = await ask('loadVerifier', {}, onStage);
    verifierReady = true;
    $('vk-digest').textContent = v.vkDigest;
    $('setup-label').textContent = v.setup;
    $('setup-warning').hidden = v.setup !== 'dev-insecure';
    refreshButtons();
    setStatus(load, 'working', 'Verifier ready; loading the proving key…');
    const k = await ask('load', {}, onStage);
    keysReady = true;
    const ms = Math.round(performance.now() - t0);
    load.dataset.ms = String(ms);
    load.dataset.threads = String(k.threads);
    const notes = [k.cached ? 'keys from cache' : null, `${k.threads} prover thread${k.threads === 1 ? '' : 's'}`].filter(Boolean);
    setStatus(load, 'ok', `Ready in ${ms} ms (${notes.join(', ')}). Draw a digit and press Prove.`);
  } catch (e) {
    setStatus(load, 'error', `Could not start: ${e.message}`);
  }
  refreshButtons();
})();
