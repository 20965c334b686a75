//! RecipientInfos (RFC 5652 section 6.2): who a message was encrypted for, and recovering
//! the content-encryption key with one of the user's identities. Key transport with RSA
//! PKCS#1 v1.5 (RFC 3370 4.2.1) and RSAES-OAEP (RFC 3560, RFC 8017 7.1); key agreement with
//! ECDH P-256/P-384 (RFC 5753 3.1: dhSinglePass-stdDH with the X9.63 KDF and AES key wrap,
//! RFC 3394). Building a KeyTransRecipientInfo for an RSA certificate.
//!
//! # Security
//! PKCS#1 v1.5 decryption uses `rsa` 0.10 implicit rejection: a wrong key or bad padding
//! yields a synthetic key, never an error. The caller treats every later failure the same
//! way (`integrity-failure`), so no answer distinguishes padding from content failures
//! (RFC 3218). Timing of the RSA operation itself is the `rsa` crate's (RUSTSEC-2023-0071).

use crate::cert::lookup::{has_ski, issuer_serial_matches, recipient_matches};
use crate::cert::facts::hex;
use crate::crypto::{DigestAlg, Hasher};
use crate::asn1::der::tlv;
use crate::error::{Code, Error, Result};
use crate::pkcs12::{Identity, PrivateKey};
use super::verdict::SignerId;
use cms::cert::IssuerAndSerialNumber;
use cms::enveloped_data::{
    KeyAgreeRecipientIdentifier, KeyAgreeRecipientInfo, KeyTransRecipientInfo, OriginatorIdentifierOrKey, RecipientIdentifier, RecipientInfo,
};
use const_oid::ObjectIdentifier;
use der::{Any, Encode};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use zeroize::Zeroizing;

use crate::oid::{OID_RSA_ENCRYPTION, OID_RSAES_OAEP};
use crate::oid::{OID_MGF1, OID_PSPECIFIED, OID_EC_PUBLIC_KEY, OID_AES128_WRAP, OID_AES192_WRAP, OID_AES256_WRAP};

/// Most recipient keys in one message (RFC 5652 6.1 recipientInfos): a key-transport,
/// KEK, password or other RecipientInfo counts one, a KeyAgreeRecipientInfo counts each of
/// its RecipientEncryptedKeys. A message over the limit is `malformed` (`LimitExceeded`)
/// before any key of the user is tried, so the answer never depends on where the user's
/// entry lies.
pub const MAX_RECIPIENTS: usize = 256;

/// Most private-key operations (RSA decryptions, ECDH agreements) spent on one envelope,
/// over every identity and RecipientInfo together. A real message names the user once or
/// twice; trying every RSA key on every unnamed RecipientInfo (see [`unwrap_keys`]) is the
/// costly case. When the budget ends before every candidate was tried and nothing opened,
/// the envelope is `malformed` (`LimitExceeded`), not `no-key`.
pub const MAX_KEY_UNWRAPS: usize = 32;

/// The number of recipient keys the RecipientInfos carry, as counted by [`MAX_RECIPIENTS`].
pub fn count_recipient_keys(infos: &[RecipientInfo]) -> usize {
    infos
        .iter()
        .map(|ri| match ri {
            RecipientInfo::Kari(k) => k.recipient_enc_keys.len(),
            _ => 1,
        })
        .fold(0usize, usize::saturating_add)
}

/// dhSinglePass-stdDH-*kdf-scheme OIDs (RFC 5753 7.1.4) and their KDF hash.
fn std_dh_kdf(oid: &ObjectIdentifier) -> Option<DigestAlg> {
    use crate::oid::{OID_STD_DH_SHA1KDF, OID_STD_DH_SHA224KDF, OID_STD_DH_SHA256KDF, OID_STD_DH_SHA384KDF, OID_STD_DH_SHA512KDF};
    [
        (OID_STD_DH_SHA1KDF, DigestAlg::Sha1),
        (OID_STD_DH_SHA224KDF, DigestAlg::Sha224),
        (OID_STD_DH_SHA256KDF, DigestAlg::Sha256),
        (OID_STD_DH_SHA384KDF, DigestAlg::Sha384),
        (OID_STD_DH_SHA512KDF, DigestAlg::Sha512),
    ]
    .into_iter()
    .find_map(|(o, d)| (o == *oid).then_some(d))
}

