// The page: a state machine over one current proof. Every verdict, button and download belongs
// to the proof shown; a new proof, an upload or a rejected file replaces it, and whatever was
// still being checked about the old one is dropped, never shown. The wasm module lives in the
// worker (www/worker.js, through www/prover.js); the chain in www/chain.js; the wording of
// errors in www/words.js.

import { createPad, paintPixels, blankPixels } from './draw.js';
import { createProver, Stopped } from './prover.js';
import {
  ChainError, Cancelled, rpcClient, walletClient, checkRpcUrl, waitForReceipt, quantity, shortHex,
  LOCAL_CHAIN_ID, CALL_TIMEOUT_MS,
} from './chain.js';
import { formatBytes, article, proofFileProblem, openingProblem, verdictWords } from './words.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
// BN254's scalar field: a context is one of its elements.
const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const STAGES = ['witness', 'commitment', 'proving', 'checking'];
const STORE_KEY = 'zkmnist-current-proof';
// A drawing whose ink spans less than this fraction of the canvas is too small to read.
const MIN_INK_SIDE = 0.15;

// ---- state ------------------------------------------------------------------------------
// proof: the current proof, or null. { id, origin: 'proved' | 'uploaded', name, json, opening
//   (text or null), claims (what the file states: digit, image_commitment, context, setup,
//   vk_digest, proof_bytes), pixels (the image, when known: proved here or opened), drawVersion
//   (the canvas version it was proved from), ms (click to proof), verdict (null, 'valid',
//   'invalid') }.
const state = {
  load: 'loading',    // 'loading' -> 'verifier' (uploads verify) -> 'ready' (Prove works) | 'failed'
  threads: 1,
  maxFileBytes: 256 * 1024,
  setup: null,
  vkDigest: null,
  proof: null,
  previous: null,     // the proof a newer one or a rejected file replaced, to go back to
  proving: null,      // { t0, cancelled } while a proof runs
  scores: null,       // the live scores of the canvas at `scoredVersion`
  scoredVersion: -1,
  chainJob: null,     // AbortController of the chain operation running
  wasmReady: false,
};
let nextProofId = 1;
let restoreTried = false;

const prover = createProver();
const pad = createPad($('draw'), $('pen'), () => { scheduleScores(); render(); },
  (down) => announce(down ? 'Pen down: the arrows draw.' : 'Pen up: the arrows move the pen.', 0));

// ---- statuses ---------------------------------------------------------------------------
// A status line: its state (idle, working, ok, error), its words, and optionally the technical
// detail behind them, folded away. `neutral` draws an `ok` without the success colour (a file
// that was read, but whose proof is not verified yet).
function setStatus(el, st, text, detail = null, { neutral = false } = {}) {
  el.dataset.state = st;
  if (neutral) el.dataset.tone = 'neutral';
  else delete el.dataset.tone;
  el.textContent = text;
  if (detail && detail !== text) {
    const d = document.createElement('details');
    const s = document.createElement('summary');
    s.textContent = 'Details';
    const c = document.createElement('code');
    c.textContent = detail;
    d.append(s, c);
    el.append(' ', d);
  }
}

// One polite announcement at a time for screen readers, for what the eye sees change around the
// canvas (the guess, the pen, "ready"): the last message once things settle, not every stroke.
let announceTimer = null;
function announce(text, delay = 600) {
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => { $('announce').textContent = text; }, delay);
}

const VERDICT_IDLE = {
  'verify-status': 'Not verified in this page yet.',
  'server-status': 'Not sent to the server.',
  'contract-status': 'No contract call yet.',
  'record-status': 'DigitRegistry records, for your account, the digit you proved.',
  'opening-status': 'An opening (opening.json) reveals the image behind the proof\'s commitment.',
};
function resetVerdicts(except = null) {
  for (const [id, text] of Object.entries(VERDICT_IDLE)) {
    if (id === except) continue;
    const el = $(id);
    // A reset is not news: it is not announced (five regions at once would queue five lines).
    el.setAttribute('aria-live', 'off');
    setStatus(el, 'idle', text);
    requestAnimationFrame(() => el.setAttribute('aria-live', 'polite'));
    for (const k of ['gas', 'tx', 'block', 'digit', 'ms']) delete el.dataset[k];
  }
  blankPixels($('opening-image'));
}

// ---- the current proof --------------------------------------------------------------------
function setProof(p, { keepChainJob = false } = {}) {
  if (state.chainJob && !keepChainJob) state.chainJob.abort();
  state.proof = p ? { id: nextProofId++, verdict: null, ...p } : null;
  resetVerdicts(keepChainJob ? 'record-status' : null);
  showProof();
  remember();
  render();
  return state.proof;
}

// Keeps the proof replaced by something newer, so that a cancelled proof or a rejected file
// loses nothing.
function keepAsPrevious() {
  if (state.proof) state.previous = state.proof;
  remember();
}

function showProof() {
  const p = state.proof;
  const digit = $('predicted-digit');
  digit.textContent = p ? String(p.claims.digit) : '–';
  digit.dataset.verified = p ? proofTone(p) : '';
  $('digit-label').textContent = p && p.origin === 'uploaded' && p.verdict !== 'valid' ? 'Claimed digit' : 'Digit';
  $('claim-note').textContent = p ? claimNote(p) : '';
  $('commitment').textContent = p ? p.claims.image_commitment : '–';
  $('proof-context').textContent = p ? p.claims.context : '–';
  $('proof-size').textContent = p ? `${p.claims.proof_bytes.toLocaleString('en-US')} bytes` : '–';
  $('prove-time-ms').textContent = p && p.ms ? String(p.ms) : '–';
  if (p && p.pixels) paintPixels($('proved-image'), p.pixels);
  else blankPixels($('proved-image'));
  $('proved-caption').textContent = p && p.pixels
    ? (p.origin === 'proved' ? 'The image proved' : 'The image, opened')
    : (p ? 'Image hidden (upload the opening to see it)' : 'No image');
  staleNote();
}

