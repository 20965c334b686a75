// Renders the facts of a certificate (from the core's certSummary) as a description list.
import type { CertFacts } from '../core/protocol';
import { el } from './dom';

function date(rfc3339: string): string {
  const d = new Date(rfc3339);
  return Number.isNaN(d.getTime()) ? rfc3339 : `${d.toUTCString().replace(' GMT', ' UTC')}`;
}

function keyText(k: CertFacts['key']): string {
  const parts = [k.algorithm];
  if (k.curve) parts.push(k.curve);
  if (k.bits !== null) parts.push(`${k.bits} bits`);
  return parts.join(', ');
}

function usableText(u: CertFacts['usable_for']): string {
  const what = { both: 'signing and encryption', sign: 'signing only', encrypt: 'encryption only', neither: 'neither signing nor encryption' }[u.summary] ?? u.summary;
  return `E-mail ${what}`;
}

function row(label: string, value: Node | string, key: string): Node[] {
  return [el('dt', {}, label), el('dd', { 'data-field': key }, value)];
}

export function certView(c: CertFacts, index: number, total: number): HTMLElement {
  const title = c.common_name ?? c.subject;
  const emails = c.emails.length > 0 ? el('ul', { class: 'plain' }, ...c.emails.map((m) => el('li', {}, m))) : 'none';
  const reasons = c.usable_for.reasons.length > 0 ? el('ul', { class: 'plain reasons' }, ...c.usable_for.reasons.map((r) => el('li', {}, `Not usable because ${r}.`))) : null;
  const headingId = `cert-${index}`;
  return el(
    'article',
    { class: 'cert', 'aria-labelledby': headingId },
    el('h3', { id: headingId }, total > 1 ? `${index + 1}. ${title}` : title),
    el(
      'dl',
      {},
      ...row('Subject', c.subject, 'subject'),
      ...row('E-mail addresses', emails, 'emails'),
      ...row('Issuer', c.self_signed ? `${c.issuer} (self-signed)` : c.issuer, 'issuer'),
      ...row('Serial number', c.serial, 'serial'),
      ...row('Valid from', date(c.not_before), 'not_before'),
      ...row('Valid until', date(c.not_after), 'not_after'),
      ...row('Key', keyText(c.key), 'key'),
      ...row('Key usage', c.key_usage?.join(', ') ?? 'not restricted', 'key_usage'),
      ...row('Extended key usage', c.extended_key_usage?.join(', ') ?? 'not restricted', 'extended_key_usage'),
      ...row('Certificate authority', c.is_ca ? 'yes' : 'no', 'is_ca'),
      ...row('Signature algorithm', c.signature_algorithm, 'signature_algorithm'),
      ...row('SHA-256 fingerprint', el('code', { class: 'fingerprint' }, c.sha256), 'sha256'),
      ...row('Usable for', el('span', {}, usableText(c.usable_for), reasons ?? ''), 'usable_for'),
    ),
  );
}
