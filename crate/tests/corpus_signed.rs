//! Issue 8: every signed message and signed CMS blob of the shared corpus (messages
//! from Thunderbird/NSS, OpenSSL, RFC 4134, RFC 9216 keys, Bouncy Castle, MimeKit, pyca
//! and NIST PKITS) opened by `cachet open` with its trust anchor and a fixed validation
//! time, against a table: file -> headline status, and per layer (outer first) the layer
//! status, the signer's e-mail address and the digest algorithm. Where Cachet's verdict
//! differs from the upstream expectation on purpose, the row says why.
//!
//! Bare CMS blobs are wrapped into a minimal MIME message from the signer's address, so
//! only the signature and the path decide. Encrypted files whose signature sits inside
//! the encryption are covered by the decryption tests and listed in `DECRYPTION`.
//! A completeness check fails when a corpus file is in no list.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::*;
use std::path::Path;

/// How a corpus file becomes a message.
#[derive(Clone, Copy)]
enum Input {
    /// An RFC 5322 message (LF or CRLF), as is.
    Eml,
    /// A MIME entity without message headers (raw NSS output): a From line is prepended.
    Headerless(&'static str),
    /// An HTTP request (AS2) whose header block and body are a MIME message: drop the request line.
    Http,
    /// A bare SignedData with embedded content, wrapped as application/pkcs7-mime from this address.
    Opaque(&'static str),
    /// A bare certs-only SignedData, wrapped as application/pkcs7-mime; smime-type=certs-only.
    CertsOnly,
    /// A bare detached SignedData and the corpus file holding the content, wrapped as multipart/signed.
    DetachedFile(&'static str, &'static str),
    /// A bare detached SignedData and its content given literally.
    DetachedText(&'static str, &'static str),
}

/// Expected layer: status, signer e-mail ("" = no signer checked), digest ("" = not
/// checked), signature check of the first signer ("" = not checked).
#[derive(Clone, Copy, Debug)]
struct L(&'static str, &'static str, &'static str, &'static str);

const fn l(status: &'static str, signer: &'static str, digest: &'static str) -> L {
    L(status, signer, digest, "")
}

const fn ls(status: &'static str, signer: &'static str, digest: &'static str, signature: &'static str) -> L {
    L(status, signer, digest, signature)
}

struct Case {
    file: &'static str,
    input: Input,
    /// Trust anchors (corpus paths).
    trust: &'static [&'static str],
    /// Validation time: inside the certificates' validity, or the signing time for old mail.
    at: &'static str,
    /// Headline status; None when a later (encrypted) layer decides it: only the layers are checked.
    status: Option<&'static str>,
    /// The layers, outer first: all of them when `status` is given, else the first ones.
    layers: &'static [L],
    /// Why Cachet's verdict differs from the upstream expectation ("" when it agrees).
    why: &'static str,
}

// ---------------------------------------------------------------------------------------
// 1. Thunderbird / NSS (thunderbird-comm-central). Certificates valid 2026-01-26..2031-01-26;
//    the messages were signed on 2026-01-26.

const TB_TRUST: &[&str] = &["thunderbird-comm-central/smime/TestCA.pem"];
const TB_AT: &str = "2026-06-01T00:00:00Z";

const fn tb(file: &'static str, status: Option<&'static str>, layers: &'static [L], why: &'static str) -> Case {
    Case { file, input: Input::Eml, trust: TB_TRUST, at: TB_AT, status, layers, why }
}

const SHA1_WHY: &str = "Thunderbird shows BAD for SHA-1 unless a pref allows it (then GOOD); Cachet verifies SHA-1 and flags it as weak-algorithm (SPEC 4): never green, but not called broken.";
const DAVE_WHY: &str = "Alice's signed message wrapped in Dave's signature, From: Dave. Every layer verifies (OpenSSL agrees); Thunderbird says BAD for most combinations and GOOD for SHA-2 opaque-in-opaque. Cachet checks each signer against the From shown: Dave's layer is valid, Alice's inner layer is address-mismatch, so the headline is address-mismatch, never green.";
const ENV_OUTER_WHY: &str = "A signature around an encryption layer: Thunderbird ignores it (shows enc, not signed); Cachet reports every layer, the outer signature included (a digest mismatch here, as OpenSSL finds). The inner layer needs decryption and its verdict is covered by the decryption tests.";
const ENV_DAVE_WHY: &str = "Dave's valid signature around Alice's signature around an encryption layer (Thunderbird: BAD). Inside Dave's opaque signature Alice's signed part has LF line ends, and she signed exactly those bytes: the CRLF form does not match, the bytes as received do (repair signed-content-binary; `openssl cms -verify -binary` agrees, `openssl smime -verify` without -binary does not). Her layer is then address-mismatch, since the From is Dave's; the headline is never green. The encrypted part is covered by the decryption tests.";
const FUTURE_WHY: &str = "The Date header is 6 hours after the signingTime; Thunderbird says BAD. Both dates are the sender's unauthenticated claims (RFC 8550) and Cachet validates at the given time, so the signature is valid; the signing time is reported for the user to compare.";

const THUNDERBIRD: &[Case] = &[
    tb("thunderbird-comm-central/smime/alice.dsig.SHA1.multipart.bad.eml", Some("tampered"), &[l("tampered", "Alice@example.com", "SHA-1")], ""),
    tb("thunderbird-comm-central/smime/alice.dsig.SHA1.multipart.eml", Some("weak-algorithm"), &[l("weak-algorithm", "Alice@example.com", "SHA-1")], SHA1_WHY),
    tb("thunderbird-comm-central/smime/alice.dsig.SHA1.multipart.mismatch-econtent.eml", Some("tampered"), &[l("tampered", "Alice@example.com", "SHA-1")], ""),
    tb("thunderbird-comm-central/smime/alice.dsig.SHA256.multipart.bad.eml", Some("tampered"), &[l("tampered", "Alice@example.com", "SHA-256")], ""),
    tb("thunderbird-comm-central/smime/alice.dsig.SHA256.multipart.eml", Some("valid"), &[l("valid", "Alice@example.com", "SHA-256")], ""),
    tb("thunderbird-comm-central/smime/alice.dsig.SHA256.multipart.mismatch-econtent.eml", Some("tampered"), &[l("tampered", "Alice@example.com", "SHA-256")], ""),
    tb("thunderbird-comm-central/smime/alice.dsig.SHA384.multipart.bad.eml", Some("tampered"), &[l("tampered", "Alice@example.com", "SHA-384")], ""),
    tb("thunderbird-comm-central/smime/alice.dsig.SHA384.multipart.eml", Some("valid"), &[l("valid", "Alice@example.com", "SHA-384")], ""),
    tb("thunderbird-comm-central/smime/alice.dsig.SHA384.multipart.mismatch-econtent.eml", Some("tampered"), &[l("tampered", "Alice@example.com", "SHA-384")], ""),
    tb("thunderbird-comm-central/smime/alice.dsig.SHA512.multipart.bad.eml", Some("tampered"), &[l("tampered", "Alice@example.com", "SHA-512")], ""),
    tb("thunderbird-comm-central/smime/alice.dsig.SHA512.multipart.eml", Some("valid"), &[l("valid", "Alice@example.com", "SHA-512")], ""),
    tb("thunderbird-comm-central/smime/alice.dsig.SHA512.multipart.mismatch-econtent.eml", Some("tampered"), &[l("tampered", "Alice@example.com", "SHA-512")], ""),
    tb("thunderbird-comm-central/smime/alice.env.dsig.SHA1.multipart.dave.sig.SHA1.opaque.eml", None, &[l("weak-algorithm", "Dave@example.com", "SHA-1"), l("address-mismatch", "Alice@example.com", "SHA-1")], ENV_DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.env.dsig.SHA1.multipart.eml", None, &[l("tampered", "Alice@example.com", "SHA-1")], ENV_OUTER_WHY),
    tb("thunderbird-comm-central/smime/alice.env.dsig.SHA256.multipart.dave.sig.SHA256.opaque.eml", None, &[l("valid", "Dave@example.com", "SHA-256"), l("address-mismatch", "Alice@example.com", "SHA-256")], ENV_DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.env.dsig.SHA256.multipart.eml", None, &[l("tampered", "Alice@example.com", "SHA-256")], ENV_OUTER_WHY),
    tb("thunderbird-comm-central/smime/alice.env.dsig.SHA384.multipart.dave.sig.SHA384.opaque.eml", None, &[l("valid", "Dave@example.com", "SHA-384"), l("address-mismatch", "Alice@example.com", "SHA-384")], ENV_DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.env.dsig.SHA384.multipart.eml", None, &[l("tampered", "Alice@example.com", "SHA-384")], ENV_OUTER_WHY),
    tb("thunderbird-comm-central/smime/alice.env.dsig.SHA512.multipart.dave.sig.SHA512.opaque.eml", None, &[l("valid", "Dave@example.com", "SHA-512"), l("address-mismatch", "Alice@example.com", "SHA-512")], ENV_DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.env.dsig.SHA512.multipart.eml", None, &[l("tampered", "Alice@example.com", "SHA-512")], ENV_OUTER_WHY),
    tb("thunderbird-comm-central/smime/alice.env.sig.SHA1.opaque.dave.sig.SHA1.opaque.eml", None, &[l("weak-algorithm", "Dave@example.com", "SHA-1"), l("address-mismatch", "Alice@example.com", "SHA-1")], ENV_DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.env.sig.SHA1.opaque.eml", None, &[l("weak-algorithm", "Alice@example.com", "SHA-1")], ENV_OUTER_WHY),
    tb("thunderbird-comm-central/smime/alice.env.sig.SHA256.opaque.dave.sig.SHA256.opaque.eml", None, &[l("valid", "Dave@example.com", "SHA-256"), l("address-mismatch", "Alice@example.com", "SHA-256")], ENV_DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.env.sig.SHA256.opaque.eml", None, &[l("valid", "Alice@example.com", "SHA-256")], ENV_OUTER_WHY),
    tb("thunderbird-comm-central/smime/alice.env.sig.SHA384.opaque.dave.sig.SHA384.opaque.eml", None, &[l("valid", "Dave@example.com", "SHA-384"), l("address-mismatch", "Alice@example.com", "SHA-384")], ENV_DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.env.sig.SHA384.opaque.eml", None, &[l("valid", "Alice@example.com", "SHA-384")], ENV_OUTER_WHY),
    tb("thunderbird-comm-central/smime/alice.env.sig.SHA512.opaque.dave.sig.SHA512.opaque.eml", None, &[l("valid", "Dave@example.com", "SHA-512"), l("address-mismatch", "Alice@example.com", "SHA-512")], ENV_DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.env.sig.SHA512.opaque.eml", None, &[l("valid", "Alice@example.com", "SHA-512")], ENV_OUTER_WHY),
    tb("thunderbird-comm-central/smime/alice.future.dsig.SHA256.multipart.eml", Some("valid"), &[l("valid", "Alice@example.com", "SHA-256")], FUTURE_WHY),
    tb("thunderbird-comm-central/smime/alice.html.sig.SHA1.opaque.eml", Some("weak-algorithm"), &[l("weak-algorithm", "Alice@example.com", "SHA-1")], SHA1_WHY),
    tb("thunderbird-comm-central/smime/alice.html.sig.SHA256.opaque.eml", Some("valid"), &[l("valid", "Alice@example.com", "SHA-256")], ""),
    tb("thunderbird-comm-central/smime/alice.html.sig.SHA384.opaque.eml", Some("valid"), &[l("valid", "Alice@example.com", "SHA-384")], ""),
    tb("thunderbird-comm-central/smime/alice.html.sig.SHA512.opaque.eml", Some("valid"), &[l("valid", "Alice@example.com", "SHA-512")], ""),
    tb("thunderbird-comm-central/smime/alice.plain.dsig.SHA1.multipart.dave.dsig.SHA1.multipart.eml", Some("address-mismatch"), &[l("weak-algorithm", "Dave@example.com", "SHA-1"), l("address-mismatch", "Alice@example.com", "SHA-1")], DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.plain.dsig.SHA1.multipart.dave.sig.SHA1.opaque.eml", Some("address-mismatch"), &[l("weak-algorithm", "Dave@example.com", "SHA-1"), l("address-mismatch", "Alice@example.com", "SHA-1")], DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.plain.dsig.SHA256.multipart.dave.dsig.SHA256.multipart.eml", Some("address-mismatch"), &[l("valid", "Dave@example.com", "SHA-256"), l("address-mismatch", "Alice@example.com", "SHA-256")], DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.plain.dsig.SHA256.multipart.dave.sig.SHA256.opaque.eml", Some("address-mismatch"), &[l("valid", "Dave@example.com", "SHA-256"), l("address-mismatch", "Alice@example.com", "SHA-256")], DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.plain.dsig.SHA384.multipart.dave.dsig.SHA384.multipart.eml", Some("address-mismatch"), &[l("valid", "Dave@example.com", "SHA-384"), l("address-mismatch", "Alice@example.com", "SHA-384")], DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.plain.dsig.SHA384.multipart.dave.sig.SHA384.opaque.eml", Some("address-mismatch"), &[l("valid", "Dave@example.com", "SHA-384"), l("address-mismatch", "Alice@example.com", "SHA-384")], DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.plain.dsig.SHA512.multipart.dave.dsig.SHA512.multipart.eml", Some("address-mismatch"), &[l("valid", "Dave@example.com", "SHA-512"), l("address-mismatch", "Alice@example.com", "SHA-512")], DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.plain.dsig.SHA512.multipart.dave.sig.SHA512.opaque.eml", Some("address-mismatch"), &[l("valid", "Dave@example.com", "SHA-512"), l("address-mismatch", "Alice@example.com", "SHA-512")], DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.plain.sig.SHA1.opaque.dave.dsig.SHA1.multipart.eml", Some("address-mismatch"), &[l("weak-algorithm", "Dave@example.com", "SHA-1"), l("address-mismatch", "Alice@example.com", "SHA-1")], DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.plain.sig.SHA1.opaque.dave.sig.SHA1.opaque.eml", Some("address-mismatch"), &[l("weak-algorithm", "Dave@example.com", "SHA-1"), l("address-mismatch", "Alice@example.com", "SHA-1")], DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.plain.sig.SHA256.opaque.dave.dsig.SHA256.multipart.eml", Some("address-mismatch"), &[l("valid", "Dave@example.com", "SHA-256"), l("address-mismatch", "Alice@example.com", "SHA-256")], DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.plain.sig.SHA256.opaque.dave.sig.SHA256.opaque.eml", Some("address-mismatch"), &[l("valid", "Dave@example.com", "SHA-256"), l("address-mismatch", "Alice@example.com", "SHA-256")], DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.plain.sig.SHA384.opaque.dave.dsig.SHA384.multipart.eml", Some("address-mismatch"), &[l("valid", "Dave@example.com", "SHA-384"), l("address-mismatch", "Alice@example.com", "SHA-384")], DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.plain.sig.SHA384.opaque.dave.sig.SHA384.opaque.eml", Some("address-mismatch"), &[l("valid", "Dave@example.com", "SHA-384"), l("address-mismatch", "Alice@example.com", "SHA-384")], DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.plain.sig.SHA512.opaque.dave.dsig.SHA512.multipart.eml", Some("address-mismatch"), &[l("valid", "Dave@example.com", "SHA-512"), l("address-mismatch", "Alice@example.com", "SHA-512")], DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.plain.sig.SHA512.opaque.dave.sig.SHA512.opaque.eml", Some("address-mismatch"), &[l("valid", "Dave@example.com", "SHA-512"), l("address-mismatch", "Alice@example.com", "SHA-512")], DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.sig.SHA1.opaque.eml", Some("weak-algorithm"), &[l("weak-algorithm", "Alice@example.com", "SHA-1")], SHA1_WHY),
    tb("thunderbird-comm-central/smime/alice.sig.SHA256.opaque.eml", Some("valid"), &[l("valid", "Alice@example.com", "SHA-256")], ""),
    tb("thunderbird-comm-central/smime/alice.sig.SHA384.opaque.eml", Some("valid"), &[l("valid", "Alice@example.com", "SHA-384")], ""),
    tb("thunderbird-comm-central/smime/alice.sig.SHA512.opaque.eml", Some("valid"), &[l("valid", "Alice@example.com", "SHA-512")], ""),
    // smime-manual/ (hand-crafted).
    tb("thunderbird-comm-central/smime-manual/alice.env.mixed.dsig.SHA256.multipart.eml", Some("tampered"), &[l("tampered", "Alice@example.com", "SHA-256")], ""),
    tb("thunderbird-comm-central/smime-manual/alice.dsig.SHA256.multipart.env.dsig.eml", None, &[l("tampered", "Alice@example.com", "SHA-256")], ENV_OUTER_WHY),
    tb("thunderbird-comm-central/smime-manual/outer-smime-bad-sig-inner-smime-enc-sig.eml", None, &[l("tampered", "Alice@example.com", "SHA-256")], ENV_OUTER_WHY),
    tb("thunderbird-comm-central/smime-manual/outer-smime-bad-sig-inner-smime-enc.eml", None, &[l("tampered", "Alice@example.com", "SHA-256")], ENV_OUTER_WHY),
    // browser-smime-data/.
    tb("thunderbird-comm-central/browser-smime-data/alice.dsig.SHA256.multipart.in.mixed.eml", Some("partially-signed"), &[l("valid", "Alice@example.com", "SHA-256")], ""),
    tb("thunderbird-comm-central/browser-smime-data/alice.dsig.SHA256.multipart.in.mixed.with.header.eml", Some("partially-signed"), &[l("valid", "Alice@example.com", "SHA-256")], ""),
    tb("thunderbird-comm-central/browser-smime-data/nested-sigs.eml", Some("tampered"), &[l("tampered", "kaie@kuix.de", "SHA-512")], ""),
];

// ---------------------------------------------------------------------------------------
// 1b. Stale 2019 NSS outputs: raw signed data without mail headers, Alice's 2019
//     certificate (2019-07-03..2024-07-03) whose CA is not in the corpus. Expected: the
//     signatures verify, the chain does not (valid-unknown-ca, weak-algorithm for SHA-1).

const STALE_AT: &str = "2020-01-01T00:00:00Z";
const A19: &str = "Alice@example.com";

const fn stale(file: &'static str, input: Input, status: &'static str, layers: &'static [L]) -> Case {
    Case { file, input, trust: TB_TRUST, at: STALE_AT, status: Some(status), layers, why: "" }
}

const STALE: &[Case] = &[
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.dsig.SHA1.multipart", Input::Headerless(A19), "weak-algorithm", &[ls("weak-algorithm", A19, "SHA-1", "good")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.dsig.SHA256.multipart", Input::Headerless(A19), "valid-unknown-ca", &[ls("valid-unknown-ca", A19, "SHA-256", "good")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.dsig.SHA384.multipart", Input::Headerless(A19), "valid-unknown-ca", &[ls("valid-unknown-ca", A19, "SHA-384", "good")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.dsig.SHA512.multipart", Input::Headerless(A19), "valid-unknown-ca", &[ls("valid-unknown-ca", A19, "SHA-512", "good")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.dsig.SHA1.multipart.mismatch-econtent", Input::Headerless(A19), "tampered", &[ls("tampered", A19, "SHA-1", "digest-mismatch")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.dsig.SHA256.multipart.mismatch-econtent", Input::Headerless(A19), "tampered", &[ls("tampered", A19, "SHA-256", "digest-mismatch")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.dsig.SHA384.multipart.mismatch-econtent", Input::Headerless(A19), "tampered", &[ls("tampered", A19, "SHA-384", "digest-mismatch")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.dsig.SHA512.multipart.mismatch-econtent", Input::Headerless(A19), "tampered", &[ls("tampered", A19, "SHA-512", "digest-mismatch")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.sig.SHA1.opaque", Input::Headerless(A19), "weak-algorithm", &[ls("weak-algorithm", A19, "SHA-1", "good")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.sig.SHA256.opaque", Input::Headerless(A19), "valid-unknown-ca", &[ls("valid-unknown-ca", A19, "SHA-256", "good")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.sig.SHA384.opaque", Input::Headerless(A19), "valid-unknown-ca", &[ls("valid-unknown-ca", A19, "SHA-384", "good")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.sig.SHA512.opaque", Input::Headerless(A19), "valid-unknown-ca", &[ls("valid-unknown-ca", A19, "SHA-512", "good")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.mime.dsig.SHA1", Input::DetachedFile("thunderbird-comm-central/smime/stale-2019-intermediates/alice.mime", A19), "weak-algorithm", &[ls("weak-algorithm", A19, "SHA-1", "good")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.mime.dsig.SHA256", Input::DetachedFile("thunderbird-comm-central/smime/stale-2019-intermediates/alice.mime", A19), "valid-unknown-ca", &[ls("valid-unknown-ca", A19, "SHA-256", "good")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.mime.dsig.SHA384", Input::DetachedFile("thunderbird-comm-central/smime/stale-2019-intermediates/alice.mime", A19), "valid-unknown-ca", &[ls("valid-unknown-ca", A19, "SHA-384", "good")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.mime.dsig.SHA512", Input::DetachedFile("thunderbird-comm-central/smime/stale-2019-intermediates/alice.mime", A19), "valid-unknown-ca", &[ls("valid-unknown-ca", A19, "SHA-512", "good")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.textplain.sig.SHA1", Input::Opaque(A19), "weak-algorithm", &[ls("weak-algorithm", A19, "SHA-1", "good")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.textplain.sig.SHA256", Input::Opaque(A19), "valid-unknown-ca", &[ls("valid-unknown-ca", A19, "SHA-256", "good")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.textplain.sig.SHA384", Input::Opaque(A19), "valid-unknown-ca", &[ls("valid-unknown-ca", A19, "SHA-384", "good")]),
    stale("thunderbird-comm-central/smime/stale-2019-intermediates/alice.textplain.sig.SHA512", Input::Opaque(A19), "valid-unknown-ca", &[ls("valid-unknown-ca", A19, "SHA-512", "good")]),
];

// ---------------------------------------------------------------------------------------
// 3/2. draft-ireland-examples-cms objects on the RFC 9216 keys (rfc9216-lamps-samples).
//      Certificates valid 2019/2020..2052.

const LAMPS_TRUST: &[&str] = &[
    "rfc9216-lamps-samples/certs/Sample_LAMPS_RSA_Certification_Authority.selfsigned.pem",
    "rfc9216-lamps-samples/certs/Sample_LAMPS_Ed25519_Certification_Authority.selfsigned.pem",
];
const LAMPS_AT: &str = "2026-06-01T00:00:00Z";
const ED25519_WHY: &str = "Ed25519 (RFC 8419) is valid upstream; Cachet does not implement Ed25519 (SPEC 4 lists RSA and ECDSA P-256/P-384): the signature check is 'unsupported' and the CA's Ed25519 signature on Carlos' certificate cannot be checked either: algorithm not supported, a weak-algorithm verdict naming Ed25519 (never wrong-usage: nothing is wrong with the certificate's usage). Never green.";

const fn lamps(file: &'static str, input: Input, status: &'static str, layers: &'static [L], why: &'static str) -> Case {
    Case { file, input, trust: LAMPS_TRUST, at: LAMPS_AT, status: Some(status), layers, why }
}

const IRELAND: &[Case] = &[
    lamps("ireland-examples-cms/signedByAliceRSA.p7m", Input::Opaque("alice@smime.example"), "valid", &[ls("valid", "alice@smime.example", "SHA-256", "good")], ""),
    lamps("ireland-examples-cms/signedByAliceRSAPSS.p7m", Input::Opaque("alice@smime.example"), "valid", &[ls("valid", "alice@smime.example", "SHA-256", "good")], ""),
    lamps("ireland-examples-cms/signedByCarlosEd25519.p7m", Input::Opaque("carlos@smime.example"), "weak-algorithm", &[ls("weak-algorithm", "carlos@smime.example", "SHA-512", "unsupported")], ED25519_WHY),
    lamps("ireland-examples-cms/signedByCarlosDetached.p7m", Input::DetachedText("This is some sample content.", "carlos@smime.example"), "weak-algorithm", &[ls("weak-algorithm", "carlos@smime.example", "SHA-512", "unsupported")], ED25519_WHY),
];

// ---------------------------------------------------------------------------------------
// 4. RFC 4134 examples: Carl's RSA and DSA roots, certificates 1999..2039, RSA-1024 and
//    DSA-1024 keys, SHA-1 everywhere.

const RFC4134_TRUST: &[&str] = &["rfc4134-examples/CarlRSASelf.cer", "rfc4134-examples/CarlDSSSelf.cer"];
const RFC4134_AT: &str = "2026-06-01T00:00:00Z";
const DSA_WHY: &str = "Valid upstream; Cachet does not implement DSA (SPEC 4 lists RSA and ECDSA): the signer's signature check is 'unsupported' and Carl's DSA signature on Alice's certificate cannot be checked either: algorithm not supported, a weak-algorithm verdict naming DSA (never wrong-usage).";
const RSA1024_WHY: &str = "Valid upstream; RSA-1024 keys and SHA-1 are weak-algorithm in Cachet (SPEC 4): verified but never green.";
const ALICE_DSS: &str = "AliceDSS@example.com";
const ALICE_RSA: &str = "AliceRSA@example.com";

const fn rfc4134(file: &'static str, input: Input, status: &'static str, layers: &'static [L], why: &'static str) -> Case {
    Case { file, input, trust: RFC4134_TRUST, at: RFC4134_AT, status: Some(status), layers, why }
}

const RFC4134: &[Case] = &[
    rfc4134("rfc4134-examples/4.1.bin", Input::Opaque(ALICE_DSS), "weak-algorithm", &[ls("weak-algorithm", ALICE_DSS, "SHA-1", "unsupported")], DSA_WHY),
    rfc4134("rfc4134-examples/4.2.bin", Input::Opaque(ALICE_RSA), "weak-algorithm", &[ls("weak-algorithm", ALICE_RSA, "SHA-1", "good")], RSA1024_WHY),
    rfc4134("rfc4134-examples/4.3.bin", Input::DetachedFile("rfc4134-examples/ExContent.bin", ALICE_DSS), "weak-algorithm", &[ls("weak-algorithm", ALICE_DSS, "SHA-1", "unsupported")], DSA_WHY),
    rfc4134("rfc4134-examples/4.4.bin", Input::Opaque(ALICE_DSS), "weak-algorithm", &[ls("weak-algorithm", ALICE_DSS, "SHA-1", "unsupported")], DSA_WHY),
    rfc4134("rfc4134-examples/4.5.bin", Input::Opaque(ALICE_RSA), "weak-algorithm", &[ls("weak-algorithm", ALICE_RSA, "SHA-1", "good")], RSA1024_WHY),
    rfc4134("rfc4134-examples/4.6.bin", Input::Opaque(ALICE_DSS), "address-mismatch", &[ls("address-mismatch", ALICE_DSS, "SHA-1", "unsupported")], "Two DSA signers, Alice and Diane (whose certificate inherits its DSA parameters): each is reported; Diane's certificate does not match the From (Alice), so the headline, the worst signer, is address-mismatch. DSA itself is not implemented (see DSA_WHY)."),
    rfc4134("rfc4134-examples/4.7.bin", Input::Opaque(ALICE_DSS), "weak-algorithm", &[ls("weak-algorithm", ALICE_DSS, "SHA-1", "unsupported")], "Signer found by subjectKeyIdentifier (Alice's DSA certificate); DSA is not implemented (see DSA_WHY)."),
    rfc4134("rfc4134-examples/4.8.eml", Input::Eml, "address-mismatch", &[ls("address-mismatch", ALICE_DSS, "SHA-1", "unsupported")], "From is aliceDss@examples.com (sic) while the certificate says AliceDSS@example.com; and DSA is not implemented."),
    rfc4134("rfc4134-examples/4.9.eml", Input::Eml, "address-mismatch", &[ls("address-mismatch", ALICE_DSS, "SHA-1", "unsupported")], "From is aliceDss@examples.com (sic) while the certificate says AliceDSS@example.com; and DSA is not implemented."),
    rfc4134("rfc4134-examples/4.10.bin", Input::Opaque(ALICE_DSS), "weak-algorithm", &[ls("weak-algorithm", ALICE_DSS, "SHA-1", "unsupported")], DSA_WHY),
    rfc4134("rfc4134-examples/4.11.bin", Input::CertsOnly, "unsigned", &[], ""),
];

// ---------------------------------------------------------------------------------------
// 5. Bouncy Castle mail tests (LF line endings, canonicalised by `open`). No trust anchor
//    is published for most; each is validated at its signingTime.

const fn bc(file: &'static str, input: Input, trust: &'static [&'static str], at: &'static str, status: &'static str, layers: &'static [L], why: &'static str) -> Case {
    Case { file, input, trust, at, status: Some(status), layers, why }
}

const BC_ROOT: &[&str] = &["bouncycastle-mail/validator.root.crt"];
const ARMIN: &str = "arminha@student.ethz.ch";
const MD5_WHY: &str = "SignedMailValidator: the 2006 certificates are signed with MD5, which Cachet refuses (SPEC 4), so the path is weak-algorithm whatever else the test is about; the specific problem is still in the path details (see the cert::chain corpus tests).";

const AS2_WHY: &str = "AS2 over HTTP, signature part in binary transfer: the signature verifies, as Bouncy Castle says; the trading-partner certificate has no e-mail address, so against the From it is address-mismatch (and SHA-1 is weak).";
// NOTE: brokenEnv.message is a lone application/pkcs7-signature (a detached signature with no
// content) as the whole message. Upstream expects it rejected as malformed; Cachet does not
// treat a top-level pkcs7-signature as S/MIME and reports the message unsigned (nothing green).
// Left as is; whether to call it malformed instead is for the lead.
const BROKEN_ENV_WHY: &str = "Upstream: rejected as malformed. Cachet: a lone signature part is not an S/MIME layer, so the message is unsigned; never green either way.";

const BOUNCYCASTLE: &[Case] = &[
    bc("bouncycastle-mail/3nnn_smime.eml", Input::Eml, &[], "2015-03-11T13:36:43Z", "valid-unknown-ca", &[ls("valid-unknown-ca", "bruce_hoff@hotmail.com", "SHA-256", "good")], "Disputed upstream: Bouncy Castle's test says the signature does not verify, OpenSSL says valid over the CRLF-canonical bytes; Cachet agrees with OpenSSL."),
    bc("bouncycastle-mail/circular.eml", Input::Eml, &[], "2007-04-03T06:56:26Z", "wrong-usage", &[ls("wrong-usage", "armin@privasphere.com", "SHA-1", "good")], "Signature valid, path invalid (the issuers form a loop): Cachet's invalid path is wrong-usage."),
    bc("bouncycastle-mail/extra-nl.eml", Input::Eml, &[], "2009-09-08T06:45:17Z", "address-mismatch", &[ls("address-mismatch", "test@example.com", "SHA-1", "good")], "Signature valid upstream; the From (martijn@djigzo.com) is not the certificate's address (test@example.com)."),
    bc("bouncycastle-mail/multi-alternative.eml", Input::Eml, &[], "2008-04-09T08:28:28Z", "weak-algorithm", &[ls("weak-algorithm", "edifact@landenergie.de", "SHA-1", "good")], "Signature valid upstream; SHA-1 is weak-algorithm in Cachet and no trust anchor is published."),
    bc("bouncycastle-mail/openssl-signed-sha256-non-default-salt-length.eml", Input::Eml, &[], "2017-05-04T09:17:35Z", "valid-unknown-ca", &[ls("valid-unknown-ca", "test@example.com", "SHA-256", "good")], ""),
    bc("bouncycastle-mail/qp-soft-break.eml", Input::Eml, &[], "2007-07-06T10:35:25Z", "weak-algorithm", &[ls("weak-algorithm", "martijn@izecom.com", "SHA-1", "good")], "Signature valid upstream; SHA-1 is weak-algorithm in Cachet."),
    bc("bouncycastle-mail/quotable.message", Input::Eml, &[], "2006-08-15T14:12:31Z", "weak-algorithm", &[ls("weak-algorithm", ARMIN, "SHA-1", "good")], "Signature valid upstream (self-signed signer, no root); SHA-1 and RSA-1024 are weak-algorithm in Cachet."),
    bc("bouncycastle-mail/embeddedmulti.message", Input::Eml, &[], "2007-01-17T12:18:12Z", "weak-algorithm", &[ls("weak-algorithm", "hauser@acm.org", "SHA-1", "good")], "Signature valid upstream; SHA-1 is weak-algorithm in Cachet."),
    bc("bouncycastle-mail/basicAS2.message", Input::Http, &[], "2003-02-17T21:01:00Z", "address-mismatch", &[ls("address-mismatch", "", "SHA-1", "good")], AS2_WHY),
    bc("bouncycastle-mail/rawAS2.message", Input::Http, &[], "2003-02-17T21:01:00Z", "address-mismatch", &[ls("address-mismatch", "", "SHA-1", "good")], AS2_WHY),
    bc("bouncycastle-mail/brokenEnv.message", Input::Eml, &[], "2026-06-01T00:00:00Z", "unsigned", &[], BROKEN_ENV_WHY),
    bc("bouncycastle-mail/attachonly.eml", Input::Eml, &[], "2026-06-01T00:00:00Z", "unsigned", &[], ""),
    bc("bouncycastle-mail/validator.validMail.eml", Input::Eml, BC_ROOT, "2006-09-04T09:36:14Z", "weak-algorithm", &[ls("weak-algorithm", ARMIN, "SHA-1", "good")], MD5_WHY),
    bc("bouncycastle-mail/validator.keyUsage.eml", Input::Eml, BC_ROOT, "2006-08-28T12:52:38Z", "weak-algorithm", &[ls("weak-algorithm", ARMIN, "SHA-1", "good")], MD5_WHY),
    bc("bouncycastle-mail/validator.extKeyUsage.eml", Input::Eml, BC_ROOT, "2006-08-28T15:01:37Z", "weak-algorithm", &[ls("weak-algorithm", ARMIN, "SHA-1", "good")], MD5_WHY),
    bc("bouncycastle-mail/validator.noEmail.eml", Input::Eml, BC_ROOT, "2006-08-28T15:02:56Z", "address-mismatch", &[ls("address-mismatch", "", "SHA-1", "good")], ""),
    bc("bouncycastle-mail/validator.notYetValid.eml", Input::Eml, BC_ROOT, "2006-08-28T15:04:01Z", "weak-algorithm", &[ls("weak-algorithm", ARMIN, "SHA-1", "good")], MD5_WHY),
    bc("bouncycastle-mail/validator.expired.eml", Input::Eml, BC_ROOT, "2006-09-01T09:08:35Z", "weak-algorithm", &[ls("weak-algorithm", ARMIN, "SHA-1", "good")], MD5_WHY),
    bc("bouncycastle-mail/validator.revoked.eml", Input::Eml, BC_ROOT, "2006-09-01T10:49:05Z", "weak-algorithm", &[ls("weak-algorithm", ARMIN, "SHA-1", "good")], "Revoked upstream with validator.revoked.crl; Cachet does not check CRLs, and the MD5-signed path is weak-algorithm anyway."),
    bc("bouncycastle-mail/validator.shortKey.eml", Input::Eml, BC_ROOT, "2006-08-28T15:05:26Z", "weak-algorithm", &[ls("weak-algorithm", ARMIN, "SHA-1", "unsupported")], "Valid with a warning upstream; a 512-bit RSA key is refused by Cachet's policy (weak-algorithm, the signature is not checked)."),
    bc("bouncycastle-mail/validator.longValidity.eml", Input::Eml, BC_ROOT, "2006-09-01T12:01:23Z", "weak-algorithm", &[ls("weak-algorithm", ARMIN, "SHA-1", "good")], MD5_WHY),
];

// ---------------------------------------------------------------------------------------
// 6. MimeKit: a real Thunderbird 24 message (2013), StartCom chain (expired, distrusted).

const MIMEKIT: &[Case] = &[Case {
    file: "mimekit/thunderbird-signed.eml.txt",
    input: Input::Eml,
    trust: &["mimekit/StartComCertificationAuthority.crt"],
    at: "2013-11-02T20:28:04Z",
    status: Some("weak-algorithm"),
    layers: &[ls("weak-algorithm", "fejj@gnome.org", "SHA-1", "good")],
    why: "Validated at its signing time with StartCom as anchor: the signature and the chain hold, SHA-1 makes it weak-algorithm (today the chain is expired and StartCom distrusted).",
}];

// ---------------------------------------------------------------------------------------
// 7. OpenSSL test messages.

const OPENSSL: &[Case] = &[
    Case {
        file: "openssl/smime-eml/SignedInvalidMappingFromanyPolicyTest7.eml",
        input: Input::Eml,
        trust: &["nist-pkits-smime/certs/TrustAnchorRootCertificate.crt"],
        at: "2026-06-01T00:00:00Z",
        status: Some("address-mismatch"),
        layers: &[ls("address-mismatch", "", "SHA-256", "good")],
        why: "",
    },
    // NOTE: SignedData.digestAlgorithms is an empty SET. Upstream (OpenSSL) expects a graceful
    // rejection ("Verification failure"); RFC 5652 5.1 allows zero elements ("There MAY be any
    // number of elements in the collection, including zero"), and the SignerInfo names its own
    // digest, so Cachet reads it and checks the signature, which is good. The self-signed
    // "PoC Signer" is untrusted and the message has no From, so it is never green. Left as is.
    Case {
        file: "openssl/smime-eml-upstream/pkcs7-empty-digest-set.eml",
        input: Input::Eml,
        trust: &[],
        at: "2026-06-01T00:00:00Z",
        status: Some("address-mismatch"),
        layers: &[ls("address-mismatch", "", "SHA-256", "good")],
        why: "Upstream rejects it (empty digestAlgorithms); RFC 5652 allows an empty set, so Cachet checks the signature (good) and reports the untrusted signer without a From address: address-mismatch, never green, no crash.",
    },
];

/// Files in no table here because their signature, if any, is inside an encryption layer,
/// or they are enveloped only: covered by the decryption tests.
const DECRYPTION: &[&str] = &[
    "thunderbird-comm-central/smime/alice.env.eml",
    "thunderbird-comm-central/smime/alice.dsig.SHA1.multipart.env.eml",
    "thunderbird-comm-central/smime/alice.dsig.SHA256.multipart.env.eml",
    "thunderbird-comm-central/smime/alice.dsig.SHA384.multipart.env.eml",
    "thunderbird-comm-central/smime/alice.dsig.SHA512.multipart.env.eml",
    "thunderbird-comm-central/smime/alice.sig.SHA1.opaque.env.eml",
    "thunderbird-comm-central/smime/alice.sig.SHA256.opaque.env.eml",
    "thunderbird-comm-central/smime/alice.sig.SHA384.opaque.env.eml",
    "thunderbird-comm-central/smime/alice.sig.SHA512.opaque.env.eml",
    "thunderbird-comm-central/smime/alice.html.sig.SHA1.opaque.env.eml",
    "thunderbird-comm-central/smime/alice.html.sig.SHA256.opaque.env.eml",
    "thunderbird-comm-central/smime/alice.html.sig.SHA384.opaque.env.eml",
    "thunderbird-comm-central/smime/alice.html.sig.SHA512.opaque.env.eml",
    "thunderbird-comm-central/smime/stale-2019-intermediates/alice.dsig.SHA1.multipart.env",
    "thunderbird-comm-central/smime/stale-2019-intermediates/alice.dsig.SHA256.multipart.env",
    "thunderbird-comm-central/smime/stale-2019-intermediates/alice.dsig.SHA384.multipart.env",
    "thunderbird-comm-central/smime/stale-2019-intermediates/alice.dsig.SHA512.multipart.env",
    "thunderbird-comm-central/smime/stale-2019-intermediates/alice.mime.env",
    "thunderbird-comm-central/smime/stale-2019-intermediates/alice.sig.SHA1.opaque.env",
    "thunderbird-comm-central/smime/stale-2019-intermediates/alice.sig.SHA256.opaque.env",
    "thunderbird-comm-central/smime/stale-2019-intermediates/alice.sig.SHA384.opaque.env",
    "thunderbird-comm-central/smime/stale-2019-intermediates/alice.sig.SHA512.opaque.env",
    "thunderbird-comm-central/smime-manual/outer-pgp-sig-inner-smime-enc-sig.eml",
    "thunderbird-comm-central/smime-manual/outer-pgp-sig-inner-smime-enc.eml",
    "thunderbird-comm-central/browser-smime-data/multipart-alternative.eml",
    "thunderbird-comm-central/smime-interop/fran-oaep_ossl.env",
    "thunderbird-comm-central/smime-interop/fran-oaep-label_ossl.env",
    "thunderbird-comm-central/smime-interop/fran-oaep-sha256hash_ossl.env",
    "thunderbird-comm-central/smime-interop/fran-oaep-sha256hash-sha256mgf_ossl.env",
    "thunderbird-comm-central/smime-interop/fran-ec_ossl-aes128-sha256.env",
    "thunderbird-comm-central/smime-interop/fran-ec_ossl-aes256-sha512.env",
    "ireland-examples-cms/encryptedForBobRSAOaep.p7m",
    "ireland-examples-cms/encryptedForBobAndDana.p7m",
    "ireland-examples-cms/authEnvelopedForBobChaCha20Poly1305.p7m",
    "ireland-examples-cms/authEnvelopedForDanaX25519HKDF.p7m",
    "ireland-examples-cms/encryptedKekri.p7m",
    "rfc4134-examples/5.1.bin",
    "rfc4134-examples/5.2.bin",
    "rfc4134-examples/5.3.eml",
    "rfc4134-examples/7.1.bin",
    "rfc4134-examples/7.2.bin",
    "bouncycastle-mail/outlook_2010_beta_sime_msg.eml",
    "bouncycastle-mail/dotnet_encrypted_mail.eml",
    "bouncycastle-mail/test128.message",
    "bouncycastle-mail/test192.message",
    "bouncycastle-mail/test256.message",
    "pyca-cryptography-vectors/pkcs7/enveloped-rsa-oaep.pem",
    "pyca-cryptography-vectors/pkcs7/enveloped-triple-des.pem",
    "pyca-cryptography-vectors/pkcs7/enveloped-no-content.der",
    "pyca-cryptography-vectors/pkcs7/enveloped.pem",
];

/// Files that hold no signature, with the reason.
const NOT_SIGNED: &[(&str, &str)] = &[
    ("rfc4134-examples/3.1.bin", "ContentInfo of type Data (BER), no signature"),
    ("rfc4134-examples/3.2.bin", "ContentInfo of type Data (DER), no signature"),
    ("rfc4134-examples/6.0.bin", "DigestedData, no signature"),
    ("rfc4134-examples/ExContent.bin", "the sample content"),
    ("thunderbird-comm-central/smime/stale-2019-intermediates/alice.mime", "plaintext input of the NSS signing runs"),
    ("thunderbird-comm-central/smime/stale-2019-intermediates/alice.textplain", "plaintext input of the NSS signing runs"),
    ("thunderbird-comm-central/smime/expiration.txt", "upstream note on certificate expiry"),
];

/// Keys, certificates, CRLs, PKCS#12 files and notes: material, not messages.
fn is_material(rel: &str) -> bool {
    const EXT: [&str; 8] = [".pem", ".crt", ".cer", ".crl", ".pri", ".p12", ".md", "SHA256SUMS"];
    (EXT.iter().any(|e| rel.ends_with(e)) && !rel.starts_with("pyca-cryptography-vectors/pkcs7/"))
        || rel.starts_with("rfc9216-lamps-samples/")
}

fn read(corpus: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(corpus.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The message `cachet open` reads for this case.
fn message_of(corpus: &Path, case: &Case) -> Vec<u8> {
    let bytes = read(corpus, case.file);
    match case.input {
        Input::Eml => bytes,
        Input::Headerless(from) => {
            let mut m = format!("From: <{from}>\r\nMIME-Version: 1.0\r\n").into_bytes();
            m.extend_from_slice(&bytes);
            m
        }
        Input::Http => {
            let start = bytes.iter().position(|b| *b == b'\n').map(|i| i + 1).unwrap_or(0);
            bytes[start..].to_vec()
        }
        Input::Opaque(from) => wrap_opaque(from, &bytes, "signed-data"),
        Input::CertsOnly => wrap_opaque("nobody@example.net", &bytes, "certs-only"),
        Input::DetachedFile(content, from) => wrap_detached(from, &read(corpus, content), &bytes, "sha-256"),
        Input::DetachedText(content, from) => wrap_detached(from, content.as_bytes(), &bytes, "sha-256"),
    }
}

fn str_at<'v>(v: &'v serde_json::Value, ptr: &str) -> &'v str {
    v.pointer(ptr).and_then(|x| x.as_str()).unwrap_or("")
}

/// Open one case and compare with the table; Err describes every difference.
fn check(corpus: &Path, case: &Case) -> Result<serde_json::Value, String> {
    let msg = message_of(corpus, case);
    let mut args: Vec<String> = vec!["--at".into(), case.at.into()];
    for t in case.trust {
        args.push("--trust".into());
        args.push(corpus.join(t).to_string_lossy().into_owned());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (r, code) = open(&msg, &refs);
    let mut wrong = Vec::new();
    if let Some(want) = case.status {
        if status(&r) != want {
            wrong.push(format!("status {} (want {want})", status(&r)));
        }
        // With a headline, the layer list is complete (no more, no fewer layers).
        let n = r["layers"].as_array().map(Vec::len).unwrap_or(0);
        if n != case.layers.len() {
            wrong.push(format!("{n} layers (want {})", case.layers.len()));
        }
        let want_code = if want == "valid" { 0 } else { 3 };
        if code != want_code {
            wrong.push(format!("exit code {code} (want {want_code})"));
        }
    }
    for (i, L(st, signer, digest, sig)) in case.layers.iter().enumerate() {
        let layer = format!("/layers/{i}");
        let got = str_at(&r, &format!("{layer}/status"));
        if got != *st {
            wrong.push(format!("layer {i} status {got:?} (want {st})"));
        }
        if !signer.is_empty() {
            let emails: Vec<String> = r.pointer(&format!("{layer}/signers/0/certificate/emails")).and_then(|e| e.as_array()).map(|a| a.iter().filter_map(|x| x.as_str()).map(str::to_ascii_lowercase).collect()).unwrap_or_default();
            if !emails.contains(&signer.to_ascii_lowercase()) {
                wrong.push(format!("layer {i} signer {emails:?} (want {signer})"));
            }
        }
        if !digest.is_empty() && str_at(&r, &format!("{layer}/signers/0/digest_algorithm")) != *digest {
            wrong.push(format!("layer {i} digest {:?} (want {digest})", str_at(&r, &format!("{layer}/signers/0/digest_algorithm"))));
        }
        if !sig.is_empty() && str_at(&r, &format!("{layer}/signers/0/signature")) != *sig {
            wrong.push(format!("layer {i} signature {:?} (want {sig})", str_at(&r, &format!("{layer}/signers/0/signature"))));
        }
    }
    if wrong.is_empty() {
        Ok(r)
    } else {
        let why = if case.why.is_empty() { String::new() } else { format!("\n  (expected verdict and why: {})", case.why) };
        Err(format!("{}: {}\n{}{why}", case.file, wrong.join("; "), summary(&r)))
    }
}

/// One line per layer: what Cachet said, for failure messages.
fn summary(r: &serde_json::Value) -> String {
    let mut out = format!("  got {}", status(r));
    for layer in r["layers"].as_array().into_iter().flatten() {
        out.push_str(&format!(" | {} {}", layer["kind"], layer["status"]));
        for s in layer["signers"].as_array().into_iter().flatten() {
            out.push_str(&format!(" [{} {} sig={} chain={} {:?}]", s["certificate"]["emails"], s["digest_algorithm"], s["signature"], s["chain"]["status"], s["details"]));
        }
    }
    if let Some(e) = r.get("error") {
        out.push_str(&format!(" error={e}"));
    }
    out
}

fn run_table(test: &str, cases: &[Case]) {
    let Some(corpus) = corpus(test) else { return };
    let failures: Vec<String> = cases.iter().filter_map(|c| check(&corpus, c).err()).collect();
    assert!(failures.is_empty(), "{} of {} corpus verdicts differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn thunderbird_nss_messages() {
    run_table("thunderbird_nss_messages", THUNDERBIRD);
}

#[test]
fn nss_2019_raw_outputs() {
    run_table("nss_2019_raw_outputs", STALE);
}

#[test]
fn ireland_examples_on_rfc9216_keys() {
    run_table("ireland_examples_on_rfc9216_keys", IRELAND);
}

#[test]
fn rfc4134_examples() {
    run_table("rfc4134_examples", RFC4134);
}

#[test]
fn bouncycastle_mail() {
    run_table("bouncycastle_mail", BOUNCYCASTLE);
}

#[test]
fn mimekit_thunderbird_24() {
    run_table("mimekit_thunderbird_24", MIMEKIT);
}

#[test]
fn openssl_messages() {
    run_table("openssl_messages", OPENSSL);
}

// ---------------------------------------------------------------------------------------
// 9. NIST PKITS signed messages: one test per path-validation case, named Signed<Test>.eml.
//    Expected: names with "Invalid" fail path validation, the others pass (initial policy
//    set any-policy). The anchor is valid 2010..2030.

use cachet_testkit::pkits_limitation;

const PKITS_TRUST: &str = "nist-pkits-smime/certs/TrustAnchorRootCertificate.crt";
const PKITS_AT: &str = "2026-06-01T00:00:00Z";

#[test]
fn nist_pkits_messages() {
    let Some(corpus) = corpus("nist_pkits_messages") else { return };
    let mut names: Vec<String> = std::fs::read_dir(corpus.join("nist-pkits-smime/smime")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names.len(), 224, "the README lists 224 PKITS messages");
    let trust = corpus.join(PKITS_TRUST).to_string_lossy().into_owned();
    let (mut asserted, mut wrong) = (0, Vec::new());
    for name in &names {
        let msg = read(&corpus, &format!("nist-pkits-smime/smime/{name}"));
        let (r, code) = open(&msg, &["--trust", &trust, "--at", PKITS_AT]);
        let signer = &r["layers"][0]["signers"][0];
        let chain = signer["chain"]["status"].as_str().unwrap_or("none");
        let expect_valid = !name.contains("Invalid");
        // Nothing from PKITS is ever green: no end-entity certificate carries the From
        // address (sender@testcertificates.gov), so the best headline is address-mismatch.
        if status(&r) == "valid" || code == 0 {
            wrong.push(format!("{name}: headline {} exit {code}", status(&r)));
        }
        let limitation = pkits_limitation(name);
        eprintln!("{} {name}: {} chain={chain} sig={}", if limitation.is_some() { "skip" } else { "    " }, status(&r), signer["signature"]);
        if limitation.is_some() {
            continue;
        }
        asserted += 1;
        // Six "valid" PKITS end-entity certificates carry cA=TRUE: RFC 5280 accepts the path,
        // but a CA certificate is not a mail signer (SPEC section 1), so the chain is
        // wrong-usage for them, for that reason alone.
        if expect_valid && signer["certificate"]["is_ca"] == true {
            let why = signer["chain"]["details"].as_array().map(|d| d.len() == 1 && d[0].as_str().unwrap_or("").contains("certificate authority")).unwrap_or(false);
            if chain != "wrong-usage" || !why {
                wrong.push(format!("{name}: chain {chain} (want wrong-usage: a CA certificate as signer) {}", summary(&r)));
            }
        } else if (chain == "trusted") != expect_valid {
            wrong.push(format!("{name}: chain {chain} (want {}) {}", if expect_valid { "trusted" } else { "not trusted" }, summary(&r)));
        }
        // The CMS signature itself is good in every PKITS message (the invalid cases are
        // about the certificates, including InvalidEESignatureTest3's certificate signature).
        if signer["signature"] != "good" {
            wrong.push(format!("{name}: signature {} {}", signer["signature"], summary(&r)));
        }
        if expect_valid && status(&r) != "address-mismatch" {
            wrong.push(format!("{name}: headline {} (want address-mismatch) {}", status(&r), summary(&r)));
        }
    }
    eprintln!("PKITS messages: {asserted} asserted of {}", names.len());
    assert!(asserted >= 130, "too few PKITS messages asserted: {asserted}");
    assert!(wrong.is_empty(), "PKITS verdicts differ:\n{}", wrong.join("\n"));
}

#[test]
fn openssl_pkits_policy_mapping_message_fails_path_validation() {
    let Some(corpus) = corpus("openssl_pkits_policy_mapping_message") else { return };
    let r = check(&corpus, &OPENSSL[0]).unwrap_or_else(|e| panic!("{e}"));
    // Upstream: path validation fails (policy mapping from anyPolicy).
    let chain = r["layers"][0]["signers"][0]["chain"]["status"].as_str().unwrap_or("none");
    assert_ne!(chain, "trusted", "{}", summary(&r));
    assert_eq!(chain, "invalid", "{}", summary(&r));
}

/// signedByAliceAndCarlosNoCerts.p7m: two signers (RSA and Ed25519) and no certificates
/// inside; valid upstream "if certs supplied externally". Through `cachet::smime::open`, with the
/// signers' certificates as known (untrusted) certificates, as the add-in's contact store.
#[test]
fn ireland_two_signers_without_certificates() {
    use cachet::cert::facts::parse_certificates;
    let Some(corpus) = corpus("ireland_two_signers_without_certificates") else { return };
    let cert = |rel: &str| parse_certificates(&read(&corpus, rel)).unwrap();
    let anchors: Vec<_> = LAMPS_TRUST.iter().flat_map(|t| cert(t)).collect();
    let known: Vec<_> = ["rfc9216-lamps-samples/certs/alice@smime.example.sig.pem", "rfc9216-lamps-samples/certs/carlos@smime.example.sig.pem"].iter().flat_map(|t| cert(t)).collect();
    let msg = wrap_opaque("alice@smime.example", &read(&corpus, "ireland-examples-cms/signedByAliceAndCarlosNoCerts.p7m"), "signed-data");
    let (policy, limits) = (cachet::policy::Policy::standard(), cachet::mime::Limits::default());
    let at = cachet::time::UnixTime::parse_rfc3339(LAMPS_AT).unwrap();
    let open_with = |known: &[x509_cert::Certificate]| {
        let input = cachet::smime::OpenInput { roots: &anchors, pins: &[], known, identities: &[], passwords: &[], at, policy: &policy, limits: &limits };
        serde_json::to_value(cachet::smime::open(&msg, &input).report).unwrap()
    };
    // Without the certificates: neither signature can be checked.
    let r = open_with(&[]);
    assert_eq!(status(&r), "no-signer", "{}", summary(&r));
    let signers = r["layers"][0]["signers"].as_array().unwrap();
    assert_eq!(signers.len(), 2);
    assert!(signers.iter().all(|s| s["signature"] == "no-certificate"), "{}", summary(&r));
    // With them: Alice (RSA) is valid; Carlos (Ed25519, not implemented) cannot be checked
    // and is not the From address, so the headline, the worst signer, is address-mismatch.
    let r = open_with(&known);
    let signers = r["layers"][0]["signers"].as_array().unwrap();
    let by = |email: &str| signers.iter().find(|s| s["certificate"]["emails"][0] == email).unwrap_or_else(|| panic!("no signer {email}: {}", summary(&r)));
    let (alice, carlos) = (by("alice@smime.example"), by("carlos@smime.example"));
    assert_eq!((alice["status"].as_str(), alice["signature"].as_str(), alice["digest_algorithm"].as_str()), (Some("valid"), Some("good"), Some("SHA-256")), "{}", summary(&r));
    assert_eq!(alice["chain"]["status"], "trusted");
    assert_eq!((carlos["signature"].as_str(), carlos["digest_algorithm"].as_str()), (Some("unsupported"), Some("SHA-512")), "{}", summary(&r));
    assert_eq!(status(&r), "address-mismatch", "{}", summary(&r));
}

/// Every corpus file is in a table, in the PKITS folder, in the decryption or not-signed
/// lists, or is key/certificate material: a file added to the corpus fails here until it
/// gets an expected verdict.
#[test]
fn every_corpus_file_is_covered() {
    let Some(corpus) = corpus("every_corpus_file_is_covered") else { return };
    let tables: [&[Case]; 7] = [THUNDERBIRD, STALE, IRELAND, RFC4134, BOUNCYCASTLE, MIMEKIT, OPENSSL];
    let mut covered: Vec<&str> = tables.iter().flat_map(|t| t.iter().map(|c| c.file)).collect();
    covered.push("ireland-examples-cms/signedByAliceAndCarlosNoCerts.p7m"); // ireland_two_signers_without_certificates
    let mut files = Vec::new();
    let mut dirs = vec![corpus.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                files.push(p.strip_prefix(&corpus).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    files.sort();
    let mut missing = Vec::new();
    for f in &files {
        let known = covered.contains(&f.as_str())
            || DECRYPTION.contains(&f.as_str())
            || NOT_SIGNED.iter().any(|(n, _)| n == f)
            || f.starts_with("nist-pkits-smime/smime/Signed")
            || is_material(f);
        if !known {
            missing.push(f.clone());
        }
    }
    // Each listed file exists (the lists do not rot silently).
    for f in covered.iter().chain(DECRYPTION).chain(NOT_SIGNED.iter().map(|(n, _)| n)) {
        assert!(files.iter().any(|x| x == f), "{f} is listed but not in the corpus");
    }
    assert!(missing.is_empty(), "corpus files without an expected verdict:\n{}", missing.join("\n"));
    assert!(files.len() >= 600, "the README lists about 652 files, found {}", files.len());
}

/// `--at` decides validity: the same corpus messages are expired after their certificates'
/// notAfter and not yet valid before their notBefore; the signing time is reported, and
/// whether the certificate was valid then (RFC 8550: a claim, never a rescue).
#[test]
fn validation_time_decides_expiry() {
    let Some(corpus) = corpus("validation_time_decides_expiry") else { return };
    let tb_ca = corpus.join(TB_TRUST[0]).to_string_lossy().into_owned();
    let msg = read(&corpus, "thunderbird-comm-central/smime/alice.sig.SHA256.opaque.eml");
    for (at, want) in [("2026-06-01T00:00:00Z", "valid"), ("2031-06-01T00:00:00Z", "expired"), ("2025-06-01T00:00:00Z", "not-yet-valid")] {
        let (r, code) = open(&msg, &["--trust", &tb_ca, "--at", at]);
        assert_eq!(status(&r), want, "at {at}: {}", summary(&r));
        assert_eq!(code, if want == "valid" { 0 } else { 3 });
        let signer = &r["layers"][0]["signers"][0];
        assert_eq!(signer["signature"], "good");
        assert_eq!(signer["signing_time"], "2026-01-26T14:40:10Z", "{signer:#}");
        assert_eq!(signer["valid_at_signing_time"], true);
    }
    // The "future" message: its Date header is 6 hours after the signingTime; both are reported
    // facts, the verdict is the validation at --at (see FUTURE_WHY).
    let future = read(&corpus, "thunderbird-comm-central/smime/alice.future.dsig.SHA256.multipart.eml");
    assert!(String::from_utf8_lossy(&future).contains("Date: Mon, 26 Jan 2026 20:38:03 +0000"));
    let (r, _) = open(&future, &["--trust", &tb_ca, "--at", TB_AT]);
    assert_eq!(status(&r), "valid", "{}", summary(&r));
    let st = r["layers"][0]["signers"][0]["signing_time"].as_str().unwrap().to_string();
    assert!(st.starts_with("2026-01-26T14:"), "{st}");
    // MimeKit's 2013 message today: expired, with the certificate valid at its signing time.
    let mk = read(&corpus, "mimekit/thunderbird-signed.eml.txt");
    let startcom = corpus.join("mimekit/StartComCertificationAuthority.crt").to_string_lossy().into_owned();
    let (r, _) = open(&mk, &["--trust", &startcom, "--at", "2026-06-01T00:00:00Z"]);
    assert_eq!(status(&r), "expired", "{}", summary(&r));
    assert_eq!(r["layers"][0]["signers"][0]["valid_at_signing_time"], true);
}

/// No corpus file makes `open` fail: each one (as a message, and DER ones also wrapped as
/// application/pkcs7-mime) gives a JSON report with a status and exit 0 or 3, never a
/// crash (a panic would kill the Wasm instance).
#[test]
fn every_corpus_file_opens_without_crashing() {
    let Some(corpus) = corpus("every_corpus_file_opens_without_crashing") else { return };
    let mut dirs = vec![corpus.clone()];
    let mut n = 0;
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
                continue;
            }
            let rel = p.strip_prefix(&corpus).unwrap().to_string_lossy().into_owned();
            if rel.ends_with(".crl") || rel.ends_with(".crt") || rel.ends_with("SHA256SUMS") || rel.ends_with(".md") {
                continue;
            }
            let bytes = std::fs::read(&p).unwrap();
            let mut inputs = vec![bytes.clone()];
            if bytes.first() == Some(&0x30) {
                inputs.push(wrap_opaque("nobody@example.net", &bytes, "signed-data"));
            }
            for msg in inputs {
                let (r, code) = open(&msg, &["--at", "2026-06-01T00:00:00Z"]);
                assert!(code == 0 || code == 3, "{rel}: exit {code}");
                assert!(r["status"].is_string(), "{rel}: {r}");
                n += 1;
            }
        }
    }
    assert!(n > 300, "only {n} inputs opened");
}
