//! PasswordRecipientInfo (RFC 5652 6.2.4, RFC 3211): a content-encryption key wrapped with
//! a key derived from a password, as `openssl cms -encrypt -pwri_password` and gpgsm write
//! it. The key is derived with PBKDF2 (RFC 8018) and unwrapped with the RFC 3211 key wrap
//! (id-alg-PWRI-KEK: CBC twice over the formatted key, with check bytes) using the block
//! cipher its parameters name (AES-128/192/256 or 3DES, CBC).
//!
//! # Security
//! Input is untrusted, and the iteration count is the sender's choice: one derivation may
//! use at most [`MAX_PWRI_ITERATIONS`] iterations and one envelope at most
//! [`MAX_PWRI_TOTAL_ITERATIONS`] over every password and PasswordRecipientInfo tried; past
//! either the envelope is `malformed` with a `limit-exceeded` error naming the limit. A
//! wrong password fails the check bytes (about once in 2^24 it passes them, and then the
//! content decryption fails as for any wrong key). Derived keys are zeroized on drop.

use crate::crypto::ContentCipher;
use crate::error::{Code, Error};
use crate::oid::OID_PWRI_KEK;
use cipher::{BlockModeDecrypt, KeyIvInit};
use cms::enveloped_data::{PasswordRecipientInfo, RecipientInfo};
use der::{Decode, Encode};
use pkcs5::pbes2::{Pbkdf2Params, Pbkdf2Prf};
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

/// Most PBKDF2 iterations of one key derivation (the sender chooses the count). Writers use
/// far fewer (OpenSSL 2 048); the bound is low enough that the add-in's WebCrypto path, which
/// may run `open` a few times (`cms::bulk::Deferred`) and derives again each time, stays
/// within its call budget.
pub const MAX_PWRI_ITERATIONS: u32 = 2_000_000;
/// Most PBKDF2 iterations spent on one envelope in one run of `open`, every password and
/// every PasswordRecipientInfo together.
pub const MAX_PWRI_TOTAL_ITERATIONS: u64 = 4_000_000;
/// id-PBKDF2 (RFC 8018 A.2).
const OID_PBKDF2: const_oid::ObjectIdentifier = const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.12");

/// What the passwords did with the PasswordRecipientInfos of an envelope.
#[derive(Default)]
pub struct PasswordKeys {
    /// Keys whose check bytes passed, in order.
    pub keys: Vec<Zeroizing<Vec<u8>>>,
    /// The envelope has at least one PasswordRecipientInfo.
    pub has_pwri: bool,
    /// A named limit stopped the work.
    pub limit: Option<Error>,
    /// Why a PasswordRecipientInfo could not be used (an algorithm Cachet does not read).
    pub unsupported: Option<String>,
}

fn limit(name: &str, value: impl std::fmt::Display, found: impl std::fmt::Display) -> Error {
    Error::new(
        Code::LimitExceeded,
        "This password-encrypted message asks for more password hashing than Cachet does safely.",
        "Ask the sender to encrypt it again with a usual setting (or to your certificate).",
    )
    .with_detail(format!("limit {name} = {value} exceeded ({found})"))
}

/// Try every password on every PasswordRecipientInfo of `infos`.
///
/// # Security
/// See the module documentation (iteration limits, check bytes).
pub fn password_keys(infos: &[RecipientInfo], passwords: &[&str]) -> PasswordKeys {
    let mut out = PasswordKeys::default();
    let mut spent: u64 = 0;
    for ri in infos {
        let RecipientInfo::Pwri(p) = ri else { continue };
        out.has_pwri = true;
        for pw in passwords {
            match unwrap(p, pw.as_bytes(), &mut spent) {
                Ok(Some(k)) => out.keys.push(k),
                Ok(None) => {}
                Err(Stop::Limit(e)) => {
                    out.limit = Some(e);
                    return out;
                }
                Err(Stop::Unsupported(why)) => {
                    out.unsupported.get_or_insert(why);
                    break;
                }
            }
        }
    }
    out
}

enum Stop {
    Limit(Error),
    Unsupported(String),
}

