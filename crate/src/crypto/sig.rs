//! Signature verification for CMS SignerInfos and X.509 certificates, behind one call.
//! RFC 8017 sections 8.1/8.2 (RSASSA-PSS, RSASSA-PKCS1-v1_5), RFC 4055 (PSS parameters),
//! RFC 5754 (SHA-2 with RSA/ECDSA in CMS), RFC 5758/5480 (ECDSA in X.509), RFC 5652 section 5.6.
//!
//! Supported: RSA PKCS#1 v1.5 and PSS (any salt length; MGF1 with the same hash), ECDSA on
//! P-256 and P-384 with any SHA-1/SHA-2 digest. Named as unsupported: ECDSA P-521, Ed25519,
//! Ed448, DSA, MD5. Whether an algorithm is *acceptable* is not decided here (see `policy`).

use super::digest::{digest, DigestAlg};
use super::key::key_info;
use crate::oid::{OID_EC_PUBLIC_KEY, OID_ED25519, OID_P256, OID_P384, OID_P521, OID_RSASSA_PSS, OID_RSA_ENCRYPTION};
use const_oid::{AssociatedOid, ObjectIdentifier};
use der::asn1::AnyRef;
use der::{Decode, Encode, Reader, SliceReader, Tag};
use digest::{Digest, FixedOutputReset};
use rsa::{Pkcs1v15Sign, PublicKey as RsaPublicKey, Pss};
use serde::Serialize;
use signature::hazmat::PrehashVerifier;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use std::fmt;
use x509_cert::Certificate;

use crate::oid::{OID_MD5_RSA, OID_SHA1_RSA, OID_SHA224_RSA, OID_SHA256_RSA, OID_SHA384_RSA, OID_SHA512_RSA, OID_MGF1, OID_ECDSA_SHA1, OID_ECDSA_SHA224, OID_ECDSA_SHA256, OID_ECDSA_SHA384, OID_ECDSA_SHA512, OID_ED448, OID_DSA, OID_DSA_SHA1, OID_DSA_SHA224, OID_DSA_SHA256};

/// Elliptic curves we verify on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Curve {
    #[serde(rename = "P-256")]
    P256,
    #[serde(rename = "P-384")]
    P384,
}

impl Curve {
    pub fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
        }
    }
}

/// How the signature was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SigScheme {
    RsaPkcs1v15,
    /// `salt_len` as declared in the parameters (verification accepts any actual length).
    RsaPss { salt_len: u32 },
    Ecdsa { curve: Curve },
}

/// What a verified signature used: input for the policy and for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SigInfo {
    pub digest: DigestAlg,
    pub scheme: SigScheme,
    /// RSA modulus bits, or the curve's field size for ECDSA.
    pub key_bits: u32,
}

impl SigInfo {
    /// E.g. "RSA-PSS (2048 bits) with SHA-256", "ECDSA P-256 with SHA-384".
    pub fn describe(&self) -> String {
        match self.scheme {
            SigScheme::RsaPkcs1v15 => format!("RSA ({} bits) with {}", self.key_bits, self.digest.name()),
            SigScheme::RsaPss { .. } => format!("RSA-PSS ({} bits) with {}", self.key_bits, self.digest.name()),
            SigScheme::Ecdsa { curve } => format!("ECDSA {} with {}", curve.name(), self.digest.name()),
        }
    }
}

/// Why a signature was not verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "kebab-case")]
pub enum SigFailure {
    /// The signature does not verify with this key (includes malformed signature values).
    Invalid,
    /// The algorithm is known but not implemented or refused; the string names it.
    Unsupported(String),
    /// The public key cannot be decoded or is out of range.
    BadKey(String),
    /// Algorithm identifiers contradict each other or the key (e.g. ECDSA with an RSA key).
    Mismatch(String),
}

impl fmt::Display for SigFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SigFailure::Invalid => write!(f, "the signature does not verify"),
            SigFailure::Unsupported(a) => write!(f, "unsupported signature algorithm: {a}"),
            SigFailure::BadKey(d) => write!(f, "unusable public key: {d}"),
            SigFailure::Mismatch(d) => write!(f, "algorithm mismatch: {d}"),
        }
    }
}

impl std::error::Error for SigFailure {}

type SigResult<T> = std::result::Result<T, SigFailure>;

enum KeyKind {
    Rsa { pss_only: bool },
    Ec(Curve),
}

enum Plan {
    Pkcs1(Option<DigestAlg>),
    Pss { hash: DigestAlg, salt_len: u32 },
    Ecdsa(Option<DigestAlg>),
}

