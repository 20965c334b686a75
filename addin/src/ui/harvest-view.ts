// The "Find certificates in my mail" action (keyring/harvest.ts does the work): a button, a
// progress bar with Cancel while it runs, then the summary: signed messages found, certificates
// stored, changed ones (with old and new issuer and expiry, and "Accept the new certificate"),
// and what was skipped and why. Shown where the host can search the mailbox
// (capabilities.searchMail).
import type { CoreClient } from '../core/client';
import type { Host } from '../hosts/host';
import { HARVEST_MAX_MESSAGES, type HarvestSummary, harvestMail } from '../keyring/harvest';
import type { Session } from '../keyring/session';
import { el, replace } from './dom';
import { errorView } from './error-view';

export class HarvestView {
  readonly element: HTMLElement;
  private readonly start = el('button', { type: 'button' }, 'Find certificates in my mail');
  private readonly cancel = el('button', { type: 'button', class: 'secondary' }, 'Cancel');
  private readonly bar = el('progress', { 'aria-label': 'Messages checked' });
  private readonly status = el('p', { class: 'muted', role: 'status', 'data-field': 'harvest-progress' });
  private readonly out = el('div', { 'data-field': 'harvest-summary', 'aria-live': 'polite' });
  private running: AbortController | null = null;

  constructor(private readonly core: CoreClient, private readonly session: Session, private readonly host: Host) {
    const running = el('div', { class: 'harvest-running', hidden: '' }, this.bar, this.status, el('div', { class: 'actions' }, this.cancel));
    this.start.addEventListener('click', () => void this.run(running));
    this.cancel.addEventListener('click', () => this.running?.abort());
    this.element = el(
      'section',
      { class: 'harvest', 'aria-labelledby': 'harvest-heading' },
      el('h3', { id: 'harvest-heading' }, 'Certificates in your mail'),
      el('p', { class: 'muted' }, `Looks through Inbox and Sent Items (at most ${HARVEST_MAX_MESSAGES} messages) for signed mail, checks each signature, and stores the certificates of valid signers. Encrypted mail is not opened.`),
      el('div', { class: 'actions' }, this.start),
      running,
      this.out,
    );
  }

  private async run(running: HTMLElement): Promise<void> {
    const abort = new AbortController();
    this.running = abort;
    this.start.disabled = true;
    running.hidden = false;
    this.bar.removeAttribute('value');
    this.status.textContent = 'Listing signed messages…';
    replace(this.out);
    try {
      const summary = await harvestMail({ core: this.core, session: this.session, host: this.host }, abort.signal, (p) => {
        this.bar.max = Math.max(1, p.total);
        this.bar.value = p.done;
        this.status.textContent = `Checked ${p.done} of ${p.total} messages; ${p.signed} signed.`;
      });
      replace(this.out, ...this.describe(summary));
    } catch (e) {
      replace(this.out, errorView(e));
    } finally {
      this.running = null;
      this.start.disabled = false;
      running.hidden = true;
    }
  }

  private describe(s: HarvestSummary): HTMLElement[] {
    const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
    const head = el(
      'p',
      { class: s.cancelled ? 'notice' : 'note good', 'data-field': 'harvest-done', 'data-found': String(s.found), 'data-stored': String(s.stored.length), 'data-changed': String(s.changed.length) },
      `${s.cancelled ? 'Cancelled after' : 'Checked'} ${plural(s.scanned, 'message')}: ${plural(s.found, 'signed message')} found, ${plural(s.stored.length, 'certificate')} stored, ${s.same.length} already known, ${s.changed.length} changed.${s.limited ? ` Only the newest ${HARVEST_MAX_MESSAGES} messages were checked.` : ''}`,
    );
    const out: HTMLElement[] = [head];
    if (s.stored.length) out.push(el('ul', { 'data-field': 'harvest-stored' }, ...s.stored.map((x) => el('li', { 'data-address': x.address }, `Stored: ${x.address}`))));
    for (const { outcome, caps } of s.changed) {
      const accept = el('button', { type: 'button', class: 'secondary' }, `Accept the new certificate for ${outcome.address}`);
      const li = el(
        'li',
        { 'data-changed': outcome.address },
        `${outcome.address} signed with a different certificate than the one stored: stored one by ${outcome.old.issuer}, until ${outcome.old.notAfter.slice(0, 10)}; new one by ${outcome.next.facts.issuer}, until ${outcome.next.facts.not_after.slice(0, 10)}. `,
        accept,
      );
      accept.addEventListener('click', () => {
        accept.disabled = true;
        void this.session.learn(outcome.next, caps, true).then(
          () => accept.replaceWith(el('span', { class: 'note good' }, 'Accepted.')),
          (e) => li.append(errorView(e)),
        );
      });
      out.push(el('ul', { 'data-field': 'harvest-changed' }, li));
    }
    if (s.skipped.length) {
      out.push(
        el('p', {}, 'Skipped (nothing of these was stored):'),
        el('ul', { 'data-field': 'harvest-skipped' }, ...s.skipped.map((k) => el('li', { 'data-reason': k.reason }, `${plural(k.count, 'message')}: ${k.reason} — e.g. ${k.examples.join('; ')}`))),
      );
    }
    return out;
  }
}
