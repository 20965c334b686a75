// Native cells: the `cachet` CLI against `openssl cms`, whole process (start, read the files,
// work, write the output), same inputs from files, outputs to files, each process started and
// timed by a small process of its own (bench/timed-spawn.mjs). Interleaved rounds (Cachet
// and openssl alternate who goes first), a discarded warm-up round, medians. Process start is
// measured on its own (`cachet version`, `openssl version`), peak RSS of the 25 MB cases with
// /usr/bin/time. Every Cachet output is cross-checked with openssl; every openssl-made input
// Cachet opens must be reported valid / decrypted.
import { fork, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAKES_MESSAGE, OPS, checkOpenReport, crossCheck, inputOf, median, roundsFor } from './common.mjs';

/**
 * The processes of one cell: [{ cmd, args, stdin?, stdout? }], run one after the other.
 * Cachet reads stdin and writes stdout (its CLI); openssl reads -in and writes -out.
 */
export function commands(impl, op, size, fixtures, outDir, cachetBin) {
  const fx = fixtures.sizes[size];
  const s = fixtures.signer;
  const r0 = fixtures.recipients[0];
  const input = inputOf(op, fx);
  const out = path.join(outDir, `${impl}-${op}-${size}.${MAKES_MESSAGE.has(op) ? 'eml' : 'content'}`);
  const mid = path.join(outDir, `${impl}-${op}-${size}.mid`);
  const report = path.join(outDir, `${impl}-${op}-${size}.report.json`);
  if (impl === 'cachet') {
    const c = (args, extra = {}) => ({ cmd: cachetBin, args, stdin: input, ...extra });
    const id = (p) => ['--identity', p.p12, '--password-file', p.pass];
    const open = (args) => c(['open', ...args, '--content', out], { stdout: report, report: true });
    const steps = {
      sign: [c(['sign', ...id(s)], { stdout: out })],
      verify: [open(['--trust', fixtures.ca.cert])],
      'encrypt-1': [c(['encrypt', '--recipient', r0.cert], { stdout: out })],
      'encrypt-10': [c(['encrypt', ...fixtures.recipients.flatMap((r) => ['--recipient', r.cert])], { stdout: out })],
      decrypt: [open(id(r0))],
      'sign+encrypt': [c(['encrypt', '--sign', ...id(s), '--recipient', r0.cert], { stdout: out })],
      'decrypt+verify': [open([...id(r0), '--trust', fixtures.ca.cert])],
      'gcm-encrypt': [c(['encrypt', '--cipher', 'aes256-gcm', '--recipient', r0.cert], { stdout: out })],
      'gcm-decrypt': [open(id(r0))],
    };
    return { out, report: steps[op].some((x) => x.report) ? report : null, steps: steps[op] };
  }
  const o = (args) => ({ cmd: 'openssl', args: ['cms', ...args] });
  // The key is read from the same PKCS#12 file Cachet unlocks (openssl cms takes it as -inkey).
  const signArgs = (from, to) => ['-sign', '-binary', '-md', 'sha256', '-signer', s.cert, '-inkey', s.p12, '-passin', `file:${s.pass}`, '-in', from, '-out', to];
  const decArgs = (from, to) => ['-decrypt', '-binary', '-recip', r0.cert, '-inkey', r0.p12, '-passin', `file:${r0.pass}`, '-in', from, '-out', to];
  const verArgs = (from, to) => ['-verify', '-CAfile', fixtures.ca.cert, '-in', from, '-out', to];
  const steps = {
    sign: [o(signArgs(input, out))],
    verify: [o(verArgs(input, out))],
    'encrypt-1': [o(['-encrypt', '-binary', '-aes256', '-in', input, '-out', out, r0.cert])],
    'encrypt-10': [o(['-encrypt', '-binary', '-aes256', '-in', input, '-out', out, ...fixtures.recipients.map((r) => r.cert)])],
    decrypt: [o(decArgs(input, out))],
    // Two processes, summed: sign, then encrypt to bob0 and to the sender (as Cachet does).
    'sign+encrypt': [o(signArgs(input, mid)), o(['-encrypt', '-binary', '-aes256', '-in', mid, '-out', out, r0.cert, s.cert])],
    // Two processes, summed: decrypt, then verify.
    'decrypt+verify': [o(decArgs(input, mid)), o(verArgs(mid, out))],
    'gcm-encrypt': [o(['-encrypt', '-binary', '-aes-256-gcm', '-in', input, '-out', out, r0.cert])],
    'gcm-decrypt': [o(decArgs(input, out))],
  };
  return { out, report: null, steps: steps[op] };
}

