// Expiry reminders (addin/src/keyring/keeping.ts) with the clock as an argument: the 30, 14 and
// 7-day stages and "expired", each shown once, none for a retired or already renewed identity.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importTs } from '../ts.mjs';

const k = await importTs('addin/src/keyring/keeping.ts');
const DAY = 86_400_000;
const END = '2027-03-01T12:00:00Z';
const end = Date.parse(END);
const id = (over = {}) => ({ id: 'AA:01', retired: false, facts: [{ emails: ['alice@example.org'], not_after: END }], ...over });

test('the stage is 30, 14 or 7 days before the end, 0 after it, none earlier', () => {
  assert.equal(k.reminderStage(END, end - 31 * DAY), null);
  assert.equal(k.reminderStage(END, end - 30 * DAY), 30);
  assert.equal(k.reminderStage(END, end - 15 * DAY), 30);
  assert.equal(k.reminderStage(END, end - 14 * DAY), 14);
  assert.equal(k.reminderStage(END, end - 8 * DAY), 14);
  assert.equal(k.reminderStage(END, end - 7 * DAY), 7);
  assert.equal(k.reminderStage(END, end - 1), 7);
  assert.equal(k.reminderStage(END, end + 1), 0);
  assert.equal(k.reminderStage('not a date', end), null);
});

test('each stage is fresh once: shown stages are remembered per identity', () => {
  const at = end - 20 * DAY;
  let [r] = k.dueReminders([id()], {}, at);
  assert.deepEqual({ stage: r.stage, daysLeft: r.daysLeft, fresh: r.fresh, address: r.address }, { stage: 30, daysLeft: 20, fresh: true, address: 'alice@example.org' });
  [r] = k.dueReminders([id()], { 'AA:01': 30 }, at);
  assert.equal(r.fresh, false, 'the 30-day reminder was shown already');
  [r] = k.dueReminders([id()], { 'AA:01': 30 }, end - 10 * DAY);
  assert.equal(r.stage, 14);
  assert.equal(r.fresh, true, 'the 14-day reminder is new');
  [r] = k.dueReminders([id()], { 'AA:01': 14 }, end - 3 * DAY);
  assert.equal(r.stage, 7);
  assert.equal(r.fresh, true);
  [r] = k.dueReminders([id()], { 'AA:01': 7 }, end + DAY);
  assert.equal(r.stage, 0);
  assert.equal(r.fresh, true, 'expiry itself is told once more');
  assert.match(k.reminderText(r).message, /expired on 2027-03-01/);
  assert.match(k.reminderText({ ...r, stage: 7, daysLeft: 3 }).message, /expires in 3 days \(2027-03-01\)/);
});

test('no reminder for a retired identity, one already renewed, or one far from its end', () => {
  assert.deepEqual(k.dueReminders([id({ retired: true })], {}, end - DAY), []);
  const renewed = { id: 'BB:02', retired: false, facts: [{ emails: ['alice@example.org'], not_after: '2029-03-01T12:00:00Z' }] };
  assert.deepEqual(k.dueReminders([id(), renewed], {}, end - DAY), []);
  assert.deepEqual(k.dueReminders([id()], {}, end - 60 * DAY), []);
});

test('footers are cleaned and bounded', () => {
  assert.equal(k.cleanFooter('Example GmbH\r\nBerlin  \r\n\r\n'), 'Example GmbH\nBerlin');
  assert.throws(() => k.cleanFooter('x'.repeat(k.MAX_FOOTER + 1)), /too long/);
});
