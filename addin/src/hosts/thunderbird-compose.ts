// Thunderbird compose, in the background: the Sign/Encrypt choice of each compose tab (set in
// the compose_action popup; Sign is on when the user has an identity for the From address),
// and the takeover of Thunderbird's Send (`compose.onBeforeSend`): when Sign or Encrypt is
// chosen, the core builds the message from the compose window's fields, signs and encrypts it
// (always also to the sender), the Experiment `cachetSend.sendRaw` sends exactly those bytes,
// Thunderbird's own send is cancelled and the compose window closed. When something blocks
// (locked identity, a recipient without a usable certificate, attachments or Bcc this version
// cannot protect), nothing is sent, the draft stays open and the popup says why.
import type { CoreClient } from '../core/client';
import type { Session } from '../keyring/session';
import { type IdentityRecord, store } from '../keyring/store';
import { draftOf, envelopeAddresses, messageId, recipientStatuses, rfc5322Date, STATUS_WORDS, unsupported } from '../ui/host-compose';
import { type ComposeChoice, type ComposeFields, envelopes, type MailAddress } from './host';
import type { Messenger, TbTab } from './thunderbird-api';

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
  type?: string;
  relatedMessageId?: number;
}

export interface ComposeMessenger {
  compose: {
    getComposeDetails(tabId: number): Promise<TbComposeDetails>;
    listAttachments(tabId: number): Promise<{ id: number; name: string; size?: number }[]>;
  };
  messages: { get(id: number): Promise<{ headerMessageId?: string }> };
  tabs: { remove(tabId: number): Promise<void> };
  composeAction: { openPopup(options?: { windowId?: number }): Promise<boolean> };
  cachetSend: { sendRaw(identityId: string, envelope: { from: string; to: string[]; cc: string[]; bcc: string[]; messageId?: string }, message: Uint8Array): Promise<void> };
}

/** One address of a compose field ("Name <a@b>" or "a@b"). */
export function parseMailbox(text: string): MailAddress {
  const m = /^\s*(?:"?([^"<]*?)"?\s*)?<([^>]+)>\s*$/.exec(text);
  if (m) return { name: (m[1] ?? '').trim(), address: (m[2] ?? '').trim() };
  return { name: '', address: text.trim() };
}

/** The Host's compose fields from Thunderbird's compose details. Attachments are listed by name only: this version refuses them. */
export async function composeFields(m: ComposeMessenger, tabId: number, d: TbComposeDetails): Promise<ComposeFields> {
  const list = (v: string[] | undefined) => (v ?? []).filter((x) => x.trim() !== '').map(parseMailbox);
  let inReplyTo: string | null = null;
  if (d.type === 'reply' && d.relatedMessageId !== undefined) {
    const id = (await m.messages.get(d.relatedMessageId)).headerMessageId;
    if (id) inReplyTo = `<${id.replace(/^<|>$/g, '')}>`;
  }
  const attachments = (await m.compose.listAttachments(tabId)).map((a) => ({ name: a.name, contentType: '', bytes: new Uint8Array(0), inline: false, contentId: null }));
  return {
    from: parseMailbox(d.from ?? ''),
    to: list(d.to),
    cc: list(d.cc),
    bcc: list(d.bcc),
    subject: d.subject ?? '',
    text: d.plainTextBody ?? '',
    html: d.isPlainText === false ? (d.body ?? null) : null,
    attachments,
    inReplyTo,
    references: null,
  };
}

/** Nothing was sent; the reasons are for the user. */
export class SendRefused extends Error {
  constructor(readonly reasons: string[]) {
    super(`The message was not sent: ${reasons.join(' ')}`);
    this.name = 'SendRefused';
  }
}

type CoreLike = Pick<CoreClient, 'call'>;
type SessionLike = Pick<Session, 'signer'>;

export class ComposeTakeover {
  private readonly choices = new Map<number, ComposeChoice>();
  private readonly problems = new Map<number, string[]>();
  /** How long the compose window stays after the message went out (Thunderbird finishes its cancelled send first). */
  static CLOSE_DELAY_MS = 300;

  constructor(
    private readonly m: ComposeMessenger,
    private readonly core: CoreLike,
    private readonly session: SessionLike,
    private readonly identities: () => Promise<IdentityRecord[]> = () => store.identities(),
  ) {}

