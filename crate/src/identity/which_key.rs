//! "Which key do I need" (SPEC sections 2 and 7): when an encrypted message cannot be opened
//! (`no-key`), its recipient identifiers (issuer and serial number, or subject key
//! identifier) are matched against every key the user ever held: the current ones, the
//! retired ones kept for old mail, and those whose key now exists only in a backup (or was
//! deleted). The answer names the certificate the message was encrypted to (subject,
//! serial, expiry) and what to do, or says it was encrypted to none of them.
//!
//! The shell passes the key history as certificate facts (it keeps them for every identity,
//! including deleted ones); the CLI passes certificates.

use crate::cert::facts::CertFacts;
use crate::cms::verdict::SignerId;
use crate::report::{Diagnosis, LayerKind, OpenReport, Status};
use crate::time::UnixTime;

/// Most keys of a history looked at (bounds the work on a damaged store).
pub const MAX_KEY_HISTORY: usize = 256;

use serde::{Deserialize, Serialize};

/// Where a key of the user's history is now (see `identity::which_key`).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyState {
    /// An identity in use on this device.
    Current,
    /// Replaced by a newer one; kept on this device to read old mail.
    Retired,
    /// No longer on this device, but in a backup the user exported.
    Backup,
    /// Deleted from this device with no backup known here.
    Deleted,
}

/// One certificate of the user's key history, as the shell keeps it: the fields of its
/// certificate facts that identify it, and where its key is now.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownKey {
    pub subject: String,
    pub issuer: String,
    /// Upper-case hex, as in the certificate facts.
    pub serial: String,
    /// The subjectKeyIdentifier in upper-case hex, when the certificate has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub subject_key_id: Option<String>,
    /// RFC 3339 (as the facts give it) or seconds since 1970.
    #[cfg_attr(test, ts(type = "string"))]
    pub not_after: UnixTime,
    pub state: KeyState,
}

/// The history entry of a certificate with its facts.
pub fn known_key(f: &CertFacts, state: KeyState) -> KnownKey {
    KnownKey { subject: f.subject.clone(), issuer: f.issuer.clone(), serial: f.serial.clone(), subject_key_id: f.subject_key_id.clone(), not_after: f.not_after, state }
}

/// Does the recipient identifier name this certificate? Issuer names compared as the facts
/// print them (case and spacing ignored), serials and key identifiers as hex.
fn named_by(k: &KnownKey, id: &SignerId) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let hex = |s: &str| s.trim().trim_start_matches("0x").to_ascii_uppercase();
    match id {
        SignerId::IssuerAndSerial { issuer, serial } => hex(serial) == hex(&k.serial) && norm(issuer) == norm(&k.issuer),
        SignerId::SubjectKeyIdentifier { key_id } => k.subject_key_id.as_deref().is_some_and(|x| hex(x) == hex(key_id)),
    }
}

fn describe(id: &SignerId) -> String {
    match id {
        SignerId::IssuerAndSerial { issuer, serial } => format!("the certificate with serial {serial} issued by {issuer}"),
        SignerId::SubjectKeyIdentifier { key_id } => format!("the key with identifier {key_id}"),
    }
}

fn day(t: UnixTime) -> String {
    t.to_rfc3339().get(..10).unwrap_or_default().to_string()
}

/// What to say about one matched key, at `at`.
fn sentence(k: &KnownKey, at: UnixTime) -> String {
    let until = if k.not_after < at { format!("expired {}", day(k.not_after)) } else { format!("valid until {}", day(k.not_after)) };
    let which = format!("{} (serial {}, {until})", k.subject, k.serial);
    match k.state {
        KeyState::Current => format!("This message was encrypted to your current certificate {which}. Its key is on this device but locked: unlock your certificates and open the message again."),
        KeyState::Retired => format!("This message was encrypted to your earlier certificate {which}, which you have since replaced. Its key is kept on this device: unlock your certificates and open the message again."),
        KeyState::Backup => format!("This message was encrypted to your earlier certificate {which}, whose key is no longer on this device. Restore it from the backup you exported (import the backup file) and open the message again."),
        KeyState::Deleted => format!("This message was encrypted to your earlier certificate {which}, whose key was deleted from this device, with no backup known here. If you kept a backup of it elsewhere, import it; otherwise this message cannot be opened."),
    }
}

