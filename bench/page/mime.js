// The minimal MIME glue a developer writes around PKI.js for S/MIME (PKI.js only does CMS):
// split an RFC 5322 message into its outer headers and the MIME entity, build and parse
// multipart/signed (RFC 8551 section 3.5.3) and application/pkcs7-mime, base64 with 76-character
// lines. Base64 uses the native Uint8Array.toBase64 / fromBase64 where the browser has them.

const encoder = new TextEncoder();
const latin1 = new TextDecoder('latin1');
const CRLF = encoder.encode('\r\n');
const CRLFCRLF = encoder.encode('\r\n\r\n');

/** The first index of `needle` in `hay` at or after `from`, or -1. */
export function indexOfBytes(hay, needle, from = 0) {
  const first = needle[0];
  const n = needle.length;
  for (let i = hay.indexOf(first, from); i !== -1 && i <= hay.length - n; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < n && hay[i + j] === needle[j]) j++;
    if (j === n) return i;
  }
  return -1;
}

/** One Uint8Array of strings (ASCII) and byte arrays. */
export function concat(parts) {
  const arrays = parts.map((p) => (typeof p === 'string' ? encoder.encode(p) : p));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.byteLength, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.byteLength;
  }
  return out;
}

function toBase64(bytes) {
  if (typeof bytes.toBase64 === 'function') return bytes.toBase64();
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Decode base64 text; line breaks and other whitespace are skipped. */
export function fromBase64(text) {
  if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text);
  return Uint8Array.from(atob(text.replace(/\s+/g, '')), (c) => c.charCodeAt(0));
}

/** Which base64 codec runs: the native one or the btoa/atob fallback. */
export const base64Codec = typeof Uint8Array.fromBase64 === 'function' ? 'native Uint8Array.toBase64/fromBase64' : 'btoa/atob';

/** Base64 in 76-character lines, CRLF after each. */
export function base64Lines(bytes) {
  const raw = encoder.encode(toBase64(bytes));
  const n = raw.length;
  const out = new Uint8Array(n + 2 * Math.ceil(n / 76));
  let o = 0;
  for (let i = 0; i < n; i += 76) {
    const end = Math.min(i + 76, n);
    out.set(raw.subarray(i, end), o);
    o += end - i;
    out[o++] = 13;
    out[o++] = 10;
  }
  return out;
}

/** The header fields (unfolded lines kept as they are) and the body offset of a message or entity. */
function headerBlock(bytes) {
  const end = indexOfBytes(bytes, CRLFCRLF);
  if (end === -1) throw new Error('no end of the header block');
  const text = latin1.decode(bytes.subarray(0, end + 2));
  const fields = [];
  for (const line of text.split(/(?<=\r\n)/)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && fields.length) fields[fields.length - 1] += line;
    else if (line) fields.push(line);
  }
  return { fields, body: end + 4 };
}

function contentType(fields) {
  const f = fields.find((x) => /^content-type:/i.test(x));
  if (!f) throw new Error('no Content-Type');
  return f.replace(/\r\n[ \t]/g, ' ');
}

/** An RFC 5322 message as its outer headers (text, CRLF after each) and its MIME entity (bytes). */
export function splitMessage(bytes) {
  const { fields, body } = headerBlock(bytes);
  const content = fields.filter((f) => /^content-/i.test(f));
  const outer = fields.filter((f) => !/^content-/i.test(f));
  return { outer: outer.join(''), entity: concat([content.join(''), CRLF, bytes.subarray(body)]) };
}

function boundary() {
  const r = crypto.getRandomValues(new Uint8Array(12));
  return `----=_pkijs_${Array.from(r, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** multipart/signed around `entity` with the detached CMS signature `der`; `outer` headers go first. */
export function multipartSigned(outer, entity, der) {
  const b = boundary();
  return concat([
    outer,
    `Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="${b}"\r\n\r\n`,
    `This is an S/MIME signed message\r\n\r\n--${b}\r\n`,
    entity,
    `\r\n--${b}\r\n`,
    'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\nContent-Transfer-Encoding: base64\r\n'
      + 'Content-Disposition: attachment; filename="smime.p7s"\r\n\r\n',
    base64Lines(der),
    `--${b}--\r\n`,
  ]);
}

/** application/pkcs7-mime enveloped-data of the CMS `der`; `outer` headers go first. */
export function pkcs7Mime(outer, der) {
  return concat([
    outer,
    'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\r\n'
      + 'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7m"\r\n\r\n',
    base64Lines(der),
  ]);
}

/** The signed content (bytes as sent) and the signature (DER) of a multipart/signed message or entity. */
export function parseSigned(bytes) {
  const { fields, body } = headerBlock(bytes);
  const type = contentType(fields);
  if (!/multipart\/signed/i.test(type)) throw new Error('not multipart/signed');
  const m = /boundary="?([^";\r\n]+)"?/i.exec(type);
  if (!m) throw new Error('multipart/signed without a boundary');
  const dash = encoder.encode(`--${m[1]}`);
  const delim = encoder.encode(`\r\n--${m[1]}`);
  let first = indexOfBytes(bytes, dash, body);
  if (first !== body) first = indexOfBytes(bytes, delim, body) + 2;
  if (first < body) throw new Error('no first part');
  const start = indexOfBytes(bytes, CRLF, first) + 2;
  const next = indexOfBytes(bytes, delim, start);
  if (start < 2 || next === -1) throw new Error('no second part');
  const content = bytes.subarray(start, next);
  const part = indexOfBytes(bytes, CRLF, next + 2) + 2;
  const sigHead = headerBlock(bytes.subarray(part));
  if (!/pkcs7-signature/i.test(contentType(sigHead.fields))) throw new Error('the second part is not a pkcs7-signature');
  const sigStart = part + sigHead.body;
  const sigEnd = indexOfBytes(bytes, delim, sigStart);
  if (sigEnd === -1) throw new Error('no closing boundary');
  return { content, signature: fromBase64(latin1.decode(bytes.subarray(sigStart, sigEnd))) };
}

/** The CMS DER of an application/pkcs7-mime message or entity (base64 body). */
export function parsePkcs7Mime(bytes) {
  const { fields, body } = headerBlock(bytes);
  if (!/application\/(x-)?pkcs7-mime/i.test(contentType(fields))) throw new Error('not application/pkcs7-mime');
  return fromBase64(latin1.decode(bytes.subarray(body)));
}
