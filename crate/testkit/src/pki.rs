//! The test PKI of the Rust tests: a root CA and S/MIME leaves issued by it (certificate,
//! key, PKCS#12 with the password in `pw`, written when first used), all made by the openssl
//! command line.

use crate::{run, tool, TempDir};
use std::path::{Path, PathBuf};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Key types for test identities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Rsa2048,
    Rsa1024,
    Rsa3072,
    RsaPss,
    P256,
    P384,
}

impl Key {
    /// The key as `openssl genpkey` arguments (for the kept keys, see [`crate::pooled_key`]).
    fn genpkey_args(self) -> Vec<&'static str> {
        match self {
            Key::Rsa2048 => vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            Key::Rsa1024 => vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
            Key::Rsa3072 => vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
            Key::RsaPss => vec!["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
            Key::P256 => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            Key::P384 => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        }
    }

    /// A kept key of this kind written to `to` (see [`crate::pooled_key`]), for a test that
    /// makes its certificate itself with `openssl req -key` rather than generating a key
    /// with `-newkey` (a fresh RSA key costs openssl a tenth of a second or more).
    pub fn pooled(self, to: &Path) {
        crate::pooled_key(&self.genpkey_args(), to);
    }
}

/// A test PKI: a root CA and leaves issued by it, all made by openssl.
///
/// A leaf is issued once per name: asking again for a name with the same parameters gives the
/// same leaf (its files, and its PKCS#12 file once written), so the tests of one process can
/// share a PKI ([`Pki::for_process`]) and the leaves they have in common; asking for a name
/// with other parameters fails the test.
pub struct Pki {
    pub dir: TempDir,
    serial: AtomicUsize,
    issued: Mutex<HashMap<String, (String, Leaf)>>,
}

/// Files of one leaf identity. Its PKCS#12 file is written on first use ([`Leaf::p12`]): many
/// tests use a leaf only as a recipient's or a signer's certificate and key.
#[derive(Clone)]
pub struct Leaf {
    pub key: PathBuf,
    pub cert: PathBuf,
    pub password: PathBuf,
    pub email: String,
    name: String,
    ca: PathBuf,
    p12: PathBuf,
    p12_written: Arc<OnceLock<()>>,
}

