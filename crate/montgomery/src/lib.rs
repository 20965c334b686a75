//! Constant-time Montgomery arithmetic for Cachet's RSA private-key operation, in a crate of
//! its own: the Wasm build is optimised for size as a whole, which leaves iterator adapters
//! and slice helpers as calls and turns off loop vectorisation, while this crate is built for
//! speed (`profile.wasm.package.cachet-montgomery` in the workspace manifest). The public
//! functions are `#[inline(never)]` so that they keep this crate's optimisation.
//!
//! Numbers are little-endian vectors of 28-bit limbs in `u32`. A limb product is below 2^56,
//! so the products of a column of a Montgomery product (at most n of them in each of its two
//! sums, for a modulus of n limbs) add up in a `u64` without carries, and the carry is taken
//! once per column; the columns are dot products of contiguous slices (one operand kept in
//! reverse order): in Wasm written with SIMD widening products (two 32 x 32 -> 64-bit products
//! per instruction, see `dot`), natively left to LLVM's vectorisation. A squaring computes
//! each cross product once.
//!
//! R = 2^(28 n) with n chosen so that R >= 16 m: a Montgomery product of two numbers below 4m
//! is below 2m, so no product needs a final subtraction; values stay below 2m and are reduced
//! fully only when they leave.
//!
//! # Constant time
//! Loop bounds, memory addresses and branches depend only on the limb counts (public). The
//! secret exponentiation uses a fixed window over every bit position of the exponent's limbs
//! and reads every table entry for each window, keeping one by masks; reductions subtract and
//! keep the result by masks. Only [`Modulus::pow_public`] branches on its exponent's bits.
//!
//! Nothing here panics: slices are taken with `get` and zipped, so a wrongly sized argument
//! gives a wrong number, never a panic; the callers pass limb vectors of the modulus's size.
#![forbid(unsafe_code)]

use zeroize::{Zeroize, Zeroizing};

/// Bits per limb.
pub const LIMB_BITS: u32 = 28;
const W: u32 = LIMB_BITS;
const MASK: u32 = (1 << W) - 1;
const MASK64: u64 = MASK as u64;
/// A column sum of n products below 2^56 and a carry below 2^38 stays below 2^64 for n up to
/// 255 limbs (moduli up to 7,136 bits).
const MAX_LIMBS: usize = 255;
/// Bits of the fixed exponentiation window.
const WINDOW: usize = 5;

/// A number in 28-bit limbs, zeroized when dropped.
pub type Limbs = Zeroizing<Vec<u32>>;

/// All ones when x is zero, else zero; no branch.
#[inline(always)]
pub fn mask_if_zero(x: u32) -> u32 {
    ((x | x.wrapping_neg()) >> 31).wrapping_sub(1)
}

/// All ones when a < b (both below 2^31), else zero; no branch.
#[inline(always)]
pub fn mask_if_less(a: u32, b: u32) -> u32 {
    0u32.wrapping_sub(a.wrapping_sub(b) >> 31)
}

/// An all-zero vector the compiler cannot see through (Wasm with SIMD), made once per product:
/// [`dot`] mixes it into its loads. Nothing elsewhere.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type Opaque = core::arch::wasm32::v128;
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[derive(Clone, Copy)]
struct Opaque;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn opaque() -> Opaque {
    std::hint::black_box(core::arch::wasm32::u64x2_splat(0))
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn opaque() -> Opaque {
    Opaque
}

/// The sum of the products of two slices, as far as the shorter goes.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn dot(x: &[u32], y: &[u32], _: Opaque) -> u64 {
    dot_scalar(x, y)
}

#[inline(always)]
fn dot_scalar(x: &[u32], y: &[u32]) -> u64 {
    x.iter().zip(y).fold(0u64, |s, (&a, &b)| s.wrapping_add(u64::from(a) * u64::from(b)))
}

