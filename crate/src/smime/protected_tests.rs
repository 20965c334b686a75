//! Header protection both ways with certificates made by `openssl` at test time (on kept
//! keys, see `cachet_testkit::pooled_key`): what Cachet writes (the payload's header
//! section, the reduced outside, the legacy display) and what it reads back (protected
//! fields, confidential ones, mismatches, the From binding), hostile messages included.
use super::super::{encrypt_message, open, sign_message, EncryptOptions, OpenInput, Opened};
use crate::mime::{parse, Limits};
use crate::pkcs12::Identity;
use crate::policy::Policy;
use crate::report::Status;
use crate::time::UnixTime;
use cachet_testkit::{require_openssl, TempDir};
use x509_cert::Certificate;

/// A self-signed end-entity certificate for `email` and its key, made by openssl.
pub(in crate::smime) fn identity(dir: &TempDir, name: &str, email: &str) -> Identity {
    let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
    let subj = format!("/CN={name}");
    let san = format!("subjectAltName=email:{email}");
    cachet_testkit::Key::Rsa2048.pooled(&dir.path(&key));
    dir.openssl(&["req", "-x509", "-new", "-days", "30", "-subj", &subj, "-key", &key, "-addext", &san, "-addext", "basicConstraints=CA:FALSE", "-addext", "keyUsage=digitalSignature,keyEncipherment", "-out", &pem]);
    Identity::from_pem_files(&dir.path(&key), &dir.path(&pem))
}

/// Alice (alice@example.org) and Bob (bob@example.net), in a new folder named by `tag`.
pub(in crate::smime) fn alice_and_bob(tag: &str) -> (TempDir, Identity, Identity) {
    let dir = TempDir::new(tag);
    let alice = identity(&dir, "alice", "alice@example.org");
    let bob = identity(&dir, "bob", "bob@example.net");
    (dir, alice, bob)
}

pub(in crate::smime) const MSG: &str = "From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\nCc: carol@example.com\r\nSubject: =?UTF-8?B?R3LDvMOfZQ==?= and the plan\r\nDate: Sat, 05 Dec 2026 12:00:00 +0000\r\nMessage-ID: <hp-1@example.org>\r\nIn-Reply-To: <earlier@example.net>\r\nReferences: <earlier@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMeet at eight.\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Meet at eight.</p></body></html>\r\n--alt--\r\n";

pub(in crate::smime) fn at() -> UnixTime {
    UnixTime::parse_rfc3339("2026-12-20T12:00:00Z").unwrap()
}

fn opened(msg: &[u8], pins: &[Certificate], ids: &[&Identity]) -> Opened {
    let (policy, limits) = (Policy::standard(), Limits::default());
    open(msg, &OpenInput { roots: &[], pins, known: &[], identities: ids, passwords: &[], at: at(), policy: &policy, limits: &limits })
}

/// `msg` with its first field called `name` (the outer one, folded lines included) replaced by `line`.
fn replace_field(msg: &[u8], name: &str, line: &str) -> Vec<u8> {
    let text = String::from_utf8(msg.to_vec()).unwrap();
    let start = text.find(&format!("{name}:")).unwrap();
    let mut end = start + text[start..].find("\r\n").unwrap() + 2;
    while text[end..].starts_with(' ') || text[end..].starts_with('\t') {
        end += text[end..].find("\r\n").unwrap() + 2;
    }
    format!("{}{line}\r\n{}", &text[..start], &text[end..]).into_bytes()
}

/// `msg` with the first occurrence of `from` (in the outer header section) replaced.
fn replace_first(msg: &[u8], from: &str, to: &str) -> Vec<u8> {
    String::from_utf8(msg.to_vec()).unwrap().replacen(from, to, 1).into_bytes()
}

