// The benchmark harness (npm run bench) at 2 KB with one round: fixtures, the native cells (the
// cachet CLI against openssl cms) and the Node cells (the Wasm build), every output cross-checked
// by openssl, and RESULTS.md written with every cell filled. Structure only: no timing assertion.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { OPS, crossCheck } from '../../bench/common.mjs';
import { makeMessage } from '../../bench/fixtures.mjs';
import { HAND_BEGIN, HAND_END, floorTable, renderReport, writeReport } from '../../bench/report.mjs';
import { bench, cargoTargetDir, parseArgs } from '../../scripts/bench.mjs';
import { ROOT, buildCli } from '../shared.mjs';

let work;
let run;

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-bench-'));
  // The CLI as cargo test builds it (debug); the benchmark proper builds the release one.
  // openssl speed measures SHA-256 only (1 s, its real output parsed): a 2 KB run has no crypto
  // cost cells, and the RSA line's reading is run by tests/bench/rsa.test.mjs (bench/rsa.mjs).
  const cachetBin = buildCli();
  const argv = ['--quick', '--sizes', '2KB', '--rounds', '1', '--only', 'native,node', '--no-build', '--speed-seconds', '1', '--speed-only', 'sha256',
    '--work', work, '--out', path.join(work, 'RESULTS.md')];
  // Process start measured in one interleaved round (a median of 20 by default): the tests
  // need a number for each, not a steady one.
  const o = { ...parseArgs(argv), argv, cachetBin, memorySizes: ['2KB'], startRounds: 1 };
  run = await bench(o, () => {});
});

after(() => fs.rmSync(work, { recursive: true, force: true }));

test('options: --quick is 2 KB and 1 MB in 2 rounds, a partial run does not overwrite bench/RESULTS.md', () => {
  const q = parseArgs(['--quick']);
  assert.deepEqual(q.sizes, ['2KB', '1MB']);
  assert.equal(q.rounds, 2);
  assert.notEqual(q.out, path.join(ROOT, 'bench', 'RESULTS.md'));
  const all = parseArgs([]);
  assert.deepEqual(all.sizes, ['2KB', '1MB', '10MB', '25MB']);
  assert.deepEqual(all.only, ['chromium', 'node', 'native']);
  assert.equal(all.out, path.join(ROOT, 'bench', 'RESULTS.md'));
  assert.throws(() => parseArgs(['--only', 'firefox']), /--only takes/);
  assert.throws(() => parseArgs(['--sizes', '3MB']), /--sizes takes/);
  assert.deepEqual(parseArgs(['--quick', '--speed-only', 'sha256,rsa']).speedOnly, ['sha256', 'rsa']);
  assert.throws(() => parseArgs(['--quick', '--speed-only', 'md5']), /--speed-only takes/);
  assert.throws(() => parseArgs(['--sizes', '2KB,25MB', '--speed-only', 'sha256']), /without 10 MB or 25 MB cells/);
});

test('fixture messages are deterministic, exactly sized, CRLF only', () => {
  for (const [size, n] of [['2KB', 2048], ['1MB', 1 << 20]]) {
    const a = makeMessage(size);
    assert.equal(a.message.length, n);
    assert.deepEqual(a.message, makeMessage(size).message, 'the same bytes every time');
    const text = a.message.toString('latin1');
    assert.equal(/[^\r]\n/.test(text), false, 'no bare LF');
    assert.match(text, /^From: .*\r\nTo: .*bob0@example\.com>\r\n/);
    assert.match(text, /Content-Type: application\/octet-stream/);
    assert.ok(text.split('\r\n').every((l) => l.length <= 998), 'RFC 5322 line length');
  }
});

test('every native and Node cell has a number, and every Cachet output was cross-checked', () => {
  const { results } = run;
  const want = [['native', 'cachet'], ['native', 'openssl'], ['node', 'cachet']];
  assert.equal(results.cells.length, want.length * OPS.length);
  for (const [runtime, impl] of want) {
    for (const op of OPS) {
      const c = results.cells.find((x) => x.runtime === runtime && x.impl === impl && x.op === op && x.size === '2KB');
      assert.ok(c, `${runtime} ${impl} ${op}`);
      assert.ok(Number.isFinite(c.ms) && c.ms > 0, `${runtime} ${impl} ${op}: ${c.ms}`);
      assert.equal(c.samples.length, 1);
      assert.ok(fs.existsSync(c.output), `${c.output} kept`);
      const m = results.memory.find((x) => x.runtime === runtime && x.impl === impl && x.op === op);
      assert.ok(m && m.peakBytes > 1 << 20, `${runtime} ${impl} ${op} peak memory`);
      if (impl === 'cachet') {
        const k = results.checks.find((x) => x.runtime === runtime && x.op === op && x.size === '2KB');
        assert.ok(k?.ok && /openssl|content/.test(k.how), `${runtime} ${op} cross-checked: ${k?.how}`);
      }
    }
  }
  assert.ok(results.start.cachet > 0 && results.start.openssl > 0);
  assert.equal(results.start.rounds, 1);
  assert.ok(results.memory.filter((m) => m.runtime === 'node').every((m) => m.wasmBytes > 0));
  assert.ok(results.speed.sha256 > 0, `openssl speed sha256: ${results.speed.sha256}`);
  assert.deepEqual(results.speed.measured, ['sha256']);
  assert.equal(results.speed.rsaSignMs, undefined, 'no figure for what was not measured');
});

