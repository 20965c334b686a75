// Thunderbird compose, in the background: the Sign/Encrypt choice of each compose tab (set in
// the compose_action popup; Sign is on when the user has an identity for the From address,
// Encrypt too when the message replies to or forwards one decrypted here), and the takeover of
// Thunderbird's Send (`compose.onBeforeSend`): when Sign or Encrypt is chosen, the core builds
// the message from the compose window's fields (the HTML with its plain-text version, the
// attachments, In-Reply-To and References), signs and encrypts it (always also to the sender),
// and the Experiment `cachetSend.sendRaw` sends exactly those bytes: one copy to To and Cc
// (filed in Sent), then one copy per Bcc recipient, encrypted to that recipient alone and
// naming no Bcc. Thunderbird's own send is cancelled and the compose window closed. When
// something blocks (locked identity, a recipient without a usable certificate), nothing is
// sent, the draft stays open and the popup says why.
import type { CoreClient } from '../core/client';
import type { Draft } from '../core/protocol';
import { keeping } from '../keyring/keeping';
import type { Session } from '../keyring/session';
import { type IdentityRecord, messageIds, store } from '../keyring/store';
import { capabilitiesOf, draftOf, envelopeAddresses, messageId, recipientStatuses, rfc5322Date, STATUS_WORDS } from '../ui/host-compose';
import type { ComposeChoice, ComposeFields, MailAddress } from './host';
import type { Messenger, TbTab } from './thunderbird-api';

/**
 * A failure as one line of the popup's list: a core error's sentence and what to do (e.g. an
 * expired certificate: the date, and renew or ask for the new one).
 */
export function problemText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const hint = (e as { hint?: unknown }).hint;
  return typeof hint === 'string' && hint !== '' ? `${e.message} ${hint}` : e.message;
}

/** What `compose.getComposeDetails` and `onBeforeSend` give (the fields Cachet uses). */
export interface TbComposeDetails {
  identityId?: string;
  from?: string;
  to?: string[];
  cc?: string[];
  bcc?: string[];
  subject?: string;
  isPlainText?: boolean;
  body?: string;
  plainTextBody?: string;
  /** "auto", "plaintext", "html" or "both" (Thunderbird's Options › Send Format). */
  deliveryFormat?: string;
  type?: string;
  relatedMessageId?: number;
}

/** The envelope of one copy: SMTP recipients, and whether Thunderbird files it in Sent. */
export interface SendEnvelope {
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  messageId?: string;
  sentCopy?: boolean;
}

export interface ComposeMessenger {
  compose: {
    getComposeDetails(tabId: number): Promise<TbComposeDetails>;
    listAttachments(tabId: number): Promise<{ id: number; name: string; size?: number }[]>;
    getAttachmentFile(id: number): Promise<Blob & { name?: string; type: string }>;
  };
  messages: {
    get(id: number): Promise<{ headerMessageId?: string }>;
    /** Thunderbird 147+: the headers alone, without parsing the message's MIME structure. */
    getHeaders?(id: number): Promise<Record<string, string[]>>;
    getFull?(id: number): Promise<{ headers?: Record<string, string[]> }>;
  };
  tabs: { remove(tabId: number): Promise<void> };
  composeAction: { openPopup(options?: { windowId?: number }): Promise<boolean> };
  cachetSend: { sendRaw(identityId: string, envelope: SendEnvelope, message: Uint8Array): Promise<void> };
}

/** One address of a compose field ("Name <a@b>" or "a@b"). */
export function parseMailbox(text: string): MailAddress {
  const m = /^\s*(?:"?([^"<]*?)"?\s*)?<([^>]+)>\s*$/.exec(text);
  if (m) return { name: (m[1] ?? '').trim(), address: (m[2] ?? '').trim() };
  return { name: '', address: text.trim() };
}

/** A message's In-Reply-To and References (null when it has none). */
export interface ReplyIds {
  inReplyTo: string | null;
  references: string | null;
}

/**
 * The headers of message `id`: `messages.getHeaders` where Thunderbird has it (147+; documented
 * as not parsing the message's MIME structure, which `messages.getFull` does), else `getFull`'s.
 */
