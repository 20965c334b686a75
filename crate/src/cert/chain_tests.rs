//! Path validation against test PKIs generated with `openssl ca` at test time.
#![allow(clippy::cloned_ref_to_slice_refs)] // owned arrays read better in tests

use super::*;
use cachet_testkit::{require_openssl, CaDir};
use der::Decode;

const CA_EXT: &str = "basicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n\
subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n";
const LEAF_EXT: &str = "basicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature,keyEncipherment\n\
extendedKeyUsage = emailProtection\nsubjectAltName = email:alice@example.org\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n";
const EC_LEAF_EXT: &str = "basicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature,keyAgreement\n\
extendedKeyUsage = emailProtection\nsubjectAltName = email:carol@example.org\n";
const FROM: &str = "20250101000000Z";
const TO: &str = "20350101000000Z";

fn at() -> UnixTime {
    UnixTime::parse_rfc3339("2026-06-01T00:00:00Z").unwrap()
}

/// The CA directory of these tests ([`CaDir`]), its certificates parsed.
struct Pki(CaDir);

impl Pki {
    fn new(tag: &str) -> Pki {
        Pki(CaDir::new(tag))
    }

    /// A key: "rsa:BITS" or "ec:CURVE". Generated once per name.
    fn key(&self, name: &str, spec: &str) {
        self.0.key(name, spec);
    }

    /// Issue certificate `name` (key `key`, subject CN=`cn`) by `issuer` (None: self-signed).
    #[allow(clippy::too_many_arguments)]
    fn issue(&self, name: &str, cn: &str, key: &str, issuer: Option<(&str, &str)>, ext: &str, dates: (&str, &str), extra: &[&str]) -> Certificate {
        let (_, der_bytes) = der::pem::decode_vec(&self.0.issue(name, cn, key, issuer, ext, dates, extra)).unwrap();
        Certificate::from_der(&der_bytes).unwrap()
    }

    /// root (RSA) → inter (RSA) → leaf (RSA), the standard case.
    fn standard(&self) -> (Certificate, Certificate, Certificate) {
        self.key("root", "rsa:2048");
        self.key("inter", "rsa:2048");
        self.key("leaf", "rsa:2048");
        let root = self.issue("root", "Test Root", "root", None, CA_EXT, (FROM, TO), &[]);
        let inter = self.issue("inter", "Test Intermediate", "inter", Some(("root", "root")), CA_EXT, (FROM, TO), &[]);
        let leaf = self.issue("leaf", "Alice", "leaf", Some(("inter", "inter")), LEAF_EXT, (FROM, TO), &[]);
        (root, inter, leaf)
    }
}

/// Validation with `roots` for alice@example.org (the address of the test leaves).
fn run(leaf: &Certificate, inters: &[Certificate], roots: &[Certificate], purpose: Purpose, policy: &Policy) -> PathReport {
    validate(&ValidationInput { leaf, intermediates: inters, roots, pins: &[], address: Some("alice@example.org"), at: at(), purpose, policy, max_depth: DEFAULT_MAX_DEPTH })
}

/// Validation for signing with `roots` and `pins`, for `address`.
fn run_pinned(leaf: &Certificate, inters: &[Certificate], roots: &[Certificate], pins: &[Certificate], address: Option<&str>) -> PathReport {
    validate(&ValidationInput { leaf, intermediates: inters, roots, pins, address, at: at(), purpose: Purpose::Sign, policy: &Policy::standard(), max_depth: DEFAULT_MAX_DEPTH })
}

fn std_run(leaf: &Certificate, inters: &[Certificate], anchors: &[Certificate]) -> PathReport {
    run(leaf, inters, anchors, Purpose::Sign, &Policy::standard())
}

