// The unlocked session: which stored identities are unlocked in the core worker (by handle),
// the idle timeout that locks them again, and the rate limit on wrong passphrases. Also the
// operations that join the store and the core: importing a .p12, exporting a backup, learning
// a sender's certificate, and the options every `open` needs (time, roots, pins, known certs).
import type { CoreClient } from '../core/client';
import { CoreFailure } from '../core/client';
import type { CertFacts, KnownKey, OpenOptions, OpenReport } from '../core/protocol';
import { keeping } from './keeping';
import { type AnchorRecord, type ContactCert, type IdentityRecord, type Settings, anchorDers, currentCert, knownKey, store } from './store';

/** Wrong passphrases allowed before unlocking is slowed down. */
export const FREE_ATTEMPTS = 3;
/** The longest wait imposed after repeated wrong passphrases. */
export const MAX_BLOCK_MS = 15 * 60_000;

/** The shortest and longest idle timeout the setting accepts, in minutes. */
export const MIN_IDLE_MINUTES = 0.1;
export const MAX_IDLE_MINUTES = 24 * 60;

export function blockFor(failures: number): number {
  if (failures < FREE_ATTEMPTS) return 0;
  return Math.min(MAX_BLOCK_MS, 10_000 * 2 ** (failures - FREE_ATTEMPTS));
}

/** "10 seconds", "1 minute 20 seconds", "15 minutes": how long a wait is, for the user. */
export function waitText(ms: number): string {
  const total = Math.max(1, Math.ceil(ms / 1000));
  const m = Math.floor(total / 60);
  const s = total % 60;
  const unit = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return [m ? unit(m, 'minute') : '', s || !m ? unit(s, 'second') : ''].filter(Boolean).join(' ');
}

function clampIdle(minutes: number): number {
  return Number.isFinite(minutes) ? Math.min(MAX_IDLE_MINUTES, Math.max(MIN_IDLE_MINUTES, minutes)) : 15;
}

function failure(code: string, message: string, hint: string): CoreFailure {
  return new CoreFailure({ code, message, hint });
}

function copy(b: Uint8Array): Uint8Array {
  return b.slice();
}

/**
 * Which of a preferred encryption certificate and its signer's own (`c.signer`) to keep: the
 * preferred one when the core finds it ready for `c.address` at `now` (a trusted path for
 * encryption from the user's roots or pins, the message's certificates as intermediates),
 * else the signer's own.
 */
export async function keptOf(core: Pick<CoreClient, 'call'>, c: LearnedCert, report: Pick<OpenReport, 'certificates'>, anchors: AnchorRecord[], now: number): Promise<LearnedCert> {
  const { signer, ...preferred } = c;
  if (!signer) return c;
  const options = {
    recipients: [c.address],
    contacts: [{ address: c.address, certificates: [c.der] }],
    ...anchorDers(anchors),
    known: report.certificates.map((x) => x.der_base64),
    at: Math.floor(now / 1000),
  };
  const [status] = await core.call('recipientStatus', { options });
  return status?.status === 'ready' ? preferred : signer;
}

/** Why the identities were locked: the user, the idle timeout, or an engine restart (crash or time budget). */
export type LockReason = 'user' | 'idle' | 'restart';

export interface LearnedCert {
  address: string;
  der: string;
  facts: CertFacts;
  /**
   * Set when this is the signer's preferred encryption certificate (EncryptionKeyPreference),
   * which travels unsigned among the message's certificates: the signer's own certificate, kept
   * instead unless the core finds the preferred one ready for the address (`learnable`).
   */
  signer?: LearnedCert;
}

export type LearnOutcome =
  | { kind: 'stored' | 'same'; address: string }
  | { kind: 'changed'; address: string; old: ContactCert; next: LearnedCert };

export class Session extends EventTarget {
  /** Counts `lock` calls: an unlock still running when one comes keeps nothing. */
  private lockCount = 0;
  private readonly handles = new Map<string, number>();
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private idleMs = 15 * 60_000;

