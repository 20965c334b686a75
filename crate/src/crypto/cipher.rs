//! Bulk content encryption behind one small interface (RFC 5652 section 6.3, RFC 3565,
//! RFC 5084): AES-128/192/256 in CBC and GCM, DES-EDE3-CBC, and the names of the legacy
//! ciphers we refuse (DES, RC2). [`RustCrypto`] is the portable backend the CLI and tests
//! use; a browser backend (WebCrypto) can implement [`Symmetric`] later.
//!
//! # Security
//! Decryption failures (bad CBC padding, GCM tag mismatch, wrong key or IV length) all
//! come back as the same [`Failed`] value, never partial plaintext, so callers cannot
//! become a padding oracle (RFC 3218).

use crate::error::{Code, Error, Result};
use cipher::block_padding::Pkcs7;
use cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use const_oid::ObjectIdentifier;
use cachet_bytes::Wiped;

use crate::oid::{OID_AES128_CBC, OID_AES192_CBC, OID_AES256_CBC, OID_AES128_GCM, OID_AES192_GCM, OID_AES256_GCM, OID_DES_EDE3_CBC, OID_DES_CBC, OID_RC2_CBC};

/// A content-encryption algorithm Cachet knows by name. Whether one is accepted, flagged
/// or refused is the policy's decision (`crate::policy`), not this type's.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContentCipher {
    Aes128Cbc,
    Aes192Cbc,
    Aes256Cbc,
    Aes128Gcm,
    Aes192Gcm,
    Aes256Gcm,
    DesEde3Cbc,
    /// Refused: 56-bit key.
    DesCbc,
    /// Refused: weak, export-grade key lengths.
    Rc2Cbc,
}

impl ContentCipher {
    pub const ALL: [ContentCipher; 9] = [
        ContentCipher::Aes128Cbc,
        ContentCipher::Aes192Cbc,
        ContentCipher::Aes256Cbc,
        ContentCipher::Aes128Gcm,
        ContentCipher::Aes192Gcm,
        ContentCipher::Aes256Gcm,
        ContentCipher::DesEde3Cbc,
        ContentCipher::DesCbc,
        ContentCipher::Rc2Cbc,
    ];

    pub fn from_oid(oid: &ObjectIdentifier) -> Option<ContentCipher> {
        ContentCipher::ALL.into_iter().find(|c| c.oid() == *oid)
    }

    /// `aes256-cbc`, `aes128-gcm` or `aes256-gcm` (the CLI's `--cipher` values).
    pub fn from_name(name: &str) -> Option<ContentCipher> {
        ContentCipher::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(name))
    }

    pub fn oid(self) -> ObjectIdentifier {
        match self {
            ContentCipher::Aes128Cbc => OID_AES128_CBC,
            ContentCipher::Aes192Cbc => OID_AES192_CBC,
            ContentCipher::Aes256Cbc => OID_AES256_CBC,
            ContentCipher::Aes128Gcm => OID_AES128_GCM,
            ContentCipher::Aes192Gcm => OID_AES192_GCM,
            ContentCipher::Aes256Gcm => OID_AES256_GCM,
            ContentCipher::DesEde3Cbc => OID_DES_EDE3_CBC,
            ContentCipher::DesCbc => OID_DES_CBC,
            ContentCipher::Rc2Cbc => OID_RC2_CBC,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ContentCipher::Aes128Cbc => "aes128-cbc",
            ContentCipher::Aes192Cbc => "aes192-cbc",
            ContentCipher::Aes256Cbc => "aes256-cbc",
            ContentCipher::Aes128Gcm => "aes128-gcm",
            ContentCipher::Aes192Gcm => "aes192-gcm",
            ContentCipher::Aes256Gcm => "aes256-gcm",
            ContentCipher::DesEde3Cbc => "des-ede3-cbc",
            ContentCipher::DesCbc => "des-cbc",
            ContentCipher::Rc2Cbc => "rc2-cbc",
        }
    }

    /// Content-encryption key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            ContentCipher::Aes128Cbc | ContentCipher::Aes128Gcm => 16,
            ContentCipher::Aes192Cbc | ContentCipher::Aes192Gcm | ContentCipher::DesEde3Cbc => 24,
            ContentCipher::Aes256Cbc | ContentCipher::Aes256Gcm => 32,
            ContentCipher::DesCbc => 8,
            ContentCipher::Rc2Cbc => 16,
        }
    }

    /// Is `n` a content-encryption key length of this cipher? RC2 keys are 40 to 128 bits
    /// (RC2-40 and RC2-128 are both in use); the others have one length.
    pub fn accepts_key_len(self, n: usize) -> bool {
        match self {
            ContentCipher::Rc2Cbc => (5..=16).contains(&n),
            _ => n == self.key_len(),
        }
    }

    /// IV (CBC) or nonce (GCM) length in bytes.
    pub fn iv_len(self) -> usize {
        match self {
            ContentCipher::Aes128Gcm | ContentCipher::Aes192Gcm | ContentCipher::Aes256Gcm => 12,
            ContentCipher::DesEde3Cbc | ContentCipher::DesCbc | ContentCipher::Rc2Cbc => 8,
            _ => 16,
        }
    }

    /// Authenticated encryption (AuthEnvelopedData).
    pub fn is_aead(self) -> bool {
        matches!(self, ContentCipher::Aes128Gcm | ContentCipher::Aes192Gcm | ContentCipher::Aes256Gcm)
    }


}

