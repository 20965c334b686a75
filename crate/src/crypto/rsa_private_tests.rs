//! The fast RSA decryption against the `rsa` crate's (the same draft's implicit rejection, so
//! the same bytes for every ciphertext, valid or not) and against openssl's encryption.

use super::*;
use cachet_testkit::{require_openssl, TempDir, XorShift};
use rsa::pkcs8::DecodePrivateKey;

/// A key made by openssl with `genpkey` arguments (from the test key pool), as `name.key` in
/// `dir` (also the RSA public operation's tests).
pub(in crate::crypto) fn key(dir: &TempDir, name: &str, genpkey: &[&str]) -> rsa::PrivateKey {
    let file = format!("{name}.key");
    cachet_testkit::pooled_key(genpkey, &dir.path(&file));
    let pem = String::from_utf8(dir.read(&file)).unwrap();
    rsa::PrivateKey::from_pkcs8_pem(&pem).unwrap()
}


/// The `rsa` crate's PKCS#1 v1.5 decryption (implicit rejection, draft-irtf-cfrg-rsa-guidance).
fn reference(key: &rsa::PrivateKey, ct: &[u8]) -> Option<Vec<u8>> {
    key.decrypt(rsa::Pkcs1v15Encrypt, ct).ok()
}

/// Ciphertexts worth trying for a key: valid ones of several message lengths, random values
/// (almost always invalid padding), the edges 0, 1, n - 1, n, all ones, one byte short and one
/// long; every answer the `rsa` crate's, by the fast path.
fn check_key(label: &str, key: rsa::PrivateKey, rounds: usize) {
    let k = key.size();
    let n = key.n().as_ref().to_be_bytes();
    let n = n[n.len() - k..].to_vec();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15 ^ k as u64);
    let public = rsa::PublicKey::from(&key);
    let fast = RsaKey::new(key.clone());
    // The CRT halves by Cachet's own arithmetic, as in Wasm (natively they go through
    // crypto-bigint's, as `fast` does).
    let montgomery = RsaKey::new(key.clone());
    if let Some(prepared) = Prepared::new(&key) {
        *montgomery.state.lock().unwrap() = State::Fast(Box::new(Prepared { crt_bigint: None, ..prepared }));
    }
    let mut cases: Vec<Vec<u8>> = Vec::new();
    for len in [0, 1, 16, 32, k - 11] {
        let message = rng.bytes(len);
        let mut sys = getrandom::SysRng;
        let ct = public.encrypt(&mut sys, rsa::Pkcs1v15Encrypt, &message).unwrap();
        assert_eq!(reference(&key, &ct).as_deref(), Some(&message[..]), "{label}: rsa crate, valid");
        cases.push(ct);
    }
    for _ in 0..rounds {
        let mut c = rng.bytes(k);
        c[0] &= 0x7f;
        cases.push(c);
    }
    let mut n_minus_1 = n.clone();
    *n_minus_1.last_mut().unwrap() -= 1;
    let mut one = vec![0u8; k];
    one[k - 1] = 1;
    cases.extend([vec![0u8; k], one, n_minus_1, n.clone(), vec![0xff; k], vec![0x01; k - 1], vec![0x01; k + 1]]);
    for (i, ct) in cases.iter().enumerate() {
        let want = reference(&key, ct);
        assert_eq!(fast.pkcs1v15_decrypt(ct).map(|m| m.to_vec()), want, "{label}: case {i}");
        assert_eq!(montgomery.pkcs1v15_decrypt(ct).map(|m| m.to_vec()), want, "{label}: case {i}, Cachet's arithmetic");
    }
    assert!(matches!(&*fast.state.lock().unwrap(), State::Fast(p) if p.crt_bigint.is_some() != cfg!(target_arch = "wasm32")), "{label}: the fast path");
    assert!(matches!(&*montgomery.state.lock().unwrap(), State::Fast(p) if p.crt_bigint.is_none()), "{label}: Cachet's arithmetic");
}