  constructor(private readonly core: CoreClient) {
    super();
    // A restarted engine has none of the keys that were unlocked: the session is locked.
    core.addEventListener('restarted', () => this.forget('restart'));
  }

  /** Drop every handle without asking the core (its worker is gone), and tell the UI. */
  private forget(reason: LockReason): void {
    this.lockCount++;
    this.handles.clear();
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.dispatchEvent(new CustomEvent('locked', { detail: reason }));
    this.changed();
  }

  get unlockedCount(): number {
    return this.handles.size;
  }

  isUnlocked(id: string): boolean {
    return this.handles.has(id);
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  /** Activity: restart the idle timer while anything is unlocked. */
  touch(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.handles.size > 0) this.idleTimer = setTimeout(() => void this.lock('idle'), this.idleMs);
  }

  async loadSettings(): Promise<void> {
    const s = await store.settings();
    this.idleMs = clampIdle(s.idleMinutes) * 60_000;
  }

  /** The idle timeout in minutes (the setting). */
  get idleMinutes(): number {
    return this.idleMs / 60_000;
  }

  /** Change the idle timeout (kept in the store); the running timer restarts with it. Returns the value used. */
  async setIdleMinutes(minutes: number): Promise<number> {
    const m = clampIdle(minutes);
    const s = await store.settings();
    await store.putSettings({ ...s, idleMinutes: m });
    this.idleMs = m * 60_000;
    this.touch();
    return m;
  }

  /** Lock every identity (zeroized in the core). */
  async lock(reason: 'user' | 'idle' = 'user'): Promise<void> {
    this.lockCount++;
    this.handles.clear();
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    // Tell the UI first (it clears decrypted content at once), then zeroize in the core.
    this.dispatchEvent(new CustomEvent('locked', { detail: reason }));
    this.changed();
    await this.core.call('lockAll', {});
  }

  /**
   * Unlock the stored identities protected by `passphrase`. Wrong passphrases are counted
   * in the store; from the FREE_ATTEMPTS-th on, unlocking is refused for a growing time.
   */
  async unlock(passphrase: string): Promise<number> {
    const settings = await store.settings();
    const wait = settings.unlockBlockedUntil - Date.now();
    if (wait > 0) {
      throw failure('rate-limited', `Too many wrong passphrases. Try again in ${waitText(wait)}.`, 'Wait, then type the passphrase you chose when importing your certificate.');
    }
    const ids = await store.identities();
    // A lock while this runs wins: what it unlocks after that is locked again, not kept.
    const locks = this.lockCount;
    let opened = 0;
    for (const r of ids) {
      if (this.handles.has(r.id)) {
        opened++;
        continue;
      }
      try {
        const handle = await this.core.call('unlock', { p12: copy(r.backup), password: passphrase });
        if (this.lockCount !== locks) {
          await this.core.call('lock', { handle }).catch(() => undefined);
          return 0;
        }
        this.handles.set(r.id, handle);
        opened++;
      } catch (e) {
        if (!(e instanceof CoreFailure) || e.code !== 'wrong-password') throw e;
      }
    }
    if (ids.length > 0 && opened === 0) await this.wrongPassphrase(settings);
    await store.putSettings({ ...settings, failedUnlocks: 0, unlockBlockedUntil: 0 });
    this.touch();
    this.changed();
    return opened;
  }

