//! Damaged and foreign input gives typed errors, never a panic.

use super::openssl_in::openssl_p12;
use super::*;
use crate::error::Code;
use crate::pkcs12::{import, MAX_PKCS12_SIZE};

#[test]
fn garbage_is_bad_pkcs12() {
    for input in [&b""[..], b"hello", b"\x30\x80", b"\x30\x03\x02\x01\x03", &[0xff; 64], b"-----BEGIN CERTIFICATE-----\n"] {
        let e = import(input, "x").unwrap_err();
        assert_eq!(e.code, Code::BadPkcs12, "{input:?}: {e}");
        assert!(e.detail.is_some());
    }
    let e = import(&vec![0u8; MAX_PKCS12_SIZE + 1], "x").unwrap_err();
    assert_eq!(e.code, Code::LimitExceeded);
}

#[test]
fn a_certificate_is_not_pkcs12() {
    let Some(f) = fixture() else { return };
    let der = der_of(&f.cert("alice"));
    assert_eq!(import(&der, "x").unwrap_err().code, Code::BadPkcs12);
}

#[test]
fn truncated_files_fail_cleanly() {
    let Some(f) = fixture() else { return };
    for extra in [&[][..], &["-legacy"][..], &["-nomac"][..]] {
        let bytes = openssl_p12(f, "carol", "secret", extra).unwrap();
        for len in 0..bytes.len() {
            let e = import(&bytes[..len], "secret").unwrap_err();
            assert!(matches!(e.code, Code::BadPkcs12 | Code::WrongPassword), "{extra:?} at {len}: {e}");
        }
    }
}

#[test]
fn flipped_bytes_never_panic() {
    let Some(f) = fixture() else { return };
    let good = der_of(&f.cert("carol"));
    for extra in [&["-iter", "1"][..], &["-legacy", "-iter", "1"][..], &["-nomac", "-iter", "1"][..]] {
        let bytes = openssl_p12(f, "carol", "secret", extra).unwrap();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x41;
            match import(&b, "secret") {
                // Only the unprotected parts of a -nomac file may change without notice.
                Ok(id) => assert!(extra.contains(&"-nomac") || der_of(&id.certificate) == good, "{extra:?} at {i}"),
                Err(e) => assert!(
                    matches!(e.code, Code::BadPkcs12 | Code::WrongPassword | Code::UnsupportedAlgorithm | Code::LimitExceeded | Code::NoPrivateKey),
                    "{extra:?} at {i}: {e}"
                ),
            }
        }
    }
}