/// Decryption failed. Deliberately carries no reason: padding, tag and key failures look alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed;

/// Ciphertext and, for GCM, the 16-byte tag.
pub struct Sealed {
    pub ciphertext: Vec<u8>,
    pub tag: Option<Vec<u8>>,
}

/// Bulk symmetric encryption. `iv` is the CBC IV or the GCM nonce; `aad` is used by GCM only.
pub trait Symmetric {
    fn encrypt(&self, cipher: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Sealed>;
    fn decrypt(&self, cipher: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], ciphertext: &[u8], tag: Option<&[u8]>) -> std::result::Result<Wiped, Failed>;
}

/// The portable RustCrypto backend.
pub struct RustCrypto;

fn unsupported(c: ContentCipher) -> Error {
    Error::new(Code::UnsupportedAlgorithm, format!("Cachet does not encrypt with {}.", c.name()), "Choose aes256-cbc, aes128-gcm or aes256-gcm.")
}

fn crypto_err(what: impl std::fmt::Display) -> Error {
    Error::new(Code::Crypto, "The message could not be encrypted.", "Try again.").with_detail(what)
}

fn cbc_enc<C>(key: &[u8], iv: &[u8], pt: &[u8]) -> Result<Vec<u8>>
where
    C: cipher::BlockCipherEncrypt + cipher::KeyInit,
{
    let enc = cbc::Encryptor::<C>::new_from_slices(key, iv).map_err(crypto_err)?;
    Ok(enc.encrypt_padded_vec::<Pkcs7>(pt))
}

/// AES-CBC encryption in pieces, for a caller that writes out each piece of ciphertext while
/// the next is encrypted (the native CLI, on two threads). [`CbcSealer::pad`] gives the
/// content its PKCS#7 padding; [`CbcSealer::seal`] then encrypts it in place piece after
/// piece, each continuing the chain of the one before: the same ciphertext as
/// [`Symmetric::encrypt`] gives. [`RustCrypto::encrypt_owned`] seals a whole content as one piece.
pub struct CbcSealer(CbcChain);

enum CbcChain {
    Aes128(cbc::Encryptor<aes::Aes128>),
    Aes192(cbc::Encryptor<aes::Aes192>),
    Aes256(cbc::Encryptor<aes::Aes256>),
}

impl CbcSealer {
    /// The sealer for `c` (an AES-CBC cipher; None for any other) with `key` and `iv`.
    pub fn new(c: ContentCipher, key: &[u8], iv: &[u8]) -> Result<Option<CbcSealer>> {
        let chain = match c {
            ContentCipher::Aes128Cbc => CbcChain::Aes128(cbc::Encryptor::new_from_slices(key, iv).map_err(crypto_err)?),
            ContentCipher::Aes192Cbc => CbcChain::Aes192(cbc::Encryptor::new_from_slices(key, iv).map_err(crypto_err)?),
            ContentCipher::Aes256Cbc => CbcChain::Aes256(cbc::Encryptor::new_from_slices(key, iv).map_err(crypto_err)?),
            _ => return Ok(None),
        };
        Ok(Some(CbcSealer(chain)))
    }

    /// Pad `content` (PKCS#7: 1 to 16 bytes, each the count) to whole blocks.
    pub fn pad(content: &mut Vec<u8>) {
        let n = 16 - content.len() % 16;
        content.resize(content.len().saturating_add(n), n as u8);
    }

