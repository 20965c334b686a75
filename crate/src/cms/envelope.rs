//! Encrypting: EnvelopedData with AES-CBC (RFC 5652 section 6, RFC 3565) and
//! AuthEnvelopedData with AES-GCM (RFC 5083, RFC 5084), one KeyTransRecipientInfo per RSA
//! recipient (RFC 3370 4.2.1 PKCS#1 v1.5 or RFC 3560 RSAES-OAEP) and one
//! KeyAgreeRecipientInfo per EC recipient (RFC 5753 ECDH, see `kari`). The content-encryption
//! key, IV and nonce are fresh random values from the operating system. The output is DER,
//! recipientInfos in SET OF order ([`crate::asn1::der_set`]).

use super::kari::{build_kari, is_ec};
use super::recipients::{build_ktri, KeyTransport};
use crate::oid::{OID_AUTH_ENVELOPED_DATA, OID_DATA, OID_ENVELOPED_DATA};
use crate::crypto::cipher::{ContentCipher, Sealed, Symmetric};
use crate::asn1::der::{push_header, tlv_len};
use crate::error::{Code, Error, Result};
use cms::content_info::CmsVersion;
use cms::enveloped_data::{EncryptedContentInfo, RecipientInfo, RecipientInfos};
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
    let mut infos = Vec::new();
    let mut seen: Vec<&Certificate> = Vec::new();
    for (cert, transport) in recipients {
        let dup = seen.iter().any(|c| c.tbs_certificate().issuer() == cert.tbs_certificate().issuer() && c.tbs_certificate().serial_number() == cert.tbs_certificate().serial_number());
        if dup {
            continue;
        }
        seen.push(cert);
        infos.push(if is_ec(cert) { build_kari(cert, &cek)? } else { build_ktri(cert, &cek, *transport)? });
    }
    // recipientInfos is a SET OF: DER order, by encoding (X.690 11.6).
    let infos = crate::asn1::der_set::der_set_of(infos)?;
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
        let [head, mut out, tail] = self.assemble_pieces(sealed)?;
        // The ciphertext's own buffer becomes the output: the head is put in front of it
        // (one move within memory already in use) rather than everything copied anew.
        out.reserve_exact(head.len() + tail.len());
        out.splice(0..0, head);
        out.extend_from_slice(&tail);
        Ok(out)
    }

    /// [`EnvelopePlan::assemble`] as three pieces, one after another: the fields before the
    /// ciphertext, the ciphertext itself (its own buffer, not moved), and the fields after it
    /// (AuthEnvelopedData's tag; else empty).
    pub fn assemble_pieces(self, sealed: Sealed) -> Result<[Vec<u8>; 3]> {
        let [head, tail] = self.assemble_around(sealed.ciphertext.len(), sealed.tag)?;
        Ok([head, sealed.ciphertext, tail])
    }

    /// The fields before and after a ciphertext of `ct_size` bytes (held elsewhere) with GCM's
    /// `tag`, as [`EnvelopePlan::assemble_pieces`] gives them.
    pub fn assemble_around(self, ct_size: usize, tag: Option<Vec<u8>>) -> Result<[Vec<u8>; 2]> {
        let cipher = self.cipher;
        let want = if cipher.is_aead() { self.content_len } else { (self.content_len / 16).saturating_add(1).saturating_mul(16) };
        let tag_ok = if cipher.is_aead() { tag.as_ref().map(Vec::len) == Some(16) } else { tag.is_none() };
        if ct_size != want || !tag_ok {
            return Err(err(format!("{} bytes of ciphertext for {} bytes of content", ct_size, self.content_len)));
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
        // The ContentInfo is assembled around the ciphertext instead of through the `der`
        // encoder, which would copy the whole content twice more (the inner value, then the
        // ContentInfo). The small fields still come from the `cms` types' own encoders.
        let eci = EncryptedContentInfo {
            content_type: OID_DATA,
            content_enc_alg: AlgorithmIdentifierOwned { oid: cipher.oid(), parameters: Some(params) },
            encrypted_content: None,
        };
        // RFC 5652 6.1: EnvelopedData is version 2 once a RecipientInfo is not version 0
        // (a KeyAgreeRecipientInfo is version 3); AuthEnvelopedData is always 0 (RFC 5083).
        let all_v0 = infos.iter().all(|ri| matches!(ri, RecipientInfo::Ktri(k) if k.version == CmsVersion::V0));
        let version = if cipher.is_aead() || all_v0 { CmsVersion::V0 } else { CmsVersion::V2 };
        let version = version.to_der().map_err(err)?;
        let recipients = RecipientInfos(infos).to_der().map_err(err)?;
        let eci_head = eci.to_der().map_err(err)?;
        let eci_fields = der_content(&eci_head)?;
        // encryptedContent [0] IMPLICIT OCTET STRING (primitive).
        let ct_len = tlv_len(ct_size);
        let eci_len = tlv_len(eci_fields.len() + ct_len);
        let (oid, mac) = match &tag {
            Some(tag) => (OID_AUTH_ENVELOPED_DATA, Some(OctetString::new(tag.clone()).map_err(err)?.to_der().map_err(err)?)),
            None => (OID_ENVELOPED_DATA, None),
        };
        let body_len = version.len() + recipients.len() + eci_len + mac.as_ref().map_or(0, Vec::len);
        let oid_der = oid.to_der().map_err(err)?;
        let explicit_len = tlv_len(tlv_len(body_len));
        let mut head = Vec::with_capacity(64 + oid_der.len() + version.len() + recipients.len() + eci_fields.len());
        push_header(&mut head, 0x30, oid_der.len() + explicit_len);
        head.extend_from_slice(&oid_der);
        push_header(&mut head, 0xa0, tlv_len(body_len));
        push_header(&mut head, 0x30, body_len);
        head.extend_from_slice(&version);
        head.extend_from_slice(&recipients);
        push_header(&mut head, 0x30, eci_fields.len() + ct_len);
        head.extend_from_slice(eci_fields);
        push_header(&mut head, 0x80, ct_size);
        Ok([head, mac.unwrap_or_default()])
    }
}

