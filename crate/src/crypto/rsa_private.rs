//! RSA decryption with the private key: RSADP (RFC 8017 section 5.1.2) by the Chinese
//! remainder theorem, and EME-PKCS1-v1_5 decoding with implicit rejection
//! (draft-irtf-cfrg-rsa-guidance-10 section 7.2), for the key transport of S/MIME messages
//! (RFC 8551 2.3, RSAES-PKCS1-v1_5 being what Outlook, Thunderbird and openssl send).
//!
//! # Why not the `rsa` crate's decryption
//! In WebAssembly the `rsa` crate's private-key operation took about 10 ms for RSA-2048, and
//! about 5.5 ms of that was crypto-bigint's Montgomery multiplication alone (32-bit limbs, a
//! carry propagated after every limb product, squaring done as a general product). Opening
//! an encrypted message is that one operation plus about 1 ms. The arithmetic here is
//! `cachet-montgomery`'s (28-bit limbs, carries once per column, Wasm SIMD products, squaring
//! with each cross product once; see its description), about 3.7 ms for the same operation.
//! Natively those limbs are slower than crypto-bigint's 64-bit ones, so the native build raises
//! the two CRT halves with crypto-bigint's constant-time exponentiation instead; the blinding,
//! the recombination and the fault check below are the same in both builds.
//! Every result is checked against the `rsa` crate in the tests; keys this code does not take
//! (moduli beyond 7,136 bits, unbalanced primes) go to the `rsa` crate, which also refuses to
//! read keys of more than two primes (openssl's three-prime keys fail as malformed).
//!
//! # Security
//! - Constant time: loop bounds, memory addresses and branches depend on public sizes only
//!   (the modulus's and the exponent's limb counts). The exponentiation uses a fixed window of
//!   5 bits over a fixed number of exponent bits and reads every table entry for each window,
//!   keeping one by masks. Reductions, the CRT recombination and the padding check subtract,
//!   compare and keep results by masks.
//! - Blinding: the ciphertext is multiplied by r^e and the result by r^-1 (base blinding), with
//!   the pair (r^e, r^-1) squared after each use and drawn anew from system randomness every
//!   32 uses, as OpenSSL does; each CRT exponent gets a fresh random multiple of p - 1 (of
//!   q - 1) of 56 bits (exponent blinding).
//! - Fault check: the result raised to e must give the (blinded) ciphertext again, or nothing
//!   is returned (a fault in one CRT half would otherwise reveal a factor of the modulus).
//! - Padding: whether the padding was valid is never revealed. Invalid padding gives the
//!   draft's deterministic alternative message (derived from d and the ciphertext by
//!   HMAC-SHA-256), selected by masks; only the final length is public, as the draft permits.
//! - Every secret value this module holds is zeroized when it is dropped.

use cachet_montgomery::{add_into, limbs_from_be, LIMB_BITS, limbs_to_be, mask_if_less, mask_if_zero, mul_plain, select_into, sub_into, Limbs, Modulus};
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::BoxedUint;
use hmac::{Hmac, KeyInit, Mac};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use sha2::{Digest, Sha256};
use std::sync::Mutex;
use zeroize::{Zeroize, Zeroizing};

/// Uses of one blinding pair before a new one is drawn (OpenSSL's BN_BLINDING_COUNTER).
const BLINDING_USES: u32 = 32;
/// Limbs of the random multiple of p - 1 added to each CRT exponent (56 bits).
const EXPONENT_BLINDING_LIMBS: usize = 2;

/// An RSA private key with what its fast decryption keeps: the `rsa` crate's key, and, made
/// on the first decryption, the CRT values in 28-bit limbs with the blinding pair.
pub struct RsaKey {
    key: rsa::PrivateKey,
    state: Mutex<State>,
}

/// Whether the fast decryption has been prepared for a key, and whether it takes the key.
enum State {
    Unprepared,
    Fast(Box<Prepared>),
    /// A modulus beyond 7,136 bits or unbalanced primes (more than two primes, too, though the
    /// `rsa` crate does not read such keys).
    Crate,
}

