//! Encryption interoperability, both directions, with real peers, and every outcome of
//! SPEC section 2 from a real message: Cachet encrypts → `openssl cms -decrypt`, NSS
//! `cmsutil -D`, `gpgsm --decrypt`, Python `pkcs7_decrypt_der`; each peer encrypts →
//! `cachet open` decrypts; the shared corpus's encrypted messages open as its README says.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::*;
use std::path::{Path, PathBuf};

const SECRET: &str = "Bonjour, voil";

fn encrypt(msg: &[u8], args: &[&str]) -> Vec<u8> {
    let out = run_with_input(cachet().arg("encrypt").args(args), msg);
    assert!(out.status.success(), "cachet encrypt {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn ident<'a>(l: &'a Leaf) -> [&'a str; 4] {
    ["--identity", p(&l.p12), "--password-file", p(&l.password)]
}

/// The DER CMS inside a pkcs7-mime message, extracted by OpenSSL.
fn cms_der(dir: &TempDir, msg: &[u8]) -> PathBuf {
    let eml = dir.write("enc.eml", msg);
    let der = dir.path("enc.der");
    run(tool("openssl").args(["cms", "-cmsout", "-outform", "DER"]).arg("-in").arg(&eml).arg("-out").arg(&der));
    der
}

/// A message whose body is a CMS blob, as a mail program would send it.
fn pkcs7_message(der: &[u8], smime_type: &str) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut m = format!("From: <alice@example.org>\r\nTo: <bob@example.net>\r\nSubject: enc\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type={smime_type}; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n").into_bytes();
    for chunk in b64.as_bytes().chunks(76) {
        m.extend_from_slice(chunk);
        m.extend_from_slice(b"\r\n");
    }
    m
}

fn layer_statuses(v: &serde_json::Value) -> Vec<(String, String)> {
    v["layers"].as_array().unwrap().iter().map(|l| (l["kind"].as_str().unwrap().to_string(), l["status"].as_str().unwrap().to_string())).collect()
}

fn layers(v: &serde_json::Value) -> Vec<(&str, &str)> {
    v["layers"].as_array().unwrap().iter().map(|l| (l["kind"].as_str().unwrap(), l["status"].as_str().unwrap())).collect()
}

fn nss_db(dir: &TempDir, p12: &Path) -> PathBuf {
    let db = dir.path("nssdb");
    std::fs::create_dir_all(&db).unwrap();
    run(tool("certutil").arg("-N").arg("-d").arg(&db).arg("--empty-password"));
    run(tool("pk12util").arg("-i").arg(p12).arg("-d").arg(&db).args(["-W", "test-password"]));
    db
}

fn gpgsm_home(dir: &TempDir, leaf: &Leaf, ca: &Path) -> PathBuf {
    let home = dir.path("gnupg");
    std::fs::create_dir_all(&home).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    std::fs::write(home.join("gpgsm.conf"), "disable-crl-checks\ndisable-dirmngr\n").unwrap();
    std::fs::write(home.join("gpg-agent.conf"), "allow-loopback-pinentry\n").unwrap();
    run(tool("gpgsm").arg("--homedir").arg(&home).arg("--batch").arg("--import").arg(ca));
    let fp = run(tool("openssl").args(["x509", "-noout", "-fingerprint", "-sha1"]).arg("-in").arg(ca));
    let fp = String::from_utf8_lossy(&fp.stdout).trim().split('=').nth(1).unwrap().to_string();
    std::fs::write(home.join("trustlist.txt"), format!("{fp} S relax\n")).unwrap();
    // gpgsm 2.2 imports only legacy-format PKCS#12.
    let legacy = dir.path("legacy.p12");
    run(tool("openssl").args(["pkcs12", "-export", "-legacy", "-passout", "pass:pw"]).arg("-inkey").arg(&leaf.key).arg("-in").arg(&leaf.cert).arg("-out").arg(&legacy));
    let out = run_with_input(tool("gpgsm").arg("--homedir").arg(&home).args(["--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--import"]).arg(&legacy), b"pw\n");
    assert!(out.status.success(), "gpgsm import: {}", String::from_utf8_lossy(&out.stderr));
    home
}

fn gpgsm_cleanup(home: &Path) {
    let _ = std::process::Command::new("gpgconf").arg("--homedir").arg(home).args(["--kill", "gpg-agent"]).output();
}

