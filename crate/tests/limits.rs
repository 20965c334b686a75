//! Named limits of SPEC section 8 on hostile input generated here: the tampered-signature
//! diagnosis stays linear in the message size, a PKCS#12 file has one budget of password
//! hashing, and S/MIME layers, a SignedData's certificates and its signers past their limits
//! are `limit-exceeded`, never a verdict on what was read before the limit. (Envelope limits
//! are tested in `cms::decrypt_tests`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use cachet::report::Status;
use cachet::asn1::{ber, der::tlv};
use cachet::cms::signed::{parse_signed_data, MAX_CERTIFICATES, MAX_SIGNERS};
use cachet::error::Code;
use cachet::smime::{open, sign_message, OpenInput, MAX_DIAGNOSIS_CANDIDATES, MAX_LAYERS};
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

/// Alice's identity from the shared test PKI, its CA as the one root, and a fixed time.
fn alice_and_root() -> (cachet::pkcs12::Identity, Vec<x509_cert::Certificate>, cachet::time::UnixTime) {
    let pki = shared_pki();
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let id = cachet::pkcs12::import(&std::fs::read(alice.p12()).unwrap(), "test-password").unwrap();
    let root = cachet::cert::facts::parse_certificates(&std::fs::read(pki.ca()).unwrap()).unwrap();
    let at = cachet::time::UnixTime(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs());
    (id, root, at)
}

#[test]
fn s_mime_layers_past_the_limit_are_limit_exceeded() {
    let (alice, roots, at) = alice_and_root();
    let (limits, policy) = (cachet::mime::Limits::default(), cachet::policy::Policy::standard());
    let input = OpenInput { roots: &roots, pins: &[], known: &[], identities: &[], passwords: &[], at, policy: &policy, limits: &limits };
    let mut msg = message("alice@example.org", "bob@example.net");
    // Signed again and again, clear and opaque in turn: MAX_LAYERS layers open, every one valid.
    for i in 0..MAX_LAYERS {
        msg = sign_message(&msg, &alice, i % 2 == 1, at, &limits, &policy).unwrap();
    }
    let r = open(&msg, &input).report;
    assert_eq!(r.status, Status::Valid, "{:?}", r.error);
    assert_eq!(r.layers.len(), MAX_LAYERS);
    // One more: refused, naming the limit, not shown as content under a valid verdict.
    for opaque in [false, true] {
        let deeper = sign_message(&msg, &alice, opaque, at, &limits, &policy).unwrap();
        let r = open(&deeper, &input).report;
        assert_eq!(r.status, Status::Malformed, "opaque {opaque}");
        let e = r.error.as_ref().unwrap();
        assert_eq!(e.code, Code::LimitExceeded);
        assert!(e.detail.as_deref().unwrap().contains("MAX_LAYERS"), "{e:?}");
        assert_eq!(r.layers.len(), MAX_LAYERS + 1);
    }
}

/// `der` (a ContentInfo of SignedData, DER) with its certificates and its SignerInfos each
/// repeated to `certs` and `signers` elements.
fn with_counts(der: &[u8], certs: usize, signers: usize) -> Vec<u8> {
    let top = ber::read_all(der).unwrap();
    let [oid, wrapped] = &top.children().unwrap()[..] else { panic!("ContentInfo") };
    let sd = wrapped.children().unwrap()[0];
    let mut body = Vec::new();
    for t in sd.children().unwrap() {
        let (tag, n) = match t.tag {
            0xa0 => (0xa0, certs),
            0x31 => (0x31, signers),
            _ => {
                body.extend_from_slice(t.raw);
                continue;
            }
        };
        let one = t.children().unwrap()[0].raw;
        body.extend(tlv(tag, &one.repeat(n)));
    }
    tlv(0x30, &[oid.raw, &tlv(0xa0, &tlv(0x30, &body))].concat())
}

#[test]
fn a_signed_data_past_its_certificate_or_signer_limit_is_limit_exceeded() {
    let (alice, roots, at) = alice_and_root();
    let (limits, policy) = (cachet::mime::Limits::default(), cachet::policy::Policy::standard());
    let opaque = sign_message(&message("alice@example.org", "bob@example.net"), &alice, true, at, &limits, &policy).unwrap();
    let der = cms_blob(&opaque);
    // At the limits: read whole.
    let sd = parse_signed_data(&with_counts(&der, MAX_CERTIFICATES, MAX_SIGNERS)).unwrap();
    assert_eq!((sd.certificates.len(), sd.signers.len()), (MAX_CERTIFICATES, MAX_SIGNERS));
    // One past either: refused, naming the limit and the count.
    for (certs, signers, name) in [(MAX_CERTIFICATES + 1, 1, "MAX_CERTIFICATES"), (1, MAX_SIGNERS + 1, "MAX_SIGNERS")] {
        let e = parse_signed_data(&with_counts(&der, certs, signers)).err().unwrap();
        assert_eq!(e.code, Code::LimitExceeded, "{name}");
        let detail = e.detail.unwrap();
        assert!(detail.contains(name) && detail.contains(&format!("({} ", certs.max(signers))), "{detail}");
        // In a message: malformed with that error, never the verdict of the signers read.
        let input = OpenInput { roots: &roots, pins: &[], known: &[], identities: &[], passwords: &[], at, policy: &policy, limits: &limits };
        let r = open(&wrap_opaque("alice@example.org", &with_counts(&der, certs, signers), "signed-data"), &input).report;
        assert_eq!(r.status, Status::Malformed, "{name}");
        assert_eq!(r.error.unwrap().code, Code::LimitExceeded, "{name}");
    }
}