impl RsaKey {
    pub fn new(key: rsa::PrivateKey) -> RsaKey {
        RsaKey { key, state: Mutex::new(State::Unprepared) }
    }

    /// RSAES-PKCS1-v1_5 decryption with implicit rejection (RFC 8017 7.2.2, the draft's 7.2):
    /// the message, or for invalid padding the draft's alternative message. None when the
    /// ciphertext is not as long as the modulus or not below it, when randomness is
    /// missing, or when the fault check fails.
    pub fn pkcs1v15_decrypt(&self, ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let k = self.key.size();
        if ciphertext.len() != k || k < 11 {
            return None;
        }
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let State::Unprepared = *state {
            *state = Prepared::new(&self.key).map_or(State::Crate, |p| State::Fast(Box::new(p)));
        }
        match &mut *state {
            State::Fast(prepared) => {
                let em = prepared.rsadp(ciphertext)?;
                prepared.unpad(&em, ciphertext)
            }
            _ => self.key.decrypt(rsa::Pkcs1v15Encrypt, ciphertext).ok().map(Zeroizing::new),
        }
    }
}

impl std::ops::Deref for RsaKey {
    type Target = rsa::PrivateKey;
    fn deref(&self) -> &rsa::PrivateKey {
        &self.key
    }
}

/// The blinding pair in Montgomery form modulo n: r^e R and r^-1 R.
struct Blinding {
    forward: Limbs,
    inverse: Limbs,
    uses: u32,
}

/// What the fast decryption keeps for one key.
struct Prepared {
    k: usize,
    e: Vec<u8>,
    n: Modulus,
    n_big: crypto_bigint::Odd<BoxedUint>,
    p: Modulus,
    q: Modulus,
    dp: Limbs,
    dq: Limbs,
    /// q^-1 mod p, fully reduced, in p's limbs.
    qinv: Limbs,
    /// SHA-256 of d as k bytes: the HMAC key from which the alternative message is derived.
    d_hash: Zeroizing<[u8; 32]>,
    blinding: Option<Blinding>,
    /// The bits of n's first byte (of k) and below: what a random r below n may have set there.
    top_mask: u8,
    /// p's and q's Montgomery parameters for crypto-bigint, whose exponentiation the native
    /// build uses for the two CRT halves (see [`pow_bigint`]); None in Wasm.
    crt_bigint: Option<Box<[BoxedMontyParams; 2]>>,
}

fn random(len: usize) -> Option<Zeroizing<Vec<u8>>> {
    let mut v = Zeroizing::new(vec![0u8; len]);
    getrandom::fill(&mut v).ok()?;
    Some(v)
}

fn zeros(n: usize) -> Limbs {
    Zeroizing::new(vec![0u32; n])
}

impl Prepared {
    fn new(key: &rsa::PrivateKey) -> Option<Prepared> {
        if key.primes().len() != 2 || key.size() > 8191 {
            return None;
        }
        let k = key.size();
        let be = |x: &BoxedUint| Zeroizing::new(x.to_be_bytes().to_vec());
        let n = Modulus::new(&be(key.n().as_ref()))?;
        let p = Modulus::new(&be(key.p()?.modulus().as_ref()))?;
        let q = Modulus::new(&be(key.q()?.modulus().as_ref()))?;
        // A number below n is brought modulo p or q in chunks of their limbs: at most three.
        if n.limbs() > 3 * p.limbs().min(q.limbs()) || q.limbs() > 3 * p.limbs() {
            return None;
        }
        let dp = limbs_from_be(&be(key.dp()?), p.limbs() + EXPONENT_BLINDING_LIMBS)?;
        let dq = limbs_from_be(&be(key.dq()?), q.limbs() + EXPONENT_BLINDING_LIMBS)?;
        let qinv = limbs_from_be(&be(&key.qinv()?.retrieve()), p.limbs())?;
        // I2OSP(d, k): d is below n, so its bytes beyond k are zero.
        let d = be(key.d());
        let (high, low) = d.split_at(d.len().checked_sub(k)?);
        if high.iter().any(|&b| b != 0) {
            return None;
        }
        let d_hash = Zeroizing::new(Sha256::digest(low).into());
        let e = key.e().to_be_bytes_trimmed_vartime().to_vec();
        if e.is_empty() {
            return None;
        }
        let n_big = key.n_params().modulus().clone();
        let n_be = be(key.n().as_ref());
        let top = *n_be.get(n_be.len().checked_sub(k)?)?;
        let top_mask = u8::MAX.checked_shr(top.leading_zeros()).unwrap_or(0);
        // Natively, crypto-bigint's 64-bit limbs (a 64 x 64 -> 128-bit multiply) beat the 28-bit
        // limbs made for Wasm SIMD: the 2 KB decryption process took 7.8-8.0 ms with these,
        // 6.0-6.4 with the `rsa` crate's unblinded operation (`perf stat`, 30 runs each).
        let crt_bigint = if cfg!(target_arch = "wasm32") { None } else { Some(Box::new([key.p()?.clone().into(), key.q()?.clone().into()])) };
        Some(Prepared { k, e, n, n_big, p, q, dp, dq, qinv, d_hash, blinding: None, top_mask, crt_bigint })
    }