  /**
   * Import a PKCS#12 file: unlock it with its password, store it re-encrypted by the core
   * under `passphrase` (the core's encrypted backup), keep it unlocked. An older identity
   * for the same address is retired (kept for decrypting old mail).
   */
  async importP12(p12: Uint8Array, password: string, passphrase: string): Promise<{ record: IdentityRecord; retired: IdentityRecord[]; joined?: IdentityRecord }> {
    if (passphrase.length < 8) throw failure('weak-passphrase', 'The passphrase must have at least 8 characters.', 'Choose a longer passphrase; it protects your private key on this device.');
    let handle = await this.core.call('unlock', { p12: copy(p12), password });
    let facts = await this.core.call('certificates', { handle });
    const first = facts[0];
    if (!first) throw failure('no-certificate', 'This file has no certificate.', 'Export the certificate together with its private key.');
    // The second file of a separate signing and encryption certificate: one identity of both.
    const joined = await this.joinSeparate(first, handle, passphrase);
    if (joined) {
      handle = joined.handle;
      facts = await this.core.call('certificates', { handle });
    }
    const encryption = await this.core.call('encryptionCertificate', { handle });
    const backup = await this.core.call('exportBackup', { handle, password: passphrase });
    const leaf = facts[0];
    if (!leaf) throw failure('no-certificate', 'This file has no certificate.', 'Export the certificate together with its private key.');
    const record: IdentityRecord = { id: leaf.sha256, facts, backup, added: new Date().toISOString(), retired: false, ...(encryption ? { encryption } : {}) };
    if (joined && joined.record.id !== record.id) await store.deleteIdentity(joined.record.id);
    const retired: IdentityRecord[] = [];
    for (const other of await store.identities()) {
      if (other.id === joined?.record.id) continue;
      const sameAddress = other.facts[0]?.emails.some((m) => leaf.emails.includes(m)) ?? false;
      if (other.id !== record.id && sameAddress && !other.retired && (other.facts[0]?.not_after ?? '') < leaf.not_after) {
        other.retired = true;
        await store.putIdentity(other);
        retired.push(other);
      }
    }
    await store.putIdentity(record);
    this.handles.set(record.id, handle);
    this.touch();
    this.changed();
    return { record, retired, ...(joined ? { joined: joined.record } : {}) };
  }

  /**
   * A stored identity that, with the certificate just unlocked (`handle`), makes a separate
   * signing and encryption pair for the same address (one signs only, the other can be
   * encrypted to): both are joined in the core into one identity, whose handle is returned
   * with the stored record it replaces. The stored one is opened with the passphrase typed
   * now, also when it is unlocked: joining stores its key under that passphrase, so only
   * someone who knows its passphrase may (else anyone at an unlocked session could import a
   * certificate of their own and export the user's key under a passphrase they chose). A
   * passphrase that does not open it counts as a wrong one, as when unlocking; when nothing
   * pairs, null (the new certificate stays an identity of its own).
   */
  private async joinSeparate(leaf: CertFacts, handle: number, passphrase: string): Promise<{ handle: number; record: IdentityRecord } | null> {
    const signOnly = (f: CertFacts | undefined) => f?.usable_for?.sign === true && f.usable_for.encrypt === false;
    for (const other of await store.identities()) {
      const o = other.facts[0];
      if (other.retired || other.encryption || !o || o.sha256 === leaf.sha256) continue;
      const roles = (signOnly(o) && leaf.usable_for.encrypt) || (signOnly(leaf) && o.usable_for.encrypt);
      const shared = o.emails.some((m) => leaf.emails.some((n) => n.toLowerCase() === m.toLowerCase()));
      if (!roles || !shared) continue;
      const settings = await store.settings();
      if (settings.unlockBlockedUntil > Date.now()) continue;
      let otherHandle: number;
      try {
        otherHandle = await this.core.call('unlock', { p12: copy(other.backup), password: passphrase });
      } catch (e) {
        if (!(e instanceof CoreFailure) || e.code !== 'wrong-password') throw e;
        // Another passphrase: kept apart, and counted (no guessing through imports).
        await this.wrongPassphrase(settings).catch(() => undefined);
        continue;
      }
      try {
        const joined = await this.core.call('pairIdentities', { first: otherHandle, second: handle });
        const before = this.handles.get(other.id);
        if (before !== undefined) await this.core.call('lock', { handle: before }).catch(() => undefined);
        this.handles.delete(other.id);
        return { handle: joined, record: other };
      } catch {
        // The core does not see a pair: keep them apart.
        await this.core.call('lock', { handle: otherHandle }).catch(() => undefined);
      }
    }
    return null;
  }

