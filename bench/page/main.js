// The bench page's main thread: it owns the two workers (Cachet, PKI.js) and relays commands
// from the Node driver (bench/browser.mjs, through page.evaluate) to them. While a watched
// command runs, a setTimeout(0) ticker and a requestAnimationFrame ticker on this thread record
// the longest gaps: the crypto runs in the worker, so the page should stay responsive.

const workers = {};
let nextId = 1;

function rpc(worker, cmd, args) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const onMessage = (ev) => {
      if (ev.data?.id !== id) return;
      worker.removeEventListener('message', onMessage);
      worker.removeEventListener('error', onError);
      if (ev.data.ok) resolve(ev.data.result);
      else reject(new Error(ev.data.error));
    };
    const onError = (ev) => {
      worker.removeEventListener('message', onMessage);
      worker.removeEventListener('error', onError);
      reject(new Error(`worker error: ${ev.message ?? ev}`));
    };
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', onError);
    worker.postMessage({ id, cmd, args });
  });
}

const spawn = (impl) => new Worker(`/js/${impl}-worker.js`, { type: 'module', name: impl });

/** Run `fn` while the tickers run; returns its result with maxGapMs (setTimeout) and maxFrameGapMs (rAF). */
async function watched(fn) {
  let running = true;
  let lastTick = performance.now();
  let maxGap = 0;
  const tick = () => {
    const t = performance.now();
    maxGap = Math.max(maxGap, t - lastTick);
    lastTick = t;
    if (running) setTimeout(tick, 0);
  };
  let lastFrame = null;
  let maxFrameGap = 0;
  const frame = (t) => {
    if (lastFrame !== null) maxFrameGap = Math.max(maxFrameGap, t - lastFrame);
    lastFrame = t;
    if (running) requestAnimationFrame(frame);
  };
  setTimeout(tick, 0);
  requestAnimationFrame(frame);
  try {
    const result = await fn();
    return { ...result, maxGapMs: Math.max(maxGap, performance.now() - lastTick), maxFrameGapMs: lastFrame === null ? null : maxFrameGap };
  } finally {
    running = false;
  }
}

window.bench = {
  /** A fresh worker for `impl` (the old one, if any, is terminated), loaded with `args`. */
  async start(impl, args) {
    workers[impl]?.terminate();
    workers[impl] = spawn(impl);
    return rpc(workers[impl], 'load', args);
  },
  call(impl, cmd, args) {
    return rpc(workers[impl], cmd, args);
  },
  watch(impl, cmd, args) {
    return watched(() => rpc(workers[impl], cmd, args));
  },
  /** The tickers' longest gaps over `ms` of doing nothing: the machine's own noise, for comparison. */
  idle(ms) {
    return watched(() => new Promise((resolve) => setTimeout(() => resolve({}), ms)));
  },
  /** Fetch + instantiate times of the Wasm module, each in a fresh worker, HTTP cache bypassed. */
  async instantiate(wasmUrl, n) {
    const times = [];
    for (let i = 0; i < n; i++) {
      const w = spawn('cachet');
      try {
        const sep = wasmUrl.includes('?') ? '&' : '?';
        times.push((await rpc(w, 'instantiate', { wasmUrl: `${wasmUrl}${sep}fresh=${Date.now()}-${i}` })).ms);
      } finally {
        w.terminate();
      }
      // Time for the terminated worker (and its compiled module) to go before the next start.
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return times;
  },
  /** A full garbage collection of this page when the browser exposes gc(). */
  gc() {
    if (typeof globalThis.gc !== 'function') return false;
    globalThis.gc();
    return true;
  },
};
document.title = `cachet bench ready (isolated: ${self.crossOriginIsolated})`;
