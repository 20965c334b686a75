//! Fuzz regressions: every input saved under `tests/vectors/fuzz/<target>/` (crashes and
//! timeouts found by `cargo fuzz`, minimised, and hand-made hostile inputs) replays through
//! the very function the fuzz target runs (`fuzz/src/targets.rs`). None may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../fuzz/src/targets.rs"]
mod targets;

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A replayed vector taking longer than this (debug build) is reported as a hang.
const SLOW: Duration = Duration::from_secs(60);

fn vectors(target: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/fuzz").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| !n.to_string_lossy().starts_with('.')))
        .collect();
    files.sort();
    files
}

/// Run every vector of `target` through `f`, catching panics so that all failures are listed.
fn replay(target: &str, f: fn(&[u8])) {
    let files = vectors(target);
    let mut failures = Vec::new();
    for path in &files {
        let data = std::fs::read(path).unwrap();
        let started = Instant::now();
        if std::panic::catch_unwind(|| f(&data)).is_err() {
            failures.push(format!("{} panicked", path.display()));
        } else if started.elapsed() > SLOW {
            failures.push(format!("{} took {:?}", path.display(), started.elapsed()));
        }
    }
    assert!(failures.is_empty(), "{} of {} {target} vectors failed:\n{}", failures.len(), files.len(), failures.join("\n"));
    println!("{target}: {} vectors replayed without a panic", files.len());
}

#[test]
fn mime_parse_vectors() {
    replay("mime_parse", targets::mime_parse);
}

#[test]
fn cms_signed_vectors() {
    replay("cms_signed", targets::cms_signed);
}

#[test]
fn open_vectors() {
    replay("open", targets::open);
}

#[test]
fn pkcs12_vectors() {
    replay("pkcs12", targets::pkcs12);
}

#[test]
fn decrypt_vectors() {
    replay("decrypt", targets::decrypt);
}

#[test]
fn deferred_vectors() {
    replay("deferred", targets::deferred);
}

#[test]
fn smimea_vectors() {
    replay("smimea", targets::smimea);
}