test('RESULTS.md has every table filled and keeps the hand-written section when regenerated', () => {
  const file = run.file;
  const text = fs.readFileSync(file, 'utf8');
  for (const h of ['## Machine and versions', '## Node: Cachet (Wasm)', '## Native: `cachet` CLI vs `openssl cms`', '## Wasm module', '## Peak memory', '## Crypto cost', '## Targets', HAND_BEGIN, HAND_END]) {
    assert.ok(text.includes(h), h);
  }
  for (const op of OPS) assert.match(text, new RegExp(`\\| ${op.replace('+', '\\+')} \\| [0-9.]+ / [0-9.]+ \\([0-9.]+\\)`), `native row ${op}`);
  assert.match(text, /Rates on this machine \(`openssl speed -elapsed -seconds 1 -bytes 16384`\): SHA-256 [0-9.]+ MiB\/s\. Not measured in this run \(it has no 10 or 25 MB cells\): cbc-enc, cbc-dec, gcm, rsa\./);
  assert.doesNotMatch(text, /undefined|NaN|null/);
  fs.writeFileSync(file, text.replace(/(<!-- hand-written: begin[^\n]*\n)[\s\S]*?(\n<!-- hand-written: end -->)/, '$1\nThe profile says: the hash.\n$2'));
  writeReport(run.results, file);
  assert.match(fs.readFileSync(file, 'utf8'), /The profile says: the hash\./);
});

test('a missing number is an error, not an empty cell', () => {
  const broken = { ...run.results, cells: run.results.cells.filter((c) => !(c.runtime === 'native' && c.impl === 'openssl' && c.op === 'verify')) };
  assert.throws(() => renderReport(broken, path.join(work, 'none.md')), /missing:[\s\S]*native openssl verify 2KB: time/);
  const speed = run.results.speed;
  assert.throws(() => renderReport({ ...run.results, speed: { ...speed, sha256: undefined } }, path.join(work, 'none.md')), /missing:[\s\S]*openssl speed: sha256/);
  // Results without the list of measurements (older runs) need every rate.
  assert.throws(() => renderReport({ ...run.results, speed: { ...speed, measured: undefined } }, path.join(work, 'none.md')), /missing:[\s\S]*openssl speed: rsaSignMs/);
});

test('a wrong output fails its cross-check loudly', () => {
  const fixtures = JSON.parse(fs.readFileSync(path.join(work, 'fixtures', 'fixtures.json'), 'utf8'));
  assert.ok(fixtures.sizes.includes('2KB'));
  const c = run.results.cells.find((x) => x.runtime === 'native' && x.impl === 'cachet' && x.op === 'sign');
  const bad = path.join(work, 'tampered.eml');
  fs.writeFileSync(bad, fs.readFileSync(c.output, 'latin1').replace('please', 'pleaze'), 'latin1');
  const fx = run.fixtures;
  assert.throws(() => crossCheck({ op: 'sign', size: '2KB', output: bad, fixtures: fx, label: 'test' }), /CROSS-CHECK FAILED/);
  const content = run.results.cells.find((x) => x.runtime === 'node' && x.op === 'decrypt').output;
  fs.writeFileSync(bad, Buffer.concat([fs.readFileSync(content), Buffer.from('x')]));
  assert.throws(() => crossCheck({ op: 'decrypt', size: '2KB', output: bad, fixtures: fx, label: 'test' }), /CROSS-CHECK FAILED/);
});

test('the WebCrypto floor table: Cachet ÷ floor per cell, a miss above 2x only at 10 and 25 MB', () => {
  const sizes = ['2KB', '10MB', '25MB'];
  const cachetMs = { '2KB': 5, '10MB': 30, '25MB': 50 };
  const floorMs = { '2KB': 1, '10MB': 20, '25MB': 20 };
  const results = {
    sizes,
    cells: OPS.flatMap((op) => sizes.map((size) => ({ runtime: 'chromium', impl: 'cachet', op, size, ms: cachetMs[size] }))),
    floor: OPS.flatMap((op) => sizes.map((size) => ({ op, size, ms: floorMs[size] }))),
  };
  const misses = [];
  const text = floorTable(results, misses);
  assert.match(text, /\| sign \| 5\.00 \/ 1\.00 \(5\.00\) \| 30\.0 \/ 20\.0 \(1\.50\) \| 50\.0 \/ 20\.0 \(2\.50\) ✗ \|/);
  assert.equal(misses.length, OPS.length, 'one miss per op, at 25 MB; 5x at 2 KB is no miss');
  assert.ok(misses.every((m) => m.includes('25MB')));
  assert.equal(floorTable({ ...results, floor: undefined }, []), null, 'an older run without a floor has no table');
});

test('the hosts section lists each time to status the run measured, and is absent without one', () => {
  const hosts = [{ host: 'Outlook task pane (fake Office.js, Chromium)', what: 'selection to banner', size: '2KB', ms: 29.7, samples: [29.7], status: 'valid-unknown-ca', bytes: 4651 }];
  const { text } = renderReport({ ...run.results, hosts }, path.join(work, 'none.md'));
  assert.match(text, /## Time to status in the hosts[\s\S]*\| Outlook task pane \(fake Office\.js, Chromium\) \| selection to banner \| 2KB \| 4651 \| valid-unknown-ca \| 29\.7 \|/);
  assert.doesNotMatch(renderReport(run.results, path.join(work, 'none.md')).text, /Time to status in the hosts/);
});
