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
  /**
   * The Wasm instance trapped (a bug in the core), or the worker failed: the client ends that
   * worker and the next request runs in a fresh one (unlocked identities are locked).
   */
  crashed: 'core-crashed',
  /** A call ran past its time budget (client.ts): the worker was ended as for a crash. */
  timeout: 'core-timeout',
  /** A method name the worker does not know (UI and worker from different builds). */
  unknownMethod: 'unknown-method',
} as const;

import type {
  CertFacts,
  Draft,
  FoundCertificate,
  MessageView,
  OpenOptions,
  OpenReport,
  RecipientOptions,
  RecipientStatus,
  RequestOptions,
  SmimeaLookup,
  SmimeaQuery,
  Policy,
  EncryptionChoice,
  LearnedCapabilities,
} from './generated';

// The request and report types are generated from the core's Rust types (generated.ts,
// kept current by the core's test `typescript_is_current`); only the shell's own types
// are declared here.
export type * from './generated';

/** The result of opening a message: the core's report and the innermost content. */
export interface Opened {
  report: OpenReport;
  content: Uint8Array | null;
}

/** What this build of the core can do (operations that land later are detected, not assumed). */
export interface Features {
  encrypt: boolean;
}

/** Every operation of the core: its parameters and its result. */
export interface CoreApi {
  version: { params: Record<string, never>; result: string };
  features: { params: Record<string, never>; result: Features };
  certSummary: { params: { bytes: Uint8Array }; result: CertFacts[] };
  /** The certificates of a file with their DER (base64), ready to store. */
  certImport: { params: { bytes: Uint8Array }; result: FoundCertificate[] };
  /** Unlock a PKCS#12 (the user's file, or a stored encrypted backup) into the worker's keyring. */
  unlock: { params: { p12: Uint8Array; password: string }; result: number };
  lock: { params: { handle: number }; result: void };
  lockAll: { params: Record<string, never>; result: void };
  /** Facts of an unlocked identity's certificate and chain, leaf first. */
  certificates: { params: { handle: number }; result: CertFacts[] };
  /** Facts of an unlocked identity's separate encryption certificate, or null when its certificate does both. */
  encryptionCertificate: { params: { handle: number }; result: CertFacts | null };
  /** Join an unlocked signing-only identity and an encryption one for the same address (either order); the new handle replaces both. */
  pairIdentities: { params: { first: number; second: number }; result: number };
  /** `policy`: the algorithm policy (absent: the standard one, SPEC section 4), as for encrypt and open. */
  sign: { params: { handle: number; mime: Uint8Array; opaque: boolean; at: number; policy?: Partial<Policy> }; result: Uint8Array };
  /** Sign (optional, with the sender's identity) then encrypt to the recipients' certificates (base64 DER) and the sender's own. */
  encrypt: {
    params: { handle: number | null; mime: Uint8Array; recipients: string[]; capabilities?: (LearnedCapabilities | null)[]; sign: boolean; at: number; policy?: Partial<Policy>; opaque?: boolean; tripleWrap?: boolean };
    result: Uint8Array;
  };
  /** What `encrypt` with the same recipients and capabilities will use, and why (per recipient and the sender's own copy). */
  encryptionChoice: {
    params: { handle: number | null; recipients: string[]; capabilities: (LearnedCapabilities | null)[]; at: number; policy?: Partial<Policy> };
    result: EncryptionChoice;
  };
  /** The status of each recipient (SPEC section 3) from the stored contacts and anchors. */
  recipientStatus: { params: { options: RecipientOptions }; result: RecipientStatus[] };
  /** The signed key-exchange request mail, or the renewal announcement (SPEC section 6). */
  requestMail: { params: { handle: number; options: RequestOptions & { at: number } }; result: Uint8Array };
  /** Open with every unlocked identity available for decryption. */
  open: { params: { mime: Uint8Array; options: OpenOptions }; result: Opened };
  exportBackup: { params: { handle: number; password: string }; result: Uint8Array };
  composeMessage: { params: { draft: Draft }; result: Uint8Array };
  viewMessage: { params: { bytes: Uint8Array }; result: MessageView };
  /**
   * What the read pane shows, in one call, so that the message crosses to the worker once:
   * `open` (`report`, `content`), `viewMessage` of the content when there is one (`view`), and
   * of the message itself (`outer`): its parts only when there is no content or the status is
   * `partially-signed` (where the read pane shows them), else only its header fields
   * (`viewHeaders`) with no parts. The message comes back as `mime`.
   */
  read: { params: { mime: Uint8Array; options: OpenOptions }; result: { outer: MessageView; report: OpenReport; content: Uint8Array | null; view: MessageView | null; mime: Uint8Array } };
  /** The wrapper of an encrypted draft (the draft as message/rfc822, only From and a marker outside), to encrypt to the sender. */
  draftMessage: { params: { draft: Draft }; result: Uint8Array };
  /** The encrypted draft as it is stored: only From, Date, Message-ID, the fixed Subject and the marker outside. */
  draftStored: { params: { bytes: Uint8Array }; result: Uint8Array };
  /** Whether a stored message is one of Cachet's encrypted drafts (its marker field). */
  isDraft: { params: { bytes: Uint8Array }; result: boolean };
  /** The fields of a draft from the content `open` gave after decrypting it. */
  readDraft: { params: { content: Uint8Array }; result: Draft };
  /** The decoded bytes of the leaf at `path` (a MessageView part path), to save an attachment. */
  partBytes: { params: { bytes: Uint8Array; path: string }; result: Uint8Array };
  /** The DNS-over-HTTPS query for an address's SMIMEA records (RFC 8162). */
  smimeaQuery: { params: { address: string }; result: SmimeaQuery };
  /** Read the resolver's answer to `smimeaQuery` (the accepted certificates, rejected records, the AD bit). */
  smimeaRead: { params: { address: string; response: Uint8Array; at: number }; result: SmimeaLookup };
  /**
   * Test hooks (tests/e2e): handled only by a worker whose page set `__cachetTestHooks`
   * before loading (a test's init script); never called by the UI, unreachable from mail.
   * debugTrap throws as a Wasm trap does, debugHang never settles, debugInstance names the
   * worker instance.
   */
  debugTrap: { params: { budgetMs?: number }; result: void };
  debugHang: { params: { budgetMs?: number }; result: void };
  debugInstance: { params: Record<string, never>; result: string };
}

