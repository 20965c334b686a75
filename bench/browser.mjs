// The Chromium cells of the benchmark: Cachet's Wasm build against PKI.js in the same headless
// Chromium (Debian's, launched like the end-to-end tests), each in its own dedicated worker, on a
// bench page served over http on 127.0.0.1 by a small server here (cross-origin isolated, so the
// workers' performance.now() is fine-grained). Timing is in the worker around the operation
// alone (inputs already in the worker), after a warm-up round, medians of rounds in which Cachet
// and PKI.js alternate. Also: Wasm size (raw, gzip -9), fetch + instantiate time of the module in
// fresh workers, peak memory and main-thread responsiveness at 25 MB (or the largest size run).
//
//   const r = await runBrowser({ fixtures, rounds, quick, sizes, outDir, log, memorySizes, instantiateRuns, idleMs, browserPerCase })
//   -> { env, cells, wasm, memory, responsiveness, notes }   (called by scripts/bench.mjs)
// browserPerCase: false runs every memory case in the browser of the timing rounds (started with
// the memory cases' flag), with one worker per implementation that runs all of its cases (cheaper;
// for a structural test, since each case then starts from what ran before it in the renderer and
// in its worker).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { build } from 'esbuild';
import { launchChromium } from '../scripts/lib/chromium.mjs';
import { ROOT } from '../scripts/lib/run.mjs';
import { OAEP_OPS, OPS, median, openssl, roundsFor } from './common.mjs';

/** The timed ops: every runtime's, and the RSA-OAEP decryptions both implementations make. */
const TIMED_OPS = [...OPS, ...OAEP_OPS];
import { outerHeaders, toCrlf } from './fixtures.mjs';
import { FLOOR_NOTE } from './page/floor.js';

const IMPLS = ['cachet', 'pkijs'];
const PKG = path.join(ROOT, 'addin', 'pkg');
const WASM = path.join(PKG, 'cachet_bg.wasm');
const PAGE = path.join(ROOT, 'bench', 'page');
/** Fresh workers started to time fetch + instantiate of the Wasm module (unless runBrowser is given instantiateRuns). */
const INSTANTIATE_RUNS = 7;
/** The flag of the browser of the memory cases: gc() in the page and its workers. */
const EXPOSE_GC = '--js-flags=--expose-gc';
/** How long the UI-thread tickers run with no work before each operation (the machine's own noise), unless runBrowser is given idleMs. */
const IDLE_MS = 250;

/**
 * Why OpenSSL cannot check PKI.js's gcm-encrypt output (set as `uncheckable` on that cell: the
 * orchestrator skips the openssl cross-check there). The round trip is still checked: PKI.js's
 * gcm-decrypt opens this very kind of message and its output must equal the input entity.
 */
export const PKIJS_GCM_UNCHECKABLE = 'PKI.js has no AuthEnvelopedData: its AES-GCM output is EnvelopedData with a bare 16-byte IV as the '
  + 'algorithm parameter and the tag appended to the ciphertext (not RFC 5084 GCMParameters), which openssl cms cannot decrypt '
  + '("ossl_asn1_type_get_octetstring_int: data is wrong"); checked instead by PKI.js decrypting it back to the input entity (the gcm-decrypt cell).';

/**
 * PKI.js cannot decrypt RSAES-PKCS1-v1_5 key transport (WebCrypto has no such decryption), so its
 * decrypt and decrypt+verify inputs are the fixtures' messages encrypted again by openssl with
 * RSA-OAEP (SHA-256) key transport, otherwise made the same way. Cached beside the fixtures.
 * gcmOaep: the entity in AuthEnvelopedData (AES-256-GCM) with RSA-OAEP, for Cachet's
 * "gcm-decrypt (RSA-OAEP)" cell.
 */
