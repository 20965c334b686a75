//! Reading a PKCS#12 file (RFC 7292 sections 4 and 5.1): check the MAC, decrypt the
//! password-protected contents, collect keys and certificates, and pair them into identities.
//!
//! # Security
//! Input is untrusted: at most `MAX_PKCS12_SIZE` bytes, `MAX_BAGS` bags and `MAX_NESTING`
//! levels of nested safe contents; iteration counts are capped per derivation
//! (`MAX_ITERATIONS`) and for the whole file (`MAX_TOTAL_ITERATIONS`, one
//! [`kdf::IterationBudget`] shared by the MAC and every bag, over every password form tried). The MAC is
//! compared in constant time. Decrypted key bytes live in `Zeroizing` buffers.

use super::asn1::{self, BagValue, CertBag, Content, ContentInfo, Pfx, SafeBag};
use super::derive::{self, Derivations};
use super::kdf::{self, MacHash};
use super::pbe::{self, Password};
use super::{Identity, PrivateKey, MAX_BAGS, MAX_ITERATIONS, MAX_NESTING, MAX_PKCS12_SIZE};
use crate::error::{Code, Error, Result};
use der::asn1::{BmpString, OctetString};
use der::{Decode, Encode};
use x509_cert::Certificate;
use zeroize::Zeroizing;

/// A key found in the file, with its bag attributes.
pub struct FoundKey {
    pub key: PrivateKey,
    pub friendly_name: Option<String>,
}

/// Everything read from a file.
#[derive(Default)]
pub struct Contents {
    pub keys: Vec<FoundKey>,
    pub certs: Vec<(Certificate, Option<String>)>,
}

fn damaged(where_: &str, err: impl std::fmt::Display) -> Error {
    Error::new(
        Code::BadPkcs12,
        "The file is not a PKCS#12 (.p12/.pfx) file, or it is damaged.",
        "Choose the .p12 or .pfx file that was exported together with the private key.",
    )
    .with_detail(format!("{where_}: {err}"))
}

/// The password forms to try: an empty password is tried both as an empty BMPString (two
/// zero bytes) and as an absent password (no bytes), as implementations differ.
fn candidates(password: &str) -> Vec<Password> {
    let utf8 = || Zeroizing::new(password.as_bytes().to_vec());
    let mut out = vec![Password { bmp: kdf::bmp_password(password), utf8: utf8() }];
    if password.is_empty() {
        out.push(Password { bmp: Zeroizing::new(Vec::new()), utf8: utf8() });
    }
    out
}

/// Read all keys and certificates of a PKCS#12 file.
pub fn read(bytes: &[u8], password: &str) -> Result<Contents> {
    read_with_budget(bytes, password, &kdf::IterationBudget::new())
}

/// [`read`] spending the password hashing from `budget`.
pub fn read_with_budget(bytes: &[u8], password: &str, budget: &kdf::IterationBudget) -> Result<Contents> {
    read_with(bytes, password, budget, &derive::Core::new())?.ok_or_else(derive::incomplete)
}

