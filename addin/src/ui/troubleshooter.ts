// The troubleshooter (issue 19, SPEC section 7): the common failures, each checked against what
// Cachet knows, with one-click remedies:
// - cannot encrypt to X: X's status (from the core) and the request mail; certificate finders
//   (SMIMEA over DNS, mailbox harvesting) the page registered for its host (finders.ts);
// - X cannot read my mail: their certificate expired (ask for the new one) or they have my old
//   certificate (send the announcement);
// - my signature shows as invalid at the recipient: open a copy of the received message, the
//   core's diagnosis says what a server appended after signing;
// - I cannot decrypt old mail: which certificate it was encrypted for, and which of mine (kept,
//   locked, or only in a backup) that is;
// - my certificate expires soon: the reminders and the renewal guide.
import type { CoreClient } from '../core/client';
import type { OpenReport, SignerId } from '../core/protocol';
import type { Host } from '../hosts/host';
import { readLocalFile } from '../hosts/host';
import { dueReminders, keeping, reminderText } from '../keyring/keeping';
import type { Session } from '../keyring/session';
import { store } from '../keyring/store';
import { el, replace } from './dom';
import { errorView } from './error-view';
import { recipientStatuses, STATUS_WORDS } from './host-compose';
import { canSend, certificateFinders, readerProblem, sendAnnouncement, sendRequest } from './keeping-actions';

let uid = 0;
function labelled(label: string, control: HTMLInputElement | HTMLTextAreaElement): HTMLElement {
  control.id = `ts-${++uid}`;
  return el('div', { class: 'field' }, el('label', { for: control.id }, label), control);
}

function button(text: string, onClick: () => void, cls = ''): HTMLButtonElement {
  const b = el('button', { type: 'button', ...(cls ? { class: cls } : {}) }, text);
  b.addEventListener('click', onClick);
  return b;
}

/** Serial numbers compared as hex digits without separators or leading zeros. */
function serialKey(s: string): string {
  return s.replace(/[^0-9a-fA-F]/g, '').toLowerCase().replace(/^0+/, '');
}

function idText(id: SignerId): string {
  if ('issuer_and_serial' in id) return `${id.issuer_and_serial.issuer}, serial ${id.issuer_and_serial.serial}`;
  return `subject key identifier ${id.subject_key_identifier.key_id}`;
}

type RecipientStatus = Awaited<ReturnType<typeof recipientStatuses>>['statuses'][number];

/** The "cannot encrypt" status line of one recipient (shown again after a finder stored a certificate). */
function showStatus(line: HTMLElement, s: RecipientStatus): void {
  const what = s.status === 'ready' ? 'A usable certificate is stored: turn on Encrypt when you write.' : s.status === 'untrusted' ? 'Trust its issuer (import the root under Certificates) or pin the certificate, if you have checked it is theirs.' : 'Ask them for a signed message: Cachet stores their certificate when you open it.';
  line.setAttribute('data-status', s.status);
  replace(line, el('span', { class: `badge ${s.status === 'ready' ? 'good' : 'warn'}` }, s.status), ` ${s.address} — ${STATUS_WORDS[s.status]}${s.reason ? ` (${s.reason})` : ''}. ${what}`);
}

export class Troubleshooter {
  readonly element: HTMLElement;
  /** Set by the page: show the renewal guide of `address` (the upkeep panel). */
  onRenew: ((address: string) => void) | null = null;

  constructor(private readonly core: CoreClient, private readonly session: Session, private readonly host: Host, private readonly now: () => number = () => Date.now()) {
    this.element = el(
      'section',
      { class: 'troubleshooter', 'aria-labelledby': 'ts-heading' },
      el('h2', { id: 'ts-heading' }, 'Troubleshooter'),
      el('p', { class: 'muted' }, 'Choose what goes wrong; Cachet checks what it knows and offers a fix.'),
      this.problem('cannot-encrypt', 'I cannot encrypt to someone', this.cannotEncrypt()),
      this.problem('cannot-read', 'Someone cannot read my mail', this.cannotRead()),
      this.problem('signature-invalid', 'My signature shows as invalid at the recipient', this.messageCheck('A copy of the message as the recipient received it (.eml, or paste it)', (r, out) => this.signatureDiagnosis(r, out))),
      this.problem('cannot-decrypt', 'I cannot decrypt old mail', this.messageCheck('The message you cannot open (.eml, or paste it)', (r, out) => this.whichKey(r, out))),
      this.problem('expiring', 'My certificate expires soon', this.expiring()),
    );
  }

  private problem(id: string, title: string, body: HTMLElement): HTMLElement {
    return el('details', { class: 'problem', 'data-problem': id }, el('summary', {}, title), body);
  }

