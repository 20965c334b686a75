// For tests: import a TypeScript module of the add-in under Node by bundling it with esbuild
// (a dependency of vite) into a temporary ES module. No type checking here: `npm run typecheck`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ROOT } from './shared.mjs';

/** Import `rel` (relative to the repository root), bundled with its local imports. */
export async function importTs(rel) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-ts-'));
  const out = path.join(dir, `${path.basename(rel, '.ts')}.mjs`);
  await build({ entryPoints: [path.join(ROOT, rel)], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', outfile: out, logLevel: 'error' });
  try {
    return await import(pathToFileURL(out).href);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
