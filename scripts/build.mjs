// The build: core crate -> wasm32 (cargo) -> JS bindings (wasm-bindgen, addin/pkg) -> bundled
// add-in pages (Vite, dist/) -> the Thunderbird extension from the same sources
// (dist/thunderbird/ unpacked, dist/cachet-thunderbird.xpi packed). Each step is skipped when
// its outputs are newer than its inputs.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeIcons } from './icons.mjs';
import { productionManifest } from './manifest.mjs';
import { upToDate } from './lib/fresh.mjs';
import { ROOT, must, output, step } from './lib/run.mjs';
import { zipDirectory } from './lib/zip.mjs';
import { setup } from './setup.mjs';

const PKG = path.join(ROOT, 'addin', 'pkg');

/**
 * wasm-opt passes that make the Wasm smaller both raw and gzipped: identical functions merged,
 * the zero-filled parts of the data segments dropped, branches and instructions simplified
 * (1,598,670 -> 1,463,129 bytes raw, 438,886 -> 434,854 gzip -9). Not `-Oz`: its whole
 * pipeline gives fewer raw bytes but about 55 KB more gzipped (function reordering and local
 * CSE alone cost 26 KB and 7 KB).
 */
const WASM_OPT_PASSES = [
  '--duplicate-function-elimination', '--memory-packing', '--remove-unused-brs',
  '--optimize-instructions', '--code-folding', '--vacuum',
];
/**
 * rustc flags for the wasm32 crates only (cargo tracks them and rebuilds when they change,
 * unlike the wrapper's). `-Zlocation-detail=none`: a panic's location (file, line, column) is
 * left out, so the hundreds of call sites that can panic no longer each carry a location record
 * and the source path of their crate (572.8 -> 564.0 KB gzipped). A panic in the Wasm already
 * traps with no message anyone sees (no panic hook, no stderr), so nothing is lost. An unstable
 * flag: the build sets RUSTC_BOOTSTRAP=1 for it, as the Debian route does for `-Zbuild-std`.
 * `+simd128`: Wasm SIMD, which sha2 uses for SHA-256's message schedule (its wasm32 backend)
 * and LLVM for some loops. Measured under Node against the same build without it, alternated in
 * one process: a 27 MB signed message opened (sync, digest in Wasm) 201 -> 167 ms CPU, a stored
 * identity unlocked (sync, PBKDF2 and the PKCS#12 MAC in Wasm) 613 -> 528 ms; the RSA-2048
 * private operation and AES-256-CBC of 16 MB unchanged within noise; 576.7 -> 565.5 KB gzipped.
 * Every host Cachet runs in has Wasm SIMD: Chromium and Edge since 91, Firefox and Thunderbird
 * since 89, Safari (Outlook for Mac's web view) since 16.4, Node since 16.4.
 */
export const WASM_RUSTFLAGS = ['-Zlocation-detail=none', '-Ctarget-feature=+simd128'];
const DIST = path.join(ROOT, 'dist');
/** The unpacked Thunderbird extension (loaded temporarily by the tests) and the packed one. */
export const THUNDERBIRD_DIR = path.join(DIST, 'thunderbird');
export const THUNDERBIRD_XPI = path.join(DIST, 'cachet-thunderbird.xpi');

function targetDir() {
  const meta = output('cargo', ['metadata', '--format-version', '1', '--no-deps']);
  if (meta === null) return path.join(ROOT, 'target');
  return JSON.parse(meta).target_directory;
}

/**
 * dist/launchevent.js: the OnMessageSend and command handlers as one classic script (IIFE, no
 * imports), at a stable name, for classic Outlook's JavaScript-only event runtime.
 */
export async function buildLaunchEvent(outDir = DIST) {
  const { build: esbuild } = await import('esbuild');
  await esbuild({
    entryPoints: [path.join(ROOT, 'addin', 'src', 'pages', 'launchevent.ts')],
    bundle: true, format: 'iife', target: 'es2017', minify: true, logLevel: 'warning',
    outfile: path.join(outDir, 'launchevent.js'),
  });
}

/** thunderbird/manifest.json with the version of package.json (the one place the version is kept). */
export function thunderbirdManifest() {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'thunderbird', 'manifest.json'), 'utf8'));
  manifest.version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  return manifest;
}

/**
 * The Thunderbird extension: its pages bundled by Vite (vite.thunderbird.config.ts), the
 * message display script as one classic script, the send Experiment, the
 * manifest, then the .xpi.
 */
