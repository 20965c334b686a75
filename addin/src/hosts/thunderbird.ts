// The Thunderbird host (a MailExtension, manifest version 3). Two halves:
// - `MessageReader`, in the extension's event page (background), which owns the core worker
//   and the keyring session: for each displayed message it reads the original bytes
//   (`messages.getRaw`, never Thunderbird's own decryption), opens them with the core once,
//   stores a valid signer's certificate as a contact, and gives the message pane's display
//   script the banner text (the read pane's words, `statusText`).
// - `ThunderbirdHost`, the `Host` of the extension's pages (the details popup, the viewer tab,
//   the options page), which reach the background's core and session.
// Plaintext stays in memory: nothing here writes a decrypted message anywhere.
import type { CoreClient } from '../core/client';
import type { OpenReport } from '../core/protocol';
import type { LearnOutcome, Session } from '../keyring/session';
import { store } from '../keyring/store';
import { statusText, type Tone } from '../ui/status-text';
import { DEFAULT_DOH_RESOLVER, dohQuery } from './doh';
import type { Host, HostCapabilities, HostNotification, MailRef } from './host';
import type { ComposeTakeover } from './thunderbird-compose';
import type { Messenger, TbMessageList, TbMessageSender, TbTab } from './thunderbird-api';

/** What the message pane's banner shows: the read pane's headline and advice for the status. */
export interface BannerInfo {
  status: string;
  tone: Tone;
  title: string;
  advice: string | null;
  /** A sentence about the sender's certificate (stored, or changed and waiting for the user). */
  note: string | null;
  /** The message is encrypted (the viewer tab shows its content). */
  encrypted: boolean;
  /**
   * A sentence about its protected header fields (RFC 9788) when they say something the
   * header above the message does not: a signed field changed outside the signature, or the
   * real Subject of encrypted mail (whose header shows a placeholder).
   */
  headers: string | null;
}

/** The request a display script sends to the background. */
export const BANNER_REQUEST = 'cachet:banner';

/**
 * Sent to the background every KEEPALIVE_MS by an open Cachet page, and by the background's
 * own keep-alive frame while identities are unlocked. Thunderbird suspends an idle event page
 * after 30 s (`extensions.background.idle.timeout`) and a message to it is what resets that
 * timer; suspending would drop the unlocked keys (the worker goes with the page) and leave open
 * pages holding a dead background. So the background lives while a page is open or an identity
 * is unlocked, and the keyring's own idle lock stays the one timeout the user sets.
 */
export const KEEPALIVE = 'cachet:keepalive';
export const KEEPALIVE_MS = 5_000;

/** An extension page keeps the background (whose core and session it uses) running while it is open. */
export function keepBackgroundAwake(messenger: Messenger): void {
  const ping = (): void => void messenger.runtime.sendMessage({ type: KEEPALIVE }).catch(() => undefined);
  ping();
  setInterval(ping, KEEPALIVE_MS);
}

/** Results kept for displayed messages (a user goes back and forth between a few). */
export const READER_CACHE = 32;

/** The bytes of a message as Thunderbird stored them (for S/MIME: the original, encrypted or signed). */
export async function rawMessage(messenger: Messenger, id: number): Promise<Uint8Array> {
  const raw = await messenger.messages.getRaw(id, { decrypt: false });
  if (typeof raw === 'string') {
    // A binary string (one byte per character), as MV2 gave it.
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i) & 0xff;
    return out;
  }
  return new Uint8Array(await raw.arrayBuffer());
}

function noteFor(outcomes: LearnOutcome[]): string | null {
  for (const o of outcomes) {
    if (o.kind === 'changed') return `${o.address} now signs with a different certificate. Open Cachet’s details (the Cachet button above the message) to accept it or keep the stored one.`;
  }
  const stored = outcomes.find((o) => o.kind === 'stored');
  return stored ? `The certificate of ${stored.address} is stored: you can now send encrypted mail to this address.` : null;
}

/** The banner's sentence about protected header fields, if any (see `BannerInfo.headers`). */
export function headerNote(report: OpenReport): string | null {
  const ph = report.protected_headers;
  if (!ph) return null;
  if (ph.mismatches.length) {
    const each = ph.mismatches.slice(0, 3).map((m) => `${m.name} “${m.inner}”`);
    return `Changed outside the signature: the signed ${each.join(', ')} ${ph.mismatches.length > 1 ? 'differ' : 'differs'} from what the header above shows.`;
  }
  if (ph.subject !== undefined && ph.confidential.includes('Subject')) return `Encrypted subject: “${ph.subject}”.`;
  return null;
}