#[test]
fn signed_mail_carries_its_headers_inside_and_reads_back_without_mismatch() {
    require_openssl();
    let dir = TempDir::new("hp-signed");
    let alice = identity(&dir, "alice", "alice@example.org");
    let signed = sign_message(MSG.as_bytes(), &alice, false, at(), &Limits::default(), &Policy::standard()).unwrap();
    let top = parse(&signed, &Limits::default()).unwrap();
    assert_eq!(top.header("Subject").as_deref(), Some("Grüße and the plan"), "signed-only mail keeps its Subject outside");
    let payload = &top.children()[0];
    assert_eq!(payload.content_type().param("hp"), Some("clear"));
    assert!(payload.content_type().is("multipart/alternative"));
    for name in ["From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References"] {
        assert_eq!(payload.header(name), top.header(name), "{name} inside is the one outside");
    }
    assert!(payload.raw_header("HP-Outer").is_none() && payload.raw_header("MIME-Version").is_none());
    let o = opened(&signed, std::slice::from_ref(&alice.certificate), &[]);
    assert_eq!(o.report.status, Status::Valid, "{:?}", o.report);
    let p = o.report.protected_headers.clone().unwrap();
    assert_eq!((p.mode.as_str(), p.signed, p.encrypted), ("clear", true, false));
    assert_eq!(p.subject.as_deref(), Some("Grüße and the plan"));
    assert_eq!(p.from.as_deref(), Some("Alice <alice@example.org>"));
    assert_eq!(p.to.as_deref(), Some("Bob <bob@example.net>"));
    assert_eq!(p.in_reply_to.as_deref(), Some("<earlier@example.net>"));
    assert!(p.mismatches.is_empty() && p.confidential.is_empty(), "{p:?}");
    assert!(o.report.diagnosis.is_empty());
    // No legacy display in signed-only mail.
    let view = crate::view::view(&o.content.unwrap(), &Limits::default()).unwrap();
    assert_eq!(view.parts[0].text.as_deref(), Some("Meet at eight."));
}

#[test]
fn encrypted_mail_hides_its_subject_outside_and_shows_it_inside() {
    require_openssl();
    let (_dir, alice, bob) = alice_and_bob("hp-encrypted");
    for sign in [true, false] {
        let options = EncryptOptions { sign, ..EncryptOptions::default() };
        let enc = encrypt_message(MSG.as_bytes(), std::slice::from_ref(&bob.certificate), Some(&alice), options, at(), &Limits::default(), &Policy::standard()).unwrap();
        let top = parse(&enc, &Limits::default()).unwrap();
        assert_eq!(top.header("Subject").as_deref(), Some("[...]"), "sign={sign}");
        assert!(!String::from_utf8_lossy(&enc).contains("plan"), "the Subject is nowhere in clear");
        assert_eq!(top.header("Message-ID").as_deref(), Some("<hp-1@example.org>"));
        assert_eq!(top.header("In-Reply-To").as_deref(), Some("<earlier@example.net>"), "threading stays");
        let o = opened(&enc, std::slice::from_ref(&alice.certificate), &[&bob]);
        assert_eq!(o.report.status, if sign { Status::Valid } else { Status::Unsigned }, "{:?}", o.report);
        let p = o.report.protected_headers.clone().unwrap();
        assert_eq!((p.mode.as_str(), p.signed, p.encrypted), ("cipher", sign, true));
        assert_eq!(p.subject.as_deref(), Some("Grüße and the plan"));
        assert_eq!(p.confidential, vec!["Subject".to_string()]);
        assert!(p.mismatches.is_empty(), "the [...] outside is what the sender recorded: {p:?}");
        let content = o.content.unwrap();
        let payload = parse(&content, &Limits::default()).unwrap();
        assert_eq!(payload.content_type().param("hp"), Some("cipher"));
        let record: Vec<String> = payload.headers().filter(|(n, _)| n.eq_ignore_ascii_case("HP-Outer")).map(|(_, v)| String::from_utf8_lossy(v).trim().to_string()).collect();
        assert!(record.contains(&"Subject: [...]".to_string()) && record.contains(&"From: Alice <alice@example.org>".to_string()), "{record:?}");
        // The legacy display is in the texts for other readers, and hidden by Cachet's view.
        let alt = payload.children();
        assert!(alt[0].text().unwrap().starts_with("Subject: Grüße and the plan\r\n\r\nMeet at eight."));
        assert!(alt[1].text().unwrap().contains("header-protection-legacy-display"));
        let view = crate::view::view(&content, &Limits::default()).unwrap();
        let texts: Vec<&str> = view.parts.iter().filter_map(|p| p.text.as_deref()).collect();
        assert_eq!(texts[0], "Meet at eight.");
        assert!(!texts[1].contains("legacy-display") && texts[1].contains("<p>Meet at eight.</p>"), "{texts:?}");
    }
}