/// [`read_with_budget`] with the PBKDF2 derivations of OID_PBES2 asked of `derive`. None: some
/// derivations were deferred (`derive` lists them); run again once they are answered.
/// Every top-level ContentInfo and bag is still visited, so that one run asks for all the
/// derivations it can see (the limits are checked and spent in the synchronous order).
pub fn read_with(bytes: &[u8], password: &str, budget: &kdf::IterationBudget, derive: &dyn Derivations) -> Result<Option<Contents>> {
    if bytes.len() > MAX_PKCS12_SIZE {
        return Err(Error::new(
            Code::LimitExceeded,
            "The PKCS#12 file is too large.",
            "Choose the file that contains your own certificate and key.",
        )
        .with_detail(format!("{} bytes, limit {MAX_PKCS12_SIZE}", bytes.len())));
    }
    // PEM-armoured PKCS#12 (a "PKCS12" block, as some tools and mail gateways write it):
    // the DER inside.
    let armoured;
    let bytes = if crate::asn1::pem::is_pem(bytes) {
        let text = std::str::from_utf8(bytes).map_err(|e| damaged("PEM", e))?;
        let blocks = crate::asn1::pem::blocks(text).map_err(|e| damaged("PEM", e))?;
        let block = blocks.into_iter().find(|b| b.label.contains("PKCS12") || b.label.contains("PKCS #12") || b.label.contains("PFX")).ok_or_else(|| damaged("PEM", "no PKCS12 block"))?;
        armoured = block.der;
        armoured.as_slice()
    } else {
        bytes
    };
    let pfx: Pfx = asn1::decode_der_or_ber(bytes).map_err(|e| damaged("PFX", e))?;
    if pfx.version != 3 {
        return Err(damaged("PFX", format!("version {} (expected 3)", pfx.version)));
    }
    let auth_safe = match &pfx.auth_safe.content {
        Content::Data(d) => d.as_bytes(),
        Content::Encrypted(_) | Content::Other(..) => {
            return Err(kdf::unsupported(&format!(
                "public-key integrity protection (content type {})",
                pfx.auth_safe.content_type()
            )))
        }
    };
    let mut tries = candidates(password);
    let verified = match &pfx.mac_data {
        Some(mac) => {
            let hash = MacHash::from_oid(mac.mac.algorithm.oid)?;
            if mac.iterations > MAX_ITERATIONS {
                return Err(kdf::too_many_iterations(mac.iterations));
            }
            let salt = mac.mac_salt.as_bytes();
            let mut found = None;
            // A MAC already checked in an earlier run of the same import is not computed
            // again (its iterations are spent all the same).
            let known = derive.mac_verified();
            for (i, pw) in tries.iter().enumerate() {
                budget.spend(mac.iterations)?;
                if known == Some(i) {
                    found = Some(i);
                    break;
                }
                if known.is_some() {
                    continue;
                }
                let computed = kdf::mac(hash, &pw.bmp, salt, mac.iterations, auth_safe)?;
                if kdf::mac_equal(&computed, mac.mac.digest.as_bytes()) {
                    found = Some(i);
                    break;
                }
            }
            let i = found.ok_or_else(pbe::wrong_password)?;
            derive.remember_mac(i);
            tries = tries.into_iter().skip(i).take(1).collect();
            true
        }
        None => false,
    };
    let infos: Vec<ContentInfo> = asn1::decode_der_or_ber(auth_safe).map_err(|e| damaged("AuthenticatedSafe", e))?;
    let mut last = pbe::wrong_password();
    for pw in &tries {
        match collect(&infos, pw, verified, budget, derive) {
            Ok(c) => return Ok(c),
            Err(e) if e.code == Code::WrongPassword => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// The contents, or None when a derivation was deferred (the rest is still visited).
fn collect(infos: &[ContentInfo], pw: &Password, verified: bool, budget: &kdf::IterationBudget, derive: &dyn Derivations) -> Result<Option<Contents>> {
    let mut out = Contents::default();
    let mut count = 0usize;
    let mut complete = true;
    for (n, info) in infos.iter().enumerate() {
        let bags: Vec<SafeBag> = match &info.content {
            Content::Data(d) => asn1::decode_der_or_ber(d.as_bytes()).map_err(|e| damaged(&format!("SafeContents {n}"), e))?,
            Content::Encrypted(e) => {
                let ct = e.info.encrypted_content.as_ref().map(OctetString::as_bytes).unwrap_or_default();
                let Some(plain) = pbe::decrypt(&e.info.algorithm, pw, ct, budget, derive)? else {
                    complete = false;
                    continue;
                };
                asn1::decode_der_or_ber(&plain).map_err(|err| {
                    if verified {
                        damaged(&format!("encrypted SafeContents {n}"), err)
                    } else {
                        pbe::wrong_password()
                    }
                })?
            }
            Content::Other(oid, _) if *oid == crate::oid::OID_ENVELOPED_DATA => {
                return Err(kdf::unsupported("public-key privacy protection (envelopedData)"))
            }
            Content::Other(..) => continue,
        };
        complete &= walk(&bags, pw, verified, 0, &mut count, &mut out, budget, derive)?;
    }
    Ok(complete.then_some(out))
}

/// Collect the keys and certificates of `bags`; false when a derivation was deferred.
#[allow(clippy::too_many_arguments)]
fn walk(bags: &[SafeBag], pw: &Password, verified: bool, depth: usize, count: &mut usize, out: &mut Contents, budget: &kdf::IterationBudget, derive: &dyn Derivations) -> Result<bool> {
    let mut complete = true;
    if depth > MAX_NESTING {
        return Err(damaged("SafeContents", "nested too deeply"));
    }
    for bag in bags {
        *count = count.saturating_add(1);
        if *count > MAX_BAGS {
            return Err(damaged("SafeContents", format!("more than {MAX_BAGS} bags")));
        }
        let name = friendly_name(bag);
        match &bag.value {
            BagValue::Key(any) => {
                let der = Zeroizing::new(any.to_der().map_err(|e| damaged("keyBag", e))?);
                out.keys.push(FoundKey { key: PrivateKey::from_pkcs8_der(&der)?, friendly_name: name });
            }
            BagValue::Shrouded(k) => {
                let Some(plain) = pbe::decrypt(&k.algorithm, pw, k.data.as_bytes(), budget, derive)? else {
                    complete = false;
                    continue;
                };
                let key = PrivateKey::from_pkcs8_der(&plain).map_err(|e| {
                    if verified || e.code != Code::BadPkcs12 {
                        e
                    } else {
                        pbe::wrong_password()
                    }
                })?;
                out.keys.push(FoundKey { key, friendly_name: name });
            }
            BagValue::Cert(CertBag::X509(octets)) => {
                let cert: Certificate = Certificate::from_der(octets.as_bytes())
                    .or_else(|_| Certificate::from_ber(octets.as_bytes()))
                    .map_err(|e| damaged("certBag", e))?;
                out.certs.push((cert, name));
            }
            BagValue::Nested(inner) => complete &= walk(inner, pw, verified, depth + 1, count, out, budget, derive)?,
            BagValue::Cert(CertBag::Other(_)) | BagValue::Other(..) => {}
        }
    }
    Ok(complete)
}

fn friendly_name(bag: &SafeBag) -> Option<String> {
    let any = bag.attribute(crate::oid::OID_FRIENDLY_NAME)?;
    let bmp: BmpString = any.decode_as().ok()?;
    let s = bmp.to_string();
    (!s.is_empty()).then_some(s)
}

/// Pair keys with certificates by public key; order each chain from the leaf's issuer up.
pub fn identities(contents: Contents) -> Result<Vec<Identity>> {
    if contents.keys.is_empty() {
        return Err(Error::new(
            Code::NoPrivateKey,
            "The PKCS#12 file contains certificates but no private key.",
            "Export the certificate again together with its private key.",
        )
        .with_detail(format!("{} certificate(s)", contents.certs.len())));
    }
    let key_count = contents.keys.len();
    let mut out = Vec::new();
    for found in contents.keys {
        let Some(pos) = contents.certs.iter().position(|(c, _)| found.key.matches(c)) else {
            continue;
        };
        let Some((leaf, cert_name)) = contents.certs.get(pos).cloned() else {
            continue;
        };
        let others: Vec<Certificate> = contents.certs.iter().filter(|(c, _)| c != &leaf).map(|(c, _)| c.clone()).collect();
        out.push(Identity {
            chain: order_chain(&leaf, others),
            certificate: leaf,
            key: found.key,
            friendly_name: found.friendly_name.or(cert_name),
            encryption: None,
        });
    }
    if out.is_empty() {
        return Err(Error::new(
            Code::BadPkcs12,
            "The PKCS#12 file has a private key but not the certificate that belongs to it.",
            "Export the certificate together with its private key.",
        )
        .with_detail(format!("{key_count} key(s), {} certificate(s), none matching", contents.certs.len())));
    }
    Ok(out)
}

/// The issuer of `leaf` first, then its issuer, and so on; certificates not on that path last.
fn order_chain(leaf: &Certificate, mut rest: Vec<Certificate>) -> Vec<Certificate> {
    let mut out = Vec::new();
    let mut current = leaf.clone();
    loop {
        let tbs = current.tbs_certificate();
        if tbs.issuer() == tbs.subject() {
            break;
        }
        let Some(pos) = rest.iter().position(|c| c.tbs_certificate().subject() == tbs.issuer()) else {
            break;
        };
        let next = rest.remove(pos);
        out.push(next.clone());
        current = next;
    }
    out.extend(rest);
    out
}
