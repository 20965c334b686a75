//! Writing a KeyAgreeRecipientInfo for an EC recipient (RFC 5753 3.1.1, ephemeral-static
//! ECDH, "dhSinglePass-stdDH"): a fresh ephemeral key on the recipient's curve, the shared
//! secret Z (the x coordinate of the ECDH point), the KEK from the ANSI X9.63 KDF over Z and
//! ECC-CMS-SharedInfo (RFC 5753 7.2), and the content-encryption key wrapped under the KEK
//! with AES key wrap (RFC 3394).
//!
//! Choices: P-256 uses `dhSinglePass-stdDH-sha256kdf-scheme`, P-384
//! `dhSinglePass-stdDH-sha384kdf-scheme` (the KDF hash matches the curve's strength); the key
//! wrap is AES-128 wrap for a 128-bit content key and AES-256 wrap otherwise (as OpenSSL
//! pairs them); no ukm; the originator key is `id-ecPublicKey` with absent parameters (the
//! curve is the recipient's) and an uncompressed point, as OpenSSL writes it.
//!
//! # Security
//! The KEK is always the KDF output over the ECDH secret of a fresh ephemeral key: the
//! `cms` crate's builder wraps under an all-zero KEK (see the crate notes) and is not used.
//! The ephemeral secret is dropped (and zeroized by `elliptic-curve`) when the function
//! returns; Z and the KEK are zeroized. The recipient certificate is the caller's (a stored
//! contact certificate); a key not on a supported curve is refused, never used.

use super::recipients::{shared_info, x963_kdf};
use crate::crypto::DigestAlg;
use crate::error::{Code, Error, Result};
use crate::oid::{OID_AES128_WRAP, OID_AES256_WRAP, OID_EC_PUBLIC_KEY, OID_P256, OID_P384, OID_STD_DH_SHA256KDF, OID_STD_DH_SHA384KDF};
use cms::cert::IssuerAndSerialNumber;
use cms::content_info::CmsVersion;
use cms::enveloped_data::{
    KeyAgreeRecipientIdentifier, KeyAgreeRecipientInfo, OriginatorIdentifierOrKey, OriginatorPublicKey, RecipientEncryptedKey, RecipientInfo,
};
use const_oid::ObjectIdentifier;
use der::asn1::{BitString, OctetString};
use der::Any;
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use zeroize::Zeroizing;

/// The EC curves Cachet encrypts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcCurve {
    P256,
    P384,
}

impl EcCurve {
    /// "P-256" or "P-384".
    pub fn name(self) -> &'static str {
        match self {
            EcCurve::P256 => "P-256",
            EcCurve::P384 => "P-384",
        }
    }

    /// The KDF hash and the dhSinglePass-stdDH scheme OID used for this curve.
    fn kdf(self) -> (DigestAlg, ObjectIdentifier) {
        match self {
            EcCurve::P256 => (DigestAlg::Sha256, OID_STD_DH_SHA256KDF),
            EcCurve::P384 => (DigestAlg::Sha384, OID_STD_DH_SHA384KDF),
        }
    }
}

/// The curve of an EC certificate key Cachet can encrypt to, or None (RSA, another curve,
/// explicit parameters).
pub fn ec_curve(cert: &Certificate) -> Option<EcCurve> {
    let spki = cert.tbs_certificate().subject_public_key_info();
    if spki.algorithm.oid != OID_EC_PUBLIC_KEY {
        return None;
    }
    match spki.algorithm.parameters.as_ref()?.decode_as::<ObjectIdentifier>().ok()? {
        c if c == OID_P256 => Some(EcCurve::P256),
        c if c == OID_P384 => Some(EcCurve::P384),
        _ => None,
    }
}

/// Is the certificate's key an EC key (of any curve)?
pub fn is_ec(cert: &Certificate) -> bool {
    cert.tbs_certificate().subject_public_key_info().algorithm.oid == OID_EC_PUBLIC_KEY
}

/// A short description of the key agreement used for `curve`, for the compose pane.
pub fn describe(curve: EcCurve, cek_len: usize) -> String {
    let (hash, _) = curve.kdf();
    format!("ECDH {} (X9.63 KDF with {}, AES-{} key wrap)", curve.name(), hash.name(), wrap_bits(cek_len))
}

fn wrap_bits(cek_len: usize) -> u32 {
    if cek_len <= 16 {
        128
    } else {
        256
    }
}

fn err(what: impl std::fmt::Display) -> Error {
    Error::new(Code::Crypto, "The message could not be encrypted.", "Try again; if it keeps failing, check the recipient's certificate.").with_detail(what)
}

