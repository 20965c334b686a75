//! Path validation over corpus data from other implementations: NIST PKITS signed
//! messages and Bouncy Castle's certificate-path and SignedMailValidator material.
#![allow(clippy::cloned_ref_to_slice_refs)] // owned arrays read better in tests

use super::*;
use crate::cert::facts::parse_certificates;
use cachet_testkit::corpus;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::Decode;
use mail_parser::MimeHeaders;
use std::path::Path;

/// Certificates, the signer's certificate and the signing time of a multipart/signed file.
struct Signed {
    certs: Vec<Certificate>,
    leaf: Certificate,
    signing_time: Option<UnixTime>,
}

fn read_signed(path: &Path) -> Result<Signed, der::Error> {
    let raw = std::fs::read(path).unwrap();
    let msg = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let p7s = msg
        .parts
        .iter()
        .find(|p| {
            p.content_type()
                .and_then(|c| c.subtype())
                .map(|s| s.eq_ignore_ascii_case("pkcs7-signature") || s.eq_ignore_ascii_case("x-pkcs7-signature"))
                .unwrap_or(false)
        })
        .unwrap_or_else(|| panic!("{}: no signature part", path.display()));
    let ci = ContentInfo::from_der(p7s.contents()).or_else(|_| ContentInfo::from_ber(p7s.contents())).unwrap();
    let inner = ci.content.to_der().unwrap();
    let sd = SignedData::from_der(&inner).or_else(|_| SignedData::from_ber(&inner))?;
    let certs: Vec<Certificate> = sd
        .certificates
        .iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|c| match c {
            cms::cert::CertificateChoices::Certificate(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let si = sd.signer_infos.0.iter().next().unwrap();
    let leaf = certs
        .iter()
        .find(|c| match &si.sid {
            SignerIdentifier::IssuerAndSerialNumber(ias) => {
                c.tbs_certificate().issuer() == &ias.issuer && c.tbs_certificate().serial_number() == &ias.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => c
                .tbs_certificate()
                .get_extension::<SubjectKeyIdentifier>()
                .ok()
                .flatten()
                .map(|(_, s)| s.0 == ski.0)
                .unwrap_or(false),
        })
        .cloned()
        .unwrap_or_else(|| panic!("{}: signer certificate not included", path.display()));
    let signing_time = si.signed_attrs.as_ref().and_then(|attrs| {
        attrs
            .iter()
            .find(|a| a.oid == ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5"))
            .and_then(|a| a.values.iter().next())
            .and_then(|v| v.decode_as::<x509_cert::time::Time>().ok())
            .map(|t| UnixTime::from_der_time(&t))
    });
    Ok(Signed { certs, leaf, signing_time })
}

fn check(leaf: &Certificate, inters: &[Certificate], anchors: &[Certificate], at: UnixTime) -> PathReport {
    validate(&ValidationInput {
        leaf,
        intermediates: inters,
        roots: anchors,
        pins: &[],
        address: None,
        at,
        purpose: Purpose::Sign,
        policy: &Policy::standard(),
        max_depth: DEFAULT_MAX_DEPTH,
    })
}

use cachet_testkit::pkits_limitation;

#[test]
fn nist_pkits() {
    let Some(c) = corpus("nist_pkits") else { return };
    let dir = c.join("nist-pkits-smime");
    let anchor = parse_certificates(&std::fs::read(dir.join("certs/TrustAnchorRootCertificate.crt")).unwrap()).unwrap();
    let at = UnixTime::parse_rfc3339("2026-06-01T00:00:00Z").unwrap();
    let mut names: Vec<_> = std::fs::read_dir(dir.join("smime")).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    let (mut asserted, mut skipped, mut wrong) = (0, 0, Vec::new());
    for path in &names {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let s = match read_signed(path) {
            Ok(s) => s,
            Err(e) => {
                // x509-cert cannot represent UTCTime years before 1970 (1950..1969 are legal).
                eprintln!("skip {name}: certificates not parseable by x509-cert: {e}");
                assert!(name.contains("pre2000UTCnotBefore"), "{name}: {e}");
                skipped += 1;
                continue;
            }
        };
        let r = check(&s.leaf, &s.certs, &anchor, at);
        let expect_valid = !name.contains("Invalid");
        let covered = pkits_limitation(&name).is_none();
        // A few "valid" PKITS end-entity certificates carry cA=TRUE. RFC 5280 path validation
        // accepts them; for S/MIME a CA certificate is not a mail signer (SPEC section 1), so
        // Cachet's verdict is wrong-usage for them, and exactly for that reason.
        let leaf_is_ca = crate::cert::facts::basic_constraints(&s.leaf).map(|b| b.ca).unwrap_or(false);
        let ok = if expect_valid && leaf_is_ca {
            matches!(r.status, PathStatus::WrongUsage { ref reason } if reason.contains("certificate authority")) && r.details.len() == 1
        } else {
            (r.status == PathStatus::Trusted) == expect_valid
        };
        eprintln!("{} {name}: {:?} {:?}", if ok { "ok  " } else if covered { "FAIL" } else { "skip" }, r.status, r.details.first());
        if !covered {
            skipped += 1;
        } else {
            asserted += 1;
            if !ok {
                wrong.push(format!("{name}: {:?}", r.status));
            }
        }
    }
    eprintln!("PKITS: {asserted} asserted, {skipped} not covered");
    assert!(asserted >= 130, "too few PKITS tests asserted: {asserted}");
    assert!(wrong.is_empty(), "PKITS mismatches:\n{}", wrong.join("\n"));
}

fn bc_cert(dir: &Path, name: &str) -> Certificate {
    parse_certificates(&std::fs::read(dir.join(name)).unwrap()).unwrap().remove(0)
}

#[test]
fn bouncycastle_certpath_chooses_the_right_intermediate() {
    let Some(c) = corpus("bouncycastle_certpath") else { return };
    let dir = c.join("bouncycastle-mail");
    let root = bc_cert(&dir, "certpath_root.crt");
    let inter1 = bc_cert(&dir, "certpath_inter1.crt");
    let inter2 = bc_cert(&dir, "certpath_inter2.crt");
    let at = UnixTime::parse_rfc3339("2023-11-14T00:00:00Z").unwrap();
    // inter1 and inter2 share their subject name; only one signed each end certificate
    // (checked with `openssl verify`: end1 by inter1, end2 by inter2).
    for (end, right, wrong) in [("certpath_end1.crt", &inter1, &inter2), ("certpath_end2.crt", &inter2, &inter1)] {
        let leaf = bc_cert(&dir, end);
        for inters in [vec![inter1.clone(), inter2.clone()], vec![inter2.clone(), inter1.clone()]] {
            // 2007 certificates: RSA-1024 keys and SHA-1 signatures, flagged, nothing else wrong.
            let r = check(&leaf, &inters, &[root.clone()], at);
            assert_eq!(r.status, PathStatus::WeakAlgorithm { algorithm: "RSA 1024 bits".into() }, "{end}: {:?}", r.details);
            assert!(r.details.iter().all(|d| d.contains("weak algorithm")), "{:?}", r.details);
            assert!(r.details.iter().any(|d| d.contains("SHA-1")));
            assert_eq!(r.path.len(), 3);
            assert_eq!(r.path[1].sha256, crate::cert::facts::sha256_fingerprint(right));
        }
        let r = check(&leaf, &[wrong.clone()], &[root.clone()], at);
        assert!(matches!(r.status, PathStatus::BadSignature { .. }), "{end}: {r:?}");
        let later = UnixTime::parse_rfc3339("2027-06-01T00:00:00Z").unwrap();
        assert!(matches!(check(&leaf, &[right.clone()], &[root.clone()], later).status, PathStatus::Expired { .. }));
    }
}

#[test]
fn bouncycastle_signed_mail_validator() {
    let Some(c) = corpus("bouncycastle_signed_mail_validator") else { return };
    let dir = c.join("bouncycastle-mail");
    let root = bc_cert(&dir, "validator.root.crt");
    let fake = bc_cert(&dir, "validator.fakeRoot.crt");
    // 2006 certificates signed with MD5 (refused by the policy), validated at the signing
    // time; the problem each test is about is still listed in the details.
    for (name, weak, detail) in [
        ("validMail", "MD5 with RSA", None),
        ("noEmail", "MD5 with RSA", None),
        ("revoked", "MD5 with RSA", None),
        ("longValidity", "MD5 with RSA", None),
        ("keyUsage", "MD5 with RSA", Some("does not allow digital signatures")),
        ("extKeyUsage", "MD5 with RSA", Some("extended key usage")),
        ("notYetValid", "MD5 with RSA", Some("is not valid before")),
        ("expired", "MD5 with RSA", Some("expired on")),
        ("shortKey", "RSA 512 bits", None),
    ] {
        let s = read_signed(&dir.join(format!("validator.{name}.eml"))).unwrap();
        let at = s.signing_time.expect("signingTime");
        let r = check(&s.leaf, &s.certs, &[root.clone()], at);
        assert_eq!(r.status, PathStatus::WeakAlgorithm { algorithm: weak.into() }, "{name}: {:?}", r.details);
        assert_eq!(r.path.len(), 2, "{name}: the path reaches the root");
        assert!(r.path[1].anchor);
        let others: Vec<_> = r.details.iter().filter(|d| !d.contains("weak algorithm") && !d.contains("refused")).collect();
        match detail {
            Some(want) => assert!(others.len() == 1 && others[0].contains(want), "{name}: {:?}", r.details),
            None => assert!(others.is_empty(), "{name}: {:?}", r.details),
        }
        // Without the anchor, the path is not trusted either way.
        assert_ne!(check(&s.leaf, &s.certs, &[], at).status, PathStatus::Trusted);
        // Ten years later the root itself has expired (its 2016 notAfter).
        let later = UnixTime::parse_rfc3339("2020-01-01T00:00:00Z").unwrap();
        assert!(check(&s.leaf, &s.certs, &[root.clone()], later).details.iter().any(|d| d.contains("Root") && d.contains("expired")));
        // A root with the same name but another key never validates the path.
        assert_ne!(check(&s.leaf, &s.certs, &[fake.clone()], at).status, PathStatus::Trusted);
    }
}
