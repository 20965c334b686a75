// "Is this output newer than its inputs?": lets the build skip steps on a warm run.
import fs from 'node:fs';
import path from 'node:path';

/** Newest modification time (ms) of a file or of every file below a directory; 0 when absent. */
export function newest(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const entry of fs.readdirSync(p)) {
    if (entry === 'target' || entry === 'node_modules') continue;
    max = Math.max(max, newest(path.join(p, entry)));
  }
  return max;
}

/** Modification time (ms) of one file; 0 when absent. */
export function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

/** True when every output exists and is newer than every input. */
export function upToDate(outputs, inputs) {
  const oldestOut = Math.min(...outputs.map(mtime));
  if (oldestOut === 0) return false;
  return inputs.every((i) => newest(i) <= oldestOut);
}
