// The compose pane (SPEC sections 3 and 6): Sign and Encrypt toggles (Sign on once an
// identity exists), a status per recipient that follows the To field, "Send securely"
// (the core builds, signs and encrypts; the host sends the raw MIME), a refusal that lists
// exactly what blocks sending, and the key-exchange request mail for `missing` recipients.
// The fields are never cleared on error: the draft is not lost. Bcc recipients each get their
// own message (see `envelopes` in hosts/host.ts), encrypted to them alone, so no Bcc address
// shows in the others' headers or RecipientInfos. Attachments go to the core as files; the
// core writes the MIME. When the host has its own compose window (capabilities.composeMessage),
// the pane is bound to it: the fields are read from the host, the Sign/Encrypt choice is the
// host's, and the host sends (sendComposed).
// Replies and forwards of encrypted mail (the standalone read pane's Reply/Forward, or a reply
// in the host's window to a message decrypted here) are encrypted by default: turning Encrypt
// off, or a recipient without a usable certificate, asks first in the pane (`reply-confirm`),
// and nothing quoting decrypted text is sent unencrypted without that answer (SPEC section 3).
import type { CoreClient } from '../core/client';
import type { Draft, DraftAttachment, Features } from '../core/protocol';
import type { ComposeChoice, ComposeFields, Host, SendOutcome } from '../hosts/host';
import type { Session } from '../keyring/session';
import { keeping } from '../keyring/keeping';
import { canReceiveEncrypted, messageIds, store } from '../keyring/store';
import { el, replace } from './dom';
import { errorView } from './error-view';
import { Discovery } from './discovery';
import { capabilitiesOf, choiceWords, contentSummary, draftOf, encryptionChoice, envelopeAddresses, IN_DELETED_ITEMS, messageId, type RecipientStatus, recipientStatuses, rfc5322Date, STATUS_WORDS, unsupported } from './host-compose';

export type { RecipientStatus } from './host-compose';
import type { ReplySeed } from './read-pane';

/** Addresses in a comma- or semicolon-separated field (the part in <> when there is one). */
export function addresses(field: string): string[] {
  return field
    .split(/[,;]/)
    .map((a) => (/<([^>]+)>/.exec(a)?.[1] ?? a).trim().toLowerCase())
    .filter((a) => a.includes('@'));
}

/** A file as standard base64 (the browser encodes it natively). */
function base64Of(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error ?? new Error(`cannot read ${file.name}`));
    r.readAsDataURL(file);
  });
}

let uid = 0;
function field(label: string, control: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement): HTMLElement {
  const id = `compose-${++uid}`;
  control.id = id;
  return el('div', { class: 'field' }, el('label', { for: id }, label), control);
}

export class ComposePane {
  readonly element: HTMLElement;
  private readonly from = el('select', {});
  private readonly to = el('input', { type: 'text', autocomplete: 'off', placeholder: 'name@example.org, …' });
  private readonly bcc = el('input', { type: 'text', autocomplete: 'off', placeholder: 'each gets their own copy' });
  private readonly subject = el('input', { type: 'text' });
  private readonly files = el('input', { type: 'file', multiple: '' });
  private readonly text = el('textarea', { rows: '8' });
  private readonly sign = el('input', { type: 'checkbox' });
  private readonly encrypt = el('input', { type: 'checkbox' });
  /** Options other clients offer: an opaque signature (signed-data), and triple wrapping (sign, encrypt, sign). */
  private readonly opaque = el('input', { type: 'checkbox' });
  private readonly tripleWrap = el('input', { type: 'checkbox' });
  private readonly recipients = el('ul', { class: 'recipients plain', 'aria-label': 'Recipients', 'aria-live': 'polite' });
  /** Which content cipher encrypting will use, and why (the per-recipient part is in each recipient's line). */
  private readonly cipherChoice = el('p', { class: 'muted', 'data-field': 'cipher-choice', 'aria-live': 'polite' });
  private choiceRun = 0;
  private readonly result = el('div', { class: 'compose-result', 'aria-live': 'polite' });
  private readonly send = el('button', { type: 'submit' }, 'Send securely');
  private inReplyTo = '';
  /** The certificate (base64 DER) of each `ready` recipient, from the last refresh. */
  private encryptTo = new Map<string, string>();
  /** The host's fields when bound to the host's compose window, else null. */
  private bound: ComposeFields | null = null;
  private readonly hostArea = el('div', { class: 'host-compose', 'aria-live': 'polite' });
  private features: Features = { encrypt: false };
  private readonly featuresReady: Promise<void>;
  private signTouched = false;
  /** The draft answers or forwards an encrypted message (its decrypted text may be quoted). */
  private protectedReply = false;
  /** The user answered "Send without encryption" for this reply. */
  private plainConfirmed = false;
  /** The recipients without a usable certificate the user was last asked about. */
  private askedFor = '';
  private readonly confirmArea = el('div', { class: 'reply-confirm', 'aria-live': 'polite' });
  /** Says, before sending, when the sender's own (Sent) copy of an encrypted message will not be readable. */
  private readonly ownCopyArea = el('div', { 'aria-live': 'polite' });
  /** Confidential mode (ui/drafts.ts): Encrypt is fixed on, and the pane is the editor even in a host's window. */
  private confidential = false;
  /** Called after a message written in the pane was sent; what it returns is shown with the result. */
  onSent: (() => Promise<HTMLElement[]>) | null = null;
  /** SMIMEA lookups for recipients without a certificate (ui/discovery.ts). */
  private readonly discovery: Discovery;

