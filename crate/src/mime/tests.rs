//! Tests of the MIME module: parsing (line endings, headers, RFC 2047/2231,
//! nesting, exact signed ranges against OpenSSL on corpus messages), limits,
//! builders (round trip, 7-bit, line length) and robustness on garbage.

use super::*;
use crate::error::Code;
use std::process::Command;

fn p(bytes: &[u8]) -> Entity<'_> {
    parse(bytes, &Limits::default()).expect("parse")
}

fn nested_message(eol: &str) -> String {
    let m = "From: =?UTF-8?B?SsO8cmdlbg==?= <jurgen@example.org>\n\
To: bob@example.com\n\
subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= and\n\
\x20=?ISO-8859-1?Q?caf=E9?=\n\
MIME-Version: 1.0\n\
Content-Type: multipart/signed; protocol=\"application/x-pkcs7-signature\";\n\
\tmicalg=SHA-256; boundary=\"outer\"\n\
\n\
preamble --outer is not a delimiter\n\
--outer\n\
Content-Type: multipart/mixed; boundary=\"outer-mixed\"\n\
\n\
--outer-mixed\n\
Content-Type: multipart/alternative; boundary=alt\n\
\n\
--alt\n\
Content-Type: text/plain; charset=iso-8859-1\n\
Content-Transfer-Encoding: quoted-printable\n\
\n\
Caf=E9 soft=\n\
break\n\
--alt\n\
Content-Type: text/html; charset=utf-8\n\
Content-Transfer-Encoding: base64\n\
\n\
PHA+SMOpbGxvPC9wPg==\n\
--alt--\n\
--outer-mixed\n\
Content-Type: application/octet-stream\n\
Content-Disposition: attachment;\n\
\x20filename*0*=utf-8''r%C3%A9sum;\n\
\x20filename*1*=%C3%A9.pdf\n\
Content-Transfer-Encoding: base64\n\
\n\
AAECAwT/\n\
--outer-mixed--\n\
epilogue\n\
--outer \t\n\
Content-Type: application/pkcs7-signature; name=smime.p7s\n\
Content-Transfer-Encoding: base64\n\
\n\
MIIB\n\
--outer--\n\
trailing epilogue\n";
    m.replace('\n', eol)
}

fn check_nested(msg: &str, eol: &str) {
    let e = p(msg.as_bytes());
    assert_eq!(e.header("Subject").as_deref(), Some("Grüße and café"));
    assert_eq!(e.from_address().as_deref(), Some("jurgen@example.org"));
    assert_eq!(
        e.header("from").as_deref().map(|f| f.starts_with("Jürgen")),
        Some(true)
    );
    assert_eq!(
        e.smime_kind(),
        Some(SmimeKind::MultipartSigned {
            protocol: Some("application/x-pkcs7-signature".into()),
            micalg: Some("sha-256".into())
        })
    );
    assert_eq!(e.children().len(), 2);
    assert!(e.is_complete());
    let signed = e.signed_content().unwrap();
    let expected_start = msg.find("Content-Type: multipart/mixed").unwrap();
    let _ = eol;
    let mut expected_end = msg.find("--outer \t").unwrap() - 1;
    if msg.as_bytes()[expected_end - 1] == b'\r' {
        expected_end -= 1;
    }
    assert_eq!(signed, &msg.as_bytes()[expected_start..expected_end]);
    assert_eq!(e.children()[0].range(), expected_start..expected_end);
    assert_eq!(
        e.children()[1].smime_kind(),
        Some(SmimeKind::Pkcs7Signature)
    );
    assert_eq!(
        e.children()[1].body_decoded().unwrap(),
        vec![0x30, 0x82, 0x01]
    );
    let mixed = &e.children()[0];
    assert!(mixed.content_type().is("multipart/mixed"));
    assert_eq!(mixed.path(), &[0]);
    assert_eq!(mixed.children().len(), 2);
    let alt = &mixed.children()[0];
    assert_eq!(alt.depth(), 2);
    assert_eq!(alt.children()[0].text().as_deref(), Some("Café softbreak"));
    assert_eq!(alt.children()[1].text().as_deref(), Some("<p>Héllo</p>"));
    let att = &mixed.children()[1];
    assert_eq!(att.filename().as_deref(), Some("résumé.pdf"));
    assert_eq!(att.body_decoded().unwrap(), vec![0, 1, 2, 3, 4, 255]);
    assert_eq!(att.smime_kind(), None);
    assert_eq!(att.path(), &[0, 1]);
}

#[test]
fn nested_lf_crlf_and_mixed_line_endings() {
    check_nested(&nested_message("\n"), "\n");
    check_nested(&nested_message("\r\n"), "\r\n");
    let crlf = nested_message("\r\n");
    // Mixed: every other line break bare LF.
    let mut mixed = String::new();
    for (i, piece) in crlf.split("\r\n").enumerate() {
        if i > 0 {
            mixed.push_str(if i % 2 == 0 { "\r\n" } else { "\n" });
        }
        mixed.push_str(piece);
    }
    assert!(mixed.contains("\r\n") && mixed.contains("org>\nTo"));
    check_nested(&mixed, "\r\n");
}

#[test]
fn folded_lowercase_headers_and_raw_values() {
    let m = b"content-type: text/plain;\r\n\tcharset=\"ISO-8859-1\"\r\nX-Long: a\r\n b\r\n  c\r\n\r\nabc\xe9\r\n";
    let e = p(m);
    assert_eq!(e.content_type().param("charset"), Some("ISO-8859-1"));
    assert_eq!(e.raw_header("x-long"), Some(&b" a\r\n b\r\n  c"[..]));
    assert_eq!(e.header("X-LONG").as_deref(), Some("a b  c"));
    assert_eq!(e.text().as_deref(), Some("abcé\r\n"));
    assert_eq!(e.body_raw(), b"abc\xe9\r\n");
    assert_eq!(e.header_block(), &m[..m.len() - 8]);
    assert_eq!(e.headers().count(), 2);
}

#[test]
fn rfc2047_subjects() {
    for (raw, want) in [
        ("=?UTF-8?B?w6lkaXTDqQ==?=", "édité"),
        ("=?utf-8?q?=C3=A9dit=C3=A9_ok?=", "édité ok"),
        ("=?ISO-8859-1?Q?Andr=E9?= Pirard", "André Pirard"),
        ("=?iso-8859-1?b?QW5kcuk=?=", "André"),
        ("plain text", "plain text"),
    ] {
        let m = format!("Subject: {raw}\n\nbody");
        assert_eq!(
            p(m.as_bytes()).header("subject").as_deref(),
            Some(want),
            "{raw}"
        );
    }
}

