//! The RSA public-key operation (RFC 8017 sections 5.1.1 and 5.2.2: RSAEP and RSAVP1, the
//! same s^e mod n) and RSAES-PKCS1-v1_5 encryption over it (section 7.2.1), the S/MIME default
//! key transport. Every RSA signature Cachet checks (mail, certificates, its own signatures made
//! by WebCrypto) and every PKCS#1 v1.5 key transport it writes goes through here; RSA-OAEP
//! encryption stays with the `rsa` crate.
//!
//! The `rsa` crate computes s^e with its constant-time fixed-window exponentiation, about 35
//! Montgomery products for e = 65537 (16 of them building the window table). The exponent is
//! public, so this is plain square-and-multiply over its bits (17 products for 65537), in one
//! of two arithmetics, both constant-time in the values (which matters where the value is a
//! padded content-encryption key):
//! - in Wasm, that of the RSA private-key operation (`cachet-montgomery`: 28-bit limbs, Wasm
//!   SIMD products, built for speed), not crypto-bigint's, which the Wasm build optimises for
//!   size and runs with 32-bit limbs: in Chromium a 2048-bit encryption took 0.30 ms with the
//!   `rsa` crate and takes 0.13 ms, the modulus's set-up included;
//! - natively, crypto-bigint's with the key's precomputed parameters: with 64-bit limbs it
//!   needs a fifth of the products of 28-bit limbs (a 2048-bit encryption takes 32 us here,
//!   63 us with the `rsa` crate and 96 us with `cachet-montgomery`, release build).

use cachet_montgomery::{limbs_from_be, limbs_to_be, Modulus};
use rsa::traits::PublicKeyParts;
use rsa::PublicKey as RsaPublicKey;
use zeroize::Zeroizing;

/// x^e mod n as `key.size()` bytes, for x of that many bytes and below n; None otherwise.
pub fn public_op(key: &RsaPublicKey, x: &[u8]) -> Option<Vec<u8>> {
    if cfg!(target_arch = "wasm32") {
        public_op_montgomery(key, x)
    } else {
        public_op_bigint(key, x)
    }
}

/// The checks both arithmetics make: x as long as the modulus and below it, e at least 3. The
/// modulus's k big-endian bytes.
fn checked(key: &RsaPublicKey, x: &[u8]) -> Option<Vec<u8>> {
    let k = key.size();
    if x.len() != k || key.e().bit_width_vartime() < 2 {
        return None;
    }
    let n_be = key.n().to_be_bytes();
    // The modulus has whole limbs of precision, so it may have zero bytes in front of its k.
    let (high, n_be) = n_be.split_at(n_be.len().checked_sub(k)?);
    // x < n: equal lengths, so the byte strings compare as the numbers do.
    (high.iter().all(|&b| b == 0) && x < n_be).then(|| n_be.to_vec())
}

/// Most moduli [`public_op_montgomery`] keeps set up (the oldest is dropped first), as many as
/// the parsed keys `crypto::key` keeps.
const MAX_KEPT_MODULI: usize = super::key::MAX_KEPT_RSA_PUBLIC_KEYS;

thread_local! {
    /// A public modulus's big-endian bytes -> its Montgomery set-up (R^2 mod n and the rest:
    /// about 15 of the 34 products of a 2048-bit public operation). The same few keys come back
    /// on every message: the signer's and its issuer's for verification, the recipients'
    /// and the sender's own for encryption.
    static MODULI: std::cell::RefCell<crate::kept::Kept<Vec<u8>, std::rc::Rc<Modulus>>> =
        const { std::cell::RefCell::new(crate::kept::Kept::new(MAX_KEPT_MODULI)) };
}

/// The set-up of public modulus `n_be`, kept by its exact bytes (public values only, so a
/// lookup gives what setting those bytes up gives); None for a modulus it cannot take.
fn modulus_kept(n_be: &[u8]) -> Option<std::rc::Rc<Modulus>> {
    if let Some(m) = MODULI.with(|kept| kept.borrow().get(n_be)) {
        return Some(m);
    }
    let m = std::rc::Rc::new(Modulus::new(n_be)?);
    MODULI.with(|kept| kept.borrow_mut().keep(n_be.to_vec(), m.clone()));
    Some(m)
}

/// [`public_op`] in `cachet-montgomery`'s arithmetic (the Wasm build's).
pub(super) fn public_op_montgomery(key: &RsaPublicKey, x: &[u8]) -> Option<Vec<u8>> {
    let n_be = checked(key, x)?;
    let m = modulus_kept(&n_be)?;
    let mut scratch = m.scratch();
    let base = m.to_montgomery(&limbs_from_be(x, m.limbs())?, &mut scratch)?;
    let v = m.from_montgomery(&m.pow_public(&base, &key.e().to_be_bytes(), &mut scratch), &mut scratch);
    Some(limbs_to_be(&v, n_be.len()).to_vec())
}

/// [`public_op`] in crypto-bigint's arithmetic with the key's precomputed parameters (native).
pub(super) fn public_op_bigint(key: &RsaPublicKey, x: &[u8]) -> Option<Vec<u8>> {
    use crypto_bigint::modular::BoxedMontyForm;
    checked(key, x)?;
    let k = key.size();
    let e = key.e();
    let base = BoxedMontyForm::new(rsa::BoxedUint::from_be_slice(x, key.n_bits_precision()).ok()?, key.n_params());
    let mut acc = base.clone();
    for i in (0..e.bit_width_vartime() - 1).rev() {
        acc = acc.square();
        if e.bit_vartime(i) {
            acc = acc.mul(&base);
        }
    }
    let m = acc.retrieve().to_be_bytes();
    // The value has the modulus's precision, which may be wider than k bytes (whole limbs).
    let (high, low) = m.split_at(m.len().checked_sub(k)?);
    high.iter().all(|&b| b == 0).then(|| low.to_vec())
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
