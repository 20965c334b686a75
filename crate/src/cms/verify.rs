//! Verifying SignedData signers (RFC 5652 5.4, 5.6; RFC 8551 section 2; RFC 8550).
//!
//! Each signer gets three separate answers: is the signature good (digest and value),
//! is the certificate path trusted, does the certificate's address match the sender.
//! The signer's status is the worst of the three; the policy flags weak algorithms.
//!
//! Trust: roots issue, pins trust exactly one certificate for its own addresses (see
//! `cert::chain`). The address: the one From address must be among the certificate's
//! addresses (`cert::facts::email_addresses`), or else the one Sender address (RFC 8550
//! section 3: "From or Sender"), which the details then name; when the From header
//! cannot bind a single address (`from_problem`) the signer is never `valid`.

use super::signed::{ParsedSignedData, ParsedSigner};
use crate::cert::chain::{self, PathStatus, Purpose, ValidationInput};
use crate::cert::lookup::find_certificate;
use crate::cert::facts::{self, hex};
use crate::crypto::{self, DigestAlg, SigFailure, SigInfo};
use crate::policy::{Policy, Verdict};
use super::verdict::{AddressCheck, SignatureCheck, SignerId, SignerReport};
use crate::status::Status;
use crate::time::UnixTime;
use cms::signed_data::SignerIdentifier;
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use x509_cert::Certificate;

use crate::oid::{OID_DATA, OID_CONTENT_TYPE, OID_MESSAGE_DIGEST, OID_SIGNING_TIME, OID_SMIME_CAPABILITIES, OID_ENCRYPTION_KEY_PREFERENCE};

/// The signer detail (and repair) of signed attributes without contentType.
pub const CONTENT_TYPE_MISSING: &str = "contentType attribute missing (allowed by OpenSSL, required by RFC 5652): the signed attributes do not name the content type; Cachet read it as data, the only type S/MIME signs.";

/// Do the signer's signed attributes lack contentType (read as data, see [`CONTENT_TYPE_MISSING`])?
pub fn lacks_content_type(signer: &ParsedSigner) -> bool {
    signer.info.signed_attrs.is_some() && matches!(single_attr(signer, OID_CONTENT_TYPE), Ok(None))
}

/// What the verifier is given besides the message.
pub struct VerifyContext<'a> {
    /// The From address shown to the user (the first one when there are several).
    pub from: Option<&'a str>,
    /// Why the From header cannot bind the signer (several From headers or addresses, an
    /// address hidden in the display name): then the address check always fails.
    pub from_problem: Option<&'a str>,
    /// The single Sender address, when the message has one (RFC 8550 section 3).
    pub sender: Option<&'a str>,
    /// Trusted roots: the only issuers.
    pub roots: &'a [Certificate],
    /// Pinned certificates: each trusted only as itself, for its own addresses.
    pub pins: &'a [Certificate],
    /// Other known certificates (stored contacts, intermediates): never trusted by themselves.
    pub known: &'a [Certificate],
    /// Validation time.
    pub at: UnixTime,
    pub policy: &'a Policy,
}

/// The single value of a signed attribute, when exactly one attribute with one value exists.
fn single_attr(signer: &ParsedSigner, oid: ObjectIdentifier) -> std::result::Result<Option<&der::Any>, String> {
    let Some(attrs) = signer.info.signed_attrs.as_ref() else { return Ok(None) };
    let mut found = attrs.iter().filter(|a| a.oid == oid);
    let Some(a) = found.next() else { return Ok(None) };
    if found.next().is_some() {
        return Err(format!("attribute {oid} appears more than once"));
    }
    if a.values.len() != 1 {
        return Err(format!("attribute {oid} must have exactly one value"));
    }
    Ok(a.values.iter().next())
}

pub fn signer_id(sid: &SignerIdentifier) -> SignerId {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => SignerId::IssuerAndSerial {
            issuer: crate::cert::names::name_string(&ias.issuer),
            serial: hex(ias.serial_number.as_bytes()),
        },
        SignerIdentifier::SubjectKeyIdentifier(ski) => SignerId::SubjectKeyIdentifier { key_id: hex(ski.0.as_bytes()) },
    }
}

