//! # Cachet core
//!
//! S/MIME for webmail: MIME, CMS, certificates and PKCS#12, with no clock, storage,
//! network or DOM. Bytes and explicit inputs (certificates, keys, trust anchors,
//! policy, time) in; bytes and reports out. The same functions serve the native
//! CLI (`src/bin/cachet.rs`) and the WebAssembly build (`wasm` module).
//!
//! RFC map: RFC 5652 (CMS), RFC 8551 (S/MIME 4.0 messages), RFC 8550 (certificates),
//! RFC 5083/5084 (AuthEnvelopedData, AES-GCM), RFC 8017 (RSA), RFC 7292 (PKCS#12),
//! RFC 5280 (X.509 paths).
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod asn1;
pub mod boundary;
pub mod cert;
pub mod cms;
pub mod compose;
pub mod crypto;
pub mod draft;
pub mod error;
pub mod identity;
pub mod kept;
pub mod mime;
pub mod oid;
pub mod pkcs12;
pub mod policy;
pub mod report;
pub mod request;
pub mod smime;
pub mod smimea;
pub mod status;
pub mod time;
pub mod view;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

/// The core's version, as shown by the add-in.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