/// The PBKDF2 parameters and the KEK cipher with its IV.
fn parameters(p: &PasswordRecipientInfo) -> Result<(Pbkdf2Params, ContentCipher, Vec<u8>), Stop> {
    let unsupported = |s: String| Stop::Unsupported(s);
    let kdf = p.key_derivation_alg.as_ref().ok_or_else(|| unsupported("the password recipient names no key derivation".into()))?;
    if kdf.oid != OID_PBKDF2 {
        return Err(unsupported(format!("the password is hashed with an unknown algorithm ({})", kdf.oid)));
    }
    let params = kdf.parameters.as_ref().and_then(|a| a.to_der().ok()).and_then(|d| Pbkdf2Params::from_der(&d).ok()).ok_or_else(|| unsupported("damaged PBKDF2 parameters".into()))?;
    if p.key_enc_alg.oid != OID_PWRI_KEK {
        return Err(unsupported(format!("the key is wrapped with an unknown algorithm ({})", p.key_enc_alg.oid)));
    }
    let inner = p.key_enc_alg.parameters.as_ref().and_then(|a| a.to_der().ok()).and_then(|d| AlgorithmIdentifierOwned::from_der(&d).ok()).ok_or_else(|| unsupported("damaged key wrap parameters".into()))?;
    let c = ContentCipher::from_oid(&inner.oid).filter(|c| !c.is_aead() && matches!(c, ContentCipher::Aes128Cbc | ContentCipher::Aes192Cbc | ContentCipher::Aes256Cbc | ContentCipher::DesEde3Cbc)).ok_or_else(|| unsupported(format!("the key wrap uses an unknown cipher ({})", inner.oid)))?;
    let iv = inner.parameters.as_ref().and_then(|a| a.decode_as::<der::asn1::OctetString>().ok()).map(|o| o.as_bytes().to_vec()).filter(|iv| iv.len() == c.iv_len()).ok_or_else(|| unsupported("the key wrap has no valid IV".into()))?;
    if params.key_length.is_some_and(|n| usize::from(n) != c.key_len()) {
        return Err(unsupported("the PBKDF2 key length does not fit the key wrap cipher".into()));
    }
    Ok((params, c, iv))
}

/// One password on one PasswordRecipientInfo: the key when the check bytes pass.
fn unwrap(p: &PasswordRecipientInfo, password: &[u8], spent: &mut u64) -> Result<Option<Zeroizing<Vec<u8>>>, Stop> {
    let (params, c, iv) = parameters(p)?;
    let n = params.iteration_count;
    if n > MAX_PWRI_ITERATIONS {
        return Err(Stop::Limit(limit("MAX_PWRI_ITERATIONS", MAX_PWRI_ITERATIONS, format!("{n} iterations"))));
    }
    *spent = spent.saturating_add(u64::from(n));
    if *spent > MAX_PWRI_TOTAL_ITERATIONS {
        return Err(Stop::Limit(limit("MAX_PWRI_TOTAL_ITERATIONS", MAX_PWRI_TOTAL_ITERATIONS, format!("{spent} iterations"))));
    }
    let mut kek = Zeroizing::new(vec![0u8; c.key_len()]);
    let salt = params.salt.as_ref();
    match params.prf {
        Pbkdf2Prf::HmacWithSha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, n, &mut kek),
        Pbkdf2Prf::HmacWithSha224 => pbkdf2::pbkdf2_hmac::<sha2::Sha224>(password, salt, n, &mut kek),
        Pbkdf2Prf::HmacWithSha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, n, &mut kek),
        Pbkdf2Prf::HmacWithSha384 => pbkdf2::pbkdf2_hmac::<sha2::Sha384>(password, salt, n, &mut kek),
        Pbkdf2Prf::HmacWithSha512 => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, salt, n, &mut kek),
        _ => return Err(Stop::Unsupported("the password is hashed with an unknown PBKDF2 function".into())),
    }
    let wrapped = p.enc_key.as_bytes();
    Ok(match c {
        ContentCipher::Aes128Cbc => kek_unwrap::<aes::Aes128>(&kek, &iv, wrapped),
        ContentCipher::Aes192Cbc => kek_unwrap::<aes::Aes192>(&kek, &iv, wrapped),
        ContentCipher::Aes256Cbc => kek_unwrap::<aes::Aes256>(&kek, &iv, wrapped),
        ContentCipher::DesEde3Cbc => kek_unwrap::<des::TdesEde3>(&kek, &iv, wrapped),
        _ => None,
    })
}

/// CBC decryption of whole blocks, no padding.
fn cbc_raw<C>(key: &[u8], iv: &[u8], data: &[u8]) -> Option<Zeroizing<Vec<u8>>>
where
    C: cipher::BlockCipherDecrypt + cipher::KeyInit,
{
    let dec = cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?;
    dec.decrypt_padded_vec::<cipher::block_padding::NoPadding>(data).ok().map(Zeroizing::new)
}

