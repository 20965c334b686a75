//! Certificate path validation for S/MIME: builds a path from a leaf to a trust anchor
//! and checks it. RFC 5280 section 6.1 (basic path validation: names, signatures,
//! validity, basicConstraints and pathLenConstraint, keyUsage keyCertSign, unknown
//! critical extensions), RFC 8550 section 4.4 (S/MIME key usage and EKU), RFC 4518 (name
//! comparison, simplified: case-insensitive, whitespace-collapsed strings).
//!
//! A pure function: certificates, roots, pins, address, time and policy in; a report out.
//!
//! Two kinds of trust (SPEC section 5), never mixed:
//! * Roots (`roots`): the user's explicitly trusted roots and the organisation's. Only
//!   roots issue. A self-signed root inside `intermediates` (e.g. shipped in the message)
//!   is never trusted.
//! * Pins (`pins`): certificates the user trusted one by one ("trust this certificate").
//!   A pin matches only a leaf that is byte-identical to it (same DER) and only when the
//!   address the leaf is used for (`address`: the From or recipient address) is among
//!   the pinned certificate's own e-mail addresses; it is then trusted directly, and its
//!   dates, key usage and EKU are still checked. A pin is never an issuer of anything,
//!   whatever its basicConstraints say: pins are not even in the pool paths are built from.
//!   A pin that does not apply (other address, or no address) leaves the leaf to the
//!   roots, and the details say why the pin did not count.
//! * A leaf byte-identical to a root: a root with cA=TRUE is a CA certificate, never a
//!   mail signer or recipient (`WrongUsage`, see below). A "root" without cA=TRUE cannot
//!   issue anything (every issuer needs cA=TRUE), so it is treated exactly like a pin of
//!   itself: trusted as its own leaf, for its own addresses only, reported as a pin. The one
//!   exception is a version 1 root (no extensions at all, as old CA roots are): it may issue,
//!   since it cannot say cA=TRUE.
//! * The report says where the trust came from: [`PathReport::trusted_by`] and the last
//!   [`CertRef::trusted_as`] are `root` or `pin`.
//!
//! Rules:
//! * Every certificate of the path, the anchor included, must be valid at `at`.
//! * The leaf must not be a CA certificate (basicConstraints cA=TRUE): a CA certificate is
//!   not a mail signer nor an encryption recipient (SPEC section 1), `WrongUsage`.
//! * Every issuer (roots included) must have basicConstraints cA=TRUE (a version 1 root
//!   without extensions is accepted), keyCertSign when keyUsage is present, and its
//!   pathLenConstraint must hold. The root's own self-signature is not checked.
//! * Weak algorithms below the anchor (a signature on a certificate, or an RSA key, judged
//!   by the `Policy`) are reported: flagged ones give `WeakAlgorithm` only when nothing
//!   else is wrong; refused ones (MD5, RSA < 1024) rank above usage and date problems.
//! * Not done: revocation (CRL/OCSP), certificate policies (behaves as initial-policy-set
//!   anyPolicy with no explicit policy required), name constraints (a critical
//!   nameConstraints extension, like any unknown critical extension, makes the path invalid).
//!
//! Precedence when several problems exist, worst first (the report's `status`):
//! `BadSignature` > `Invalid` > `WeakAlgorithm` (refused) > `WrongUsage` >
//! `Expired`/`NotYetValid` > `UnknownCa` > `WeakAlgorithm` (flagged) > `Trusted`;
//! within one level the certificate nearest the leaf wins. When several paths can be
//! built, the one with the best status is reported (then fewer problems, then shorter).
//! `details` lists every problem of the reported path (and why a pin did not count).

use crate::cert::facts::{
    basic_constraints, eku_allows_email, email_addresses, key_info, key_usage, ku_allows_encryption,
    ku_allows_signing, matches_address, sha256_fingerprint, hex,
};
use crate::cert::lookup::names_equal;
use crate::crypto::{verify_certificate_signature, SigFailure};
use crate::policy::{Policy, Verdict};
use crate::time::UnixTime;
use const_oid::ObjectIdentifier;
use der::Encode;
use serde::Serialize;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, KeyUsages, SubjectKeyIdentifier};
use x509_cert::Certificate;

