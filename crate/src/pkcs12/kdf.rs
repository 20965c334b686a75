//! The PKCS#12 key derivation function (RFC 7292 appendix B.2), the password formats
//! (appendix B.1) and the integrity MAC (section 5.1, HMAC keyed through appendix B).
//!
//! # Security
//! Iteration counts come from the file: callers check them against `MAX_ITERATIONS`
//! before deriving and spend them from the file's [`IterationBudget`]
//! (`MAX_TOTAL_ITERATIONS`), so a hostile file cannot stall the caller for minutes, with
//! one bag or with many.

use super::{MAX_ITERATIONS, MAX_TOTAL_ITERATIONS};
use std::cell::Cell;
use crate::error::{Code, Error, Result};
use const_oid::ObjectIdentifier;
use digest::Digest;
use hmac::{Hmac, KeyInit, Mac};
use zeroize::Zeroizing;

/// Purpose byte ("ID") of appendix B.3.
#[derive(Clone, Copy)]
pub enum Purpose {
    Key = 1,
    Iv = 2,
    Mac = 3,
}

/// The hash functions the appendix B KDF and the MAC are used with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacHash {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

use crate::oid::{OID_SHA1, OID_SHA224, OID_SHA256, OID_SHA384, OID_SHA512, OID_PBMAC1};

impl MacHash {
    pub fn from_oid(oid: ObjectIdentifier) -> Result<MacHash> {
        Ok(match oid {
            OID_SHA1 => MacHash::Sha1,
            OID_SHA224 => MacHash::Sha224,
            OID_SHA256 => MacHash::Sha256,
            OID_SHA384 => MacHash::Sha384,
            OID_SHA512 => MacHash::Sha512,
            OID_PBMAC1 => return Err(unsupported("PBMAC1 (RFC 9579) integrity protection")),
            other => return Err(unsupported(&format!("MAC digest {other}"))),
        })
    }

    pub fn oid(self) -> ObjectIdentifier {
        match self {
            MacHash::Sha1 => OID_SHA1,
            MacHash::Sha224 => OID_SHA224,
            MacHash::Sha256 => OID_SHA256,
            MacHash::Sha384 => OID_SHA384,
            MacHash::Sha512 => OID_SHA512,
        }
    }

    /// Output length in bytes (the MAC key length, appendix B.4 "u").
    pub fn output_len(self) -> usize {
        match self {
            MacHash::Sha1 => 20,
            MacHash::Sha224 => 28,
            MacHash::Sha256 => 32,
            MacHash::Sha384 => 48,
            MacHash::Sha512 => 64,
        }
    }
}

pub fn unsupported(what: &str) -> Error {
    Error::new(
        Code::UnsupportedAlgorithm,
        format!("The PKCS#12 file uses {what}, which Cachet does not support."),
        "Export the certificate and key again with AES-256 and SHA-256 (for example from Windows or Thunderbird).",
    )
    .with_detail(what)
}

/// Appendix B.1: the password as a BMPString (UTF-16 big-endian) with two trailing zero bytes.
pub fn bmp_password(password: &str) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(password.len() * 2 + 2));
    for unit in password.encode_utf16() {
        out.extend_from_slice(&unit.to_be_bytes());
    }
    out.extend_from_slice(&[0, 0]);
    out
}

/// Appendix B.2: derive `n` bytes for `purpose` from a formatted password and salt.
pub fn derive(hash: MacHash, purpose: Purpose, password: &[u8], salt: &[u8], iterations: u32, n: usize) -> Result<Zeroizing<Vec<u8>>> {
    if iterations > MAX_ITERATIONS {
        return Err(too_many_iterations(iterations));
    }
    let id = purpose as u8;
    Ok(match hash {
        MacHash::Sha1 => derive_with::<sha1::Sha1>(hash, 64, id, password, salt, iterations, n),
        MacHash::Sha224 => derive_with::<sha2::Sha224>(hash, 64, id, password, salt, iterations, n),
        MacHash::Sha256 => derive_with::<sha2::Sha256>(hash, 64, id, password, salt, iterations, n),
        MacHash::Sha384 => derive_with::<sha2::Sha384>(hash, 128, id, password, salt, iterations, n),
        MacHash::Sha512 => derive_with::<sha2::Sha512>(hash, 128, id, password, salt, iterations, n),
    })
}

