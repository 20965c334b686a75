//! Making SignedData (RFC 5652 section 5; RFC 8551 sections 2.5 and 3.5).
//!
//! The signer info is assembled here from `cms` types rather than through the
//! `cms` builder: the builder cannot take a caller-supplied signing time on wasm
//! (its clock traps there) and drops signing errors (RUST-CRATES pitfalls P4, P7).
//! Signed attributes: contentType, signingTime, messageDigest, SMIMECapabilities
//! (what Cachet decrypts, strongest first) and SMIMEEncryptionKeyPreference.

use crate::oid::{OID_DATA, OID_SIGNED_DATA};
use crate::oid::{OID_CONTENT_TYPE, OID_ENCRYPTION_KEY_PREFERENCE, OID_MESSAGE_DIGEST, OID_SIGNING_TIME, OID_SMIME_CAPABILITIES};
use crate::oid::OID_RSASSA_PSS;
use crate::crypto::{self, DigestAlg};
use crate::error::{Code, Error, Result};
use crate::pkcs12::{Identity, PrivateKey};
use crate::time::UnixTime;
use cms::cert::IssuerAndSerialNumber;
use cms::content_info::CmsVersion;
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier, SignerInfo, SignerInfos};
use const_oid::ObjectIdentifier;
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode, Tag};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use x509_cert::time::Time;

use crate::oid::{OID_RSA_ENCRYPTION, OID_ECDSA_SHA256, OID_ECDSA_SHA384};
use crate::oid::OID_MGF1;

/// Content encryption algorithms Cachet decrypts, strongest first (SPEC section 4), then
/// RSAES-OAEP key transport (RFC 8551 2.5.2 lists key encipherment algorithms too; Cachet
/// decrypts OAEP with any hash), advertised in SMIMECapabilities: a sender that reads them
/// encrypts to Cachet with AES-GCM and OAEP.
pub const CAPABILITIES: [ObjectIdentifier; 6] = [
    crate::oid::OID_AES256_GCM,
    crate::oid::OID_AES128_GCM,
    crate::oid::OID_AES256_CBC,
    crate::oid::OID_AES192_CBC,
    crate::oid::OID_AES128_CBC,
    crate::oid::OID_RSAES_OAEP,
];

fn crypto_err(what: impl std::fmt::Display) -> Error {
    Error::new(Code::Crypto, "The message could not be signed.", "Try again; if it keeps failing, re-import your identity.").with_detail(what)
}

fn der_err(e: der::Error) -> Error {
    crypto_err(format!("encoding: {e}"))
}

/// The digest Cachet signs with for this key (SHA-256; larger keys get a matching stronger hash).
pub fn digest_for(key: &PrivateKey) -> DigestAlg {
    match key {
        PrivateKey::Rsa(k) => {
            use rsa::traits::PublicKeyParts;
            let bits = k.n().bit_width();
            if bits >= 7680 {
                DigestAlg::Sha512
            } else if bits >= 3072 {
                DigestAlg::Sha384
            } else {
                DigestAlg::Sha256
            }
        }
        PrivateKey::P256(_) => DigestAlg::Sha256,
        PrivateKey::P384(_) => DigestAlg::Sha384,
    }
}

fn alg(oid: ObjectIdentifier, parameters: Option<Any>) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid, parameters }
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute> {
    Ok(Attribute { oid, values: crate::asn1::der_set::der_set_of([value])? })
}

fn capabilities_value() -> Result<Any> {
    let der = crate::cert::capabilities::encode(&CAPABILITIES).map_err(der_err)?;
    Any::from_der(&der).map_err(der_err)
}

fn issuer_and_serial(cert: &x509_cert::Certificate) -> IssuerAndSerialNumber {
    IssuerAndSerialNumber { issuer: cert.tbs_certificate().issuer().clone(), serial_number: cert.tbs_certificate().serial_number().clone() }
}

fn key_preference_value(cert: &x509_cert::Certificate) -> Result<Any> {
    // [0] IMPLICIT IssuerAndSerialNumber
    let mut bytes = issuer_and_serial(cert).to_der().map_err(der_err)?;
    if let Some(first) = bytes.first_mut() {
        *first = 0xa0;
    }
    Any::from_der(&bytes).map_err(der_err)
}