/// The content octets of one DER element.
fn der_content(element: &[u8]) -> Result<&[u8]> {
    crate::asn1::ber::read_all(element).map(|t| t.content).map_err(|e| err(format!("encoding: {e}")))
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

#[cfg(test)]
mod tests {
    use super::*;
    use cms::authenveloped_data::AuthEnvelopedData;
    use cms::content_info::ContentInfo;
    use cms::enveloped_data::EnvelopedData;
    use der::Decode;

    /// The hand-assembled ContentInfo is exactly what the `der` encoder writes for it.
    #[test]
    fn assembled_der_matches_the_encoder() {
        let pem = cachet_testkit::TempDir::new("envelope-der");
        cachet_testkit::Key::Rsa2048.pooled(&pem.path("k.pem"));
        pem.openssl(&["req", "-x509", "-new", "-key", "k.pem", "-subj", "/CN=Env", "-days", "30", "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "keyUsage=keyEncipherment", "-out", "c.pem"]);
        let cert = crate::cert::facts::parse_certificates(&pem.read("c.pem")).unwrap().remove(0);
        pem.openssl(&["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ek.pem", "-subj", "/CN=EnvEC", "-days", "30", "-addext", "keyUsage=keyAgreement", "-out", "ec.pem"]);
        let ec = crate::cert::facts::parse_certificates(&pem.read("ec.pem")).unwrap().remove(0);
        for cipher in [ContentCipher::Aes256Cbc, ContentCipher::Aes128Gcm, ContentCipher::Aes256Gcm] {
            for size in [0usize, 5, 100, 200, 70_000, 300_000] {
                let content = vec![b'x'; size];
                // RSA alone (version 0), and with an EC recipient (EnvelopedData version 2).
                let list: &[(&Certificate, KeyTransport)] = if size % 2 == 0 { &[(&cert, KeyTransport::Pkcs1v15)] } else { &[(&cert, KeyTransport::Pkcs1v15), (&ec, KeyTransport::Pkcs1v15)] };
                let der = encrypt(&content, list, cipher, &crate::crypto::cipher::RustCrypto).unwrap();
                let ci = ContentInfo::from_der(&der).unwrap();
                let again = if cipher.is_aead() {
                    let ad: AuthEnvelopedData = ci.content.decode_as().unwrap();
                    assert_eq!(ad.mac.as_bytes().len(), 16);
                    ContentInfo { content_type: OID_AUTH_ENVELOPED_DATA, content: Any::encode_from(&ad).unwrap() }
                } else {
                    let ed: EnvelopedData = ci.content.decode_as().unwrap();
                    assert!(ed.encrypted_content.encrypted_content.is_some());
                    assert_eq!(ed.version, if list.len() == 1 { CmsVersion::V0 } else { CmsVersion::V2 });
                    ContentInfo { content_type: OID_ENVELOPED_DATA, content: Any::encode_from(&ed).unwrap() }
                };
                assert_eq!(again.to_der().unwrap(), der, "{cipher:?} {size}");
            }
        }
    }
}
