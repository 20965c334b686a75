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

/**
 * The Python packages the tests use, each as: a check run by the `python3` on PATH, the pip
 * requirement, and the Debian package to fall back on. The check runs the very interpreter the
 * tests start, so a Debian package that only the system Python sees (a pyenv or venv `python3`
 * first on PATH) does not count as installed.
 */
export const PYTHON_PACKAGES = [
  // 48 or later: its DER parser refuses an unsorted SET OF ("InvalidSetOrdering"), which the
  // interop tests rely on to check that Cachet writes strict DER.
  {
    check: `import cryptography, sys; sys.exit(int(cryptography.__version__.split('.')[0]) < ${MIN_PY_CRYPTOGRAPHY})`,
    pip: `cryptography>=${MIN_PY_CRYPTOGRAPHY}`,
    apt: 'python3-cryptography',
  },
  // The SMIMEA tests: dnspython reads Cachet's DNS query and writes the answers.
  { check: 'import dns.message', pip: 'dnspython>=2', apt: 'python3-dnspython' },
];

/** Install the missing test packages and Python packages. */
export async function ensureTestPeers() {
  const missing = TEST_PACKAGES.filter((p) => !installed(p));
  if (missing.length > 0) {
    step(`Installing test tools: ${missing.join(' ')}`);
    await aptInstall(missing);
  }
  if (!have('python3')) {
    step('Installing python3 and its test packages');
    await aptInstall(['python3', ...PYTHON_PACKAGES.map((p) => p.apt)]);
    return;
  }
  for (const p of PYTHON_PACKAGES) {
    if (output('python3', ['-c', p.check]) !== null) continue;
    step(`Installing Python ${p.pip}`);
    const pip = ['-m', 'pip', 'install', '--quiet', '--upgrade', p.pip];
    if ((await run('python3', pip)).code === 0) continue;
    // Debian's system Python refuses pip installs (PEP 668); its own package is fine for tests.
    if ((await run('python3', [...pip, '--break-system-packages'])).code === 0) continue;
    await aptInstall([p.apt]);
  }
}

/** The oldest Thunderbird the extension supports (manifest strict_min_version; MV3 display scripts need 151+). */
export const THUNDERBIRD_MIN_MAJOR = 153;

/** The major version of a Debian version string ("1:153.8.0esr-1~deb12u1" -> 153), or null. */
export function debianMajor(version) {
  const m = /^(?:\d+:)?(\d+)\./.exec(version ?? '');
  return m ? Number(m[1]) : null;
}

/** The candidate version in `apt-cache policy` output, or null when there is none. */
export function aptCandidate(policy) {
  const m = /Candidate:\s*(\S+)/.exec(policy ?? '');
  return m && m[1] !== '(none)' ? m[1] : null;
}

const realThunderbirdSystem = {
  installedVersion: () => (installed('thunderbird') ? output('dpkg-query', ['-W', '-f=${Version}', 'thunderbird']) : null),
  candidateVersion: () => aptCandidate(output('apt-cache', ['policy', 'thunderbird'])),
  hasApt: () => have('apt-get'),
  async update() {
    const [c, a] = asRoot('apt-get', ['update']);
    await must(c, a, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    aptUpdated = true;
  },
  alreadyUpdated: () => aptUpdated,
  async install() {
    const [c, a] = asRoot('apt-get', ['install', '-y', '--no-install-recommends', 'thunderbird']);
    await must(c, a, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  },
};

/**
 * Thunderbird 153 or newer for the Thunderbird tests, from apt: nothing when it is installed;
 * `apt-get update` first when the offered candidate is older (Debian's cache may offer 140).
 * Returns `{ ok: true, version }` or `{ ok: false, reason }`; never throws, so that outside CI
 * the Thunderbird suite can report itself skipped with the reason.
 */
export async function ensureThunderbird(sys = realThunderbirdSystem) {
  const have153 = (v) => (debianMajor(v) ?? 0) >= THUNDERBIRD_MIN_MAJOR;
  const current = sys.installedVersion();
  if (have153(current)) return { ok: true, version: current };
  if (!sys.hasApt()) return { ok: false, reason: `Thunderbird ${THUNDERBIRD_MIN_MAJOR} or newer is needed and this system has no apt-get (installed: ${current ?? 'none'})` };
  try {
    let candidate = sys.candidateVersion();
    if (!have153(candidate) && !sys.alreadyUpdated()) {
      step(`apt offers Thunderbird ${candidate ?? 'none'}; updating the package lists`);
      await sys.update();
      candidate = sys.candidateVersion();
    }
    if (!have153(candidate)) return { ok: false, reason: `apt offers Thunderbird ${candidate ?? 'none'}, but ${THUNDERBIRD_MIN_MAJOR} or newer is needed` };
    step(`Installing Thunderbird ${candidate} (apt)`);
    await sys.install();
    const now = sys.installedVersion();
    return have153(now) ? { ok: true, version: now } : { ok: false, reason: `apt-get install thunderbird left version ${now ?? 'none'}` };
  } catch (e) {
    return { ok: false, reason: `installing Thunderbird failed: ${e.message}` };
  }
}
