//! Test support for the Cachet core, shared by its unit tests (`crate/src/**`) and its
//! integration tests (`crate/tests/`): one temporary folder type, running real peers
//! (openssl, NSS, gpgsm, Python), the location of the shared corpus, and honest skips.
//!
//! Skips: Rust's test harness has no runtime skip, so a test that cannot run calls
//! [`skip`], which prints the reason and appends it to the file named by
//! `CACHET_SKIP_LOG` (set by `npm test`); the summary then counts that test as skipped,
//! not passed. Under `CI=true` missing test data is an error: [`skip`] fails the test.
//!
//! Peers are required, not optional: a missing tool fails the test and names the Debian
//! package to install (the project's setup script installs them all).
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

mod ca;
mod keys;
mod pki;
pub use ca::CaDir;
pub use keys::pooled_key;
pub use pki::{Key, Leaf, Pki};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh temporary folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("cachet-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("create {}: {e}", p.display()));
        TempDir(p)
    }

    /// A folder for a fixture kept in a `static` and shared by the tests of one process: such a
    /// value is never dropped, so its folder outlives the process. Each of these folders is
    /// named with its process id, and the ones whose process has ended (and that are older than
    /// a few minutes) are removed whenever another is made.
    pub fn for_process(tag: &str) -> TempDir {
        remove_ended_process_dirs();
        TempDir::new(&format!("{PROCESS_TAG}{tag}"))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    /// Write a file in the folder; returns its path.
    pub fn write(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, data).unwrap_or_else(|e| panic!("write {name}: {e}"));
        p
    }

    /// Run `openssl ARGS` with this folder as working directory; panics with stderr on failure.
    pub fn openssl(&self, args: &[&str]) {
        run(tool("openssl").args(args).current_dir(&self.0));
    }
}

/// The name part of [`TempDir::for_process`] folders.
const PROCESS_TAG: &str = "process-";

/// Remove the [`TempDir::for_process`] folders of test processes that have ended (Linux: a
/// process is alive while `/proc/PID` exists; elsewhere nothing is removed).
fn remove_ended_process_dirs() {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    let prefix = format!("cachet-test-{PROCESS_TAG}");
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with(&prefix) {
            continue;
        }
        // cachet-test-process-TAG-PID-N
        let Some(pid) = name.rsplit('-').nth(1).filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) else { continue };
        let old = e.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok()).is_some_and(|age| age.as_secs() > 600);
        if old && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The Debian package that provides each peer tool.
pub fn package_of(tool: &str) -> &'static str {
    match tool {
        "cmsutil" | "pk12util" | "certutil" => "libnss3-tools",
        "gpgsm" => "gpgsm",
        "python3" => "python3 with the cryptography package",
        _ => "openssl",
    }
}

/// Is `name` on the PATH?
pub fn installed(name: &str) -> bool {
    std::env::var_os("PATH").map(|paths| std::env::split_paths(&paths).any(|d| d.join(name).is_file())).unwrap_or(false)
}

/// A peer tool; panics (failing the test) when it is missing.
///
/// `openssl` runs with an empty default certificate bundle (`SSL_CERT_FILE`): `openssl x509`
/// reads the system's whole bundle on every start, about 20 ms of CPU a call where signing or
/// printing a certificate takes a few, and the tests call it more than a hundred times a run.
/// No test certificate chains to a public root; the tests name their CAs (`-CAfile`, `-CA`).
pub fn tool(name: &str) -> Command {
    assert!(installed(name), "{name} is not installed; install {} (the project's setup script does this)", package_of(name));
    let mut cmd = Command::new(if name == "python3" { python3_path() } else { Path::new(name) });
    if name == "openssl" {
        cmd.env("SSL_CERT_FILE", no_roots());
    }
    cmd
}

/// The interpreter the `python3` on the PATH runs (its `sys.executable`), asked once per test
/// process; `python3` itself when that cannot be asked (the caller's run then fails or skips as
/// it would have). The tests start Python a few dozen times a run: a version manager's
/// `python3` (a shim script that picks the version) costs a chain of shell starts, about
/// 70 ms of CPU, on every start, while the interpreter it picks starts directly. The same
/// interpreter, with the same packages, runs every script either way.
pub fn python3_path() -> &'static Path {
    &python_probe().exe
}

/// Is the Python package `module` (one of [`PYTHON_PACKAGES`]) installed for [`python3_path`]?
/// Answered by the same single Python run that finds the interpreter (each Python start costs
/// about 0.1 s of CPU): the package is found on Python's path (`importlib.util.find_spec`), not
/// imported; a broken installation fails the test's own script instead.
pub fn python_has(module: &str) -> bool {
    assert!(PYTHON_PACKAGES.contains(&module), "{module} is not in PYTHON_PACKAGES");
    python_probe().packages.iter().any(|m| m == module)
}

/// The Python packages the tests' scripts import: `cryptography` (pyca) and `dns` (dnspython).
pub const PYTHON_PACKAGES: [&str; 2] = ["cryptography", "dns"];

struct PythonProbe {
    exe: PathBuf,
    packages: Vec<String>,
}