/// The ephemeral public key (uncompressed SEC1 point) and the shared secret Z with the
/// recipient's public key `point` (SEC1 bytes).
fn agree_p256(point: &[u8]) -> Result<(Vec<u8>, Zeroizing<Vec<u8>>)> {
    use p256::elliptic_curve::sec1::ToSec1Point;
    use p256::elliptic_curve::Generate;
    let peer = p256::PublicKey::from_sec1_bytes(point).map_err(|e| err(format!("recipient key: {e}")))?;
    let eph = p256::ecdh::EphemeralSecret::try_generate_from_rng(&mut getrandom::SysRng).map_err(|e| err(format!("random: {e}")))?;
    let z = Zeroizing::new(eph.diffie_hellman(&peer).raw_secret_bytes().to_vec());
    Ok((eph.public_key().to_sec1_point(false).as_bytes().to_vec(), z))
}

fn agree_p384(point: &[u8]) -> Result<(Vec<u8>, Zeroizing<Vec<u8>>)> {
    use p384::elliptic_curve::sec1::ToSec1Point;
    use p384::elliptic_curve::Generate;
    let peer = p384::PublicKey::from_sec1_bytes(point).map_err(|e| err(format!("recipient key: {e}")))?;
    let eph = p384::ecdh::EphemeralSecret::try_generate_from_rng(&mut getrandom::SysRng).map_err(|e| err(format!("random: {e}")))?;
    let z = Zeroizing::new(eph.diffie_hellman(&peer).raw_secret_bytes().to_vec());
    Ok((eph.public_key().to_sec1_point(false).as_bytes().to_vec(), z))
}

/// AES key wrap (RFC 3394) of `cek` under `kek` (16 or 32 bytes).
fn aes_wrap(kek: &[u8], cek: &[u8]) -> Result<Vec<u8>> {
    use cipher::KeyInit;
    let mut out = vec![0u8; cek.len().saturating_add(8)];
    let n = match kek.len() {
        16 => aes_kw::KwAes128::new_from_slice(kek).map_err(err)?.wrap_key(cek, &mut out).map_err(|e| err(format!("key wrap: {e:?}")))?.len(),
        32 => aes_kw::KwAes256::new_from_slice(kek).map_err(err)?.wrap_key(cek, &mut out).map_err(|e| err(format!("key wrap: {e:?}")))?.len(),
        n => return Err(err(format!("KEK of {n} bytes"))),
    };
    out.truncate(n);
    Ok(out)
}