/// Default limit on certificates in a path (leaf and anchor included).
pub const DEFAULT_MAX_DEPTH: usize = 8;
/// Limit on candidate paths examined (bounds the work on hostile certificate sets).
const MAX_PATHS: usize = 64;

/// Most certificate signatures one path search checks: distinct (issuer, certificate) pairs,
/// a pair met again in another candidate path being answered from the first check. Past it a
/// signature counts as not verified (`Invalid`, naming the limit): the candidate paths of a
/// hostile certificate set, each certificate with a large RSA key, cannot cost a signature
/// check each (64 paths of 8 certificates would be 448 checks).
pub const MAX_SIGNATURE_CHECKS: usize = 64;

/// The signature checks of one path search, by the indices of certificate and issuer.
type Checks = std::collections::HashMap<(usize, usize), Result<crate::crypto::SigInfo, SigFailure>>;

/// What the leaf certificate is to be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    Sign,
    Encrypt,
}

/// Where the trust of a path comes from.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnchorKind {
    /// A root the user (or the organisation) trusts: it issued the path.
    Root,
    /// The leaf itself, pinned by the user for its own addresses.
    Pin,
}

pub struct ValidationInput<'a> {
    pub leaf: &'a Certificate,
    /// Certificates from the message and stores: untrusted, only used to build the path.
    pub intermediates: &'a [Certificate],
    /// Trusted roots: the only certificates that issue.
    pub roots: &'a [Certificate],
    /// Pinned certificates: each trusts only a byte-identical leaf, for its own addresses.
    pub pins: &'a [Certificate],
    /// The address the leaf is used for (From or recipient); a pin counts only when the
    /// pinned certificate names it, so without an address no pin counts.
    pub address: Option<&'a str>,
    /// The validation time (never the message's signingTime).
    pub at: UnixTime,
    pub purpose: Purpose,
    pub policy: &'a Policy,
    /// Most certificates in a path, leaf and anchor included (e.g. [`DEFAULT_MAX_DEPTH`]).
    pub max_depth: usize,
}

/// One certificate of the reported path.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertRef {
    pub subject: String,
    pub issuer: String,
    /// Upper-case hex.
    pub serial: String,
    /// SHA-256 fingerprint, colon-separated upper-case hex.
    pub sha256: String,
    pub not_before: UnixTime,
    pub not_after: UnixTime,
    /// This certificate is where the trust comes from (a root, or the pinned leaf).
    pub anchor: bool,
    /// For the anchor: `root` (it issued the path) or `pin` (trusted as itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub trusted_as: Option<AnchorKind>,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum PathStatus {
    Trusted,
    /// The path does not end at an anchor (or no issuer was found).
    UnknownCa,
    Expired { subject: String, not_after: UnixTime },
    NotYetValid { subject: String, not_before: UnixTime },
    WrongUsage { reason: String },
    /// A signature on a certificate of the path does not verify.
    BadSignature { reason: String },
    WeakAlgorithm { algorithm: String },
    /// Structural problem: CA without cA=TRUE, pathLen exceeded, loop, too long, unknown
    /// critical extension, unsupported algorithm.
    Invalid { reason: String },
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathReport {
    #[serde(flatten)]
    pub status: PathStatus,
    /// Leaf first; the last one is the anchor when `status` is not `UnknownCa`.
    pub path: Vec<CertRef>,
    /// Where the path's trust comes from, when it ends at one: `root` ("issued by a root
    /// you trust") or `pin` ("pinned by you"). Absent when no anchor was reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub trusted_by: Option<AnchorKind>,
    /// Every problem found on the reported path, in words, worst first.
    pub details: Vec<String>,
}

/// A problem with its rank (lower is worse) and position (0 = leaf).
struct Problem {
    rank: u8,
    at: usize,
    status: PathStatus,
    text: String,
}

const RANK_BAD_SIGNATURE: u8 = 0;
const RANK_INVALID: u8 = 1;
const RANK_WEAK_REFUSED: u8 = 2;
const RANK_WRONG_USAGE: u8 = 3;
const RANK_DATES: u8 = 4;
const RANK_UNKNOWN_CA: u8 = 5;
const RANK_WEAK_FLAGGED: u8 = 6;
const RANK_TRUSTED: u8 = 7;