fn python_probe() -> &'static PythonProbe {
    static PROBE: std::sync::OnceLock<PythonProbe> = std::sync::OnceLock::new();
    PROBE.get_or_init(|| {
        let script = "import sys, importlib.util\nprint(sys.executable)\nfor m in sys.argv[1:]:\n    if importlib.util.find_spec(m): print(m)";
        let asked = Command::new("python3").args(["-c", script]).args(PYTHON_PACKAGES).stdin(Stdio::null()).output();
        let (exe, packages) = match asked {
            Ok(out) if out.status.success() => {
                let text = String::from_utf8_lossy(&out.stdout).into_owned();
                let mut lines = text.lines().map(str::trim);
                let exe = PathBuf::from(lines.next().unwrap_or(""));
                (exe, lines.map(str::to_owned).collect())
            }
            _ => (PathBuf::new(), Vec::new()),
        };
        let exe = if exe.is_absolute() && exe.is_file() { exe } else { PathBuf::from("python3") };
        PythonProbe { exe, packages }
    })
}

/// `python3` as [`python3_path`] resolves it, for the tests that probe for Python themselves
/// (a missing one is theirs to report).
pub fn python3() -> Command {
    Command::new(python3_path())
}

/// An empty certificate bundle in the system's temp folder (beside the kept keys' folder),
/// written when missing; every test process shares it.
fn no_roots() -> &'static Path {
    static FILE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let p = std::env::temp_dir().join("cachet-test-no-roots.pem");
        if std::fs::metadata(&p).map(|m| m.len() != 0).unwrap_or(true) {
            std::fs::write(&p, b"").unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        }
        p
    })
}

/// Require the `openssl` command: a peer test never skips its work, it fails and names the package.
pub fn require_openssl() {
    assert!(installed("openssl"), "the openssl command is not installed: install the Debian package openssl (the project's setup script does)");
}

/// Run a command, require success, return its output.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}\n{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    out
}

/// Run a command with input on stdin; return the output whatever the status.
pub fn run_with_input(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait for the child");
    writer.join().expect("stdin writer");
    out
}

/// The shared folder beside the checkout (env `CACHET_SHARED` overrides), if its corpus is there.
pub fn shared() -> Option<PathBuf> {
    let p = match std::env::var_os("CACHET_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    p.join("corpus").is_dir().then_some(p)
}

/// The shared corpus folder, or None after recording that `test` is skipped and why
/// (an error under `CI=true`).
pub fn corpus(test: &str) -> Option<PathBuf> {
    match shared() {
        Some(p) => Some(p.join("corpus")),
        None => {
            skip(test, "the shared corpus folder is not beside the checkout (set CACHET_SHARED to its location)");
            None
        }
    }
}

/// Record that `test` could not run, and why. The caller returns right after.
///
/// Under `CI=true` this fails the test instead: CI must run everything.
pub fn skip(test: &str, reason: &str) {
    if std::env::var("CI").map(|v| v == "true" || v == "1").unwrap_or(false) {
        panic!("{test} cannot run under CI=true: {reason}");
    }
    log_skip(test, reason);
}

/// A peer limitation: the installed peer (not the test data) lacks a feature, so part of a
/// check did not run. Printed and logged as a skip (never counted as passed), and, unlike
/// [`skip`], not an error under `CI=true`.
pub fn peer_limitation(test: &str, reason: &str) {
    log_skip(test, reason);
}

/// One line of the skip log per skip: the reason's own line breaks (a peer's error output)
/// become spaces, so the log counts each skip once.
fn log_skip(test: &str, reason: &str) {
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    eprintln!("SKIPPED {test}: {reason}");
    if let Some(log) = std::env::var_os("CACHET_SKIP_LOG") {
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(log) {
            // One write per line: tests run in parallel threads and append to the same file.
            let _ = f.write_all(format!("{test}\t{reason}\n").as_bytes());
        }
    }
}

/// NIST PKITS cases whose expected path result depends on what Cachet does not implement,
/// with the reason; their outcome is printed, not asserted. Used by the `cert::chain` corpus
/// test and by the signed-message corpus test (one list, so the two cannot diverge).
pub fn pkits_limitation(name: &str) -> Option<&'static str> {
    const REVOCATION: [&str; 11] = [
        "CRL", "Revoked", "distributionPoint", "onlySomeReasons", "onlyContains", "cRLIssuer",
        "SeparateCertificateandCRLKeys", "InvalidBasicSelfIssued", "InvalidLongSerialNumber",
        "InvalidNegativeSerialNumber", "cRLSignFalse",
    ];
    const UNPROCESSED_CRITICAL: [&str; 5] =
        ["nameConstraints", "ValidPolicyMapping", "RequireExplicitPolicy", "requireExplicitPolicy", "inhibitPolicyMapping"];
    let invalid = name.contains("Invalid");
    if invalid && REVOCATION.iter().any(|k| name.contains(k)) {
        return Some("revocation (CRLs) is not checked");
    }
    if invalid && name.contains("inhibitAnyPolicy") {
        return Some("certificate policies are not processed");
    }
    if !invalid && UNPROCESSED_CRITICAL.iter().any(|k| name.contains(k)) {
        return Some("a critical extension Cachet does not process (name constraints, policy mapping/constraints) makes the path invalid");
    }
    if name.contains("DSA") {
        return Some("DSA is not implemented");
    }
    if name.contains("pre2000UTCnotBefore") {
        // x509-cert cannot represent UTCTime years 1950..1969 (legal per RFC 5280), so the
        // signer's certificate cannot be read and the signer is reported as no-signer.
        return Some("the certificate's 1950 notBefore cannot be read (x509-cert); the signer is no-signer");
    }
    None
}

/// Deterministic test values (xorshift64): the same sequence on every run, never a source of
/// secrets.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// `len` bytes, each the low byte of the next value.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}
