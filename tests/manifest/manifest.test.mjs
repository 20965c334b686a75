// manifest.xml: schema-valid against the Office add-in-only manifest schemas (xmllint), plus the
// checks an XSD cannot make (every resid names a resource; every URL is a page the build makes).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, sharedFile } from '../shared.mjs';

const MANIFEST = path.join(ROOT, 'manifest.xml');
const xml = fs.readFileSync(MANIFEST, 'utf8');

function xmllint(args) {
  return spawnSync('xmllint', args, { encoding: 'utf8' });
}

test('validates against OfficeAppManifestV1_1.xsd (office-schemas in the shared folder)', (t) => {
  const xsd = sharedFile(t, 'office-schemas/OfficeAppManifestV1_1.xsd');
  if (!xsd) return;
  const r = xmllint(['--noout', '--nonet', '--schema', xsd, MANIFEST]);
  assert.equal(r.error, undefined, 'xmllint runs (Debian package libxml2-utils)');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /validates/);

  // The same schema rejects an unknown permission level and a missing Id: the check has teeth.
  const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-manifest-')), 'manifest.xml');
  t.after(() => fs.rmSync(path.dirname(broken), { recursive: true, force: true }));
  for (const mutated of [
    xml.replace('<Permissions>ReadWriteItem</Permissions>', '<Permissions>ReadEverything</Permissions>'),
    xml.replace(/<Id>[^<]*<\/Id>/, ''),
  ]) {
    assert.notEqual(mutated, xml);
    fs.writeFileSync(broken, mutated);
    assert.notEqual(xmllint(['--noout', '--nonet', '--schema', xsd, broken]).status, 0);
  }
});

test('every resid names a resource of the same VersionOverrides', () => {
  // The V1_1 block is nested inside V1_0: check each block on its own.
  const inner = xml.match(/<VersionOverrides[^>]*VersionOverridesV1_1[\s\S]*?<\/VersionOverrides>/)?.[0];
  assert.ok(inner, 'a VersionOverridesV1_1 block');
  const outer = xml.replace(inner, '');
  for (const [name, block] of [['V1_0', outer], ['V1_1', inner]]) {
    const resources = block.match(/<Resources>[\s\S]*<\/Resources>/)?.[0] ?? '';
    const ids = new Set([...resources.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
    const refs = [...block.matchAll(/resid="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(refs.length >= 10, `${name} uses its resources`);
    for (const r of refs) assert.ok(ids.has(r), `${name}: resid "${r}" is defined`);
    for (const len of [...resources.matchAll(/<bt:ShortStrings>[\s\S]*?<\/bt:ShortStrings>/g)]) {
      for (const m of len[0].matchAll(/DefaultValue="([^"]*)"/g)) assert.ok(m[1].length <= 125, 'short strings fit');
    }
  }
});

test('buttons, permissions and requirement set are the ones the add-in needs', () => {
  assert.match(xml, /<Permissions>ReadWriteItem<\/Permissions>/);
  assert.match(xml, /<Set Name="Mailbox" MinVersion="1\.14"\/>/);
  assert.match(xml, /id="ReadButton\.Label" DefaultValue="Signature &amp; decryption"/);
  assert.match(xml, /id="ComposeButton\.Label" DefaultValue="Cachet"/);
  assert.match(xml, /xsi:type="MessageReadCommandSurface"/);
  assert.match(xml, /xsi:type="MessageComposeCommandSurface"/);
  assert.match(xml, /<FunctionFile resid="Commands\.Url"\/>/);
});

test('every URL is https://localhost:3000 and names a page or icon the build produces', () => {
  const urls = new Set([...xml.matchAll(/"(https?:\/\/[^"]+)"|<AppDomain>([^<]+)</g)].map((m) => m[1] ?? m[2]));
  const schemaNs = /^http:\/\/schemas\.microsoft\.com\/|^http:\/\/www\.w3\.org\//;
  const dist = path.join(ROOT, 'dist');
  for (const u of urls) {
    if (schemaNs.test(u)) continue;
    assert.ok(u.startsWith('https://localhost:3000'), `${u} uses the dev origin`);
    const p = new URL(u).pathname;
    if (p === '/') continue;
    const built = fs.existsSync(path.join(dist, p));
    const source = fs.existsSync(path.join(ROOT, 'addin', p)) || /^\/assets\/icon-(16|32|64|80|128)\.png$/.test(p);
    assert.ok(built || source, `${p} exists in the add-in`);
  }
});