function oaepInputs(fixtures, size) {
  const d = fixtures.sizes[size];
  const f = (n) => path.join(fixtures.dir, n);
  const out = { encOaep: f(`in/enc-oaep-${size}.eml`), signencOaep: f(`in/signenc-oaep-${size}.eml`), gcmOaep: f(`in/gcm-oaep-${size}.eml`) };
  const fresh = (file, from) => fs.existsSync(file) && fs.statSync(file).mtimeMs >= fs.statSync(from).mtimeMs;
  if (fresh(out.encOaep, d.enc) && fresh(out.signencOaep, d.signenc) && fresh(out.gcmOaep, d.gcm)) return out;
  const head = Buffer.from(outerHeaders(size).replace(/^MIME-Version:.*\r\n/m, ''), 'latin1');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-bench-oaep-'));
  try {
    const signed = fs.readFileSync(d.signed);
    if (Buffer.compare(signed.subarray(0, head.length), head) !== 0) throw new Error(`${d.signed} does not start with the outer headers`);
    fs.writeFileSync(path.join(tmp, 'signed-entity'), signed.subarray(head.length));
    const make = (input, file, cipher = '-aes256') => {
      openssl(['cms', '-encrypt', '-binary', '-crlfeol', cipher, '-in', input, '-out', path.join(tmp, 'out'),
        '-recip', fixtures.recipients[0].cert, '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256']);
      fs.writeFileSync(file, Buffer.concat([head, toCrlf(fs.readFileSync(path.join(tmp, 'out')))]));
      const back = openssl(['cms', '-decrypt', '-binary', '-recip', fixtures.recipients[0].cert, '-inkey', fixtures.recipients[0].key, '-in', file]);
      if (Buffer.compare(back, fs.readFileSync(input)) !== 0) throw new Error(`openssl does not decrypt ${file} back to its input`);
    };
    make(d.entity, out.encOaep);
    make(path.join(tmp, 'signed-entity'), out.signencOaep);
    make(d.entity, out.gcmOaep, '-aes-256-gcm');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

/** The page and the two workers, bundled by esbuild (minified, as a site would ship them). */
async function bundle() {
  const result = await build({
    entryPoints: { main: path.join(PAGE, 'main.js'), 'cachet-worker': path.join(PAGE, 'cachet-worker.js'), 'pkijs-worker': path.join(PAGE, 'pkijs-worker.js') },
    bundle: true, format: 'esm', target: 'es2022', minify: true, write: false, outdir: path.join(PAGE, 'out'), logLevel: 'warning',
  });
  return Object.fromEntries(result.outputFiles.map((o) => [path.basename(o.path), Buffer.from(o.contents)]));
}

const HTML = '<!doctype html>\n<meta charset="utf-8">\n<title>cachet bench</title>\n<script type="module" src="/js/main.js"></script>\n';

/**
 * The bench server: the page, the bundles, addin/pkg's Wasm (read on each request), the fixture
 * files under /fx/, and POST /out/<name> writing a worker's output into `outDir`. Every response
 * is cross-origin isolated (COOP/COEP) and not cacheable.
 */
function server({ bundles, fixturesDir, outDir }) {
  const root = path.resolve(fixturesDir);
  const srv = http.createServer((req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin', 'Cache-Control': 'no-store',
    };
    const reply = (status, type, body) => {
      res.writeHead(status, { ...headers, 'Content-Type': type });
      res.end(body);
    };
    let p;
    try {
      p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return reply(400, 'text/plain', 'bad request\n');
    }
    if (req.method === 'POST' && p.startsWith('/out/')) {
      const name = p.slice(5);
      if (!/^[\w.+-]+$/.test(name)) return reply(400, 'text/plain', 'bad name\n');
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => fs.writeFile(path.join(outDir, name), Buffer.concat(chunks), (err) => (err ? reply(500, 'text/plain', `${err.message}\n`) : reply(204, 'text/plain', ''))));
      return undefined;
    }
    if (req.method !== 'GET') return reply(405, 'text/plain', 'method not allowed\n');
    if (p === '/') return reply(200, 'text/html; charset=utf-8', HTML);
    if (p.startsWith('/js/') && bundles[p.slice(4)]) return reply(200, 'text/javascript; charset=utf-8', bundles[p.slice(4)]);
    if (p === '/pkg/cachet_bg.wasm') {
      return fs.readFile(WASM, (err, data) => (err ? reply(404, 'text/plain', 'no wasm\n') : reply(200, 'application/wasm', data)));
    }
    if (p.startsWith('/fx/')) {
      const file = path.resolve(root, `.${p.slice(3)}`);
      if (!file.startsWith(root + path.sep)) return reply(403, 'text/plain', 'forbidden\n');
      return fs.readFile(file, (err, data) => (err ? reply(404, 'text/plain', `not found: ${p}\n`) : reply(200, 'application/octet-stream', data)));
    }
    return reply(404, 'text/plain', `not found: ${p}\n`);
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve({ srv, base: `http://127.0.0.1:${srv.address().port}` }));
  });
}

