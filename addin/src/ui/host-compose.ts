// Composing in the host's own compose window (capabilities.composeMessage, e.g. Outlook):
// the core's draft for one envelope of the host's fields, and what this version cannot
// protect yet (so it is refused, never silently dropped), and the recipients' statuses from
// the stored certificates. No DOM: the Thunderbird background uses it too.
import type { CoreClient } from '../core/client';
import type { Draft, RecipientStatus as CoreRecipientStatus } from '../core/protocol';
import type { ComposeFields, MailAddress } from '../hosts/host';
import { store } from '../keyring/store';

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
 * The core's draft of one envelope. The text body is used: a host's HTML body, attachments and
 * References are not carried here (the Outlook caller tells the user the message goes out as
 * text; Thunderbird adds them in `tbDraft`).
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

export type RecipientStatus = 'ready' | 'missing' | 'expired' | 'address-mismatch' | 'untrusted';

export const STATUS_WORDS: Record<RecipientStatus, string> = {
  ready: 'ready: certificate stored',
  missing: 'missing: no certificate yet',
  expired: 'expired: the stored certificate has expired',
  'address-mismatch': 'address mismatch: the certificate is for another address',
  untrusted: 'untrusted: the certificate’s issuer is not trusted',
};

/** Each recipient's status, decided by the core from the stored certificates and anchors. */
export async function recipientStatuses(core: CoreClient, recipients: string[]): Promise<{ statuses: CoreRecipientStatus[]; ders: Map<string, string[]> }> {
  const contacts = await store.contacts();
  const ders = new Map(contacts.map((c) => [c.address, [...c.certs].sort((a, b) => Number(b.current) - Number(a.current)).map((x) => x.der)]));
  const anchors = await store.anchors();
  const options = {
    recipients,
    contacts: [...ders].map(([address, certificates]) => ({ address, certificates })),
    trust: anchors.filter((a) => a.kind === 'root').map((a) => a.der),
    pins: anchors.filter((a) => a.kind === 'pin').map((a) => a.der),
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
