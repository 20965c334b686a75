// The promise API the UI uses to talk to the core worker.
//
// # Security
// A crashed or hung core must never be reused: a trap may leave the Wasm instance in any state
// (and wasm-bindgen's init hands back the same instance), and its memory still holds the
// unlocked keys. So on a trap, an uncaught error in the worker, or a call past its time budget,
// the worker is terminated (its memory goes with it), every call still waiting is failed, and
// the next call starts a fresh worker. Listeners get a `restarted` event: the identities that
// were unlocked are locked now.
import { type CertFacts, type CoreError, type Method, type Params, type Reply, type Result, WORKER_ERRORS, isTestMethod } from './protocol';

/** A core failure as a thrown Error, carrying the user-facing message and hint. */
export class CoreFailure extends Error implements CoreError {
  readonly code: string;
  readonly hint: string;
  readonly detail?: string;
  constructor(e: CoreError) {
    super(e.message);
    this.name = 'CoreFailure';
    this.code = e.code;
    this.hint = e.hint;
    if (e.detail !== undefined) this.detail = e.detail;
  }
}

/** Time budget of one core call on a small input (SPEC section 8: the UI never waits forever). */
export const CALL_BUDGET_MS = 30_000;
/**
 * Time budget of the calls that run the password hashing of a PKCS#12 file (unlock, backup
 * export): up to the core's MAX_ITERATIONS per hashing, several hashings in one file, on a
 * slow device.
 */
export const KEY_CALL_BUDGET_MS = 120_000;
/**
 * Extra budget per MiB of input (message bytes, attachments): opening a 25 MiB message takes
 * about half a second in Chromium (bench/RESULTS.md), so 25 MiB get 50 s more, a hundredfold margin.
 */
export const BUDGET_MS_PER_MIB = 2_000;

const KEY_METHODS: ReadonlySet<Method> = new Set<Method>(['unlock', 'exportBackup']);

/** The bytes of a call's input: byte arrays, and strings (base64 attachments inside a draft). */
function inputBytes(v: unknown, depth = 0): number {
  if (v instanceof Uint8Array) return v.byteLength;
  if (typeof v === 'string') return v.length;
  if (depth > 4 || v === null || typeof v !== 'object') return 0;
  let n = 0;
  for (const x of Array.isArray(v) ? v : Object.values(v)) n += inputBytes(x, depth + 1);
  return n;
}

/** The time budget of a call: by kind of operation, plus BUDGET_MS_PER_MIB for its input size. */
export function budgetFor(method: Method, params: unknown): number {
  if (isTestMethod(method)) {
    const asked = (params as { budgetMs?: unknown } | null)?.budgetMs;
    if (typeof asked === 'number' && asked > 0) return asked;
  }
  const base = KEY_METHODS.has(method) ? KEY_CALL_BUDGET_MS : CALL_BUDGET_MS;
  return base + Math.ceil((inputBytes(params) / (1024 * 1024)) * BUDGET_MS_PER_MIB);
}

/** Why the engine was restarted (the `restarted` event's detail). */
export interface RestartInfo {
  reason: 'crashed' | 'timeout' | 'error';
  method: string | null;
}

/** Set only by a test's init script before the page loads (see CoreApi's test hooks). */
function testHooks(): boolean {
  return (globalThis as { __cachetTestHooks?: unknown }).__cachetTestHooks === true;
}

interface Call {
  id: number;
  method: Method;
  params: unknown;
  transfer: ArrayBuffer[];
  resolve: (v: unknown) => void;
  reject: (e: CoreFailure) => void;
}

function restartError(info: RestartInfo, detail: string | undefined, budgetMs?: number): CoreError {
  const again = 'Your certificates were locked: unlock them again (Certificates), then try again.';
  if (info.reason === 'timeout') {
    return {
      code: WORKER_ERRORS.timeout,
      message: `The S/MIME engine took longer than ${Math.round((budgetMs ?? 0) / 1000)} seconds and was restarted.`,
      hint: again,
      ...(detail ? { detail } : {}),
    };
  }
  return {
    code: WORKER_ERRORS.crashed,
    message: 'The S/MIME engine stopped unexpectedly and was restarted.',
    hint: `${again} If it happens again with the same message or file, please report it.`,
    ...(detail ? { detail } : {}),
  };
}

