// manifest.xml: schema-valid against the Office add-in-only manifest schemas (xmllint; the 2019
// schemas do not know Runtimes and LaunchEvent, so those are checked with XPath and the rest of
// the manifest is validated without them), plus the checks an XSD cannot make (every resid names
// a resource; every URL is a page the build makes; every URL is https in a production build).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, sharedFile } from '../shared.mjs';
import { manifestUrls, productionManifest } from '../../scripts/manifest.mjs';

const MANIFEST = path.join(ROOT, 'manifest.xml');
const xml = fs.readFileSync(MANIFEST, 'utf8');

function xmllint(args) {
  return spawnSync('xmllint', args, { encoding: 'utf8' });
}

test('validates against OfficeAppManifestV1_1.xsd (office-schemas in the shared folder)', (t) => {
  const xsd = sharedFile(t, 'office-schemas/OfficeAppManifestV1_1.xsd');
  if (!xsd) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-manifest-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // The whole manifest does not validate against the 2019 schema only because of the newer elements.
  const full = xmllint(['--noout', '--nonet', '--schema', xsd, MANIFEST]);
  assert.equal(full.error, undefined, 'xmllint runs (Debian package libxml2-utils)');
  const older = withoutNewerElements(xml);
  assert.notEqual(older, xml);
  const copy = path.join(dir, 'manifest-2019.xml');
  fs.writeFileSync(copy, older);
  const r = xmllint(['--noout', '--nonet', '--schema', xsd, copy]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /validates/);

  // The same schema rejects an unknown permission level, a missing Id and a bad action: the check has teeth.
  const broken = path.join(dir, 'manifest.xml');
  for (const mutated of [
    older.replace('<Permissions>ReadWriteItem</Permissions>', '<Permissions>ReadEverything</Permissions>'),
    older.replace(/<Id>[^<]*<\/Id>/, ''),
    older.replace('xsi:type="ExecuteFunction"', 'xsi:type="RunSomething"'),
  ]) {
    assert.notEqual(mutated, xml);
    fs.writeFileSync(broken, mutated);
    assert.notEqual(xmllint(['--noout', '--nonet', '--schema', xsd, broken]).status, 0);
  }
});

/** The manifest without the elements the 2019 schemas do not know (Runtimes, LaunchEvent, SupportsPinning). */
function withoutNewerElements(text) {
  return text
    .replace(/\s*<!--(?:(?!-->)[\s\S])*-->(?=\s*<SupportsPinning>)/g, '')
    .replace(/\s*<SupportsPinning>true<\/SupportsPinning>/g, '')
    .replace(/\s*<!--(?:(?!-->)[\s\S])*-->(?=\s*<Runtimes>)/g, '')
    .replace(/\s*<Runtimes>[\s\S]*?<\/Runtimes>/g, '')
    .replace(/\s*<ExtensionPoint xsi:type="LaunchEvent">[\s\S]*?<\/ExtensionPoint>/g, '');
}

/** Evaluate an XPath 1.0 expression on the manifest (xmllint --xpath); returns its text output. */
function xpath(expr, file = MANIFEST) {
  const r = xmllint(['--nonet', '--xpath', expr, file]);
  assert.equal(r.error, undefined, 'xmllint runs (Debian package libxml2-utils)');
  return r.status === 0 ? r.stdout.trim() : '';
}

const V11 = "//*[local-name()='VersionOverrides' and @*[local-name()='type']='VersionOverridesV1_1']";
const el = (name) => `*[local-name()='${name}']`;

