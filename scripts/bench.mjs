// `npm run bench`: Cachet's speed and size against OpenSSL and PKI.js, side by side (see the
// README, section "Benchmarks"). Installs what is missing, builds the Wasm module and the native
// CLI, makes the fixtures, runs the parts, cross-checks every output with openssl and writes
// bench/RESULTS.md.
//
//   npm run bench                      everything: 2 KB, 1 MB, 10 MB, 25 MB; writes bench/RESULTS.md
//   npm run bench -- --quick           smoke run: 2 KB and 1 MB, 2 rounds
//   npm run bench -- --only native,node
//   npm run bench -- --rounds 7 --sizes 2KB,10MB --out results.md
//   npm run bench -- --from-json .cache/bench/results.json   the report again, from a run's raw results
//   npm run bench -- --no-hosts          without the Outlook task pane timing (bench/outlook.mjs)
//   npm run bench -- --quick --speed-only sha256   measure only some openssl speed rates (1 s each,
//                                        RSA 2 s), for runs without 10 or 25 MB cells
//
// A partial run (--quick, --only, --sizes) writes .cache/bench/RESULTS.partial.md unless --out
// says otherwise: bench/RESULTS.md always holds a complete run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync, constants as zlib } from 'node:zlib';
import { crossCheck } from '../bench/common.mjs';
import { SIZES, makeFixtures } from '../bench/fixtures.mjs';
import { runNative } from '../bench/native.mjs';
import { PKG, runNode } from '../bench/node.mjs';
import { writeReport } from '../bench/report.mjs';
import { SPEED_MEASURES, costSizes, measureSpeed } from '../bench/speed.mjs';
import { build } from './build.mjs';
import { ensureBenchTools } from './lib/system.mjs';
import { ROOT, must, output, step } from './lib/run.mjs';
import { setup } from './setup.mjs';

const PARTS = ['chromium', 'node', 'native'];
const BROWSER = path.join(ROOT, 'bench', 'browser.mjs');
const OUTLOOK = path.join(ROOT, 'bench', 'outlook.mjs');
/** The sizes the hosts' time to status is measured at (those of them in the run). */
const HOST_SIZES = ['2KB', '25MB'];

export function parseArgs(argv) {
  const o = { quick: false, rounds: null, only: [...PARTS], sizes: null, out: null, speedSeconds: null, speedOnly: null, fixtures: null, work: null, build: true, hosts: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--rounds') o.rounds = Number(value());
    else if (a === '--only') o.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--sizes') o.sizes = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--out') o.out = path.resolve(value());
    else if (a === '--speed-seconds') o.speedSeconds = Number(value());
    else if (a === '--speed-only') o.speedOnly = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--fixtures') o.fixtures = path.resolve(value());
    else if (a === '--work') o.work = path.resolve(value());
    else if (a === '--no-build') o.build = false;
    else if (a === '--no-hosts') o.hosts = false;
    else if (a === '--from-json') o.fromJson = path.resolve(value());
    else throw new Error(`unknown option ${a}; options: --quick, --rounds N, --only ${PARTS.join(',')}, --sizes ${Object.keys(SIZES).join(',')}, --out FILE, --speed-seconds N, --speed-only ${SPEED_MEASURES.join(',')}, --fixtures DIR, --work DIR, --no-build, --no-hosts, --from-json FILE`);
  }
  for (const p of o.only) if (!PARTS.includes(p)) throw new Error(`--only takes ${PARTS.join(', ')}; not ${p}`);
  o.sizes ??= o.quick ? ['2KB', '1MB'] : Object.keys(SIZES);
  for (const s of o.sizes) if (!(s in SIZES)) throw new Error(`--sizes takes ${Object.keys(SIZES).join(', ')}; not ${s}`);
  o.sizes = Object.keys(SIZES).filter((s) => o.sizes.includes(s));
  o.rounds ??= o.quick ? 2 : 5;
  if (!(Number.isInteger(o.rounds) && o.rounds >= 1)) throw new Error('--rounds needs a whole number >= 1');
  o.speedSeconds ??= o.quick ? 1 : 2;
  if (o.speedOnly) {
    for (const m of o.speedOnly) if (!SPEED_MEASURES.includes(m)) throw new Error(`--speed-only takes ${SPEED_MEASURES.join(', ')}; not ${m}`);
    // The crypto cost of a 10 or 25 MB cell needs every rate.
    if (costSizes(o.sizes).length > 0) throw new Error('--speed-only is for runs without 10 MB or 25 MB cells (their crypto cost needs every openssl speed rate)');
  }
  const complete = !o.quick && o.only.length === PARTS.length && o.sizes.length === Object.keys(SIZES).length;
  o.out ??= complete ? path.join(ROOT, 'bench', 'RESULTS.md') : path.join(ROOT, '.cache', 'bench', 'RESULTS.partial.md');
  return o;
}

