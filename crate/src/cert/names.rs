//! Display names of object identifiers and distinguished names, without the const-oid name
//! database: that database (every OID of some forty RFCs, with its names) made up about
//! 200 KB of the Wasm build. The tables here hold the algorithms and name attributes Cachet
//! shows, under the same names the database gives them, so the text is unchanged; any
//! other OID is shown in dotted form, as it was when the database did not know it.

use const_oid::ObjectIdentifier as Oid;
use der::asn1::{Ia5StringRef, PrintableStringRef, TeletexStringRef, Utf8StringRef};
use der::{Encode, Tag, Tagged};
use std::fmt::Write;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::Name;

const fn oid(s: &str) -> Oid {
    Oid::new_unwrap(s)
}

/// Algorithms (signature, key, digest, cipher, key derivation) by their database names.
static ALGORITHMS: &[(Oid, &str)] = &[
    (crate::oid::OID_RSA_ENCRYPTION, "rsaEncryption"),
    (oid("1.2.840.113549.1.1.2"), "md2WithRSAEncryption"),
    (crate::oid::OID_MD5_RSA, "md5WithRSAEncryption"),
    (crate::oid::OID_SHA1_RSA, "sha1WithRSAEncryption"),
    (crate::oid::OID_RSAES_OAEP, "id-RSAES-OAEP"),
    (crate::oid::OID_MGF1, "id-mgf1"),
    (crate::oid::OID_RSASSA_PSS, "id-RSASSA-PSS"),
    (crate::oid::OID_SHA256_RSA, "sha256WithRSAEncryption"),
    (crate::oid::OID_SHA384_RSA, "sha384WithRSAEncryption"),
    (crate::oid::OID_SHA512_RSA, "sha512WithRSAEncryption"),
    (crate::oid::OID_SHA224_RSA, "sha224WithRSAEncryption"),
    (crate::oid::OID_EC_PUBLIC_KEY, "id-ecPublicKey"),
    (crate::oid::OID_ECDSA_SHA224, "ecdsa-with-SHA224"),
    (crate::oid::OID_ECDSA_SHA256, "ecdsa-with-SHA256"),
    (crate::oid::OID_ECDSA_SHA384, "ecdsa-with-SHA384"),
    (crate::oid::OID_ECDSA_SHA512, "ecdsa-with-SHA512"),
    (oid("2.16.840.1.101.3.4.3.9"), "id-ecdsa-with-sha3-224"),
    (oid("2.16.840.1.101.3.4.3.10"), "id-ecdsa-with-sha3-256"),
    (oid("2.16.840.1.101.3.4.3.11"), "id-ecdsa-with-sha3-384"),
    (oid("2.16.840.1.101.3.4.3.12"), "id-ecdsa-with-sha3-512"),
    (crate::oid::OID_P256, "secp256r1"),
    (crate::oid::OID_P384, "secp384r1"),
    (crate::oid::OID_P521, "secp521r1"),
    (oid("1.3.101.110"), "id-X25519"),
    (oid("1.3.101.111"), "id-X448"),
    (crate::oid::OID_ED25519, "id-Ed25519"),
    (crate::oid::OID_ED448, "id-Ed448"),
    (crate::oid::OID_DSA, "id-dsa"),
    (crate::oid::OID_DSA_SHA1, "dsa-with-sha1"),
    (crate::oid::OID_DSA_SHA224, "dsa-with-sha224"),
    (crate::oid::OID_DSA_SHA256, "dsa-with-sha256"),
    (oid("1.2.840.113549.2.2"), "id-md2"),
    (crate::oid::OID_MD5, "id-md5"),
    (crate::oid::OID_SHA1, "id-sha1"),
    (crate::oid::OID_SHA256, "id-sha256"),
    (crate::oid::OID_SHA384, "id-sha384"),
    (crate::oid::OID_SHA512, "id-sha512"),
    (crate::oid::OID_SHA224, "id-sha224"),
    (oid("1.2.840.113549.2.9"), "id-hmacWithSHA256"),
    (oid("1.2.840.113549.2.10"), "id-hmacWithSHA384"),
    (oid("1.2.840.113549.2.11"), "id-hmacWithSHA512"),
    (oid("1.2.840.113549.1.5.12"), "id-PBKDF2"),
    (crate::oid::OID_AES128_CBC, "id-aes128-CBC"),
    (crate::oid::OID_AES192_CBC, "id-aes192-CBC"),
    (crate::oid::OID_AES256_CBC, "id-aes256-CBC"),
    (crate::oid::OID_AES128_GCM, "id-aes128-GCM"),
    (crate::oid::OID_AES192_GCM, "id-aes192-GCM"),
    (crate::oid::OID_AES256_GCM, "id-aes256-GCM"),
    (crate::oid::OID_DES_EDE3_CBC, "des-ede3-cbc"),
    (crate::oid::OID_RC2_CBC, "rc2-cbc"),
];