/// The sum of the products of two slices, as far as the shorter goes, four limbs at a time
/// with Wasm SIMD's widening products (i64x2.extmul_{low,high}_i32x4_u: two 32 x 32 -> 64-bit
/// products each, one `pmuludq` on x86). The loads are mixed with a zero LLVM cannot see
/// (`zero`): without it LLVM narrows each four-limb load feeding a widening product into two
/// zero-extending loads multiplied with i64x2.mul, which engines without AVX-512 emulate in
/// several instructions (the RSA-2048 private-key operation then took about 1.5x as long).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn dot(x: &[u32], y: &[u32], zero: Opaque) -> u64 {
    use core::arch::wasm32::{i64x2_add, u32x4, u64x2_extmul_high_u32x4, u64x2_extmul_low_u32x4, u64x2_extract_lane, u64x2_splat, v128_xor};
    let len = x.len().min(y.len());
    let (x, y) = (x.get(..len).unwrap_or(&[]), y.get(..len).unwrap_or(&[]));
    let (xs, ys) = (x.chunks_exact(4), y.chunks_exact(4));
    let tail = dot_scalar(xs.remainder(), ys.remainder());
    let mut acc = u64x2_splat(0);
    for (a, b) in xs.zip(ys) {
        if let (&[a0, a1, a2, a3], &[b0, b1, b2, b3]) = (a, b) {
            let (va, vb) = (v128_xor(u32x4(a0, a1, a2, a3), zero), v128_xor(u32x4(b0, b1, b2, b3), zero));
            acc = i64x2_add(acc, i64x2_add(u64x2_extmul_low_u32x4(va, vb), u64x2_extmul_high_u32x4(va, vb)));
        }
    }
    u64x2_extract_lane::<0>(acc).wrapping_add(u64x2_extract_lane::<1>(acc)).wrapping_add(tail)
}

fn from(x: &[u32], at: usize) -> &[u32] {
    x.get(at..).unwrap_or(&[])
}

/// dst := src, limb by limb, as far as the shorter goes.
fn copy(dst: &mut [u32], src: &[u32]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = s;
    }
}

/// A big-endian number as `n` limbs, or None when it does not fit.
#[inline(never)]
pub fn limbs_from_be(bytes: &[u8], n: usize) -> Option<Limbs> {
    let mut out = Zeroizing::new(vec![0u32; n]);
    let (mut acc, mut bits, mut overflow) = (0u64, 0, 0u64);
    let mut limbs = out.iter_mut();
    for &b in bytes.iter().rev() {
        acc |= u64::from(b) << bits;
        bits += 8;
        if bits >= W {
            match limbs.next() {
                Some(limb) => *limb = (acc & MASK64) as u32,
                None => overflow |= acc & MASK64,
            }
            acc >>= W;
            bits -= W;
        }
    }
    match limbs.next() {
        Some(limb) => *limb = acc as u32,
        None => overflow |= acc,
    }
    (overflow == 0).then_some(out)
}

/// The number as `len` big-endian bytes (higher bits that do not fit are dropped).
#[inline(never)]
pub fn limbs_to_be(x: &[u32], len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    let (mut acc, mut bits) = (0u64, 0);
    let mut limbs = x.iter();
    for byte in out.iter_mut().rev() {
        if bits < 8 {
            acc |= u64::from(limbs.next().copied().unwrap_or(0)) << bits;
            bits += W;
        }
        *byte = acc as u8;
        acc >>= 8;
        bits -= 8;
    }
    out
}

/// x := x + y (the sum must fit in x's limbs).
pub fn add_into(x: &mut [u32], y: &[u32]) {
    let mut carry = 0u32;
    for (a, &b) in x.iter_mut().zip(y.iter().chain(std::iter::repeat(&0))) {
        let s = *a + b + carry;
        *a = s & MASK;
        carry = s >> W;
    }
}

/// out := x - y (equally long); all ones when y > x (the difference then wrapped), else zero.
pub fn sub_into(out: &mut [u32], x: &[u32], y: &[u32]) -> u32 {
    let mut borrow = 0u32;
    for ((o, &a), &b) in out.iter_mut().zip(x).zip(y) {
        let d = a.wrapping_sub(b).wrapping_sub(borrow);
        *o = d & MASK;
        borrow = d >> 31;
    }
    0u32.wrapping_sub(borrow)
}

/// x := y where `mask` is all ones, x unchanged where it is zero.
pub fn select_into(x: &mut [u32], y: &[u32], mask: u32) {
    for (a, &b) in x.iter_mut().zip(y) {
        *a = (*a & !mask) | (b & mask);
    }
}

/// x := x - y when x >= y, by masks.
fn sub_if_not_less(x: &mut [u32], y: &[u32], scratch: &mut [u32]) {
    let less = sub_into(scratch, x, y);
    select_into(x, scratch, !less);
}

/// x y as `out_len` limbs (the product must fit).
#[inline(never)]
pub fn mul_plain(x: &[u32], y: &[u32], out_len: usize) -> Limbs {
    let mut cols = Zeroizing::new(vec![0u64; x.len() + y.len()]);
    for (i, &a) in x.iter().enumerate() {
        for (c, &b) in cols.iter_mut().skip(i).zip(y) {
            *c += u64::from(a) * u64::from(b);
        }
    }
    let mut out = Zeroizing::new(vec![0u32; out_len]);
    let mut carry = 0u64;
    for (o, &c) in out.iter_mut().zip(cols.iter().chain(std::iter::repeat(&0))) {
        let s = c + carry;
        *o = (s & MASK64) as u32;
        carry = s >> W;
    }
    out
}