export function cargoTargetDir() {
  const meta = output('cargo', ['metadata', '--format-version', '1', '--no-deps']);
  return meta === null ? path.join(ROOT, 'target') : JSON.parse(meta).target_directory;
}

/** Build the native CLI at opt-level 3 (the release profile); returns its path. */
export async function buildCli() {
  step('Building the native CLI (cargo build --release -p cachet)');
  await must('cargo', ['build', '--release', '-p', 'cachet', '--bin', 'cachet']);
  const bin = path.join(cargoTargetDir(), 'release', 'cachet');
  if (!fs.existsSync(bin)) throw new Error(`cargo built no ${bin}`);
  return bin;
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : null;
}

export function machine() {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return { cpu: model.trim(), cores: os.cpus().length, ramBytes: os.totalmem(), kernel: `${os.type()} ${os.release()} ${os.arch()}` };
}

export function wasmSize(pkg = PKG) {
  const bytes = fs.readFileSync(path.join(pkg, 'cachet_bg.wasm'));
  return { rawBytes: bytes.length, gzipBytes: gzipSync(bytes, { level: zlib.Z_BEST_COMPRESSION }).length };
}

function gitCommit() {
  const head = firstLine('git', ['rev-parse', '--short=12', 'HEAD']);
  if (head === null) return 'unknown (not a git checkout)';
  const dirty = firstLine('git', ['status', '--porcelain', '--untracked-files=no']);
  return dirty ? `${head} (with uncommitted changes)` : head;
}