#[test]
fn rfc2231_and_smime_names() {
    let m = b"Content-Type: application/octet-stream; name*=iso-8859-1'fr'caf%E9.p7m\n\n";
    let e = p(m);
    assert_eq!(e.filename().as_deref(), Some("café.p7m"));
    assert_eq!(
        e.smime_kind(),
        Some(SmimeKind::Pkcs7Mime {
            smime_type: None,
            name: Some("café.p7m".into())
        })
    );
    let m = b"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"SMIME.P7S\"\n\n";
    assert_eq!(p(m).smime_kind(), Some(SmimeKind::Pkcs7Signature));
    let m =
        b"Content-Type: application/x-pkcs7-mime; smime-type=Enveloped-Data; name=smime.p7m\n\n";
    assert_eq!(
        p(m).smime_kind(),
        Some(SmimeKind::Pkcs7Mime {
            smime_type: Some("enveloped-data".into()),
            name: Some("smime.p7m".into())
        })
    );
    let m = b"Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=b\n\n--b\n\nx\n--b--\n";
    assert_eq!(p(m).smime_kind(), None);
    // Bare entity without headers (as in a part of some signed messages).
    let e = p(b"This is the content.\n");
    assert_eq!(e.body_raw(), b"This is the content.\n");
    assert!(e.content_type().is("text/plain"));
}

#[test]
fn canonicalization() {
    assert_eq!(
        &*canonicalize_crlf(b"a\nb\r\nc\rd\r"),
        b"a\r\nb\r\nc\r\nd\r\n"
    );
    assert!(matches!(
        canonicalize_crlf(b"a\r\nb"),
        std::borrow::Cow::Borrowed(_)
    ));
    assert!(!is_canonical(b"a\n") && !is_canonical(b"a\r") && is_canonical(b"a\r\n"));
}

// ---------- limits ----------

fn limit_code(r: crate::error::Result<Entity<'_>>, name: &str) {
    let err = r.expect_err("limit must be exceeded");
    assert_eq!(err.code, Code::LimitExceeded);
    assert!(err.detail.unwrap_or_default().contains(name));
}

#[test]
fn limit_message_size() {
    let l = Limits {
        max_message_size: 100,
        ..Limits::default()
    };
    let m = vec![b'a'; 100];
    assert!(parse(&m, &l).is_ok());
    limit_code(parse(&[b'a'; 101], &l), "max_message_size");
    assert_eq!(Limits::default().max_message_size, 64 << 20);
}

fn nested(levels: usize) -> String {
    let mut m = String::from("Content-Type: text/plain\n\nleaf\n");
    for i in 0..levels {
        m = format!("Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n{m}--b{i}--\n");
    }
    m
}

#[test]
fn limit_depth() {
    let l = Limits {
        max_depth: 5,
        ..Limits::default()
    };
    let ok = nested(5);
    let e = parse(ok.as_bytes(), &l).unwrap();
    let mut leaf = &e;
    while let Some(c) = leaf.children().first() {
        leaf = c;
    }
    assert_eq!(leaf.depth(), 5);
    assert_eq!(leaf.text().as_deref(), Some("leaf"));
    limit_code(parse(nested(6).as_bytes(), &l), "max_depth");
    assert!(parse(nested(32).as_bytes(), &Limits::default()).is_ok());
    limit_code(
        parse(nested(33).as_bytes(), &Limits::default()),
        "max_depth",
    );
}

fn many_parts(n: usize) -> String {
    let mut m = String::from("Content-Type: multipart/mixed; boundary=b\n\n");
    for _ in 0..n {
        m.push_str("--b\n\nx\n");
    }
    m.push_str("--b--\n");
    m
}

#[test]
fn limit_parts() {
    let l = Limits {
        max_parts: 10,
        ..Limits::default()
    };
    let nine = many_parts(9);
    let e = parse(nine.as_bytes(), &l).unwrap(); // 9 parts + the multipart = 10
    assert_eq!(e.children().len(), 9);
    limit_code(parse(many_parts(10).as_bytes(), &l), "max_parts");
}

#[test]
fn limit_header_size_and_line() {
    let l = Limits {
        max_header_size: 100,
        max_header_line: 60,
        ..Limits::default()
    };
    // Header block of exactly 100 bytes: two lines of 48 + LF and one "X: a" line... built exactly.
    let line = |n: usize| format!("X: {}\n", "a".repeat(n - 4)); // n bytes including LF
    let block = format!("{}{}", line(50), line(50));
    assert_eq!(block.len(), 100);
    let m = format!("{block}\nbody");
    assert_eq!(parse(m.as_bytes(), &l).unwrap().body_raw(), b"body");
    let m = format!("{}{}\nbody", line(50), line(51));
    limit_code(parse(m.as_bytes(), &l), "max_header_size");
    // Single line exactly 60 bytes (without LF), then 61.
    let m = format!("{}\nbody", line(61));
    assert!(parse(m.as_bytes(), &l).is_ok());
    let m = format!("{}\nbody", line(62));
    limit_code(parse(m.as_bytes(), &l), "max_header_line");
    // The limit also applies to part headers.
    let m = format!(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\n{}\nx\n--b--\n",
        line(62)
    );
    limit_code(parse(m.as_bytes(), &l), "max_header_line");
}

// ---------- robustness ----------

use cachet_testkit::XorShift;

fn exercise(e: &Entity<'_>) {
    let _ = (
        e.raw(),
        e.body_raw(),
        e.content_type(),
        e.smime_kind(),
        e.filename(),
        e.from_address(),
    );
    let _ = (
        e.body_decoded(),
        e.text(),
        e.header("subject"),
        e.signed_content(),
        e.is_complete(),
    );
    for c in e.children() {
        exercise(c);
    }
}

