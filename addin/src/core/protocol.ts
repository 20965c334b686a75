// The typed request/reply protocol between the UI thread and the core worker.
// To expose a new core export: add one entry to `CoreApi` and one handler in worker.ts.

/** A failure reported by the core (or by the worker around it), as the UI shows it. */
export interface CoreError {
  /** Stable code from the core's error.rs (e.g. "bad-certificate"), or a worker code. */
  code: string;
  /** One sentence for the user. */
  message: string;
  /** What the user can do about it. */
  hint: string;
  /** Technical detail for support. */
  detail?: string;
}

/** Worker-side codes (the core's own codes come from crate/src/error.rs). */
export const WORKER_ERRORS = {
  /** The Wasm module could not be loaded. */
  unavailable: 'core-unavailable',
  /** The Wasm instance trapped (a bug in the core); it is reloaded for the next request. */
  crashed: 'core-crashed',
  /** A method name the worker does not know (UI and worker from different builds). */
  unknownMethod: 'unknown-method',
} as const;

/** Facts about one certificate, as returned by the core's `certSummary` (cert/facts.rs). */
export interface CertFacts {
  subject: string;
  common_name: string | null;
  emails: string[];
  issuer: string;
  /** Upper-case hex. */
  serial: string;
  /** RFC 3339, UTC. */
  not_before: string;
  not_after: string;
  key: { algorithm: string; bits: number | null; curve?: string };
  key_usage: string[] | null;
  extended_key_usage: string[] | null;
  is_ca: boolean;
  self_signed: boolean;
  signature_algorithm: string;
  /** Upper-case hex pairs separated by colons. */
  sha256: string;
  sha1: string;
  usable_for: { sign: boolean; encrypt: boolean; summary: string; reasons: string[] };
}

/** Every operation of the core: its parameters and its result. */
export interface CoreApi {
  version: { params: Record<string, never>; result: string };
  certSummary: { params: { bytes: Uint8Array }; result: CertFacts[] };
}

export type Method = keyof CoreApi;
export type Params<M extends Method> = CoreApi[M]['params'];
export type Result<M extends Method> = CoreApi[M]['result'];

export interface Request<M extends Method = Method> {
  id: number;
  method: M;
  params: Params<M>;
}

export type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: CoreError };

/** Turn whatever the Wasm export threw into a CoreError (the core throws a JSON string). */
export function toCoreError(thrown: unknown): CoreError {
  if (typeof thrown === 'string') {
    try {
      const e = JSON.parse(thrown) as Partial<CoreError>;
      if (typeof e.code === 'string' && typeof e.message === 'string') {
        return { code: e.code, message: e.message, hint: e.hint ?? '', ...(e.detail ? { detail: e.detail } : {}) };
      }
    } catch {
      // Not JSON: fall through.
    }
    return { code: 'internal', message: 'The S/MIME engine reported an unexpected problem.', hint: 'Try again; if it persists, report it.', detail: thrown };
  }
  return {
    code: WORKER_ERRORS.crashed,
    message: 'The S/MIME engine stopped unexpectedly.',
    hint: 'Try again; the engine has been restarted. If it happens again with the same file, please report it.',
    detail: thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown),
  };
}