/**
 * The core worker behind a promise API. Calls go to the worker one at a time (the worker
 * runs them in order anyway), so each call's budget counts from when the worker starts it.
 * Events: `restarted` (CustomEvent<RestartInfo>) after the worker was replaced.
 */
export class CoreClient extends EventTarget {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly queue: Call[] = [];
  private running: { call: Call; timer: ReturnType<typeof setTimeout>; budget: number } | null = null;
  /** How many workers were started (a fresh one after each restart). */
  generation = 0;

  constructor() {
    super();
    // Tests reach the client (and its test-only methods) here; nothing sets the flag otherwise.
    if (testHooks()) (globalThis as { __cachetCore?: CoreClient }).__cachetCore = this;
  }

  /** Call a core operation. Byte arrays are transferred, not copied: do not reuse them afterwards. */
  call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
    const id = this.nextId++;
    if (isTestMethod(method) && !testHooks()) {
      return Promise.reject(new CoreFailure({ code: WORKER_ERRORS.unknownMethod, message: 'This operation is not available.', hint: '', detail: method }));
    }
    const transfer = [...new Set(Object.values(params as object)
      .filter((v): v is Uint8Array => v instanceof Uint8Array)
      .map((v) => v.buffer as ArrayBuffer))];
    return new Promise<Result<M>>((resolve, reject) => {
      this.queue.push({ id, method, params, transfer, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  version(): Promise<string> {
    return this.call('version', {});
  }

  certSummary(bytes: Uint8Array): Promise<CertFacts[]> {
    return this.call('certSummary', { bytes });
  }

  private start(): Worker {
    const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'cachet-core' });
    w.addEventListener('message', (ev: MessageEvent<Reply>) => {
      if (w === this.worker) this.settle(ev.data);
    });
    w.addEventListener('error', (ev) => {
      ev.preventDefault();
      if (w === this.worker) this.restart({ reason: 'error', method: this.running?.call.method ?? null }, ev.message || 'worker error');
    });
    w.addEventListener('messageerror', () => {
      if (w === this.worker) this.restart({ reason: 'error', method: this.running?.call.method ?? null }, 'a reply could not be read');
    });
    if (testHooks()) w.postMessage({ testHooks: true });
    this.generation++;
    return w;
  }

  private pump(): void {
    if (this.running !== null) return;
    const call = this.queue.shift();
    if (!call) return;
    this.worker ??= this.start();
    const budget = budgetFor(call.method, call.params);
    const timer = setTimeout(() => this.restart({ reason: 'timeout', method: call.method }, `${call.method} ran past its budget of ${budget} ms`, budget), budget);
    this.running = { call, timer, budget };
    try {
      this.worker.postMessage({ id: call.id, method: call.method, params: call.params }, call.transfer);
    } catch (e) {
      clearTimeout(timer);
      this.running = null;
      call.reject(new CoreFailure({ code: 'internal', message: 'The request could not be given to the S/MIME engine.', hint: 'Try again.', detail: String(e) }));
      this.pump();
    }
  }

  private settle(reply: Reply): void {
    // A trap reported by the worker (for this call or outside any call): never reuse that instance.
    if (!reply.ok && reply.error.code === WORKER_ERRORS.crashed) {
      this.restart({ reason: 'crashed', method: this.running?.call.method ?? null }, reply.error.detail);
      return;
    }
    const r = this.running;
    if (!r || r.call.id !== reply.id) return;
    clearTimeout(r.timer);
    this.running = null;
    if (reply.ok) r.call.resolve(reply.result);
    else r.call.reject(new CoreFailure(reply.error));
    this.pump();
  }

  /** End the worker (its memory and keys with it), fail every waiting call, let the next call start a fresh one. */
  private restart(info: RestartInfo, detail?: string, budgetMs?: number): void {
    this.worker?.terminate();
    this.worker = null;
    const r = this.running;
    this.running = null;
    if (r) clearTimeout(r.timer);
    // Calls still queued were made against the old instance (its handles are gone): fail them too.
    const waiting = [...(r ? [r.call] : []), ...this.queue.splice(0)];
    const error = restartError(info, detail, budgetMs ?? r?.budget);
    for (const c of waiting) c.reject(new CoreFailure(error));
    this.dispatchEvent(new CustomEvent<RestartInfo>('restarted', { detail: info }));
  }
}
