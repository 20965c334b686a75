//! Separate signing and encryption certificates (RFC 8550 4.4.2, RFC 8551 2.5.3): many
//! corporate CAs issue a person two key pairs, one whose key usage allows only signatures
//! (digitalSignature, nonRepudiation) and one that allows only keyEncipherment (RSA) or
//! keyAgreement (EC). Such pairs come in one PKCS#12 file or in two; [`pair`] makes one
//! identity of them: signing uses the first, encryption (the sender's own copy, and the
//! EncryptionKeyPreference attribute that tells contacts which certificate to use) the second.

use super::Identity;
use crate::cert::facts::{addresses_equal, email_addresses, usability};
use crate::error::{Code, Error, Result};

/// One identity from the key pairs of one or more PKCS#12 files: a certificate that can
/// only sign together with one that can only be encrypted to for one of its addresses
/// becomes one identity with a separate encryption key ([`Identity::encryption`]);
/// otherwise the first identity that can do both, else the first one. Errors:
/// `NoPrivateKey` when `ids` is empty.
///
/// # Security
/// The identities come from files the user chose; only their certificates' key usage and
/// e-mail addresses are compared (quadratic in the count, which the PKCS#12 reader bounds).
pub fn pair(mut ids: Vec<Identity>) -> Result<Identity> {
    let certs: Vec<&x509_cert::Certificate> = ids.iter().map(|i| &i.certificate).collect();
    if let Some((s, e)) = roles(&certs) {
        // Remove the later index first so the earlier one stays in place.
        let (later, earlier) = if s > e { (s, e) } else { (e, s) };
        let a = ids.remove(later);
        let b = ids.remove(earlier);
        let (mut signer, enc) = if s > e { (a, b) } else { (b, a) };
        signer.encryption = Some(Box::new(enc));
        return Ok(signer);
    }
    let pick = certs.iter().position(|c| {
        let u = usability(c);
        u.sign && u.encrypt
    });
    let pick = pick.unwrap_or(0);
    if pick < ids.len() {
        return Ok(ids.remove(pick));
    }
    Err(Error::new(Code::NoPrivateKey, "The PKCS#12 file has no private key.", "Export the certificate with its private key."))
}

/// Do `a` and `b` make one identity with separate certificates (one signs only, the other
/// is encrypted to, for a shared address)? Either order.
pub fn complementary(a: &x509_cert::Certificate, b: &x509_cert::Certificate) -> bool {
    roles(&[a, b]).is_some()
}

/// The (signing, encryption) indexes of a signing-only certificate and a certificate for one
/// of its addresses that can be encrypted to (an encryption-only one preferred).
fn roles(certs: &[&x509_cert::Certificate]) -> Option<(usize, usize)> {
    let uses: Vec<(bool, bool)> = certs.iter().map(|c| {
        let u = usability(c);
        (u.sign, u.encrypt)
    }).collect();
    let emails: Vec<Vec<String>> = certs.iter().map(|c| email_addresses(c)).collect();
    let can = |i: usize| uses.get(i).copied().unwrap_or((false, false));
    let shares = |a: usize, b: usize| -> bool {
        let (Some(x), Some(y)) = (emails.get(a), emails.get(b)) else { return false };
        x.iter().any(|m| y.iter().any(|n| addresses_equal(m, n)))
    };
    let partner = |s: usize| -> Option<usize> {
        let all: Vec<usize> = (0..certs.len()).filter(|&e| e != s && can(e).1 && shares(s, e) && certs.get(e) != certs.get(s)).collect();
        all.iter().copied().find(|&e| !can(e).0).or_else(|| all.first().copied())
    };
    (0..certs.len()).filter(|&s| can(s) == (true, false)).find_map(|s| partner(s).map(|e| (s, e)))
}

/// Whether `identity` can receive encrypted mail (its encryption certificate allows it).
pub fn can_receive_encrypted(identity: &Identity) -> bool {
    let c = identity.encryption_certificate();
    usability(c).encrypt || c.tbs_certificate().subject_public_key_info().algorithm.oid == crate::oid::OID_RSAES_OAEP
}