/// Name attribute types, by the shortest database name in upper case (as RFC 4514 strings
/// show them).
static ATTRIBUTES: &[(Oid, &str)] = &[
    (crate::oid::OID_COMMON_NAME, "CN"),
    (oid("2.5.4.4"), "SN"),
    (oid("2.5.4.5"), "SERIALNUMBER"),
    (oid("2.5.4.6"), "C"),
    (oid("2.5.4.7"), "L"),
    (oid("2.5.4.8"), "ST"),
    (oid("2.5.4.9"), "STREET"),
    (oid("2.5.4.10"), "O"),
    (oid("2.5.4.11"), "OU"),
    (oid("2.5.4.12"), "TITLE"),
    (oid("2.5.4.13"), "DESCRIPTION"),
    (oid("2.5.4.15"), "BUSINESSCATEGORY"),
    (oid("2.5.4.16"), "POSTALADDRESS"),
    (oid("2.5.4.17"), "POSTALCODE"),
    (oid("2.5.4.18"), "POSTOFFICEBOX"),
    (oid("2.5.4.19"), "PHYSICALDELIVERYOFFICENAME"),
    (oid("2.5.4.20"), "TELEPHONENUMBER"),
    (oid("2.5.4.41"), "NAME"),
    (oid("2.5.4.42"), "GN"),
    (oid("2.5.4.43"), "INITIALS"),
    (oid("2.5.4.44"), "GENERATIONQUALIFIER"),
    (oid("2.5.4.45"), "X500UNIQUEIDENTIFIER"),
    (oid("2.5.4.46"), "DNQUALIFIER"),
    (oid("2.5.4.51"), "HOUSEIDENTIFIER"),
    (oid("2.5.4.54"), "DMDNAME"),
    (oid("2.5.4.65"), "PSEUDONYM"),
    (oid("2.5.4.72"), "ID-AT-ROLE"),
    (oid("0.9.2342.19200300.100.1.1"), "UID"),
    (oid("0.9.2342.19200300.100.1.3"), "MAIL"),
    (oid("0.9.2342.19200300.100.1.25"), "DC"),
    (crate::oid::OID_EMAIL_ADDRESS, "EMAIL"),
    (oid("1.2.840.113549.1.9.2"), "PKCS-9-AT-UNSTRUCTUREDNAME"),
    (oid("1.2.840.113549.1.9.8"), "PKCS-9-AT-UNSTRUCTUREDADDRESS"),
];

fn lookup(table: &'static [(Oid, &'static str)], oid: &Oid) -> Option<&'static str> {
    table.iter().find(|(o, _)| o == oid).map(|(_, name)| *name)
}

/// The name of an algorithm OID (e.g. `sha256WithRSAEncryption`), or its dotted form.
pub fn algorithm_name(oid: &Oid) -> String {
    lookup(ALGORITHMS, oid).map_or_else(|| oid.to_string(), str::to_owned)
}

/// A distinguished name as an RFC 4514 string, most specific part first
/// (`CN=Alice,O=Example,C=DE`): the text `x509-cert` gives, without its name database.
pub fn name_string(name: &Name) -> String {
    let rdns: Vec<_> = name.iter_rdn().collect();
    let mut out = String::new();
    for (i, rdn) in rdns.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            push_attribute(&mut out, atv);
        }
    }
    out
}

/// The value of an attribute when it is one of the string types shown as text.
fn text_value(atv: &AttributeTypeAndValue) -> Option<&str> {
    let v = &atv.value;
    match v.tag() {
        Tag::PrintableString => v.decode_as::<PrintableStringRef<'_>>().ok().map(|s| s.as_str()),
        Tag::Utf8String => v.decode_as::<Utf8StringRef<'_>>().ok().map(|s| s.as_str()),
        Tag::Ia5String => v.decode_as::<Ia5StringRef<'_>>().ok().map(|s| s.as_str()),
        Tag::TeletexString => v.decode_as::<TeletexStringRef<'_>>().ok().map(|s| s.as_str()),
        _ => None,
    }
}