#[test]
fn hostile_outer_from_never_gets_a_green_badge_and_the_signed_from_is_the_one_bound() {
    require_openssl();
    let dir = TempDir::new("hp-hostile");
    let mallory = identity(&dir, "mallory", "mallory@evil.example");
    let msg = MSG.replace("Alice <alice@example.org>", "Mallory <mallory@evil.example>");
    let signed = sign_message(msg.as_bytes(), &mallory, false, at(), &Limits::default(), &Policy::standard()).unwrap();
    let pins = [mallory.certificate.clone()];
    assert_eq!(opened(&signed, &pins, &[]).report.status, Status::Valid);
    // Mallory rewrites the outer From to Alice's: the mail program would list Alice.
    let forged = replace_first(&signed, "From: Mallory <mallory@evil.example>", "From: Alice <alice@example.org>");
    let r = opened(&forged, &pins, &[]).report;
    assert_eq!(r.status, Status::AddressMismatch, "{r:?}");
    let signer = &r.layers[0].signers[0];
    assert_eq!(signer.signature, crate::report::SignatureCheck::Good, "the signature itself is intact");
    let address = signer.address.as_ref().unwrap();
    assert_eq!(address.from.as_deref(), Some("mallory@evil.example"), "bound to the signed From");
    assert!(address.problem.as_deref().unwrap().contains("alice@example.org"), "{address:?}");
    let p = r.protected_headers.unwrap();
    assert_eq!(p.from.as_deref(), Some("Mallory <mallory@evil.example>"), "the reader shows the signed From");
    assert_eq!(p.mismatches, vec![crate::report::HeaderMismatch { name: "From".into(), inner: "Mallory <mallory@evil.example>".into(), outer: Some("Alice <alice@example.org>".into()) }]);
    assert!(r.diagnosis.iter().any(|d| d.id == "header-mismatch" && d.message.contains("Alice <alice@example.org>")));

    // Alice's own signed message replayed by Mallory under his address: still Alice's
    // signature and Alice's From inside, never valid under Mallory's outer From.
    let alice = identity(&dir, "alice", "alice@example.org");
    let signed = sign_message(MSG.as_bytes(), &alice, false, at(), &Limits::default(), &Policy::standard()).unwrap();
    let replayed = replace_first(&signed, "From: Alice <alice@example.org>", "From: Mallory <mallory@evil.example>");
    let r = opened(&replayed, std::slice::from_ref(&alice.certificate), &[]).report;
    assert_eq!(r.status, Status::AddressMismatch);
    assert_eq!(r.layers[0].signers[0].address.as_ref().unwrap().from.as_deref(), Some("alice@example.org"));

    // Other fields changed outside (the Subject, a display name): reported, the verdict unchanged.
    let renamed = replace_first(&replace_field(&signed, "Subject", "Subject: Pay the invoice"), "From: Alice <alice@example.org>", "From: \"Alice (CEO)\" <alice@example.org>");
    let r = opened(&renamed, std::slice::from_ref(&alice.certificate), &[]).report;
    assert_eq!(r.status, Status::Valid, "{r:?}");
    let p = r.protected_headers.unwrap();
    let names: Vec<&str> = p.mismatches.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, vec!["From", "Subject"]);
    assert_eq!(p.mismatches[1].outer.as_deref(), Some("Pay the invoice"));
    assert_eq!(p.subject.as_deref(), Some("Grüße and the plan"));
    assert_eq!(r.diagnosis.iter().filter(|d| d.id == "header-mismatch").count(), 2);
    // A field missing outside is a mismatch with no outer value.
    let dropped = replace_first(&signed, "Cc: carol@example.com\r\n", "");
    let p = opened(&dropped, std::slice::from_ref(&alice.certificate), &[]).report.protected_headers.unwrap();
    assert_eq!(p.mismatches, vec![crate::report::HeaderMismatch { name: "Cc".into(), inner: "carol@example.com".into(), outer: None }]);
}