  /** The tab's choice; by default Sign when the user has an identity for the From address (SPEC section 3). */
  async choice(tabId: number, from?: string): Promise<ComposeChoice> {
    const kept = this.choices.get(tabId);
    if (kept) return kept;
    const address = (from ?? parseMailbox((await this.m.compose.getComposeDetails(tabId)).from ?? '').address).toLowerCase();
    const ids = (await this.identities()).filter((r) => !r.retired && (r.facts[0]?.emails ?? []).includes(address));
    return { sign: ids.length > 0, encrypt: false };
  }

  /** Called when choices are kept or forgotten (the background stays awake while any is kept). */
  onChoicesChanged: (() => void) | null = null;

  /** A choice the user made is kept until the compose tab goes. */
  get holdsChoices(): boolean {
    return this.choices.size > 0;
  }

  setChoice(tabId: number, choice: ComposeChoice): void {
    this.choices.set(tabId, { sign: choice.sign, encrypt: choice.encrypt });
    this.problems.delete(tabId);
    this.onChoicesChanged?.();
  }

  /** Why the last Send of this tab was refused (shown by the popup), if it was. */
  lastProblems(tabId: number): string[] {
    return this.problems.get(tabId) ?? [];
  }

  forget(tabId: number): void {
    const had = this.choices.delete(tabId);
    this.problems.delete(tabId);
    if (had) this.onChoicesChanged?.();
  }

  /** `compose.onBeforeSend`: take the send over when Sign or Encrypt is chosen. */
  async beforeSend(tab: TbTab, details: TbComposeDetails): Promise<{ cancel: boolean } | undefined> {
    const tabId = tab.id;
    if (tabId === undefined) return undefined;
    const from = parseMailbox(details.from ?? '').address;
    const choice = await this.choice(tabId, from);
    if (!choice.sign && !choice.encrypt) return undefined;
    try {
      await this.sendSecure(tabId, details, choice);
      this.forget(tabId);
      setTimeout(() => void this.m.tabs.remove(tabId).catch(() => undefined), ComposeTakeover.CLOSE_DELAY_MS);
    } catch (e) {
      this.problems.set(tabId, e instanceof SendRefused ? e.reasons : [e instanceof Error ? e.message : String(e)]);
      void this.m.composeAction.openPopup(tab.windowId !== undefined ? { windowId: tab.windowId } : {}).catch(() => undefined);
    }
    // Thunderbird's own send never runs for a message Cachet protects: it went out, or must not.
    return { cancel: true };
  }

  /** Check, build every envelope, then send them all (nothing goes out unless all could be built). */
  async sendSecure(tabId: number, details: TbComposeDetails, choice: ComposeChoice): Promise<number> {
    const fields = await composeFields(this.m, tabId, details);
    const from = fields.from.address.toLowerCase();
    const reasons = [...unsupported(fields)];
    // The attachments' bytes are not read from Thunderbird yet: refuse rather than send them empty.
    if (fields.attachments.length > 0) {
      reasons.push(`Attachments cannot be signed or encrypted by Cachet in Thunderbird yet (${fields.attachments.map((a) => a.name).join(', ')}): remove them, or send them in a separate message.`);
    }
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
        else reasons.push(`${r.address}: ${STATUS_WORDS[r.status]}.`);
      }
    }
    if (reasons.length > 0 || !signer || !details.identityId) throw new SendRefused(reasons);
    const built: { env: ComposeFields; id: string; mime: Uint8Array }[] = [];
    for (const env of envelopes(fields)) {
      const id = messageId(from);
      const plain = await this.core.call('composeMessage', { draft: draftOf(env, rfc5322Date(new Date()), id) });
      const at = Math.floor(Date.now() / 1000);
      const mime = choice.encrypt
        ? await this.core.call('encrypt', { handle: signer.handle, mime: plain, recipients: envelopeAddresses(env).map((a) => certOf.get(a)).filter((c): c is string => c !== undefined), sign: choice.sign, at })
        : await this.core.call('sign', { handle: signer.handle, mime: plain, opaque: false, at });
      built.push({ env, id, mime });
    }
    for (const { env, id, mime } of built) {
      const addr = (l: MailAddress[]) => l.map((a) => a.address);
      await this.m.cachetSend.sendRaw(details.identityId, { from: fields.from.address, to: addr(env.to), cc: addr(env.cc), bcc: addr(env.bcc), messageId: id }, mime);
    }
    return built.length;
  }
}

/** The compose-side messenger, when the extension runs with its Experiment. */
export function composeMessenger(m: Messenger): ComposeMessenger {
  return m as unknown as ComposeMessenger;
}