pub fn too_many_iterations(iterations: u32) -> Error {
    Error::new(
        Code::LimitExceeded,
        "The PKCS#12 file asks for more password-hashing rounds than Cachet allows.",
        "Export the identity again with a normal iteration count.",
    )
    .with_detail(format!("{iterations} iterations, limit {MAX_ITERATIONS}"))
}

/// The password-hashing work left for one file (see `MAX_TOTAL_ITERATIONS`).
pub struct IterationBudget {
    left: Cell<u64>,
}

impl IterationBudget {
    pub fn new() -> IterationBudget {
        IterationBudget::with_limit(MAX_TOTAL_ITERATIONS)
    }

    /// A budget of `limit` iterations (tests use small ones).
    pub fn with_limit(limit: u64) -> IterationBudget {
        IterationBudget { left: Cell::new(limit) }
    }

    /// Spend `iterations` for one derivation, or refuse it (`LimitExceeded`) when the
    /// file's budget does not cover it.
    pub fn spend(&self, iterations: u32) -> Result<()> {
        let cost = u64::from(iterations.max(1));
        let left = self.left.get();
        if cost > left {
            return Err(Error::new(
                Code::LimitExceeded,
                "The PKCS#12 file asks for more password hashing in total than Cachet allows.",
                "Export the identity again with fewer bags or a normal iteration count.",
            )
            .with_detail(format!("limit MAX_TOTAL_ITERATIONS = {MAX_TOTAL_ITERATIONS} exceeded")));
        }
        self.left.set(left - cost);
        Ok(())
    }
}

impl Default for IterationBudget {
    fn default() -> Self {
        IterationBudget::new()
    }
}

/// Repeat `src` to the next multiple of `v` bytes (empty stays empty), appendix B.2 steps 2-3.
fn stretch(src: &[u8], v: usize) -> Vec<u8> {
    let len = src.len().div_ceil(v) * v;
    src.iter().cycle().take(len).copied().collect()
}

/// `v` is the hash block size in bytes; `hash` is `D`.
fn derive_with<D: Digest>(hash: MacHash, v: usize, id: u8, password: &[u8], salt: &[u8], iterations: u32, n: usize) -> Zeroizing<Vec<u8>> {
    let d = vec![id; v];
    let mut i = Zeroizing::new(stretch(salt, v));
    i.extend_from_slice(&stretch(password, v));
    let mut out = Zeroizing::new(Vec::with_capacity(n + 64));
    while out.len() < n {
        let mut h = D::new();
        h.update(&d);
        h.update(i.as_slice());
        let mut a = Zeroizing::new(h.finalize().to_vec());
        rehash(hash, &mut a, iterations.saturating_sub(1));
        out.extend_from_slice(&a);
        if out.len() >= n {
            break;
        }
        next_input(&mut i, &a, v);
    }
    out.truncate(n);
    out
}

/// Appendix B.2 step 6: I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block I_j of `i`, B
/// being `a` repeated to v bytes.
fn next_input(i: &mut [u8], a: &[u8], v: usize) {
    let b: Vec<u8> = a.iter().cycle().take(v).copied().collect();
    for block in i.chunks_mut(v) {
        let mut carry: u16 = 1;
        for (x, y) in block.iter_mut().rev().zip(b.iter().rev()) {
            let sum = u16::from(*x) + u16::from(*y) + carry;
            *x = (sum & 0xff) as u8;
            carry = sum >> 8;
        }
    }
}

// The initial hash values of FIPS 180-4 section 5.3.
const SHA1_IV: [u32; 5] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
const SHA224_IV: [u32; 8] = [0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939, 0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4];
const SHA256_IV: [u32; 8] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const SHA384_IV: [u64; 8] = [
    0xcbbb9d5dc1059ed8, 0x629a292a367cd507, 0x9159015a3070dd17, 0x152fecd8f70e5939,
    0x67332667ffc00b31, 0x8eb44a8768581511, 0xdb0c2e0d64f98fa7, 0x47b5481dbefa4fa4,
];
const SHA512_IV: [u64; 8] = [
    0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
    0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
];