#[test]
fn standard_chain_trust_and_anchor_rules() {
    require_openssl();
    let p = Pki::new("chain-std");
    let (root, inter, leaf) = p.standard();
    let r = std_run(&leaf, &[inter.clone()], &[root.clone()]);
    assert_eq!(r.status, PathStatus::Trusted, "{:?}", r.details);
    assert!(r.details.is_empty());
    assert_eq!(r.path.len(), 3);
    assert_eq!(r.path[0].subject, "CN=Alice");
    assert!(r.path[2].anchor && !r.path[1].anchor);
    assert_eq!(r.path[0].sha256, crate::cert::facts::sha256_fingerprint(&leaf));
    assert_eq!(run(&leaf, &[inter.clone()], &[root.clone()], Purpose::Encrypt, &Policy::standard()).status, PathStatus::Trusted);
    // Extra, unrelated and duplicate certificates do not disturb path building.
    let r = std_run(&leaf, &[leaf.clone(), root.clone(), inter.clone(), inter.clone()], &[root.clone()]);
    assert_eq!(r.status, PathStatus::Trusted);
    // The intermediate as anchor gives a shorter trusted path.
    let r = std_run(&leaf, &[], &[inter.clone()]);
    assert_eq!((r.status, r.path.len()), (PathStatus::Trusted, 2));
    // No anchors, or the root only among the untrusted certificates: unknown CA.
    assert_eq!(std_run(&leaf, &[inter.clone()], &[]).status, PathStatus::UnknownCa);
    let r = std_run(&leaf, &[inter.clone(), root.clone()], &[]);
    assert_eq!(r.status, PathStatus::UnknownCa);
    assert_eq!(r.path.len(), 3);
    assert!(r.details[0].contains("not a trusted root"), "{:?}", r.details);
    // Missing intermediate.
    assert_eq!(std_run(&leaf, &[], &[root.clone()]).status, PathStatus::UnknownCa);
    assert_eq!(r.trusted_by, None);
    // Trusted through the root: the report says so.
    let r = std_run(&leaf, &[inter.clone()], &[root.clone()]);
    assert_eq!((r.trusted_by, r.path[2].trusted_as, r.path[0].trusted_as), (Some(AnchorKind::Root), Some(AnchorKind::Root), None));
    // Pinned leaf: trusted directly, alone, as a pin.
    let r = run_pinned(&leaf, &[], &[], &[leaf.clone()], Some("alice@example.org"));
    assert_eq!((r.status, r.path.len(), r.trusted_by), (PathStatus::Trusted, 1, Some(AnchorKind::Pin)));
    assert!(r.path[0].anchor && r.path[0].trusted_as == Some(AnchorKind::Pin));
    // The same leaf given as a "root": a non-CA certificate cannot issue, so it counts as
    // a pin of itself (for its own address only).
    let r = std_run(&leaf, &[], &[leaf.clone()]);
    assert_eq!((r.status, r.path.len(), r.trusted_by), (PathStatus::Trusted, 1, Some(AnchorKind::Pin)));
    let r = run_pinned(&leaf, &[], &[leaf.clone()], &[], Some("mallory@example.org"));
    assert_eq!(r.status, PathStatus::UnknownCa);
    // A pin is never an issuer: the root or intermediate pinned does not validate the leaf.
    assert_eq!(run_pinned(&leaf, &[inter.clone()], &[], &[root.clone()], Some("alice@example.org")).status, PathStatus::UnknownCa);
    assert_eq!(run_pinned(&leaf, &[], &[], &[inter.clone()], Some("alice@example.org")).status, PathStatus::UnknownCa);
    // Depth limit.
    let r = validate(&ValidationInput {
        leaf: &leaf,
        intermediates: &[inter.clone()],
        roots: &[root.clone()],
        pins: &[],
        address: None,
        at: at(),
        purpose: Purpose::Sign,
        policy: &Policy::standard(),
        max_depth: 2,
    });
    assert!(matches!(r.status, PathStatus::Invalid { ref reason } if reason.contains("longer")), "{r:?}");
    // The whole chain is dated: before the root's notBefore nothing is valid.
    let early = UnixTime::parse_rfc3339("2024-06-01T00:00:00Z").unwrap();
    let r = validate(&ValidationInput { leaf: &leaf, intermediates: &[inter.clone()], roots: &[root.clone()], pins: &[], address: None, at: early, purpose: Purpose::Sign, policy: &Policy::standard(), max_depth: 8 });
    assert!(matches!(r.status, PathStatus::NotYetValid { ref subject, .. } if subject == "CN=Alice"));
    assert_eq!(r.details.len(), 3, "{:?}", r.details);
}