async function originalHeaders(m: ComposeMessenger, id: number): Promise<Record<string, string[]>> {
  if (m.messages.getHeaders) {
    try {
      return await m.messages.getHeaders(id);
    } catch {
      // Refused or missing after all: the full message's headers below.
    }
  }
  return (await m.messages.getFull?.(id))?.headers ?? {};
}

/** In-Reply-To and References of a reply (Thunderbird's details carry only the original's id). */
async function replyIds(m: ComposeMessenger, d: TbComposeDetails): Promise<ReplyIds> {
  if (d.relatedMessageId === undefined || !['reply', 'forward', 'redirect'].includes(d.type ?? '')) return { inReplyTo: null, references: null };
  const raw = (await m.messages.get(d.relatedMessageId)).headerMessageId;
  if (!raw) return { inReplyTo: null, references: null };
  const id = `<${raw.replace(/^<|>$/g, '')}>`;
  if (d.type !== 'reply') return { inReplyTo: null, references: id };
  let earlier: string[] = [];
  try {
    const headers = await originalHeaders(m, d.relatedMessageId);
    // Header names in any case (getFull's are lower case).
    earlier = messageIds(Object.entries(headers).flatMap(([name, values]) => (name.toLowerCase() === 'references' ? values : [])).join(' '));
  } catch {
    // Without the original's References the reply still names the message it answers.
  }
  return { inReplyTo: id, references: [...earlier.filter((x) => x !== id), id].join(' ') };
}

/**
 * The Host's compose fields from Thunderbird's compose details. With `withBytes`, each
 * attachment's bytes are read (`compose.getAttachmentFile`); otherwise only names are listed.
 * `ids`: the threading fields when the caller has them already (else read from the original).
 */
export async function composeFields(m: ComposeMessenger, tabId: number, d: TbComposeDetails, withBytes = false, ids?: ReplyIds): Promise<ComposeFields> {
  const list = (v: string[] | undefined) => (v ?? []).filter((x) => x.trim() !== '').map(parseMailbox);
  const { inReplyTo, references } = ids ?? (await replyIds(m, d));
  const attachments = await Promise.all(
    (await m.compose.listAttachments(tabId)).map(async (a) => {
      const file = withBytes ? await m.compose.getAttachmentFile(a.id) : null;
      return { name: a.name, contentType: file?.type ?? '', bytes: file ? new Uint8Array(await file.arrayBuffer()) : new Uint8Array(0), inline: false, contentId: null };
    }),
  );
  const html = d.isPlainText === false && d.deliveryFormat !== 'plaintext' && d.body ? d.body : null;
  return {
    from: parseMailbox(d.from ?? ''),
    to: list(d.to),
    cc: list(d.cc),
    bcc: list(d.bcc),
    subject: d.subject ?? '',
    text: d.plainTextBody ?? '',
    html,
    attachments,
    inReplyTo,
    references,
  };
}

/**
 * The core's draft of one copy: the shared draft (`draftOf`: text, HTML version, attachments,
 * threading fields), except that a copy names no Bcc at all, a Bcc copy included: it keeps
 * the To and Cc of the message, as any Bcc recipient sees them.
 */
export function tbDraft(fields: ComposeFields, date: string, id: string): Draft {
  const { bcc: _noBcc, ...d } = draftOf({ ...fields, bcc: [] }, date, id);
  if (d.to.length === 0 && (d.cc ?? []).length === 0) d.to = ['undisclosed-recipients:;'];
  return d;
}

/** What the user can do about a recipient who blocks encryption. */
const WHAT_TO_DO: Record<string, string> = {
  missing: 'Press “Ask for their certificate” beside their address to send them a signed request, or remove them.',
  expired: 'Ask them for their renewed certificate, or remove them.',
  untrusted: 'Trust the issuer of their certificate, or pin their certificate, under Certificates, or remove them.',
  'address-mismatch': 'Ask them for a certificate for this address, or remove them.',
  ready: '',
};

