// Confidential compose mode (issue 18): the message is written in Cachet's own compose pane,
// its drafts are saved only encrypted to the sender (the core wraps the whole draft, signs and
// encrypts it to the sender's own certificate alone; only From, Date, a fixed Subject and the
// X-Cachet-Draft marker are outside), listed, reopened (decrypted here, in memory) and sent
// encrypted. The host's Drafts folder (hosts/drafts.ts) only ever receives ciphertext. In a
// host's compose window (Outlook), the pane's own editor replaces the window's fields, and the
// plaintext draft the host already saved is named before sending and deleted permanently after.
import type { CoreClient } from '../core/client';
import type { Draft, OpenReport } from '../core/protocol';
import type { DraftFolder } from '../hosts/drafts';
import type { Host } from '../hosts/host';
import type { Session } from '../keyring/session';
import { store } from '../keyring/store';
import type { ComposePane } from './compose-pane';
import { el, replace } from './dom';
import { errorView } from './error-view';
import { fromBase64 } from '../hosts/base64';
import { IN_DELETED_ITEMS } from './host-compose';

/** Verdicts that never let a stored draft fill the pane: it was changed, or is not the user's. */
const REFUSED = new Set(['tampered', 'bad-signature', 'no-signer', 'malformed', 'no-key', 'integrity-failure', 'unsigned']);

/**
 * Whether an opened draft is the user's own: decrypted, and signed by one of the user's own
 * certificates with an intact signature (anyone who can write to the mailbox could file a
 * message encrypted to the user; only the user can sign it).
 */
export function ownDraft(report: OpenReport, own: Set<string>): boolean {
  if (!report.layers.some((l) => l.kind === 'encrypted')) return false;
  const signers = report.layers.flatMap((l) => (l.kind === 'signed' ? (l.signers ?? []) : []));
  return signers.length > 0 && signers.every((s) => !REFUSED.has(s.status) && s.certificate !== null && own.has(s.certificate.sha256));
}

function fileOf(a: { filename: string; contentType: string; dataBase64: string }): File {
  return new File([fromBase64(a.dataBase64) as Uint8Array<ArrayBuffer>], a.filename, { type: a.contentType });
}

export class ConfidentialMode {
  readonly element: HTMLElement;
  private readonly toggle = el('input', { type: 'checkbox', id: 'confidential-toggle' });
  private readonly state = el('p', { class: 'mode-state', role: 'status', 'data-mode': 'normal' });
  private readonly body = el('div', { class: 'confidential-body' });
  private readonly save = el('button', { type: 'button' }, 'Save encrypted draft');
  private readonly list = el('ul', { class: 'drafts plain', 'aria-label': 'Your confidential drafts', 'aria-live': 'polite' });
  private readonly result = el('div', { class: 'draft-result', 'aria-live': 'polite' });
  private readonly plaintext = el('div', { class: 'plaintext-draft' });
  /** The stored encrypted draft the pane holds now (replaced on each save, deleted after sending). */
  private currentId: string | null = null;

  constructor(private readonly core: CoreClient, private readonly session: Session, private readonly host: Host, private readonly pane: ComposePane) {
    const refresh = el('button', { type: 'button', class: 'secondary' }, 'Reload the list');
    this.element = el(
      'fieldset',
      { class: 'confidential', 'data-field': 'confidential' },
      el('legend', {}, 'Mode'),
      el('label', {}, this.toggle, ' Confidential mode'),
      this.state,
      this.body,
    );
    this.body.append(this.plaintext, el('div', { class: 'actions' }, this.save, refresh), this.result, el('h3', {}, 'Your encrypted drafts'), this.list);
    this.toggle.addEventListener('change', () => void this.setMode(this.toggle.checked));
    this.save.addEventListener('click', () => void this.saveDraft());
    refresh.addEventListener('click', () => void this.refresh());
    pane.onSent = () => this.afterSend();
    session.addEventListener('change', () => {
      if (this.toggle.checked) void this.refresh();
    });
    this.showState(false);
  }

  /** Confidential mode is on. */
  get active(): boolean {
    return this.toggle.checked;
  }

  private folder(): DraftFolder | null {
    return this.host.drafts?.() ?? null;
  }

  private showState(on: boolean): void {
    this.state.dataset['mode'] = on ? 'confidential' : 'normal';
    this.state.className = `mode-state ${on ? 'confidential-on' : ''}`;
    this.state.textContent = on
      ? 'Confidential — drafts are encrypted. Write here: each draft is saved encrypted to you alone, and the message is sent encrypted.'
      : this.host.capabilities.composeMessage
        ? 'Normal: you write in the mail program’s window, which saves its own unencrypted drafts.'
        : 'Normal: Cachet saves no drafts of this message.';
    this.body.hidden = !on;
    this.pane.element.classList.toggle('confidential-mode', on);
  }

