// Talking to a chain: a JSON-RPC URL or an injected wallet (EIP-1193), every request with a
// deadline and a cancel, every failure in words that say what to check. No library: the ABI
// encoding comes from the wasm module (the same code the CLI and the tests use).

// A read or a simulation must answer within this; a node that accepts and never answers is an
// error, not a spinner.
export const CALL_TIMEOUT_MS = 15_000;
// A wallet waits for the person to approve (an account, a transaction): longer, still bounded.
export const APPROVAL_TIMEOUT_MS = 5 * 60_000;
// A mined transaction's receipt must appear within this.
export const RECEIPT_TIMEOUT_MS = 60_000;
// anvil's (and hardhat's) chain id: the only chain where the page uses the node's own unlocked
// dev account.
export const LOCAL_CHAIN_ID = 31337;

// A failure with a message for people; `detail` keeps what the node or browser said.
export class ChainError extends Error {
  constructor(message, { detail = null, revert = null } = {}) {
    super(message);
    this.detail = detail;
    this.revert = revert;
  }
}

export class Cancelled extends Error {
  constructor() { super('cancelled'); }
}

// Checks a JSON-RPC URL typed by a person; returns the URL or throws with what is wrong.
export function checkRpcUrl(text) {
  const url = text.trim();
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new ChainError(`"${url}" is not a URL: it needs http:// or https:// in front (for example http://127.0.0.1:8545).`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ChainError(`"${url}" is not an http:// or https:// URL (for example http://127.0.0.1:8545).`);
  }
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  if (location.protocol === 'https:' && parsed.protocol === 'http:' && !local) {
    throw new ChainError(`This page is served over https, so the browser refuses calls to the http:// node at ${url}; use an https:// URL.`);
  }
  return url;
}

// Races `promise` against a deadline and a cancel signal.
function bounded(promise, ms, signal, onTimeout) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) { reject(new Cancelled()); return; }
    const timer = setTimeout(() => reject(onTimeout()), ms);
    const abort = () => { clearTimeout(timer); reject(new Cancelled()); };
    if (signal) signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (v) => { clearTimeout(timer); if (signal) signal.removeEventListener('abort', abort); resolve(v); },
      (e) => { clearTimeout(timer); if (signal) signal.removeEventListener('abort', abort); reject(e); });
  });
}

// A JSON-RPC endpoint at `url`.
export function rpcClient(url) {
  return {
    label: url,
    isWallet: false,
    async request(method, params, { signal, timeoutMs = CALL_TIMEOUT_MS } = {}) {
      const controller = new AbortController();
      const abort = () => controller.abort();
      if (signal) signal.addEventListener('abort', abort, { once: true });
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      let res;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
          signal: controller.signal,
        });
        const text = await res.text();
        if (!res.ok) {
          throw new ChainError(`${url} answered HTTP ${res.status} to ${method}: it does not look like a JSON-RPC node.`, { detail: text.slice(0, 200) });
        }
        let body;
        try {
          body = JSON.parse(text);
        } catch {
          throw new ChainError(`${url} answered ${method}, but not with JSON-RPC: is it an Ethereum node?`, { detail: text.slice(0, 200) });
        }
        if (!body || typeof body !== 'object' || (!('result' in body) && !body.error)) {
          throw new ChainError(`${url} answered ${method} with JSON that is not a JSON-RPC answer.`, { detail: text.slice(0, 200) });
        }
        if (body.error) throw nodeError(body.error, method);
        return body.result;
      } catch (e) {
        if (e instanceof ChainError) throw e;
        if (controller.signal.aborted) {
          if (signal && signal.aborted) throw new Cancelled();
          throw new ChainError(`${url} did not answer ${method} within ${Math.round(timeoutMs / 1000)} s: the node accepted the call but sent nothing back. Is it stuck, or is it a different service?`);
        }
        // The browser reports "nothing listening" and "not allowed from web pages (CORS)" as the
        // same TypeError, on purpose: say both.
        throw new ChainError(`Nothing answered at ${url}, or the node there does not accept calls from web pages (CORS). Check that the node runs at that address and allows this page's origin (anvil allows every origin; geth needs --http.corsdomain).`, { detail: e.message });
      } finally {
        clearTimeout(timer);
        if (signal) signal.removeEventListener('abort', abort);
      }
    },
  };
}

