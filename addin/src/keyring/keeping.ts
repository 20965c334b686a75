// What Cachet keeps to help the user keep their certificates working (issue 19), in the
// settings store of IndexedDB (records "footers", "exchanges", "reminders", "sent-with"):
// - footers: the signed footer of each of the user's addresses (legal text, contact details),
//   which the core writes into the body inside the signature (Draft.footer);
// - exchanges: the key-exchange requests sent (pending until a valid signed mail from that
//   address is opened, then ready; or cancelled);
// - reminders: the last expiry reminder shown per identity (30, 14, 7 days, 0 = expired), so
//   each is shown once in the host's notification surface;
// - sent-with: per correspondent, the fingerprint of the user's certificate that last signed
//   mail to them (so a renewal knows who still has the old certificate).
// Time is always an argument (milliseconds since 1970): tests control the clock.
import { db } from './db';

/** Days before an own certificate's end at which a reminder is shown (and 0: it has expired). */
export const REMINDER_DAYS = [30, 14, 7] as const;
/** The longest footer the settings accept (the core's `compose::MAX_FOOTER`, 16 KiB). */
export const MAX_FOOTER = 16 * 1024;
/** Most key-exchange requests kept (oldest finished ones dropped first). */
export const MAX_EXCHANGES = 500;

const DAY = 86_400_000;

export type ExchangeState = 'pending' | 'ready' | 'cancelled';

export interface Exchange {
  /** The contact asked (lower case). */
  address: string;
  /** The user's address the request was sent from. */
  from: string;
  /** ISO times: first request, last request (remind), answer. */
  sentAt: string;
  lastSentAt: string;
  sends: number;
  state: ExchangeState;
  readyAt?: string;
}

export interface Reminder {
  identityId: string;
  address: string;
  notAfter: string;
  /** Whole days left (negative once expired). */
  daysLeft: number;
  /** 30, 14 or 7; 0 once expired. */
  stage: number;
}

/** The identity facts reminders need (a subset of store.ts's IdentityRecord). */
export interface IdentityLike {
  id: string;
  retired: boolean;
  facts: { emails: string[]; not_after: string; not_before?: string }[];
}

/** The reminder stage at `now`: 30, 14 or 7 days before `notAfter`, 0 after it, null earlier. */
export function reminderStage(notAfter: string, now: number): number | null {
  const left = new Date(notAfter).getTime() - now;
  if (!Number.isFinite(left)) return null;
  if (left < 0) return 0;
  const days = left / DAY;
  const stages = REMINDER_DAYS.filter((d) => days <= d);
  return stages.length ? Math.min(...stages) : null;
}

/**
 * The reminders due at `now` for the user's identities: one per identity in use (not retired,
 * and not already replaced by a newer identity for the same address) whose stage is reached.
 * `shown` holds the stage last shown per identity: `fresh` marks those not shown yet (the host
 * notifies those once; the pane lists every due reminder).
 */
export function dueReminders(ids: IdentityLike[], shown: Record<string, number>, now: number): (Reminder & { fresh: boolean })[] {
  const out: (Reminder & { fresh: boolean })[] = [];
  for (const r of ids) {
    const leaf = r.facts[0];
    if (r.retired || !leaf) continue;
    const renewed = ids.some((o) => o.id !== r.id && !o.retired && (o.facts[0]?.not_after ?? '') > leaf.not_after && (o.facts[0]?.emails ?? []).some((e) => leaf.emails.includes(e)));
    if (renewed) continue;
    const stage = reminderStage(leaf.not_after, now);
    if (stage === null) continue;
    const before = shown[r.id];
    out.push({
      identityId: r.id,
      address: leaf.emails[0] ?? '',
      notAfter: leaf.not_after,
      daysLeft: Math.floor((new Date(leaf.not_after).getTime() - now) / DAY),
      stage,
      fresh: before === undefined || stage < before,
    });
  }
  return out;
}

/** The words of a reminder. */
export function reminderText(r: Reminder): { title: string; message: string } {
  const date = r.notAfter.slice(0, 10);
  if (r.stage === 0) return { title: 'Your certificate has expired', message: `Your certificate for ${r.address} expired on ${date}. Renew it to sign mail and receive encrypted mail again.` };
  const days = r.daysLeft <= 0 ? 'today' : `in ${r.daysLeft} day${r.daysLeft === 1 ? '' : 's'}`;
  return { title: 'Your certificate expires soon', message: `Your certificate for ${r.address} expires ${days} (${date}). Renew it now: Cachet guides you.` };
}

