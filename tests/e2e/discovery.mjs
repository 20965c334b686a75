// End to end (issue 19, discovery): SMIMEA lookup over DNS-over-HTTPS in the compose pane, and
// "Find certificates in my mail" on the Certificates tab, on the standalone page.
//  - The dev server's fixture resolver (scripts/devdns.mjs) serves crafted records: a valid
//    DANE-EE certificate with the AD bit (offered as "DNSSEC validated", taken and pinned: the
//    recipient becomes ready), the same without AD (only "found in DNS", and once stored still
//    not usable: its issuer is not trusted), a certificate for another address, usage 2, a
//    truncated answer, an oversized answer, a pointer loop, and a name not in the zone.
//  - Alice's Inbox is seeded with mail signed by openssl for several peers: valid, tampered,
//    expired certificate, an untrusted issuer, a contact whose certificate changed, an
//    encrypted one, and a plain one. Only the valid signer is stored; the changed one is
//    reported and accepted by a click; the others are skipped with their reasons.
// Certificates are made by openssl at test time (scripts/lib/pki.mjs). Screenshots:
// test-results/discovery-*.jpg.
// Run by mail.test.mjs in its process and chromium (one browser start for the standalone
// worlds); alone: node --test tests/e2e/discovery.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { RSA_2048, keptKeySync, makePki, openssl } from '../../scripts/lib/pki.mjs';
import { createWorld } from './world.mjs';

const zone = new Map();
/** The name of every query the fixture resolver was asked. */
const queries = [];
let w;
let alice;
let pki;
let other;

