//! What a SubjectPublicKeyInfo (RFC 5280 4.1.2.7) holds, for display and for the key-size
//! checks of signature verification and policy: algorithm, size and curve
//! (RFC 8017, RFC 4055, RFC 5480, RFC 8410).
//!
//! # Security
//! [`key_info`] reads an untrusted key: an RSA key that does not parse has no size, an EC
//! key without a named curve is `unknown`. Never panics.

use crate::oid::{OID_EC_PUBLIC_KEY, OID_ED25519, OID_P256, OID_P384, OID_P521, OID_RSASSA_PSS, OID_RSA_ENCRYPTION};
use const_oid::ObjectIdentifier;
use der::Decode;
use serde::Serialize;

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct KeyInfo {
    /// "RSA", "RSASSA-PSS", "EC", "Ed25519" or the OID.
    pub algorithm: String,
    /// Modulus bits for RSA, field bits for EC.
    pub bits: Option<u32>,
    /// Curve name for EC keys ("P-256", "P-384", "P-521").
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub curve: Option<String>,
}

pub fn key_info(spki: &spki::SubjectPublicKeyInfoOwned) -> KeyInfo {
    let oid = spki.algorithm.oid;
    if oid == OID_RSA_ENCRYPTION || oid == OID_RSASSA_PSS {
        let bits = spki
            .subject_public_key
            .as_bytes()
            .and_then(|b| pkcs1::RsaPublicKey::<der::asn1::UintRef<'_>>::from_der(b).ok())
            .map(|k| {
                let m = k.modulus.as_bytes();
                let lead = m.iter().take_while(|b| **b == 0).count();
                let m = m.get(lead..).unwrap_or(&[]);
                m.first().map(|f| (m.len() as u32 - 1) * 8 + (8 - f.leading_zeros())).unwrap_or(0)
            });
        let algorithm = if oid == OID_RSA_ENCRYPTION { "RSA" } else { "RSASSA-PSS" };
        return KeyInfo { algorithm: algorithm.into(), bits, curve: None };
    }
    if oid == OID_EC_PUBLIC_KEY {
        let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        let (name, bits) = match curve {
            Some(c) if c == OID_P256 => ("P-256".to_string(), Some(256)),
            Some(c) if c == OID_P384 => ("P-384".to_string(), Some(384)),
            Some(c) if c == OID_P521 => ("P-521".to_string(), Some(521)),
            Some(c) => (c.to_string(), None),
            None => ("unknown".to_string(), None),
        };
        return KeyInfo { algorithm: "EC".into(), bits, curve: Some(name) };
    }
    if oid == OID_ED25519 {
        return KeyInfo { algorithm: "Ed25519".into(), bits: Some(256), curve: None };
    }
    KeyInfo { algorithm: oid.to_string(), bits: None, curve: None }
}

/// Most parsed RSA public keys [`rsa_public_key`] keeps (the oldest is dropped first).
pub const MAX_KEPT_RSA_PUBLIC_KEYS: usize = 16;

thread_local! {
    /// PKCS#1 RSAPublicKey bytes -> the parsed key with its Montgomery parameters.
    static RSA_PUBLIC_KEYS: std::cell::RefCell<crate::kept::Kept<Vec<u8>, rsa::PublicKey>> =
        const { std::cell::RefCell::new(crate::kept::Kept::new(MAX_KEPT_RSA_PUBLIC_KEYS)) };
}

/// The RSA public key in PKCS#1 RSAPublicKey bytes (a subjectPublicKey's bits), parsed once:
/// parsing computes the modulus's Montgomery parameters (a division of a 4096-bit number),
/// which costs about a fifth of a 2048-bit public-key operation, and the same few keys come
/// back on every message (the recipients of a thread, the sender's own certificate whose
/// signature is checked after signing). Keys are kept by their exact bytes, at most
/// [`MAX_KEPT_RSA_PUBLIC_KEYS`]; a key that does not parse is not kept.
///
/// # Security
/// `pkcs1` is untrusted (a certificate from a message): it is parsed by the `rsa` crate with
/// its size limits exactly as without the cache, and only a key it accepted is kept, under the
/// same bytes, so a lookup gives what parsing those bytes gives. Public keys only: nothing
/// secret is kept.
pub fn rsa_public_key(pkcs1: &[u8]) -> rsa::pkcs1::Result<rsa::PublicKey> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    let kept = RSA_PUBLIC_KEYS.with(|keys| keys.borrow().get(pkcs1));
    if let Some(key) = kept {
        return Ok(key);
    }
    let key = rsa::PublicKey::from_pkcs1_der(pkcs1)?;
    RSA_PUBLIC_KEYS.with(|keys| keys.borrow_mut().keep(pkcs1.to_vec(), key.clone()));
    Ok(key)
}

