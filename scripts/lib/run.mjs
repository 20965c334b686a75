// Running commands from the project scripts: one place for logging, exit codes and output capture.
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in scripts/lib/). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Print a step heading so the long setup output stays readable. */
export function step(text) {
  console.log(`\n▶ ${text}`);
}

/** True when `cmd` is found on PATH. */
export function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Run a command synchronously and return its trimmed stdout, or null when it fails. */
export function output(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT, ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * Run a command with the terminal attached; resolves to the exit code.
 * With `tee: true` the combined output is also returned (for parsing test counts); with
 * `quiet: true` as well it is only returned, not shown. `nice`: a lower CPU priority (0-19)
 * for the command and what it starts. `signal`: an AbortSignal that ends the command.
 */
export function run(cmd, args, opts = {}) {
  const { tee = false, quiet = false, nice = 0, env, cwd = ROOT, signal } = opts;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      signal,
      env: env ?? process.env,
      stdio: tee ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    if (nice > 0 && child.pid !== undefined) {
      try {
        os.setPriority(child.pid, nice);
      } catch {
        // Not allowed here: the command runs at normal priority.
      }
    }
    let text = '';
    if (tee) {
      child.stdout.on('data', (d) => { if (!quiet) process.stdout.write(d); text += d; });
      child.stderr.on('data', (d) => { if (!quiet) process.stderr.write(d); text += d; });
    }
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output: text }));
  });
}

/** Run a command and throw when it fails. */
export async function must(cmd, args, opts = {}) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${r.code}`);
  }
  return r;
}

/** Prefix with sudo when we are not root and sudo exists (system package installs). */
export function asRoot(cmd, args) {
  if (typeof process.getuid === 'function' && process.getuid() !== 0 && have('sudo')) {
    return ['sudo', [cmd, ...args]];
  }
  return [cmd, args];
}