/// The RFC 3211 2.3.2 key unwrap: decrypt the last block with the one before it as IV,
/// the other blocks with that result as IV (the outer layer), then everything again with
/// the real IV (the inner layer); the result is a length byte, three check bytes, the key
/// whose first three bytes complement them, and padding.
fn kek_unwrap<C>(kek: &[u8], iv: &[u8], wrapped: &[u8]) -> Option<Zeroizing<Vec<u8>>>
where
    C: cipher::BlockCipherDecrypt + cipher::KeyInit,
{
    let b = <C as cipher::BlockSizeUser>::block_size();
    let n = wrapped.len();
    if n < 2 * b || !n.is_multiple_of(b) {
        return None;
    }
    let last = cbc_raw::<C>(kek, wrapped.get(n - 2 * b..n - b)?, wrapped.get(n - b..)?)?;
    let mut inner = cbc_raw::<C>(kek, &last, wrapped.get(..n - b)?)?;
    inner.extend_from_slice(&last);
    let p = cbc_raw::<C>(kek, iv, &inner)?;
    let len = usize::from(*p.first()?);
    let check = (1..4).all(|i| matches!((p.get(i), p.get(i + 3)), (Some(a), Some(k)) if a ^ k == 0xff));
    if !check || len == 0 || 4 + len > p.len() {
        return None;
    }
    Some(Zeroizing::new(p.get(4..4 + len)?.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::asn1::der::tlv;
    use cipher::BlockModeEncrypt;

    /// A PasswordRecipientInfo for `cek` under `password`, written here with the RFC 3211
    /// wrap (PBKDF2-HMAC-SHA256, AES-128-CBC): `check` false breaks the check bytes.
    fn pwri(password: &[u8], iterations: u32, cek: &[u8], check: bool) -> RecipientInfo {
        let (salt, iv) = ([7u8; 8], [9u8; 16]);
        let mut kek = [0u8; 16];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, &salt, iterations.min(1000), &mut kek);
        let mut block = vec![u8::try_from(cek.len()).unwrap()];
        block.extend(cek.iter().take(3).map(|b| if check { !b } else { *b }));
        block.extend_from_slice(cek);
        block.resize(block.len().next_multiple_of(16).max(32), 0x55);
        let once = cbc::Encryptor::<aes::Aes128>::new_from_slices(&kek, &iv).unwrap().encrypt_padded_vec::<cipher::block_padding::NoPadding>(&block);
        let twice = cbc::Encryptor::<aes::Aes128>::new_from_slices(&kek, &once[once.len() - 16..]).unwrap().encrypt_padded_vec::<cipher::block_padding::NoPadding>(&once);
        let oid = |o: const_oid::ObjectIdentifier| tlv(0x06, o.as_bytes());
        // A DER INTEGER: minimal, with a 0 byte before a high bit.
        let mut n: Vec<u8> = iterations.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
        if n.first().is_none_or(|b| *b >= 0x80) {
            n.insert(0, 0);
        }
        let params = tlv(0x30, &[tlv(0x04, &salt), tlv(0x02, &n), tlv(0x30, &[tlv(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09]), vec![5, 0]].concat())].concat());
        let kdf = tlv(0xa0, &[tlv(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c]), params].concat());
        let kea = tlv(0x30, &[oid(OID_PWRI_KEK), tlv(0x30, &[oid(crate::oid::OID_AES128_CBC), tlv(0x04, &iv)].concat())].concat());
        let der = tlv(0x30, &[tlv(0x02, &[0]), kdf, kea, tlv(0x04, &twice)].concat());
        RecipientInfo::Pwri(PasswordRecipientInfo::from_der(&der).unwrap())
    }

    #[test]
    fn the_right_password_unwraps_a_wrong_one_fails_the_check_bytes() {
        let cek = [0xa5u8; 32];
        let ri = [pwri(b"pw", 1000, &cek, true)];
        let got = password_keys(&ri, &["pw"]);
        assert!(got.has_pwri && got.limit.is_none() && got.unsupported.is_none());
        assert_eq!(got.keys.len(), 1);
        assert_eq!(got.keys[0].as_slice(), &cek);
        assert!(password_keys(&ri, &["Pw"]).keys.is_empty());
        assert!(password_keys(&ri, &[]).keys.is_empty());
        // Check bytes that do not complement the key: refused even with the right password.
        assert!(password_keys(&[pwri(b"pw", 1000, &cek, false)], &["pw"]).keys.is_empty());
    }

    #[test]
    fn the_iteration_count_is_bounded_by_a_named_limit_before_any_work() {
        let ri = [pwri(b"pw", MAX_PWRI_ITERATIONS + 1, &[1u8; 16], true)];
        let got = password_keys(&ri, &["pw"]);
        let e = got.limit.expect("limit");
        assert_eq!(e.code, Code::LimitExceeded);
        assert!(e.detail.unwrap().contains("MAX_PWRI_ITERATIONS"));
        // With no password nothing is derived: no limit, and the envelope still says it has a password recipient.
        let none = password_keys(&ri, &[]);
        assert!(none.has_pwri && none.limit.is_none());
    }

    #[test]
    fn damaged_or_short_wraps_never_panic() {
        for w in [&[][..], &[0u8; 15], &[0u8; 16], &[1u8; 33], &[7u8; 32]] {
            assert!(kek_unwrap::<aes::Aes128>(&[0u8; 16], &[0u8; 16], w).is_none());
        }
    }
}
