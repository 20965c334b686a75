// The records Cachet keeps in IndexedDB, and the only code that reads or writes them:
// - identities: the user's certificate facts (public) and the private key ONLY as the core's
//   encrypted PKCS#12 backup (exportBackup: AES-256-CBC, PBKDF2-SHA-256 with 600 000
//   iterations, HMAC-SHA-256 MAC) under the user's passphrase. Neither the passphrase nor an
//   unencrypted key is ever stored; unlocking hands the backup and passphrase to the core.
// - contacts: their certificates by address, with history (previous certificates are kept
//   and marked) and the capabilities they advertised.
// - anchors: trusted roots (kind 'root': every certificate they issue is trusted) and pinned
//   certificates (kind 'pin': only that certificate, for the addresses it names; never an issuer).
//   The core gets them apart: roots as `trust`, pins as `pins`.
// - settings: idle timeout, the wrong-passphrase counter; (record "keyHistory") the certificates
//   of deleted identities, marked as in a backup or gone, so that mail encrypted to them can be
//   explained ("which key do I need"); and (record "decrypted") the SHA-256
//   of the Message-IDs of the last MAX_DECRYPTED_IDS messages decrypted here, so that a reply
//   written in the host's own compose window is known to answer encrypted mail.
// Nothing here goes to localStorage, logs or URLs.
import type { CertFacts, KeyState, KnownKey } from '../core/protocol';
import { db } from './db';

export interface IdentityRecord {
  /** SHA-256 fingerprint of the certificate. */
  id: string;
  /** The certificate and its chain, leaf first (public facts). */
  facts: CertFacts[];
  /** The core's encrypted PKCS#12 backup under the user's passphrase. */
  backup: Uint8Array;
  added: string;
  /** Replaced by a newer identity; kept to decrypt old mail, not used to sign. */
  retired: boolean;
  /**
   * A separate encryption certificate (its key is in `backup` too, beside the signing key);
   * absent when the certificate of `facts` does both.
   */
  encryption?: CertFacts;
  /** A backup of it was exported (so its key can be restored after deleting it here). */
  backedUp?: boolean;
}

/** A certificate of the user's key history as the core matches it ("which key do I need"). */
export function knownKey(f: CertFacts, state: KeyState): KnownKey {
  return { subject: f.subject, issuer: f.issuer, serial: f.serial, ...(f.subject_key_id ? { subject_key_id: f.subject_key_id } : {}), not_after: f.not_after, state };
}

/** How many certificates of deleted identities the key history keeps (oldest dropped first). */
export const MAX_DELETED_KEYS = 100;

/** The certificate mail to this identity is encrypted to (the sender's own copy). */
export function encryptionFacts(r: IdentityRecord): CertFacts | undefined {
  return r.encryption ?? r.facts[0];
}

/** Whether mail can be encrypted to this identity (else the sender's own copy is unreadable). */
export function canReceiveEncrypted(r: IdentityRecord): boolean {
  return encryptionFacts(r)?.usable_for?.encrypt !== false;
}

export interface ContactCert {
  sha256: string;
  der: string;
  subject: string;
  issuer: string;
  notAfter: string;
  firstSeen: string;
  /** The certificate in use for this address; older ones stay as history. */
  current: boolean;
}

export interface ContactRecord {
  address: string;
  certs: ContactCert[];
  capabilities: string[];
  /** signingTime (RFC 3339, UTC) of the signed mail the capabilities came from, when it had one. */
  capabilitiesAt?: string;
  /** SHA-256 of the certificate that signed that mail. */
  capabilitiesCert?: string;
  updated: string;
}

export interface AnchorRecord {
  sha256: string;
  der: string;
  label: string;
  /** A trusted root (any certificate it issues) or one pinned certificate. */
  kind: 'root' | 'pin';
  notAfter: string;
  added: string;
}

export interface Settings {
  idleMinutes: number;
  failedUnlocks: number;
  /** Epoch milliseconds before which unlocking is refused (rate limit). */
  unlockBlockedUntil: number;
}

/** How many Message-IDs of decrypted messages are remembered (as SHA-256, oldest dropped first). */
export const MAX_DECRYPTED_IDS = 500;