fn ias_id(ias: &IssuerAndSerialNumber) -> SignerId {
    SignerId::IssuerAndSerial { issuer: crate::cert::names::name_string(&ias.issuer), serial: hex(ias.serial_number.as_bytes()) }
}

/// The recipients named by the RecipientInfos (a KARI may name several), at most `max`.
pub fn recipient_ids(infos: &[RecipientInfo], max: usize) -> Vec<SignerId> {
    let mut out = Vec::new();
    for ri in infos {
        if out.len() >= max {
            break;
        }
        match ri {
            RecipientInfo::Ktri(k) => out.push(rid_id(&k.rid)),
            RecipientInfo::Kari(k) => {
                let room = max.saturating_sub(out.len());
                out.extend(k.recipient_enc_keys.iter().take(room).map(|rek| match &rek.rid {
                    KeyAgreeRecipientIdentifier::IssuerAndSerialNumber(ias) => ias_id(ias),
                    KeyAgreeRecipientIdentifier::RKeyId(r) => SignerId::SubjectKeyIdentifier { key_id: hex(r.subject_key_identifier.0.as_bytes()) },
                }));
            }
            RecipientInfo::Kekri(k) => out.push(SignerId::SubjectKeyIdentifier { key_id: format!("KEK {}", hex(k.kek_id.kek_identifier.as_bytes())) }),
            RecipientInfo::Pwri(_) => out.push(SignerId::SubjectKeyIdentifier { key_id: "password".into() }),
            RecipientInfo::Ori(o) => out.push(SignerId::SubjectKeyIdentifier { key_id: format!("other {}", o.ori_type) }),
        }
    }
    out
}

/// Most distinct key-management names [`key_management`] reports.
const MAX_KEY_MANAGEMENT_NAMES: usize = 8;

/// How the content key was sent to the recipients, each kind once, in RecipientInfo order
/// (at most [`MAX_KEY_MANAGEMENT_NAMES`]): "RSA PKCS #1 v1.5", "RSA-OAEP (SHA-256)",
/// "ECDH (X9.63 KDF with SHA-256, AES-256 key wrap)", "key-encryption key", "password".
///
/// # Security
/// Reads only algorithm identifiers of untrusted RecipientInfos; unknown ones are named by OID.
pub fn key_management(infos: &[RecipientInfo]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for ri in infos {
        let name = match ri {
            RecipientInfo::Ktri(k) if k.key_enc_alg.oid == OID_RSA_ENCRYPTION => "RSA PKCS #1 v1.5".to_string(),
            RecipientInfo::Ktri(k) if k.key_enc_alg.oid == OID_RSAES_OAEP => match oaep_params(k.key_enc_alg.parameters.as_ref()) {
                Some((hash, _, _)) => format!("RSA-OAEP ({})", hash.name()),
                None => "RSA-OAEP".to_string(),
            },
            RecipientInfo::Ktri(k) => format!("key transport {}", k.key_enc_alg.oid),
            RecipientInfo::Kari(k) => {
                let wrap = k.key_enc_alg.parameters.as_ref().and_then(|p| p.decode_as::<AlgorithmIdentifierOwned>().ok()).map(|w| match w.oid {
                    OID_AES128_WRAP => "AES-128 key wrap".to_string(),
                    OID_AES192_WRAP => "AES-192 key wrap".to_string(),
                    OID_AES256_WRAP => "AES-256 key wrap".to_string(),
                    other => format!("key wrap {other}"),
                });
                match (std_dh_kdf(&k.key_enc_alg.oid), wrap) {
                    (Some(h), Some(w)) => format!("ECDH (X9.63 KDF with {}, {w})", h.name()),
                    _ => format!("key agreement {}", k.key_enc_alg.oid),
                }
            }
            RecipientInfo::Kekri(_) => "key-encryption key".to_string(),
            RecipientInfo::Pwri(_) => "password".to_string(),
            RecipientInfo::Ori(o) => format!("other ({})", o.ori_type),
        };
        if !out.contains(&name) && out.len() < MAX_KEY_MANAGEMENT_NAMES {
            out.push(name);
        }
    }
    out
}

