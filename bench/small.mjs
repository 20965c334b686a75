// The message-making cells at small sizes (issue 20: "users feel the small cells most"), Cachet's
// Wasm builds side by side in one Node process: sign, encrypt-1, encrypt-10, sign+encrypt and
// gcm-encrypt through the same Keyring methods as the Chromium bench (signAsync/encryptAsync
// when the build has them), each output cross-checked by openssl once per build. Every call is
// timed in CPU time of this process (process.cpuUsage: user + system, all threads, WebCrypto's
// too) and wall time; medians of interleaved rounds (the builds alternate going first) after a
// warm-up round. CPU time is the figure to compare on a shared machine.
//
//   node bench/small.mjs [--rounds N] [--size 2KB] [--pkg DIR[,DIR...]] [--only op,op] [--work DIR]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crossCheck, median, timed } from './common.mjs';
import { makeFixtures } from './fixtures.mjs';
import { PKG, loadCore, makeOps } from './node.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const rounds = Number(arg('--rounds', '60'));
const size = arg('--size', '2KB');
const pkgs = arg('--pkg', PKG).split(',').map((p) => path.resolve(p));
const work = path.resolve(arg('--work', path.join(ROOT, '.cache', 'bench')));
const only = arg('--only', 'sign,encrypt-1,encrypt-10,sign+encrypt,gcm-encrypt').split(',');

const fixtures = await makeFixtures(work, { sizes: [size], log: (m) => console.error(m) });
const msg = fs.readFileSync(fixtures.sizes[size].msg);
const builds = [];
for (const pkg of pkgs) {
  const { core } = await loadCore(pkg);
  builds.push({ pkg, ops: makeOps(core, fixtures).ops });
}

// Warm-up, and each build's output checked by openssl.
const outDir = path.join(work, 'small-out');
fs.mkdirSync(outDir, { recursive: true });
for (const [b, build] of builds.entries()) {
  for (const op of only) {
    const { output } = await build.ops[op](msg);
    const file = path.join(outDir, `${b}-${op}-${size}.eml`);
    fs.writeFileSync(file, output);
    crossCheck({ op, size, output: file, fixtures, label: `build ${b}` });
  }
}

const samples = builds.map(() => Object.fromEntries(only.map((op) => [op, []])));
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const loadBefore = load();
for (let i = 0; i < rounds; i++) {
  for (const op of only) {
    const order = builds.map((_, b) => b);
    if (i % 2) order.reverse();
    for (const b of order) samples[b][op].push(await timed(() => builds[b].ops[op](msg)));
  }
}
const f = (x) => x.toFixed(3);
for (const op of only) {
  const cells = builds.map((_, b) => {
    const xs = samples[b][op];
    return `${f(median(xs.map((x) => x.cpu)))} cpu / ${f(median(xs.map((x) => x.ms)))} wall`;
  });
  console.log(`${op} ${size}: ${cells.join('  |  ')}`);
}
console.log(`builds: ${pkgs.map((p) => path.relative(ROOT, p) || '.').join(' | ')}; ${rounds} interleaved rounds, medians in ms; load average before ${loadBefore}, after ${load()} (${os.cpus().length} CPUs); outputs checked by openssl`);
