// The summary counts of `npm test`: a Rust test that recorded a skip is counted as skipped.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cargoCounts, tapCounts, withSkips } from '../../scripts/lib/counts.mjs';

test('cargo result lines are summed over every test binary', () => {
  const out = 'test result: ok. 10 passed; 0 failed; 1 ignored; 0 measured\ntest result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured\n';
  assert.deepEqual(cargoCounts(out), { passed: 13, failed: 2, skipped: 1, ran: true });
  assert.equal(cargoCounts('error: could not compile').ran, false);
});

test('tests recorded in the skip log move from passed to skipped', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-counts-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'skips.txt');
  assert.deepEqual(withSkips({ passed: 5, failed: 0, skipped: 1 }, log), { passed: 5, failed: 0, skipped: 1 });
  fs.writeFileSync(log, 'nist_pkits\tthe shared corpus folder is not beside the checkout\npkcs12 corpus\tsame\n');
  assert.deepEqual(withSkips({ passed: 5, failed: 0, skipped: 1 }, log), { passed: 3, failed: 0, skipped: 3 });
});

test('the TAP summary gives passed, failed (cancelled included) and skipped', () => {
  const tap = 'TAP version 13\n# tests 7\n# pass 4\n# fail 1\n# cancelled 1\n# skipped 1\n# todo 0\n';
  assert.deepEqual(tapCounts(tap), { passed: 4, failed: 2, skipped: 1, ran: true });
});