#[test]
fn garbage_never_panics() {
    let l = Limits {
        max_header_size: 4096,
        max_header_line: 1024,
        ..Limits::default()
    };
    let base = nested_message("\r\n");
    // Every truncation of a valid nested message.
    for cut in 0..=base.len() {
        if let Ok(e) = parse(&base.as_bytes()[..cut], &l) {
            exercise(&e);
        }
    }
    // Random bytes, and random mutations of the message, from a fixed seed.
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let alphabet = b"-\r\n:;=?\"' \tabcB=Q%*boundary";
    for round in 0..3000 {
        let mut data: Vec<u8> = if round % 2 == 0 {
            (0..(rng.next_u64() % 400))
                .map(|_| alphabet[(rng.next_u64() % alphabet.len() as u64) as usize])
                .collect()
        } else {
            base.as_bytes().to_vec()
        };
        for _ in 0..(rng.next_u64() % 8) {
            if data.is_empty() {
                break;
            }
            let i = (rng.next_u64() % data.len() as u64) as usize;
            data[i] = rng.next_u64() as u8;
        }
        if let Ok(e) = parse(&data, &l) {
            exercise(&e);
        }
    }
    // Specific shapes.
    let shapes: Vec<Vec<u8>> = vec![
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nunterminated".to_vec(),
        b"Content-Type: multipart/signed\n\n--b\n\nx\n--b--\n".to_vec(),
        b"Content-Type: multipart/mixed; boundary=\"\"\n\n----\n".to_vec(),
        b"Content-Type: multipart/mixed; boundary=b\n\n--b--\n--b\n".to_vec(),
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n--b\n".to_vec(),
        b"Content-Transfer-Encoding: base64\n\n!!!!".to_vec(),
        b"Content-Transfer-Encoding: quoted-printable\n\n=ZZ=".to_vec(),
        b"Content-Transfer-Encoding: x-uuencode\n\nbegin".to_vec(),
        b"Subject: =?UTF-8?B?@@@?= =?x?Q?\n\n".to_vec(),
        b"From: <<<@>>>, \"unterminated\n\n".to_vec(),
        b"\n\n\n".to_vec(),
        b":\n \n\t\n".to_vec(),
        vec![0xff; 2000],
        format!("X: {}\n\n", "a".repeat(100_000)).into_bytes(),
        format!("{}\n\n", "X: a\n".repeat(10_000)).into_bytes(),
    ];
    for s in &shapes {
        if let Ok(e) = parse(s, &l) {
            exercise(&e);
        }
    }
    let unterminated = parse(&shapes[0], &l).unwrap();
    assert!(!unterminated.is_complete());
    assert_eq!(
        unterminated.children()[0].text().as_deref(),
        Some("unterminated")
    );
    assert!(parse(&shapes[5], &l).unwrap().body_decoded().is_err());
    assert_eq!(
        parse(&shapes[6], &l).unwrap().body_decoded().unwrap(),
        b"=ZZ"
    ); // final "=" is a soft break
    assert!(parse(&shapes[7], &l).unwrap().body_decoded().is_err());
    let qp = parse(
        b"Content-Transfer-Encoding: quoted-printable\n\na=3Db =\nc 1=2 \t\r\nd=\r\n",
        &l,
    )
    .unwrap();
    assert_eq!(qp.body_decoded().unwrap(), b"a=b c 1=2\r\nd");
    assert_eq!(parse(&shapes[3], &l).unwrap().children().len(), 0);
    assert_eq!(parse(&shapes[4], &l).unwrap().children().len(), 3);
    limit_code(parse(&shapes[13], &l), "max_header_line");
    limit_code(parse(&shapes[14], &l), "max_header_size");
}

// ---------- builders ----------

fn assert_7bit_short_lines(m: &[u8]) {
    assert!(m.iter().all(|&c| c < 0x80), "8-bit byte");
    assert!(is_canonical(m), "not CRLF");
    for line in m.split(|&c| c == b'\n') {
        assert!(line.len() <= 999, "line too long: {}", line.len());
    }
}

#[test]
fn build_round_trip() {
    let text = "Grüße aus Köln — ✓\nFrom here.\n.\ntrailing space \nequals = sign and a very long line that goes on and on beyond seventy-six characters without end, really\n";
    let html = "<p>Grüße ✓</p>";
    let blob: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let atts = vec![
        Attachment {
            filename: "données très longues à encoder avec RFC 2231 — fichier.bin".into(),
            content_type: "application/octet-stream".into(),
            data: blob.clone(),
        },
        Attachment {
            filename: "a\"b.txt".into(),
            content_type: "text/plain; charset=utf-8".into(),
            data: b"hi\n".to_vec(),
        },
        Attachment {
            filename: "x".into(),
            content_type: "bad type\r\nX: y".into(),
            data: vec![],
        },
    ];
    let body = build_body(text, Some(html), &atts);
    assert_7bit_short_lines(&body);
    let headers: Vec<(String, String)> = vec![
        ("From".into(), "Jürgen Müller <jurgen@example.org>".into()),
        ("To".into(), "bob@example.com, \"Smith, Ann\" <ann@example.com>, Zoë <zoe@example.net>".into()),
        ("Subject".into(), "Réunion — ordre du jour très long qui dépasse largement la longueur d'une ligne normale".into()),
        ("Date".into(), "Mon, 26 Jan 2026 14:38:03 +0000".into()),
        ("Message-ID".into(), "<abc@example.org>".into()),
        ("Content-Type".into(), "text/evil".into()),
        ("X-Injected".into(), "a\r\nBcc: evil@example.com".into()),
    ];
    let p7s = vec![0x30u8, 0x80, 0x00, 0x00, 0xff, 0xfe];
    let msg = build_multipart_signed(&headers, &body, "SHA-256", &p7s);
    assert_7bit_short_lines(&msg);
    let e = p(&msg);
    assert_eq!(e.header("subject").as_deref(), Some(headers[2].1.as_str()));
    assert_eq!(e.from_address().as_deref(), Some("jurgen@example.org"));
    assert_eq!(
        e.header("from").as_deref(),
        Some("Jürgen Müller <jurgen@example.org>")
    );
    let to = e.header("to").unwrap();
    assert!(
        to.contains("Zoë <zoe@example.net>") && to.contains("Smith, Ann"),
        "{to}"
    );
    assert!(e.raw_header("bcc").is_none());
    assert_eq!(e.header("mime-version").as_deref(), Some("1.0"));
    assert_eq!(
        e.header("date").as_deref(),
        Some("Mon, 26 Jan 2026 14:38:03 +0000")
    );
    assert_eq!(
        e.smime_kind(),
        Some(SmimeKind::MultipartSigned {
            protocol: Some("application/pkcs7-signature".into()),
            micalg: Some("sha-256".into())
        })
    );
    assert_eq!(e.signed_content().unwrap(), body.as_slice());
    assert_eq!(
        e.children()[1].smime_kind(),
        Some(SmimeKind::Pkcs7Signature)
    );
    assert_eq!(e.children()[1].body_decoded().unwrap(), p7s);
    assert!(e.is_complete());
    let mixed = &e.children()[0];
    assert!(mixed.content_type().is("multipart/mixed"));
    let alt = &mixed.children()[0];
    assert!(alt.content_type().is("multipart/alternative"));
    assert_eq!(
        alt.children()[0].text().unwrap(),
        text.replace('\n', "\r\n")
    );
    assert_eq!(alt.children()[1].text().as_deref(), Some(html));
    assert_eq!(
        mixed.children()[1].filename().as_deref(),
        Some(atts[0].filename.as_str())
    );
    assert_eq!(mixed.children()[1].body_decoded().unwrap(), blob);
    assert_eq!(mixed.children()[2].filename().as_deref(), Some("a\"b.txt"));
    assert!(mixed.children()[2].content_type().is("text/plain"));
    assert!(mixed.children()[3]
        .content_type()
        .is("application/octet-stream"));
    assert_eq!(
        mixed.children()[3].body_decoded().unwrap(),
        Vec::<u8>::new()
    );

    // Plain text body only; and application/pkcs7-mime without outer headers.
    let plain = build_body("hello", None, &[]);
    assert!(p(&plain).content_type().is("text/plain"));
    let der = vec![1u8; 500];
    let env = build_pkcs7_mime(&[], "enveloped-data", &der);
    assert_7bit_short_lines(&env);
    let pe = p(&env);
    assert!(pe.raw_header("mime-version").is_none());
    assert_eq!(
        pe.smime_kind(),
        Some(SmimeKind::Pkcs7Mime {
            smime_type: Some("enveloped-data".into()),
            name: Some("smime.p7m".into())
        })
    );
    assert_eq!(pe.body_decoded().unwrap(), der);
}