#[test]
fn dates_usage_and_constraints() {
    require_openssl();
    let p = Pki::new("chain-var");
    let (root, inter, _) = p.standard();
    let i = Some(("inter", "inter"));
    let anchors = [root.clone()];
    let inters = [inter.clone()];

    let expired = p.issue("expired", "Expired", "leaf", i, LEAF_EXT, ("20250101000000Z", "20260101000000Z"), &[]);
    let r = std_run(&expired, &inters, &anchors);
    assert_eq!(r.status, PathStatus::Expired { subject: "CN=Expired".into(), not_after: UnixTime::parse_rfc3339("2026-01-01T00:00:00Z").unwrap() });
    // A pinned expired certificate is still expired.
    assert!(matches!(run_pinned(&expired, &[], &[], &[expired.clone()], Some("alice@example.org")).status, PathStatus::Expired { .. }));

    let future = p.issue("future", "Future", "leaf", i, LEAF_EXT, ("20270101000000Z", TO), &[]);
    assert!(matches!(std_run(&future, &inters, &anchors).status, PathStatus::NotYetValid { ref subject, .. } if subject == "CN=Future"));

    let enc_only = LEAF_EXT.replace("digitalSignature,keyEncipherment", "keyEncipherment");
    let enc = p.issue("enc", "Encryption Only", "leaf", i, &enc_only, (FROM, TO), &[]);
    assert!(matches!(std_run(&enc, &inters, &anchors).status, PathStatus::WrongUsage { .. }));
    assert_eq!(run(&enc, &inters, &anchors, Purpose::Encrypt, &Policy::standard()).status, PathStatus::Trusted);
    let sign_only = LEAF_EXT.replace("digitalSignature,keyEncipherment", "nonRepudiation");
    let sig = p.issue("sig", "Signing Only", "leaf", i, &sign_only, (FROM, TO), &[]);
    assert_eq!(std_run(&sig, &inters, &anchors).status, PathStatus::Trusted);
    assert!(matches!(run(&sig, &inters, &anchors, Purpose::Encrypt, &Policy::standard()).status, PathStatus::WrongUsage { .. }));

    let server = p.issue("server", "Server", "leaf", i, &LEAF_EXT.replace("emailProtection", "serverAuth"), (FROM, TO), &[]);
    assert!(matches!(std_run(&server, &inters, &anchors).status, PathStatus::WrongUsage { ref reason } if reason.contains("extended")));
    let any = p.issue("anyeku", "Any EKU", "leaf", i, &LEAF_EXT.replace("emailProtection", "serverAuth,anyExtendedKeyUsage"), (FROM, TO), &[]);
    assert_eq!(std_run(&any, &inters, &anchors).status, PathStatus::Trusted);

    // An intermediate that is not a CA, one without keyCertSign.
    p.key("nonca", "rsa:2048");
    let nonca = p.issue("nonca", "Not A CA", "nonca", Some(("root", "root")), &LEAF_EXT.replace("alice@", "ca@"), (FROM, TO), &[]);
    let leaf2 = p.issue("leaf2", "Bob", "leaf", Some(("nonca", "nonca")), LEAF_EXT, (FROM, TO), &[]);
    let r = std_run(&leaf2, &[nonca.clone()], &anchors);
    assert!(matches!(r.status, PathStatus::Invalid { ref reason } if reason.contains("not a certificate authority")), "{r:?}");
    let noksign = p.issue("noksign", "No Cert Sign", "nonca", Some(("root", "root")), &CA_EXT.replace("keyCertSign,cRLSign", "digitalSignature"), (FROM, TO), &[]);
    let leaf3 = p.issue("leaf3", "Carol", "leaf", Some(("noksign", "nonca")), LEAF_EXT, (FROM, TO), &[]);
    assert!(matches!(std_run(&leaf3, &[noksign], &anchors).status, PathStatus::Invalid { ref reason } if reason.contains("signing certificates")));

    // pathLenConstraint 0 on inter1, then inter2 below it.
    p.key("i1", "rsa:2048");
    p.key("i2", "rsa:2048");
    let i1 = p.issue("i1", "Inter One", "i1", Some(("root", "root")), &CA_EXT.replace("CA:TRUE", "CA:TRUE,pathlen:0"), (FROM, TO), &[]);
    let i2 = p.issue("i2", "Inter Two", "i2", Some(("i1", "i1")), CA_EXT, (FROM, TO), &[]);
    let deep = p.issue("deep", "Deep", "leaf", Some(("i2", "i2")), LEAF_EXT, (FROM, TO), &[]);
    assert!(matches!(std_run(&deep, &[i1.clone(), i2.clone()], &anchors).status, PathStatus::Invalid { ref reason } if reason.contains("allows 0")));
    let shallow = p.issue("shallow", "Shallow", "leaf", Some(("i1", "i1")), LEAF_EXT, (FROM, TO), &[]);
    assert_eq!(std_run(&shallow, &[i1.clone(), i2], &anchors).status, PathStatus::Trusted);

    // An unknown critical extension.
    let crit = p.issue("crit", "Critical", "leaf", i, &format!("{LEAF_EXT}1.2.3.4.5 = critical,ASN1:NULL\n"), (FROM, TO), &[]);
    assert!(matches!(std_run(&crit, &inters, &anchors).status, PathStatus::Invalid { ref reason } if reason.contains("1.2.3.4.5")));
}

