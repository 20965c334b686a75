// bench/rsa.mjs (the RSA-2048 private-key operation side by side) for one round: Cachet's Wasm
// build decrypts the openssl-made 2 KB messages (PKCS#1 v1.5, and RSA-OAEP by openAsync and by
// open) to their entity, WebCrypto unwraps its key, openssl
// speed answers, and the JSON has every figure. Structure only: no timing assertion.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ROOT } from '../shared.mjs';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-bench-rsa-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

function run(...args) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bench', 'rsa.mjs'), '--rounds', '1', '--speed-seconds', '1', '--work', work, ...args], { cwd: ROOT, encoding: 'utf8' });
}

test('one round: every column measured, CPU and wall time, the load average recorded', () => {
  const json = path.join(work, 'rsa.json');
  const r = run('--json', json);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(fs.readFileSync(json, 'utf8'));
  for (const who of ['cachetDecrypt2Kb', 'cachetDecrypt2KbOaepAsync', 'cachetDecrypt2KbOaepSync', 'webcryptoOaep']) {
    for (const k of ['cpuMedianMs', 'wallMedianMs', 'wallMinMs']) {
      assert.ok(Number.isFinite(out[who][k]) && out[who][k] >= 0, `${who}.${k} = ${out[who][k]}`);
    }
  }
  assert.ok(out.opensslPrivateMs > 0, `openssl: ${out.opensslPrivateMs}`);
  assert.equal(out.rounds, 1);
  assert.match(out.loadavgBefore, /^\d+\.\d\d \d+\.\d\d \d+\.\d\d$/);
  assert.match(r.stdout, /Cachet Wasm .* decrypt 2 KB/);
  assert.match(r.stdout, /WebCrypto RSA-OAEP/);
  assert.match(r.stdout, /Cachet openAsync decrypt 2 KB, RSA-OAEP SHA-256 key transport \(unwrapped by WebCrypto\)/);
});

test('a missing Wasm build is an error, never a number', () => {
  const r = run('--pkg', path.join(work, 'no-such-build'));
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /the Wasm build is missing/);
});
