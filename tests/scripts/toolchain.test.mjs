// The automatic choice of the wasm toolchain (scripts/lib/toolchain.mjs), with a fake system:
// rustup when it can provide wasm32-unknown-unknown, otherwise Debian's rustc-web route.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEBIAN_PACKAGES, ensureWasmToolchain, lockedWasmBindgenVersion } from '../../scripts/lib/toolchain.mjs';

function fakeSystem({ forced, rustup = true, installed = false, addWorks = true, debianMissing = [] } = {}) {
  const calls = [];
  let target = installed;
  return {
    calls,
    forced: () => forced,
    hasRustup: () => rustup,
    targetInstalled: () => target,
    async addTarget() {
      calls.push('rustup target add');
      if (addWorks) target = true;
      return addWorks;
    },
    missingDebianPackages: () => debianMissing,
    async installDebianPackages(p) {
      calls.push(`apt-get install ${p.join(' ')}`);
    },
  };
}

test('rustup with the target already installed: nothing to install', async () => {
  const sys = fakeSystem({ installed: true });
  const tc = await ensureWasmToolchain(sys);
  assert.equal(tc.route, 'rustup');
  assert.deepEqual(tc.extraArgs, []);
  assert.deepEqual(sys.calls, []);
});

test('rustup without the target: adds it', async () => {
  const sys = fakeSystem();
  assert.equal((await ensureWasmToolchain(sys)).route, 'rustup');
  assert.deepEqual(sys.calls, ['rustup target add']);
});

test('rustup cannot add the target: Debian route with its build settings', async () => {
  const sys = fakeSystem({ addWorks: false, debianMissing: DEBIAN_PACKAGES });
  const tc = await ensureWasmToolchain(sys);
  assert.equal(tc.route, 'debian');
  assert.deepEqual(sys.calls, ['rustup target add', 'apt-get install rustc-web cargo-web rust-web-src lld-19']);
  assert.equal(tc.cargo, '/usr/bin/cargo');
  assert.deepEqual(tc.extraArgs, ['-Zbuild-std=std,panic_abort']);
  assert.equal(tc.env.RUSTC, '/usr/bin/rustc');
  assert.equal(tc.env.RUSTC_BOOTSTRAP, '1');
  assert.equal(tc.env.CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER, 'wasm-ld-19');
  assert.ok(tc.env.PATH.startsWith('/usr/bin:'));
});

test('no rustup at all: Debian route, packages installed only when missing', async () => {
  const sys = fakeSystem({ rustup: false, debianMissing: [] });
  assert.equal((await ensureWasmToolchain(sys)).route, 'debian');
  assert.deepEqual(sys.calls, []);
});

test('CACHET_WASM_TOOLCHAIN forces a route; a bad value is refused', async () => {
  const sys = fakeSystem({ forced: 'debian', installed: true });
  assert.equal((await ensureWasmToolchain(sys)).route, 'debian');
  assert.deepEqual(sys.calls, []);
  await assert.rejects(ensureWasmToolchain(fakeSystem({ forced: 'rustup', addWorks: false })), /rustup target add/);
  await assert.rejects(ensureWasmToolchain(fakeSystem({ forced: 'nightly' })), /must be "rustup" or "debian"/);
});

test('the wasm-bindgen CLI version comes from Cargo.lock', () => {
  assert.match(lockedWasmBindgenVersion(), /^\d+\.\d+\.\d+$/);
});