#[test]
fn signatures_algorithms_and_precedence() {
    require_openssl();
    let p = Pki::new("chain-sig");
    let (root, inter, _) = p.standard();
    let anchors = [root.clone()];
    // Leaf signed by a different key under the intermediate's name.
    p.key("impostor", "rsa:2048");
    let _fake = p.issue("fakeinter", "Test Intermediate", "impostor", Some(("root", "root")), CA_EXT, (FROM, TO), &[]);
    let forged = p.issue("forged", "Mallory", "leaf", Some(("fakeinter", "impostor")), LEAF_EXT.replace("authorityKeyIdentifier = keyid\n", "").as_str(), (FROM, TO), &[]);
    let r = std_run(&forged, &[inter.clone()], &anchors);
    assert!(matches!(r.status, PathStatus::BadSignature { ref reason } if reason.contains("Mallory")), "{r:?}");
    // Bad signature outranks an expired certificate; both are listed.
    let forged_old = p.issue("forgedold", "Mallory Old", "leaf", Some(("fakeinter", "impostor")), LEAF_EXT.replace("authorityKeyIdentifier = keyid\n", "").as_str(), (FROM, "20260101000000Z"), &[]);
    let r = std_run(&forged_old, &[inter.clone()], &anchors);
    assert!(matches!(r.status, PathStatus::BadSignature { .. }));
    assert!(r.details.iter().any(|d| d.contains("expired")), "{:?}", r.details);

    // PSS-signed intermediate and leaf.
    p.key("pssi", "rsa:2048");
    let pss_opts = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"];
    let pssi = p.issue("pssi", "PSS Intermediate", "pssi", Some(("root", "root")), CA_EXT, (FROM, TO), &pss_opts);
    let pssl = p.issue("pssl", "PSS Leaf", "leaf", Some(("pssi", "pssi")), LEAF_EXT, (FROM, TO), &pss_opts);
    assert_eq!(std_run(&pssl, &[pssi], &anchors).status, PathStatus::Trusted);

    // EC: P-256 root, P-384 intermediate (signed with SHA-384), P-256 leaf.
    p.key("ecroot", "ec:P-256");
    p.key("ecinter", "ec:P-384");
    p.key("ecleaf", "ec:P-256");
    let ecroot = p.issue("ecroot", "EC Root", "ecroot", None, CA_EXT, (FROM, TO), &[]);
    let ecinter = p.issue("ecinter", "EC Intermediate", "ecinter", Some(("ecroot", "ecroot")), CA_EXT, (FROM, TO), &["-md", "sha384"]);
    let ecleaf = p.issue("ecleaf", "Carol", "ecleaf", Some(("ecinter", "ecinter")), EC_LEAF_EXT, (FROM, TO), &["-md", "sha384"]);
    for purpose in [Purpose::Sign, Purpose::Encrypt] {
        let r = run(&ecleaf, &[ecinter.clone()], &[ecroot.clone()], purpose, &Policy::standard());
        assert_eq!(r.status, PathStatus::Trusted, "{:?}", r.details);
    }
    // The EC leaf does not chain to the RSA root.
    assert_eq!(std_run(&ecleaf, &[ecinter.clone()], &anchors).status, PathStatus::UnknownCa);

    // SHA-1 signed leaf: flagged; refused when the admin tightens the policy.
    let sha1 = p.issue("sha1", "Old Hash", "leaf", Some(("inter", "inter")), LEAF_EXT, (FROM, TO), &["-md", "sha1"]);
    let r = std_run(&sha1, &[inter.clone()], &anchors);
    assert_eq!(r.status, PathStatus::WeakAlgorithm { algorithm: "SHA-1".into() }, "{:?}", r.details);
    let strict = Policy::standard().with_digest(crate::crypto::DigestAlg::Sha1, Verdict::Refuse("SHA-1".into()), false);
    let r = run(&sha1, &[inter.clone()], &anchors, Purpose::Sign, &strict);
    assert_eq!(r.status, PathStatus::WeakAlgorithm { algorithm: "SHA-1".into() });
    assert!(r.details[0].contains("refused"));
    // A flagged weakness ranks below an unknown CA, but is still listed.
    let r = std_run(&sha1, &[inter.clone()], &[]);
    assert_eq!(r.status, PathStatus::UnknownCa);
    assert!(r.details.iter().any(|d| d.contains("SHA-1")), "{:?}", r.details);

    // RSA-1024 leaf key: flagged.
    p.key("small", "rsa:1024");
    let small = p.issue("small", "Small Key", "small", Some(("inter", "inter")), LEAF_EXT, (FROM, TO), &[]);
    assert_eq!(std_run(&small, &[inter.clone()], &anchors).status, PathStatus::WeakAlgorithm { algorithm: "RSA 1024 bits".into() });
}