const KNOWN_EXTENSIONS: [ObjectIdentifier; 8] = [
    crate::oid::OID_EXT_KEY_USAGE,
    crate::oid::OID_EXT_BASIC_CONSTRAINTS,
    crate::oid::OID_EXT_EXTENDED_KEY_USAGE,
    crate::oid::OID_EXT_SUBJECT_ALT_NAME,
    crate::oid::OID_EXT_SUBJECT_KEY_ID,
    crate::oid::OID_EXT_AUTHORITY_KEY_ID,
    crate::oid::OID_EXT_CERTIFICATE_POLICIES, // any policy accepted
    crate::oid::OID_EXT_INHIBIT_ANY_POLICY,   // no policy processing, so nothing to inhibit
];

/// A candidate path: indexes into `all`, leaf first, and how it ends.
struct Candidate {
    certs: Vec<usize>,
    anchored: bool,
    /// How the path is anchored (when `anchored`).
    kind: AnchorKind,
    loop_seen: bool,
    too_long: bool,
}

/// Validate `input.leaf` for `input.purpose` at `input.at`. Never panics.
///
/// # Security
/// All certificates except `roots` and `pins` are untrusted; pins only ever trust a
/// byte-identical leaf for the addresses it names, and are never issuers. Path building
/// is bounded by `max_depth` (certificates per path, at most 32) and by 64 candidate
/// paths; each certificate appears at most once per path, so loops end.
pub fn validate(input: &ValidationInput) -> PathReport {
    let max_depth = input.max_depth.clamp(1, 32);
    // Certificate pool: leaf, roots, intermediates (roots first so they are preferred).
    // Pins are not in it: they never issue.
    let mut all: Vec<(&Certificate, bool, Vec<u8>)> = Vec::new();
    let leaf_der = input.leaf.to_der().unwrap_or_default();
    all.push((input.leaf, false, leaf_der.clone()));
    for a in input.roots {
        all.push((a, true, a.to_der().unwrap_or_default()));
    }
    for c in input.intermediates {
        all.push((c, false, c.to_der().unwrap_or_default()));
    }
    let same = |c: &Certificate| c.to_der().map(|d| d == leaf_der).unwrap_or(false);
    let pinned = input.pins.iter().any(same);
    let leaf_is_root = input.roots.iter().any(same);
    let leaf_is_ca = basic_constraints(input.leaf).map(|b| b.ca).unwrap_or(false);
    let for_address = input.address.map(|a| matches_address(input.leaf, a)).unwrap_or(false);
    // The leaf trusted as itself: a pin (or a non-CA "root", which is one) for one of its
    // own addresses. A CA root as leaf is anchored as itself too, and refused as a leaf
    // by `leaf_usage` (a CA certificate is not a mail signer).
    let direct = if leaf_is_root && leaf_is_ca {
        Some(AnchorKind::Root)
    } else if (pinned || leaf_is_root) && for_address {
        Some(AnchorKind::Pin)
    } else {
        None
    };
    let mut notes = Vec::new();
    if (pinned || leaf_is_root) && direct.is_none() {
        let names = email_addresses(input.leaf);
        let names = if names.is_empty() { "no e-mail address".to_string() } else { names.join(", ") };
        notes.push(match input.address {
            Some(a) => format!("the certificate is pinned for {names} only, not for {a}, so the pin does not count here"),
            None => format!("the certificate is pinned for {names} only, and there is no address to match, so the pin does not count here"),
        });
    }

    let mut candidates = Vec::new();
    if let Some(kind) = direct {
        candidates.push(Candidate { certs: vec![0], anchored: true, kind, loop_seen: false, too_long: false });
    } else {
        let mut stack = vec![0usize];
        build(&all, &mut stack, max_depth, false, &mut candidates);
    }

    let mut best: Option<(Vec<Problem>, &Candidate)> = None;
    let mut checks = Checks::new();
    for cand in &candidates {
        let problems = evaluate(input, &all, cand, &mut checks);
        let better = match &best {
            None => true,
            Some((bp, bc)) => score(&problems, cand) < score(bp, bc),
        };
        if better {
            best = Some((problems, cand));
        }
    }
    let Some((mut problems, cand)) = best else {
        // Not reachable (the leaf alone is always a candidate); report without panicking.
        return PathReport { status: PathStatus::UnknownCa, path: Vec::new(), trusted_by: None, details: vec!["no path".into()] };
    };
    problems.sort_by_key(|p| (p.rank, p.at));
    let status = problems.first().map(|p| p.status.clone()).unwrap_or(PathStatus::Trusted);
    let last = cand.certs.len().saturating_sub(1);
    let trusted_by = cand.anchored.then_some(cand.kind);
    let path = cand
        .certs
        .iter()
        .enumerate()
        .filter_map(|(pos, i)| all.get(*i).map(|e| (pos, e)))
        .map(|(pos, (c, _, _))| cert_ref(c, if pos == last { trusted_by } else { None }))
        .collect();
    let mut details: Vec<String> = problems.into_iter().map(|p| p.text).collect();
    details.extend(notes);
    PathReport { status, path, trusted_by, details }
}

