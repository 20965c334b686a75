//! The algorithm policy as one value for every command: `cachet sign|encrypt|open --policy FILE`
//! (JSON; left-out fields keep SPEC section 4). Each case checks with a real peer what the
//! policy changed: the digest OpenSSL sees, the key transport OpenSSL decrypts, the verdict
//! on OpenSSL's message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::*;
use std::path::Path;

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn policy_file_reaches_sign_encrypt_and_open() {
    let pki = Pki::new("policy-cli");
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let dir = TempDir::new("policy-cli-files");
    let msg = message(&alice.email, &bob.email);
    let ident = |l: &Leaf| vec!["--identity".to_string(), p(l.p12()).to_string(), "--password-file".into(), p(&l.password).into()];

    // sign: a policy that signs with SHA-512 only.
    let sha512 = dir.write("sha512.json", br#"{"signing_digest": "sha512", "digests": [{"alg": "sha512", "consume": {"verdict": "accept"}, "produce": true}]}"#);
    let signed = sign(&msg, alice.p12(), &alice.password, &["--policy", p(&sha512)]);
    assert!(String::from_utf8_lossy(&signed).contains("micalg=sha-512"), "{}", String::from_utf8_lossy(&signed[..400]));
    let eml = dir.write("signed.eml", &signed);
    let out = run_with_input(tool("openssl").args(["cms", "-verify", "-CAfile"]).arg(pki.ca()).arg("-in").arg(&eml).args(["-cmsout", "-print", "-noout"]), b"");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8_lossy(&out.stdout);
    // digestAlgorithms and the signer's digestAlgorithm (the certificates are SHA-256-signed).
    assert!(printed.matches("algorithm: sha512 (").count() >= 2 && !printed.contains("algorithm: sha256 ("), "{printed}");
    // Without the policy: SHA-256.
    assert!(String::from_utf8_lossy(&sign(&msg, alice.p12(), &alice.password, &[])).contains("micalg=sha-256"));

    // encrypt: a policy that requires OAEP for everyone (no --oaep flag).
    let oaep = dir.write("oaep.json", br#"{"default_key_transport": "rsa-oaep"}"#);
    let out = run_with_input(cachet().args(["encrypt", "--recipient", p(&bob.cert), "--policy", p(&oaep)]), &msg);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let enc = dir.write("enc.eml", &out.stdout);
    let printed = run(tool("openssl").args(["cms", "-cmsout", "-print", "-noout", "-in"]).arg(&enc));
    assert!(String::from_utf8_lossy(&printed.stdout).contains("rsaesOaep"), "{}", String::from_utf8_lossy(&printed.stdout));
    let dec = run(tool("openssl").args(["cms", "-decrypt", "-in"]).arg(&enc).arg("-recip").arg(&bob.cert).arg("-inkey").arg(&bob.key));
    assert!(String::from_utf8_lossy(&dec.stdout).contains("Bonjour"));

    // open: a policy that flags RSA below 3072 bits turns OpenSSL's RSA-2048 signature weak.
    let content = dir.write("content.txt", b"Content-Type: text/plain\r\n\r\nHello.\r\n");
    let osigned = dir.path("o.eml");
    run(tool("openssl").args(["cms", "-sign", "-md", "sha256", "-in"]).arg(&content).arg("-signer").arg(&alice.cert).arg("-inkey").arg(&alice.key).arg("-out").arg(&osigned));
    let mut om = format!("From: <{}>\r\n", alice.email).into_bytes();
    om.extend_from_slice(&std::fs::read(&osigned).unwrap());
    let ca = pki.ca();
    let trust = ["--trust", p(&ca)];
    let (report, code) = open(&om, &trust);
    assert_eq!((status(&report), code), ("valid", 0), "{report:#}");
    let strict = dir.write("strict.json", br#"{"min_rsa_bits": 3072}"#);
    let (report, code) = open(&om, &[trust[0], trust[1], "--policy", p(&strict)]);
    assert_eq!((status(&report), code), ("weak-algorithm", 3), "{report:#}");

    // A bad policy file is a usage error (exit 2) that says so, for every command.
    let bad = dir.write("bad.json", br#"{"min_rsa_bit": 3072}"#);
    for cmd in [vec!["open".to_string()], [vec!["sign".to_string()], ident(&alice)].concat(), vec!["encrypt".into(), "--recipient".into(), p(&bob.cert).into()]] {
        let out = run_with_input(cachet().args(&cmd).args(["--policy", p(&bad)]), &msg);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("policy file") && err.contains("min_rsa_bit"), "{cmd:?}: {err}");
    }
}