fn signing_time_value(at: UnixTime) -> Result<Any> {
    let dt = at.to_der_datetime().ok_or_else(|| crypto_err("signing time out of range"))?;
    // RFC 5652 11.3: UTCTime for 1950..2049, GeneralizedTime otherwise.
    let t = if dt.year() < 2050 {
        Time::UtcTime(der::asn1::UtcTime::from_date_time(dt).map_err(der_err)?)
    } else {
        Time::GeneralTime(der::asn1::GeneralizedTime::from_date_time(dt))
    };
    Any::encode_from(&t).map_err(der_err)
}

/// Sign `content` (already canonical) with the identity. Detached unless `opaque`.
/// Returns the DER ContentInfo and the digest algorithm used (for `micalg`).
pub fn sign(identity: &Identity, content: &[u8], opaque: bool, at: UnixTime) -> Result<(Vec<u8>, DigestAlg)> {
    let digest = check_signer(identity)?;
    let md = crypto::digest(digest, content)?;
    let attrs = signed_attributes(identity, digest, &md, at)?;
    let pss = uses_pss(identity);
    let (signature_algorithm, signature) = sign_bytes(&identity.key, digest, pss, attrs.der())?;
    Ok((assemble(identity, content, opaque, attrs, signature_algorithm, signature)?, digest))
}

/// Can this identity sign? Returns the digest algorithm it signs with.
pub fn check_signer(identity: &Identity) -> Result<DigestAlg> {
    let usable = crate::cert::facts::usability(&identity.certificate);
    if !usable.sign {
        return Err(Error::new(
            Code::UnusableIdentity,
            "This certificate cannot be used to sign e-mail.",
            "Import a certificate meant for e-mail signing (key usage digitalSignature, e-mail protection).",
        )
        .with_detail(usable.reasons.join("; ")));
    }
    Ok(digest_for(&identity.key))
}

/// The certificate's key is RSASSA-PSS: signatures use PSS (salt length = hash length).
pub fn uses_pss(identity: &Identity) -> bool {
    identity.certificate.tbs_certificate().subject_public_key_info().algorithm.oid == OID_RSASSA_PSS
}

/// The signed attributes of one signer: what the private key signs (RFC 5652 5.4).
pub struct SignedAttributes {
    digest: DigestAlg,
    set: SetOfVec<Attribute>,
    der: Vec<u8>,
}