fn score(problems: &[Problem], cand: &Candidate) -> (u8, usize, usize) {
    let worst = problems.iter().map(|p| p.rank).min().unwrap_or(RANK_TRUSTED);
    // Higher rank is better, so invert it for a minimum comparison.
    (RANK_TRUSTED - worst, problems.len(), cand.certs.len())
}

/// Depth-first enumeration of issuer chains from the last certificate of `stack`.
fn build(all: &[(&Certificate, bool, Vec<u8>)], stack: &mut Vec<usize>, max_depth: usize, loop_seen: bool, out: &mut Vec<Candidate>) {
    if out.len() >= MAX_PATHS {
        return;
    }
    let Some(&last) = stack.last() else { return };
    let Some((child, child_is_anchor, child_der)) = all.get(last) else { return };
    if *child_is_anchor && stack.len() > 1 {
        out.push(Candidate { certs: stack.clone(), anchored: true, kind: AnchorKind::Root, loop_seen, too_long: false });
        return;
    }
    if stack.len() >= max_depth {
        out.push(Candidate { certs: stack.clone(), anchored: false, kind: AnchorKind::Root, loop_seen, too_long: true });
        return;
    }
    let mut issuers: Vec<(u8, usize)> = Vec::new();
    let mut saw_loop = loop_seen;
    for (i, (cand, _, der_bytes)) in all.iter().enumerate() {
        if !names_equal(cand.tbs_certificate().subject(), child.tbs_certificate().issuer()) {
            continue;
        }
        let repeated = stack.iter().any(|s| all.get(*s).map(|(_, _, d)| d == der_bytes).unwrap_or(false));
        if repeated {
            // A self-signed certificate naming itself is not a loop, just the top, also
            // when a copy of it is in the pool (a signer's own certificate is usually
            // among the message's certificates too).
            if der_bytes != child_der {
                saw_loop = true;
            }
            continue;
        }
        issuers.push((key_id_order(child, cand), i));
    }
    issuers.sort_unstable();
    if issuers.is_empty() {
        out.push(Candidate { certs: stack.clone(), anchored: false, kind: AnchorKind::Root, loop_seen: saw_loop, too_long: false });
        return;
    }
    for (_, i) in issuers {
        stack.push(i);
        build(all, stack, max_depth, saw_loop, out);
        stack.pop();
    }
}

/// 0: AKI keyIdentifier equals the candidate's SKI; 1: no key ids to compare; 2: they differ.
fn key_id_order(child: &Certificate, issuer: &Certificate) -> u8 {
    let aki = child
        .tbs_certificate()
        .get_extension::<AuthorityKeyIdentifier>()
        .ok()
        .flatten()
        .and_then(|(_, a)| a.key_identifier);
    let ski = issuer.tbs_certificate().get_extension::<SubjectKeyIdentifier>().ok().flatten().map(|(_, s)| s.0);
    match (aki, ski) {
        (Some(a), Some(s)) if a == s => 0,
        (Some(_), Some(_)) => 2,
        _ => 1,
    }
}

