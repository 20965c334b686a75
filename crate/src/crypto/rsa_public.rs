//! The RSA public-key operation (RFC 8017 sections 5.1.1 and 5.2.2: RSAEP and RSAVP1, the
//! same s^e mod n) and RSAES-PKCS1-v1_5 encryption over it (section 7.2.1), the S/MIME default
//! key transport.
//!
//! The `rsa` crate computes s^e with its constant-time fixed-window exponentiation, about 35
//! Montgomery products for e = 65537 (16 of them building the window table). The exponent is
//! public, so this is plain square-and-multiply over its bits (17 products for 65537), in the
//! Montgomery arithmetic of the RSA private-key operation (`cachet-montgomery`, built for speed,
//! with Wasm SIMD products; constant-time in the values, which matters where the value is a
//! padded content-encryption key), not crypto-bigint's, which the Wasm build optimises for
//! size. Every RSA signature Cachet checks (mail, certificates, its own signatures made by
//! WebCrypto) and every PKCS#1 v1.5 key transport it writes goes through here. RSA-OAEP
//! encryption stays with the `rsa` crate.

use cachet_montgomery::{limbs_from_be, limbs_to_be, Modulus};
use rsa::traits::PublicKeyParts;
use rsa::PublicKey as RsaPublicKey;
use zeroize::Zeroizing;

/// x^e mod n as `key.size()` bytes, for x of that many bytes and below n; None otherwise.
pub fn public_op(key: &RsaPublicKey, x: &[u8]) -> Option<Vec<u8>> {
    let k = key.size();
    if x.len() != k {
        return None;
    }
    let n_be = key.n().to_be_bytes();
    // The modulus has whole limbs of precision, so it may have zero bytes in front of its k.
    let (high, n_be) = n_be.split_at(n_be.len().checked_sub(k)?);
    // x < n: equal lengths, so the byte strings compare as the numbers do.
    if high.iter().any(|&b| b != 0) || x >= n_be {
        return None;
    }
    if key.e().bit_width_vartime() < 2 {
        return None;
    }
    let e = key.e().to_be_bytes();
    let m = Modulus::new(n_be)?;
    let mut scratch = m.scratch();
    let base = m.to_montgomery(&limbs_from_be(x, m.limbs())?, &mut scratch)?;
    let v = m.from_montgomery(&m.pow_public(&base, &e, &mut scratch), &mut scratch);
    Some(limbs_to_be(&v, k).to_vec())
}

/// RSAES-PKCS1-v1_5 encryption of `message` (a content-encryption key): 0x00 0x02, at least 8
/// random non-zero bytes, 0x00, the message, raised to e. None when the message is longer than
/// the key allows (k - 11 bytes), randomness is not available or the key is unusable.
pub fn pkcs1v15_encrypt(key: &RsaPublicKey, message: &[u8]) -> Option<Vec<u8>> {
    let k = key.size();
    let padding = k.checked_sub(message.len() + 3).filter(|&n| n >= 8)?;
    let mut em = Zeroizing::new(vec![0u8; k]);
    let (head, rest) = em.split_at_mut(2 + padding);
    let (marker, ps) = head.split_at_mut(2);
    marker.copy_from_slice(&[0x00, 0x02]);
    getrandom::fill(ps).ok()?;
    // A zero byte of the padding is drawn again, one byte at a time (about one in 256).
    for byte in ps.iter_mut() {
        while *byte == 0 {
            let mut one = [0u8; 1];
            getrandom::fill(&mut one).ok()?;
            *byte = one[0];
        }
    }
    let (zero, m) = rest.split_at_mut(1);
    zero.copy_from_slice(&[0x00]);
    m.copy_from_slice(message);
    public_op(key, &em)
}

#[cfg(test)]
#[path = "rsa_public_tests.rs"]
mod tests;