  /**
   * An encrypted PKCS#12 of a stored identity under a new password. The user's passphrase is
   * asked again every time, unlocked or not: the stored backup is opened with it in a handle of
   * its own, exported, and locked again. Wrong passphrases count as for unlocking.
   */
  async exportBackup(id: string, passphrase: string, password: string): Promise<Uint8Array> {
    if (password.length < 8) throw failure('weak-passphrase', 'The backup password must have at least 8 characters.', 'Choose a longer password; it protects the backup file.');
    const record = (await store.identities()).find((r) => r.id === id);
    if (!record) throw failure('not-found', 'This certificate is no longer stored.', 'Reload the page.');
    const settings = await store.settings();
    const wait = settings.unlockBlockedUntil - Date.now();
    if (wait > 0) throw failure('rate-limited', `Too many wrong passphrases. Try again in ${waitText(wait)}.`, 'Wait, then type the passphrase you chose when importing your certificate.');
    let handle: number;
    try {
      handle = await this.core.call('unlock', { p12: copy(record.backup), password: passphrase });
    } catch (e) {
      if (e instanceof CoreFailure && e.code === 'wrong-password') await this.wrongPassphrase(settings);
      throw e;
    }
    try {
      await store.putSettings({ ...settings, failedUnlocks: 0, unlockBlockedUntil: 0 });
      this.touch();
      const out = await this.core.call('exportBackup', { handle, password });
      // Its key can now be restored after it is deleted here ("which key do I need").
      await store.putIdentity({ ...record, backedUp: true });
      return out;
    } finally {
      await this.core.call('lock', { handle }).catch(() => undefined);
    }
  }

  /** Count a wrong passphrase and throw the refusal (with the wait from the FREE_ATTEMPTS-th on). */
  private async wrongPassphrase(settings: Settings): Promise<never> {
    const failedUnlocks = settings.failedUnlocks + 1;
    const block = blockFor(failedUnlocks);
    await store.putSettings({ ...settings, failedUnlocks, unlockBlockedUntil: Date.now() + block });
    if (block > 0) {
      throw failure('rate-limited', `This passphrase does not unlock your certificates. Too many wrong passphrases: try again in ${waitText(block)}.`, 'Wait, then type the passphrase you chose when importing your certificate. Each further wrong passphrase doubles the wait.');
    }
    throw failure('wrong-password', 'This passphrase does not unlock your certificates.', 'Check the passphrase and try again.');
  }

  async deleteIdentity(id: string): Promise<void> {
    const handle = this.handles.get(id);
    if (handle !== undefined) await this.core.call('lock', { handle });
    this.handles.delete(id);
    const record = (await store.identities()).find((r) => r.id === id);
    if (record) {
      const certs = [record.facts[0], record.encryption].filter((f): f is CertFacts => f !== undefined);
      await store.rememberDeleted(certs.map((f) => knownKey(f, record.backedUp ? 'backup' : 'deleted')));
    }
    await store.deleteIdentity(id);
    this.changed();
  }

  /** The identity that signs for `address` (newest, not retired, unlocked), or the first unlocked one. */
  async signer(address?: string): Promise<{ record: IdentityRecord; handle: number } | null> {
    // An identity whose certificate cannot sign (an encryption certificate kept on its own) never signs.
    const ids = (await store.identities()).filter((r) => !r.retired && this.handles.has(r.id) && r.facts[0]?.usable_for?.sign !== false);
    ids.sort((a, b) => ((b.facts[0]?.not_after ?? '') > (a.facts[0]?.not_after ?? '') ? 1 : -1));
    const pick = ids.find((r) => address === undefined || (r.facts[0]?.emails ?? []).includes(address.toLowerCase())) ?? (address === undefined ? ids[0] : undefined);
    const handle = pick ? this.handles.get(pick.id) : undefined;
    this.touch();
    return pick && handle !== undefined ? { record: pick, handle } : null;
  }