    /// Encrypt `blocks` in place, continuing the chain; a trailing part shorter than a block
    /// (none in a padded content cut at multiples of 16) is left as it is.
    pub fn seal(&mut self, blocks: &mut [u8]) {
        let (whole, _) = cipher::Array::slice_as_chunks_mut(blocks);
        match &mut self.0 {
            CbcChain::Aes128(e) => e.encrypt_blocks(whole),
            CbcChain::Aes192(e) => e.encrypt_blocks(whole),
            CbcChain::Aes256(e) => e.encrypt_blocks(whole),
        }
    }
}

/// CBC decryption of `buf` where it lies: the plaintext's length (its start). The padding is
/// checked on the last block first, so a refused `buf` is left as it was.
fn cbc_dec_in_place<C>(key: &[u8], iv: &[u8], buf: &mut [u8], block: usize) -> std::result::Result<usize, Failed>
where
    C: cipher::BlockCipherDecrypt + cipher::KeyInit,
{
    if !cbc_last_block::<C>(key, iv, buf, block) {
        return Err(Failed);
    }
    let dec = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| Failed)?;
    dec.decrypt_padded::<Pkcs7>(buf).map(<[u8]>::len).map_err(|_| Failed)
}

/// AES-GCM in the plaintext's own buffer `buf`.
fn gcm_enc<C>(key: &[u8], nonce: &[u8], aad: &[u8], mut buf: Vec<u8>) -> Result<Sealed>
where
    C: cipher::BlockCipherEncrypt + cipher::BlockSizeUser<BlockSize = cipher::consts::U16> + cipher::KeyInit,
{
    use aes_gcm::aead::{AeadInOut, KeyInit};
    let g = aes_gcm::AesGcm::<C, cipher::consts::U12>::new_from_slice(key).map_err(crypto_err)?;
    let n = aes_gcm::Nonce::<cipher::consts::U12>::try_from(nonce).map_err(crypto_err)?;
    let tag = g.encrypt_inout_detached(&n, aad, buf.as_mut_slice().into()).map_err(crypto_err)?;
    Ok(Sealed { ciphertext: buf, tag: Some(tag.to_vec()) })
}

/// GCM nonce lengths (bytes) Cachet decrypts. RFC 5084 3.2 recommends 12 octets and its
/// ASN.1 allows any length; 12 is what every S/MIME writer sends and 16 is the other one
/// met in practice. Both decryption paths (RustCrypto and WebCrypto) accept exactly these:
/// the envelope parser refuses any other length (`unsupported-algorithm`) before either runs.
pub const GCM_NONCE_LENGTHS: [usize; 2] = [12, 16];

/// GCM decryption of `buf` where it lies; a refused `buf` (wrong tag) is left as it was (the
/// tag is checked before the keystream is applied).
fn gcm_dec_in_place<C>(key: &[u8], nonce: &[u8], aad: &[u8], buf: &mut [u8], tag: &[u8]) -> std::result::Result<(), Failed>
where
    C: cipher::BlockCipherEncrypt + cipher::BlockSizeUser<BlockSize = cipher::consts::U16> + cipher::KeyInit,
{
    use cipher::consts::{U12, U13, U14, U15, U16};
    match (nonce.len(), tag.len()) {
        (12, 12) => gcm_dec_n::<C, U12, U12>(key, nonce, aad, buf, tag),
        (12, 13) => gcm_dec_n::<C, U12, U13>(key, nonce, aad, buf, tag),
        (12, 14) => gcm_dec_n::<C, U12, U14>(key, nonce, aad, buf, tag),
        (12, 15) => gcm_dec_n::<C, U12, U15>(key, nonce, aad, buf, tag),
        (12, 16) => gcm_dec_n::<C, U12, U16>(key, nonce, aad, buf, tag),
        (16, 12) => gcm_dec_n::<C, U16, U12>(key, nonce, aad, buf, tag),
        (16, 13) => gcm_dec_n::<C, U16, U13>(key, nonce, aad, buf, tag),
        (16, 14) => gcm_dec_n::<C, U16, U14>(key, nonce, aad, buf, tag),
        (16, 15) => gcm_dec_n::<C, U16, U15>(key, nonce, aad, buf, tag),
        (16, 16) => gcm_dec_n::<C, U16, U16>(key, nonce, aad, buf, tag),
        _ => Err(Failed),
    }
}