/// The products of one column of a Montgomery product: column i of n limbs, lo its lowest
/// limb index, `rev` the second operand reversed, from `off` for the lower columns.
trait Column {
    fn sum(&self, n: usize, i: usize, lo: usize, off: usize, rev: &[u32], z: Opaque) -> u64;
}

/// a b.
struct Product<'a>(&'a [u32]);

impl Column for Product<'_> {
    #[inline(always)]
    fn sum(&self, n: usize, i: usize, lo: usize, off: usize, rev: &[u32], z: Opaque) -> u64 {
        if i < n {
            dot(self.0, from(rev, off), z)
        } else {
            dot(from(self.0, lo), rev, z)
        }
    }
}

/// a^2: column i's pairs j < i - j once, doubled, and its diagonal a[i/2]^2.
struct Square<'a>(&'a [u32]);

impl Column for Square<'_> {
    #[inline(always)]
    fn sum(&self, n: usize, i: usize, lo: usize, off: usize, rev: &[u32], z: Opaque) -> u64 {
        let a = self.0;
        let pairs = i.div_ceil(2) - lo;
        let cross = if i < n { dot(a.get(..pairs).unwrap_or(&[]), from(rev, off), z) } else { dot(a.get(lo..lo + pairs).unwrap_or(&[]), rev, z) };
        let half = a.get(i / 2).copied().unwrap_or(0);
        let diagonal = if (i & 1) == 0 { u64::from(half) * u64::from(half) } else { 0 };
        2 * cross + diagonal
    }
}

/// An odd modulus m of n limbs with its Montgomery constants (R = 2^(28 n) >= 16 m).
pub struct Modulus {
    n: usize,
    m: Vec<u32>,
    /// m's limbs from the highest down to m[1]: the quotient digits' products of a column are
    /// then a forward dot product (m[0]'s is added when its digit is found).
    rev: Vec<u32>,
    /// 2 m.
    twice: Vec<u32>,
    /// -m^-1 mod 2^28.
    inv: u32,
    m0: u32,
    /// R^2, R^3 and R^4 mod m, fully reduced: R^2 brings a number below R into Montgomery
    /// form, the others the higher chunks of a number of up to three times n limbs.
    powers: Vec<Vec<u32>>,
}

/// Zeroizes limbs: one out-of-line copy of `zeroize`'s volatile loop, which opt-level 3
/// would otherwise unroll into every drop.
#[inline(never)]
fn wipe(limbs: &mut [u32]) {
    limbs.zeroize();
}

impl Drop for Modulus {
    fn drop(&mut self) {
        wipe(&mut self.m);
        wipe(&mut self.rev);
        wipe(&mut self.twice);
        for power in &mut self.powers {
            wipe(power);
        }
        self.m0.zeroize();
        self.inv.zeroize();
    }
}

/// Working space for the products of one modulus (zeroized when dropped).
pub struct Scratch {
    rev: Vec<u32>,
    q: Vec<u32>,
    t: Vec<u32>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        wipe(&mut self.rev);
        wipe(&mut self.q);
        wipe(&mut self.t);
    }
}

