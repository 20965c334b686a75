// CPU and wall time of unlocking a stored identity (its backup at DEFAULT_BACKUP_ITERATIONS)
// and of importing a .p12 and writing its backup, under Node: the synchronous exports (the
// password hashing all in Wasm) against the asynchronous ones (PBKDF2 by WebCrypto's
// deriveBits, the PKCS#12 MAC in Wasm). Interleaved rounds; CPU time is process.cpuUsage(),
// which counts the thread pool WebCrypto's PBKDF2 runs on. Optional argument: the folder of
// another build (wasm-bindgen output) to time as "before" (its synchronous exports).
//
//   node bench/unlock.mjs [rounds] [before-pkg-dir]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, makePki } from '../tests/shared.mjs';

const rounds = Number(process.argv[2] ?? 5);
const beforeDir = process.argv[3];

async function load(dir) {
  const core = await import(path.join(dir, 'cachet.js'));
  core.initSync({ module: fs.readFileSync(path.join(dir, 'cachet_bg.wasm')) });
  return core;
}

const after = await load(path.join(ROOT, 'addin', 'pkg'));
const before = beforeDir ? await load(path.resolve(beforeDir)) : after;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-bench-unlock-'));
const pki = await makePki(dir, { ca: { cn: 'Bench Root' }, people: [{ name: 'alice', cn: 'alice', email: 'alice@example.org' }], password: 'pw' });
const p12 = fs.readFileSync(pki.people.alice.p12);
const PASS = 'device passphrase';
const seed = new after.Keyring();
const backup = seed.exportBackup(seed.unlock(p12, 'pw'), PASS);

const ops = {
  'unlock (sync, before)': async () => {
    const r = new before.Keyring();
    r.unlock(backup, PASS);
    r.free();
  },
  'unlock (async, WebCrypto PBKDF2)': async () => {
    const r = new after.Keyring();
    r.add(await after.unlockAsync(backup, PASS));
    r.free();
  },
  'import + backup (sync, before)': async () => {
    const r = new before.Keyring();
    r.exportBackup(r.unlock(p12, 'pw'), PASS);
    r.free();
  },
  'import + backup (async, WebCrypto PBKDF2)': async () => {
    const r = new after.Keyring();
    await r.exportBackupAsync(r.add(await after.unlockAsync(p12, 'pw')), PASS);
    r.free();
  },
};

const samples = Object.fromEntries(Object.keys(ops).map((k) => [k, { cpu: [], wall: [] }]));
for (let i = 0; i <= rounds; i++) {
  const names = Object.keys(ops);
  if (i % 2) names.reverse();
  for (const name of names) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await ops[name]();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    // Round 0 is a warm-up.
    if (i > 0) {
      samples[name].cpu.push((c.user + c.system) / 1000);
      samples[name].wall.push(wall);
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`| operation (Node ${process.version}, median of ${rounds}) | CPU ms | wall ms |`);
console.log('| --- | ---: | ---: |');
for (const [name, s] of Object.entries(samples)) console.log(`| ${name} | ${median(s.cpu).toFixed(0)} | ${median(s.wall).toFixed(0)} |`);
fs.rmSync(dir, { recursive: true, force: true });