fn key_kind(spki: &SubjectPublicKeyInfoOwned) -> SigResult<KeyKind> {
    let oid = spki.algorithm.oid;
    if oid == OID_RSA_ENCRYPTION {
        return Ok(KeyKind::Rsa { pss_only: false });
    }
    if oid == OID_RSASSA_PSS {
        return Ok(KeyKind::Rsa { pss_only: true });
    }
    if oid == OID_EC_PUBLIC_KEY {
        let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        return match curve {
            Some(c) if c == OID_P256 => Ok(KeyKind::Ec(Curve::P256)),
            Some(c) if c == OID_P384 => Ok(KeyKind::Ec(Curve::P384)),
            Some(c) if c == OID_P521 => Err(SigFailure::Unsupported("ECDSA P-521".into())),
            Some(c) => Err(SigFailure::Unsupported(format!("ECDSA on curve {c}"))),
            None => Err(SigFailure::BadKey("EC key without a named curve".into())),
        };
    }
    if oid == OID_ED25519 {
        return Err(SigFailure::Unsupported("Ed25519".into()));
    }
    if oid == OID_ED448 {
        return Err(SigFailure::Unsupported("Ed448".into()));
    }
    if oid == OID_DSA {
        return Err(SigFailure::Unsupported("DSA".into()));
    }
    Err(SigFailure::Unsupported(format!("public key algorithm {oid}")))
}

fn hash_of_alg_id(oid: &ObjectIdentifier) -> SigResult<DigestAlg> {
    DigestAlg::from_oid(oid).ok_or_else(|| SigFailure::Unsupported(format!("digest algorithm {oid}")))
}

/// Parse RSASSA-PSS-params (RFC 4055 section 3.1). Absent parameters mean the SHA-1 defaults.
fn pss_plan(alg: &AlgorithmIdentifierOwned) -> SigResult<Plan> {
    let params = match &alg.parameters {
        None => pkcs1::RsaPssParamsOwned::default(),
        Some(any) => {
            let der_bytes = any.to_der().map_err(|e| SigFailure::Mismatch(format!("RSASSA-PSS parameters: {e}")))?;
            pkcs1::RsaPssParamsOwned::from_der(&der_bytes)
                .map_err(|e| SigFailure::Mismatch(format!("RSASSA-PSS parameters: {e}")))?
        }
    };
    let hash = hash_of_alg_id(&params.hash.oid)?;
    if params.mask_gen.oid != OID_MGF1 {
        return Err(SigFailure::Unsupported(format!("RSASSA-PSS with mask generation {}", params.mask_gen.oid)));
    }
    let mgf_hash = params.mask_gen.parameters.as_ref().map(|p| p.oid);
    if mgf_hash != Some(hash.oid()) {
        let named = mgf_hash.and_then(|o| DigestAlg::from_oid(&o)).map(|d| d.name().to_string());
        return Err(SigFailure::Unsupported(format!(
            "RSASSA-PSS with {} and MGF1-{}",
            hash.name(),
            named.unwrap_or_else(|| "unknown".into())
        )));
    }
    if params.trailer_field != pkcs1::TrailerField::BC {
        return Err(SigFailure::Unsupported("RSASSA-PSS trailer field other than 1".into()));
    }
    Ok(Plan::Pss { hash, salt_len: u32::from(params.salt_len) })
}

fn plan_for(sig_alg: &AlgorithmIdentifierOwned) -> SigResult<Plan> {
    let oid = sig_alg.oid;
    let p = match oid {
        o if o == OID_RSA_ENCRYPTION => Plan::Pkcs1(None),
        o if o == OID_SHA1_RSA => Plan::Pkcs1(Some(DigestAlg::Sha1)),
        o if o == OID_SHA224_RSA => Plan::Pkcs1(Some(DigestAlg::Sha224)),
        o if o == OID_SHA256_RSA => Plan::Pkcs1(Some(DigestAlg::Sha256)),
        o if o == OID_SHA384_RSA => Plan::Pkcs1(Some(DigestAlg::Sha384)),
        o if o == OID_SHA512_RSA => Plan::Pkcs1(Some(DigestAlg::Sha512)),
        o if o == OID_RSASSA_PSS => return pss_plan(sig_alg),
        o if o == OID_EC_PUBLIC_KEY => Plan::Ecdsa(None),
        o if o == OID_ECDSA_SHA1 => Plan::Ecdsa(Some(DigestAlg::Sha1)),
        o if o == OID_ECDSA_SHA224 => Plan::Ecdsa(Some(DigestAlg::Sha224)),
        o if o == OID_ECDSA_SHA256 => Plan::Ecdsa(Some(DigestAlg::Sha256)),
        o if o == OID_ECDSA_SHA384 => Plan::Ecdsa(Some(DigestAlg::Sha384)),
        o if o == OID_ECDSA_SHA512 => Plan::Ecdsa(Some(DigestAlg::Sha512)),
        o if o == OID_MD5_RSA => return Err(SigFailure::Unsupported("MD5 with RSA".into())),
        o if o == OID_ED25519 => return Err(SigFailure::Unsupported("Ed25519".into())),
        o if o == OID_ED448 => return Err(SigFailure::Unsupported("Ed448".into())),
        o if o == OID_DSA || o == OID_DSA_SHA1 || o == OID_DSA_SHA224 || o == OID_DSA_SHA256 => {
            return Err(SigFailure::Unsupported("DSA".into()))
        }
        o => return Err(SigFailure::Unsupported(format!("signature algorithm {o}"))),
    };
    Ok(p)
}

