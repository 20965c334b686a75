// The Rust side of the set-up: a toolchain that can build wasm32-unknown-unknown, and the
// wasm-bindgen CLI at exactly the version of the wasm-bindgen crate in Cargo.lock.
//
// Two routes, chosen automatically:
//   rustup  - `rustup target add wasm32-unknown-unknown` works (the usual case);
//   debian  - it does not (no rustup, offline mirror without the target, ...): Debian's
//             rustc-web/cargo-web/rust-web-src with lld-19, building std from source.
// CACHET_WASM_TOOLCHAIN=rustup|debian forces a route (used to test the fallback).
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, have, must, output, run, step } from './run.mjs';
import { aptInstall } from './system.mjs';

const TARGET = 'wasm32-unknown-unknown';
export const DEBIAN_PACKAGES = ['rustc-web', 'cargo-web', 'rust-web-src', 'lld-19'];

/** The wasm-bindgen version pinned in Cargo.lock (the CLI must match it exactly). */
export function lockedWasmBindgenVersion() {
  const lock = fs.readFileSync(path.join(ROOT, 'Cargo.lock'), 'utf8');
  const m = lock.match(/\[\[package\]\]\nname = "wasm-bindgen"\nversion = "([^"]+)"/);
  if (!m) throw new Error('Cargo.lock has no wasm-bindgen package: cannot pick the wasm-bindgen CLI version');
  return m[1];
}

function rustupHasTarget() {
  const installed = output('rustup', ['target', 'list', '--installed']);
  return installed !== null && installed.split('\n').includes(TARGET);
}

/** The real system; tests pass a fake with the same shape. */
export const systemProbe = {
  forced: () => process.env.CACHET_WASM_TOOLCHAIN,
  hasRustup: () => have('rustup'),
  targetInstalled: rustupHasTarget,
  async addTarget() {
    step(`Adding the ${TARGET} target with rustup`);
    return (await run('rustup', ['target', 'add', TARGET])).code === 0;
  },
  missingDebianPackages: () => DEBIAN_PACKAGES.filter((p) => output('dpkg-query', ['-W', '-f=${Status}', p]) !== 'install ok installed'),
  async installDebianPackages(missing) {
    step(`Installing Debian's wasm-capable Rust: ${missing.join(' ')}`);
    await aptInstall(missing);
  },
};

/**
 * Make sure a wasm32 toolchain exists; returns how to call cargo for the wasm build:
 * `{ route, cargo, env, extraArgs }`.
 */
export async function ensureWasmToolchain(probe = systemProbe) {
  const forced = probe.forced();
  if (forced !== undefined && forced !== 'rustup' && forced !== 'debian') {
    throw new Error(`CACHET_WASM_TOOLCHAIN must be "rustup" or "debian", not "${forced}"`);
  }
  if (forced !== 'debian' && probe.hasRustup()) {
    if (probe.targetInstalled()) return rustupRoute();
    if ((await probe.addTarget()) && probe.targetInstalled()) return rustupRoute();
    if (forced === 'rustup') throw new Error(`rustup target add ${TARGET} failed`);
    console.log(`rustup could not add ${TARGET}; falling back to Debian's rustc-web packages.`);
  } else if (forced === 'rustup') {
    throw new Error('CACHET_WASM_TOOLCHAIN=rustup but rustup is not installed');
  }
  const missing = probe.missingDebianPackages();
  if (missing.length > 0) await probe.installDebianPackages(missing);
  return debianRoute();
}

function rustupRoute() {
  return { route: 'rustup', cargo: 'cargo', env: { ...process.env }, extraArgs: [] };
}

/** Debian bookworm's rustc-web can build wasm32 only with std built from source and lld-19. */
function debianRoute() {
  const env = {
    ...process.env,
    PATH: `/usr/bin:${process.env.PATH ?? ''}`,
    RUSTC: '/usr/bin/rustc',
    RUSTC_BOOTSTRAP: '1',
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER: 'wasm-ld-19',
  };
  return { route: 'debian', cargo: '/usr/bin/cargo', env, extraArgs: ['-Zbuild-std=std,panic_abort'] };
}

/** Install wasm-bindgen-cli at the locked version unless `wasm-bindgen --version` already matches. */
export async function ensureWasmBindgen() {
  const want = lockedWasmBindgenVersion();
  const have = output('wasm-bindgen', ['--version']);
  if (have === `wasm-bindgen ${want}`) return;
  step(`Installing wasm-bindgen-cli ${want} (first time only; takes a few minutes)`);
  // Not --locked: the CLI's own lock file pins crates that no longer build with current Rust.
  await must('cargo', ['install', 'wasm-bindgen-cli', '--version', want]);
  const now = output('wasm-bindgen', ['--version']);
  if (now !== `wasm-bindgen ${want}`) {
    throw new Error(`wasm-bindgen ${want} was installed but "wasm-bindgen --version" says ${now ?? 'nothing'}: is ~/.cargo/bin on PATH?`);
  }
}
