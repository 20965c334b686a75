// The project's test vectors (tests/vectors/, format in its README) through the Wasm build
// under Node: every message is opened with the synchronous and the asynchronous (WebCrypto)
// exports, which must agree, and must give the vector's expected verdict; every identity is
// unlocked in a Keyring, every certificate summarised. Each result is also compared with
// the native CLI's JSON for the same inputs (`cachet`, built from this tree first): the
// Wasm and native builds of the core must answer alike.
//
// Skips are counted, never passed: a vector marked `known-failure:` while it still fails, and
// the CLI comparison when the CLI cannot be built (an error under CI=true).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, after, test } from 'node:test';
import { ROOT, buildCli, skipOrFail } from '../shared.mjs';

const PKG = path.join(ROOT, 'addin', 'pkg');
const VECTORS = path.join(ROOT, 'tests', 'vectors');
let core;
let tmp;

/** Every vector file, relative to tests/vectors, sorted. */
function vectorFiles(dir = VECTORS, base = VECTORS) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...vectorFiles(p, base));
    else if (e.name.endsWith('.vec')) out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out.sort();
}

/** A vector: header lines (in order) and the data after the first empty line. */
function load(rel) {
  const bytes = fs.readFileSync(path.join(VECTORS, rel));
  const split = bytes.indexOf('\n\n');
  assert.ok(split > 0, `${rel}: no empty line after the header`);
  const header = bytes.subarray(0, split).toString('utf8').split('\n').map((l) => {
    const i = l.indexOf(': ');
    assert.ok(i > 0, `${rel}: header line without ': ': ${l}`);
    return [l.slice(0, i), l.slice(i + 2)];
  });
  const all = (k) => header.filter(([key]) => key === k).map(([, v]) => v);
  return { header, data: new Uint8Array(bytes.subarray(split + 2)), all, one: (k) => all(k)[0] };
}

/** Base64 DER of the (first) certificate in a PEM vector. */
function derBase64(rel) {
  const text = Buffer.from(load(rel).data).toString('latin1');
  // A certificate, or a certs-only PKCS#7 bundle (lenient/root-pem.p7c.cert.vec): the core reads both.
  const m = text.match(/-----BEGIN (CERTIFICATE|PKCS7)-----([\s\S]*?)-----END \1-----/);
  assert.ok(m, `${rel}: no PEM certificate`);
  return m[2].replace(/\s+/g, '');
}