#[test]
fn boundary_avoids_content() {
    let b = build::make_boundary(&[b"abc"]);
    assert!(b.starts_with("----=_cachet_"));
    // A signed entity that contains a delimiter-like line cannot break the structure.
    let evil = format!("Content-Type: text/plain\r\n\r\n--{b}\r\n--{b}--\r\n").into_bytes();
    let msg = build_multipart_signed(&[], &evil, "sha-256", b"sig");
    assert_eq!(p(&msg).signed_content().unwrap(), evil.as_slice());
}

#[test]
fn encode_headers_ascii_and_folding() {
    let h = encode_headers(&[
        ("Subject".into(), "short ascii".into()),
        ("Subject".into(), "word ".repeat(40)),
        ("Bad Name".into(), "x".into()),
    ]);
    let s = String::from_utf8(h).unwrap();
    assert!(s.starts_with("Subject: short ascii\r\n"));
    assert!(!s.contains("Bad Name"));
    assert!(s.lines().all(|l| l.len() <= 78), "{s}");
    let e = p(s.as_bytes());
    assert_eq!(e.headers().count(), 2);
}

// ---------- corpus: signed range against OpenSSL ----------

#[test]
fn corpus_signed_part_matches_openssl() {
    let Some(corpus) = cachet_testkit::corpus("corpus_signed_part_matches_openssl") else { return };
    assert!(Command::new("openssl").arg("version").output().is_ok(), "openssl is not installed: install the Debian package openssl");
    let files = [
        "thunderbird-comm-central/smime/alice.dsig.SHA256.multipart.eml",
        "thunderbird-comm-central/smime/alice.dsig.SHA512.multipart.eml",
        "thunderbird-comm-central/smime/alice.plain.dsig.SHA256.multipart.dave.dsig.SHA256.multipart.eml",
        "openssl/smime-eml/SignedInvalidMappingFromanyPolicyTest7.eml",
        "bouncycastle-mail/qp-soft-break.eml",
        "bouncycastle-mail/extra-nl.eml",
        "bouncycastle-mail/3nnn_smime.eml",
        "bouncycastle-mail/multi-alternative.eml",
        "bouncycastle-mail/quotable.message",
        "bouncycastle-mail/embeddedmulti.message",
        "bouncycastle-mail/openssl-signed-sha256-non-default-salt-length.eml",
        "mimekit/thunderbird-signed.eml.txt",
        "nist-pkits-smime/smime/SignedValidSignaturesTest1.eml",
    ];
    let tmp = std::env::temp_dir().join(format!("cachet-mime-test-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut checked = 0;
    for (i, f) in files.iter().enumerate() {
        let path = corpus.join(f);
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("corpus file missing, skipped: {f}");
            continue;
        };
        let e = p(&bytes);
        assert!(
            matches!(e.smime_kind(), Some(SmimeKind::MultipartSigned { .. })),
            "{f}"
        );
        assert_eq!(e.children().len(), 2, "{f}");
        assert_eq!(
            e.children()[1].smime_kind(),
            Some(SmimeKind::Pkcs7Signature),
            "{f}"
        );
        let sig = e.children()[1].body_decoded().unwrap();
        assert_eq!(sig.first(), Some(&0x30), "{f}: signature is not DER");
        let ours = canonicalize_crlf(e.signed_content().unwrap()).into_owned();
        let out = tmp.join(format!("out{i}.bin"));
        let status = Command::new("openssl")
            .args(["cms", "-verify", "-noverify", "-in"])
            .arg(&path)
            .arg("-out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{f}: openssl failed: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        let theirs = std::fs::read(&out).unwrap();
        assert_eq!(
            ours,
            canonicalize_crlf(&theirs).into_owned(),
            "{f}: signed part differs from OpenSSL's"
        );
        checked += 1;
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(checked >= 8, "only {checked} corpus files checked");
}

#[test]
fn received_fields_are_encoded_once_when_copied() {
    let m = "From: =?UTF-8?Q?Doe,_J=C3=BCrgen?= <j@example.org>\r\nSubject: =?UTF-8?B?Qm9i4oCZcyBjZXJ0aWZpY2F0ZQ==?= and\r\n =?ISO-8859-1?Q?caf=E9?=\r\n\r\nbody";
    let top = p(m.as_bytes());
    let copied: Vec<(String, String)> = top.headers().map(|(n, v)| (n.to_string(), received_value(n, v))).collect();
    let again = encode_headers(&copied);
    let mut whole = again.clone();
    whole.extend_from_slice(b"\r\nbody");
    let back = p(&whole);
    assert_eq!(back.header("subject").as_deref(), Some("Bob’s certificate and café"));
    assert_eq!(back.header("subject"), top.header("subject"));
    assert_eq!(back.from_address().as_deref(), Some("j@example.org"), "one address, the comma stays in the name");
}

/// The straightforward definitions the fast paths must agree with.
mod reference {
    pub fn canonicalize(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(&c) = bytes.get(i) {
            match c {
                b'\r' => {
                    out.extend_from_slice(b"\r\n");
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                }
                b'\n' => out.extend_from_slice(b"\r\n"),
                other => out.push(other),
            }
            i += 1;
        }
        out
    }

    /// Multipart splitting read line by line (RFC 2046 5.1.1), as `split_multipart` returns it.
    pub fn split_multipart(body: &[u8], boundary: &[u8]) -> (Vec<(usize, usize)>, bool) {
        let mut parts = Vec::new();
        let mut part_start: Option<usize> = None;
        let mut line_start = 0;
        while line_start < body.len() {
            let next = body[line_start..].iter().position(|&c| c == b'\n').map_or(body.len(), |i| line_start + i + 1);
            let mut line = &body[line_start..next];
            line = line.strip_suffix(b"\n").unwrap_or(line);
            line = line.strip_suffix(b"\r").unwrap_or(line);
            let kind = line.strip_prefix(b"--").and_then(|r| r.strip_prefix(boundary)).and_then(|r| {
                let (close, r) = r.strip_prefix(b"--").map_or((false, r), |r| (true, r));
                r.iter().all(|&c| c == b' ' || c == b'\t').then_some(close)
            });
            if let Some(close) = kind {
                if let Some(s) = part_start {
                    let mut e = line_start;
                    if e > s && body[e - 1] == b'\n' {
                        e -= 1;
                        if e > s && body[e - 1] == b'\r' {
                            e -= 1;
                        }
                    }
                    parts.push((s, e.max(s)));
                }
                if close {
                    return (parts, true);
                }
                part_start = Some(next);
            }
            line_start = next;
        }
        if let Some(s) = part_start {
            parts.push((s.min(body.len()), body.len()));
        }
        (parts, false)
    }

    pub fn base64(body: &[u8]) -> Option<Vec<u8>> {
        use base64::Engine;
        let clean: Vec<u8> = body.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
        let config = base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true);
        base64::engine::GeneralPurpose::new(&base64::alphabet::STANDARD, config).decode(&clean).ok()
    }
}

/// Deterministic pseudo-random bytes drawn from `alphabet`.
fn noise(seed: u64, len: usize, alphabet: &[u8]) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize]
        })
        .collect()
}

