// The core's import graph, from the source: which module of crate/src uses which (`crate::…`
// and `super::…` paths outside test code, brace groups such as `crate::{a, b::c}` expanded;
// a child's `super::` to its own ancestor is not an edge). Checks two rules and prints every
// violation:
//   1. no cycle between files (modules) of crate/src;
//   2. the layers depend one way: a top-level module uses only modules of a lower layer
//      (LAYERS below, lowest first).
//
//   node scripts/layers.mjs          (exit 0 when both rules hold; --graph prints the edges)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'crate', 'src');

/**
 * Lowest first; a module may use only modules of lower layers (none of its own layer).
 * The fronts (wasm, the CLI in bin/) may use everything.
 *   error      typed errors {code, message, hint}: the one thing every layer uses.
 *   time       Unix time and DER times (time is an input); oid: every object identifier,
 *              written once; status: the status ids of verdicts; asn1: the BER reader,
 *              SET OF in DER order, the one writer of DER lengths; the check of a time
 *              passed in from outside (`at`); kept: a bounded memory of recent values by key.
 *   crypto     digests, ciphers, signature verification, what a public key is.
 *   policy     which algorithms are accepted, refused or flagged (SPEC section 4).
 *   mime       RFC 5322/2045 entities: parse, canonicalise, build; the outer/Content-* split.
 *   cert       certificate facts, names, SMIMECapabilities, lookup, path validation.
 *   pkcs12     identities (certificate + key) from PKCS#12 files and back.
 *   cms        SignedData / EnvelopedData: sign, verify, encrypt, decrypt, recipient keys,
 *              the per-signer verdicts as data, and the bulk seam a host may answer.
 *   report     the `open` report (layers, signers, diagnoses) as data.
 *   identity   contacts, recipient certificates, identities and their capabilities.
 *   smime      S/MIME messages: open (signed, enveloped, diagnose), sign, encrypt (encrypt
 *              uses sign, never the reverse), the algorithm choice per recipient.
 *   compose, request, view: what the add-in's screens ask of the core; smimea: SMIMEA
 *              discovery (RFC 8162) over DNS-over-HTTPS, the DNS wire format of its own.
 *   draft      encrypted drafts: the draft wrapped for encrypting to the sender, and read back.
 *   boundary   the options the Wasm exports take (their TypeScript types are generated).
 *   wasm       the WebAssembly front.
 */
export const LAYERS = [
  ['error'],
  ['time', 'oid', 'status', 'asn1', 'kept'],
  ['crypto'],
  ['policy'],
  ['mime'],
  ['cert'],
  ['pkcs12'],
  ['cms'],
  ['report'],
  ['identity'],
  ['smime'],
  ['compose', 'request', 'view', 'smimea'],
  ['draft'],
  ['boundary'],
  ['wasm'],
];

function rustFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...rustFiles(p));
    else if (e.name.endsWith('.rs')) out.push(p);
  }
  return out;
}

/** The module path of a file: crate/src/cms/verify.rs → cms::verify; cms/mod.rs → cms; lib.rs → ''. */
function moduleOf(file) {
  const rel = path.relative(SRC, file).replace(/\.rs$/, '').split(path.sep);
  if (rel.at(-1) === 'mod' || rel.at(-1) === 'lib') rel.pop();
  return rel.join('::');
}

/** Source without test code: `#[cfg(test)]` items to the end of the file (tests live at the end). */
function withoutTests(text) {
  const i = text.indexOf('#[cfg(test)]');
  return i < 0 ? text : text.slice(0, i);
}

/** Test-only files: `tests.rs`, `*_tests.rs`, `test_*.rs` and everything under a `tests/` folder. */
function isTestFile(f) {
  const base = path.basename(f);
  return base === 'tests.rs' || /_tests?\.rs$/.test(base) || /^test_/.test(base) || f.includes(`${path.sep}tests${path.sep}`);
}

