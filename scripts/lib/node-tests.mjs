// Run node test files in the order given (`node --test` sorts them by name), several at once:
// the test runner of the node, e2e and thunderbird suites of `npm test` (scripts/test.mjs), which
// starts a suite's longest files first. Each file runs in a process of its own, as under
// `node --test`. The spec report goes to stdout, the TAP report (its summary is what the counts
// are read from) to the file given.
//
//   node scripts/lib/node-tests.mjs --concurrency N --tap FILE FILE.test.mjs...
//
// Exits with 1 when a test or a file failed, as `node --test` does.
import fs from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import { pathToFileURL } from 'node:url';

/** `--concurrency N --tap FILE files...` */
export function parseArgs(argv) {
  const o = { concurrency: 1, tap: null, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--concurrency') o.concurrency = Number(argv[++i]);
    else if (a === '--tap') o.tap = argv[++i];
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}; options: --concurrency N, --tap FILE`);
    else o.files.push(a);
  }
  if (!(Number.isInteger(o.concurrency) && o.concurrency >= 1)) throw new Error('--concurrency needs a whole number >= 1');
  if (o.tap === null) throw new Error('--tap FILE is needed (the counts are read from it)');
  if (o.files.length === 0) throw new Error('no test files given');
  return o;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
  // A top-level run, even when started from a test (its files would otherwise report to a parent
  // test runner that is not listening).
  delete process.env.NODE_TEST_CONTEXT;
  let failed = false;
  const stream = run({ files: o.files, concurrency: o.concurrency });
  stream.on('test:fail', (data) => {
    if (!data.todo) failed = true;
  });
  const forTap = new PassThrough({ objectMode: true });
  stream.pipe(forTap);
  await Promise.all([
    pipeline(stream, new spec(), process.stdout, { end: false }),
    pipeline(Readable.from(tap(forTap)), fs.createWriteStream(o.tap)),
  ]);
  process.exitCode = failed ? 1 : 0;
}