#[test]
fn issuer_loop_is_invalid() {
    require_openssl();
    let p = Pki::new("chain-loop");
    p.key("a", "rsa:2048");
    p.key("b", "rsa:2048");
    p.key("leaf", "rsa:2048");
    // A (self-signed) exists only to issue B; then A' issued by B closes the loop A' -> B -> A'.
    let _a_self = p.issue("aself", "CA A", "a", None, CA_EXT, (FROM, TO), &[]);
    let b = p.issue("b", "CA B", "b", Some(("aself", "a")), CA_EXT, (FROM, TO), &[]);
    let a = p.issue("a", "CA A", "a", Some(("b", "b")), CA_EXT, (FROM, TO), &[]);
    let leaf = p.issue("leaf", "Looped", "leaf", Some(("a", "a")), LEAF_EXT, (FROM, TO), &[]);
    let r = std_run(&leaf, &[a, b], &[]);
    assert!(matches!(r.status, PathStatus::Invalid { ref reason } if reason.contains("loop")), "{r:?}");
}

#[test]
fn self_signed_leaf_also_among_intermediates_is_unknown_ca_not_a_loop() {
    require_openssl();
    let p = Pki::new("chain-selfleaf");
    p.key("me", "rsa:2048");
    let me = p.issue("me", "Self Signer", "me", None, LEAF_EXT, (FROM, TO), &[]);
    // A signed message carries the signer's own certificate: the pool holds a copy of the leaf.
    for inters in [vec![], vec![me.clone()], vec![me.clone(), me.clone()]] {
        let r = std_run(&me, &inters, &[]);
        assert_eq!(r.status, PathStatus::UnknownCa, "{} copies: {:?}", inters.len(), r.details);
        assert_eq!(r.path.len(), 1);
        assert!(!r.details.iter().any(|d| d.contains("loop")), "{:?}", r.details);
    }
    // Pinned, it is trusted (for its own address only).
    assert_eq!(run_pinned(&me, &[me.clone()], &[], &[me.clone()], Some("alice@example.org")).status, PathStatus::Trusted);
    let r = run_pinned(&me, &[me.clone()], &[], &[me.clone()], Some("bob@example.org"));
    assert_eq!(r.status, PathStatus::UnknownCa);
    assert!(r.details.iter().any(|d| d.contains("pinned for alice@example.org only, not for bob@example.org")), "{:?}", r.details);
    // Without an address to match, no pin counts.
    assert_eq!(run_pinned(&me, &[], &[], &[me.clone()], None).status, PathStatus::UnknownCa);
}