impl Modulus {
    /// From a big-endian odd modulus of at least 2 and at most 255 limbs (7,136 bits); None
    /// otherwise. Costs 28 n modular doublings and a dozen products (R^2 mod m), constant-time.
    #[inline(never)]
    pub fn new(be: &[u8]) -> Option<Modulus> {
        let first = be.iter().position(|&b| b != 0)?;
        let bits = (be.len() - first) * 8 - be.get(first)?.leading_zeros() as usize;
        let n = (bits + 4).div_ceil(W as usize);
        if !(2..=MAX_LIMBS).contains(&n) || (be.last()? & 1) == 0 {
            return None;
        }
        let m = limbs_from_be(be, n)?;
        let m0 = *m.first()?;
        // -m^-1 mod 2^32 by Newton's iteration (each step doubles the correct low bits).
        let mut x: u32 = 1;
        for _ in 0..5 {
            x = x.wrapping_mul(2u32.wrapping_sub(m0.wrapping_mul(x)));
        }
        let inv = x.wrapping_neg() & MASK;
        let mut twice = m.to_vec();
        add_into(&mut twice, &m);
        let rev = m.iter().skip(1).rev().copied().collect();
        let mut modulus = Modulus { n, m: m.to_vec(), rev, twice, inv, m0, powers: Vec::new() };
        let mut s = modulus.scratch();
        // R^2 mod m: 2^(28 n + 1) mod m is 2 R mod m, the Montgomery form of 2; raised to the
        // (public) power 28 n, it is the Montgomery form of R, R^2 mod m. 2^(28 n + 1) mod m
        // starts from 2^b mod m for b the bit length of m, which is 2^b - m (m < 2^b < 2m),
        // doubled 28 n + 1 - b times (at least 5), each doubling reduced: 25 doublings for a
        // 2,048-bit modulus instead of the 2,073 from 1.
        let mut power = Zeroizing::new(vec![0u32; n]);
        *power.get_mut(bits / W as usize)? = 1 << (bits % W as usize);
        let mut two = Zeroizing::new(vec![0u32; n]);
        sub_into(&mut two, &power, &m);
        let mut doubled = power;
        for _ in bits..=n * W as usize {
            copy(&mut doubled, &two);
            add_into(&mut two, &doubled);
            modulus.reduce(&mut two, &mut s);
        }
        let exponent = (n * W as usize).to_be_bytes();
        let mut r2 = modulus.pow_public(&two, &exponent, &mut s);
        modulus.reduce(&mut r2, &mut s);
        let mut powers = vec![r2.to_vec()];
        let mut last = r2.clone();
        for _ in 0..2 {
            let mut next = vec![0u32; n];
            modulus.mul(&last, &r2, &mut next, &mut s);
            modulus.reduce(&mut next, &mut s);
            copy(&mut last, &next);
            powers.push(next);
        }
        modulus.powers = powers;
        Some(modulus)
    }

    /// The number of limbs of the modulus and of the values modulo it.
    pub fn limbs(&self) -> usize {
        self.n
    }

    /// The modulus's limbs.
    pub fn value(&self) -> &[u32] {
        &self.m
    }

    /// Working space for this modulus's products.
    pub fn scratch(&self) -> Scratch {
        let zero = || vec![0u32; self.n];
        Scratch { rev: zero(), q: zero(), t: zero() }
    }

    /// out := a b R^-1 mod m, below 2m when a and b are below 4m.
    #[inline(never)]
    pub fn mul(&self, a: &[u32], b: &[u32], out: &mut [u32], s: &mut Scratch) {
        for (r, &x) in s.rev.iter_mut().zip(b.iter().rev()) {
            *r = x;
        }
        self.columns(&s.rev, &mut s.q, &Product(a), out);
    }

    /// out := a^2 R^-1 mod m, each cross product computed once.
    #[inline(never)]
    pub fn square(&self, a: &[u32], out: &mut [u32], s: &mut Scratch) {
        for (r, &x) in s.rev.iter_mut().zip(a.iter().rev()) {
            *r = x;
        }
        self.columns(&s.rev, &mut s.q, &Square(a), out);
    }

    /// A product (or square) with the Montgomery reduction interleaved, column by column:
    /// `column` gives the sum of each column's products, and the quotient digits' products
    /// with m are added here, in a sum of their own. Each sum stays below 2^64.
    #[inline(always)]
    fn columns(&self, rev: &[u32], q: &mut [u32], column: &impl Column, out: &mut [u32]) {
        let n = self.n;
        let z = opaque();
        let prev = &self.rev[..];
        let mut carry: u64 = 0;
        for i in 0..n {
            let off = n - 1 - i;
            let t = carry + column.sum(n, i, 0, off, rev, z);
            // q[0..i] against m[i]..m[1] (the quotient digit q[i] is not known yet).
            let u = dot(q, from(prev, off), z);
            let mut low = (t & MASK64) + (u & MASK64);
            let qi = (low as u32).wrapping_mul(self.inv) & MASK;
            if let Some(slot) = q.get_mut(i) {
                *slot = qi;
            }
            low += u64::from(qi) * u64::from(self.m0);
            carry = (t >> W) + (u >> W) + (low >> W);
        }
        let mut outs = out.iter_mut();
        for i in n..2 * n - 1 {
            let lo = i - n + 1;
            let t = carry + column.sum(n, i, lo, 0, rev, z);
            // q[lo..n] against m[n-1]..m[lo].
            let u = dot(from(q, lo), prev, z);
            let low = (t & MASK64) + (u & MASK64);
            if let Some(o) = outs.next() {
                *o = (low & MASK64) as u32;
            }
            carry = (t >> W) + (u >> W) + (low >> W);
        }
        if let Some(o) = outs.next() {
            *o = carry as u32;
        }
    }

