//! Unit tests of the envelope code with keys made by `openssl` at test time: round trips,
//! damaged input at every length, and the ECDH key agreement opening only for the
//! recipient's key.
use super::decrypt::{decrypt, Outcome};
use super::envelope::encrypt;
use super::recipients::KeyTransport;
use crate::crypto::cipher::{ContentCipher, RustCrypto};
use crate::crypto::test_openssl::TempDir;
use crate::pkcs12::Identity;

/// A key and self-signed certificate made by openssl (`newkey` like "rsa:2048" or "ec").
fn identity(dir: &TempDir, name: &str, newkey: &[&str]) -> Identity {
    let key = format!("{name}.key");
    let pem = format!("{name}.pem");
    let p12 = format!("{name}.p12");
    let mut args = vec!["req", "-x509", "-nodes", "-days", "30", "-subj"];
    let subj = format!("/CN={name}");
    args.push(&subj);
    args.extend_from_slice(newkey);
    args.extend_from_slice(&["-keyout", &key, "-out", &pem]);
    dir.openssl(&args);
    dir.openssl(&["pkcs12", "-export", "-inkey", &key, "-in", &pem, "-passout", "pass:pw", "-out", &p12]);
    crate::pkcs12::import(&dir.read(&p12), "pw").unwrap()
}

fn plaintext(d: &super::decrypt::Decryption) -> Option<Vec<u8>> {
    match &d.outcome {
        Outcome::Decrypted(p) => Some(p.to_vec()),
        _ => None,
    }
}

#[test]
fn round_trip_and_damage_never_panics() {
    let dir = TempDir::new("envelope-unit");
    let bob = identity(&dir, "bob", &["-newkey", "rsa:2048"]);
    let eve = identity(&dir, "eve", &["-newkey", "rsa:2048"]);
    let content = b"Content-Type: text/plain\r\n\r\nsecret text that spans a few AES blocks.\r\n";
    for (cipher, transport) in [
        (ContentCipher::Aes256Cbc, KeyTransport::Pkcs1v15),
        (ContentCipher::Aes128Gcm, KeyTransport::OaepSha256),
        (ContentCipher::Aes256Gcm, KeyTransport::Pkcs1v15),
    ] {
        let der = encrypt(content, &[(&bob.certificate, transport)], cipher, &RustCrypto).unwrap();
        let d = decrypt(&der, &[&eve, &bob], &crate::policy::Policy::standard(), &RustCrypto).unwrap();
        assert_eq!(plaintext(&d).as_deref(), Some(&content[..]), "{cipher:?}");
        assert_eq!(d.info.integrity_protected, cipher.is_aead());
        assert!(matches!(decrypt(&der, &[&eve], &crate::policy::Policy::standard(), &RustCrypto).unwrap().outcome, Outcome::NoKey));
        // Eve holding Bob's certificate but her own key: the envelope never opens.
        let mut fake = crate::pkcs12::import(&dir.read("eve.p12"), "pw").unwrap();
        fake.certificate = bob.certificate.clone();
        assert!(matches!(decrypt(&der, &[&fake], &crate::policy::Policy::standard(), &RustCrypto).unwrap().outcome, Outcome::IntegrityFailure), "{cipher:?}");
        // Every truncation and many single-byte changes: an error or a failure outcome, never a panic,
        // and never wrong plaintext from GCM.
        for n in 0..der.len() {
            let _ = decrypt(&der[..n], &[&bob], &crate::policy::Policy::standard(), &RustCrypto);
        }
        for i in (0..der.len()).step_by(3) {
            let mut bad = der.clone();
            bad[i] ^= 0x5a;
            if let Ok(d) = decrypt(&bad, &[&bob], &crate::policy::Policy::standard(), &RustCrypto) {
                if let Some(p) = plaintext(&d) {
                    assert!(!cipher.is_aead() || p == content, "GCM never yields altered plaintext");
                }
            }
        }
    }
}

