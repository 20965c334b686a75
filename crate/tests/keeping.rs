//! Keeping certificates valid (issue 19), checked against openssl: the identity's footer
//! lies inside the signed content of plain and HTML mail, the renewal announcement is
//! signed with the new certificate and names its fingerprint, and the old key still
//! decrypts mail encrypted to the old certificate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use cachet::compose::{compose, Draft};
use cachet::request::{request_mail, RequestKind, RequestOptions};
use cachet::time::UnixTime;
use common::*;
use std::path::Path;

fn now() -> UnixTime {
    UnixTime(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs())
}

fn identity(leaf: &Leaf) -> cachet::pkcs12::Identity {
    let pw = std::fs::read_to_string(&leaf.password).unwrap();
    cachet::pkcs12::import(&std::fs::read(leaf.p12()).unwrap(), pw.trim_end()).unwrap()
}

/// `openssl cms -verify` against the test root (fails the test when it does not verify);
/// returns the signed content and the signer certificate (PEM) openssl extracted.
fn openssl_verify(dir: &TempDir, signed: &[u8], ca: &Path) -> (String, String) {
    let input = dir.write("signed.eml", signed);
    let content = dir.path("content.txt");
    let signer = dir.path("signer.pem");
    run(tool("openssl").args(["cms", "-verify", "-purpose", "smimesign"]).arg("-in").arg(&input).arg("-CAfile").arg(ca).arg("-out").arg(&content).arg("-signer").arg(&signer));
    (String::from_utf8_lossy(&std::fs::read(content).unwrap()).into_owned(), std::fs::read_to_string(signer).unwrap())
}

/// Quoted-printable soft line breaks and the few escapes the footer produces, undone.
fn unqp(s: &str) -> String {
    s.replace("=\r\n", "").replace("=3D", "=").replace("=20", " ").replace("=C2=B7", "·")
}

#[test]
fn the_footer_is_inside_the_signed_content_of_plain_and_html_mail() {
    let pki = shared_pki();
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let id = identity(&alice);
    let footer = "Example GmbH · Berlin, HRB 12345\nContact: +49 30 1234 <legal@example.org>";
    for html in ["", "<html><body><p>Hello <b>Bob</b></p></body></html>"] {
        let dir = TempDir::new("keeping-footer-run");
        let draft = Draft {
            from: "Alice <alice@example.org>".into(),
            to: vec!["bob@example.net".into()],
            subject: "Offer".into(),
            text: "Hello Bob,\nthe offer is attached.\n".into(),
            html: html.into(),
            date: "Sat, 5 Dec 2026 12:00:00 +0000".into(),
            footer: footer.into(),
            ..Draft::default()
        };
        let signed = cachet::smime::sign_message(&compose(&draft).unwrap(), &id, false, now(), &cachet::mime::Limits::default(), &cachet::policy::Policy::standard()).unwrap();
        let (content, _) = openssl_verify(&dir, &signed, &pki.ca());
        let content = unqp(&content);
        assert!(content.contains("\r\n-- \r\nExample GmbH · Berlin, HRB 12345\r\nContact: +49 30 1234 <legal@example.org>"), "text footer inside the signed content: {content}");
        if !html.is_empty() {
            assert!(content.contains("Contact: +49 30 1234 &lt;legal@example.org&gt;</div>"), "HTML footer inside the signed content: {content}");
        }
        // And the core itself reads it as a valid signature.
        let (report, code) = open(&signed, &["--trust", pki.ca().to_str().unwrap()]);
        assert_eq!((status(&report), code), ("valid", 0), "{report}");
    }
}

#[test]
fn the_renewal_announcement_is_signed_with_the_new_certificate_and_the_old_key_still_decrypts() {
    let pki = shared_pki();
    let old = pki.leaf("alice-old", "alice@example.org", Key::Rsa2048, None, 20);
    let new = pki.leaf("alice-new", "alice@example.org", Key::Rsa2048, None, 730);
    let new_id = identity(&new);
    let new_facts = cachet::cert::facts::facts(&new_id.certificate);
    let dir = TempDir::new("keeping-renewal-run");
    let options = RequestOptions { to: "bob@example.net".into(), kind: RequestKind::Renewal, date: Some("Sat, 5 Dec 2026 12:00:00 +0000".into()), ..RequestOptions::default() };
    let mail = request_mail(&new_id, &options, now(), &cachet::policy::Policy::standard()).unwrap();
    let (content, signer) = openssl_verify(&dir, &mail, &pki.ca());
    assert!(content.contains("renewed"), "{content}");
    // The text names the new certificate's fingerprint (split over two lines).
    let fpr = &new_facts.sha256;
    assert!(content.contains(&fpr[..47]) && content.contains(&fpr[48..]), "{content}");
    // The signer openssl found is the new certificate, not the old one.
    assert_eq!(signer.trim(), std::fs::read_to_string(&new.cert).unwrap().trim());
    let text = String::from_utf8_lossy(&mail);
    assert!(text.contains("Subject: My e-mail certificate has been renewed"), "{text}");

    // Mail encrypted (by openssl) to the OLD certificate opens with the old key kept beside the new one.
    let plain = dir.write("plain.eml", b"From: <bob@example.net>\r\nTo: <alice@example.org>\r\nSubject: old mail\r\nContent-Type: text/plain\r\n\r\nsecret from last year\r\n");
    let enc = dir.path("enc.eml");
    run(tool("openssl").args(["cms", "-encrypt", "-aes256"]).arg("-in").arg(&plain).arg("-out").arg(&enc).arg(&old.cert));
    let enc = std::fs::read(&enc).unwrap();
    let content_file = dir.path("opened.txt");
    let args = ["--identity", new.p12().to_str().unwrap(), "--password-file", new.password.to_str().unwrap(), "--identity", old.p12().to_str().unwrap(), "--password-file", old.password.to_str().unwrap(), "--content", content_file.to_str().unwrap()];
    let (report, code) = open(&enc, &args);
    assert_eq!((status(&report), code), ("unsigned", 0), "{report}");
    assert!(String::from_utf8_lossy(&std::fs::read(&content_file).unwrap()).contains("secret from last year"));
    // Without the old key it is no-key: the new key alone cannot read old mail.
    let (report, _) = open(&enc, &args[..4]);
    assert_eq!(status(&report), "no-key", "{report}");
}
