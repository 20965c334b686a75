// The certificate panel (SPEC section 5): unlock and lock, import .p12/.pfx (with its
// password and a passphrase for this device) and .cer/.crt/.pem, my identities and contacts
// with expiry badges (30-day warning), encrypted backup export, trust or untrust a root (with a
// confirmation: a root makes everything it issues trusted), pin a certificate (only that
// certificate, only for its addresses), delete with confirmation, and after a renewal the
// announcement mail.
import type { CoreClient } from '../core/client';
import type { CertFacts } from '../core/protocol';
import type { Host } from '../hosts/host';
import { readLocalFile } from '../hosts/host';
import { MAX_IDLE_MINUTES, MIN_IDLE_MINUTES, type Session } from '../keyring/session';
import { type AnchorRecord, type ContactRecord, type IdentityRecord, canReceiveEncrypted, currentCert, daysLeft, store } from '../keyring/store';
import { HarvestView } from './harvest-view';
import { el, replace } from './dom';
import { errorView } from './error-view';

export const WARN_DAYS = 30;

export function expiryBadge(notAfter: string): HTMLElement {
  const d = daysLeft(notAfter);
  if (d < 0) return el('span', { class: 'badge bad', 'data-expiry': 'expired' }, `expired ${notAfter.slice(0, 10)}`);
  if (d <= WARN_DAYS) return el('span', { class: 'badge warn', 'data-expiry': 'expiring-soon' }, `expires in ${d} day${d === 1 ? '' : 's'}`);
  return el('span', { class: 'badge good', 'data-expiry': 'valid' }, `valid until ${notAfter.slice(0, 10)}`);
}

let uid = 0;
function labelled(label: string, control: HTMLInputElement): HTMLElement {
  control.id = `cp-${++uid}`;
  return el('div', { class: 'field' }, el('label', { for: control.id }, label), control);
}

function button(text: string, onClick: () => void, cls = ''): HTMLButtonElement {
  const b = el('button', { type: 'button', ...(cls ? { class: cls } : {}) }, text);
  b.addEventListener('click', onClick);
  return b;
}

/** Replace `actions` with "Delete …? [Delete] [Cancel]" until the user answers. */
function confirmInline(actions: HTMLElement, question: string, onYes: () => Promise<void>): void {
  const before = [...actions.childNodes];
  const yes = button('Delete', () => void onYes(), 'danger');
  const no = button('Cancel', () => actions.replaceChildren(...before), 'secondary');
  replace(actions, el('span', { role: 'alert' }, question), yes, no);
  yes.focus();
}

export class CertPanel {
  readonly element: HTMLElement;
  private readonly lockArea = el('div', { class: 'lock-area', 'aria-live': 'polite' });
  private readonly message = el('div', { class: 'panel-message', 'aria-live': 'polite' });
  private readonly mine = el('ul', { class: 'cards plain', 'aria-label': 'My certificates' });
  private readonly contacts = el('ul', { class: 'cards plain', 'aria-label': 'Contacts’ certificates' });
  private readonly anchors = el('ul', { class: 'cards plain', 'aria-label': 'Trusted roots and pinned certificates' });

  constructor(private readonly core: CoreClient, private readonly session: Session, private readonly host: Host) {
    this.element = el(
      'section',
      { class: 'cert-panel', 'aria-labelledby': 'certs-heading' },
      el('h2', { id: 'certs-heading' }, 'Certificates'),
      ...(host.notices?.() ?? []).map((n) => el('p', { class: 'notice', 'data-field': 'host-notice' }, n)),
      this.lockArea,
      this.message,
      this.idleForm(),
      this.p12Form(),
      this.certForm(),
      host.capabilities.searchMail ? new HarvestView(core, session, host).element : null,
      el('h3', {}, 'My certificates'),
      this.mine,
      el('h3', {}, 'Contacts'),
      this.contacts,
      el('h3', {}, 'Trusted roots and pinned certificates'),
      this.anchors,
    );
    session.addEventListener('change', () => void this.refresh());
    session.addEventListener('locked', (ev) => {
      const reason = (ev as CustomEvent).detail;
      if (reason === 'idle') replace(this.message, el('p', { class: 'notice', role: 'status' }, 'Your certificates were locked after a while without activity.'));
      if (reason === 'restart') replace(this.message, el('p', { class: 'notice', role: 'alert', 'data-field': 'engine-restarted' }, 'The S/MIME engine stopped and was restarted: your certificates were locked. Unlock them again with your passphrase.'));
    });
    void this.refresh();
  }