#[test]
fn protected_fields_count_only_in_the_cryptographic_payload() {
    require_openssl();
    let dir = TempDir::new("hp-unprotected");
    let bob = identity(&dir, "bob", "bob@example.net");
    // A plain message claiming protection: nothing was peeled, nothing is reported.
    let plain = "From: <mallory@evil.example>\r\nSubject: hi\r\nContent-Type: text/plain; hp=\"clear\"\r\nFrom: <alice@example.org>\r\n\r\nhello\r\n";
    assert!(opened(plain.as_bytes(), &[], &[]).report.protected_headers.is_none());
    // A signed message forwarded inside an unsigned one: its protected fields are not the
    // forwarding message's, and are not reported as if they were.
    let signed = sign_message(MSG.replace("alice@example.org", "bob@example.net").as_bytes(), &bob, false, at(), &Limits::default(), &Policy::standard()).unwrap();
    let mut forward = b"From: <mallory@evil.example>\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"f\"\r\n\r\n--f\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n--f\r\nContent-Type: message/rfc822\r\n\r\n".to_vec();
    forward.extend_from_slice(&signed);
    forward.extend_from_slice(b"\r\n--f--\r\n");
    let r = opened(&forward, std::slice::from_ref(&bob.certificate), &[]).report;
    assert_eq!(r.status, Status::PartiallySigned, "{r:?}");
    assert!(r.protected_headers.is_none());
    // Encrypted without a signature: shown, never compared (anyone can encrypt to Bob).
    let enc = encrypt_message(MSG.as_bytes(), std::slice::from_ref(&bob.certificate), None, EncryptOptions::default(), at(), &Limits::default(), &Policy::standard()).unwrap();
    let changed = replace_first(&enc, "From: Alice <alice@example.org>", "From: <someone@else.example>");
    let r = opened(&changed, &[], &[&bob]).report;
    assert_eq!(r.status, Status::Unsigned);
    let p = r.protected_headers.unwrap();
    assert!(!p.signed && p.mismatches.is_empty() && r.diagnosis.is_empty());
    assert_eq!(p.from.as_deref(), Some("Alice <alice@example.org>"));
}

#[test]
fn protected_fields_decrypted_or_decompressed_below_a_signature_are_not_signed_ones() {
    require_openssl();
    let dir = TempDir::new("hp-below");
    let bob = identity(&dir, "bob", "bob@example.net");
    let mallory = identity(&dir, "mallory", "mallory@evil.example");
    let (policy, limits) = (Policy::standard(), Limits::default());
    // Alice's protected fields (From Alice) in a message encrypted to Bob, which Mallory signs
    // as a whole: Mallory's signature binds Mallory, and the fields under it were only encrypted.
    let enc = encrypt_message(MSG.as_bytes(), std::slice::from_ref(&bob.certificate), None, EncryptOptions::default(), at(), &limits, &policy).unwrap();
    let from_mallory = replace_first(&enc, "From: Alice <alice@example.org>", "From: Mallory <mallory@evil.example>");
    let wrapped = sign_message(&from_mallory, &mallory, false, at(), &limits, &policy).unwrap();
    let r = opened(&wrapped, std::slice::from_ref(&mallory.certificate), &[&bob]).report;
    assert_eq!(r.status, Status::Valid, "{r:?}");
    let p = r.protected_headers.clone().unwrap();
    assert_eq!(p.from.as_deref(), Some("Alice <alice@example.org>"));
    assert!(!p.signed && p.encrypted && p.mismatches.is_empty(), "not a signed From: {p:?}");
    assert!(r.diagnosis.iter().all(|d| d.id != "header-mismatch"), "{:?}", r.diagnosis);
    // Compressed under a signature (a CompressedData part, RFC 3274, in the signed part):
    // nothing binds the fields inside to the signer, nothing protects them.
    use crate::asn1::der::tlv;
    use crate::oid::{OID_COMPRESSED_DATA, OID_DATA, OID_ZLIB_COMPRESS};
    let zlib = miniz_oxide::deflate::compress_to_vec_zlib(MSG.as_bytes(), 6);
    let eci = tlv(0x30, &[tlv(0x06, OID_DATA.as_bytes()), tlv(0xa0, &tlv(0x04, &zlib))].concat());
    let data = tlv(0x30, &[tlv(0x02, &[0]), tlv(0x30, &tlv(0x06, OID_ZLIB_COMPRESS.as_bytes())), eci].concat());
    let info = tlv(0x30, &[tlv(0x06, OID_COMPRESSED_DATA.as_bytes()), tlv(0xa0, &data)].concat());
    let compressed = [
        &b"From: Mallory <mallory@evil.example>\r\nTo: Bob <bob@example.net>\r\nSubject: plain\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=compressed-data; name=smime.p7z\r\nContent-Transfer-Encoding: base64\r\n\r\n"[..],
        crate::mime::base64_lines(&info).as_bytes(),
        b"\r\n",
    ]
    .concat();
    let signed = sign_message(&compressed, &mallory, false, at(), &limits, &policy).unwrap();
    let o = opened(&signed, std::slice::from_ref(&mallory.certificate), &[]);
    assert_eq!(o.report.status, Status::Valid, "{:?}", o.report);
    assert!(o.content.as_deref().is_some_and(|c| c.starts_with(b"From: Alice")), "decompressed");
    assert!(o.report.protected_headers.is_none(), "{:?}", o.report.protected_headers);
    assert!(o.report.diagnosis.iter().all(|d| d.id != "header-mismatch"), "{:?}", o.report.diagnosis);
}

