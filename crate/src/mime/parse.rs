//! MIME structure: splits an entity into its header fields and body and a multipart
//! body into its parts, keeping the exact byte range of everything as received.
//!
//! Implements RFC 5322 section 2.2 (header fields, folding), RFC 2045 section 3
//! (entity = header + body), RFC 2046 section 5.1.1 (boundary delimiters: the line
//! break before a delimiter belongs to the delimiter, transport padding after it,
//! preamble and epilogue ignored). Both CRLF and bare LF line endings are accepted,
//! also mixed. Decoding of values and bodies lives in `entity.rs`.

use super::entity::{ContentType, Entity, HeaderField};
use super::limits::{exceeded, Limits};
use crate::error::Result;

/// Parses a message (RFC 5322) or a bare MIME entity (no RFC 5322 headers).
///
/// Multipart bodies are split recursively; `message/rfc822` parts are leaves (parse
/// their `body_raw()` again if needed). A multipart without a usable boundary is a
/// leaf; a multipart without its close delimiter ends at the end of its body (see
/// [`Entity::is_complete`]).
///
/// # Security
/// Input is untrusted. Size, nesting depth, entity count, header block size and
/// header line length are bounded by `limits` (`Code::LimitExceeded` names the
/// limit). Work is linear in the input size per nesting level; recursion depth is
/// bounded by `limits.max_depth`. Never panics.
pub fn parse<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Entity<'a>> {
    if bytes.len() > limits.max_message_size {
        return Err(too_large(bytes.len(), limits));
    }
    parse_entity(bytes, 0, bytes.len(), 0, Vec::new(), limits, &mut Walk::default())
}

/// [`parse`]'s refusal of a message of `len` bytes, above `max_message_size`.
pub(crate) fn too_large(len: usize, limits: &Limits) -> crate::error::Error {
    exceeded("max_message_size", limits.max_message_size, format!("{len} bytes"))
}

/// [`parse`] with every multipart scanning its own body, as before [`Dashes`] (for tests).
#[cfg(test)]
pub(crate) fn parse_scanning_each_body<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Entity<'a>> {
    let mut walk = Walk { count: 0, dashes: Dashes::Scanned { from: 0, at: None } };
    parse_entity(bytes, 0, bytes.len(), 0, Vec::new(), limits, &mut walk)
}

/// What one [`parse`] carries from entity to entity: the number of entities so far and the
/// delimiter places.
#[derive(Default)]
struct Walk {
    count: usize,
    dashes: Dashes,
}

/// The places where lines of a message start with `--` (where a delimiter can be), found in
/// one scan when its first multipart is split and shared by every multipart in it: a multipart
/// inside another scanned all of its body again (verifying a signed 25 MB message scanned it
/// twice). Past [`Dashes::MOST`] places (a hostile or odd message), each multipart scans its
/// own body as before.
#[derive(Default)]
enum Dashes {
    #[default]
    Unscanned,
    /// Ascending places from `from` to the end of the message; `None` when there were too many.
    Scanned { from: usize, at: Option<Vec<usize>> },
}

impl Dashes {
    const MOST: usize = 4096;

    /// The places inside `src[start..end]`. The first call scans `src` from `start` (the first
    /// multipart's body, which every later one lies in); a range starting before that (never,
    /// for [`parse`]) gets `None`, as the caller then scans for itself.
    fn within(&mut self, src: &[u8], start: usize, end: usize) -> Option<&[usize]> {
        if let Dashes::Unscanned = self {
            *self = Dashes::Scanned { from: start, at: line_start_dashes(src, start, Self::MOST) };
        }
        let Dashes::Scanned { from, at: Some(at) } = self else { return None };
        if start < *from {
            return None;
        }
        let first = at.partition_point(|p| *p < start);
        let last = at.partition_point(|p| *p < end);
        at.get(first..last)
    }
}

/// Places from `start` on where a line of `src` begins with `--` (a line begins at `start` too,
/// as it does at a multipart body's start), ascending; `None` past `most` of them.
fn line_start_dashes(src: &[u8], start: usize, most: usize) -> Option<Vec<usize>> {
    let mut out = Vec::new();
    for pos in line_starts_with_dashes(src.get(start..).unwrap_or_default()) {
        if out.len() == most {
            return None;
        }
        out.push(start + pos);
    }
    Some(out)
}

/// The places of `body` where a line begins with `--` (the body's start is a line start), in
/// ascending order: found from one dash to the next (base64 bodies have none).
fn line_starts_with_dashes(body: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut from = 0usize;
    std::iter::from_fn(move || loop {
        let pos = from + body.get(from..).and_then(|rest| memchr::memchr(b'-', rest))?;
        from = pos + 1;
        if (pos == 0 || body.get(pos - 1) == Some(&b'\n')) && body.get(pos + 1) == Some(&b'-') {
            return Some(pos);
        }
    })
}