const PY_DECRYPT: &str = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
cert = x509.load_pem_x509_certificate(open(sys.argv[1],'rb').read())
key = serialization.load_pem_private_key(open(sys.argv[2],'rb').read(), None)
sys.stdout.buffer.write(pkcs7.pkcs7_decrypt_der(open(sys.argv[3],'rb').read(), cert, key, []))
"#;

#[test]
fn cachet_encryption_decrypts_in_every_peer() {
    let pki = Pki::new("enc-out");
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let msg = message(&alice.email, &bob.email);
    let dir = TempDir::new("enc-out-peers");
    let db = nss_db(&dir, &bob.p12);
    let home = gpgsm_home(&dir, &bob, &pki.ca());
    // (cipher, OAEP, NSS and Python read it, gpgsm 2.2 reads it)
    let matrix: [(&str, bool, bool, bool); 5] = [
        ("aes256-cbc", false, true, true),
        ("aes256-cbc", true, false, false),
        ("aes128-gcm", false, false, false),
        ("aes256-gcm", false, false, false),
        ("aes256-gcm", true, false, false),
    ];
    for (cipher, oaep, nss_py, gpg) in matrix {
        let mut args = vec!["--recipient", p(&bob.cert), "--cipher", cipher];
        args.extend(ident(&alice));
        if oaep {
            args.push("--oaep");
        }
        let enc = encrypt(&msg, &args);
        let text = String::from_utf8_lossy(&enc);
        let want_type = if cipher.ends_with("gcm") { "smime-type=authEnveloped-data" } else { "smime-type=enveloped-data" };
        assert!(text.contains(want_type) && text.contains("smime.p7m"), "{text}");
        assert!(text.contains("Subject:") && !text.contains(SECRET), "outer headers kept, body hidden");
        let eml = dir.write("out.eml", &enc);
        // OpenSSL: Bob, and Alice (the sender's own copy).
        for who in [&bob, &alice] {
            let out = run(tool("openssl").args(["cms", "-decrypt"]).arg("-in").arg(&eml).arg("-recip").arg(&who.cert).arg("-inkey").arg(&who.key));
            assert!(String::from_utf8_lossy(&out.stdout).contains(SECRET), "openssl {cipher} oaep={oaep}");
        }
        let der = cms_der(&dir, &enc);
        let nss = run_with_input(tool("cmsutil").arg("-D").arg("-i").arg(&der).arg("-d").arg(&db), b"");
        let py = run_with_input(tool("python3").arg("-c").arg(PY_DECRYPT).arg(&bob.cert).arg(&bob.key).arg(&der), b"");
        let nss_ok = nss.status.success() && String::from_utf8_lossy(&nss.stdout).contains(SECRET);
        let py_ok = py.status.success() && String::from_utf8_lossy(&py.stdout).contains(SECRET);
        assert_eq!(nss_ok, nss_py, "NSS {cipher} oaep={oaep}: {}", String::from_utf8_lossy(&nss.stderr));
        assert_eq!(py_ok, nss_py, "Python {cipher} oaep={oaep}: {}", String::from_utf8_lossy(&py.stderr));
        // gpgsm 2.2 exits with an error when it holds no key for the first RecipientInfo,
        // even after decrypting with a later one: give it a message for Bob alone.
        let mut bob_only = vec!["--recipient", p(&bob.cert), "--cipher", cipher];
        if oaep {
            bob_only.push("--oaep");
        }
        let der = cms_der(&dir, &encrypt(&msg, &bob_only));
        let g = run_with_input(tool("gpgsm").arg("--homedir").arg(&home).args(["--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--decrypt"]).arg(&der), b"pw\n");
        let g_ok = g.status.success() && String::from_utf8_lossy(&g.stdout).contains(SECRET);
        assert_eq!(g_ok, gpg, "gpgsm {cipher} oaep={oaep}: {:?} {}\n{}", g.status, String::from_utf8_lossy(&g.stdout), String::from_utf8_lossy(&g.stderr));
    }
    gpgsm_cleanup(&home);
}

