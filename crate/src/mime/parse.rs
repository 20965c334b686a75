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
        return Err(exceeded(
            "max_message_size",
            limits.max_message_size,
            format!("{} bytes", bytes.len()),
        ));
    }
    let mut count = 0usize;
    parse_entity(bytes, 0, bytes.len(), 0, Vec::new(), limits, &mut count)
}

/// The header fields of a message or entity only: its body is not split into parts (a
/// leaf [`Entity`] whatever its type). For reading the header section of content that is
/// parsed in full elsewhere (the protected header fields of a signed part).
///
/// # Security
/// Input is untrusted; the header block is bounded by `limits` as in [`parse`].
pub fn parse_head<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Entity<'a>> {
    if bytes.len() > limits.max_message_size {
        return Err(exceeded("max_message_size", limits.max_message_size, format!("{} bytes", bytes.len())));
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
    count: &mut usize,
) -> Result<Entity<'a>> {
    if depth > limits.max_depth {
        return Err(exceeded(
            "max_depth",
            limits.max_depth,
            format!("depth {depth}"),
        ));
    }
    *count = count.saturating_add(1);
    if *count > limits.max_parts {
        return Err(exceeded(
            "max_parts",
            limits.max_parts,
            format!("{} entities", count),
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
            let (ranges, closed) = split_multipart(body, boundary.as_bytes());
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
                    count,
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
    let mut parts = Vec::new();
    let mut part_start: Option<usize> = None;
    // Only lines that start with `--boundary` can be delimiters: jump from one '-' to the
    // next (base64 bodies have none; `memmem` was a third of verifying 25 MB in Wasm, its
    // prefilter finding candidates all over base64 text), and compare only at line starts,
    // so each byte is compared at most once more than it is scanned: linear time.
    let mut from = 0usize;
    while from < body.len() {
        let Some(found) = body.get(from..).and_then(|rest| memchr::memchr(b'-', rest)) else { break };
        let pos = from + found;
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