  constructor(private readonly core: CoreClient, private readonly session: Session, private readonly host: Host) {
    this.discovery = new Discovery(core, session, host);
    const encryptNote = el('span', { class: 'muted', id: 'encrypt-note' });
    const form = el(
      'form',
      { class: 'compose', 'aria-labelledby': 'compose-heading' },
      el('h2', { id: 'compose-heading' }, 'New secure message'),
      this.hostArea,
      field('From', this.from),
      field('To', this.to),
      field('Bcc', this.bcc),
      // A box of its own height: the list is filled as recipients are typed (here or in the
      // host's To line), and nothing below it (Subject, the toggles, Send) moves when it does.
      // It scrolls when longer, so it takes the keyboard focus too.
      el('div', { class: 'recipient-area', 'data-field': 'recipient-area', role: 'region', 'aria-label': 'Recipients and their certificates', tabindex: '0' }, this.recipients, this.cipherChoice),
      field('Subject', this.subject),
      field('Message text', this.text),
      field('Attachments', this.files),
      el(
        'fieldset',
        { class: 'toggles' },
        el('legend', {}, 'Protection'),
        el('label', {}, this.sign, ' Sign'),
        el('label', {}, this.encrypt, ' Encrypt'),
        encryptNote,
        el(
          'details',
          { class: 'protection-options' },
          el('summary', {}, 'More options'),
          // The label texts avoid the words of the Sign and Encrypt toggles' labels.
          el('p', {}, el('label', {}, this.opaque, ' Opaque format'), el('span', { class: 'muted' }, ' — the signed text travels inside the S/MIME part (readable only with S/MIME), for mail systems that change clear-signed text.')),
          el('p', {}, el('label', {}, this.tripleWrap, ' Triple wrap'), el('span', { class: 'muted' }, ' — with Sign and Encrypt: signed, encrypted, then signed again outside (RFC 2634), for gateways that check the outer signature.')),
        ),
      ),
      this.ownCopyArea,
      this.confirmArea,
      el('div', { class: 'actions' }, this.send),
      this.result,
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.sendSecurely();
    });
    let timer: ReturnType<typeof setTimeout> | null = null;
    for (const input of [this.to, this.bcc]) {
      input.addEventListener('input', () => {
        if (timer !== null) clearTimeout(timer);
        timer = setTimeout(() => void this.refreshRecipients(), 200);
      });
    }
    this.sign.addEventListener('change', () => {
      this.signTouched = true;
      void this.saveChoice('sign');
    });
    this.encrypt.addEventListener('change', () => {
      if (!this.encrypt.checked && this.protectedReply && !this.plainConfirmed) {
        // Not without asking: keep it on until the user confirms.
        this.encrypt.checked = true;
        this.askPlain('This replies to (or forwards) an encrypted message and may quote its decrypted text. Send it without encryption?');
        return;
      }
      void this.saveChoice('encrypt');
      void this.refreshRecipients();
    });
    this.element = form;
    this.featuresReady = this.core.call('features', {}).then((f) => {
      this.features = f;
      this.encrypt.disabled = !f.encrypt;
      encryptNote.textContent = f.encrypt ? '' : ' Encryption is not available in this version yet.';
    }, () => undefined);
    session.addEventListener('change', () => void this.refreshIdentities());
    void this.refreshIdentities();
    if (host.capabilities.composeMessage && host.composeFields) void this.bindToHost();
  }

  /**
   * Read the message being written in the host's compose window into the (read-only) fields,
   * then the recipients' states (unless `refresh` is false: the caller refreshes them).
   */
  async bindToHost(refresh = true): Promise<ComposeFields | null> {
    if (this.confidential) return null;
    const again = el('button', { type: 'button', class: 'secondary' }, 'Read the message again');
    again.addEventListener('click', () => void this.bindToHost());
    const note = el('p', { class: 'muted' }, 'Write the message in the mail program’s window; Cachet reads it from there when you send.');
    try {
      const f = await this.host.composeFields?.();
      if (!f || this.confidential) return null;
      const first = !this.bound;
      this.bound = f;
      for (const c of [this.to, this.subject, this.text]) c.readOnly = true;
      // Bcc and attachments come from the host's window too: the pane's own inputs would be ignored.
      for (const c of [this.bcc, this.files]) {
        const box = c.closest('.field');
        if (box instanceof HTMLElement) box.hidden = true;
      }
      this.from.disabled = true;
      if (![...this.from.options].some((o) => o.value === f.from.address)) this.from.append(el('option', { value: f.from.address }, f.from.address));
      this.from.value = f.from.address;
      const label = this.to.labels?.[0];
      if (label) label.textContent = 'Recipients (To, Cc and Bcc)';
      this.to.value = [...f.to, ...f.cc, ...f.bcc].map((a) => a.address).join(', ');
      this.subject.value = f.subject;
      this.text.value = f.text;
      if (first && this.host.composeChoice) {
        await this.featuresReady;
        const choice = await this.host.composeChoice();
        this.sign.checked = choice.sign;
        this.encrypt.checked = choice.encrypt && this.features.encrypt;
        this.signTouched = true;
        // A reply to (or forward of) a message decrypted here: encrypted unless the user says otherwise.
        if (await store.anyDecrypted([...messageIds(f.inReplyTo), ...messageIds(f.references)])) {
          this.protectedReply = true;
          this.plainConfirmed = false;
          if (!this.encrypt.checked && this.features.encrypt) {
            this.encrypt.checked = true;
            this.sign.checked = this.sign.checked || (await store.identities()).some((r) => !r.retired);
            // Stored with the draft, so Outlook's own Send button is blocked too (OnMessageSend).
            await this.saveChoice();
          }
        }
      }
      const limits = unsupported(f);
      replace(this.hostArea, note, el('p', { class: 'muted', 'data-field': 'content' }, `Sent as ${contentSummary(f)}.`), limits.length ? el('ul', { class: 'notice', 'data-field': 'unsupported' }, ...limits.map((l) => el('li', {}, l))) : null, el('div', { class: 'actions' }, again));
      if (refresh) await this.refreshRecipients();
      return f;
    } catch (e) {
      replace(this.hostArea, errorView(e), el('div', { class: 'actions' }, again));
      return null;
    }
  }

  /** Put a section (the confidential mode) under the pane's heading. */
  mount(section: HTMLElement): void {
    this.element.querySelector('h2')?.after(section);
  }

  /** The pane's fields as a draft (confidential mode saves it encrypted). */
  currentDraft(): Promise<Draft> {
    return this.draft();
  }

  /** Fill the pane's own fields (a reopened draft, with its attachments as files). */
  fill(d: Draft, files: File[]): void {
    if (d.from && ![...this.from.options].some((o) => o.value === d.from)) this.from.append(el('option', { value: d.from }, d.from));
    const own = addresses(d.from)[0];
    if (own) this.from.value = own;
    this.to.value = [...d.to, ...(d.cc ?? [])].join(', ');
    this.bcc.value = (d.bcc ?? []).join(', ');
    this.subject.value = d.subject;
    this.text.value = d.text;
    this.inReplyTo = d.inReplyTo ?? '';
    const list = new DataTransfer();
    for (const f of files) list.items.add(f);
    this.files.files = list.files;
    replace(this.result);
    void this.refreshRecipients();
  }

  /** Copy what was typed in the host's window into the pane's own fields (confidential mode). */
  fillFromHost(f: ComposeFields): void {
    const files = f.attachments.map((a) => new File([a.bytes.slice()], a.name, { type: a.contentType }));
    this.fill({ from: f.from.address, to: [...f.to, ...f.cc].map((a) => a.address), bcc: f.bcc.map((a) => a.address), subject: f.subject, text: f.text, date: '', inReplyTo: f.inReplyTo ?? '' }, files);
  }

  /**
   * Confidential mode on: Encrypt fixed on, and in a host's compose window the pane's own
   * editor instead of the window's fields. Off: as before (bound to the host's window again).
   */
  async setConfidential(on: boolean): Promise<void> {
    this.confidential = on;
    await this.featuresReady;
    this.encrypt.disabled = on || !this.features.encrypt;
    if (on) this.encrypt.checked = this.features.encrypt;
    if (on && this.bound) {
      this.bound = null;
      for (const c of [this.to, this.subject, this.text]) c.readOnly = false;
      for (const c of [this.bcc, this.files]) {
        const box = c.closest('.field');
        if (box instanceof HTMLElement) box.hidden = false;
      }
      this.from.disabled = false;
      const label = this.to.labels?.[0];
      if (label) label.textContent = 'To';
      for (const c of [this.to, this.bcc, this.subject, this.text]) c.value = '';
      replace(this.hostArea, el('p', { class: 'muted' }, 'Cachet’s own editor: what you write here is never saved unencrypted.'));
      await this.refreshRecipients();
    } else if (!on && this.host.capabilities.composeMessage && this.host.composeFields) {
      await this.bindToHost();
    }
  }

  /**
   * Keep the Sign/Encrypt choice with the host's draft (shared with the host's own commands).
   * `changed`: the one toggle the user changed here; the other keeps what is stored (the host's
   * commands may have changed it since the pane read it, which the pane must not undo).
   */
  private async saveChoice(changed?: keyof ComposeChoice): Promise<void> {
    if (!this.bound || !this.host.setComposeChoice) return;
    try {
      const mine = { sign: this.sign.checked, encrypt: this.encrypt.checked };
      const stored = changed && this.host.composeChoice ? await this.host.composeChoice() : null;
      await this.host.setComposeChoice(stored && changed ? { ...stored, [changed]: mine[changed] } : mine);
    } catch (e) {
      replace(this.result, errorView(e));
    }
  }

  /** Fill the pane to reply to a message. */
  reply(seed: ReplySeed): void {
    this.to.value = seed.to;
    this.subject.value = seed.subject;
    this.text.value = seed.text;
    this.inReplyTo = seed.inReplyTo;
    this.protectedReply = seed.encrypted;
    this.plainConfirmed = false;
    this.askedFor = '';
    replace(this.confirmArea);
    // Encrypted mail is answered encrypted (SPEC sections 2 and 3: no decryption oracle).
    if (seed.encrypted) this.encrypt.checked = true;
    replace(this.result);
    void this.refreshRecipients();
  }

  /**
   * The confirm step before anything that quotes decrypted text leaves unencrypted: "Send
   * without encryption" turns Encrypt off for this reply (the user then sends), "Keep it
   * encrypted" leaves it on.
   */
  private askPlain(question: string, field = 'reply-confirm', focus = true): void {
    const plain = el('button', { type: 'button', class: 'danger' }, 'Send without encryption');
    const keep = el('button', { type: 'button', class: 'secondary' }, 'Keep it encrypted');
    plain.addEventListener('click', () => {
      this.plainConfirmed = true;
      this.encrypt.checked = false;
      void this.saveChoice('encrypt');
      replace(this.confirmArea, el('p', { class: 'notice', role: 'status', 'data-field': 'plain-confirmed' }, 'This reply will be sent without encryption, as you chose.'));
      void this.refreshRecipients();
    });
    keep.addEventListener('click', () => replace(this.confirmArea));
    replace(this.confirmArea, el('div', { class: 'notice', role: 'alert', 'data-field': field }, el('p', {}, question), el('div', { class: 'actions' }, keep, plain)));
    if (focus) keep.focus();
  }

  async refreshIdentities(): Promise<void> {
    const ids = (await store.identities()).filter((r) => !r.retired);
    const mine = new Set(ids.flatMap((r) => r.facts[0]?.emails ?? []));
    const hostAddress = this.host.userAddress?.() ?? null;
    if (hostAddress) mine.add(hostAddress);
    const previous = this.from.value;
    replace(this.from, ...[...mine].map((a) => el('option', { value: a }, a)));
    const preferred = [previous, hostAddress].find((a) => a && mine.has(a));
    if (preferred) this.from.value = preferred;
    if (!this.signTouched) this.sign.checked = ids.length > 0;
  }

  async refreshRecipients(): Promise<Map<string, RecipientStatus>> {
    const out = new Map<string, RecipientStatus>();
    const all = [...new Set([...addresses(this.to.value), ...addresses(this.bcc.value)])];
    const { statuses, ders } = await recipientStatuses(this.core, all);
    this.encryptTo = new Map();
    const reasons = new Map<string, string>();
    for (const r of statuses) {
      out.set(r.address, r.status);
      if (r.reason) reasons.set(r.address, r.reason);
      const der = r.index !== undefined ? ders.get(r.address)?.[r.index] : undefined;
      if (r.status === 'ready' && der) this.encryptTo.set(r.address, der);
    }
    const unusable = [...out].filter(([, s]) => s !== 'ready').map(([a]) => a);
    const asking = this.confirmArea.querySelector('[data-field="reply-recipient"]');
    const key = unusable.join(',');
    if (this.protectedReply && !this.plainConfirmed && this.encrypt.checked && unusable.length > 0) {
      // Asked once per set of such recipients (typing in To must not bring it back at each key).
      if (this.askedFor !== key) this.askPlain(`${unusable.join(', ')} ${unusable.length === 1 ? 'has' : 'have'} no usable certificate, and this replies to (or forwards) an encrypted message. Keep it encrypted (remove ${unusable.length === 1 ? 'that recipient' : 'them'} or ask for a certificate), or send it without encryption?`, 'reply-recipient', false);
      this.askedFor = key;
    } else {
      this.askedFor = '';
      if (asking) replace(this.confirmArea);
    }
    await this.showOwnCopy();
    replace(
      this.recipients,
      ...[...out].map(([a, s]) => {
        const ask = s === 'missing' ? el('button', { type: 'button', class: 'link' }, 'Ask for their certificate') : null;
        ask?.addEventListener('click', () => void this.sendRequest(a));
        const dns = s === 'missing' ? this.discovery.offer(a, () => void this.refreshRecipients(), this.encrypt.checked) : null;
        return el('li', { 'data-recipient': a, 'data-status': s }, el('span', { class: `badge ${s === 'ready' ? 'good' : 'warn'}` }, s), ` ${a} — ${STATUS_WORDS[s]} `, reasons.has(a) && s !== 'missing' ? el('span', { class: 'muted' }, `(${reasons.get(a)}) `) : null, ask, dns);
      }),
    );
    await this.showChoice();
    return out;
  }

  /** With Encrypt on and a sender certificate that cannot be encrypted to (signing only): the Sent copy will not be readable. */
  private async showOwnCopy(): Promise<void> {
    const from = this.bound?.from.address ?? this.from.value;
    const signer = this.encrypt.checked && this.features.encrypt ? await this.session.signer(from) : null;
    replace(
      this.ownCopyArea,
      signer && !canReceiveEncrypted(signer.record)
        ? el('p', { class: 'notice', role: 'status', 'data-field': 'own-copy-unreadable' }, `Your certificate for ${from} only signs: it cannot be encrypted to, so your own copy of this message (in Sent) will not be readable. Import your encryption certificate under Certificates to keep a readable copy.`)
        : null,
    );
  }

  /** Per ready recipient (and the sender's own copy, when unlocked) what encrypting will use and why. */
  private async showChoice(): Promise<void> {
    // Only the latest refresh writes (an older one finishing late would add its lines twice).
    const run = ++this.choiceRun;
    const ready = [...this.encryptTo].map(([address, der]) => ({ address, der }));
    if (!this.encrypt.checked || ready.length === 0) {
      replace(this.cipherChoice);
      return;
    }
    try {
      const signer = await this.session.signer(this.from.value);
      const choice = await encryptionChoice(this.core, signer?.handle ?? null, ready);
      if (run !== this.choiceRun) return;
      if (!choice) return replace(this.cipherChoice);
      choice.recipients.forEach((r, i) => {
        const li = i < ready.length ? this.recipients.querySelector(`li[data-recipient="${CSS.escape(ready[i]?.address ?? '')}"]`) : null;
        const line = el('div', { class: 'muted', 'data-field': 'choice' }, choiceWords(choice, r));
        if (li) li.append(line);
        else if (r.own_copy) this.recipients.append(el('li', { 'data-recipient': r.address, 'data-own-copy': 'true' }, `Your own copy (${r.address}) — `, line));
      });
      replace(this.cipherChoice, `Encryption: ${choice.reason}`);
    } catch {
      // The choice is information only: sending decides again and reports its own errors.
      replace(this.cipherChoice);
    }
  }

  private async draft(): Promise<Draft> {
    const from = this.from.value;
    const attachments: DraftAttachment[] = await Promise.all(
      [...(this.files.files ?? [])].map(async (f) => ({ filename: f.name, contentType: f.type || 'application/octet-stream', dataBase64: await base64Of(f) })),
    );
    const bcc = addresses(this.bcc.value).filter((b) => !addresses(this.to.value).includes(b));
    return { from, to: addresses(this.to.value), bcc, subject: this.subject.value, text: this.text.value, date: rfc5322Date(new Date()), messageId: messageId(from), inReplyTo: this.inReplyTo, attachments };
  }

  /** The messages to send: one to To (no Bcc), then one per Bcc recipient naming only them, each with its own Message-ID. */
  private static envelopes(d: Draft): Draft[] {
    const out: Draft[] = [];
    if (d.to.length > 0) out.push({ ...d, bcc: [] });
    for (const b of d.bcc ?? []) out.push({ ...d, to: [], bcc: [b], messageId: messageId(d.from) });
    return out;
  }

  private refuse(reasons: string[], offerRequest: string[] = []): void {
    const list = el('ul', { 'data-field': 'blockers' }, ...reasons.map((r) => el('li', {}, r)));
    const buttons = offerRequest.map((a) => {
      const b = el('button', { type: 'button' }, `Send ${a} a request for their certificate`);
      b.addEventListener('click', () => void this.sendRequest(a));
      return b;
    });
    replace(this.result, el('div', { class: 'error', role: 'alert', 'data-code': 'send-refused' }, el('p', { class: 'error-message' }, 'The message was not sent:'), list, buttons.length ? el('div', { class: 'actions' }, ...buttons) : null, el('p', { class: 'error-hint' }, 'Your draft is kept.')));
  }

  private async build(draft: Draft, sign: boolean, encrypt: boolean, recipients?: string[], sender: string = draft.from, certOf: Map<string, string> = this.encryptTo): Promise<Uint8Array> {
    // The identity's footer goes inside the signed part (the core writes it into the body).
    const footer = sign ? await keeping.footer(sender) : '';
    const plain = await this.core.call('composeMessage', { draft: footer ? { ...draft, footer } : draft });
    const at = Math.floor(Date.now() / 1000);
    const signer = await this.session.signer(sender);
    if ((sign || encrypt) && !signer) throw new Error('unreachable: checked before');
    if (encrypt && signer) {
      // Sign then encrypt, always also to the sender's own certificate (the core adds it);
      // the recipients' stored capabilities choose the algorithms (as the pane showed).
      // Every reader needs a certificate: one without (the fields changed while sending) stops
      // the send, never leaves someone who could not read it among the recipients.
      const readers = (recipients ?? [...draft.to, ...(draft.bcc ?? [])]).map((a) => {
        const der = certOf.get(a);
        if (der === undefined) throw new Error(`No certificate to encrypt to ${a}: the recipients changed while sending. Nothing was sent; send again.`);
        return { address: a, der };
      });
      const capabilities = await capabilitiesOf(readers.map((r) => r.address));
      return this.core.call('encrypt', { handle: signer.handle, mime: plain, recipients: readers.map((r) => r.der), capabilities, sign, at, opaque: this.opaque.checked, tripleWrap: sign && this.tripleWrap.checked });
    }
    if (sign && signer) return this.core.call('sign', { handle: signer.handle, mime: plain, opaque: this.opaque.checked, at });
    return plain;
  }

  async sendSecurely(): Promise<void> {
    if (this.bound) return this.sendBound();
    let draft: Draft;
    try {
      draft = await this.draft();
    } catch (e) {
      replace(this.result, errorView(e), el('p', { class: 'muted' }, 'Your draft is kept.'));
      return;
    }
    const bcc = draft.bcc ?? [];
    const sign = this.sign.checked;
    const encrypt = this.encrypt.checked && this.features.encrypt;
    if (this.needsPlainConfirm(encrypt)) return;
    const reasons: string[] = [];
    const statuses = await this.refreshRecipients();
    if (draft.to.length + bcc.length === 0) reasons.push('There is no recipient.');
    if (!this.host.capabilities.sendMessage) reasons.push('This mail program cannot send messages built by Cachet.');
    if ((sign || encrypt) && !(await this.session.signer(draft.from))) reasons.push(`Your certificate for ${draft.from || 'this address'} is locked or missing: unlock it or import it under Certificates.`);
    if (this.refusedOrSending(reasons, statuses, encrypt)) return;
    try {
      // Build every envelope first: nothing goes out unless all of them could be built.
      const messages: { mime: Uint8Array; to: Draft }[] = [];
      for (const envelope of ComposePane.envelopes(draft)) messages.push({ mime: await this.build(envelope, sign, encrypt), to: envelope });
      for (const { mime, to } of messages) await this.host.sendMime?.(mime, { from: to.from, to: to.to, cc: to.cc ?? [], bcc: to.bcc ?? [] });
      if (sign) await keeping.recordSent([...draft.to, ...bcc], (await this.session.signer(draft.from))?.record.id ?? '');
      const names = [...draft.to, ...bcc.map((b) => `${b} (Bcc, own copy)`)];
      const files = draft.attachments?.length ? ` with ${draft.attachments.length} attachment${draft.attachments.length === 1 ? '' : 's'}` : '';
      replace(this.result, el('p', { class: 'note good', role: 'status', 'data-field': 'sent' }, `Sent${sign ? ', signed' : ''}${encrypt ? ' and encrypted' : ''}${files}, to ${names.join(', ')}.`));
      this.result.append(...((await this.onSent?.().catch(() => [])) ?? []));
      this.to.value = '';
      this.bcc.value = '';
      this.files.value = '';
      this.subject.value = '';
      this.text.value = '';
      this.inReplyTo = '';
      this.protectedReply = false;
      this.plainConfirmed = false;
      replace(this.confirmArea);
      replace(this.recipients);
      replace(this.cipherChoice);
    } catch (e) {
      replace(this.result, errorView(e), el('p', { class: 'muted' }, 'Your draft is kept.'));
    } finally {
      this.send.disabled = false;
    }
  }

  /** A reply to encrypted mail about to go out unencrypted without the user's answer: ask, and do not send. */
  private needsPlainConfirm(encrypt: boolean): boolean {
    if (!this.protectedReply || encrypt || this.plainConfirmed) return false;
    this.askPlain('This replies to (or forwards) an encrypted message and may quote its decrypted text, but it would be sent without encryption. Send it without encryption?');
    return true;
  }

  /**
   * With Encrypt, every recipient that is not `ready` blocks too. Refuses (offering the
   * request mail to `missing` recipients) and returns true when anything blocks; otherwise
   * shows the progress and returns false.
   */
  private refusedOrSending(reasons: string[], statuses: Map<string, RecipientStatus>, encrypt: boolean): boolean {
    const notReady = [...statuses].filter(([, s]) => s !== 'ready');
    if (encrypt) for (const [a, s] of notReady) reasons.push(`${a}: ${STATUS_WORDS[s]}.`);
    if (reasons.length) {
      this.refuse(reasons, encrypt ? notReady.filter(([, s]) => s === 'missing').map(([a]) => a) : []);
      return true;
    }
    this.send.disabled = true;
    replace(this.result, el('p', { class: 'progress', role: 'status' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Sending…'));
    return false;
  }

  /** Send the host's message: checked like the pane's own, built per envelope, sent by the host. */
  private async sendBound(): Promise<void> {
    // The compose window is read once: these fields are checked here and sent as they are.
    const fields = await this.bindToHost(false);
    if (!fields) return;
    // The choice kept with the draft may ask for more than the pane shows (the host's own Sign
    // and Encrypt commands changed it while the pane was open): never send with less.
    const stored = this.host.composeChoice ? await this.host.composeChoice().catch(() => null) : null;
    if (stored && ((stored.sign && !this.sign.checked) || (stored.encrypt && !this.encrypt.checked))) {
      this.sign.checked ||= stored.sign;
      if (stored.encrypt && this.features.encrypt) this.encrypt.checked = true;
      void this.refreshRecipients();
      replace(this.result, el('p', { class: 'notice', role: 'alert', 'data-field': 'choice-changed' }, stored.encrypt && !this.features.encrypt
        ? 'This message is marked Encrypt, but encrypting is not available here: nothing was sent. Turn Encrypt off in the mail program to send it signed only.'
        : `This message was marked ${[stored.sign ? 'Sign' : '', stored.encrypt ? 'Encrypt' : ''].filter(Boolean).join(' and ')} in the mail program since the pane read it: the pane now shows that choice. Nothing was sent: check it, then press Send securely again.`));
      return;
    }
    const sign = this.sign.checked;
    const encrypt = this.encrypt.checked && this.features.encrypt;
    if (this.needsPlainConfirm(encrypt)) return;
    const from = fields.from.address.trim().toLowerCase();
    const statuses = await this.refreshRecipients();
    const reasons = [...unsupported(fields)];
    if (statuses.size === 0) reasons.push('There is no recipient.');
    if (!sign && !encrypt) reasons.push('Choose Sign or Encrypt (a message with neither is sent with the mail program’s own Send button).');
    if (!this.host.capabilities.sendMessage || !this.host.sendComposed) reasons.push('This mail program cannot send messages built by Cachet.');
    if (!(await this.session.signer(from))) reasons.push(`Your certificate for ${from || 'this address'} is locked or missing: unlock it or import it under Certificates.`);
    if (this.refusedOrSending(reasons, statuses, encrypt)) return;
    try {
      const certOf = this.encryptTo;
      const out: SendOutcome | undefined = await this.host.sendComposed?.(async (env) => {
        const certs = envelopeAddresses(env).map((a) => certOf.get(a));
        if (encrypt && certs.some((c) => c === undefined)) throw new Error('A recipient changed while sending; read the message again.');
        const draft = draftOf(env, rfc5322Date(new Date()), messageId(from));
        return this.build(draft, sign, encrypt, envelopeAddresses(env), from, certOf);
      }, fields);
      if (sign) await keeping.recordSent([...statuses.keys()], (await this.session.signer(from))?.record.id ?? '');
      const rcpt = [...statuses.keys()].join(', ');
      replace(
        this.result,
        el('p', { class: 'note good', role: 'status', 'data-field': 'sent' }, `Sent${sign ? ', signed' : ''}${encrypt ? ' and encrypted' : ''}, to ${rcpt}.`),
        out && !out.draftDeleted ? el('p', { class: 'notice', 'data-field': 'draft-kept' }, 'The unprotected draft could not be deleted: delete it from your Drafts folder.') : null,
        out?.draftDeleted && out.draftInDeletedItems ? el('p', { class: 'notice', 'data-field': 'draft-in-deleted-items' }, IN_DELETED_ITEMS) : null,
        out && !out.closed ? el('p', { class: 'muted', 'data-field': 'not-closed' }, 'Close the message window (it was sent; do not send it again).') : null,
      );
    } catch (e) {
      replace(this.result, errorView(e), el('p', { class: 'muted' }, 'Your draft is kept.'));
    } finally {
      this.send.disabled = false;
    }
  }

  /** The key-exchange request mail (SPEC section 6): signed, asking for a signed reply. */
  async sendRequest(address: string): Promise<void> {
    const from = this.from.value;
    try {
      const signer = await this.session.signer(from);
      if (!signer) throw new Error('Unlock your certificate first.');
      const signed = await this.core.call('requestMail', { handle: signer.handle, options: { to: address, from, at: Math.floor(Date.now() / 1000), date: rfc5322Date(new Date()), messageId: messageId(from) } });
      await this.host.sendMime?.(signed, { from, to: [address], cc: [], bcc: [] });
      await keeping.requestSent(address, from, Date.now());
      await keeping.recordSent([address], signer.record.id);
      replace(this.result, el('p', { class: 'note good', role: 'status', 'data-field': 'request-sent' }, `A signed request for a certificate was sent to ${address}. Your draft is kept.`));
    } catch (e) {
      replace(this.result, errorView(e));
    }
  }
}