export async function buildThunderbird() {
  const inputs = ['addin', 'thunderbird', 'vite.thunderbird.config.ts', 'package.json', 'package-lock.json'].map((p) => path.join(ROOT, p));
  if (upToDate([path.join(THUNDERBIRD_DIR, 'manifest.json'), THUNDERBIRD_XPI], inputs)) {
    console.log('thunderbird extension: up to date');
    return;
  }
  step('Bundling the Thunderbird extension (Vite, esbuild)');
  await must(path.join(ROOT, 'node_modules', '.bin', 'vite'), ['build', '--config', path.join(ROOT, 'vite.thunderbird.config.ts'), '--logLevel', 'warn']);
  const { build: esbuild } = await import('esbuild');
  await esbuild({
    entryPoints: [path.join(ROOT, 'addin', 'src', 'pages', 'tb-display.ts')],
    bundle: true, format: 'iife', target: 'es2022', minify: true, logLevel: 'warning',
    outfile: path.join(THUNDERBIRD_DIR, 'tb-display.js'),
  });
  // The send-only Experiment (plain files: its schema and its privileged implementation).
  fs.cpSync(path.join(ROOT, 'thunderbird', 'experiment'), path.join(THUNDERBIRD_DIR, 'experiment'), { recursive: true });
  fs.writeFileSync(path.join(THUNDERBIRD_DIR, 'manifest.json'), `${JSON.stringify(thunderbirdManifest(), null, 2)}\n`);
  await zipDirectory(THUNDERBIRD_DIR, THUNDERBIRD_XPI);
}

/** Build everything; `toolchain` comes from setup(). */
export async function build(toolchain) {
  const wasm = path.join(targetDir(), 'wasm32-unknown-unknown', 'wasm', 'cachet.wasm');
  const wrapper = path.join(ROOT, 'scripts', 'lib', 'rustc-wasm.sh');
  // What the Wasm build reads: the library's sources and manifests, and this script (its rustc
  // flags); not its tests, test kit or fuzz targets, which would make every test edit re-run
  // the Wasm cargo build.
  const rustInputs = [...['crate/src', 'crate/Cargo.toml', 'crate/bytes/src', 'crate/bytes/Cargo.toml', 'crate/montgomery/src', 'crate/montgomery/Cargo.toml', 'Cargo.toml', 'Cargo.lock', 'scripts/build.mjs'].map((p) => path.join(ROOT, p)), wrapper];
  if (upToDate([wasm], rustInputs)) {
    console.log('core wasm: up to date');
  } else {
    step(`Building the core for wasm32 (${toolchain.route} toolchain)`);
    // The wrapper gives crypto-bigint (RSA) 32-bit limbs on wasm32: see the script.
    await must(toolchain.cargo, ['build', '--profile', 'wasm', '--target', 'wasm32-unknown-unknown', '-p', 'cachet', '--lib', ...toolchain.extraArgs], {
      env: { ...toolchain.env, RUSTC_WRAPPER: wrapper, RUSTC_BOOTSTRAP: '1', CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS: WASM_RUSTFLAGS.join(' ') },
    });
  }

  const glue = [path.join(PKG, 'cachet_bg.wasm'), path.join(PKG, 'cachet.js')];
  if (upToDate(glue, [wasm])) {
    console.log('wasm-bindgen: up to date');
  } else {
    step('Generating JS bindings (wasm-bindgen)');
    await must('wasm-bindgen', ['--target', 'web', '--remove-name-section', '--remove-producers-section', '--out-dir', PKG, wasm]);
    step('Shrinking the Wasm (wasm-opt)');
    const out = path.join(PKG, 'cachet_bg.wasm');
    await must(path.join(ROOT, 'node_modules', '.bin', 'wasm-opt'), [...WASM_OPT_PASSES, out, '-o', out]);
  }

  await writeIcons(path.join(ROOT, 'addin', 'public', 'assets'));
  const webInputs = ['addin', 'manifest.xml', 'vite.config.ts', 'tsconfig.json', 'package-lock.json'].map((p) => path.join(ROOT, p));
  if (upToDate([path.join(DIST, 'index.html'), path.join(DIST, 'manifest.xml')], webInputs)) {
    console.log('add-in bundle: up to date');
  } else {
    step('Type-checking and bundling the add-in (tsc, Vite)');
    const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);
    await must(bin('tsc'), ['--noEmit', '-p', ROOT]);
    await must(bin('vite'), ['build', '--logLevel', 'warn']);
    await buildLaunchEvent();
  }
  // The manifest for the origin asked for now (CACHET_ORIGIN), also when the bundle is up to date.
  const xml = fs.readFileSync(path.join(ROOT, 'manifest.xml'), 'utf8');
  const manifest = productionManifest(xml, process.env.CACHET_ORIGIN || undefined);
  const manifestOut = path.join(DIST, 'manifest.xml');
  if (!fs.existsSync(manifestOut) || fs.readFileSync(manifestOut, 'utf8') !== manifest) fs.writeFileSync(manifestOut, manifest);
  await buildThunderbird();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    await build(await setup());
  } catch (e) {
    console.error(`\nBuild failed: ${e.message}`);
    process.exit(1);
  }
}
