//! Private keys for test identities, kept between runs. Generating an RSA key is most of what
//! making a test PKI costs (openssl takes a tenth of a second to seconds per key), and the tests
//! make more than a hundred. So a key made by `openssl genpkey` is kept in the system's temp
//! folder (`cachet-test-keys/`) and the next run takes it again; certificates, PKCS#12 files
//! and everything else stay fresh per test.
//!
//! Within one test process every call gets a key of its own (a counter per key kind), so two
//! CAs or two leaves of one test never share a key, and keys are only shared between separate
//! runs. A key file is written under a temporary name and linked into place, so a second test
//! process making the same key at the same time never sees half a file.

use crate::{run, tool};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How many keys of each kind this process has taken.
static TAKEN: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);

/// The folder of kept keys.
fn pool_dir() -> PathBuf {
    std::env::temp_dir().join("cachet-test-keys")
}

/// A file-name-safe name for a key kind given as `openssl genpkey` arguments.
fn kind_name(genpkey: &[&str]) -> String {
    let joined = genpkey.join("_");
    joined.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
}

/// A key made by `openssl genpkey ARGS` (e.g. `["-algorithm", "RSA", "-pkeyopt",
/// "rsa_keygen_bits:2048"]`), copied to `to` (PEM, unencrypted PKCS#8). Each call in a process
/// gives another key; the same calls in a later run give the same keys again.
pub fn pooled_key(genpkey: &[&str], to: &Path) {
    let kind = kind_name(genpkey);
    let index = {
        let mut taken = TAKEN.lock().unwrap_or_else(|e| e.into_inner());
        let n = taken.get_or_insert_with(HashMap::new).entry(kind.clone()).or_insert(0);
        *n += 1;
        *n - 1
    };
    let dir = pool_dir();
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    let kept = dir.join(format!("{kind}-{index}.pem"));
    if !kept.exists() {
        let fresh = dir.join(format!("{kind}-{index}.{}-{:?}.new", std::process::id(), std::thread::current().id()).replace(['(', ')'], ""));
        run(tool("openssl").arg("genpkey").args(genpkey).arg("-out").arg(&fresh));
        // Linking fails when another process was first: its key is as good.
        let _ = std::fs::hard_link(&fresh, &kept);
        let _ = std::fs::remove_file(&fresh);
    }
    std::fs::copy(&kept, to).unwrap_or_else(|e| panic!("copy {} to {}: {e}", kept.display(), to.display()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TempDir;

    fn public(key: &Path) -> Vec<u8> {
        run(tool("openssl").args(["pkey", "-pubout", "-in"]).arg(key)).stdout
    }

    #[test]
    fn each_call_gets_its_own_key_and_a_later_run_the_same_again() {
        let d = TempDir::new("keys");
        let spec = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
        pooled_key(&spec, &d.path("a.pem"));
        pooled_key(&spec, &d.path("b.pem"));
        assert_ne!(public(&d.path("a.pem")), public(&d.path("b.pem")), "two calls, two keys");
        // A "later run": the counter starts again and finds the kept keys.
        TAKEN.lock().unwrap().as_mut().unwrap().remove(&kind_name(&spec));
        pooled_key(&spec, &d.path("a2.pem"));
        assert_eq!(public(&d.path("a.pem")), public(&d.path("a2.pem")), "kept between runs");
    }
}
