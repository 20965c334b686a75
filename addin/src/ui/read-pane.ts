// The read pane (SPEC sections 1, 2, 7): the headline status with details on demand, the
// content in sandboxed frames with only the covered parts marked as signed, the diagnosis
// (appended text), what is needed for `no-key`, and the sender's certificate: stored
// automatically on `valid`, one click otherwise, a changed certificate asks the user.
import type { CoreClient } from '../core/client';
import type { MessageView, OpenReport, SignerId, SignerReport } from '../core/protocol';
import { type LearnedCert, Session } from '../keyring/session';
import { store } from '../keyring/store';
import { contentFrame } from './content-frame';
import { el, replace } from './dom';
import { errorView } from './error-view';
import { inlineImages } from './inline-images';
import { progress } from './progress';
import { statusText } from './status-text';

export interface ReplySeed {
  to: string;
  subject: string;
  text: string;
  inReplyTo: string;
}

function row(label: string, value: string, field: string): Node[] {
  return [el('dt', {}, label), el('dd', { 'data-field': field }, value)];
}

function idText(id: SignerId): string {
  if ('issuer_and_serial' in id) return `${id.issuer_and_serial.issuer}, serial ${id.issuer_and_serial.serial}`;
  return `subject key identifier ${id.subject_key_identifier.key_id}`;
}

function signerDetails(s: SignerReport, covers: string): HTMLElement {
  const c = s.certificate;
  return el(
    'dl',
    { class: 'signer' },
    ...row('Signer', c ? `${c.common_name ?? c.subject}` : idText(s.signer_id), 'signer'),
    ...row('Addresses', c?.emails.join(', ') || 'none', 'signer-emails'),
    ...row('Issuer', c?.issuer ?? 'unknown', 'issuer'),
    ...row('Valid', c ? `${c.not_before.slice(0, 10)} to ${c.not_after.slice(0, 10)}` : 'unknown', 'validity'),
    ...row('Algorithms', `${s.digest_algorithm}, ${s.signature_algorithm}`, 'algorithms'),
    ...row('Signature', s.signature, 'signature'),
    ...row('Certificate path', s.chain ? `${s.chain.status}: ${s.chain.path.map((p) => p.subject).join(' → ')}` : 'not checked', 'chain'),
    ...row('Covers', covers === '' ? 'the whole message' : `part ${covers}`, 'covers'),
    ...row('Claimed signing time', s.signing_time ?? 'none', 'signing-time'),
    ...row('SHA-256 fingerprint', c?.sha256 ?? 'unknown', 'signer-sha256'),
    ...(s.details.length ? row('Notes', s.details.join(' '), 'signer-notes') : []),
  );
}

function banner(r: OpenReport): HTMLElement {
  const t = statusText(r);
  const layers = r.layers.map((l) =>
    el(
      'section',
      { class: 'layer' },
      el('h4', {}, l.kind === 'signed' ? `Signature (${l.format})` : `Encryption (${l.format})`),
      l.encryption ? el('p', { 'data-field': 'cipher' }, `${l.encryption.content_cipher}${l.encryption.integrity_protected ? ', integrity-protected' : ', not integrity-protected'}`) : null,
      ...(l.signers ?? []).map((s) => signerDetails(s, l.covers)),
      l.details.length ? el('ul', {}, ...l.details.map((d) => el('li', {}, d))) : null,
    ),
  );
  return el(
    'section',
    { class: `banner ${t.tone}`, id: 'status-banner', 'data-status': r.status, role: 'status', 'aria-live': 'polite' },
    el('h3', { class: 'banner-title' }, t.title),
    t.advice ? el('p', { class: 'banner-advice' }, t.advice) : null,
    layers.length ? el('details', { class: 'banner-details' }, el('summary', {}, 'Details'), ...layers) : null,
  );
}

function diagnosis(r: OpenReport): HTMLElement | null {
  if (r.diagnosis.length === 0) return null;
  return el(
    'section',
    { class: 'diagnosis', 'aria-label': 'Diagnosis' },
    ...r.diagnosis.map((d) =>
      el(
        'div',
        { 'data-diagnosis': d.id },
        el('p', {}, d.message),
        d.appended_text !== undefined ? el('p', { class: 'muted' }, 'Text added after signing:') : null,
        d.appended_text !== undefined ? el('pre', { class: 'appended', 'data-field': 'appended-text' }, d.appended_text) : null,
        d.original_verifies !== undefined ? el('p', { class: 'muted' }, d.original_verifies ? 'Without it, the original signed content verifies.' : 'Even without it, the content does not verify.') : null,
      ),
    ),
  );
}