export function bannerInfo(report: OpenReport, outcomes: LearnOutcome[] = []): BannerInfo {
  const t = statusText(report);
  return {
    status: report.status,
    tone: t.tone,
    title: t.title,
    advice: t.advice ?? null,
    note: noteFor(outcomes),
    encrypted: report.layers.some((l) => l.kind === 'encrypted'),
    headers: headerNote(report),
  };
}

/**
 * Whether a message is encrypted in a form Cachet does not open, which Thunderbird may decrypt
 * itself: PGP/MIME (multipart/encrypted) or inline OpenPGP in its first MiB.
 */
export function encryptedOtherwise(mime: Uint8Array): boolean {
  const text = new TextDecoder('latin1').decode(mime.subarray(0, 1 << 20));
  const head = text.slice(0, Math.max(0, text.search(/\r?\n\r?\n/)));
  return /^content-type:[ \t]*multipart\/encrypted/im.test(head) || text.includes('-----BEGIN PGP MESSAGE-----');
}

type CoreLike = Pick<CoreClient, 'call'>;
type SessionLike = Pick<Session, 'openOptions' | 'learnValid'>;

/**
 * The background's reader. Thunderbird may report one display two or three times: a message
 * is read and opened once per state of the keyring (`invalidate()` after unlocking, locking,
 * or a change of anchors and contacts), and concurrent requests share the same work.
 */
export class MessageReader {
  private generation = 0;
  private readonly cache = new Map<number, { generation: number; result: Promise<BannerInfo> }>();
  /** How many times a message was actually read and opened (diagnostics and tests). */
  opens = 0;

  /**
   * `markEncrypted`: note a displayed message's Message-ID as one whose replies are sent
   * encrypted (the store's list the compose takeover asks, `ComposeTakeover.protectedReply`).
   */
  constructor(
    private readonly messenger: Messenger,
    private readonly core: CoreLike,
    private readonly session: SessionLike,
    private readonly markEncrypted: (messageId: string) => Promise<void> = (id) => store.markDecrypted(id),
  ) {}

  /** What `open` depends on changed: the next display opens messages again. */
  invalidate(): void {
    this.generation++;
    this.cache.clear();
  }

  /** The banner of message `id`, opened at most once per keyring state. */
  analyse(id: number): Promise<BannerInfo> {
    const hit = this.cache.get(id);
    if (hit && hit.generation === this.generation) return hit.result;
    const result = this.open(id);
    this.cache.set(id, { generation: this.generation, result });
    result.catch(() => this.cache.delete(id));
    while (this.cache.size > READER_CACHE) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    return result;
  }

  private async open(id: number): Promise<BannerInfo> {
    this.opens++;
    const mime = await rawMessage(this.messenger, id);
    // Read before the bytes go to the worker (handed over, not copied).
    const otherwise = encryptedOtherwise(mime);
    const options = await this.session.openOptions();
    const { report } = await this.core.call('open', { mime, options });
    // Encrypted mail is answered encrypted, also mail that Thunderbird decrypts itself with
    // its own S/MIME or OpenPGP key (Cachet's Send takeover would otherwise send a reply that
    // quotes it signed only): noted when it is displayed.
    if (otherwise || report.layers.some((l) => l.kind === 'encrypted')) await this.noteEncrypted(id);
    const learned = await this.session.learnValid(report);
    return bannerInfo(report, learned.map((l) => l.outcome));
  }

  private async noteEncrypted(id: number): Promise<void> {
    try {
      const raw = (await this.messenger.messages.get?.(id))?.headerMessageId;
      if (raw) await this.markEncrypted(`<${raw.replace(/^<|>$/g, '')}>`);
    } catch {
      // Not noted: the compose popup still lets the user choose Encrypt.
    }
  }

  /** `messageDisplay.onMessagesDisplayed`: start the work for a single displayed message. */
  displayed(_tab: TbTab, list: TbMessageList): void {
    const only = list.messages.length === 1 ? list.messages[0] : undefined;
    if (only) this.analyse(only.id).catch(() => undefined);
  }