/** The URL of a fixture file for the bench server. */
function fx(fixtures, file) {
  const rel = path.relative(fixtures.dir, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${file} is not in the fixture directory`);
  return `/fx/${rel.split(path.sep).map(encodeURIComponent).join('/')}`;
}

function loadArgs(fixtures) {
  const u = (file) => fx(fixtures, file);
  const rcpts = Object.fromEntries(fixtures.recipients.map((r, i) => [`rcpt${i}`, u(r.cert)]));
  return {
    cachet: { wasmUrl: '/pkg/cachet_bg.wasm', files: { pass: u(fixtures.signer.pass), signerP12: u(fixtures.signer.p12), rcpt0P12: u(fixtures.recipients[0].p12), ca: u(fixtures.ca.cert), ...rcpts, ...floorKeys(fixtures) } },
    pkijs: { files: { signer: u(fixtures.signer.cert), signerKey: u(fixtures.signer.key), rcpt0Key: u(fixtures.recipients[0].key), ca: u(fixtures.ca.cert), ...rcpts } },
  };
}

/** The keys of the WebCrypto floor (bench/page/floor.js), loaded into Cachet's worker. */
const floorKeys = (fixtures) => ({ signerKey: fx(fixtures, fixtures.signer.key), rcpt0Key: fx(fixtures, fixtures.recipients[0].key) });

/** The inputs of one size; with `floor`, Cachet's worker also makes the WebCrypto floor's (not for the memory runs). */
function inputArgs(fixtures, size, { floor = false } = {}) {
  const d = fixtures.sizes[size];
  const o = oaepInputs(fixtures, size);
  const u = (file) => fx(fixtures, file);
  return {
    cachet: { files: { msg: u(d.msg), signed: u(d.signed), enc: u(d.enc), signenc: u(d.signenc), gcm: u(d.gcm), encOaep: u(o.encOaep), gcmOaep: u(o.gcmOaep), ...(floor ? { floorEntity: u(d.entity) } : {}) } },
    pkijs: { files: { msg: u(d.msg), signed: u(d.signed), encOaep: u(o.encOaep), signencOaep: u(o.signencOaep) } },
  };
}

/**
 * The inputs each operation reads, per implementation (the names of inputArgs' files; PKI.js's
 * gcmPkijs is made in its worker from msg). A peak-memory case loads only these, so that neither
 * worker holds another operation's 25-35 MiB input while its peak is measured.
 */
const MEMORY_INPUTS = {
  cachet: { decrypt: ['enc'], 'decrypt+verify': ['signenc'], 'gcm-decrypt': ['gcm'], verify: ['signed'] },
  pkijs: { decrypt: ['encOaep'], 'decrypt+verify': ['signencOaep'], 'gcm-decrypt': ['gcmPkijs'], verify: ['signed'] },
};

/** The inputs of `op` alone for `impl`: { files, keep } for the worker's inputs command. */
function memoryInputs(all, impl, op) {
  const keep = MEMORY_INPUTS[impl][op] ?? ['msg'];
  // gcmPkijs is prepared from msg in the worker; msg is then dropped there.
  const fetch = keep.includes('gcmPkijs') ? ['msg'] : keep;
  const files = Object.fromEntries(fetch.map((k) => {
    if (!all.files[k]) throw new Error(`${impl} ${op}: no input ${k}`);
    return [k, all.files[k]];
  }));
  return { files, keep };
}

/**
 * The renderer processes of the Chromium whose profile is `userDataDir` (from /proc; the zygote
 * rewrites its children's argv into one string), with VmHWM and VmRSS in bytes.
 */
function renderers(userDataDir) {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = `${fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ')} `;
      if (!cmd.includes(`--user-data-dir=${userDataDir} `) || !/(^| )--type=renderer( |$)/.test(cmd)) continue;
      const status = fs.readFileSync(`/proc/${d}/status`, 'utf8');
      const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
      out.push({ pid: Number(d), hwm: kb('VmHWM'), rss: kb('VmRSS') });
    } catch {
      // gone meanwhile
    }
  }
  if (!out.length) throw new Error('cannot find a Chromium renderer process in /proc');
  return out;
}