function proofTone(p) {
  if (p.verdict === 'invalid') return 'invalid';
  if ((p.origin === 'proved' && !p.restored) || p.verdict === 'valid') return 'yes';
  return 'unchecked';
}

// What any check found about `p`: one "not valid" anywhere marks it; the digit, the notes and
// the buttons follow.
function noteVerdict(p, valid) {
  if (valid === false) p.verdict = 'invalid';
  else if (valid === true && p.verdict === null) p.verdict = 'valid';
  if (state.proof === p) { showProof(); render(); }
}

function claimNote(p) {
  if (p.verdict === 'invalid') return 'NOT valid: this proof does not hold.';
  if (p.origin === 'proved' && !p.restored) return 'Proved here, and checked by the prover.';
  if (p.origin === 'proved') return p.verdict === 'valid' ? 'Proved in this tab before the reload; verified again.' : 'Proved in this tab before the reload; checking it again.';
  if (p.verdict === 'valid') return `From ${p.name}; verified in this page.`;
  return `Claimed by ${p.name}; not verified yet.`;
}

// Whether the canvas still shows what was proved.
function staleNote() {
  const p = state.proof;
  const stale = p && p.drawVersion !== null && p.drawVersion !== undefined && p.drawVersion !== pad.version;
  $('proved-caption').dataset.stale = stale ? 'yes' : '';
  if (stale) $('proved-caption').textContent = 'The image proved (your drawing has changed since: Prove again for the new one)';
}

// The current proof survives a reload of this tab (sessionStorage: this tab only, gone when it
// closes), opening included; it never leaves the browser.
function remember() {
  try {
    // The proof shown, or the one a running proof or a rejected file put aside: a reload in
    // between must not lose it (nor its opening).
    const p = state.proof || state.previous;
    if (!p) { sessionStorage.removeItem(STORE_KEY); return; }
    sessionStorage.setItem(STORE_KEY, JSON.stringify({
      origin: p.origin, name: p.name, json: p.json, opening: p.opening,
      pixels: p.pixels ? Array.from(p.pixels) : null, ms: p.ms || null,
    }));
  } catch {
    // Storage full or disabled: the proof stays on screen; a reload would lose it.
  }
}

async function restore() {
  let saved;
  try {
    saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || 'null');
  } catch {
    saved = null;
  }
  if (!saved || typeof saved.json !== 'string') return;
  try {
    const claims = await prover.ask('inspect', { proofJson: saved.json });
    setProof({
      origin: saved.origin === 'proved' ? 'proved' : 'uploaded', name: String(saved.name || 'proof.json'),
      json: saved.json, opening: typeof saved.opening === 'string' ? saved.opening : null, claims,
      pixels: Array.isArray(saved.pixels) && saved.pixels.length === 784 ? Uint8Array.from(saved.pixels) : null,
      drawVersion: null, ms: saved.ms, restored: true,
    });
    setStatus($('proof-status'), 'ok', `Restored the proof you had before the reload (digit ${claims.digit}; kept in this tab only). Checking it again…`, null, { neutral: true });
    autoVerify();
  } catch {
    sessionStorage.removeItem(STORE_KEY);
  }
}

// ---- buttons ----------------------------------------------------------------------------
function contextProblem() {
  const v = $('context').value.trim();
  if (v === '') return null;
  if (!/^0[xX][0-9a-fA-F]{1,64}$/.test(v)) return 'The context must be 0x followed by 1 to 64 hex digits (for example 0x0).';
  if (BigInt(v) >= FIELD_MODULUS) return 'The context is too large: it must be below the BN254 field modulus (about 2^254).';
  return null;
}

function proveBlocker() {
  if (state.load === 'failed') return 'The prover could not start (see above).';
  if (state.load !== 'ready') return 'Loading the prover…';
  if (state.proving) return state.proving.hint;
  if (!pad.inked) return 'Draw a digit first.';
  if (state.scores && state.scores.tooSmall) return 'Too small: draw the digit bigger, filling most of the square.';
  if (state.scores && state.scores.not_a_digit) return `Not a digit: ${state.scores.not_a_digit.replace(/^this does not look like a digit: /, '')}. Clear and draw one digit.`;
  if (contextProblem()) return 'Fix the context below first.';
  return null;
}

function render() {
  const p = state.proof;
  const busyChain = !!state.chainJob;
  const blocker = proveBlocker();
  $('prove').disabled = !!blocker;
  $('prove-hint').textContent = blocker || 'Ready: press Prove. It takes a few seconds; the drawing stays here.';
  $('prove-hint').dataset.ready = blocker ? '' : 'yes';
  $('cancel-proof').hidden = !state.proving;
  $('context').setAttribute('aria-invalid', contextProblem() ? 'true' : 'false');
  $('context-help').dataset.problem = contextProblem() || '';
  const invalid = !!p && p.verdict === 'invalid';
  $('download-proof').disabled = !p || invalid;
  $('copy-proof').disabled = !p || invalid;
  $('download-opening').disabled = !p || !p.opening;
  $('verify-page').disabled = !p || state.load === 'loading' || state.load === 'failed';
  $('verify-server').disabled = !p;
  $('upload-opening').disabled = !p;
  $('verify-contract-local').disabled = !p;
  $('verify-contract-rpc').disabled = !p || busyChain;
  $('record-onchain').disabled = !p || invalid || busyChain || !!state.proving;
  $('cancel-chain').hidden = !busyChain;
  $('upload-proof').disabled = !!state.proving;
  $('restore-previous').hidden = !state.previous || state.previous === p || !!state.proving;
}

