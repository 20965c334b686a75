//! A message whose body was decoded over its own buffer ([`decode_top_in_place`], how the Wasm
//! build's `openAsync` receives an encrypted or opaque-signed message) opens to exactly the
//! report and content of the message as received: runs of `open` on its header section, the
//! body and the line-break verdict given by the seam, every request answered by the core and
//! decrypted plaintext written over its ciphertext, as the Wasm build does with WebCrypto's.
//! Where nothing is peeled (a certificate bundle) the content is the message itself, which the
//! caller takes from the message as received. The same holds for [`open_decoded`], the core's
//! own runs with each decryption done over its ciphertext (how the CLI opens a message file).
use super::super::protected::tests::{alice_and_bob, at, identity, MSG};
use super::super::{encrypt_message, open, open_decoded, open_with_borrowed, sign_message, EncryptOptions, OpenInput, Opened};
use super::{decode_top_in_place, TopDecode};
use crate::cms::bulk::{compute_portable_with, Answer, Bulk, Deferred};
use crate::mime::{LineBreaks, Limits};
use crate::pkcs12::Identity;
use crate::policy::Policy;
use crate::report::Status;
use cachet_testkit::{require_openssl, TempDir};
use x509_cert::Certificate;

/// Runs of `open` on `head` until one is complete, as the Wasm build's driver makes them.
fn opened_decoded(head: &[u8], body: Vec<u8>, breaks: LineBreaks, input: &OpenInput<'_>) -> Opened {
    let deferred = Deferred::for_decoded_top(head, body, breaks);
    for _ in 0..16 {
        deferred.begin_run();
        let opened: Opened = open_with_borrowed(head, input, &deferred).into();
        let mut again = deferred.incomplete();
        for (seq, request) in deferred.take_requests() {
            match compute_portable_with(&request, input.identities).unwrap() {
                Answer::Decrypted(pt) => {
                    again = true;
                    deferred.answer_decrypted(seq, request, pt.len(), &|dst| dst.copy_from_slice(&pt[..dst.len()]));
                }
                answer => again |= !deferred.answer(seq, &request, answer),
            }
        }
        if !again {
            return opened;
        }
    }
    panic!("no complete run");
}

fn json(o: &Opened) -> String {
    serde_json::to_string(&o.report).unwrap()
}

/// [`open_decoded`] of `msg` decoded in place (the CLI's way), against `want`: the same report
/// and content; the message as received read again only when nothing was peeled.
fn same_in_the_core(name: &str, msg: &[u8], input: &OpenInput<'_>, want: &Opened) {
    let TopDecode::Decoded(d) = decode_top_in_place(msg.to_vec(), input.limits) else { panic!("{name}: decoded") };
    let read_again = std::cell::Cell::new(false);
    let got = open_decoded(d, input, || {
        read_again.set(true);
        Ok::<_, ()>(msg.to_vec())
    })
    .unwrap();
    assert_eq!(read_again.get(), want.content.as_deref() == Some(msg), "{name}: read again exactly when nothing was peeled");
    let got: Opened = got.into();
    assert_eq!(json(&got), json(want), "{name}: the report in the core");
    assert_eq!(got.content, want.content, "{name}: the content in the core");
}

/// Opens `msg` both ways; the way it went in place.
fn same_both_ways(name: &str, msg: &[u8], pins: &[Certificate], ids: &[&Identity]) -> &'static str {
    let (policy, limits) = (Policy::standard(), Limits::default());
    let input = OpenInput { roots: &[], pins, known: &[], identities: ids, passwords: &[], at: at(), policy: &policy, limits: &limits };
    let want = open(msg, &input);
    match decode_top_in_place(msg.to_vec(), &limits) {
        TopDecode::Decoded(d) => {
            // Told by the decoder for the body and scanned for the header section only.
            assert_eq!(d.line_breaks, super::line_breaks(msg, &[]), "{name}: the line breaks of the message as received");
            same_in_the_core(name, msg, &input, &want);
            let top = crate::mime::parse(msg, &limits).unwrap();
            assert_eq!(d.body, crate::mime::decode_base64(top.body_raw()).unwrap(), "{name}: the DER of the body");
            assert!(crate::mime::is_canonical(&d.head) && d.head.ends_with(b"\r\n\r\n"), "{name}: a header section in CRLF form");
            let head = d.head.clone();
            let got = opened_decoded(&d.head, d.body, d.line_breaks, &input);
            assert_eq!(json(&got), json(&want), "{name}: the report");
            if got.content.as_deref() == Some(&head[..]) {
                // Nothing peeled: the content is the message itself, which the caller takes
                // from the message as received (see `decode_top_in_place`).
                assert_eq!(want.content.as_deref(), Some(msg), "{name}: the message itself");
                return "decoded, the message itself";
            }
            assert_eq!(got.content, want.content, "{name}: the content");
            "decoded"
        }
        TopDecode::Unchanged(m) => {
            assert_eq!(m, msg, "{name}: given back as it was");
            "unchanged"
        }
        TopDecode::Spoiled => "spoiled",
    }
}