impl SignedAttributes {
    /// The DER (SET OF tag) the signature is computed over.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

/// The signed attributes over a content whose `digest` (of algorithm `alg`) was computed
/// elsewhere: contentType, signingTime, messageDigest, SMIMECapabilities, key preference.
pub fn signed_attributes(identity: &Identity, alg: DigestAlg, md: &[u8], at: UnixTime) -> Result<SignedAttributes> {
    if md.len() != alg.output_len() {
        return Err(crypto_err(format!("a {}-byte digest for {}", md.len(), alg.name())));
    }
    let mut attrs = vec![
        attribute(OID_CONTENT_TYPE, Any::encode_from(&OID_DATA).map_err(der_err)?)?,
        attribute(OID_SIGNING_TIME, signing_time_value(at)?)?,
        attribute(OID_MESSAGE_DIGEST, Any::new(Tag::OctetString, md.to_vec()).map_err(der_err)?)?,
        attribute(OID_SMIME_CAPABILITIES, capabilities_value()?)?,
    ];
    // The certificate to encrypt to: the separate encryption one when the identity has one
    // (RFC 8551 2.5.3), which travels in the message's certificates (see `assemble`). None
    // named when it cannot be encrypted to (a signing-only certificate alone).
    if crate::pkcs12::can_receive_encrypted(identity) {
        attrs.push(attribute(OID_ENCRYPTION_KEY_PREFERENCE, key_preference_value(identity.encryption_certificate())?)?);
    }
    // SET OF in DER order (X.690 11.6): what is signed is exactly what is sent.
    let set: SetOfVec<Attribute> = crate::asn1::der_set::der_set_of(attrs)?;
    let der = set.to_der().map_err(der_err)?;
    Ok(SignedAttributes { digest: alg, set, der })
}

/// The signatureAlgorithm of a signature made elsewhere (WebCrypto) with the identity's
/// RSA key: exactly what [`sign_bytes`] writes. None for other keys.
pub fn rsa_signature_algorithm(identity: &Identity, digest: DigestAlg) -> Result<Option<AlgorithmIdentifierOwned>> {
    Ok(match &identity.key {
        PrivateKey::Rsa(_) if uses_pss(identity) => {
            let (hash, salt) = match digest {
                DigestAlg::Sha384 => (DigestAlg::Sha384, 48),
                DigestAlg::Sha512 => (DigestAlg::Sha512, 64),
                _ => (DigestAlg::Sha256, 32),
            };
            Some(alg(OID_RSASSA_PSS, Some(pss_params(hash, salt)?)))
        }
        PrivateKey::Rsa(_) => Some(alg(OID_RSA_ENCRYPTION, Some(Any::null()))),
        _ => None,
    })
}

/// Sign the attributes with the identity's key in the core (RustCrypto).
pub fn sign_attributes(identity: &Identity, attrs: &SignedAttributes) -> Result<(AlgorithmIdentifierOwned, Vec<u8>)> {
    sign_bytes(&identity.key, attrs.digest, uses_pss(identity), attrs.der())
}

/// Check a signature made elsewhere against the identity's certificate before it is sent.
pub fn check_signature(identity: &Identity, attrs: &SignedAttributes, signature_algorithm: &AlgorithmIdentifierOwned, signature: &[u8]) -> Result<()> {
    let spki = identity.certificate.tbs_certificate().subject_public_key_info();
    crypto::verify_signature(spki, Some(attrs.digest), signature_algorithm, attrs.der(), signature).map(|_| ()).map_err(|e| crypto_err(format!("signature check: {e}")))
}

/// The SignedData ContentInfo (DER) from the signed attributes and their signature.
pub fn assemble(identity: &Identity, content: &[u8], opaque: bool, attrs: SignedAttributes, signature_algorithm: AlgorithmIdentifierOwned, signature: Vec<u8>) -> Result<Vec<u8>> {
    let digest = attrs.digest;
    let signer = signer_info(identity, attrs, signature_algorithm, signature)?;
    let certificates = certificate_set_content(identity)?;
    let econtent = if opaque { Some(Any::new(Tag::OctetString, content.to_vec()).map_err(der_err)?) } else { None };
    let sd = SignedDataOut {
        version: CmsVersion::V1,
        digest_algorithms: crate::asn1::der_set::der_set_of([alg(digest.oid(), None)])?,
        encap_content_info: EncapsulatedContentInfo { econtent_type: OID_DATA, econtent },
        certificates: EncodedSet(&certificates),
        signer_infos: SignerInfos(crate::asn1::der_set::der_set_of([signer])?),
    };
    ContentInfoOut { content_type: OID_SIGNED_DATA, content: sd }.to_der().map_err(der_err)
}

/// The identity's SignerInfo (version 1, named by issuer and serial number) over the signed
/// attributes and their signature.
fn signer_info(identity: &Identity, attrs: SignedAttributes, signature_algorithm: AlgorithmIdentifierOwned, signature: Vec<u8>) -> Result<SignerInfo> {
    Ok(SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(issuer_and_serial(&identity.certificate)),
        digest_alg: alg(attrs.digest.oid(), None),
        signed_attrs: Some(attrs.set),
        signature_algorithm,
        signature: OctetString::new(signature).map_err(der_err)?,
        unsigned_attrs: None,
    })
}

/// The content of the certificates SET: the signer's certificate and chain, then a separate
/// encryption certificate (and its chain) so that recipients can encrypt to it; each once, in
/// DER order (X.690 11.6, see `der_set`). Each certificate is encoded once and written as it
/// is (decoding the sorted encodings back into a `CertificateSet` and encoding that again took
/// a fifth of signing a short message).
fn certificate_set_content(identity: &Identity) -> Result<Vec<u8>> {
    let encryption = identity.encryption.as_deref().into_iter().flat_map(|e| std::iter::once(&e.certificate).chain(e.chain.iter()));
    let mut encodings = Vec::new();
    for c in std::iter::once(&identity.certificate).chain(identity.chain.iter()).chain(encryption) {
        encodings.push(c.to_der().map_err(der_err)?);
    }
    encodings.sort_unstable();
    encodings.dedup();
    Ok(encodings.concat())
}

/// SignedData (RFC 5652 5.1) as Cachet writes it: `cms`'s `SignedData` with the certificates
/// as their sorted encodings and no CRLs.
#[derive(der::Sequence)]
struct SignedDataOut<'a> {
    version: CmsVersion,
    digest_algorithms: SetOfVec<AlgorithmIdentifierOwned>,
    encap_content_info: EncapsulatedContentInfo,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    certificates: EncodedSet<'a>,
    signer_infos: SignerInfos,
}

/// A SET OF whose content is already encoded (and in DER order).
struct EncodedSet<'a>(&'a [u8]);