  private cannotEncrypt(): HTMLElement {
    return this.addressCheck(async (a, out) => {
      try {
        const { statuses } = await recipientStatuses(this.core, [a]);
        const s = statuses[0];
        if (!s) return replace(out, el('p', { class: 'error' }, 'No answer for this address.'));
        const remedies: HTMLElement[] = [];
        const status = el('div', { 'aria-live': 'polite' });
        const line = el('p', { 'data-field': 'encrypt-status' });
        showStatus(line, s);
        if (s.status !== 'ready') {
          if (canSend(this.host)) {
            remedies.push(button(`Send ${a} a request for their certificate`, () => void sendRequest(this.core, this.session, this.host, a, '', this.now()).then(
              () => replace(status, el('p', { class: 'note good', role: 'status', 'data-field': 'request-sent' }, `A signed request was sent to ${a}. It is listed under Key exchanges until they reply with a signed message.`)),
              (e) => replace(status, errorView(e)),
            )));
          }
          for (const f of certificateFinders()) {
            const b = button(f.label(a), () => {
              b.disabled = true;
              replace(status, el('p', { class: 'muted', role: 'status' }, 'Looking…'));
              // After a finder stored a certificate, the status line says what it is now.
              void f.find(a, () => void recipientStatuses(this.core, [a]).then((r) => r.statuses[0] && showStatus(line, r.statuses[0]), () => undefined)).then(
                (m) => replace(status, typeof m === 'string' ? el('p', { role: 'status' }, m) : m),
                (e) => replace(status, errorView(e)),
              ).finally(() => { b.disabled = false; });
            }, 'secondary');
            b.setAttribute('data-finder', f.id);
            remedies.push(b);
          }
        }
        replace(out, line, remedies.length ? el('div', { class: 'actions' }, ...remedies) : null, status);
      } catch (e) {
        replace(out, errorView(e));
      }
    });
  }

  private cannotRead(): HTMLElement {
    return this.addressCheck(async (a, out) => {
      const p = await readerProblem(a);
      const findings: HTMLElement[] = [];
      const actions: HTMLElement[] = [];
      const status = el('div', { 'aria-live': 'polite' });
      if (p.theirs === 'expired') {
        findings.push(el('li', { 'data-finding': 'their-expired' }, `Their certificate expired on ${(p.theirNotAfter ?? '').slice(0, 10)}: mail encrypted to it is made for a key they may no longer use. Ask them for a signed message with their new certificate.`));
      }
      if (p.theirs === 'none') findings.push(el('li', { 'data-finding': 'their-none' }, 'You have no certificate of theirs: Cachet cannot encrypt to them, and they may not have yours either.'));
      if (p.theirs !== 'ok' && canSend(this.host)) {
        actions.push(button(`Ask ${a} for their certificate`, () => void sendRequest(this.core, this.session, this.host, a, '', this.now()).then(() => replace(status, el('p', { class: 'note good', role: 'status', 'data-field': 'request-sent' }, `Request sent to ${a}.`)), (e) => replace(status, errorView(e)))));
      }
      if (p.mine === 'old') {
        findings.push(el('li', { 'data-finding': 'my-old' }, 'The last signed mail Cachet sent them carried your old certificate: they encrypt to a key you replaced, and may see your new signatures as a changed certificate. Send them the announcement of your new certificate.'));
        // Sent from the address they know, with its current (new) certificate.
        const from = p.myAddress ?? (await store.identities()).find((r) => !r.retired)?.facts[0]?.emails[0] ?? '';
        if (canSend(this.host)) actions.push(button(`Send ${a} the announcement of my new certificate`, () => void sendAnnouncement(this.core, this.session, this.host, from, [a], this.now()).then(() => replace(status, el('p', { class: 'note good', role: 'status', 'data-field': 'announcement-sent' }, `Announcement sent to ${a}.`)), (e) => replace(status, errorView(e)))));
      }
      if (findings.length === 0) findings.push(el('li', { 'data-finding': 'nothing-known' }, 'Cachet sees nothing wrong: their certificate is valid and they have your current one (as far as Cachet knows). Ask them what their mail program says.'));
      replace(out, el('ul', {}, ...findings), actions.length ? el('div', { class: 'actions' }, ...actions) : null, status);
    });
  }

