// The Outlook host (Office.js, Mailbox requirement set 1.14; loaded by the page from
// Microsoft's CDN). Read: the raw message from item.getAsFileAsync, else from Microsoft Graph
// ($value), else the user drops the .eml. Compose: the fields the user typed (Office.js), the
// Sign/Encrypt choice (sessionData), sending the finished MIME through Graph sendMail, then
// deleting the autosaved plaintext draft and closing the compose window.
import { fromBase64 } from './base64';
import { envelopes, type ComposeAttachment, type ComposeFinish, type ComposeChoice, type ComposeFields, type Host, type HostNotification, type MailAddress, type SecureBuilder, type SendOutcome } from './host';
import { type DraftFolder, deletePermanently, graphDrafts } from './drafts';
import { GRAPH_MAX_MIME, tooLargeForGraph, type GraphClient } from './graph';
import { ITEM_CHANGED, call, field, type AttachmentContent, type AttachmentDetails, type EmailAddressDetails, type OfficeItem, type OfficeLike } from './office-api';
import { readChoice, writeChoice } from './office-choice';
import { DEFAULT_DOH_RESOLVER, dohQuery } from './doh';
import type { MailRef } from './host';

declare global {
  // Provided by office.js when the page runs inside Outlook.
  var Office: OfficeLike | undefined;
}

/** Why the current message could not be read; the UI then offers to drop the .eml file. */
export class ReadUnavailable extends Error {
  constructor(readonly reasons: string[]) {
    super(`Outlook did not give the message's raw content (${reasons.join('; ')}). Save the message as a file (.eml) and drop it here.`);
    this.name = 'ReadUnavailable';
  }
}

export interface OfficeHostOptions {
  /** The Office global (tests pass a fake); default: globalThis.Office once ready. */
  office?: OfficeLike;
  /** Microsoft Graph (or the dev mailbox) for the $value fallback, sendMail and draft deletion. */
  graph?: GraphClient | null;
  /** Which Graph is used, or what is missing, in words (shown with the host's notices). */
  graphNotice?: string;
  /** The DNS-over-HTTPS resolver for SMIMEA lookups ("dohResolver" in cachet-config.json); default DEFAULT_DOH_RESOLVER. */
  dohResolver?: string | undefined;
}

const address = (d: EmailAddressDetails | undefined): MailAddress => ({ name: d?.displayName ?? '', address: d?.emailAddress ?? '' });

export class OfficeHost implements Host {
  readonly label = 'Outlook';
  readonly capabilities = { localFiles: true, readMessage: false, composeMessage: false, sendMessage: false, notifications: false, dnsLookup: true, searchMail: false };
  private office: OfficeLike | undefined;
  private readonly graph: GraphClient | null;
  private readonly graphNotice: string | null;
  private readonly resolver: string;

  constructor(opts: OfficeHostOptions = {}) {
    this.office = opts.office;
    this.graph = opts.graph ?? null;
    this.graphNotice = opts.graphNotice ?? null;
    this.resolver = opts.dohResolver ?? DEFAULT_DOH_RESOLVER;
    // Harvesting searches the mailbox through Graph: only with Graph.
    this.capabilities.searchMail = this.graph !== null;
  }

  /** SMIMEA lookups go to the configured DNS-over-HTTPS resolver (hosts/doh.ts). */
  dnsQuery(queryBase64url: string): Promise<Uint8Array> {
    return dohQuery(this.resolver, queryBase64url);
  }

  dnsResolver(): string {
    return new URL(this.resolver).host;
  }

  /** Inbox, then Sent Items: the messages Exchange classed as S/MIME (GraphClient.smimeMessages). */
  async *signedCandidates(signal: AbortSignal): AsyncGenerator<MailRef[]> {
    if (!this.graph) return;
    for (const [folder, label] of [['inbox', 'Inbox'], ['sentitems', 'Sent Items']] as const) {
      for await (const page of this.graph.smimeMessages(folder)) {
        if (signal.aborted) return;
        yield page.map((m) => ({ id: m.id, folder: label, subject: m.subject, from: m.from.address }));
      }
    }
  }

  /** A listed message's MIME (Graph $value: the ids come from Graph, no conversion needed). */
  rawMessage(id: string): Promise<Uint8Array> {
    if (!this.graph) return Promise.reject(new Error('Microsoft Graph is not configured.'));
    return this.graph.getMime(id);
  }