#[test]
fn canonical_form_matches_the_reference() {
    for seed in 0..300u64 {
        let bytes = noise(seed, (seed as usize * 7) % 200, b"ab\r\n\r\n \x00\xff");
        let fast = canonicalize_crlf(&bytes);
        assert_eq!(fast.as_ref(), reference::canonicalize(&bytes).as_slice(), "{bytes:?}");
        assert_eq!(is_canonical(&bytes), reference::canonicalize(&bytes) == bytes, "{bytes:?}");
    }
}

#[test]
fn base64_bodies_decode_as_the_whole_body_decoder_does() {
    use base64::Engine;
    let data = noise(1, 200_000, &(0..=255).collect::<Vec<u8>>());
    let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
    let mut samples: Vec<Vec<u8>> = Vec::new();
    for width in [76usize, 64, 72, 4, 1000] {
        for eol in ["\r\n", "\n"] {
            let lines: Vec<&str> = b64.as_bytes().chunks(width).map(|c| std::str::from_utf8(c).unwrap()).collect();
            samples.push(lines.join(eol).into_bytes());
            samples.push((lines.join(eol) + eol + eol).into_bytes());
        }
    }
    let odd: [&[u8]; 14] = [
        b"", b"\r\n", b"QUJD", b"QUI=", b"QUI", b"QQ==\r\nQUJD", b"QQ==QUJD", b"QUJ\r\nD", b"QU JD\r\n",
        b"QUJD\t\r\nQUJD", b"QUJD\rQUJD", b"Q", b"QUJD\r\n=", b"QUJD\x0cQUJD",
    ];
    samples.extend(odd.iter().map(|s| s.to_vec()));
    // A short first line, then long ones (and blank lines): the first size is too small and
    // grows once, across the one-pass decoder's blocks.
    for (first, width, eol) in [(8usize, 1000usize, "\r\n"), (4, 76, "\n"), (12, 4000, "\r\n\r\n")] {
        let (head, rest) = b64.split_at(first);
        let lines: Vec<&str> = rest.as_bytes().chunks(width).map(|c| std::str::from_utf8(c).unwrap()).collect();
        samples.push(format!("{head}{eol}{}", lines.join(eol)).into_bytes());
    }
    for seed in 0..200u64 {
        samples.push(noise(seed, (seed as usize * 13) % 120, b"QUJDabc+/=\r\n \t"));
    }
    // Lines as long as the first with a line break inside (taken whole by the one-pass
    // decoder's shortcut for lines of the first one's length), a blank line before a shorter
    // one that ends where a full line would, and a CRLF body with one LF-only line.
    let lines: Vec<&str> = b64.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect();
    for (i, with) in [(3usize, "QUJD\r\nQUJD"), (2000, "QUJD\nQUJD"), (lines.len() - 2, "QUJD\nQUJD")] {
        let mut l: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        l[i] = format!("{with}{}", &l[i][with.len()..]);
        samples.push(l.join("\r\n").into_bytes());
    }
    let mut l: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    l[5] = format!("\r\n{}", &l[5][..72]);
    l[9] = format!("{}\n{}", &l[9][..36], &l[9][36..72]);
    samples.push(l.join("\r\n").into_bytes());
    let mut l: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    l[7].push('\n');
    samples.push(l.join("\r\n").into_bytes());
    // The loop for lines of 76 or 64 characters: a full line ending in padding before the last,
    // a CRLF line in an LF body and an LF line in a CRLF body, CR CR LF, a line one character
    // longer, the last line a full one with padding, and a last line longer than the others
    // with no line break after it.
    for (width, eol) in [(76usize, "\r\n"), (76, "\n"), (64, "\r\n"), (64, "\n")] {
        let base: Vec<String> = b64.as_bytes().chunks(width).map(|c| String::from_utf8(c.to_vec()).unwrap()).collect();
        let other = if eol == "\n" { "\r\n" } else { "\n" };
        let edits: [fn(&mut Vec<String>, usize, &str); 6] = [
            |l, width, _| l[100] = format!("{}=", &l[100][..width - 1]),
            |l, _, other| l[1200].push_str(other),
            |l, _, _| l[40].push('\r'),
            |l, _, _| l[900].push('Q'),
            |l, width, _| {
                l.truncate(300);
                l[299] = format!("{}==", &l[299][..width - 2]);
            },
            |l, _, _| {
                l.truncate(300);
                l[299].push_str("QUJD");
            },
        ];
        for edit in edits {
            let mut l = base.clone();
            edit(&mut l, width, other);
            samples.push(l.join(eol).into_bytes());
        }
    }
    for s in samples {
        let fast = super::entity::decode_transfer("base64", &s).ok();
        assert_eq!(fast, reference::base64(&s), "{:?}", String::from_utf8_lossy(&s[..s.len().min(80)]));
    }
    // 200 000 bytes in lines of 76 or 64: the blocks of the one-pass decoder are crossed, and
    // the buffer is sized to within a line of the data (not by the length of the base64).
    for width in [76, 64] {
        let lines: Vec<&[u8]> = b64.as_bytes().chunks(width).collect();
        let decoded = super::entity::decode_transfer("base64", &lines.join(&b"\r\n"[..])).unwrap();
        assert_eq!(decoded, data);
        assert!(decoded.capacity() - decoded.len() <= width, "{width}: {} bytes of room left", decoded.capacity() - decoded.len());
    }
    // A character outside the alphabet, or padding, inside the blocks decoded with SIMD (the
    // first 64 KiB) and in the last one: refused as the whole-body decoder refuses it.
    let lines: Vec<&[u8]> = b64.as_bytes().chunks(76).collect();
    let body = lines.join(&b"\r\n"[..]);
    for at in [0usize, 1001, 40_000, body.len() - 3] {
        for bad in [b'*', b'-', b'=', 0x80, b'.'] {
            let mut b = body.clone();
            if b[at] == b'\r' || b[at] == b'\n' {
                continue;
            }
            b[at] = bad;
            assert_eq!(super::entity::decode_transfer("base64", &b).ok(), reference::base64(&b), "{at} {bad}");
        }
    }
}

#[test]
fn base64_lines_are_76_characters_and_round_trip() {
    for len in [0usize, 1, 2, 3, 56, 57, 58, 114, 3647, 3648, 3649, 100_000] {
        let data = noise(len as u64, len, &(0..=255).collect::<Vec<u8>>());
        let text = base64_lines(&data);
        assert_eq!(text.len(), super::build::base64_lines_len(len));
        assert!(text.split("\r\n").all(|l| l.len() <= 76));
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert!(lines[..lines.len() - 1].iter().all(|l| l.len() == 76));
        assert!(!text.ends_with("\r\n"));
        use base64::Engine;
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(text.replace("\r\n", "")).unwrap(), data);
    }
}

