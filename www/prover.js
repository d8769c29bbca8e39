// The page's side of the prover worker (www/worker.js, the only wasm instance): requests by id,
// stage reports while they run, and a restart that abandons whatever was running (Cancel, the
// threaded watchdog). Every request still pending when the worker goes gets `Stopped`.

export class Stopped extends Error {}

// An error the worker reported; `kind` names what was wrong when the module said (file errors).
export class WorkerError extends Error {
  constructor(message, kind) {
    super(message);
    this.kind = kind || null;
  }
}

export function createProver() {
  let worker = null;
  let oneThread = false;
  let nextId = 1;
  const pending = new Map();

  function stopPending(reason) {
    for (const p of pending.values()) p.reject(new Stopped(reason));
    pending.clear();
  }

  function start() {
    worker = new Worker(new URL(`./worker.js${oneThread ? '?threads=1' : ''}`, import.meta.url), { type: 'module' });
    worker.onmessage = ({ data }) => {
      const p = pending.get(data.id);
      if (!p) return;
      if (data.type === 'stage') p.onStage(data.stage, data.progress);
      else {
        pending.delete(data.id);
        if (data.type === 'result') p.resolve(data.result);
        else p.reject(new WorkerError(data.message, data.kind));
      }
    };
    worker.onerror = (e) => {
      for (const p of pending.values()) p.reject(new WorkerError(`the prover thread failed: ${e.message || 'unknown error'}`));
      pending.clear();
    };
  }
  start();

  return {
    ask(type, payload = {}, onStage = () => {}, transfer = []) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject, onStage });
        worker.postMessage({ id, type, ...payload }, transfer);
      });
    },
    // A pure helper of the module (ABI encoding for the chain).
    call(fn, ...args) {
      return this.ask('call', { fn, args });
    },
    // Ends the worker and everything it was doing; a new one starts (on one thread if asked,
    // or if an earlier restart asked). Everything it had loaded must be loaded again.
    restart(reason, { toOneThread = false } = {}) {
      worker.terminate();
      stopPending(reason);
      oneThread = oneThread || toOneThread;
      start();
    },
  };
}