fn evaluate(input: &ValidationInput, all: &[(&Certificate, bool, Vec<u8>)], cand: &Candidate, checks: &mut Checks) -> Vec<Problem> {
    let mut out = Vec::new();
    let certs: Vec<(&Certificate, bool)> = cand.certs.iter().filter_map(|i| all.get(*i)).map(|(c, a, _)| (*c, *a)).collect();
    let subj = |c: &Certificate| crate::cert::names::name_string(c.tbs_certificate().subject());
    let mut push = |rank: u8, at: usize, status: PathStatus, text: String| out.push(Problem { rank, at, status, text });

    if !cand.anchored {
        let text = match certs.last() {
            Some((top, _)) if names_equal(top.tbs_certificate().subject(), top.tbs_certificate().issuer()) && certs.len() > 1 => {
                format!("the path ends at '{}', which is not a trusted root here", subj(top))
            }
            Some((top, _)) => format!("no trusted issuer found for '{}' (issuer '{}')", subj(top), crate::cert::names::name_string(top.tbs_certificate().issuer())),
            None => "no path".into(),
        };
        push(RANK_UNKNOWN_CA, certs.len(), PathStatus::UnknownCa, text);
    }
    if cand.loop_seen && !cand.anchored {
        let reason = "the issuers form a loop".to_string();
        push(RANK_INVALID, certs.len(), PathStatus::Invalid { reason: reason.clone() }, reason);
    }
    if cand.too_long {
        let reason = format!("the path is longer than {} certificates", input.max_depth.clamp(1, 32));
        push(RANK_INVALID, certs.len(), PathStatus::Invalid { reason: reason.clone() }, reason);
    }

    for (i, (cert, is_anchor)) in certs.iter().enumerate() {
        let tbs = cert.tbs_certificate();
        // Dates, for every certificate (anchor included).
        let nb = UnixTime::from_der_time(&tbs.validity().not_before);
        let na = UnixTime::from_der_time(&tbs.validity().not_after);
        if input.at > na {
            let text = format!("'{}' expired on {}", subj(cert), na.to_rfc3339());
            push(RANK_DATES, i, PathStatus::Expired { subject: subj(cert), not_after: na }, text);
        }
        if input.at < nb {
            let text = format!("'{}' is not valid before {}", subj(cert), nb.to_rfc3339());
            push(RANK_DATES, i, PathStatus::NotYetValid { subject: subj(cert), not_before: nb }, text);
        }
        // Key usage, extended key usage and basic constraints that appear twice or cannot be
        // read: never taken as absent (which would allow every use), for every certificate.
        if let Some(ext) = unreadable_usage_extension(cert) {
            let reason = format!("'{}' has a {ext} extension that appears more than once or cannot be read", subj(cert));
            push(RANK_INVALID, i, PathStatus::Invalid { reason: reason.clone() }, reason);
        }
        // A root's name constraints (or policy constraints) would restrict what it issues:
        // Cachet does not apply them, so such a root issues nothing here rather than anything.
        if *is_anchor && i > 0 {
            for ext in tbs.extensions().map(|e| e.as_slice()).unwrap_or(&[]) {
                if ext.extn_id == ID_CE_NAME_CONSTRAINTS || ext.extn_id == ID_CE_POLICY_CONSTRAINTS {
                    let reason = format!("the root '{}' restricts what it issues ({}), which Cachet does not check", subj(cert), ext.extn_id);
                    push(RANK_INVALID, i, PathStatus::Invalid { reason: reason.clone() }, reason);
                }
            }
        }
        // Unknown critical extensions, below the anchor.
        if !is_anchor {
            for ext in tbs.extensions().map(|e| e.as_slice()).unwrap_or(&[]) {
                if ext.critical && !KNOWN_EXTENSIONS.contains(&ext.extn_id) {
                    let reason = format!("'{}' has a critical extension Cachet does not process ({})", subj(cert), ext.extn_id);
                    push(RANK_INVALID, i, PathStatus::Invalid { reason: reason.clone() }, reason);
                }
            }
        }
        // The certificate's own RSA key size, below the anchor.
        if !is_anchor {
            let key = key_info(tbs.subject_public_key_info());
            if let (true, Some(bits)) = (key.algorithm.starts_with("RSA"), key.bits) {
                weak(&mut push, i, input.policy.check_rsa_bits(bits), &subj(cert));
            }
        }
        if i == 0 {
            leaf_usage(input.purpose, cert, &mut push);
        } else {
            issuer_checks(cert, *is_anchor, &certs, i, &mut push);
        }
        // The signature on this certificate by the next one.
        if let Some((issuer, _)) = certs.get(i + 1) {
            let key = (cand.certs.get(i).copied().unwrap_or(usize::MAX), cand.certs.get(i + 1).copied().unwrap_or(usize::MAX));
            let checked = match checks.get(&key) {
                Some(r) => Some(r.clone()),
                None if checks.len() >= MAX_SIGNATURE_CHECKS => None,
                None => {
                    let r = verify_certificate_signature(issuer, cert);
                    checks.insert(key, r.clone());
                    Some(r)
                }
            };
            let Some(checked) = checked else {
                let reason = format!("the signature on '{}' was not checked: limit MAX_SIGNATURE_CHECKS = {MAX_SIGNATURE_CHECKS} exceeded (too many candidate certificates)", subj(cert));
                push(RANK_INVALID, i, PathStatus::Invalid { reason: reason.clone() }, reason);
                continue;
            };
            match checked {
                Ok(info) => {
                    let v = input.policy.check_signature(&info);
                    weak(&mut push, i, v, &format!("the signature on '{}' ({})", subj(cert), info.describe()));
                }
                Err(SigFailure::Invalid) => {
                    let reason = format!("the signature on '{}' by '{}' does not verify", subj(cert), subj(issuer));
                    push(RANK_BAD_SIGNATURE, i, PathStatus::BadSignature { reason: reason.clone() }, reason);
                }
                Err(SigFailure::Mismatch(d)) => {
                    let reason = format!("the signature on '{}' cannot be checked: {d}", subj(cert));
                    push(RANK_BAD_SIGNATURE, i, PathStatus::BadSignature { reason: reason.clone() }, reason);
                }
                Err(SigFailure::Unsupported(alg)) if alg.contains("MD5") => {
                    let text = format!("the signature on '{}' uses {alg}, which is refused", subj(cert));
                    push(RANK_WEAK_REFUSED, i, PathStatus::WeakAlgorithm { algorithm: alg }, text);
                }
                // DSA, Ed25519, Ed448, ...: an algorithm Cachet does not implement is named as
                // such (a weak-algorithm verdict), never taken for a misused certificate.
                Err(SigFailure::Unsupported(alg)) if !issuer_key_is_refused_rsa(issuer, input.policy) => {
                    let text = format!("the signature on '{}' uses {alg}, an algorithm Cachet does not support, so it cannot be checked", subj(cert));
                    push(RANK_WEAK_REFUSED, i, PathStatus::WeakAlgorithm { algorithm: format!("{alg} (not supported)") }, text);
                }
                Err(e @ (SigFailure::Unsupported(_) | SigFailure::BadKey(_))) => {
                    let issuer_key = key_info(issuer.tbs_certificate().subject_public_key_info());
                    match issuer_key.bits.map(|b| (b, input.policy.check_rsa_bits(b))) {
                        Some((b, Verdict::Refuse(_))) if issuer_key.algorithm.starts_with("RSA") => {
                            let alg = format!("RSA {b} bits");
                            let text = format!("'{}' is signed with a {alg} key, which is refused", subj(cert));
                            push(RANK_WEAK_REFUSED, i, PathStatus::WeakAlgorithm { algorithm: alg }, text);
                        }
                        _ => {
                            let reason = format!("the signature on '{}' cannot be checked: {e}", subj(cert));
                            push(RANK_INVALID, i, PathStatus::Invalid { reason: reason.clone() }, reason);
                        }
                    }
                }
            }
        }
    }
    out
}