const TIMED_SPAWN = fileURLToPath(new URL('./timed-spawn.mjs', import.meta.url));

/**
 * The process that starts the timed processes (bench/timed-spawn.mjs, see there why):
 * `run(step)` resolves to the step's wall time in ms; `stop()` ends it.
 */
function startTimer() {
  const child = fork(TIMED_SPAWN, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = [];
  child.on('message', (m) => waiting.shift()?.resolve(m));
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`the timing process exited (${code})`));
  });
  const run = (step) =>
    new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      child.send({ cmd: step.cmd, args: step.args, stdin: step.stdin ?? null, stdout: step.stdout ?? null });
    }).then((t) => {
      if (t.error) throw new Error(`cannot run ${step.cmd}: ${t.error}`);
      if (t.status !== 0) throw new Error(`${step.cmd} ${step.args.join(' ')} exited with ${t.status}: ${t.stderr.trim()}`);
      return t.ms;
    });
  return { run, stop: () => child.disconnect() };
}

/** Run a cell's processes once through `timer`; resolves to the summed wall time in ms. */
async function runCell(timer, cell) {
  let ms = 0;
  for (const step of cell.steps) ms += await timer.run(step);
  return ms;
}

/** Peak RSS (bytes) over a cell's processes, from /usr/bin/time -f %M (KiB), run by `timer` (its time unused). */
async function peakRss(timer, cell, tmp) {
  let peak = 0;
  for (const step of cell.steps) {
    await timer.run({ ...step, cmd: '/usr/bin/time', args: ['-f', '%M', '-o', tmp, step.cmd, ...step.args] });
    const kib = Number(fs.readFileSync(tmp, 'utf8').trim().split('\n').pop());
    if (!Number.isFinite(kib) || kib <= 0) throw new Error(`/usr/bin/time gave no peak RSS for ${step.cmd}`);
    peak = Math.max(peak, kib * 1024);
  }
  fs.rmSync(tmp, { force: true });
  return peak;
}

/**
 * Run the native cells. Returns { env, cells, start, memory, checks, notes }.
 * `memorySizes`: sizes whose peak RSS is measured (default the 25 MB one).
 */
export async function runNative({ fixtures, rounds = 5, quick = false, sizes, outDir, cachetBin, log = console.log, memorySizes = ['25MB'], startRounds = 20 }) {
  fs.mkdirSync(outDir, { recursive: true });
  const version = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout.trim();
  };
  const env = { cachet: version(cachetBin, ['version']), openssl: version('openssl', ['version']) };

  const timer = startTimer();
  try {
    return await timedRuns({ fixtures, rounds, quick, sizes, outDir, cachetBin, log, memorySizes, startRounds, timer, env });
  } finally {
    timer.stop();
  }
}