#[test]
fn every_peers_encryption_opens_in_cachet() {
    let pki = Pki::new("enc-in");
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let dir = TempDir::new("enc-in-peers");
    let content = dir.write("content.txt", b"Content-Type: text/plain\r\n\r\nBonjour, voila le secret.\r\n");
    let open_der = |der: &[u8], what: &str, want: &str| {
        let smime_type = if der.windows(11).any(|w| w == [0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x17].get(..11).unwrap()) { "authEnveloped-data" } else { "enveloped-data" };
        let cpath = dir.path(&format!("{what}.out"));
        let mut args = ident(&bob).to_vec();
        args.extend(["--content", p(&cpath)]);
        let (report, code) = open(&pkcs7_message(der, smime_type), &args);
        assert_eq!(status(&report), want, "{what}: {report:#}");
        assert_eq!(code == 0, want == "unsigned", "{what}: exit {code}");
        assert!(String::from_utf8_lossy(&std::fs::read(&cpath).unwrap()).contains("voila le secret"), "{what}");
        report
    };
    // OpenSSL, DER and BER (-stream), every cipher and key transport.
    for (what, extra) in [
        ("aes256", vec!["-aes256"]),
        ("aes128", vec!["-aes128"]),
        ("aes192", vec!["-aes192"]),
        ("aes256-stream", vec!["-aes256", "-stream"]),
        ("gcm256", vec!["-aes-256-gcm"]),
        ("gcm128-stream", vec!["-aes-128-gcm", "-stream"]),
        ("oaep-sha256", vec!["-aes256", "-recip", "RECIP", "-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256"]),
        ("oaep-sha1-gcm", vec!["-aes-256-gcm", "-recip", "RECIP", "-keyopt", "rsa_padding_mode:oaep"]),
        ("des3", vec!["-des3"]),
    ] {
        let out = dir.path(&format!("{what}.der"));
        let mut cmd = tool("openssl");
        cmd.args(["cms", "-encrypt", "-binary", "-outform", "DER"]).args(extra.iter().map(|a| if *a == "RECIP" { p(&bob.cert) } else { a })).arg("-in").arg(&content).arg("-out").arg(&out);
        if !extra.contains(&"RECIP") {
            cmd.arg(&bob.cert);
        }
        run(&mut cmd);
        let der = std::fs::read(&out).unwrap();
        if what.ends_with("stream") {
            assert_eq!(&der[..2], &[0x30, 0x80], "{what} is BER");
        }
        let report = open_der(&der, what, if what == "des3" { "weak-cipher" } else { "unsigned" });
        let enc = &report["layers"][0]["encryption"];
        assert_eq!(enc["integrity_protected"].as_bool(), Some(what.contains("gcm")), "{what}: {report:#}");
    }
    // NSS cmsutil -E (BER, indefinite lengths).
    let db = nss_db(&dir, &bob.p12);
    let nss = dir.path("nss.der");
    run(tool("cmsutil").args(["-E", "-r", "bob@example.net"]).arg("-i").arg(&content).arg("-d").arg(&db).arg("-o").arg(&nss));
    open_der(&std::fs::read(&nss).unwrap(), "nss", "unsigned");
    // gpgsm --encrypt.
    let home = gpgsm_home(&dir, &bob, &pki.ca());
    let gs = dir.path("gpgsm.der");
    let g = run_with_input(tool("gpgsm").arg("--homedir").arg(&home).args(["--batch", "-r", "bob@example.net", "--encrypt", "-o"]).arg(&gs).arg(&content), b"");
    assert!(g.status.success(), "gpgsm encrypt: {}", String::from_utf8_lossy(&g.stderr));
    gpgsm_cleanup(&home);
    open_der(&std::fs::read(&gs).unwrap(), "gpgsm", "unsigned");
    // Python cryptography PKCS7EnvelopeBuilder, AES-128 and AES-256.
    let script = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7
cert = x509.load_pem_x509_certificate(open(sys.argv[1],'rb').read())
data = open(sys.argv[2],'rb').read()
for alg, out in ((algorithms.AES128, sys.argv[3]), (algorithms.AES256, sys.argv[4])):
    b = pkcs7.PKCS7EnvelopeBuilder().set_data(data).add_recipient(cert).set_content_encryption_algorithm(alg)
    open(out,'wb').write(b.encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))
"#;
    let (p1, p2) = (dir.path("py128.der"), dir.path("py256.der"));
    run(tool("python3").arg("-c").arg(script).arg(&bob.cert).arg(&content).arg(&p1).arg(&p2));
    open_der(&std::fs::read(&p1).unwrap(), "python-aes128", "unsigned");
    open_der(&std::fs::read(&p2).unwrap(), "python-aes256", "unsigned");
}
