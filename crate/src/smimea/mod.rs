//! SMIMEA discovery (RFC 8162) over DNS-over-HTTPS (RFC 8484): the query for an address
//! and the reading of the resolver's answer. The shell sends the query bytes
//! (`application/dns-message`) to the resolver the user configured and hands the answer's
//! bytes back; the core has no network.
//!
//! What is accepted: SMIMEA records for the address's owner name (or reached from it by
//! aliases in the same answer), with usage DANE-EE (3), selector "full certificate" (0) and
//! matching type "exact" (0), whose certificate names the address. Everything else is
//! listed as rejected, with the reason.
//!
//! Trust: the AD bit says the resolver validated the answer with DNSSEC (`dnssec-validated`);
//! without it an answer is only `found-in-dns`, which anyone on the path to the domain's
//! name servers could have forged. Neither makes a certificate trusted here by itself: the
//! shell offers it to the user, and path validation or a pin decides as for any contact.

pub mod wire;
#[cfg(test)]
mod tests;

use crate::cert::facts::{addresses_equal, CertFacts, ParsedCertificate};
use crate::error::{Code, Error, Result};
use crate::identity::{expiry, Expiry};
use crate::time::UnixTime;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// SMIMEA certificate usage DANE-EE (RFC 6698 section 2.1.1, RFC 7218 mnemonic).
pub const USAGE_DANE_EE: u8 = 3;
/// Selector "full certificate" and matching type "exact match" (RFC 6698 2.1.2, 2.1.3).
pub const SELECTOR_FULL: u8 = 0;
pub const MATCHING_EXACT: u8 = 0;
/// Longest certificate read from one record (a certificate, not a chain).
pub const MAX_SMIMEA_CERTIFICATE: usize = 16 * 1024;
/// Most aliases (CNAME) followed from the owner name within one answer.
pub const MAX_ALIASES: usize = 8;
/// Octets of the SHA2-256 hash of the local part kept for the owner name (RFC 8162 section 3).
const HASH_OCTETS: usize = 28;

/// The query for one address.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmimeaQuery {
    /// The owner name looked up: `<hex of SHA2-256(local part), 28 octets>._smimecert.<domain>`.
    pub name: String,
    /// The DNS query in wire format (RFC 1035), for a POST body or, base64url without
    /// padding, the `dns` parameter of a GET (RFC 8484 section 4.1).
    pub query_base64url: String,
}

/// How far the answer can be believed.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SmimeaTrust {
    /// The resolver validated the answer with DNSSEC (AD bit set).
    DnssecValidated,
    /// The answer was not validated: it is only what DNS said, and could be forged.
    FoundInDns,
}

/// The domain says the address has no SMIMEA record, or the resolver failed.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SmimeaOutcome {
    /// At least one certificate was accepted.
    Found,
    /// The name exists but has no record Cachet accepts (see `rejected`), or none at all.
    NoUsableRecord,
    /// The name does not exist (NXDOMAIN).
    NotFound,
    /// The resolver could not answer (SERVFAIL: often a DNSSEC validation failure, or an
    /// unreachable name server) or refused.
    ResolverFailed,
}

/// A certificate accepted from DNS.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct SmimeaCertificate {
    pub facts: CertFacts,
    /// DER, base64 (standard alphabet), as stored for contacts.
    pub der_base64: String,
    pub expiry: Expiry,
}

/// A record that was not accepted, and why.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmimeaRejected {
    pub usage: u8,
    pub selector: u8,
    pub matching_type: u8,
    /// One sentence for the user.
    pub reason: String,
}

/// The result of reading a resolver's answer.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct SmimeaLookup {
    pub address: String,
    pub name: String,
    pub outcome: SmimeaOutcome,
    /// The resolver set the AD bit.
    pub dnssec_validated: bool,
    pub trust: SmimeaTrust,
    pub certificates: Vec<SmimeaCertificate>,
    pub rejected: Vec<SmimeaRejected>,
    /// The DNS response code (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED, ...).
    pub rcode: u8,
}

fn usage_error(message: impl Into<String>) -> Error {
    Error::new(Code::Usage, message, "Give one e-mail address, such as name@example.org.")
}

/// The local part and domain of an address (split at its last `@`).
fn split_address(address: &str) -> Result<(&str, &str)> {
    let a = address.trim();
    let (local, domain) = a.rsplit_once('@').ok_or_else(|| usage_error(format!("{a} is not an e-mail address.")))?;
    if local.is_empty() || local.len() > 64 || local.chars().any(char::is_control) {
        return Err(usage_error(format!("{a} is not an e-mail address Cachet can look up.")));
    }
    Ok((local, domain))
}

/// The owner name of the SMIMEA records of `address` (RFC 8162 section 3): the SHA2-256
/// hash of the local part (its UTF-8 octets as written: RFC 8162 defines no other
/// canonical form), truncated to 28 octets, in lowercase hex, then `_smimecert` and the
/// domain (ASCII; an internationalised domain in its xn-- form).
pub fn owner_name(address: &str) -> Result<wire::Name> {
    let (local, domain) = split_address(address)?;
    let digest = Sha256::digest(local.as_bytes());
    let hash = digest.get(..HASH_OCTETS).unwrap_or(&[]);
    let mut name = vec![base16ct::lower::encode_string(hash).into_bytes(), b"_smimecert".to_vec()];
    name.extend(wire::parse_ascii_name(domain)?);
    let octets: usize = name.iter().map(|l| l.len() + 1).sum::<usize>() + 1;
    if octets > wire::MAX_NAME_OCTETS {
        return Err(usage_error(format!("The domain of {address} is too long to look up.")));
    }
    Ok(name)
}

