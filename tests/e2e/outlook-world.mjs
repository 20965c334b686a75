// What the Outlook end-to-end files share: the fake Office.js (tests/office/fake-office.mjs,
// bundled for the page) served in place of Microsoft's, and a Chromium whose contexts reach
// nothing but the dev server.
import { build } from 'esbuild';
import path from 'node:path';
import { LOOPBACK_ONLY, launchBrowser, noteLeaving } from '../../scripts/lib/chromium.mjs';
import { ROOT } from '../shared.mjs';

export const OFFICE_JS = 'https://appsforoffice.microsoft.com/lib/1/hosted/office.js';

/**
 * The fake Office.js as one script. The page sets `window.__fakeOffice = {mode, ...options}`
 * (an init script) before it loads; without it, Alice is composing.
 */
export async function fakeOfficeScript() {
  const bundled = await build({ entryPoints: [path.join(ROOT, 'tests', 'office', 'fake-office.mjs')], bundle: true, format: 'iife', globalName: 'FakeOffice', write: false, logLevel: 'error' });
  return `${bundled.outputFiles[0].text}
    (function () {
      var c = window.__fakeOffice || { mode: 'compose', user: { name: 'Alice', address: 'alice@example.org' } };
      var made = c.mode === 'read' ? FakeOffice.readOffice(c) : FakeOffice.composeOffice(c);
      window.Office = made.office;
      window.__fake = made;
    })();`;
}

/**
 * A chromium that refuses every non-loopback request (LOOPBACK_ONLY) except Office.js, answered
 * with `officeJs` through the browser's own request interception (DevTools Fetch on the browser
 * target) for that one URL only: every other request goes its normal way, not through node.
 */
export async function outlookBrowser(officeJs) {
  const browser = await launchBrowser({ timeout: 60_000, args: LOOPBACK_ONLY });
  const cdp = await browser.newBrowserCDPSession();
  const body = Buffer.from(officeJs).toString('base64');
  cdp.on('Fetch.requestPaused', ({ requestId }) => {
    cdp.send('Fetch.fulfillRequest', { requestId, responseCode: 200, responseHeaders: [{ name: 'Content-Type', value: 'text/javascript' }], body })
      .catch(() => {}); // the page went away meanwhile
  });
  await cdp.send('Fetch.enable', { patterns: [{ urlPattern: OFFICE_JS, requestStage: 'Request' }] });
  return browser;
}

/** Note in `blocked` every request of `ctx` that would leave the machine (chromium refuses them; Office.js is answered inside it). */
export function localOnly(ctx, blocked) {
  noteLeaving(ctx, blocked, { served: [OFFICE_JS] });
}