/** A Message-ID as remembered: SHA-256 hex of the id without its angle brackets and spaces. */
async function idHash(messageId: string): Promise<string> {
  const bare = messageId.trim().replace(/^<|>$/g, '').trim();
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(bare));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The Message-IDs in an In-Reply-To or References field. */
export function messageIds(field: string | null | undefined): string[] {
  return field ? [...field.matchAll(/<[^<>\s]+>/g)].map((m) => m[0]) : [];
}

const DEFAULT_SETTINGS: Settings = { idleMinutes: 15, failedUnlocks: 0, unlockBlockedUntil: 0 };

export const store = {
  identities: () => db.all<IdentityRecord>('identities'),
  putIdentity: (r: IdentityRecord) => db.put('identities', r),
  deleteIdentity: (id: string) => db.delete('identities', id),

  contacts: () => db.all<ContactRecord>('contacts'),
  contact: (address: string) => db.get<ContactRecord>('contacts', address.toLowerCase()),
  putContact: (r: ContactRecord) => db.put('contacts', { ...r, address: r.address.toLowerCase() }),
  deleteContact: (address: string) => db.delete('contacts', address.toLowerCase()),

  anchors: () => db.all<AnchorRecord>('anchors'),
  putAnchor: (r: AnchorRecord) => db.put('anchors', r),
  deleteAnchor: (sha256: string) => db.delete('anchors', sha256),

  async settings(): Promise<Settings> {
    const s = await db.get<Settings & { key: string }>('settings', 'settings');
    return { ...DEFAULT_SETTINGS, ...(s ?? {}) };
  },
  async putSettings(s: Settings): Promise<void> {
    await db.put('settings', { key: 'settings', ...s });
  },

  /** The certificates of deleted identities (their key is in a backup, or gone). */
  async deletedKeys(): Promise<KnownKey[]> {
    const r = await db.get<{ key: string; keys: KnownKey[] }>('settings', 'keyHistory');
    return r?.keys ?? [];
  },
  /** Remember the certificates of an identity being deleted, for "which key do I need". */
  async rememberDeleted(keys: KnownKey[]): Promise<void> {
    const r = await db.get<{ key: string; keys: KnownKey[] }>('settings', 'keyHistory');
    const kept = (r?.keys ?? []).filter((k) => !keys.some((n) => n.serial === k.serial && n.issuer === k.issuer));
    await db.put('settings', { key: 'keyHistory', keys: [...kept, ...keys].slice(-MAX_DELETED_KEYS) });
  },

  /** Remember that the message with this Message-ID was decrypted here. */
  async markDecrypted(messageId: string): Promise<void> {
    if (messageId.trim() === '') return;
    const h = await idHash(messageId);
    const r = await db.get<{ key: string; ids: string[] }>('settings', 'decrypted');
    const ids = [...(r?.ids ?? []).filter((x) => x !== h), h].slice(-MAX_DECRYPTED_IDS);
    await db.put('settings', { key: 'decrypted', ids });
  },
  /** Whether any of these Message-IDs names a message decrypted here. */
  async anyDecrypted(messageIdList: string[]): Promise<boolean> {
    if (messageIdList.length === 0) return false;
    const r = await db.get<{ key: string; ids: string[] }>('settings', 'decrypted');
    const known = new Set(r?.ids ?? []);
    for (const id of messageIdList) if (known.has(await idHash(id))) return true;
    return false;
  },
};

/** The trusted roots (which issue) and the pinned certificates (never issuers) among `anchors`, as the core takes them. */
export function anchorDers(anchors: AnchorRecord[]): { trust: string[]; pins: string[] } {
  return { trust: anchors.filter((a) => a.kind === 'root').map((a) => a.der), pins: anchors.filter((a) => a.kind === 'pin').map((a) => a.der) };
}

/** The current certificate of a contact, if any. */
export function currentCert(c: ContactRecord | undefined): ContactCert | undefined {
  return c?.certs.find((x) => x.current);
}

/** Days from `now` until an RFC 3339 date (negative when past). */
export function daysLeft(notAfter: string, now = Date.now()): number {
  return Math.floor((new Date(notAfter).getTime() - now) / 86_400_000);
}
