// The Web Worker that owns the core's Wasm instance. Keys and message contents handed to the
// core stay in this worker; the UI thread only sees results. One request at a time, in order.
// A trap (or any error that is not the core's own error object) is reported as `core-crashed`
// and this worker answers nothing more: the client terminates it and starts a fresh one, so a
// broken instance, and the keys in its memory, are never reused (client.ts).
/// <reference lib="webworker" />
import init, * as wasm from '../../pkg/cachet.js';
import wasmUrl from '../../pkg/cachet_bg.wasm?url';
import { type CoreApi, type Method, type Reply, type Request, WORKER_ERRORS, isTestMethod, toCoreError } from './protocol';

type Handlers = { [M in Method]: (params: CoreApi[M]['params']) => CoreApi[M]['result'] | Promise<CoreApi[M]['result']> };

/** Set by the client's first message when the page enabled test hooks (protocol.ts TEST_METHODS). */
let testHooks = false;
/** After a crash this worker refuses everything: it is about to be terminated. */
let dead = false;
/** Names this worker instance (debugInstance). */
const instance = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');

/** The unlocked identities of this session; lost (locked) when the instance is reloaded. */
let keyring: wasm.Keyring | null = null;
function ring(): wasm.Keyring {
  keyring ??= new wasm.Keyring();
  return keyring;
}

function opened(r: { report: CoreApi['open']['result']['report']; content?: Uint8Array }): CoreApi['open']['result'] {
  return { report: r.report, content: r.content ?? null };
}

/** One line per core export. */
const handlers: Handlers = {
  version: () => wasm.version(),
  features: () => ({ encrypt: typeof (ring() as { encrypt?: unknown }).encrypt === 'function' }),
  certSummary: ({ bytes }) => wasm.certSummary(bytes),
  certImport: ({ bytes }) => wasm.certImport(bytes),
  // The password hashing of PKCS#12 import and backup export: PBKDF2 by WebCrypto's
  // deriveBits (the PKCS#12 MAC's and the legacy schemes' stay in the core; so does
  // everything WebCrypto lacks or refuses).
  unlock: async ({ p12, password }) => ring().add(await wasm.unlockAsync(p12, password)),
  lock: ({ handle }) => ring().lock(handle),
  lockAll: () => ring().lockAll(),
  certificates: ({ handle }) => ring().certificates(handle),
  encryptionCertificate: ({ handle }) => ring().encryptionCertificate(handle),
  pairIdentities: ({ first, second }) => ring().pairIdentities(first, second),
  // Signing, encryption and opening use WebCrypto for digests, AES and RSA signatures
  // (the core falls back to its own code where WebCrypto is missing or lacks an algorithm).
  sign: async ({ handle, mime, opaque, at, policy }) => await ring().signAsync(handle, mime, opaque, at, policy),
  encrypt: async ({ handle, mime, recipients, capabilities, sign, at, policy, opaque, tripleWrap }) =>
    await ring().encryptAsync(handle ?? undefined, mime, { recipients, sign, at, opaque: opaque ?? false, tripleWrap: tripleWrap ?? false, ...(capabilities ? { capabilities } : {}), ...(policy ? { policy } : {}) }),
  encryptionChoice: ({ handle, recipients, capabilities, at, policy }) => ring().encryptionChoice(handle ?? undefined, { recipients, capabilities, at, ...(policy ? { policy } : {}) }),
  recipientStatus: ({ options }) => wasm.recipientStatus(options),
  requestMail: ({ handle, options }) => ring().request(handle, options),
  open: async ({ mime, options }) => opened(await ring().openAsync(mime, options)),
  exportBackup: async ({ handle, password }) => await ring().exportBackupAsync(handle, password),
  composeMessage: ({ draft }) => wasm.composeMessage(draft),
  viewMessage: ({ bytes }) => wasm.viewMessage(bytes),
  read: async ({ mime, options }) => {
    const { report, content } = opened(await ring().openAsync(mime, options));
    // The parts of the message itself only where the read pane shows them (protocol.ts);
    // else its header fields alone, from its header section (a 25 MB message is not parsed
    // again, nor copied into the core again).
    const whole = content === null || report.status === 'partially-signed';
    const outer = whole ? wasm.viewMessage(mime) : { headers: wasm.viewHeaders(mime), parts: [] };
    return { outer, report, content, view: content ? wasm.viewMessage(content) : null, mime };
  },
  draftMessage: ({ draft }) => wasm.draftMessage(draft),
  draftStored: ({ bytes }) => wasm.draftStored(bytes),
  isDraft: ({ bytes }) => wasm.isDraft(bytes),
  readDraft: ({ content }) => wasm.readDraft(content),
  partBytes: ({ bytes, path }) => wasm.partBytes(bytes, path),
  smimeaQuery: ({ address }) => wasm.smimeaQuery(address),
  smimeaRead: ({ address, response, at }) => wasm.smimeaRead(address, response, at),
  debugTrap: () => {
    // What a trap looks like to JavaScript (a panic in the core aborts to `unreachable`).
    throw new WebAssembly.RuntimeError('unreachable (test hook)');
  },
  debugHang: () => new Promise<void>(() => undefined),
  debugInstance: () => instance,
};

