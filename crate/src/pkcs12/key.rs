//! Private keys held by an identity: RSA, EC P-256 and P-384, read from PKCS#8 (RFC 5958)
//! and matched to certificates by public key (RFC 5280 SubjectPublicKeyInfo).
//!
//! # Security
//! The key types zeroize themselves on drop (`rsa` and `elliptic-curve` implement
//! `ZeroizeOnDrop`); `Debug` shows only the algorithm and size. No public function returns
//! the plain key bytes: PKCS#8 encoding is private to the crate, for the backup export and,
//! in the Wasm build, the import of the key into WebCrypto as a non-extractable key.

use crate::oid::{OID_EC_PUBLIC_KEY, OID_P256, OID_P384, OID_RSASSA_PSS, OID_RSA_ENCRYPTION};
use crate::crypto::rsa_private::RsaKey;
use crate::error::{Code, Error, Result};
use const_oid::ObjectIdentifier;
use der::Encode;
use rsa::traits::PublicKeyParts;
use std::fmt;
use x509_cert::Certificate;
use zeroize::Zeroizing;

/// A private key Cachet can sign and decrypt with.
// Not boxed: the RSA variant is larger, but identities are few and long-lived.
#[allow(clippy::large_enum_variant)]
pub enum PrivateKey {
    Rsa(RsaKey),
    P256(p256::SecretKey),
    P384(p384::SecretKey),
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrivateKey::Rsa(k) => write!(f, "PrivateKey::Rsa({} bits)", k.size() * 8),
            PrivateKey::P256(_) => f.write_str("PrivateKey::P256"),
            PrivateKey::P384(_) => f.write_str("PrivateKey::P384"),
        }
    }
}

fn bad_key(detail: impl fmt::Display) -> Error {
    Error::new(Code::BadPkcs12, "The private key in the PKCS#12 file is damaged.", "Export the certificate and key again.")
        .with_detail(format!("private key: {detail}"))
}

fn unsupported_key(what: String) -> Error {
    Error::new(
        Code::UnsupportedAlgorithm,
        format!("The private key is of a kind Cachet does not support ({what})."),
        "Use an RSA, P-256 or P-384 key.",
    )
    .with_detail(what)
}

fn oid_name(oid: ObjectIdentifier) -> String {
    crate::cert::names::algorithm_name(&oid)
}

impl PrivateKey {
    /// Read a PKCS#8 PrivateKeyInfo (DER).
    pub(super) fn from_pkcs8_der(der: &[u8]) -> Result<PrivateKey> {
        use pkcs8::DecodePrivateKey;
        let info = pkcs8::PrivateKeyInfoRef::try_from(der).map_err(bad_key)?;
        let alg = info.algorithm.oid;
        if alg == OID_RSA_ENCRYPTION {
            return rsa::PrivateKey::from_pkcs8_der(der).map(|k| PrivateKey::Rsa(RsaKey::new(k))).map_err(bad_key);
        }
        if alg == OID_RSASSA_PSS {
            // RSASSA-PSS keys (RFC 4055): the same RSAPrivateKey, perhaps with PSS parameters in
            // the AlgorithmIdentifier. The signer sees the restriction in the certificate's SPKI.
            use pkcs1::DecodeRsaPrivateKey;
            return rsa::PrivateKey::from_pkcs1_der(info.private_key.as_bytes()).map(|k| PrivateKey::Rsa(RsaKey::new(k))).map_err(bad_key);
        }
        if alg != OID_EC_PUBLIC_KEY {
            return Err(unsupported_key(oid_name(alg)));
        }
        let curve = info.algorithm.parameters.and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        match curve {
            Some(OID_P256) => p256::SecretKey::from_pkcs8_der(der).map(PrivateKey::P256).map_err(bad_key),
            Some(OID_P384) => p384::SecretKey::from_pkcs8_der(der).map(PrivateKey::P384).map_err(bad_key),
            Some(other) => Err(unsupported_key(format!("EC curve {}", oid_name(other)))),
            None => Err(unsupported_key("EC key without a named curve".into())),
        }
    }

    /// PKCS#8 DER of the key, only for encrypting it into a backup and for importing it
    /// into WebCrypto (non-extractable) in the Wasm build. Zeroized on drop.
    pub(crate) fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        use pkcs8::EncodePrivateKey;
        let doc = match self {
            PrivateKey::Rsa(k) => k.to_pkcs8_der(),
            PrivateKey::P256(k) => k.to_pkcs8_der(),
            PrivateKey::P384(k) => k.to_pkcs8_der(),
        }
        .map_err(|e| Error::new(Code::Crypto, "The key could not be prepared for the backup.", "Try again.").with_detail(e))?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// "RSA", "P-256" or "P-384".
    pub fn algorithm(&self) -> &'static str {
        match self {
            PrivateKey::Rsa(_) => "RSA",
            PrivateKey::P256(_) => "P-256",
            PrivateKey::P384(_) => "P-384",
        }
    }

    /// Whether `cert` carries this key's public key.
    pub fn matches(&self, cert: &Certificate) -> bool {
        use spki::DecodePublicKey;
        let Ok(spki) = cert.tbs_certificate().subject_public_key_info().to_der() else {
            return false;
        };
        match self {
            PrivateKey::Rsa(k) => {
                // rsaEncryption or RSASSA-PSS: both carry a PKCS#1 RSAPublicKey.
                use pkcs1::DecodeRsaPublicKey;
                let info = cert.tbs_certificate().subject_public_key_info();
                if info.algorithm.oid != OID_RSA_ENCRYPTION && info.algorithm.oid != OID_RSASSA_PSS {
                    return false;
                }
                let Some(bits) = info.subject_public_key.as_bytes() else {
                    return false;
                };
                rsa::PublicKey::from_pkcs1_der(bits).map(|p| p.n() == k.n() && p.e() == k.e()).unwrap_or(false)
            }
            PrivateKey::P256(k) => p256::PublicKey::from_public_key_der(&spki).map(|p| p == k.public_key()).unwrap_or(false),
            PrivateKey::P384(k) => p384::PublicKey::from_public_key_der(&spki).map(|p| p == k.public_key()).unwrap_or(false),
        }
    }
}
