// End to end in chromium (issue 19) in the Outlook task pane with a fake Office.js (as
// outlook.test.mjs) over the dev mailbox as Graph: Alice's footer inside the signature of an HTML
// message sent from Outlook's compose window (openssl verifies it); the expiry reminder in the
// item's notification bar with the page's clock set by the test; a key-exchange request from the
// troubleshooter, ready (with a notification) once Carol's signed reply is opened in the pane.
// Screenshots go to test-results/outlook-keeping-*.jpg.
// Run by outlook.test.mjs in its process and chromium (one browser start for every Outlook
// file); alone: node --test tests/e2e/outlook-keeping.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { devMailRoutes } from '../../scripts/devmail.mjs';
import { ensureDemo, issueIdentity } from '../../scripts/demo.mjs';
import { ROOT, openssl } from '../shared.mjs';
import { axeViolations, outlookStage, outlookTab, tab, unlock } from './outlook-world.mjs';
import { PASSPHRASE, shoot } from './world.mjs';

const TIMEOUT = 30_000;
const DAY = 86_400_000;

let stage, baseUrl, mailRoot, demo, ctx;
const blocked = [];

before(async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'taskpane.html')), 'dist/ is built (npm test builds it first)');
  mailRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-e2e-keeping-'));
  demo = ensureDemo(mailRoot, { keptKeys: true });
  stage = await outlookStage(devMailRoutes({ root: mailRoot }), blocked);
  baseUrl = stage.baseUrl;
  // One Outlook client for Alice (a chromium context: her IndexedDB).
  ctx = await stage.client();
});

after(async () => {
  await stage?.close();
  if (mailRoot) fs.rmSync(mailRoot, { recursive: true, force: true });
});

/** The task pane with the fake Office configured by `config`; `at` fixes the clock (Playwright's clock is the whole context's). */
async function taskpane(config, at) {
  // Playwright's fake clock tries to run its script in the sandboxed content frame too, which
  // the sandbox (rightly) blocks: that console line is the clock's, not Cachet's.
  const clockNoise = (t) => at !== undefined && /^Blocked script execution in 'about:srcdoc'/.test(t);
  const { page, errors } = await outlookTab(ctx, config, { timeout: TIMEOUT, ignore: clockNoise });
  if (at !== undefined) await page.clock.setFixedTime(new Date(at));
  await page.goto(`${baseUrl}/taskpane.html?graph=dev`);
  await page.locator('#core-version').filter({ hasText: 'S/MIME engine version' }).waitFor();
  return { page, errors };
}

const shot = (page, name) => shoot(page, `outlook-keeping-${name}`);
const qp = (text) => text.replace(/=\r?\n/g, '');
const alice = () => demo.identities.find((i) => i.address === 'alice@example.org');
const user = { name: 'Alice', address: 'alice@example.org' };

function files(address, folder) {
  const d = path.join(mailRoot, address, folder);
  return fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.eml')).sort().map((f) => path.join(d, f)) : [];
}

test('Outlook compose: the footer is inside the signature of an HTML message (openssl verifies it)', async () => {
  const { page, errors } = await taskpane({ mode: 'compose', user, to: [['Bob', 'bob@example.net']], subject: 'HTML with footer', text: 'Hello Bob', html: '<html><body><p>Hello <b>Bob</b></p></body></html>' });
  await tab(page, 'Certificates');
  await page.getByLabel('Certificate file with private key').setInputFiles(alice().p12);
  await page.getByLabel('File password').fill(alice().password);
  await page.getByLabel('Passphrase for this device (at least 8 characters)').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.locator('[data-field="imported"]').waitFor();
  await tab(page, 'Upkeep');
  const form = page.locator('[data-footer="alice@example.org"]');
  await form.getByLabel('Footer for mail from alice@example.org').fill('Example GmbH <legal@example.org>\nBerlin');
  await form.getByRole('button', { name: 'Save footer' }).click();
  await form.locator('[data-field="footer-saved"]').waitFor();
  await tab(page, 'Send securely');
  await page.getByRole('checkbox', { name: 'Sign' }).check();
  await page.getByRole('button', { name: 'Send securely' }).click();
  await page.locator('[data-field="sent"]').waitFor();
  const onDisk = files('bob@example.net', 'inbox').find((f) => fs.readFileSync(f, 'latin1').includes('HTML with footer'));
  assert.ok(onDisk);
  const signed = qp(openssl(['smime', '-verify', '-in', onDisk, '-CAfile', demo.ca]));
  assert.match(signed, /--( |=20)\r?\nExample GmbH <legal@example\.org>\r?\nBerlin/, 'text footer inside the signed content');
  assert.match(signed, /<p>Hello <b>Bob<\/b><\/p><div class=3D"cachet-footer"[^>]*>--( |=20)?<br>\r?\nExample GmbH &lt;legal@example\.org&gt;<br>\r?\nBerlin<\/div>\r?\n<\/body>/, 'HTML footer inside the signed content, before </body>');
  await shot(page, 'compose-sent');
  assert.deepEqual(errors, []);
});

