// `npm test` and `npm start` on a fresh clone: their scripts run before `npm ci` has installed
// any package, so nothing they import statically (following relative imports) may be an npm
// package; packages are loaded with a dynamic import() once set-up has run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../shared.mjs';

/** Every module reachable from `entry` through static relative imports, and their bare imports. */
function reach(entry) {
  const seen = new Set();
  const bare = [];
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gm)) {
      const spec = m[1];
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else if (!spec.startsWith('node:')) bare.push(`${path.relative(ROOT, file)}: ${spec}`);
    }
  };
  visit(entry);
  return { seen, bare };
}

for (const entry of ['scripts/test.mjs', 'scripts/start.mjs']) {
  test(`${entry} imports no npm package before set-up`, () => {
    const { seen, bare } = reach(path.join(ROOT, entry));
    assert.ok(seen.size > 3, `followed the imports of ${entry}`);
    assert.deepEqual(bare, []);
  });
}