function pointer(json, ptr) {
  let v = json;
  for (const part of ptr.split('/').slice(1)) {
    if (v === null || v === undefined) return undefined;
    v = v[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return v;
}

/** Every `check:` line that does not hold. */
function checks(v, json) {
  const out = [];
  for (const c of v.all('check')) {
    let m;
    if ((m = c.match(/^(\S+) = (.*)$/))) {
      const got = pointer(json, m[1]);
      const same = typeof got === 'string' ? got === m[2] : got === undefined ? m[2] === 'null' : JSON.stringify(got) === m[2];
      if (!same) out.push(`check ${m[1]}: want ${JSON.stringify(m[2])}, got ${JSON.stringify(got)}`);
    } else if ((m = c.match(/^(\S+) ~ (.*)$/))) {
      const got = pointer(json, m[1]);
      if (typeof got !== 'string' || !got.includes(m[2])) out.push(`check ${m[1]}: want text containing ${JSON.stringify(m[2])}, got ${JSON.stringify(got)}`);
    } else {
      throw new Error(`bad check line: ${c}`);
    }
  }
  return out;
}

/** What differs between a report and the message vector's expectations. */
function messageMismatches(v, r) {
  const out = [];
  const expect = v.one('expect');
  if (r.status !== expect) out.push(`status: want ${expect}, got ${r.status}`);
  const layers = r.layers.map((l) => `${l.kind}:${l.status}`);
  const want = v.one('layers');
  if (want !== undefined) {
    const w = want === 'none' ? [] : want.split(' ');
    if (JSON.stringify(layers) !== JSON.stringify(w)) out.push(`layers: want ${JSON.stringify(w)}, got ${JSON.stringify(layers)}`);
  }
  for (const d of v.all('diagnosis')) {
    for (const id of d.split(' ')) if (!r.diagnosis.some((x) => x.id === id)) out.push(`diagnosis ${id} missing`);
  }
  // Every repair the vector names is reported (issue 17).
  for (const code of v.all('repair')) if (!(r.repairs ?? []).some((x) => x.code === code)) out.push(`repair ${code} missing: ${JSON.stringify(r.repairs ?? [])}`);
  out.push(...checks(v, r));
  return out;
}

// ---------------------------------------------------------------------------------------
// The native CLI, for the comparison.

// Built from this tree before the tests (a no-op when it is current), so the comparison never
// depends on another test file having built it first or on an older build lying around.
let CLI = null;
let cliMissing = null;

function cli(args, input = new Uint8Array()) {
  const r = spawnSync(CLI, args, { input, maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: String(r.stderr) };
}

/** Write a vector's data to a temporary file; returns its path. */
function extract(rel) {
  const file = path.join(tmp, rel.replace(/\//g, '_'));
  fs.writeFileSync(file, load(rel).data);
  return file;
}

before(async () => {
  try {
    CLI = buildCli();
  } catch (e) {
    cliMissing = e.message;
  }
  core = await import(path.join(PKG, 'cachet.js'));
  core.initSync({ module: fs.readFileSync(path.join(PKG, 'cachet_bg.wasm')) });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-wasm-vectors-'));
});

after(() => {
  for (const ring of rings.values()) ring.free();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/**
 * Keyrings unlocked once per list of identity vectors and password, shared by the message
 * vectors, which are about opening, not unlocking (the identity vectors unlock their files
 * themselves, each in a keyring of its own, and leave it here when it unlocked): 29 message
 * vectors use bob-rsa.p12, and the NSS file's 600,000 iterations cost most of a second per
 * unlock in Wasm.
 */
const rings = new Map();
const ringKey = (ids, password) => JSON.stringify([ids, password]);

function unlockedRing(ids, password) {
  const key = ringKey(ids, password);
  let ring = rings.get(key);
  if (!ring) {
    ring = new core.Keyring();
    try {
      for (const id of ids) ring.unlock(load(id).data, password);
    } catch (e) {
      ring.free();
      throw e;
    }
    rings.set(key, ring);
  }
  return ring;
}

function openResult(result) {
  return { report: result.report, content: result.content };
}

/** Open a message vector in Wasm (sync and async must agree) and with the CLI. */
async function runMessage(v) {
  const options = {
    at: Math.floor(Date.parse(v.one('at')) / 1000),
    trust: v.all('trust').map(derBase64),
    pins: v.all('pin').map(derBase64),
    ...(v.one('message-password') !== undefined ? { password: v.one('message-password') } : {}),
  };
  const ids = v.all('identity');
  const ring = ids.length ? unlockedRing(ids, v.one('password') ?? '') : null;
  const sync = openResult(ring ? ring.open(v.data, options) : core.openMessage(v.data, options));
  const asyncResult = openResult(await (ring ? ring.openAsync(v.data, options) : core.openMessageAsync(v.data, options)));
  assert.deepEqual(asyncResult.report, sync.report, 'the asynchronous (WebCrypto) open reports what the synchronous one does');
  assert.deepEqual(asyncResult.content, sync.content, 'and gives the same content');
  let native = null;
  if (CLI) {
    const args = ['open', '--at', v.one('at')];
    for (const t of v.all('trust')) args.push('--trust', extract(t));
    for (const p of v.all('pin')) args.push('--pin', extract(p));
    const pw = path.join(tmp, 'password');
    fs.writeFileSync(pw, v.one('password') ?? '');
    for (const id of ids) args.push('--identity', extract(id), '--password-file', pw);
    if (v.one('message-password') !== undefined) {
      const mpw = path.join(tmp, 'message-password');
      fs.writeFileSync(mpw, v.one('message-password'));
      args.push('--password-file', mpw);
    }
    const r = cli(args, v.data);
    assert.ok(r.code === 0 || r.code === 3, `cachet open exits 0 or 3, not ${r.code}: ${r.stderr}`);
    native = JSON.parse(String(r.stdout));
  }
  return { report: sync.report, native };
}

/** Unlock an identity vector in a Keyring (and import it with the CLI). */
function runIdentity(rel, v) {
  const ring = new core.Keyring();
  let kept = false;
  try {
    let facts = null;
    let error = null;
    try {
      facts = ring.certificates(ring.unlock(v.data, v.one('password') ?? ''));
      // Unlocked: the message vectors that use this file with this password take this keyring.
      const key = ringKey([rel], v.one('password') ?? '');
      if (!rings.has(key)) {
        rings.set(key, ring);
        kept = true;
      }
    } catch (e) {
      if (!e || typeof e !== 'object' || e instanceof Error) throw e;
      error = e;
    }
    let native = null;
    if (CLI) {
      const pw = path.join(tmp, 'password');
      fs.writeFileSync(pw, v.one('password') ?? '');
      const file = path.join(tmp, 'identity.p12');
      fs.writeFileSync(file, v.data);
      const r = cli(['cert', file, '--password-file', pw]);
      native = r.code === 0 ? JSON.parse(String(r.stdout)) : { exit: r.code };
    }
    return { facts, error, native };
  } finally {
    if (!kept) ring.free();
  }
}

for (const rel of vectorFiles()) {
  test(rel, async (t) => {
    const v = load(rel);
    let mismatches = [];
    let native;
    let wasm;
    switch (v.one('kind')) {
      case 'message': {
        const r = await runMessage(v);
        wasm = r.report;
        native = r.native;
        mismatches = messageMismatches(v, r.report);
        if (mismatches.length) mismatches.push(`report: ${JSON.stringify({ status: wasm.status, layers: wasm.layers.map((l) => ({ kind: l.kind, status: l.status, details: l.details })), diagnosis: wasm.diagnosis, error: wasm.error })}`);
        break;
      }
      case 'identity': {
        const r = runIdentity(rel, v);
        const want = v.one('error');
        if (want) {
          if (r.error?.code !== want) mismatches.push(`error: want ${want}, got ${JSON.stringify(r.error ?? r.facts)}`);
          wasm = { exit: 2 };
        } else if (r.error) {
          mismatches.push(`unlock failed: ${JSON.stringify(r.error)}`);
        } else {
          mismatches = checks(v, r.facts);
          wasm = r.facts;
        }
        native = r.native;
        break;
      }
      case 'certificate': {
        wasm = core.certSummary(v.data);
        mismatches = checks(v, wasm);
        if (CLI) native = JSON.parse(String(cli(['cert', extract(rel)]).stdout));
        break;
      }
      default:
        assert.fail(`${rel}: unknown kind ${v.one('kind')}`);
    }
    // A known failure that the change bringing a capability fixes applies only without it.
    // A known failure that pins fix (the core has them) no longer applies.
    const reason = v.one('fixed-with') === 'pin' ? undefined : v.one('known-failure');
    if (reason && mismatches.length) {
      t.diagnostic(mismatches.join('\n'));
      t.skip(`known failure: ${reason}`);
      return;
    }
    assert.ok(!reason, `${rel} is marked as a known failure (${reason}) but now gives what it expects: remove its known-failure line (tests/vectors/make.mjs)`);
    assert.deepEqual(mismatches, [], `${rel}:\n${mismatches.join('\n')}`);
    if (native === undefined || native === null) {
      skipOrFail(t, `the native cachet CLI could not be built (${cliMissing}), so the Wasm result was not compared with it`);
      return;
    }
    assert.deepEqual(wasm, native, 'the Wasm build and the native CLI answer alike');
  });
}