  /** `runtime.onMessage`: a display script asks for its banner (undefined: not for us). */
  onMessage(message: unknown, sender: TbMessageSender): Promise<unknown> | undefined {
    const type = (message as { type?: unknown } | null)?.type;
    if (type === KEEPALIVE) return Promise.resolve(true);
    if (type !== BANNER_REQUEST) return undefined;
    const tabId = sender.tab?.id;
    if (tabId === undefined) return Promise.resolve(null);
    return this.bannerForTab(tabId);
  }

  private async bannerForTab(tabId: number): Promise<BannerInfo | { error: string } | null> {
    const list = await this.messenger.messageDisplay.getDisplayedMessages(tabId);
    const only = list.messages.length === 1 ? list.messages[0] : undefined;
    if (!only) return null;
    // The header button's tooltip says the same as the banner, where the message's HTML cannot
    // reach: first that this message is being checked (never the last message's verdict), then
    // its own verdict, only while the tab still shows it.
    const title = (text: string): void => void this.messenger.messageDisplayAction?.setTitle({ tabId, title: `Cachet: ${text}` }).catch(() => undefined);
    const stillShown = async (): Promise<boolean> => {
      const now = await this.messenger.messageDisplay.getDisplayedMessages(tabId).catch(() => null);
      return now?.messages.length === 1 && now.messages[0]?.id === only.id;
    };
    title('checking this message…');
    try {
      const info = await this.analyse(only.id);
      if (await stillShown()) title(info.title);
      return info;
    } catch (e) {
      if (await stillShown()) title('this message could not be checked');
      const m = e as { message?: unknown; hint?: unknown };
      return { error: `${typeof m.message === 'string' ? m.message : 'Cachet could not check this message.'}${typeof m.hint === 'string' && m.hint ? ` ${m.hint}` : ''}` };
    }
  }

  /** The toolbar button: the selected message in Cachet's viewer tab (the encrypted case). */
  async openViewer(tab: TbTab): Promise<void> {
    let id: number | undefined;
    try {
      id = (await this.messenger.mailTabs.getSelectedMessages(tab.id)).messages[0]?.id;
    } catch {
      // Not a mail tab (e.g. a message in its own tab): ask what it displays.
      if (tab.id !== undefined) id = (await this.messenger.messageDisplay.getDisplayedMessages(tab.id)).messages[0]?.id;
    }
    await this.messenger.tabs.create({ url: this.messenger.runtime.getURL(id === undefined ? 'tb-message.html' : `tb-message.html?message=${id}`) });
  }
}

/** What the background page exposes to the extension's pages (`runtime.getBackgroundPage()`). */
export interface CachetBackground {
  core: CoreClient;
  session: Session;
  reader: MessageReader;
  composer: ComposeTakeover;
  /** Settled when the session has loaded its settings. */
  ready: Promise<void>;
}

/** The background's core and session, from an extension page. */
export async function background(messenger: Messenger): Promise<CachetBackground> {
  const page = (await messenger.runtime.getBackgroundPage()) as (Window & { cachet?: CachetBackground }) | null;
  const bg = page?.cachet;
  if (!bg) throw new Error('Cachet’s background page is not running. Restart Thunderbird or reinstall Cachet.');
  await bg.ready;
  return bg;
}

/** The Host of the extension's pages. `messageId`: the message this page shows, if any. */
export class ThunderbirdHost implements Host {
  readonly label = 'Thunderbird';
  readonly capabilities: HostCapabilities;

  constructor(private readonly messenger: Messenger, private readonly messageId: number | null) {
    // The pane composes nothing itself (Thunderbird's own compose window is taken over in the
    // background); it sends the mails Cachet writes (request, announcement) through the Experiment.
    const send = (messenger as { cachetSend?: unknown }).cachetSend !== undefined && messenger.identities !== undefined;
    const search = typeof messenger.messages.query === 'function' && typeof messenger.folders?.query === 'function';
    this.capabilities = { localFiles: true, readMessage: messageId !== null, composeMessage: false, sendMessage: send, notifications: messenger.notifications !== undefined, dnsLookup: true, searchMail: search };
    if (send) this.sendMime = (mime) => this.sendBuilt(mime);
  }

  sendMime?: (mime: Uint8Array) => Promise<void>;

