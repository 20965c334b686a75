// Composing in the host's own compose window (capabilities.composeMessage, e.g. Outlook):
// the core's draft for one envelope of the host's fields, and what this version cannot
// protect yet (so it is refused, never silently dropped). Pure functions, no DOM.
import type { Draft } from '../core/protocol';
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
 * The core's draft of one envelope. The text body is used: a host's HTML body is not carried
 * by this version of the core (the caller tells the user the message goes out as text).
 */
export function draftOf(env: ComposeFields, date: string, messageId: string): Draft {
  return {
    from: mailbox(env.from),
    to: env.to.map(mailbox),
    cc: env.cc.map(mailbox),
    subject: env.subject,
    text: env.text.replace(/\r\n?/g, '\n'),
    date,
    messageId,
    ...(env.inReplyTo ? { inReplyTo: env.inReplyTo } : {}),
  };
}

/** Reasons the host's message cannot be protected by this version (empty: it can). */
export function unsupported(fields: ComposeFields): string[] {
  const out: string[] = [];
  if (fields.attachments.length > 0) {
    out.push(`Attachments cannot be signed or encrypted by this version of Cachet yet (${fields.attachments.map((a) => a.name).join(', ')}): remove them, or send them in a separate message.`);
  }
  if (fields.bcc.length > 0) {
    out.push(`Bcc recipients cannot be sent to securely by this version of Cachet yet (${fields.bcc.map((a) => a.address).join(', ')}): move them to To or Cc, or remove them.`);
  }
  return out;
}
