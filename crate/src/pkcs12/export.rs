//! Writing an encrypted backup PKCS#12 (RFC 7292 sections 4 and 5): the key (and a separate
//! encryption key, when the identity has one) in a pkcs8ShroudedKeyBag and the certificates in an encryptedData, both OID_PBES2
//! (PBKDF2-HMAC-SHA256 + AES-256-CBC, RFC 8018), with a SHA-256 MAC (appendix B key).
//! The layout matches what `openssl pkcs12 -export` writes, so OpenSSL, NSS (Thunderbird),
//! Windows and Python `cryptography` read it.

use super::asn1::{
    Attribute, BagValue, CertBag, Content, ContentInfo, DigestInfo, EncryptedContentInfo, EncryptedData,
    EncryptedPrivateKeyInfo, MacData, Pfx, SafeBag,
};
use super::derive::Derivations;
use super::kdf::{self, MacHash};
use super::{pbe, Identity, MAX_ITERATIONS};
use crate::error::{Code, Error, Result};
use der::asn1::{Any, BmpString, OctetString};
use der::Encode;
use sha1::{Digest, Sha1};
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

fn failed(e: impl std::fmt::Display) -> Error {
    Error::new(Code::Crypto, "The backup could not be written.", "Try again.").with_detail(e)
}

fn attribute(oid: der::asn1::ObjectIdentifier, value: Any) -> Result<Attribute> {
    let values = crate::asn1::der_set::der_set_of([value])?;
    Ok(Attribute { oid, values })
}

fn octets(bytes: Vec<u8>) -> Result<OctetString> {
    OctetString::new(bytes).map_err(failed)
}

/// The name shown by importers: the identity's friendly name, else the certificate's CN.
fn display_name(identity: &Identity) -> String {
    if let Some(n) = identity.friendly_name.as_ref().filter(|n| !n.is_empty()) {
        return n.clone();
    }
    let cn = crate::oid::OID_COMMON_NAME;
    for rdn in identity.certificate.tbs_certificate().subject().iter_rdn() {
        for atv in rdn.iter() {
            if atv.oid == cn {
                if let Ok(s) = atv.value.decode_as::<String>() {
                    return s;
                }
                if let Ok(s) = atv.value.decode_as::<der::asn1::PrintableString>() {
                    return s.to_string();
                }
            }
        }
    }
    "Cachet identity".to_owned()
}

