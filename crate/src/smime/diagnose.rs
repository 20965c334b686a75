//! Diagnosing a tampered signature (SPEC section 8): which original the signature still
//! verifies over (a part or text a server appended), tried within named budgets.

use crate::cms::signed::ParsedSignedData;
use crate::cms::verify;
use crate::mime::Entity;
use crate::report::{Diagnosis, SignatureCheck};

/// Largest suffix (bytes) searched for text a server appended after signing.
pub const MAX_APPENDED: usize = 256 * 1024;

/// first), and the line boundaries in the last [`MAX_APPENDED`] bytes (nearest the end
/// first). Beyond it the diagnosis says only that the content changed.
/// Most candidate originals tried when diagnosing a tampered signature, for each of the
/// two searches: the last parts of a signed multipart (each removed in turn, the last
pub const MAX_DIAGNOSIS_CANDIDATES: usize = 1024;

/// The signers' claimed messageDigests, grouped by digest algorithm.
fn claims_by_alg(sd: &ParsedSignedData) -> Vec<(crate::crypto::DigestAlg, Vec<Vec<u8>>)> {
    let mut out: Vec<(crate::crypto::DigestAlg, Vec<Vec<u8>>)> = Vec::new();
    for (alg, want) in sd.signers.iter().filter_map(verify::claimed_digest) {
        match out.iter_mut().find(|(a, _)| *a == alg) {
            Some((_, wants)) => wants.push(want),
            None => out.push((alg, vec![want])),
        }
    }
    out
}

/// A part of the signed multipart whose removal is a candidate original: the content up to
/// `cut` (the delimiter before the part) followed by the content from `end` on.
struct Removal {
    child: usize,
    cut: usize,
    end: usize,
}

/// The digest failed: find whether text was appended to the signed part, or a part
/// added inside it, after signing; report the addition and whether the original verifies.
///
/// # Security
/// `content` is untrusted. The work is linear in its size: every candidate original's
/// digest is computed from running hash states (a prefix is hashed once for all
/// candidates), at most [`MAX_DIAGNOSIS_CANDIDATES`] candidates of each kind are tried, and
/// the bytes hashed after the removed parts are bounded by the content's length.
pub(super) fn diagnose_tampered(sd: &ParsedSignedData, part1: &Entity<'_>, content: &[u8], signers: &[crate::report::SignerReport], out: &mut Vec<Diagnosis>) {
    let signature_ok = signers.iter().all(|s| matches!(s.signature, SignatureCheck::DigestMismatch | SignatureCheck::Good));
    let claims = claims_by_alg(sd);
    // (a) A part appended inside a signed multipart.
    if let Some(child) = appended_part(part1, content, &claims) {
        out.push(Diagnosis {
            id: "appended-part".into(),
            message: "A part was added to the signed content after signing, probably by a mail server (a disclaimer or footer). Without it, the original content matches the signature.".into(),
            appended_text: child.text().map(|t| t.trim().to_string()).or_else(|| child.filename().map(|n| format!("[attachment {n}]"))),
            original_verifies: Some(signature_ok),
        });
        return;
    }
    // (b) Text appended at the end of the signed part: try every line boundary in the tail.
    if let Some(cut) = appended_text_cut(content, &claims) {
        let appended = String::from_utf8_lossy(content.get(cut..).unwrap_or(&[])).trim().to_string();
        out.push(Diagnosis {
            id: "appended-text".into(),
            message: "Text was added to the end of the signed content after signing, probably by a mail server (a disclaimer or footer). Without it, the original content matches the signature.".into(),
            appended_text: Some(appended),
            original_verifies: Some(signature_ok),
        });
        return;
    }
    out.push(Diagnosis {
        id: "changed".into(),
        message: "The content was changed after signing, and the change is not a simple addition at the end.".into(),
        appended_text: None,
        original_verifies: Some(false),
    });
}