function noKey(r: OpenReport): HTMLElement | null {
  if (r.status !== 'no-key') return null;
  const recipients = r.layers.flatMap((l) => l.encryption?.recipients ?? []);
  return el(
    'section',
    { class: 'notice', 'aria-label': 'Certificates needed' },
    el('p', {}, 'It was encrypted for:'),
    el('ul', { 'data-field': 'recipients' }, ...recipients.map((id) => el('li', {}, idText(id)))),
    el('p', {}, 'To restore a key: Certificates, import your backup (.p12) with its password, then open this message again.'),
  );
}

/** Which parts to show and which of them the signature covers. */
function coveredPaths(r: OpenReport): { covers: string | null; good: boolean } {
  const signed = r.layers.find((l) => l.kind === 'signed');
  if (!signed) return { covers: null, good: false };
  const good = (signed.signers ?? []).some((s) => s.signature === 'good');
  return { covers: signed.covers, good };
}

/** Save bytes as a file through the browser's download (a blob URL, never a server). */
function download(bytes: Uint8Array, filename: string, contentType: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: contentType || 'application/octet-stream' }));
  const a = el('a', { href: url, download: filename || 'attachment' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function partsView(view: MessageView, isSigned: (path: string) => boolean, note: string, save: (path: string, filename: string, contentType: string) => void, images: ReadonlyMap<string, string> = new Map()): HTMLElement {
  return el(
    'div',
    { class: 'parts' },
    ...view.parts.map((p) => {
      const signed = isSigned(p.path);
      const label = signed ? 'Signed part' : note;
      const body =
        p.text !== undefined
          ? contentFrame(p.text, p.content_type === 'text/html', `Message content${p.path ? ` (part ${p.path})` : ''}`, images)
          : el('p', { class: 'attachment' }, `Attachment: ${p.filename ?? 'unnamed'} (${p.content_type}, ${p.size} bytes) `, saveButton(p, save));
      return el(
        'section',
        { class: `part ${signed ? 'signed' : 'unsigned'}`, 'data-part': p.path },
        el('p', { class: 'part-label' }, label),
        body,
        p.truncated ? el('p', { class: 'muted' }, 'This text is long; only its beginning is shown.') : null,
      );
    }),
  );
}

function saveButton(p: MessageView['parts'][number], save: (path: string, filename: string, contentType: string) => void): HTMLElement {
  const b = el('button', { type: 'button', class: 'secondary', 'data-save': p.path }, `Save ${p.filename ?? 'attachment'}`);
  b.addEventListener('click', () => save(p.path, p.filename ?? 'attachment', p.content_type));
  return b;
}

export class ReadPane {
  readonly element = el('section', { class: 'read-pane', 'aria-labelledby': 'read-heading' }, el('h2', { id: 'read-heading' }, 'Message'));
  private readonly body = el('div', { id: 'read-body' }, el('p', { class: 'muted' }, 'Choose a message to read it.'));
  onReply: ((seed: ReplySeed) => void) | null = null;

  constructor(private readonly core: CoreClient, private readonly session: Session) {
    this.element.append(this.body);
  }

  /** Forget the message shown (at once, so nothing of it stays while the next one loads). */
  clear(text = 'Choose a message to read it.'): void {
    replace(this.body, el('p', { class: 'muted' }, text));
  }

  async show(mime: Uint8Array): Promise<void> {
    const done = progress(this.body, 'Checking the message…');
    try {
      const options = await this.session.openOptions();
      const outer = await this.core.call('viewMessage', { bytes: mime.slice() });
      const opened = await this.core.call('open', { mime: mime.slice(), options });
      const r = opened.report;
      const cov = coveredPaths(r);
      const encrypted = r.layers.some((l) => l.kind === 'encrypted');
      let view: MessageView;
      /** The bytes `view` was made from (attachments are decoded from them on demand). */
      let source: Uint8Array = mime;
      let isSigned: (path: string) => boolean;
      if (r.status === 'partially-signed' && !encrypted && cov.covers !== null) {
        // Only a part is signed: show the whole message, mark the covered subtree only.
        const c = cov.covers;
        view = outer;
        isSigned = (p) => cov.good && (p === c || p.startsWith(`${c}.`));
      } else if (opened.content) {
        // The innermost content (decrypted, and what the signature covers when signed).
        source = opened.content;
        view = await this.core.call('viewMessage', { bytes: opened.content.slice() });
        isSigned = () => cov.good;
      } else {
        // Nothing decrypted (no key, damaged): show nothing of an encrypted message.
        view = encrypted ? { headers: outer.headers, parts: [] } : outer;
        isSigned = () => false;
      }
      // Pictures the HTML shows, from the message itself.
      const images = await inlineImages(this.core, source, view);
      done();
      const h = outer.headers;
      const head = el(
        'dl',
        { class: 'headers' },
        ...row('From', h.from ?? '', 'from'),
        ...row('To', h.to ?? '', 'to'),
        ...row('Subject', h.subject ?? '', 'subject'),
        ...row('Date', h.date ?? '', 'date'),
      );
      const certArea = el('div', { class: 'sender-cert', 'aria-live': 'polite' });
      const reply = el('button', { type: 'button', class: 'secondary' }, 'Reply');
      reply.addEventListener('click', () => {
        const text = view.parts.find((p) => p.text !== undefined && p.content_type === 'text/plain')?.text ?? '';
        const subject = h.subject ?? '';
        this.onReply?.({
          to: h.from ?? '',
          subject: /^re:/i.test(subject) ? subject : `Re: ${subject}`,
          text: `\n\n${text.split(/\r?\n/).map((l) => `> ${l}`).join('\n')}`,
          inReplyTo: h.message_id ?? '',
        });
      });
      replace(this.body, banner(r), diagnosis(r), noKey(r), certArea, head, this.onReply ? el('div', { class: 'actions' }, reply) : null, partsView(view, isSigned, r.status === 'partially-signed' ? 'Not signed' : 'Not covered by a signature', (path, filename, type) => void this.save(source, path, filename, type, certArea), images));
      await this.senderCertificate(r, certArea);
    } catch (e) {
      done();
      replace(this.body, errorView(e));
    }
  }

  private async save(source: Uint8Array, path: string, filename: string, contentType: string, area: HTMLElement): Promise<void> {
    try {
      download(await this.core.call('partBytes', { bytes: source.slice(), path }), filename, contentType);
    } catch (e) {
      area.append(errorView(e));
    }
  }

  private async senderCertificate(r: OpenReport, area: HTMLElement): Promise<void> {
    if (r.status === 'valid') {
      const caps = r.layers.flatMap((l) => l.signers ?? []).find((s) => s.status === 'valid')?.smime_capabilities ?? [];
      for (const cert of Session.signerCerts(r, true)) await this.learn(cert, caps, area);
      return;
    }
    const candidates = Session.signerCerts(r, false);
    const first = candidates[0];
    const signerOk = r.layers.flatMap((l) => l.signers ?? []).some((s) => s.signature === 'good');
    if (!first || !signerOk) return;
    const known = await store.contact(first.address);
    if (known?.certs.some((c) => c.sha256 === first.facts.sha256)) return;
    const importBtn = el('button', { type: 'button' }, 'Import the sender’s certificate');
    importBtn.addEventListener('click', () => void this.learn(first, [], area));
    const children: Node[] = [importBtn];
    if (r.status === 'valid-unknown-ca') {
      const pin = el('button', { type: 'button', class: 'secondary' }, 'Trust this certificate');
      pin.addEventListener('click', () => {
        void (async () => {
          await store.putAnchor({ sha256: first.facts.sha256, der: first.der, label: `${first.facts.common_name ?? first.address} (pinned for ${first.address})`, kind: 'pin', notAfter: first.facts.not_after, added: new Date().toISOString() });
          await this.learn(first, [], area);
        })();
      });
      children.push(pin);
    }
    replace(area, el('div', { class: 'actions' }, ...children));
  }

  private async learn(cert: LearnedCert, caps: string[], area: HTMLElement, accept = false): Promise<void> {
    const out = await this.session.learn(cert, caps, accept);
    if (out.kind === 'stored') {
      replace(area, el('p', { class: 'note good', 'data-field': 'cert-stored' }, `The certificate of ${out.address} is stored: you can now send encrypted mail to this address.`));
    } else if (out.kind === 'changed') {
      const acceptBtn = el('button', { type: 'button' }, 'Accept the new certificate');
      const keepBtn = el('button', { type: 'button', class: 'secondary' }, 'Keep the old one');
      acceptBtn.addEventListener('click', () => void this.learn(cert, caps, area, true));
      keepBtn.addEventListener('click', () => replace(area, el('p', { class: 'muted' }, 'The stored certificate was kept.')));
      replace(
        area,
        el(
          'div',
          { class: 'notice', role: 'alert', 'data-field': 'cert-changed' },
          el('p', {}, `${out.address} now signs with a different certificate. Renewals are normal; check it is really them.`),
          el('dl', {}, ...row('Stored', `${out.old.issuer}, valid until ${out.old.notAfter.slice(0, 10)}`, 'old-cert'), ...row('New', `${out.next.facts.issuer}, valid until ${out.next.facts.not_after.slice(0, 10)}`, 'new-cert')),
          el('div', { class: 'actions' }, acceptBtn, keepBtn),
        ),
      );
    }
  }
}

