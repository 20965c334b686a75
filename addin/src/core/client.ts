// The promise API the UI uses to talk to the core worker.
import type { CertFacts, CoreError, Method, Params, Reply, Result } from './protocol';

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

export class CoreClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: CoreFailure) => void }>();

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'cachet-core' });
    this.worker.addEventListener('message', (ev: MessageEvent<Reply>) => this.settle(ev.data));
    this.worker.addEventListener('error', (ev) => this.failAll(ev.message || 'worker error'));
  }

  /** Call a core operation. Byte arrays are transferred, not copied: do not reuse them afterwards. */
  call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
    const id = this.nextId++;
    const transfer = [...new Set(Object.values(params as object)
      .filter((v): v is Uint8Array => v instanceof Uint8Array)
      .map((v) => v.buffer as ArrayBuffer))];
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, params }, transfer);
    });
  }

  version(): Promise<string> {
    return this.call('version', {});
  }

  certSummary(bytes: Uint8Array): Promise<CertFacts[]> {
    return this.call('certSummary', { bytes });
  }

  private settle(reply: Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(new CoreFailure(reply.error));
  }

  private failAll(detail: string): void {
    for (const [id, p] of this.pending) {
      p.reject(new CoreFailure({ code: 'core-unavailable', message: 'The S/MIME engine could not be started.', hint: 'Reload the page.', detail }));
      this.pending.delete(id);
    }
  }
}