    /// x := x mod m for x below 2m, by masks.
    pub fn reduce(&self, x: &mut [u32], s: &mut Scratch) {
        sub_if_not_less(x, &self.m, &mut s.t);
    }

    /// x R mod m (below 2m) for x of up to three times n limbs; None for a longer x.
    #[inline(never)]
    pub fn to_montgomery(&self, x: &[u32], s: &mut Scratch) -> Option<Limbs> {
        let n = self.n;
        if x.len().div_ceil(n) > self.powers.len() {
            return None;
        }
        let mut sum = Zeroizing::new(vec![0u32; n]);
        let mut term = Zeroizing::new(vec![0u32; n]);
        let mut chunk = Zeroizing::new(vec![0u32; n]);
        for (part, power) in x.chunks(n).zip(&self.powers) {
            chunk.fill(0);
            copy(&mut chunk, part);
            self.mul(&chunk, power, &mut term, s);
            add_into(&mut sum, &term);
            sub_if_not_less(&mut sum, &self.twice, &mut s.t);
        }
        Some(sum)
    }

    /// x R^-1 mod m, fully reduced, for x below 2m.
    #[inline(never)]
    pub fn from_montgomery(&self, x: &[u32], s: &mut Scratch) -> Limbs {
        let mut one = Zeroizing::new(vec![0u32; self.n]);
        if let Some(low) = one.first_mut() {
            *low = 1;
        }
        let mut out = Zeroizing::new(vec![0u32; self.n]);
        self.mul(x, &one, &mut out, s);
        self.reduce(&mut out, s);
        out
    }

    /// base^exp in Montgomery form, base in Montgomery form, for a secret exponent: a fixed
    /// window over all 28 x `exp.len()` bit positions, every table entry read for each.
    #[inline(never)]
    pub fn pow_secret(&self, base: &[u32], exp: &[u32], s: &mut Scratch) -> Limbs {
        let n = self.n;
        let mut table = Zeroizing::new(vec![0u32; n << WINDOW]);
        let mut prev = self.to_montgomery(&[1], s).unwrap_or_default();
        for (t, entry) in table.chunks_exact_mut(n).enumerate() {
            match t {
                0 => copy(entry, &prev),
                1 => copy(entry, base),
                _ => self.mul(&prev, base, entry, s),
            }
            copy(&mut prev, entry);
        }
        let windows = (exp.len() * W as usize).div_ceil(WINDOW);
        let mut acc = Zeroizing::new(vec![0u32; n]);
        let mut tmp = Zeroizing::new(vec![0u32; n]);
        let mut pick = Zeroizing::new(vec![0u32; n]);
        for w in (0..windows).rev() {
            let at = w * WINDOW;
            let (limb, shift) = (at / W as usize, at as u32 % W);
            let low = u64::from(exp.get(limb).copied().unwrap_or(0)) >> shift;
            let high = u64::from(exp.get(limb + 1).copied().unwrap_or(0)) << (W - shift);
            let index = ((low | high) as u32) & ((1 << WINDOW) - 1);
            pick.fill(0);
            for (t, entry) in table.chunks_exact(n).enumerate() {
                let keep = std::hint::black_box(mask_if_zero(t as u32 ^ index));
                for (p, &e) in pick.iter_mut().zip(entry) {
                    *p |= e & keep;
                }
            }
            if w + 1 == windows {
                copy(&mut acc, &pick);
                continue;
            }
            for _ in 0..WINDOW {
                self.square(&acc, &mut tmp, s);
                std::mem::swap(&mut acc, &mut tmp);
            }
            self.mul(&acc, &pick, &mut tmp, s);
            std::mem::swap(&mut acc, &mut tmp);
        }
        acc
    }

    /// base^e in Montgomery form, base in Montgomery form, for a public exponent (big-endian
    /// bytes, not zero): square-and-multiply over its bits.
    #[inline(never)]
    pub fn pow_public(&self, base: &[u32], e: &[u8], s: &mut Scratch) -> Limbs {
        let mut acc = Zeroizing::new(base.to_vec());
        let mut tmp = Zeroizing::new(vec![0u32; self.n]);
        let mut started = false;
        for &byte in e {
            for bit in (0..8).rev() {
                let set = ((byte >> bit) & 1) == 1;
                if started {
                    self.square(&acc, &mut tmp, s);
                    std::mem::swap(&mut acc, &mut tmp);
                    if set {
                        self.mul(&acc, base, &mut tmp, s);
                        std::mem::swap(&mut acc, &mut tmp);
                    }
                }
                started |= set;
            }
        }
        acc
    }
}

#[cfg(test)]
mod tests;