  /** A Thunderbird notification (the "notifications" permission); the same id replaces the older one. */
  async notify(note: HostNotification): Promise<boolean> {
    if (!this.messenger.notifications) return false;
    await this.messenger.notifications.create(note.id, { type: 'basic', title: note.title, message: note.message, iconUrl: this.messenger.runtime.getURL('assets/icon-64.png') });
    return true;
  }

  /**
   * Send a message Cachet built (one From and one To: the request and announcement mails) as
   * is, through the send Experiment, from the Thunderbird identity of its From address.
   */
  private async sendBuilt(mime: Uint8Array): Promise<void> {
    const head = new TextDecoder().decode(mime.subarray(0, Math.min(mime.length, 16_384))).split(/\r?\n\r?\n/)[0] ?? '';
    const field = (name: string) => new RegExp(`^${name}:[ \t]*(.*(?:\r?\n[ \t].*)*)`, 'im').exec(head)?.[1]?.replace(/\r?\n[ \t]+/g, ' ').trim() ?? '';
    const addr = (v: string) => (/<([^<>\s]+@[^<>\s]+)>/.exec(v)?.[1] ?? v).trim().toLowerCase();
    const from = addr(field('From'));
    const to = field('To').split(',').map(addr).filter((a) => a.includes('@'));
    const identity = (await this.messenger.identities?.list())?.find((i) => i.email.toLowerCase() === from);
    if (!identity) throw new Error(`Thunderbird has no identity for ${from}: add it in Account Settings.`);
    const send = (this.messenger as unknown as { cachetSend: { sendRaw(id: string, env: { from: string; to: string[]; cc: string[]; bcc: string[]; messageId?: string; sentCopy?: boolean }, m: Uint8Array): Promise<void> } }).cachetSend;
    const id = field('Message-ID');
    await send.sendRaw(identity.id, { from, to, cc: [], bcc: [], ...(id ? { messageId: id } : {}), sentCopy: true }, mime);
  }

  /** SMIMEA lookups go to the default DNS-over-HTTPS resolver (hosts/doh.ts). */
  dnsQuery(queryBase64url: string): Promise<Uint8Array> {
    return dohQuery(DEFAULT_DOH_RESOLVER, queryBase64url);
  }

  dnsResolver(): string {
    return new URL(DEFAULT_DOH_RESOLVER).host;
  }

  /**
   * Every account's Inbox and Sent folders (folders.query by special use), each listed with
   * messages.query page by page (continueList). Thunderbird has no search for S/MIME: every
   * message is a candidate and the harvest tells signed mail from its header.
   */
  async *signedCandidates(signal: AbortSignal): AsyncGenerator<MailRef[]> {
    const { folders, messages } = this.messenger;
    if (!folders || !messages.query) return;
    for (const [use, label] of [['inbox', 'Inbox'], ['sent', 'Sent']] as const) {
      for (const folder of await folders.query({ specialUse: [use] })) {
        let page: TbMessageList | null = await messages.query({ folderId: folder.id, messagesPerPage: 100 });
        while (page) {
          if (signal.aborted) return;
          yield page.messages.map((m) => ({ id: String(m.id), folder: `${label} (${folder.name ?? folder.id})`, subject: m.subject ?? '', from: m.author ?? '' }));
          // The last page has no list id; an empty page ends the listing too (no endless loop).
          page = page.id && page.messages.length > 0 && messages.continueList ? await messages.continueList(page.id) : null;
        }
      }
    }
  }

  rawMessage(id: string): Promise<Uint8Array> {
    return rawMessage(this.messenger, Number(id));
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  currentMessage(): Promise<Uint8Array> {
    if (this.messageId === null) return Promise.reject(new Error('No message is selected in Thunderbird.'));
    return rawMessage(this.messenger, this.messageId);
  }

  notices(): string[] {
    return [
      'Cachet keeps its own certificates in this Thunderbird profile, apart from Thunderbird’s own S/MIME settings (Account Settings › End-To-End Encryption). ' +
        'To use an identity in another Thunderbird or in Outlook, export a backup here and import it there.',
    ];
  }
}

/** The id of the message displayed in the active tab of the current window (the popup's message). */
export async function displayedMessageId(messenger: Messenger): Promise<number | null> {
  const [tab] = await messenger.tabs.query({ active: true, currentWindow: true });
  if (tab?.id === undefined) return null;
  const list = await messenger.messageDisplay.getDisplayedMessages(tab.id);
  return list.messages.length === 1 ? (list.messages[0]?.id ?? null) : null;
}
