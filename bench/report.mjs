// bench/RESULTS.md from the results of one benchmark run. Every expected cell must be there: a
// missing number is an error, not an empty cell. The hand-written section on why targets are
// missed is carried over from the previous file.
import fs from 'node:fs';
import { OAEP_OPS, OPS } from './common.mjs';
import { SPEED_MEASURES, costSizes, cryptoCostMs, speedRates } from './speed.mjs';

export const WASM_GZIP_TARGET = 300 * 1000;
export const CRYPTO_TARGET = 3;
/** Cachet's Wasm linear memory for a decryption at most this many times the message size. */
export const MEMORY_WASM_TARGET = 2;
/** The operations that decrypt (the Wasm memory target). */
const DECRYPTS = new Set(['decrypt', 'decrypt+verify', 'gcm-decrypt']);
/** Cachet in Chromium at most this many times its WebCrypto floor, at these sizes. */
export const FLOOR_TARGET = 2;
export const FLOOR_TARGET_SIZES = ['10MB', '25MB'];
/** The UI thread counts as responsive when no gap between its ticks exceeds this. */
export const RESPONSIVE_GAP_MS = 100;

export const HAND_BEGIN = '<!-- hand-written: begin (kept as is when the file is regenerated; edit between these two markers) -->';
export const HAND_END = '<!-- hand-written: end -->';
const HAND_DEFAULT = '_Not written yet: for each missed target, what the profile shows (where the time goes) and what would fix it._';

/** The hand-written section of an existing RESULTS.md, or the placeholder. */
export function handWritten(file) {
  if (!fs.existsSync(file)) return HAND_DEFAULT;
  const text = fs.readFileSync(file, 'utf8');
  const a = text.indexOf(HAND_BEGIN);
  const b = text.indexOf(HAND_END);
  if (a < 0 || b < a) return HAND_DEFAULT;
  const body = text.slice(a + HAND_BEGIN.length, b).trim();
  return body === '' ? HAND_DEFAULT : body;
}

