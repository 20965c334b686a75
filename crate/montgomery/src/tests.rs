//! The arithmetic against crypto-bigint's on moduli of different limb counts.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use cachet_testkit::XorShift;
use crypto_bigint::{BoxedUint, ConcatenatingMul, NonZero};


/// An odd modulus of exactly `bits` bits.
fn modulus(rng: &mut XorShift, bits: usize) -> Vec<u8> {
    let mut m = rng.bytes(bits.div_ceil(8));
    let spare = (8 - bits % 8) % 8;
    m[0] &= 0xff >> spare;
    m[0] |= 0x80 >> spare;
    *m.last_mut().unwrap() |= 1;
    m
}

#[test]
fn products_squares_conversions_and_powers_agree_with_crypto_bigint() {
    let mut rng = XorShift(42);
    for bits in [33usize, 52, 64, 200, 1024, 1031, 1536, 2048, 2068, 4096] {
        let m = modulus(&mut rng, bits);
        let md = Modulus::new(&m).unwrap();
        let n = md.limbs();
        assert!(n * W as usize >= bits + 4, "{bits}: R >= 16 m");
        let precision = (m.len() * 8 * 4).div_ceil(64) as u32 * 64;
        let big = |b: &[u8]| BoxedUint::from_be_slice(b, precision).unwrap();
        let nz = NonZero::new(big(&m)).unwrap();
        let value = |x: &[u32]| big(&limbs_to_be(x, m.len() * 4));
        let mut s = md.scratch();
        let mut r = vec![0u8; (n * W as usize) / 8 + 1];
        r[0] = 1 << ((n * W as usize) % 8);
        let r = big(&r).rem(&nz);
        for round in 0..4 {
            let a = big(&rng.bytes(m.len())).rem(&nz);
            let b = big(&rng.bytes(m.len())).rem(&nz);
            let al = limbs_from_be(&a.to_be_bytes(), n).unwrap();
            let bl = limbs_from_be(&b.to_be_bytes(), n).unwrap();
            let am = md.to_montgomery(&al, &mut s).unwrap();
            let bm = md.to_montgomery(&bl, &mut s).unwrap();
            assert_eq!(value(&am).rem(&nz), a.concatenating_mul(&r).rem(&nz), "{bits}: to Montgomery");
            let mut prod = vec![0u32; n];
            md.mul(&am, &bm, &mut prod, &mut s);
            assert!(value(&prod) < big(&limbs_to_be(&md.twice, m.len() * 4)), "{bits}: below 2m");
            assert_eq!(value(&md.from_montgomery(&prod, &mut s)), a.concatenating_mul(&b).rem(&nz), "{bits}: product");
            let mut sq = vec![0u32; n];
            md.square(&am, &mut sq, &mut s);
            md.mul(&am, &am, &mut prod, &mut s);
            assert_eq!(sq, prod, "{bits}: square");
            // A number three chunks wide, and one too wide.
            let wide = rng.bytes(m.len() * 3);
            let wl = limbs_from_be(&wide, n * 3).unwrap();
            assert_eq!(value(&md.from_montgomery(&md.to_montgomery(&wl, &mut s).unwrap(), &mut s)), big(&wide).rem(&nz), "{bits}: wide");
            assert!(md.to_montgomery(&vec![0; n * 3 + 1], &mut s).is_none());
            if bits > 2048 || round > 1 {
                continue;
            }
            // A secret exponent of two limbs more than the modulus (round 0: all ones).
            let exp = if round == 0 { vec![0xff; (n + 2) * 28 / 8] } else { rng.bytes((n + 2) * 28 / 8) };
            let el = limbs_from_be(&exp, n + 2).unwrap();
            let mut want = BoxedUint::one_with_precision(precision);
            for byte in &exp {
                for bit in (0..8).rev() {
                    want = want.concatenating_mul(&want).rem(&nz);
                    if (byte >> bit) & 1 == 1 {
                        want = want.concatenating_mul(&a).rem(&nz);
                    }
                }
            }
            assert_eq!(value(&md.from_montgomery(&md.pow_secret(&am, &el, &mut s), &mut s)), want, "{bits}: secret power");
            let e = [0x01, 0x00, 0x01];
            let mut want = a.clone();
            for _ in 0..16 {
                want = want.concatenating_mul(&want).rem(&nz);
            }
            want = want.concatenating_mul(&a).rem(&nz);
            assert_eq!(value(&md.from_montgomery(&md.pow_public(&am, &e, &mut s), &mut s)), want, "{bits}: public power");
        }
    }
}

#[test]
fn the_largest_values_stay_in_bounds() {
    // 2m - 1, the largest value a product is given, squared: below 2m again.
    let mut rng = XorShift(7);
    for bits in [1024usize, 7136] {
        let m = modulus(&mut rng, bits);
        let md = Modulus::new(&m).unwrap();
        let mut s = md.scratch();
        let mut one = vec![0u32; md.limbs()];
        one[0] = 1;
        let mut top = vec![0u32; md.limbs()];
        assert_eq!(sub_into(&mut top, &md.twice, &one), 0);
        let mut out = vec![0u32; md.limbs()];
        md.mul(&top, &top, &mut out, &mut s);
        let mut sq = vec![0u32; md.limbs()];
        md.square(&top, &mut sq, &mut s);
        assert_eq!(out, sq, "{bits}");
        let mut t = vec![0u32; md.limbs()];
        assert_eq!(sub_into(&mut t, &out, &md.twice), u32::MAX, "{bits}: below 2m");
    }
}

#[test]
fn limbs_round_trip_and_sizes() {
    let bytes: Vec<u8> = (1..=70u8).collect();
    let limbs = limbs_from_be(&bytes, 20).unwrap();
    assert!(limbs.iter().all(|&l| l <= MASK));
    assert_eq!(&limbs_to_be(&limbs, 70)[..], &bytes[..]);
    assert!(limbs_from_be(&bytes, 19).is_none());
    assert!(Modulus::new(&[0x80, 0x00]).is_none(), "even");
    assert!(Modulus::new(&[0x00, 0x03]).is_none(), "too small");
    assert!(Modulus::new(&[]).is_none());
    assert!(Modulus::new(&vec![0xff; 893]).is_none(), "beyond 255 limbs");
    assert!(Modulus::new(&vec![0xff; 892]).is_some());
}