  /** What every `open` needs: now, the trusted roots, the pinned certificates, the contacts' certificates. */
  async openOptions(): Promise<OpenOptions> {
    const anchors = await store.anchors();
    const contacts = await store.contacts();
    return {
      at: Math.floor(Date.now() / 1000),
      ...anchorDers(anchors),
      known: contacts.flatMap((c) => c.certs.map((x) => x.der)),
      keyHistory: await Session.keyHistory(),
    };
  }

  /** Every certificate the user had a key for: current and retired identities, then deleted ones. */
  static async keyHistory(): Promise<KnownKey[]> {
    const held = (await store.identities()).flatMap((r) =>
      [r.facts[0], r.encryption].filter((f): f is CertFacts => f !== undefined).map((f) => knownKey(f, r.retired ? 'retired' : 'current')),
    );
    return [...held, ...(await store.deletedKeys())];
  }

  /**
   * The signer certificates of a report, each with the address to keep it for. A valid signer's
   * is kept for the address its signature was bound to (the From address, or the Sender's when
   * it signed on behalf of the From address), and its preferred encryption certificate
   * (EncryptionKeyPreference, RFC 8551 2.5.3) is offered in its place only when that certificate
   * names the same address (with `signer` set: see `learnable`). Otherwise (`onlyValid` false,
   * the sender's certificate offered for import or pinning) only the signer's own certificate,
   * for the From address when it names it, else its first.
   */
  static signerCerts(report: OpenReport, onlyValid: boolean): LearnedCert[] {
    const out: LearnedCert[] = [];
    // Addresses as the core compares them (ASCII case and surrounding white space ignored):
    // a certificate naming " ceo@corp" is kept for ceo@corp (a change to confirm), never
    // under a look-alike key of its own.
    const norm = (e: string) => e.trim().toLowerCase();
    const named = (c: { facts: CertFacts } | undefined, address: string) => c?.facts.emails.some((e) => norm(e) === address) === true;
    for (const layer of report.layers) {
      for (const s of layer.signers ?? []) {
        if (onlyValid && s.status !== 'valid') continue;
        const signerCert = report.certificates.find((c) => c.facts.sha256 === s.certificate?.sha256);
        if (!signerCert) continue;
        const from = s.address?.from !== undefined && s.address.from !== null ? norm(s.address.from) : undefined;
        if (onlyValid) {
          const sender = s.address?.sender;
          const bound = sender !== undefined ? norm(sender) : s.address?.matches ? from : undefined;
          if (bound === undefined || !named(signerCert, bound)) continue;
          const own: LearnedCert = { address: bound, der: signerCert.der_base64, facts: signerCert.facts };
          const pref = s.encryption_key_preference;
          const preferred = pref && 'issuer_and_serial' in pref
            ? report.certificates.find((c) => c.facts.serial === pref.issuer_and_serial.serial && c.facts.issuer === pref.issuer_and_serial.issuer && c.facts.usable_for.encrypt)
            : undefined;
          out.push(preferred && preferred.facts.sha256 !== signerCert.facts.sha256 && named(preferred, bound) ? { address: bound, der: preferred.der_base64, facts: preferred.facts, signer: own } : own);
        } else {
          const emails = signerCert.facts.emails.map(norm);
          const address = from !== undefined && emails.includes(from) ? from : emails[0];
          if (address) out.push({ address, der: signerCert.der_base64, facts: signerCert.facts });
        }
      }
    }
    return out;
  }