impl der::FixedTag for EncodedSet<'_> {
    const TAG: Tag = Tag::Set;
}

impl der::EncodeValue for EncodedSet<'_> {
    fn value_len(&self) -> der::Result<der::Length> {
        der::Length::try_from(self.0.len())
    }
    fn encode_value(&self, writer: &mut impl der::Writer) -> der::Result<()> {
        writer.write(self.0)
    }
}

impl<'a> der::DecodeValue<'a> for EncodedSet<'a> {
    type Error = der::Error;
    fn decode_value<R: der::Reader<'a>>(reader: &mut R, header: der::Header) -> der::Result<Self> {
        reader.read_slice(header.length()).map(EncodedSet)
    }
}

/// ContentInfo (RFC 5652 3) around [`SignedDataOut`], encoded in one pass.
#[derive(der::Sequence)]
struct ContentInfoOut<'a> {
    content_type: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    content: SignedDataOut<'a>,
}

/// Sign `message` (the DER signed attributes); returns signatureAlgorithm and the value.
fn sign_bytes(key: &PrivateKey, digest: DigestAlg, pss: bool, message: &[u8]) -> Result<(AlgorithmIdentifierOwned, Vec<u8>)> {
    use signature::{RandomizedSigner, SignatureEncoding, Signer};
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    match key {
        PrivateKey::Rsa(k) if pss => {
            let k: &rsa::PrivateKey = k;
            let (sig, params) = match digest {
                DigestAlg::Sha384 => (
                    rsa::pss::SigningKey::<sha2::Sha384>::new_with_salt_len(k.clone(), 48).try_sign_with_rng(&mut rng, message).map(|s| s.to_vec()),
                    pss_params(digest, 48)?,
                ),
                DigestAlg::Sha512 => (
                    rsa::pss::SigningKey::<sha2::Sha512>::new_with_salt_len(k.clone(), 64).try_sign_with_rng(&mut rng, message).map(|s| s.to_vec()),
                    pss_params(digest, 64)?,
                ),
                _ => (
                    rsa::pss::SigningKey::<sha2::Sha256>::new_with_salt_len(k.clone(), 32).try_sign_with_rng(&mut rng, message).map(|s| s.to_vec()),
                    pss_params(DigestAlg::Sha256, 32)?,
                ),
            };
            Ok((alg(OID_RSASSA_PSS, Some(params)), sig.map_err(crypto_err)?))
        }
        PrivateKey::Rsa(k) => {
            let k: &rsa::PrivateKey = k;
            let sig = match digest {
                DigestAlg::Sha384 => rsa::pkcs1v15::SigningKey::<sha2::Sha384>::new(k.clone()).try_sign(message).map(|s| s.to_vec()),
                DigestAlg::Sha512 => rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new(k.clone()).try_sign(message).map(|s| s.to_vec()),
                _ => rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(k.clone()).try_sign(message).map(|s| s.to_vec()),
            };
            Ok((alg(OID_RSA_ENCRYPTION, Some(Any::null())), sig.map_err(crypto_err)?))
        }
        PrivateKey::P256(k) => {
            let sk = p256::ecdsa::SigningKey::from(k.clone());
            let sig: p256::ecdsa::DerSignature = sk.try_sign(message).map_err(crypto_err)?;
            Ok((alg(OID_ECDSA_SHA256, None), sig.to_vec()))
        }
        PrivateKey::P384(k) => {
            let sk = p384::ecdsa::SigningKey::from(k.clone());
            let sig: p384::ecdsa::DerSignature = sk.try_sign(message).map_err(crypto_err)?;
            Ok((alg(OID_ECDSA_SHA384, None), sig.to_vec()))
        }
    }
}

/// RSASSA-PSS-params with the hash for both the digest and MGF1 (RFC 4055 3.1).
fn pss_params(digest: DigestAlg, salt_len: u8) -> Result<Any> {
    let hash = alg(digest.oid(), Some(Any::null()));
    let mgf = AlgorithmIdentifierOwned { oid: OID_MGF1, parameters: Some(Any::encode_from(&hash).map_err(der_err)?) };
    let params = pkcs1::RsaPssParams { hash, mask_gen: alg_of_alg(mgf)?, salt_len, trailer_field: pkcs1::TrailerField::BC };
    Any::encode_from(&params).map_err(der_err)
}