  async setMode(on: boolean): Promise<void> {
    // Back to the host's window: the pane's fields are replaced by the window's, so what was
    // written here is first saved as an encrypted draft (never lost, never in plaintext).
    let kept: string | null = null;
    if (!on && this.host.capabilities.composeMessage) {
      const d = await this.pane.currentDraft().catch(() => null);
      if (d && (d.subject.trim() || d.text.trim() || d.to.length || (d.bcc ?? []).length)) {
        kept = await this.saveDraft();
        if (kept === null) {
          // Not saved (locked, no Drafts folder): stay in confidential mode, the text stays here.
          this.toggle.checked = true;
          return;
        }
      }
    }
    this.toggle.checked = on;
    this.showState(on);
    await this.pane.setConfidential(on);
    if (kept === null) replace(this.result);
    if (!on) {
      replace(this.plaintext);
      if (kept !== null) this.state.textContent += ' What you wrote in confidential mode was saved as an encrypted draft: switch back to open it.';
      return;
    }
    await this.notePlaintextDraft();
    await this.refresh();
  }

  /**
   * In a host's compose window, the host has already saved what was typed there as an
   * unencrypted draft: say so before sending, and offer to bring it into the pane's editor.
   */
  private async notePlaintextDraft(): Promise<void> {
    replace(this.plaintext);
    if (!this.host.capabilities.composeMessage || !this.host.composeFields) return;
    try {
      const f = await this.host.composeFields();
      const typed = f.subject.trim() !== '' || f.text.trim() !== '' || f.to.length + f.cc.length + f.bcc.length > 0 || f.attachments.length > 0;
      const copy = el('button', { type: 'button', class: 'secondary' }, 'Copy it into this editor');
      copy.addEventListener('click', () => {
        this.pane.fillFromHost(f);
        copy.disabled = true;
      });
      replace(
        this.plaintext,
        el(
          'div',
          { class: 'notice', role: 'note', 'data-field': 'plaintext-draft' },
          el('p', {}, typed
            ? 'The mail program has already saved what was typed in its message window as an unencrypted draft in your Drafts folder. Cachet deletes that draft permanently when you send from here.'
            : 'The mail program keeps an (empty) unencrypted draft of its message window; Cachet deletes it permanently when you send from here. Do not type in that window: write here.'),
          typed ? el('div', { class: 'actions' }, copy) : null,
        ),
      );
    } catch (e) {
      replace(this.plaintext, errorView(e));
    }
  }