fn push_attribute(out: &mut String, atv: &AttributeTypeAndValue) {
    match (lookup(ATTRIBUTES, &atv.oid), text_value(atv)) {
        (Some(key), Some(val)) => {
            out.push_str(key);
            out.push('=');
            let mut chars = val.chars().enumerate().peekable();
            while let Some((i, c)) = chars.next() {
                match c {
                    '#' if i == 0 => out.push_str("\\#"),
                    ' ' if i == 0 || chars.peek().is_none() => out.push_str("\\ "),
                    '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                        out.push('\\');
                        out.push(c);
                    }
                    '\x00'..='\x1f' | '\x7f' => {
                        let _ = write!(out, "\\{:02x}", c as u8);
                    }
                    _ => out.push(c),
                }
            }
        }
        _ => {
            let _ = write!(out, "{}=#", atv.oid);
            for b in atv.value.to_der().unwrap_or_default() {
                let _ = write!(out, "{b:02x}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::facts::parse_certificates;
    use cachet_testkit::corpus;
    use std::str::FromStr;

    /// The database's name for an OID, as the code here replaced it.
    fn db_name(oid: &Oid) -> String {
        const_oid::db::DB.by_oid(oid).map_or_else(|| oid.to_string(), str::to_owned)
    }

    #[test]
    fn algorithm_names_are_the_database_names() {
        for (o, name) in ALGORITHMS {
            assert_eq!(&db_name(o), name, "{o}");
            assert_eq!(&algorithm_name(o), name);
        }
        let unknown = oid("1.2.3.4.5");
        assert_eq!(algorithm_name(&unknown), "1.2.3.4.5");
    }

    #[test]
    fn attribute_names_are_the_shortest_database_names() {
        for (o, name) in ATTRIBUTES {
            let shortest = const_oid::db::DB.find_names_for_oid(*o).min_by_key(|n| n.len()).map(str::to_ascii_uppercase);
            assert_eq!(shortest.as_deref(), Some(*name), "{o}");
        }
    }

    fn assert_same(name: &Name) {
        assert_eq!(name_string(name), name.to_string());
    }

    #[test]
    fn names_read_like_x509_cert_writes_them() {
        for s in [
            "CN=Alice Example,O=Example Org,C=DE",
            "CN=a\\,b+UID=x,OU=\\#hash,DC=example,DC=org",
            "CN=\\ lead and trail\\ ,ST=Bavaria,L=Munich,STREET=Main St 1",
            "EMAIL=alice@example.org,SERIALNUMBER=42,GN=Al,SN=Ex,TITLE=Dr",
            "CN=quote\\\"plus\\+semi\\;lt\\<gt\\>back\\\\",
            "1.2.3.4=#0c03616263,CN=x",
            "2.5.4.97=#0c0c56415444452d313233343536",
        ] {
            let name = Name::from_str(s).unwrap();
            assert_same(&name);
        }
        // A BMPString value is shown as hex, like any value that is not a plain string.
        let name = Name::from_str("CN=#1e0400410042").unwrap();
        assert_same(&name);
        assert!(name_string(&name).starts_with("2.5.4.3=#1e04"));
        assert_eq!(name_string(&Name::default()), "");
    }

    #[test]
    fn corpus_certificate_names_read_like_x509_cert_writes_them() {
        let Some(dir) = corpus("corpus_certificate_names") else { return };
        let mut files = vec![dir];
        let mut names = 0;
        while let Some(p) = files.pop() {
            if p.is_dir() {
                files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            if !["pem", "crt", "cer", "der"].contains(&ext.as_str()) {
                continue;
            }
            let Ok(certs) = parse_certificates(&std::fs::read(&p).unwrap()) else { continue };
            for c in certs {
                let tbs = c.tbs_certificate();
                assert_same(tbs.subject());
                assert_same(tbs.issuer());
                assert_eq!(algorithm_name(&c.signature_algorithm().oid), db_name(&c.signature_algorithm().oid), "{}", p.display());
                names += 2;
            }
        }
        assert!(names > 40, "only {names} names in the corpus");
    }
}
