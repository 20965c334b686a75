//! Files made by NSS `pk12util -o` (the PKCS#12 code of Thunderbird/Firefox) and by Python
//! `cryptography` import.

use super::openssl_in::openssl_p12;
use super::*;
use crate::error::Code;
use crate::pkcs12::import;

/// A fresh NSS database (empty password) in `dir`, as `sql:` path.
pub fn nss_db(dir: &TempDir) -> String {
    let db = dir.path("nssdb");
    std::fs::create_dir_all(&db).unwrap();
    let db = format!("sql:{}", db.display());
    run(&dir.0, "certutil", &["-N", "-d", &db, "--empty-password"]);
    db
}

fn nss_export(f: &Fixture, who: &str, cipher: Option<(&str, &str)>) -> Vec<u8> {
    let dir = TempDir::new("nss");
    let db = nss_db(&dir);
    let p12 = openssl_p12(f, who, "in-pass", &["-certfile", &f.file("ca.pem")]).unwrap();
    std::fs::write(dir.path("in.p12"), p12).unwrap();
    run(&dir.0, "pk12util", &["-i", "in.p12", "-d", &db, "-W", "in-pass", "-K", ""]);
    let mut args = vec!["-o", "out.p12", "-n", "Test Name", "-d", &db, "-W", "nss-pass", "-K", ""];
    if let Some((key, cert)) = cipher {
        args.extend(["-c", key, "-C", cert]);
    }
    run(&dir.0, "pk12util", &args);
    read(&dir.path("out.p12"))
}

#[test]
fn nss_pk12util_exports_import() {
    let Some(f) = fixture() else { return };
    have("pk12util");
    have("certutil");
    // The variants are the bag ciphers (NSS's default, the legacy PKCS #12 PBEs, PBES2 with AES);
    // the key inside is the same PKCS #8 whichever cipher wraps it, so each cipher is exported
    // once, for alice (RSA) or carol (EC): both key types go through PBES2 (NSS 3.87's default
    // is AES-256-CBC for the key, AES-128-CBC for the certificates), carol through the legacy
    // PBEs as well.
    let default = None;
    let legacy = Some(("PKCS #12 V2 PBE With SHA-1 And 3KEY Triple DES-CBC", "PKCS #12 V2 PBE With SHA-1 And 40 Bit RC2 CBC"));
    let aes = Some(("AES-256-CBC", "AES-128-CBC"));
    for (who, v) in [("alice", default), ("carol", aes), ("carol", legacy)] {
        imports_as_written(f, &nss_export(f, who, v), "nss-pass", "wrong", who, &format!("{v:?}"));
    }
}

/// A peer's file of `who` (named "Test Name", with the CA) imports with `password`: the
/// certificate, a matching key, the name and the chain; `wrong` is refused as a wrong password.
fn imports_as_written(f: &Fixture, bytes: &[u8], password: &str, wrong: &str, who: &str, what: &str) {
    let id = import(bytes, password).unwrap_or_else(|e| panic!("{who} {what}: {e}"));
    assert_eq!(der_of(&id.certificate), der_of(&f.cert(who)), "{who} {what}");
    assert_key_matches_cert(&id);
    assert_eq!(id.friendly_name.as_deref(), Some("Test Name"), "{who} {what}");
    assert_eq!(id.chain.len(), 1, "{who} {what}");
    assert_eq!(import(bytes, wrong).unwrap_err().code, Code::WrongPassword, "{who} {what}");
}

/// One python3 process writes every file: argv is the CA, then (key, cert, out, mode) per file.
const PY_EXPORT: &str = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
ca = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
jobs = sys.argv[2:]
for i in range(0, len(jobs), 4):
    key_path, cert_path, out, mode = jobs[i:i + 4]
    key = serialization.load_pem_private_key(open(key_path, "rb").read(), None)
    cert = x509.load_pem_x509_certificate(open(cert_path, "rb").read())
    if mode == "best":
        enc = serialization.BestAvailableEncryption(b"py-pass")
    else:
        enc = (serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(50000)
               .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC).hmac_hash(hashes.SHA1()).build(b"py-pass"))
    open(out, "wb").write(pkcs12.serialize_key_and_certificates(b"Test Name", key, cert, [ca], enc))
"#;

pub fn have_python_cryptography() -> bool {
    // Asked once per test process, with the interpreter's path (cachet_testkit::python_has).
    let ok = cachet_testkit::python_has("cryptography");
    assert!(ok, "python3 with the `cryptography` package is missing: pip install cryptography (the project's setup script does)");
    ok
}

#[test]
fn python_cryptography_exports_import() {
    let Some(f) = fixture() else { return };
    have_python_cryptography();
    let dir = TempDir::new("py");
    let cases: Vec<(&str, &str)> = ["alice", "carol", "dan"].into_iter().flat_map(|who| [(who, "best"), (who, "legacy")]).collect();
    let files: Vec<[String; 4]> = cases
        .iter()
        .map(|(who, mode)| {
            let out = dir.path(&format!("{who}-{mode}.p12"));
            [f.file(&format!("{who}.key")), f.file(&format!("{who}.pem")), out.to_str().unwrap().to_owned(), mode.to_string()]
        })
        .collect();
    let ca = f.file("ca.pem");
    let python3 = cachet_testkit::python3_path().to_str().unwrap();
    let mut args = vec!["-c", PY_EXPORT, &ca];
    args.extend(files.iter().flatten().map(String::as_str));
    run(&dir.0, python3, &args);
    for ((who, mode), file) in cases.iter().zip(&files) {
        imports_as_written(f, &read(Path::new(&file[2])), "py-pass", "py-pas", who, mode);
    }
}
