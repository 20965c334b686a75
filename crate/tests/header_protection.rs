//! Header protection (RFC 9788) against real peers: the messages the `cachet` CLI signs
//! and encrypts with protected header fields still verify and decrypt in `openssl cms`,
//! `openssl smime` and NSS `cmsutil` (Thunderbird's engine), and what those peers hand
//! back as the signed or decrypted content carries the protected fields (`hp`,
//! `HP-Outer`, the real Subject) while the outside of encrypted mail shows `[...]`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::*;
use std::path::{Path, PathBuf};

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The Subject of [`message`] once decoded, and its encoded form.
const SUBJECT: &str = "Échange de clés";

fn nss_db(dir: &TempDir, ca: &Path, p12: &Path) -> PathBuf {
    let db = dir.path("nssdb");
    std::fs::create_dir_all(&db).unwrap();
    run(tool("certutil").arg("-N").arg("-d").arg(&db).arg("--empty-password"));
    run(tool("certutil").args(["-A", "-n", "ca", "-t", "C,C,C"]).arg("-d").arg(&db).arg("-i").arg(ca));
    run(tool("pk12util").arg("-i").arg(p12).arg("-d").arg(&db).args(["-W", "test-password"]));
    db
}

/// The header section (up to the first blank line) of `bytes`, as text.
fn head(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
    text.split("\n\n").next().unwrap_or_default().to_string()
}

/// Assert the protected header section a peer gave back.
fn assert_protected(what: &str, section: &str, mode: &str) {
    let unfolded = section.replace("\n ", " ");
    assert!(unfolded.contains(&format!("hp=\"{mode}\"")), "{what}: no hp=\"{mode}\" in\n{section}");
    for field in ["From: Test Sender <alice@example.org>", "To: bob@example.net", "Date: Sun, 29 Nov 2026 12:00:00 +0000", "Message-ID: <test-1@example.org>", "Subject: =?UTF-8?B?"] {
        assert!(unfolded.contains(field), "{what}: {field:?} missing in\n{section}");
    }
    assert_eq!(unfolded.contains("HP-Outer: Subject: [...]"), mode == "cipher", "{what}: HP-Outer\n{section}");
}

#[test]
fn signed_protected_headers_verify_in_openssl_and_nss() {
    let pki = shared_pki();
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let dir = TempDir::new("hp-sign-peers");
    let db = nss_db(&dir, &pki.ca(), bob.p12());
    for opaque in [false, true] {
        let signed = sign(&message(&alice.email, &bob.email), alice.p12(), &alice.password, if opaque { &["--opaque"] } else { &[] });
        let eml = dir.write("signed.eml", &signed);
        // OpenSSL's two front ends verify it and hand back the payload with its header section.
        let content = dir.path("content.eml");
        run(tool("openssl").args(["cms", "-verify", "-purpose", "smimesign"]).arg("-in").arg(&eml).arg("-CAfile").arg(pki.ca()).arg("-out").arg(&content));
        assert_protected("openssl cms", &head(&dir.read("content.eml")), "clear");
        let smime_out = dir.path("smime.eml");
        run(tool("openssl").args(["smime", "-verify"]).arg("-in").arg(&eml).arg("-CAfile").arg(pki.ca()).arg("-out").arg(&smime_out));
        assert_protected("openssl smime", &head(&dir.read("smime.eml")), "clear");
        // NSS verifies the signature over the same content.
        let der = dir.write("sig.der", &cms_blob(&signed));
        let mut nss = tool("cmsutil");
        nss.arg("-D").arg("-v").arg("-i").arg(&der).arg("-d").arg(&db);
        if !opaque {
            nss.arg("-c").arg(&content);
        }
        let out = run(&mut nss);
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if opaque {
            // (`run` requires success: cmsutil -D -v fails on a signature it cannot verify.)
            assert!(!said.contains("DigestMismatch"), "{said}");
            assert_protected("cmsutil", &head(&out.stdout), "clear");
        } else {
            // For detached content cmsutil prints a signer status only when it fails: check
            // that it does fail once a protected field is changed.
            let forged = String::from_utf8(dir.read("content.eml")).unwrap().replacen("To: bob@example.net", "To: eve@example.net", 1);
            let forged = dir.write("forged.eml", forged.as_bytes());
            let bad = run_with_input(tool("cmsutil").arg("-D").arg("-v").arg("-i").arg(&der).arg("-d").arg(&db).arg("-c").arg(&forged), b"");
            assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("DigestMismatch"), "NSS must refuse a changed protected To");
        }
        // Cachet reads the protected fields back, with nothing differing outside.
        let (r, code) = open(&signed, &["--trust", p(&pki.ca())]);
        assert_eq!((status(&r), code), ("valid", 0), "{r:#}");
        assert_eq!(r["protected_headers"]["subject"], SUBJECT);
        assert_eq!(r["protected_headers"]["mode"], "clear");
        assert_eq!(r["protected_headers"]["mismatches"].as_array().unwrap().len(), 0);
    }
}

