//! One test per status id of SPEC section 1, each from a real message: signed by Cachet
//! or by OpenSSL, then mutated the way an attacker or a mail server would. Assertions are
//! on status ids and report fields, never on wording.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use base64::Engine;
use common::*;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

struct Setup {
    pki: &'static Pki,
    alice: Leaf,
}

/// The process's shared test PKI (`shared_pki`) and its Alice, issued once: the tests only
/// read them (and issue their own further leaves from the CA, each under a name of its own).
fn setup() -> &'static Setup {
    static SETUP: std::sync::OnceLock<Setup> = std::sync::OnceLock::new();
    SETUP.get_or_init(|| {
        let pki = shared_pki();
        Setup { pki, alice: pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365) }
    })
}

fn trust(s: &Setup) -> Vec<String> {
    vec!["--trust".into(), s.pki.ca().to_string_lossy().into_owned()]
}

fn open_t(msg: &[u8], s: &Setup, extra: &[&str]) -> serde_json::Value {
    let mut args: Vec<String> = trust(s);
    args.extend(extra.iter().map(|a| a.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    open(msg, &refs).0
}

fn replace(hay: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(hay.to_vec()).unwrap();
    assert!(text.contains(from), "{from} not in message");
    text.replacen(from, to, 1).into_bytes()
}

/// A message signed by OpenSSL with extra `cms -sign` arguments, with From/To headers added.
fn openssl_signed(s: &Setup, leaf: &Leaf, args: &[&str]) -> Vec<u8> {
    let dir = TempDir::new("status-openssl");
    let content = dir.write("c.txt", b"Content-Type: text/plain\r\n\r\nHello from OpenSSL.\r\n");
    let out = dir.path("s.eml");
    run(tool("openssl").args(["cms", "-sign"]).args(args).arg("-in").arg(&content).arg("-signer").arg(&leaf.cert).arg("-inkey").arg(&leaf.key).arg("-out").arg(&out));
    let _ = s;
    let mut msg = format!("From: <{}>\r\nTo: <bob@example.net>\r\nSubject: test\r\n", leaf.email).into_bytes();
    msg.extend_from_slice(&std::fs::read(&out).unwrap());
    msg
}

#[test]
fn valid_and_valid_unknown_ca() {
    let s = setup();
    let signed = sign(&message(&s.alice.email, "bob@example.net"), s.alice.p12(), &s.alice.password, &[]);
    let r = open_t(&signed, s, &[]);
    assert_eq!(status(&r), "valid", "{r:#}");
    let signer = &r["layers"][0]["signers"][0];
    assert_eq!(signer["signature"], "good");
    assert_eq!(signer["chain"]["status"], "trusted");
    assert_eq!(signer["address"]["matches"], true);
    assert_eq!(signer["certificate"]["emails"][0], "alice@example.org");
    assert!(signer["smime_capabilities"].as_array().unwrap().iter().any(|c| c == "aes256-gcm"));
    assert!(r["certificates"].as_array().unwrap().iter().any(|c| c["facts"]["emails"][0] == "alice@example.org"), "certificates ready to import");

    // Without the root as a trust anchor: intact, but the issuer is not trusted here.
    let (r, code) = open(&signed, &[]);
    assert_eq!(status(&r), "valid-unknown-ca", "{r:#}");
    assert_eq!(code, 3);
    // A root that arrives inside the message is never an anchor.
    let with_root = openssl_signed(s, &s.alice, &["-certfile", s.pki.ca().to_str().unwrap()]);
    let (r, _) = open(&with_root, &[]);
    assert_eq!(status(&r), "valid-unknown-ca", "{r:#}");
}

#[test]
fn tampered_and_disclaimer_diagnosis() {
    let s = setup();
    let signed = sign(&message(&s.alice.email, "bob@example.net"), s.alice.p12(), &s.alice.password, &[]);
    // A changed word.
    let r = open_t(&replace(&signed, "Line two.", "Line 2wo."), s, &[]);
    assert_eq!(status(&r), "tampered", "{r:#}");
    assert_eq!(r["layers"][0]["signers"][0]["signature"], "digest-mismatch");
    assert!(r["diagnosis"].as_array().unwrap().iter().any(|d| d["id"] == "changed"));

    // A server appends a disclaimer at the end of the signed part.
    let appended = replace(&signed, "Line two.\r\n", "Line two.\r\n\r\n-- \r\nThis e-mail is confidential.\r\n");
    let r = open_t(&appended, s, &[]);
    assert_eq!(status(&r), "tampered", "{r:#}");
    let d = r["diagnosis"].as_array().unwrap().iter().find(|d| d["id"] == "appended-text").unwrap_or_else(|| panic!("{r:#}"));
    assert!(d["appended_text"].as_str().unwrap().contains("This e-mail is confidential."));
    assert_eq!(d["original_verifies"], true);
}

#[test]
fn appended_part_inside_signed_multipart() {
    let s = setup();
    let msg = b"From: <alice@example.org>\r\nTo: <bob@example.net>\r\nSubject: mixed\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"inner\"\r\n\r\n--inner\r\nContent-Type: text/plain\r\n\r\nThe body.\r\n--inner--\r\n";
    let signed = sign(msg, s.alice.p12(), &s.alice.password, &[]);
    assert_eq!(status(&open_t(&signed, s, &[])), "valid");
    let added = replace(&signed, "--inner--", "--inner\r\nContent-Type: text/plain\r\n\r\nDisclaimer: sent from our network.\r\n--inner--");
    let r = open_t(&added, s, &[]);
    assert_eq!(status(&r), "tampered", "{r:#}");
    let d = r["diagnosis"].as_array().unwrap().iter().find(|d| d["id"] == "appended-part").unwrap_or_else(|| panic!("{r:#}"));
    assert!(d["appended_text"].as_str().unwrap().contains("Disclaimer: sent from our network."));
    assert_eq!(d["original_verifies"], true);
}

#[test]
fn bad_signature() {
    let s = setup();
    let signed = String::from_utf8(sign(&message(&s.alice.email, "bob@example.net"), s.alice.p12(), &s.alice.password, &[])).unwrap();
    // Decode the smime.p7s part, flip the last byte (inside the signature value), re-encode.
    let start = signed.find("S/MIME Cryptographic Signature\r\n\r\n").unwrap() + "S/MIME Cryptographic Signature\r\n\r\n".len();
    let end = start + signed[start..].find("\r\n--").unwrap();
    let b64: String = signed[start..end].split("\r\n").collect();
    let mut der = B64.decode(&b64).unwrap();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let mutated = format!("{}{}{}", &signed[..start], B64.encode(&der), &signed[end..]);
    let r = open_t(mutated.as_bytes(), s, &[]);
    assert_eq!(status(&r), "bad-signature", "{r:#}");
    assert_eq!(r["layers"][0]["signers"][0]["signature"], "bad");
}

#[test]
fn address_mismatch() {
    let s = setup();
    let signed = sign(&message(&s.alice.email, "bob@example.net"), s.alice.p12(), &s.alice.password, &[]);
    // The From header is outside the signature: a spoofer can change it, Cachet must notice.
    let r = open_t(&replace(&signed, "From: Test Sender <alice@example.org>", "From: Alice <mallory@example.org>"), s, &[]);
    assert_eq!(status(&r), "address-mismatch", "{r:#}");
    assert_eq!(r["layers"][0]["signers"][0]["address"]["matches"], false);
    // Case differences in the domain are not a mismatch.
    let r = open_t(&replace(&signed, "<alice@example.org>", "<alice@EXAMPLE.org>"), s, &[]);
    assert_eq!(status(&r), "valid", "{r:#}");
}

#[test]
fn expired_and_not_yet_valid() {
    let s = setup();
    let signed = sign(&message(&s.alice.email, "bob@example.net"), s.alice.p12(), &s.alice.password, &[]);
    let later = open_t(&signed, s, &["--at", "2099-01-01T00:00:00Z"]);
    assert_eq!(status(&later), "expired", "{later:#}");
    // The signer claims a signing time when the certificate was valid: a detail, never a rescue.
    assert_eq!(later["layers"][0]["signers"][0]["valid_at_signing_time"], true);
    let earlier = open_t(&signed, s, &["--at", "2001-01-01T00:00:00Z"]);
    assert_eq!(status(&earlier), "not-yet-valid", "{earlier:#}");
}

#[test]
fn wrong_usage() {
    let s = setup();
    let ku = s.pki.leaf("kuonly", "ku@example.org", Key::Rsa2048, Some("basicConstraints=CA:FALSE\nkeyUsage=critical,keyEncipherment\nsubjectAltName=email:ku@example.org\n"), 365);
    let r = open_t(&openssl_signed(s, &ku, &[]), s, &[]);
    assert_eq!(status(&r), "wrong-usage", "{r:#}");
    let eku = s.pki.leaf("tls", "tls@example.org", Key::Rsa2048, Some("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=email:tls@example.org\n"), 365);
    let r = open_t(&openssl_signed(s, &eku, &[]), s, &[]);
    assert_eq!(status(&r), "wrong-usage", "{r:#}");
}

#[test]
fn weak_algorithm() {
    let s = setup();
    let r = open_t(&openssl_signed(s, &s.alice, &["-md", "sha1"]), s, &[]);
    assert_eq!(status(&r), "weak-algorithm", "{r:#}");
    assert_eq!(r["layers"][0]["signers"][0]["digest_algorithm"], "SHA-1");
    let small = s.pki.leaf("small", "small@example.org", Key::Rsa1024, None, 365);
    let r = open_t(&openssl_signed(s, &small, &[]), s, &[]);
    assert_eq!(status(&r), "weak-algorithm", "{r:#}");
}

#[test]
fn partially_signed() {
    let s = setup();
    let signed = sign(&message(&s.alice.email, "bob@example.net"), s.alice.p12(), &s.alice.password, &[]);
    let text = String::from_utf8(signed).unwrap();
    let split = text.find("MIME-Version:").unwrap();
    let (headers, body) = text.split_at(split);
    let body = body.trim_start_matches("MIME-Version: 1.0\r\n");
    let wrapped = format!("{headers}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n--outer\r\n{body}\r\n--outer\r\nContent-Type: text/plain\r\n\r\nUnsigned footer added later.\r\n--outer--\r\n");
    let r = open_t(wrapped.as_bytes(), s, &[]);
    assert_eq!(status(&r), "partially-signed", "{r:#}");
    assert_eq!(r["layers"][0]["covers"], "1");
    assert_eq!(r["layers"][0]["status"], "valid");
    let d = r["diagnosis"].as_array().unwrap().iter().find(|d| d["id"] == "appended-part").unwrap();
    assert!(d["appended_text"].as_str().unwrap().contains("Unsigned footer added later."));
}

#[test]
fn no_signer_unsigned_and_malformed() {
    let s = setup();
    let dir = TempDir::new("st-nosigner-files");
    // A degenerate SignedData (certificates only, no SignerInfo) posing as a signature.
    let p7 = dir.path("certs.p7");
    run(tool("openssl").args(["crl2pkcs7", "-nocrl", "-outform", "DER"]).arg("-certfile").arg(&s.alice.cert).arg("-out").arg(&p7));
    let der = std::fs::read(&p7).unwrap();
    let msg = format!(
        "From: <alice@example.org>\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nNot really signed.\r\n--b\r\nContent-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        B64.encode(&der)
    );
    let r = open_t(msg.as_bytes(), s, &[]);
    assert_eq!(status(&r), "no-signer", "{r:#}");

    let (r, code) = open(&message("alice@example.org", "bob@example.net"), &[]);
    assert_eq!(status(&r), "unsigned");
    assert_eq!(code, 3);

    let garbage = msg.replace(&B64.encode(&der)[..40], "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let (r, code) = open(garbage.as_bytes(), &[]);
    assert_eq!(status(&r), "malformed", "{r:#}");
    assert_eq!(r["error"]["code"], "malformed");
    assert_eq!(code, 3);
    // Not even MIME: a report, not a crash.
    let (r, _) = open(&[0xff, 0xfe, 0x00, 0x01], &[]);
    assert!(["malformed", "unsigned"].contains(&status(&r)), "{r:#}");
}

#[test]
fn several_signers_headline_is_the_worst() {
    let s = setup();
    let small = s.pki.leaf("small2", "alice@example.org", Key::Rsa1024, None, 365);
    let dir = TempDir::new("st-multi-files");
    let content = dir.write("c.txt", b"Content-Type: text/plain\r\n\r\nTwo signers.\r\n");
    let out = dir.path("s.eml");
    run(tool("openssl").args(["cms", "-sign"]).arg("-in").arg(&content).arg("-signer").arg(&s.alice.cert).arg("-inkey").arg(&s.alice.key).arg("-signer").arg(&small.cert).arg("-inkey").arg(&small.key).arg("-out").arg(&out));
    let mut msg = b"From: <alice@example.org>\r\nSubject: two\r\n".to_vec();
    msg.extend_from_slice(&std::fs::read(&out).unwrap());
    let r = open_t(&msg, s, &[]);
    assert_eq!(r["layers"][0]["signers"].as_array().unwrap().len(), 2);
    assert_eq!(status(&r), "weak-algorithm", "{r:#}");
}

#[test]
fn an_opaque_signed_body_sent_as_raw_der_is_read_and_the_repair_reported() {
    let s = setup();
    let signed = sign(&message(&s.alice.email, "bob@example.net"), s.alice.p12(), &s.alice.password, &["--opaque"]);
    // The body as raw DER, without its Content-Transfer-Encoding (a gateway's binary form).
    let text = String::from_utf8(signed).unwrap();
    let split = text.find("\r\n\r\n").unwrap();
    let head = text[..split + 2].replace("Content-Transfer-Encoding: base64\r\n", "");
    assert!(!head.to_ascii_lowercase().contains("content-transfer-encoding"), "{head}");
    let der = B64.decode(text[split + 4..].replace("\r\n", "")).unwrap();
    let binary = [head.as_bytes(), b"\r\n", &der].concat();
    let r = open_t(&binary, s, &[]);
    assert_eq!(status(&r), "valid", "{r:#}");
    assert!(r["repairs"].as_array().unwrap().iter().any(|x| x["code"] == "body-binary"), "{r:#}");
    // A changed signed text inside the DER is not hidden by the repair.
    let at = der.windows(5).position(|w| w == b"Line ").unwrap();
    let mut changed = der.clone();
    changed[at] = b'l';
    let r = open_t(&[head.as_bytes(), b"\r\n", &changed].concat(), s, &[]);
    assert_eq!(status(&r), "tampered", "{r:#}");
    assert!(r["repairs"].as_array().unwrap().iter().any(|x| x["code"] == "body-binary"), "{r:#}");
}

#[test]
fn a_signature_over_another_kind_of_content_is_not_a_signed_message() {
    let s = setup();
    // A good signature by Alice over a TSTInfo (a timestamp's content type), sent as S/MIME.
    let other = openssl_signed(s, &s.alice, &["-nodetach", "-binary", "-econtent_type", "1.2.840.113549.1.9.16.1.4"]);
    let r = open_t(&other, s, &[]);
    assert_eq!(status(&r), "malformed", "{r:#}");
    assert!(r["error"]["detail"].as_str().unwrap().contains("1.2.840.113549.1.9.16.1.4"), "{r:#}");
    // The same signature over data is Alice's signed message.
    let data = openssl_signed(s, &s.alice, &["-nodetach", "-binary"]);
    assert_eq!(status(&open_t(&data, s, &[])), "valid");
}
