//! Certificates: facts (names, e-mails, usages, fingerprints).
pub mod facts;
