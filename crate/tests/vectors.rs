//! Issue 15: the project's own test vectors (`tests/vectors/` at the repository root), run
//! through the native core. Each vector file says what it is and what Cachet must answer
//! (format: `tests/vectors/README.md`); this file holds one test per vector, so a failure
//! names the vector and a skip is counted for that vector alone.
//!
//! Messages go through `cachet open` (the CLI contract of SPEC section 9, the same one the
//! Wasm runner `tests/wasm/vectors.test.mjs` compares with); identities through
//! `cachet cert FILE --password-file` and `pkcs12::import` (for the error code);
//! certificates through `cachet cert`.
//!
//! A vector with `known-failure:` is run: while it still fails it is recorded as skipped
//! with that reason (never passed); once it passes the test fails, so that the mark is
//! removed. `fixed-with: pin` marks a failure that pins fix: with the CLI's `--pin` it no
//! longer applies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::*;
use std::path::{Path, PathBuf};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// One vector: its header lines in order, and the data after the empty line.
struct Vector {
    header: Vec<(String, String)>,
    data: Vec<u8>,
}

impl Vector {
    fn load(rel: &str) -> Vector {
        let path = vectors_dir().join(rel);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let split = bytes.windows(2).position(|w| w == b"\n\n").unwrap_or_else(|| panic!("{rel}: no empty line after the header"));
        let text = std::str::from_utf8(&bytes[..split]).unwrap_or_else(|e| panic!("{rel}: header is not UTF-8: {e}"));
        let header = text
            .lines()
            .map(|l| {
                let (k, v) = l.split_once(": ").unwrap_or_else(|| panic!("{rel}: header line without ': ': {l}"));
                (k.to_string(), v.to_string())
            })
            .collect();
        Vector { header, data: bytes[split + 2..].to_vec() }
    }
    fn all(&self, key: &str) -> Vec<&str> {
        self.header.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }
    fn one(&self, key: &str) -> Option<&str> {
        self.all(key).into_iter().next()
    }
}

/// Compare one JSON value with the expected text of a `check:` line.
fn same(v: Option<&serde_json::Value>, want: &str) -> bool {
    match v {
        Some(serde_json::Value::String(s)) => s == want,
        // (As JSON text: comparing the Value with a &str would only ever match strings.)
        Some(other) => serde_json::to_string(other).is_ok_and(|s| s == want),
        None => want == "null",
    }
}

/// Every `check: /pointer = value` (or `~ text`: contains) that does not hold.
fn checks(v: &Vector, json: &serde_json::Value, out: &mut Vec<String>) {
    for c in v.all("check") {
        if let Some((ptr, want)) = c.split_once(" = ") {
            if !same(json.pointer(ptr), want) {
                out.push(format!("check {ptr}: want {want:?}, got {}", json.pointer(ptr).map(|x| x.to_string()).unwrap_or("nothing".into())));
            }
        } else if let Some((ptr, want)) = c.split_once(" ~ ") {
            let got = json.pointer(ptr).and_then(|x| x.as_str()).unwrap_or("");
            if !got.contains(want) {
                out.push(format!("check {ptr}: want text containing {want:?}, got {got:?}"));
            }
        } else {
            panic!("bad check line: {c}");
        }
    }
}

/// The data of a referenced vector written to a file in `dir`.
fn extract(dir: &TempDir, rel: &str) -> PathBuf {
    let name = rel.replace('/', "_");
    dir.write(&name, &Vector::load(rel).data)
}

/// What is wrong with `cachet open` on a message vector (empty when it matches).
fn message_mismatches(v: &Vector, dir: &TempDir) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    for t in v.all("trust") {
        args.extend(["--trust".into(), extract(dir, t).to_string_lossy().into_owned()]);
    }
    for p in v.all("pin") {
        args.extend(["--pin".into(), extract(dir, p).to_string_lossy().into_owned()]);
    }
    let pw = dir.write("password", v.one("password").unwrap_or("").as_bytes());
    for id in v.all("identity") {
        args.extend(["--identity".into(), extract(dir, id).to_string_lossy().into_owned(), "--password-file".into(), pw.to_string_lossy().into_owned()]);
    }
    if let Some(mpw) = v.one("message-password") {
        // The password of a password-encrypted message (RFC 3211): a --password-file of its own.
        args.extend(["--password-file".into(), dir.write("message-password", mpw.as_bytes()).to_string_lossy().into_owned()]);
    }
    if let Some(at) = v.one("at") {
        args.extend(["--at".into(), at.into()]);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (r, code) = open(&v.data, &refs);
    let mut out = Vec::new();
    let expect = v.one("expect").expect("expect: line");
    if status(&r) != expect {
        out.push(format!("status: want {expect}, got {}", status(&r)));
    }
    // Exit status: 0 when every layer is good, 3 for a verdict that is not; never 2 or a crash.
    let layers: Vec<String> = r["layers"].as_array().map(|a| a.iter().map(|l| format!("{}:{}", l["kind"].as_str().unwrap_or("?"), l["status"].as_str().unwrap_or("?"))).collect()).unwrap_or_default();
    let good = expect == "valid" || (expect == "unsigned" && !layers.is_empty());
    if code != if good { 0 } else { 3 } {
        out.push(format!("exit status {code} for {expect}"));
    }
    if let Some(want) = v.one("layers") {
        let want: Vec<&str> = if want == "none" { Vec::new() } else { want.split(' ').collect() };
        if layers != want {
            out.push(format!("layers: want {want:?}, got {layers:?}"));
        }
    }
    for d in v.all("diagnosis") {
        for id in d.split(' ') {
            if !r["diagnosis"].as_array().is_some_and(|a| a.iter().any(|x| x["id"] == id)) {
                out.push(format!("diagnosis {id} missing: {}", r["diagnosis"]));
            }
        }
    }
    // Every repair the vector names is reported (issue 17).
    for code in v.all("repair") {
        if !r["repairs"].as_array().is_some_and(|a| a.iter().any(|x| x["code"] == code)) {
            out.push(format!("repair {code} missing: {}", r["repairs"]));
        }
    }
    checks(v, &r, &mut out);
    if !out.is_empty() {
        out.push(format!("report: {}", summary(&r)));
    }
    out
}

