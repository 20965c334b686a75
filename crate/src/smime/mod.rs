//! The S/MIME operations over MIME and CMS (SPEC sections 1, 2, 3 and 8; RFC 8551):
//! `open` a message (peel every layer, verify each signature, decrypt, diagnose, read the
//! protected header fields of RFC 9788 in `protected`), `sign`
//! one and `encrypt` one (signing it first when asked).
//!
//! One-way inside too: `open` uses `signed` and `enveloped`, `signed` uses `enveloped` and
//! `diagnose`, all three the `content` they hand on; `encrypt` uses `sign`. This module only re-exports their public API.
pub mod choice;
pub mod content;
pub mod diagnose;
pub mod encrypt;
pub mod enveloped;
pub mod open;
mod protected;
pub mod sign;
pub mod signed;

pub use diagnose::{MAX_APPENDED, MAX_DIAGNOSIS_CANDIDATES};
pub use choice::{EncryptionChoice, RecipientChoice};
pub use encrypt::{clear_signed_entity, encrypt_message, encrypt_message_mime, encryption_choice, entity_of_clear_signed, prepare_encryption, prepare_encryption_of, prepare_encryption_owned, prepare_message_encryption, signing_needs_identity, EncryptOptions, EncryptPlan, OuterHeaders, Sealing, SignedFirst};
pub use enveloped::{layer_kind, open_enveloped, open_enveloped_with};
pub use content::Content;
pub use open::{decode_top_in_place, open, open_decoded, open_with, open_with_borrowed, parsed_form, stored_with_bare_line_breaks, DecodedTop, OpenInput, Opened, OpenedRef, TopDecode, MAX_FORWARD_DEPTH, MAX_LAYERS, MAX_RUNS};
pub use sign::{prepare_signing, prepare_signing_in_place, prepare_signing_pieces, prepare_signing_with, sign_message, sign_message_with, CheckedSignature, InPlaceSignPlan, PiecesSignPlan, PiecesSignedMessage, SignPlan, SignedMessage, SigningPhases};

#[cfg(test)]
mod tests {
    use super::open::stored_with_bare_line_breaks;
    use super::sign::is_seven_bit;
    use super::*;
    use crate::mime::Limits;
    use base64::Engine;
    use crate::policy::Policy;
    use crate::report::Status;
    use crate::time::UnixTime;
    use x509_cert::Certificate;
    use cachet_testkit::{require_openssl, TempDir};

    fn has_bare_lf(b: &[u8]) -> bool {
        b.iter().enumerate().any(|(i, c)| *c == b'\n' && (i == 0 || b.get(i - 1) != Some(&b'\r')))
    }

    /// A detached OpenSSL signature (DER) whose bytes include a bare 0x0A, its certificate.
    fn der_signature_with_lf(d: &TempDir, content: &[u8]) -> (Vec<u8>, Certificate) {
        d.write("content.txt", content);
        for _ in 0..20 {
            cachet_testkit::Key::Rsa2048.pooled(&d.path("k.pem"));
            d.openssl(&["req", "-x509", "-new", "-key", "k.pem", "-subj", "/CN=Binary", "-days", "3650", "-sha256", "-addext", "subjectAltName=email:binary@example.org", "-addext", "keyUsage=digitalSignature", "-addext", "basicConstraints=CA:FALSE", "-out", "c.pem"]);
            d.openssl(&["cms", "-sign", "-binary", "-md", "sha256", "-outform", "DER", "-in", "content.txt", "-signer", "c.pem", "-inkey", "k.pem", "-out", "s.der"]);
            let der = d.read("s.der");
            if has_bare_lf(&der) {
                return (der, crate::cert::facts::parse_certificates(&d.read("c.pem")).unwrap().remove(0));
            }
        }
        panic!("no signature with a 0x0A byte in 20 tries");
    }