  async ready(): Promise<void> {
    const office = this.office ?? globalThis.Office;
    // Outside Outlook (page opened directly) there is no Office.js: carry on as a plain page.
    if (!office) return;
    await office.onReady();
    this.office = office;
    this.updateCapabilities();
  }

  /** The capabilities for the item selected now (none when no item is selected). */
  private updateCapabilities(): void {
    const item = this.office?.context.mailbox?.item;
    if (!item) {
      Object.assign(this.capabilities, { readMessage: false, composeMessage: false, sendMessage: false, notifications: false });
      return;
    }
    this.capabilities.notifications = item.notificationMessages !== undefined;
    const reading = typeof item.getAsFileAsync === 'function' || (item.itemId !== undefined && this.graph !== null);
    const composing = typeof item.saveAsync === 'function' && item.body !== undefined;
    this.capabilities.readMessage = !composing && reading;
    this.capabilities.composeMessage = composing;
    this.capabilities.sendMessage = composing && this.graph !== null && typeof item.closeAsync === 'function';
  }

  /** A pinned task pane stays open while the user selects other messages (ItemChanged, Mailbox 1.5). */
  async onMessageChanged(listener: () => void): Promise<boolean> {
    const mailbox = this.office?.context.mailbox;
    if (!mailbox?.addHandlerAsync) return false;
    try {
      await call<void>('addHandlerAsync', (cb) => mailbox.addHandlerAsync?.(ITEM_CHANGED, () => {
        this.updateCapabilities();
        listener();
      }, cb));
      return true;
    } catch {
      return false;
    }
  }

  private item(): OfficeItem {
    const item = this.office?.context.mailbox.item;
    if (!item) throw new Error('No message is open in Outlook.');
    return item;
  }

  /** The Graph (REST v2.0) id of an Outlook item id. */
  private restId(itemId: string): string {
    const mailbox = this.office?.context.mailbox;
    return mailbox?.convertToRestId ? mailbox.convertToRestId(itemId, 'v2.0') : itemId;
  }

  async currentMessage(): Promise<Uint8Array> {
    const item = this.item();
    const reasons: string[] = [];
    if (typeof item.getAsFileAsync === 'function') {
      try {
        const b64 = await call<string>('getAsFileAsync', (cb) => item.getAsFileAsync?.(cb));
        const bytes = fromBase64(b64);
        // Undocumented for S/MIME items: an empty or header-less answer is treated as a failure.
        if (bytes.length > 0 && looksLikeMime(bytes)) return bytes;
        reasons.push('getAsFileAsync returned no MIME message');
      } catch (e) {
        reasons.push(e instanceof Error ? e.message : String(e));
      }
    } else {
      reasons.push('getAsFileAsync is not available (Mailbox 1.14 needed)');
    }
    if (this.graph && item.itemId) {
      try {
        const bytes = await this.graph.getMime(this.restId(item.itemId));
        if (looksLikeMime(bytes)) return bytes;
        reasons.push('Microsoft Graph returned no MIME message');
      } catch (e) {
        reasons.push(`Microsoft Graph: ${e instanceof Error ? e.message : String(e)}`);
      }
    } else {
      reasons.push('Microsoft Graph is not configured');
    }
    throw new ReadUnavailable(reasons);
  }

