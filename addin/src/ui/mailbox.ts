// The dev mailbox view of the standalone host: choose whose mailbox this page is (the demo
// addresses or any other), list Inbox or Sent Items, open a message in the read pane.
import type { MailFolder, MessageSummary } from '../hosts/graph';
import { DEMO_MAILBOXES, type StandaloneHost } from '../hosts/standalone';
import { el, replace } from './dom';
import { errorView } from './error-view';
import type { ReadPane } from './read-pane';

export class MailboxView {
  readonly element: HTMLElement;
  private readonly who = el('input', { type: 'email', id: 'mailbox-address', list: 'mailbox-demo', autocomplete: 'off' });
  private readonly folder = el('select', { id: 'mailbox-folder' }, el('option', { value: 'inbox' }, 'Inbox'), el('option', { value: 'sentitems' }, 'Sent Items'));
  private readonly list = el('ul', { class: 'messages plain', 'aria-label': 'Messages', 'aria-live': 'polite' });
  /**
   * The protected Subject (RFC 9788) of each message Cachet decrypted on this page, by id: the
   * list shows it instead of the outer "[...]". Kept in memory only (never stored: it is what
   * the encryption hides); a message not decrypted yet shows its outer Subject.
   */
  private readonly subjects = new Map<string, string>();
  /** Counts clicks on messages: only the latest one's message is shown. */
  private picks = 0;
  /** The message chosen last (mailbox and id): the list keeps it marked when it is drawn again. */
  private selected: string | null = null;
  /**
   * Counts the list loads: only the latest one draws the list, so a load still on its way (a
   * folder change, then Refresh) never replaces a newer list or undoes a selection made since.
   */
  private loads = 0;

  constructor(private readonly host: StandaloneHost, private readonly reader: ReadPane, private readonly onMailbox: (address: string) => void) {
    const form = el(
      'form',
      { class: 'mailbox-choice' },
      el('div', { class: 'field' }, el('label', { for: 'mailbox-address' }, 'Mailbox (dev mailbox on this server)'), this.who),
      el('datalist', { id: 'mailbox-demo' }, ...DEMO_MAILBOXES.map((a) => el('option', { value: a }))),
      el('button', { type: 'submit' }, 'Open mailbox'),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!this.who.value.includes('@')) return;
      this.host.useMailbox(this.who.value);
      this.onMailbox(this.who.value.trim().toLowerCase());
      this.selected = null;
      this.reader.clear();
      void this.refresh();
    });
    const refresh = el('button', { type: 'button', class: 'secondary' }, 'Refresh');
    refresh.addEventListener('click', () => void this.refresh());
    this.folder.addEventListener('change', () => void this.refresh());
    this.element = el(
      'section',
      { class: 'mailbox', 'aria-labelledby': 'mailbox-heading' },
      el('h2', { id: 'mailbox-heading' }, 'Mailbox'),
      form,
      el('div', { class: 'folder-bar' }, el('label', { for: 'mailbox-folder' }, 'Folder'), this.folder, refresh),
      this.list,
    );
  }

  async refresh(): Promise<void> {
    if (!this.host.userAddress()) {
      this.loads += 1;
      replace(this.list, el('li', { class: 'muted' }, 'Choose a mailbox first.'));
      return;
    }
    const load = ++this.loads;
    try {
      const msgs = await this.host.list(this.folder.value as MailFolder);
      if (load !== this.loads) return;
      replace(this.list, ...(msgs.length ? msgs.map((m) => this.item(m)) : [el('li', { class: 'muted' }, 'No messages.')]));
    } catch (e) {
      if (load !== this.loads) return;
      replace(this.list, el('li', {}, errorView(e)));
    }
  }

  /** Forget the protected Subjects learned by decrypting (on locking): the list shows the outer ones again. */
  forgetProtectedSubjects(): void {
    if (this.subjects.size === 0) return;
    this.subjects.clear();
    void this.refresh();
  }

  private key(id: string): string {
    return `${this.host.userAddress() ?? ''} ${id}`;
  }

  /** Show the protected Subject of message `id` wherever the list as drawn now shows that message. */
  private showProtectedSubject(id: string): void {
    const inner = this.subjects.get(this.key(id));
    if (inner === undefined) return;
    for (const b of this.list.querySelectorAll<HTMLElement>('button.message')) {
      if (b.dataset.id !== id) continue;
      const subject = b.querySelector('.subject');
      if (subject === null) continue;
      subject.textContent = inner;
      subject.setAttribute('data-protected-subject', '');
    }
  }

  private item(m: MessageSummary): HTMLElement {
    const subject = el('span', { class: 'subject' });
    const inner = this.subjects.get(this.key(m.id));
    subject.textContent = inner ?? (m.subject || '(no subject)');
    if (inner !== undefined) subject.setAttribute('data-protected-subject', '');
    const b = el(
      'button',
      { type: 'button', class: 'message', 'data-id': m.id },
      subject,
      el('span', { class: 'muted' }, `${this.folder.value === 'sentitems' ? `to ${m.to.join(', ')}` : m.from.address} · ${m.received.replace('T', ' ').slice(0, 16)}`),
    );
    if (this.selected === this.key(m.id)) b.setAttribute('aria-current', 'true');
    b.addEventListener('click', () => {
      for (const other of this.list.querySelectorAll('button.message')) other.removeAttribute('aria-current');
      b.setAttribute('aria-current', 'true');
      this.selected = this.key(m.id);
      this.host.select(m.id);
      this.reader.opening();
      // Only the latest click's message is shown: an earlier one fetched late is dropped.
      const pick = ++this.picks;
      void this.host.currentMessage().then(
        (mime) => {
          if (pick !== this.picks) return;
          void this.reader.show(mime).then((inner) => {
            if (inner === null) return;
            this.subjects.set(this.key(m.id), inner);
            this.showProtectedSubject(m.id);
          });
        },
        (e) => {
          if (pick === this.picks) this.reader.failed(e);
        },
      );
    });
    return el('li', {}, b);
  }
}