/// A KeyAgreeRecipientInfo (version 3, originatorKey, recipient by issuer and serial
/// number) carrying `cek` for the EC certificate `cert`.
pub fn build_kari(cert: &Certificate, cek: &[u8]) -> Result<RecipientInfo> {
    let curve = ec_curve(cert).ok_or_else(|| {
        Error::new(
            Code::NoRecipientCertificate,
            format!("Cachet cannot encrypt to this certificate's key ({}).", crate::cert::facts::facts(cert).key.curve.unwrap_or_else(|| "unknown curve".into())),
            "Ask the recipient for a certificate with an RSA, P-256 or P-384 key.",
        )
    })?;
    if cek.is_empty() || !cek.len().is_multiple_of(8) {
        return Err(err(format!("content key of {} bytes", cek.len())));
    }
    let point = cert.tbs_certificate().subject_public_key_info().subject_public_key.as_bytes().ok_or_else(|| err("recipient key bits"))?;
    let (ephemeral, z) = match curve {
        EcCurve::P256 => agree_p256(point)?,
        EcCurve::P384 => agree_p384(point)?,
    };
    let (hash, scheme) = curve.kdf();
    let bits = wrap_bits(cek.len());
    let wrap = AlgorithmIdentifierOwned { oid: if bits == 128 { OID_AES128_WRAP } else { OID_AES256_WRAP }, parameters: None };
    let info = shared_info(&wrap, None, bits).ok_or_else(|| err("SharedInfo"))?;
    let kek = x963_kdf(hash, &z, &info, (bits / 8) as usize).ok_or_else(|| err("KDF"))?;
    let wrapped = aes_wrap(&kek, cek)?;
    Ok(RecipientInfo::Kari(KeyAgreeRecipientInfo {
        version: CmsVersion::V3,
        originator: OriginatorIdentifierOrKey::OriginatorKey(OriginatorPublicKey {
            algorithm: AlgorithmIdentifierOwned { oid: OID_EC_PUBLIC_KEY, parameters: None },
            public_key: BitString::from_bytes(&ephemeral).map_err(err)?,
        }),
        ukm: None,
        key_enc_alg: AlgorithmIdentifierOwned { oid: scheme, parameters: Some(Any::encode_from(&wrap).map_err(err)?) },
        recipient_enc_keys: vec![RecipientEncryptedKey {
            rid: KeyAgreeRecipientIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: cert.tbs_certificate().issuer().clone(),
                serial_number: cert.tbs_certificate().serial_number().clone(),
            }),
            enc_key: OctetString::new(wrapped).map_err(err)?,
        }],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pkcs12::Identity;
    use cachet_testkit::TempDir;
    use der::{Decode, Encode};

    fn ec_identity(dir: &TempDir, name: &str, curve: &str) -> Identity {
        dir.openssl(&[
            "req", "-x509", "-nodes", "-days", "30", "-subj", &format!("/CN={name}"), "-newkey", "ec", "-pkeyopt", &format!("ec_paramgen_curve:{curve}"),
            "-addext", "keyUsage=keyAgreement,digitalSignature", "-addext", &format!("subjectAltName=email:{name}@example.org"),
            "-keyout", &format!("{name}.key"), "-out", &format!("{name}.pem"),
        ]);
        Identity::from_pem_files(&dir.path(&format!("{name}.key")), &dir.path(&format!("{name}.pem")))
    }

    /// The content key comes back only with the recipient's own key: not with another key on
    /// the same curve, and never by unwrapping under an all-zero KEK (the `cms` builder's flaw).
    #[test]
    fn only_the_recipient_key_recovers_the_content_key() {
        let dir = TempDir::new("kari-build");
        for curve in ["P-256", "P-384"] {
            let fran = ec_identity(&dir, "fran", curve);
            let mallory = ec_identity(&dir, "mallory", curve);
            for cek_len in [16usize, 32] {
                let cek: Vec<u8> = (0..cek_len as u8).map(|i| i.wrapping_mul(29).wrapping_add(3)).collect();
                let ri = build_kari(&fran.certificate, &cek).unwrap();
                let RecipientInfo::Kari(k) = &ri else { panic!("not a KARI") };
                assert_eq!(k.version, CmsVersion::V3);
                let wrapped = k.recipient_enc_keys[0].enc_key.as_bytes().to_vec();
                assert_eq!(wrapped.len(), cek_len + 8);
                // The encoding reads back as what was built.
                let again = RecipientInfo::from_der(&ri.to_der().unwrap()).unwrap();
                assert_eq!(again, ri);
                let open = |id: &Identity| super::super::recipients::unwrap_keys(&[&ri], &[id]);
                let mine = open(&fran);
                assert!(mine.matched);
                assert_eq!(mine.keys.len(), 1, "{curve} {cek_len}");
                assert_eq!(mine.keys[0].as_slice(), cek.as_slice(), "{curve} {cek_len}");
                // Mallory's key is not named; forced onto the entry, it cannot unwrap it.
                assert!(!open(&mallory).matched);
                let forced = Identity { certificate: fran.certificate.clone(), ..Identity::from_pem_files(&dir.path("mallory.key"), &dir.path("mallory.pem")) };
                let theirs = open(&forced);
                assert!(theirs.matched && theirs.keys.is_empty(), "{curve}: a wrong EC key unwrapped the content key");
                // No all-zero KEK: unwrapping with zeros fails at the integrity check.
                for zeros in [[0u8; 16].as_slice(), [0u8; 32].as_slice()] {
                    assert!(super::super::recipients::aes_unwrap_for_tests(zeros, &wrapped).is_none(), "{curve}: all-zero KEK opens it");
                }
                // Two encryptions never share an ephemeral key.
                let RecipientInfo::Kari(k2) = build_kari(&fran.certificate, &cek).unwrap() else { panic!() };
                assert_ne!(k2.originator, k.originator);
            }
        }
    }

    #[test]
    fn refuses_keys_it_cannot_agree_with() {
        let dir = TempDir::new("kari-refuse");
        dir.openssl(&["req", "-x509", "-nodes", "-days", "30", "-subj", "/CN=p521", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521", "-keyout", "k.pem", "-out", "c.pem"]);
        let cert = crate::cert::facts::parse_certificates(&dir.read("c.pem")).unwrap().remove(0);
        assert!(is_ec(&cert) && ec_curve(&cert).is_none());
        assert_eq!(build_kari(&cert, &[7u8; 32]).unwrap_err().code, Code::NoRecipientCertificate);
        let p256 = ec_identity(&dir, "ok", "P-256");
        assert_eq!(build_kari(&p256.certificate, &[7u8; 5]).unwrap_err().code, Code::Crypto);
        assert_eq!(describe(EcCurve::P384, 32), "ECDH P-384 (X9.63 KDF with SHA-384, AES-256 key wrap)");
    }
}
