//! The public-key operation against a plain square-and-multiply with crypto-bigint, and
//! PKCS#1 v1.5 encryption decrypted by the `rsa` crate and by openssl.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;
use cachet_testkit::{require_openssl, run_with_input, tool, TempDir, XorShift};
use crypto_bigint::{BoxedUint, ConcatenatingMul, NonZero};
use crate::crypto::rsa_private::tests::key;

/// x^e mod n by square-and-multiply over e's bits with crypto-bigint's plain products.
fn reference(key: &RsaPublicKey, x: &[u8]) -> Vec<u8> {
    let k = key.size();
    let precision = (k as u32 * 8 * 2).div_ceil(64) * 64;
    let big = |b: &[u8]| BoxedUint::from_be_slice(b, precision).unwrap();
    let n_be = key.n().to_be_bytes();
    let n = NonZero::new(big(&n_be)).unwrap();
    let x = big(x);
    let mut acc = BoxedUint::one_with_precision(precision);
    for byte in key.e().to_be_bytes().iter() {
        for bit in (0..8).rev() {
            acc = acc.concatenating_mul(&acc).rem(&n);
            if (byte >> bit) & 1 == 1 {
                acc = acc.concatenating_mul(&x).rem(&n);
            }
        }
    }
    let out = acc.to_be_bytes();
    out[out.len() - k..].to_vec()
}

fn check_key(label: &str, dir: &TempDir, private: &rsa::PrivateKey, rounds: usize) {
    let key = RsaPublicKey::from(private);
    let k = key.size();
    let n = key.n().to_be_bytes();
    let n = n[n.len() - k..].to_vec();
    let mut rng = XorShift(0x5eed ^ k as u64);
    let mut n_minus_1 = n.clone();
    *n_minus_1.last_mut().unwrap() -= 1;
    let mut one = vec![0u8; k];
    one[k - 1] = 1;
    let mut values = vec![vec![0u8; k], one, n_minus_1];
    for _ in 0..rounds {
        let mut x = rng.bytes(k);
        x[0] = x[0].min(n[0].saturating_sub(1));
        values.push(x);
    }
    // Both arithmetics, whichever this target uses.
    for (name, op) in [("montgomery", public_op_montgomery as fn(&RsaPublicKey, &[u8]) -> Option<Vec<u8>>), ("crypto-bigint", public_op_bigint)] {
        for (i, x) in values.iter().enumerate() {
            assert_eq!(op(&key, x).as_deref(), Some(&reference(&key, x)[..]), "{label}: {name}: value {i}");
        }
        // Refused: n itself, all ones, one byte short and one long.
        for x in [n.clone(), vec![0xff; k], vec![0x01; k - 1], vec![0x01; k + 1]] {
            assert_eq!(op(&key, &x), None, "{label}: {name}: {} bytes refused", x.len());
        }
    }
    for len in [0, 1, 16, 32, k - 11] {
        let message = rng.bytes(len);
        let ct = pkcs1v15_encrypt(&key, &message).unwrap();
        assert_eq!(ct.len(), k);
        assert_eq!(private.decrypt(rsa::Pkcs1v15Encrypt, &ct).unwrap(), message, "{label}: {len} bytes, rsa crate");
        assert_ne!(pkcs1v15_encrypt(&key, &message).unwrap(), ct, "{label}: random padding");
        // The peer: openssl decrypts it with the key file.
        let ct_file = dir.write(&format!("{label}-{len}.bin"), &ct);
        let out = run_with_input(
            tool("openssl").args(["pkeyutl", "-decrypt", "-pkeyopt", "rsa_padding_mode:pkcs1", "-inkey"]).arg(dir.path(&format!("{label}.key"))).arg("-in").arg(&ct_file),
            b"",
        );
        assert_eq!(out.stdout, message, "{label}: {len} bytes, openssl");
    }
    assert_eq!(pkcs1v15_encrypt(&key, &rng.bytes(k - 10)), None, "{label}: too long");
}

#[test]
fn public_operation_and_pkcs1_v1_5_encryption_agree_with_the_references() {
    require_openssl();
    let dir = TempDir::new("rsa-public");
    for (label, bits, e, rounds) in [("k2048", "2048", "65537", 12), ("k2048e3", "2048", "3", 4), ("k1025", "1025", "65537", 12), ("k2047", "2047", "65537", 4), ("k3072", "3072", "65537", 3), ("k4097", "4097", "65537", 2)] {
        let bits = format!("rsa_keygen_bits:{bits}");
        let e = format!("rsa_keygen_pubexp:{e}");
        let private = key(&dir, label, &["-algorithm", "RSA", "-pkeyopt", &bits, "-pkeyopt", &e]);
        check_key(label, &dir, &private, rounds);
    }
    // Each key's modulus was set up once and then taken from those kept (the values above
    // agree both times), at most MAX_KEPT_MODULI of them.
    let kept = MODULI.with(|m| m.borrow().len());
    assert!((6..=MAX_KEPT_MODULI).contains(&kept), "{kept} moduli kept");
}
