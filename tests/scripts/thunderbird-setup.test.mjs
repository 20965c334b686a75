// The set-up's Thunderbird step (scripts/lib/system.mjs ensureThunderbird) with a fake system:
// nothing to do when 153+ is installed; `apt-get update` only when the candidate is older;
// a reason (never a throw) when it cannot be had.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aptCandidate, debianMajor, ensureThunderbird } from '../../scripts/lib/system.mjs';

function fakeApt({ installed = null, candidate = '1:140.10.2esr-1~deb12u1', afterUpdate = '1:153.8.0esr-1~deb12u1', apt = true, installFails = false } = {}) {
  const calls = [];
  let updated = false;
  let version = installed;
  return {
    calls,
    installedVersion: () => version,
    candidateVersion: () => (updated ? afterUpdate : candidate),
    hasApt: () => apt,
    alreadyUpdated: () => updated,
    async update() {
      calls.push('apt-get update');
      updated = true;
    },
    async install() {
      calls.push('apt-get install thunderbird');
      if (installFails) throw new Error('apt-get install thunderbird failed');
      version = updated ? afterUpdate : candidate;
    },
  };
}

test('version strings: the major version after the epoch, the apt candidate', () => {
  assert.equal(debianMajor('1:153.8.0esr-1~deb12u1'), 153);
  assert.equal(debianMajor('140.10.2esr-1'), 140);
  assert.equal(debianMajor(null), null);
  assert.equal(aptCandidate('thunderbird:\n  Installed: (none)\n  Candidate: 1:140.10.2esr-1~deb12u1\n'), '1:140.10.2esr-1~deb12u1');
  assert.equal(aptCandidate('thunderbird:\n  Installed: (none)\n  Candidate: (none)\n'), null);
});

test('Thunderbird 153 installed: nothing to do (a second run only checks)', async () => {
  const sys = fakeApt({ installed: '1:153.8.0esr-1~deb12u1' });
  assert.deepEqual(await ensureThunderbird(sys), { ok: true, version: '1:153.8.0esr-1~deb12u1' });
  assert.deepEqual(sys.calls, []);
});

test('the cache offers 140: apt-get update first, then install 153', async () => {
  const sys = fakeApt();
  assert.deepEqual(await ensureThunderbird(sys), { ok: true, version: '1:153.8.0esr-1~deb12u1' });
  assert.deepEqual(sys.calls, ['apt-get update', 'apt-get install thunderbird']);
});

test('the cache already offers 153: no update', async () => {
  const sys = fakeApt({ candidate: '1:153.8.0esr-1~deb12u1' });
  assert.equal((await ensureThunderbird(sys)).ok, true);
  assert.deepEqual(sys.calls, ['apt-get install thunderbird']);
});

test('an older Thunderbird installed is upgraded the same way', async () => {
  const sys = fakeApt({ installed: '1:140.10.2esr-1~deb12u1' });
  assert.equal((await ensureThunderbird(sys)).ok, true);
  assert.deepEqual(sys.calls, ['apt-get update', 'apt-get install thunderbird']);
});

test('no 153 even after the update, no apt, or a failed install: a reason, not a throw', async () => {
  const old = fakeApt({ afterUpdate: '1:140.10.2esr-1~deb12u1' });
  const r = await ensureThunderbird(old);
  assert.equal(r.ok, false);
  assert.match(r.reason, /apt offers Thunderbird 1:140.*153 or newer is needed/);
  assert.deepEqual(old.calls, ['apt-get update']);
  assert.match((await ensureThunderbird(fakeApt({ apt: false }))).reason, /no apt-get/);
  assert.match((await ensureThunderbird(fakeApt({ installFails: true }))).reason, /installing Thunderbird failed/);
});