#[test]
fn delimiters_are_found_only_at_line_starts() {
    let body = b"preamble --b\r\n--b\r\nA: 1\r\n\r\none --b\r\n--bx\r\n--b  \r\ntwo\r\n--b--\r\nepilogue";
    let (parts, closed) = super::parse::split_multipart(body, b"b");
    assert!(closed);
    let texts: Vec<&[u8]> = parts.iter().map(|(s, e)| &body[*s..*e]).collect();
    assert_eq!(texts, vec![&b"A: 1\r\n\r\none --b\r\n--bx"[..], &b"two"[..]]);
    let (parts, closed) = super::parse::split_multipart(b"--b\nx\n--b-", b"b");
    assert!(!closed);
    assert_eq!(parts, vec![(4, 10)]);
}

/// Issue 12: the From binding needs one From header with one address shown plainly; the
/// Sender is read only when it is one plain address.
#[test]
fn originator_is_strict() {
    let o = |head: &str| p(format!("{head}\nSubject: x\n\nbody\n").as_bytes()).originator();
    let ok = o("From: =?UTF-8?B?SsO8cmdlbg==?= <jurgen@example.org>");
    assert_eq!((ok.from.as_deref(), ok.problem, ok.sender), (Some("jurgen@example.org"), None, None));
    // The display name repeating the address (any case) is fine; a name with an at sign alone too.
    assert_eq!(o("From: \"JURGEN@example.org\" <jurgen@example.org>").problem, None);
    assert_eq!(o("From: \"Jurgen @ home\" <jurgen@example.org>").problem, None);
    for (head, why) in [
        ("From: <a@example.org>\nFrom: <b@example.org>", "2 From headers"),
        ("From: a@example.org, b@example.org", "names 2 addresses"),
        ("From: team: a@example.org, b@example.org;", "names 2 addresses"),
        ("From: \"alice@bank.example\" <mallory@evil.example>", "shows the address alice@bank.example"),
        ("From: =?UTF-8?Q?alice=40bank=2Eexample?= <mallory@evil.example>", "shows the address alice@bank.example"),
        ("From: Alice <alice@bank.example>' <mallory@evil.example>", "is not one well-formed address"),
    ] {
        let got = o(head);
        assert!(got.problem.as_deref().unwrap_or("").contains(why), "{head}: {got:?}");
    }
    // The first address is still what the user is shown.
    assert_eq!(o("From: \"alice@bank.example\" <mallory@evil.example>").from.as_deref(), Some("mallory@evil.example"));
    // Sender: one plain address, or nothing.
    assert_eq!(o("From: <boss@example.org>\nSender: Alice <alice@example.org>").sender.as_deref(), Some("alice@example.org"));
    assert_eq!(o("From: <boss@example.org>\nSender: <a@example.org>\nSender: <b@example.org>").sender, None);
    assert_eq!(o("From: <boss@example.org>\nSender: \"boss@example.org\" <a@example.org>").sender, None);
    // Parts have no originator.
    let nested = p(b"From: <a@example.org>\nContent-Type: multipart/mixed; boundary=b\n\n--b\nFrom: <x@example.org>\n\nhi\n--b--\n");
    assert_eq!(nested.children()[0].originator(), Default::default());
}

#[test]
fn header_place_splits_outer_and_content_fields() {
    use crate::mime::{header_place, HeaderPlace};
    assert_eq!(header_place("Content-Type"), HeaderPlace::Inner);
    assert_eq!(header_place("content-transfer-encoding"), HeaderPlace::Inner);
    assert_eq!(header_place("CONTENT-ID"), HeaderPlace::Inner);
    assert_eq!(header_place("MIME-Version"), HeaderPlace::Dropped);
    assert_eq!(header_place("mime-version"), HeaderPlace::Dropped);
    assert_eq!(header_place("Subject"), HeaderPlace::Outer);
    assert_eq!(header_place("Contents"), HeaderPlace::Outer);
    assert_eq!(header_place("X-Content-Type-Options"), HeaderPlace::Outer);
}

#[test]
fn canonical_check_sees_one_bad_line_break_anywhere_in_a_word() {
    // Canonical texts made of CRLF and bytes next to CR and LF in value (0x0c, 0x0e, 0x8a,
    // 0x8d, 0x0b, 0x09, 0x8b); then each byte in turn made a lone CR or a bare LF, at every
    // offset of the eight-byte words the check reads.
    let tokens: [&[u8]; 8] = [b"\r\n", b"\x0c", b"\x0e", b"\x8a", b"\x8d", b"\x0b", b"\x09", b"\x8b"];
    for seed in 0..60u64 {
        let picks = noise(seed, 5 + seed as usize % 23, b"01234567");
        let text: Vec<u8> = picks.iter().flat_map(|&p| tokens[usize::from(p - b'0')].to_vec()).collect();
        assert!(is_canonical(&text), "{text:?}");
        for i in 0..text.len() {
            for bad in [b'\r', b'\n'] {
                let mut t = text.clone();
                t[i] = bad;
                assert_eq!(is_canonical(&t), reference::canonicalize(&t) == t, "{t:?}");
            }
        }
    }
}

#[test]
fn multipart_split_matches_a_line_by_line_reading() {
    for seed in 0..400u64 {
        let body = noise(seed, (seed as usize * 13) % 300, b"--bb\r\n\n- \tx-");
        let boundary: &[u8] = if seed % 3 == 0 { b"b" } else { b"-b" };
        assert_eq!(super::parse::split_multipart(&body, boundary), reference::split_multipart(&body, boundary), "{body:?}");
    }
}

#[test]
fn nested_multiparts_split_alike_with_the_shared_delimiter_places() {
    /// Every entity's range, body and completeness, in tree order.
    fn shape(e: &super::Entity<'_>, src: &[u8], out: &mut Vec<(Vec<usize>, std::ops::Range<usize>, usize, bool)>) {
        out.push((e.path().to_vec(), e.range(), e.body_raw().as_ptr() as usize - src.as_ptr() as usize, e.is_complete()));
        for c in e.children() {
            shape(c, src, out);
        }
    }
    let limits = Limits::default();
    for seed in 0..600u64 {
        // Parts of noise around delimiters of two nested boundaries, some lines starting with
        // dashes, line breaks CRLF or LF, parts with and without header sections.
        let pick = |k: u64, n: usize| noise(seed * 7 + k, n, b"--ab\r\n\n- x");
        let nl: &[u8] = if seed % 2 == 0 { b"\r\n" } else { b"\n" };
        let inner = [b"--in".as_slice(), nl, b"Content-Type: text/plain", nl, nl, &pick(1, (seed % 40) as usize), nl, b"--in", nl, &pick(2, (seed % 17) as usize), nl, b"--in--", nl].concat();
        let mut m = [b"Content-Type: multipart/mixed; boundary=\"out\"".as_slice(), nl, nl, &pick(3, (seed % 9) as usize), nl, b"--out", nl, b"Content-Type: multipart/alternative; boundary=in", nl, nl, &inner, b"--out", nl].concat();
        m.extend_from_slice(&pick(4, (seed % 31) as usize));
        if seed % 3 != 0 {
            m.extend_from_slice(&[nl, b"--out--", nl, b"--in", nl].concat());
        }
        let (a, b) = (super::parse(&m, &limits), super::parse::parse_scanning_each_body(&m, &limits));
        match (a, b) {
            (Ok(a), Ok(b)) => {
                let (mut sa, mut sb) = (Vec::new(), Vec::new());
                shape(&a, &m, &mut sa);
                shape(&b, &m, &mut sb);
                assert_eq!(sa, sb, "{:?}", String::from_utf8_lossy(&m));
                assert!(sa.len() >= 2, "{:?}", String::from_utf8_lossy(&m));
            }
            (a, b) => assert_eq!(a.is_err(), b.is_err()),
        }
    }
    // Past the most places kept, each multipart scans its own body: the same parts.
    let many = format!("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--c--\r\n--b\r\n\r\n{}--b--\r\n", "--\r\n".repeat(5000));
    let e = super::parse(many.as_bytes(), &limits).unwrap();
    assert_eq!(e.children().len(), 2);
    assert_eq!(e.children()[0].children().len(), 1);
}