async function timedRuns({ fixtures, rounds, quick, sizes, outDir, cachetBin, log, memorySizes, startRounds, timer, env }) {
  // Process start alone, interleaved, after one warm-up each.
  const startSamples = { cachet: [], openssl: [] };
  for (let i = 0; i <= startRounds; i++) {
    const pair = [['cachet', { cmd: cachetBin, args: ['version'] }], ['openssl', { cmd: 'openssl', args: ['version'] }]];
    if (i % 2) pair.reverse();
    for (const [impl, step] of pair) {
      const ms = await timer.run(step);
      if (i > 0) startSamples[impl].push(ms);
    }
  }
  const start = { cachet: median(startSamples.cachet), openssl: median(startSamples.openssl), rounds: startRounds };
  log(`native: process start ${start.cachet.toFixed(2)} ms (cachet version), ${start.openssl.toFixed(2)} ms (openssl version)`);

  const cells = [];
  const checks = [];
  const samples = new Map();
  const key = (impl, op, size) => `${impl}|${op}|${size}`;
  const plan = sizes.map((size) => ({ size, rounds: roundsFor(size, rounds, quick) }));
  const maxRounds = Math.max(...plan.map((p) => p.rounds));

  const verifyCachet = (op, size, cell) => {
    const said = cell.report ? checkOpenReport(op, size, JSON.parse(fs.readFileSync(cell.report, 'utf8')), 'native cachet') : null;
    const how = crossCheck({ op, size, output: cell.out, fixtures, label: 'native cachet' });
    return said ? `${said}; ${how}` : how;
  };

  for (let r = 0; r <= maxRounds; r++) {
    log(`native: round ${r === 0 ? 'warm-up' : `${r}/${maxRounds}`}`);
    for (const { size, rounds: n } of plan) {
      if (r > n) continue;
      for (const op of OPS) {
        const pair = ['cachet', 'openssl'].map((impl) => [impl, commands(impl, op, size, fixtures, outDir, cachetBin)]);
        if (r % 2) pair.reverse();
        for (const [impl, cell] of pair) {
          const ms = await runCell(timer, cell);
          if (r === 0) {
            // Fail fast: check the warm-up outputs before timing anything else.
            if (impl === 'cachet') verifyCachet(op, size, cell);
            continue;
          }
          const k = key(impl, op, size);
          if (!samples.has(k)) samples.set(k, []);
          samples.get(k).push(ms);
        }
      }
    }
  }

  for (const { size } of plan) {
    for (const op of OPS) {
      for (const impl of ['cachet', 'openssl']) {
        const cell = commands(impl, op, size, fixtures, outDir, cachetBin);
        const s = samples.get(key(impl, op, size));
        cells.push({ runtime: 'native', impl, op, size, ms: median(s), samples: s, output: cell.out, processes: cell.steps.length });
        // The outputs of the last timed round are the ones checked and kept.
        if (impl === 'cachet') checks.push({ runtime: 'native', impl, op, size, ok: true, how: verifyCachet(op, size, cell) });
      }
    }
  }

  const memory = [];
  for (const size of memorySizes.filter((s) => sizes.includes(s))) {
    log(`native: peak RSS, ${size}`);
    for (const op of OPS) {
      for (const impl of ['cachet', 'openssl']) {
        const cell = commands(impl, op, size, fixtures, outDir, cachetBin);
        memory.push({ runtime: 'native', impl, op, size, peakBytes: await peakRss(timer, cell, path.join(outDir, 'time.txt')) });
      }
    }
  }

  const notes = [
    'Whole process: start, read the input file, work, write the output file; medians of interleaved rounds (Cachet and openssl alternate going first), warm-up round discarded.',
    'Each process is started and timed by a small Node process that holds no data (bench/timed-spawn.mjs), not by the benchmark\'s own: starting a process forks its parent, and the fork takes longer the more memory the parent holds (a parent holding 800 MB more made one 25 MB cell 24 ms slower; until 2026-12-07 every native cell, Cachet\'s and openssl\'s, included this cost of the benchmark\'s process, about 6 ms at 2 KB).',
    'Both sides read the private key from the same PKCS#12 file (Cachet unlocks it; openssl cms takes it as -inkey with -passin), so both pay its PBKDF2 unlock in every process.',
    'sign+encrypt for openssl is two processes summed (cms -sign, then cms -encrypt to bob0 and the sender, as Cachet encrypts to the sender too); decrypt+verify likewise (cms -decrypt, then cms -verify).',
    'Cachet verify/decrypt runs write the report (stdout) and the recovered content (--content); openssl writes the content.',
  ];
  return { env, cells, start, memory, checks, notes };
}