/** The footer as the settings keep it: line breaks normalised, at most MAX_FOOTER bytes. */
export function cleanFooter(text: string): string {
  const t = text.replace(/\r\n?/g, '\n').replace(/\s+$/, '');
  if (new TextEncoder().encode(t).length > MAX_FOOTER) throw new Error(`The footer is too long (at most ${MAX_FOOTER / 1024} KiB).`);
  return t;
}

async function record<T>(key: string, fallback: T): Promise<T> {
  const r = await db.get<{ key: string; value: T }>('settings', key);
  return r?.value ?? fallback;
}

function put<T>(key: string, value: T): Promise<void> {
  return db.put('settings', { key, value });
}

const lower = (a: string) => a.trim().toLowerCase();

/** Fires "exchanges" when the key-exchange list changes in this page (the panels show it again). */
export const keepingEvents = new EventTarget();

async function putExchanges(list: Exchange[]): Promise<void> {
  await put('exchanges', list);
  keepingEvents.dispatchEvent(new Event('exchanges'));
}

export const keeping = {
  /** Footers by address. */
  footers: () => record<Record<string, string>>('footers', {}),
  async footer(address: string): Promise<string> {
    return (await keeping.footers())[lower(address)] ?? '';
  },
  async setFooter(address: string, text: string): Promise<string> {
    const clean = cleanFooter(text);
    const all = await keeping.footers();
    if (clean === '') delete all[lower(address)];
    else all[lower(address)] = clean;
    await put('footers', all);
    return clean;
  },

  exchanges: () => record<Exchange[]>('exchanges', []),
  /** A request was sent (again) to `address`: pending (a reminder counts a send). */
  async requestSent(address: string, from: string, now: number): Promise<Exchange> {
    const all = await keeping.exchanges();
    const at = new Date(now).toISOString();
    const old = all.find((e) => e.address === lower(address) && e.state === 'pending');
    const next: Exchange = old ? { ...old, lastSentAt: at, sends: old.sends + 1 } : { address: lower(address), from: lower(from), sentAt: at, lastSentAt: at, sends: 1, state: 'pending' };
    const rest = all.filter((e) => e !== old && !(e.address === next.address && e.state !== 'pending'));
    const kept = [next, ...rest];
    // Drop the oldest finished exchanges first when there are too many.
    while (kept.length > MAX_EXCHANGES) {
      const i = kept.map((e) => e.state !== 'pending').lastIndexOf(true);
      kept.splice(i >= 0 ? i : kept.length - 1, 1);
    }
    await putExchanges(kept);
    return next;
  },
  /** A valid signed mail from `address` was read: its pending request is now ready (returned), else null. */
  async signedMailFrom(address: string, now: number): Promise<Exchange | null> {
    const all = await keeping.exchanges();
    const e = all.find((x) => x.address === lower(address) && x.state === 'pending');
    if (!e) return null;
    e.state = 'ready';
    e.readyAt = new Date(now).toISOString();
    await putExchanges(all);
    return e;
  },
  async cancelExchange(address: string): Promise<void> {
    const all = await keeping.exchanges();
    for (const e of all) if (e.address === lower(address) && e.state === 'pending') e.state = 'cancelled';
    await putExchanges(all);
  },

  remindersShown: () => record<Record<string, number>>('reminders', {}),
  async markShown(identityId: string, stage: number): Promise<void> {
    const all = await keeping.remindersShown();
    all[identityId] = stage;
    await put('reminders', all);
  },

  /** Correspondent address → SHA-256 of the user's certificate that last signed mail to them. */
  sentWith: () => record<Record<string, string>>('sent-with', {}),
  async recordSent(addresses: string[], certSha256: string): Promise<void> {
    if (!certSha256 || addresses.length === 0) return;
    const all = await keeping.sentWith();
    for (const a of addresses) if (a.includes('@')) all[lower(a)] = certSha256;
    await put('sent-with', all);
  },
};