#[test]
fn boundary_search_agrees_with_memmem() {
    for seed in 0..300u64 {
        let hay = noise(seed, (seed as usize * 11) % 120, b"-=_c=-=--=");
        for needle in [&b"--=_c"[..], b"=", b"-=", b"=_c=-", b"-==", b"abc"] {
            assert_eq!(build::contains(&hay, needle), memchr::memmem::find(&hay, needle).is_some(), "{hay:?} {needle:?}");
        }
    }
}

/// The quoted-printable encoder as it was before it wrote bytes in one pass (one small
/// String per input byte): the oracle the one-pass encoder must match byte for byte.
fn quoted_printable_reference(text: &str) -> String {
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::new();
    for (li, line) in normalized.split('\n').enumerate() {
        if li > 0 {
            out.push_str("\r\n");
        }
        let bytes = line.as_bytes();
        let mut col = 0usize;
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let encode = match b {
                b'=' => true,
                b' ' | b'\t' => last,
                b'F' => i == 0 && line.starts_with("From "),
                b'.' => i == 0 && bytes.len() == 1,
                33..=126 => false,
                _ => true,
            };
            let token = if encode { format!("={b:02X}") } else { char::from(b).to_string() };
            let room = if last { 76 } else { 75 };
            if col + token.len() > room {
                out.push_str("=\r\n");
                col = 0;
            }
            out.push_str(&token);
            col += token.len();
        }
    }
    out
}

/// Texts from pieces that hit every rule: line breaks of each kind (and CR CR LF, LF CR),
/// trailing white space, `=`, `From `, a lone `.`, non-ASCII, and long lines that need
/// soft breaks with an encoded byte across the 75th column.
fn quoted_printable_samples() -> Vec<String> {
    const PIECES: &[&str] = &["\r\n", "\n", "\r", "\r\r\n", "\n\r", " ", "\t", "=", "From ", "F", ".", "é", "€", "x", "word ", "0123456789", "a=b", "\u{7f}", "\0"];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut out: Vec<String> = ["", "\n", ".", "From me", "a \r\n", &"x".repeat(75), &"x".repeat(76), &"x".repeat(77), &format!("{}=", "y".repeat(74)), &format!("{}é", "y".repeat(73))].iter().map(|s| s.to_string()).collect();
    for _ in 0..2000 {
        let n = (next() % 120) as usize;
        out.push((0..n).map(|_| PIECES[(next() % PIECES.len() as u64) as usize]).collect());
    }
    out
}

#[test]
fn quoted_printable_matches_the_reference_encoder_byte_for_byte() {
    for text in quoted_printable_samples() {
        assert_eq!(quoted_printable(&text), quoted_printable_reference(&text), "text {text:?}");
    }
}

/// Python's quopri (a decoder Cachet did not write) reads every sample back to the text
/// with CRLF line breaks, and every line is at most 76 characters.
#[test]
fn quoted_printable_decodes_with_python() {
    if !cachet_testkit::installed("python3") {
        cachet_testkit::skip("quoted_printable_decodes_with_python", "python3 is not installed");
        return;
    }
    let samples = quoted_printable_samples();
    let mut input = String::new();
    for s in &samples {
        let qp = quoted_printable(s);
        assert!(qp.split("\r\n").all(|l| l.len() <= 76 && l.is_ascii()), "{qp:?}");
        input.push_str(&base64::Engine::encode(&base64::engine::general_purpose::STANDARD, qp.as_bytes()));
        input.push('\n');
    }
    let script = "import sys, base64, quopri\nfor l in sys.stdin.read().split('\\n')[:-1]:\n    print(base64.b64encode(quopri.decodestring(base64.b64decode(l))).decode())";
    let mut child = cachet_testkit::python3().args(["-c", script]).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().expect("python3");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), input.as_bytes()).expect("write");
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("python3 output");
    assert!(out.status.success());
    let decoded: Vec<&str> = std::str::from_utf8(&out.stdout).expect("utf8").lines().collect();
    assert_eq!(decoded.len(), samples.len());
    for (s, d) in samples.iter().zip(decoded) {
        let want = s.replace("\r\n", "\n").replace('\r', "\n").replace('\n', "\r\n");
        let got = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, d).expect("base64");
        assert_eq!(got, want.as_bytes(), "text {s:?}");
    }
}

/// The entity written block by block is the entity built in one buffer, byte for byte,
/// at every length around a line and a block boundary; and openssl reads it back.
#[test]
fn pkcs7_mime_written_in_blocks_is_the_built_entity() {
    let headers = vec![("From".to_string(), "alice@example.com".to_string()), ("Subject".to_string(), "[...]".to_string())];
    let block = 57 * 4096;
    for len in [0usize, 1, 2, 3, 56, 57, 58, 114, block - 1, block, block + 1, block + 57, 3 * block + 5] {
        let der: Vec<u8> = (0..len).map(|i| (i * 7 + i / 255) as u8).collect();
        let built = build_pkcs7_mime(&headers, "enveloped-data", &der);
        let entity = Pkcs7Mime::new(&headers, "enveloped-data", der.clone());
        let mut written = Vec::new();
        entity.write_to(&mut written).expect("write to a Vec");
        assert_eq!(written, built, "length {len}");
        assert_eq!(entity.encoded_len(), built.len(), "length {len}");
        assert_eq!(entity.into_bytes(), built, "length {len}");
        // The DER in three pieces, split anywhere (inside a line, at a block's end, empty
        // pieces): the same entity.
        for (a, b) in [(0, 0), (1, 1), (len / 3, 2 * len / 3), (block.min(len), block.min(len)), (5.min(len), len.saturating_sub(3)), (len, len)] {
            let (a, b) = (a.min(len), b.clamp(a.min(len), len));
            let pieces = [der[..a].to_vec(), der[a..b].to_vec(), der[b..].to_vec()];
            let entity = Pkcs7Mime::from_pieces(&headers, "enveloped-data", pieces);
            let mut written = Vec::new();
            entity.write_to(&mut written).expect("write to a Vec");
            assert_eq!(written, built, "length {len}, pieces at {a} and {b}");
            assert_eq!(entity.encoded_len(), built.len());
            assert_eq!(entity.into_bytes(), built, "length {len}, pieces at {a} and {b}");
            // The middle piece held elsewhere, read a block at a time.
            struct Outside(Vec<u8>);
            impl DerPiece for Outside {
                fn piece_len(&self) -> usize {
                    self.0.len()
                }
                fn copy_out(&self, at: usize, out: &mut [u8]) {
                    out.copy_from_slice(&self.0[at..at + out.len()]);
                }
            }
            let middle = Outside(der[a..b].to_vec());
            let entity = Pkcs7Mime::from_pieces(&headers, "enveloped-data", [der[..a].to_vec(), Vec::new(), der[b..].to_vec()]);
            let mut written = Vec::new();
            entity.write_to_with(Some(&middle), &mut written).expect("write to a Vec");
            assert_eq!(written, built, "length {len}, middle outside from {a} to {b}");
            assert_eq!(entity.encoded_len_with(Some(&middle)), built.len());
        }
        if len > 0 {
            let body = p(&built).body_decoded().expect("base64");
            assert_eq!(body, der, "length {len}");
        }
    }
}

