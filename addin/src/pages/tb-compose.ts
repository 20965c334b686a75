// Thunderbird: the compose window's Cachet popup (compose_action): the Sign and Encrypt choice
// for this message (kept by the background, which takes over Thunderbird's Send when either is
// on; turning Encrypt off for a reply to an encrypted message asks first), each recipient's
// status with the key-exchange request for one without a certificate, why the last Send was
// refused, and the certificate panel to unlock. The message is written in Thunderbird's window
// and sent with its Send button.
import '../ui/style.css';
import { background, keepBackgroundAwake, ThunderbirdHost } from '../hosts/thunderbird';
import { composeFields, composeMessenger } from '../hosts/thunderbird-compose';
import { messengerGlobal } from '../hosts/thunderbird-api';
import { CertPanel } from '../ui/cert-panel';
import { el, replace } from '../ui/dom';
import { errorView } from '../ui/error-view';
import { choiceWords, encryptionChoice, envelopeAddresses, recipientStatuses, STATUS_WORDS } from '../ui/host-compose';
import { canReceiveEncrypted } from '../keyring/store';
import { tabs } from '../ui/tabs';
import { versionLine } from '../ui/version';

const main = document.getElementById('app');
try {
  const messenger = messengerGlobal();
  keepBackgroundAwake(messenger);
  const { core, session, composer } = await background(messenger);
  const [tab] = await messenger.tabs.query({ active: true, currentWindow: true });
  const tabId = tab?.id;
  if (tabId === undefined) throw new Error('Open Cachet from the Cachet button of a message you are writing.');
  const m = composeMessenger(messenger);
  for (const ev of ['keydown', 'pointerdown']) document.addEventListener(ev, () => session.touch(), { passive: true });

  const sign = el('input', { type: 'checkbox', id: 'tb-sign' });
  const encrypt = el('input', { type: 'checkbox', id: 'tb-encrypt' });
  const recipients = el('ul', { class: 'recipients plain', 'aria-label': 'Recipients', 'aria-live': 'polite' });
  const cipherChoice = el('p', { class: 'muted', 'data-field': 'cipher-choice', 'aria-live': 'polite' });
  const problems = el('div', { 'aria-live': 'polite' });
  const identity = el('p', { class: 'muted', 'data-field': 'identity' });
  const confirmArea = el('div', { class: 'reply-confirm', 'aria-live': 'polite' });
  const requestResult = el('div', { 'aria-live': 'polite' });
  const requestButton = (address: string): HTMLElement => {
    const b = el('button', { type: 'button', 'data-request': address }, 'Ask for their certificate');
    b.addEventListener('click', () => {
      b.disabled = true;
      composer
        .sendRequest(tabId, address)
        .then(() => replace(requestResult, el('p', { class: 'note good', role: 'status', 'data-field': 'request-sent' }, `A signed request for a certificate was sent to ${address}. When they answer with a signed mail, open it: their certificate is stored and this message can be encrypted. Your draft is kept.`)))
        .catch((e) => replace(requestResult, errorView(e)))
        .finally(() => (b.disabled = false));
    });
    return b;
  };

  const refresh = async (): Promise<void> => {
    const details = await m.compose.getComposeDetails(tabId);
    const fields = await composeFields(m, tabId, details);
    const from = fields.from.address.toLowerCase();
    const signer = await session.signer(from);
    identity.textContent = signer ? `Signing as ${from}.` : `Your certificate for ${from || 'this address'} is locked or missing: unlock it or import it under Certificates.`;
    if (signer && !canReceiveEncrypted(signer.record)) identity.textContent += ' Your certificate only signs: your own copy (in Sent) of an encrypted message will not be readable. Import your encryption certificate under Certificates to keep a readable copy.';
    const { statuses, ders } = await recipientStatuses(core, [...new Set(envelopeAddresses(fields))]);
    // What encrypting will use for each ready recipient and why (their stored capabilities).
    const ready = statuses.flatMap((r) => {
      const der = r.status === 'ready' && r.index !== undefined ? ders.get(r.address)?.[r.index] : undefined;
      return der ? [{ address: r.address, der }] : [];
    });
    const chosen = encrypt.checked ? await encryptionChoice(core, signer?.handle ?? null, ready).catch(() => null) : null;
    const lineOf = (address: string) => {
      const i = ready.findIndex((r) => r.address === address);
      const r = i >= 0 ? chosen?.recipients[i] : undefined;
      return chosen && r ? el('div', { class: 'muted', 'data-field': 'choice' }, choiceWords(chosen, r)) : null;
    };
    // The sender's own copy (encrypted to their own certificate too), as the other compose panes show it.
    const own = chosen?.recipients.find((r) => r.own_copy);
    const ownLine = chosen && own ? el('li', { 'data-recipient': own.address, 'data-own-copy': 'true' }, `Your own copy (${own.address}) — `, el('div', { class: 'muted', 'data-field': 'choice' }, choiceWords(chosen, own))) : null;
    replace(recipients, ...statuses.map((r) => el('li', { 'data-recipient': r.address, 'data-status': r.status }, el('span', { class: `badge ${r.status === 'ready' ? 'good' : 'warn'}` }, r.status), ` ${r.address} — ${STATUS_WORDS[r.status]}`, r.status === 'missing' ? ' ' : null, r.status === 'missing' ? requestButton(r.address) : null, lineOf(r.address))), ownLine);
    replace(cipherChoice, chosen ? `Encryption: ${chosen.reason}` : '');
    const blockers = composer.lastProblems(tabId);
    replace(problems, blockers.length ? el('div', { class: 'error', role: 'alert', 'data-code': 'send-refused' }, el('p', { class: 'error-message' }, 'Cachet will not send this message yet:'), el('ul', { 'data-field': 'blockers' }, ...[...new Set(blockers)].map((b) => el('li', {}, b))), el('p', { class: 'error-hint' }, 'Your draft is kept.')) : null);
  };
  const choice = await composer.choice(tabId);
  sign.checked = choice.sign;
  encrypt.checked = choice.encrypt;
  const save = async (plainConfirmed = false): Promise<void> => {
    const accepted = await composer.setChoice(tabId, { sign: sign.checked, encrypt: encrypt.checked }, plainConfirmed);
    if (!accepted) {
      // A reply to an encrypted message: Encrypt stays on until the user confirms.
      encrypt.checked = true;
      const send = el('button', { type: 'button', 'data-action': 'send-plain' }, 'Send without encryption');
      const keep = el('button', { type: 'button', 'data-action': 'keep-encrypted' }, 'Keep encryption');
      send.addEventListener('click', () => {
        encrypt.checked = false;
        void save(true).then(() => replace(confirmArea, el('p', { class: 'notice', role: 'status', 'data-field': 'plain-confirmed' }, 'This reply will be sent without encryption, as you chose.')));
      });
      keep.addEventListener('click', () => replace(confirmArea));
      replace(confirmArea, el('div', { class: 'notice', role: 'alertdialog', 'data-field': 'confirm-plain' }, el('p', {}, 'This replies to (or forwards) an encrypted message and may quote its decrypted text. Send it without encryption?'), send, ' ', keep));
    }
    await refresh().catch((e) => replace(problems, errorView(e)));
  };
  sign.addEventListener('change', () => void save());
  encrypt.addEventListener('change', () => void save());
  session.addEventListener('change', () => void refresh().catch(() => undefined));

  // Thunderbird saves this window's drafts unencrypted: confidential mail is written in Cachet's own tab.
  const openConfidential = el('button', { type: 'button', class: 'secondary', 'data-action': 'confidential' }, 'Write a confidential message in Cachet instead');
  openConfidential.addEventListener('click', () => void messenger.tabs.create({ url: messenger.runtime.getURL('tb-confidential.html') }));
  const confidential = el('p', { class: 'muted' }, 'Thunderbird saves the drafts of this window unencrypted. For a message whose drafts must stay encrypted: ', openConfidential);
  const pane = el(
    'section',
    { class: 'compose-pane', 'aria-labelledby': 'tb-compose-heading' },
    el('h2', { id: 'tb-compose-heading' }, 'This message'),
    el('div', { class: 'toggles' }, el('label', { for: 'tb-sign' }, sign, ' Sign'), ' ', el('label', { for: 'tb-encrypt' }, encrypt, ' Encrypt')),
    confirmArea,
    identity,
    recipients,
    cipherChoice,
    requestResult,
    problems,
    el('p', { class: 'muted' }, 'Write the message in Thunderbird and press Send: with Sign or Encrypt on, Cachet builds, signs and encrypts it (always also to you), with its formatting, attachments and Cc, and sends it itself; each Bcc recipient gets a copy of their own, encrypted to them alone, that names no Bcc.'),
    confidential,
  );
  await refresh();
  const certs = new CertPanel(core, session, new ThunderbirdHost(messenger, null));
  const ui = tabs([
    { id: 'compose', label: 'Sign and encrypt', content: pane },
    { id: 'certs', label: 'Certificates', content: certs.element },
  ]);
  if (main) replace(main, ui.element, versionLine(core));
} catch (e) {
  if (main) replace(main, errorView(e));
}
