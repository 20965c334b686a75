//! Opaque signing and triple wrapping (sign, encrypt, sign: RFC 2634 1.1) through the CLI,
//! checked by openssl layer by layer and by `cachet open`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::*;

#[test]
fn triple_wrapped_and_opaque_messages_unwrap_in_openssl_and_open_in_cachet() {
    let pki = Pki::new("triple-wrap");
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let d = TempDir::new("triple-wrap-run");
    let msg = message("alice@example.org", "bob@example.net");
    let ca = pki.ca();
    let encrypt = |extra: &[&str]| -> Vec<u8> {
        let out = run_with_input(cachet().arg("encrypt").arg("--recipient").arg(&bob.cert).arg("--identity").arg(alice.p12()).arg("--password-file").arg(&alice.password).args(extra), &msg);
        assert!(out.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let layers = |r: &serde_json::Value| -> Vec<String> { r["layers"].as_array().unwrap().iter().map(|l| format!("{}:{}:{}", l["kind"].as_str().unwrap(), l["status"].as_str().unwrap(), l["format"].as_str().unwrap())).collect() };

    for (extra, outer_format, inner_format) in [
        (&["--triple-wrap"][..], "multipart/signed", "multipart/signed"),
        (&["--triple-wrap", "--opaque"][..], "application/pkcs7-mime", "application/pkcs7-mime"),
    ] {
        let wrapped = encrypt(extra);
        let text = String::from_utf8_lossy(&wrapped).to_string();
        assert!(text.contains("From: Test Sender <alice@example.org>"), "{extra:?}: the headers stay outside");
        // openssl peels it: verify the outer signature, decrypt, verify the inner one.
        let f = d.write("wrapped.eml", &wrapped);
        run(tool("openssl").args(["cms", "-verify", "-CAfile"]).arg(&ca).arg("-in").arg(&f).arg("-out").arg(d.path("enveloped.eml")));
        let enveloped = String::from_utf8_lossy(&d.read("enveloped.eml")).to_string();
        assert!(enveloped.to_lowercase().replace('"', "").contains("smime-type=enveloped-data"), "{extra:?}: the outer signature covers the encrypted entity: {enveloped}");
        run(tool("openssl").args(["cms", "-decrypt"]).arg("-in").arg(d.path("enveloped.eml")).arg("-recip").arg(&bob.cert).arg("-inkey").arg(&bob.key).arg("-out").arg(d.path("signed.eml")));
        let inner = run(tool("openssl").args(["cms", "-verify", "-CAfile"]).arg(&ca).arg("-in").arg(d.path("signed.eml")));
        assert!(String::from_utf8_lossy(&inner.stdout).contains("Bonjour"), "{extra:?}");
        // Cachet: three layers, every one good.
        let (r, code) = open(&wrapped, &["--identity", bob.p12().to_str().unwrap(), "--password-file", bob.password.to_str().unwrap(), "--trust", ca.to_str().unwrap()]);
        assert_eq!((status(&r), code), ("valid", 0), "{extra:?}: {r}");
        let l = layers(&r);
        assert_eq!(l.len(), 3, "{extra:?}: {l:?}");
        assert_eq!(l[0], format!("signed:valid:{outer_format}"), "{l:?}");
        assert!(l[1].starts_with("encrypted:decrypted:"), "{l:?}");
        assert_eq!(l[2], format!("signed:valid:{inner_format}"), "{l:?}");
    }

    // Signed opaquely, then encrypted (no outer signature): two layers.
    let wrapped = encrypt(&["--sign", "--opaque"]);
    let (r, code) = open(&wrapped, &["--identity", bob.p12().to_str().unwrap(), "--password-file", bob.password.to_str().unwrap(), "--trust", ca.to_str().unwrap()]);
    assert_eq!((status(&r), code), ("valid", 0), "{r}");
    let l = layers(&r);
    assert_eq!(l.len(), 2, "{l:?}");
    assert_eq!(l[1], "signed:valid:application/pkcs7-mime", "{l:?}");
    let f = d.write("opaque.eml", &wrapped);
    run(tool("openssl").args(["cms", "-decrypt"]).arg("-in").arg(&f).arg("-recip").arg(&bob.cert).arg("-inkey").arg(&bob.key).arg("-out").arg(d.path("opaque-signed.eml")));
    assert!(String::from_utf8_lossy(&d.read("opaque-signed.eml")).to_lowercase().replace('"', "").contains("smime-type=signed-data"));
    let inner = run(tool("openssl").args(["cms", "-verify", "-CAfile"]).arg(&ca).arg("-in").arg(d.path("opaque-signed.eml")));
    assert!(String::from_utf8_lossy(&inner.stdout).contains("Bonjour"));
}
