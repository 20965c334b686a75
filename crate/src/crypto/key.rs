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