    /// A new blinding pair from system randomness: r below n, r^-1 by crypto-bigint's
    /// constant-time inversion, r^e by the public exponent.
    fn new_blinding(&self) -> Option<Blinding> {
        let n = &self.n;
        let mut s = n.scratch();
        for _ in 0..64 {
            // As many bits as n has (so that at least half the draws are below n), then 0 < r < n,
            // compared by masks (only a rejected r's comparison shows).
            let mut bytes = random(self.k)?;
            if let Some(first) = bytes.first_mut() {
                *first &= self.top_mask;
            }
            let r_limbs = limbs_from_be(&bytes, n.limbs())?;
            let below = sub_into(&mut zeros(n.limbs()), &r_limbs, n.value());
            let zero = mask_if_zero(r_limbs.iter().fold(0, |acc, &l| acc | l));
            if below & !zero == 0 {
                continue;
            }
            let mut r = BoxedUint::from_be_slice(&bytes, self.n_big.as_ref().bits_precision()).ok()?;
            let inverse = r.invert_odd_mod(&self.n_big).into_option();
            r.zeroize();
            let Some(mut inverse) = inverse else { continue };
            let inverse_bytes = Zeroizing::new(inverse.to_be_bytes());
            inverse.zeroize();
            let r = n.to_montgomery(&r_limbs, &mut s)?;
            let forward = n.pow_public(&r, &self.e, &mut s);
            let inverse = n.to_montgomery(&limbs_from_be(&inverse_bytes, n.limbs())?, &mut s)?;
            return Some(Blinding { forward, inverse, uses: 0 });
        }
        None
    }