/// Combine the digest implied by the signature algorithm with the separately given one.
fn pick_digest(from_sig: Option<DigestAlg>, given: Option<DigestAlg>) -> SigResult<DigestAlg> {
    match (from_sig, given) {
        (Some(a), Some(b)) if a != b => Err(SigFailure::Mismatch(format!(
            "the signature algorithm names {} but the digest algorithm is {}",
            a.name(),
            b.name()
        ))),
        (Some(a), _) | (None, Some(a)) => Ok(a),
        (None, None) => Err(SigFailure::Mismatch("no digest algorithm given for a plain key algorithm".into())),
    }
}

fn hash_message(alg: DigestAlg, message: &[u8]) -> SigResult<Vec<u8>> {
    digest(alg, message).map_err(|_| SigFailure::Unsupported(alg.name().to_string()))
}

fn rsa_pkcs1<D: Digest + AssociatedOid>(key: &RsaPublicKey, hash: &[u8], sig: &[u8]) -> SigResult<()> {
    use rsa::traits::PublicKeyParts;
    let scheme = Pkcs1v15Sign::new::<D>();
    if scheme.hash_len != Some(hash.len()) {
        return Err(SigFailure::Invalid);
    }
    let encoded = super::rsa_public::public_op(key, sig).ok_or(SigFailure::Invalid)?;
    (encoded == emsa_pkcs1_v1_5(&scheme.prefix, hash, key.size()).ok_or(SigFailure::Invalid)?)
        .then_some(())
        .ok_or(SigFailure::Invalid)
}

/// EMSA-PKCS1-v1_5 (RFC 8017 section 9.2): 0x00 0x01, 0xff padding (at least 8 bytes), 0x00,
/// the DigestInfo prefix and the hash; k bytes. Verification compares the whole encoding, as
/// section 8.2.2 step 3 says, so nothing of the recovered block is parsed.
fn emsa_pkcs1_v1_5(prefix: &[u8], hash: &[u8], k: usize) -> Option<Vec<u8>> {
    let padding = k.checked_sub(3 + prefix.len() + hash.len()).filter(|&n| n >= 8)?;
    let mut em = Vec::with_capacity(k);
    em.extend_from_slice(&[0x00, 0x01]);
    em.resize(2 + padding, 0xff);
    em.push(0x00);
    em.extend_from_slice(prefix);
    em.extend_from_slice(hash);
    Some(em)
}

fn rsa_pss<D: Digest + FixedOutputReset>(key: &RsaPublicKey, hash: &[u8], sig: &[u8]) -> SigResult<()> {
    // salt_len None: the salt length is recovered from the encoded message, so the
    // declared length (OpenSSL writes 222 or 32, others 20) never causes a false failure.
    let scheme = Pss::<D> { blinded: false, digest: D::new(), salt_len: None };
    key.verify(scheme, hash, sig).map_err(|_| SigFailure::Invalid)
}

