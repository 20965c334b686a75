// The read pane (SPEC sections 1, 2, 7): the headline status with details on demand, the
// content in sandboxed frames with only the covered parts marked as signed, the diagnosis
// (appended text), what is needed for `no-key`, the password of a password-encrypted message
// (rate-limited like the passphrase), what Cachet repaired to read the message (issue 17), and
// the sender's certificate: stored automatically on `valid`, one click otherwise, a changed
// certificate asks the user.
import type { CoreClient } from '../core/client';
import type { MessageView, OpenReport, ProtectedHeaders, SignerId, SignerReport } from '../core/protocol';
import { type LearnOutcome, type LearnedCert, Session, blockFor, waitText } from '../keyring/session';
import { store } from '../keyring/store';
import { contentFrame } from './content-frame';
import { el, replace } from './dom';
import { errorView } from './error-view';
import { safeFileName } from './file-name';
import { cipherWords } from './host-compose';
import { inlineImages } from './inline-images';
import { progress, progressLine } from './progress';
import { statusText } from './status-text';

export interface ReplySeed {
  to: string;
  subject: string;
  text: string;
  inReplyTo: string;
  /**
   * The message answered or forwarded was encrypted (its text, quoted here, was decrypted):
   * the compose pane encrypts by default and asks before sending it any other way (SPEC 3).
   */
  encrypted: boolean;
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
      l.encryption ? el('p', { 'data-field': 'cipher' }, `Encrypted with ${cipherWords(l.encryption.content_cipher)}${l.encryption.integrity_protected ? ', integrity-protected' : ', not integrity-protected'}`) : null,
      l.encryption?.key_management.length ? el('p', { 'data-field': 'key-management' }, `The sender sent the key with ${l.encryption.key_management.join(', ')}.`) : null,
      ...(l.signers ?? []).map((s) => signerDetails(s, l.covers)),
      l.details.length ? el('ul', {}, ...l.details.map((d) => el('li', {}, d))) : null,
    ),
  );
  // What Cachet had to forgive to read the message (issue 17): never a verdict by itself.
  const repairs = r.repairs?.length
    ? el(
        'section',
        { class: 'repairs', 'data-field': 'repairs' },
        el('h4', {}, 'Read despite'),
        el('ul', {}, ...r.repairs.map((x) => el('li', { 'data-repair': x.code }, x.message))),
      )
    : null;
  return el(
    'section',
    { class: `banner ${t.tone}`, id: 'status-banner', 'data-status': r.status, role: 'status', 'aria-live': 'polite' },
    el('h3', { class: 'banner-title' }, t.title),
    t.advice ? el('p', { class: 'banner-advice' }, t.advice) : null,
    layers.length || repairs ? el('details', { class: 'banner-details' }, el('summary', {}, 'Details'), ...layers, repairs) : null,
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

/** The headers shown for a message with protected header fields: each protected one in place of the outer one. */
function protectedView(ph: ProtectedHeaders, outer: MessageView['headers']): MessageView['headers'] {
  return {
    from: ph.from ?? outer.from,
    to: ph.to ?? outer.to,
    cc: ph.cc ?? outer.cc,
    subject: ph.subject ?? outer.subject,
    date: ph.date ?? outer.date,
    message_id: ph.message_id ?? outer.message_id,
  };
}

/** What protects a header field: "encrypted" (hidden from the servers) or "signed". */
function protection(ph: ProtectedHeaders, label: string): string {
  if (ph.confidential.includes(label)) return 'encrypted';
  return ph.signed ? 'signed' : ph.encrypted ? 'inside the encryption' : 'protected';
}

/** A header row; with protected headers, the value carries a mark saying how it is protected. */
function headerRow(label: string, value: string, field: string, ph: ProtectedHeaders | undefined): Node[] {
  if (!ph) return row(label, value, field);
  const mismatch = ph.mismatches.some((m) => m.name === label);
  const mark = el('span', { class: 'hp-mark', 'data-field': `${field}-protection` }, mismatch ? ` (${protection(ph, label)}; differs outside, see above)` : ` (${protection(ph, label)})`);
  return [el('dt', {}, label), el('dd', { 'data-field': field, 'data-protected': 'true' }, value, mark)];
}

/** One sentence on where the header fields shown come from. */
function protectedNote(ph: ProtectedHeaders): HTMLElement {
  const hidden = ph.confidential.length ? ` The ${ph.confidential.join(', ')} was encrypted: the mail servers saw only a placeholder.` : '';
  const source = ph.encrypted && ph.signed ? 'from inside the encryption, covered by the signature' : ph.encrypted ? 'from inside the encryption (not signed)' : 'covered by the signature';
  return el('p', { class: 'muted', 'data-field': 'protected-headers' }, `These header fields are protected: shown ${source}.${hidden}`);
}

/**
 * RC2 and DES mail is refused unless the user asks for it (SPEC section 4): say why, with the
 * warning, and offer to open it anyway.
 */
function legacyOffer(r: OpenReport, open: () => void): HTMLElement | null {
  const refused = r.error?.code === 'unsupported-algorithm' && r.layers.some((l) => l.kind === 'encrypted' && l.status === 'weak-cipher' && ['rc2-cbc', 'des-cbc'].includes(l.encryption?.content_cipher ?? ''));
  if (!refused) return null;
  const b = el('button', { type: 'button', class: 'danger' }, 'Open it anyway');
  b.addEventListener('click', open);
  return el(
    'section',
    { class: 'notice', 'data-field': 'legacy-offer', 'aria-label': 'Obsolete encryption' },
    el('p', {}, 'This message is encrypted with an obsolete cipher (RC2 or DES) that can be broken with an ordinary computer: treat its content as if it had been sent unencrypted, and nothing shows whether it was changed on the way. Open it only if you need to read it, and ask the sender to use a current mail program (AES).'),
    el('div', { class: 'actions' }, b),
  );
}

/**
 * How the covered parts are labelled: `valid` only when the signed layer's status is `valid`
 * (every signer valid: green), `unverified` when a signature's math is good but the status is
 * not (address mismatch, untrusted or expired certificate, ...: never green), `none` otherwise.
 */
export type Coverage = 'valid' | 'unverified' | 'none';

/** Which parts to show and which of them the signature covers, and how they are labelled. */
function coveredPaths(r: OpenReport): { covers: string | null; label: Coverage } {
  const signed = r.layers.find((l) => l.kind === 'signed');
  if (!signed) return { covers: null, label: 'none' };
  const signers = signed.signers ?? [];
  const label: Coverage = signed.status === 'valid' ? 'valid' : signers.some((s) => s.signature === 'good') ? 'unverified' : 'none';
  return { covers: signed.covers, label };
}

/**
 * Save bytes as a file through the browser's download (a blob URL, never a server). Always as
 * application/octet-stream, whatever the message says: a web view might otherwise render an
 * HTML or SVG attachment in the add-in's own origin.
 */
function download(bytes: Uint8Array, filename: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const a = el('a', { href: url, download: safeFileName(filename) });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const COVERAGE_LABEL: Record<Exclude<Coverage, 'none'>, string> = {
  valid: 'Signed part',
  unverified: 'Signed, but the signature is not valid for this sender (see above)',
};

function partsView(view: MessageView, coverage: (path: string) => Coverage, note: string, save: (path: string, filename: string) => void, images: ReadonlyMap<string, string> = new Map()): HTMLElement {
  return el(
    'div',
    { class: 'parts' },
    ...view.parts.map((p) => {
      const c = coverage(p.path);
      const label = c === 'none' ? note : COVERAGE_LABEL[c];
      const body =
        p.text !== undefined
          ? contentFrame(p.text, p.content_type === 'text/html', `Message content${p.path ? ` (part ${p.path})` : ''}`, images)
          : el('p', { class: 'attachment' }, `Attachment: ${p.filename === undefined ? 'unnamed' : safeFileName(p.filename)} (${p.content_type}, ${p.size} bytes) `, saveButton(p, save));
      return el(
        'section',
        { class: `part ${c === 'valid' ? 'signed' : c === 'unverified' ? 'signed-unverified' : 'unsigned'}`, 'data-part': p.path, 'data-coverage': c },
        el('p', { class: 'part-label' }, label),
        body,
        p.truncated ? el('p', { class: 'muted' }, 'This text is long; only its beginning is shown.') : null,
      );
    }),
  );
}

function saveButton(p: MessageView['parts'][number], save: (path: string, filename: string) => void): HTMLElement {
  const b = el('button', { type: 'button', class: 'secondary', 'data-save': p.path }, `Save ${safeFileName(p.filename ?? '')}`);
  b.addEventListener('click', () => save(p.path, p.filename ?? 'attachment'));
  return b;
}

export class ReadPane {
  readonly element = el('section', { class: 'read-pane', 'aria-labelledby': 'read-heading' }, el('h2', { id: 'read-heading' }, 'Message'));
  private readonly body = el('div', { id: 'read-body' }, el('p', { class: 'muted' }, 'Choose a message to read it.'));
  onReply: ((seed: ReplySeed) => void) | null = null;
  /** Decrypted content is on screen (cleared when the identities lock). */
  private showingDecrypted = false;
  /** Counts locks: a `show` that started before a lock does not put decrypted content up after it. */
  private locks = 0;
  /** Wrong passwords of password-encrypted messages, and until when asking again is refused. */
  private passwordFailures = 0;
  private passwordBlockedUntil = 0;
  /** The message shown last, as the engine gave it back: `show` hands its array over (no copy). */
  private shown: Uint8Array | null = null;
  /** Counts `show` calls: only the latest one's message becomes `shown`. */
  private shows = 0;

  constructor(private readonly core: CoreClient, private readonly session: Session) {
    this.element.append(this.body);
    // Locking (by hand, after the idle timeout, or an engine restart) takes decrypted content off the screen.
    session.addEventListener('locked', () => {
      this.locks++;
      if (this.showingDecrypted) this.clear('Your certificates were locked: the decrypted message is no longer shown. Unlock them and open it again.', 'locked-cleared');
    });
  }

  /**
   * The progress line at once, for the host's fetching of a message the user chose (an
   * announced status, not the 300 ms delay of `show`'s own line: the fetch comes first).
   */
  opening(text = 'Opening the message…'): void {
    this.showingDecrypted = false;
    replace(this.body, progressLine(text));
  }

  /**
   * The message shown last (its bytes as received), for showing it again, e.g. after an unlock
   * made it readable; null while a message is being opened or after `forget`.
   */
  get message(): Uint8Array | null {
    return this.shown;
  }

  /** Drop the message shown last (another one is being fetched): `message` is null until it is shown, also if a `show` still running ends. */
  forget(): void {
    this.shown = null;
    this.shows++;
  }

  /** Show why the message could not be fetched, in place of any message (the pane stays usable). */
  failed(e: unknown): void {
    this.showingDecrypted = false;
    this.shows++;
    replace(this.body, errorView(e));
  }

  /** Forget the message shown (at once, so nothing of it stays while the next one loads). */
  clear(text = 'Choose a message to read it.', field?: string): void {
    this.showingDecrypted = false;
    // A `show` still running is for a message no longer wanted: it puts nothing up.
    this.shows++;
    replace(this.body, el('p', { class: 'muted', ...(field ? { 'data-field': field } : {}) }, text));
  }

  /**
   * Show a message. `password`: the password of a password-encrypted message (RFC 3211), as
   * typed in the prompt this pane shows for `needs-password`; `openLegacy`: the user asked to
   * open RC2 or DES mail. Resolves to the protected Subject (RFC 9788) when Cachet decrypted
   * the message and it carried one (for a list that shows the outer Subject, "[...]"),
   * otherwise null. `mime` is handed over to the engine, not copied (a 25 MB message would be
   * copied on the page's thread): the caller must not use the array afterwards; the pane's
   * `message` is the same bytes once they come back.
   */
  async show(mime: Uint8Array, password?: string, { openLegacy = false }: { openLegacy?: boolean } = {}): Promise<string | null> {
    this.showingDecrypted = false;
    this.shown = null;
    const turn = ++this.shows;
    const locksBefore = this.locks;
    const done = progress(this.body, 'Checking the message…');
    try {
      const options = { ...(await this.session.openOptions()), ...(password !== undefined ? { password } : {}), ...(openLegacy ? { openLegacy: true } : {}) };
      // The array crosses to the worker and comes back (transferred both ways).
      const read = await this.core.call('read', { mime, options });
      const { outer, report: r } = read;
      // Another message was chosen (or the pane cleared) meanwhile: its verdict is not this one's.
      if (turn !== this.shows) {
        done();
        return null;
      }
      this.shown = read.mime;
      if (password !== undefined) {
        // Rate-limited like the passphrase (keyring/session.ts blockFor): from the FREE_ATTEMPTS-th wrong one, a growing wait.
        if (r.status === 'needs-password') {
          this.passwordFailures++;
          this.passwordBlockedUntil = Date.now() + blockFor(this.passwordFailures);
        } else {
          this.passwordFailures = 0;
          this.passwordBlockedUntil = 0;
        }
      }
      const cov = coveredPaths(r);
      const encrypted = r.layers.some((l) => l.kind === 'encrypted');
      let view: MessageView;
      /** The bytes `view` was made from (attachments are decoded from them on demand). */
      let source: Uint8Array = read.mime;
      let coverage: (path: string) => Coverage;
      if (r.status === 'partially-signed' && !encrypted && cov.covers !== null) {
        // Only a part is signed: show the whole message, mark the covered subtree only.
        const c = cov.covers;
        view = outer;
        coverage = (p) => (p === c || p.startsWith(`${c}.`) ? cov.label : 'none');
      } else if (read.content && read.view) {
        // The innermost content (decrypted, and what the signature covers when signed).
        source = read.content;
        view = read.view;
        coverage = () => cov.label;
      } else {
        // Nothing decrypted (no key, damaged): show nothing of an encrypted message.
        view = encrypted ? { headers: outer.headers, parts: [] } : outer;
        coverage = () => 'none';
      }
      // Pictures the HTML shows, from the message itself.
      const images = await inlineImages(this.core, source, view);
      done();
      if (turn !== this.shows) return null;
      const decrypted = encrypted && read.content !== null;
      if (decrypted && this.locks !== locksBefore) {
        this.clear('Your certificates were locked while the message was opening: unlock them and open it again.', 'locked-cleared');
        return null;
      }
      // Protected header fields (RFC 9788) replace the outer ones, marked as such.
      const ph = r.protected_headers;
      const h = ph ? protectedView(ph, outer.headers) : outer.headers;
      const head = el(
        'dl',
        { class: 'headers', ...(ph ? { 'data-protected': ph.mode } : {}) },
        ...headerRow('From', h.from ?? '', 'from', ph),
        ...headerRow('To', h.to ?? '', 'to', ph),
        ...(h.cc ? headerRow('Cc', h.cc, 'cc', ph) : []),
        ...headerRow('Subject', h.subject ?? '', 'subject', ph),
        ...headerRow('Date', h.date ?? '', 'date', ph),
      );
      const certArea = el('div', { class: 'sender-cert', 'aria-live': 'polite' });
      const text = (): string => view.parts.find((p) => p.text !== undefined && p.content_type === 'text/plain')?.text ?? '';
      const subject = h.subject ?? '';
      const reply = el('button', { type: 'button', class: 'secondary' }, 'Reply');
      // Decrypted content that came inside someone else's message (an encrypted part among
      // unencrypted ones, or a forwarded message): a reply goes to that message's sender, who
      // may have wrapped a captured ciphertext to have it decrypted and quoted back to them.
      const wrapped = decrypted && r.diagnosis.some((d) => d.id === 'partially-encrypted' || d.id === 'forwarded-message');
      reply.addEventListener('click', () => {
        this.onReply?.({
          to: h.from ?? '',
          subject: /^re:/i.test(subject) ? subject : `Re: ${subject}`,
          text: wrapped ? '\n\n(The decrypted part came inside a message from someone else; it is not quoted.)' : `\n\n${text().split(/\r?\n/).map((l) => `> ${l}`).join('\n')}`,
          inReplyTo: h.message_id ?? '',
          encrypted,
        });
      });
      const forward = el('button', { type: 'button', class: 'secondary' }, 'Forward');
      forward.addEventListener('click', () => {
        const lines = [`From: ${h.from ?? ''}`, `Date: ${h.date ?? ''}`, `Subject: ${subject}`, `To: ${h.to ?? ''}`];
        this.onReply?.({
          to: '',
          subject: /^fwd?:/i.test(subject) ? subject : `Fwd: ${subject}`,
          text: `\n\n-------- Forwarded message --------\n${lines.join('\n')}\n\n${text()}`,
          inReplyTo: '',
          encrypted,
        });
      });
      replace(this.body, banner(r), diagnosis(r), noKey(r), legacyOffer(r, () => this.again(password, { openLegacy: true })), this.passwordPrompt(r, password !== undefined), certArea, ph ? protectedNote(ph) : null, head, this.onReply ? el('div', { class: 'actions' }, reply, forward) : null, partsView(view, coverage, r.status === 'partially-signed' ? 'Not signed' : 'Not covered by a signature', (path, filename) => void this.save(source, path, filename, certArea), images));
      this.showingDecrypted = decrypted;
      // A reply to it from the host's own compose window is then known to answer encrypted mail.
      if (decrypted && h.message_id) void store.markDecrypted(h.message_id).catch(() => undefined);
      await this.senderCertificate(r, certArea);
      return decrypted && ph?.subject !== undefined ? ph.subject : null;
    } catch (e) {
      // Not handed over (failed before the engine took it): still there to show again.
      if (turn === this.shows && mime.byteLength > 0) this.shown = mime;
      done();
      if (turn === this.shows) replace(this.body, errorView(e));
      return null;
    }
  }

  /** Show the message shown last again, with a password or the legacy ciphers allowed (once: a second click finds it opening). */
  private again(password?: string, how: { openLegacy?: boolean } = {}): void {
    if (this.shown) void this.show(this.shown, password, how);
  }

  /** The password prompt of a password-encrypted message (`needs-password`). */
  private passwordPrompt(r: OpenReport, tried: boolean): HTMLElement | null {
    if (r.status !== 'needs-password') return null;
    const input = el('input', { type: 'password', id: 'message-password', autocomplete: 'off', 'data-field': 'message-password' });
    const button = el('button', { type: 'submit', 'data-action': 'open-with-password' }, 'Open');
    const say = el('p', { class: 'muted', 'aria-live': 'polite', 'data-field': 'password-note' }, tried ? 'That password does not open this message.' : '');
    const form = el(
      'form',
      { class: 'notice', 'aria-label': 'Password for this message', 'data-field': 'password-prompt' },
      el('label', { for: 'message-password' }, 'The sender encrypted this message with a password. Password:'),
      input,
      el('div', { class: 'actions' }, button),
      say,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const wait = this.passwordBlockedUntil - Date.now();
      if (wait > 0) {
        say.setAttribute('role', 'alert');
        say.textContent = `Too many wrong passwords. Try again in ${waitText(wait)}.`;
        return;
      }
      this.again(input.value);
    });
    return form;
  }

  private async save(source: Uint8Array, path: string, filename: string, area: HTMLElement): Promise<void> {
    try {
      download(await this.core.call('partBytes', { bytes: source.slice(), path }), filename);
    } catch (e) {
      area.append(errorView(e));
    }
  }

  private async senderCertificate(r: OpenReport, area: HTMLElement): Promise<void> {
    if (r.status === 'valid') {
      for (const { cert, caps, outcome } of await this.session.learnValid(r)) this.showLearned(outcome, cert, caps, area);
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
    let pinNote: HTMLElement | null = null;
    if (r.status === 'valid-unknown-ca') {
      // A pin (SPEC section 5): exactly this certificate, for the addresses it names; never an issuer.
      const names = first.facts.emails.length ? first.facts.emails.join(', ') : first.address;
      const pin = el('button', { type: 'button', class: 'secondary', 'data-action': 'pin' }, 'Trust this sender’s certificate (pin)');
      pinNote = el('p', { class: 'muted', 'data-field': 'pin-scope' }, `Pinning trusts only this certificate, only for ${names}. Certificates it issues stay untrusted.`);
      pin.addEventListener('click', () => {
        void (async () => {
          await store.putAnchor({ sha256: first.facts.sha256, der: first.der, label: `${first.facts.common_name ?? first.address} (pinned for ${names})`, kind: 'pin', notAfter: first.facts.not_after, added: new Date().toISOString() });
          await this.learn(first, [], area);
        })();
      });
      children.push(pin);
    }
    replace(area, el('div', { class: 'actions' }, ...children), pinNote);
  }

  private async learn(cert: LearnedCert, caps: string[], area: HTMLElement, accept = false): Promise<void> {
    this.showLearned(await this.session.learn(cert, caps, accept), cert, caps, area);
  }

  private showLearned(out: LearnOutcome, cert: LearnedCert, caps: string[], area: HTMLElement): void {
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