/// Appendix B.2 step 6.b's iteration: `a = H(a)`, `rounds` times, `a` being one output of
/// `hash`. A message of one output's length always fits one block, so the block is padded
/// once (FIPS 180-4 section 5.1) and each round is one call of the compression function on
/// it, from the initial hash values, its output written back over the message part: the
/// same bytes as `Digest::digest`, without the digest wrapper's buffering in every round.
fn rehash(hash: MacHash, a: &mut [u8], rounds: u32) {
    match hash {
        MacHash::Sha1 => rehash_32(sha1::block_api::compress, SHA1_IV, a, rounds),
        MacHash::Sha224 => rehash_32(sha2::block_api::compress256, SHA224_IV, a, rounds),
        MacHash::Sha256 => rehash_32(sha2::block_api::compress256, SHA256_IV, a, rounds),
        MacHash::Sha384 => rehash_64(SHA384_IV, a, rounds),
        MacHash::Sha512 => rehash_64(SHA512_IV, a, rounds),
    }
}

/// The block of a message `a` shorter than the block less its padding: `a`, the 0x80 byte,
/// zeros, and `a`'s length in bits as the block's last 8 bytes (big-endian; for the 128-byte
/// blocks of SHA-384/512 the 8 bytes before them, the length's high half, stay zero).
fn pad_once(block: &mut [u8], a: &[u8]) {
    for (x, y) in block.iter_mut().zip(a.iter().copied().chain(std::iter::once(0x80))) {
        *x = y;
    }
    let bits = (a.len() as u64).wrapping_mul(8).to_be_bytes();
    for (x, y) in block.iter_mut().rev().zip(bits.iter().rev()) {
        *x = *y;
    }
}

/// [`rehash`] for the hashes with 32-bit words and 64-byte blocks (SHA-1, SHA-224, SHA-256).
fn rehash_32<const W: usize>(compress: fn(&mut [u32; W], &[[u8; 64]]), iv: [u32; W], a: &mut [u8], rounds: u32) {
    let mut block = Zeroizing::new([[0u8; 64]]);
    let [b] = &mut *block;
    pad_once(b, a);
    let mut state = Zeroizing::new(iv);
    let words = a.len() / 4;
    for _ in 0..rounds {
        *state = iv;
        compress(&mut state, std::slice::from_ref(b));
        // Byte by byte with `get`: the Wasm build optimises this crate for size, where slice
        // copies and iterator adapters stay calls (a third of the time in this loop).
        let mut k = 0;
        while k < words {
            let w = state.get(k).copied().unwrap_or(0);
            put(b, 4 * k, (w >> 24) as u8);
            put(b, 4 * k + 1, (w >> 16) as u8);
            put(b, 4 * k + 2, (w >> 8) as u8);
            put(b, 4 * k + 3, w as u8);
            k += 1;
        }
    }
    for (x, y) in a.iter_mut().zip(b.iter()) {
        *x = *y;
    }
}

/// [`rehash`] for the hashes with 64-bit words and 128-byte blocks (SHA-384, SHA-512).
fn rehash_64(iv: [u64; 8], a: &mut [u8], rounds: u32) {
    let mut block = Zeroizing::new([[0u8; 128]]);
    let [b] = &mut *block;
    pad_once(b, a);
    let mut state = Zeroizing::new(iv);
    let words = a.len() / 8;
    for _ in 0..rounds {
        *state = iv;
        sha2::block_api::compress512(&mut state, std::slice::from_ref(b));
        let mut k = 0;
        while k < words {
            let w = state.get(k).copied().unwrap_or(0);
            let mut j = 0;
            while j < 8 {
                put(b, 8 * k + j, (w >> (56 - 8 * j)) as u8);
                j += 1;
            }
            k += 1;
        }
    }
    for (x, y) in a.iter_mut().zip(b.iter()) {
        *x = *y;
    }
}

#[inline(always)]
fn put(b: &mut [u8], i: usize, v: u8) {
    if let Some(x) = b.get_mut(i) {
        *x = v;
    }
}

/// Section 5.1 MAC: HMAC over `data` keyed with the appendix B key (ID 3).
pub fn mac(hash: MacHash, password: &[u8], salt: &[u8], iterations: u32, data: &[u8]) -> Result<Vec<u8>> {
    let key = derive(hash, Purpose::Mac, password, salt, iterations, hash.output_len())?;
    Ok(match hash {
        MacHash::Sha1 => hmac_with::<Hmac<sha1::Sha1>>(&key, data),
        MacHash::Sha224 => hmac_with::<Hmac<sha2::Sha224>>(&key, data),
        MacHash::Sha256 => hmac_with::<Hmac<sha2::Sha256>>(&key, data),
        MacHash::Sha384 => hmac_with::<Hmac<sha2::Sha384>>(&key, data),
        MacHash::Sha512 => hmac_with::<Hmac<sha2::Sha512>>(&key, data),
    })
}

