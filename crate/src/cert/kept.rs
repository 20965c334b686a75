//! Certificates parsed once: the add-in passes the recipients' certificates (and the trust
//! anchors) as bytes on every call, and the same few come back message after message, so the
//! Wasm boundary keeps the parsed form of the last ones it read, by their exact bytes.
//!
//! # Security
//! The bytes are untrusted. A lookup compares the whole byte string, so it gives exactly what
//! parsing those bytes gives ([`parse_certificates`], with its limits); bytes that do not parse
//! are not kept and are refused with the same error each time. Only files of one certificate of
//! at most [`MAX_KEPT_CERTIFICATE_BYTES`] are kept, at most [`MAX_KEPT_CERTIFICATES`] of them
//! (the oldest dropped first), so the memory kept is bounded whatever the caller passes.
//! Certificates are public: nothing secret is kept.

use super::facts::{facts, parse_certificates, CertFacts};
use crate::error::Result;
use crate::kept::Kept;
use std::cell::RefCell;
use x509_cert::Certificate;

/// Most certificates kept (a thread's recipients and the sender's own copy).
pub const MAX_KEPT_CERTIFICATES: usize = 32;

/// Largest certificate file kept (bundles and larger files are parsed on every call).
pub const MAX_KEPT_CERTIFICATE_BYTES: usize = 16 * 1024;

thread_local! {
    static KEPT: RefCell<Kept<Vec<u8>, Certificate>> = const { RefCell::new(Kept::new(MAX_KEPT_CERTIFICATES)) };
}

/// [`parse_certificates`] of `bytes`, from the kept ones when the same bytes were parsed
/// recently.
pub fn parse_certificates_kept(bytes: &[u8]) -> Result<Vec<Certificate>> {
    if let Some(cert) = KEPT.with(|kept| kept.borrow().get(bytes)) {
        return Ok(vec![cert]);
    }
    let certs = parse_certificates(bytes)?;
    if let [cert] = certs.as_slice() {
        if bytes.len() <= MAX_KEPT_CERTIFICATE_BYTES {
            KEPT.with(|kept| kept.borrow_mut().keep(bytes.to_vec(), cert.clone()));
        }
    }
    Ok(certs)
}

/// Most certificates whose facts [`facts_kept`] keeps.
pub const MAX_KEPT_FACTS: usize = 32;

thread_local! {
    static FACTS: RefCell<Kept<Certificate, CertFacts>> = const { RefCell::new(Kept::new(MAX_KEPT_FACTS)) };
}

/// [`facts`] of `cert`, from the kept ones when an equal certificate was described recently
/// (the encryption choice describes every recipient on every message; the facts hash and
/// re-encode the certificate). Equal decoded certificates have the same DER, so the same facts.
pub fn facts_kept(cert: &Certificate) -> CertFacts {
    if let Some(f) = FACTS.with(|kept| kept.borrow().get(cert)) {
        return f;
    }
    let f = facts(cert);
    FACTS.with(|kept| kept.borrow_mut().keep(cert.clone(), f.clone()));
    f
}

