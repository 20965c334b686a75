// The certificate finders the troubleshooter offers for "I cannot encrypt to someone"
// (keeping-actions.ts `registerCertificateFinder`), registered by each page that shows it,
// for what its host can do:
//  - "Look X up in DNS": the SMIMEA lookup over DNS-over-HTTPS (discovery.ts), shown with the
//    same offer and the same trust words as in the compose pane (capabilities.dnsLookup);
//  - "Find certificates in my mail": the mailbox harvest (keyring/harvest.ts), then what it
//    found for X (capabilities.searchMail).
import type { CoreClient } from '../core/client';
import type { Host } from '../hosts/host';
import { harvestMail } from '../keyring/harvest';
import type { Session } from '../keyring/session';
import { Discovery } from './discovery';
import { el } from './dom';
import { type CertificateFinder, certificateFinders, registerCertificateFinder } from './keeping-actions';

/** The finders this host supports (none twice, however often a page calls it). */
export function registerFinders(core: CoreClient, session: Session, host: Host): void {
  if (certificateFinders().length > 0) return;
  for (const f of findersFor(core, session, host)) registerCertificateFinder(f);
}

export function findersFor(core: CoreClient, session: Session, host: Host): CertificateFinder[] {
  const out: CertificateFinder[] = [];
  const discovery = new Discovery(core, session, host);
  if (discovery.available) {
    out.push({
      id: 'dns',
      label: (address) => `Look ${address} up in DNS`,
      find: (address, onStored) => Promise.resolve(discovery.offer(address, onStored) ?? 'This mail program cannot look certificates up in DNS.'),
    });
  }
  if (host.capabilities.searchMail === true && host.signedCandidates && host.rawMessage) {
    out.push({
      id: 'mail',
      label: () => 'Find certificates in my mail',
      find: async (address, onStored) => {
        const s = await harvestMail({ core, session, host }, new AbortController().signal);
        const a = address.toLowerCase();
        const head = `Looked at ${s.scanned} message${s.scanned === 1 ? '' : 's'}, ${s.found} signed${s.limited ? ' (stopped at the limit)' : ''}; ${s.stored.length} new certificate${s.stored.length === 1 ? '' : 's'} stored.`;
        let words: string;
        let found = 'none';
        if (s.stored.some((x) => x.address === a)) {
          words = `A certificate for ${a} was found in a validly signed message and stored.`;
          found = 'stored';
        } else if (s.same.includes(a)) {
          words = `The certificate found for ${a} is the one already stored.`;
          found = 'same';
        } else if (s.changed.some((c) => c.outcome.address === a)) {
          words = `A different certificate for ${a} was found: check it and accept it under Certificates (Find certificates in my mail).`;
          found = 'changed';
        } else {
          words = `No validly signed message from ${a} was found.`;
        }
        if (found === 'stored') onStored();
        return el('p', { role: 'status', 'data-field': 'harvest-for', 'data-found': found }, `${head} ${words}`);
      },
    });
  }
  return out;
}
