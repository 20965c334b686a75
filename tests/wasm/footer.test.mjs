// The signed footer through the Wasm build (issue 19): `composeMessage` with `footer` writes it
// at the end of the text and, escaped, of the HTML; a footer over 16 KiB is `limit-exceeded`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { ROOT } from '../shared.mjs';

const PKG = path.join(ROOT, 'addin', 'pkg');
let core;

before(async () => {
  core = await import(path.join(PKG, 'cachet.js'));
  core.initSync({ module: fs.readFileSync(path.join(PKG, 'cachet_bg.wasm')) });
});

const draft = { from: 'alice@example.org', to: ['bob@example.net'], subject: 's', text: 'Hello', html: '<p>Hello</p>', date: 'Sat, 5 Dec 2026 10:00:00 +0000' };
const qp = (t) => t.replace(/=\r\n/g, '').replace(/=3D/g, '=').replace(/=20/g, ' ');

test('the footer ends the text and the HTML of the composed message', () => {
  const out = qp(new TextDecoder().decode(core.composeMessage({ ...draft, footer: 'Example <Ltd>\nLondon' })));
  assert.match(out, /Hello\r\n\r\n-- \r\nExample <Ltd>\r\nLondon\r\n/);
  assert.match(out, /<p>Hello<\/p><div class="cachet-footer"[^>]*>-- <br>\r\nExample &lt;Ltd&gt;<br>\r\nLondon<\/div>/);
  // Without a footer, nothing is added.
  assert.doesNotMatch(new TextDecoder().decode(core.composeMessage(draft)), /cachet-footer|-- /);
});

test('a footer over 16 KiB is refused with limit-exceeded', () => {
  const err = (() => {
    try {
      core.composeMessage({ ...draft, footer: 'x'.repeat(16 * 1024 + 1) });
    } catch (e) {
      return e;
    }
    return assert.fail('accepted');
  })();
  assert.equal(err.code, 'limit-exceeded');
  assert.match(err.detail, /limit 16384/);
});
