//! The bodies of the fuzz targets: feed untrusted bytes to one entry point of the core and
//! walk everything it gives back. A panic (or an overflow, fuzz builds check them) is a bug.
//! Shared by the fuzz binaries (`fuzz_targets/`) and the regression test
//! (`crate/tests/fuzz_regressions.rs`), so a saved crash replays through the same code.
//!
//! Fixtures (`fixtures/`): a trust anchor and a PKCS#12 identity made for fuzzing only
//! (`fuzz-test-*`, password [`FUZZ_P12_PASSWORD`]); they protect nothing.

use std::sync::OnceLock;

use cachet::asn1::ber;
use cachet::cms::{signed, verify};
use cachet::mime::{self, Entity, Limits};
use cachet::pkcs12::{self, Identity};
use cachet::policy::Policy;
use cachet::smime::{self, OpenInput};
use cachet::time::UnixTime;
use x509_cert::Certificate;

/// Password of `fixtures/fuzz-test-identity.p12` (a test key made for fuzzing).
pub const FUZZ_P12_PASSWORD: &str = "fuzz-test-password";
/// The fixed time of every target: 2027-01-01T00:00:00Z, inside the fixtures' validity.
pub const FUZZ_TIME: UnixTime = UnixTime(1_798_761_600);

const ANCHOR_DER: &[u8] = include_bytes!("../fixtures/fuzz-test-anchor.der");
const IDENTITY_P12: &[u8] = include_bytes!("../fixtures/fuzz-test-identity.p12");
/// Deepest BER nesting the `cms_signed` walk follows (the walk recurses).
const MAX_WALK_DEPTH: usize = 64;

fn anchors() -> &'static [Certificate] {
    static A: OnceLock<Vec<Certificate>> = OnceLock::new();
    A.get_or_init(|| cachet::cert::facts::parse_certificates(ANCHOR_DER).unwrap_or_else(|e| unreachable!("fuzz anchor fixture: {e}")))
}

fn identity() -> &'static Identity {
    static I: OnceLock<Identity> = OnceLock::new();
    I.get_or_init(|| pkcs12::import(IDENTITY_P12, FUZZ_P12_PASSWORD).unwrap_or_else(|e| unreachable!("fuzz identity fixture: {e}")))
}

fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(Policy::standard)
}

/// Small limits, so that the fuzzer reaches every limit check with short inputs.
fn small_limits() -> Limits {
    Limits { max_message_size: 64 * 1024, max_depth: 4, max_parts: 64, max_header_size: 4096, max_header_line: 1024 }
}

/// `mime_parse`: parse with default and with small limits, then read every accessor of
/// every entity. Also checks that byte ranges stay inside the input.
pub fn mime_parse(data: &[u8]) {
    let canonical = mime::canonicalize_crlf(data);
    assert!(mime::is_canonical(&canonical), "canonicalize_crlf output is not canonical");
    for limits in [Limits::default(), small_limits()] {
        for input in [data, canonical.as_ref()] {
            if let Ok(top) = mime::parse(input, &limits) {
                walk_entity(&top, input.len(), 0);
            }
        }
    }
}

fn walk_entity(e: &Entity<'_>, input_len: usize, depth: usize) {
    let range = e.range();
    assert!(range.start <= range.end && range.end <= input_len, "entity range {range:?} outside input of {input_len} bytes");
    assert_eq!(e.raw().len(), range.len(), "raw() does not match range()");
    assert!(e.header_block().len() <= e.raw().len() && e.body_raw().len() <= e.raw().len());
    assert_eq!(e.depth(), depth, "depth() disagrees with the tree");
    assert_eq!(e.path().len(), depth, "path() length disagrees with the tree");
    let _ = e.is_complete();
    for (name, value) in e.headers() {
        let _ = (name.len(), value.len());
        let _ = e.raw_header(name);
        let _ = e.header(name);
    }
    for name in ["subject", "from", "content-type", "content-disposition", "content-transfer-encoding"] {
        let _ = e.header(name);
    }
    let ct = e.content_type();
    let _ = (ct.essence(), ct.is("multipart/signed"), ct.param("boundary"), ct.param("charset"));
    if let Some(cd) = e.content_disposition() {
        let _ = (cd.essence(), cd.param("filename"));
    }
    let _ = e.transfer_encoding();
    let _ = e.filename();
    let _ = e.from_address();
    let _ = e.originator();
    let _ = e.smime_kind();
    if let Some(signed) = e.signed_content() {
        assert!(signed.len() <= e.raw().len(), "signed_content() larger than its entity");
    }
    let _ = e.body_decoded();
    let _ = e.text();
    for child in e.children() {
        walk_entity(child, input_len, depth + 1);
    }
}

/// `cms_signed`: the BER reader over the whole input, then SignedData parsing and the
/// verification steps that need no message (claimed digest, content match, signers).
pub fn cms_signed(data: &[u8]) {
    if let Ok(tlv) = ber::read_all(data) {
        walk_tlv(&tlv, 0);
    }
    let mut rest = data;
    while let Ok((_, r)) = ber::read(rest) {
        if r.len() >= rest.len() {
            break;
        }
        rest = r;
    }
    let _ = signed::content_info(data);
    let Ok(sd) = signed::parse_signed_data(data) else { return };
    for signer in &sd.signers {
        let _ = verify::claimed_digest(signer);
        let _ = verify::signer_id(&signer.info.sid);
    }
    let content: &[u8] = sd.econtent.as_deref().unwrap_or(b"Content-Type: text/plain\r\n\r\nfuzz\r\n");
    let _ = verify::content_matches(&sd, content);
    let ctx = verify::VerifyContext { from: Some("fuzz@example.org"), from_problem: None, sender: None, roots: anchors(), pins: anchors(), known: &[], at: FUZZ_TIME, policy: policy() };
    let _ = verify::verify_all(&sd, content, &ctx);
}