/** Nothing was sent; the reasons are for the user. */
export class SendRefused extends Error {
  constructor(readonly reasons: string[]) {
    super(`The message was not sent: ${reasons.join(' ')}`);
    this.name = 'SendRefused';
  }
}

type CoreLike = Pick<CoreClient, 'call'>;
type SessionLike = Pick<Session, 'signer'>;

/** One copy to send: its fields (To and Cc as the user wrote them), who may read it, its SMTP envelope. */
interface Copy {
  fields: ComposeFields;
  /** The lower-case addresses it is encrypted to (besides the sender). */
  readers: string[];
  envelope: { to: string[]; cc: string[]; bcc: string[] };
}

/** The copies of a message: one for To and Cc, then one per Bcc recipient (only them as reader and envelope). */
export function copiesOf(fields: ComposeFields): Copy[] {
  const addr = (l: MailAddress[]) => l.map((a) => a.address);
  const main = { ...fields, bcc: [] };
  const out: Copy[] = [];
  if (fields.to.length + fields.cc.length > 0) out.push({ fields: main, readers: envelopeAddresses(main), envelope: { to: addr(fields.to), cc: addr(fields.cc), bcc: [] } });
  for (const b of fields.bcc) out.push({ fields: main, readers: envelopeAddresses({ ...main, to: [b], cc: [] }), envelope: { to: [], cc: [], bcc: [b.address] } });
  return out;
}

export class ComposeTakeover {
  private readonly choices = new Map<number, ComposeChoice>();
  private readonly problems = new Map<number, string[]>();
  /** Each tab's threading fields, with the compose type and original they were read for. */
  private readonly threads = new Map<number, { key: string; ids: Promise<ReplyIds> }>();
  /** Tabs whose user confirmed sending a reply to an encrypted message without encryption. */
  private readonly plainConfirmed = new Set<number>();
  /** How long the compose window stays after the message went out (Thunderbird finishes its cancelled send first). */
  static CLOSE_DELAY_MS = 300;
  /** Diagnostics (and tests): the Message-ID, size and SHA-256 of the last copies handed to the Experiment, never their content. */
  readonly sentLog: { messageId: string; size: number; sha256: string }[] = [];

  constructor(
    private readonly m: ComposeMessenger,
    private readonly core: CoreLike,
    private readonly session: SessionLike,
    private readonly identities: () => Promise<IdentityRecord[]> = () => store.identities(),
    private readonly decrypted: (ids: string[]) => Promise<boolean> = (ids) => store.anyDecrypted(ids),
    /** The footers and the sent/requested records (keyring/keeping.ts). */
    private readonly keep: Pick<typeof keeping, 'footer' | 'recordSent' | 'requestSent'> = keeping,
  ) {}

  /** Whether the message being written replies to (or forwards) a message decrypted here. */
  async protectedReply(tabId: number, details?: TbComposeDetails): Promise<boolean> {
    const d = details ?? (await this.m.compose.getComposeDetails(tabId));
    const { inReplyTo, references } = await this.replyIdsOf(tabId, d);
    return this.decrypted([...messageIds(inReplyTo), ...messageIds(references)]);
  }

  /**
   * The threading fields of the tab's message, read from the original once per tab and
   * original: the choice and the Send both need them, and reading the original's References
   * may parse the whole original (`originalHeaders`).
   */
  private replyIdsOf(tabId: number, d: TbComposeDetails): Promise<ReplyIds> {
    const key = `${d.type ?? ''} ${d.relatedMessageId ?? ''}`;
    const kept = this.threads.get(tabId);
    if (kept && kept.key === key) return kept.ids;
    const ids = replyIds(this.m, d);
    this.threads.set(tabId, { key, ids });
    // A failed read is not kept: the next use reads again.
    ids.catch(() => {
      if (this.threads.get(tabId)?.ids === ids) this.threads.delete(tabId);
    });
    return ids;
  }