// ---- live scores ------------------------------------------------------------------------
let scoring = false;
function scheduleScores() {
  if (scoring || !state.wasmReady) return;
  if (state.proving) {
    // The worker is proving: the scores catch up when it is done.
    setLive(null, 'Scores resume when the proof is done.');
    return;
  }
  scoring = true;
  requestAnimationFrame(async () => {
    try {
      while (state.scoredVersion !== pad.version && !state.proving) {
        const version = pad.version;
        if (!pad.inked) {
          state.scores = null;
          state.scoredVersion = version;
          blankPixels($('preview'));
          setLive(null);
          continue;
        }
        const image = pad.rgba();
        try {
          const r = await prover.ask('score', image, () => {}, [image.rgba.buffer]);
          // A dot or a tiny scribble is blown up to MNIST's 20 px box: say "bigger", not "a blot".
          const side = Math.max(r.inkBox.width, r.inkBox.height);
          state.scores = { ...r.scores, tooSmall: side < MIN_INK_SIDE * image.width };
          paintPixels($('preview'), r.pixels);
          setLive(state.scores);
        } catch (e) {
          if (e instanceof Stopped) return;
          state.scores = null;
          blankPixels($('preview'));
          setLive(null, /image is empty/.test(e.message) ? 'Draw a digit.' : `Cannot read the drawing: ${e.message}`);
        }
        state.scoredVersion = version;
      }
    } finally {
      scoring = false;
      staleNote();
      render();
    }
  });
}

function renderScoreRows() {
  const list = $('scores');
  list.replaceChildren(...Array.from({ length: 10 }, (_, d) => {
    const li = document.createElement('li');
    li.innerHTML = `<span class="d">${d}</span><span class="bar" aria-hidden="true"><span></span></span><span class="pct">–</span>`;
    return li;
  }));
}

function setLive(scores, message = 'Draw a digit.') {
  const live = $('live-digit');
  const rows = $('scores').children;
  const readable = scores && !scores.not_a_digit && !scores.tooSmall;
  if (readable) {
    const c = scores.confidences[scores.digit];
    const sure = Math.round(100 * c);
    // The model's own probability, not a promise: below 60 % the page says "maybe".
    const lead = c < 0.6 ? 'Maybe' : 'Looks like';
    live.innerHTML = `${lead} ${article(scores.digit)} <strong>${scores.digit}</strong> (${sure} % sure)`;
    live.dataset.digit = String(scores.digit);
    live.dataset.confidence = c.toFixed(4);
    delete live.dataset.notDigit;
    announce(`${lead} ${article(scores.digit)} ${scores.digit}, ${sure} percent.`);
  } else if (scores) {
    live.textContent = scores.tooSmall ? 'Too small to read: draw the digit bigger.' : 'This does not look like a digit: too much ink.';
    live.dataset.digit = '';
    live.dataset.notDigit = 'yes';
    delete live.dataset.confidence;
    announce(live.textContent);
  } else {
    live.textContent = message;
    live.dataset.digit = '';
    delete live.dataset.confidence;
    delete live.dataset.notDigit;
  }
  // Bars are the model's probabilities (softmax of its logits at their real scale); nothing is
  // drawn for an image the page will not prove.
  for (let d = 0; d < 10; d++) {
    const li = rows[d];
    const c = readable ? scores.confidences[d] : 0;
    li.className = readable && d === scores.digit ? 'top' : '';
    li.querySelector('.bar span').style.width = `${(100 * c).toFixed(1)}%`;
    li.querySelector('.pct').textContent = readable ? `${(100 * c).toFixed(c < 0.1 ? 1 : 0)} %` : '–';
  }
}

// ---- proving ----------------------------------------------------------------------------
// A threaded proof that makes no progress (no new stage) for this long is abandoned, and the
// prover restarts on one thread and proves again. `?watchdog=MS` sets it.
const WATCHDOG_MS = Number(params.get('watchdog')) || 90_000;
class StalledProof extends Error {}

function proveWatched(payload, onStage) {
  return new Promise((resolve, reject) => {
    let timer;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => reject(new StalledProof('no progress')), WATCHDOG_MS);
    };
    arm();
    prover.ask('prove', payload, (stage) => { arm(); onStage(stage); }).then(
      (r) => { clearTimeout(timer); resolve(r); },
      (e) => { clearTimeout(timer); reject(e); });
  });
}

function showStages(current, done = {}) {
  $('stages').replaceChildren(...STAGES.map((name) => {
    const li = document.createElement('li');
    if (name in done) {
      li.className = 'done';
      li.textContent = `${name}: ${done[name]} ms`;
    } else if (name === current) {
      li.className = 'running';
      li.textContent = `${name}…`;
      li.setAttribute('aria-current', 'step');
    } else {
      li.className = 'pending';
      li.textContent = name;
    }
    return li;
  }));
}