/// GCM tag (ICV) lengths in bytes Cachet reads: every length RFC 5084 section 3.2 allows
/// (12 to 16; 12 is its default). What Cachet writes is always 16.
pub const GCM_TAG_LENGTHS: std::ops::RangeInclusive<usize> = 12..=16;

fn gcm_dec_n<C, N, T>(key: &[u8], nonce: &[u8], aad: &[u8], buf: &mut [u8], tag: &[u8]) -> std::result::Result<(), Failed>
where
    C: cipher::BlockCipherEncrypt + cipher::BlockSizeUser<BlockSize = cipher::consts::U16> + cipher::KeyInit,
    N: cipher::array::ArraySize,
    T: aes_gcm::TagSize,
{
    use aes_gcm::aead::{AeadInOut, KeyInit};
    let g = aes_gcm::AesGcm::<C, N, T>::new_from_slice(key).map_err(|_| Failed)?;
    let n = aes_gcm::Nonce::<N>::try_from(nonce).map_err(|_| Failed)?;
    let t = aes_gcm::Tag::<T>::try_from(tag).map_err(|_| Failed)?;
    g.decrypt_inout_detached(&n, aad, buf.into(), &t).map_err(|_| Failed)
}

fn cbc_last_block<C>(key: &[u8], iv: &[u8], ct: &[u8], block: usize) -> bool
where
    C: cipher::BlockCipherDecrypt + cipher::KeyInit,
{
    if ct.is_empty() || !ct.len().is_multiple_of(block) || iv.len() != block {
        return false;
    }
    let last_at = ct.len() - block;
    let chain = if last_at == 0 { Some(iv) } else { ct.get(last_at - block..last_at) };
    let (Some(chain), Some(last)) = (chain, ct.get(last_at..)) else { return false };
    // The block's plaintext is content: cleared when dropped.
    let mut last = zeroize::Zeroizing::new(last.to_vec());
    cbc::Decryptor::<C>::new_from_slices(key, chain).is_ok_and(|dec| dec.decrypt_padded::<Pkcs7>(&mut last).is_ok())
}

/// Would a CBC decryption of `ct` with `key` pass its PKCS#7 padding check? Decrypts the
/// last block only (constant work), and answers exactly as [`Symmetric::decrypt`] of the
/// whole content would: the padding is the only check CBC has. False for AEAD ciphers and
/// bad lengths.
pub fn cbc_padding_ok(c: ContentCipher, key: &[u8], iv: &[u8], ct: &[u8]) -> bool {
    match c {
        ContentCipher::Aes128Cbc => cbc_last_block::<aes::Aes128>(key, iv, ct, 16),
        ContentCipher::Aes192Cbc => cbc_last_block::<aes::Aes192>(key, iv, ct, 16),
        ContentCipher::Aes256Cbc => cbc_last_block::<aes::Aes256>(key, iv, ct, 16),
        ContentCipher::DesEde3Cbc => cbc_last_block::<des::TdesEde3>(key, iv, ct, 8),
        ContentCipher::DesCbc => cbc_last_block::<des::Des>(key, iv, ct, 8),
        ContentCipher::Rc2Cbc => cbc_last_block::<rc2::Rc2>(key, iv, ct, 8),
        _ => false,
    }
}

