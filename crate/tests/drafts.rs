//! Encrypted drafts with real peers: the draft wrapper (`cachet::draft`) signed and
//! encrypted to the sender alone by `cachet encrypt --identity --sign` holds none of the
//! draft's text, subject or recipients in clear; `openssl cms` decrypts and verifies it
//! with the sender's key, and the content it gives reads back as the same draft; a peer
//! without the sender's key cannot decrypt it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use base64::Engine as _;
use cachet::compose::{Draft, DraftAttachment};
use cachet::mime::Limits;
use common::*;

fn draft() -> Draft {
    Draft {
        from: "Alice <alice@example.org>".into(),
        to: vec!["Bob <bob@example.net>".into()],
        bcc: vec!["carol@example.com".into()],
        subject: "Merger plans for Zanzibar".into(),
        text: "The password is swordfish-7781.\n".into(),
        date: "Sat, 05 Dec 2026 22:00:00 +0000".into(),
        message_id: "<draft-1@example.org>".into(),
        attachments: vec![DraftAttachment { filename: "numbers.csv".into(), content_type: "text/csv".into(), data_base64: base64::engine::general_purpose::STANDARD.encode("q4,secret-row-991\n"), content_id: String::new() }],
        ..Draft::default()
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[test]
fn a_draft_is_stored_only_encrypted_to_the_sender_and_reads_back() {
    let pki = Pki::new("drafts");
    let alice = pki.leaf("Alice", "alice@example.org", Key::Rsa2048, None, 365);
    let bob = pki.leaf("Bob", "bob@example.net", Key::Rsa2048, None, 365);
    let wrapper = cachet::draft::draft_message(&draft()).unwrap();
    let out = run_with_input(
        cachet().args(["encrypt", "--sign", "--identity"]).arg(alice.p12()).arg("--password-file").arg(&alice.password),
        &wrapper,
    );
    assert!(out.status.success(), "cachet encrypt failed: {}", String::from_utf8_lossy(&out.stderr));
    // What encrypt left outside is reduced to the draft's own fields.
    let stored = cachet::draft::stored_form(&out.stdout, &Limits::default()).unwrap();
    let head = String::from_utf8_lossy(&stored[..stored.windows(4).position(|w| w == b"\r\n\r\n").unwrap()]).to_string();
    let names: Vec<&str> = head.lines().filter(|l| !l.starts_with([' ', '\t'])).filter_map(|l| l.split(':').next()).collect();
    let (content, others): (Vec<&str>, Vec<&str>) = names.iter().partition(|n| n.starts_with("Content-"));
    assert_eq!(others, ["From", "Date", "Message-ID", "Subject", "X-Cachet-Draft", "MIME-Version"], "{head}");
    assert!(content.contains(&"Content-Type"), "{head}");
    for secret in ["Zanzibar", "swordfish", "bob@example.net", "carol@example.com", "secret-row", "numbers.csv"] {
        assert!(!contains(&stored, secret), "the stored draft shows {secret:?} in clear");
    }
    assert!(cachet::draft::is_draft(&stored, &Limits::default()), "the marker is outside");
    assert!(contains(&stored, "Subject: Encrypted draft (Cachet)"));

    // openssl decrypts with Alice's key and verifies Alice's signature.
    let eml = pki.dir.write("draft.eml", &stored);
    let signed = pki.dir.path("signed.eml");
    run(tool("openssl").args(["cms", "-decrypt"]).arg("-in").arg(&eml).arg("-recip").arg(&alice.cert).arg("-inkey").arg(&alice.key).arg("-out").arg(&signed));
    let content = pki.dir.path("content.eml");
    run(tool("openssl").args(["cms", "-verify", "-CAfile"]).arg(pki.ca()).arg("-in").arg(&signed).arg("-out").arg(&content));
    let read = cachet::draft::read_draft(&std::fs::read(&content).unwrap(), &Limits::default()).unwrap();
    assert_eq!(read.subject, "Merger plans for Zanzibar");
    assert_eq!(read.to, vec!["Bob <bob@example.net>".to_string()]);
    assert_eq!(read.bcc, vec!["carol@example.com".to_string()]);
    assert_eq!(read.text, "The password is swordfish-7781.\n");
    assert_eq!(read.attachments.len(), 1);
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(&read.attachments[0].data_base64).unwrap(), b"q4,secret-row-991\n");

    // Cachet's own open gives the same content.
    let content_file = pki.dir.path("cachet-content.eml");
    let (report, code) = open(&stored, &["--identity", alice.p12().to_str().unwrap(), "--password-file", alice.password.to_str().unwrap(), "--trust", pki.ca().to_str().unwrap(), "--content", content_file.to_str().unwrap()]);
    assert_eq!((status(&report), code), ("valid", 0), "{report}");
    assert_eq!(cachet::draft::read_draft(&std::fs::read(&content_file).unwrap(), &Limits::default()).unwrap().subject, "Merger plans for Zanzibar");

    // Nobody else: Bob's key does not open it.
    let denied = std::process::Command::new("openssl").args(["cms", "-decrypt"]).arg("-in").arg(&eml).arg("-recip").arg(&bob.cert).arg("-inkey").arg(&bob.key).output().unwrap();
    assert!(!denied.status.success(), "Bob must not be able to decrypt Alice's draft");
}
