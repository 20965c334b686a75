//! SMIMEA tests: the owner name against openssl's SHA-256, the query and answers against
//! dnspython (a maintained DNS implementation: it reads our query and writes the answers,
//! with its own name compression), certificates made by openssl, and hostile answers made
//! here: cut at every length, truncated (TC), pointer loops, oversized, too many records,
//! and deterministic random damage.

use super::wire::{self, parse_response, read_name, MAX_DNS_MESSAGE, MAX_RECORDS};
use super::*;
use cachet_testkit::{Key, Pki};
use cachet_testkit::{run, run_with_input, tool};

const AT: UnixTime = UnixTime(1_800_000_000);

fn need_dnspython() {
    // Asked once per test process, with the interpreter's path (cachet_testkit::python_has).
    assert!(cachet_testkit::python_has("dns"), "these tests need Python's dnspython for the python3 on PATH: `npm test` installs it (pip install dnspython)");
}

/// One answer for dnspython to write: a query for `name` type SMIMEA answered with `records`
/// as (usage, selector, matching, hex data) under `owner` (default: the name), the AD flag
/// and rcode as given, and a CNAME from the name to `owner` when they differ.
struct Answer<'a> {
    name: &'a str,
    owner: Option<&'a str>,
    records: &'a [(u8, u8, u8, String)],
    ad: bool,
    rcode: u8,
}

/// dnspython's answers (wire bytes, with its compression), all written by one python3 process.
fn dnspython_answers(answers: &[Answer]) -> Vec<Vec<u8>> {
    need_dnspython();
    let specs: Vec<String> = answers
        .iter()
        .map(|a| {
            let recs: Vec<String> = a.records.iter().map(|(u, s, m, h)| format!("'{u} {s} {m} {h}'")).collect();
            format!("('{}.', '{}.', {}, {}, [{}])", a.name, a.owner.unwrap_or(a.name), if a.ad { "True" } else { "False" }, a.rcode, recs.join(", "))
        })
        .collect();
    let script = format!(
        r#"
import sys, struct, dns.message, dns.rrset, dns.flags, dns.rcode, dns.rdatatype
for name, owner, ad, rcode, recs in [{specs}]:
    q = dns.message.make_query(name, 'SMIMEA')
    r = dns.message.make_response(q)
    if ad: r.flags |= dns.flags.AD
    r.set_rcode(rcode)
    if owner != name:
        r.answer.append(dns.rrset.from_text(name, 300, 'IN', 'CNAME', owner))
    if recs:
        r.answer.append(dns.rrset.from_text_list(owner, 300, 'IN', 'SMIMEA', recs))
    wire = r.to_wire()
    sys.stdout.buffer.write(struct.pack('>I', len(wire)) + wire)
"#,
        specs = specs.join(", "),
    );
    let out = run(cachet_testkit::python3().args(["-c", &script])).stdout;
    let mut rest = &out[..];
    let mut wires = Vec::new();
    while !rest.is_empty() {
        let n = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        wires.push(rest[4..4 + n].to_vec());
        rest = &rest[4 + n..];
    }
    assert_eq!(wires.len(), answers.len(), "one answer per request");
    wires
}

/// One dnspython answer (see `dnspython_answers`).
fn dnspython_answer(name: &str, owner: Option<&str>, records: &[(u8, u8, u8, String)], ad: bool, rcode: u8) -> Vec<u8> {
    dnspython_answers(&[Answer { name, owner, records, ad, rcode }]).remove(0)
}

fn cert_hex(pem: &std::path::Path) -> String {
    let der = run(tool("openssl").args(["x509", "-outform", "DER", "-in"]).arg(pem)).stdout;
    base16ct::lower::encode_string(&der)
}

#[test]
fn owner_name_is_the_truncated_sha256_of_the_local_part_as_openssl_computes_it() {
    let out = run_with_input(tool("openssl").args(["dgst", "-sha256", "-r"]), b"Hugh.Jackman");
    let hex = String::from_utf8(out.stdout).unwrap();
    let want = format!("{}._smimecert.example.com", &hex[..56]);
    assert_eq!(wire::name_text(&owner_name("Hugh.Jackman@Example.COM").unwrap()), want);
    // The local part is hashed as written: another case is another name.
    assert_ne!(owner_name("hugh.jackman@example.com").unwrap(), owner_name("Hugh.Jackman@example.com").unwrap());
    for bad in ["", "nobody", "@example.com", "a@", "a@exa mple.com", "a@bücher.de", "a@.example", &format!("a@{}.com", "x".repeat(64)), &format!("{}@x.org", "l".repeat(65))] {
        assert_eq!(owner_name(bad).unwrap_err().code, Code::Usage, "{bad}");
    }
    let long_domain = format!("a@{}", vec!["abcdefghij"; 22].join("."));
    assert_eq!(owner_name(&long_domain).unwrap_err().code, Code::Usage, "name over 255 octets");
}