  /**
   * The tab's choice; by default Sign when the user has an identity for the From address (SPEC
   * section 3), and Encrypt (with Sign when any identity exists) for a reply to, or forward of,
   * a message decrypted here (SPEC sections 2 and 3: encrypted mail is answered encrypted).
   */
  async choice(tabId: number, details?: TbComposeDetails): Promise<ComposeChoice> {
    const kept = this.choices.get(tabId);
    if (kept) return kept;
    const d = details ?? (await this.m.compose.getComposeDetails(tabId));
    const address = parseMailbox(d.from ?? '').address.toLowerCase();
    const live = (await this.identities()).filter((r) => !r.retired);
    const own = live.some((r) => (r.facts[0]?.emails ?? []).includes(address));
    if (await this.protectedReply(tabId, d)) return { sign: own || live.length > 0, encrypt: true };
    return { sign: own, encrypt: false };
  }

  /** Called when choices are kept or forgotten (the background stays awake while any is kept). */
  onChoicesChanged: (() => void) | null = null;

  /** A choice the user made is kept until the compose tab goes. */
  get holdsChoices(): boolean {
    return this.choices.size > 0;
  }

  /**
   * Keep the user's choice. Turning Encrypt off for a reply to an encrypted message needs
   * `plainConfirmed` (the popup asks first); without it Encrypt stays on and false is returned.
   */
  async setChoice(tabId: number, choice: ComposeChoice, plainConfirmed = false): Promise<boolean> {
    if (plainConfirmed) this.plainConfirmed.add(tabId);
    const refused = !choice.encrypt && !this.plainConfirmed.has(tabId) && (await this.protectedReply(tabId));
    this.choices.set(tabId, { sign: choice.sign, encrypt: choice.encrypt || refused });
    this.problems.delete(tabId);
    this.onChoicesChanged?.();
    return !refused;
  }

  /** Why the last Send of this tab was refused (shown by the popup), if it was. */
  lastProblems(tabId: number): string[] {
    return this.problems.get(tabId) ?? [];
  }

  forget(tabId: number): void {
    const had = this.choices.delete(tabId);
    this.problems.delete(tabId);
    this.threads.delete(tabId);
    this.plainConfirmed.delete(tabId);
    if (had) this.onChoicesChanged?.();
  }

  /** `compose.onBeforeSend`: take the send over when Sign or Encrypt is chosen. */
  async beforeSend(tab: TbTab, details: TbComposeDetails): Promise<{ cancel: boolean } | undefined> {
    const tabId = tab.id;
    if (tabId === undefined) return undefined;
    let choice: ComposeChoice;
    try {
      choice = await this.choice(tabId, details);
    } catch (e) {
      // Whether this message must be protected is not known (the original it answers could not
      // be read): it does not go out unprotected; the popup says why.
      this.problems.set(tabId, [problemText(e)]);
      void this.m.composeAction.openPopup(tab.windowId !== undefined ? { windowId: tab.windowId } : {}).catch(() => undefined);
      return { cancel: true };
    }
    if (!choice.sign && !choice.encrypt) return undefined;
    try {
      await this.sendSecure(tabId, details, choice);
      this.forget(tabId);
      setTimeout(() => void this.m.tabs.remove(tabId).catch(() => undefined), ComposeTakeover.CLOSE_DELAY_MS);
    } catch (e) {
      this.problems.set(tabId, e instanceof SendRefused ? e.reasons : [problemText(e)]);
      void this.m.composeAction.openPopup(tab.windowId !== undefined ? { windowId: tab.windowId } : {}).catch(() => undefined);
    }
    // Thunderbird's own send never runs for a message Cachet protects: it went out, or must not.
    return { cancel: true };
  }

