// Composing in the host's own compose window (capabilities.composeMessage, e.g. Outlook):
// the core's draft for one envelope of the host's fields (text and HTML, inline images,
// attachments and attached messages, threading fields), a summary of what goes out, and what
// cannot be protected (so it is refused, never silently dropped). Pure functions, no DOM.
import type { Draft } from '../core/protocol';
import { toBase64 } from '../hosts/graph';
import type { ComposeFields, MailAddress } from '../hosts/host';

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