    /// RSADP with blinding and the fault check: the k-byte encoded message, or None when the
    /// ciphertext is not below n, randomness is missing, or the check fails.
    fn rsadp(&mut self, ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let (n, p, q) = (&self.n, &self.p, &self.q);
        let (mut sn, mut sp, mut sq) = (n.scratch(), p.scratch(), q.scratch());
        let c = limbs_from_be(ciphertext, n.limbs())?;
        // c < n (public, as the ciphertext is).
        if sub_into(&mut zeros(n.limbs()), &c, n.value()) == 0 {
            return None;
        }
        if self.blinding.as_ref().is_none_or(|b| b.uses >= BLINDING_USES) {
            self.blinding = Some(self.new_blinding()?);
        }
        let blinding = self.blinding.as_mut()?;
        // c' = c r^e mod n; then the pair for the next use: (r^e)^2 and (r^-1)^2.
        let mut blinded = zeros(n.limbs());
        n.mul(&c, &blinding.forward, &mut blinded, &mut sn);
        n.reduce(&mut blinded, &mut sn);
        let inverse = blinding.inverse.clone();
        let mut tmp = zeros(n.limbs());
        n.square(&blinding.forward, &mut tmp, &mut sn);
        std::mem::swap(&mut blinding.forward, &mut tmp);
        n.square(&blinding.inverse, &mut tmp, &mut sn);
        std::mem::swap(&mut blinding.inverse, &mut tmp);
        blinding.uses += 1;

        // m_p = c'^(dp + t (p - 1)) mod p (in p's Montgomery form), m_q likewise (plain).
        let (ep, eq) = (blind_exponent(&self.dp, p.value())?, blind_exponent(&self.dq, q.value())?);
        // (Never in Wasm: the constant condition leaves the bigint path out of the module.)
        let (mut mp, mq) = match self.crt_bigint.as_deref().filter(|_| !cfg!(target_arch = "wasm32")) {
            Some([p_params, q_params]) => {
                let mp = pow_bigint(p_params, &blinded, &ep, self.k, p.limbs())?;
                (p.to_montgomery(&mp, &mut sp)?, pow_bigint(q_params, &blinded, &eq, self.k, q.limbs())?)
            }
            None => {
                let xp = p.pow_secret(&p.to_montgomery(&blinded, &mut sp)?, &ep, &mut sp);
                let xq = q.pow_secret(&q.to_montgomery(&blinded, &mut sq)?, &eq, &mut sq);
                (xp, q.from_montgomery(&xq, &mut sq))
            }
        };
        // Garner: h = (m_p - m_q) q^-1 mod p, m = m_q + h q.
        p.reduce(&mut mp, &mut sp);
        let mut mq_p = p.to_montgomery(&mq, &mut sp)?;
        p.reduce(&mut mq_p, &mut sp);
        let mut diff = zeros(p.limbs());
        let negative = sub_into(&mut diff, &mp, &mq_p);
        let mut wrapped = diff.clone();
        add_into(&mut wrapped, p.value());
        select_into(&mut diff, &wrapped, negative);
        let mut h = zeros(p.limbs());
        p.mul(&diff, &self.qinv, &mut h, &mut sp);
        p.reduce(&mut h, &mut sp);
        let mut m = mul_plain(&h, q.value(), n.limbs());
        add_into(&mut m, &mq);
        // Fault check: m^e = c' (mod n).
        let check = n.from_montgomery(&n.pow_public(&n.to_montgomery(&m, &mut sn)?, &self.e, &mut sn), &mut sn);
        let differs = check.iter().zip(blinded.iter()).fold(0u32, |acc, (&a, &b)| acc | (a ^ b));
        if differs != 0 {
            return None;
        }
        // Unblind: m r^-1 mod n.
        let mut out = zeros(n.limbs());
        n.mul(&m, &inverse, &mut out, &mut sn);
        n.reduce(&mut out, &mut sn);
        Some(limbs_to_be(&out, self.k))
    }

    /// EME-PKCS1-v1_5 decoding with implicit rejection (draft-irtf-cfrg-rsa-guidance-10 7.2
    /// steps 3 to 5): the message, or the alternative message, chosen by masks.
    fn unpad(&self, em: &[u8], ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let k = self.k;
        // Step 3: KDK = HMAC-SHA-256(SHA-256(I2OSP(d, k)), C); the candidate lengths CL and the
        // alternative message AM; AL is the last candidate not above k - 11 (masked to the
        // bits k - 11 needs), or 0.
        let kdk: Zeroizing<[u8; 32]> = Zeroizing::new(hmac(&self.d_hash[..], &[ciphertext])?);
        let cl = irprf(&kdk, b"length", 256)?;
        let am = irprf(&kdk, b"message", k)?;
        let max = u32::try_from(k - 11).ok()?;
        let mut bits = max;
        for s in [1, 2, 4, 8, 16] {
            bits |= bits >> s;
        }
        let mut al = 0u32;
        for pair in cl.chunks_exact(2) {
            let candidate = pair.iter().fold(0u32, |v, &b| (v << 8) | u32::from(b)) & bits;
            let fits = !mask_if_less(max, candidate);
            al = (al & !fits) | (candidate & fits);
        }
        // Step 4: EM = 0x00 || 0x02 || PS (8 or more nonzero bytes) || 0x00 || M.
        let (&first, &second) = (em.first()?, em.get(1)?);
        let mut bad = !mask_if_zero(u32::from(first)) | !mask_if_zero(u32::from(second) ^ 2);
        let mut looking = u32::MAX;
        let mut separator = 0u32;
        for (i, &b) in (0u32..).zip(em).skip(2) {
            let zero = mask_if_zero(u32::from(b));
            let here = looking & zero;
            separator = (separator & !here) | (i & here);
            looking &= !zero;
        }
        bad |= looking | mask_if_less(separator, 10);
        let len = u32::try_from(k).ok()?.wrapping_sub(separator).wrapping_sub(1);
        // Step 5: the message or the alternative one, and its length, chosen by masks; only
        // the chosen length is used in the open.
        let len = ((len & !bad) | (al & bad)) as usize;
        let bad8 = bad as u8;
        let chosen: Zeroizing<Vec<u8>> = Zeroizing::new(em.iter().zip(am.iter()).map(|(&e, &a)| (e & !bad8) | (a & bad8)).collect());
        Some(Zeroizing::new(chosen.get(k.checked_sub(len)?..)?.to_vec()))
    }
}