  /** An address typed by the user (checked to look like one), handed to `check` with the output area. */
  private addressCheck(check: (address: string, out: HTMLElement) => Promise<void>): HTMLElement {
    const address = el('input', { type: 'email', autocomplete: 'off', placeholder: 'name@example.org' });
    const out = el('div', { 'aria-live': 'polite', 'data-field': 'result' });
    const form = el('form', {}, labelled('Their address', address), el('button', { type: 'submit' }, 'Check'), out);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void (async () => {
        const a = address.value.trim().toLowerCase();
        if (!a.includes('@')) return replace(out, el('p', { class: 'error', role: 'alert' }, 'Type an e-mail address.'));
        await check(a, out);
      })();
    });
    return form;
  }

  /** A message given as a file or pasted, opened by the core; `explain` says what it means. */
  private messageCheck(label: string, explain: (r: OpenReport, out: HTMLElement) => Promise<void> | void): HTMLElement {
    const file = el('input', { type: 'file', accept: '.eml,message/rfc822' });
    const paste = el('textarea', { rows: '4', placeholder: 'Paste the whole message source here' });
    const out = el('div', { 'aria-live': 'polite', 'data-field': 'result' });
    const run = (bytes: Uint8Array): void => {
      void (async () => {
        try {
          const opened = await this.core.call('open', { mime: bytes, options: await this.session.openOptions() });
          await explain(opened.report, out);
        } catch (e) {
          replace(out, errorView(e));
        }
      })();
    };
    file.addEventListener('change', () => {
      const f = file.files?.[0];
      if (f) void readLocalFile(f).then((l) => run(l.bytes), (e) => replace(out, errorView(e)));
    });
    const check = button('Check the pasted message', () => {
      const text = paste.value.replace(/\r?\n/g, '\r\n');
      if (text.trim()) run(new TextEncoder().encode(text));
    });
    return el('div', {}, labelled(label, file), labelled('Or paste its source', paste), check, out);
  }

  private signatureDiagnosis(r: OpenReport, out: HTMLElement): void {
    const appended = r.diagnosis.filter((d) => d.appended_text !== undefined || d.id.startsWith('appended'));
    const lines: HTMLElement[] = [el('p', { 'data-status': r.status }, `Status of this copy: ${r.status}.`)];
    if (r.status === 'valid' || r.status === 'valid-unknown-ca') lines.push(el('p', {}, 'The signature of this copy is intact: if the recipient sees it as invalid, their mail program may not trust your certificate’s issuer, or they read a different copy.'));
    for (const d of appended) {
      lines.push(el('div', { class: 'notice', 'data-diagnosis': d.id }, el('p', {}, d.message), d.appended_text !== undefined ? el('pre', { class: 'appended', 'data-field': 'appended-text' }, d.appended_text) : null, d.original_verifies ? el('p', {}, 'Without it, your original signed content verifies.') : null));
    }
    if (appended.length) lines.push(el('p', { 'data-field': 'gateway-advice' }, 'A server on the way changed the message after you signed it. Ask its administrators to exempt signed mail from disclaimers, and put the text in your own signed footer instead (Upkeep tab): it is then inside the signature.'));
    else if (r.status !== 'valid' && r.status !== 'valid-unknown-ca') for (const d of r.diagnosis) lines.push(el('p', { 'data-diagnosis': d.id }, d.message));
    replace(out, ...lines);
  }

  private async whichKey(r: OpenReport, out: HTMLElement): Promise<void> {
    if (r.status !== 'no-key') {
      const enc = r.layers.some((l) => l.kind === 'encrypted');
      replace(out, el('p', { 'data-status': r.status }, enc ? `This message opens here (status ${r.status}): one of your keys decrypts it.` : `This message is not encrypted (status ${r.status}).`));
      return;
    }
    const ids = await store.identities();
    const rows: HTMLElement[] = [];
    for (const id of r.layers.flatMap((l) => l.encryption?.recipients ?? [])) {
      const match = 'issuer_and_serial' in id ? ids.find((x) => x.facts[0] && serialKey(x.facts[0].serial) === serialKey(id.issuer_and_serial.serial) && x.facts[0].issuer === id.issuer_and_serial.issuer) : undefined;
      const leaf = match?.facts[0];
      const state = !match ? 'not-here' : this.session.isUnlocked(match.id) ? 'unlocked' : 'locked';
      const words = !match
        ? 'not on this device: restore it from its backup (.p12) under Certificates, if it is yours.'
        : state === 'locked'
          ? `your certificate ${leaf?.common_name ?? ''} (valid until ${leaf?.not_after.slice(0, 10)}${match.retired ? ', kept for old mail' : ''}): it is locked, unlock it under Certificates.`
          : `your certificate ${leaf?.common_name ?? ''} (valid until ${leaf?.not_after.slice(0, 10)}) is unlocked, but did not decrypt it.`;
      rows.push(el('li', { 'data-key': state }, `${idText(id)} — ${words}`));
    }
    replace(out, el('p', { 'data-status': 'no-key' }, 'None of your unlocked keys can open it. It was encrypted for:'), el('ul', { 'data-field': 'which-key' }, ...rows));
  }

  private expiring(): HTMLElement {
    const out = el('div', { 'aria-live': 'polite', 'data-field': 'result' });
    const check = button('Check my certificates', () => void (async () => {
      const due = dueReminders(await store.identities(), await keeping.remindersShown(), this.now());
      if (due.length === 0) return replace(out, el('p', { 'data-field': 'none-expiring' }, 'None of your certificates expires within 30 days.'));
      replace(out, ...due.map((d) => el('p', { 'data-reminder': d.address }, `${reminderText(d).message} `, button('Renew', () => this.onRenew?.(d.address)))));
    })());
    return el('div', {}, check, out);
  }
}