/// Issue 12 ("pinning makes a root"): a stranger's self-signed certificate with cA=TRUE,
/// pinned by the user, must not make what it issues trusted.
#[test]
fn pinned_stranger_ca_is_never_an_issuer() {
    require_openssl();
    let p = Pki::new("chain-pin-stranger");
    p.key("stranger", "rsa:2048");
    p.key("victim", "rsa:2048");
    p.key("plain", "rsa:2048");
    let stranger_ext = "basicConstraints = critical,CA:TRUE\nkeyUsage = critical,digitalSignature,keyCertSign\n\
extendedKeyUsage = emailProtection\nsubjectAltName = email:stranger@evil.example\nsubjectKeyIdentifier = hash\n";
    let stranger = p.issue("stranger", "Stranger", "stranger", None, stranger_ext, (FROM, TO), &[]);
    let victim_ext = LEAF_EXT.replace("alice@example.org", "victim@bank.example");
    let forged = p.issue("forged", "Victim", "victim", Some(("stranger", "stranger")), &victim_ext, (FROM, TO), &[]);
    // The message carries the stranger's certificate, the user pinned it.
    let r = run_pinned(&forged, &[stranger.clone()], &[], &[stranger.clone()], Some("victim@bank.example"));
    assert_eq!(r.status, PathStatus::UnknownCa, "{:?}", r.details);
    assert_eq!(r.trusted_by, None);
    assert!(r.path.iter().all(|c| !c.anchor));
    // Also when it is only among the pins (not in the message) and whatever the address.
    for address in [Some("victim@bank.example"), Some("stranger@evil.example"), None] {
        assert_eq!(run_pinned(&forged, &[], &[], &[stranger.clone()], address).status, PathStatus::UnknownCa);
    }
    // As a root it does issue.
    let r = run_pinned(&forged, &[], &[stranger.clone()], &[], Some("victim@bank.example"));
    assert_eq!((r.status.clone(), r.trusted_by), (PathStatus::Trusted, Some(AnchorKind::Root)), "{:?}", r.details);
    // Its own certificate, pinned: a CA certificate is not a mail signer (SPEC section 1),
    // pinned or a root, for signing and for encryption.
    let own = run_pinned(&stranger, &[], &[], &[stranger.clone()], Some("stranger@evil.example"));
    assert!(matches!(own.status, PathStatus::WrongUsage { ref reason } if reason.contains("certificate authority")), "{own:?}");
    let own = run_pinned(&stranger, &[], &[stranger.clone()], &[], Some("stranger@evil.example"));
    assert!(matches!(own.status, PathStatus::WrongUsage { .. }), "{own:?}");
    let enc = validate(&ValidationInput { leaf: &stranger, intermediates: &[], roots: &[], pins: &[stranger.clone()], address: Some("stranger@evil.example"), at: at(), purpose: Purpose::Encrypt, policy: &Policy::standard(), max_depth: 8 });
    assert!(matches!(enc.status, PathStatus::WrongUsage { .. }), "{enc:?}");
    assert!(enc.details.iter().any(|d| d.contains("not a mail recipient's")), "{enc:?}");
    // The same stranger without cA=TRUE, pinned: its own certificate is trusted, for its address.
    let plain = p.issue("plain", "Stranger", "plain", None, &stranger_ext.replace("critical,CA:TRUE", "CA:FALSE").replace(",keyCertSign", ""), (FROM, TO), &[]);
    let r = run_pinned(&plain, &[], &[], &[plain.clone()], Some("stranger@evil.example"));
    assert_eq!((r.status.clone(), r.trusted_by), (PathStatus::Trusted, Some(AnchorKind::Pin)), "{:?}", r.details);
    // and what it "issues" is never trusted (it is pinned, and not a CA anyway).
    let forged2 = p.issue("forged2", "Victim", "victim", Some(("plain", "plain")), &victim_ext, (FROM, TO), &[]);
    let r = run_pinned(&forged2, &[plain.clone()], &[], &[plain.clone()], Some("victim@bank.example"));
    assert!(r.status != PathStatus::Trusted && r.trusted_by.is_none(), "{r:?}");
    assert_eq!(run_pinned(&forged2, &[], &[], &[plain.clone()], Some("victim@bank.example")).status, PathStatus::UnknownCa);
}

#[test]
fn ca_certificate_is_not_a_mail_signer() {
    require_openssl();
    let p = Pki::new("chain-ca-leaf");
    let (root, inter, _) = p.standard();
    // The intermediate (cA=TRUE) used as a signer's certificate under a trusted root.
    p.key("caleaf", "rsa:2048");
    let ext = format!("{CA_EXT}extendedKeyUsage = emailProtection\nsubjectAltName = email:alice@example.org\n").replace("keyCertSign,cRLSign", "digitalSignature,keyEncipherment,keyCertSign");
    let ca_leaf = p.issue("caleaf", "CA Signer", "caleaf", Some(("root", "root")), &ext, (FROM, TO), &[]);
    for purpose in [Purpose::Sign, Purpose::Encrypt] {
        let r = run(&ca_leaf, &[], &[root.clone()], purpose, &Policy::standard());
        assert!(matches!(r.status, PathStatus::WrongUsage { ref reason } if reason.contains("cA=TRUE")), "{purpose:?}: {r:?}");
    }
    assert!(matches!(std_run(&inter, &[], &[root.clone()]).status, PathStatus::WrongUsage { .. }));
}