fn rid_id(rid: &RecipientIdentifier) -> SignerId {
    match rid {
        RecipientIdentifier::IssuerAndSerialNumber(ias) => ias_id(ias),
        RecipientIdentifier::SubjectKeyIdentifier(ski) => SignerId::SubjectKeyIdentifier { key_id: hex(ski.0.as_bytes()) },
    }
}

/// What the user's identities can do with the RecipientInfos.
#[derive(Clone)]
pub struct Unwrapped {
    /// A RecipientInfo names one of the identities' certificates.
    pub matched: bool,
    /// Candidate content-encryption keys, in RecipientInfo order (PKCS#1 v1.5 may give a
    /// synthetic one, of any length).
    pub keys: Vec<Zeroizing<Vec<u8>>>,
    /// No RecipientInfo named an identity: the keys come from trying every RSA key on
    /// every key-transport RecipientInfo that names a subject key identifier (senders
    /// that compute the key id another way, as RFC 4134 5.1 does).
    pub by_trial: bool,
    /// [`MAX_KEY_UNWRAPS`] ended the work before every candidate was tried.
    pub cut_short: bool,
}

/// Counts private-key operations against [`MAX_KEY_UNWRAPS`].
struct UnwrapBudget(usize);

impl UnwrapBudget {
    /// Take one operation; false (and the envelope marked cut short) when none is left.
    fn take(&mut self, out: &mut Unwrapped) -> bool {
        if self.0 == 0 {
            out.cut_short = true;
            return false;
        }
        self.0 -= 1;
        true
    }
}

/// Recover candidate content-encryption keys with every identity a RecipientInfo names,
/// or, when none is named, by trial (see [`Unwrapped::by_trial`]).
///
/// # Security
/// `infos` is untrusted: the caller refuses more than [`MAX_RECIPIENTS`] recipient keys;
/// at most [`MAX_KEY_UNWRAPS`] private-key operations are made in all. A wrong PKCS#1 v1.5
/// key yields a synthetic key (implicit rejection), never an error: which candidate is
/// right is decided by the content decryption (`cms::decrypt`).
pub fn unwrap_keys(infos: &[&RecipientInfo], identities: &[&Identity]) -> Unwrapped {
    unwrap_keys_with(infos, identities, &ktri_unwrap)
}

/// A key-transport unwrap: the candidate key an identity's key gives a KeyTransRecipientInfo.
pub type KtriUnwrap<'a> = dyn Fn(&KeyTransRecipientInfo, &Identity) -> Option<Zeroizing<Vec<u8>>> + 'a;