fn alg_of_alg(a: AlgorithmIdentifierOwned) -> Result<spki::AlgorithmIdentifier<AlgorithmIdentifierOwned>> {
    let inner = a.parameters.as_ref().ok_or_else(|| crypto_err("MGF1 without hash"))?.decode_as::<AlgorithmIdentifierOwned>().map_err(der_err)?;
    Ok(spki::AlgorithmIdentifier { oid: a.oid, parameters: Some(inner) })
}

#[cfg(test)]
mod assemble_tests {
    use super::*;
    use cachet_testkit::{Key, Pki};
    use cms::cert::CertificateChoices;
    use cms::content_info::ContentInfo;
    use cms::signed_data::{CertificateSet, SignedData};

    /// What `assemble` wrote before it kept the certificates' encodings: `cms`'s own SignedData,
    /// its certificate set built with `der_set_of` (the SignerInfo is the same either way).
    fn assemble_with_cms_types(identity: &Identity, content: &[u8], opaque: bool, attrs: SignedAttributes, signature_algorithm: AlgorithmIdentifierOwned, signature: Vec<u8>) -> Vec<u8> {
        let cert = &identity.certificate;
        let digest = attrs.digest;
        let signer = signer_info(identity, attrs, signature_algorithm, signature).unwrap();
        let mut chain: Vec<CertificateChoices> = Vec::new();
        let encryption = identity.encryption.as_deref().into_iter().flat_map(|e| std::iter::once(&e.certificate).chain(e.chain.iter()));
        for c in std::iter::once(cert).chain(identity.chain.iter()).chain(encryption) {
            let choice = CertificateChoices::Certificate(c.clone());
            if !chain.contains(&choice) {
                chain.push(choice);
            }
        }
        let certs = crate::asn1::der_set::der_set_of(chain).unwrap();
        let econtent = opaque.then(|| Any::new(Tag::OctetString, content.to_vec()).unwrap());
        let sd = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: crate::asn1::der_set::der_set_of([alg(digest.oid(), None)]).unwrap(),
            encap_content_info: EncapsulatedContentInfo { econtent_type: OID_DATA, econtent },
            certificates: Some(CertificateSet(certs)),
            crls: None,
            signer_infos: SignerInfos(crate::asn1::der_set::der_set_of([signer]).unwrap()),
        };
        ContentInfo { content_type: OID_SIGNED_DATA, content: Any::encode_from(&sd).unwrap() }.to_der().unwrap()
    }

    /// The same bytes as `cms`'s types give, for a signer alone and for one with a chain, a
    /// separate encryption certificate and certificates that appear twice; detached and opaque.
    #[test]
    fn same_encoding_as_the_cms_types() {
        let pki = Pki::new("sign-assemble");
        let signer = pki.leaf("signer", "alice@example.com", Key::Rsa2048, None, 365);
        let enc = pki.leaf("enc", "alice@example.com", Key::Rsa2048, None, 365);
        let other = pki.leaf("other", "bob@example.com", Key::P256, None, 365);
        let ca = crate::cert::facts::parse_certificates(&std::fs::read(pki.ca()).unwrap()).unwrap().remove(0);
        let other = crate::cert::facts::parse_certificates(&std::fs::read(&other.cert).unwrap()).unwrap().remove(0);
        let alone = Identity::from_pem_files(&signer.key, &signer.cert);
        let mut full = Identity::from_pem_files(&signer.key, &signer.cert);
        full.chain = vec![ca.clone(), other, full.certificate.clone()];
        let mut encryption = Identity::from_pem_files(&enc.key, &enc.cert);
        encryption.chain = vec![ca];
        full.encryption = Some(Box::new(encryption));
        let content = b"Content-Type: text/plain\r\n\r\nHello.\r\n";
        let at = UnixTime(1_800_000_000);
        for identity in [&alone, &full] {
            for opaque in [false, true] {
                let digest = check_signer(identity).unwrap();
                let md = crypto::digest(digest, content).unwrap();
                let parts = || {
                    let attrs = signed_attributes(identity, digest, &md, at).unwrap();
                    let (algorithm, signature) = sign_bytes(&identity.key, digest, false, attrs.der()).unwrap();
                    (attrs, algorithm, signature)
                };
                let (attrs, algorithm, signature) = parts();
                let ours = assemble(identity, content, opaque, attrs, algorithm, signature).unwrap();
                let (attrs, algorithm, signature) = parts();
                assert_eq!(ours, assemble_with_cms_types(identity, content, opaque, attrs, algorithm, signature), "chain {}, opaque {opaque}", identity.chain.len());
                assert!(ContentInfo::from_der(&ours).is_ok());
            }
        }
    }
}
