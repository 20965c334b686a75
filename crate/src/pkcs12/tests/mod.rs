//! Tests of PKCS#12 import and export against the shared corpus and real peers (OpenSSL,
//! NSS pk12util, Python `cryptography`), which the tests run on keys they generate.
//! A missing peer or corpus makes the affected test print why it was skipped and return.

mod backup;
mod corpus;
mod malformed;
mod nss_python;
mod openssl_in;
mod seam;

use super::{Identity, PrivateKey};
use der::Encode;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use x509_cert::Certificate;

pub use cachet_testkit::{Key, TempDir};

/// Require a peer program: a peer test never skips its work, it fails and names the package.
pub fn have(program: &str) -> bool {
    let ok = Command::new(program).arg("--version").output().is_ok() || Command::new(program).arg("-h").output().is_ok();
    let package = match program {
        "pk12util" | "certutil" | "cmsutil" => "libnss3-tools",
        other => other,
    };
    assert!(ok, "`{program}` is not installed: install the Debian package {package} (the project's setup script does)");
    ok
}

/// Run a program in `dir`; panic with its output when it fails.
pub fn run(dir: &Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).current_dir(dir).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{program} {args:?} failed:\n{text}");
    text
}

/// Like `run` but returns None on failure (for optional variants a peer may lack).
pub fn try_run(dir: &Path, program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).current_dir(dir).output().ok()?;
    out.status.success().then(|| format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

pub fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn pem_cert(p: &Path) -> Certificate {
    use der::DecodePem;
    Certificate::from_pem(read(p)).unwrap()
}

/// Keys and certificates made by OpenSSL once per test run: a CA, RSA, P-256 and P-384 leaves.
pub struct Fixture {
    pub dir: TempDir,
}

impl Fixture {
    pub fn file(&self, name: &str) -> String {
        self.dir.path(name).to_string_lossy().into_owned()
    }
    pub fn cert(&self, who: &str) -> Certificate {
        pem_cert(&self.dir.path(&format!("{who}.pem")))
    }
}

pub fn fixture() -> Option<&'static Fixture> {
    static F: OnceLock<Option<Fixture>> = OnceLock::new();
    F.get_or_init(|| {
        if !have("openssl") {
            return None;
        }
        // The project's test PKI (crate/testkit): a CA and RSA, P-256 and P-384 leaves with
        // PKCS#8 key files, as every peer reads them.
        let pki = cachet_testkit::Pki::for_process("fixture");
        for (who, key) in [("alice", Key::Rsa2048), ("carol", Key::P256), ("dan", Key::P384)] {
            pki.leaf(who, &format!("{who}@example.com"), key, None, 30);
        }
        Some(Fixture { dir: pki.dir })
    })
    .as_ref()
}

/// The identity's key signs, and the certificate's public key verifies.
pub fn assert_key_matches_cert(id: &Identity) {
    use signature::{Signer, Verifier};
    use spki::DecodePublicKey;
    let msg = b"Cachet PKCS#12 test message";
    let spki = id.certificate.tbs_certificate().subject_public_key_info().to_der().unwrap();
    match &id.key {
        PrivateKey::Rsa(k) => {
            let sig = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(rsa::PrivateKey::clone(k)).sign(msg);
            use pkcs1::DecodeRsaPublicKey;
            let bits = id.certificate.tbs_certificate().subject_public_key_info().subject_public_key.as_bytes().unwrap();
            let public = rsa::PublicKey::from_pkcs1_der(bits).unwrap();
            rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(public).verify(msg, &sig).unwrap();
        }
        PrivateKey::P256(k) => {
            let sig: p256::ecdsa::Signature = p256::ecdsa::SigningKey::from(k).sign(msg);
            let vk = p256::ecdsa::VerifyingKey::from_public_key_der(&spki).unwrap();
            vk.verify(msg, &sig).unwrap();
        }
        PrivateKey::P384(k) => {
            let sig: p384::ecdsa::Signature = p384::ecdsa::SigningKey::from(k).sign(msg);
            let vk = p384::ecdsa::VerifyingKey::from_public_key_der(&spki).unwrap();
            vk.verify(msg, &sig).unwrap();
        }
    }
    assert!(id.key.matches(&id.certificate));
}

pub fn der_of(c: &Certificate) -> Vec<u8> {
    c.to_der().unwrap()
}

pub fn subject(c: &Certificate) -> String {
    c.tbs_certificate().subject().to_string()
}
