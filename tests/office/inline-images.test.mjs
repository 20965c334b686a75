// addin/src/ui/inline-images.ts: an HTML message's cid: pictures become data: URLs of the
// message's own parts (decoded by the core, Wasm under Node); nothing else is touched.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { ROOT } from '../shared.mjs';
import { importTs } from '../ts.mjs';

let ii, core;
before(async () => {
  ii = await importTs('addin/src/ui/inline-images.ts');
  const pkg = path.join(ROOT, 'addin', 'pkg');
  core = await import(path.join(pkg, 'cachet.js'));
  core.initSync({ module: fs.readFileSync(path.join(pkg, 'cachet_bg.wasm')) });
});

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cf00000101010018dd8db40000000049454e44ae426082', 'hex');

test('the pictures an HTML part refers to come from the message; other references are left as they are', async () => {
  const mime = [
    'Content-Type: multipart/related; type="text/html"; boundary=r', '',
    '--r', 'Content-Type: text/html', '', '<img src="cid:pic%40x"><img src="cid:gone@x"><img src="https://tracker.example/p.png"><img src=cid:svg@x>',
    '--r', 'Content-Type: image/png', 'Content-ID: <pic@x>', 'Content-Transfer-Encoding: base64', '', PNG.toString('base64'),
    '--r', 'Content-Type: image/svg+xml', 'Content-ID: <svg@x>', '', '<svg xmlns="http://www.w3.org/2000/svg"/>',
    '--r', 'Content-Type: image/png', 'Content-ID: <unused@x>', 'Content-Transfer-Encoding: base64', '', PNG.toString('base64'),
    '--r--', '',
  ].join('\r\n');
  const bytes = new Uint8Array(Buffer.from(mime));
  const view = core.viewMessage(bytes);
  assert.deepEqual([...ii.referencedIds(view)].sort(), ['gone@x', 'pic@x', 'svg@x']);
  // The shell's CoreClient, answered by the Wasm core.
  const client = { call: async (method, params) => (method === 'partBytes' ? core.partBytes(params.bytes, params.path) : assert.fail(method)) };
  const images = await ii.inlineImages(client, bytes, view);
  assert.deepEqual([...images.keys()], ['pic@x'], 'only referenced raster pictures (no SVG, not the unused one)');
  const html = ii.withInlineImages(view.parts[0].text, images);
  assert.equal(html, `<img src="data:image/png;base64,${PNG.toString('base64')}"><img src="cid:gone@x"><img src="https://tracker.example/p.png"><img src=cid:svg@x>`);
  assert.equal(ii.withInlineImages('<p>cid:pic@x</p>', new Map()), '<p>cid:pic@x</p>');
});
