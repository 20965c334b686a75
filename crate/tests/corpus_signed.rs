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
    /// The first layers, outer first.
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
const ENV_DAVE_WHY: &str = "Dave's valid signature around Alice's signature around an encryption layer (Thunderbird: BAD). Cachet reports Dave's layer valid and Alice's layer as it verifies over the encrypted part (OpenSSL agrees: the detached one is a digest mismatch); the rest is covered by the decryption tests.";
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
    tb("thunderbird-comm-central/smime/alice.env.dsig.SHA1.multipart.dave.sig.SHA1.opaque.eml", None, &[l("weak-algorithm", "Dave@example.com", "SHA-1"), l("tampered", "Alice@example.com", "SHA-1")], ENV_DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.env.dsig.SHA1.multipart.eml", None, &[l("tampered", "Alice@example.com", "SHA-1")], ENV_OUTER_WHY),
    tb("thunderbird-comm-central/smime/alice.env.dsig.SHA256.multipart.dave.sig.SHA256.opaque.eml", None, &[l("valid", "Dave@example.com", "SHA-256"), l("tampered", "Alice@example.com", "SHA-256")], ENV_DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.env.dsig.SHA256.multipart.eml", None, &[l("tampered", "Alice@example.com", "SHA-256")], ENV_OUTER_WHY),
    tb("thunderbird-comm-central/smime/alice.env.dsig.SHA384.multipart.dave.sig.SHA384.opaque.eml", None, &[l("valid", "Dave@example.com", "SHA-384"), l("tampered", "Alice@example.com", "SHA-384")], ENV_DAVE_WHY),
    tb("thunderbird-comm-central/smime/alice.env.dsig.SHA384.multipart.eml", None, &[l("tampered", "Alice@example.com", "SHA-384")], ENV_OUTER_WHY),
    tb("thunderbird-comm-central/smime/alice.env.dsig.SHA512.multipart.dave.sig.SHA512.opaque.eml", None, &[l("valid", "Dave@example.com", "SHA-512"), l("tampered", "Alice@example.com", "SHA-512")], ENV_DAVE_WHY),
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
        Err(format!("{}: {}\n{}", case.file, wrong.join("; "), summary(&r)))
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
