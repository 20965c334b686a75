// `npm test`: install what is missing, build, then run every suite and print one summary line:
//   1. cargo test --workspace (the Rust core, natively, with its interop peers)
//   2. node --test tests/{wasm,manifest,server,scripts,office,keyring,shell,bench} (the core through Wasm under Node; the
//      manifest; the dev server and dev mailbox; the set-up logic; the Outlook adapter)
//   3. node --test tests/e2e (the standalone page in headless chromium)
//   4. node --test tests/thunderbird (the Thunderbird extension: its package and web-ext lint,
//      the background's reader, and Cachet in a real headless Thunderbird over Marionette)
// The counts are also written to test-results/summary.json (read by .ci/run).
import fs from 'node:fs';
import path from 'node:path';
import { build } from './build.mjs';
import { cargoCounts, skipLines, tapCounts, withSkips } from './lib/counts.mjs';
import { ROOT, run, step } from './lib/run.mjs';
import { setup } from './setup.mjs';

const RESULTS = path.join(ROOT, 'test-results');

function testFiles(dirs) {
  const out = [];
  for (const d of dirs) {
    const abs = path.join(ROOT, 'tests', d);
    for (const f of fs.readdirSync(abs).sort()) if (f.endsWith('.test.mjs')) out.push(path.join(abs, f));
  }
  return out;
}

async function nodeSuite(name, dirs) {
  const tap = path.join(RESULTS, `${name}.tap`);
  const r = await run(process.execPath, [
    '--test', '--test-concurrency=1',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...testFiles(dirs),
  ]);
  const c = fs.existsSync(tap) ? tapCounts(fs.readFileSync(tap, 'utf8')) : { passed: 0, failed: 0, skipped: 0, ran: false };
  return { ...c, code: r.code };
}

const suites = {};
let setupError = null;
try {
  fs.mkdirSync(RESULTS, { recursive: true });
  await build(await setup({ forTests: true }));
} catch (e) {
  setupError = e.message;
  console.error(`\nSet-up or build failed: ${e.message}`);
}

if (setupError === null) {
  step('cargo test --workspace');
  // Rust has no runtime skip: a test that cannot run records itself here (crate/testkit) and is
  // counted as skipped, not passed.
  const skipLog = path.join(RESULTS, 'cargo-skips.txt');
  fs.rmSync(skipLog, { force: true });
  const cargo = await run('cargo', ['test', '--workspace', '--no-fail-fast'], { tee: true, env: { ...process.env, CACHET_SKIP_LOG: skipLog } });
  for (const line of skipLines(skipLog)) console.log(`skipped: ${line}`);
  suites.cargo = { ...withSkips(cargoCounts(cargo.output), skipLog), code: cargo.code };

  step('Core through WebAssembly, the manifest, the dev server (node --test)');
  suites.node = await nodeSuite('node', ['wasm', 'manifest', 'server', 'scripts', 'office', 'keyring', 'shell', 'bench']);

  step('End-to-end in chromium (node --test + playwright-core)');
  suites.e2e = await nodeSuite('e2e', ['e2e']);

  step('Thunderbird extension (node --test, headless Thunderbird over Marionette)');
  suites.thunderbird = await nodeSuite('thunderbird', ['thunderbird']);
}

const total = { passed: 0, failed: 0, skipped: 0 };
for (const [name, s] of Object.entries(suites)) {
  // A suite that exits non-zero without a failed test (build error, crash) counts as one failure.
  if (s.code !== 0 && s.failed === 0) {
    console.error(`${name}: exited with ${s.code} without reporting a failed test; counted as 1 failure`);
    s.failed = 1;
  }
  total.passed += s.passed;
  total.failed += s.failed;
  total.skipped += s.skipped;
}
if (setupError !== null) total.failed += 1;

fs.mkdirSync(RESULTS, { recursive: true });
fs.writeFileSync(path.join(RESULTS, 'summary.json'), `${JSON.stringify({ ...total, suites, setupError }, null, 2)}\n`);
console.log('\nSuites:');
for (const [name, s] of Object.entries(suites)) console.log(`  ${name.padEnd(11)} ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
console.log(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed === 0 ? 0 : 1);