#[test]
fn the_query_is_what_dnspython_reads_as_an_smimea_question() {
    need_dnspython();
    let q = query("alice@example.org").unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&q.query_base64url).unwrap();
    assert_eq!(bytes.len() % wire::QUERY_PADDING_BLOCK, 0, "padded to a multiple of 128 octets");
    let script = r#"
import sys, dns.message, dns.flags
m = dns.message.from_wire(sys.stdin.buffer.read())
print(m.id, dns.flags.to_text(m.flags), m.question[0].name.to_text(), m.question[0].rdtype, m.question[0].rdclass, m.edns, m.ednsflags, [int(o.otype) for o in m.options])
"#;
    let out = run_with_input(cachet_testkit::python3().args(["-c", script]), &bytes);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.trim(), format!("0 RD AD {}. 53 1 0 0 [12]", q.name));
}

#[test]
fn a_dane_ee_certificate_for_the_address_is_accepted_and_the_ad_bit_decides_the_trust() {
    let pki = Pki::new("smimea-accept");
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let name = query("alice@example.org").unwrap().name;
    let hex = cert_hex(&alice.cert);
    let rec = [(3, 0, 0, hex.clone())];
    let via = |ad, owner| Answer { name: &name, owner, records: &rec, ad, rcode: 0 };
    let answers = dnspython_answers(&[via(true, None), via(false, None), via(true, Some("alice.certs.example.net"))]);
    for (ad, answer) in [(true, &answers[0]), (false, &answers[1])] {
        let l = read_answer("alice@example.org", answer, AT).unwrap();
        assert_eq!(l.outcome, SmimeaOutcome::Found);
        assert_eq!(l.dnssec_validated, ad);
        assert_eq!(l.trust, if ad { SmimeaTrust::DnssecValidated } else { SmimeaTrust::FoundInDns });
        assert_eq!(l.certificates.len(), 1);
        assert_eq!(l.certificates[0].facts.emails, vec!["alice@example.org".to_string()]);
        assert_eq!(base16ct::lower::encode_string(&base64::engine::general_purpose::STANDARD.decode(&l.certificates[0].der_base64).unwrap()), hex);
        assert!(l.rejected.is_empty());
    }
    // Through an alias (CNAME) in the same answer.
    assert_eq!(read_answer("alice@example.org", &answers[2], AT).unwrap().outcome, SmimeaOutcome::Found);
    // A record for another name (no alias leads there) is ignored.
    let other = wire::parse_ascii_name(&query("mallory@example.org").unwrap().name).unwrap();
    let mut m = simple_answer(&name, &[], 0x8020, 0);
    m[7] = 1;
    for l in &other {
        m.push(l.len() as u8);
        m.extend_from_slice(l);
    }
    let data = base64::engine::general_purpose::STANDARD.decode(&read_answer("alice@example.org", &answers[0], AT).unwrap().certificates[0].der_base64).unwrap();
    m.extend_from_slice(&[0, 0, 53, 0, 1, 0, 0, 1, 0]);
    m.extend_from_slice(&((data.len() + 3) as u16).to_be_bytes());
    m.extend_from_slice(&[3, 0, 0]);
    m.extend_from_slice(&data);
    let l = read_answer("alice@example.org", &m, AT).unwrap();
    assert_eq!((l.outcome, l.certificates.len()), (SmimeaOutcome::NoUsableRecord, 0));
}