#[test]
fn ecdh_key_agreement_opens_only_for_the_recipient_key() {
    let dir = TempDir::new("kari-unit");
    for curve in ["P-256", "P-384"] {
        let curve_arg = format!("ec_paramgen_curve:{curve}");
        let fran = identity(&dir, "fran", &["-newkey", "ec", "-pkeyopt", &curve_arg]);
        let mallory = identity(&dir, "mallory", &["-newkey", "ec", "-pkeyopt", &curve_arg]);
        dir.write("msg.txt", b"Content-Type: text/plain\r\n\r\nfor Fran only\r\n");
        for (wrap, kdf) in [("-aes128-wrap", "sha256"), ("-aes256-wrap", "sha384")] {
            dir.openssl(&["cms", "-encrypt", "-binary", "-aes256", "-outform", "DER", "-in", "msg.txt", "-out", "kari.der", "-recip", "fran.pem", "-keyopt", &format!("ecdh_kdf_md:{kdf}"), "-wrap", wrap.trim_start_matches('-')]);
            let der = dir.read("kari.der");
            let d = decrypt(&der, &[&fran], &crate::policy::Policy::standard(), &RustCrypto).unwrap();
            assert_eq!(plaintext(&d).as_deref(), Some(&b"Content-Type: text/plain\r\n\r\nfor Fran only\r\n"[..]), "{curve} {wrap}");
            // Mallory's key presented with Fran's certificate does not open it.
            let mut fake = crate::pkcs12::import(&dir.read("mallory.p12"), "pw").unwrap();
            fake.certificate = fran.certificate.clone();
            assert!(matches!(decrypt(&der, &[&fake], &crate::policy::Policy::standard(), &RustCrypto).unwrap().outcome, Outcome::IntegrityFailure), "{curve} {wrap}");
            assert!(matches!(decrypt(&der, &[&mallory], &crate::policy::Policy::standard(), &RustCrypto).unwrap().outcome, Outcome::NoKey));
        }
    }
}

#[test]
fn encrypt_message_chooses_gcm_when_every_recipient_advertises_it_and_includes_the_sender() {
    use crate::smime::{encrypt_message, open, EncryptOptions, OpenInput};
    let dir = TempDir::new("encrypt-message-unit");
    // End-entity certificates that allow key encipherment (openssl's -x509 default is a CA).
    let ee = ["-newkey", "rsa:2048", "-addext", "basicConstraints=CA:FALSE", "-addext", "keyUsage=digitalSignature,keyEncipherment"];
    let bob = identity(&dir, "bob", &ee);
    let alice = identity(&dir, "alice", &ee);
    let msg = b"From: <alice@example.org>\r\nTo: <bob@example.net>\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\nhi\r\n";
    let limits = crate::mime::Limits::default();
    let policy = crate::policy::Policy::standard();
    for (gcm, want) in [(true, "authEnveloped-data"), (false, "enveloped-data")] {
        let options = EncryptOptions { all_recipients_advertise_gcm: gcm, ..EncryptOptions::default() };
        let out = encrypt_message(msg, std::slice::from_ref(&bob.certificate), Some(&alice), options, crate::time::UnixTime(0), &limits).unwrap();
        assert!(String::from_utf8_lossy(&out).contains(&format!("smime-type={want}")));
        for reader in [&bob, &alice] {
            let ids = [reader];
            let input = OpenInput { roots: &[], pins: &[], known: &[], identities: &ids, at: crate::time::UnixTime(0), policy: &policy, limits: &limits };
            let opened = open(&out, &input);
            assert_eq!(opened.report.status, crate::report::Status::Unsigned, "{:?}", opened.report);
            assert!(opened.content.unwrap().ends_with(b"\r\n\r\nhi\r\n"));
        }
    }
}

/// Open with the deferred bulk seam, answering every request with `answer`; returns the
/// result of the first complete run and the number of runs.
fn open_deferred(msg: &[u8], input: &crate::smime::OpenInput<'_>, answer: impl Fn(&crate::crypto::bulk::Request) -> crate::crypto::bulk::Answer) -> (crate::smime::Opened, usize) {
    use crate::crypto::bulk::{Bulk, Deferred};
    let d = Deferred::new();
    for run in 1..20 {
        d.begin_run();
        let opened = crate::smime::open_with(msg, input, &d);
        let mut again = d.incomplete();
        for (seq, r) in d.take_requests() {
            let a = answer(&r);
            again |= !d.answer(seq, &r, a);
        }
        if !again {
            return (opened, run);
        }
    }
    panic!("the deferred open did not converge");
}