#[test]
fn a_hostile_protected_section_is_read_in_linear_time_and_a_too_large_one_is_ignored() {
    require_openssl();
    use crate::cms::recipients::KeyTransport;
    use crate::crypto::cipher::{ContentCipher, RustCrypto};
    let dir = TempDir::new("hp-hostile-size");
    let bob = identity(&dir, "bob", "bob@example.net");
    let wrap = |content: &[u8]| {
        let der = crate::cms::envelope::encrypt(content, &[(&bob.certificate, KeyTransport::Pkcs1v15)], ContentCipher::Aes256Gcm, &RustCrypto).unwrap();
        let mut m = b"From: <alice@example.org>\r\nSubject: [...]\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=authEnveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
        crate::mime::push_base64_lines(&mut m, &der);
        m
    };
    // Thousands of fields and records, within the header limit: read, bounded, never compared (no signature).
    let mut content = String::from("Content-Type: text/plain; hp=\"cipher\"\r\n");
    for i in 0..3000 {
        content.push_str(&format!("HP-Outer: To: x{i}@example.net\r\nTo: y{i}@example.net\r\nHP-Outer: :\r\n"));
    }
    content.push_str("Subject: the real one\r\n\r\nhi\r\n");
    assert!(content.len() < Limits::default().max_header_size);
    let started = std::time::Instant::now();
    let r = opened(&wrap(content.as_bytes()), &[], &[&bob]).report;
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
    let p = r.protected_headers.unwrap();
    assert_eq!(p.subject.as_deref(), Some("the real one"));
    assert!(p.to.unwrap().contains("y2999@example.net"));
    assert!(p.mismatches.is_empty());
    // A header section beyond the limit: its fields are not read as protected, and the limit is reported.
    let mut huge = String::from("Content-Type: text/plain; hp=\"cipher\"\r\n");
    while huge.len() <= Limits::default().max_header_size {
        huge.push_str("Subject: padding padding padding padding padding padding\r\n");
    }
    huge.push_str("\r\nhi\r\n");
    let o = opened(&wrap(huge.as_bytes()), &[], &[&bob]);
    assert!(o.report.protected_headers.is_none());
    assert_eq!(o.report.error.map(|e| e.code), Some(crate::error::Code::LimitExceeded), "the limit is named, as for any oversized header");
}

/// The user's own message over a limit is refused in words for its writer (the parser's own
/// wording asks the sender of received mail for a simpler message), signed or only encrypted.
#[test]
fn an_outgoing_message_over_a_limit_is_refused_as_the_users_own() {
    require_openssl();
    let dir = TempDir::new("hp-outgoing-limit");
    let alice = identity(&dir, "alice", "alice@example.org");
    let small = Limits { max_message_size: 200, ..Limits::default() };
    let policy = Policy::standard();
    let signing = sign_message(MSG.as_bytes(), &alice, false, at(), &small, &policy).unwrap_err();
    let only_encrypting = encrypt_message(MSG.as_bytes(), &[alice.encryption_certificate().clone()], None, EncryptOptions::default(), at(), &small, &policy).unwrap_err();
    for e in [signing, only_encrypting] {
        assert_eq!(e.code, crate::error::Code::LimitExceeded);
        assert!(e.message.starts_with("Your message is too large"), "{e:?}");
        assert!(!e.hint.contains("sender"), "{e:?}");
        assert!(e.detail.as_deref().is_some_and(|d| d.contains("max_message_size")), "{e:?}");
    }
}