/// The header fields of a message or entity only: its body is not split into parts (a
/// leaf [`Entity`] whatever its type). For reading the header section of content that is
/// parsed in full elsewhere (the protected header fields of a signed part).
///
/// # Security
/// Input is untrusted; the header block is bounded by `limits` as in [`parse`].
pub fn parse_head<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Entity<'a>> {
    if bytes.len() > limits.max_message_size {
        return Err(too_large(bytes.len(), limits));
    }
    let (headers, header_end, body_start) = split_headers(bytes, limits)?;
    let headers = headers.into_iter().map(|h| HeaderField { name: h.name, value: h.value }).collect();
    Ok(Entity { src: bytes, start: 0, header_end, body_start, end: bytes.len(), depth: 0, path: Vec::new(), headers, children: Vec::new(), complete: true })
}

fn parse_entity<'a>(
    src: &'a [u8],
    start: usize,
    end: usize,
    depth: usize,
    path: Vec<usize>,
    limits: &Limits,
    walk: &mut Walk,
) -> Result<Entity<'a>> {
    if depth > limits.max_depth {
        return Err(exceeded(
            "max_depth",
            limits.max_depth,
            format!("depth {depth}"),
        ));
    }
    walk.count = walk.count.saturating_add(1);
    if walk.count > limits.max_parts {
        return Err(exceeded(
            "max_parts",
            limits.max_parts,
            format!("{} entities", walk.count),
        ));
    }
    let region = src.get(start..end).unwrap_or_default();
    let (headers, header_rel, body_rel) = split_headers(region, limits)?;
    let header_end = start.saturating_add(header_rel).min(end);
    let body_start = start.saturating_add(body_rel).min(end);
    let headers = headers
        .into_iter()
        .map(|h| HeaderField {
            name: h.name,
            value: (h.value.0 + start, h.value.1 + start),
        })
        .collect();
    let mut entity = Entity {
        src,
        start,
        header_end,
        body_start,
        end,
        depth,
        path,
        headers,
        children: Vec::new(),
        complete: true,
    };
    let ct: ContentType = entity.content_type();
    if ct.mime_type == "multipart" {
        if let Some(boundary) = ct.param("boundary").filter(|b| valid_boundary(b)) {
            let body = src.get(body_start..end).unwrap_or_default();
            let (ranges, closed) = match walk.dashes.within(src, body_start, end) {
                // A delimiter may also start the body itself.
                Some(at) => split_multipart_at(body, boundary.as_bytes(), body.starts_with(b"--").then_some(0).into_iter().chain(at.iter().map(|p| p - body_start))),
                None => split_multipart(body, boundary.as_bytes()),
            };
            entity.complete = closed;
            for (i, (s, e)) in ranges.into_iter().enumerate() {
                let mut child_path = entity.path.clone();
                child_path.push(i);
                let child = parse_entity(
                    src,
                    body_start + s,
                    body_start + e,
                    depth + 1,
                    child_path,
                    limits,
                    walk,
                )?;
                entity.children.push(child);
            }
        }
    }
    Ok(entity)
}

/// RFC 2046 boundary: 1 to 70 characters (we accept up to 200 and any printable
/// ASCII, as some senders exceed the grammar), not ending in a space.
fn valid_boundary(b: &str) -> bool {
    !b.is_empty()
        && b.len() <= 200
        && b.bytes().all(|c| (0x20..0x7f).contains(&c))
        && !b.ends_with(' ')
}

pub(crate) struct RawField<'a> {
    pub name: &'a str,
    /// Value range relative to the region: bytes after the colon up to (not
    /// including) the line break that ends the field.
    pub value: (usize, usize),
}

/// One line of `data` starting at `pos`: (content end, next line start).
/// The content excludes the line ending (LF or CRLF).
fn line_at(data: &[u8], pos: usize) -> (usize, usize) {
    let rest = data.get(pos..).unwrap_or_default();
    match memchr::memchr(b'\n', rest) {
        Some(i) => {
            let lf = pos + i;
            let content_end = if i > 0 && data.get(lf - 1) == Some(&b'\r') {
                lf - 1
            } else {
                lf
            };
            (content_end, lf + 1)
        }
        None => (data.len(), data.len()),
    }
}

/// Field name: printable ASCII except colon (RFC 5322 ftext), non-empty.
fn field_name(line: &[u8]) -> Option<(&str, usize)> {
    let colon = line.iter().position(|&c| c == b':')?;
    let name = line.get(..colon)?;
    // Tolerate whitespace between name and colon (obsolete syntax, RFC 5322 4.5).
    let trimmed_len = name
        .iter()
        .rposition(|&c| c != b' ' && c != b'\t')
        .map(|i| i + 1)?;
    let name = name.get(..trimmed_len)?;
    if name.iter().all(|&c| (33..=126).contains(&c)) {
        std::str::from_utf8(name).ok().map(|n| (n, colon + 1))
    } else {
        None
    }
}