export function fmtMs(ms) {
  if (!Number.isFinite(ms)) throw new Error(`not a number of milliseconds: ${ms}`);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

const fmtRatio = (r) => (r < 10 ? r.toFixed(2) : r.toFixed(1));
const mib = (b) => `${(b / (1 << 20)).toFixed(1)} MiB`;
const kb = (b) => `${(b / 1000).toFixed(1)} KB`;
const MISS = ' ✗';

function table(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Check that every expected number is there. `parts` are the runtimes run ('chromium', 'node',
 * 'native'); throws listing everything missing.
 */
export function validate(results) {
  const missing = [];
  const has = (runtime, impl, op, size) => {
    const c = results.cells.find((x) => x.runtime === runtime && x.impl === impl && x.op === op && x.size === size);
    return c && Number.isFinite(c.ms) && c.ms >= 0;
  };
  const impls = { chromium: ['cachet', 'pkijs'], node: ['cachet'], native: ['cachet', 'openssl'] };
  for (const runtime of results.parts) {
    for (const impl of impls[runtime]) {
      for (const op of OPS) {
        for (const size of results.sizes) {
          if (!has(runtime, impl, op, size)) missing.push(`${runtime} ${impl} ${op} ${size}: time`);
          if (impl === 'cachet' && !results.checks.some((c) => c.runtime === runtime && c.impl === impl && c.op === op && c.size === size && c.ok)) {
            missing.push(`${runtime} ${impl} ${op} ${size}: openssl cross-check`);
          }
        }
        for (const size of results.memorySizes) {
          const m = results.memory.find((x) => x.runtime === runtime && x.impl === impl && x.op === op && x.size === size);
          if (!m || !Number.isFinite(m.peakBytes) || m.peakBytes <= 0) missing.push(`${runtime} ${impl} ${op} ${size}: peak memory`);
        }
      }
    }
  }
  // The RSA-OAEP rows of the Chromium table: times and cross-checks (no peak memory).
  if (results.parts.includes('chromium')) {
    for (const op of OAEP_OPS) {
      for (const size of results.sizes) {
        for (const impl of impls.chromium) if (!has('chromium', impl, op, size)) missing.push(`chromium ${impl} ${op} ${size}: time`);
        if (!results.checks.some((c) => c.runtime === 'chromium' && c.impl === 'cachet' && c.op === op && c.size === size && c.ok)) missing.push(`chromium cachet ${op} ${size}: openssl cross-check`);
      }
    }
  }
  if (results.parts.includes('native') && !(Number.isFinite(results.start?.cachet) && Number.isFinite(results.start?.openssl))) missing.push('process start times');
  if (!(results.wasm?.rawBytes > 0 && results.wasm?.gzipBytes > 0)) missing.push('Wasm size');
  if (results.parts.includes('chromium')) {
    if (!Number.isFinite(results.wasm?.instantiateMs)) missing.push('Wasm fetch + instantiate time in Chromium');
    if (!(results.responsiveness?.length > 0)) missing.push('UI responsiveness');
    for (const r of results.responsiveness ?? []) if (!Number.isFinite(r.maxGapMs)) missing.push(`responsiveness ${r.impl} ${r.op} ${r.size}`);
  }
  // Every rate the run measured (all of them without a list, as in older results), and all of
  // them when there are 10 or 25 MB cells, whose crypto cost needs every rate.
  const measured = costSizes(results.sizes).length > 0 ? SPEED_MEASURES : (results.speed?.measured ?? SPEED_MEASURES);
  for (const k of speedRates(measured)) if (!Number.isFinite(results.speed?.[k])) missing.push(`openssl speed: ${k}`);
  for (const [k, v] of Object.entries(results.versions ?? {})) if (!v) missing.push(`version of ${k}`);
  if (missing.length > 0) throw new Error(`the benchmark results are incomplete; missing:\n  ${missing.join('\n  ')}`);
}

function cell(results, runtime, impl, op, size) {
  return results.cells.find((x) => x.runtime === runtime && x.impl === impl && x.op === op && x.size === size);
}

/** Rows op x columns size: "cachet / peer (ratio)", a miss marked when cachet is not faster. */
function pairTable(results, runtime, peer, misses, targetName, ops = OPS) {
  const rows = ops.map((op) => [op, ...results.sizes.map((size) => {
    const a = cell(results, runtime, 'cachet', op, size).ms;
    const b = cell(results, runtime, peer, op, size).ms;
    const ratio = a / b;
    const missed = ratio >= 1;
    if (missed) misses.push(`${targetName}: ${op} ${size}: Cachet ${fmtMs(a)} ms vs ${peer} ${fmtMs(b)} ms, ${fmtRatio(ratio)}x (${((ratio - 1) * 100).toFixed(0)}% slower)`);
    return `${fmtMs(a)} / ${fmtMs(b)} (${fmtRatio(ratio)})${missed ? MISS : ''}`;
  })]);
  return table(['op', ...results.sizes], rows);
}

function cryptoTable(results, misses, context) {
  const big = costSizes(results.sizes);
  if (big.length === 0) return '_No 10 MB or 25 MB cells in this run._';
  const runtimes = ['chromium', 'node', 'native'].filter((r) => results.parts.includes(r));
  const label = { chromium: 'Chromium (Wasm)', node: 'Node (Wasm)', native: 'native CLI' };
  const head = ['op', ...big.map((s) => `crypto ${s}`), ...runtimes.flatMap((r) => big.map((s) => `${label[r]} ${s}`))];
  const rows = OPS.map((op) => {
    const costs = big.map((size) => cryptoCostMs(op, results.bytes[size], results.speed));
    return [op, ...costs.map(fmtMs), ...runtimes.flatMap((r) => big.map((size, i) => {
      const ms = cell(results, r, 'cachet', op, size).ms;
      const ratio = ms / costs[i];
      const missed = ratio > CRYPTO_TARGET;
      // Issue 20's target: the native CLI within CRYPTO_TARGET x at 25 MB (Chromium has its own,
      // the WebCrypto floor); the other cells are context.
      const targeted = r === 'native' && size === '25MB';
      if (missed && !targeted) context.push(`${label[r]} ${op} ${size}`);
      if (missed && targeted) misses.push(`within ${CRYPTO_TARGET}x of the crypto cost (${label[r]}): ${op} ${size}: ${fmtMs(ms)} ms is ${fmtRatio(ratio)}x the ${fmtMs(costs[i])} ms crypto cost (${fmtRatio(ratio / CRYPTO_TARGET)}x over the target)`);
      return `${fmtMs(ms)} (${fmtRatio(ratio)}x)${missed ? MISS : ''}`;
    }))];
  });
  return table(head, rows);
}

/**
 * Cachet in Chromium against its WebCrypto floor (bench/page/floor.js): `Cachet ms / floor ms
 * (Cachet ÷ floor)`, a miss marked above FLOOR_TARGET at FLOOR_TARGET_SIZES. Null when the run
 * has no floor (an older run's results).
 */
export function floorTable(results, misses) {
  const floor = (op, size) => results.floor?.find((f) => f.op === op && f.size === size);
  if (!results.sizes.every((size) => OPS.every((op) => Number.isFinite(floor(op, size)?.ms)))) return null;
  const rows = OPS.map((op) => [op, ...results.sizes.map((size) => {
    const a = cell(results, 'chromium', 'cachet', op, size).ms;
    const f = floor(op, size).ms;
    const ratio = a / f;
    const missed = FLOOR_TARGET_SIZES.includes(size) && ratio > FLOOR_TARGET;
    if (missed) misses.push(`within ${FLOOR_TARGET}x of the WebCrypto floor (Chromium): ${op} ${size}: Cachet ${fmtMs(a)} ms is ${fmtRatio(ratio)}x the ${fmtMs(f)} ms floor`);
    return `${fmtMs(a)} / ${fmtMs(f)} (${fmtRatio(ratio)})${missed ? MISS : ''}`;
  })]);
  return table(['op', ...results.sizes], rows);
}

/**
 * The peak-memory tables, with issue 20's targets marked for Chromium at the largest size:
 * Cachet's renderer peak no higher than PKI.js's for the same operation, and Cachet's Wasm
 * linear memory for a decryption at most MEMORY_WASM_TARGET times the message size.
 */
function memoryTable(results, misses) {
  if (results.memorySizes.length === 0) return '_No peak-memory sizes in this run._';
  const cols = [];
  if (results.parts.includes('chromium')) cols.push(['chromium', 'cachet', 'Chromium Cachet (Wasm memory)'], ['chromium', 'pkijs', 'Chromium PKI.js']);
  if (results.parts.includes('node')) cols.push(['node', 'cachet', 'Node Cachet RSS (Wasm memory)']);
  if (results.parts.includes('native')) cols.push(['native', 'cachet', 'cachet CLI'], ['native', 'openssl', 'openssl cms']);
  const largest = results.memorySizes.at(-1);
  const find = (runtime, impl, op, size) => results.memory.find((x) => x.runtime === runtime && x.impl === impl && x.op === op && x.size === size);
  const out = [];
  for (const size of results.memorySizes) {
    out.push(`**${size}**\n`);
    out.push(table(['op', ...cols.map((c) => c[2])], OPS.map((op) => [op, ...cols.map(([runtime, impl]) => {
      const m = find(runtime, impl, op, size);
      const wasm = m.wasmBytes ?? m.wasmMemoryBytes;
      let missed = false;
      if (runtime === 'chromium' && impl === 'cachet' && size === largest) {
        const peer = find('chromium', 'pkijs', op, size);
        if (peer && m.peakBytes > peer.peakBytes) {
          missed = true;
          misses.push(`Chromium peak renderer memory no higher than PKI.js: ${op} ${size}: Cachet ${mib(m.peakBytes)} vs PKI.js ${mib(peer.peakBytes)}`);
        }
        if (DECRYPTS.has(op) && wasm > MEMORY_WASM_TARGET * results.bytes[size]) {
          missed = true;
          misses.push(`Wasm memory of a decryption at most ${MEMORY_WASM_TARGET}x the message (Chromium): ${op} ${size}: ${mib(wasm)} for a ${mib(results.bytes[size])} message`);
        }
      }
      return (wasm ? `${mib(m.peakBytes)} (${mib(wasm)})` : mib(m.peakBytes)) + (missed ? MISS : '');
    })])));
    out.push('');
  }
  return out.join('\n');
}

/** The whole RESULTS.md text. */
export function renderReport(results, previousFile) {
  validate(results);
  const misses = [];
  const L = [];
  const v = results.versions;
  const m = results.machine;
  L.push('# Cachet benchmark results', '');
  L.push(`Generated by \`npm run bench${results.argv.length ? ` -- ${results.argv.join(' ')}` : ''}\` on ${results.date}. Regenerate with the same command; only the section "Why targets are missed" is written by hand.`, '');
  L.push('## Machine and versions', '');
  L.push(table(['', ''], [
    ['CPU', `${m.cpu} (${m.cores} cores)`], ['RAM', mib(m.ramBytes)], ['Kernel', m.kernel],
    ...Object.entries(v).map(([k, val]) => [k, `\`${val}\``]),
  ]));
  L.push('');
  L.push('## Method', '');
  L.push(`Workloads: RFC 5322 messages with CRLF line ends, a text/plain part and a base64 application/octet-stream attachment, generated deterministically (${results.sizes.map((s) => `${s} = ${results.bytes[s]} bytes`).join(', ')}). RSA-2048 keys and SHA-256; CBC is AES-256-CBC with RSA key transport; GCM is AES-256-GCM AuthEnvelopedData. Inputs of the receiving operations are made by \`openssl cms\`. Each cell is the median of ${results.quick ? results.rounds : `${results.rounds} (2 KB: ${results.rounds * 4}, 1 MB: ${results.rounds * 2})`} interleaved rounds after a discarded warm-up round, in milliseconds.`, '');
  L.push('Every output Cachet makes is checked by OpenSSL (verify with the CA, or decrypt with the right key, and compare with the input), and every openssl-made input Cachet opens must come out valid / decrypted with the same content; a failed check stops the benchmark.', '');
  for (const n of results.notes) L.push(`- ${n}`);
  L.push('');
  L.push('Cells: `Cachet ms / peer ms (Cachet ÷ peer)`; ✗ marks a missed target.', '');

  if (results.parts.includes('chromium')) {
    L.push('## Chromium: Cachet (Wasm, in its worker) vs PKI.js', '');
    L.push('In-page timing after warm-up, same headless Chromium. Target: Cachet faster on every operation and size.', '');
    L.push(pairTable(results, 'chromium', 'pkijs', misses, 'Cachet faster than PKI.js in Chromium', [...OPS, ...OAEP_OPS]), '');
    const floor = floorTable(results, misses);
    if (floor) {
      L.push('### WebCrypto floor', '');
      L.push(`Cachet against what WebCrypto alone takes for the cell's digests, ciphers and RSA operations over the same bytes in Cachet's worker, timed in the same rounds (what the floor includes: see the Chromium notes under Method). Cells: \`Cachet ms / floor ms (Cachet ÷ floor)\`. Target: at most ${FLOOR_TARGET}x the floor at ${FLOOR_TARGET_SIZES.join(' and ')}.`, '');
      L.push(floor, '');
    }
  }
  if (results.parts.includes('node')) {
    L.push('## Node: Cachet (Wasm)', '');
    L.push('In-process timing of the exports, Wasm loaded with `initSync`. No peer; for comparison with the browser and the CLI.', '');
    L.push(table(['op', ...results.sizes], OPS.map((op) => [op, ...results.sizes.map((size) => `${fmtMs(cell(results, 'node', 'cachet', op, size).ms)} ms`)])), '');
  }
  if (results.parts.includes('native')) {
    L.push('## Native: `cachet` CLI vs `openssl cms`', '');
    L.push('Whole process, inputs and outputs in files. Target: the CLI faster on every cell.', '');
    L.push(pairTable(results, 'native', 'openssl', misses, 'cachet CLI faster than openssl cms'), '');
    L.push('### Process start', '');
    L.push(table(['', 'ms'], [['`cachet version`', fmtMs(results.start.cachet)], ['`openssl version`', fmtMs(results.start.openssl)]]), '');
    L.push(`Median of ${results.start.rounds} interleaved runs; included in every native cell above.`, '');
  }

  L.push('## Wasm module', '');
  const gzMissed = results.wasm.gzipBytes > WASM_GZIP_TARGET;
  if (gzMissed) misses.push(`Wasm <= ${kb(WASM_GZIP_TARGET)} gzip: ${kb(results.wasm.gzipBytes)} (${kb(results.wasm.gzipBytes - WASM_GZIP_TARGET)} over, ${fmtRatio(results.wasm.gzipBytes / WASM_GZIP_TARGET)}x)`);
  const wasmRows = [
    ['raw (`addin/pkg/cachet_bg.wasm`)', kb(results.wasm.rawBytes)],
    ['gzip -9 (zlib)', `${kb(results.wasm.gzipBytes)} (target <= ${kb(WASM_GZIP_TARGET)})${gzMissed ? MISS : ''}`],
  ];
  if (Number.isFinite(results.wasm.instantiateMs)) wasmRows.push(['fetch + instantiate in Chromium', `${fmtMs(results.wasm.instantiateMs)} ms`]);
  L.push(table(['', ''], wasmRows), '');

  L.push('## Peak memory', '');
  L.push('Chromium: as measured by the browser part (see its note above; Cachet\'s Wasm linear memory in brackets); Node: peak RSS (VmHWM) of a child process running that one operation (Wasm linear memory after it in brackets); native: maximum resident set size from /usr/bin/time (the larger of the two processes for openssl\'s two-step cells).', '');
  L.push(`Targets (25 MB, Chromium): Cachet's renderer peak no higher than PKI.js's, and its Wasm memory for a decryption at most ${MEMORY_WASM_TARGET}x the message; a miss is marked ✗.`, '');
  L.push(memoryTable(results, misses), '');

  if (results.parts.includes('chromium')) {
    L.push('## UI thread responsiveness (Chromium)', '');
    L.push(`Longest gap between ticks of a timer on the page's UI thread while the operation ran in its worker; responsive when under ${RESPONSIVE_GAP_MS} ms. Where the browser part measures them: the longest gap between animation frames, and the timer's longest gap with the page idle just before (the machine's own noise).`, '');
    const rs = results.responsiveness;
    const frame = rs.some((r) => Number.isFinite(r.maxFrameGapMs));
    const idle = rs.some((r) => Number.isFinite(r.idleMaxGapMs));
    const opt = (v) => (Number.isFinite(v) ? `${fmtMs(v)} ms` : 'n/a');
    L.push(table(['impl', 'op', 'size', 'longest gap', ...(frame ? ['frame gap'] : []), ...(idle ? ['idle gap'] : []), 'responsive'], rs.map((r) => [
      r.impl, r.op, r.size, `${fmtMs(r.maxGapMs)} ms`, ...(frame ? [opt(r.maxFrameGapMs)] : []), ...(idle ? [opt(r.idleMaxGapMs)] : []), r.maxGapMs < RESPONSIVE_GAP_MS ? 'yes' : 'no',
    ])), '');
    for (const r of results.responsiveness) {
      if (r.impl === 'cachet' && r.maxGapMs >= RESPONSIVE_GAP_MS) misses.push(`UI thread responsive while Cachet works: ${r.op} ${r.size}: a ${fmtMs(r.maxGapMs)} ms gap (limit ${RESPONSIVE_GAP_MS} ms)`);
    }
  }

  if (results.hosts?.length > 0) {
    L.push('## Time to status in the hosts', '');
    L.push('From the user\'s action (selecting a message, pressing Send) to Cachet\'s answer in the host (the banner with the verdict, the built message handed to the mail service); see the Hosts note under Method; medians in milliseconds.', '');
    L.push(table(['host', 'what', 'size', 'message bytes', 'status shown', 'ms'], results.hosts.map((h) => [h.host, h.what, h.size, String(h.bytes), h.status, fmtMs(h.ms)])), '');
  }

  L.push('## Crypto cost (openssl speed)', '');
  const s = results.speed;
  const measured = s.measured ?? SPEED_MEASURES;
  const rates = [
    ['sha256', () => `SHA-256 ${mib(s.sha256)}/s`],
    ['cbc-enc', () => `AES-256-CBC ${mib(s.cbcEnc)}/s encrypt`],
    ['cbc-dec', () => `AES-256-CBC ${mib(s.cbcDec)}/s decrypt`],
    ['gcm', () => `AES-256-GCM ${mib(s.gcm)}/s`],
    ['rsa', () => `RSA-2048 private operation ${fmtMs(s.rsaSignMs)} ms, public ${fmtMs(s.rsaVerifyMs)} ms`],
  ];
  const unmeasured = SPEED_MEASURES.filter((m) => !measured.includes(m));
  const notMeasured = unmeasured.length > 0 ? ` Not measured in this run (it has no 10 or 25 MB cells): ${unmeasured.join(', ')}.` : '';
  L.push(`Rates on this machine (\`openssl speed -elapsed -seconds ${s.seconds} -bytes ${s.block}\`): ${rates.filter(([m]) => measured.includes(m)).map(([, t]) => t()).join(', ')}.${notMeasured} The pure crypto cost of a cell is bytes hashed ÷ SHA-256 rate + bytes ciphered ÷ AES rate + RSA operations × their time (verification counts the signature and the signer's certificate; key transport one public operation per recipient, one private to decrypt; sign+encrypt encrypts to the recipient and the sender). Target: the native CLI within ${CRYPTO_TARGET}x at 25 MB (Cachet in Chromium is held to its WebCrypto floor above). Cells: \`ms (÷ crypto cost)\`.`, '');
  const context = [];
  L.push(cryptoTable(results, misses, context), '');
  if (context.length > 0) L.push(`The target is for the native CLI at 25 MB; the other columns are for context (${context.length} of their cells are over ${CRYPTO_TARGET}x, marked ✗ but not listed under Targets).`, '');

  L.push('## Cross-checks', '');
  const byRuntime = {};
  for (const c of results.checks) byRuntime[`${c.runtime} ${c.impl}`] = (byRuntime[`${c.runtime} ${c.impl}`] ?? 0) + 1;
  L.push(`${results.checks.length} outputs checked by OpenSSL, all passed (${Object.entries(byRuntime).map(([k, n]) => `${k}: ${n}`).join(', ')}).`, '');
  const how = [...new Map(results.checks.map((c) => [c.op, c.how])).entries()];
  L.push(table(['op', 'check'], how.map(([op, h]) => [op, h])), '');

  L.push('## Targets', '');
  if (misses.length === 0) L.push('Every target is met in this run.', '');
  else {
    L.push(`${misses.length} missed:`, '');
    for (const x of misses) L.push(`- ${x}`);
    L.push('');
  }

  L.push('## Why targets are missed (from profiles)', '');
  L.push(HAND_BEGIN, '', handWritten(previousFile), '', HAND_END, '');
  return { text: L.join('\n'), misses };
}

/** Write RESULTS.md (keeping the hand-written section of the file it replaces). */
export function writeReport(results, file) {
  const { text, misses } = renderReport(results, file);
  fs.writeFileSync(file, text);
  return { file, misses };
}