/// The messageDigest a signer claims, and its digest algorithm, when it has signed attributes.
pub fn claimed_digest(signer: &ParsedSigner) -> Option<(DigestAlg, Vec<u8>)> {
    let alg = DigestAlg::from_oid(&signer.info.digest_alg.oid)?;
    let md = single_attr(signer, OID_MESSAGE_DIGEST).ok()??;
    let os = md.decode_as::<der::asn1::OctetString>().ok()?;
    Some((alg, os.as_bytes().to_vec()))
}

/// Does `content` match the messageDigest of every signer that has one?
/// Used to test candidate originals when diagnosing a tampered message.
pub fn content_matches(sd: &ParsedSignedData, content: &[u8]) -> bool {
    let claims: Vec<_> = sd.signers.iter().filter_map(claimed_digest).collect();
    !claims.is_empty()
        && claims.iter().all(|(alg, want)| crypto::digest(*alg, content).map(|d| &d == want).unwrap_or(false))
}

/// SMIMECapabilities (RFC 8551 2.5.2): the OIDs in the order the sender listed them.
fn capabilities(signer: &ParsedSigner) -> Vec<String> {
    let Ok(Some(v)) = single_attr(signer, OID_SMIME_CAPABILITIES) else { return Vec::new() };
    let Ok(bytes) = v.to_der() else { return Vec::new() };
    crate::cert::capabilities::names(&bytes)
}

/// SMIMEEncryptionKeyPreference (RFC 8551 2.5.3).
fn key_preference(signer: &ParsedSigner) -> Option<SignerId> {
    let v = single_attr(signer, OID_ENCRYPTION_KEY_PREFERENCE).ok()??;
    let bytes = v.to_der().ok()?;
    let t = crate::asn1::ber::read_all(&bytes).ok()?;
    match t.tag {
        0xa0 => {
            let mut seq = t.raw.to_vec();
            *seq.first_mut()? = 0x30;
            let ias = cms::cert::IssuerAndSerialNumber::from_der(&seq).ok()?;
            Some(SignerId::IssuerAndSerial { issuer: crate::cert::names::name_string(&ias.issuer), serial: hex(ias.serial_number.as_bytes()) })
        }
        0x82 => Some(SignerId::SubjectKeyIdentifier { key_id: hex(t.content) }),
        _ => None,
    }
}

fn signing_time(signer: &ParsedSigner) -> Option<UnixTime> {
    let v = single_attr(signer, OID_SIGNING_TIME).ok()??;
    let t = v.decode_as::<x509_cert::time::Time>().ok()?;
    Some(UnixTime::from_der_time(&t))
}

fn verdict_status(v: &Verdict, details: &mut Vec<String>) -> Option<Status> {
    match v {
        Verdict::Accept => None,
        Verdict::Flag(why) | Verdict::Refuse(why) => {
            details.push(why.clone());
            Some(Status::WeakAlgorithm)
        }
    }
}

/// Verify one signer over `content` (the canonical detached part, or eContent).
pub fn verify_signer(sd: &ParsedSignedData, signer: &ParsedSigner, content: &[u8], ctx: &VerifyContext<'_>) -> SignerReport {
    verify_signer_with(sd, signer, content, ctx, &super::bulk::Portable)
}

