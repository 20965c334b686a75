//! `cachet backup` and `cachet request` with real peers: a backup imports in `openssl
//! pkcs12`, NSS `pk12util` and Python `cryptography` and again in `cachet cert`; the
//! key-exchange request mail and its renewal variant verify with `openssl cms -verify`
//! and in `cachet open`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::*;
use std::path::Path;

/// SHA-256 fingerprint of a PEM certificate as OpenSSL prints it (AA:BB:...).
fn fingerprint(cert: &Path) -> String {
    let out = run(tool("openssl").args(["x509", "-noout", "-fingerprint", "-sha256"]).arg("-in").arg(cert));
    String::from_utf8_lossy(&out.stdout).trim().split('=').nth(1).unwrap().to_string()
}

/// The public key of a key or certificate file, as PEM.
fn public_key_of_key(key: &Path) -> String {
    String::from_utf8(run(tool("openssl").args(["pkey", "-pubout"]).arg("-in").arg(key)).stdout).unwrap()
}

fn backup(leaf: &Leaf, new_pw: &Path) -> Vec<u8> {
    let out = run(cachet().arg("backup").arg("--identity").arg(leaf.p12()).arg("--password-file").arg(&leaf.password).arg("--new-password-file").arg(new_pw));
    out.stdout
}

#[test]
fn cachet_backup_imports_in_every_peer_and_in_cachet() {
    let pki = shared_pki();
    // (name, backup file, its password file, fingerprint) per identity, and their folders.
    let mut for_python = Vec::new();
    let mut dirs = Vec::new();
    for (name, key) in [("alice", Key::Rsa2048), ("carol", Key::P256)] {
        let leaf = pki.leaf(name, &format!("{name}@example.org"), key, None, 365);
        let dir = TempDir::new("ident-backup-peers");
        let new_pw = dir.write("new-pw", b"n\xc3\xa9w backup passphrase\n");
        let p12 = dir.write("backup.p12", &backup(&leaf, &new_pw));
        let want_fpr = fingerprint(&leaf.cert);
        let want_pub = public_key_of_key(&leaf.key);

        // OpenSSL: key and certificates come out, the key is the original one; -info (on
        // stderr) says how it is protected. One run: each pays 600,000 PBKDF2 iterations a bag.
        let info = run(tool("openssl").args(["pkcs12", "-info", "-nodes", "-passin"]).arg(format!("file:{}", new_pw.display())).arg("-in").arg(&p12).arg("-out").arg(dir.path("out.pem")));
        let pem = String::from_utf8(dir.read("out.pem")).unwrap();
        assert!(pem.contains("PRIVATE KEY") && pem.matches("BEGIN CERTIFICATE").count() == 2, "{name}: {pem}");
        assert_eq!(public_key_of_key(&dir.path("out.pem")), want_pub, "{name}: OpenSSL sees another key");
        let info = String::from_utf8_lossy(&info.stderr).to_string() + &String::from_utf8_lossy(&info.stdout);
        assert!(info.contains("AES-256-CBC") && info.contains("hmacWithSHA256") && info.contains("MAC: sha256"), "{name}: {info}");

        // NSS pk12util: imports into a fresh database with its key.
        let db = dir.path("nssdb");
        std::fs::create_dir_all(&db).unwrap();
        run(tool("certutil").arg("-N").arg("-d").arg(&db).arg("--empty-password"));
        run(tool("pk12util").arg("-i").arg(&p12).arg("-d").arg(&db).arg("-w").arg(&new_pw).args(["-K", ""]));
        let keys = String::from_utf8_lossy(&run(tool("certutil").arg("-K").arg("-d").arg(&db)).stdout).to_string();
        assert!(keys.contains(name), "{name}: NSS has no key for it: {keys}");
        let certs = String::from_utf8_lossy(&run(tool("certutil").arg("-L").arg("-d").arg(&db)).stdout).to_string();
        assert!(certs.contains(name) && certs.contains("u,u,u"), "{name}: {certs}");

        // Python cryptography: after the loop, one run for both files.
        for_python.push((name, p12.clone(), new_pw.clone(), want_fpr.clone()));

        // Cachet: `cert --password-file` reads it back; the old password no longer opens it.
        let out = run(cachet().arg("cert").arg(&p12).arg("--password-file").arg(&new_pw));
        let facts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(facts[0]["sha256"], want_fpr.as_str(), "{name}");
        assert_eq!(facts[0]["emails"][0], format!("{name}@example.org"));
        assert_eq!(facts.as_array().unwrap().len(), 2, "leaf and CA");
        let wrong = cachet().arg("cert").arg(&p12).arg("--password-file").arg(&leaf.password).output().unwrap();
        assert_eq!(wrong.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&wrong.stderr).to_lowercase().contains("password"), "{}", String::from_utf8_lossy(&wrong.stderr));
        dirs.push(dir);
    }
    // Python cryptography: key and certificate load and belong together, for each file (one
    // interpreter; argv is a file and its password file per identity; a line per identity).
    let script = r#"
