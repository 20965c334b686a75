//! Certificates: facts (names, e-mails, usages, fingerprints), SMIMECapabilities, lookup by
//! issuer and serial or key identifier, and path validation (RFC 5280).
pub mod capabilities;
pub mod chain;
pub mod facts;
pub mod kept;
pub mod lookup;
pub mod names;
pub mod validity;