/// x^exp mod m by crypto-bigint's constant-time exponentiation (its `rem` and fixed-window
/// `pow`, over every bit of the exponent's length), for `x` below n (k bytes) and `exp` in
/// 28-bit limbs: the result in `limbs` 28-bit limbs. Every intermediate is zeroized.
fn pow_bigint(m: &BoxedMontyParams, x: &[u32], exp: &[u32], k: usize, limbs: usize) -> Option<Limbs> {
    let precision = |bytes: usize| u32::try_from(bytes.checked_mul(8)?.next_multiple_of(64)).ok();
    let x = Zeroizing::new(BoxedUint::from_be_slice(&limbs_to_be(x, k), precision(k)?).ok()?);
    let exp_bytes = (exp.len() * LIMB_BITS as usize).div_ceil(8);
    let exp = Zeroizing::new(BoxedUint::from_be_slice(&limbs_to_be(exp, exp_bytes), precision(exp_bytes)?).ok()?);
    // x mod m, converted to Montgomery form where it lies (no copy of it left behind).
    let mut base = BoxedMontyForm::new(x.rem(m.modulus().as_nz_ref()), m);
    let mut power = base.pow(&exp);
    base.zeroize();
    let mut plain = power.retrieve();
    power.zeroize();
    let bytes = Zeroizing::new(plain.to_be_bytes());
    plain.zeroize();
    limbs_from_be(&bytes, limbs)
}

/// exp + t (m - 1) for a fresh random t of 56 bits, in exp's limbs (two more than m's).
fn blind_exponent(exp: &[u32], m: &[u32]) -> Option<Limbs> {
    let t = limbs_from_be(&random(7)?, EXPONENT_BLINDING_LIMBS)?;
    let mut m1 = Zeroizing::new(m.to_vec());
    // m is odd: m - 1 only clears the lowest bit.
    *m1.first_mut()? &= !1;
    let mut out = mul_plain(&m1, &t, exp.len());
    add_into(&mut out, exp);
    Some(out)
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> Option<[u8; 32]> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac.finalize().into_bytes().into())
}

/// IRPRF(KDK, label, length) of the draft's 7.1: HMAC-SHA-256 blocks of a two-byte counter,
/// the label and the output's length in bits (two bytes), cut to `length` bytes.
fn irprf(kdk: &[u8; 32], label: &[u8], length: usize) -> Option<Zeroizing<Vec<u8>>> {
    let bits = u16::try_from(length * 8).ok()?.to_be_bytes();
    let mut out = Zeroizing::new(vec![0u8; length]);
    for (i, chunk) in (0u16..).zip(out.chunks_mut(32)) {
        let block = Zeroizing::new(hmac(kdk, &[&i.to_be_bytes(), label, &bits])?);
        for (o, &b) in chunk.iter_mut().zip(block.iter()) {
            *o = b;
        }
    }
    Some(out)
}

#[cfg(test)]
#[path = "rsa_private_tests.rs"]
pub(super) mod tests;