// Proves the canvas (or `pixels`, an image proved or opened before) bound to `context`; the
// result becomes the current proof. Returns it, or null when proving failed or was cancelled
// (the previous proof is then back). `why` says, in the status, why a proof was made for the
// person who did not press Prove (the chain needs another context).
async function prove({ pixels = null, context = normalContext(), keepChainJob = false, why = '' } = {}) {
  const status = $('proof-status');
  const timer = $('proof-timer');
  const focusWasProve = document.activeElement === $('prove');
  keepAsPrevious();
  setProof(null, { keepChainJob });
  const t0 = performance.now();
  state.proving = { t0, cancelled: false, hint: 'Proving…', stage: null };
  // The worker is busy until the proof is out: the scores are computed again afterwards.
  state.scoredVersion = -1;
  render();
  if (focusWasProve) $('cancel-proof').focus();
  setLive(null, 'Scores resume when the proof is done.');
  const drawVersion = pixels ? null : pad.version;
  const payload = pixels ? { pixels, context } : { ...pad.rgba(), context };
  setStatus(status, 'working', pixels ? 'Proving the image again…' : 'Proving your drawing…');
  showStages(null);
  let note = '';
  const tick = setInterval(() => {
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    timer.textContent = `${seconds} s`;
    state.proving.hint = `Proving… ${seconds} s${state.proving.stage ? ` (${state.proving.stage})` : ''}. Cancel stops it.`;
    $('prove-hint').textContent = state.proving.hint;
  }, 100);
  const onStage = (stage) => { state.proving.stage = stage; showStages(stage); };
  try {
    let r;
    try {
      r = state.threads > 1 ? await proveWatched(payload, onStage) : await prover.ask('prove', payload, onStage);
    } catch (e) {
      if (!(e instanceof StalledProof)) throw e;
      note = ` The threaded prover made no progress for ${WATCHDOG_MS / 1000} s, so it was restarted on one thread.`;
      prover.restart('stalled', { toOneThread: true });
      await loadProver();
      r = await prover.ask('prove', payload, onStage);
    }
    const ms = Math.round(performance.now() - t0);
    const claims = await prover.ask('inspect', { proofJson: r.proof_json });
    showStages(null, Object.fromEntries(r.stages.map(({ name, ms: d }) => [name, d])));
    const p = setProof({
      origin: 'proved', name: 'zkmnist-proof.json', json: r.proof_json, opening: r.opening_json,
      claims, pixels: Uint8Array.from(r.pixels), drawVersion, ms,
    }, { keepChainJob });
    state.previous = null;
    remember();
    setStatus(status, 'ok', `${why}Proved: the model reads the image you proved as ${r.digit} (a ${r.proof_bytes.toLocaleString('en-US')}-byte proof, ${ms} ms).${note} Download the opening too if you may want to reveal the image later.`);
    return p;
  } catch (e) {
    const cancelled = state.proving && state.proving.cancelled;
    const back = state.previous;
    if (back) { setProof(back, { keepChainJob }); state.previous = null; remember(); }
    $('stages').replaceChildren();
    const restored = back ? ' Your previous proof is back.' : '';
    if (cancelled) setStatus(status, 'idle', `Cancelled: no proof was made.${restored}`);
    else setStatus(status, 'error', `Proving failed: ${e.message}${restored}`);
    return null;
  } finally {
    clearInterval(tick);
    timer.textContent = '';
    state.proving = null;
    render();
    scheduleScores();
    if (document.activeElement === $('cancel-proof') || document.activeElement === document.body) $('prove').focus();
    // On a narrow screen the result is below the canvas: bring it into view.
    const card = $('proof-card').getBoundingClientRect();
    if (card.top > window.innerHeight - 120 || card.bottom < 0) $('proof-card').scrollIntoView({ behavior: 'smooth', block: 'start' });
  }
}

// The context field's value as the prover reads it (0x and lower-case hex), 0x0 when empty.
function normalContext() {
  const v = $('context').value.trim();
  return v === '' ? '0x0' : `0x${v.slice(2).toLowerCase()}`;
}

$('prove').addEventListener('click', () => { prove(); });
$('cancel-proof').addEventListener('click', async () => {
  if (!state.proving) return;
  state.proving.cancelled = true;
  // A proof cannot be interrupted inside the module: the worker is ended and a new one loads
  // (keys from the cache).
  prover.restart('cancelled');
  loadProver().catch(loadFailed);
});
$('clear').addEventListener('click', () => pad.clear());
$('context').addEventListener('input', render);

// ---- files ------------------------------------------------------------------------------
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
$('download-proof').addEventListener('click', () => state.proof && download('zkmnist-proof.json', state.proof.json));
$('download-opening').addEventListener('click', () => state.proof && state.proof.opening && download('zkmnist-opening.json', state.proof.opening));
$('copy-proof').addEventListener('click', async () => {
  const p = state.proof;
  if (!p) return;
  const status = $('proof-status');
  try {
    await navigator.clipboard.writeText(p.json);
    if (state.proof === p) setStatus(status, 'ok', `Copied the proof file (${formatBytes(p.json.length)} of JSON) to the clipboard.`);
  } catch (e) {
    if (state.proof === p) setStatus(status, 'error', 'The browser did not let this page use the clipboard; use Download proof instead.', e.message);
  }
});
$('restore-previous').addEventListener('click', () => {
  const back = state.previous;
  if (!back) return;
  keepAsPrevious();
  setProof(back);
  setStatus($('proof-status'), 'ok', `Back to the previous proof (digit ${back.claims.digit}).`);
  if (back.origin === 'uploaded') autoVerify();
});

// Reads a dropped or chosen file as text, refusing oversize files by their size.
async function readSmall(file, what) {
  if (file.size > state.maxFileBytes) {
    throw new Error(`${file.name} is ${formatBytes(file.size)}: too large for ${what} (at most ${formatBytes(state.maxFileBytes)}; ${what === 'a proof file' ? 'a zkmnist proof file is about 12 KB' : 'an opening is about 2 KB'}).`);
  }
  return file.text();
}

