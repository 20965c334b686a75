// `npm test`: install what is missing, build, then run every suite and print one summary line:
//   cargo       cargo test --workspace (the Rust core, natively, with its interop peers)
//   node        node --test tests/{wasm,manifest,server,scripts,office,keyring,shell,bench} (the core
//               through Wasm under Node; the manifest; the dev server and dev mailbox; the set-up
//               logic; the Outlook adapter)
//   e2e         node --test tests/e2e (the standalone page and the task pane in headless chromium)
//   thunderbird node --test tests/thunderbird (the Thunderbird extension: its package and
//               addons-linter, the background's reader, and Cachet in a real headless Thunderbird)
// The suites are independent (own temp dirs, own ports, own browser profiles), so they run at the
// same time: the browser suites spend much of their time waiting for a page or for Thunderbird,
// and the cargo and node suites fill those gaps (they run at a lower CPU priority so the
// interactive suites are not starved). Each suite writes its output to test-results/<suite>.log;
// the log is printed whole when the suite ends, so the output stays readable.
//
//   npm test                    every suite (what CI runs)
//   npm test -- --quick         the inner loop: cargo's unit tests (--lib) and the node suite, no
//                               browser; the summary says what did not run
//   npm test -- --serial        one suite after the other, output as it comes (slower)
//   npm test -- --only e2e,node only the named suites
//
// The counts are also written to test-results/summary.json (read by .ci/run).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from './build.mjs';
import { cargoCounts, skipLines, tapCounts, withSkips } from './lib/counts.mjs';
import { ROOT, run, step } from './lib/run.mjs';
import { setup } from './setup.mjs';

const RESULTS = path.join(ROOT, 'test-results');
const SUITES = ['cargo', 'node', 'e2e', 'thunderbird'];
/** Test files of one suite run at the same time (each has its own world: temp dir, port, profile). */
const E2E_FILES_AT_ONCE = 2;
/**
 * Thunderbird test files run at the same time: each starts a Thunderbird of its own (own
 * profile, own TMPDIR, about 0.5 GB), and most of their time is spent waiting for it.
 */
const THUNDERBIRD_FILES_AT_ONCE = 2;
/**
 * Node suite files run at the same time (own temp dirs, ports chosen by the system): its longest
 * files mostly wait for openssl and cargo, and two at once keep both cores busy once the
 * browser suites are done.
 */
const NODE_FILES_AT_ONCE = 2;
/**
 * The longest files of a suite whose files run at the same time start first (in this order):
 * started last, the longest one would run on alone at the end. Measured on a warm run; a file
 * not listed runs after these, in name order.
 */
const SLOWEST_FIRST = {
  e2e: ['mail.test.mjs', 'outlook.test.mjs', 'mail-more.test.mjs'],
  thunderbird: ['thunderbird.test.mjs', 'keeping.test.mjs'],
  node: ['bench.test.mjs', 'rsa.test.mjs', 'separate-certs.test.mjs', 'office-host.test.mjs'],
};
/** CPU priority (nice) of the suites that only need throughput. */
const BACKGROUND_NICE = 10;

function parseArgs(argv) {
  const o = { quick: false, serial: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--serial') o.serial = true;
    else if (a === '--only') {
      o.only = (argv[++i] ?? '').split(',').filter(Boolean);
      const bad = o.only.filter((s) => !SUITES.includes(s));
      if (bad.length > 0 || o.only.length === 0) throw new Error(`--only takes a comma-separated list of ${SUITES.join(', ')}`);
    } else throw new Error(`unknown option ${a}; options: --quick, --serial, --only ${SUITES.join(',')}`);
  }
  return o;
}

function testFiles(dirs, first = []) {
  const out = [];
  for (const d of dirs) {
    const abs = path.join(ROOT, 'tests', d);
    for (const f of fs.readdirSync(abs).sort()) if (f.endsWith('.test.mjs')) out.push(path.join(abs, f));
  }
  const rank = (f) => {
    const i = first.indexOf(path.basename(f));
    return i < 0 ? first.length : i;
  };
  // A stable sort: the named files first, in the order given, the rest in name order.
  return out.sort((a, b) => rank(a) - rank(b));
}