#[test]
fn encrypted_protected_headers_decrypt_in_openssl_and_nss() {
    let pki = shared_pki();
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let bob = pki.leaf("bob", "bob@example.net", Key::Rsa2048, None, 365);
    let dir = TempDir::new("hp-enc-peers");
    let db = nss_db(&dir, &pki.ca(), bob.p12());
    for signed in [false, true] {
        let mut args = vec!["encrypt", "--recipient", p(&bob.cert), "--identity", p(alice.p12()), "--password-file", p(&alice.password)];
        if signed {
            args.push("--sign");
        }
        let out = run_with_input(cachet().args(&args), &message(&alice.email, &bob.email));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let enc = out.stdout;
        let outside = head(&enc);
        assert!(outside.contains("Subject: [...]") && !outside.contains("=?UTF-8?B?"), "the Subject is hidden outside:\n{outside}");
        assert!(outside.contains("From: Test Sender <alice@example.org>") && outside.contains("Message-ID: <test-1@example.org>"));
        let eml = dir.write("enc.eml", &enc);
        // OpenSSL decrypts; the payload (or the signed entity around it) carries the real fields.
        let plain = dir.path("plain.eml");
        run(tool("openssl").args(["cms", "-decrypt"]).arg("-in").arg(&eml).arg("-recip").arg(&bob.cert).arg("-inkey").arg(&bob.key).arg("-out").arg(&plain));
        let payload = if signed {
            let inner = dir.path("inner.eml");
            run(tool("openssl").args(["smime", "-verify"]).arg("-in").arg(&plain).arg("-CAfile").arg(pki.ca()).arg("-out").arg(&inner));
            dir.read("inner.eml")
        } else {
            dir.read("plain.eml")
        };
        assert_protected("openssl decrypt", &head(&payload), "cipher");
        assert!(String::from_utf8_lossy(&payload).contains("Bonjour, voil"));
        // The legacy display for readers without RFC 9788: quoted-printable under a signature,
        // 8-bit like the text it heads when only encrypted.
        let legacy = if signed { "Subject: =C3=89change de cl=C3=A9s\r\n\r\nBonjour" } else { "Subject: Échange de clés\r\n\r\nBonjour" };
        assert!(String::from_utf8_lossy(&payload).contains(legacy), "{}", String::from_utf8_lossy(&payload));
        // NSS decrypts the same envelope (and verifies the signature inside it).
        let der = dir.write("enc.der", &cms_blob(&enc));
        let nss = run(tool("cmsutil").arg("-D").arg("-i").arg(&der).arg("-d").arg(&db).args(["-p", ""]));
        let decrypted = nss.stdout;
        if signed {
            assert!(String::from_utf8_lossy(&decrypted).contains("multipart/signed"));
            let inner = dir.write("nss-inner.eml", &decrypted);
            run(tool("openssl").args(["smime", "-verify"]).arg("-in").arg(&inner).arg("-CAfile").arg(pki.ca()).arg("-out").arg(dir.path("nss-payload.eml")));
            assert_protected("cmsutil decrypt", &head(&dir.read("nss-payload.eml")), "cipher");
        } else {
            assert_protected("cmsutil decrypt", &head(&decrypted), "cipher");
        }
        // Cachet shows the protected Subject and says it was confidential.
        let (r, _) = open(&enc, &["--identity", p(bob.p12()), "--password-file", p(&bob.password), "--trust", p(&pki.ca())]);
        assert_eq!(status(&r), if signed { "valid" } else { "unsigned" }, "{r:#}");
        let ph = &r["protected_headers"];
        assert_eq!((ph["mode"].as_str(), ph["subject"].as_str(), ph["encrypted"].as_bool()), (Some("cipher"), Some(SUBJECT), Some(true)));
        assert_eq!(ph["confidential"], serde_json::json!(["Subject"]));
    }
}