test('Outlook read: the expiry reminder goes to the item notification bar once; a key-exchange request becomes ready with a notification', async () => {
  const oldPem = path.join(mailRoot, 'alice.pem');
  openssl(['pkcs12', '-in', alice().p12, '-passin', `pass:${alice().password}`, '-nokeys', '-clcerts', '-out', oldPem]);
  const notAfter = Date.parse(openssl(['x509', '-in', oldPem, '-noout', '-enddate']).trim().replace('notAfter=', ''));
  const note = (file) => ({ mode: 'read', user, itemId: 'ews:none', file: Buffer.from(fs.readFileSync(file)).toString('base64') });
  const plain = path.join(mailRoot, 'plain.eml');
  fs.writeFileSync(plain, 'From: someone@example.com\r\nSubject: Plain\r\n\r\nhello\r\n');

  // Ten days before the end: the 14-day reminder, in Outlook's notification bar and on top of the pane.
  let { page, errors } = await taskpane(note(plain), notAfter - 10 * DAY);
  const bannerOf = (pg) => pg.locator('[data-field="reminder-banner"] [data-reminder="alice@example.org"]');
  const banner = bannerOf(page);
  await banner.waitFor();
  assert.equal(await banner.getAttribute('data-stage'), '14');
  const notices = await page.evaluate(() => [...window.__fake.notices.entries()]);
  assert.equal(notices.length, 1);
  assert.match(notices[0][0], /^cachet-expiry-/);
  assert.equal(notices[0][1].type, 'informationalMessage');
  assert.match(notices[0][1].message, /^Cachet: Your certificate for alice@example\.org expires in 10 days/);
  assert.ok(notices[0][1].message.length <= 150);
  await shot(page, 'reminder');
  assert.deepEqual(errors, []);
  // Opened again the same day: the banner stays, the notification is not repeated.
  ({ page, errors } = await taskpane(note(plain), notAfter - 10 * DAY + 3_600_000));
  await bannerOf(page).waitFor();
  assert.deepEqual(await page.evaluate(() => [...window.__fake.notices.keys()]), []);

  // Now (real clock): a request to Carol from the troubleshooter, sent through Graph.
  ({ page, errors } = await taskpane(note(plain), Date.now()));
  await tab(page, 'Certificates');
  await page.getByLabel('Certificate file', { exact: true }).setInputFiles(demo.ca);
  await page.getByRole('button', { name: 'Trust as root…' }).click();
  await page.getByRole('button', { name: 'Yes, trust as root' }).click();
  await unlock(page);
  await tab(page, 'Troubleshoot');
  const d = page.locator('[data-problem="cannot-encrypt"]');
  await d.locator('summary').click();
  await d.getByLabel('Their address').fill('carol@example.com');
  await d.getByRole('button', { name: 'Check' }).click();
  await d.getByRole('button', { name: 'Send carol@example.com a request for their certificate' }).click();
  await d.locator('[data-field="request-sent"]').waitFor();
  const request = files('carol@example.com', 'inbox').find((f) => fs.readFileSync(f, 'latin1').includes("Let's exchange certificates"));
  assert.ok(request, 'the request reached Carol');
  assert.match(qp(openssl(['smime', '-verify', '-in', request, '-CAfile', demo.ca])), /reply with a signed message/);
  await tab(page, 'Upkeep');
  assert.equal(await page.locator('[data-exchange="carol@example.com"]').getAttribute('data-state'), 'pending');
  assert.deepEqual(errors, []);

  // Carol replies signed (openssl, with a certificate from the demo CA); Alice opens it in the pane.
  const carolP12 = issueIdentity(demo.dir, { address: 'carol@example.com', name: 'Carol DEMO', password: 'carol-pass', file: 'carol.p12' });
  const carolPem = path.join(mailRoot, 'carol.pem');
  const carolKey = path.join(mailRoot, 'carol.key');
  openssl(['pkcs12', '-in', carolP12, '-passin', 'pass:carol-pass', '-nokeys', '-clcerts', '-out', carolPem]);
  openssl(['pkcs12', '-in', carolP12, '-passin', 'pass:carol-pass', '-nocerts', '-nodes', '-out', carolKey]);
  const body = path.join(mailRoot, 'reply-body.txt');
  fs.writeFileSync(body, 'Content-Type: text/plain\r\n\r\nHere is my certificate.\r\n');
  const reply = path.join(mailRoot, 'reply.eml');
  openssl(['smime', '-sign', '-in', body, '-signer', carolPem, '-inkey', carolKey, '-from', 'carol@example.com', '-to', 'alice@example.org', '-subject', "Re: Let's exchange certificates", '-out', reply]);
  ({ page, errors } = await taskpane(note(reply), Date.now()));
  await page.locator('#status-banner[data-status="valid"]').waitFor();
  await page.locator('[data-field="exchange-ready"]').waitFor({ state: 'attached' });
  assert.match(await page.evaluate(() => window.__fake.notices.get('cachet-exchange')?.message ?? ''), /carol@example\.com replied with a signed message/);
  await tab(page, 'Upkeep');
  assert.equal(await page.locator('[data-exchange="carol@example.com"]').getAttribute('data-state'), 'ready');
  await shot(page, 'exchange-ready');
  // axe-core on the Upkeep tab and on the troubleshooter with every problem open.
  const found = await axeViolations(page);
  await tab(page, 'Troubleshoot');
  for (const s of await page.locator('[data-problem] summary').all()) await s.click();
  found.push(...(await axeViolations(page)));
  await shot(page, 'troubleshooter');
  assert.deepEqual(found, [], 'no serious or critical accessibility violation');
  assert.deepEqual(errors, []);
  assert.deepEqual(blocked, [], 'no request left the machine');
});
