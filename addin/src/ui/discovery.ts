// SMIMEA discovery in the compose pane (RFC 8162 over DNS-over-HTTPS): for a recipient with
// no certificate, the host asks the configured resolver (the core builds the query and reads
// the answer) and the pane offers what was found, saying how far it can be believed:
//  - "DNSSEC validated by the resolver" (AD bit): the domain vouches for the certificate
//    through DNSSEC, as far as the resolver can tell. The offer is "Use and trust this
//    certificate": it is stored for the contact and pinned (only this certificate, only for
//    the addresses it names; never an issuer).
//  - "Found in DNS, not validated": anyone on the path to the domain's name servers could have
//    put it there. The offer is only to store it as the contact's certificate; it becomes
//    usable only if a root the user trusts issued it (path validation decides, as always).
// Automatic only while Encrypt is on (that is when a certificate is needed): each lookup tells
// the resolver whom the user writes to. Otherwise a button starts it.
// One lookup per address per pane (answers are kept until the pane is reloaded).
import type { CoreClient } from '../core/client';
import type { SmimeaLookup } from '../core/protocol';
import type { Host } from '../hosts/host';
import type { Session } from '../keyring/session';
import { store } from '../keyring/store';
import { el, replace } from './dom';
import { errorView } from './error-view';

export class Discovery {
  private readonly found = new Map<string, Promise<SmimeaLookup>>();

  constructor(private readonly core: CoreClient, private readonly session: Session, private readonly host: Host) {}

  get available(): boolean {
    return this.host.capabilities.dnsLookup === true && typeof this.host.dnsQuery === 'function';
  }

  /** Look `address` up (once per pane). */
  lookup(address: string): Promise<SmimeaLookup> {
    const key = address.trim().toLowerCase();
    let p = this.found.get(key);
    if (!p) {
      p = (async () => {
        const q = await this.core.call('smimeaQuery', { address: key });
        const response = await this.host.dnsQuery?.(q.query_base64url);
        if (!response) throw new Error('This mail program cannot look certificates up in DNS.');
        return this.core.call('smimeaRead', { address: key, response, at: Math.floor(Date.now() / 1000) });
      })();
      // Failures are kept too (a refresh at each pause in typing must not ask again); "Try again" forgets one.
      this.found.set(key, p);
    }
    return p;
  }

  /**
   * The element shown under a `missing` recipient: "looking up…", then the offer or what DNS
   * said; with `auto` false (Encrypt is off) a button that starts the lookup, unless it was
   * already made. `onStored` runs after the user took the certificate (to refresh the statuses).
   */
  offer(address: string, onStored: () => void, auto = true): HTMLElement | null {
    if (!this.available) return null;
    const box = el('div', { class: 'dns-offer', 'data-dns-for': address, 'aria-live': 'polite' });
    const start = () => {
      replace(box, el('span', { class: 'muted' }, 'Looking for a certificate in DNS (SMIMEA)…'));
      void this.lookup(address).then(
        (l) => replace(box, ...this.describe(l, onStored)),
        (e) => {
          const again = el('button', { type: 'button', class: 'link' }, 'Try again');
          again.addEventListener('click', () => {
            this.found.delete(address.trim().toLowerCase());
            start();
          });
          replace(box, el('span', { class: 'muted', 'data-dns': 'failed' }, 'The DNS lookup failed: '), errorView(e), again);
        },
      );
    };
    if (auto || this.found.has(address.trim().toLowerCase())) {
      start();
    } else {
      const ask = el('button', { type: 'button', class: 'link' }, 'Look for their certificate in DNS');
      ask.addEventListener('click', start);
      replace(box, ask);
    }
    return box;
  }

  private describe(l: SmimeaLookup, onStored: () => void): (HTMLElement | string)[] {
    const resolver = this.host.dnsResolver?.() ?? 'the resolver';
    const rejected = l.rejected.length ? el('ul', { class: 'muted', 'data-field': 'dns-rejected' }, ...l.rejected.map((r) => el('li', {}, `Not used (${r.usage} ${r.selector} ${r.matching_type}): ${r.reason}`))) : null;
    const cert = l.certificates[0];
    if (l.outcome !== 'found' || !cert) {
      const words: Record<string, string> = {
        'not-found': `No certificate for ${l.address} is published in DNS.`,
        'no-usable-record': `No certificate Cachet can use for ${l.address} is published in DNS.`,
        'resolver-failed': `The DNS resolver (${resolver}) could not answer for ${l.address}${l.rcode === 2 ? ' (this can mean the domain’s DNSSEC signatures are broken)' : ''}.`,
      };
      return [el('span', { class: 'muted', 'data-dns': l.outcome }, words[l.outcome] ?? ''), ...(rejected ? [rejected] : [])];
    }
    const f = cert.facts;
    // DNSSEC vouches only for the queried domain: a certificate that also names addresses
    // elsewhere is not pinned (a pin would make it trusted for those addresses too).
    const domain = l.address.slice(l.address.lastIndexOf('@') + 1).toLowerCase();
    const elsewhere = f.emails.filter((e) => e.slice(e.lastIndexOf('@') + 1).toLowerCase() !== domain);
    const validated = l.trust === 'dnssec-validated' && elsewhere.length === 0;
    const what = `${f.common_name ?? f.subject}, issued by ${f.issuer}, valid until ${f.not_after.slice(0, 10)}${cert.expiry.state === 'expired' ? ' (expired)' : ''}`;
    const trust = validated
      ? el('span', { class: 'badge good', 'data-dns-trust': 'dnssec-validated' }, 'DNSSEC validated')
      : l.trust === 'dnssec-validated'
        ? el('span', { class: 'badge warn', 'data-dns-trust': 'other-domains' }, 'DNSSEC validated, names other domains')
        : el('span', { class: 'badge warn', 'data-dns-trust': 'found-in-dns' }, 'found in DNS, not validated');
    const text = validated
      ? ` A certificate for ${l.address} is published in DNS and ${resolver} validated it with DNSSEC: ${what}.`
      : l.trust === 'dnssec-validated'
        ? ` A certificate for ${l.address} is published in DNS and ${resolver} validated it with DNSSEC, but it also names ${elsewhere.join(', ')}, for which ${domain}'s DNS cannot vouch: ${what}. It is not pinned; storing it makes it usable only if a root you trust issued it.`
        : ` A certificate for ${l.address} was found in DNS, but ${resolver} did not validate it with DNSSEC, so anyone on the way could have put it there: ${what}. It is not trusted; storing it makes it usable only if a root you trust issued it.`;
    const take = el('button', { type: 'button', class: validated ? '' : 'secondary' }, validated ? 'Use and trust this certificate' : 'Store it as their certificate');
    const done = el('span', { 'aria-live': 'polite' });
    take.addEventListener('click', () => {
      void (async () => {
        take.disabled = true;
        try {
          await this.session.learn({ address: l.address, der: cert.der_base64, facts: f }, f.smime_capabilities ?? [], true);
          if (validated) {
            await store.putAnchor({ sha256: f.sha256, der: cert.der_base64, label: `${l.address} (pinned, from DNS with DNSSEC)`, kind: 'pin', notAfter: f.not_after, added: new Date().toISOString() });
          }
          replace(done, el('span', { class: 'note good', 'data-field': 'dns-stored' }, validated ? ' Stored and trusted (pinned) for this address.' : ' Stored.'));
          onStored();
        } catch (e) {
          take.disabled = false;
          replace(done, errorView(e));
        }
      })();
    });
    return [trust, text, ' ', take, done, ...(rejected ? [rejected] : [])];
  }
}