async function loadProofFile(file) {
  const status = $('proof-status');
  if (state.proving) {
    setStatus(status, 'error', 'A proof is running: wait for it or cancel it, then load the file.');
    return;
  }
  const refuse = (text, detail) => {
    keepAsPrevious();
    setProof(null);
    setStatus(status, 'error', `${text} No proof is loaded now.${state.previous ? ' Your previous proof is kept: "Back to the previous proof" brings it back.' : ''}`, detail);
    render();
  };
  let text;
  try {
    text = await readSmall(file, 'a proof file');
  } catch (e) {
    refuse(e.message);
    return;
  }
  let claims;
  try {
    claims = await prover.ask('inspect', { proofJson: text });
  } catch (e) {
    refuse(proofFileProblem(file.name, e.kind, e.message), e.message);
    return;
  }
  keepAsPrevious();
  setProof({ origin: 'uploaded', name: file.name, json: text, opening: null, claims, pixels: null, drawVersion: null, ms: null });
  $('stages').replaceChildren();
  setStatus(status, 'ok', `Loaded ${file.name}: it claims digit ${claims.digit} (not verified yet: checking it in the page…).`, null, { neutral: true });
  autoVerify();
}

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

// ---- checks of the current proof ----------------------------------------------------------
// Runs a check of the current proof and shows what it finds only while that proof is still the
// current one. `run(job, say)` reads the proof as `job.p`; a check that makes a new proof (the
// chain's, bound to an account) moves `job.p` to it.
// An error the page did not expect (a failed worker, a bug) is said as `failed`, with the raw
// message folded away under Details.
async function checkProof(el, working, run, failed = 'The check itself failed.') {
  const job = { p: state.proof };
  if (!job.p) return;
  const say = (st, text, detail) => { if (state.proof === job.p) setStatus(el, st, text, detail); };
  say('working', working);
  try {
    await run(job, say);
  } catch (e) {
    if (e instanceof Cancelled) say('idle', 'Cancelled.');
    else if (e instanceof ChainError) say('error', e.message, e.detail || null);
    else say('error', failed, e && e.message ? e.message : String(e));
  }
}

function verifyInPage() {
  return checkProof($('verify-status'), 'Verifying in this page…', async ({ p }, say) => {
    const v = await prover.ask('verify', { proofJson: p.json });
    if (state.proof !== p) return;
    noteVerdict(p, v.valid);
    say(v.valid ? 'ok' : 'error', `${verdictWords(v, ' in this page')} (${v.ms} ms; keys ${v.setup || 'unknown'})`, v.error || null);
    $('verify-status').dataset.ms = String(v.ms);
    // A file that was read but not checked: the proof's own status now says what it is.
    if (p.origin === 'uploaded' || p.restored) {
      setStatus($('proof-status'), v.valid ? 'ok' : 'error', v.valid
        ? `${p.restored ? 'The restored proof' : p.name} is valid: the published model reads its committed image as ${p.claims.digit}.`
        : `${p.restored ? 'The restored proof' : p.name} is NOT valid: it claims digit ${p.claims.digit}, but the proof does not hold.`);
    }
  }, 'Could not verify in this page: the verifier itself failed (reload the page to start it again).');
}
// Uploaded proofs are verified as soon as the verifier is loaded.
function autoVerify() {
  if (state.load === 'verifier' || state.load === 'ready') verifyInPage();
}
$('verify-page').addEventListener('click', verifyInPage);

$('verify-server').addEventListener('click', () => checkProof($('server-status'), 'Sending the proof file to this page\'s server…', async ({ p }, say) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), CALL_TIMEOUT_MS);
  let res;
  try {
    res = await fetch('api/verify', { method: 'POST', body: p.json, headers: { 'Content-Type': 'application/json' }, signal: controller.signal });
  } catch (e) {
    throw new ChainError(controller.signal.aborted
      ? `The server did not answer within ${CALL_TIMEOUT_MS / 1000} s.`
      : 'The server did not answer: is zkmnist serve still running?', { detail: e.message });
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 404 || res.status === 405) {
    throw new ChainError('This page\'s server has no /api/verify: it is not zkmnist serve.');
  }
  if (res.status === 503) throw new ChainError('The server is busy verifying other proofs; try again in a second.');
  if (res.status === 413) throw new ChainError('The server refused the file as too large.');
  let v;
  try {
    v = await res.json();
  } catch {
    throw new ChainError(`The server answered HTTP ${res.status} without a verdict.`);
  }
  const outcome = res.status === 400 ? 'malformed' : (res.status === 200 ? 'invalid' : 'failed');
  if (res.status === 200 || res.status === 400) noteVerdict(p, v.valid);
  say(v.valid ? 'ok' : 'error', `${verdictWords({ ...v, outcome }, ' on the server')} (POST /api/verify, HTTP ${res.status})`, v.error || null);
}), 'The server check failed.');

$('verify-contract-local').addEventListener('click', () => checkProof($('contract-status'), 'Deploying the verifier contracts in an in-page EVM and calling verify…', async ({ p }, say) => {
  // The verdict of the contracts' bytecode, the native verdict's shape with the EVM's gas.
  const r = await prover.ask('verifyEvm', { proofJson: p.json });
  if (r.gas_used === undefined) {
    throw new ChainError(r.outcome === 'other_keys'
      ? 'In-page EVM: this proof was made with other keys than the contract was generated for.'
      : `In-page EVM: ${verdictWords(r, '')}`, { detail: r.error });
  }
  $('contract-status').dataset.gas = String(r.gas_used);
  noteVerdict(p, r.valid);
  say(r.valid ? 'ok' : 'error', r.valid
    ? `In-page EVM: ZkmnistVerifier.verify returned true; ${r.gas_used.toLocaleString('en-US')} gas (${r.verifier_gas.toLocaleString('en-US')} calling Halo2Verifier directly), ${r.ms} ms.`
    : `In-page EVM: the verifier contract rejected the proof (verify returned false; ${r.gas_used.toLocaleString('en-US')} gas).`);
}, 'The in-page EVM failed.'));

