// Installs whatever is missing, idempotently: the wasm toolchain, the wasm-bindgen CLI, npm
// packages, and (for tests) chromium and the interop peers. A warm run only checks.
import { ensureNodeModules } from './lib/npm.mjs';
import { ensureTestPeers } from './lib/system.mjs';
import { ensureWasmBindgen, ensureWasmToolchain } from './lib/toolchain.mjs';
import { step } from './lib/run.mjs';

/** Returns the wasm toolchain description used by the build. */
export async function setup({ forTests = false } = {}) {
  step('Checking the set-up');
  await ensureNodeModules();
  const toolchain = await ensureWasmToolchain();
  console.log(`wasm toolchain: ${toolchain.route}`);
  await ensureWasmBindgen();
  if (forTests) await ensureTestPeers();
  return toolchain;
}
