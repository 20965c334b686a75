// Node cells: Cachet's Wasm build (addin/pkg, made by scripts/build.mjs) loaded in Node with
// initSync, timed in-process (performance.now) after a warm-up round, medians. The identities are
// unlocked once before timing, in the warm-up (as in the add-in, where a session unlocks once).
// Outputs are written to files and cross-checked with openssl like the native ones. Peak memory
// of the 25 MB cases: each op runs alone in a child process, which unlocks only the identity the
// op uses (Wasm memory size after the op, the process's peak RSS).
// When the core offers async exports (e.g. Keyring.signAsync), they are used instead.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MAKES_MESSAGE, OPS, certBase64, checkOpenReport, crossCheck, inputOf, median, roundsFor } from './common.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PKG = path.join(ROOT, 'addin', 'pkg');

/** Load the Wasm build; returns { core, wasm } (wasm: the instance exports, with its memory). */
export async function loadCore(pkg = PKG) {
  const js = path.join(pkg, 'cachet.js');
  const bin = path.join(pkg, 'cachet_bg.wasm');
  if (!fs.existsSync(js) || !fs.existsSync(bin)) throw new Error(`the Wasm build is missing (${path.relative(ROOT, pkg)}): run npm run build`);
  const core = await import(pathToFileURL(js).href);
  const wasm = core.initSync({ module: fs.readFileSync(bin) });
  return { core, wasm };
}

/** The async variant of a method when the core has one, else the plain one (both awaited). */
function method(obj, name, used) {
  if (typeof obj[`${name}Async`] === 'function') {
    used.add(`${name}Async`);
    return (...args) => obj[`${name}Async`](...args);
  }
  if (typeof obj[name] !== 'function') throw new Error(`the Wasm build has no ${name} export`);
  used.add(name);
  return (...args) => obj[name](...args);
}

/**
 * One function per op: bytes in -> { output: bytes, report?: object }. Each identity is unlocked
 * once, by the first call of an op that uses it (the warm-up round, never a timed one): the
 * child process measuring one op's peak memory unlocks only the identity that op uses (none to
 * verify or encrypt).
 */
export function makeOps(core, fixtures, used = new Set()) {
  const password = fs.readFileSync(fixtures.signer.pass, 'utf8').replace(/\r?\n$/, '');
  const signerRing = new core.Keyring();
  let signerHandle = null;
  const signer = () => (signerHandle ??= signerRing.unlock(fs.readFileSync(fixtures.signer.p12), password));
  const rcptRing = new core.Keyring();
  let rcptHandle = null;
  const rcpt = () => (rcptHandle ??= rcptRing.unlock(fs.readFileSync(fixtures.recipients[0].p12), password));
  const at = Math.floor(Date.now() / 1000);
  const trust = [certBase64(fixtures.ca.cert)];
  const rcpt0 = [certBase64(fixtures.recipients[0].cert)];
  const all = fixtures.recipients.map((r) => certBase64(r.cert));

  const sign = method(signerRing, 'sign', used);
  const encryptS = method(signerRing, 'encrypt', used);
  const openR = method(rcptRing, 'open', used);
  const openM = method(core, 'openMessage', used);
  const enc = (handle, recipients, extra = {}) => async (msg) => ({
    output: await encryptS(handle(), msg, { recipients, sign: false, cipher: 'aes256-cbc', oaep: false, at, ...extra }),
  });
  const noIdentity = () => undefined;
  const open = (fn, options, unlock = () => {}) => async (msg) => {
    unlock();
    const { report, content } = await fn(msg, { at, ...options });
    if (!content) throw new Error(`no content came back (status ${report.status})`);
    return { output: content, report };
  };
  const ops = {
    sign: async (msg) => ({ output: await sign(signer(), msg, false, at) }),
    verify: open(openM, { trust }),
    'encrypt-1': enc(noIdentity, rcpt0),
    'encrypt-10': enc(noIdentity, all),
    decrypt: open(openR, {}, rcpt),
    'sign+encrypt': enc(signer, rcpt0, { sign: true }),
    'decrypt+verify': open(openR, { trust }, rcpt),
    'gcm-encrypt': enc(noIdentity, rcpt0, { cipher: 'aes256-gcm' }),
    'gcm-decrypt': open(openR, {}, rcpt),
  };
  const free = () => {
    signerRing.free();
    rcptRing.free();
  };
  return { ops, free, used };
}

function outFile(outDir, op, size) {
  return path.join(outDir, `node-cachet-${op}-${size}.${MAKES_MESSAGE.has(op) ? 'eml' : 'content'}`);
}