  /**
   * The certificates to keep from a valid report (`signerCerts`): a preferred encryption
   * certificate only when the core finds it ready for its address (a trusted path for
   * encryption, the message's certificates as intermediates, as the compose pane will check
   * it), else the signer's own certificate. The preferred one is not covered by the
   * signature (only its issuer and serial are): one that is not trusted by itself is never kept.
   */
  async learnable(report: OpenReport): Promise<LearnedCert[]> {
    const out: LearnedCert[] = [];
    for (const c of Session.signerCerts(report, true)) out.push(c.signer ? await keptOf(this.core, c, report, await store.anchors(), Date.now()) : c);
    return out;
  }

  /**
   * On a `valid` report, store each valid signer's certificate with the capabilities it
   * advertised (automatic on `valid`, SPEC section 5). The one rule every host's reader uses.
   */
  async learnValid(report: OpenReport): Promise<{ cert: LearnedCert; caps: string[]; outcome: LearnOutcome }[]> {
    if (report.status !== 'valid') return [];
    const valid = report.layers.flatMap((l) => l.signers ?? []).find((s) => s.status === 'valid');
    const caps = valid?.smime_capabilities ?? [];
    const out: { cert: LearnedCert; caps: string[]; outcome: LearnOutcome }[] = [];
    for (const cert of await this.learnable(report)) {
      out.push({ cert, caps, outcome: await this.learn(cert, caps, false, valid?.signing_time ?? undefined) });
      // A key-exchange request to this address is answered: tell the UI (it notifies the user).
      const ready = await keeping.signedMailFrom(cert.address, Date.now());
      if (ready) this.dispatchEvent(new CustomEvent('exchange-ready', { detail: ready }));
    }
    return out;
  }

  /** Store a sender's certificate: new contacts directly; a different certificate for a known address is returned as `changed`. */
  async learn(cert: LearnedCert, capabilities: string[] = [], acceptChange = false, capabilitiesAt?: string): Promise<LearnOutcome> {
    const existing = await store.contact(cert.address);
    const cur = currentCert(existing);
    if (cur?.sha256 === cert.facts.sha256) {
      // The same certificate: keep the newest capabilities (RFC 8551 2.5.2), a mail with no
      // signing time never replacing ones that have it.
      const newer = capabilitiesAt !== undefined ? existing?.capabilitiesAt === undefined || capabilitiesAt >= existing.capabilitiesAt : existing?.capabilitiesAt === undefined;
      if (existing && capabilities.length && newer && (capabilities.join() !== existing.capabilities.join() || capabilitiesAt !== existing.capabilitiesAt)) {
        await store.putContact({ ...existing, capabilities, ...(capabilitiesAt !== undefined ? { capabilitiesAt } : {}), capabilitiesCert: cert.facts.sha256 });
        this.changed();
      }
      return { kind: 'same', address: cert.address };
    }
    if (cur && !acceptChange) return { kind: 'changed', address: cert.address, old: cur, next: cert };
    const now = new Date().toISOString();
    const entry: ContactCert = { sha256: cert.facts.sha256, der: cert.der, subject: cert.facts.subject, issuer: cert.facts.issuer, notAfter: cert.facts.not_after, firstSeen: now, current: true };
    const history = (existing?.certs ?? []).filter((c) => c.sha256 !== entry.sha256).map((c) => ({ ...c, current: false }));
    // New capabilities replace the stored ones (with the time and certificate of the mail they came from).
    const caps = capabilities.length
      ? { capabilities, ...(capabilitiesAt !== undefined ? { capabilitiesAt } : {}), capabilitiesCert: cert.facts.sha256 }
      : { capabilities: existing?.capabilities ?? [], ...(existing?.capabilitiesAt !== undefined ? { capabilitiesAt: existing.capabilitiesAt } : {}), ...(existing?.capabilitiesCert ? { capabilitiesCert: existing.capabilitiesCert } : {}) };
    await store.putContact({ address: cert.address, certs: [entry, ...history], ...caps, updated: now });
    this.changed();
    return { kind: 'stored', address: cert.address };
  }
}