// ---- opening ----------------------------------------------------------------------------
$('upload-opening').addEventListener('click', () => $('upload-opening-input').click());
$('upload-opening-input').addEventListener('change', async (e) => {
  const file = e.target.files && e.target.files[0];
  e.target.value = '';
  if (!file) return;
  await checkProof($('opening-status'), `Checking ${file.name} against the proof's commitment…`, async ({ p }, say) => {
    blankPixels($('opening-image'));
    let opened;
    try {
      const text = await readSmall(file, 'an opening');
      opened = await prover.ask('open', { proofJson: p.json, openingJson: text });
      if (state.proof !== p) return;
      if (!p.opening) p.opening = text;
    } catch (err) {
      if (err.kind === undefined) throw err;
      throw new ChainError(openingProblem(file.name, err.kind, err.message), { detail: err.message });
    }
    paintPixels($('opening-image'), opened.pixels);
    if (!p.pixels) {
      p.pixels = Uint8Array.from(opened.pixels);
      showProof();
      remember();
    }
    render();
    // The opening is about the commitment; whether the proof holds is the verifiers' answer.
    const proofSays = p.verdict === 'invalid'
      ? ' But the proof itself is NOT valid: this is the committed image, not a proved one.'
      : (p.verdict === 'valid' || (p.origin === 'proved' && !p.restored)
        ? ' The proof is valid, so this is the image that was proved.'
        : ' Whether the proof holds is a separate check: Verify.');
    say('ok', `${file.name} opens this proof's commitment: its pixels and salt hash to ${shortHex(opened.image_commitment)}, and the model reads the image as ${opened.digit}.${proofSays}`);
  });
});

// ---- chain ------------------------------------------------------------------------------
function chainInputs() {
  return {
    rpc: $('rpc-url').value.trim(),
    verifier: $('verifier-address').value.trim(),
    registry: $('registry-address').value.trim(),
  };
}
const isAddress = (a) => /^0x[0-9a-fA-F]{40}$/.test(a);

// A chain operation: one at a time, with Cancel, tied to the current proof.
async function chainJob(el, working, run) {
  if (state.chainJob) return;
  const controller = new AbortController();
  state.chainJob = controller;
  render();
  try {
    await checkProof(el, working, (job, say) => run(job, say, controller.signal));
  } finally {
    if (state.chainJob === controller) state.chainJob = null;
    render();
  }
}
$('cancel-chain').addEventListener('click', () => { if (state.chainJob) state.chainJob.abort(); });

function client(rpc) {
  if (rpc) return rpcClient(checkRpcUrl(rpc));
  if (window.ethereum) return walletClient(window.ethereum);
  throw new ChainError('Enter a JSON-RPC URL, or open this page in a browser with a wallet.');
}

$('verify-contract-rpc').addEventListener('click', () => chainJob($('contract-status'), 'Calling the deployed verifier…', async ({ p }, say, signal) => {
  const { rpc, verifier } = chainInputs();
  if (!isAddress(verifier)) throw new ChainError('Enter the deployed ZkmnistVerifier address (0x followed by 40 hex digits).');
  const c = client(rpc);
  say('working', `Calling ZkmnistVerifier.verify at ${shortHex(verifier)} through ${c.label}…`);
  const calldata = await prover.call('wrapperCalldata', p.json);
  const code = await c.request('eth_getCode', [verifier, 'latest'], { signal });
  const chainId = quantity(await c.request('eth_chainId', [], { signal }), 'eth_chainId');
  if (!code || code === '0x') throw new ChainError(`There is no contract at ${verifier} on chain ${chainId}: check the address and the network.`);
  const out = await c.request('eth_call', [{ to: verifier, data: calldata }, 'latest'], { signal });
  if (typeof out !== 'string' || out.length !== 66) throw new ChainError(`The contract at ${verifier} answered ${String(out).slice(0, 20)}…, not a bool: is it a ZkmnistVerifier?`);
  const valid = BigInt(out) === 1n;
  noteVerdict(p, valid);
  let gas = '';
  if (valid) {
    const est = quantity(await c.request('eth_estimateGas', [{ to: verifier, data: calldata }], { signal }), 'eth_estimateGas');
    gas = `; eth_estimateGas ${est.toLocaleString('en-US')} gas`;
    $('contract-status').dataset.gas = String(est);
  }
  say(valid ? 'ok' : 'error', valid
    ? `Chain ${chainId}: ZkmnistVerifier.verify returned true${gas}.`
    : `Chain ${chainId}: the verifier contract rejected the proof (verify returned false).`);
}));