/** Peak memory of one op on one size, alone in a child process. */
function childMemory(fixtures, op, size, pkg) {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [self, '--child', JSON.stringify({ fixtures, op, size, pkg })], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`node memory run ${op} ${size} failed: ${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop();
  return JSON.parse(line);
}

/**
 * Run the Node cells. Returns { env, cells, memory, checks, notes }.
 * `memorySizes`: sizes whose peak memory is measured in child processes (default the 25 MB one).
 */
export async function runNode({ fixtures, rounds = 5, quick = false, sizes, outDir, log = console.log, memorySizes = ['25MB'], pkg = PKG }) {
  fs.mkdirSync(outDir, { recursive: true });
  const { core } = await loadCore(pkg);
  const { ops, free, used } = makeOps(core, fixtures);
  const inputs = {};
  for (const size of sizes) for (const op of OPS) inputs[`${op}|${size}`] = fs.readFileSync(inputOf(op, fixtures.sizes[size]));

  const samples = new Map();
  const last = new Map();
  const checks = [];
  const plan = sizes.map((size) => ({ size, rounds: roundsFor(size, rounds, quick) }));
  const maxRounds = Math.max(...plan.map((p) => p.rounds));
  const check = (op, size, result) => {
    const output = outFile(outDir, op, size);
    fs.writeFileSync(output, result.output);
    const said = result.report ? checkOpenReport(op, size, result.report, 'node cachet') : null;
    const how = crossCheck({ op, size, output, fixtures, label: 'node cachet' });
    return { output, how: said ? `${said}; ${how}` : how };
  };
  try {
    for (let r = 0; r <= maxRounds; r++) {
      log(`node: round ${r === 0 ? 'warm-up' : `${r}/${maxRounds}`}`);
      for (const { size, rounds: n } of plan) {
        if (r > n) continue;
        for (const op of OPS) {
          const input = inputs[`${op}|${size}`];
          const t0 = performance.now();
          const result = await ops[op](input);
          const ms = performance.now() - t0;
          if (r === 0) {
            check(op, size, result);
            continue;
          }
          const k = `${op}|${size}`;
          if (!samples.has(k)) samples.set(k, []);
          samples.get(k).push(ms);
          last.set(k, result);
        }
      }
    }
  } finally {
    free();
  }

  const cells = [];
  for (const { size } of plan) {
    for (const op of OPS) {
      const k = `${op}|${size}`;
      const { output, how } = check(op, size, last.get(k));
      const s = samples.get(k);
      cells.push({ runtime: 'node', impl: 'cachet', op, size, ms: median(s), samples: s, output });
      checks.push({ runtime: 'node', impl: 'cachet', op, size, ok: true, how });
    }
  }
  last.clear();

  const memory = [];
  for (const size of memorySizes.filter((s) => sizes.includes(s))) {
    log(`node: peak memory, ${size} (one child process per op)`);
    for (const op of OPS) {
      const m = childMemory(fixtures, op, size, pkg);
      memory.push({ runtime: 'node', impl: 'cachet', op, size, peakBytes: m.maxRssBytes, wasmBytes: m.wasmBytes });
    }
  }
  const notes = [
    `In-process time of the export call (bytes in, bytes out), identities unlocked once before timing; exports used: ${[...used].sort().join(', ')}.`,
  ];
  return { env: { node: process.version, cachetWasm: core.version() }, cells, memory, checks, notes };
}

// Child mode: one op on one size, then report the peak memory on the last line of stdout.
if (process.argv[2] === '--child' && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { fixtures, op, size, pkg } = JSON.parse(process.argv[3]);
  const { core, wasm } = await loadCore(pkg);
  const { ops } = makeOps(core, fixtures);
  const input = fs.readFileSync(inputOf(op, fixtures.sizes[size]));
  const result = await ops[op](input);
  if (!result.output || result.output.length === 0) throw new Error(`${op} ${size} gave no output`);
  const wasmBytes = wasm.memory.buffer.byteLength;
  // The peak of this process's own memory: VmHWM (Linux) starts afresh at exec, whereas maxRSS
  // (getrusage) carries over the peak of the parent it was forked from.
  let maxRssBytes = process.resourceUsage().maxRSS * 1024;
  try {
    const hwm = fs.readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s+(\d+) kB$/m);
    if (hwm) maxRssBytes = Number(hwm[1]) * 1024;
  } catch {
    // not Linux: getrusage it is
  }
  console.log(JSON.stringify({ wasmBytes, maxRssBytes }));
}
