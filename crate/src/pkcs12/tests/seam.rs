//! The PBKDF2 seam (`derive.rs`): import and export in runs with the derivations deferred give
//! exactly the synchronous results; the limits are checked before any derivation is asked for.

use super::malformed::{cert_bag, key_bag, plain_pfx};
use super::openssl_in::openssl_p12;
use super::*;
use der::Decode;
use crate::error::Code;
use crate::pkcs12::{export_backup_with, import, import_with, BackupRandom, Core, Deferred, Derivations, Pbkdf2Request, Prf, MAX_ITERATIONS};
use zeroize::Zeroizing;

const PW: &str = "seam pass ü";

/// Answer every pending derivation with the core's key; returns how many there were.
fn answer_all(d: &Deferred) -> usize {
    let pending = d.take_pending();
    for r in &pending {
        d.answer(r.clone(), r.compute());
    }
    pending.len()
}

fn same_identity(a: &Identity, b: &Identity) {
    assert_eq!(der_of(&a.certificate), der_of(&b.certificate));
    assert_eq!(a.chain.iter().map(der_of).collect::<Vec<_>>(), b.chain.iter().map(der_of).collect::<Vec<_>>());
    assert_eq!(a.friendly_name, b.friendly_name);
    assert_eq!(*a.key.to_pkcs8_der().unwrap(), *b.key.to_pkcs8_der().unwrap());
}

#[test]
fn deferred_import_of_an_openssl_file_asks_for_both_bags_then_matches_the_sync_import() {
    let Some(f) = fixture() else { return };
    let p12 = openssl_p12(f, "alice", PW, &["-certfile", &f.file("ca.pem"), "-iter", "3000"]).unwrap();
    let d = Deferred::new();
    assert!(import_with(&p12, PW, &d).unwrap().is_none());
    let pending = d.take_pending();
    // OpenSSL 3's default: the certificates' encryptedData and the shrouded key, both
    // PBKDF2-HMAC-SHA-256 for AES-256-CBC; the password as its UTF-8 bytes.
    assert_eq!(pending.len(), 2, "{pending:?}");
    for r in &pending {
        assert_eq!((r.prf, r.key_len, r.iterations), (Prf::HmacSha256, 32, 3000));
        assert_eq!(r.password.as_slice(), PW.as_bytes());
        d.answer(r.clone(), r.compute());
    }
    // The MAC was checked in the first run and is not computed again.
    assert_eq!(d.mac_verified(), Some(0));
    let id = import_with(&p12, PW, &d).unwrap().expect("every key answered");
    assert!(d.take_pending().is_empty());
    same_identity(&id, &import(&p12, PW).unwrap());
    assert_key_matches_cert(&id);
}

#[test]
fn a_wrong_password_fails_at_the_mac_before_any_derivation() {
    let Some(f) = fixture() else { return };
    let p12 = openssl_p12(f, "alice", PW, &["-iter", "3000"]).unwrap();
    let d = Deferred::new();
    let e = import_with(&p12, "not it", &d).unwrap_err();
    let s = import(&p12, "not it").unwrap_err();
    assert_eq!((e.code, e.message, e.hint), (s.code, s.message, s.hint));
    assert_eq!(s.code, Code::WrongPassword);
    assert!(d.take_pending().is_empty());
}

#[test]
fn a_wrong_key_supplied_is_a_wrong_password_and_a_short_one_is_derived_by_the_core() {
    let Some(f) = fixture() else { return };
    // No MAC: only the decryption tells a wrong key. `-nomac` comes last: OpenSSL's `-iter`
    // sets the MAC's iterations too, which turns a MAC given up before it back on.
    let p12 = openssl_p12(f, "alice", PW, &["-iter", "2000", "-nomac"]).unwrap();
    let pfx: crate::pkcs12::asn1::Pfx = crate::pkcs12::asn1::decode_der_or_ber(&p12).unwrap();
    assert!(pfx.mac_data.is_none());
    let d = Deferred::new();
    assert!(import_with(&p12, PW, &d).unwrap().is_none());
    for r in d.take_pending() {
        d.answer(r, Zeroizing::new(vec![0x55; 32]));
    }
    assert_eq!(import_with(&p12, PW, &d).unwrap_err().code, Code::WrongPassword);
    let d = Deferred::new();
    assert!(import_with(&p12, PW, &d).unwrap().is_none());
    for r in d.take_pending() {
        d.answer(r, Zeroizing::new(vec![0x55; 5]));
    }
    same_identity(&import_with(&p12, PW, &d).unwrap().unwrap(), &import(&p12, PW).unwrap());
}

#[test]
fn legacy_files_stay_in_the_core() {
    let Some(f) = fixture() else { return };
    let Some(p12) = openssl_p12(f, "alice", PW, &["-legacy"]) else {
        println!("skipped: this OpenSSL cannot write -legacy files (no legacy provider)");
        return;
    };
    let d = Deferred::new();
    let id = import_with(&p12, PW, &d).unwrap().expect("nothing deferred");
    assert!(d.take_pending().is_empty());
    same_identity(&id, &import(&p12, PW).unwrap());
}