fn verify_rsa(key_bytes: &[u8], plan: &Plan, alg: DigestAlg, hash: &[u8], sig: &[u8]) -> SigResult<()> {
    let key = super::key::rsa_public_key(key_bytes)
        .map_err(|e| SigFailure::BadKey(format!("RSA public key not usable (below 1024 or above 8192 bits, or malformed): {e}")))?;
    match (plan, alg) {
        (Plan::Pss { .. }, DigestAlg::Sha1) => rsa_pss::<sha1::Sha1>(&key, hash, sig),
        (Plan::Pss { .. }, DigestAlg::Sha224) => rsa_pss::<sha2::Sha224>(&key, hash, sig),
        (Plan::Pss { .. }, DigestAlg::Sha256) => rsa_pss::<sha2::Sha256>(&key, hash, sig),
        (Plan::Pss { .. }, DigestAlg::Sha384) => rsa_pss::<sha2::Sha384>(&key, hash, sig),
        (Plan::Pss { .. }, DigestAlg::Sha512) => rsa_pss::<sha2::Sha512>(&key, hash, sig),
        (_, DigestAlg::Sha1) => rsa_pkcs1::<sha1::Sha1>(&key, hash, sig),
        (_, DigestAlg::Sha224) => rsa_pkcs1::<sha2::Sha224>(&key, hash, sig),
        (_, DigestAlg::Sha256) => rsa_pkcs1::<sha2::Sha256>(&key, hash, sig),
        (_, DigestAlg::Sha384) => rsa_pkcs1::<sha2::Sha384>(&key, hash, sig),
        (_, DigestAlg::Sha512) => rsa_pkcs1::<sha2::Sha512>(&key, hash, sig),
        (_, DigestAlg::Md5) => Err(SigFailure::Unsupported("MD5".into())),
    }
}

fn verify_ecdsa(curve: Curve, point: &[u8], hash: &[u8], sig: &[u8]) -> SigResult<()> {
    let bad_key = |e: signature::Error| SigFailure::BadKey(format!("{} public key: {e}", curve.name()));
    match curve {
        Curve::P256 => {
            let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad_key)?;
            let s = p256::ecdsa::DerSignature::from_bytes(sig).map_err(|_| SigFailure::Invalid)?;
            vk.verify_prehash(hash, &s).map_err(|_| SigFailure::Invalid)
        }
        Curve::P384 => {
            let vk = p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad_key)?;
            let s = p384::ecdsa::DerSignature::from_bytes(sig).map_err(|_| SigFailure::Invalid)?;
            vk.verify_prehash(hash, &s).map_err(|_| SigFailure::Invalid)
        }
    }
}

/// Verify a signature as used in a CMS SignerInfo.
///
/// `digest_alg` is SignerInfo.digestAlgorithm (None for certificate signatures, where
/// `sig_alg` names the hash); `sig_alg` is SignerInfo.signatureAlgorithm: rsaEncryption,
/// sha*WithRSAEncryption, RSASSA-PSS with parameters, ecdsa-with-SHA* or id-ecPublicKey.
/// `message` is what was signed (the DER SET OF signed attributes, or the content).
/// When both name a digest they must agree, otherwise `Mismatch`.
///
/// # Security
/// All inputs may be attacker-controlled. No panics; RSA keys are limited to
/// 1024..=8192 bits by the `rsa` crate (others give `BadKey`), signatures are not
/// length-limited beyond that (a wrong length is `Invalid`). Only the algorithms listed
/// in the module documentation are computed; anything else is `Unsupported` by name.
pub fn verify_signature(
    spki: &SubjectPublicKeyInfoOwned,
    digest_alg: Option<DigestAlg>,
    sig_alg: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> std::result::Result<SigInfo, SigFailure> {
    let plan = plan_for(sig_alg)?;
    let kind = key_kind(spki)?;
    let key_bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| SigFailure::BadKey("public key BIT STRING has unused bits".into()))?;
    let key_bits = key_info(spki).bits.unwrap_or(0);
    match (&kind, &plan) {
        (KeyKind::Ec(_), Plan::Pkcs1(_) | Plan::Pss { .. }) => {
            return Err(SigFailure::Mismatch("an RSA signature algorithm with an EC key".into()))
        }
        (KeyKind::Rsa { .. }, Plan::Ecdsa(_)) => {
            return Err(SigFailure::Mismatch("an ECDSA signature algorithm with an RSA key".into()))
        }
        (KeyKind::Rsa { pss_only: true }, Plan::Pkcs1(_)) => {
            return Err(SigFailure::Mismatch("a PKCS#1 v1.5 signature with a key restricted to RSASSA-PSS".into()))
        }
        _ => {}
    }
    match (kind, plan) {
        (KeyKind::Rsa { .. }, plan) => {
            let (alg, scheme) = match &plan {
                Plan::Pss { hash, salt_len } => {
                    (pick_digest(Some(*hash), digest_alg)?, SigScheme::RsaPss { salt_len: *salt_len })
                }
                Plan::Pkcs1(d) | Plan::Ecdsa(d) => (pick_digest(*d, digest_alg)?, SigScheme::RsaPkcs1v15),
            };
            let hash = hash_message(alg, message)?;
            verify_rsa(key_bytes, &plan, alg, &hash, signature)?;
            Ok(SigInfo { digest: alg, scheme, key_bits })
        }
        (KeyKind::Ec(curve), Plan::Ecdsa(d)) => {
            let alg = pick_digest(d, digest_alg)?;
            let hash = hash_message(alg, message)?;
            verify_ecdsa(curve, key_bytes, &hash, signature)?;
            Ok(SigInfo { digest: alg, scheme: SigScheme::Ecdsa { curve }, key_bits })
        }
        (KeyKind::Ec(_), _) => Err(SigFailure::Mismatch("an RSA signature algorithm with an EC key".into())),
    }
}