#[test]
fn deferred_bulk_open_gives_the_portable_report_and_wrong_answers_are_caught() {
    use crate::crypto::bulk::{compute_portable, Answer, Request};
    use crate::report::Status;
    use crate::smime::{encrypt_message, open, EncryptOptions, OpenInput};
    let dir = TempDir::new("deferred-open");
    let ee = ["-newkey", "rsa:2048", "-addext", "basicConstraints=CA:FALSE", "-addext", "keyUsage=digitalSignature,keyEncipherment", "-addext", "subjectAltName=email:alice@example.org"];
    let alice = identity(&dir, "alice", &ee);
    let msg = b"From: <alice@example.org>\r\nTo: <alice@example.org>\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\nhello deferred\r\n";
    let (limits, policy) = (crate::mime::Limits::default(), crate::policy::Policy::standard());
    let anchors = [alice.certificate.clone()];
    let ids = [&alice];
    let input = OpenInput { roots: &[], pins: &anchors, known: &[], identities: &ids, at: crate::time::UnixTime(0), policy: &policy, limits: &limits };
    let json = |o: &crate::smime::Opened| serde_json::to_string(&o.report).unwrap();
    for cipher in [ContentCipher::Aes256Cbc, ContentCipher::Aes256Gcm] {
        let options = EncryptOptions { cipher: Some(cipher), sign: true, ..EncryptOptions::default() };
        let out = encrypt_message(msg, &[], Some(&alice), options, crate::time::UnixTime(0), &limits).unwrap();
        let portable = open(&out, &input);
        assert_eq!(portable.report.layers.len(), 2, "{}", json(&portable));
        let (deferred, runs) = open_deferred(&out, &input, |r| compute_portable(r).unwrap());
        // Decrypt; then the signed layer's digest match, assumed and confirmed.
        assert_eq!(runs, 2);
        assert_eq!(json(&deferred), json(&portable));
        assert_eq!(deferred.content, portable.content);
        // Wrong digests (of other data) leave the signed layer tampered.
        let (wrong, wrong_runs) = open_deferred(&out, &input, |r| match r {
            Request::Digest { alg, .. } => Answer::Digest(crate::crypto::digest(*alg, b"other content").unwrap()),
            other => compute_portable(other).unwrap(),
        });
        assert_eq!(wrong.report.layers.get(1).map(|l| l.status), Some(Status::Tampered), "{}", json(&wrong));
        assert_eq!(wrong_runs, 3, "the contradicted assumption costs a run");
        // A refused decryption is an integrity failure, with nothing shown.
        let (failed, _) = open_deferred(&out, &input, |_| Answer::Failed);
        assert_eq!(failed.report.layers.first().map(|l| l.status), Some(Status::IntegrityFailure));
        assert!(failed.content.is_none());
    }
}

#[test]
fn signing_and_encrypting_in_phases_with_supplied_results_round_trip() {
    use crate::crypto::cipher::Symmetric;
    use crate::report::Status;
    use crate::smime::{open, prepare_signing, EncryptOptions, OpenInput};
    let dir = TempDir::new("phases");
    let ee = ["-newkey", "rsa:2048", "-addext", "basicConstraints=CA:FALSE", "-addext", "keyUsage=digitalSignature,keyEncipherment", "-addext", "subjectAltName=email:alice@example.org"];
    let alice = identity(&dir, "alice", &ee);
    let msg = b"From: <alice@example.org>\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\nphases\r\n";
    let (limits, policy) = (crate::mime::Limits::default(), crate::policy::Policy::standard());
    let at = crate::time::UnixTime(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs());
    let plan = prepare_signing(msg, &alice, false, at, &limits).unwrap();
    let md = crate::crypto::digest(plan.digest_algorithm(), plan.content()).unwrap();
    assert!(plan.signed_attributes(&md[1..]).is_err(), "a digest of the wrong length is refused");
    let attrs = plan.signed_attributes(&md).unwrap();
    let (algorithm, value) = crate::cms::sign::sign_attributes(&alice, &attrs).unwrap();
    assert_eq!(Some(&algorithm), plan.external_signature_algorithm().unwrap().as_ref());
    let mut bad = value.clone();
    bad[0] ^= 1;
    let refused = prepare_signing(msg, &alice, false, at, &limits).unwrap();
    let refused_attrs = refused.signed_attributes(&md).unwrap();
    assert!(refused.finish(refused_attrs, Some((algorithm.clone(), bad))).is_err(), "a signature that does not verify is refused");
    let signed = plan.finish(attrs, Some((algorithm, value))).unwrap();
    let plan = crate::smime_enc::prepare_encryption(&signed, &[], Some(&alice), EncryptOptions { cipher: Some(ContentCipher::Aes256Gcm), ..EncryptOptions::default() }, &limits).unwrap();
    let sealed = RustCrypto.encrypt(plan.cipher(), plan.key(), plan.iv(), b"", plan.content()).unwrap();
    let short = crate::crypto::cipher::Sealed { ciphertext: sealed.ciphertext[1..].to_vec(), tag: sealed.tag.clone() };
    let plan2 = crate::smime_enc::prepare_encryption(&signed, &[], Some(&alice), EncryptOptions::default(), &limits).unwrap();
    assert!(plan2.finish(short).is_err(), "a ciphertext of the wrong length is refused");
    let out = plan.finish(sealed).unwrap();
    let anchors = [alice.certificate.clone()];
    let ids = [&alice];
    let input = OpenInput { roots: &[], pins: &anchors, known: &[], identities: &ids, at, policy: &policy, limits: &limits };
    let r = open(&out, &input).report;
    assert_eq!(r.layers.iter().map(|l| l.status).collect::<Vec<_>>(), vec![Status::Decrypted, Status::Valid], "{:?}", r);
}
