// addin/src/ui/theme.ts: Outlook's light or dark theme chosen from Office.context.officeTheme,
// and Fluent's tokens (@fluentui/tokens) set as CSS custom properties for it.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { importTs } from '../ts.mjs';

let theme;
before(async () => {
  theme = await importTs('addin/src/ui/theme.ts');
});

test('dark or light from Outlook’s body background', () => {
  assert.equal(theme.isDark('#292929'), true);
  assert.equal(theme.isDark('#1F1F1F'), true);
  assert.equal(theme.isDark('#fff'), false);
  assert.equal(theme.isDark('#f5f5f5'), false);
  assert.equal(theme.isDark('#a0a0a0'), false, 'a light grey: black text contrasts more');
  assert.equal(theme.isDark('#505050'), true, 'a dark grey: white text contrasts more');
  assert.equal(theme.isDark('rgb(0,0,0)'), null);
  const office = (bodyBackgroundColor) => ({ context: { mailbox: {}, officeTheme: { bodyBackgroundColor } } });
  assert.equal(theme.officeScheme(office('#292929')), 'dark');
  assert.equal(theme.officeScheme(office('#ffffff')), 'light');
  assert.equal(theme.officeScheme(office('transparent')), null, 'Outlook does not say: the system decides');
  assert.equal(theme.officeScheme({ context: { mailbox: {} } }), null);
  assert.equal(theme.officeScheme(undefined), null);
});

test('the Fluent tokens of the scheme become custom properties on the root, and follow Outlook’s theme changes', () => {
  const props = new Map();
  const root = { style: { setProperty: (k, v) => props.set(k, v) }, dataset: {} };
  theme.applyTheme('dark', root);
  assert.equal(props.get('--colorNeutralBackground1'), '#292929');
  assert.equal(props.get('--colorNeutralForeground1'), '#ffffff');
  assert.equal(props.get('color-scheme'), 'dark');
  assert.equal(root.dataset.theme, 'dark');
  assert.ok(props.size > 400, 'every token of the theme');
  theme.applyTheme('light', root);
  assert.equal(props.get('--colorNeutralBackground1'), '#ffffff');
  assert.equal(props.get('--colorBrandBackground'), '#0f6cbd');
});