/// Verify `cert`'s signature with `issuer`'s public key, over the TBS bytes as received.
/// `x509-cert` re-encodes validity dates up to 2049 as UTCTime when serialising; a
/// certificate that used GeneralizedTime for them (allowed by X.509, seen in the wild and
/// in NIST PKITS) is therefore rebuilt with its dates in their original form. The one
/// remaining difference: a multi-valued RDN whose SET OF was not in DER order (der 0.8
/// re-sorts it silently); use [`verify_certificate_signature_der`] with the original
/// bytes when they are at hand.
///
/// # Security
/// As [`verify_signature`]. Also checks that the inner and outer signature algorithm
/// identifiers are equal (RFC 5280 section 4.1.1.2), otherwise `Mismatch`.
pub fn verify_certificate_signature(issuer: &Certificate, cert: &Certificate) -> std::result::Result<SigInfo, SigFailure> {
    let tbs = tbs_as_received(cert).map_err(|e| SigFailure::Mismatch(format!("TBS re-encoding: {e}")))?;
    verify_cert_over(issuer, cert, &tbs)
}

/// The TBS encoding with the validity times in the form (UTCTime or GeneralizedTime) they
/// were decoded from, undoing the RFC 5280 normalisation x509-cert applies on encoding.
fn tbs_as_received(cert: &Certificate) -> der::Result<Vec<u8>> {
    let tbs = cert.tbs_certificate().to_der()?;
    let validity = cert.tbs_certificate().validity();
    let normalised = validity.to_der()?;
    let mut times = validity.not_before.to_der()?;
    times.extend_from_slice(&validity.not_after.to_der()?);
    let original = AnyRef::new(Tag::Sequence, &times)?.to_der()?;
    if original == normalised {
        return Ok(tbs);
    }
    let outer = AnyRef::from_der(&tbs)?;
    let value = outer.value();
    let mut r = SliceReader::new(value)?;
    while !r.is_finished() {
        let start = usize::try_from(r.position())?;
        let element: AnyRef<'_> = r.decode()?;
        let end = usize::try_from(r.position())?;
        if element.to_der()? == normalised {
            let mut rebuilt = value.get(..start).unwrap_or(&[]).to_vec();
            rebuilt.extend_from_slice(&original);
            rebuilt.extend_from_slice(value.get(end..).unwrap_or(&[]));
            return AnyRef::new(Tag::Sequence, &rebuilt)?.to_der();
        }
    }
    Ok(tbs)
}

/// As [`verify_certificate_signature`], but over the TBS bytes taken from `cert_der`,
/// the certificate exactly as received (which must be the DER of `cert`).
///
/// # Security
/// `cert_der` is walked only to its first inner element; a mismatch with `cert` just
/// makes the signature fail.
pub fn verify_certificate_signature_der(
    issuer: &Certificate,
    cert: &Certificate,
    cert_der: &[u8],
) -> std::result::Result<SigInfo, SigFailure> {
    let tbs = tbs_bytes(cert_der).map_err(|e| SigFailure::Mismatch(format!("certificate bytes: {e}")))?;
    verify_cert_over(issuer, cert, &tbs)
}

fn tbs_bytes(cert_der: &[u8]) -> der::Result<Vec<u8>> {
    let outer = AnyRef::from_der(cert_der)?;
    let mut r = SliceReader::new(outer.value())?;
    let tbs: AnyRef<'_> = r.decode()?;
    tbs.to_der()
}

fn verify_cert_over(issuer: &Certificate, cert: &Certificate, tbs: &[u8]) -> SigResult<SigInfo> {
    if cert.signature_algorithm() != cert.tbs_certificate().signature() {
        return Err(SigFailure::Mismatch("the certificate's two signature algorithm fields differ".into()));
    }
    let sig = cert.signature().as_bytes().ok_or(SigFailure::Invalid)?;
    verify_signature(issuer.tbs_certificate().subject_public_key_info(), None, cert.signature_algorithm(), tbs, sig)
}

#[cfg(test)]
#[path = "sig_tests.rs"]
mod tests;
