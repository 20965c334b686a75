// The wrong-passphrase schedule of the Session (addin/src/keyring/session.ts): free attempts,
// then a wait that doubles up to the cap, and how the wait is worded for the user.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importTs } from '../ts.mjs';

const s = await importTs('addin/src/keyring/session.ts');

test('the third wrong passphrase blocks for 10 s, each further one doubles, up to 15 minutes', () => {
  assert.equal(s.blockFor(1), 0);
  assert.equal(s.blockFor(s.FREE_ATTEMPTS - 1), 0);
  assert.equal(s.blockFor(s.FREE_ATTEMPTS), 10_000);
  assert.equal(s.blockFor(s.FREE_ATTEMPTS + 1), 20_000);
  assert.equal(s.blockFor(s.FREE_ATTEMPTS + 6), 640_000);
  assert.equal(s.blockFor(s.FREE_ATTEMPTS + 7), s.MAX_BLOCK_MS);
  assert.equal(s.blockFor(1000), s.MAX_BLOCK_MS);
});

test('waits are worded in minutes and seconds, rounded up', () => {
  assert.equal(s.waitText(10_000), '10 seconds');
  assert.equal(s.waitText(1), '1 second');
  assert.equal(s.waitText(80_000), '1 minute 20 seconds');
  assert.equal(s.waitText(s.MAX_BLOCK_MS), '15 minutes');
  assert.equal(s.waitText(9_001), '10 seconds');
});