  /** Encrypt the pane's fields to the sender alone and store them; the previous draft goes. */
  async saveDraft(): Promise<string | null> {
    const folder = this.folder();
    if (!folder) {
      replace(this.result, el('p', { class: 'error', role: 'alert' }, 'This mail program gives Cachet no Drafts folder: the draft was not saved.'));
      return null;
    }
    this.save.disabled = true;
    replace(this.result, el('p', { class: 'progress', role: 'status' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Encrypting and saving the draft…'));
    try {
      const draft = await this.pane.currentDraft();
      const signer = await this.session.signer(draft.from);
      if (!signer) throw new Error(`Your certificate for ${draft.from || 'this address'} is locked or missing: unlock it to save an encrypted draft (nothing was saved).`);
      const wrapper = await this.core.call('draftMessage', { draft });
      // Signed and encrypted to the sender's own certificate only (no recipient).
      const sealed = await this.core.call('encrypt', { handle: signer.handle, mime: wrapper, recipients: [], sign: true, at: Math.floor(Date.now() / 1000) });
      // Only From, Date, Message-ID, the fixed Subject and the marker stay outside.
      const mime = await this.core.call('draftStored', { bytes: sealed });
      const id = await folder.save(mime, { from: draft.from, messageId: draft.messageId ?? '' });
      const previous = this.currentId;
      this.currentId = id || null;
      let note = '';
      if (previous && id) {
        try {
          await folder.remove(previous);
        } catch {
          note = ' The previous encrypted draft could not be deleted; delete it from the list.';
        }
      }
      replace(this.result, el('p', { class: 'note good', role: 'status', 'data-field': 'draft-saved' }, `Encrypted draft saved at ${new Date().toLocaleTimeString()}.${note}`));
      await this.refresh();
      return id;
    } catch (e) {
      replace(this.result, errorView(e), el('p', { class: 'muted' }, 'What you wrote is still here.'));
      return null;
    } finally {
      this.save.disabled = false;
    }
  }

  /** Decrypt a stored draft; null when it is not the user's own Cachet draft. */
  private async read(bytes: Uint8Array): Promise<Draft> {
    if (!(await this.core.call('isDraft', { bytes: bytes.slice() }))) throw new Error('This is not an encrypted draft made by Cachet.');
    const options = await this.session.openOptions();
    const opened = await this.core.call('open', { mime: bytes.slice(), options });
    const own = new Set((await store.identities()).map((r) => r.facts[0]?.sha256 ?? ''));
    if (opened.report.status === 'no-key') throw new Error('Unlock your certificates to open your encrypted drafts.');
    if (!opened.content || !ownDraft(opened.report, own)) throw new Error('This draft is not signed by you, or was changed after you saved it: it is not opened.');
    return this.core.call('readDraft', { content: opened.content });
  }

  async refresh(): Promise<void> {
    const folder = this.folder();
    if (!folder) {
      replace(this.list, el('li', { class: 'muted' }, 'No Drafts folder is available here.'));
      return;
    }
    try {
      const drafts = await folder.list();
      if (drafts.length === 0) {
        replace(this.list, el('li', { class: 'muted' }, 'No encrypted drafts.'));
        return;
      }
      const items: HTMLElement[] = [];
      for (const d of drafts) {
        let label = 'Encrypted draft (unlock your certificates to see what it is)';
        let fields: Draft | null = null;
        try {
          fields = await this.read(await folder.get(d.id));
          label = `${fields.subject || '(no subject)'} — to ${[...fields.to, ...(fields.cc ?? []), ...(fields.bcc ?? [])].join(', ') || 'nobody yet'}`;
        } catch (e) {
          if (e instanceof Error && /not signed by you|not an encrypted draft/.test(e.message)) label = e.message;
        }
        const open = el('button', { type: 'button', class: 'secondary' }, 'Open');
        const del = el('button', { type: 'button', class: 'danger' }, 'Delete');
        open.disabled = fields === null;
        open.addEventListener('click', () => void this.reopen(d.id));
        del.addEventListener('click', () => void this.remove(d.id));
        items.push(el('li', { 'data-draft': d.id, ...(this.currentId === d.id ? { 'aria-current': 'true' } : {}) }, el('span', { class: 'draft-label' }, label), el('span', { class: 'muted' }, ` · saved ${d.saved.replace('T', ' ').slice(0, 16)} `), open, ' ', del));
      }
      replace(this.list, ...items);
    } catch (e) {
      replace(this.list, el('li', {}, errorView(e)));
    }
  }

  async reopen(id: string): Promise<void> {
    const folder = this.folder();
    if (!folder) return;
    try {
      const d = await this.read(await folder.get(id));
      this.pane.fill(d, (d.attachments ?? []).map(fileOf));
      this.currentId = id;
      replace(this.result, el('p', { class: 'note good', role: 'status', 'data-field': 'draft-opened' }, 'Encrypted draft opened. Save again or send when ready.'));
      await this.refresh();
    } catch (e) {
      replace(this.result, errorView(e));
    }
  }

  private async remove(id: string): Promise<void> {
    const folder = this.folder();
    if (!folder) return;
    try {
      await folder.remove(id);
      if (this.currentId === id) this.currentId = null;
      replace(this.result, el('p', { class: 'note', role: 'status', 'data-field': 'draft-deleted' }, 'Encrypted draft deleted.'));
    } catch (e) {
      replace(this.result, errorView(e));
    }
    await this.refresh();
  }

  /** After the pane sent the message: its encrypted draft goes, and in a host's window the host's plaintext draft too. */
  private async afterSend(): Promise<HTMLElement[]> {
    if (!this.toggle.checked) return [];
    const out: HTMLElement[] = [];
    const folder = this.folder();
    if (this.currentId && folder) {
      try {
        await folder.remove(this.currentId);
        this.currentId = null;
        out.push(el('p', { class: 'muted', 'data-field': 'draft-removed' }, 'Its encrypted draft was deleted.'));
      } catch {
        out.push(el('p', { class: 'notice', 'data-field': 'draft-kept' }, 'Its encrypted draft could not be deleted: delete it from the list.'));
      }
    }
    if (this.host.capabilities.composeMessage && this.host.finishCompose) {
      const f = await this.host.finishCompose();
      out.push(
        !f.draftDeleted
          ? el('p', { class: 'notice', 'data-field': 'plaintext-kept' }, 'The mail program’s unencrypted draft could not be deleted: delete it from your Drafts folder (and from Deleted Items).')
          : f.draftInDeletedItems
            ? el('p', { class: 'notice', 'data-field': 'draft-in-deleted-items' }, IN_DELETED_ITEMS)
            : el('p', { class: 'muted', 'data-field': 'plaintext-deleted' }, 'The mail program’s unencrypted draft was deleted permanently.'),
      );
      if (!f.closed) out.push(el('p', { class: 'muted', 'data-field': 'not-closed' }, 'Close the message window (it was sent; do not send it again).'));
    }
    void this.refresh();
    return out;
  }
}