let ready: Promise<unknown> | null = null;

/** Load the Wasm once per worker (a failed load may be tried again; a crashed instance never is). */
function load(): Promise<unknown> {
  const loading = ready ?? init({ module_or_path: wasmUrl });
  ready = loading;
  return loading;
}

/** The byte arrays of a result, to transfer rather than copy (a message may be 25 MB). */
function buffers(result: unknown): ArrayBuffer[] {
  const found = result instanceof Uint8Array ? [result] : result && typeof result === 'object' ? Object.values(result).filter((v): v is Uint8Array => v instanceof Uint8Array) : [];
  return [...new Set(found.map((b) => b.buffer as ArrayBuffer))];
}

function post(reply: Reply): void {
  (self as unknown as DedicatedWorkerGlobalScope).postMessage(reply, reply.ok ? buffers(reply.result) : []);
}

function crashed(id: number, detail: string): void {
  dead = true;
  keyring = null;
  post({ id, ok: false, error: { code: WORKER_ERRORS.crashed, message: 'The S/MIME engine stopped unexpectedly.', hint: 'It is being restarted.', detail } });
}

async function handle(req: Request): Promise<void> {
  if (dead) return;
  try {
    await load();
  } catch (e) {
    ready = null;
    post({
      id: req.id,
      ok: false,
      error: {
        code: WORKER_ERRORS.unavailable,
        message: 'The S/MIME engine could not be loaded.',
        hint: 'Reload the page. If it keeps failing, your browser may block WebAssembly.',
        detail: String(e),
      },
    });
    return;
  }
  const fn = Object.hasOwn(handlers, req.method) ? (handlers[req.method] as (p: unknown) => unknown) : undefined;
  if (!fn || (isTestMethod(req.method) && !testHooks)) {
    post({ id: req.id, ok: false, error: { code: WORKER_ERRORS.unknownMethod, message: 'This page and its engine are out of date with each other.', hint: 'Reload the page.', detail: String(req.method) } });
    return;
  }
  try {
    post({ id: req.id, ok: true, result: await fn(req.params) });
  } catch (thrown) {
    const error = toCoreError(thrown);
    // A trap leaves the instance unusable (and its memory holds the keys): the client ends this worker.
    if (error.code === WORKER_ERRORS.crashed) crashed(req.id, error.detail ?? '');
    else post({ id: req.id, ok: false, error });
  }
}

// Errors outside any request (a rejected promise nobody awaited, an exception in a callback)
// may also come from a broken instance: report a crash so the client replaces this worker.
self.addEventListener('unhandledrejection', (ev: PromiseRejectionEvent) => {
  ev.preventDefault();
  crashed(0, `unhandled rejection: ${String(ev.reason)}`);
});
self.addEventListener('error', (ev: ErrorEvent) => {
  ev.preventDefault();
  crashed(0, `uncaught error: ${ev.message}`);
});

let queue: Promise<void> = Promise.resolve();
self.addEventListener('message', (ev: MessageEvent<Request | { testHooks: true }>) => {
  const data = ev.data;
  if ('testHooks' in data) {
    testHooks = data.testHooks === true;
    return;
  }
  queue = queue.then(() => handle(data));
});
