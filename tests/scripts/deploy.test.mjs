// scripts/deploy.mjs: one build deployed for a tenant without rebuilding: the manifest for the
// admin's https origin, the run-time configuration (cachet-config.json) the task pane reads
// (checked by the pane's own parser), and the headers each page is served with.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { deployment, PAGES } from '../../scripts/deploy.mjs';
import { DEV_ORIGIN, manifestUrls } from '../../scripts/manifest.mjs';
import { csp } from '../../scripts/serve.mjs';
import { ROOT } from '../shared.mjs';
import { importTs } from '../ts.mjs';

const xml = fs.readFileSync(path.join(ROOT, 'manifest.xml'), 'utf8');
const ID = '0a1b2c3d-0000-4000-8000-00000000abcd';

test('the manifest names only the admin’s origin; the configuration is what the pane accepts; the headers are the dev server’s', async () => {
  const files = deployment({ origin: 'https://cachet.contoso.com', clientId: ID.toUpperCase(), tenant: 'contoso.com', manifestXml: xml });
  const urls = manifestUrls(files['manifest.xml']).filter((u) => !u.startsWith('https://login.') && !u.startsWith('https://appsforoffice.'));
  assert.ok(urls.length > 5);
  for (const u of urls) assert.ok(u.startsWith('https://cachet.contoso.com'), u);
  assert.ok(!files['manifest.xml'].includes(DEV_ORIGIN));
  const { parseConfig } = await importTs('addin/src/hosts/office-graph.ts');
  assert.deepEqual(parseConfig(files['cachet-config.json']), { config: { clientId: ID, tenant: 'contoso.com' }, problem: null });
  for (const p of PAGES) assert.ok(files['headers.txt'].includes(`${p}\n  Content-Security-Policy: ${csp(p)}\n`), p);
  assert.throws(() => deployment({ origin: 'http://cachet.contoso.com', clientId: ID, manifestXml: xml }), /https origin/);
  assert.throws(() => deployment({ origin: 'https://cachet.contoso.com', clientId: 'my-app', manifestXml: xml }), /client-id/);
  assert.throws(() => deployment({ origin: 'https://a.example', clientId: ID, manifestXml: files['manifest.xml'] }), /already made for another origin/);
});

test('the command writes the three files', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-deploy-'));
  try {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'deploy.mjs'), '--origin', 'https://cachet.contoso.com', '--client-id', ID, '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(out).sort(), ['cachet-config.json', 'headers.txt', 'manifest.xml']);
    const bad = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'deploy.mjs'), '--origin', 'https://cachet.contoso.com'], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /usage: node scripts\/deploy\.mjs --origin/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
