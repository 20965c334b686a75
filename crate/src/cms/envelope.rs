//! Encrypting: EnvelopedData with AES-CBC (RFC 5652 section 6, RFC 3565) and
//! AuthEnvelopedData with AES-GCM (RFC 5083, RFC 5084), one KeyTransRecipientInfo per RSA
//! recipient (RFC 3370 4.2.1 PKCS#1 v1.5 or RFC 3560 RSAES-OAEP). The content-encryption
//! key, IV and nonce are fresh random values from the operating system.

use super::recipients::{build_ktri, KeyTransport};
use super::signed::{OID_AUTH_ENVELOPED_DATA, OID_DATA, OID_ENVELOPED_DATA};
use crate::crypto::cipher::{ContentCipher, Sealed, Symmetric};
use crate::error::{Code, Error, Result};
use cms::authenveloped_data::AuthEnvelopedData;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::enveloped_data::{EncryptedContentInfo, EnvelopedData, RecipientInfo, RecipientInfos};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Encode};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use zeroize::Zeroizing;

fn err(what: impl std::fmt::Display) -> Error {
    Error::new(Code::Crypto, "The message could not be encrypted.", "Try again.").with_detail(what)
}

fn random(n: usize) -> Result<Zeroizing<Vec<u8>>> {
    let mut v = Zeroizing::new(vec![0u8; n]);
    getrandom::fill(&mut v).map_err(|e| err(format!("random: {e}")))?;
    Ok(v)
}

/// Encrypt `content` (a canonical MIME entity) for every certificate; returns the DER
/// ContentInfo. Certificates that appear twice get one RecipientInfo.
pub fn encrypt(content: &[u8], recipients: &[(&Certificate, KeyTransport)], cipher: ContentCipher, backend: &dyn Symmetric) -> Result<Vec<u8>> {
    let plan = prepare(content.len(), recipients, cipher)?;
    let sealed = backend.encrypt(cipher, plan.key(), plan.iv(), b"", content)?;
    plan.assemble(sealed)
}

/// An envelope before its content is encrypted: fresh key and IV or nonce, and the
/// RecipientInfos (RSA public key operations, done in the core).
pub struct EnvelopePlan {
    cipher: ContentCipher,
    cek: Zeroizing<Vec<u8>>,
    iv: Zeroizing<Vec<u8>>,
    infos: SetOfVec<RecipientInfo>,
    content_len: usize,
}

/// Generate the key and IV and wrap the key for every recipient, for a content of `content_len` bytes.
pub fn prepare(content_len: usize, recipients: &[(&Certificate, KeyTransport)], cipher: ContentCipher) -> Result<EnvelopePlan> {
    if recipients.is_empty() {
        return Err(Error::new(Code::NoRecipientCertificate, "There is no recipient to encrypt for.", "Add a recipient certificate."));
    }
    if matches!(cipher, ContentCipher::DesEde3Cbc | ContentCipher::DesCbc | ContentCipher::Rc2Cbc | ContentCipher::Aes192Gcm) {
        return Err(Error::new(Code::UnsupportedAlgorithm, format!("Cachet does not encrypt with {}.", cipher.name()), "Choose aes256-cbc, aes128-gcm or aes256-gcm."));
    }
    let cek = random(cipher.key_len())?;
    let iv = random(cipher.iv_len())?;
    let mut infos = SetOfVec::new();
    let mut seen: Vec<&Certificate> = Vec::new();
    for (cert, transport) in recipients {
        let dup = seen.iter().any(|c| c.tbs_certificate().issuer() == cert.tbs_certificate().issuer() && c.tbs_certificate().serial_number() == cert.tbs_certificate().serial_number());
        if dup {
            continue;
        }
        seen.push(cert);
        infos.insert(build_ktri(cert, &cek, *transport)?).map_err(err)?;
    }
    Ok(EnvelopePlan { cipher, cek, iv, infos, content_len })
}

impl EnvelopePlan {
    pub fn cipher(&self) -> ContentCipher {
        self.cipher
    }
    /// The content-encryption key.
    pub fn key(&self) -> &[u8] {
        &self.cek
    }
    /// The CBC IV or the GCM nonce.
    pub fn iv(&self) -> &[u8] {
        &self.iv
    }

    /// The ContentInfo (DER) around the encrypted content: CBC ciphertext with PKCS#7
    /// padding, or GCM ciphertext with its 16-byte tag (no AAD).
    pub fn assemble(self, sealed: Sealed) -> Result<Vec<u8>> {
        let cipher = self.cipher;
        let want = if cipher.is_aead() { self.content_len } else { (self.content_len / 16).saturating_add(1).saturating_mul(16) };
        let tag_ok = if cipher.is_aead() { sealed.tag.as_ref().map(Vec::len) == Some(16) } else { sealed.tag.is_none() };
        if sealed.ciphertext.len() != want || !tag_ok {
            return Err(err(format!("{} bytes of ciphertext for {} bytes of content", sealed.ciphertext.len(), self.content_len)));
        }
        let iv = &self.iv;
        let infos = self.infos;
        let params = if cipher.is_aead() {
            // GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen INTEGER DEFAULT 12 }
            let mut body = OctetString::new(iv.to_vec()).map_err(err)?.to_der().map_err(err)?;
            body.extend_from_slice(&[0x02, 0x01, 16]);
            let mut seq = vec![0x30, body.len() as u8];
            seq.extend_from_slice(&body);
            Any::from_der_bytes(&seq)?
        } else {
            Any::encode_from(&OctetString::new(iv.to_vec()).map_err(err)?).map_err(err)?
        };
        let eci = EncryptedContentInfo {
            content_type: OID_DATA,
            content_enc_alg: AlgorithmIdentifierOwned { oid: cipher.oid(), parameters: Some(params) },
            encrypted_content: Some(OctetString::new(sealed.ciphertext).map_err(err)?),
        };
        let ci = if let Some(tag) = sealed.tag {
            let ad = AuthEnvelopedData {
                version: CmsVersion::V0,
                originator_info: None,
                recip_infos: RecipientInfos(infos),
                auth_encrypted_content_info: eci,
                auth_attrs: None,
                mac: OctetString::new(tag).map_err(err)?,
                unauth_attrs: None,
            };
            ContentInfo { content_type: OID_AUTH_ENVELOPED_DATA, content: Any::encode_from(&ad).map_err(err)? }
        } else {
            let ed = EnvelopedData { version: CmsVersion::V0, originator_info: None, recip_infos: RecipientInfos(infos), encrypted_content: eci, unprotected_attrs: None };
            ContentInfo { content_type: OID_ENVELOPED_DATA, content: Any::encode_from(&ed).map_err(err)? }
        };
        ci.to_der().map_err(err)
    }
}

trait FromDerBytes: Sized {
    fn from_der_bytes(b: &[u8]) -> Result<Self>;
}

impl FromDerBytes for Any {
    fn from_der_bytes(b: &[u8]) -> Result<Any> {
        use der::Decode;
        Any::from_der(b).map_err(err)
    }
}