#[test]
fn wrong_usage_selector_address_and_garbage_are_rejected_with_reasons() {
    let pki = Pki::new("smimea-reject");
    let alice = pki.leaf("alice", "alice@example.org", Key::P256, None, 365);
    let bob = pki.leaf("bob", "bob@example.org", Key::Rsa2048, None, 365);
    let name = query("alice@example.org").unwrap().name;
    let (a, b) = (cert_hex(&alice.cert), cert_hex(&bob.cert));
    let records = vec![(2, 0, 0, a.clone()), (3, 1, 0, a.clone()), (3, 0, 1, "00".repeat(32)), (3, 0, 0, b), (3, 0, 0, "3003020100".to_string())];
    let good_and_bad = [(2, 0, 0, a.clone()), (3, 0, 0, a)];
    let answers = dnspython_answers(&[
        Answer { name: &name, owner: None, records: &records, ad: true, rcode: 0 },
        Answer { name: &name, owner: None, records: &good_and_bad, ad: false, rcode: 0 },
    ]);
    let l = read_answer("alice@example.org", &answers[0], AT).unwrap();
    assert_eq!(l.outcome, SmimeaOutcome::NoUsableRecord);
    assert!(l.certificates.is_empty());
    let reasons: Vec<&str> = l.rejected.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("usage 2 is not DANE-EE")), "{reasons:?}");
    assert!(reasons.iter().filter(|r| r.contains("do not carry the whole certificate")).count() == 2, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("names bob@example.org, not alice@example.org")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("not hold a readable certificate")), "{reasons:?}");
    // The good one next to the bad ones is still found.
    let l = read_answer("alice@example.org", &answers[1], AT).unwrap();
    assert_eq!((l.outcome, l.certificates.len(), l.rejected.len()), (SmimeaOutcome::Found, 1, 1));
}

#[test]
fn nxdomain_servfail_and_other_questions() {
    let name = query("nobody@example.org").unwrap().name;
    let none = |ad, rcode| Answer { name: &name, owner: None, records: &[], ad, rcode };
    let [nx, fail, empty]: [Vec<u8>; 3] = dnspython_answers(&[none(true, 3), none(false, 2), none(true, 0)]).try_into().unwrap();
    assert_eq!(read_answer("nobody@example.org", &nx, AT).unwrap().outcome, SmimeaOutcome::NotFound);
    let l = read_answer("nobody@example.org", &fail, AT).unwrap();
    assert_eq!((l.outcome, l.rcode), (SmimeaOutcome::ResolverFailed, 2));
    assert_eq!(read_answer("nobody@example.org", &empty, AT).unwrap().outcome, SmimeaOutcome::NoUsableRecord);
    // An answer to another name is refused, not read.
    let e = read_answer("somebody@example.org", &empty, AT).unwrap_err();
    assert_eq!(e.code, Code::Malformed);
    assert!(e.message.contains("different question"));
}

/// A valid answer with one SMIMEA record, written by hand (no compression).
fn simple_answer(name: &str, data: &[u8], flags: u16, answers: u16) -> Vec<u8> {
    let labels = wire::parse_ascii_name(name).unwrap();
    let mut m = Vec::new();
    m.extend_from_slice(&[0, 0]);
    m.extend_from_slice(&flags.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    m.extend_from_slice(&answers.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0]);
    for l in &labels {
        m.push(l.len() as u8);
        m.extend_from_slice(l);
    }
    m.extend_from_slice(&[0, 0, 53, 0, 1]);
    for _ in 0..answers {
        m.extend_from_slice(&[0xc0, 12, 0, 53, 0, 1, 0, 0, 1, 0]);
        m.extend_from_slice(&(data.len() as u16).to_be_bytes());
        m.extend_from_slice(data);
    }
    m
}

#[test]
fn every_cut_of_an_answer_is_refused_never_misread() {
    let pki = Pki::new("smimea-cut");
    let alice = pki.leaf("alice", "alice@example.org", Key::Rsa2048, None, 365);
    let name = query("alice@example.org").unwrap().name;
    let answer = dnspython_answer(&name, Some("alias.example.net"), &[(3, 0, 0, cert_hex(&alice.cert))], true, 0);
    assert_eq!(read_answer("alice@example.org", &answer, AT).unwrap().outcome, SmimeaOutcome::Found);
    for cut in 0..answer.len() {
        let r = read_answer("alice@example.org", &answer[..cut], AT);
        let e = r.err().unwrap_or_else(|| panic!("a cut at {cut} of {} was read as an answer", answer.len()));
        assert_eq!(e.code, Code::Malformed, "cut at {cut}: {e}");
    }
}

