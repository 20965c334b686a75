// Installs whatever is missing, idempotently: the wasm toolchain, the wasm-bindgen CLI, npm
// packages, and (for tests) chromium, Thunderbird 153 and the interop peers. A warm run only checks.
import { ensureNodeModules } from './lib/npm.mjs';
import { ensureTestPeers, ensureThunderbird } from './lib/system.mjs';
import { ensureWasmBindgen, ensureWasmToolchain } from './lib/toolchain.mjs';
import { step } from './lib/run.mjs';

/** Returns the wasm toolchain description used by the build. */
export async function setup({ forTests = false } = {}) {
  step('Checking the set-up');
  await ensureNodeModules();
  const toolchain = await ensureWasmToolchain();
  console.log(`wasm toolchain: ${toolchain.route}`);
  await ensureWasmBindgen();
  if (forTests) {
    await ensureTestPeers();
    // Outside CI a machine without Thunderbird 153 still runs every other suite; the
    // Thunderbird suite then reports itself skipped with this reason (tests/thunderbird/).
    const tb = await ensureThunderbird();
    if (tb.ok) console.log(`thunderbird: ${tb.version}`);
    else if (process.env.CI === 'true') throw new Error(`Thunderbird is needed for the tests under CI: ${tb.reason}`);
    else console.log(`thunderbird: not available (${tb.reason}); its tests will be skipped`);
  }
  return toolchain;
}