/// Signing before encrypting builds the entity to encrypt around the signed entity's own
/// buffer (`clear_signed_entity`); it must be, byte for byte, what the entity of the signed
/// message is (`sign_message_with` then `entity_of`), boundaries aside (fresh random bits
/// each time; RSA PKCS#1 v1.5 signatures are deterministic).
#[test]
fn the_entity_signed_before_encrypting_is_that_of_the_signed_message() {
    use super::super::encrypt::{clear_signed_entity, entity_of};
    use crate::mime::protect::Protection;
    require_openssl();
    let dir = TempDir::new("hp-signed-entity");
    let alice = identity(&dir, "alice", "alice@example.org");
    let (policy, limits) = (Policy::standard(), Limits::default());
    let boundary = |entity: &[u8]| {
        let text = String::from_utf8_lossy(entity).into_owned();
        let start = text.find("boundary=\"").unwrap() + "boundary=\"".len();
        text[start..start + text[start..].find('"').unwrap()].to_string()
    };
    let mut large = "From: <alice@example.org>\r\nTo: <bob@example.net>\r\nSubject: large\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n".to_string();
    for n in 0..40_000 {
        large.push_str(&format!("line {n:06} of plain text\r\n"));
    }
    let eight_bit = MSG.replace("Meet at eight.", "Treffen um acht, grüße").replace("\r\n", "\n");
    for (kind, msg) in [("alternative", MSG.to_string()), ("large 7-bit", large), ("8-bit with LF line breaks", eight_bit)] {
        let signed = super::super::sign::sign_message_with(msg.as_bytes(), &alice, false, at(), &limits, &policy, Protection::Cipher).unwrap();
        let (outer_then, entity_then) = entity_of(&signed, &limits).unwrap();
        let (outer, entity) = clear_signed_entity(msg.as_bytes(), &alice, at(), &limits, &policy).unwrap();
        assert_eq!(outer, outer_then, "{kind}: the outside");
        let (b, b_then) = (boundary(&entity), boundary(&entity_then));
        assert_eq!(b.len(), b_then.len(), "{kind}");
        let entity_then = String::from_utf8(entity_then).unwrap().replace(&b_then, &b);
        assert!(String::from_utf8(entity).unwrap() == entity_then, "{kind}: the same entity");
        assert!(entity_then.contains("hp=\"cipher\""), "{kind}: protected for encryption");
    }
}