test('launch event: OnMessageSend in SoftBlock mode, runtimes, handler defined in the code', () => {
  const host = `${V11}/${el('Hosts')}/${el('Host')}`;
  assert.equal(xpath(`count(${host}/${el('Runtimes')}/${el('Runtime')})`), '1');
  assert.equal(xpath(`string(${host}/${el('Runtimes')}/${el('Runtime')}/@resid)`), 'WebViewRuntime.Url');
  assert.equal(xpath(`string(${host}/${el('Runtimes')}/${el('Runtime')}/${el('Override')}[@type='javascript']/@resid)`), 'JSRuntime.Url');
  const le = `${host}/${el('DesktopFormFactor')}/${el('ExtensionPoint')}[@*[local-name()='type']='LaunchEvent']`;
  assert.equal(xpath(`count(${le}/${el('LaunchEvents')}/${el('LaunchEvent')})`), '1');
  assert.equal(xpath(`string(${le}/${el('LaunchEvents')}/${el('LaunchEvent')}/@Type)`), 'OnMessageSend');
  assert.equal(xpath(`string(${le}/${el('LaunchEvents')}/${el('LaunchEvent')}/@SendMode)`), 'SoftBlock');
  assert.equal(xpath(`string(${le}/${el('SourceLocation')}/@resid)`), 'WebViewRuntime.Url');
  // No launch event in the 1.0 block (clients reading it would reject the manifest).
  assert.equal(xpath(`count(//*[local-name()='VersionOverrides' and @*[local-name()='type']='VersionOverridesV1_0']/${el('Hosts')}//${el('LaunchEvent')})`), '0');
  // Every function name in the manifest is registered by the function file's code.
  const code = fs.readFileSync(path.join(ROOT, 'addin', 'src', 'hosts', 'office-choice.ts'), 'utf8');
  const names = new Set([...xml.matchAll(/FunctionName(?:="|>)([A-Za-z0-9_]+)/g)].map((m) => m[1]));
  assert.deepEqual([...names].sort(), ['cachetToggleEncrypt', 'cachetToggleSign', 'onMessageSendHandler']);
  for (const n of names) assert.match(code, new RegExp(`associate\\('${n}'`), `${n} is associated in office-choice.ts`);
  // The send alert opens the compose pane button, which exists.
  assert.match(code, /COMPOSE_PANE_COMMAND = 'Cachet\.ComposeButton'/);
  assert.match(xml, /<Control xsi:type="Button" id="Cachet\.ComposeButton">/);
});

test('compose surface: Sign and Encrypt commands and the Cachet pane; read surface: its pane', () => {
  const compose = "//*[local-name()='ExtensionPoint' and @*[local-name()='type']='MessageComposeCommandSurface']//*[local-name()='Control']";
  for (const block of ['VersionOverridesV1_0', 'VersionOverridesV1_1']) {
    const root = `//*[local-name()='VersionOverrides' and @*[local-name()='type']='${block}']/${el('Hosts')}`;
    assert.equal(xpath(`count(${root}${compose})`), '3', block);
    const ids = ['Cachet.SignButton', 'Cachet.EncryptButton', 'Cachet.ComposeButton'];
    for (const id of ids) assert.equal(xpath(`count(${root}${compose}[@id='${id}'])`), '1', `${block} ${id}`);
    for (const size of ['16', '32', '80']) assert.equal(xpath(`count(${root}//${el('Control')}/${el('Icon')}/${el('Image')}[@size='${size}'])`), '4', `${block} icon ${size}`);
  }
});

test('the read pane can be pinned (VersionOverrides 1.1 only, right after its SourceLocation); the compose pane cannot', () => {
  const action = (surface) => `${V11}/${el('Hosts')}//${el('ExtensionPoint')}[@*[local-name()='type']='${surface}']//${el('Action')}[@*[local-name()='type']='ShowTaskpane']`;
  assert.equal(xpath(`string(${action('MessageReadCommandSurface')}/${el('SupportsPinning')})`), 'true');
  assert.equal(xpath(`local-name(${action('MessageReadCommandSurface')}/${el('SourceLocation')}/following-sibling::*[1])`), 'SupportsPinning');
  assert.equal(xpath(`count(${action('MessageComposeCommandSurface')}/${el('SupportsPinning')})`), '0');
  assert.equal(xpath(`count(//*[local-name()='VersionOverrides' and @*[local-name()='type']='VersionOverridesV1_0']/${el('Hosts')}//${el('SupportsPinning')})`), '0', 'VersionOverrides 1.0 does not allow it');
  assert.equal(xpath(`count(//${el('SupportsPinning')})`), '1');
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
  const urls = manifestUrls(xml);
  const dist = path.join(ROOT, 'dist');
  assert.ok(urls.some((u) => u.endsWith('/launchevent.js')));
  for (const u of urls) {
    assert.ok(u.startsWith('https://localhost:3000'), `${u} uses the dev origin`);
    const p = new URL(u).pathname;
    if (p === '/') continue;
    const built = fs.existsSync(path.join(dist, p));
    const source = fs.existsSync(path.join(ROOT, 'addin', p)) || /^\/assets\/icon-(16|32|64|80|128)\.png$/.test(p)
      // Built by scripts/build.mjs (buildLaunchEvent) from addin/src/pages/launchevent.ts.
      || (p === '/launchevent.js' && fs.existsSync(path.join(ROOT, 'addin', 'src', 'pages', 'launchevent.ts')));
    assert.ok(built || source, `${p} exists in the add-in`);
  }
});

test('a production build names only https URLs on the deployment origin', () => {
  const prod = productionManifest(xml, 'https://cachet.example.org');
  const urls = manifestUrls(prod);
  assert.ok(urls.length >= 8);
  for (const u of urls) {
    assert.equal(new URL(u).protocol, 'https:', u);
    assert.equal(new URL(u).origin, 'https://cachet.example.org', u);
  }
  assert.doesNotMatch(prod, /localhost/);
  for (const bad of ['http://cachet.example.org', 'https://cachet.example.org/sub', 'file:///x', 'cachet.example.org']) {
    assert.throws(() => productionManifest(xml, bad), /https origin|not a URL/, bad);
  }
  // The dev manifest itself is https too, and the build writes the production one into dist/.
  for (const u of manifestUrls(xml)) assert.equal(new URL(u).protocol, 'https:', u);
  assert.match(fs.readFileSync(path.join(ROOT, 'scripts', 'build.mjs'), 'utf8'), /productionManifest\(xml, process\.env\.CACHET_ORIGIN/);
});