  private say(node: Node): void {
    replace(this.message, node);
  }

  /** The idle timeout setting: minutes without activity before the identities lock again. */
  private idleForm(): HTMLElement {
    const minutes = el('input', { type: 'number', min: String(MIN_IDLE_MINUTES), max: String(MAX_IDLE_MINUTES), step: 'any', inputmode: 'decimal' });
    minutes.value = String(this.session.idleMinutes);
    const status = el('span', { class: 'muted', 'aria-live': 'polite' });
    const form = el('form', { class: 'idle-setting' }, labelled('Lock my certificates after this many minutes without activity', minutes), el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'secondary' }, 'Save'), status));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.session.setIdleMinutes(Number(minutes.value)).then((m) => {
        minutes.value = String(m);
        replace(status, el('span', { 'data-field': 'idle-saved' }, `Saved: they lock after ${m} minute${m === 1 ? '' : 's'} without activity.`));
      });
    });
    return form;
  }

  private p12Form(): HTMLElement {
    const file = el('input', { type: 'file', accept: '.p12,.pfx,.pem,application/x-pkcs12' });
    const password = el('input', { type: 'password', autocomplete: 'off' });
    const passphrase = el('input', { type: 'password', autocomplete: 'new-password' });
    // Reusing the file's password is an explicit choice, off by default: that password has
    // travelled with the file (mail, chat), the device passphrase should not have.
    const same = el('input', { type: 'checkbox' });
    const passphraseField = labelled('Passphrase for this device (at least 8 characters)', passphrase);
    same.addEventListener('change', () => {
      passphrase.disabled = same.checked;
      passphraseField.hidden = same.checked;
    });
    const go = el('button', { type: 'submit' }, 'Import');
    const form = el(
      'form',
      { class: 'import', 'aria-labelledby': 'p12-heading' },
      el('h3', { id: 'p12-heading' }, 'Import my certificate (.p12, .pfx)'),
      labelled('Certificate file with private key', file),
      labelled('File password', password),
      passphraseField,
      el('div', { class: 'field' }, el('label', {}, same, ' Reuse the .p12 password as this device’s passphrase')),
      el('p', { class: 'muted' }, 'Cachet keeps your key only encrypted under this passphrase and asks for it once per session.'),
      go,
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const f = file.files?.[0];
      if (!f) return this.say(el('p', { class: 'error', role: 'alert' }, 'Choose a .p12 or .pfx file first.'));
      const device = same.checked ? password.value : passphrase.value;
      if (device === '') {
        passphrase.focus();
        return this.say(el('p', { class: 'error', role: 'alert', 'data-code': 'no-passphrase' }, 'Choose a passphrase for this device (at least 8 characters), or tick “Reuse the .p12 password”.'));
      }
      go.disabled = true;
      this.say(el('p', { class: 'progress', role: 'status' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }), `Importing ${f.name}…`));
      void (async () => {
        try {
          const { bytes } = await readLocalFile(f);
          const { record, retired, joined } = await this.session.importP12(bytes, password.value, device);
          password.value = '';
          passphrase.value = '';
          same.checked = false;
          passphrase.disabled = false;
          passphraseField.hidden = false;
          file.value = '';
          const leaf = record.facts[0];
          const both = joined && record.encryption ? ` Joined with the certificate you imported before: ${leaf?.common_name ?? leaf?.subject ?? 'one'} signs, ${record.encryption.common_name ?? record.encryption.subject} receives encrypted mail.` : '';
          const done = el('p', { class: 'note good', role: 'status', 'data-field': 'imported' }, `Imported ${leaf?.common_name ?? leaf?.subject ?? 'the certificate'} (${leaf?.emails.join(', ') ?? ''}).${both}`);
          if (retired.length) {
            const announce = button('Send the announcement mail to my contacts', () => void this.announce(leaf?.emails[0] ?? ''));
            this.say(el('div', {}, done, el('p', {}, `Your previous certificate is kept to decrypt old mail. Tell your contacts about the new one:`), announce));
          } else this.say(done);
        } catch (e) {
          this.say(errorView(e));
        } finally {
          go.disabled = false;
        }
      })();
    });
    return form;
  }

  private certForm(): HTMLElement {
    const file = el('input', { type: 'file', accept: '.cer,.crt,.pem,.der,.p7b,.p7c,application/pkix-cert,application/x-x509-ca-cert,application/x-pkcs7-certificates' });
    const found = el('div', { 'aria-live': 'polite' });
    file.addEventListener('change', () => {
      const f = file.files?.[0];
      if (!f) return;
      void (async () => {
        try {
          const { bytes } = await readLocalFile(f);
          const certs = await this.core.call('certImport', { bytes });
          replace(found, el('ul', { class: 'cards plain', 'aria-label': 'Certificates in the file' }, ...certs.map((c) => this.offer(c.facts, c.der_base64))));
        } catch (e) {
          replace(found, errorView(e));
        }
      })();
    });
    return el('div', { class: 'import' }, el('h3', {}, 'Import a certificate (.cer, .crt, .pem, .p7b)'), labelled('Certificate file', file), found);
  }

  private offer(c: CertFacts, der: string): HTMLElement {
    const actions = el('div', { class: 'actions' });
    const card = el('li', { class: 'card', 'data-sha256': c.sha256 }, el('strong', {}, c.common_name ?? c.subject), ' ', expiryBadge(c.not_after), el('p', { class: 'muted' }, `Issued by ${c.issuer}`), actions);
    if (c.is_ca) {
      actions.append(button('Trust as root…', () => this.confirmRoot(c, der, actions)));
    } else {
      const names = c.emails.length ? c.emails.join(', ') : 'no address';
      actions.append(
        button('Store as contact', () => void this.storeContact(c, der, actions)),
        button(`Pin this certificate (only it, only for ${names})`, () => void this.trust(c, der, 'pin', actions), 'secondary'),
      );
    }
    return card;
  }

  /** A root makes every certificate it issues trusted: say so and ask before storing it. */
  private confirmRoot(c: CertFacts, der: string, actions: HTMLElement): void {
    const before = [...actions.childNodes];
    const yes = button('Yes, trust as root', () => void this.trust(c, der, 'root', actions), 'danger');
    const no = button('Cancel', () => actions.replaceChildren(...before), 'secondary');
    replace(
      actions,
      el('span', { role: 'alert', 'data-field': 'root-warning' }, `Trust ${c.common_name ?? c.subject} as a root? Every certificate it issues, for any address, becomes trusted. Only do this for your organisation’s or a CA’s root you have checked.`),
      yes,
      no,
    );
    yes.focus();
  }

  private async trust(c: CertFacts, der: string, kind: 'root' | 'pin', actions: HTMLElement): Promise<void> {
    if (!der) return replace(actions, el('p', { class: 'error' }, 'This file could not be stored.'));
    await store.putAnchor({ sha256: c.sha256, der, label: c.common_name ?? c.subject, kind, notAfter: c.not_after, added: new Date().toISOString() });
    replace(actions, el('p', { class: 'note good', role: 'status' }, kind === 'root' ? 'Trusted as a root: certificates it issues are trusted.' : `Pinned: only this certificate is trusted, only for ${c.emails.join(', ') || 'no address'}.`));
    await this.refresh();
  }

  private async storeContact(c: CertFacts, der: string, actions: HTMLElement): Promise<void> {
    for (const address of c.emails) await this.session.learn({ address, der, facts: c }, [], true);
    replace(actions, el('p', { class: 'note good', role: 'status' }, `Stored for ${c.emails.join(', ') || 'no address'}.`));
  }

  private async announce(from: string): Promise<void> {
    try {
      const to = (await store.contacts()).map((c) => c.address);
      if (to.length === 0) return this.say(el('p', { class: 'muted' }, 'You have no contacts yet.'));
      const signer = await this.session.signer(from);
      if (!signer) throw new Error('Unlock your certificate first.');
      const date = new Date().toUTCString().replace('GMT', '+0000');
      // One signed announcement per contact (the core writes it), so no contact sees the others.
      for (const address of to) {
        const signed = await this.core.call('requestMail', { handle: signer.handle, options: { to: address, from, kind: 'renewal', at: Math.floor(Date.now() / 1000), date } });
        await this.host.sendMime?.(signed);
      }
      this.say(el('p', { class: 'note good', role: 'status' }, `Announcement sent to ${to.length} contact${to.length === 1 ? '' : 's'}.`));
    } catch (e) {
      this.say(errorView(e));
    }
  }

  private lockControls(ids: IdentityRecord[]): void {
    if (ids.length === 0) {
      replace(this.lockArea, el('p', { class: 'muted', 'data-lock': 'none' }, 'No certificate of yours yet: import one below.'));
      return;
    }
    if (this.session.unlockedCount > 0) {
      replace(this.lockArea, el('p', { 'data-lock': 'unlocked' }, el('span', { class: 'badge good' }, 'unlocked'), ' Your certificates are unlocked for this session. ', button('Lock now', () => void this.session.lock(), 'secondary')));
      return;
    }
    const pass = el('input', { type: 'password', autocomplete: 'current-password' });
    const go = el('button', { type: 'submit' }, 'Unlock');
    const form = el('form', { class: 'unlock', 'data-lock': 'locked' }, labelled('Passphrase to unlock your certificates', pass), go);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      go.disabled = true;
      this.say(el('p', { class: 'progress', role: 'status' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Unlocking…'));
      void this.session
        .unlock(pass.value)
        .then(
          (n) => this.say(el('p', { class: 'note good', role: 'status' }, `${n} certificate${n === 1 ? '' : 's'} unlocked.`)),
          (e) => this.say(errorView(e)),
        )
        .finally(() => {
          pass.value = '';
          go.disabled = false;
        });
    });
    replace(this.lockArea, form);
  }

  private identityCard(r: IdentityRecord): HTMLElement {
    const leaf = r.facts[0];
    const actions = el('div', { class: 'actions' });
    // The passphrase is asked again for every backup, even while unlocked: a backup takes the
    // private key off this device, so whoever happens to sit at an unlocked session must not.
    const current = el('input', { type: 'password', autocomplete: 'current-password' });
    const backupPass = el('input', { type: 'password', autocomplete: 'new-password' });
    const backupForm = el('form', { class: 'backup' }, labelled('Your passphrase (asked again for every backup)', current), labelled('Password for the backup file (at least 8 characters)', backupPass), el('button', { type: 'submit' }, 'Export backup'));
    backupForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void (async () => {
        try {
          const passphrase = current.value;
          current.value = '';
          const bytes = await this.session.exportBackup(r.id, passphrase, backupPass.value);
          backupPass.value = '';
          const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/x-pkcs12' }));
          const a = el('a', { href: url, download: `${leaf?.emails[0] ?? 'certificate'}-backup.p12` }, 'download');
          a.click();
          setTimeout(() => URL.revokeObjectURL(url), 60_000);
          this.say(el('p', { class: 'note good', role: 'status', 'data-field': 'backup-saved' }, 'Backup saved. Keep it and its password in separate safe places.'));
        } catch (e) {
          this.say(errorView(e));
        }
      })();
    });
    actions.append(button('Delete', () => confirmInline(actions, `Delete ${leaf?.emails[0] ?? 'this certificate'} and its private key from this device? Without a backup, mail encrypted to it cannot be read any more.`, async () => {
      await this.session.deleteIdentity(r.id);
      this.say(el('p', { role: 'status' }, 'Deleted.'));
    }), 'danger'));
    return el(
      'li',
      { class: 'card', 'data-identity': leaf?.emails[0] ?? r.id },
      el('strong', {}, leaf?.common_name ?? leaf?.subject ?? r.id),
      ' ',
      leaf ? expiryBadge(leaf.not_after) : null,
      r.retired ? el('span', { class: 'badge' }, 'kept for decryption') : null,
      this.session.isUnlocked(r.id) ? null : el('span', { class: 'badge' }, 'locked'),
      el('p', { class: 'muted' }, `${leaf?.emails.join(', ') ?? ''} · issued by ${leaf?.issuer ?? 'unknown'}`),
      r.encryption
        ? el('p', { class: 'muted', 'data-field': 'encryption-certificate' }, `Separate encryption certificate: ${r.encryption.common_name ?? r.encryption.subject}, serial ${r.encryption.serial}, valid until ${r.encryption.not_after.slice(0, 10)}.`)
        : !canReceiveEncrypted(r) && !r.retired
          ? el('p', { class: 'notice', 'data-field': 'signing-only' }, 'This certificate only signs: no one can encrypt mail to it, and your own copies of encrypted mail you send will not be readable. Import your encryption certificate (.p12) as well; Cachet joins the two.')
          : null,
      backupForm,
      actions,
    );
  }

  private contactCard(c: ContactRecord): HTMLElement {
    const cur = currentCert(c);
    const actions = el('div', { class: 'actions' });
    if (cur) {
      actions.append(button('Pin (trust only this certificate, for every address it names)', () => void store.putAnchor({ sha256: cur.sha256, der: cur.der, label: `${c.address} (pinned)`, kind: 'pin', notAfter: cur.notAfter, added: new Date().toISOString() }).then(() => this.refresh()), 'secondary'));
    }
    actions.append(button('Delete', () => confirmInline(actions, `Delete the certificates of ${c.address}?`, async () => {
      await store.deleteContact(c.address);
      await this.refresh();
    }), 'danger'));
    return el(
      'li',
      { class: 'card', 'data-contact': c.address },
      el('strong', {}, c.address),
      ' ',
      cur ? expiryBadge(cur.notAfter) : null,
      el('p', { class: 'muted' }, `${cur ? `issued by ${cur.issuer}` : 'no current certificate'}${c.certs.length > 1 ? ` · ${c.certs.length - 1} earlier certificate${c.certs.length > 2 ? 's' : ''} kept` : ''}`),
      actions,
    );
  }

  private anchorCard(a: AnchorRecord): HTMLElement {
    const actions = el('div', { class: 'actions' }, button(a.kind === 'root' ? 'Untrust' : 'Unpin', () => void store.deleteAnchor(a.sha256).then(() => this.refresh()), 'secondary'));
    return el('li', { class: 'card', 'data-anchor': a.label }, el('strong', {}, a.label), ' ', el('span', { class: 'badge', title: a.kind === 'root' ? 'Every certificate it issues is trusted' : 'Only this certificate, only for its own addresses; it issues nothing' }, a.kind === 'root' ? 'trusted root: issues certificates' : 'pinned: this certificate only'), ' ', expiryBadge(a.notAfter), actions);
  }

  async refresh(): Promise<void> {
    const [ids, contacts, anchors] = await Promise.all([store.identities(), store.contacts(), store.anchors()]);
    this.lockControls(ids);
    replace(this.mine, ...(ids.length ? ids.map((r) => this.identityCard(r)) : [el('li', { class: 'muted' }, 'None yet.')]));
    replace(this.contacts, ...(contacts.length ? contacts.map((c) => this.contactCard(c)) : [el('li', { class: 'muted' }, 'None yet: they are stored when you open their signed mail.')]));
    replace(this.anchors, ...(anchors.length ? anchors.map((a) => this.anchorCard(a)) : [el('li', { class: 'muted' }, 'None: import your organisation’s root certificate, or trust one from a message.')]));
  }
}
