// The upkeep panel (issue 19): expiry reminders (30, 14 and 7 days before an own certificate
// ends, and once it has; also in the host's own notification surface) with the guided renewal
// (import the new .p12, the old key is kept for old mail, the signed announcement to the
// contacts who have the old certificate), the signed footer of each of the user's addresses,
// and the key-exchange tracker (requests sent: pending until a valid signed mail from that
// address is opened, then ready with a notification; remind re-sends, cancel stops waiting).
// Time comes from `now()` (Date.now by default): tests control the clock.
import type { CoreClient } from '../core/client';
import type { Host } from '../hosts/host';
import { readLocalFile } from '../hosts/host';
import { type Exchange, keeping, keepingEvents, MAX_FOOTER, type Reminder, reminderText } from '../keyring/keeping';
import type { Session } from '../keyring/session';
import { type IdentityRecord, store } from '../keyring/store';
import { el, replace } from './dom';
import { errorView } from './error-view';
import { announcementCandidates, canSend, checkReminders, sendAnnouncement, sendRequest } from './keeping-actions';

let uid = 0;
function labelled(label: string, control: HTMLInputElement | HTMLTextAreaElement): HTMLElement {
  control.id = `up-${++uid}`;
  return el('div', { class: 'field' }, el('label', { for: control.id }, label), control);
}

function button(text: string, onClick: () => void, cls = ''): HTMLButtonElement {
  const b = el('button', { type: 'button', ...(cls ? { class: cls } : {}) }, text);
  b.addEventListener('click', onClick);
  return b;
}

const day = (iso: string) => iso.slice(0, 10);

export class UpkeepPanel {
  readonly element: HTMLElement;
  /** The due reminders, for the top of the page (the standalone page's banner). */
  readonly banner = el('div', { class: 'upkeep-banner', 'aria-live': 'polite', 'data-field': 'reminder-banner' });
  /** Called when the user asks for the renewal guide from the banner (the page shows this panel). */
  onShow: (() => void) | null = null;
  private readonly message = el('div', { class: 'panel-message', 'aria-live': 'polite' });
  private readonly reminders = el('div', { 'data-field': 'reminders' });
  private readonly guide = el('div', { 'data-field': 'renewal-guide-area' });
  private readonly footers = el('div', { 'data-field': 'footers' });
  private readonly exchanges = el('ul', { class: 'cards plain', 'aria-label': 'Key exchanges', 'data-field': 'exchanges' });
  private readonly news = el('div', { 'aria-live': 'polite', 'data-field': 'exchange-news' });

  constructor(private readonly core: CoreClient, private readonly session: Session, private readonly host: Host, private readonly now: () => number = () => Date.now()) {
    this.element = el(
      'section',
      { class: 'upkeep', 'aria-labelledby': 'upkeep-heading' },
      el('h2', { id: 'upkeep-heading' }, 'Keep your certificates working'),
      this.message,
      this.news,
      el('h3', {}, 'Expiry and renewal'),
      this.reminders,
      this.guide,
      el('h3', {}, 'Signed footer'),
      el('p', { class: 'muted' }, 'Legal text or contact details added at the end of every message you sign, inside the signature, so no server needs to append a disclaimer (which would break the signature).'),
      this.footers,
      el('h3', {}, 'Key exchanges'),
      el('p', { class: 'muted' }, 'Requests for a certificate you sent. Each is ready once you open a valid signed reply from that address.'),
      this.exchanges,
    );
    session.addEventListener('change', () => void this.refresh());
    keepingEvents.addEventListener('exchanges', () => void this.refreshExchanges());
    session.addEventListener('exchange-ready', (ev) => void this.exchangeReady((ev as CustomEvent<Exchange>).detail));
    void this.refresh();
  }

  private say(node: Node): void {
    replace(this.message, node);
  }

  /** A request was answered: say so here and in the host's notification surface. */
  private async exchangeReady(e: Exchange): Promise<void> {
    const message = `${e.address} replied with a signed message: their certificate is stored and you can send them encrypted mail.`;
    replace(this.news, el('p', { class: 'note good', role: 'status', 'data-field': 'exchange-ready' }, message));
    await this.host.notify?.({ id: 'cachet-exchange', title: 'Certificate received', message }).catch(() => false);
    await this.refreshExchanges();
  }

  async refresh(): Promise<void> {
    const ids = await store.identities();
    await this.refreshReminders();
    this.refreshFooters(ids);
    await this.refreshExchanges();
  }

