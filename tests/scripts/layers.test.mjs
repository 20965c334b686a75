// The core's layering (issue 15): the import graph of crate/src has no cycle and every
// module uses only lower layers; and the checker itself finds what it should.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cycles, expandGroups, graph, LAYERS, layerViolations } from '../../scripts/layers.mjs';

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/layers.mjs');

test('node scripts/layers.mjs exits 0 with no cycle and no layer violation', () => {
  const r = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, / 0 cycles, 0 layer violations\n$/);
  assert.doesNotMatch(r.stdout, /^cycle:|^layer:/m);
});

test('the graph of the core is the one the layers describe', () => {
  const edges = graph();
  assert.deepEqual(cycles(edges), []);
  assert.deepEqual(layerViolations(edges), []);
  // Every top-level module is in a layer, and the seams sit where the layers say.
  const ranked = new Set(LAYERS.flat());
  for (const m of edges.keys()) if (m) assert.ok(ranked.has(m.split('::')[0]) || m === 'wasm', `${m} is in no layer`);
  assert.ok(edges.has('smime::encrypt') && edges.get('smime::encrypt').has('smime::sign'));
  assert.ok(!edges.get('smime::sign').has('smime::encrypt'));
  for (const [m, deps] of edges) {
    if (m.startsWith('crypto')) for (const d of deps) assert.ok(!/^(cert|cms|pkcs12)/.test(d), `${m} -> ${d}`);
    if (m.startsWith('cms')) assert.ok(![...deps].some((d) => d === 'report' || d.startsWith('smime')), `${m} uses a higher layer`);
  }
});

test('the checker finds a cycle and a layer violation in a synthetic graph', () => {
  const edges = new Map([
    ['cert::facts', new Set(['cms::verify', 'time'])],
    ['cms::verify', new Set(['report'])],
    ['report', new Set(['cert::facts'])],
    ['time', new Set()],
  ]);
  assert.deepEqual(cycles(edges), [['cert::facts', 'cms::verify', 'report']]);
  const v = layerViolations(edges, [['time'], ['cert'], ['cms'], ['report']]);
  assert.deepEqual(v, ["cert::facts -> cms::verify: 'cms' is not below 'cert'", "cms::verify -> report: 'report' is not below 'cms'"]);
  // A module of its own layer is a violation too, and so is a module in no layer.
  assert.deepEqual(layerViolations(new Map([['a', new Set(['b', 'c'])]]), [['a', 'b']]), ["a -> b: 'b' is not below 'a'", 'a -> c: c is in no layer']);
  assert.deepEqual(cycles(new Map([['a', new Set(['b'])], ['b', new Set()]])), []);
});

test('brace groups in use paths are expanded', () => {
  assert.equal(expandGroups('use crate::{a, b::{c, d}};'), 'use crate::a crate::b::c crate::b::d;');
  assert.equal(expandGroups('use super::{x::y, z};'), 'use super::x::y super::z;');
});