fn walk_tlv(t: &ber::Tlv<'_>, depth: usize) {
    if depth > MAX_WALK_DEPTH {
        return;
    }
    if t.tag == 0x04 || t.tag == 0x24 {
        let _ = t.octets();
    }
    if let Ok(kids) = t.children() {
        for k in &kids {
            walk_tlv(k, depth + 1);
        }
    }
}

fn open_with(data: &[u8], identities: &[&Identity]) {
    let limits = Limits::default();
    let input = OpenInput { roots: anchors(), pins: anchors(), known: &[], identities, passwords: &[], at: FUZZ_TIME, policy: policy(), limits: &limits };
    let opened = smime::open(data, &input);
    let _ = serde_json::to_string(&opened.report);
    if let Some(content) = opened.content {
        let _ = mime::parse(&content, &limits).map(|e| e.text());
    }
}

/// `open`: the whole open path (MIME, CMS, verification, report) with the fuzz trust
/// anchor, no private key, at [`FUZZ_TIME`].
pub fn open(data: &[u8]) {
    open_with(data, &[]);
}

/// `decrypt`: `open` with the unlocked fuzz identity, so enveloped and auth-enveloped
/// data addressed to it go through key transport and content decryption.
pub fn decrypt(data: &[u8]) {
    open_with(data, &[identity()]);
}

/// `pkcs12`: import with the fuzz password (files without a MAC reach bag decryption).
pub fn pkcs12(data: &[u8]) {
    match pkcs12::import_all(data, FUZZ_P12_PASSWORD) {
        Ok(ids) => {
            for id in &ids {
                let _ = (id.key().algorithm(), id.key().matches(&id.certificate), id.chain.len());
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Most runs of the deferred open (as the Wasm async path allows: each encrypted layer
/// costs a run, and so does each further candidate key tried on its content).
const MAX_DEFERRED_RUNS: usize = 2 * smime::MAX_LAYERS + cachet::cms::decrypt::MAX_CONTENT_DECRYPTIONS + 2;

/// `deferred`: `open` with the fuzz identity through the deferred bulk seam the Wasm
/// asynchronous exports drive with WebCrypto (`cms::bulk::Deferred`), run natively: the
/// first byte chooses how the host answers (computed as RustCrypto would, every decryption
/// refused, or every digest wrong), the rest is the message. Each run may ask for at most
/// one decryption (one copy of the content); with correct answers, a converged run must
/// report exactly what the portable `open` reports.
pub fn deferred(data: &[u8]) {
    use cachet::cms::bulk::{compute_portable, Answer, Bulk, Deferred, Request, MAX_DECRYPT_REQUESTS_PER_RUN};
    let Some((&mode, message)) = data.split_first() else { return };
    let limits = Limits::default();
    let ids = [identity()];
    let input = OpenInput { roots: anchors(), pins: anchors(), known: &[], identities: &ids, passwords: &[], at: FUZZ_TIME, policy: policy(), limits: &limits };
    let d = Deferred::new();
    for _ in 0..MAX_DEFERRED_RUNS {
        d.begin_run();
        let opened = smime::open_with(message, &input, &d);
        let requests = d.take_requests();
        let decrypts = requests.iter().filter(|(_, r)| matches!(r, Request::Decrypt { .. })).count();
        assert!(decrypts <= MAX_DECRYPT_REQUESTS_PER_RUN, "{decrypts} decryption requests in one run");
        let mut again = d.incomplete();
        for (seq, request) in requests {
            let Ok(right) = compute_portable(&request) else { return };
            let answer = match (mode % 3, &request) {
                (1, Request::Decrypt { .. }) => Answer::Failed,
                (2, Request::Digest { alg, .. }) => Answer::Digest(cachet::crypto::digest(*alg, b"another content").unwrap_or_default()),
                _ => right,
            };
            again |= !d.answer(seq, &request, answer);
        }
        if !again {
            let report = serde_json::to_string(&opened.report).unwrap_or_default();
            if mode % 3 == 0 {
                let portable = smime::open(message, &input);
                assert_eq!(report, serde_json::to_string(&portable.report).unwrap_or_default(), "the deferred open disagrees with the portable one");
                assert_eq!(opened.content, portable.content, "the deferred open's content differs");
            }
            return;
        }
    }
}

/// The address every `smimea` input is read for (its seeds answer for this owner name).
pub const FUZZ_SMIMEA_ADDRESS: &str = "alice@example.org";

/// `smimea`: the input as a DNS-over-HTTPS answer to the SMIMEA query for
/// [`FUZZ_SMIMEA_ADDRESS`] (names, compression pointers, records, certificates), as a bare
/// DNS response, and a name read at each of its first 64 offsets.
pub fn smimea(data: &[u8]) {
    if let Ok(l) = cachet::smimea::read_answer(FUZZ_SMIMEA_ADDRESS, data, FUZZ_TIME) {
        assert!(l.certificates.len() + l.rejected.len() <= cachet::smimea::wire::MAX_RECORDS, "more results than records read");
        for c in &l.certificates {
            assert!(c.facts.emails.iter().any(|e| cachet::cert::facts::addresses_equal(e, FUZZ_SMIMEA_ADDRESS)), "accepted a certificate for another address");
        }
    }
    let _ = cachet::smimea::wire::parse_response(data);
    for start in 0..data.len().min(64) {
        if let Ok((name, next)) = cachet::smimea::wire::read_name(data, start) {
            assert!(next <= data.len(), "a name ends past the input");
            assert!(name.iter().map(|l| l.len() + 1).sum::<usize>() < cachet::smimea::wire::MAX_NAME_OCTETS, "a name over 255 octets");
        }
    }
}