#[test]
fn pbkdf2_with_hmac_sha224_stays_in_the_core() {
    use crate::pkcs12::asn1::{BagValue, EncryptedPrivateKeyInfo, SafeBag};
    use pkcs5::pbes2::{EncryptionScheme, Kdf, Parameters, Pbkdf2Params, Pbkdf2Prf};
    let Some(f) = fixture() else { return };
    let BagValue::Key(any) = key_bag(f, "alice").value else { unreachable!() };
    let pkcs8 = der::Encode::to_der(&any).unwrap();
    let mut kdf = Pbkdf2Params::hmac_sha256(1500, &[3; 16]).unwrap();
    kdf.prf = Pbkdf2Prf::HmacWithSha224;
    let scheme = Parameters { kdf: Kdf::Pbkdf2(kdf), encryption: EncryptionScheme::Aes256Cbc { iv: [4; 16] } };
    let data = scheme.encrypt(PW.as_bytes(), &pkcs8).unwrap();
    let params = der::asn1::Any::from_der(&der::Encode::to_der(&scheme).unwrap()).unwrap();
    let algorithm = spki::AlgorithmIdentifierOwned { oid: crate::oid::OID_PBES2, parameters: Some(params) };
    let bag = SafeBag { value: BagValue::Shrouded(EncryptedPrivateKeyInfo { algorithm, data: der::asn1::OctetString::new(data).unwrap() }), attributes: Vec::new() };
    let p12 = plain_pfx(vec![bag, cert_bag(&f.cert("alice"))]);
    let d = Deferred::new();
    let id = import_with(&p12, PW, &d).unwrap().expect("nothing deferred");
    assert!(d.take_pending().is_empty());
    same_identity(&id, &import(&p12, PW).unwrap());
    assert_eq!(answer_all(&d), 0);
}

#[test]
fn deferred_export_writes_what_the_core_writes_with_the_same_random_bytes() {
    let Some(f) = fixture() else { return };
    let id = import(&openssl_p12(f, "alice", "x", &["-certfile", &f.file("ca.pem")]).unwrap(), "x").unwrap();
    let mut random = BackupRandom::new();
    let d = Deferred::new();
    assert!(export_backup_with(&id, PW, 4096, &mut random, &d).unwrap().is_none());
    let pending = d.take_pending();
    // The certificates' and the key's bag share one salt: one derivation for both.
    assert_eq!(pending.len(), 1, "one key for the certificates and the key: {pending:?}");
    for r in &pending {
        assert_eq!((r.prf, r.key_len, r.iterations, r.salt.len()), (Prf::HmacSha256, 32, 4096, 16));
        d.answer(r.clone(), r.compute());
    }
    let bytes = export_backup_with(&id, PW, 4096, &mut random, &d).unwrap().unwrap();
    assert_eq!(bytes, export_backup_with(&id, PW, 4096, &mut random, &Core::new()).unwrap().unwrap());
    same_identity(&import(&bytes, PW).unwrap(), &id);
    // Unlocking it asks for that one key once, for both bags.
    let unlock = Deferred::new();
    assert!(import_with(&bytes, PW, &unlock).unwrap().is_none());
    let asked = unlock.take_pending();
    assert_eq!(asked, pending, "the backup's one derivation");
    for r in asked {
        let key = r.compute();
        unlock.answer(r, key);
    }
    same_identity(&import_with(&bytes, PW, &unlock).unwrap().expect("answered"), &id);
    assert_ne!(bytes, export_backup_with(&id, PW, 4096, &mut BackupRandom::new(), &Core::new()).unwrap().unwrap(), "fresh salts");
    assert_eq!(export_backup_with(&id, "", 4096, &mut BackupRandom::new(), &d).unwrap_err().code, Code::Usage);
}

/// Keys that cost nothing, to write files with large iteration counts cheaply.
struct Fake;
impl Derivations for Fake {
    fn pbkdf2(&self, r: &Pbkdf2Request) -> Option<Zeroizing<Vec<u8>>> {
        Some(Zeroizing::new(vec![1; r.key_len]))
    }
}

fn heavy_file(f: &Fixture, iterations: &[u32]) -> Vec<u8> {
    use crate::pkcs12::asn1::{BagValue, EncryptedPrivateKeyInfo, SafeBag};
    let BagValue::Key(any) = key_bag(f, "alice").value else { unreachable!() };
    let pkcs8 = der::Encode::to_der(&any).unwrap();
    let mut bags: Vec<SafeBag> = iterations
        .iter()
        .map(|&n| {
            let (algorithm, data) = crate::pkcs12::pbe::encrypt_pbes2("pw", &pkcs8, n, &[n as u8; 16], [9; 16], &Fake).unwrap().unwrap();
            SafeBag { value: BagValue::Shrouded(EncryptedPrivateKeyInfo { algorithm, data: der::asn1::OctetString::new(data).unwrap() }), attributes: Vec::new() }
        })
        .collect();
    bags.push(cert_bag(&f.cert("alice")));
    plain_pfx(bags)
}

#[test]
fn limits_refuse_before_any_derivation_is_asked_for() {
    let Some(f) = fixture() else { return };
    // One bag over the per-derivation limit.
    let d = Deferred::new();
    let e = import_with(&heavy_file(f, &[MAX_ITERATIONS + 1]), "pw", &d).unwrap_err();
    assert_eq!(e.code, Code::LimitExceeded, "{e}");
    assert!(d.take_pending().is_empty());
    // Four bags at the limit: the fourth exceeds the file's budget, in the first run,
    // before any of the four derivations has been computed.
    let d = Deferred::new();
    let e = import_with(&heavy_file(f, &[MAX_ITERATIONS - 3, MAX_ITERATIONS - 2, MAX_ITERATIONS - 1, MAX_ITERATIONS]), "pw", &d).unwrap_err();
    assert_eq!(e.code, Code::LimitExceeded, "{e}");
    assert!(e.detail.as_deref().unwrap_or("").contains("MAX_TOTAL_ITERATIONS"), "{e:?}");
}


