// npm dependencies: `npm ci` only when node_modules is missing or older than package-lock.json.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, must, step } from './run.mjs';
import { mtime } from './fresh.mjs';

export async function ensureNodeModules() {
  const lock = path.join(ROOT, 'package-lock.json');
  // npm writes this file at the end of every successful install.
  const stamp = path.join(ROOT, 'node_modules', '.package-lock.json');
  if (fs.existsSync(stamp) && mtime(stamp) >= mtime(lock)) return;
  step('Installing npm packages (npm ci)');
  // Belt and braces: nothing may download a browser; tests use the system chromium.
  const env = { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' };
  await must('npm', ['ci', '--no-audit', '--no-fund'], { env });
}
