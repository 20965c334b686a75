// "Find certificates in my mail": scan Inbox and Sent for signed messages, verify each with
// the core, and store the certificates and capabilities of valid signers only (SPEC section 5:
// automatic only on `valid`). Host-agnostic: the host lists the candidates and gives their
// bytes (Host.signedCandidates / rawMessage, capabilities.searchMail); this module decides.
//  - Encrypted messages are not opened (that would decrypt the whole mailbox): skipped, with why.
//  - Every other verdict than `valid` is skipped with its reason; nothing of it is stored.
//  - Per address the newest valid certificate (latest notBefore, then notAfter) is kept; a
//    different certificate for a known contact is reported as `changed` for the user to
//    accept, never replaced silently (SPEC section 1).
// Bounded: at most HARVEST_MAX_MESSAGES messages per run; cancel stops after the message in
// hand, and what was verified so far is still stored (it is valid).
import type { CoreClient } from '../core/client';
import type { OpenReport, Status } from '../core/protocol';
import type { Host, MailRef } from '../hosts/host';
import { type LearnedCert, type LearnOutcome, Session } from './session';

/** Most messages looked at in one run (a named limit; the summary says when it was reached). */
export const HARVEST_MAX_MESSAGES = 5000;
/** How much of a message's start is read to tell signed from not signed before asking the core. */
const HEADER_PEEK = 64 * 1024;

export interface HarvestProgress {
  done: number;
  total: number;
  /** Signed messages found so far. */
  signed: number;
}

export interface HarvestSkip {
  reason: string;
  count: number;
  /** A few of the messages (subject and sender) for the user to recognise. */
  examples: string[];
}

export interface HarvestSummary {
  /** Messages looked at. */
  scanned: number;
  /** Signed messages among them. */
  found: number;
  stored: { address: string; sha256: string }[];
  /** Already stored, unchanged. */
  same: string[];
  /** A known contact's different certificate: accept or ignore (Session.learn with acceptChange). */
  changed: { outcome: Extract<LearnOutcome, { kind: 'changed' }>; caps: string[] }[];
  skipped: HarvestSkip[];
  cancelled: boolean;
  /** The run stopped at HARVEST_MAX_MESSAGES. */
  limited: boolean;
}

const SKIP_WORDS: Partial<Record<Status, string>> = {
  'valid-unknown-ca': 'the certificate’s issuer is not trusted here',
  tampered: 'changed after signing',
  'bad-signature': 'the signature is invalid',
  'address-mismatch': 'signed by another address than the sender’s',
  expired: 'the certificate has expired',
  'not-yet-valid': 'the certificate is not valid yet',
  'wrong-usage': 'the certificate is not meant for e-mail',
  'weak-algorithm': 'a weak algorithm was used',
  'partially-signed': 'only part of the message is signed',
  'no-signer': 'no signer',
  malformed: 'the message could not be read',
};

/** What the message's outer header says: S/MIME signed, encrypted, or neither. */
export function smimeKind(mime: Uint8Array): 'signed' | 'encrypted' | 'none' {
  const head = new TextDecoder('latin1').decode(mime.subarray(0, HEADER_PEEK));
  const end = head.search(/\r?\n\r?\n/);
  const header = (end < 0 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const ct = /^content-type:(.*)$/im.exec(header)?.[1]?.toLowerCase() ?? '';
  if (/multipart\/signed/.test(ct) && /pkcs7-signature/.test(ct)) return 'signed';
  if (/application\/(x-)?pkcs7-mime/.test(ct)) {
    if (/smime-type\s*=\s*"?(enveloped-data|authenveloped-data)/.test(ct)) return 'encrypted';
    if (/smime-type\s*=\s*"?signed-data/.test(ct)) return 'signed';
    // No smime-type: the core tells (it may be either); counted as signed if it verifies.
    return 'signed';
  }
  return 'none';
}

function better(a: LearnedCert, b: LearnedCert): boolean {
  if (a.facts.not_before !== b.facts.not_before) return a.facts.not_before > b.facts.not_before;
  return a.facts.not_after > b.facts.not_after;
}

export interface HarvestDeps {
  core: CoreClient;
  session: Session;
  host: Host;
}

/** Run the scan; `onProgress` after each message. Throws only when the host cannot list the mailbox. */
export async function harvestMail({ core, session, host }: HarvestDeps, signal: AbortSignal, onProgress: (p: HarvestProgress) => void = () => undefined): Promise<HarvestSummary> {
  if (!host.capabilities.searchMail || !host.signedCandidates || !host.rawMessage) throw new Error('This mail program does not let Cachet look through the mailbox.');
  const summary: HarvestSummary = { scanned: 0, found: 0, stored: [], same: [], changed: [], skipped: [], cancelled: false, limited: false };
  const skip = (reason: string, ref: MailRef) => {
    let s = summary.skipped.find((x) => x.reason === reason);
    if (!s) summary.skipped.push((s = { reason, count: 0, examples: [] }));
    s.count++;
    if (s.examples.length < 3) s.examples.push(`“${ref.subject || '(no subject)'}” from ${ref.from || 'unknown'} (${ref.folder})`);
  };
  const refs: MailRef[] = [];
  for await (const page of host.signedCandidates(signal)) {
    refs.push(...page);
    if (refs.length >= HARVEST_MAX_MESSAGES) {
      summary.limited = true;
      break;
    }
    if (signal.aborted) break;
  }
  refs.splice(HARVEST_MAX_MESSAGES);
  const options = await session.openOptions();
  const own = host.userAddress?.()?.trim().toLowerCase() ?? null;
  const best = new Map<string, { cert: LearnedCert; caps: string[] }>();
  for (const ref of refs) {
    if (signal.aborted) {
      summary.cancelled = true;
      break;
    }
    summary.scanned++;
    try {
      const mime = await host.rawMessage(ref.id);
      const kind = smimeKind(mime);
      if (kind === 'encrypted') {
        skip('encrypted: open it to check the signature inside', ref);
        continue;
      }
      if (kind === 'none') {
        skip('not signed', ref);
        continue;
      }
      const report: OpenReport = (await core.call('open', { mime, options })).report;
      if (report.status === 'unsigned') {
        skip('not signed', ref);
        continue;
      }
      summary.found++;
      if (report.status !== 'valid') {
        skip(SKIP_WORDS[report.status] ?? report.status, ref);
        continue;
      }
      const caps = report.layers.flatMap((l) => l.signers ?? []).find((s) => s.status === 'valid')?.smime_capabilities ?? [];
      for (const cert of await session.learnable(report)) {
        // Your own signed mail (Sent Items): your certificate is yours, not a contact's.
        if (own !== null && cert.address === own) {
          skip('your own signature (your certificates are under My certificates)', ref);
          continue;
        }
        const have = best.get(cert.address);
        if (!have || better(cert, have.cert)) best.set(cert.address, { cert, caps });
      }
    } catch (e) {
      skip(`could not be read or checked (${e instanceof Error ? e.message : String(e)})`, ref);
    } finally {
      onProgress({ done: summary.scanned, total: refs.length, signed: summary.found });
    }
  }
  for (const { cert, caps } of best.values()) {
    const outcome = await session.learn(cert, caps);
    if (outcome.kind === 'stored') summary.stored.push({ address: cert.address, sha256: cert.facts.sha256 });
    else if (outcome.kind === 'same') summary.same.push(cert.address);
    else if (outcome.kind === 'changed') summary.changed.push({ outcome, caps });
  }
  return summary;
}
