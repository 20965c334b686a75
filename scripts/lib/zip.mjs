// The ZIP archive of the Thunderbird .xpi, written by fflate. Entries are sorted and dated
// 1980-01-01 so the same files give the same bytes.
import fs from 'node:fs';
import path from 'node:path';

/** Every file below `dir`, as forward-slash paths relative to it, sorted. */
export function filesBelow(dir, prefix = '') {
  const out = [];
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...filesBelow(dir, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

/**
 * The ZIP archive of `files` ([name, bytes] pairs), deflated at level 9 (fflate is loaded when
 * first needed: the build scripts are imported before `npm ci` has installed the packages).
 */
export async function zip(files) {
  const { zipSync } = await import('fflate');
  const mtime = new Date(1980, 0, 1);
  const entries = Object.fromEntries(files.map(([name, bytes]) => [name, [new Uint8Array(bytes), { level: 9, mtime }]]));
  return Buffer.from(zipSync(entries));
}

/** Write the ZIP of every file below `dir` to `out`. */
export async function zipDirectory(dir, out) {
  fs.writeFileSync(out, await zip(filesBelow(dir).map((rel) => [rel, fs.readFileSync(path.join(dir, rel))])));
}
