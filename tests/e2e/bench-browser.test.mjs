// The Chromium part of the benchmark (bench/browser.mjs) end to end at 2 KB, one round: Cachet's
// Wasm and PKI.js each do every operation in their worker, every cell has a number and an output,
// and openssl checks every output (PKI.js's AES-GCM EnvelopedData, which openssl cannot read, is
// marked so and checked through PKI.js decrypting it back). Structure only: no timing asserted,
// so the Wasm module's fetch + instantiate is timed in one fresh worker, not the benchmark's 7,
// and the UI-thread tickers' idle reference runs 25 ms before each operation, not 250 (the
// tickers still run, both of them, before and during every operation; about 0.3 s less CPU),
// and the peak-memory cases run in the browser of the timing rounds rather than each starting its
// own, each implementation in one worker for all its cases rather than a fresh one per case (every
// case still loads only its operation's inputs, collects garbage, resets the peak and measures).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runBrowser } from '../../bench/browser.mjs';
import { OAEP_OPS, OPS, crossCheck } from '../../bench/common.mjs';
import { makeFixtures } from '../../bench/fixtures.mjs';
import { ROOT } from '../shared.mjs';

let dir;
let fixtures;
let result;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-bench-browser-'));
  fixtures = await makeFixtures(path.join(dir, 'fixtures'), { sizes: ['2KB'] });
  result = await runBrowser({ fixtures, rounds: 1, quick: true, sizes: ['2KB'], outDir: path.join(dir, 'out'), instantiateRuns: 1, idleMs: 25, browserPerCase: false });
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('every operation of both implementations has a time and an output that openssl accepts', () => {
  // Every operation, and the rows where Cachet opens the RSA-OAEP inputs PKI.js opens.
  assert.equal(result.cells.length, (OPS.length + OAEP_OPS.length) * 2);
  for (const impl of ['cachet', 'pkijs']) {
    for (const op of [...OPS, ...OAEP_OPS]) {
      const cell = result.cells.find((c) => c.impl === impl && c.op === op && c.size === '2KB');
      assert.ok(cell, `${impl} ${op}`);
      assert.equal(cell.runtime, 'chromium');
      assert.ok(Number.isFinite(cell.ms) && cell.ms > 0, `${impl} ${op}: ${cell.ms}`);
      assert.equal(cell.samples.length, 1);
      if (cell.uncheckable) {
        assert.deepEqual([impl, op], ['pkijs', 'gcm-encrypt'], 'only PKI.js GCM output escapes the openssl check');
        assert.ok(fs.statSync(cell.output).size > 0);
        continue;
      }
      crossCheck({ op, size: '2KB', output: cell.output, fixtures, label: `chromium ${impl}` });
    }
  }
  // The WebCrypto floor of every operation (the RSA-OAEP rows share decrypt's and gcm-decrypt's).
  for (const op of OPS) {
    const f = result.floor.find((x) => x.op === op && x.size === '2KB');
    assert.ok(f && Number.isFinite(f.ms) && f.ms > 0, `floor ${op}: ${JSON.stringify(f)}`);
  }
});

test('Wasm size, instantiate time, peak memory and UI-thread gaps are all there', () => {
  assert.equal(result.wasm.rawBytes, fs.statSync(path.join(ROOT, 'addin', 'pkg', 'cachet_bg.wasm')).size);
  assert.ok(result.wasm.gzipBytes > 0 && result.wasm.gzipBytes < result.wasm.rawBytes);
  assert.ok(Number.isFinite(result.wasm.instantiateMs) && result.wasm.instantiateMs > 0);
  assert.equal(result.memory.length, OPS.length * 2);
  for (const m of result.memory) {
    assert.ok(m.peakBytes >= m.beforeOpBytes && m.beforeOpBytes > 0, JSON.stringify(m));
    if (m.impl === 'cachet') assert.ok(m.wasmMemoryBytes > 0, JSON.stringify(m));
  }
  assert.equal(result.responsiveness.length, OPS.length * 2);
  for (const r of result.responsiveness) assert.ok(Number.isFinite(r.maxGapMs) && r.maxGapMs >= 0, JSON.stringify(r));
  assert.match(result.env.chromium, /^\d+\.\d+\.\d+\.\d+$/);
  assert.match(result.env.pkijs, /^3\./);
  assert.ok(result.notes.some((n) => /RSA-OAEP/.test(n)) && result.notes.some((n) => /AuthEnvelopedData/.test(n)));
});
