//! Fuzz targets of the Cachet core: one function per target, each taking untrusted bytes.
//! The same functions run the regression vectors in `crate/tests/fuzz_regressions.rs`.
#[path = "targets.rs"]
mod targets;
pub use targets::*;