impl RustCrypto {
    /// [`Symmetric::decrypt`] of `buf` where it lies: the plaintext is its first bytes, their
    /// number returned. A refused `buf` (bad padding, wrong tag, bad lengths) is left as it was.
    pub fn decrypt_in_place(&self, c: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], buf: &mut [u8], tag: Option<&[u8]>) -> std::result::Result<usize, Failed> {
        let len = buf.len();
        match (c, tag) {
            (ContentCipher::Aes128Cbc, None) => cbc_dec_in_place::<aes::Aes128>(key, iv, buf, 16),
            (ContentCipher::Aes192Cbc, None) => cbc_dec_in_place::<aes::Aes192>(key, iv, buf, 16),
            (ContentCipher::Aes256Cbc, None) => cbc_dec_in_place::<aes::Aes256>(key, iv, buf, 16),
            (ContentCipher::DesEde3Cbc, None) => cbc_dec_in_place::<des::TdesEde3>(key, iv, buf, 8),
            // Legacy, only when the policy lets the user open it (RC2: effective key length =
            // the key's length, as every S/MIME writer uses it).
            (ContentCipher::DesCbc, None) => cbc_dec_in_place::<des::Des>(key, iv, buf, 8),
            (ContentCipher::Rc2Cbc, None) => cbc_dec_in_place::<rc2::Rc2>(key, iv, buf, 8),
            (ContentCipher::Aes128Gcm, Some(t)) => gcm_dec_in_place::<aes::Aes128>(key, iv, aad, buf, t).map(|()| len),
            (ContentCipher::Aes192Gcm, Some(t)) => gcm_dec_in_place::<aes::Aes192>(key, iv, aad, buf, t).map(|()| len),
            (ContentCipher::Aes256Gcm, Some(t)) => gcm_dec_in_place::<aes::Aes256>(key, iv, aad, buf, t).map(|()| len),
            _ => Err(Failed),
        }
    }

    /// [`Symmetric::encrypt`] of a plaintext the caller gives up: encrypted in its own
    /// buffer (CBC padded there), which becomes the ciphertext; the same bytes as `encrypt`.
    pub fn encrypt_owned(&self, c: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], pt: Vec<u8>) -> Result<Sealed> {
        match c {
            ContentCipher::Aes128Cbc | ContentCipher::Aes192Cbc | ContentCipher::Aes256Cbc => {
                // The whole content as one piece of a CbcSealer.
                let mut sealer = CbcSealer::new(c, key, iv)?.ok_or_else(|| unsupported(c))?;
                let mut buf = pt;
                CbcSealer::pad(&mut buf);
                sealer.seal(&mut buf);
                Ok(Sealed { ciphertext: buf, tag: None })
            }
            ContentCipher::Aes128Gcm => gcm_enc::<aes::Aes128>(key, iv, aad, pt),
            ContentCipher::Aes192Gcm => gcm_enc::<aes::Aes192>(key, iv, aad, pt),
            ContentCipher::Aes256Gcm => gcm_enc::<aes::Aes256>(key, iv, aad, pt),
            ContentCipher::DesEde3Cbc | ContentCipher::DesCbc | ContentCipher::Rc2Cbc => Err(unsupported(c)),
        }
    }
}