/// Build the backup. `fill` supplies random bytes (salts and IVs, always the same amount in
/// the same order); `derive` the PBKDF2 keys. None: `derive` deferred a derivation (it lists
/// them); run again with the same random bytes once they are answered. The MAC (appendix B
/// KDF, always the core's) is only computed in a run that has every key.
pub fn build(
    identity: &Identity,
    password: &str,
    iterations: u32,
    fill: &mut dyn FnMut(&mut [u8]) -> Result<()>,
    derive: &dyn Derivations,
) -> Result<Option<Vec<u8>>> {
    if password.is_empty() {
        return Err(Error::usage("A backup needs a password."));
    }
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(Error::usage(format!("The iteration count must be between 1 and {MAX_ITERATIONS}.")));
    }
    // Every key pair (a separate encryption one too), each with its own localKeyId.
    let mut pairs = Vec::new();
    for id in identity.key_pairs() {
        let leaf_der = id.certificate.to_der().map_err(failed)?;
        let local_key_id = Any::encode_from(&octets(Sha1::digest(&leaf_der).to_vec())?).map_err(failed)?;
        let name = Any::encode_from(&BmpString::from_utf8(&display_name(id)).map_err(failed)?).map_err(failed)?;
        let attrs = vec![attribute(crate::oid::OID_FRIENDLY_NAME, name)?, attribute(crate::oid::OID_LOCAL_KEY_ID, local_key_id)?];
        pairs.push((id, leaf_der, attrs));
    }

    let mut random = |n: usize| -> Result<Vec<u8>> {
        let mut b = vec![0u8; n];
        fill(&mut b)?;
        Ok(b)
    };
    let mut block = || -> Result<[u8; 16]> { <[u8; 16]>::try_from(random(16)?.as_slice()).map_err(|_| failed("random bytes")) };
    // One PBKDF2 salt for every bag of the backup, a fresh IV for each. The salt is what makes
    // a password's key differ between files (this one is random per backup); within one file the
    // certificates and the keys are encrypted by the same password anyway, and a shared
    // (salt, iterations) lets a reader derive the key once instead of once per bag: an unlock
    // then costs one 600,000-iteration PBKDF2 instead of two. AES-CBC under one key with
    // independent random IVs is what CBC is made for. Older backups, one salt per bag, read
    // the same way (the reader derives once per distinct salt).
    let salt = block()?;
    // Certificates: each leaf with its attributes, then its chain (each certificate once), in
    // one encryptedData.
    let mut cert_bags = Vec::new();
    let mut written: Vec<Vec<u8>> = Vec::new();
    for (id, leaf_der, attrs) in &pairs {
        cert_bags.push(SafeBag { value: BagValue::Cert(CertBag::X509(octets(leaf_der.clone())?)), attributes: attrs.clone() });
        written.push(leaf_der.clone());
        for c in &id.chain {
            let der = c.to_der().map_err(failed)?;
            if !written.contains(&der) && !pairs.iter().any(|(_, l, _)| *l == der) {
                written.push(der.clone());
                cert_bags.push(SafeBag { value: BagValue::Cert(CertBag::X509(octets(der)?)), attributes: Vec::new() });
            }
        }
    }
    let certs_plain = cert_bags.to_der().map_err(failed)?;
    let iv = block()?;
    let mut complete = true;
    let (alg, ct) = match pbe::encrypt_pbes2(password, &certs_plain, iterations, &salt, iv, derive)? {
        Some(done) => done,
        None => {
            complete = false;
            (AlgorithmIdentifierOwned { oid: crate::oid::OID_PBES2, parameters: None }, Vec::new())
        }
    };
    let certs_info = ContentInfo {
        content: Content::Encrypted(EncryptedData {
            version: 0,
            info: EncryptedContentInfo { content_type: crate::oid::OID_DATA, algorithm: alg, encrypted_content: Some(octets(ct)?) },
        }),
    };

    // The keys: PKCS#8 encrypted into a pkcs8ShroudedKeyBag each, in a plain data ContentInfo.
    let mut key_bags = Vec::new();
    for (id, _, attrs) in pairs {
        let key_plain = id.key.to_pkcs8_der()?;
        let iv = block()?;
        let encrypted = pbe::encrypt_pbes2(password, &key_plain, iterations, &salt, iv, derive)?;
        drop(key_plain);
        let Some((alg, ct)) = encrypted else {
            complete = false;
            continue;
        };
        key_bags.push(SafeBag { value: BagValue::Shrouded(EncryptedPrivateKeyInfo { algorithm: alg, data: octets(ct)? }), attributes: attrs });
    }
    let key_info = ContentInfo { content: Content::Data(octets(key_bags.to_der().map_err(failed)?)?) };

    let auth_safe = vec![certs_info, key_info].to_der().map_err(failed)?;
    let mac_salt = random(16)?;
    if !complete {
        return Ok(None);
    }
    let bmp = Zeroizing::new(kdf::bmp_password(password).to_vec());
    let mac = kdf::mac(MacHash::Sha256, &bmp, &mac_salt, iterations, &auth_safe)?;
    let pfx = Pfx {
        version: 3,
        auth_safe: ContentInfo { content: Content::Data(octets(auth_safe)?) },
        mac_data: Some(MacData {
            mac: DigestInfo {
                algorithm: AlgorithmIdentifierOwned { oid: MacHash::Sha256.oid(), parameters: Some(Any::null()) },
                digest: octets(mac)?,
            },
            mac_salt: octets(mac_salt)?,
            iterations,
        }),
    };
    pfx.to_der().map(Some).map_err(failed)
}