/// The DNS-over-HTTPS query for the SMIMEA records of `address`.
pub fn query(address: &str) -> Result<SmimeaQuery> {
    let name = owner_name(address)?;
    let bytes = wire::build_query(&name, wire::TYPE_SMIMEA);
    Ok(SmimeaQuery { name: wire::name_text(&name), query_base64url: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes) })
}

/// The names an answer may hold SMIMEA records under: the owner name and the targets of
/// aliases (CNAME) from it in the answer, at most [`MAX_ALIASES`] of them.
fn aliases(owner: &wire::Name, answers: &[wire::Record]) -> Vec<wire::Name> {
    let mut names = vec![owner.clone()];
    let mut current = owner.clone();
    for _ in 0..MAX_ALIASES {
        let next = answers.iter().find(|r| r.rtype == wire::TYPE_CNAME && r.owner == current).and_then(|r| r.target.clone());
        match next {
            Some(t) if !names.contains(&t) => {
                names.push(t.clone());
                current = t;
            }
            _ => break,
        }
    }
    names
}

fn reject(usage: u8, selector: u8, matching_type: u8, reason: impl Into<String>) -> SmimeaRejected {
    SmimeaRejected { usage, selector, matching_type, reason: reason.into() }
}

/// Read the resolver's answer to [`query`] for `address`, at time `at`.
///
/// Errors (`malformed`, `limit-exceeded`) when the answer is not a DNS response to this
/// question: cut short, truncated (TC), a name pointing in a loop, too many records, over
/// 65,535 bytes. NXDOMAIN and SERVFAIL are outcomes, not errors.
///
/// # Security
/// `response` is untrusted network data: see [`wire`] for the bounds. Certificates are
/// parsed as strict DER, at most [`MAX_SMIMEA_CERTIFICATE`] bytes each; a certificate must
/// name `address`. Nothing found here is trusted: see [`SmimeaTrust`].
pub fn read_answer(address: &str, response: &[u8], at: UnixTime) -> Result<SmimeaLookup> {
    let owner = owner_name(address)?;
    let r = wire::parse_response(response)?;
    if r.question != owner || r.question_type != wire::TYPE_SMIMEA {
        return Err(Error::new(Code::Malformed, "The resolver answered a different question.", "Try again; if it persists, choose another resolver.").with_detail(format!(
            "asked {} type {}, answered {} type {}",
            wire::name_text(&owner),
            wire::TYPE_SMIMEA,
            wire::name_text(&r.question),
            r.question_type
        )));
    }
    let trust = if r.authentic_data { SmimeaTrust::DnssecValidated } else { SmimeaTrust::FoundInDns };
    let mut lookup = SmimeaLookup {
        address: address.trim().to_string(),
        name: wire::name_text(&owner),
        outcome: SmimeaOutcome::NoUsableRecord,
        dnssec_validated: r.authentic_data,
        trust,
        certificates: Vec::new(),
        rejected: Vec::new(),
        rcode: r.rcode,
    };
    match r.rcode {
        0 => {}
        3 => {
            lookup.outcome = SmimeaOutcome::NotFound;
            return Ok(lookup);
        }
        _ => {
            lookup.outcome = SmimeaOutcome::ResolverFailed;
            return Ok(lookup);
        }
    }
    let names = aliases(&owner, &r.answers);
    for rec in r.answers.iter().filter(|x| x.rtype == wire::TYPE_SMIMEA && names.contains(&x.owner)) {
        let (Some(&usage), Some(&selector), Some(&matching), Some(data)) = (rec.data.first(), rec.data.get(1), rec.data.get(2), rec.data.get(3..)) else {
            lookup.rejected.push(reject(0, 0, 0, "The record is shorter than an SMIMEA record."));
            continue;
        };
        if rec.class != wire::CLASS_IN {
            lookup.rejected.push(reject(usage, selector, matching, format!("The record is of class {}, not IN.", rec.class)));
            continue;
        }
        if usage != USAGE_DANE_EE {
            lookup.rejected.push(reject(usage, selector, matching, format!("Certificate usage {usage} is not DANE-EE (3): Cachet accepts only the recipient's own certificate.")));
            continue;
        }
        if selector != SELECTOR_FULL || matching != MATCHING_EXACT {
            lookup.rejected.push(reject(usage, selector, matching, format!("Selector {selector} and matching type {matching} do not carry the whole certificate (0 0 is needed to encrypt).")));
            continue;
        }
        if data.len() > MAX_SMIMEA_CERTIFICATE {
            lookup.rejected.push(reject(usage, selector, matching, format!("The certificate is larger than {MAX_SMIMEA_CERTIFICATE} bytes.")));
            continue;
        }
        let parsed = match ParsedCertificate::from_der(data) {
            Ok(p) => p,
            Err(e) => {
                lookup.rejected.push(reject(usage, selector, matching, format!("The record does not hold a readable certificate ({}).", e.detail.unwrap_or(e.message))));
                continue;
            }
        };
        let facts = parsed.facts();
        if !facts.emails.iter().any(|e| addresses_equal(e, address)) {
            let named = if facts.emails.is_empty() { "no e-mail address".to_string() } else { facts.emails.join(", ") };
            lookup.rejected.push(reject(usage, selector, matching, format!("The certificate names {named}, not {}.", address.trim())));
            continue;
        }
        if lookup.certificates.iter().any(|c| c.facts.sha256 == facts.sha256) {
            continue;
        }
        let e = expiry(facts.not_before, facts.not_after, at);
        lookup.certificates.push(SmimeaCertificate { der_base64: base64::engine::general_purpose::STANDARD.encode(&parsed.der), facts, expiry: e });
    }
    if !lookup.certificates.is_empty() {
        lookup.outcome = SmimeaOutcome::Found;
    }
    Ok(lookup)
}