  async composeFields(): Promise<ComposeFields> {
    const item = this.item();
    const profile = this.office?.context.mailbox.userProfile;
    const list = async (what: string, f: OfficeItem['to']) => (await field<EmailAddressDetails[]>(what, f, [])).map(address).filter((a) => a.address !== '');
    const body = item.body;
    if (!body) throw new Error('Outlook did not give the message body.');
    // Every read is asked for at once: each is a round trip to Outlook, and none needs another's
    // answer (the HTML body only when the body is HTML, the saved draft only after saveAsync).
    const bodies = (async () => {
      const type = body.getTypeAsync ? await call<string>('body.getTypeAsync', (cb) => body.getTypeAsync?.(cb)) : 'text';
      const [text, html] = await Promise.all([
        call<string>('body.getAsync(text)', (cb) => body.getAsync('text', cb)),
        type === 'html' ? call<string>('body.getAsync(html)', (cb) => body.getAsync('html', cb)) : null,
      ]);
      return { text, html };
    })();
    // Office.js has no In-Reply-To in compose mode: read it from the saved draft through Graph.
    const threading = (async () => {
      if (!this.graph) return { inReplyTo: null, references: null };
      try {
        const draft = await this.graph.getMime(this.restId(await this.draftId(item)));
        return { inReplyTo: headerValue(draft, 'in-reply-to'), references: headerValue(draft, 'references') };
      } catch {
        // A new message or no Graph access: not a reply as far as we can tell.
        return { inReplyTo: null, references: null };
      }
    })();
    const [sender, { text, html }, to, cc, bcc, subject, attachments, { inReplyTo, references }] = await Promise.all([
      item.from ? field<EmailAddressDetails>('from.getAsync', item.from, {}).then(address) : null,
      bodies,
      list('to.getAsync', item.to),
      list('cc.getAsync', item.cc),
      list('bcc.getAsync', item.bcc),
      field<string>('subject.getAsync', item.subject, ''),
      this.attachments(item),
      threading,
    ]);
    const own = { name: profile?.displayName ?? '', address: profile?.emailAddress ?? '' };
    return { from: sender?.address ? sender : own, to, cc, bcc, subject, text, html, attachments, inReplyTo, references };
  }

  private async attachments(item: OfficeItem): Promise<ComposeAttachment[]> {
    if (!item.getAttachmentsAsync) return [];
    const list = await call<AttachmentDetails[]>('getAttachmentsAsync', (cb) => item.getAttachmentsAsync?.(cb));
    // The contents asked for at once (one round trip to Outlook each), taken in the list's order.
    const contents = await Promise.all(list.map((a) => call<AttachmentContent>('getAttachmentContentAsync', (cb) => item.getAttachmentContentAsync?.(a.id, cb))));
    const out: ComposeAttachment[] = [];
    for (const [i, a] of list.entries()) {
      const c = contents[i];
      if (!c) continue;
      let bytes: Uint8Array;
      let name = a.name;
      let contentType = a.contentType || typeByExtension(a.name);
      if (c.format === 'base64') bytes = fromBase64(c.content);
      else if (c.format === 'eml') {
        // An attached Outlook item: sent as message/rfc822, named so that it saves as a message.
        bytes = new TextEncoder().encode(c.content);
        contentType = 'message/rfc822';
        if (!/\.eml$/i.test(name)) name = `${name || 'message'}.eml`;
      } else if (c.format === 'iCalendar') {
        bytes = new TextEncoder().encode(c.content);
        contentType = 'text/calendar';
      } else {
        // A cloud attachment (a link): it cannot be signed or encrypted with the message.
        throw new Error(`The attachment "${a.name}" is a link to a file in the cloud; attach a copy of the file instead.`);
      }
      // An inline picture is referred to by the HTML as cid:<contentId>; Outlooks that do not
      // give the Content-ID refer to it by its name.
      out.push({ name, contentType, bytes, inline: a.isInline, contentId: a.isInline ? (a.contentId || a.name) : null });
    }
    return out;
  }

  private async draftId(item: OfficeItem): Promise<string> {
    if (item.saveAsync) {
      const id = await call<string>('saveAsync', (cb) => item.saveAsync?.(cb));
      if (id) return id;
    }
    if (item.getItemIdAsync) return call<string>('getItemIdAsync', (cb) => item.getItemIdAsync?.(cb));
    throw new Error('Outlook did not save the draft.');
  }

  async composeChoice(): Promise<ComposeChoice> {
    return readChoice(this.item());
  }

  async setComposeChoice(choice: ComposeChoice): Promise<void> {
    await writeChoice(this.item(), choice);
  }

  async sendComposed(secure: SecureBuilder, read?: ComposeFields): Promise<SendOutcome> {
    const graph = this.graph;
    if (!graph) throw new Error('Sending needs Microsoft Graph, which is not configured.');
    const fields = read ?? (await this.composeFields());
    const plan = envelopes(fields);
    if (plan.length === 0) throw new Error('The message has no recipient.');
    // Graph refuses requests over 4 MB: what the user wrote alone may already be too much.
    const raw = fields.text.length + (fields.html?.length ?? 0) + fields.attachments.reduce((n, a) => n + a.bytes.length, 0);
    if (raw > GRAPH_MAX_MIME) throw tooLargeForGraph(raw, false);
    // Build every message first: nothing is sent unless all of them could be built and fit.
    const messages: Uint8Array[] = [];
    for (const env of plan) {
      const m = await secure(env);
      if (m.length > GRAPH_MAX_MIME) throw tooLargeForGraph(m.length, true);
      messages.push(m);
    }
    for (const m of messages) await graph.sendMime(m);
    return { sent: messages.length, ...(await this.finishCompose()) };
  }