// The account that records: an injected wallet's, or on a local test chain without one, the
// node's own first dev account (unlocked by anvil; never on another chain).
async function recordingAccount(rpc, signal, say) {
  if (window.ethereum) {
    const c = walletClient(window.ethereum);
    say('working', 'Asking your wallet for an account…');
    const accounts = await c.request('eth_requestAccounts', [], { signal });
    if (!Array.isArray(accounts) || !isAddress(accounts[0] || '')) throw new ChainError('Your wallet gave no account.');
    return { c, account: accounts[0], label: `your wallet's account ${shortHex(accounts[0], 4)}` };
  }
  if (!rpc) throw new ChainError('No wallet in this browser and no JSON-RPC URL: open the page from ./scripts/demo.sh (it runs a local chain), or install a wallet.');
  const c = rpcClient(checkRpcUrl(rpc));
  const chainId = quantity(await c.request('eth_chainId', [], { signal }), 'eth_chainId');
  if (chainId !== LOCAL_CHAIN_ID) {
    throw new ChainError(`Chain ${chainId} at ${rpc} is not a local test chain, and this browser has no wallet: recording there needs your own account (install or unlock a wallet).`);
  }
  const accounts = await c.request('eth_accounts', [], { signal });
  if (!Array.isArray(accounts) || !isAddress(accounts[0] || '')) throw new ChainError(`The node at ${rpc} has no unlocked dev account to record with.`);
  return { c, account: accounts[0], label: `the local chain's dev account #0 (${shortHex(accounts[0], 4)}, a test account of chain ${LOCAL_CHAIN_ID}, not yours)` };
}

$('record-onchain').addEventListener('click', () => chainJob($('record-status'), 'Preparing to record…', async (job, say, signal) => {
  const { rpc, registry } = chainInputs();
  if (!isAddress(registry)) throw new ChainError('This page knows no DigitRegistry: enter its address (0x and 40 hex digits), or open the page from ./scripts/demo.sh.');
  const { c, account, label } = await recordingAccount(rpc, signal, say);
  const chainId = quantity(await c.request('eth_chainId', [], { signal }), 'eth_chainId');
  const code = await c.request('eth_getCode', [registry, 'latest'], { signal });
  if (!code || code === '0x') {
    throw new ChainError(`There is no DigitRegistry at ${registry} on chain ${chainId}${c.isWallet ? ' (the chain your wallet is on: switch it to the chain the registry was deployed on)' : ''}.`);
  }
  say('working', `Reading the registry's context for ${label}…`);
  const ctxWord = await c.request('eth_call', [{ to: registry, data: await prover.call('registryViewCalldata', 'contextFor', account) }, 'latest'], { signal });
  if (typeof ctxWord !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(ctxWord)) throw new ChainError(`The contract at ${registry} answered contextFor with ${String(ctxWord).slice(0, 20)}…: is it a DigitRegistry?`);
  let p = job.p;
  // Recorded already (this very proof): say so, nothing to send.
  const before = await prover.call('decodeRegistryEntry', await c.request('eth_call', [{ to: registry, data: await prover.call('registryViewCalldata', 'entries', account) }, 'latest'], { signal }));
  if (before.recorded && BigInt(before.image_commitment) === BigInt(p.claims.image_commitment)) {
    say('ok', `Already recorded: the registry on chain ${chainId} holds digit ${before.digit} from this proof for ${label}. Nothing was sent (each proof is recorded once).`);
    return;
  }
  if (BigInt(p.claims.context) !== BigInt(ctxWord)) {
    if (!p.pixels) {
      throw new ChainError(`This proof is bound to context ${shortHex(p.claims.context)}, but the registry accepts from ${label} only proofs bound to ${shortHex(ctxWord)}. Draw and prove a digit here (Record on chain then binds it to your account), or reveal this proof's opening so the page can prove its image again with that context.`);
    }
    say('working', 'The registry needs a proof bound to your account: proving the same image again with your account\'s context…');
    $('context').value = ctxWord;
    p = await prove({
      pixels: p.pixels, context: ctxWord, keepChainJob: true,
      why: `Proved again, bound to the recording account's context (${shortHex(ctxWord)}) as the registry requires: a new proof, commitment and opening replace the ones shown before. `,
    });
    if (!p) throw new ChainError('Proving again for your account\'s context did not finish (see the proof above); nothing was sent.');
    job.p = p;
  }
  const el = $('record-status');
  const data = await prover.call('recordCalldata', p.json);
  say('working', 'Checking the transaction against the chain before sending it…');
  await c.request('eth_call', [{ from: account, to: registry, data }, 'latest'], { signal });
  const estimate = quantity(await c.request('eth_estimateGas', [{ from: account, to: registry, data }], { signal }), 'eth_estimateGas');
  say('working', c.isWallet ? 'Confirm the transaction in your wallet…' : `Sending the transaction from ${label}…`);
  const hash = await c.request('eth_sendTransaction', [{ from: account, to: registry, data, gas: `0x${Math.ceil(estimate * 1.2).toString(16)}` }], { signal });
  if (typeof hash !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(hash)) throw new ChainError(`The ${c.isWallet ? 'wallet' : 'node'} answered the transaction with ${String(hash).slice(0, 20)}…, not a transaction hash.`);
  say('working', `Sent transaction ${shortHex(hash)}; waiting for it to be mined…`);
  const receipt = await waitForReceipt(c, hash, { signal });
  const block = quantity(receipt.blockNumber, 'the receipt\'s block');
  const gasUsed = quantity(receipt.gasUsed, 'the receipt\'s gas');
  if (receipt.status !== '0x1') throw new ChainError(`Transaction ${shortHex(hash)} was mined in block ${block} but reverted: nothing was recorded.`);
  const entryWord = await c.request('eth_call', [{ to: registry, data: await prover.call('registryViewCalldata', 'entries', account) }, 'latest'], { signal });
  const entry = await prover.call('decodeRegistryEntry', entryWord);
  if (!entry.recorded || BigInt(entry.image_commitment) !== BigInt(p.claims.image_commitment)) {
    throw new ChainError(`Transaction ${shortHex(hash)} was mined, but the registry does not hold this proof for ${label}.`);
  }
  if (state.proof !== p) return;
  Object.assign(el.dataset, { tx: hash, gas: String(gasUsed), block: String(block), digit: String(entry.digit) });
  say('ok', `Recorded on chain ${chainId}: the registry now holds digit ${entry.digit} for ${label}. Transaction ${shortHex(hash)}, block ${block}, ${gasUsed.toLocaleString('en-US')} gas.`);
}));