/** The machine's load: load average and, where the kernel has it, CPU pressure (share of time tasks waited for a CPU). */
function machineLoad() {
  let pressure = '';
  try {
    const m = /^some avg10=([\d.]+) avg60=([\d.]+)/m.exec(fs.readFileSync('/proc/pressure/cpu', 'utf8'));
    if (m) pressure = `, CPU pressure ${m[2]}% over the last minute`;
  } catch {
    // no PSI on this kernel
  }
  return `load average ${os.loadavg()[0].toFixed(2)}${pressure}`;
}

/** Reset the peak RSS (VmHWM) of a process to its current RSS; false when the kernel refuses. */
function resetPeak(pid) {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** A fresh Chromium (own temp profile) on the bench page. */
async function openBrowser(base, args = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-bench-chromium-'));
  const context = await launchChromium(dir, { timeout: 60_000, args });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/`);
    await page.waitForFunction(() => 'bench' in window, null, { timeout: 30_000 });
    const isolated = await page.evaluate(() => self.crossOriginIsolated);
    const close = async () => {
      await context.close();
      fs.rmSync(dir, { recursive: true, force: true });
    };
    // The implementations whose worker has been started in this browser (the memory cases).
    return { dir, context, page, errors, isolated, close, started: new Set() };
  } catch (e) {
    await context.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

// Op names such as "decrypt (RSA-OAEP)" become "decrypt-RSA-OAEP-" (the upload takes [\w.+-] only).
const outName = (impl, op, size) => `chromium-${impl}-${op.replace(/[^\w.+-]+/g, '-')}-${size}.eml`;

/** Run the Chromium cells; see the file comment. */
export async function runBrowser({ fixtures, rounds = 5, quick = false, sizes = Object.keys(fixtures.sizes), outDir, log = () => {}, memorySizes = ['25MB'], instantiateRuns = INSTANTIATE_RUNS, idleMs = IDLE_MS, browserPerCase = true }) {
  // Peak memory and responsiveness at these sizes; at the largest one run when none of them is.
  const memSizes = memorySizes.filter((s) => sizes.includes(s));
  if (memSizes.length === 0) memSizes.push(sizes[sizes.length - 1]);
  if (!fs.existsSync(WASM)) throw new Error('addin/pkg/cachet_bg.wasm is missing: run "npm run build" first');
  fs.mkdirSync(outDir, { recursive: true });
  const notes = [];
  const load0 = machineLoad();
  const bundles = await bundle();
  const { srv, base } = await server({ bundles, fixturesDir: fixtures.dir, outDir });
  const keys = loadArgs(fixtures);
  const pkijsVersion = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'pkijs', 'package.json'), 'utf8')).version;
  let b = null;
  try {
    // The memory cases' flag (garbage collection on request) when they run in this browser too.
    b = await openBrowser(base, browserPerCase ? [] : [EXPOSE_GC]);
    const { page } = b;
    if (!b.isolated) notes.push('The bench page is not cross-origin isolated: worker timers are coarse (100 µs).');
    const cdp = await b.context.newCDPSession(page);
    const product = (await cdp.send('Browser.getVersion')).product;
    await cdp.detach();
    const chromium = /\/([\d.]+)/.exec(product)?.[1] ?? product;
    const call = (impl, cmd, args) => page.evaluate(([i, c, a]) => window.bench.call(i, c, a), [impl, cmd, args]);

    // First, while no module compiled from these bytes is alive in the renderer (V8 shares
    // compiled Wasm modules between the isolates of a process), so every start compiles anew.
    log('chromium: Wasm fetch + instantiate in fresh workers');
    const inst = await page.evaluate(([u, n]) => window.bench.instantiate(u, n), ['/pkg/cachet_bg.wasm', instantiateRuns]);
    const raw = fs.readFileSync(WASM);
    const wasm = { rawBytes: raw.length, gzipBytes: zlib.gzipSync(raw, { level: 9 }).length, instantiateMs: median(inst), instantiateSamples: inst };

    for (const impl of IMPLS) await page.evaluate(([i, a]) => window.bench.start(i, a), [impl, keys[impl]]);

    const samples = new Map();
    for (const size of sizes) {
      const inputs = inputArgs(fixtures, size, { floor: true });
      for (const impl of IMPLS) await call(impl, 'inputs', inputs[impl]);
      const n = roundsFor(size, rounds, quick);
      for (let r = 0; r <= n; r++) {
        log(`chromium ${size}: ${r === 0 ? 'warm-up' : `round ${r}/${n}`}`);
        for (const [k, op] of TIMED_OPS.entries()) {
          const order = (r + k) % 2 ? [...IMPLS].reverse() : IMPLS;
          for (const impl of order) {
            const upload = r === n ? `/out/${encodeURIComponent(outName(impl, op, size))}` : null;
            const res = await call(impl, 'run', { op, upload });
            if (r === 0) continue;
            const key = `${impl}|${op}|${size}`;
            if (!samples.has(key)) samples.set(key, []);
            samples.get(key).push(res.ms);
          }
          // The WebCrypto floor of this cell, in Cachet's worker, in the same round (the RSA-OAEP
          // rows have the floor of decrypt and gcm-decrypt, which already decrypt with RSA-OAEP).
          if (!OPS.includes(op)) continue;
          const floor = await call('cachet', 'run', { op: `floor:${op}`, upload: null });
          if (r > 0) {
            const key = `floor|${op}|${size}`;
            if (!samples.has(key)) samples.set(key, []);
            samples.get(key).push(floor.ms);
          }
        }
      }
    }
    const cells = [];
    for (const impl of IMPLS) {
      for (const op of TIMED_OPS) {
        for (const size of sizes) {
          const s = samples.get(`${impl}|${op}|${size}`);
          const cell = { runtime: 'chromium', impl, op, size, ms: median(s), samples: s, output: path.join(outDir, outName(impl, op, size)) };
          if (impl === 'pkijs' && op === 'gcm-encrypt') cell.uncheckable = PKIJS_GCM_UNCHECKABLE;
          cells.push(cell);
        }
      }
    }
    const floor = [];
    for (const op of OPS) for (const size of sizes) floor.push({ op, size, ms: median(samples.get(`floor|${op}|${size}`)), samples: samples.get(`floor|${op}|${size}`) });
    notes.push(FLOOR_NOTE);
    const { paths } = await call('cachet', 'info', {});
    const ran = Object.entries(paths).map(([name, fn]) => `${name}: Keyring.${fn}`).join(', ');
    notes.push(Object.values(paths).some((fn) => fn.endsWith('Async'))
      ? `Cachet in Chromium used the async (WebCrypto-backed) Keyring methods where the build has them (${ran}).`
      : `Cachet in Chromium ran the synchronous Keyring methods (${ran}): the build has no async (WebCrypto-backed) ones.`);

    if (b.errors.length) throw new Error(`the bench page reported errors: ${b.errors.join('; ')}`);
    if (browserPerCase) {
      await b.close();
      b = null;
    }

    // Peak memory and responsiveness: each operation once, in a fresh worker holding only that
    // operation's inputs, in a fresh browser of its own (or, browserPerCase false, all in the
    // browser of the timing rounds, each implementation's worker started again at its first case
    // and given only the inputs of the operation measured); the renderer's peak RSS (VmHWM) is
    // reset to its current RSS just before the operation (clear_refs 5), where the kernel allows it.
    const memory = [];
    const responsiveness = [];
    let resets = 0;
    let cases = 0;
    for (const memSize of memSizes) {
      const inputs = inputArgs(fixtures, memSize);
      for (const op of OPS) {
        for (const impl of IMPLS) {
          log(`chromium memory and responsiveness ${memSize}: ${impl} ${op}`);
          b ??= await openBrowser(base, [EXPOSE_GC]);
          if (!b.started.has(impl)) {
            await b.page.evaluate(([i, a]) => window.bench.start(i, a), [impl, keys[impl]]);
            b.started.add(impl);
          }
          await b.page.evaluate(([i, a]) => window.bench.call(i, 'inputs', a), [impl, memoryInputs(inputs[impl], impl, op)]);
          // The idle ticker (the machine's own noise); then collect garbage (setting up the inputs,
          // and a worker's earlier cases, make some) so that both start from their live data only.
          const idle = await b.page.evaluate((ms) => window.bench.idle(ms), idleMs);
          const collected = (await b.page.evaluate((i) => window.bench.call(i, 'gc', {}), impl)).gc && (await b.page.evaluate(() => window.bench.gc()));
          if (!collected) throw new Error('gc() is not exposed in the memory browser (--js-flags=--expose-gc)');
          const renderer = renderers(b.dir).reduce((x, y) => (y.rss > x.rss ? y : x));
          const reset = resetPeak(renderer.pid);
          const before = reset ? renderers(b.dir).find((r) => r.pid === renderer.pid)?.hwm : renderer.hwm;
          const res = await b.page.evaluate(([i, a]) => window.bench.watch(i, 'run', a), [impl, { op, upload: null }]);
          // The kernel's RSS counts are approximate (per-thread counts are folded in now and then),
          // so a reading after a small operation can come out a little below `before`, which the
          // process did reach after the reset: the peak is at least that.
          const after = renderers(b.dir).find((r) => r.pid === renderer.pid)?.hwm;
          if (!after || !before) throw new Error('the renderer process went away during the operation');
          const peak = Math.max(after, before);
          memory.push({ runtime: 'chromium', impl, op, size: memSize, peakBytes: peak, beforeOpBytes: before, wasmMemoryBytes: impl === 'cachet' ? res.memoryBytes : null });
          responsiveness.push({ impl, op, size: memSize, maxGapMs: res.maxGapMs, maxFrameGapMs: res.maxFrameGapMs, idleMaxGapMs: idle.maxGapMs });
          if (b.errors.length) throw new Error(`the bench page reported errors: ${b.errors.join('; ')}`);
          cases += 1;
          if (reset) resets += 1;
          // Every case in its own browser: memory a terminated worker leaves in the renderer's
          // allocators would otherwise raise the next case's starting RSS (by 0-65 MiB, growing
          // with the number of cases run before it), whichever implementation that case is.
          if (browserPerCase || !reset) {
            await b.close();
            b = null;
          }
        }
      }
    }

    // One browser for all cases only when asked and every peak could be reset (else each case
    // after the first got its own, see above).
    const gc = `a full garbage collection of the worker and the page (${browserPerCase ? `that browser runs with ${EXPOSE_GC}; the timing one does not` : `every browser runs with ${EXPOSE_GC}`})`;
    const fresh = 'in a fresh worker with its keys and inputs loaded, each case in its own fresh Chromium, its worker holding only the inputs of that operation';
    const memoryMethod = (browserPerCase ? fresh
      : resets === cases ? 'all cases in the Chromium of the timing rounds, in one worker per implementation (started again at its first case, keys loaded once) holding only the inputs of the operation measured'
        : `the first case in the Chromium of the timing rounds, then ${fresh}`)
      + (resets === cases
        ? `; just before the operation ${gc} and the renderer's peak RSS reset to its current RSS (clear_refs)`
        : ` (the kernel refused to reset the peak RSS), after ${gc}`);

    notes.push(
      `Cachet's Wasm and PKI.js ${pkijsVersion} each in a dedicated module worker of one page (bundled by esbuild, minified), served over http on 127.0.0.1, cross-origin isolated; time = performance.now() in the worker around the call (inputs already in the worker, output bytes made), one warm-up round, then the median of ${sizes.map((z) => `${roundsFor(z, rounds, quick)} rounds at ${z}`).join(', ')}, Cachet and PKI.js alternating which goes first.`,
      'PKI.js signs with signed attributes (contentType, signingTime, messageDigest), RSASSA-PKCS1-v1_5 SHA-256 through WebCrypto, detached, in multipart/signed; it verifies with SignedData.verify against the trusted CA (chain checked). The MIME glue (split headers, multipart/signed, base64 in 76-character lines with the native Uint8Array.toBase64/fromBase64) is bench/page/mime.js.',
      'PKI.js encrypts with RSA-OAEP (SHA-256) key transport: WebCrypto has no RSAES-PKCS1-v1_5 encryption, so PKI.js cannot make or open PKCS#1 v1.5 key transport. Cachet encrypts and decrypts with RSAES-PKCS1-v1_5 (the S/MIME default). PKI.js decrypts (decrypt, decrypt+verify) copies of the openssl-made inputs encrypted by openssl with RSA-OAEP SHA-256 (in/enc-oaep-<size>.eml, in/signenc-oaep-<size>.eml); Cachet decrypts the standard ones.',
      'decrypt (RSA-OAEP), gcm-decrypt (RSA-OAEP): Cachet opens the openssl-made RSA-OAEP (SHA-256) inputs, in/enc-oaep-<size>.eml (AES-256-CBC, the input of PKI.js\'s decrypt) and in/gcm-oaep-<size>.eml (AuthEnvelopedData, AES-256-GCM), unwrapping the key through WebCrypto\'s RSA-OAEP as PKI.js does; PKI.js runs its decrypt and gcm-decrypt again in these rows (interleaved with Cachet\'s, like every row). Peak memory is not measured for these rows.',
      'sign+encrypt: both sign and then encrypt to the recipient and to the sender\'s own certificate (2 key transports), as the add-in sends mail.',
      'AES-256-GCM: Cachet makes and opens AuthEnvelopedData (RFC 5083/5084). PKI.js has no AuthEnvelopedData: it makes EnvelopedData with AES-256-GCM content encryption (a 16-byte IV as a bare OCTET STRING parameter and the tag appended to the ciphertext, not RFC 5084 GCMParameters), which OpenSSL cannot decrypt; PKI.js gcm-decrypt opens its own such message (made untimed before the rounds), since it cannot read the openssl-made AuthEnvelopedData.',
      `Fetch + instantiate: median of ${instantiateRuns} fresh workers, one after another (250 ms apart) before any other worker starts, each fetching addin/pkg/cachet_bg.wasm with cache: 'no-store' and a cache-busting query (so no code cache) and instantiating it (streaming), from before fetch to instantiated.`,
      `Peak memory (${memSizes.join(', ')}): each operation once, ${memoryMethod}. peakBytes = peak RSS (VmHWM) of the renderer process, which hosts the page and its workers, read from /proc after the operation, the same way for both; beforeOpBytes = its RSS just before the operation (page, worker, keys and inputs loaded), so peakBytes - beforeOpBytes is what the operation added; wasmMemoryBytes = Cachet's Wasm linear memory after the operation (it only grows).`,
      `Responsiveness (${memSizes.join(', ')}): while each operation runs in its worker, the page's main thread runs a setTimeout(0) ticker (maxGapMs) and a requestAnimationFrame ticker (maxFrameGapMs); the longest gap is reported, and idleMaxGapMs is the setTimeout ticker's longest gap over ${idleMs} ms with no work just before, the machine's own noise. The main thread itself does no crypto work. The machine: ${load0} at the start of the Chromium part, ${machineLoad()} at the end (${os.cpus().length} CPUs).`,
    );
    return { env: { chromium, pkijs: pkijsVersion }, cells, floor, wasm, memory, responsiveness, notes };
  } finally {
    if (b) await b.close().catch(() => {});
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
  }
}