/// How many parsed RSA public keys [`rsa_public_key`] keeps now.
#[cfg(test)]
pub(crate) fn kept_rsa_public_keys() -> usize {
    RSA_PUBLIC_KEYS.with(|keys| keys.borrow().len())
}

/// Forget the kept keys (a test starts from none, whichever thread runs it).
#[cfg(test)]
fn forget_rsa_public_keys() {
    RSA_PUBLIC_KEYS.with(|keys| keys.borrow_mut().clear());
}

#[cfg(test)]
mod rsa_public_key_tests {
    use super::*;
    use der::Encode;
    use rsa::traits::PublicKeyParts;

    /// PKCS#1 RSAPublicKey bytes of a 2048-bit odd modulus and the exponent `e` (parsing does
    /// not test primality, so distinct keys are cheap to make).
    fn key_bytes(e: u32) -> Vec<u8> {
        let n = [0xd3u8; 256];
        let e = e.to_be_bytes();
        let key = pkcs1::RsaPublicKey { modulus: der::asn1::UintRef::new(&n).unwrap(), public_exponent: der::asn1::UintRef::new(&e).unwrap() };
        key.to_der().unwrap()
    }

    #[test]
    fn kept_by_exact_bytes_and_bounded() {
        forget_rsa_public_keys();
        assert_eq!(kept_rsa_public_keys(), 0);
        let first = key_bytes(65537);
        assert_eq!(rsa_public_key(&first).unwrap().e().to_be_bytes().last(), Some(&1));
        assert_eq!(kept_rsa_public_keys(), 1);
        // The same bytes: the kept key, nothing added.
        let again = rsa_public_key(&first).unwrap();
        assert_eq!(kept_rsa_public_keys(), 1);
        assert_eq!(again, rsa::PublicKey::new(again.n().as_ref().clone(), rsa::BoxedUint::from(65537u32)).unwrap());
        // Bytes that do not parse are refused as before and not kept; a too-small exponent too.
        assert!(rsa_public_key(&first[..first.len() - 1]).is_err());
        assert!(rsa_public_key(&key_bytes(1)).is_err());
        assert_eq!(kept_rsa_public_keys(), 1);
        // More distinct keys than the bound: at most MAX_KEPT_RSA_PUBLIC_KEYS are kept, and each
        // lookup gives the key of exactly its bytes (another exponent is another key).
        for i in 0..(2 * MAX_KEPT_RSA_PUBLIC_KEYS as u32) {
            let e = 65539 + 2 * i;
            let key = rsa_public_key(&key_bytes(e)).unwrap();
            assert_eq!(key.e(), &rsa::BoxedUint::from(e));
            assert!(kept_rsa_public_keys() <= MAX_KEPT_RSA_PUBLIC_KEYS);
        }
        assert_eq!(kept_rsa_public_keys(), MAX_KEPT_RSA_PUBLIC_KEYS);
        // The first key was dropped (oldest first) and is parsed again, with the same result.
        assert_eq!(rsa_public_key(&first).unwrap(), again);
        assert_eq!(kept_rsa_public_keys(), MAX_KEPT_RSA_PUBLIC_KEYS);
    }
}