impl Symmetric for RustCrypto {
    fn encrypt(&self, c: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], pt: &[u8]) -> Result<Sealed> {
        let cbc = |ct: Vec<u8>| Sealed { ciphertext: ct, tag: None };
        match c {
            ContentCipher::Aes128Cbc => cbc_enc::<aes::Aes128>(key, iv, pt).map(cbc),
            ContentCipher::Aes192Cbc => cbc_enc::<aes::Aes192>(key, iv, pt).map(cbc),
            ContentCipher::Aes256Cbc => cbc_enc::<aes::Aes256>(key, iv, pt).map(cbc),
            ContentCipher::Aes128Gcm | ContentCipher::Aes192Gcm | ContentCipher::Aes256Gcm => self.encrypt_owned(c, key, iv, aad, pt.to_vec()),
            ContentCipher::DesEde3Cbc | ContentCipher::DesCbc | ContentCipher::Rc2Cbc => Err(unsupported(c)),
        }
    }

    /// [`RustCrypto::decrypt_in_place`] of a copy of `ct`, cut to the plaintext.
    fn decrypt(&self, c: ContentCipher, key: &[u8], iv: &[u8], aad: &[u8], ct: &[u8], tag: Option<&[u8]>) -> std::result::Result<Wiped, Failed> {
        let mut buf = Wiped::new(ct.to_vec());
        let n = self.decrypt_in_place(c, key, iv, aad, &mut buf, tag)?;
        buf.truncate(n);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypting_in_the_plaintexts_buffer_gives_the_same_bytes() {
        for c in [ContentCipher::Aes128Cbc, ContentCipher::Aes192Cbc, ContentCipher::Aes256Cbc, ContentCipher::Aes128Gcm, ContentCipher::Aes192Gcm, ContentCipher::Aes256Gcm] {
            let key = vec![7u8; c.key_len()];
            let iv = vec![9u8; if c.is_aead() { 12 } else { 16 }];
            for len in [0usize, 1, 15, 16, 17, 31, 32, 1000, 4096] {
                let pt: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
                let a = RustCrypto.encrypt(c, &key, &iv, b"", &pt).unwrap();
                let b = RustCrypto.encrypt_owned(c, &key, &iv, b"", pt.clone()).unwrap();
                assert_eq!((a.ciphertext.clone(), a.tag.clone()), (b.ciphertext, b.tag), "{c:?} {len}");
                let back = RustCrypto.decrypt(c, &key, &iv, b"", &a.ciphertext, a.tag.as_deref()).unwrap();
                assert_eq!(back.as_slice(), pt.as_slice(), "{c:?} {len}");
            }
        }
    }

    #[test]
    fn round_trips_and_tamper_fails() {
        for c in [ContentCipher::Aes128Cbc, ContentCipher::Aes192Cbc, ContentCipher::Aes256Cbc, ContentCipher::Aes128Gcm, ContentCipher::Aes192Gcm, ContentCipher::Aes256Gcm] {
            let key = vec![7u8; c.key_len()];
            let iv = vec![9u8; c.iv_len()];
            let pt = b"attack at dawn, and bring sandwiches".to_vec();
            let s = RustCrypto.encrypt(c, &key, &iv, b"", &pt).unwrap();
            assert_ne!(s.ciphertext, pt);
            let back = RustCrypto.decrypt(c, &key, &iv, b"", &s.ciphertext, s.tag.as_deref()).unwrap();
            assert_eq!(*back, pt, "{c:?}");
            let mut bad = s.ciphertext.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            let r = RustCrypto.decrypt(c, &key, &iv, b"", &bad, s.tag.as_deref());
            if c.is_aead() {
                assert_eq!(r, Err(Failed), "{c:?}");
            } else {
                // A flipped last byte breaks the padding in all but ~1/256 cases; never panics.
                assert!(r.map(|p| *p != pt).unwrap_or(true));
            }
            let wrong = vec![8u8; c.key_len()];
            assert!(RustCrypto.decrypt(c, &wrong, &iv, b"", &s.ciphertext, s.tag.as_deref()).map(|p| *p != pt).unwrap_or(true));
        }
    }

    /// A legacy cipher's ciphertext (Cachet does not encrypt with them), by the cbc crate.
    fn legacy_encrypt<C: cipher::BlockCipherEncrypt + cipher::KeyInit>(key: &[u8], iv: &[u8], pt: &[u8]) -> Vec<u8> {
        use cipher::{BlockModeEncrypt, KeyIvInit};
        cbc::Encryptor::<C>::new_from_slices(key, iv).unwrap().encrypt_padded_vec::<Pkcs7>(pt)
    }

    /// Decryption where the ciphertext lies gives `decrypt`'s plaintext at the buffer's start,
    /// for every cipher and length; a buffer refused (bad padding, wrong tag or key, bad
    /// lengths) is left exactly as it was.
    #[test]
    fn decrypting_in_place_gives_the_plaintext_or_leaves_the_bytes() {
        let all = [ContentCipher::Aes128Cbc, ContentCipher::Aes192Cbc, ContentCipher::Aes256Cbc, ContentCipher::Aes128Gcm, ContentCipher::Aes192Gcm, ContentCipher::Aes256Gcm, ContentCipher::DesEde3Cbc, ContentCipher::DesCbc, ContentCipher::Rc2Cbc];
        for c in all {
            let key = vec![7u8; if c == ContentCipher::Rc2Cbc { 16 } else { c.key_len() }];
            let iv = vec![9u8; c.iv_len()];
            for len in [0usize, 1, 7, 8, 15, 16, 17, 31, 32, 33, 1000, 65_536] {
                let pt: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
                let (ct, tag) = match c {
                    ContentCipher::DesEde3Cbc => (legacy_encrypt::<des::TdesEde3>(&key, &iv, &pt), None),
                    ContentCipher::DesCbc => (legacy_encrypt::<des::Des>(&key, &iv, &pt), None),
                    ContentCipher::Rc2Cbc => (legacy_encrypt::<rc2::Rc2>(&key, &iv, &pt), None),
                    _ => {
                        let s = RustCrypto.encrypt(c, &key, &iv, b"aad", &pt).unwrap();
                        (s.ciphertext, s.tag)
                    }
                };
                let aad: &[u8] = if c.is_aead() { b"aad" } else { b"" };
                assert_eq!(*RustCrypto.decrypt(c, &key, &iv, aad, &ct, tag.as_deref()).unwrap(), pt, "{c:?} {len}");
                let mut buf = ct.clone();
                let n = RustCrypto.decrypt_in_place(c, &key, &iv, aad, &mut buf, tag.as_deref()).unwrap();
                assert_eq!(&buf[..n], &pt[..], "{c:?} {len}: the plaintext at the start");
                // Refused: the bytes as they were.
                let wrong_key = vec![8u8; key.len()];
                let mut flipped = ct.clone();
                if let Some(last) = flipped.last_mut() {
                    *last ^= 0x80;
                }
                let mut wrong_tag = tag.clone();
                if let Some(t) = wrong_tag.as_mut() {
                    t[0] ^= 1;
                }
                // (key, ciphertext, tag): a wrong key, a changed last byte, a changed tag, one byte short.
                type Case<'a> = (&'a [u8], &'a [u8], Option<&'a [u8]>);
                let cases: [Case; 4] = [(&wrong_key, &ct, tag.as_deref()), (&key, &flipped, tag.as_deref()), (&key, &ct, wrong_tag.as_deref()), (&key, &ct[..ct.len().saturating_sub(1)], tag.as_deref())];
                for (i, (k, bytes, t)) in cases.into_iter().enumerate() {
                    let want = RustCrypto.decrypt(c, k, &iv, aad, bytes, t);
                    let mut buf = bytes.to_vec();
                    match RustCrypto.decrypt_in_place(c, k, &iv, aad, &mut buf, t) {
                        Ok(n) => assert_eq!(Some(&buf[..n]), want.as_ref().ok().map(|p| &p[..]), "{c:?} {len} case {i}: as decrypt"),
                        Err(Failed) => {
                            assert!(want.is_err(), "{c:?} {len} case {i}: refused as decrypt refuses");
                            assert_eq!(buf, bytes, "{c:?} {len} case {i}: left as it was");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn bad_lengths_fail_without_panic() {
        assert_eq!(RustCrypto.decrypt(ContentCipher::Aes256Cbc, &[0; 3], &[0; 16], b"", &[0; 16], None), Err(Failed));
        assert_eq!(RustCrypto.decrypt(ContentCipher::Aes256Cbc, &[0; 32], &[0; 5], b"", &[0; 16], None), Err(Failed));
        assert_eq!(RustCrypto.decrypt(ContentCipher::Aes256Cbc, &[0; 32], &[0; 16], b"", &[0; 15], None), Err(Failed));
        assert_eq!(RustCrypto.decrypt(ContentCipher::Aes256Gcm, &[0; 32], &[0; 12], b"", &[0; 15], Some(&[0; 3])), Err(Failed));
        assert_eq!(RustCrypto.decrypt(ContentCipher::Aes256Gcm, &[0; 32], &[0; 7], b"", &[0; 15], Some(&[0; 16])), Err(Failed));
        assert_eq!(RustCrypto.decrypt(ContentCipher::Rc2Cbc, &[0; 16], &[0; 8], b"", &[0; 15], None), Err(Failed));
        assert_eq!(RustCrypto.decrypt(ContentCipher::DesCbc, &[0; 7], &[0; 8], b"", &[0; 16], None), Err(Failed));
        assert_eq!(ContentCipher::from_name("AES256-GCM"), Some(ContentCipher::Aes256Gcm));
        assert_eq!(ContentCipher::from_oid(&OID_DES_EDE3_CBC), Some(ContentCipher::DesEde3Cbc));
    }

    #[test]
    fn cbc_in_pieces_gives_the_ciphertext_of_the_whole() {
        for c in [ContentCipher::Aes128Cbc, ContentCipher::Aes192Cbc, ContentCipher::Aes256Cbc] {
            let key = vec![3u8; c.key_len()];
            let iv = [5u8; 16];
            for len in [0usize, 1, 15, 16, 17, 100, 4096, 4099] {
                let content: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
                let whole = RustCrypto.encrypt(c, &key, &iv, b"", &content).unwrap().ciphertext;
                for piece in [16usize, 48, 4096] {
                    let mut padded = content.clone();
                    CbcSealer::pad(&mut padded);
                    let mut sealer = CbcSealer::new(c, &key, &iv).unwrap().unwrap();
                    for p in padded.chunks_mut(piece) {
                        sealer.seal(p);
                    }
                    assert_eq!(padded, whole, "{c:?} {len} in pieces of {piece}");
                }
            }
        }
        assert!(CbcSealer::new(ContentCipher::Aes256Gcm, &[0; 32], &[0; 12]).unwrap().is_none());
        assert!(CbcSealer::new(ContentCipher::Aes256Cbc, &[0; 31], &[0; 16]).is_err());
    }
}