fn status_as_received(msg: &[u8], pins: &[Certificate], id: &Identity) -> Status {
    let (policy, limits) = (Policy::standard(), Limits::default());
    open(msg, &OpenInput { roots: &[], pins, known: &[], identities: &[id], passwords: &[], at: at(), policy: &policy, limits: &limits }).report.status
}

#[test]
fn a_message_decoded_over_its_own_buffer_opens_as_received() {
    require_openssl();
    let (dir, alice, bob) = alice_and_bob("decoded-top");
    let (limits, policy) = (Limits::default(), Policy::standard());
    let pins = [alice.certificate.clone()];
    // Large enough that lines and blocks repeat (64 KiB blocks of base64).
    let big = MSG.replace("Meet at eight.", &"Meet at eight, by the river.\r\n".repeat(8000));
    for (text, size) in [(MSG.to_string(), "small"), (big, "large")] {
        let signed_and_encrypted = encrypt_message(text.as_bytes(), std::slice::from_ref(&bob.certificate), Some(&alice), EncryptOptions { sign: true, ..EncryptOptions::default() }, at(), &limits, &policy).unwrap();
        let encrypted = encrypt_message(text.as_bytes(), std::slice::from_ref(&bob.certificate), None, EncryptOptions { sign: false, ..EncryptOptions::default() }, at(), &limits, &policy).unwrap();
        let opaque = sign_message(text.as_bytes(), &alice, true, at(), &limits, &policy).unwrap();
        std::fs::write(dir.path("plain.eml"), &text).unwrap();
        dir.openssl(&["cms", "-encrypt", "-aes-256-gcm", "-in", "plain.eml", "-out", "gcm.eml", "bob.pem"]);
        dir.openssl(&["cms", "-sign", "-nodetach", "-from", "alice@example.org", "-md", "sha256", "-in", "plain.eml", "-signer", "alice.pem", "-inkey", "alice.key", "-out", "opaque-lf.eml"]);
        let lf = |m: &[u8]| String::from_utf8(m.to_vec()).unwrap().replace("\r\n", "\n").into_bytes();
        // One header line ended by a bare LF: a repair is reported for the whole message.
        let mixed = String::from_utf8(signed_and_encrypted.clone()).unwrap().replacen("\r\n", "\n", 1).into_bytes();
        let cases: Vec<(&str, Vec<u8>, Status)> = vec![
            ("signed and encrypted", signed_and_encrypted.clone(), Status::Valid),
            ("signed and encrypted, LF", lf(&signed_and_encrypted), Status::Valid),
            ("signed and encrypted, mixed line breaks", mixed, Status::Valid),
            ("encrypted", encrypted.clone(), Status::Unsigned),
            ("encrypted by openssl, GCM, LF", dir.read("gcm.eml"), Status::Unsigned),
            ("opaque-signed", opaque, Status::Valid),
            ("opaque-signed by openssl, LF", dir.read("opaque-lf.eml"), Status::Valid),
        ];
        for (name, msg, status) in cases {
            let name = format!("{name} ({size})");
            assert_eq!(same_both_ways(&name, &msg, &pins, &[&bob]), "decoded", "{name}");
            assert_eq!(status_as_received(&msg, &pins, &bob), status, "{name}");
            if size == "large" && !name.starts_with("opaque") {
                // Past the few kilobytes decrypted in the run: decrypted over its ciphertext by
                // the core's runs, not into a buffer of its own.
                let input = OpenInput { roots: &[], pins: &pins, known: &[], identities: &[&bob], passwords: &[], at: at(), policy: &policy, limits: &limits };
                let TopDecode::Decoded(d) = decode_top_in_place(msg.clone(), &limits) else { panic!("{name}") };
                let got = open_decoded(d, &input, || Err(())).unwrap();
                assert!(matches!(got.content, Some(crate::smime::Content::InBody(_))), "{name}: decrypted over its ciphertext");
            }
        }
        // Without the key: no-key both ways, with the same diagnosis.
        assert_eq!(same_both_ways(&format!("encrypted to someone else ({size})"), &encrypted, &pins, &[&alice]), "decoded");
        // Tampered ciphertext (a byte of the base64 body changed): the same verdict both ways.
        let mut tampered = encrypted.clone();
        let at_byte = tampered.len() - 200;
        tampered[at_byte] = if tampered[at_byte] == b'A' { b'B' } else { b'A' };
        assert_eq!(same_both_ways(&format!("tampered ({size})"), &tampered, &pins, &[&bob]), "decoded");
    }
    // A certificate bundle (certs-only): nothing is peeled, so the content is the message.
    dir.openssl(&["crl2pkcs7", "-nocrl", "-certfile", "alice.pem", "-outform", "DER", "-out", "certs.p7c"]);
    let bundle = [
        &b"From: Alice <alice@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=certs-only; name=smime.p7c\r\nContent-Transfer-Encoding: base64\r\n\r\n"[..],
        crate::mime::base64_lines(&dir.read("certs.p7c")).as_bytes(),
    ]
    .concat();
    assert_eq!(same_both_ways("certificate bundle", &bundle, &pins, &[&bob]), "decoded, the message itself");
    // A clear-signed message (multipart) is not such a message, and is given back as it was.
    let clear = sign_message(MSG.as_bytes(), &alice, false, at(), &limits, &policy).unwrap();
    assert_eq!(same_both_ways("clear-signed", &clear, &pins, &[&bob]), "unchanged");
    // Base64 lines not of the common shape (a line of six characters, not whole groups, at the
    // start of the body): the buffer is given up, and the message, opened as received, still
    // opens (lenient base64: the groups run on across the line break).
    let encrypted = encrypt_message(MSG.as_bytes(), std::slice::from_ref(&bob.certificate), None, EncryptOptions { sign: false, ..EncryptOptions::default() }, at(), &limits, &policy).unwrap();
    let text = String::from_utf8(encrypted).unwrap();
    let body = text.find("\r\n\r\n").unwrap() + 4;
    let short = format!("{}{}\r\n{}", &text[..body], &text[body..body + 6], &text[body + 6..]);
    assert_eq!(same_both_ways("a short line", short.as_bytes(), &pins, &[&bob]), "spoiled");
    assert_eq!(status_as_received(short.as_bytes(), &pins, &bob), Status::Unsigned, "decrypted as received");
}