const seconds = (ms) => `${Math.round(ms / 1000)} s`;

/**
 * Run one suite's command. Serial: output straight to the terminal (and captured). Parallel:
 * output into test-results/<name>.log, printed whole when the suite ends.
 */
async function runSuite(name, cmd, args, { env = process.env, nice = 0, serial }) {
  const log = path.join(RESULTS, `${name}.log`);
  const started = Date.now();
  if (serial) step(`${name}: ${path.basename(cmd)} ${args.filter((a) => !a.startsWith(ROOT)).join(' ')}`);
  else console.log(`▶ ${name} started (output in ${path.relative(ROOT, log)}, shown when it ends)`);
  const r = await run(cmd, args, { tee: true, quiet: !serial, env, nice });
  fs.writeFileSync(log, r.output);
  const ms = Date.now() - started;
  if (!serial) {
    step(`${name} (${seconds(ms)})`);
    process.stdout.write(r.output.endsWith('\n') ? r.output : `${r.output}\n`);
  }
  return { ...r, ms };
}

async function nodeSuite(name, dirs, { concurrency = 1, first = [], ...opts }) {
  const tap = path.join(RESULTS, `${name}.tap`);
  fs.rmSync(tap, { force: true });
  // Not `node --test`: it sorts the files by name, and the longest ones must start first.
  const r = await runSuite(name, process.execPath, [
    path.join(ROOT, 'scripts', 'lib', 'node-tests.mjs'), '--concurrency', String(concurrency), '--tap', tap,
    ...testFiles(dirs, first),
  ], opts);
  const c = fs.existsSync(tap) ? tapCounts(fs.readFileSync(tap, 'utf8')) : { passed: 0, failed: 0, skipped: 0, ran: false };
  return { ...c, code: r.code, seconds: Math.round(r.ms / 1000) };
}

/** cargo's arguments and environment for the Rust tests (`test` or `test --no-run`). */
function cargoArgs(quick, extra = []) {
  return ['test', '--workspace', ...(quick ? ['--lib'] : []), ...extra];
}
function cargoEnv(extra = {}) {
  return { ...process.env, ...extra };
}

async function cargoSuite({ quick, compiled, ...opts }) {
  // Rust has no runtime skip: a test that cannot run records itself here (crate/testkit) and is
  // counted as skipped, not passed.
  const skipLog = path.join(RESULTS, 'cargo-skips.txt');
  fs.rmSync(skipLog, { force: true });
  const r = await runSuite('cargo', 'cargo', cargoArgs(quick, ['--no-fail-fast']), { ...opts, env: cargoEnv({ CACHET_SKIP_LOG: skipLog }) });
  const skips = skipLines(skipLog);
  for (const line of skips) console.log(`skipped: ${line}`);
  const c = withSkips(cargoCounts(r.output), skipLog);
  return { ...c, code: r.code, seconds: Math.round(r.ms / 1000), compileSeconds: compiled ? Math.round(compiled.ms / 1000) : undefined };
}

let options;
try {
  options = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(e.message);
  process.exit(2);
}
const { quick, serial } = options;
const chosen = options.only ?? (quick ? ['cargo', 'node'] : SUITES);
const notRun = SUITES.filter((s) => !chosen.includes(s));

// Under CI every build is a fresh one: incremental compilation only costs time there. Set for
// every cargo this run starts (the tests that build the CLI too), so all agree on the build.
if (process.env.CI === 'true' && process.env.CARGO_INCREMENTAL === undefined) process.env.CARGO_INCREMENTAL = '0';