/// The child of `part1` (a multipart) without which `content` matches every claim, the
/// last such child first.
fn appended_part<'e, 'a>(part1: &'e Entity<'a>, content: &[u8], claims: &[(crate::crypto::DigestAlg, Vec<Vec<u8>>)]) -> Option<&'e Entity<'a>> {
    let boundary = part1.content_type().param("boundary").map(str::to_string)?;
    if claims.is_empty() {
        return None;
    }
    let base = part1.range().start;
    let delim = format!("\r\n--{boundary}");
    let finder = memchr::memmem::FinderRev::new(delim.as_bytes());
    // Each part's delimiter lies between the previous part's end and its own start: every
    // search looks at its own stretch of the content, once.
    let mut removals: Vec<Removal> = Vec::new();
    let mut from = 0usize;
    for (i, child) in part1.children().iter().enumerate() {
        let r = child.range();
        let (Some(start), Some(end)) = (r.start.checked_sub(base), r.end.checked_sub(base)) else { continue };
        let region_start = from.min(start);
        if let Some(at) = content.get(region_start..start).and_then(|region| finder.rfind(region)) {
            let cut = region_start + at;
            if end >= cut && end <= content.len() {
                removals.push(Removal { child: i, cut, end });
            }
        }
        from = end.saturating_sub(2).max(from);
    }
    // The last parts only, tried last first (a footer part is added at the end).
    let skip = removals.len().saturating_sub(MAX_DIAGNOSIS_CANDIDATES);
    let removals = removals.get(skip..).unwrap_or(&[]);
    let first_cut = removals.first()?.cut;
    // Per algorithm: the hash state after content[..cut] for every candidate, by one pass.
    let mut prefixes: Vec<Vec<crate::crypto::Hasher>> = Vec::new();
    for (alg, _) in claims {
        let mut h = crate::crypto::Hasher::new(*alg).ok()?;
        h.update(content.get(..first_cut)?);
        let mut done = first_cut;
        let mut states = Vec::with_capacity(removals.len());
        for rm in removals {
            h.update(content.get(done..rm.cut.max(done))?);
            done = rm.cut.max(done);
            states.push(h.clone());
        }
        prefixes.push(states);
    }
    // The bytes after the removed part are hashed per candidate: at most the content's
    // length in all, so the whole search stays linear.
    let mut suffix_budget = content.len();
    for (k, rm) in removals.iter().enumerate().rev() {
        let suffix = content.get(rm.end..)?;
        let cost = suffix.len().saturating_mul(claims.len());
        if cost > suffix_budget {
            break;
        }
        suffix_budget -= cost;
        let matches = claims.iter().zip(&prefixes).all(|((_, wants), states)| {
            states.get(k).is_some_and(|state| {
                let mut h = state.clone();
                h.update(suffix);
                let d = h.finalize();
                wants.iter().all(|w| *w == d)
            })
        });
        if matches {
            return part1.children().get(rm.child);
        }
    }
    None
}

/// The offset from which text appended to `content` after signing starts: a line boundary
/// in the last [`MAX_APPENDED`] bytes where the content before it matches a claim.
fn appended_text_cut(content: &[u8], claims: &[(crate::crypto::DigestAlg, Vec<Vec<u8>>)]) -> Option<usize> {
    let (alg, wants) = claims.first()?;
    let mut hasher = crate::crypto::Hasher::new(*alg).ok()?;
    let tail_start = content.len().saturating_sub(MAX_APPENDED);
    let mut cuts: Vec<usize> = Vec::new();
    let tail = content.get(tail_start..)?;
    for at in memchr::memmem::find_iter(tail, b"\r\n") {
        cuts.push(tail_start + at); // drop from this CRLF on
        cuts.push(tail_start + at + 2); // keep this CRLF
    }
    // Only the boundaries nearest the end are candidates; the content before them is
    // hashed once, incrementally.
    let skip = cuts.len().saturating_sub(MAX_DIAGNOSIS_CANDIDATES);
    let mut done = 0usize;
    for (n, cut) in cuts.into_iter().enumerate() {
        hasher.update(content.get(done..cut).unwrap_or(&[]));
        done = cut;
        if n < skip {
            continue;
        }
        let candidate_digest = hasher.clone().finalize();
        if wants.contains(&candidate_digest) {
            return Some(cut);
        }
    }
    None
}