/** The test-only methods (see CoreApi). */
export const TEST_METHODS: readonly Method[] = ['debugTrap', 'debugHang', 'debugInstance'];
export function isTestMethod(m: string): boolean {
  return (TEST_METHODS as readonly string[]).includes(m);
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

/** Turn whatever the Wasm export threw into a CoreError (the core throws `{code, message, hint, detail?}`). */
export function toCoreError(thrown: unknown): CoreError {
  if (thrown !== null && typeof thrown === 'object' && !(thrown instanceof Error)) {
    const e = thrown as Partial<Record<keyof CoreError, unknown>>;
    if (typeof e.code === 'string' && typeof e.message === 'string') {
      return { code: e.code, message: e.message, hint: typeof e.hint === 'string' ? e.hint : '', ...(typeof e.detail === 'string' && e.detail ? { detail: e.detail } : {}) };
    }
  }
  if (typeof thrown === 'string') {
    return { code: 'internal', message: 'The S/MIME engine reported an unexpected problem.', hint: 'Try again; if it persists, report it.', detail: thrown };
  }
  return {
    code: WORKER_ERRORS.crashed,
    message: 'The S/MIME engine stopped unexpectedly.',
    hint: 'Try again; the engine has been restarted. If it happens again with the same file, please report it.',
    detail: thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown),
  };
}