  /**
   * Check, build every copy (one for To and Cc, one per Bcc recipient), then send them all:
   * nothing goes out unless every copy could be built. The first copy is the one filed in Sent.
   */
  async sendSecure(tabId: number, details: TbComposeDetails, choice: ComposeChoice): Promise<number> {
    const fields = await composeFields(this.m, tabId, details, true, await this.replyIdsOf(tabId, details));
    const from = fields.from.address.toLowerCase();
    const reasons: string[] = [];
    const all = [...new Set(envelopeAddresses(fields))];
    if (all.length === 0) reasons.push('There is no recipient.');
    if (!details.identityId) reasons.push('Thunderbird did not say which identity sends this message.');
    const signer = await this.session.signer(from);
    if (!signer) reasons.push(`Your certificate for ${from || 'this address'} is locked or missing: unlock it or import it under Certificates.`);
    const certOf = new Map<string, string>();
    if (choice.encrypt) {
      const { statuses, ders } = await recipientStatuses(this.core as CoreClient, all);
      for (const r of statuses) {
        const der = r.index !== undefined ? ders.get(r.address)?.[r.index] : undefined;
        if (r.status === 'ready' && der) certOf.set(r.address, der);
        else reasons.push(`${r.address}: ${STATUS_WORDS[r.status]}. ${WHAT_TO_DO[r.status]}`);
      }
    }
    if (reasons.length > 0 || !signer || !details.identityId) throw new SendRefused(reasons);
    const built: { envelope: SendEnvelope; mime: Uint8Array }[] = [];
    // The identity's footer goes inside the signed part (the core writes it into the body).
    const footer = choice.sign ? await this.keep.footer(from) : '';
    for (const copy of copiesOf(fields)) {
      const id = messageId(from);
      const plain = await this.core.call('composeMessage', { draft: { ...tbDraft(copy.fields, rfc5322Date(new Date()), id), ...(footer ? { footer } : {}) } });
      const at = Math.floor(Date.now() / 1000);
      // The readers' stored capabilities choose the algorithms (SPEC section 4).
      const readers = copy.readers.filter((a) => certOf.has(a));
      const mime = choice.encrypt
        ? await this.core.call('encrypt', { handle: signer.handle, mime: plain, recipients: readers.map((a) => certOf.get(a) ?? ''), capabilities: await capabilitiesOf(readers), sign: choice.sign, at })
        : await this.core.call('sign', { handle: signer.handle, mime: plain, opaque: false, at });
      built.push({ envelope: { from: fields.from.address, ...copy.envelope, messageId: id, sentCopy: built.length === 0 }, mime });
    }
    for (const { envelope, mime } of built) {
      await this.m.cachetSend.sendRaw(details.identityId, envelope, mime);
      await this.logSent(envelope.messageId ?? '', mime);
    }
    // Only signed mail carries the user's certificate to the recipients.
    if (choice.sign) await this.keep.recordSent(all, signer.record.id);
    return built.length;
  }

  private async logSent(messageId: string, mime: Uint8Array): Promise<void> {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', mime as Uint8Array<ArrayBuffer>));
    this.sentLog.push({ messageId, size: mime.length, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('') });
    this.sentLog.splice(0, Math.max(0, this.sentLog.length - 20));
  }

  /** The key-exchange request (SPEC section 6): a signed mail asking `address` for a signed reply, sent as is. */
  async sendRequest(tabId: number, address: string): Promise<void> {
    const details = await this.m.compose.getComposeDetails(tabId);
    const from = parseMailbox(details.from ?? '').address.toLowerCase();
    const signer = await this.session.signer(from);
    if (!signer) throw new SendRefused([`Your certificate for ${from || 'this address'} is locked or missing: unlock it to send a signed request.`]);
    if (!details.identityId) throw new SendRefused(['Thunderbird did not say which identity sends this message.']);
    const id = messageId(from);
    const mime = await this.core.call('requestMail', { handle: signer.handle, options: { to: address, from, at: Math.floor(Date.now() / 1000), date: rfc5322Date(new Date()), messageId: id } });
    await this.m.cachetSend.sendRaw(details.identityId, { from, to: [address], cc: [], bcc: [], messageId: id, sentCopy: true }, mime);
    await this.logSent(id, mime);
    await this.keep.requestSent(address, from, Date.now());
    await this.keep.recordSent([address], signer.record.id);
  }
}

/** The compose-side messenger, when the extension runs with its Experiment. */
export function composeMessenger(m: Messenger): ComposeMessenger {
  return m as unknown as ComposeMessenger;
}
