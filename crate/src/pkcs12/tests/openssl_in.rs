//! Files made by `openssl pkcs12 -export` in many variants import, with the right
//! certificate, chain, key and friendly name; wrong passwords and cert-only files fail right.

use super::*;
use crate::error::Code;
use crate::pkcs12::{certificates_in, import};

/// Export `who` with extra OpenSSL options; None if this OpenSSL cannot make the variant.
pub fn openssl_p12(f: &Fixture, who: &str, password: &str, extra: &[&str]) -> Option<Vec<u8>> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let out = f.dir.path(&format!("{who}-{n}.p12"));
    let (key, cert) = (f.file(&format!("{who}.key")), f.file(&format!("{who}.pem")));
    let pass = format!("pass:{password}");
    let mut args = vec!["pkcs12", "-export", "-inkey", &key, "-in", &cert, "-name", "Test Name", "-passout", &pass];
    let out_s = out.to_string_lossy().into_owned();
    args.extend(["-out", out_s.as_str()]);
    args.extend(extra);
    try_run(&f.dir.0, "openssl", &args)?;
    Some(read(&out))
}

fn check(f: &Fixture, who: &str, password: &str, extra: &[&str], chain: usize) {
    let Some(bytes) = openssl_p12(f, who, password, extra) else {
        panic!("openssl pkcs12 -export {extra:?} failed");
    };
    let id = import(&bytes, password).unwrap_or_else(|e| panic!("{who} {extra:?}: {e}"));
    assert_eq!(der_of(&id.certificate), der_of(&f.cert(who)), "{who} {extra:?}");
    assert_key_matches_cert(&id);
    assert_eq!(id.friendly_name.as_deref(), Some("Test Name"), "{who} {extra:?}");
    assert_eq!(id.chain.len(), chain, "{who} {extra:?}");
    if chain == 1 {
        assert_eq!(der_of(&id.chain[0]), der_of(&f.cert("ca")));
    }
    if !password.is_empty() {
        let e = import(&bytes, &format!("{password}x")).unwrap_err();
        assert_eq!(e.code, Code::WrongPassword, "{who} {extra:?}: {e}");
    }
}

#[test]
fn openssl_modern_default() {
    let Some(f) = fixture() else { return };
    check(f, "alice", "secret", &[], 0);
    check(f, "alice", "secret", &["-certfile", &f.file("ca.pem")], 1);
    check(f, "alice", "pässwörd ✓", &["-certfile", &f.file("ca.pem")], 1);
}

#[test]
fn openssl_legacy_3des_rc2_sha1() {
    let Some(f) = fixture() else { return };
    check(f, "alice", "secret", &["-legacy", "-certfile", &f.file("ca.pem")], 1);
    check(f, "alice", "secret", &["-legacy", "-keypbe", "PBE-SHA1-2DES", "-certpbe", "PBE-SHA1-RC2-128"], 0);
    check(f, "carol", "secret", &["-legacy"], 0);
}

#[test]
fn openssl_variants() {
    let Some(f) = fixture() else { return };
    check(f, "alice", "secret", &["-certpbe", "NONE"], 0);
    check(f, "alice", "secret", &["-keypbe", "NONE", "-certpbe", "NONE"], 0);
    check(f, "alice", "secret", &["-nomac"], 0);
    check(f, "alice", "secret", &["-legacy", "-nomac"], 0);
    check(f, "alice", "secret", &["-macalg", "sha512", "-keypbe", "AES-128-CBC", "-certpbe", "AES-192-CBC"], 0);
    check(f, "alice", "secret", &["-macalg", "sha384", "-keypbe", "DES-EDE3-CBC", "-certpbe", "NONE"], 0);
    check(f, "alice", "secret", &["-macalg", "sha1", "-iter", "1"], 0);
}

#[test]
fn openssl_ec_keys() {
    let Some(f) = fixture() else { return };
    check(f, "carol", "secret", &["-certfile", &f.file("ca.pem")], 1);
    check(f, "dan", "secret", &[], 0);
    let id = import(&openssl_p12(f, "dan", "secret", &[]).unwrap(), "secret").unwrap();
    assert!(matches!(id.key, PrivateKey::P384(_)));
    let id = import(&openssl_p12(f, "carol", "secret", &[]).unwrap(), "secret").unwrap();
    assert!(matches!(id.key, PrivateKey::P256(_)));
}

#[test]
fn openssl_empty_password() {
    let Some(f) = fixture() else { return };
    check(f, "alice", "", &[], 0);
    check(f, "alice", "", &["-legacy"], 0);
    check(f, "alice", "", &["-nomac"], 0);
    let bytes = openssl_p12(f, "alice", "", &[]).unwrap();
    assert_eq!(import(&bytes, "x").unwrap_err().code, Code::WrongPassword);
}

#[test]
fn openssl_certificates_only_has_no_key() {
    let Some(f) = fixture() else { return };
    let out = f.dir.path("certs-only.p12");
    run(&f.dir.0, "openssl", &["pkcs12", "-export", "-nokeys", "-in", &f.file("alice.pem"), "-certfile", &f.file("ca.pem"),
        "-passout", "pass:secret", "-out", out.to_str().unwrap()]);
    let bytes = read(&out);
    let e = import(&bytes, "secret").unwrap_err();
    assert_eq!(e.code, Code::NoPrivateKey, "{e}");
    let certs = certificates_in(&bytes, "secret").unwrap();
    assert_eq!(certs.len(), 2);
    assert!(certs.iter().any(|c| der_of(c) == der_of(&f.cert("alice"))));
    assert_eq!(import(&bytes, "wrong").unwrap_err().code, Code::WrongPassword);
}

#[test]
fn openssl_rc4_is_named_as_unsupported() {
    let Some(f) = fixture() else { return };
    let bytes = openssl_p12(f, "alice", "secret", &["-legacy", "-keypbe", "PBE-SHA1-RC4-128"])
        .expect("openssl with the legacy provider writes pbeWithSHAAnd128BitRC4");
    let e = import(&bytes, "secret").unwrap_err();
    assert_eq!(e.code, Code::UnsupportedAlgorithm, "{e}");
    assert!(e.message.contains("pbeWithSHAAnd128BitRC4"), "{e}");
}

#[test]
fn openssl_rsa_pss_keys() {
    let Some(f) = fixture() else { return };
    let d = &f.dir.0;
    for (name, opts) in [("pss", &[][..]), ("pss-sha256", &["-pkeyopt", "rsa_pss_keygen_md:sha256"][..])] {
        let key = format!("{name}.key");
        let mut args = vec!["genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048", "-out", &key];
        args.extend(opts);
        run(d, "openssl", &args);
        let cert = format!("{name}.pem");
        run(d, "openssl", &["req", "-x509", "-key", &key, "-out", &cert, "-subj", "/CN=pss test", "-days", "30"]);
        let out = format!("{name}.p12");
        run(d, "openssl", &["pkcs12", "-export", "-inkey", &key, "-in", &cert, "-passout", "pass:secret", "-out", &out]);
        let id = import(&read(&f.dir.path(&out)), "secret").unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(matches!(id.key, PrivateKey::Rsa(_)));
        assert_eq!(der_of(&id.certificate), der_of(&f.cert(name)));
        assert_key_matches_cert(&id);
    }
}