/** Run the benchmark; returns { results, file, misses }. */
export async function bench(o, log = console.log) {
  const wantBrowser = o.only.includes('chromium');
  if (wantBrowser && !fs.existsSync(BROWSER)) {
    throw new Error('bench/browser.mjs (the Chromium part: Cachet against PKI.js in headless Chromium) is not in this checkout yet; run the other parts with --only node,native');
  }
  if (o.build) {
    await build(await setup());
    await ensureBenchTools(wantBrowser ? ['openssl', 'time', 'chromium'] : ['openssl', 'time']);
  }
  let cachetBin = null;
  if (o.only.includes('native')) cachetBin = o.cachetBin ?? (o.build ? await buildCli() : path.join(cargoTargetDir(), 'release', 'cachet'));

  const work = o.work ?? path.join(ROOT, '.cache', 'bench');
  const outDir = path.join(work, 'out');
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  step(`Fixtures (${o.sizes.join(', ')})`);
  const fixtures = await makeFixtures(o.fixtures ?? path.join(work, 'fixtures'), { sizes: o.sizes, log });

  step('openssl speed (the pure crypto cost)');
  const speed = measureSpeed({ seconds: o.speedSeconds, only: o.speedOnly ?? SPEED_MEASURES, log });

  const results = {
    argv: o.argv ?? [],
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: machine(),
    versions: {},
    parts: PARTS.filter((p) => o.only.includes(p)),
    sizes: o.sizes,
    bytes: Object.fromEntries(o.sizes.map((s) => [s, fs.statSync(fixtures.sizes[s].msg).size])),
    memorySizes: o.sizes.filter((s) => s === '25MB'),
    rounds: o.rounds,
    quick: o.quick,
    cells: [],
    checks: [],
    memory: [],
    responsiveness: [],
    notes: [],
    speed,
    start: null,
    wasm: wasmSize(),
  };
  if (o.memorySizes) results.memorySizes = o.memorySizes;
  const common = { fixtures, rounds: o.rounds, quick: o.quick, sizes: o.sizes, log, memorySizes: results.memorySizes };

  if (o.only.includes('native')) {
    step('Native: cachet CLI vs openssl cms');
    // The process start rounds: runNative's default unless the caller (the harness test) says.
    const r = await runNative({ ...common, outDir: path.join(outDir, 'native'), cachetBin, ...(o.startRounds ? { startRounds: o.startRounds } : {}) });
    results.cells.push(...r.cells);
    results.checks.push(...r.checks);
    results.memory.push(...r.memory);
    results.start = r.start;
    results.notes.push(...r.notes.map((n) => `Native: ${n}`));
    results.versions.cachet = r.env.cachet;
  }
  if (o.only.includes('node')) {
    step('Node: Cachet Wasm');
    const r = await runNode({ ...common, outDir: path.join(outDir, 'node') });
    results.cells.push(...r.cells);
    results.checks.push(...r.checks);
    results.memory.push(...r.memory);
    results.notes.push(...r.notes.map((n) => `Node: ${n}`));
    results.versions['cachet (Wasm)'] = r.env.cachetWasm;
  }
  if (wantBrowser) {
    step('Chromium: Cachet Wasm vs PKI.js');
    const { runBrowser } = await import(pathToFileURL(BROWSER).href);
    const r = await runBrowser({ fixtures, rounds: o.rounds, quick: o.quick, sizes: o.sizes, outDir: path.join(outDir, 'chromium'), log, memorySizes: results.memorySizes });
    results.cells.push(...r.cells);
    results.floor = r.floor ?? [];
    results.memory.push(...(r.memory ?? []));
    results.responsiveness = r.responsiveness ?? [];
    results.notes.push(...(r.notes ?? []).map((n) => (n.startsWith('Chromium') ? n : `Chromium: ${n}`)));
    results.wasm.instantiateMs = r.wasm?.instantiateMs;
    results.versions.chromium = r.env?.chromium;
    results.versions.pkijs = r.env?.pkijs;
    if (r.wasm?.rawBytes && r.wasm.rawBytes !== results.wasm.rawBytes) {
      results.notes.push(`Chromium loaded a ${r.wasm.rawBytes}-byte Wasm module; addin/pkg has ${results.wasm.rawBytes} bytes (the size table is for addin/pkg).`);
    }
    step('Cross-checking the Chromium outputs with openssl');
    const unchecked = new Map();
    for (const c of r.cells) {
      // A peer's output openssl cannot read for a structural reason is marked so by the browser part.
      if (c.uncheckable && c.impl !== 'cachet') {
        const key = `${c.impl} ${c.op}`;
        const u = unchecked.get(key) ?? { sizes: [], reason: c.uncheckable };
        u.sizes.push(c.size);
        unchecked.set(key, u);
        continue;
      }
      const how = crossCheck({ op: c.op, size: c.size, output: c.output, fixtures, label: `chromium ${c.impl}` });
      results.checks.push({ runtime: 'chromium', impl: c.impl, op: c.op, size: c.size, ok: true, how });
    }
    for (const [what, u] of unchecked) results.notes.push(`Chromium: ${what} (${u.sizes.join(', ')}) not checked by openssl: ${u.reason}`);
    const hostSizes = o.sizes.filter((s) => HOST_SIZES.includes(s));
    if (o.hosts && hostSizes.length > 0) {
      step('Outlook task pane: time to status');
      const { runOutlook } = await import(pathToFileURL(OUTLOOK).href);
      const h = await runOutlook({ fixtures, sizes: hostSizes, rounds: o.quick ? 1 : 3, log });
      results.hosts = h.rows;
      results.notes.push(...h.notes.map((n) => `Hosts: ${n}`));
    }
  }
  results.versions.node = process.version;
  results.versions.openssl = firstLine('openssl', ['version']);
  results.versions.rustc = firstLine('rustc', ['-V']);
  results.versions['git commit'] = gitCommit();

  step('Report');
  // The raw results first, so a report that cannot be written (a missing number) loses no run:
  // fix the cause, then `npm run bench -- --from-json FILE` writes the report again.
  const json = path.join(work, 'results.json');
  fs.writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  log(`raw results: ${path.relative(ROOT, json) || json}`);
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  const { file, misses } = writeReport(results, o.out);
  log(`${results.checks.length} outputs cross-checked by openssl, all good`);
  log(`wrote ${path.relative(ROOT, file) || file}; ${misses.length === 0 ? 'every target met' : `${misses.length} target(s) missed:`}`);
  for (const m of misses) log(`  ✗ ${m}`);
  return { results, file, misses, fixtures };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const argv = process.argv.slice(2);
    const o = parseArgs(argv);
    if (o.fromJson) {
      // Only the report, from the raw results of an earlier run (written to its work directory).
      const results = JSON.parse(fs.readFileSync(o.fromJson, 'utf8'));
      const complete = results.parts.length === PARTS.length && !results.quick && results.sizes.length === Object.keys(SIZES).length;
      const out = argv.includes('--out') ? o.out : path.join(ROOT, complete ? 'bench' : '.cache/bench', complete ? 'RESULTS.md' : 'RESULTS.partial.md');
      const { misses } = writeReport(results, out);
      console.log(`wrote ${path.relative(ROOT, out) || out}; ${misses.length} target(s) missed`);
    } else {
      await bench({ ...o, argv });
    }
  } catch (e) {
    console.error(`\nBenchmark failed: ${e.message}`);
    process.exit(1);
  }
}
