// The worker side of the Chromium benchmark, shared by both implementations: fetch the keys and
// the inputs of one size into the worker (untimed), then time one operation at a time with
// performance.now() around the call alone, and on request upload the output to the bench server.
// An implementation is { load(files, args), prepare?(inputs, keep), ops: { <op>(inputs) -> bytes },
// memoryBytes?(), info?(), instantiate?(args) }.

/** Fetch `{name: url}` into `{name: Uint8Array}`. */
export async function fetchAll(files) {
  const entries = await Promise.all(Object.entries(files).map(async ([name, url]) => {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`cannot fetch ${url}: HTTP ${res.status}`);
    return [name, new Uint8Array(await res.arrayBuffer())];
  }));
  return Object.fromEntries(entries);
}

/** The body of a PEM file (the first block), as base64 without line breaks. */
export function pemBase64(bytes) {
  const text = new TextDecoder().decode(bytes);
  const m = /-----BEGIN [^-]+-----([^-]+)-----END/.exec(text);
  if (!m) throw new Error('not a PEM file');
  return m[1].replace(/\s+/g, '');
}

/** The DER bytes of a PEM file (the first block). */
export function pemDer(bytes) {
  return Uint8Array.from(atob(pemBase64(bytes)), (c) => c.charCodeAt(0));
}

export function serve(impl) {
  let inputs = null;
  const handlers = {
    async load({ files, ...args }) {
      return (await impl.load(await fetchAll(files), args)) ?? {};
    },
    /** Fetch `files` (and prepare from them); with `keep`, only those inputs stay held afterwards. */
    async inputs({ files, keep }) {
      inputs = null;
      inputs = await fetchAll(files);
      if (impl.prepare) await impl.prepare(inputs, keep);
      if (keep) for (const name of Object.keys(inputs)) if (!keep.includes(name)) delete inputs[name];
      return {};
    },
    async run({ op, upload }) {
      const fn = impl.ops[op];
      if (!fn) throw new Error(`${impl.name} has no operation ${op}`);
      if (!inputs) throw new Error('no inputs loaded');
      const t0 = performance.now();
      const out = await fn(inputs);
      const ms = performance.now() - t0;
      if (!(out instanceof Uint8Array) || out.byteLength === 0) throw new Error(`${impl.name} ${op} made no output`);
      if (upload) {
        const res = await fetch(upload, { method: 'POST', body: out });
        if (!res.ok) throw new Error(`cannot upload the output of ${op}: HTTP ${res.status}`);
      }
      return { ms, bytes: out.byteLength, memoryBytes: impl.memoryBytes ? impl.memoryBytes() : null };
    },
    /** A full garbage collection when the browser exposes gc() (--js-flags=--expose-gc). */
    async gc() {
      if (typeof globalThis.gc !== 'function') return { gc: false };
      globalThis.gc();
      return { gc: true };
    },
    async info() {
      return impl.info ? impl.info() : {};
    },
    async instantiate(args) {
      if (!impl.instantiate) throw new Error(`${impl.name} has no Wasm module to instantiate`);
      return impl.instantiate(args);
    },
  };
  self.addEventListener('message', async (ev) => {
    const { id, cmd, args } = ev.data;
    try {
      const handler = handlers[cmd];
      if (!handler) throw new Error(`unknown command ${cmd}`);
      self.postMessage({ id, ok: true, result: await handler(args ?? {}) });
    } catch (e) {
      self.postMessage({ id, ok: false, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) });
    }
  });
}