import sys, hashlib
from cryptography.hazmat.primitives.serialization import pkcs12, Encoding, PublicFormat
a = sys.argv[1:]
for i in range(0, len(a), 2):
    data = open(a[i], 'rb').read(); pw = open(a[i + 1], 'rb').read().rstrip(b'\n')
    key, cert, extra = pkcs12.load_key_and_certificates(data, pw)
    pa = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    pb = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert pa == pb, 'key and certificate differ: ' + a[i]
    print(':'.join('%02X' % x for x in hashlib.sha256(cert.public_bytes(Encoding.DER)).digest()), len(extra))
"#;
    let py = run(tool("python3").arg("-c").arg(script).args(for_python.iter().flat_map(|(_, p12, pw, _)| [p12, pw])));
    let text = String::from_utf8_lossy(&py.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), for_python.len(), "Python: {text}");
    for ((name, _, _, want_fpr), line) in for_python.iter().zip(lines) {
        assert_eq!(line.trim(), format!("{want_fpr} 1"), "{name}: Python");
    }
    drop(dirs);
    // Usage errors: missing new password file.
    let leaf = pki.leaf("dave", "dave@example.org", Key::Rsa2048, None, 365);
    let out = cachet().arg("backup").arg("--identity").arg(leaf.p12()).arg("--password-file").arg(&leaf.password).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

fn request(leaf: &Leaf, to: &str, extra: &[&str]) -> std::process::Output {
    cachet().arg("request").arg("--identity").arg(leaf.p12()).arg("--password-file").arg(&leaf.password).args(["--to", to]).args(extra).output().unwrap()
}

fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    let head = msg.split("\r\n\r\n").next().unwrap_or("");
    head.split("\r\n").find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

#[test]
fn request_mails_verify_in_openssl_and_cachet() {
    let pki = shared_pki();
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let fpr = fingerprint(&alice.cert);
    for renewal in [false, true] {
        let dir = TempDir::new("ident-request-mail");
        let out = request(&alice, "bob@example.net", if renewal { &["--renewal"] } else { &[] });
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mail = dir.write("request.eml", &out.stdout);
        let text = String::from_utf8(out.stdout.clone()).unwrap();
        assert_eq!(header(&text, "From"), Some("alice <alice@example.org>"));
        assert_eq!(header(&text, "To"), Some("bob@example.net"));
        assert!(header(&text, "Date").is_some() && header(&text, "Message-ID").unwrap().ends_with("@example.org>"));
        let subject = header(&text, "Subject").unwrap();
        assert_eq!(subject.contains("renewed"), renewal, "{subject}");
        assert!(text.contains("multipart/signed") && text.contains("application/pkcs7-signature"));

        // OpenSSL verifies the signature and the chain, and shows the text.
        run(tool("openssl").args(["cms", "-verify", "-purpose", "smimesign"]).arg("-in").arg(&mail).arg("-CAfile").arg(pki.ca()).arg("-out").arg(dir.path("content.txt")));
        let content = String::from_utf8(dir.read("content.txt")).unwrap();
        assert!(content.contains("reply with a signed message") || content.contains("Please reply"), "{content}");
        if renewal {
            let (a, b) = fpr.split_at(47);
            assert!(content.contains(a) && content.contains(&b[1..]), "the fingerprint {fpr} is in the text: {content}");
        } else {
            assert!(content.contains("encrypted"), "{content}");
        }

        // Cachet: valid with the CA trusted; valid-unknown-ca without.
        let ca = pki.ca();
        let (report, code) = open(&out.stdout, &["--trust", ca.to_str().unwrap()]);
        assert_eq!((status(&report), code), ("valid", 0), "{report:#}");
        let signer = &report["layers"][0]["signers"][0];
        assert_eq!(signer["certificate"]["sha256"], fpr.as_str());
        assert!(signer["smime_capabilities"].as_array().is_some_and(|c| !c.is_empty()));
        let (report, _) = open(&out.stdout, &[]);
        assert_eq!(status(&report), "valid-unknown-ca");
    }
    // The signing time is the one given with --at (the certificate must be valid then).
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 86_400;
    let at = cachet::time::UnixTime(now).to_rfc3339();
    let out = request(&alice, "bob@example.net", &["--at", &at]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (report, _) = open(&out.stdout, &["--trust", pki.ca().to_str().unwrap(), "--at", &at]);
    assert_eq!(report["layers"][0]["signers"][0]["signing_time"], at.as_str());
    assert_eq!(header(std::str::from_utf8(&out.stdout).unwrap(), "Date"), Some(cachet::request::rfc5322_date(cachet::time::UnixTime(now)).as_str()));
    // Bad address, and an identity without an e-mail address: usage errors, no output.
    let out = request(&alice, "not an address", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let ext = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\n";
    let nomail = pki.leaf("nomail", "", Key::Rsa2048, Some(ext), 365);
    let out = request(&nomail, "bob@example.net", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no e-mail address"), "{}", String::from_utf8_lossy(&out.stderr));
}