/** `crate::{a, b::{c, d}}` → `crate::a crate::b::c crate::b::d` (the same for `super::`). */
export function expandGroups(text) {
  let out = text;
  for (;;) {
    const m = /\b((?:crate|super)(?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{/.exec(out);
    if (!m) return out;
    const open = m.index + m[0].length - 1;
    let depth = 0, close = open;
    for (; close < out.length; close++) {
      if (out[close] === '{') depth++;
      else if (out[close] === '}' && --depth === 0) break;
    }
    const inner = out.slice(open + 1, close);
    const items = [];
    let d = 0, start = 0;
    for (let i = 0; i <= inner.length; i++) {
      const c = inner[i];
      if (c === '{') d++;
      else if (c === '}') d--;
      else if ((c === ',' || c === undefined) && d === 0) { items.push(inner.slice(start, i).trim()); start = i + 1; }
    }
    const expanded = items.filter((x) => x && x !== 'self').map((x) => `${m[1]}::${x}`).join(' ');
    out = out.slice(0, m.index) + `${items.includes('self') ? `${m[1]} ` : ''}${expanded}` + out.slice(close + 1);
  }
}

/** The import graph between modules (files), test files and the CLI left out. */
export function graph() {
  const files = rustFiles(SRC).filter((f) => !isTestFile(f) && !f.includes(`${path.sep}bin${path.sep}`));
  const modules = new Map(files.map((f) => [moduleOf(f), f]));
  const resolve = (segments) => {
    // The longest prefix of the path that is a module of the crate.
    for (let n = segments.length; n > 0; n--) {
      const m = segments.slice(0, n).join('::');
      if (modules.has(m)) return m;
    }
    return null;
  };
  const edges = new Map();
  for (const [mod, file] of modules) {
    const text = expandGroups(withoutTests(fs.readFileSync(file, 'utf8')).replace(/\/\/.*$/gm, ''));
    const deps = new Set();
    for (const m of text.matchAll(/\bcrate((?:::[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
      const target = resolve(m[1].slice(2).split('::'));
      if (target !== null && target !== mod && target !== '') deps.add(target);
    }
    for (const m of text.matchAll(/\b((?:super::)+)((?:[A-Za-z_][A-Za-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*)/g)) {
      const ups = m[1].length / 7;
      const parent = mod.split('::');
      // A file module's `super` is its parent module (mod.rs files are their folder's module).
      const base = parent.slice(0, Math.max(0, parent.length - ups));
      const target = resolve([...base, ...m[2].split('::')]);
      if (target !== null && target !== mod && target !== '' && !mod.startsWith(`${target}::`)) deps.add(target);
    }
    edges.set(mod, deps);
  }
  return edges;
}

/** Strongly connected components with more than one module (Tarjan). */
export function cycles(edges) {
  let index = 0;
  const idx = new Map(), low = new Map(), stack = [], on = new Set(), out = [];
  const visit = (v) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do { w = stack.pop(); on.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** Uses of a module in the same or a higher layer (`layers` lowest first). */
export function layerViolations(edges, layers = LAYERS) {
  const rank = new Map(layers.flatMap((names, i) => names.map((n) => [n, i])));
  const out = [];
  for (const [from, deps] of edges) {
    const a = from.split('::')[0];
    for (const to of deps) {
      const b = to.split('::')[0];
      if (a === b) continue;
      if (!rank.has(a) || !rank.has(b)) out.push(`${from} -> ${to}: ${rank.has(a) ? b : a} is in no layer`);
      else if (rank.get(b) >= rank.get(a)) out.push(`${from} -> ${to}: '${b}' is not below '${a}'`);
    }
  }
  return out.sort();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const edges = graph();
  if (process.argv.includes('--graph')) for (const [m, d] of [...edges].sort()) console.log(`${m || '(lib)'} -> ${[...d].sort().join(', ')}`);
  const c = cycles(edges);
  const v = layerViolations(edges);
  for (const comp of c) console.log(`cycle: ${comp.join(' <-> ')}`);
  for (const line of v) console.log(`layer: ${line}`);
  console.log(`${edges.size} modules, ${c.length} cycles, ${v.length} layer violations`);
  process.exit(c.length === 0 && v.length === 0 ? 0 : 1);
}
