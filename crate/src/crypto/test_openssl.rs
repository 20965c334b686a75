//! Test support for the unit tests: the project's one test kit (`crate/testkit`).

pub use cachet_testkit::{corpus, require_openssl, TempDir};
