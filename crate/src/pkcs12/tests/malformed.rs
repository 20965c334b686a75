//! Damaged and foreign input gives typed errors, never a panic.

use super::openssl_in::openssl_p12;
use super::*;
use crate::error::Code;
use crate::pkcs12::{import, MAX_PKCS12_SIZE};

#[test]
fn garbage_is_bad_pkcs12() {
    for input in [&b""[..], b"hello", b"\x30\x80", b"\x30\x03\x02\x01\x03", &[0xff; 64], b"-----BEGIN CERTIFICATE-----\n"] {
        let e = import(input, "x").unwrap_err();
        assert_eq!(e.code, Code::BadPkcs12, "{input:?}: {e}");
        assert!(e.detail.is_some());
    }
    let e = import(&vec![0u8; MAX_PKCS12_SIZE + 1], "x").unwrap_err();
    assert_eq!(e.code, Code::LimitExceeded);
}

#[test]
fn a_certificate_is_not_pkcs12() {
    let Some(f) = fixture() else { return };
    let der = der_of(&f.cert("alice"));
    assert_eq!(import(&der, "x").unwrap_err().code, Code::BadPkcs12);
}

#[test]
fn truncated_files_fail_cleanly() {
    let Some(f) = fixture() else { return };
    for extra in [&[][..], &["-legacy"][..], &["-nomac"][..]] {
        let bytes = openssl_p12(f, "carol", "secret", extra).unwrap();
        for len in 0..bytes.len() {
            let e = import(&bytes[..len], "secret").unwrap_err();
            assert!(matches!(e.code, Code::BadPkcs12 | Code::WrongPassword), "{extra:?} at {len}: {e}");
        }
    }
}

#[test]
fn flipped_bytes_never_panic() {
    let Some(f) = fixture() else { return };
    let good = der_of(&f.cert("carol"));
    for extra in [&["-iter", "1"][..], &["-legacy", "-iter", "1"][..], &["-iter", "1", "-nomac"][..]] {
        let bytes = openssl_p12(f, "carol", "secret", extra).unwrap();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x41;
            match import(&b, "secret") {
                // Only the unprotected parts of a -nomac file may change without notice.
                Ok(id) => assert!(extra.contains(&"-nomac") || der_of(&id.certificate) == good, "{extra:?} at {i}"),
                Err(e) => assert!(
                    matches!(e.code, Code::BadPkcs12 | Code::WrongPassword | Code::UnsupportedAlgorithm | Code::LimitExceeded | Code::NoPrivateKey),
                    "{extra:?} at {i}: {e}"
                ),
            }
        }
    }
}

/// A PFX without MAC or encryption around `bags`, built with our own ASN.1 types.
pub(super) fn plain_pfx(bags: Vec<crate::pkcs12::asn1::SafeBag>) -> Vec<u8> {
    use crate::pkcs12::asn1::{Content, ContentInfo, Pfx};
    use der::asn1::OctetString;
    let safe = ContentInfo { content: Content::Data(OctetString::new(bags.to_der().unwrap()).unwrap()) };
    let auth = ContentInfo { content: Content::Data(OctetString::new(vec![safe].to_der().unwrap()).unwrap()) };
    Pfx { version: 3, auth_safe: auth, mac_data: None }.to_der().unwrap()
}

pub(super) fn key_bag(f: &Fixture, who: &str) -> crate::pkcs12::asn1::SafeBag {
    use der::Decode;
    use crate::pkcs12::asn1::{BagValue, SafeBag};
    let pem = String::from_utf8(read(&f.dir.path(&format!("{who}.key")))).unwrap();
    let (_, doc) = der::SecretDocument::from_pem(&pem).unwrap();
    SafeBag { value: BagValue::Key(der::asn1::Any::from_der(doc.as_bytes()).unwrap()), attributes: Vec::new() }
}

pub(super) fn cert_bag(c: &Certificate) -> crate::pkcs12::asn1::SafeBag {
    use crate::pkcs12::asn1::{BagValue, CertBag, SafeBag};
    SafeBag { value: BagValue::Cert(CertBag::X509(der::asn1::OctetString::new(der_of(c)).unwrap())), attributes: Vec::new() }
}

#[test]
fn plain_key_bag_pairs_by_public_key_not_order() {
    let Some(f) = fixture() else { return };
    // Unrelated certificates first, the matching one last, no localKeyId anywhere.
    let bytes = plain_pfx(vec![cert_bag(&f.cert("ca")), cert_bag(&f.cert("carol")), key_bag(f, "alice"), cert_bag(&f.cert("alice"))]);
    let id = import(&bytes, "").unwrap();
    assert_eq!(der_of(&id.certificate), der_of(&f.cert("alice")));
    assert_key_matches_cert(&id);
    // The issuer comes first in the chain, whatever the file order.
    assert_eq!(der_of(&id.chain[0]), der_of(&f.cert("ca")));
    assert_eq!(id.chain.len(), 2);
}

#[test]
fn key_without_its_certificate_is_reported() {
    let Some(f) = fixture() else { return };
    let bytes = plain_pfx(vec![key_bag(f, "alice"), cert_bag(&f.cert("carol"))]);
    let e = import(&bytes, "").unwrap_err();
    assert_eq!(e.code, Code::BadPkcs12, "{e}");
    assert!(e.message.contains("not the certificate"), "{e}");
}