impl Leaf {
    /// The leaf's PKCS#12 file (key, certificate and the CA, password in `password`), made by
    /// `openssl pkcs12 -export` the first time it is asked for.
    pub fn p12(&self) -> &Path {
        self.p12_written.get_or_init(|| {
            run(tool("openssl")
                .args(["pkcs12", "-export", "-name", &self.name, "-passout", "pass:test-password"])
                .arg("-inkey")
                .arg(&self.key)
                .arg("-in")
                .arg(&self.cert)
                .arg("-certfile")
                .arg(&self.ca)
                .arg("-out")
                .arg(&self.p12));
        });
        &self.p12
    }
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        Pki::in_dir(TempDir::new(name))
    }

    /// A PKI kept in a `static` and shared by the tests of one process (see
    /// [`TempDir::for_process`]). Its leaves can be issued from several tests at once, each
    /// under a name of its own.
    pub fn for_process(name: &str) -> Pki {
        Pki::in_dir(TempDir::for_process(name))
    }

    fn in_dir(dir: TempDir) -> Pki {
        crate::pooled_key(&Key::Rsa2048.genpkey_args(), &dir.path("ca.key"));
        run(tool("openssl").args(["req", "-x509", "-new", "-nodes", "-sha256", "-days", "3650"]).arg("-key").arg(dir.path("ca.key")).arg("-out").arg(dir.path("ca.pem")).args([
            "-subj",
            "/CN=Cachet Test Root/O=Cachet Tests",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]));
        dir.write("pw", b"test-password\n");
        Pki { dir, serial: AtomicUsize::new(100), issued: Mutex::new(HashMap::new()) }
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.path("ca.pem")
    }

    /// A leaf for `email`. `ext` replaces the default extensions when given.
    /// The key is a kept one (see [`crate::pooled_key`]), of its own within this test process.
    pub fn leaf(&self, name: &str, email: &str, key: Key, ext: Option<&str>, days: u32) -> Leaf {
        self.once(name, format!("{email}|{key:?}|{ext:?}|{days}"), || {
            let key_file = self.dir.path(&format!("{name}.key"));
            crate::pooled_key(&key.genpkey_args(), &key_file);
            let key_file = key_file.to_string_lossy().into_owned();
            self.issue(name, email, &["-key", &key_file], matches!(key, Key::P256 | Key::P384), ext, days)
        })
    }

    /// The leaf issued as `name` with these parameters, issued by `make` the first time.
    fn once(&self, name: &str, params: String, make: impl FnOnce() -> Leaf) -> Leaf {
        // Held while openssl issues the leaf: a second test asking for it waits for the first.
        let mut issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((before, leaf)) = issued.get(name) {
            assert_eq!(before, &params, "the test PKI's leaf {name} was asked for again with other parameters");
            return leaf.clone();
        }
        let leaf = make();
        issued.insert(name.to_string(), (params, leaf.clone()));
        leaf
    }

    /// [`Pki::leaf`] with the key given as `openssl req` arguments (`-newkey ...`, `-pkeyopt ...`
    /// for a fresh key, or `-key FILE`).
    pub fn leaf_with_key_args(&self, name: &str, email: &str, newkey: &[&str], ext: Option<&str>, days: u32) -> Leaf {
        self.once(name, format!("{email}|{newkey:?}|{ext:?}|{days}"), || {
            let ec = newkey.iter().any(|a| *a == "ec" || a.starts_with("ec:"));
            self.issue(name, email, newkey, ec, ext, days)
        })
    }

    fn issue(&self, name: &str, email: &str, newkey: &[&str], ec: bool, ext: Option<&str>, days: u32) -> Leaf {
        let d = &self.dir;
        let default_ext = format!(
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation,{}\nextendedKeyUsage=emailProtection\nsubjectAltName=email:{email}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
            if ec { "keyAgreement" } else { "keyEncipherment" }
        );
        // The extensions as the only section of a config file of their own: `openssl req -x509
        // -CA` issues the leaf in one run, as `openssl req -new` then `openssl x509 -req -CA
        // -extfile` did in two (the same certificate, byte for byte: same extensions in the same
        // order, same serial, dates and issuer), one openssl start less per leaf.
        d.write(&format!("{name}.cnf"), format!("[req]\ndistinguished_name = dn\nx509_extensions = leaf\n[dn]\n[leaf]\n{}\n", ext.unwrap_or(&default_ext)).as_bytes());
        // With `-key FILE` (a kept key already at NAME.key) openssl writes no key.
        let keyout = if newkey.first() == Some(&"-key") { vec![] } else { vec!["-keyout".to_string(), d.path(&format!("{name}.key")).to_string_lossy().into_owned()] };
        let serial = self.serial.fetch_add(1, Ordering::SeqCst).to_string();
        run(tool("openssl")
            .args(["req", "-x509", "-new", "-nodes", "-sha256", "-days", &days.to_string(), "-set_serial", &serial])
            .args(newkey)
            .args(&keyout)
            .args(["-subj", &format!("/CN={name}/O=Cachet Tests")])
            .arg("-CA")
            .arg(self.ca())
            .arg("-CAkey")
            .arg(d.path("ca.key"))
            .arg("-config")
            .arg(d.path(&format!("{name}.cnf")))
            .arg("-out")
            .arg(d.path(&format!("{name}.pem"))));
        Leaf {
            key: d.path(&format!("{name}.key")),
            cert: d.path(&format!("{name}.pem")),
            password: d.path("pw"),
            email: email.to_string(),
            name: name.to_string(),
            ca: self.ca(),
            p12: d.path(&format!("{name}.p12")),
            p12_written: Arc::new(OnceLock::new()),
        }
    }
}

