// Composing in the host's own compose window (capabilities.composeMessage, e.g. Outlook):
// the core's draft for one envelope of the host's fields (text and HTML, inline images,
// attachments and attached messages, threading fields), a summary of what goes out, what
// cannot be protected (so it is refused, never silently dropped), and the recipients' statuses
// from the stored certificates. No DOM: the Thunderbird background uses it too.
import type { CoreClient } from '../core/client';
import type { Draft, EncryptionChoice, LearnedCapabilities, RecipientChoice, RecipientStatus as CoreRecipientStatus } from '../core/protocol';
import { toBase64 } from '../hosts/base64';
import type { ComposeFields, MailAddress } from '../hosts/host';
import { type ContactRecord, anchorDers, store } from '../keyring/store';

/** `Name <address>` when the name is plain text, else the bare address (no quoting needed). */
export function mailbox(a: MailAddress): string {
  const name = a.name.trim();
  return name && !/[,;<>"@\\()[\]:]/.test(name) && name.toLowerCase() !== a.address.toLowerCase() ? `${name} <${a.address}>` : a.address;
}

/** The lower-case addresses one envelope goes to (To, Cc and its Bcc recipient). */
export function envelopeAddresses(env: ComposeFields): string[] {
  return [...env.to, ...env.cc, ...env.bcc].map((a) => a.address.trim().toLowerCase()).filter((a) => a.includes('@'));
}

/**
 * The core's draft of one envelope: the plain text, the HTML (sent as its alternative) with
 * the inline images it refers to by `cid:`, the attachments (attached messages as
 * message/rfc822) and the threading fields of a reply or forward. The envelope's Bcc (one
 * recipient, on that recipient's own copy) is passed on; the other copies have none.
 */
export function draftOf(env: ComposeFields, date: string, messageId: string): Draft {
  return {
    from: mailbox(env.from),
    to: env.to.map(mailbox),
    cc: env.cc.map(mailbox),
    bcc: env.bcc.map(mailbox),
    subject: env.subject,
    text: env.text.replace(/\r\n?/g, '\n'),
    ...(env.html !== null && env.html.trim() !== '' ? { html: env.html } : {}),
    date,
    messageId,
    ...(env.inReplyTo ? { inReplyTo: env.inReplyTo } : {}),
    ...(env.references ? { references: env.references } : {}),
    attachments: env.attachments.map((a) => ({
      filename: a.name,
      contentType: a.contentType,
      dataBase64: toBase64(a.bytes),
      ...(a.inline && a.contentId ? { contentId: a.contentId } : {}),
    })),
  };
}

/** What goes out besides the text, in words (e.g. "formatted text, 1 picture in the text, 2 attachments: a.pdf, b.png"). */
export function contentSummary(fields: ComposeFields): string {
  const inline = fields.attachments.filter((a) => a.inline && a.contentId);
  const files = fields.attachments.filter((a) => !(a.inline && a.contentId));
  const parts = [fields.html !== null ? 'formatted (HTML) text with its plain-text version' : 'plain text'];
  if (fields.html !== null && inline.length) parts.push(`${inline.length} picture${inline.length > 1 ? 's' : ''} in the text`);
  if (files.length) parts.push(`${files.length} attachment${files.length > 1 ? 's' : ''}: ${files.map((a) => a.name).join(', ')}`);
  if (fields.bcc.length) parts.push(`a separate copy for each Bcc recipient (${fields.bcc.length}), which names no other Bcc recipient`);
  return parts.join('; ');
}

/** Reasons the host's message cannot be protected (empty: it can). */
export function unsupported(_fields: ComposeFields): string[] {
  return [];
}

export type RecipientStatus = 'ready' | 'missing' | 'expired' | 'address-mismatch' | 'untrusted';

/** After sending: the mailbox refused to delete the plaintext draft permanently (`ComposeFinish.draftInDeletedItems`). */
export const IN_DELETED_ITEMS = 'The unprotected draft was deleted into Deleted Items, because this mailbox refused to delete it permanently: empty Deleted Items to remove it.';

export const STATUS_WORDS: Record<RecipientStatus, string> = {
  ready: 'ready: certificate stored',
  missing: 'missing: no certificate yet',
  expired: 'expired: the stored certificate has expired',
  'address-mismatch': 'address mismatch: the certificate is for another address',
  untrusted: 'untrusted: the certificate’s issuer is not trusted',
};

/** What a contact's mail program advertised, as the core takes it (null: nothing known yet). */
export function learnedOf(c: ContactRecord | undefined): LearnedCapabilities | null {
  if (!c || c.capabilities.length === 0) return null;
  return { algorithms: c.capabilities, certificate_sha256: c.capabilitiesCert ?? '', ...(c.capabilitiesAt !== undefined ? { signing_time: c.capabilitiesAt } : {}) };
}

/** The stored capabilities for each address (lower-case), null where none are known. */
export async function capabilitiesOf(addresses: string[]): Promise<(LearnedCapabilities | null)[]> {
  const contacts = new Map((await store.contacts()).map((c) => [c.address.toLowerCase(), c]));
  return addresses.map((a) => learnedOf(contacts.get(a.toLowerCase())));
}

const CIPHER_WORDS: Record<string, string> = { 'aes256-gcm': 'AES-256-GCM', 'aes128-gcm': 'AES-128-GCM', 'aes256-cbc': 'AES-256-CBC', 'aes128-cbc': 'AES-128-CBC' };

/** A cipher id in words ("AES-256-GCM"). */
export function cipherWords(id: string): string {
  return CIPHER_WORDS[id] ?? id;
}

/**
 * What encrypting to these recipients (address and certificate, base64 DER) will use and why,
 * from their stored capabilities; `handle` adds the sender's own copy. Null when there is no one.
 */
export async function encryptionChoice(core: CoreClient, handle: number | null, recipients: { address: string; der: string }[]): Promise<EncryptionChoice | null> {
  if (recipients.length === 0) return null;
  const capabilities = await capabilitiesOf(recipients.map((r) => r.address));
  return core.call('encryptionChoice', { handle, recipients: recipients.map((r) => r.der), capabilities, at: Math.floor(Date.now() / 1000) });
}

/** One recipient's line of the choice: "AES-256-GCM, RSA-OAEP (SHA-256): advertised AES-GCM … ". */
export function choiceWords(choice: EncryptionChoice, r: RecipientChoice): string {
  return `${cipherWords(choice.content_cipher)}, ${r.key_management}: ${r.reason}`;
}

/** Each recipient's status, decided by the core from the stored certificates and anchors. */
export async function recipientStatuses(core: CoreClient, recipients: string[]): Promise<{ statuses: CoreRecipientStatus[]; ders: Map<string, string[]> }> {
  const contacts = await store.contacts();
  const ders = new Map(contacts.map((c) => [c.address, [...c.certs].sort((a, b) => Number(b.current) - Number(a.current)).map((x) => x.der)]));
  const anchors = await store.anchors();
  const options = {
    recipients,
    contacts: [...ders].map(([address, certificates]) => ({ address, certificates })),
    ...anchorDers(anchors),
    known: [...ders.values()].flat(),
    at: Math.floor(Date.now() / 1000),
  };
  return { statuses: recipients.length ? await core.call('recipientStatus', { options }) : [], ders };
}

export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

export function messageId(from: string): string {
  const domain = from.split('@')[1] ?? 'localhost';
  const rand = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
  return `<${rand}@${domain}>`;
}