#[test]
fn two_identities_in_one_file() {
    let Some(f) = fixture() else { return };
    let bytes = plain_pfx(vec![key_bag(f, "alice"), key_bag(f, "dan"), cert_bag(&f.cert("dan")), cert_bag(&f.cert("alice"))]);
    let all = crate::pkcs12::import_all(&bytes, "").unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(der_of(&all[0].certificate), der_of(&f.cert("alice")));
    assert_eq!(der_of(&all[1].certificate), der_of(&f.cert("dan")));
    all.iter().for_each(assert_key_matches_cert);
}

#[test]
fn deeply_nested_bags_fail_cleanly() {
    let Some(f) = fixture() else { return };
    use crate::pkcs12::asn1::{BagValue, SafeBag};
    let mut bag = cert_bag(&f.cert("alice"));
    for depth in 1..=80 {
        bag = SafeBag { value: BagValue::Nested(vec![bag]), attributes: Vec::new() };
        let bytes = plain_pfx(vec![key_bag(f, "alice"), bag.clone()]);
        match import(&bytes, "") {
            Ok(id) => assert!(depth <= crate::pkcs12::MAX_NESTING, "accepted depth {depth}: {id:?}"),
            Err(e) => assert!(depth > crate::pkcs12::MAX_NESTING && e.code == Code::BadPkcs12, "depth {depth}: {e}"),
        }
    }
}

/// A PFX without MAC holding `n` pkcs8ShroudedKeyBags of Alice's key (OID_PBES2 with
/// `iterations`), then her certificate.
fn many_shrouded_bags(f: &Fixture, n: usize, iterations: u32) -> Vec<u8> {
    use crate::pkcs12::asn1::{BagValue, EncryptedPrivateKeyInfo, SafeBag};
    let BagValue::Key(any) = key_bag(f, "alice").value else { unreachable!() };
    let pkcs8 = any.to_der().unwrap();
    let (algorithm, data) = crate::pkcs12::pbe::encrypt_pbes2("pw", &pkcs8, iterations, &[7; 16], [9; 16], &crate::pkcs12::Core::new()).unwrap().unwrap();
    let bag = SafeBag { value: BagValue::Shrouded(EncryptedPrivateKeyInfo { algorithm, data: der::asn1::OctetString::new(data).unwrap() }), attributes: Vec::new() };
    let mut bags = vec![bag; n];
    bags.push(cert_bag(&f.cert("alice")));
    plain_pfx(bags)
}

#[test]
fn one_budget_of_password_hashing_for_the_whole_file() {
    use crate::pkcs12::kdf::IterationBudget;
    use crate::pkcs12::{MAX_ITERATIONS, MAX_TOTAL_ITERATIONS};
    // The production budget: three derivations at the per-derivation maximum, not four.
    let b = IterationBudget::new();
    for _ in 0..3 {
        b.spend(MAX_ITERATIONS).unwrap();
    }
    let e = b.spend(MAX_ITERATIONS).unwrap_err();
    assert_eq!(e.code, Code::LimitExceeded);
    assert!(e.detail.unwrap().contains(&format!("MAX_TOTAL_ITERATIONS = {MAX_TOTAL_ITERATIONS}")));
    let Some(f) = fixture() else { return };
    // 40 bags of 2,048 iterations each: within the file budget, the file imports.
    let bytes = many_shrouded_bags(f, 40, 2048);
    let all = crate::pkcs12::import_all(&bytes, "pw").unwrap();
    assert_eq!(all.len(), 40);
    // The same file against a budget of 20,000 iterations: refused at the tenth bag,
    // before its derivation runs, with the limit named.
    let e = crate::pkcs12::import::read_with_budget(&bytes, "pw", &IterationBudget::with_limit(20_000)).err().unwrap();
    assert_eq!(e.code, Code::LimitExceeded, "{e}");
    assert!(e.detail.as_deref().unwrap().contains("MAX_TOTAL_ITERATIONS"), "{e:?}");
    // The reviewers' shape (many bags at the per-bag maximum): refused after at most the
    // budget's worth of work; here with the budget scaled down, as the full one takes seconds.
    let heavy = many_shrouded_bags(f, 50, 100_000);
    let e = crate::pkcs12::import::read_with_budget(&heavy, "pw", &IterationBudget::with_limit(300_000)).err().unwrap();
    assert_eq!(e.code, Code::LimitExceeded, "{e}");
}

#[test]
fn bag_attributes_are_written_as_a_der_sorted_set() {
    use crate::pkcs12::asn1::{Attribute, BagValue, SafeBag};
    use crate::oid::{OID_FRIENDLY_NAME, OID_LOCAL_KEY_ID};
    use der::asn1::{Any, BmpString, OctetString};
    let name = Any::encode_from(&BmpString::from_utf8("A rather long friendly name for this identity").unwrap()).unwrap();
    let id = Any::encode_from(&OctetString::new(vec![0xab; 20]).unwrap()).unwrap();
    let attr = |oid, v: Any| Attribute { oid, values: crate::asn1::der_set::der_set_of([v]).unwrap() };
    // friendlyName's OID sorts first, but its longer encoding must come second in DER.
    let bag = SafeBag { value: BagValue::Other(OID_LOCAL_KEY_ID, Any::null()), attributes: vec![attr(OID_FRIENDLY_NAME, name), attr(OID_LOCAL_KEY_ID, id)] };
    let der = bag.to_der().unwrap();
    let t = crate::asn1::ber::read_all(&der).unwrap();
    let set = t.children().unwrap().into_iter().find(|k| k.tag == 0x31).unwrap();
    assert!(crate::asn1::der_set::is_der_sorted(set.raw));
    assert_eq!(set.children().unwrap()[0].raw[2..13], OID_LOCAL_KEY_ID.to_der().unwrap()[..]);
}
