//! Every .p12/.pfx of the shared corpus imports with the password its README gives, and
//! gives the same leaf certificate as `openssl pkcs12 -clcerts`.

use super::*;
use crate::error::Code;
use crate::pkcs12::{certificates_in, import, import_all};

/// Passwords from the corpus README, by file name.
fn password_for(name: &str) -> Option<&'static str> {
    match name {
        "Alice.p12" | "Bob.p12" | "Dave.p12" | "Eve.p12" | "Alice-ec.p12" | "Fran.p12" | "Fran-ec.p12" => Some("nss"),
        "johndoe.p12" => Some(""),
        _ => None,
    }
}

fn find_p12(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            find_p12(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(), Some("p12" | "pfx")) {
            out.push(p);
        }
    }
}

fn corpus_files() -> Option<Vec<PathBuf>> {
    let corpus = cachet_testkit::corpus("pkcs12 corpus")?;
    let mut files = Vec::new();
    find_p12(&corpus, &mut files);
    files.sort();
    assert!(files.len() >= 8, "expected the 8 corpus PKCS#12 files, found {files:?}");
    // NSS writes BER (indefinite lengths): make sure that reading path is exercised.
    assert!(files.iter().any(|f| read(f).starts_with(&[0x30, 0x80])), "no BER-encoded PKCS#12 in the corpus");
    Some(files)
}

#[test]
fn every_corpus_p12_imports() {
    let Some(files) = corpus_files() else { return };
    let openssl = have("openssl");
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let pw = password_for(&name).unwrap_or_else(|| panic!("{name}: add its password from the corpus README"));
        let bytes = read(&f);
        let id = import(&bytes, pw).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_key_matches_cert(&id);
        let stem = name.split(['.', '-']).next().unwrap().to_ascii_lowercase();
        assert!(subject(&id.certificate).to_ascii_lowercase().replace(' ', "").contains(&stem), "{name}: subject {}", subject(&id.certificate));
        match name.as_str() {
            "Alice-ec.p12" => assert!(matches!(id.key, PrivateKey::P384(_)), "{name}: {:?}", id.key),
            "Fran-ec.p12" => assert!(!matches!(id.key, PrivateKey::Rsa(_)), "{name}: {:?}", id.key),
            _ => assert!(matches!(id.key, PrivateKey::Rsa(_)), "{name}: {:?}", id.key),
        }
        // Alice/Bob/Dave/Eve also carry the NSS test CA, which issued the leaf.
        if ["Alice.p12", "Bob.p12", "Dave.p12", "Eve.p12", "Alice-ec.p12"].contains(&name.as_str()) {
            assert_eq!(id.chain.len(), 1, "{name}");
            assert_eq!(id.chain[0].tbs_certificate().subject(), id.certificate.tbs_certificate().issuer(), "{name}");
        }
        assert_eq!(import_all(&bytes, pw).unwrap().len(), 1, "{name}");
        assert_eq!(certificates_in(&bytes, pw).unwrap().len(), 1 + id.chain.len(), "{name}");
        let wrong = import(&bytes, "not-the-password").unwrap_err();
        assert_eq!(wrong.code, Code::WrongPassword, "{name}: {wrong}");
        if openssl {
            let dir = TempDir::new("corpus");
            let out = dir.path("leaf.pem");
            let args = ["pkcs12", "-in", f.to_str().unwrap(), "-passin", &format!("pass:{pw}"), "-nokeys", "-clcerts",
                "-out", out.to_str().unwrap()];
            // johndoe.p12 uses RC2-40, which OpenSSL 3 only has in its legacy provider.
            if try_run(&dir.0, "openssl", &args).is_none() {
                let mut legacy = args.to_vec();
                legacy.push("-legacy");
                run(&dir.0, "openssl", &legacy);
            }
            assert_eq!(der_of(&pem_cert(&out)), der_of(&id.certificate), "{name}: OpenSSL sees another leaf");
        }
        println!("{name}: {} {:?} chain {}", subject(&id.certificate), id.key, id.chain.len());
    }
}