  /**
   * Each Outlook client (Outlook on the web in each browser profile, the new Outlook, Outlook
   * on Mac) gives the add-in its own partitioned storage: identities unlocked in one are not
   * in the others. The certificate panel's backup export and import moves them.
   */
  notices(): string[] {
    return [
      'Each Outlook (on the web in each browser, the new Outlook, Outlook on Mac) keeps its own copy of your identities. ' +
        'To use an identity in another Outlook, export a backup in the certificate panel here and import it there.',
      ...(this.graphNotice ? [this.graphNotice] : []),
    ];
  }

  userAddress(): string | null {
    return this.office?.context.mailbox.userProfile?.emailAddress || null;
  }

  /**
   * A reminder in the notification bar of the open item (Outlook keeps one message per key and
   * shows at most 150 characters; it goes when the item is closed). False without an item.
   */
  async notify(note: HostNotification): Promise<boolean> {
    const notes = this.office?.context.mailbox?.item?.notificationMessages;
    if (!notes) return false;
    const text = `Cachet: ${note.message}`;
    await call<void>('notificationMessages.replaceAsync', (cb) =>
      notes.replaceAsync(note.id.slice(0, 32), { type: 'informationalMessage', message: text.length > 150 ? `${text.slice(0, 149)}…` : text, icon: 'Icon.16x16', persistent: false }, cb));
    return true;
  }

  async sendMime(mime: Uint8Array): Promise<void> {
    if (!this.graph) throw new Error('Sending needs Microsoft Graph, which is not configured.');
    await this.graph.sendMime(mime);
  }

  /** The mailbox's Drafts folder through Graph (encrypted drafts of the confidential mode). */
  drafts(): DraftFolder | null {
    return this.graph ? graphDrafts(this.graph) : null;
  }

  async finishCompose(): Promise<ComposeFinish> {
    const graph = this.graph;
    const item = this.item();
    let draftDeleted = false;
    let draftInDeletedItems = false;
    try {
      if (!graph) throw new Error('Microsoft Graph is not configured');
      const id = this.restId(await this.draftId(item));
      // Permanently: a plain DELETE would leave the plaintext in Deleted Items. Where the
      // mailbox refuses that, the plain DELETE all the same, and the user is told where it went.
      draftInDeletedItems = (await deletePermanently(graph, id)) === 'deleted-items';
      draftDeleted = true;
    } catch {
      // The draft stays in Drafts; the UI tells the user to delete it.
    }
    // Undocumented: how Outlook treats a compose window whose draft was deleted; closeAsync may
    // prompt the user to save again. The outcome says whether it closed.
    let closed = false;
    if (item.closeAsync) {
      try {
        await call<void>('closeAsync', (cb) => item.closeAsync?.(cb));
        closed = true;
      } catch {
        closed = false;
      }
    }
    return { draftDeleted, draftInDeletedItems, closed };
  }
}

const TYPES: Record<string, string> = {
  pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', txt: 'text/plain',
  htm: 'text/html', html: 'text/html', csv: 'text/csv', zip: 'application/zip', xml: 'application/xml', eml: 'message/rfc822',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

/** A content type from a file name (compose-mode attachments come without one). */
export function typeByExtension(name: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  return TYPES[ext] ?? 'application/octet-stream';
}

/** True when the bytes start with a header field (name ":"), as a MIME message does. */
function looksLikeMime(bytes: Uint8Array): boolean {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
  return /^[\x21-\x39\x3b-\x7e]+:/.test(head);
}

/** An unfolded header field value of a MIME message, or null. */
export function headerValue(mime: Uint8Array, name: string): string | null {
  const text = new TextDecoder('latin1').decode(mime.subarray(0, 256 * 1024));
  const end = text.search(/\r?\n\r?\n/);
  const head = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) return line.slice(colon + 1).trim() || null;
  }
  return null;
}