/// The Wasm build's encryption makes the entity to encrypt in the message's own buffer
/// (`entity_of_owned`); it must be, byte for byte, the entity made in a buffer of its own
/// (`entity_of`), for every shape of message, and for a large one it must stay in that buffer.
#[test]
fn the_entity_made_in_the_messages_own_buffer_is_the_entity_of_the_message() {
    use super::super::encrypt::{entity_of, entity_of_owned};
    let limits = Limits::default();
    let head = "From: <alice@example.org>\r\nTo: <bob@example.net>\r\nSubject: the files\r\nMIME-Version: 1.0\r\n";
    let mut attachment = String::new();
    for n in 0..20_000 {
        attachment.push_str(&format!("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx{:04}\r\n", n % 10_000));
    }
    let mixed = format!("{head}Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\npreamble\r\n--m\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThe files are attached.\r\n--m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"a.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{attachment}--m--\r\nepilogue\r\n");
    let nested = format!("{head}Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\n{}\r\n--m\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"notes.txt\"\r\n\r\nnot the main text\r\n--m--\r\n", &MSG[MSG.find("Content-Type: multipart/alternative").unwrap()..MSG.len() - 2]);
    let eight_bit = MSG.replace("Meet at eight.", "Treffen um acht, grüße");
    let single = format!("{head}Content-Type: text/plain; charset=us-ascii\r\n\r\nOne part only.\r\n");
    let unsubjected = mixed.replace("Subject: the files\r\n", "");
    let signed = format!("{head}Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"s\"\r\n\r\n--s\r\nContent-Type: text/plain\r\n\r\nsigned\r\n--s\r\nContent-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--s--\r\n");
    let html = format!("{head}Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Hi</p></body></html>\r\n--m\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--m--\r\n");
    let cases = [("alternative", MSG.to_string(), false), ("mixed, large", mixed, true), ("nested", nested, false), ("8-bit text", eight_bit, false), ("single part", single, false), ("no subject", unsubjected, true), ("signed already", signed, false), ("html", html, false)];
    for (kind, msg, stays) in cases {
        let (outer_then, entity_then) = entity_of(msg.as_bytes(), &limits).unwrap();
        let mut buf = Vec::with_capacity(msg.len() + 64 * 1024);
        buf.extend_from_slice(msg.as_bytes());
        let place = buf.as_ptr();
        let (outer, entity) = entity_of_owned(buf, &limits).unwrap();
        assert_eq!(outer, outer_then, "{kind}: the outside");
        assert!(entity == entity_then, "{kind}: the same entity ({} against {} bytes)", entity.len(), entity_then.len());
        assert!(entity.capacity() >= entity.len() + 16, "{kind}: room for the CBC padding");
        if stays {
            assert_eq!(entity.as_ptr(), place, "{kind}: made in the message's own buffer");
        }
    }
}

#[test]
fn a_message_signed_for_sending_in_clear_then_encrypted_shows_no_subject_outside() {
    require_openssl();
    let (_dir, alice, bob) = alice_and_bob("hp-sign-then-encrypt");
    let (policy, limits) = (Policy::standard(), Limits::default());
    // Signed as for sending signed only (`cachet sign`), then encrypted (`cachet encrypt`).
    for opaque in [false, true] {
        let signed = sign_message(MSG.as_bytes(), &alice, opaque, at(), &limits, &policy).unwrap();
        let enc = encrypt_message(&signed, std::slice::from_ref(&bob.certificate), None, EncryptOptions { sign: false, ..EncryptOptions::default() }, at(), &limits, &policy).unwrap();
        let top = parse(&enc, &limits).unwrap();
        assert_eq!(top.header("Subject").as_deref(), Some("[...]"), "opaque {opaque}");
        assert!(!String::from_utf8_lossy(&enc).contains("plan"), "the Subject is nowhere in clear (opaque {opaque})");
        let o = opened(&enc, std::slice::from_ref(&alice.certificate), &[&bob]);
        assert_eq!(o.report.status, Status::Valid, "{:?}", o.report);
    }
}

/// Decrypted content is known to be in CRLF form (checked, or put in that form, where it is
/// decrypted), so a multipart/signed inside it is verified without a second scan of its
/// signed part; nothing else peeled is assumed canonical. Both ways a clear-signed message
/// that travelled with bare LF line breaks inside another layer (openssl's `-binary` keeps
/// them) still verifies: encrypted (its content put in CRLF form when decrypted) and inside
/// an opaque signature (whose content is not, and must be read as received).
#[test]
fn a_signed_message_with_bare_line_feeds_inside_another_layer_verifies() {
    require_openssl();
    let (dir, alice, bob) = alice_and_bob("hp-lf-inside");
    let signed = sign_message(MSG.as_bytes(), &alice, false, at(), &Limits::default(), &Policy::standard()).unwrap();
    let lf = String::from_utf8(signed).unwrap().replace("\r\n", "\n");
    std::fs::write(dir.path("lf.eml"), &lf).unwrap();
    dir.openssl(&["cms", "-encrypt", "-binary", "-aes256", "-in", "lf.eml", "-out", "enc.eml", "bob.pem"]);
    dir.openssl(&["cms", "-sign", "-nodetach", "-binary", "-in", "lf.eml", "-signer", "bob.pem", "-inkey", "bob.key", "-out", "opaque.eml"]);
    let pins = [alice.certificate.clone(), bob.certificate.clone()];
    let enc = opened(&std::fs::read(dir.path("enc.eml")).unwrap(), &pins, &[&bob]);
    assert_eq!(enc.report.status, Status::Valid, "encrypted: {:?}", enc.report);
    let statuses: Vec<Status> = enc.report.layers.iter().map(|l| l.status).collect();
    assert_eq!(statuses, [Status::Decrypted, Status::Valid]);
    let opaque = opened(&std::fs::read(dir.path("opaque.eml")).unwrap(), &pins, &[]);
    // openssl's opaque message has no From, so its own layer is an address mismatch; the
    // signature inside is what this is about.
    let statuses: Vec<Status> = opaque.report.layers.iter().map(|l| l.status).collect();
    assert_eq!(statuses, [Status::AddressMismatch, Status::Valid], "opaque: {:?}", opaque.report.layers);
}