/// The parts of a report that explain a verdict (not the certificates).
fn summary(r: &serde_json::Value) -> String {
    let layers: Vec<serde_json::Value> = r["layers"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|l| {
                    let signers: Vec<serde_json::Value> = l["signers"].as_array().map(|s| s.iter().map(|x| serde_json::json!({"status": x["status"], "signature": x["signature"], "chain": x["chain"]["status"], "details": x["details"], "chain_details": x["chain"]["details"]})).collect()).unwrap_or_default();
                    serde_json::json!({"kind": l["kind"], "status": l["status"], "covers": l["covers"], "details": l["details"], "encryption": l["encryption"], "signers": signers})
                })
                .collect()
        })
        .unwrap_or_default();
    serde_json::json!({"status": r["status"], "layers": layers, "diagnosis": r["diagnosis"], "error": r["error"]}).to_string()
}

/// What is wrong with importing an identity vector (empty when it matches).
fn identity_mismatches(v: &Vector, dir: &TempDir) -> Vec<String> {
    let mut out = Vec::new();
    let password = v.one("password").unwrap_or("");
    let imported = cachet::pkcs12::import(&v.data, password);
    let p12 = dir.write("identity.p12", &v.data);
    let pw = dir.write("password", password.as_bytes());
    let cli = run_with_input(cachet().arg("cert").arg(&p12).arg("--password-file").arg(&pw), b"");
    match (v.one("error"), imported) {
        (Some(want), Err(e)) => {
            let code = serde_json::to_value(&e).unwrap()["code"].as_str().unwrap_or("?").to_string();
            if code != want {
                out.push(format!("error: want {want}, got {code} ({})", e.message));
            }
            if cli.status.code() != Some(2) {
                out.push(format!("cachet cert: want exit 2, got {:?}", cli.status.code()));
            }
        }
        (Some(want), Ok(_)) => out.push(format!("imported, but the vector expects the error {want}")),
        (None, Err(e)) => out.push(format!("import failed: {} ({:?})", e.message, e.detail)),
        (None, Ok(_)) => {
            let json: serde_json::Value = serde_json::from_slice(&cli.stdout).unwrap_or_else(|e| panic!("cachet cert printed no JSON ({e}): {}", String::from_utf8_lossy(&cli.stderr)));
            checks(v, &json, &mut out);
        }
    }
    out
}

/// What is wrong with `cachet cert` on a certificate vector.
fn certificate_mismatches(v: &Vector, dir: &TempDir) -> Vec<String> {
    let file = dir.write("cert.pem", &v.data);
    let cli = run_with_input(cachet().arg("cert").arg(&file), b"");
    let json: serde_json::Value = serde_json::from_slice(&cli.stdout).unwrap_or_else(|e| panic!("cachet cert printed no JSON ({e}): {}", String::from_utf8_lossy(&cli.stderr)));
    let mut out = Vec::new();
    checks(v, &json, &mut out);
    out
}

/// Record a vector as skipped, in the skip log `npm test` counts (see `cachet_testkit::skip`).
/// Unlike missing test data, a pending capability or a known failure is not an error under
/// `CI=true`: it is the table's own statement, decided by the lead, and counted as skipped.
fn record_skip(test: &str, reason: &str) {
    cachet_testkit::peer_limitation(test, reason);
}

fn check_vector(rel: &str) {
    let v = Vector::load(rel);
    let test = format!("vectors::{rel}");
    let dir = TempDir::new("vectors");
    let mismatches = match v.one("kind") {
        Some("message") => message_mismatches(&v, &dir),
        Some("identity") => identity_mismatches(&v, &dir),
        Some("certificate") => certificate_mismatches(&v, &dir),
        other => panic!("{rel}: unknown kind {other:?}"),
    };
    // A known failure that pins fix (the CLI's --pin) no longer applies.
    let known = v.one("known-failure").filter(|_| v.one("fixed-with") != Some("pin"));
    match known {
        Some(reason) if !mismatches.is_empty() => {
            eprintln!("{rel}: known failure, still failing:\n  {}", mismatches.join("\n  "));
            record_skip(&test, &format!("known failure: {reason}"));
        }
        Some(reason) => panic!("{rel} is marked as a known failure ({reason}) but now gives what it expects: remove its known-failure line (tests/vectors/make.mjs)"),
        None => assert!(mismatches.is_empty(), "{rel}:\n  {}", mismatches.join("\n  ")),
    }
}

/// Every vector file, and only those, has a test below.
#[test]
fn every_vector_file_has_a_test() {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, base, out);
            } else if p.extension().is_some_and(|x| x == "vec") {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut files = Vec::new();
    walk(&vectors_dir(), &vectors_dir(), &mut files);
    files.sort();
    let mut listed: Vec<String> = ALL.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed, "tests/vectors and the list in crate/tests/vectors.rs differ");
}

macro_rules! vectors {
    ($($name:ident => $path:literal,)*) => {
        $(
            #[test]
            fn $name() {
                check_vector($path);
            }
        )*
        const ALL: &[&str] = &[$($path),*];
    };
}

// The list is written by tests/vectors/make.mjs.
include!("vectors/list.rs");
