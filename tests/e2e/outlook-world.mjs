// What the Outlook end-to-end files share: the fake Office.js (tests/office/fake-office.mjs,
// bundled for the page) served in place of Microsoft's, and Chromium contexts that reach
// nothing but the dev server.
import { build } from 'esbuild';
import path from 'node:path';
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

/** In `ctx`, serve `officeJs` for Office.js and abort every request that would leave the machine, noting it in `blocked`. */
export async function localOnly(ctx, officeJs, blocked) {
  await ctx.route('**/*', (route) => {
    const url = route.request().url();
    if (url === OFFICE_JS) return route.fulfill({ status: 200, contentType: 'text/javascript', body: officeJs });
    const u = new URL(url);
    if (['127.0.0.1', 'localhost'].includes(u.hostname) || u.protocol === 'data:' || u.protocol === 'blob:') return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
}