  /** Work out the reminders now (new ones also go to the host's notification surface). */
  async refreshReminders(): Promise<Reminder[]> {
    const due = await checkReminders(this.host, this.now());
    const card = (r: Reminder, inBanner: boolean) => {
      const t = reminderText(r);
      const renew = button(inBanner ? 'Renew now' : 'Start the renewal', () => {
        void this.openGuide(r.address);
        if (inBanner) this.onShow?.();
      });
      return el('div', { class: r.stage === 0 ? 'error' : 'notice', role: inBanner ? 'alert' : 'status', 'data-reminder': r.address, 'data-stage': String(r.stage) }, el('strong', {}, t.title), ' ', el('span', {}, t.message), ' ', renew);
    };
    replace(this.reminders, ...(due.length ? due.map((r) => card(r, false)) : [el('p', { class: 'muted' }, 'None of your certificates expires within 30 days.')]));
    replace(this.banner, ...due.map((r) => card(r, true)));
    return due;
  }

  /** The renewal guide for the identity of `address`. */
  async openGuide(address: string): Promise<void> {
    const ids = (await store.identities()).filter((r) => (r.facts[0]?.emails ?? []).includes(address));
    const file = el('input', { type: 'file', accept: '.p12,.pfx,application/x-pkcs12' });
    const password = el('input', { type: 'password', autocomplete: 'off' });
    const passphrase = el('input', { type: 'password', autocomplete: 'new-password' });
    const status = el('div', { 'aria-live': 'polite' });
    const importForm = el('form', { class: 'import', 'data-field': 'renewal-import' }, labelled('Your new certificate file (.p12, .pfx)', file), labelled('Password of the new file', password), labelled('Device passphrase to keep it under (at least 8 characters)', passphrase), el('button', { type: 'submit' }, 'Import the new certificate'), status);
    importForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const f = file.files?.[0];
      if (!f) return replace(status, el('p', { class: 'error', role: 'alert' }, 'Choose the new .p12 or .pfx file first.'));
      void (async () => {
        try {
          const { bytes } = await readLocalFile(f);
          const { record, retired } = await this.session.importP12(bytes, password.value, passphrase.value);
          password.value = '';
          passphrase.value = '';
          const leaf = record.facts[0];
          if (leaf && !leaf.emails.includes(address)) replace(status, el('p', { class: 'notice', role: 'status' }, `Imported, but this certificate is for ${leaf.emails.join(', ')}, not ${address}.`));
          else await this.openGuide(address);
          if (retired.length === 0 && leaf?.emails.includes(address)) this.say(el('p', { class: 'notice', role: 'status' }, 'Imported; it does not replace an older certificate (it ends earlier, or is the same).'));
        } catch (e) {
          replace(status, errorView(e));
        }
      })();
    });
    const current = ids.filter((r) => !r.retired).sort((a, b) => ((b.facts[0]?.not_after ?? '') > (a.facts[0]?.not_after ?? '') ? 1 : -1))[0];
    const kept = ids.filter((r) => r.retired);
    const renewed = kept.length > 0 && current !== undefined;
    const keptList = el('ul', { 'data-field': 'kept-old' }, ...kept.map((r) => el('li', { 'data-kept': r.id }, `${r.facts[0]?.common_name ?? r.facts[0]?.subject ?? r.id}, valid until ${day(r.facts[0]?.not_after ?? '')}: kept to decrypt old mail`)));
    const announce = renewed ? await this.announceForm(address) : el('p', { class: 'muted' }, 'After the import, Cachet offers the announcement to the contacts who have your old certificate.');
    replace(
      this.guide,
      el(
        'ol',
        { class: 'guide', 'data-field': 'renewal-guide', 'aria-label': `Renewing the certificate for ${address}` },
        el('li', {}, el('strong', {}, 'Get a new certificate'), el('p', {}, `Ask your certificate authority (usually where the current one came from) for a new S/MIME certificate for ${address}, and save it as a .p12 or .pfx file with its password.`)),
        el('li', {}, el('strong', {}, 'Import it'), renewed ? el('p', { class: 'note good', 'data-field': 'renewal-imported' }, `Imported: ${current?.facts[0]?.common_name ?? address}, valid until ${day(current?.facts[0]?.not_after ?? '')}. New mail is signed with it.`) : importForm),
        el('li', {}, el('strong', {}, 'Keep the old key for old mail'), el('p', {}, 'Your previous certificate stays on this device, used only to decrypt mail sent to it. Keep its backup too.'), kept.length ? keptList : el('p', { class: 'muted' }, 'It appears here once the new one is imported.')),
        el('li', {}, el('strong', {}, 'Tell your contacts'), announce),
      ),
    );
  }

  private async announceForm(from: string): Promise<HTMLElement> {
    const candidates = await announcementCandidates(from);
    if (!canSend(this.host)) return el('p', { class: 'notice' }, 'This mail program cannot send messages built by Cachet here: send your contacts a signed message from it instead.');
    if (candidates.length === 0) return el('p', { class: 'muted', 'data-field': 'announce-none' }, 'Cachet knows no contact who has your old certificate.');
    const boxes = candidates.map((c) => {
      const box = el('input', { type: 'checkbox', value: c.address });
      box.checked = true;
      return { box, row: el('li', { 'data-candidate': c.address, 'data-has': c.has }, el('label', {}, box, ` ${c.address} `, el('span', { class: 'muted' }, c.has === 'old' ? '(has your old certificate)' : '(a contact; not known which certificate of yours they have)'))) };
    });
    const status = el('div', { 'aria-live': 'polite' });
    const send = button('Send the announcement (signed with the new certificate)', () => {
      const to = boxes.filter((b) => b.box.checked).map((b) => b.box.value);
      if (to.length === 0) return replace(status, el('p', { class: 'error', role: 'alert' }, 'Choose at least one contact.'));
      void sendAnnouncement(this.core, this.session, this.host, from, to, this.now()).then(
        (n) => replace(status, el('p', { class: 'note good', role: 'status', 'data-field': 'announcement-sent' }, `Announcement sent to ${n} contact${n === 1 ? '' : 's'}: ${to.join(', ')}.`)),
        (e) => replace(status, errorView(e)),
      );
    });
    return el('div', { 'data-field': 'announce' }, el('p', {}, 'A short signed message with your new certificate and its fingerprint, one per contact:'), el('ul', { class: 'plain' }, ...boxes.map((b) => b.row)), send, status);
  }

  private refreshFooters(ids: IdentityRecord[]): void {
    const addresses = [...new Set(ids.filter((r) => !r.retired).flatMap((r) => r.facts[0]?.emails ?? []))];
    if (addresses.length === 0) return replace(this.footers, el('p', { class: 'muted' }, 'Import your certificate first (Certificates tab).'));
    // Typing in a footer must not be undone by a refresh: keep the forms that exist.
    const existing = new Set([...this.footers.querySelectorAll<HTMLElement>('[data-footer]')].map((n) => n.dataset.footer));
    if (addresses.length === existing.size && addresses.every((a) => existing.has(a))) return;
    replace(this.footers, ...addresses.map((a) => this.footerForm(a)));
  }

  private footerForm(address: string): HTMLElement {
    const text = el('textarea', { rows: '4', maxlength: String(MAX_FOOTER) });
    const status = el('span', { class: 'muted', 'aria-live': 'polite' });
    void keeping.footer(address).then((f) => (text.value = f));
    const form = el('form', { class: 'footer-setting', 'data-footer': address }, labelled(`Footer for mail from ${address}`, text), el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'secondary' }, 'Save footer'), status));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void keeping.setFooter(address, text.value).then(
        (saved) => replace(status, el('span', { 'data-field': 'footer-saved' }, saved ? 'Saved: it is added inside the signature of every message you sign.' : 'Removed: no footer.')),
        (e) => replace(status, errorView(e)),
      );
    });
    return form;
  }

  private async refreshExchanges(): Promise<void> {
    const list = await keeping.exchanges();
    const shown = list.filter((e) => e.state !== 'cancelled');
    if (shown.length === 0) return replace(this.exchanges, el('li', { class: 'muted' }, 'No request sent yet. Send one from the compose pane or the troubleshooter when a recipient has no certificate.'));
    replace(this.exchanges, ...shown.map((e) => this.exchangeCard(e)));
  }

  private exchangeCard(e: Exchange): HTMLElement {
    const actions = el('div', { class: 'actions' });
    if (e.state === 'pending') {
      actions.append(
        button('Remind', () => void sendRequest(this.core, this.session, this.host, e.address, e.from, this.now()).then(() => this.refreshExchanges(), (err) => this.say(errorView(err)))),
        button('Cancel', () => void keeping.cancelExchange(e.address).then(() => this.refreshExchanges()), 'secondary'),
      );
    }
    const when = e.state === 'ready' ? `answered ${day(e.readyAt ?? '')}` : `asked ${day(e.sentAt)}${e.sends > 1 ? `, reminded ${e.sends - 1} time${e.sends === 2 ? '' : 's'} (last ${day(e.lastSentAt)})` : ''}`;
    return el('li', { class: 'card', 'data-exchange': e.address, 'data-state': e.state }, el('strong', {}, e.address), ' ', el('span', { class: `badge ${e.state === 'ready' ? 'good' : 'warn'}` }, e.state), el('p', { class: 'muted' }, when), actions);
  }
}