const suites = {};
const begun = Date.now();
let setupError = null;
let buildSeconds = 0;
fs.mkdirSync(RESULTS, { recursive: true });
// The Rust tests need nothing from the set-up to compile (only to run: the interop peers), so
// they compile while the set-up and the Wasm and add-in builds run. A compile error shows in
// the cargo suite, whose test run meets it again.
let compiling = null;
const stopCompiling = new AbortController();
if (chosen.includes('cargo') && !serial) {
  const started = Date.now();
  console.log('▶ compiling the Rust tests meanwhile (cargo test --no-run)');
  compiling = run('cargo', cargoArgs(quick, ['--no-run']), { tee: true, quiet: true, nice: BACKGROUND_NICE, env: cargoEnv(), signal: stopCompiling.signal })
    .then((r) => ({ ...r, ms: Date.now() - started }), (e) => ({ code: 1, output: String(e), ms: Date.now() - started }))
    .then((r) => {
      console.log(`▶ Rust tests compiled (${seconds(r.ms)})`);
      return r;
    });
}
try {
  await build(await setup({ forTests: true }));
} catch (e) {
  setupError = e.message;
  console.error(`\nSet-up or build failed: ${e.message}`);
}
buildSeconds = Math.round((Date.now() - begun) / 1000);
if (setupError !== null) stopCompiling.abort();

if (setupError === null) {
  const bg = { serial, nice: BACKGROUND_NICE };
  const fg = { serial };
  const jobs = {
    // Started first: the longest suites with the most waiting.
    e2e: () => nodeSuite('e2e', ['e2e'], { ...fg, concurrency: serial ? 1 : E2E_FILES_AT_ONCE, first: SLOWEST_FIRST.e2e }),
    thunderbird: () => nodeSuite('thunderbird', ['thunderbird'], { ...fg, concurrency: serial ? 1 : THUNDERBIRD_FILES_AT_ONCE, first: SLOWEST_FIRST.thunderbird }),
    cargo: async () => cargoSuite({ ...bg, quick, compiled: await compiling }),
    node: () => nodeSuite('node', ['wasm', 'manifest', 'server', 'scripts', 'office', 'keyring', 'shell', 'bench'], { ...bg, concurrency: serial ? 1 : NODE_FILES_AT_ONCE, first: SLOWEST_FIRST.node }),
  };
  const order = Object.keys(jobs).filter((s) => chosen.includes(s));
  if (serial) {
    for (const s of SUITES.filter((x) => chosen.includes(x))) suites[s] = await jobs[s]();
  } else {
    step(`Running ${order.join(', ')} at the same time (${os.availableParallelism?.() ?? os.cpus().length} CPUs)`);
    const results = await Promise.all(order.map((s) => jobs[s]()));
    // Summary in the fixed order, whatever ended first.
    for (const s of SUITES) {
      const i = order.indexOf(s);
      if (i >= 0) suites[s] = results[i];
    }
  }
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
const totalSeconds = Math.round((Date.now() - begun) / 1000);

fs.mkdirSync(RESULTS, { recursive: true });
fs.writeFileSync(path.join(RESULTS, 'summary.json'), `${JSON.stringify({ ...total, suites, notRun, quick, setupError, buildSeconds, totalSeconds }, null, 2)}\n`);
console.log(`\nSet-up and build: ${buildSeconds} s`);
console.log('Suites (wall-clock time; they run at the same time unless --serial):');
for (const [name, s] of Object.entries(suites)) {
  const compile = s.compileSeconds === undefined ? '' : `; compiled in ${s.compileSeconds} s during the build`;
  console.log(`  ${name.padEnd(11)} ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped  (${s.seconds} s${compile})`);
}
if (quick) console.log('  quick run: cargo ran its unit tests only (--lib), not the integration tests');
for (const s of notRun) console.log(`  ${s.padEnd(11)} not run (${quick ? '--quick' : '--only'}): its tests are neither passed nor counted`);
console.log(`Total: ${totalSeconds} s`);
console.log(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped${notRun.length > 0 ? ` (not run: ${notRun.join(', ')})` : ''}`);
process.exit(total.failed === 0 ? 0 : 1);
