//! Named limits of SPEC section 8 on hostile input generated here: the tampered-signature
//! diagnosis stays linear in the message size, and a PKCS#12 file has one budget of
//! password hashing. (Envelope limits are tested in `cms::decrypt_tests`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use cachet::report::Status;
use cachet::smime::{open, sign_message, OpenInput, MAX_DIAGNOSIS_CANDIDATES};
use common::*;
use std::time::{Duration, Instant};

/// A multipart/mixed message with `parts` text parts of `size` bytes each.
fn many_parts(parts: usize, size: usize) -> Vec<u8> {
    let mut m = b"From: <alice@example.org>\r\nTo: <bob@example.net>\r\nSubject: many parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n".to_vec();
    let line = "0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n";
    for i in 0..parts {
        m.extend_from_slice(format!("--b0\r\nContent-Type: text/plain\r\n\r\nPart {i}\r\n").as_bytes());
        let mut n = 0;
        while n < size {
            m.extend_from_slice(line.as_bytes());
            n += line.len();
        }
    }
    m.extend_from_slice(b"--b0--\r\n");
    m
}

fn replace_once(hay: &[u8], from: &str, to: &str) -> Vec<u8> {
    let at = hay.windows(from.len()).position(|w| w == from.as_bytes()).unwrap_or_else(|| panic!("{from} not found"));
    [&hay[..at], to.as_bytes(), &hay[at + from.len()..]].concat()
}

#[test]
fn tampered_diagnosis_is_linear_in_the_message_size() {
    let pki = Pki::new("lim-diag");
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let id = cachet::pkcs12::import(&std::fs::read(alice.p12()).unwrap(), "test-password").unwrap();
    let limits = cachet::mime::Limits::default();
    let policy = cachet::policy::Policy::standard();
    let at = cachet::time::UnixTime(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs());
    let anchors = [cachet::cert::facts::parse_certificates(&std::fs::read(pki.ca()).unwrap()).unwrap().remove(0)];
    let input = OpenInput { roots: &anchors, pins: &[], known: &[], identities: &[], passwords: &[], at, policy: &policy, limits: &limits };
    // 2,000 parts, 10 MB: re-hashing the signed part once per part (the old search) is
    // 20 GB of hashing; the linear search hashes about twice the message.
    let signed = sign_message(&many_parts(2000, 5000), &id, false, at, &limits, &policy).unwrap();
    assert!(signed.len() > 10_000_000);
    // A footer part added at the end: found, and the original verifies.
    let footer = replace_once(&signed, "--b0--", "--b0\r\nContent-Type: text/plain\r\n\r\nDisclaimer: added by the server.\r\n--b0--");
    let started = Instant::now();
    let r = open(&footer, &input).report;
    let took = started.elapsed();
    assert_eq!(r.status, Status::Tampered);
    let d = r.diagnosis.iter().find(|d| d.id == "appended-part").unwrap_or_else(|| panic!("{:?}", r.diagnosis));
    assert!(d.appended_text.as_deref().unwrap().contains("Disclaimer: added by the server."));
    assert_eq!(d.original_verifies, Some(true));
    // A change inside the first part: no candidate matches, every bounded search runs.
    let changed = replace_once(&signed, "Part 0\r\n", "Part X\r\n");
    let started = Instant::now();
    let r = open(&changed, &input).report;
    let took_changed = started.elapsed();
    assert_eq!(r.status, Status::Tampered);
    assert!(r.diagnosis.iter().any(|d| d.id == "changed"), "{:?}", r.diagnosis);
    eprintln!("diagnosis of 10 MB with 2,000 parts: footer {took:?}, changed {took_changed:?}");
    assert!(took < Duration::from_secs(20) && took_changed < Duration::from_secs(20), "{took:?} {took_changed:?}");
    // Text appended after the signed part's last line is still found among the line ends.
    let text = replace_once(&signed, "--b0--\r\n", "--b0--\r\n\r\n-- \r\nSent from our network.\r\n");
    let r = open(&text, &input).report;
    assert!(r.diagnosis.iter().any(|d| d.id == "appended-text" && d.appended_text.as_deref().is_some_and(|t| t.contains("Sent from our network."))), "{:?}", r.diagnosis);
    let _ = MAX_DIAGNOSIS_CANDIDATES;
}