/// The issuer's key is RSA of a size the policy refuses (reported as such, not as unsupported).
fn issuer_key_is_refused_rsa(issuer: &Certificate, policy: &crate::policy::Policy) -> bool {
    let k = key_info(issuer.tbs_certificate().subject_public_key_info());
    k.algorithm.starts_with("RSA") && k.bits.map(|b| matches!(policy.check_rsa_bits(b), Verdict::Refuse(_))).unwrap_or(false)
}

fn weak(push: &mut impl FnMut(u8, usize, PathStatus, String), at: usize, v: Verdict, what: &str) {
    match v {
        Verdict::Accept => {}
        Verdict::Flag(alg) => {
            let text = format!("{what}: {alg} is a weak algorithm");
            push(RANK_WEAK_FLAGGED, at, PathStatus::WeakAlgorithm { algorithm: alg }, text);
        }
        Verdict::Refuse(alg) => {
            let text = format!("{what}: {alg} is refused");
            push(RANK_WEAK_REFUSED, at, PathStatus::WeakAlgorithm { algorithm: alg }, text);
        }
    }
}

/// nameConstraints (RFC 5280 4.2.1.10) and policyConstraints (4.2.1.11).
const ID_CE_NAME_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.30");
const ID_CE_POLICY_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.36");

/// The name of a key usage, extended key usage or basic constraints extension of `cert` that
/// is there more than once or does not decode (x509-cert reports both as an error).
fn unreadable_usage_extension(cert: &Certificate) -> Option<&'static str> {
    use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};
    let tbs = cert.tbs_certificate();
    if tbs.get_extension::<KeyUsage>().is_err() {
        return Some("key usage");
    }
    if tbs.get_extension::<ExtendedKeyUsage>().is_err() {
        return Some("extended key usage");
    }
    if tbs.get_extension::<BasicConstraints>().is_err() {
        return Some("basic constraints");
    }
    None
}

