//! `export_backup` output re-imports in Cachet and is read by OpenSSL, NSS and Python
//! `cryptography`; OpenSSL reports the algorithms we promise (OID_PBES2/PBKDF2/SHA-256/AES-256).

use super::nss_python::{have_python_cryptography, nss_db};
use super::openssl_in::openssl_p12;
use super::*;
use crate::error::Code;
use crate::pkcs12::{export_backup, import, DEFAULT_BACKUP_ITERATIONS};

const PW: &str = "backup pass ü";
const ITER: u32 = 4096;

fn identity(f: &Fixture, who: &str) -> Identity {
    let p12 = openssl_p12(f, who, "secret", &["-certfile", &f.file("ca.pem")]).unwrap();
    import(&p12, "secret").unwrap()
}

fn write_backup(dir: &TempDir, id: &Identity, iterations: u32) -> (PathBuf, Vec<u8>) {
    let bytes = export_backup(id, PW, iterations).unwrap();
    let p = dir.path("backup.p12");
    std::fs::write(&p, &bytes).unwrap();
    (p, bytes)
}

#[test]
fn backup_reimports_in_cachet() {
    let Some(f) = fixture() else { return };
    for who in ["alice", "carol", "dan"] {
        let id = identity(f, who);
        let bytes = export_backup(&id, PW, ITER).unwrap();
        let back = import(&bytes, PW).unwrap();
        assert_eq!(der_of(&back.certificate), der_of(&id.certificate));
        assert_eq!(back.chain.iter().map(der_of).collect::<Vec<_>>(), id.chain.iter().map(der_of).collect::<Vec<_>>());
        assert_eq!(back.friendly_name.as_deref(), Some("Test Name"));
        assert_key_matches_cert(&back);
        assert_eq!(import(&bytes, "backup pass u").unwrap_err().code, Code::WrongPassword);
        // Fresh salts and IVs every time.
        assert_ne!(bytes, export_backup(&id, PW, ITER).unwrap());
    }
}

#[test]
fn backup_rejects_bad_arguments() {
    let Some(f) = fixture() else { return };
    let id = identity(f, "alice");
    assert_eq!(export_backup(&id, "", ITER).unwrap_err().code, Code::Usage);
    assert_eq!(export_backup(&id, PW, 0).unwrap_err().code, Code::Usage);
    assert_eq!(export_backup(&id, PW, u32::MAX).unwrap_err().code, Code::Usage);
}

#[test]
fn backup_default_iterations_read_by_openssl() {
    let Some(f) = fixture() else { return };
    let id = identity(f, "alice");
    let dir = TempDir::new("backup-openssl");
    let start = std::time::Instant::now();
    let (p, _) = write_backup(&dir, &id, DEFAULT_BACKUP_ITERATIONS);
    println!("export with {DEFAULT_BACKUP_ITERATIONS} iterations took {:?} (native test build)", start.elapsed());
    let path = p.to_str().unwrap();
    let pass = format!("pass:{PW}");
    // One full dump (-nodes) with -info (each openssl pkcs12 run of this file costs 600,000
    // iterations of PBKDF2 per bag and MAC): what it found goes to stderr, the PEM to all.pem.
    let info = run(&dir.0, "openssl", &["pkcs12", "-info", "-in", path, "-passin", &pass, "-nodes", "-out", "all.pem"]);
    assert!(info.contains("MAC: sha256"), "{info}");
    assert!(info.contains(&format!("Iteration {DEFAULT_BACKUP_ITERATIONS}")), "{info}");
    assert_eq!(info.matches("PBES2, PBKDF2, AES-256-CBC").count(), 2, "{info}");
    assert_eq!(info.matches("PRF hmacWithSHA256").count(), 2, "{info}");
    // OpenSSL extracted the same certificate (the one with the key's localKeyID, what
    // `-clcerts` picks) and a key whose public half is the certificate's.
    let all = String::from_utf8(read(&dir.path("all.pem"))).unwrap();
    let blocks = pem_blocks(&all);
    let keys: Vec<_> = blocks.iter().filter(|b| b.1 == "PRIVATE KEY").collect();
    let certs: Vec<_> = blocks.iter().filter(|b| b.1 == "CERTIFICATE").collect();
    assert_eq!((keys.len(), certs.len()), (1, 2), "the key, the certificate and the CA: {all}");
    let key_id = local_key_id(keys[0].0).unwrap_or_else(|| panic!("no localKeyID on the key: {all}"));
    let leaves: Vec<_> = certs.iter().filter(|b| local_key_id(b.0).is_some()).collect();
    assert_eq!(leaves.len(), 1, "{all}");
    assert_eq!(local_key_id(leaves[0].0), Some(key_id), "{all}");
    std::fs::write(dir.path("leaf.pem"), leaves[0].2).unwrap();
    std::fs::write(dir.path("key.pem"), keys[0].2).unwrap();
    assert_eq!(der_of(&pem_cert(&dir.path("leaf.pem"))), der_of(&id.certificate));
    let from_key = run(&dir.0, "openssl", &["pkey", "-in", "key.pem", "-pubout"]);
    let from_cert = run(&dir.0, "openssl", &["x509", "-in", "leaf.pem", "-pubkey", "-noout"]);
    assert_eq!(from_key, from_cert);
    let bad = try_run(&dir.0, "openssl", &["pkcs12", "-in", path, "-passin", "pass:wrong", "-nodes"]);
    assert!(bad.is_none(), "OpenSSL accepted a wrong password");
}

