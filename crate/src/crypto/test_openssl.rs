//! Test support: run the `openssl` command line in a private temporary directory,
//! and locate the shared corpus. Used by the crypto, policy and chain tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A unique temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("cachet-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    pub fn write(&self, name: &str, data: &[u8]) {
        std::fs::write(self.path(name), data).unwrap()
    }

    /// Run `openssl ARGS` with this directory as working directory; panics with stderr on failure.
    pub fn openssl(&self, args: &[&str]) {
        let out = Command::new("openssl").args(args).current_dir(&self.0).output().expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Require the `openssl` command: a peer test never skips its work, it fails and names the package.
pub fn require_openssl() {
    let ok = Command::new("openssl").arg("version").output().map(|o| o.status.success()).unwrap_or(false);
    assert!(ok, "the openssl command is not installed: install the Debian package openssl (the project's setup script does)");
}

/// The shared corpus folder (`$CACHET_SHARED/corpus` or `<repo>/../shared/corpus`), or None
/// with a printed skip notice.
pub fn corpus(test: &str) -> Option<PathBuf> {
    let shared = std::env::var_os("CACHET_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")).to_path_buf());
    let c = shared.join("corpus");
    if c.is_dir() {
        Some(c)
    } else {
        eprintln!("SKIPPED {test}: corpus folder {} not found (set CACHET_SHARED)", c.display());
        None
    }
}