#[test]
fn truncated_oversized_and_crowded_answers_are_refused() {
    let name = query("alice@example.org").unwrap().name;
    // TC: the resolver says the answer is incomplete.
    let tc = simple_answer(&name, &[3, 0, 0, 1, 2, 3], 0x8000 | 0x0200, 1);
    let e = read_answer("alice@example.org", &tc, AT).unwrap_err();
    assert!(e.message.contains("truncated"), "{e}");
    // Over a DNS message's size.
    let mut big = simple_answer(&name, &vec![0u8; 60_000], 0x8000, 1);
    big.extend(vec![0u8; MAX_DNS_MESSAGE + 1 - big.len()]);
    assert_eq!(read_answer("alice@example.org", &big, AT).unwrap_err().code, Code::LimitExceeded);
    // Too many records.
    let crowded = simple_answer(&name, &[3, 0, 0, 0], 0x8000, (MAX_RECORDS + 1) as u16);
    let e = read_answer("alice@example.org", &crowded, AT).unwrap_err();
    assert_eq!(e.code, Code::LimitExceeded);
    assert!(simple_answer(&name, &[3, 0, 0, 0], 0x8000, MAX_RECORDS as u16).len() < MAX_DNS_MESSAGE);
    assert!(read_answer("alice@example.org", &simple_answer(&name, &[3, 0, 0, 0], 0x8000, MAX_RECORDS as u16), AT).is_ok());
    // A record declaring more data than there is.
    let mut short = simple_answer(&name, &[3, 0, 0, 0], 0x8000, 1);
    let n = short.len();
    short[n - 6] = 0xff;
    assert_eq!(read_answer("alice@example.org", &short, AT).unwrap_err().code, Code::Malformed);
    // A query (QR clear) and a non-standard opcode.
    assert!(read_answer("alice@example.org", &simple_answer(&name, &[3, 0, 0, 0], 0, 1), AT).unwrap_err().message.contains("query instead"));
    assert!(read_answer("alice@example.org", &simple_answer(&name, &[3, 0, 0, 0], 0x8000 | 0x2800, 1), AT).is_err());
    // An oversized certificate inside a well-formed record is rejected, not read.
    let huge = [&[3u8, 0, 0][..], &vec![0x30; MAX_SMIMEA_CERTIFICATE + 1]].concat();
    let l = read_answer("alice@example.org", &simple_answer(&name, &huge, 0x8000 | 0x0020, 1), AT).unwrap();
    assert!(l.rejected[0].reason.contains("larger than"), "{:?}", l.rejected);
}

#[test]
fn compression_pointer_loops_and_forward_pointers_are_refused() {
    // A pointer to itself, to a later offset, and two pointers pointing at each other.
    let header = [0u8, 0, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    let self_loop = [&header[..], &[0xc0, 12, 0, 53, 0, 1]].concat();
    let forward = [&header[..], &[0xc0, 14, 0, 0, 53, 0, 1]].concat();
    let mut pair = header.to_vec();
    pair.extend_from_slice(&[1, b'a', 0xc0, 15, 0xc0, 12]);
    for (what, msg) in [("self", self_loop), ("forward", forward)] {
        let e = parse_response(&msg).unwrap_err();
        assert!(e.message.contains("loop"), "{what}: {e}");
    }
    // Label then a pointer back to the label: a→a→a... is refused (the target is not before the name).
    let e = read_name(&pair, 12).unwrap_err();
    assert!(e.message.contains("loop"), "{e}");
    // A long chain of backward pointers stops at the limit.
    let mut chain = vec![0u8];
    for i in 0..40u16 {
        let at = if i == 0 { 0 } else { chain.len() - 2 };
        chain.extend_from_slice(&[0xc0 | (at >> 8) as u8, at as u8]);
    }
    let e = read_name(&chain, chain.len() - 2).unwrap_err();
    assert!(e.detail.unwrap().contains("at most 16"), "chain over the pointer limit");
    // Reserved label types and names over 255 octets.
    assert!(read_name(&[0x40, 0], 0).unwrap_err().message.contains("does not define"));
    let mut long = Vec::new();
    for _ in 0..5 {
        long.push(63);
        long.extend(vec![b'a'; 63]);
    }
    long.push(0);
    assert!(read_name(&long, 0).unwrap_err().message.contains("longer than DNS allows"));
}

#[test]
fn random_damage_never_panics() {
    let name = query("alice@example.org").unwrap().name;
    let base = simple_answer(&name, &[3, 0, 0, 0x30, 0x03, 0x02, 0x01, 0x00], 0x8020, 3);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let mut m = base.clone();
        for _ in 0..(next() % 6 + 1) {
            let i = (next() as usize) % m.len();
            m[i] = next() as u8;
        }
        if next() % 4 == 0 {
            m.truncate((next() as usize) % m.len());
        }
        let _ = read_answer("alice@example.org", &m, AT);
        let _ = parse_response(&m);
    }
}