/// Splits a header block from the body. Returns the fields, the end of the header
/// block (after the last field's line break) and the body offset.
/// A first line that is not a field means "no headers": the body starts at 0.
/// Any later line that is neither a field nor a continuation ends the headers
/// and starts the body (lenient, as common MUAs do).
pub(crate) fn split_headers<'a>(
    data: &'a [u8],
    limits: &Limits,
) -> Result<(Vec<RawField<'a>>, usize, usize)> {
    let mut fields: Vec<RawField<'a>> = Vec::new();
    let mut pos = 0usize;
    while pos < data.len() {
        let (content_end, next) = line_at(data, pos);
        let line = data.get(pos..content_end).unwrap_or_default();
        if line.is_empty() {
            // Blank line: end of the header block.
            return Ok((fields, pos, next));
        }
        let first = line.first().copied().unwrap_or(0);
        let continuation = first == b' ' || first == b'\t';
        let field = if continuation { None } else { field_name(line) };
        if (continuation && fields.is_empty()) || (!continuation && field.is_none()) {
            // Not a header line: the body starts here.
            return Ok((fields, pos, pos));
        }
        if line.len() > limits.max_header_line {
            return Err(exceeded(
                "max_header_line",
                limits.max_header_line,
                format!("{} bytes", line.len()),
            ));
        }
        if next > limits.max_header_size {
            return Err(exceeded(
                "max_header_size",
                limits.max_header_size,
                format!("more than {} bytes", limits.max_header_size),
            ));
        }
        match (field, fields.last_mut()) {
            (Some((name, value_off)), _) => fields.push(RawField {
                name,
                value: (pos + value_off, content_end),
            }),
            (None, Some(last)) => last.value.1 = content_end,
            (None, None) => return Ok((fields, pos, pos)),
        }
        pos = next;
    }
    Ok((fields, data.len(), data.len()))
}

/// Splits a multipart body on `--boundary` delimiter lines (RFC 2046 5.1.1).
/// Returns the part ranges (relative to `body`) and whether a close delimiter was seen.
/// Each part ends before the line break preceding the next delimiter.
pub(crate) fn split_multipart(body: &[u8], boundary: &[u8]) -> (Vec<(usize, usize)>, bool) {
    // Only lines that start with `--boundary` can be delimiters: jump from one line starting
    // with `--` to the next (`memmem` for the boundary was a third of verifying 25 MB in Wasm,
    // its prefilter finding candidates all over base64 text), and compare only there, so each
    // byte is compared at most once more than it is scanned: linear time.
    split_multipart_at(body, boundary, line_starts_with_dashes(body))
}

/// [`split_multipart`] given places of `body` in ascending order (repeats allowed), among them
/// every line start that begins with `--`.
fn split_multipart_at(body: &[u8], boundary: &[u8], mut dashes: impl Iterator<Item = usize>) -> (Vec<(usize, usize)>, bool) {
    let mut parts = Vec::new();
    let mut part_start: Option<usize> = None;
    let mut from = 0usize;
    while from < body.len() {
        let Some(pos) = dashes.find(|p| *p >= from) else { break };
        let at_line_start = pos == 0 || body.get(pos - 1) == Some(&b'\n');
        let starts = body.get(pos..).is_some_and(|r| r.starts_with(b"--") && r.get(2..).is_some_and(|r| r.starts_with(boundary)));
        if !at_line_start || !starts {
            from = pos + 1;
            continue;
        }
        let (content_end, next) = line_at(body, pos);
        let line = body.get(pos..content_end).unwrap_or_default();
        if let Some(close) = delimiter_kind(line, boundary) {
            if let Some(s) = part_start {
                // The line break before the delimiter belongs to the delimiter.
                let mut e = pos;
                if e > s && body.get(e - 1) == Some(&b'\n') {
                    e -= 1;
                    if e > s && body.get(e - 1) == Some(&b'\r') {
                        e -= 1;
                    }
                }
                parts.push((s, e.max(s)));
            }
            if close {
                return (parts, true);
            }
            part_start = Some(next);
        }
        from = next.max(pos + 1);
    }
    if let Some(s) = part_start {
        parts.push((s.min(body.len()), body.len()));
    }
    (parts, false)
}

/// `Some(false)` for `--boundary`, `Some(true)` for `--boundary--`, each optionally
/// followed by transport padding (spaces and tabs); `None` otherwise.
fn delimiter_kind(line: &[u8], boundary: &[u8]) -> Option<bool> {
    let rest = line.strip_prefix(b"--")?.strip_prefix(boundary)?;
    let (close, rest) = match rest.strip_prefix(b"--") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if rest.iter().all(|&c| c == b' ' || c == b'\t') {
        Some(close)
    } else {
        None
    }
}
