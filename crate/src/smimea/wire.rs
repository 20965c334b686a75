//! The DNS wire format (RFC 1035 section 4), only as much as an SMIMEA lookup over
//! DNS-over-HTTPS needs: one query written, one response read. A small reader of our own:
//! the maintained Rust DNS crate (`hickory-proto`) brings Unicode name handling (IDNA
//! tables), async traits and its own random number source into the Wasm for the two
//! functions used here (see README, "Finding certificates").
//!
//! # Security
//! The response comes from the network through a resolver the user configured: every
//! length is checked against the bytes that are there, names are followed through at most
//! [`MAX_NAME_POINTERS`] compression pointers, each pointing strictly backwards (no loop
//! can be built), a name is at most [`MAX_NAME_OCTETS`] octets, and at most
//! [`MAX_RECORDS`] records are read. Nothing here panics or loops on any input.

use crate::error::{Code, Error, Result};

/// The largest DNS message read (RFC 1035 / RFC 8484: a DNS message carries a 16-bit length).
pub const MAX_DNS_MESSAGE: usize = 65_535;
/// Most compression pointers followed while reading one name.
pub const MAX_NAME_POINTERS: usize = 16;
/// Longest name in wire form, length octets included (RFC 1035 section 3.1).
pub const MAX_NAME_OCTETS: usize = 255;
/// Most resource records read from the answer section of one response.
pub const MAX_RECORDS: usize = 64;

/// Record types and class used here.
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_OPT: u16 = 41;
pub const TYPE_SMIMEA: u16 = 53;
pub const CLASS_IN: u16 = 1;

/// Header flags (second 16-bit word).
const FLAG_QR: u16 = 0x8000;
const FLAG_TC: u16 = 0x0200;
const FLAG_RD: u16 = 0x0100;
const FLAG_AD: u16 = 0x0020;
const OPCODE_MASK: u16 = 0x7800;
const RCODE_MASK: u16 = 0x000f;

/// The query is padded to a multiple of this many octets (RFC 8467 section 4.1, EDNS(0)
/// Padding, RFC 7830), so its length tells an observer less about the name.
pub const QUERY_PADDING_BLOCK: usize = 128;
/// The EDNS(0) UDP payload size advertised (meaningless over HTTPS, but required in OPT).
const EDNS_PAYLOAD: u16 = 1232;
const OPTION_PADDING: u16 = 12;

fn malformed(message: &str, detail: impl std::fmt::Display) -> Error {
    Error::new(Code::Malformed, message, "The resolver's answer cannot be used; try again later or choose another resolver.").with_detail(detail)
}

/// A domain name as lowercase labels (ASCII case folded; other octets kept).
pub type Name = Vec<Vec<u8>>;

/// Text form of a name (`a.b.c`), octets outside printable ASCII as `\DDD`.
pub fn name_text(name: &Name) -> String {
    let mut out = String::new();
    for (i, label) in name.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        for &b in label {
            if b.is_ascii_graphic() && b != b'.' && b != b'\\' {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("\\{b:03}"));
            }
        }
    }
    out
}

/// The labels of a dotted ASCII name, checked: 1–63 octets per label, at most 255 octets
/// in wire form, letters, digits, `-` and `_` only. Lowercased.
pub fn parse_ascii_name(text: &str) -> Result<Name> {
    let bad = |why: &str| Error::new(Code::Usage, format!("This is not a domain name Cachet can look up: {why}."), "Give the address with its domain in ASCII form (an internationalised domain as xn--…).");
    let t = text.strip_suffix('.').unwrap_or(text);
    if t.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut name = Vec::new();
    let mut octets = 1usize;
    for label in t.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(bad("a label is empty or longer than 63 characters"));
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(bad("it has characters other than letters, digits, '-' and '_'"));
        }
        octets += 1 + label.len();
        name.push(label.to_ascii_lowercase().into_bytes());
    }
    if octets > MAX_NAME_OCTETS {
        return Err(bad("it is longer than 255 octets"));
    }
    Ok(name)
}