#[test]
fn name_comparison_is_case_and_space_insensitive() {
    use std::str::FromStr;
    use x509_cert::name::Name;
    let a = Name::from_str("CN=Test  Root,O=Example").unwrap();
    let b = Name::from_str("CN=test root,O=EXAMPLE").unwrap();
    let c = Name::from_str("CN=Test Root,O=Other").unwrap();
    let d = Name::from_str("CN=Test Root").unwrap();
    assert!(names_equal(&a, &b));
    assert!(!names_equal(&a, &c));
    assert!(!names_equal(&a, &d));
}

/// Signer and recipient lookup (`cert::lookup`) compare the issuer with `names_equal`, as
/// path building does: an IssuerAndSerialNumber whose issuer differs only in case and
/// spacing still names the certificate; another serial or issuer does not.
#[test]
fn lookup_by_issuer_and_serial_uses_names_equal() {
    use crate::cert::lookup::{find_certificate, issuer_serial_matches, recipient_matches};
    use cms::cert::IssuerAndSerialNumber;
    use cms::enveloped_data::RecipientIdentifier;
    use cms::signed_data::SignerIdentifier;
    use std::str::FromStr;
    use x509_cert::name::Name;
    require_openssl();
    let p = Pki::new("chain-lookup");
    let (root, inter, leaf) = p.standard();
    assert_eq!(crate::cert::names::name_string(leaf.tbs_certificate().issuer()), "CN=Test Intermediate");
    let spelled = |issuer: &str, serial: &Certificate| IssuerAndSerialNumber {
        issuer: Name::from_str(issuer).unwrap(),
        serial_number: serial.tbs_certificate().serial_number().clone(),
    };
    let ias = spelled("CN=test  INTERMEDIATE", &leaf);
    assert!(issuer_serial_matches(&ias, &leaf));
    assert!(recipient_matches(&RecipientIdentifier::IssuerAndSerialNumber(ias.clone()), &leaf));
    let pools: [&[Certificate]; 2] = [std::slice::from_ref(&root), &[inter.clone(), leaf.clone()]];
    let sid = SignerIdentifier::IssuerAndSerialNumber(ias);
    assert_eq!(find_certificate(&sid, &pools), Some(&leaf));
    assert!(!issuer_serial_matches(&spelled("CN=Test Intermediate", &inter), &leaf), "another serial");
    assert!(!issuer_serial_matches(&spelled("CN=Other Intermediate", &leaf), &leaf), "another issuer");
}

#[test]
fn a_root_that_constrains_names_issues_nothing_here() {
    require_openssl();
    let p = Pki::new("chain-nc");
    p.key("ncroot", "rsa:2048");
    p.key("leaf", "rsa:2048");
    let constrained = format!("{CA_EXT}nameConstraints = critical,permitted;email:.example.net\n");
    let root = p.issue("ncroot", "Constrained Root", "ncroot", None, &constrained, (FROM, TO), &[]);
    let leaf = p.issue("leaf", "Alice", "leaf", Some(("ncroot", "ncroot")), LEAF_EXT, (FROM, TO), &[]);
    // alice@example.org is outside what the root permits; Cachet does not apply the constraints,
    // so the root's leaves are not trusted at all (rather than all of them).
    let r = std_run(&leaf, &[], &[root]);
    assert!(matches!(&r.status, PathStatus::Invalid { reason } if reason.contains("restricts what it issues")), "{r:?}");
}