/// How many certificates are kept now.
#[cfg(test)]
fn kept_count() -> usize {
    KEPT.with(|kept| kept.borrow().len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::{Decode, Encode};
    use std::process::Command;

    /// Certificates that differ in their serial, DER, one per serial (each below 0x7000).
    ///
    /// openssl makes one self-signed P-256 certificate, with the two-byte serial 0x1000; the
    /// others are its bytes with `0x1000 + serial` in the serial's place (same length, so the
    /// DER stays well formed). Their signatures no longer match, which nothing here checks:
    /// the kept certificates are looked up by their exact bytes, and the facts neither verify
    /// nor depend on the signature's value. One openssl run instead of one per certificate.
    fn certs(dir: &std::path::Path, serials: std::ops::Range<u32>) -> Vec<Vec<u8>> {
        let key = dir.join("key.pem");
        let ok = Command::new("openssl").args(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out"]).arg(&key).status().unwrap().success();
        assert!(ok, "openssl genpkey");
        let out = dir.join("cert.der");
        let ok = Command::new("openssl")
            .args(["req", "-x509", "-new", "-key"])
            .arg(&key)
            .args(["-subj", "/CN=kept", "-set_serial", "4096", "-days", "30", "-outform", "DER", "-out"])
            .arg(&out)
            .status()
            .unwrap()
            .success();
        assert!(ok, "openssl req");
        let der = std::fs::read(out).unwrap();
        // version [0] { INTEGER 2 }, then serialNumber INTEGER 0x1000: once, in the TBSCertificate.
        let head = [0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x02, 0x10, 0x00];
        let at = der.windows(head.len()).position(|w| w == head).expect("version and serial") + head.len() - 2;
        assert_eq!(der.windows(head.len()).filter(|w| *w == head).count(), 1);
        serials
            .map(|serial| {
                assert!(serial < 0x7000);
                let mut c = der.clone();
                c[at..at + 2].copy_from_slice(&u16::try_from(0x1000 + serial).unwrap().to_be_bytes());
                assert_eq!(Certificate::from_der(&c).unwrap().tbs_certificate().serial_number().as_bytes(), &c[at..at + 2]);
                c
            })
            .collect()
    }

    fn json(f: &CertFacts) -> serde_json::Value {
        serde_json::to_value(f).unwrap()
    }

    fn serial(c: &Certificate) -> Vec<u8> {
        c.tbs_certificate().serial_number().as_bytes().to_vec()
    }

    #[test]
    fn kept_by_exact_bytes_and_bounded() {
        let dir = std::env::temp_dir().join(format!("cachet-kept-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let n = u32::try_from(MAX_KEPT_CERTIFICATES).unwrap() + 8;
        let ders = certs(&dir, 1..n + 1);
        std::fs::remove_dir_all(&dir).unwrap();
        // Start from none, whichever thread runs the test.
        KEPT.with(|kept| kept.borrow_mut().clear());
        assert_eq!(kept_count(), 0);

        let first = parse_certificates_kept(&ders[0]).unwrap();
        assert_eq!(kept_count(), 1);
        assert_eq!(first, parse_certificates(&ders[0]).unwrap());
        assert_eq!(parse_certificates_kept(&ders[0]).unwrap(), first);
        assert_eq!(kept_count(), 1);

        // Other bytes for the same certificate (PEM) are another entry with the same certificate.
        let pem = der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &ders[0]).unwrap();
        assert_eq!(parse_certificates_kept(pem.as_bytes()).unwrap(), first);
        assert_eq!(kept_count(), 2);

        // One byte changed in the signature: still a certificate, but not the kept one.
        let mut changed = ders[0].clone();
        *changed.last_mut().unwrap() ^= 1;
        let other = parse_certificates_kept(&changed).unwrap();
        assert_ne!(other, first);
        assert_eq!(other[0].to_der().unwrap(), changed);
        assert_eq!(kept_count(), 3);

        // Bytes that do not parse: refused each time, never kept.
        for _ in 0..2 {
            assert!(parse_certificates_kept(&ders[0][..ders[0].len() - 1]).is_err());
        }
        assert_eq!(kept_count(), 3);

        // More certificates than the bound: at most MAX_KEPT_CERTIFICATES, each lookup its own.
        for round in 0..2 {
            for der in &ders {
                let got = parse_certificates_kept(der).unwrap();
                assert_eq!(serial(&got[0]), serial(&Certificate::from_der(der).unwrap()), "round {round}");
                assert!(kept_count() <= MAX_KEPT_CERTIFICATES);
            }
        }
        assert_eq!(kept_count(), MAX_KEPT_CERTIFICATES);

        // A file larger than MAX_KEPT_CERTIFICATE_BYTES (PEM with a long comment) is parsed, not kept.
        let mut big = format!("{}\n", "x".repeat(MAX_KEPT_CERTIFICATE_BYTES)).into_bytes();
        big.extend_from_slice(pem.as_bytes());
        let before: Vec<Vec<u8>> = KEPT.with(|k| k.borrow().keys().cloned().collect());
        assert_eq!(parse_certificates_kept(&big).unwrap(), first);
        let after: Vec<Vec<u8>> = KEPT.with(|k| k.borrow().keys().cloned().collect());
        assert_eq!(before, after);

        // Facts: the same as computed afresh, for each of more certificates than the bound.
        FACTS.with(|kept| kept.borrow_mut().clear());
        for round in 0..2 {
            for der in &ders {
                let c = Certificate::from_der(der).unwrap();
                assert_eq!(json(&facts_kept(&c)), json(&facts(&c)), "round {round}");
                assert!(FACTS.with(|kept| kept.borrow().len()) <= MAX_KEPT_FACTS);
            }
        }
        assert_eq!(FACTS.with(|kept| kept.borrow().len()), MAX_KEPT_FACTS);
        let changed = Certificate::from_der(&changed).unwrap();
        assert_eq!(json(&facts_kept(&changed)), json(&facts(&changed)));
        assert_ne!(facts_kept(&changed).sha256, facts_kept(&Certificate::from_der(&ders[0]).unwrap()).sha256);
    }
}
