// scripts/lib/node-tests.mjs, the runner of npm test's node, e2e and thunderbird suites: files
// start in the order given (not by name), a failed test or a crashed file fails the run, and the
// TAP summary has the counts the summary line reads.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { tapCounts } from '../../scripts/lib/counts.mjs';
import { parseArgs } from '../../scripts/lib/node-tests.mjs';
import { ROOT } from '../shared.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-node-tests-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A test file whose tests record when they ran (in `log`), with `body` as each test's body. */
function file(name, body = '', extra = '') {
  const f = path.join(dir, name);
  fs.writeFileSync(f, `import fs from 'node:fs';\nimport { test } from 'node:test';\n` +
    `test(${JSON.stringify(name)}, () => { fs.appendFileSync(${JSON.stringify(path.join(dir, 'log'))}, ${JSON.stringify(`${name}\n`)}); ${body} });\n${extra}`);
  return f;
}

function runner(files, concurrency = 1) {
  fs.rmSync(path.join(dir, 'log'), { force: true });
  const tap = path.join(dir, 'out.tap');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'lib', 'node-tests.mjs'), '--concurrency', String(concurrency), '--tap', tap, ...files], { encoding: 'utf8' });
  return { ...r, counts: tapCounts(fs.readFileSync(tap, 'utf8')), order: fs.existsSync(path.join(dir, 'log')) ? fs.readFileSync(path.join(dir, 'log'), 'utf8').split('\n').filter(Boolean) : [] };
}

/**
 * One run that fails nothing: two files out of name order, one with a skipped test, the other
 * with a failing todo test (each runner run starts a node process per file and one for itself,
 * so the tests that need such a run share it).
 */
let passingRun = null;
function passing() {
  passingRun ??= runner([file('b.test.mjs', '', "test('skipped', { skip: 'no peer here' }, () => {});\n"),
    file('a.test.mjs', '', "test('later', { todo: 'not written yet' }, () => { throw new Error('not yet'); });\n")]);
  return passingRun;
}

test('files start in the order given, not by name; the counts are in the TAP summary', () => {
  const r = passing();
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.order, ['b.test.mjs', 'a.test.mjs']);
  // The todo test counts as skipped (scripts/lib/counts.mjs), not as failed.
  assert.deepEqual(r.counts, { passed: 2, failed: 0, skipped: 2, ran: true });
  assert.match(r.stdout, /✔ b\.test\.mjs/, 'the spec report on stdout');
});

test('a failed test, or a file that cannot even load, fails the run and is counted', () => {
  const failing = runner([file('ok.test.mjs'), file('bad.test.mjs', "throw new Error('wrong');")], 2);
  assert.equal(failing.status, 1);
  assert.equal(failing.counts.failed, 1);
  assert.equal(failing.counts.passed, 1);
  const broken = path.join(dir, 'broken.test.mjs');
  fs.writeFileSync(broken, 'import { nothing } from "./no-such-module.mjs";\n');
  const crashed = runner([broken]);
  assert.equal(crashed.status, 1);
  assert.ok(crashed.counts.failed >= 1, JSON.stringify(crashed.counts));
});

test('a failing todo test does not fail the run', () => {
  const r = passing();
  assert.match(r.stdout, /later.*# not written yet/, 'the todo test ran');
  assert.equal(r.status, 0, r.stdout);
  assert.equal(r.counts.failed, 0);
});

test('options: --tap and at least one file are needed; --concurrency is a whole number', () => {
  assert.deepEqual(parseArgs(['--concurrency', '2', '--tap', 'x.tap', 'a.test.mjs']), { concurrency: 2, tap: 'x.tap', files: ['a.test.mjs'] });
  assert.throws(() => parseArgs(['a.test.mjs']), /--tap FILE is needed/);
  assert.throws(() => parseArgs(['--tap', 'x.tap']), /no test files/);
  assert.throws(() => parseArgs(['--concurrency', 'two', '--tap', 'x', 'a']), /whole number/);
  assert.throws(() => parseArgs(['--quick', '--tap', 'x', 'a']), /unknown option --quick/);
});