#[test]
fn usage_extensions_that_appear_twice_or_do_not_decode_allow_nothing() {
    use crate::asn1::{ber, der::tlv};
    require_openssl();
    let p = Pki::new("chain-dup");
    let (_, _, leaf) = p.standard();
    assert!(crate::cert::facts::eku_allows_email(&leaf) && unreadable_usage_extension(&leaf).is_none());
    // The leaf with one of its extensions written twice (the signature does not matter here).
    let twice = |oid: &str| -> Certificate {
        let der = leaf.to_der().unwrap();
        let cert = ber::read_all(&der).unwrap();
        let [tbs, alg, sig] = &cert.children().unwrap()[..] else { panic!("certificate") };
        let mut fields: Vec<Vec<u8>> = tbs.children().unwrap().iter().map(|t| t.raw.to_vec()).collect();
        let last = fields.last().unwrap().clone();
        let wrapper = ber::read_all(&last).unwrap();
        let exts = wrapper.children().unwrap()[0];
        let mut list: Vec<Vec<u8>> = exts.children().unwrap().iter().map(|t| t.raw.to_vec()).collect();
        let oid = const_oid::ObjectIdentifier::new_unwrap(oid);
        let one = list.iter().find(|e| ber::read_all(e).unwrap().children().unwrap()[0].content == oid.as_bytes()).unwrap().clone();
        list.push(one);
        *fields.last_mut().unwrap() = tlv(0xa3, &tlv(0x30, &list.concat()));
        Certificate::from_der(&tlv(0x30, &[tlv(0x30, &fields.concat()), alg.raw.to_vec(), sig.raw.to_vec()].concat())).unwrap()
    };
    let eku = twice("2.5.29.37");
    assert!(!crate::cert::facts::eku_allows_email(&eku), "an extended key usage written twice allows nothing");
    assert_eq!(unreadable_usage_extension(&eku), Some("extended key usage"));
    let ku = twice("2.5.29.15");
    assert!(crate::cert::facts::key_usage(&ku).is_some_and(|k| k.0.is_empty()), "a key usage written twice allows nothing");
    assert_eq!(unreadable_usage_extension(&ku), Some("key usage"));
    assert_eq!(unreadable_usage_extension(&twice("2.5.29.19")), Some("basic constraints"));
}

#[test]
fn a_certificate_set_with_many_candidate_paths_checks_a_bounded_number_of_signatures() {
    require_openssl();
    let p = Pki::new("chain-many");
    // A leaf issued by "X"; twelve certificates named X issued by "R"; six Rs issued by a "Z"
    // nobody has: 72 candidate paths (64 examined) over 84 distinct signatures.
    p.key("zk", "ec:prime256v1");
    p.key("rk", "ec:prime256v1");
    p.key("xk", "ec:prime256v1");
    p.key("leaf", "ec:prime256v1");
    p.issue("z", "Z", "zk", None, CA_EXT, (FROM, TO), &[]);
    let rs: Vec<Certificate> = (0..6).map(|i| p.issue(&format!("r{i}"), "R", "rk", Some(("z", "zk")), CA_EXT, (FROM, TO), &[])).collect();
    let xs: Vec<Certificate> = (0..12).map(|i| p.issue(&format!("x{i}"), "X", "xk", Some(("r0", "rk")), CA_EXT, (FROM, TO), &[])).collect();
    let leaf = p.issue("leaf", "Carol", "leaf", Some(("x0", "xk")), EC_LEAF_EXT, (FROM, TO), &[]);
    let inters: Vec<Certificate> = xs.into_iter().chain(rs).collect();
    let policy = Policy::standard();
    let input = ValidationInput { leaf: &leaf, intermediates: &inters, roots: &[], pins: &[], address: Some("carol@example.org"), at: at(), purpose: Purpose::Encrypt, policy: &policy, max_depth: DEFAULT_MAX_DEPTH };
    let r = validate(&input);
    assert_ne!(r.status, PathStatus::Trusted, "no root: {r:?}");
    // The search met the limit of signature checks (some candidates were left unchecked).
    let mut checks = Checks::new();
    let all: Vec<(&Certificate, bool, Vec<u8>)> = std::iter::once(&leaf).chain(inters.iter()).map(|c| (c, false, c.to_der().unwrap())).collect();
    let mut candidates = Vec::new();
    build(&all, &mut vec![0], DEFAULT_MAX_DEPTH, false, &mut candidates);
    let limited = candidates.iter().filter(|c| evaluate(&input, &all, c, &mut checks).iter().any(|p| p.text.contains("MAX_SIGNATURE_CHECKS"))).count();
    assert!(checks.len() <= MAX_SIGNATURE_CHECKS && limited > 0, "{} checks, {limited} candidates limited, of {}", checks.len(), candidates.len());
}