const der = (pem) => Buffer.from(fs.readFileSync(pem, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
const smimea = (pem, usage = 3) => ({ usage, selector: 0, matching: 0, data: der(pem) });

/** A certificate for `email` issued by the peers' CA with explicit dates (openssl ca), for the expired case (its RSA key kept between runs). */
function issueDated(name, email, start, end) {
  const d = pki.dir;
  const f = (n) => path.join(d, n);
  fs.writeFileSync(f('dated.cnf'), `[ca]\ndefault_ca = d\n[d]\ndir = .\ndatabase = ${f('index.txt')}\nnew_certs_dir = ${d}\nserial = ${f('serial')}\ndefault_md = sha256\npolicy = any\nunique_subject = no\ncopy_extensions = none\n[any]\ncommonName = supplied\n`);
  if (!fs.existsSync(f('index.txt'))) fs.writeFileSync(f('index.txt'), '');
  if (!fs.existsSync(f('serial'))) fs.writeFileSync(f('serial'), '5000\n');
  fs.writeFileSync(f(`${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:${email}\n`);
  keptKeySync(RSA_2048, f(`${name}.key`));
  openssl(['req', '-new', '-key', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}`]);
  openssl(['ca', '-batch', '-config', f('dated.cnf'), '-cert', pki.ca.pem, '-keyfile', pki.ca.key, '-in', f(`${name}.csr`), '-out', f(`${name}.pem`),
    '-startdate', start, '-enddate', end, '-extfile', f(`${name}.ext`), '-notext']);
  return { pem: f(`${name}.pem`), key: f(`${name}.key`), email };
}

/** Clear-signed mail (openssl cms) from `who` to Alice, as a mail server would store it. */
function signedMail(who, subject, { tamper = false } = {}) {
  const f = (n) => path.join(pki.dir, `${subject.replace(/\W+/g, '-')}-${n}`);
  fs.writeFileSync(f('content.txt'), `Content-Type: text/plain; charset=us-ascii\r\n\r\n${subject}: hello Alice.\r\n`);
  openssl(['cms', '-sign', '-md', 'sha256', '-in', f('content.txt'), '-signer', who.pem, '-inkey', who.key, '-out', f('signed.eml')]);
  let body = fs.readFileSync(f('signed.eml'), 'latin1').replace(/\r?\n/g, '\r\n');
  if (tamper) body = body.replace('hello Alice', 'hello Alicf');
  const head = `From: <${who.email}>\r\nTo: <alice@example.org>\r\nSubject: ${subject}\r\nDate: ${new Date().toUTCString()}\r\nMessage-ID: <${Date.now()}-${Math.random()}@example.com>\r\n`;
  return Buffer.from(head + body, 'latin1');
}

before(async () => {
  w = await createWorld('discovery', { dnsZone: zone, dnsQueries: queries });
  pki = await makePki(path.join(w.tmp, 'peers'), {
    ca: { cn: 'Peers Test CA' },
    password: null,
    people: [
      { name: 'carol', email: 'carol@example.org' },
      { name: 'dave-elsewhere', email: 'dave@elsewhere.example' },
      { name: 'erin', email: 'erin@example.org' },
      { name: 'henry', email: 'henry@example.org' },
      { name: 'ivan', email: 'ivan@example.org' },
      { name: 'kim-old', email: 'kim@example.org' },
      { name: 'kim-new', email: 'kim@example.org' },
      // Names an address of another domain too (leafExtensions writes subjectAltName=email:<this>).
      { name: 'jack', email: 'jack@example.org,email:boss@other.example' },
      // Found by the troubleshooter's finders: Nina in DNS, Oscar in the mailbox.
      { name: 'nina', email: 'nina@example.org' },
      { name: 'oscar', email: 'oscar@example.org' },
    ],
  });
  other = await makePki(path.join(w.tmp, 'other'), { ca: { cn: 'Untrusted Other CA' }, password: null, people: [{ name: 'fred', email: 'fred@example.org' }, { name: 'lena', email: 'lena@example.org' }] });
  const p = pki.people;
  zone.set('carol@example.org', { records: [smimea(p.carol.pem)], ad: true });
  zone.set('dave@example.org', { records: [smimea(p['dave-elsewhere'].pem)], ad: true });
  zone.set('erin@example.org', { records: [smimea(p.erin.pem, 2)], ad: true });
  zone.set('fred@example.org', { records: [smimea(other.people.fred.pem)], ad: false });
  zone.set('gina@example.org', { records: [smimea(p.carol.pem)], ad: true, mode: 'truncated' });
  zone.set('hank@example.org', { records: [smimea(p.carol.pem)], ad: true, mode: 'oversized' });
  zone.set('iris@example.org', { records: [smimea(p.carol.pem)], ad: true, mode: 'loop' });
  zone.set('jack@example.org', { records: [smimea(p.jack.pem)], ad: true });
  zone.set('nina@example.org', { records: [smimea(p.nina.pem)], ad: true });
  alice = await w.person('alice', 'alice@example.org');
});

after(async () => {
  await w?.close();
});

async function trustRoot(person, pem, label) {
  await w.tab(person, 'Certificates');
  await person.page.getByLabel('Certificate file', { exact: true }).setInputFiles(pem);
  await person.page.getByRole('button', { name: 'Trust as root…' }).click();
  await person.page.getByRole('button', { name: 'Yes, trust as root' }).click();
  await person.page.locator(`[data-anchor^="${label}"]`).waitFor();
}

test('compose looks missing recipients up in DNS and says how far each answer can be believed', async () => {
  const page = alice.page;
  await w.tab(alice, 'Compose');
  const to = ['carol', 'dave', 'erin', 'fred', 'gina', 'hank', 'iris', 'jack', 'zed'].map((n) => `${n}@example.org`);
  await page.getByLabel('To', { exact: true }).fill(to.join(', '));
  const box = (a) => page.locator(`[data-dns-for="${a}"]`);
  // With Encrypt off nothing is asked of the resolver until the user says so.
  await box('carol@example.org').getByRole('button', { name: 'Look for their certificate in DNS' }).waitFor();
  assert.equal(await page.locator('[data-dns-trust], [data-dns]').count(), 0);
  assert.deepEqual(queries, []);
  await box('zed@example.org').getByRole('button', { name: 'Look for their certificate in DNS' }).click();
  await box('zed@example.org').locator('[data-dns="not-found"]').waitFor();
  assert.equal(queries.length, 1);
  assert.match(queries[0], /^[0-9a-f]{56}\._smimecert\.example\.org$/);
  // With Encrypt on, every recipient without a certificate is looked up.
  await page.getByLabel('Encrypt').check();

  // Valid DANE-EE with the AD bit: offered as validated; taking it pins it and the recipient is ready.
  await box('carol@example.org').locator('[data-dns-trust="dnssec-validated"]').waitFor();
  assert.match(await box('carol@example.org').textContent(), /validated it with DNSSEC: carol, issued by .*Peers Test CA/);
  // Without the AD bit: only "found in DNS", with the warning.
  await box('fred@example.org').locator('[data-dns-trust="found-in-dns"]').waitFor();
  assert.match(await box('fred@example.org').textContent(), /did not validate it with DNSSEC.*It is not trusted/);
  // Validated, but the certificate also names another domain's address: DNSSEC cannot vouch for it, no pin offered.
  await box('jack@example.org').locator('[data-dns-trust="other-domains"]').waitFor();
  assert.match(await box('jack@example.org').textContent(), /also names boss@other\.example, for which example\.org's DNS cannot vouch/);
  assert.equal(await box('jack@example.org').getByRole('button', { name: 'Use and trust this certificate' }).count(), 0);
  assert.equal(await box('jack@example.org').getByRole('button', { name: 'Store it as their certificate' }).count(), 1);
  // Another address, wrong usage: nothing offered, the reason shown.
  await box('dave@example.org').locator('[data-dns="no-usable-record"]').waitFor();
  assert.match(await box('dave@example.org').textContent(), /names dave@elsewhere\.example, not dave@example\.org/);
  await box('erin@example.org').locator('[data-dns="no-usable-record"]').waitFor();
  assert.match(await box('erin@example.org').textContent(), /usage 2 is not DANE-EE/);
  // Broken answers are refused with a sentence, never read.
  await box('gina@example.org').locator('[data-dns="failed"]').waitFor();
  assert.match(await box('gina@example.org').locator('.error-message').textContent(), /^The resolver's answer is cut short\.$/);
  await box('hank@example.org').locator('[data-dns="failed"]').waitFor();
  assert.match(await box('hank@example.org').locator('.error-message').textContent(), /^The resolver's answer is larger than a DNS message can be/);
  await box('iris@example.org').locator('[data-dns="failed"]').waitFor();
  assert.match(await box('iris@example.org').locator('.error-message').textContent(), /^The resolver's answer has a name that points in a loop\.$/);
  await box('zed@example.org').locator('[data-dns="not-found"]').waitFor();
  for (const a of ['dave', 'erin', 'gina', 'hank', 'iris', 'zed']) assert.equal(await box(`${a}@example.org`).getByRole('button', { name: /Use and trust|Store it/ }).count(), 0, `${a}: nothing to take`);
  // One query per address, answered or not: turning Encrypt on refreshed the statuses without asking zed again.
  assert.equal(queries.length, 9, JSON.stringify(queries));
  await w.screenshot(alice, 'compose-offers');

  await box('carol@example.org').getByRole('button', { name: 'Use and trust this certificate' }).click();
  await page.locator('[data-recipient="carol@example.org"][data-status="ready"]').waitFor();
  await box('fred@example.org').getByRole('button', { name: 'Store it as their certificate' }).click();
  // Stored, but not trusted: its issuer is no root of Alice's, and an unvalidated answer is no pin.
  await page.locator('[data-recipient="fred@example.org"][data-status="untrusted"]').waitFor();
  assert.equal(queries.length, 9, 'the refreshes after taking a certificate asked nothing again');
  // A failed lookup can be tried again by hand.
  await box('gina@example.org').getByRole('button', { name: 'Try again' }).click();
  await box('gina@example.org').locator('[data-dns="failed"]').waitFor();
  assert.equal(queries.length, 10);
  await w.screenshot(alice, 'compose-taken');
  await w.tab(alice, 'Certificates');
  await page.locator('[data-anchor*="carol@example.org (pinned, from DNS with DNSSEC)"]').waitFor();
  assert.equal(await page.locator('[data-anchor*="fred@example.org"]').count(), 0, 'an unvalidated answer is never pinned');
  assert.deepEqual(w.blocked, [], 'no request left the machine');
});

test('“Find certificates in my mail” stores valid signers only, reports the changed one and skips the rest with reasons', async () => {
  const page = alice.page;
  const p = pki.people;
  const judy = issueDated('judy', 'judy@example.org', '20200101000000Z', '20210101000000Z');
  await trustRoot(alice, pki.ca.pem, 'Peers Test CA');
  // Kim's old certificate is already a contact; the mailbox has mail signed with the new one.
  await w.storeContact(alice, p['kim-old'].pem);
  for (const [who, subject, opts] of [
    [p.henry, 'From Henry', {}],
    [p.ivan, 'From Ivan, changed on the way', { tamper: true }],
    [judy, 'From Judy, expired', {}],
    [other.people.lena, 'From Lena, unknown issuer', {}],
    [p['kim-new'], 'From Kim, renewed', {}],
  ]) w.deliver('alice@example.org', 'inbox', signedMail(who, subject, opts));
  w.deliver('alice@example.org', 'inbox', Buffer.from('From: <plain@example.org>\r\nTo: <alice@example.org>\r\nSubject: Plain\r\n\r\nNot signed.\r\n'));
  w.deliver('alice@example.org', 'inbox', Buffer.from('From: <sealed@example.org>\r\nTo: <alice@example.org>\r\nSubject: Sealed\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQA=\r\n'));

  await w.tab(alice, 'Certificates');
  await page.getByRole('button', { name: 'Find certificates in my mail' }).click();
  const done = page.locator('[data-field="harvest-done"]');
  await done.waitFor({ timeout: 60_000 });
  await w.screenshot(alice, 'harvest-summary');
  const text = await done.textContent();
  // 6 S/MIME messages listed (the plain one is not S/MIME), 5 of them signed.
  assert.match(text, /^Checked 6 messages: 5 signed messages found, 1 certificate stored, 0 already known, 1 changed\./, text);
  assert.equal(await page.locator('[data-field="harvest-stored"] [data-address="henry@example.org"]').count(), 1);
  const skipped = await page.locator('[data-field="harvest-skipped"] li').allTextContents();
  const has = (re) => assert.ok(skipped.some((s) => re.test(s)), `${re} in ${JSON.stringify(skipped)}`);
  has(/^1 message: changed after signing — e\.g\. “From Ivan/);
  has(/^1 message: the certificate has expired — e\.g\. “From Judy/);
  has(/^1 message: the certificate’s issuer is not trusted here — e\.g\. “From Lena/);
  has(/^1 message: encrypted: open it to check the signature inside — e\.g\. “Sealed”/);
  const changed = page.locator('[data-changed="kim@example.org"]');
  assert.match(await changed.textContent(), /different certificate than the one stored/);

  // Only Henry (and the Kim already known) are contacts: nothing of the skipped signers was stored.
  const contacts = page.getByRole('list', { name: 'Contacts’ certificates' });
  await contacts.getByText('henry@example.org').first().waitFor();
  for (const a of ['ivan@example.org', 'judy@example.org', 'lena@example.org']) assert.equal(await contacts.getByText(a).count(), 0, `${a} not stored`);
  const kimBefore = await contacts.locator('li', { hasText: 'kim@example.org' }).textContent();

  await changed.getByRole('button', { name: 'Accept the new certificate for kim@example.org' }).click();
  await changed.getByText('Accepted.').waitFor();
  await page.waitForFunction((before) => [...document.querySelectorAll('[aria-label="Contacts’ certificates"] li')].some((li) => li.textContent.includes('kim@example.org') && li.textContent !== before), kimBefore);

  // A second run finds everything known: nothing new stored, nothing changed.
  await page.getByRole('button', { name: 'Find certificates in my mail' }).click();
  await page.locator('[data-field="harvest-done"][data-stored="0"][data-changed="0"]').waitFor({ timeout: 60_000 });
  assert.match(await page.locator('[data-field="harvest-done"]').textContent(), /2 already known/);
  assert.deepEqual(w.blocked, []);
});

test('the scan shows its progress and stops on Cancel', async () => {
  const page = alice.page;
  for (let i = 0; i < 12; i++) w.deliver('alice@example.org', 'inbox', signedMail(pki.people.henry, `Henry again ${i}`));
  // Each message takes a moment to arrive, so Cancel lands mid-scan.
  await page.route('**/$value', async (route) => {
    await new Promise((r) => setTimeout(r, 250));
    await route.continue();
  });
  await w.tab(alice, 'Certificates');
  await page.getByRole('button', { name: 'Find certificates in my mail' }).click();
  await page.locator('[data-field="harvest-progress"]', { hasText: /Checked [1-9]\d* of 1[89] messages/ }).waitFor();
  assert.ok(await page.getByRole('progressbar', { name: 'Messages checked' }).isVisible());
  await w.screenshot(alice, 'harvest-progress');
  await page.getByRole('button', { name: 'Cancel' }).click();
  const done = page.locator('[data-field="harvest-done"]');
  await done.waitFor();
  assert.match(await done.textContent(), /^Cancelled after \d+ messages/);
  await page.unroute('**/$value');
});

test('the troubleshooter’s “cannot encrypt” finds the certificate in DNS and in the mailbox', async () => {
  const page = alice.page;
  w.deliver('alice@example.org', 'inbox', signedMail(pki.people.oscar, 'From Oscar'));
  await w.tab(alice, 'Troubleshoot');
  const d = page.locator('[data-problem="cannot-encrypt"]');
  if ((await d.getAttribute('open')) === null) await d.locator('summary').click();
  const check = async (address) => {
    await d.getByLabel('Their address').fill(address);
    await d.getByRole('button', { name: 'Check' }).click();
    await d.locator('[data-field="encrypt-status"][data-status="missing"]', { hasText: address }).waitFor();
  };

  // DNS: the same offer as in the compose pane (validated with the AD bit); taking it makes Nina ready.
  await check('nina@example.org');
  assert.equal(await d.getByText(/not part of this version/).count(), 0);
  const before = queries.length;
  await d.getByRole('button', { name: 'Look nina@example.org up in DNS' }).click();
  const offer = d.locator('[data-dns-for="nina@example.org"]');
  await offer.locator('[data-dns-trust="dnssec-validated"]').waitFor();
  assert.equal(queries.length, before + 1);
  assert.match(await offer.textContent(), /validated it with DNSSEC: nina, issued by .*Peers Test CA/);
  await offer.getByRole('button', { name: 'Use and trust this certificate' }).click();
  await offer.locator('[data-field="dns-stored"]').waitFor();
  await d.locator('[data-field="encrypt-status"][data-status="ready"]', { hasText: 'nina@example.org' }).waitFor();
  await w.screenshot(alice, 'troubleshoot-dns');

  // The mailbox: the scan stores Oscar's certificate (its issuer is trusted) and says so for him.
  await check('oscar@example.org');
  await d.getByRole('button', { name: 'Find certificates in my mail' }).click();
  const said = d.locator('[data-field="harvest-for"]');
  await said.waitFor({ timeout: 60_000 });
  assert.equal(await said.getAttribute('data-found'), 'stored', await said.textContent());
  assert.match(await said.textContent(), /A certificate for oscar@example\.org was found in a validly signed message and stored\./);
  await d.locator('[data-field="encrypt-status"][data-status="ready"]', { hasText: 'oscar@example.org' }).waitFor();

  // Someone in neither: both say so, and the status stays missing.
  await check('zed@example.org');
  await d.getByRole('button', { name: 'Find certificates in my mail' }).click();
  await d.locator('[data-field="harvest-for"][data-found="none"]', { hasText: 'No validly signed message from zed@example.org was found.' }).waitFor({ timeout: 60_000 });
  await d.getByRole('button', { name: 'Look zed@example.org up in DNS' }).click();
  await d.locator('[data-dns-for="zed@example.org"] [data-dns="not-found"]').waitFor();
  assert.equal(await d.locator('[data-field="encrypt-status"]').getAttribute('data-status'), 'missing');
  assert.deepEqual(w.blocked, []);
});