#[test]
fn same_bytes_as_the_rsa_crate_for_valid_and_invalid_ciphertexts() {
    require_openssl();
    let dir = TempDir::new("rsa-private");
    // More uses than one blinding pair serves: the pair is drawn again.
    check_key("2048", key(&dir, "k2048", &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]), 40);
    check_key("2048 e=3", key(&dir, "k2048e3", &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt", "rsa_keygen_pubexp:3"]), 6);
    check_key("1024", key(&dir, "k1024", &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"]), 6);
    // n's first byte 0x01: blinding values are drawn with n's bits only (twice here).
    check_key("1025", key(&dir, "k1025", &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1025"]), 40);
    check_key("2047", key(&dir, "k2047", &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2047"]), 6);
    check_key("3072", key(&dir, "k3072", &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"]), 4);
    // openssl makes a 4096-bit key when asked for 4097 bits (the key the signature tests use).
    check_key("4096", key(&dir, "k4097", &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4097"]), 3);
}

#[test]
fn openssl_encryptions_decrypt_to_their_messages() {
    require_openssl();
    let dir = TempDir::new("rsa-private-openssl");
    let key = key(&dir, "k", &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]);
    let fast = RsaKey::new(key);
    let mut rng = XorShift(7);
    for len in [1, 24, 32, 245] {
        let message = rng.bytes(len);
        dir.write("m", &message);
        dir.openssl(&["pkeyutl", "-encrypt", "-inkey", "k.key", "-pkeyopt", "rsa_padding_mode:pkcs1", "-in", "m", "-out", "c"]);
        assert_eq!(fast.pkcs1v15_decrypt(&dir.read("c")).as_deref().map(|m| m.to_vec()), Some(message));
    }
}

/// A fault in one CRT half (here a corrupted d mod q) is caught by the check m^e = c and gives
/// nothing, never a wrong result from which the modulus could be factored.
#[test]
fn a_faulty_crt_half_gives_nothing() {
    require_openssl();
    let dir = TempDir::new("rsa-private-fault");
    let key = key(&dir, "k", &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]);
    let public = rsa::PublicKey::from(&key);
    let ct = public.encrypt(&mut getrandom::SysRng, rsa::Pkcs1v15Encrypt, b"a content-encryption key").unwrap();
    // Both ways of computing the CRT halves (crypto-bigint's natively, Cachet's in Wasm).
    for bigint in [true, false] {
        let fast = RsaKey::new(key.clone());
        assert_eq!(fast.pkcs1v15_decrypt(&ct).as_deref().map(|m| m.to_vec()), Some(b"a content-encryption key".to_vec()));
        if let State::Fast(prepared) = &mut *fast.state.lock().unwrap() {
            if !bigint {
                prepared.crt_bigint = None;
            }
            prepared.dq[3] ^= 1;
        }
        assert_eq!(fast.pkcs1v15_decrypt(&ct), None, "bigint {bigint}");
    }
}

/// A key the fast path does not take: primes of 512 and 1536 bits, so n is more than three
/// times p's limbs (the `rsa` crate imports such a key only when asked for wide primes; a
/// modulus beyond 7,140 bits is the other case). Decryption falls back to the crate: valid
/// ciphertexts give their messages, invalid ones the crate's alternative message, none panics.
#[test]
fn a_key_the_fast_path_does_not_take_decrypts_with_the_rsa_crate() {
    require_openssl();
    let prime = |bits: &str| {
        let out = cachet_testkit::run(cachet_testkit::tool("openssl").args(["prime", "-generate", "-hex", "-bits", bits]));
        let hex = String::from_utf8(out.stdout).unwrap();
        let hex = hex.trim();
        let hex = if hex.len() % 2 == 1 { format!("0{hex}") } else { hex.to_string() };
        let bytes: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        BoxedUint::from_be_slice(&bytes, 2048).unwrap()
    };
    let (p, q) = (prime("512"), prime("1536"));
    let one = BoxedUint::one_with_precision(2048);
    let n = p.wrapping_mul(&q);
    let phi = p.wrapping_sub(&one).wrapping_mul(q.wrapping_sub(&one));
    let e = BoxedUint::from_be_slice(&[1, 0, 1], 2048).unwrap();
    let d = e.invert_mod(&crypto_bigint::NonZero::new(phi).unwrap()).unwrap();
    let key = rsa::PrivateKey::from_components_with_wide_primes(n, e, d, vec![p, q]).unwrap();
    assert!(Prepared::new(&key).is_none(), "the fast path refuses these primes");
    let public = rsa::PublicKey::from(&key);
    let k = key.size();
    let fast = RsaKey::new(key.clone());
    let mut rng = XorShift(11);
    for len in [1, 32, k - 11] {
        let message = rng.bytes(len);
        let ct = public.encrypt(&mut getrandom::SysRng, rsa::Pkcs1v15Encrypt, &message).unwrap();
        assert_eq!(fast.pkcs1v15_decrypt(&ct).as_deref().map(|m| m.to_vec()), Some(message));
    }
    for _ in 0..4 {
        let mut c = rng.bytes(k);
        c[0] &= 0x7f;
        assert_eq!(fast.pkcs1v15_decrypt(&c).map(|m| m.to_vec()), reference(&key, &c));
    }
    assert_eq!(fast.pkcs1v15_decrypt(&vec![0x01; k - 1]), None);
    assert!(matches!(*fast.state.lock().unwrap(), State::Crate), "the crate's path");
}
