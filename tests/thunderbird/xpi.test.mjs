// The packed extension (dist/cachet-thunderbird.xpi) installs for good in Thunderbird 153, as
// through Add-ons Manager › Install Add-on From File (Thunderbird does not require add-ons to
// be signed), and its event page starts with the S/MIME engine. Thunderbird is killed by its
// PID and its profile deleted afterwards.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { THUNDERBIRD_XPI } from '../../scripts/build.mjs';
import { launchThunderbird } from './marionette.mjs';
import { EXTENSION_ID, thunderbirdMissing } from './world.mjs';

const missing = thunderbirdMissing();

test('the .xpi installs permanently and its background loads the core', { skip: missing === null ? false : `skipped: ${missing}` }, async () => {
  assert.ok(fs.existsSync(THUNDERBIRD_XPI), 'the .xpi is built (npm test builds it first)');
  const tb = await launchThunderbird();
  try {
    const installed = await tb.m.send('Addon:Install', { path: THUNDERBIRD_XPI, temporary: false });
    assert.equal(installed.value, EXTENSION_ID);
    const r = await tb.m.chromeAsync(`
      const { AddonManager } = ChromeUtils.importESModule("resource://gre/modules/AddonManager.sys.mjs");
      const addon = await AddonManager.getAddonByID(${JSON.stringify(EXTENSION_ID)});
      const { ExtensionParent } = ChromeUtils.importESModule("resource://gre/modules/ExtensionParent.sys.mjs");
      const ext = ExtensionParent.GlobalManager.getExtension(${JSON.stringify(EXTENSION_ID)});
      const end = Date.now() + 20000;
      let version = null;
      while (!version && Date.now() < end) {
        try {
          const actor = ext.backgroundContext.xulBrowser.browsingContext.currentWindowGlobal.getActor("MarionetteCommands");
          version = await actor.executeScript("return window.cachet.core.version();", [], { sandboxName: null, wrapReflow: false, line: 0, filename: "xpi-test" });
        } catch (e) {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      return { active: addon.isActive, temporary: addon.temporarilyInstalled, version: addon.version, core: version };
    `);
    assert.equal(r.active, true);
    assert.equal(r.temporary, false);
    assert.equal(r.version, JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
    assert.match(r.core ?? '', /^\d+\.\d+\.\d+/, 'the event page runs the Wasm core');
  } finally {
    await tb.stop();
  }
});
