// Test counts for the summary line of `npm test`: cargo's result lines, the node test runner's
// TAP summary, and the Rust tests that recorded a skip (crate/testkit).
import fs from 'node:fs';

/** Sum the "test result:" lines of cargo test (one per test binary and doc-test run). */
export function cargoCounts(text) {
  const c = { passed: 0, failed: 0, skipped: 0, ran: false };
  for (const m of text.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/g)) {
    c.passed += Number(m[1]);
    c.failed += Number(m[2]);
    c.skipped += Number(m[3]);
    c.ran = true;
  }
  return c;
}

/** The tests recorded in the skip log, as `name: reason` lines. */
export function skipLines(skipLog) {
  return fs.existsSync(skipLog) ? fs.readFileSync(skipLog, 'utf8').split('\n').filter(Boolean).map((l) => l.replace('\t', ': ')) : [];
}

/** Move the tests recorded in the skip log from passed to skipped. */
export function withSkips(counts, skipLog) {
  const n = Math.min(skipLines(skipLog).length, counts.passed);
  return { ...counts, passed: counts.passed - n, skipped: counts.skipped + n };
}

/** Counts from the node test runner's TAP summary. */
export function tapCounts(text) {
  const n = (key) => Number(text.match(new RegExp(`^# ${key} (\\d+)$`, 'm'))?.[1] ?? 0);
  return { passed: n('pass'), failed: n('fail') + n('cancelled'), skipped: n('skipped') + n('todo'), ran: /^# tests \d+$/m.test(text) };
}
