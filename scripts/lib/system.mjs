// System packages: Debian packages through apt-get and Python packages through pip, installed
// only when missing (a second run costs a few dpkg-query calls).
import { asRoot, have, must, output, run, step } from './run.mjs';

let aptUpdated = false;

function installed(pkg) {
  return output('dpkg-query', ['-W', '-f=${Status}', pkg]) === 'install ok installed';
}

/** apt-get install the given packages; runs `apt-get update` once first when one is unknown or the install fails. */
export async function aptInstall(packages) {
  if (!have('apt-get')) {
    throw new Error(`These packages are needed but this system has no apt-get: ${packages.join(' ')}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const known = packages.every((p) => {
    const policy = output('apt-cache', ['policy', p]) ?? '';
    return policy.includes('Candidate:') && !policy.includes('Candidate: (none)');
  });
  if (!known && !aptUpdated) {
    const [c, a] = asRoot('apt-get', ['update']);
    await must(c, a, { env });
    aptUpdated = true;
  }
  const [cmd, args] = asRoot('apt-get', ['install', '-y', '--no-install-recommends', ...packages]);
  const r = await run(cmd, args, { env });
  if (r.code !== 0 && !aptUpdated) {
    const [c, a] = asRoot('apt-get', ['update']);
    await must(c, a, { env });
    aptUpdated = true;
    await must(cmd, args, { env });
  } else if (r.code !== 0) {
    throw new Error(`apt-get install ${packages.join(' ')} failed`);
  }
}

/** Debian packages the tests use: the browser and the interop peers of the Rust tests. */
export const TEST_PACKAGES = ['chromium', 'openssl', 'libnss3-tools', 'gpgsm', 'libxml2-utils', 'time'];

/** Debian packages `npm run bench` uses: the peers, the browser, and /usr/bin/time for peak memory. */
export const BENCH_PACKAGES = ['openssl', 'time', 'chromium'];

/** Install the missing benchmark packages (`packages`: a subset of BENCH_PACKAGES). */
export async function ensureBenchTools(packages = BENCH_PACKAGES) {
  const missing = packages.filter((p) => !installed(p));
  if (missing.length === 0) return;
  step(`Installing benchmark tools: ${missing.join(' ')}`);
  await aptInstall(missing);
}

/** The oldest Python `cryptography` the interop tests accept (strict DER SET OF order). */
const MIN_PY_CRYPTOGRAPHY = 48;

/** Install the missing test packages and Python `cryptography`. */
export async function ensureTestPeers() {
  const missing = TEST_PACKAGES.filter((p) => !installed(p));
  if (missing.length > 0) {
    step(`Installing test tools: ${missing.join(' ')}`);
    await aptInstall(missing);
  }
  const python = have('python3') ? 'python3' : null;
  if (python === null) {
    step('Installing python3 and cryptography');
    await aptInstall(['python3', 'python3-cryptography']);
    return;
  }
  // 48 or later: its DER parser refuses an unsorted SET OF ("InvalidSetOrdering"), which the
  // interop tests rely on to check that Cachet writes strict DER.
  const recent = `import cryptography, sys; sys.exit(int(cryptography.__version__.split('.')[0]) < ${MIN_PY_CRYPTOGRAPHY})`;
  if (output(python, ['-c', recent]) !== null) return;
  step(`Installing Python cryptography ${MIN_PY_CRYPTOGRAPHY} or later`);
  const pip = ['-m', 'pip', 'install', '--quiet', '--upgrade', `cryptography>=${MIN_PY_CRYPTOGRAPHY}`];
  if ((await run(python, pip)).code === 0) return;
  // Debian's system Python refuses pip installs (PEP 668); its own package is fine for tests.
  if ((await run(python, [...pip, '--break-system-packages'])).code === 0) return;
  await aptInstall(['python3-cryptography']);
}