/// The "which key" diagnosis for the recipients of one encrypted layer that did not open.
pub fn which_key(recipients: &[SignerId], keys: &[KnownKey], at: UnixTime) -> Diagnosis {
    let keys = keys.get(..keys.len().min(MAX_KEY_HISTORY)).unwrap_or_default();
    // The best state first: a current key beats a retired one, which beats a backup.
    let rank = |s: KeyState| match s {
        KeyState::Current => 0,
        KeyState::Retired => 1,
        KeyState::Backup => 2,
        KeyState::Deleted => 3,
    };
    let found = recipients
        .iter()
        .flat_map(|r| keys.iter().filter(move |k| named_by(k, r)))
        .min_by_key(|k| rank(k.state));
    let message = match found {
        Some(k) => sentence(k, at),
        None => {
            let list: Vec<String> = recipients.iter().take(10).map(describe).collect();
            let more = recipients.len().saturating_sub(list.len());
            format!(
                "This message was encrypted to none of your certificates (current, earlier or backed up; {} known here): it was encrypted to {}{}. Ask the sender to encrypt to your current certificate: send them a signed mail, which carries it.",
                keys.len(),
                if list.is_empty() { "no recipient".to_string() } else { list.join("; ") },
                if more > 0 { format!(" and {more} more") } else { String::new() }
            )
        }
    };
    Diagnosis { id: if found.is_some() { "which-key".into() } else { "no-key-of-yours".into() }, message, appended_text: None, original_verifies: None }
}

/// Add the "which key" diagnosis to a report for every encrypted layer that is `no-key`;
/// `keys` gives the user's key history and is called only when there is such a layer.
pub fn explain(report: &mut OpenReport, keys: impl FnOnce() -> Vec<KnownKey>, at: UnixTime) {
    let lacking: Vec<_> = report
        .layers
        .iter()
        .filter(|l| l.kind == LayerKind::Encrypted && l.status == Status::NoKey)
        .filter_map(|l| l.encryption.as_ref())
        .collect();
    // The history is made only when a layer lacks its key: it reads every certificate the
    // user holds, work that every other `open` would do for nothing.
    if lacking.is_empty() {
        return;
    }
    let keys = keys();
    let found: Vec<Diagnosis> = lacking.into_iter().map(|e| which_key(&e.recipients, &keys, at)).collect();
    report.diagnosis.extend(found);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(serial: &str, ski: Option<&str>, state: KeyState, year: u64) -> KnownKey {
        KnownKey {
            subject: format!("CN=alice-{year}"),
            issuer: "O=Cachet Tests,CN=Cachet Test Root".into(),
            serial: serial.into(),
            subject_key_id: ski.map(String::from),
            not_after: UnixTime((year - 1970) * 31_557_600),
            state,
        }
    }

    #[test]
    fn every_state_of_a_three_renewal_history_is_named_with_what_to_do() {
        // The original and three renewals: deleted, backed up, retired, current.
        let history = [key("64", None, KeyState::Deleted, 2024), key("65", Some("AB01"), KeyState::Backup, 2025), key("66", None, KeyState::Retired, 2026), key("67", None, KeyState::Current, 2027)];
        let at = UnixTime((2025 - 1970) * 31_557_600 + 86_400 * 100);
        let by_serial = |s: &str| SignerId::IssuerAndSerial { issuer: "o=cachet tests,cn=cachet  test root".into(), serial: s.into() };
        let d = which_key(&[by_serial("64")], &history, at);
        assert_eq!(d.id, "which-key");
        assert!(d.message.contains("CN=alice-2024 (serial 64, expired 2024-01-01)") && d.message.contains("deleted from this device"), "{}", d.message);
        let d = which_key(&[SignerId::SubjectKeyIdentifier { key_id: "ab01".into() }], &history, at);
        assert!(d.message.contains("CN=alice-2025 (serial 65, expired") && d.message.contains("Restore it from the backup"), "{}", d.message);
        let d = which_key(&[by_serial("66")], &history, at);
        assert!(d.message.contains("CN=alice-2026 (serial 66, valid until 2026-") && d.message.contains("kept on this device"), "{}", d.message);
        // Several recipients of the user's: the most available key is named.
        let d = which_key(&[by_serial("64"), by_serial("67")], &history, at);
        assert!(d.message.contains("your current certificate CN=alice-2027") && d.message.contains("locked"), "{}", d.message);
        // None of them: the recipients are listed, and what to ask.
        let d = which_key(&[by_serial("99"), SignerId::SubjectKeyIdentifier { key_id: "CD02".into() }], &history, at);
        assert_eq!(d.id, "no-key-of-yours");
        assert!(d.message.contains("none of your certificates") && d.message.contains("4 known here") && d.message.contains("serial 99") && d.message.contains("identifier CD02"), "{}", d.message);
        // A serial alone is not enough: the issuer must match too.
        let other = SignerId::IssuerAndSerial { issuer: "CN=Another CA".into(), serial: "66".into() };
        assert_eq!(which_key(&[other], &history, at).id, "no-key-of-yours");
    }
}