/// The query for `name` and `rtype` (class IN): id 0 (RFC 8484 section 4.1, so answers
/// can be cached), recursion desired, AD set to ask for the resolver's DNSSEC verdict
/// (RFC 6840 section 5.7), an EDNS(0) OPT record with padding to [`QUERY_PADDING_BLOCK`].
pub fn build_query(name: &Name, rtype: u16) -> Vec<u8> {
    let mut q = Vec::with_capacity(QUERY_PADDING_BLOCK * 2);
    q.extend_from_slice(&0u16.to_be_bytes());
    q.extend_from_slice(&(FLAG_RD | FLAG_AD).to_be_bytes());
    for count in [1u16, 0, 0, 1] {
        q.extend_from_slice(&count.to_be_bytes());
    }
    for label in name {
        // Labels were checked by `parse_ascii_name` (at most 63 octets).
        q.push(u8::try_from(label.len()).unwrap_or(63));
        q.extend_from_slice(label);
    }
    q.push(0);
    q.extend_from_slice(&rtype.to_be_bytes());
    q.extend_from_slice(&CLASS_IN.to_be_bytes());
    // OPT: root name, type, payload size as class, TTL 0 (no DO bit: no RRSIGs wanted), rdata.
    let fixed = q.len() + 1 + 2 + 2 + 4 + 2 + 4;
    let pad = (QUERY_PADDING_BLOCK - fixed % QUERY_PADDING_BLOCK) % QUERY_PADDING_BLOCK;
    q.push(0);
    q.extend_from_slice(&TYPE_OPT.to_be_bytes());
    q.extend_from_slice(&EDNS_PAYLOAD.to_be_bytes());
    q.extend_from_slice(&0u32.to_be_bytes());
    let pad16 = u16::try_from(pad).unwrap_or(0);
    q.extend_from_slice(&(4 + pad16).to_be_bytes());
    q.extend_from_slice(&OPTION_PADDING.to_be_bytes());
    q.extend_from_slice(&pad16.to_be_bytes());
    q.resize(q.len() + pad, 0);
    q
}

/// One resource record of the answer section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub owner: Name,
    pub rtype: u16,
    pub class: u16,
    /// The record data (for CNAME: the target, read with the message for compression).
    pub data: Vec<u8>,
    /// CNAME target, when `rtype` is CNAME.
    pub target: Option<Name>,
}

/// A response as far as a lookup needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The resolver set the AD bit: it validated the answer with DNSSEC (RFC 4035 3.2.3).
    pub authentic_data: bool,
    /// RCODE (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ...).
    pub rcode: u8,
    pub question: Name,
    pub question_type: u16,
    pub answers: Vec<Record>,
}

struct Reader<'a> {
    msg: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.msg.len()).ok_or_else(|| malformed("The resolver's answer is cut short.", format!("{what} at offset {} needs {n} octets", self.pos)))?;
        let s = self.msg.get(self.pos..end).ok_or_else(|| malformed("The resolver's answer is cut short.", what))?;
        self.pos = end;
        Ok(s)
    }

    fn u16(&mut self, what: &str) -> Result<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b.first().copied().unwrap_or(0), b.get(1).copied().unwrap_or(0)]))
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        let hi = self.u16(what)?;
        let lo = self.u16(what)?;
        Ok((u32::from(hi) << 16) | u32::from(lo))
    }

    /// A name at the current position (advancing past it), following compression pointers.
    fn name(&mut self) -> Result<Name> {
        let (name, next) = read_name(self.msg, self.pos)?;
        self.pos = next;
        Ok(name)
    }
}