/// The PEM blocks of `openssl pkcs12 -nodes` output: (the attribute lines before the block,
/// its label, the block itself).
fn pem_blocks(text: &str) -> Vec<(&str, &str, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(begin) = rest.find("-----BEGIN ") {
        let label_end = begin + rest[begin..].find("-----\n").unwrap();
        let label = &rest[begin + 11..label_end];
        let end_marker = format!("-----END {label}-----");
        let end = begin + rest[begin..].find(&end_marker).unwrap() + end_marker.len();
        out.push((&rest[..begin], label, &rest[begin..end]));
        rest = &rest[end..];
    }
    out
}

/// The localKeyID bag attribute in the attribute lines of a block.
fn local_key_id(attributes: &str) -> Option<&str> {
    attributes.lines().find_map(|l| l.trim().strip_prefix("localKeyID:")).map(str::trim)
}

#[test]
fn backup_read_by_nss_pk12util() {
    let Some(f) = fixture() else { return };
    have("pk12util");
    have("certutil");
    for who in ["alice", "carol"] {
        let id = identity(f, who);
        let dir = TempDir::new("backup-nss");
        write_backup(&dir, &id, ITER);
        let db = nss_db(&dir);
        run(&dir.0, "pk12util", &["-i", "backup.p12", "-d", &db, "-W", PW, "-K", ""]);
        let keys = run(&dir.0, "certutil", &["-K", "-d", &db]);
        assert!(keys.contains("Test Name"), "{keys}");
        run(&dir.0, "certutil", &["-L", "-d", &db, "-n", "Test Name", "-a", "-o", "nss-leaf.pem"]);
        assert_eq!(der_of(&pem_cert(&dir.path("nss-leaf.pem"))), der_of(&id.certificate));
        let other = TempDir::new("backup-nss-wrong");
        let db = nss_db(&other);
        let bad = try_run(&other.0, "pk12util", &["-i", dir.path("backup.p12").to_str().unwrap(), "-d", &db, "-W", "wrong", "-K", ""]);
        assert!(bad.is_none(), "pk12util accepted a wrong password");
    }
}

/// One python3 process reads every file: argv is the password, then the files; one line each.
const PY_LOAD: &str = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
pw = sys.argv[1].encode()
for path in sys.argv[2:]:
    data = open(path, "rb").read()
    key, cert, extra = pkcs12.load_key_and_certificates(data, pw)
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(serialization.Encoding.DER, pub) == cert.public_key().public_bytes(serialization.Encoding.DER, pub)
    p = pkcs12.load_pkcs12(data, pw)
    sys.stdout.write(cert.public_bytes(serialization.Encoding.DER).hex() + " " + str(len(extra)) + " " + p.cert.friendly_name.decode() + "\n")
"#;

#[test]
fn backup_read_by_python_cryptography() {
    let Some(f) = fixture() else { return };
    have_python_cryptography();
    let dir = TempDir::new("backup-py");
    let people = ["alice", "carol", "dan"];
    let mut ids = Vec::new();
    let mut files = Vec::new();
    for who in people {
        let id = identity(f, who);
        let p = dir.path(&format!("{who}.p12"));
        std::fs::write(&p, export_backup(&id, PW, ITER).unwrap()).unwrap();
        ids.push(id);
        files.push(p.to_str().unwrap().to_owned());
    }
    let mut args = vec!["-c", PY_LOAD, PW];
    args.extend(files.iter().map(String::as_str));
    let out = run(&dir.0, cachet_testkit::python3_path().to_str().unwrap(), &args);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), people.len(), "{out}");
    for (id, line) in ids.iter().zip(lines) {
        let mut parts = line.trim().splitn(3, ' ');
        let hex: String = der_of(&id.certificate).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(parts.next(), Some(hex.as_str()));
        assert_eq!(parts.next(), Some("1"));
        assert_eq!(parts.next(), Some("Test Name"));
    }
}