/// [`unwrap_keys`] with the key-transport RSA decryptions done by `ktri` (called where
/// [`unwrap_keys`] decrypts, in the same order and within the same [`MAX_KEY_UNWRAPS`]):
/// a host computing RSA-OAEP elsewhere gives exactly [`ktri_unwrap`]'s answers.
pub fn unwrap_keys_with(infos: &[&RecipientInfo], identities: &[&Identity], ktri: &KtriUnwrap<'_>) -> Unwrapped {
    let mut out = Unwrapped { matched: false, keys: Vec::new(), by_trial: false, cut_short: false };
    let mut budget = UnwrapBudget(MAX_KEY_UNWRAPS);
    for ri in infos.iter() {
        for id in identities {
            match ri {
                RecipientInfo::Ktri(k) if recipient_matches(&k.rid, &id.certificate) => {
                    out.matched = true;
                    if !budget.take(&mut out) {
                        continue;
                    }
                    if let Some(cek) = ktri(k, id) {
                        out.keys.push(cek);
                    }
                }
                RecipientInfo::Kari(k) => {
                    for rek in k.recipient_enc_keys.iter() {
                        let hit = match &rek.rid {
                            KeyAgreeRecipientIdentifier::IssuerAndSerialNumber(ias) => issuer_serial_matches(ias, &id.certificate),
                            KeyAgreeRecipientIdentifier::RKeyId(r) => has_ski(&id.certificate, r.subject_key_identifier.0.as_bytes()),
                        };
                        if hit {
                            out.matched = true;
                            if !budget.take(&mut out) {
                                continue;
                            }
                            if let Some(cek) = kari_decrypt(k, rek.enc_key.as_bytes(), &id.key) {
                                out.keys.push(cek);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if !out.matched {
        for ri in infos.iter() {
            // Only subjectKeyIdentifier RecipientInfos: a sender may compute the key id by
            // another method than the certificate's extension (RFC 5280 4.2.1.2).
            if let RecipientInfo::Ktri(k @ KeyTransRecipientInfo { rid: RecipientIdentifier::SubjectKeyIdentifier(_), .. }) = ri {
                for id in identities.iter().filter(|i| matches!(i.key, PrivateKey::Rsa(_))) {
                    if !budget.take(&mut out) {
                        break;
                    }
                    if let Some(cek) = ktri(k, id) {
                        out.by_trial = true;
                        out.keys.push(cek);
                    }
                }
            }
        }
    }
    out
}

/// The candidate content-encryption key `id`'s key gives the KeyTransRecipientInfo `k`, in
/// the core (RSA PKCS#1 v1.5 with implicit rejection, or RSAES-OAEP).
pub fn ktri_unwrap(k: &KeyTransRecipientInfo, id: &Identity) -> Option<Zeroizing<Vec<u8>>> {
    ktri_decrypt(k, &id.key)
}

/// The hash of an RSAES-OAEP KeyTransRecipientInfo that WebCrypto's RSA-OAEP computes as
/// [`ktri_unwrap`] does: SHA-1 (the default parameters), SHA-256, SHA-384 or SHA-512 for both
/// the OAEP hash and MGF1, an empty label, an RSA key and a ciphertext exactly as long as its
/// modulus. None otherwise (PKCS#1 v1.5, another MGF1 hash, a label, SHA-224 and the like).
///
/// # Security
/// Reads only the untrusted algorithm parameters and the ciphertext length.
pub fn plain_oaep(k: &KeyTransRecipientInfo, key: &PrivateKey) -> Option<DigestAlg> {
    use rsa::traits::PublicKeyParts;
    let PrivateKey::Rsa(sk) = key else { return None };
    if k.key_enc_alg.oid != OID_RSAES_OAEP || k.enc_key.as_bytes().len() != sk.size() {
        return None;
    }
    let (hash, mgf, label) = oaep_params(k.key_enc_alg.parameters.as_ref())?;
    let supported = matches!(hash, DigestAlg::Sha1 | DigestAlg::Sha256 | DigestAlg::Sha384 | DigestAlg::Sha512);
    (supported && mgf == hash && label.is_empty()).then_some(hash)
}

/// RSAES-OAEP decryption in the core with `hash` for OAEP and MGF1 and an empty label: what
/// [`ktri_unwrap`] computes for a KeyTransRecipientInfo [`plain_oaep`] accepts.
pub fn plain_oaep_unwrap(key: &PrivateKey, hash: DigestAlg, ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let PrivateKey::Rsa(sk) = key else { return None };
    oaep_decrypt(sk, hash, hash, Vec::new(), ciphertext)
}

/// A certificate's subjectPublicKeyInfo (DER): names an identity's key pair across the runs of
/// a deferred `open` and in the host's table of imported keys.
pub fn public_key_der(certificate: &Certificate) -> Option<Vec<u8>> {
    certificate.tbs_certificate().subject_public_key_info().to_der().ok()
}

fn ktri_decrypt(k: &KeyTransRecipientInfo, key: &PrivateKey) -> Option<Zeroizing<Vec<u8>>> {
    let PrivateKey::Rsa(sk) = key else { return None };
    let ct = k.enc_key.as_bytes();
    let alg = &k.key_enc_alg;
    if alg.oid == OID_RSA_ENCRYPTION {
        return sk.pkcs1v15_decrypt(ct);
    }
    if alg.oid != OID_RSAES_OAEP {
        return None;
    }
    let (hash, mgf, label) = oaep_params(alg.parameters.as_ref())?;
    oaep_decrypt(sk, hash, mgf, label, ct)
}

fn oaep_decrypt(sk: &rsa::PrivateKey, hash: DigestAlg, mgf: DigestAlg, label: Vec<u8>, ct: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let pt = match hash {
        DigestAlg::Sha1 => oaep_mgf::<sha1::Sha1>(sk, mgf, label, ct),
        DigestAlg::Sha224 => oaep_mgf::<sha2::Sha224>(sk, mgf, label, ct),
        DigestAlg::Sha256 => oaep_mgf::<sha2::Sha256>(sk, mgf, label, ct),
        DigestAlg::Sha384 => oaep_mgf::<sha2::Sha384>(sk, mgf, label, ct),
        DigestAlg::Sha512 => oaep_mgf::<sha2::Sha512>(sk, mgf, label, ct),
        DigestAlg::Md5 => None,
    };
    pt.map(Zeroizing::new)
}

fn oaep_mgf<D>(sk: &rsa::PrivateKey, mgf: DigestAlg, label: Vec<u8>, ct: &[u8]) -> Option<Vec<u8>>
where
    D: digest::Digest + digest::FixedOutputReset + 'static,
{
    use rsa::Oaep;
    let r = match mgf {
        DigestAlg::Sha1 => sk.decrypt(Oaep::<D, sha1::Sha1>::new_with_mgf_hash_and_label(label), ct),
        DigestAlg::Sha224 => sk.decrypt(Oaep::<D, sha2::Sha224>::new_with_mgf_hash_and_label(label), ct),
        DigestAlg::Sha256 => sk.decrypt(Oaep::<D, sha2::Sha256>::new_with_mgf_hash_and_label(label), ct),
        DigestAlg::Sha384 => sk.decrypt(Oaep::<D, sha2::Sha384>::new_with_mgf_hash_and_label(label), ct),
        DigestAlg::Sha512 => sk.decrypt(Oaep::<D, sha2::Sha512>::new_with_mgf_hash_and_label(label), ct),
        DigestAlg::Md5 => return None,
    };
    r.ok()
}

/// RSAES-OAEP-params (RFC 4055 4.1): hash, MGF1 hash, label. Absent means SHA-1, MGF1-SHA-1, empty.
fn oaep_params(params: Option<&Any>) -> Option<(DigestAlg, DigestAlg, Vec<u8>)> {
    let Some(p) = params else { return Some((DigestAlg::Sha1, DigestAlg::Sha1, Vec::new())) };
    if p.is_null() {
        return Some((DigestAlg::Sha1, DigestAlg::Sha1, Vec::new()));
    }
    let parsed: pkcs1::RsaOaepParams<Any> = p.decode_as().ok()?;
    let hash = DigestAlg::from_oid(&parsed.hash.oid)?;
    if parsed.mask_gen.oid != OID_MGF1 {
        return None;
    }
    let mgf = DigestAlg::from_oid(&parsed.mask_gen.parameters.as_ref()?.oid)?;
    if parsed.p_source.oid != OID_PSPECIFIED {
        return None;
    }
    let label = match &parsed.p_source.parameters {
        Some(a) => a.decode_as::<der::asn1::OctetString>().ok()?.as_bytes().to_vec(),
        None => Vec::new(),
    };
    Some((hash, mgf, label))
}

/// X9.63 KDF (SEC 1 3.6.1): Hash(Z || counter || SharedInfo) blocks.
pub(crate) fn x963_kdf(hash: DigestAlg, z: &[u8], shared_info: &[u8], len: usize) -> Option<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(len + 64));
    let mut counter: u32 = 1;
    while out.len() < len {
        let mut h = Hasher::new(hash).ok()?;
        h.update(z);
        h.update(&counter.to_be_bytes());
        h.update(shared_info);
        out.extend_from_slice(&h.finalize());
        counter = counter.checked_add(1)?;
    }
    out.truncate(len);
    Some(out)
}

/// ECC-CMS-SharedInfo (RFC 5753 7.2) for the key wrap algorithm and the optional ukm.
pub(crate) fn shared_info(wrap: &AlgorithmIdentifierOwned, ukm: Option<&[u8]>, kek_bits: u32) -> Option<Vec<u8>> {
    let mut body = wrap.to_der().ok()?;
    if let Some(u) = ukm {
        body.extend_from_slice(&tlv(0xa0, &tlv(0x04, u)));
    }
    body.extend_from_slice(&tlv(0xa2, &tlv(0x04, &kek_bits.to_be_bytes())));
    Some(tlv(0x30, &body))
}

fn ecdh_p256(sk: &p256::SecretKey, public: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    use p256::elliptic_curve::point::AffineCoordinates;
    let pk = p256::PublicKey::from_sec1_bytes(public).ok()?;
    let shared = (pk.to_projective() * *sk.to_nonzero_scalar()).to_affine();
    Some(Zeroizing::new(shared.x().to_vec()))
}

fn ecdh_p384(sk: &p384::SecretKey, public: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    use p384::elliptic_curve::point::AffineCoordinates;
    let pk = p384::PublicKey::from_sec1_bytes(public).ok()?;
    let shared = (pk.to_projective() * *sk.to_nonzero_scalar()).to_affine();
    Some(Zeroizing::new(shared.x().to_vec()))
}

fn kari_decrypt(k: &KeyAgreeRecipientInfo, wrapped: &[u8], key: &PrivateKey) -> Option<Zeroizing<Vec<u8>>> {
    let OriginatorIdentifierOrKey::OriginatorKey(orig) = &k.originator else { return None };
    if orig.algorithm.oid != OID_EC_PUBLIC_KEY {
        return None;
    }
    let hash = std_dh_kdf(&k.key_enc_alg.oid)?;
    let wrap: AlgorithmIdentifierOwned = k.key_enc_alg.parameters.as_ref()?.decode_as().ok()?;
    let kek_len = match wrap.oid {
        OID_AES128_WRAP => 16,
        OID_AES192_WRAP => 24,
        OID_AES256_WRAP => 32,
        _ => return None,
    };
    let public = orig.public_key.as_bytes()?;
    let z = match key {
        PrivateKey::P256(sk) => ecdh_p256(sk, public)?,
        PrivateKey::P384(sk) => ecdh_p384(sk, public)?,
        PrivateKey::Rsa(_) => return None,
    };
    let info = shared_info(&wrap, k.ukm.as_ref().map(|u| u.as_bytes()), (kek_len as u32).checked_mul(8)?)?;
    let kek = x963_kdf(hash, &z, &info, kek_len)?;
    aes_unwrap(&kek, wrapped)
}

fn aes_unwrap(kek: &[u8], wrapped: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    use cipher::KeyInit;
    let n = wrapped.len().checked_sub(8)?;
    if n == 0 || n > 64 {
        return None;
    }
    let mut buf = Zeroizing::new(vec![0u8; n]);
    let ok = match kek.len() {
        16 => aes_kw::KwAes128::new_from_slice(kek).ok()?.unwrap_key(wrapped, &mut buf).is_ok(),
        24 => aes_kw::KwAes192::new_from_slice(kek).ok()?.unwrap_key(wrapped, &mut buf).is_ok(),
        32 => aes_kw::KwAes256::new_from_slice(kek).ok()?.unwrap_key(wrapped, &mut buf).is_ok(),
        _ => false,
    };
    ok.then_some(buf)
}

#[cfg(test)]
pub(crate) fn aes_unwrap_for_tests(kek: &[u8], wrapped: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    aes_unwrap(kek, wrapped)
}

fn encrypt_err(what: impl std::fmt::Display) -> Error {
    Error::new(Code::Crypto, "The message could not be encrypted.", "Try again; if it keeps failing, check the recipient's certificate.").with_detail(what)
}

/// How the content-encryption key is sent to an RSA recipient (the policy's type).
pub use crate::policy::KeyTransport;

/// A KeyTransRecipientInfo (version 0, issuerAndSerialNumber) for an RSA certificate.
pub fn build_ktri(cert: &Certificate, cek: &[u8], transport: KeyTransport) -> Result<RecipientInfo> {
    let spki = cert.tbs_certificate().subject_public_key_info();
    if spki.algorithm.oid != OID_RSA_ENCRYPTION && spki.algorithm.oid != OID_RSAES_OAEP {
        return Err(Error::new(
            Code::NoRecipientCertificate,
            format!("Cachet cannot encrypt to this certificate's key ({}).", crate::cert::facts::facts(cert).key.algorithm),
            "Ask the recipient for an RSA encryption certificate.",
        ));
    }
    let bits = spki.subject_public_key.as_bytes().ok_or_else(|| encrypt_err("public key bits"))?;
    let pk = crate::crypto::key::rsa_public_key(bits).map_err(encrypt_err)?;
    let mut rng = getrandom::SysRng;
    let transport = if spki.algorithm.oid == OID_RSAES_OAEP { KeyTransport::OaepSha256 } else { transport };
    let (alg, ct) = match transport {
        KeyTransport::Pkcs1v15 => (
            AlgorithmIdentifierOwned { oid: OID_RSA_ENCRYPTION, parameters: Some(Any::null()) },
            crate::crypto::rsa_public::pkcs1v15_encrypt(&pk, cek).ok_or_else(|| encrypt_err("RSA PKCS#1 v1.5 encryption"))?,
        ),
        KeyTransport::OaepSha256 => {
            let params = Any::encode_from(&pkcs1::RsaOaepParamsRef::new::<sha2::Sha256>()).map_err(encrypt_err)?;
            (
                AlgorithmIdentifierOwned { oid: OID_RSAES_OAEP, parameters: Some(params) },
                pk.encrypt(&mut rng, rsa::Oaep::<sha2::Sha256>::new(), cek).map_err(encrypt_err)?,
            )
        }
    };
    Ok(RecipientInfo::Ktri(KeyTransRecipientInfo {
        version: cms::content_info::CmsVersion::V0,
        rid: RecipientIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate().issuer().clone(),
            serial_number: cert.tbs_certificate().serial_number().clone(),
        }),
        key_enc_alg: alg,
        enc_key: der::asn1::OctetString::new(ct).map_err(encrypt_err)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kdf_matches_sec1_vector_shape() {
        // Two blocks of SHA-256 for 40 bytes; the first block is Hash(Z || 00000001 || info).
        let k = x963_kdf(DigestAlg::Sha256, b"zz", b"info", 40).unwrap();
        assert_eq!(k.len(), 40);
        let mut h = Hasher::new(DigestAlg::Sha256).unwrap();
        h.update(b"zz\x00\x00\x00\x01info");
        assert_eq!(&k[..32], &h.finalize()[..]);
    }

    #[test]
    fn oaep_params_default_and_bad() {
        assert_eq!(oaep_params(None).unwrap().0, DigestAlg::Sha1);
        let p = Any::encode_from(&pkcs1::RsaOaepParamsRef::new::<sha2::Sha256>()).unwrap();
        let (h, m, l) = oaep_params(Some(&p)).unwrap();
        assert_eq!((h, m, l.len()), (DigestAlg::Sha256, DigestAlg::Sha256, 0));
        assert!(oaep_params(Some(&Any::new(der::Tag::Sequence, vec![0x01]).unwrap())).is_none());
        assert!(aes_unwrap(&[0; 16], &[1, 2, 3]).is_none());
        assert!(aes_unwrap(&[0; 16], &[0; 24]).is_none());
    }
}