/// Bob (in a folder of its own, kept while the test runs) and a message of `lines` more lines
/// encrypted to him by Cachet.
fn encrypted_to_bob(tag: &str, lines: usize) -> (TempDir, Identity, Vec<u8>) {
    require_openssl();
    let dir = TempDir::new(tag);
    let bob = identity(&dir, "bob", "bob@example.net");
    let text = MSG.replace("Meet at eight.", &"Meet at eight, by the river.\r\n".repeat(lines));
    let encrypted = encrypt_message(text.as_bytes(), std::slice::from_ref(&bob.certificate), None, EncryptOptions { sign: false, ..EncryptOptions::default() }, at(), &Limits::default(), &Policy::standard()).unwrap();
    (dir, bob, encrypted)
}

/// The line-break verdict of a decoded message (from the header section's scan and what the
/// decoder saw of the body) is that of scanning the message as received, for header sections
/// and bodies each in CRLF, LF or mixed form, empty lines after the body, a CR at its very end,
/// and a header section that does not end in LF (scanned whole); and the reports agree.
#[test]
fn the_line_breaks_of_a_decoded_message_are_those_of_the_message_as_received() {
    let (_dir, bob, encrypted) = encrypted_to_bob("decoded-top-breaks", 3000);
    let (limits, policy) = (Limits::default(), Policy::standard());
    let encrypted = String::from_utf8(encrypted).unwrap();
    let split = encrypted.find("\r\n\r\n").unwrap() + 4;
    let (head, body) = encrypted.split_at(split);
    let lf = |t: &str| t.replace("\r\n", "\n");
    // One line break in the middle made a bare LF.
    let one_lf = |t: &str| {
        let at = t[..t.len() / 2].rfind("\r\n").unwrap();
        format!("{}{}", &t[..at], &t[at + 1..])
    };
    let heads = [head.to_string(), lf(head), one_lf(head)];
    let bodies = [body.to_string(), lf(body), one_lf(body), format!("{body}\r\n\n"), format!("{}\r", body.trim_end()), format!("{}\n\r\n", lf(body).trim_end())];
    let mut seen = std::collections::BTreeSet::new();
    for (h, head) in heads.iter().enumerate() {
        for (b, body) in bodies.iter().enumerate() {
            let msg = format!("{head}{body}");
            let name = format!("head {h}, body {b}");
            assert_eq!(same_both_ways(&name, msg.as_bytes(), &[], &[&bob]), "decoded", "{name}");
            seen.insert(format!("{:?}", super::line_breaks(msg.as_bytes(), &[])));
        }
    }
    assert_eq!(seen.len(), 3, "every verdict is among them: {seen:?}");
    // The last header field ended by a bare CR right before the body: the parser reads on into
    // the base64 lines, so the header section it finds ends in the middle of the body, in LF,
    // and the decoded message still has the line breaks and report of the message as received.
    let cr_head = format!("{}\r{}", head.trim_end(), body);
    let TopDecode::Decoded(d) = decode_top_in_place(cr_head.as_bytes().to_vec(), &limits) else { panic!("a header field ended by CR: decoded") };
    assert_eq!(d.line_breaks, super::line_breaks(cr_head.as_bytes(), &[]), "a header field ended by CR");
    let input = OpenInput { roots: &[], pins: &[], known: &[], identities: &[&bob], passwords: &[], at: at(), policy: &policy, limits: &limits };
    same_in_the_core("a header field ended by CR", cr_head.as_bytes(), &input, &open(cr_head.as_bytes(), &input));
    // No body and no line break after the last header field: the header section ends in a
    // letter, so the whole message is scanned.
    let bare = head.trim_end().to_string();
    assert!(!bare.ends_with('\n'));
    let TopDecode::Decoded(d) = decode_top_in_place(bare.as_bytes().to_vec(), &limits) else { panic!("no body: decoded") };
    assert_eq!(d.line_breaks, super::line_breaks(bare.as_bytes(), &[]), "no body");
}