    /// A compression bomb (RFC 3274 CompressedData, zlib of a few hundred KB that inflates
    /// past `MAX_DECOMPRESSED_SIZE`), made here: `malformed` naming the limit, no content.
    #[test]
    fn a_compression_bomb_is_a_named_limit() {
        use crate::asn1::der::tlv;
        use crate::cms::compressed::MAX_DECOMPRESSED_SIZE;
        let zeros = vec![0u8; MAX_DECOMPRESSED_SIZE + 1];
        let z = miniz_oxide::deflate::compress_to_vec_zlib(&zeros, 1);
        drop(zeros);
        assert!(z.len() < MAX_DECOMPRESSED_SIZE / 64, "{} bytes", z.len());
        let oid = |o: const_oid::ObjectIdentifier| tlv(0x06, o.as_bytes());
        let cd = tlv(0x30, &[tlv(0x02, &[0]), tlv(0x30, &oid(crate::oid::OID_ZLIB_COMPRESS)), tlv(0x30, &[oid(crate::oid::OID_DATA), tlv(0xa0, &tlv(0x04, &z))].concat())].concat());
        let der = tlv(0x30, &[oid(crate::oid::OID_COMPRESSED_DATA), tlv(0xa0, &cd)].concat());
        let mut msg = b"From: <a@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=compressed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
        msg.extend_from_slice(base64::engine::general_purpose::STANDARD.encode(&der).as_bytes());
        let (policy, limits) = (Policy::standard(), Limits::default());
        let input = OpenInput { roots: &[], pins: &[], known: &[], identities: &[], passwords: &[], at: UnixTime(1_900_000_000), policy: &policy, limits: &limits };
        let opened = open(&msg, &input);
        let r = opened.report;
        assert_eq!(r.status, Status::Malformed);
        assert!(opened.content.is_none());
        assert_eq!(r.error.as_ref().map(|e| e.code), Some(crate::error::Code::LimitExceeded));
        assert!(r.diagnosis.iter().any(|d| d.id == "limit-exceeded" && d.message.contains("MAX_DECOMPRESSED_SIZE")), "{:?}", r.diagnosis);
    }

    #[test]
    fn seven_bit_check_counts_lines_and_bytes() {
        let line = |n: usize| vec![b'a'; n];
        let join = |lines: &[Vec<u8>]| lines.join(&b"\r\n"[..]);
        // A line's length counts its CR (RFC 5322 2.1.1 allows 998 before CRLF; the check is on LF).
        assert!(is_seven_bit(&join(&[line(10), line(997), line(3)])));
        assert!(is_seven_bit(&join(&[line(997), line(997), line(997), line(998)])));
        assert!(!is_seven_bit(&join(&[line(10), line(998), line(3)])));
        assert!(!is_seven_bit(&join(&[line(997), line(999)])));
        assert!(is_seven_bit(&line(998)) && !is_seven_bit(&line(999)) && is_seven_bit(b""));
        let mut long = join(&vec![line(76); 5000]);
        assert!(is_seven_bit(&long));
        long.extend_from_slice(&line(1200));
        assert!(!is_seven_bit(&long));
        assert!(!is_seven_bit(b"abc\x00") && !is_seven_bit(b"caf\xc3\xa9") && is_seven_bit(b"\x7f\x01"));
        // Every wrong byte value at every offset of the eight-byte words the check reads.
        for len in [1usize, 7, 8, 9, 17, 40] {
            for at in 0..len {
                for bad in [0u8, 0x80, 0x81, 0xff] {
                    let mut text: Vec<u8> = (0..len).map(|i| [b'a', 0x7f, 0x01, b'\r', b'\n'][i % 5]).collect();
                    assert!(is_seven_bit(&text));
                    text[at] = bad;
                    assert!(!is_seven_bit(&text), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn binary_signature_part_in_a_crlf_message_is_not_rewritten() {
        require_openssl();
        let d = TempDir::new("smime-binary");
        let content = b"Content-Type: text/plain\r\n\r\nBinary transfer.\r\n";
        let (der, cert) = der_signature_with_lf(&d, content);
        let mut msg = b"From: <binary@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"b\"\r\n\r\n--b\r\n".to_vec();
        msg.extend_from_slice(content);
        msg.extend_from_slice(b"\r\n--b\r\nContent-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: binary\r\n\r\n");
        msg.extend_from_slice(&der);
        msg.extend_from_slice(b"\r\n--b--\r\n");
        let anchors = [cert];
        let (policy, limits) = (Policy::standard(), Limits::default());
        let input = OpenInput { roots: &[], pins: &anchors, known: &[], identities: &[], passwords: &[], at: UnixTime::parse_rfc3339("2027-01-01T00:00:00Z").unwrap(), policy: &policy, limits: &limits };
        let r = open(&msg, &input).report;
        assert_eq!(r.status, Status::Valid, "{:?} {:?}", r.error, r.layers.first().map(|l| (&l.details, l.signers.first().map(|s| &s.details))));
        // The same message stored with LF line breaks (a text-only copy, signature in base64) still verifies.
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        let lf = String::from_utf8(msg[..msg.len() - der.len() - b"\r\n--b--\r\n".len()].to_vec()).unwrap().replace("Encoding: binary", "Encoding: base64").replace("\r\n", "\n") + &b64 + "\n--b--\n";
        assert_eq!(open(lf.as_bytes(), &input).report.status, Status::Valid);
        assert!(stored_with_bare_line_breaks(b"From: a\nTo: b\r\n") && stored_with_bare_line_breaks(b"From: a\rTo: b") && !stored_with_bare_line_breaks(b"From: a\r\nX: \n"));
    }
}