fn leaf_usage(purpose: Purpose, leaf: &Certificate, push: &mut impl FnMut(u8, usize, PathStatus, String)) {
    let subject = crate::cert::names::name_string(leaf.tbs_certificate().subject());
    let mut wrong = |reason: String| push(RANK_WRONG_USAGE, 0, PathStatus::WrongUsage { reason: reason.clone() }, reason);
    match purpose {
        Purpose::Sign if !ku_allows_signing(leaf) => {
            wrong(format!("the key usage of '{subject}' does not allow digital signatures"))
        }
        Purpose::Encrypt if !ku_allows_encryption(leaf) => {
            wrong(format!("the key usage of '{subject}' does not allow key encipherment or agreement"))
        }
        _ => {}
    }
    if !eku_allows_email(leaf) {
        wrong(format!("the extended key usage of '{subject}' does not include e-mail protection"));
    }
    if basic_constraints(leaf).map(|b| b.ca).unwrap_or(false) {
        wrong(match purpose {
            Purpose::Sign => format!("'{subject}' is a certificate authority's certificate (basicConstraints cA=TRUE), not a mail signer's"),
            Purpose::Encrypt => format!("'{subject}' is a certificate authority's certificate (basicConstraints cA=TRUE), not a mail recipient's"),
        });
    }
}

/// basicConstraints, keyCertSign and pathLenConstraint of the issuer at `i` (>= 1).
fn issuer_checks(
    cert: &Certificate,
    is_anchor: bool,
    certs: &[(&Certificate, bool)],
    i: usize,
    push: &mut impl FnMut(u8, usize, PathStatus, String),
) {
    let subject = crate::cert::names::name_string(cert.tbs_certificate().subject());
    let mut invalid = |reason: String| push(RANK_INVALID, i, PathStatus::Invalid { reason: reason.clone() }, reason);
    let v1_anchor = is_anchor && cert.tbs_certificate().extensions().is_none();
    match basic_constraints(cert) {
        Some(bc) if bc.ca => {
            // Non-self-issued intermediates between this issuer and the leaf.
            let below = certs
                .get(1..i)
                .unwrap_or(&[])
                .iter()
                .filter(|(c, _)| !names_equal(c.tbs_certificate().subject(), c.tbs_certificate().issuer()))
                .count();
            if let Some(max) = bc.path_len_constraint {
                if below > usize::from(max) {
                    invalid(format!("'{subject}' allows {max} intermediate certificates below it, the path has {below}"));
                }
            }
        }
        _ if v1_anchor => {}
        _ => invalid(format!("'{subject}' issues a certificate but is not a certificate authority (basicConstraints cA is not set)")),
    }
    if let Some(ku) = key_usage(cert) {
        if !ku.0.contains(KeyUsages::KeyCertSign) {
            invalid(format!("the key usage of '{subject}' does not allow signing certificates"));
        }
    }
}

fn cert_ref(c: &Certificate, trusted_as: Option<AnchorKind>) -> CertRef {
    let tbs = c.tbs_certificate();
    CertRef {
        subject: crate::cert::names::name_string(tbs.subject()),
        issuer: crate::cert::names::name_string(tbs.issuer()),
        serial: hex(tbs.serial_number().as_bytes()),
        sha256: sha256_fingerprint(c),
        not_before: UnixTime::from_der_time(&tbs.validity().not_before),
        not_after: UnixTime::from_der_time(&tbs.validity().not_after),
        anchor: trusted_as.is_some(),
        trusted_as,
    }
}

#[cfg(test)]
#[path = "chain_tests.rs"]
mod tests;
#[cfg(test)]
#[path = "chain_corpus_tests.rs"]
mod corpus_tests;
