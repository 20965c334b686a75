// The words of SPEC sections 1 and 2 for each status id of the core's report: a headline,
// a tone (good / warn / bad / neutral) and what the user can do. The UI keys on ids only.
import type { OpenReport, SignerReport } from '../core/protocol';

export type Tone = 'good' | 'warn' | 'bad' | 'neutral';

export interface StatusText {
  title: string;
  tone: Tone;
  advice?: string;
}

function date(rfc3339: string | undefined): string {
  if (!rfc3339) return 'an unknown date';
  const d = new Date(rfc3339);
  return Number.isNaN(d.getTime()) ? rfc3339 : d.toISOString().slice(0, 10);
}

function who(s: SignerReport | undefined): string {
  const c = s?.certificate;
  if (!c) return 'an unknown signer';
  // The From address only when the certificate names it (a Sender may sign on behalf of the From address).
  const from = s?.address?.from ?? undefined;
  const address = from !== undefined && c.emails.some((e) => e.toLowerCase() === from.toLowerCase()) ? from : c.emails[0] ?? from;
  return c.common_name ? `${c.common_name}${address ? ` <${address}>` : ''}` : address ?? c.subject;
}

/** " on behalf of FROM" when the Sender, not the From address, is the signer (RFC 8550 section 3). */
function onBehalf(s: SignerReport | undefined): string {
  return s?.address?.sender && s.address.from ? ` on behalf of ${s.address.from}` : '';
}

/** The first signer of the report whose status is the headline (the worst one). */
export function headlineSigner(r: OpenReport): SignerReport | undefined {
  const all = r.layers.flatMap((l) => l.signers ?? []);
  return all.find((s) => s.status === r.status) ?? all[0];
}

export function statusText(r: OpenReport): StatusText {
  const s = headlineSigner(r);
  const c = s?.certificate;
  const issuer = c?.issuer ?? 'an unknown issuer';
  switch (r.status) {
    case 'valid':
      // Where the trust comes from (cert/chain.rs `trusted_by`): a pin the user made, or a root the user trusts.
      return s?.chain?.trusted_by === 'pin'
        ? { tone: 'good', title: `Signed by ${who(s)}${onBehalf(s)}`, advice: `Certificate pinned by you (trusted as itself, for this address), valid until ${date(c?.not_after)}.` }
        : { tone: 'good', title: `Signed by ${who(s)}${onBehalf(s)}`, advice: `Certificate by ${issuer}, issued by a root you trust, valid until ${date(c?.not_after)}.` };
    case 'valid-unknown-ca':
      return { tone: 'warn', title: 'Signature intact, but the certificate’s issuer is not trusted here', advice: `Signed by ${who(s)}; certificate by ${issuer}. If you know this sender, you can pin this certificate: only it, only for this address.` };
    case 'tampered':
      return { tone: 'bad', title: 'Changed after signing', advice: 'The content is not what the sender signed. See below whether a server appended text.' };
    case 'bad-signature':
      return { tone: 'bad', title: 'Signature invalid', advice: 'Do not trust the content or the sender shown.' };
    case 'address-mismatch':
      return s?.address?.problem
        ? { tone: 'bad', title: 'The sender shown cannot be checked against the signature', advice: `${s.address.problem[0]?.toUpperCase() ?? ''}${s.address.problem.slice(1)}. The certificate is for ${s.address.certificate_emails.join(', ') || 'no address'}.` }
        : { tone: 'bad', title: 'Signed by a different address than the sender shown', advice: `The certificate is for ${s?.address?.certificate_emails.join(', ') || 'no address'}, the message is from ${s?.address?.from ?? 'nobody'}.` };
    case 'expired':
      return { tone: 'warn', title: `The signer’s certificate expired on ${date(c?.not_after)}`, advice: s?.valid_at_signing_time ? 'It has expired since the claimed signing time (old mail). Ask the sender for a new signed mail if you need to check them today.' : 'Ask the sender for a new signed mail.' };
    case 'not-yet-valid':
      return { tone: 'warn', title: `The signer’s certificate is valid only from ${date(c?.not_before)}`, advice: 'Check your computer’s clock, or ask the sender.' };
    case 'wrong-usage':
      return { tone: 'bad', title: 'The certificate is not meant for e-mail signing' };
    case 'weak-algorithm':
      return { tone: 'bad', title: `Signed with a weak algorithm (${s?.digest_algorithm ?? ''} ${s?.signature_algorithm ?? ''})`.replace(' ()', '') };
    case 'partially-signed':
      return { tone: 'warn', title: 'Only part of this message is signed', advice: 'Only the marked part is covered by the signature; the rest could have been added by anyone.' };
    case 'no-signer':
      return { tone: 'bad', title: 'The signature names no signer' };
    case 'unsigned':
      return r.layers.some((l) => l.kind === 'encrypted') ? { tone: 'neutral', title: 'Decrypted; not signed', advice: 'Nobody vouches for who wrote it.' } : { tone: 'neutral', title: 'Not signed' };
    case 'malformed':
      return { tone: 'bad', title: 'This message cannot be read', advice: r.error?.message ?? 'It is damaged or not a MIME message.' };
    case 'no-key':
      return { tone: 'bad', title: 'You do not have the key to decrypt this message', advice: 'Unlock your certificates, or restore the certificate it was encrypted for from a backup (Certificates, Import).' };
    case 'needs-password':
      return r.diagnosis.some((d) => d.id === 'needs-password' && d.message.includes('does not open'))
        ? { tone: 'warn', title: 'Encrypted with a password: that password does not open it', advice: 'Check the password the sender gave you and enter it again.' }
        : { tone: 'neutral', title: 'Encrypted with a password', advice: 'Enter the password the sender gave you to open it (it was not encrypted to your certificate).' };
    case 'integrity-failure':
      return { tone: 'bad', title: 'The encrypted message was damaged or altered', advice: 'Nothing of it is shown. Ask the sender to send it again.' };
    case 'weak-cipher':
      return { tone: 'warn', title: 'Decrypted, but it was encrypted with a weak cipher', advice: 'Anyone with enough resources may have read it on the way.' };
    case 'decrypted':
      // A layer status only (the headline is never this); shown as what it says.
      return { tone: 'neutral', title: 'Decrypted' };
    default: {
      // Status is a union generated from the core's enum: a status without a case here is a type error.
      const missing: never = r.status;
      return { tone: 'neutral', title: String(missing) };
    }
  }
}