/// Messages changed at random (bytes of the header section and of the body replaced by line
/// breaks, white space, padding, a boundary dash, a NUL or a letter; the body cut short):
/// decoding in place never panics, and whatever it decodes opens as the message as received
/// does.
#[test]
fn changed_messages_decode_in_place_or_are_left_as_received() {
    let (_dir, bob, encrypted) = encrypted_to_bob("decoded-top-changed", 200);
    let mut rng = cachet_testkit::XorShift(0x5eed_cafe_f00d);
    let mut ways = std::collections::BTreeMap::<&str, usize>::new();
    for round in 0..120 {
        let mut msg = encrypted.clone();
        for _ in 0..1 + rng.next_u64() % 3 {
            let at = (rng.next_u64() % msg.len() as u64) as usize;
            msg[at] = [b'\n', b'\r', b' ', b'=', b'-', 0, b'A'][(rng.next_u64() % 7) as usize];
        }
        if round % 10 == 9 {
            let keep = msg.len() - (rng.next_u64() % 400) as usize;
            msg.truncate(keep);
        }
        *ways.entry(same_both_ways(&format!("changed message {round}"), &msg, &[], &[&bob])).or_default() += 1;
    }
    // Each way is taken by some of them.
    assert!(ways.get("decoded").copied().unwrap_or(0) >= 5 && ways.get("spoiled").copied().unwrap_or(0) >= 5, "{ways:?}");
}
