// The dev server: content types (application/wasm), the CSP that allows WebAssembly, caching
// (validators, content-named assets kept), no path traversal, added routes, and HTTPS with the
// generated localhost certificate.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createDevServer, csp, devCertificate, listen } from '../../scripts/serve.mjs';
import { metaCsp } from '../../scripts/csp.mjs';

let root, server, base;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-serve-'));
  fs.mkdirSync(path.join(root, 'assets'));
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>t</title>');
  fs.writeFileSync(path.join(root, 'taskpane.html'), '<!doctype html><title>t</title>');
  fs.writeFileSync(path.join(root, 'assets', 'core.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  fs.writeFileSync(path.join(root, 'assets', 'app.js'), 'export {};\n');
  fs.writeFileSync(path.join(root, 'assets', 'app-Bx6o7_u0.js'), 'export {};\n');
  fs.writeFileSync(path.join(path.dirname(root), 'cachet-serve-secret.txt'), 'TOP-SECRET-CONTENT');
  const routes = [{ method: 'GET', path: /^\/api\/echo\/(\w+)$/, handle: (req, res, m) => res.end(m[1]) }];
  server = createDevServer({ root, routes });
  base = await listen(server, { port: 0 });
});

after(() => {
  server.close();
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(path.join(path.dirname(root), 'cachet-serve-secret.txt'), { force: true });
});

test('serves pages with a CSP that allows WebAssembly and nothing remote', async () => {
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  const r = await fetch(`${base}/`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
  const policy = r.headers.get('content-security-policy');
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.doesNotMatch(policy, /https:|'unsafe-inline'|'unsafe-eval'/);
  // Images from the page itself and data: URLs only (an HTML message's own pictures), never from the network.
  assert.match(policy, /(^|; )img-src 'self' data:(;|$)/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  // The header adds what a meta tag cannot carry: the standalone page may not be framed at all.
  assert.match(policy, /(^|; )frame-ancestors 'none'(;|$)/);
  for (const d of ["object-src 'none'", "base-uri 'none'", "frame-src 'none'", "form-action 'none'"]) assert.ok(policy.split('; ').includes(d), d);
});

test('the header policy is the built pages\' meta policy plus frame-ancestors', async () => {
  for (const page of ['/index.html', '/taskpane.html', '/commands.html', '/dialog.html']) {
    const header = csp(page);
    assert.equal(header.replace(/; frame-ancestors [^;]+$/, ''), metaCsp(page), page);
    assert.match(header, /; frame-ancestors [^;]+$/, page);
  }
  // Outlook frames the Office pages; nothing else may.
  assert.match(csp('/taskpane.html'), /frame-ancestors 'self' https:\/\/outlook\.office\.com/);
  assert.doesNotMatch(csp('/taskpane.html'), /frame-ancestors[^;]*\*/);
});

test('Office pages may load Office.js from Microsoft, and only those pages', async () => {
  const r = await fetch(`${base}/taskpane.html`);
  assert.match(r.headers.get('content-security-policy'), /script-src 'self' 'wasm-unsafe-eval' https:\/\/appsforoffice\.microsoft\.com/);
  assert.doesNotMatch(csp('/index.html'), /appsforoffice/);
});

test('content types: application/wasm for .wasm, JavaScript for .js', async () => {
  const w = await fetch(`${base}/assets/core.wasm`);
  assert.equal(w.headers.get('content-type'), 'application/wasm');
  assert.deepEqual([...new Uint8Array(await w.arrayBuffer())].slice(0, 4), [0, 0x61, 0x73, 0x6d]);
  const j = await fetch(`${base}/assets/app.js`);
  assert.equal(j.headers.get('content-type'), 'text/javascript; charset=utf-8');
});

test('caching: every file has a validator and is answered 304 when unchanged; content-named assets are kept, the rest revalidated', async () => {
  const page = await fetch(`${base}/index.html`);
  const tag = page.headers.get('etag');
  assert.match(tag ?? '', /^W\/"[0-9a-f]+-[0-9a-f]+"$/);
  assert.equal(page.headers.get('cache-control'), 'no-cache');
  const again = await fetch(`${base}/index.html`, { headers: { 'If-None-Match': tag } });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), '');
  assert.equal(again.headers.get('content-security-policy'), page.headers.get('content-security-policy'));
  assert.equal((await fetch(`${base}/index.html`, { headers: { 'If-None-Match': 'W/"0-0"' } })).status, 200);
  // A changed file has another validator: the old one gets the new bytes.
  const file = path.join(root, 'taskpane.html');
  const before = await fetch(`${base}/taskpane.html`);
  fs.writeFileSync(file, '<!doctype html><title>changed</title>');
  const changed = await fetch(`${base}/taskpane.html`, { headers: { 'If-None-Match': before.headers.get('etag') } });
  assert.equal(changed.status, 200);
  assert.match(await changed.text(), /changed/);
  // Vite's content-named build outputs (name-HASH.ext) may be kept; a plain name is revalidated.
  assert.equal((await fetch(`${base}/assets/app-Bx6o7_u0.js`)).headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal((await fetch(`${base}/assets/app.js`)).headers.get('cache-control'), 'no-cache');
  assert.equal((await fetch(`${base}/assets/core.wasm`)).headers.get('cache-control'), 'no-cache');
  assert.equal((await fetch(`${base}/assets/`)).status, 404, 'a folder is not a file');
});

/** GET with the path sent exactly as given (fetch would normalise ".."). */
function rawGet(p) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    http.get({ hostname, port, path: p }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode, body: b }));
    }).on('error', reject);
  });
}

test('no file outside the served folder, 404 for missing files, 405 for POST', async () => {
  for (const p of ['/../cachet-serve-secret.txt', '/assets/../../cachet-serve-secret.txt', '/%2e%2e/cachet-serve-secret.txt', '/..%2fcachet-serve-secret.txt']) {
    const r = await rawGet(p);
    assert.ok([403, 404].includes(r.status), `raw ${p} gave ${r.status}`);
    assert.doesNotMatch(r.body, /TOP-SECRET-CONTENT/);
  }
  for (const p of ['/../cachet-serve-secret.txt', '/%2e%2e/cachet-serve-secret.txt', '/assets/%2e%2e/%2e%2e/cachet-serve-secret.txt']) {
    const r = await fetch(`${base}${p}`);
    assert.ok([403, 404].includes(r.status), `${p} gave ${r.status}`);
    assert.doesNotMatch(await r.text(), /TOP-SECRET-CONTENT/);
  }
  assert.equal((await fetch(`${base}/nope.html`)).status, 404);
  assert.equal((await fetch(`${base}/index.html`, { method: 'POST' })).status, 405);
});

test('added routes answer before static files', async () => {
  assert.equal(await (await fetch(`${base}/api/echo/hello`)).text(), 'hello');
});

test('HTTPS with a generated localhost certificate', async (t) => {
  const tls = devCertificate();
  const s = createDevServer({ root, tls });
  const url = await listen(s, { port: 0 });
  t.after(() => s.close());
  assert.match(url, /^https:\/\/localhost:\d+$/);
  const port = new URL(url).port;
  const body = await new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', servername: 'localhost', port, path: '/', ca: tls.cert }, (res) => {
      const cert = res.socket.getPeerCertificate();
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode, b, cert }));
    }).on('error', reject);
  });
  assert.equal(body.status, 200);
  assert.match(body.cert.subjectaltname, /DNS:localhost/);
});