// An injected wallet (window.ethereum, EIP-1193).
export function walletClient(ethereum) {
  const approval = new Set(['eth_requestAccounts', 'eth_sendTransaction', 'wallet_switchEthereumChain']);
  return {
    label: 'your wallet',
    isWallet: true,
    async request(method, params, { signal, timeoutMs } = {}) {
      const ms = timeoutMs || (approval.has(method) ? APPROVAL_TIMEOUT_MS : CALL_TIMEOUT_MS);
      try {
        return await bounded(Promise.resolve().then(() => ethereum.request({ method, params })), ms, signal,
          () => new ChainError(`Your wallet did not answer ${method} within ${Math.round(ms / 1000)} s.`));
      } catch (e) {
        if (e instanceof ChainError || e instanceof Cancelled) throw e;
        if (e && e.code === 4001) throw new ChainError('You declined the request in your wallet.');
        if (e && e.code === 4100) throw new ChainError('Your wallet has not allowed this page to use an account.');
        throw nodeError(e || {}, method);
      }
    },
  };
}

// Revert data of a failed call, wherever the node or wallet put it.
function revertData(err) {
  for (const d of [err.data, err.data && err.data.data, err.data && err.data.originalError && err.data.originalError.data]) {
    if (typeof d === 'string' && /^0x[0-9a-fA-F]*$/.test(d)) return d;
  }
  return null;
}

// The reason string of `Error(string)` revert data, or null.
export function decodeRevert(data) {
  if (!data || !data.startsWith('0x08c379a0') || data.length < 10 + 128) return null;
  const body = data.slice(10);
  const len = parseInt(body.slice(64, 128), 16);
  const hex = body.slice(128, 128 + 2 * len);
  if (hex.length !== 2 * len) return null;
  const bytes = new Uint8Array(hex.match(/../g).map((h) => parseInt(h, 16)));
  return new TextDecoder().decode(bytes);
}

// Revert reasons of the project's contracts, in words.
const REVERTS = {
  'DigitRegistry: image already used': 'The registry already holds this image commitment: each proof can be recorded once. Prove again (a new proof has a fresh commitment) and record that.',
  'DigitRegistry: invalid proof': 'The registry\'s verifier rejected the proof for this account: the proof is not bound to contextFor(your account), or it is not valid.',
  'DigitRegistry: digit out of range': 'The registry refused a digit outside 0 to 9.',
};
// InsufficientGas() of ZkmnistVerifier.
const INSUFFICIENT_GAS = '0x1c26714c';

function nodeError(err, method) {
  const data = revertData(err);
  const reason = decodeRevert(data);
  if (reason) return new ChainError(REVERTS[reason] || `The contract refused: ${reason}.`, { detail: err.message, revert: reason });
  if (data && data.startsWith(INSUFFICIENT_GAS)) return new ChainError('The call ran out of gas before the verifier finished: give it more gas.', { detail: err.message, revert: 'InsufficientGas' });
  const message = String(err.message || JSON.stringify(err));
  if (/execution reverted/i.test(message)) return new ChainError(`The contract refused the call (${method}) without saying why.`, { detail: message, revert: '' });
  return new ChainError(`The node refused ${method}: ${message}`, { detail: message });
}

// Waits for a transaction's receipt; throws when it does not come within RECEIPT_TIMEOUT_MS.
export async function waitForReceipt(client, hash, { signal, onWait = () => {} } = {}) {
  const deadline = Date.now() + RECEIPT_TIMEOUT_MS;
  for (let polls = 0; ; polls++) {
    const receipt = await client.request('eth_getTransactionReceipt', [hash], { signal });
    if (receipt) return receipt;
    if (Date.now() > deadline) {
      throw new ChainError(`Transaction ${hash} was sent but not mined within ${RECEIPT_TIMEOUT_MS / 1000} s; it may still be mined later (look it up by its hash).`);
    }
    onWait(polls);
    await bounded(new Promise((r) => setTimeout(r, Math.min(250 * (polls + 1), 2000))), 5000, signal, () => new Cancelled());
  }
}

// 0x-hex quantity to a Number (chain ids, gas, block numbers).
export function quantity(hex, what) {
  if (typeof hex !== 'string' || !/^0x[0-9a-fA-F]+$/.test(hex)) throw new ChainError(`The node answered ${what} with ${JSON.stringify(hex)}, not a number.`);
  return Number(BigInt(hex));
}

export function shortHex(hex, keep = 6) {
  return hex && hex.length > 2 * keep + 4 ? `${hex.slice(0, keep + 2)}…${hex.slice(-keep)}` : hex;
}