/// protect of an owned entity (its buffer reused) gives what protect of a borrowed one
/// gives, for both modes, with and without a legacy display.
#[test]
fn protect_owned_is_protect() {
    let headers = vec![("From".to_string(), "alice@example.com".to_string()), ("Subject".to_string(), "The plan".to_string()), ("To".to_string(), "bob@example.com".to_string())];
    let entities: [&[u8]; 3] = [
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHello\r\n",
        b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n",
        b"Content-Type: application/octet-stream\r\n\r\n",
    ];
    for e in entities {
        for mode in [protect::Protection::Clear, protect::Protection::Cipher] {
            let a = protect::protect(&headers, e, mode, &Limits::default()).expect("protect");
            let b = protect::protect_owned(&headers, e.to_vec(), mode, &Limits::default()).expect("protect_owned");
            assert_eq!(a.entity, b.entity);
            assert_eq!(a.outer, b.outer);
        }
    }
}

/// protect_parts_into (the payload written in one pass from the message's parse) gives what
/// protect_owned of the entity put together first gives: multipart messages (mixed, nested,
/// alternative, HTML first, with preamble and epilogue, an attachment first), single parts,
/// with a Subject (a legacy display) and without (none), both modes.
#[test]
fn protect_parts_is_protect_owned() {
    let mixed = "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\npreamble\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHello\r\nFrom here\r\n.\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"a.bin\"\r\n\r\nAAEC\r\n--b--\r\nepilogue\r\n";
    let nested = "Content-Type: multipart/mixed;\r\n boundary=\"outer\"\r\nContent-Language: en\r\n\r\n--outer\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nPlain \u{e9}\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n<html><body><p>Hi</p></body></html>\r\n--alt--\r\n--outer\r\nContent-Type: image/png; name=\"x.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--outer--\r\n";
    let html_first = "Content-Type: multipart/related; boundary=r\r\n\r\n--r\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--r\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\r\nR0lGOD==\r\n--r--";
    let attachment_first = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nnotes\r\n--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n--b--\r\n";
    let single = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHello =C3=A9\r\n";
    let no_type = "\r\nJust text\r\n";
    let empty_multipart = "Content-Type: multipart/mixed; boundary=b\r\n\r\nno parts at all\r\n";
    let with_subject = "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: The plan \u{2013} Q3\r\nDate: Sun, 01 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nComments: internal\r\n";
    let without_subject = "From: alice@example.com\r\nTo: bob@example.com\r\nMIME-Version: 1.0\r\n";
    for fields in [with_subject, without_subject] {
        for entity in [mixed, nested, html_first, attachment_first, single, no_type, empty_multipart] {
            let message = format!("{fields}{entity}");
            let top = p(message.as_bytes());
            let mut outer = Vec::new();
            let mut head = Vec::new();
            for (name, value) in top.headers() {
                match header_place(name) {
                    HeaderPlace::Inner => push_field(&mut head, name, value),
                    HeaderPlace::Outer => outer.push((name.to_string(), received_value(name, value))),
                    HeaderPlace::Dropped => {}
                }
            }
            if head.is_empty() {
                head.extend_from_slice(b"Content-Type: text/plain; charset=us-ascii\r\n");
            }
            head.extend_from_slice(b"\r\n");
            let whole = [&head[..], top.body_raw()].concat();
            for mode in [protect::Protection::Clear, protect::Protection::Cipher] {
                let mut out = Vec::new();
                let a = protect::protect_parts_into(&outer, &head, &top, mode, &Limits::default(), &mut out).expect("protect_parts_into").in_buffer(out);
                let b = protect::protect_owned(&outer, whole.clone(), mode, &Limits::default()).expect("protect_owned");
                assert_eq!(String::from_utf8_lossy(&a.entity), String::from_utf8_lossy(&b.entity), "{mode:?}\n{message}");
                assert_eq!(a.outer, b.outer);
            }
        }
    }
}

/// multipart/signed written in its three pieces is the message built in one buffer, and
/// its first part is the signed entity byte for byte.
#[test]
fn multipart_signed_written_in_pieces_is_the_built_message() {
    let headers = vec![("From".to_string(), "alice@example.com".to_string())];
    let entity = b"Content-Type: text/plain\r\n\r\nHello\r\n".to_vec();
    let built = build_multipart_signed(&headers, &entity, "sha-256", b"\x30\x03\x02\x01\x01");
    let m = MultipartSigned::new(&headers, entity.clone(), "sha-256", b"\x30\x03\x02\x01\x01");
    let mut written = Vec::new();
    m.write_to(&mut written).expect("write to a Vec");
    let one = m.into_bytes();
    // The boundary is random: compare with it replaced.
    let boundary = |b: &[u8]| {
        let s = String::from_utf8(b.to_vec()).expect("ascii");
        let i = s.find("----=_cachet_").expect("boundary");
        s.replace(&s[i..i + 13 + 32], "BOUNDARY")
    };
    assert_eq!(written, one);
    assert_eq!(boundary(&one), boundary(&built));
    let top = p(&one);
    assert_eq!(top.children()[0].raw(), &entity[..]);
}

/// What `open` relies on to skip scanning a signed part again (`LineBreaks::Canonical`): in a
/// canonical buffer, every slice that neither starts with LF nor ends with CR is canonical.
#[test]
fn slices_of_canonical_bytes_that_do_not_split_a_crlf_are_canonical() {
    let whole = b"A: b\r\n\r\n--x\r\nline\r\n\r\nmore text\r\n--x--\r\n";
    assert!(is_canonical(whole));
    for start in 0..whole.len() {
        for end in start..=whole.len() {
            let part = &whole[start..end];
            let unsplit = part.first() != Some(&b'\n') && part.last() != Some(&b'\r');
            assert_eq!(is_canonical(part), unsplit, "{start}..{end}");
        }
    }
}
