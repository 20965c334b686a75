// The actions shared by the upkeep panel and the troubleshooter (issue 19): send the
// key-exchange request or the renewal announcement (the core writes and signs them, the host
// sends the bytes), work out who still has the user's old certificate, check expiry reminders
// (time is an argument), and the slot where certificate finders (SMIMEA over DNS, mailbox
// harvesting) plug in when a build has them.
import type { CoreClient } from '../core/client';
import type { Host } from '../hosts/host';
import { dueReminders, type Exchange, keeping, type Reminder, reminderText } from '../keyring/keeping';
import type { Session } from '../keyring/session';
import { currentCert, store } from '../keyring/store';
import { messageId, rfc5322Date } from './host-compose';

/** Whether this host can send the mails Cachet writes (request, announcement). */
export function canSend(host: Host): boolean {
  return typeof host.sendMime === 'function';
}

async function signerFor(session: Session, from: string): Promise<{ handle: number; id: string; address: string }> {
  const signer = await session.signer(from || undefined);
  if (!signer) throw new Error(`Unlock your certificate${from ? ` for ${from}` : ''} first (Certificates tab).`);
  const address = from || signer.record.facts[0]?.emails[0] || '';
  return { handle: signer.handle, id: signer.record.id, address };
}

/** The signed key-exchange request to `address` (SPEC section 6), recorded as pending. */
export async function sendRequest(core: CoreClient, session: Session, host: Host, address: string, from = '', now = Date.now()): Promise<Exchange> {
  if (!host.sendMime) throw new Error('This mail program cannot send messages built by Cachet.');
  const s = await signerFor(session, from);
  const mime = await core.call('requestMail', { handle: s.handle, options: { to: address, from: s.address, at: Math.floor(now / 1000), date: rfc5322Date(new Date(now)), messageId: messageId(s.address) } });
  await host.sendMime(mime);
  await keeping.recordSent([address], s.id);
  return keeping.requestSent(address, s.address, now);
}

/** One signed "my new certificate" announcement per contact (no contact sees the others). */
export async function sendAnnouncement(core: CoreClient, session: Session, host: Host, from: string, to: string[], now = Date.now()): Promise<number> {
  if (!host.sendMime) throw new Error('This mail program cannot send messages built by Cachet.');
  const s = await signerFor(session, from);
  for (const address of to) {
    const mime = await core.call('requestMail', { handle: s.handle, options: { to: address, from: s.address, kind: 'renewal', at: Math.floor(now / 1000), date: rfc5322Date(new Date(now)), messageId: messageId(s.address) } });
    await host.sendMime(mime);
    await keeping.recordSent([address], s.id);
  }
  return to.length;
}

export interface Candidate {
  address: string;
  /** 'old': Cachet sent them mail signed with an older certificate of yours; 'unknown': a stored contact Cachet never sent signed mail to. */
  has: 'old' | 'unknown';
}

/**
 * Who should get the announcement for the current identity of `from`: correspondents whose
 * last signed mail from the user carried an older certificate, then stored contacts Cachet has
 * no record of (they may have it from elsewhere). Those who already have the current one are left out.
 */
export async function announcementCandidates(from: string): Promise<Candidate[]> {
  const ids = await store.identities();
  const mine = ids.filter((r) => (r.facts[0]?.emails ?? []).includes(from.toLowerCase()));
  const current = mine.filter((r) => !r.retired).sort((a, b) => ((b.facts[0]?.not_after ?? '') > (a.facts[0]?.not_after ?? '') ? 1 : -1))[0];
  const older = new Set(mine.filter((r) => r !== current).map((r) => r.id));
  const sent = await keeping.sentWith();
  const out: Candidate[] = [];
  for (const [address, sha] of Object.entries(sent)) if (older.has(sha)) out.push({ address, has: 'old' });
  for (const c of await store.contacts()) if (!(c.address in sent) && c.address !== from.toLowerCase()) out.push({ address: c.address, has: 'unknown' });
  return out;
}

/** What Cachet knows about why `address` may not read the user's mail. */
export async function readerProblem(address: string): Promise<{ theirs: 'none' | 'expired' | 'ok'; theirNotAfter?: string; mine: 'old' | 'current' | 'unknown'; myAddress?: string }> {
  const a = address.trim().toLowerCase();
  const cur = currentCert(await store.contact(a));
  const theirs = !cur ? 'none' : new Date(cur.notAfter).getTime() < Date.now() ? 'expired' : 'ok';
  const sent = (await keeping.sentWith())[a];
  const ids = await store.identities();
  const rec = ids.find((r) => r.id === sent);
  const mine = !rec ? 'unknown' : rec.retired ? 'old' : 'current';
  const myAddress = rec?.facts[0]?.emails[0];
  return { theirs, ...(cur ? { theirNotAfter: cur.notAfter } : {}), mine, ...(myAddress ? { myAddress } : {}) };
}

/**
 * The reminders due at `now`; each one not yet shown goes to the host's own notification
 * surface once (when it has one) and is remembered as shown.
 */
export async function checkReminders(host: Host, now: number): Promise<Reminder[]> {
  const due = dueReminders(await store.identities(), await keeping.remindersShown(), now);
  for (const r of due.filter((d) => d.fresh)) {
    const t = reminderText(r);
    // Without a notification surface the banner is the reminder. A host that could not show it
    // now (Outlook with no item open) is asked again next time.
    const shown = host.notify ? await host.notify({ id: `cachet-expiry-${r.identityId.replace(/[^0-9A-Fa-f]/g, '').slice(0, 16)}`, ...t }).catch(() => false) : true;
    if (shown) await keeping.markShown(r.identityId, r.stage);
  }
  return due;
}

/**
 * A way to find a recipient's certificate without asking them (SMIMEA over DNS, a directory,
 * the user's mailbox). Built elsewhere; a build registers its finders here and the
 * troubleshooter offers them beside the request mail.
 */
export interface CertificateFinder {
  /** Button text, e.g. "Look it up in DNS (SMIMEA)". */
  label: string;
  /** Find and store certificates for `address`; resolves to a sentence for the user. */
  find(address: string): Promise<string>;
}

const finders: CertificateFinder[] = [];

export function registerCertificateFinder(f: CertificateFinder): void {
  finders.push(f);
}

export function certificateFinders(): readonly CertificateFinder[] {
  return finders;
}