/// [`verify_signer`] with the content digest computed by `bulk`.
pub fn verify_signer_with(
    sd: &ParsedSignedData,
    signer: &ParsedSigner,
    content: &[u8],
    ctx: &VerifyContext<'_>,
    bulk: &dyn super::bulk::Bulk,
) -> SignerReport {
    let info = &signer.info;
    let mut details = Vec::new();
    let mut status = Status::Valid;
    let digest_name = DigestAlg::from_oid(&info.digest_alg.oid)
        .map(|d| d.name().to_string())
        .unwrap_or_else(|| info.digest_alg.oid.to_string());
    let mut report = SignerReport {
        status: Status::Valid,
        signer_id: signer_id(&info.sid),
        signature: SignatureCheck::Good,
        chain: None,
        address: None,
        certificate: None,
        signing_time: signing_time(signer),
        valid_at_signing_time: None,
        digest_algorithm: digest_name,
        signature_algorithm: crate::cert::names::algorithm_name(&info.signature_algorithm.oid),
        smime_capabilities: capabilities(signer),
        encryption_key_preference: key_preference(signer),
        details: Vec::new(),
    };

    let cert = find_certificate(&info.sid, &[&sd.certificates, ctx.known, ctx.pins, ctx.roots]);
    let Some(cert) = cert else {
        details.push("The signer's certificate is neither in the message nor among the known certificates, so the signature cannot be checked.".into());
        report.signature = SignatureCheck::NoCertificate;
        report.status = Status::NoSigner;
        report.details = details;
        return report;
    };
    report.certificate = Some(facts::facts(cert));
    if let Some(t) = report.signing_time {
        let v = cert.tbs_certificate().validity();
        let ok = UnixTime::from_der_time(&v.not_before) <= t && t <= UnixTime::from_der_time(&v.not_after);
        report.valid_at_signing_time = Some(ok);
    }

    // 1. The signature: digest algorithm policy, messageDigest, signature value.
    let digest = DigestAlg::from_oid(&info.digest_alg.oid);
    let digest = match digest {
        Some(d) => d,
        None => {
            details.push(format!("Unknown digest algorithm {}.", info.digest_alg.oid));
            report.signature = SignatureCheck::Unsupported;
            report.status = Status::WeakAlgorithm;
            report.details = details;
            return report;
        }
    };
    if let Verdict::Refuse(why) = ctx.policy.check_digest(digest) {
        details.push(why);
        report.signature = SignatureCheck::Unsupported;
        report.status = Status::WeakAlgorithm;
        report.details = details;
        return report;
    }
    let signed_bytes: Vec<u8> = match &signer.signed_attrs_der {
        Some(attrs) => {
            // RFC 5652 5.4: contentType and messageDigest are required and must match.
            let ct = single_attr(signer, OID_CONTENT_TYPE);
            let md = single_attr(signer, OID_MESSAGE_DIGEST);
            let (ct, md) = match (ct, md) {
                (Ok(Some(ct)), Ok(Some(md))) => (Some(ct), md),
                // Old signers (and OpenSSL's verifier) leave contentType out; for id-data,
                // the only type S/MIME signs, nothing else could be meant (issue 17).
                (Ok(None), Ok(Some(md))) if sd.econtent_type == OID_DATA => {
                    details.push(CONTENT_TYPE_MISSING.into());
                    (None, md)
                }
                (Err(e), _) | (_, Err(e)) => {
                    details.push(format!("Signed attributes break RFC 5652: {e}."));
                    report.signature = SignatureCheck::Malformed;
                    report.status = Status::BadSignature;
                    report.details = details;
                    return report;
                }
                _ => {
                    details.push("Signed attributes lack contentType or messageDigest (RFC 5652 5.3).".into());
                    report.signature = SignatureCheck::Malformed;
                    report.status = Status::BadSignature;
                    report.details = details;
                    return report;
                }
            };
            if ct.is_some_and(|ct| ct.decode_as::<ObjectIdentifier>().ok() != Some(sd.econtent_type)) {
                details.push("The contentType attribute does not match the signed content's type.".into());
                report.signature = SignatureCheck::Malformed;
                status = status.worst(Status::BadSignature);
            }
            let want = md.decode_as::<der::asn1::OctetString>().map(|o| o.as_bytes().to_vec()).unwrap_or_default();
            if !bulk.digest_matches(digest, content, &want).unwrap_or(false) {
                details.push("The content's digest does not match the one that was signed: the message was changed after signing.".into());
                report.signature = SignatureCheck::DigestMismatch;
                status = status.worst(Status::Tampered);
            }
            attrs.clone()
        }
        None => content.to_vec(),
    };
    let spki = cert.tbs_certificate().subject_public_key_info();
    match crypto::verify_signature(spki, Some(digest), &info.signature_algorithm, &signed_bytes, info.signature.as_bytes()) {
        Ok(sig) => {
            note_policy(ctx.policy, &sig, &mut details, &mut status);
        }
        Err(SigFailure::Invalid) => {
            if report.signature == SignatureCheck::Good {
                report.signature = SignatureCheck::Bad;
            }
            details.push("The signature value does not verify with the signer's certificate.".into());
            status = status.worst(Status::BadSignature);
        }
        Err(other) => {
            report.signature = SignatureCheck::Unsupported;
            // An RSA key the policy refuses for its size (the `rsa` crate cannot even load
            // keys below 1024 bits) is a weak algorithm, as MD5 is, not a broken signature.
            let refused_key = refused_rsa_key(ctx.policy, spki);
            match &refused_key {
                Some(why) => details.push(format!("The signature could not be checked: {why} is refused.")),
                None => match &other {
                    SigFailure::Unsupported(alg) => details.push(format!("Algorithm not supported: Cachet does not implement {alg}, so the signature could not be checked.")),
                    _ => details.push(format!("The signature could not be checked: {other}.")),
                },
            }
            let weak = matches!(other, SigFailure::Unsupported(_)) || (matches!(other, SigFailure::BadKey(_)) && refused_key.is_some());
            status = status.worst(if weak { Status::WeakAlgorithm } else { Status::BadSignature });
        }
    }

    // 3 (decided first: the pin check needs it). The address the certificate is bound to:
    // the From address, else the Sender's, and never when the From header is ambiguous.
    let emails = facts::email_addresses(cert);
    let from_matches = ctx.from.map(|f| facts::matches_address(cert, f)).unwrap_or(false);
    let sender_matches = !from_matches && ctx.sender.map(|s| facts::matches_address(cert, s)).unwrap_or(false);
    let bound_address = if from_matches { ctx.from } else if sender_matches { ctx.sender } else { None };
    let bound_address = if ctx.from_problem.is_some() { None } else { bound_address };

    // 2. The certificate path. Intermediates come from the message and the known store.
    let mut intermediates: Vec<Certificate> = sd.certificates.clone();
    intermediates.extend(ctx.known.iter().cloned());
    let path = chain::validate(&ValidationInput {
        leaf: cert,
        intermediates: &intermediates,
        roots: ctx.roots,
        pins: ctx.pins,
        address: bound_address.or(ctx.from),
        at: ctx.at,
        purpose: Purpose::Sign,
        policy: ctx.policy,
        max_depth: chain::DEFAULT_MAX_DEPTH,
    });
    let chain_status = match &path.status {
        PathStatus::Trusted => None,
        PathStatus::UnknownCa => Some(Status::ValidUnknownCa),
        PathStatus::Expired { .. } => Some(Status::Expired),
        PathStatus::NotYetValid { .. } => Some(Status::NotYetValid),
        PathStatus::WrongUsage { .. } => Some(Status::WrongUsage),
        PathStatus::BadSignature { .. } => Some(Status::BadSignature),
        PathStatus::WeakAlgorithm { .. } => Some(Status::WeakAlgorithm),
        // A CA without cA=TRUE, a leaf used as an issuer, a loop: the certificate
        // must not be used for this, whatever its signature says.
        PathStatus::Invalid { .. } => Some(Status::WrongUsage),
    };
    if let Some(s) = chain_status {
        status = status.worst(s);
    }
    if matches!(path.status, PathStatus::Expired { .. }) && report.valid_at_signing_time == Some(true) {
        details.push("The certificate has expired since the signer's claimed signing time (the claim is not proof).".into());
    }
    report.chain = Some(path);

    // 3. The address.
    let matches = bound_address.is_some();
    if let Some(problem) = ctx.from_problem {
        details.push(format!("The sender cannot be checked against the certificate: {problem}."));
    } else if !matches {
        details.push(match ctx.from {
            Some(f) => format!("The message is from {f}, but the certificate is for {}.", if emails.is_empty() { "no e-mail address".to_string() } else { emails.join(", ") }),
            None => "The message has no From address to compare with the certificate.".into(),
        });
    } else if sender_matches {
        if let (Some(s), Some(f)) = (ctx.sender, ctx.from) {
            details.push(format!("Signed by the Sender, {s}, on behalf of the From address {f} (RFC 8550 section 3)."));
        }
    }
    if !matches {
        status = status.worst(Status::AddressMismatch);
    }
    report.address = Some(AddressCheck {
        from: ctx.from.map(str::to_string),
        matches,
        certificate_emails: emails,
        problem: ctx.from_problem.map(str::to_string),
        sender: if matches && sender_matches { ctx.sender.map(str::to_string) } else { None },
    });
    report.status = status;
    report.details = details;
    report
}