fn hmac_with<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    match <M as KeyInit>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// Constant-time comparison of a computed MAC with the stored one.
pub fn mac_equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bmp_password_has_terminator() {
        assert_eq!(bmp_password("").as_slice(), &[0, 0]);
        assert_eq!(bmp_password("ab").as_slice(), &[0, 0x61, 0, 0x62, 0, 0]);
        assert_eq!(bmp_password("é").as_slice(), &[0, 0xe9, 0, 0]);
    }

    #[test]
    fn stretch_repeats_to_block_multiple() {
        assert!(stretch(b"", 64).is_empty());
        let s = stretch(b"abc", 4);
        assert_eq!(s, b"abca");
    }

    /// Cross-check with OpenSSL: a MAC computed by `openssl pkcs12 -export` must verify,
    /// which the import tests do for SHA-1, SHA-256 and SHA-512 MACs. Here we check the
    /// KDF's multi-block path (n > u) is consistent: the first u bytes equal the one-block result.
    #[test]
    fn longer_output_extends_shorter() {
        let pw = bmp_password("secret");
        let short = derive(MacHash::Sha1, Purpose::Key, &pw, b"saltsalt", 7, 20).unwrap();
        let long = derive(MacHash::Sha1, Purpose::Key, &pw, b"saltsalt", 7, 24).unwrap();
        assert_eq!(&long[..20], short.as_slice());
        let other = derive(MacHash::Sha1, Purpose::Iv, &pw, b"saltsalt", 7, 20).unwrap();
        assert_ne!(short.as_slice(), other.as_slice());
    }

    /// Appendix B.2 with `Digest::digest` in every round (step 6 shared with `derive`): what
    /// `derive`'s iteration by the compression function must give bit for bit.
    fn derive_plain<D: Digest>(v: usize, id: u8, password: &[u8], salt: &[u8], iterations: u32, n: usize) -> Vec<u8> {
        let d = vec![id; v];
        let mut i = stretch(salt, v);
        i.extend_from_slice(&stretch(password, v));
        let mut out = Vec::new();
        while out.len() < n {
            let mut h = D::new();
            h.update(&d);
            h.update(&i);
            let mut a = h.finalize();
            for _ in 1..iterations {
                a = D::digest(&a);
            }
            out.extend_from_slice(&a);
            next_input(&mut i, &a, v);
        }
        out.truncate(n);
        out
    }

    #[test]
    fn derive_matches_the_plain_digest_loop() {
        let hashes = [MacHash::Sha1, MacHash::Sha224, MacHash::Sha256, MacHash::Sha384, MacHash::Sha512];
        let passwords = [bmp_password(""), bmp_password("secret"), bmp_password("a longer pässword of odd length!!")];
        let salts: [&[u8]; 3] = [b"", b"saltsal", b"a salt of twenty-one"];
        for hash in hashes {
            for (p, s) in passwords.iter().zip(salts.iter().cycle()) {
                for iterations in [1u32, 2, 3, 1000] {
                    for n in [1usize, 7, 20, 33, 49, 65, 129] {
                        let got = derive(hash, Purpose::Mac, p, s, iterations, n).unwrap();
                        let want = match hash {
                            MacHash::Sha1 => derive_plain::<sha1::Sha1>(64, 3, p, s, iterations, n),
                            MacHash::Sha224 => derive_plain::<sha2::Sha224>(64, 3, p, s, iterations, n),
                            MacHash::Sha256 => derive_plain::<sha2::Sha256>(64, 3, p, s, iterations, n),
                            MacHash::Sha384 => derive_plain::<sha2::Sha384>(128, 3, p, s, iterations, n),
                            MacHash::Sha512 => derive_plain::<sha2::Sha512>(128, 3, p, s, iterations, n),
                        };
                        assert_eq!(got.as_slice(), want.as_slice(), "{hash:?} {iterations} iterations, {n} bytes");
                    }
                }
            }
        }
    }

    #[test]
    fn mac_equal_is_exact() {
        assert!(mac_equal(b"abc", b"abc"));
        assert!(!mac_equal(b"abc", b"abd"));
        assert!(!mac_equal(b"abc", b"ab"));
        assert!(!mac_equal(b"", b""));
    }
}
