//! A CA directory for `openssl ca`, for the tests that choose each certificate's dates,
//! issuer and extensions exactly (path validation, identity and recipient choices): unlike
//! [`crate::Pki`], whose leaves all come from one root with the default S/MIME extensions.

use crate::TempDir;

/// `openssl ca`'s configuration: any subject, no copied extensions, SHA-256.
const CA_CNF: &str = "[ca]\ndefault_ca = d\n[d]\ndir = .\ndatabase = index.txt\nnew_certs_dir = newcerts\nserial = serial\n\
default_md = sha256\npolicy = any\nunique_subject = no\ncopy_extensions = none\n[any]\ncommonName = supplied\n";

/// A folder with `openssl ca`'s database, keys by name (`NAME.key`) and certificates by name
/// (`NAME.pem`).
pub struct CaDir {
    pub d: TempDir,
}

impl CaDir {
    pub fn new(tag: &str) -> CaDir {
        let d = TempDir::new(tag);
        d.write("ca.cnf", CA_CNF.as_bytes());
        d.write("index.txt", b"");
        d.write("index.txt.attr", b"unique_subject = no\n");
        d.write("serial", b"1000\n");
        std::fs::create_dir_all(d.path("newcerts")).unwrap();
        CaDir { d }
    }

    /// The key `name`: "rsa:BITS" or "ec:CURVE", a kept one (see [`crate::pooled_key`]). Made
    /// once per name.
    pub fn key(&self, name: &str, spec: &str) {
        let file = format!("{name}.key");
        if self.d.path(&file).exists() {
            return;
        }
        let (alg, opt) = match spec.split_once(':') {
            Some(("rsa", bits)) => ("RSA", format!("rsa_keygen_bits:{bits}")),
            Some(("ec", curve)) => ("EC", format!("ec_paramgen_curve:{curve}")),
            _ => panic!("bad key spec {spec}"),
        };
        crate::pooled_key(&["-algorithm", alg, "-pkeyopt", &opt], &self.d.path(&file));
    }

    /// Issue certificate `name` (key `key`, made before with [`CaDir::key`], subject CN=`cn`)
    /// by `issuer` (its certificate's and key's names; None: self-signed), with the extensions
    /// `ext` and the dates (YYYYMMDDHHMMSSZ), then `extra` arguments for `openssl ca`. Returns
    /// the certificate as openssl wrote it (PEM).
    ///
    /// One request per key, made for its first certificate: `openssl ca -subj` gives each
    /// certificate its own subject, so a key's later certificates need no `openssl req` run
    /// (the certificate is the same, byte for byte, as from a request with that subject).
    #[allow(clippy::too_many_arguments)]
    pub fn issue(&self, name: &str, cn: &str, key: &str, issuer: Option<(&str, &str)>, ext: &str, dates: (&str, &str), extra: &[&str]) -> Vec<u8> {
        let (kf, csr, pem, extf) = (format!("{key}.key"), format!("{key}.csr"), format!("{name}.pem"), format!("{name}.ext"));
        self.d.write(&extf, ext.as_bytes());
        let subj = format!("/CN={cn}");
        if !self.d.path(&csr).exists() {
            self.d.openssl(&["req", "-new", "-key", &kf, "-subj", &subj, "-out", &csr]);
        }
        let mut args: Vec<String> = ["ca", "-batch", "-config", "ca.cnf", "-notext", "-preserveDN", "-in", &csr, "-subj", &subj, "-out", &pem, "-extfile", &extf, "-startdate", dates.0, "-enddate", dates.1]
            .iter()
            .map(|s| s.to_string())
            .collect();
        match issuer {
            None => args.extend(["-selfsign".into(), "-keyfile".into(), kf.clone()]),
            Some((icert, ikey)) => args.extend(["-cert".into(), format!("{icert}.pem"), "-keyfile".into(), format!("{ikey}.key")]),
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        self.d.openssl(&refs);
        self.d.read(&pem)
    }
}