/// The name starting at `start` of `msg` and the offset after it (after its first pointer
/// when compressed). Every pointer must point before every octet of the name read so far
/// (pointer targets strictly decrease), so no chain of pointers can loop; at most
/// [`MAX_NAME_POINTERS`] are followed.
pub fn read_name(msg: &[u8], start: usize) -> Result<(Name, usize)> {
    let mut name = Vec::new();
    let mut pos = start;
    let mut after: Option<usize> = None;
    let mut pointers = 0usize;
    let mut octets = 1usize;
    let mut floor = start;
    loop {
        let len = *msg.get(pos).ok_or_else(|| malformed("The resolver's answer is cut short.", format!("name at offset {pos}")))?;
        match len & 0xc0 {
            0x00 if len == 0 => {
                return Ok((name, after.unwrap_or(pos + 1)));
            }
            0x00 => {
                let n = usize::from(len);
                octets += 1 + n;
                if octets > MAX_NAME_OCTETS {
                    return Err(malformed("The resolver's answer has a name longer than DNS allows.", format!("name at offset {start} exceeds {MAX_NAME_OCTETS} octets")));
                }
                let label = msg.get(pos + 1..pos + 1 + n).ok_or_else(|| malformed("The resolver's answer is cut short.", format!("label at offset {pos}")))?;
                name.push(label.to_ascii_lowercase());
                pos += 1 + n;
            }
            0xc0 => {
                let low = *msg.get(pos + 1).ok_or_else(|| malformed("The resolver's answer is cut short.", format!("pointer at offset {pos}")))?;
                let target = (usize::from(len & 0x3f) << 8) | usize::from(low);
                pointers += 1;
                if pointers > MAX_NAME_POINTERS || target >= floor {
                    return Err(malformed(
                        "The resolver's answer has a name that points in a loop.",
                        format!("compression pointer at offset {pos} to {target} (pointers must point before the name read so far, at most {MAX_NAME_POINTERS} per name)"),
                    ));
                }
                after.get_or_insert(pos + 2);
                pos = target;
                floor = target;
            }
            _ => return Err(malformed("The resolver's answer uses a name form DNS does not define.", format!("label type {:#04x} at offset {pos}", len & 0xc0))),
        }
    }
}

/// Read a response to a query for one name. Checks: a response (QR), a standard query,
/// not truncated (TC), exactly one question; reads at most [`MAX_RECORDS`] answers.
/// Authority and additional sections are not read (nothing there is used).
pub fn parse_response(msg: &[u8]) -> Result<Response> {
    if msg.len() > MAX_DNS_MESSAGE {
        return Err(Error::new(Code::LimitExceeded, format!("The resolver's answer is larger than a DNS message can be ({MAX_DNS_MESSAGE} bytes)."), "Choose another resolver.").with_detail(format!("{} bytes", msg.len())));
    }
    let mut r = Reader { msg, pos: 0 };
    let _id = r.u16("header")?;
    let flags = r.u16("header")?;
    let qd = r.u16("header")?;
    let an = r.u16("header")?;
    let _ns = r.u16("header")?;
    let _ar = r.u16("header")?;
    if flags & FLAG_QR == 0 {
        return Err(malformed("The resolver sent a query instead of an answer.", "QR bit clear"));
    }
    if flags & OPCODE_MASK != 0 {
        return Err(malformed("The resolver's answer is not an answer to a standard query.", format!("opcode {}", (flags & OPCODE_MASK) >> 11)));
    }
    if flags & FLAG_TC != 0 {
        return Err(malformed("The resolver's answer is truncated.", "TC bit set"));
    }
    if qd != 1 {
        return Err(malformed("The resolver's answer does not repeat the question.", format!("{qd} questions")));
    }
    let question = r.name()?;
    let question_type = r.u16("question")?;
    let _qclass = r.u16("question")?;
    if usize::from(an) > MAX_RECORDS {
        return Err(Error::new(Code::LimitExceeded, format!("The resolver's answer has more than {MAX_RECORDS} records."), "Cachet reads at most that many; ask the domain's administrator to publish fewer.").with_detail(format!("{an} answers")));
    }
    let mut answers = Vec::with_capacity(usize::from(an));
    for _ in 0..an {
        let owner = r.name()?;
        let rtype = r.u16("record")?;
        let class = r.u16("record")?;
        let _ttl = r.u32("record")?;
        let len = usize::from(r.u16("record")?);
        let start = r.pos;
        let data = r.take(len, "record data")?.to_vec();
        let target = if rtype == TYPE_CNAME {
            let (t, end) = read_name(msg, start)?;
            if end != start + len {
                return Err(malformed("The resolver's answer has a damaged alias record.", format!("CNAME at offset {start}: {len} octets declared")));
            }
            Some(t)
        } else {
            None
        };
        answers.push(Record { owner, rtype, class, data, target });
    }
    Ok(Response { authentic_data: flags & FLAG_AD != 0, rcode: u8::try_from(flags & RCODE_MASK).unwrap_or(0), question, question_type, answers })
}