// Where the page records: query parameters (?rpc=&registry=&verifier=) win; otherwise the
// chain `zkmnist serve --chain` names (/chain.json, which scripts/demo.sh sets up).
async function loadChain() {
  const info = $('chain-info');
  const fromQuery = ['rpc', 'registry', 'verifier'].some((k) => params.has(k));
  if (fromQuery) {
    $('rpc-url').value = params.get('rpc') || '';
    $('verifier-address').value = params.get('verifier') || '';
    $('registry-address').value = params.get('registry') || '';
    info.textContent = `Chain from this page's address: ${params.get('rpc') || 'your wallet'}${params.get('registry') ? `, DigitRegistry ${shortHex(params.get('registry'), 4)}` : ' (no registry given: add &registry=0x… to record)'}.`;
    return;
  }
  let chain = null;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5000);
  try {
    const res = await fetch('chain.json', { signal: controller.signal });
    if (res.status === 200) chain = await res.json();
  } catch {
    chain = null;
  } finally {
    clearTimeout(timer);
  }
  if (!chain || !chain.contracts) {
    info.textContent = 'No chain is set up for this page: ./scripts/demo.sh runs a local one, or add ?rpc=URL&registry=0x…&verifier=0x… to the address.';
    return;
  }
  $('rpc-url').value = chain.rpc;
  $('verifier-address').value = chain.contracts.ZkmnistVerifier;
  $('registry-address').value = chain.contracts.DigitRegistry;
  const local = chain.chain_id === LOCAL_CHAIN_ID ? 'The demo\'s local chain' : 'Chain';
  info.textContent = `${local} ${chain.chain_id} at ${chain.rpc}: DigitRegistry ${shortHex(chain.contracts.DigitRegistry, 4)}, its verifier generated from ${chain.setup} keys.`;
}

// ---- start ------------------------------------------------------------------------------
function loadFailed(e) {
  state.load = 'failed';
  setStatus($('load-status'), 'error', `The prover could not start: ${e.message}`);
  render();
}

// Loads the module, the verifier's keys, then the proving key, saying so in load-status.
async function loadProver() {
  const load = $('load-status');
  const t0 = performance.now();
  state.load = 'loading';
  state.wasmReady = false;
  setStatus(load, 'working', 'Loading the prover…');
  render();
  const onStage = (stage, progress) => {
    if (progress && progress.received !== undefined) {
      const what = stage.endsWith('pk.bin') ? 'the proving key' : stage.replace(/^downloading /, '');
      const pct = progress.total ? ` (${Math.min(100, Math.round((100 * progress.received) / progress.total))} %)` : '';
      setStatus(load, 'working', `Downloading ${what}: ${formatBytes(progress.received)}${progress.total ? ` of ${formatBytes(progress.total)}` : ''}${pct}…`);
      load.dataset.progress = progress.total ? (progress.received / progress.total).toFixed(3) : '';
    } else {
      setStatus(load, 'working', `${stage[0].toUpperCase()}${stage.slice(1)}…`);
    }
  };
  const info = await prover.ask('modelInfo', {}, onStage);
  state.wasmReady = true;
  state.maxFileBytes = info.max_file_bytes;
  $('model-hash').textContent = info.content_hash;
  state.scoredVersion = -1;
  scheduleScores();
  if (!restoreTried) {
    restoreTried = true;
    await restore();
  }
  // The verifier's keys first: uploaded proofs verify while pk.bin downloads.
  const v = await prover.ask('loadVerifier', {}, onStage);
  state.setup = v.setup;
  state.vkDigest = v.vkDigest;
  $('vk-digest').textContent = v.vkDigest;
  $('setup-label').textContent = v.setup;
  $('setup-checking').hidden = true;
  $('setup-warning').hidden = !v.insecure;
  $('setup-ok').hidden = v.insecure;
  $('setup-ok').textContent = v.insecure ? '' : `Keys from a real ceremony (${v.setup}).`;
  if (!v.insecure) $('setup-explained').textContent = `These keys come from a KZG ceremony (${v.setup}).`;
  state.load = 'verifier';
  render();
  if (state.proof && state.proof.origin === 'uploaded' && state.proof.verdict === null) autoVerify();
  setStatus(load, 'working', 'Verifier ready; loading the proving key…');
  const k = await prover.ask('load', {}, onStage);
  state.threads = k.threads;
  const ms = Math.round(performance.now() - t0);
  load.dataset.ms = String(ms);
  load.dataset.threads = String(k.threads);
  delete load.dataset.progress;
  const notes = [`${(ms / 1000).toFixed(1)} s`, `${k.threads} prover thread${k.threads === 1 ? '' : 's'}`, k.cached ? 'keys from cache' : null].filter(Boolean);
  setStatus(load, 'ok', `Ready (${notes.join(', ')}).`);
  announce('The prover is ready.');
  state.load = 'ready';
  render();
}

renderScoreRows();
setLive(null);
blankPixels($('preview'));
resetVerdicts();
showProof();
render();
loadChain();
loadProver().catch((e) => { if (!(e instanceof Stopped)) loadFailed(e); });