/// "RSA N bits" when `spki` is an RSA key whose size the policy refuses.
fn refused_rsa_key(policy: &Policy, spki: &spki::SubjectPublicKeyInfoOwned) -> Option<String> {
    let key = facts::key_info(spki);
    match (key.algorithm.starts_with("RSA"), key.bits) {
        (true, Some(bits)) => match policy.check_rsa_bits(bits) {
            Verdict::Refuse(why) => Some(why),
            _ => None,
        },
        _ => None,
    }
}

fn note_policy(policy: &Policy, sig: &SigInfo, details: &mut Vec<String>, status: &mut Status) {
    if let Some(s) = verdict_status(&policy.check_signature(sig), details) {
        *status = status.worst(s);
    }
}

/// Verify every signer; the layer status is the worst, `no-signer` without any.
pub fn verify_all(sd: &ParsedSignedData, content: &[u8], ctx: &VerifyContext<'_>) -> (Status, Vec<SignerReport>) {
    verify_all_with(sd, content, ctx, &super::bulk::Portable)
}

/// [`verify_all`] with the content digests computed by `bulk`.
pub fn verify_all_with(sd: &ParsedSignedData, content: &[u8], ctx: &VerifyContext<'_>, bulk: &dyn super::bulk::Bulk) -> (Status, Vec<SignerReport>) {
    if sd.signers.is_empty() {
        return (Status::NoSigner, Vec::new());
    }
    let reports: Vec<SignerReport> = sd.signers.iter().map(|s| verify_signer_with(sd, s, content, ctx, bulk)).collect();
    let status = reports.iter().fold(Status::Valid, |acc, r| acc.worst(r.status));
    (status, reports)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cachet_testkit::{require_openssl, TempDir};

    /// A self-signed RSA certificate of `bits` and an opaque SignedData made with it by OpenSSL.
    fn openssl_signed(d: &TempDir, bits: u32) -> (Certificate, ParsedSignedData) {
        d.write("content.txt", b"hello\r\n");
        cachet_testkit::pooled_key(&["-algorithm", "RSA", "-pkeyopt", &format!("rsa_keygen_bits:{bits}")], &d.path("k.pem"));
        d.openssl(&["req", "-new", "-x509", "-key", "k.pem", "-subj", "/CN=Small", "-days", "3650", "-sha256", "-addext", "subjectAltName=email:small@example.org", "-addext", "basicConstraints=CA:FALSE", "-out", "c.pem"]);
        d.openssl(&["cms", "-sign", "-nodetach", "-binary", "-md", "sha256", "-outform", "DER", "-in", "content.txt", "-signer", "c.pem", "-inkey", "k.pem", "-out", "s.der"]);
        let cert = crate::cert::facts::parse_certificates(&d.read("c.pem")).unwrap().remove(0);
        (cert, super::super::signed::parse_signed_data(&d.read("s.der")).unwrap())
    }

    #[test]
    fn rsa_key_below_the_refused_size_is_weak_algorithm_not_bad_signature() {
        require_openssl();
        let policy = Policy::standard();
        for (bits, want, check) in [(512, Status::WeakAlgorithm, SignatureCheck::Unsupported), (2048, Status::Valid, SignatureCheck::Good)] {
            let d = TempDir::new("verify-rsa-size");
            let (cert, sd) = openssl_signed(&d, bits);
            let anchors = [cert];
            let ctx = VerifyContext { from: Some("small@example.org"), from_problem: None, sender: None, roots: &[], pins: &anchors, known: &[], at: UnixTime::parse_rfc3339("2027-01-01T00:00:00Z").unwrap(), policy: &policy };
            let content = sd.econtent.clone().unwrap();
            let (status, signers) = verify_all(&sd, &content, &ctx);
            assert_eq!((status, signers[0].signature), (want, check), "{bits} bits: {:?}", signers[0].details);
            if bits == 512 {
                assert!(signers[0].details.iter().any(|d| d.contains("RSA 512 bits")), "{:?}", signers[0].details);
            }
            // A changed content is still tampered whatever the key size.
            let (status, _) = verify_all(&sd, b"changed", &ctx);
            assert_eq!(status, Status::Tampered, "{bits} bits");
        }
    }
}
