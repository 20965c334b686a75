// The dev mailbox: a local stand-in for the part of Microsoft Graph v1.0 that Cachet uses
// (send mail in MIME format, list folders, read raw MIME, delete and permanentDelete, create a
// draft from MIME),
// mounted by scripts/serve.mjs as routes. Development and tests only: no real authentication.
//
// Storage: one .eml per message under <root>/<address>/<folder>/<id>.eml, folders inbox,
// sentitems, drafts. Root: env CACHET_DEV_MAILBOX, else dev-mailbox/ in the checkout
// (git-ignored). The caller's mailbox is named by `Authorization: Bearer dev:<address>`;
// anything else is answered 401. Every address is local: sendMail delivers to the inbox of
// each To/Cc/Bcc recipient (Bcc header removed from the delivered copies) and keeps the
// message as sent in the sender's sentitems.
//
// Size: like Microsoft Graph, a request body over GRAPH_MAX_REQUEST (4 MB) is answered 413;
// sendMail with MIME carries the message in base64, so about 3 MB of message fit. The standalone
// page, whose mail system is the dev mailbox itself, may be served with a larger maxRequest.
//
// Security: bodies are limited to maxRequest (at most MAX_BODY) bytes, header blocks to
// MAX_HEADER bytes, ids and addresses are checked against strict patterns before they name a file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/run.mjs';

export const FOLDERS = ['inbox', 'sentitems', 'drafts'];
/** The largest request body Microsoft Graph accepts (larger ones are answered 413). */
export const GRAPH_MAX_REQUEST = 4 * 1024 * 1024;
/** The largest request body the dev mailbox can be configured to accept (a 25 MB message in base64). */
export const MAX_BODY = 36 * 1024 * 1024;
const MAX_HEADER = 256 * 1024;
const ADDRESS = /^[a-z0-9._%+'-]{1,64}@[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})*$/;
const ID = /^[0-9]{15}-[0-9a-f]{12}$/;

/** The mailbox root: env CACHET_DEV_MAILBOX, else dev-mailbox/ in the repository. */
export function mailboxRoot() {
  return process.env.CACHET_DEV_MAILBOX ? path.resolve(process.env.CACHET_DEV_MAILBOX) : path.join(ROOT, 'dev-mailbox');
}

function json(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

function graphError(res, status, code, message) {
  json(res, status, { error: { code, message } });
}

/** The caller's address from `Authorization: Bearer dev:<address>`, or null. */
export function callerAddress(req) {
  const m = /^Bearer dev:(\S+)$/.exec(req.headers.authorization ?? '');
  if (!m) return null;
  const address = m[1].toLowerCase();
  return ADDRESS.test(address) ? address : null;
}

/** Read the request body up to `max` bytes; null when it is larger. */
function readBody(req, max) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c) => {
      size += c.length;
      if (size > max) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The header block of a MIME message as [{name, start, end, value}] with byte offsets, or null. */
export function headerFields(mime) {
  const text = mime.subarray(0, Math.min(mime.length, MAX_HEADER)).toString('latin1');
  const endMatch = /\r?\n\r?\n/.exec(text);
  const headEnd = endMatch ? endMatch.index + endMatch[0].length : (mime.length <= MAX_HEADER ? mime.length : -1);
  if (headEnd < 0) return null;
  const fields = [];
  const lineRe = /[^\n]*(\n|$)/g;
  let pos = 0;
  const head = text.slice(0, headEnd);
  while (pos < head.length) {
    lineRe.lastIndex = pos;
    const line = lineRe.exec(head)[0];
    if (line === '' || /^\r?\n$/.test(line)) break;
    if (/^[ \t]/.test(line)) {
      const last = fields.at(-1);
      if (!last) return null;
      last.end = pos + line.length;
      last.value += line.replace(/\r?\n$/, '');
    } else {
      const colon = line.indexOf(':');
      if (colon <= 0 || !/^[\x21-\x39\x3b-\x7e]+$/.test(line.slice(0, colon))) return null;
      fields.push({ name: line.slice(0, colon).toLowerCase(), start: pos, end: pos + line.length, value: line.slice(colon + 1).replace(/\r?\n$/, '') });
    }
    pos += line.length;
  }
  return fields.length > 0 ? fields : null;
}

/** Decode RFC 2047 encoded words (B and Q) in a header value. */
export function decodeWords(value) {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?*]+)(?:\*[^?]*)?\?([BbQq])\?([^?]*)\?=/g, (all, charset, enc, text) => {
      try {
        const bytes = enc.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
        return new TextDecoder(charset.toLowerCase()).decode(bytes);
      } catch {
        return all;
      }
    })
    .replace(/\s+/g, ' ')
    .trim();
}

/** Mailboxes in an address-list header value: [{name, address}] (groups flattened). */
export function parseAddresses(value) {
  const out = [];
  // Split on commas (and group colons/semicolons) outside quotes, comments and angle brackets.
  const parts = [];
  let cur = '';
  let quote = false;
  let angle = 0;
  let comment = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quote) {
      if (c === '\\') { cur += c + (value[++i] ?? ''); continue; }
      if (c === '"') quote = false;
      cur += c;
    } else if (c === '"') { quote = true; cur += c; }
    else if (c === '(') { comment++; cur += c; }
    else if (c === ')' && comment > 0) { comment--; cur += c; }
    else if (comment > 0) cur += c;
    else if (c === '<') { angle++; cur += c; }
    else if (c === '>' && angle > 0) { angle--; cur += c; }
    else if (angle === 0 && (c === ',' || c === ';')) { parts.push(cur); cur = ''; }
    else if (angle === 0 && c === ':' && !cur.includes('@')) { cur = ''; } // group display name
    else cur += c;
  }
  parts.push(cur);
  for (const p of parts) {
    const s = p.replace(/\([^()]*\)/g, ' ').trim();
    if (!s) continue;
    const angled = /<([^<>]*)>/.exec(s);
    const address = (angled ? angled[1] : s).trim().toLowerCase();
    if (!address.includes('@')) continue;
    const rawName = angled ? s.slice(0, angled.index).trim() : '';
    const name = decodeWords(rawName.replace(/^"(.*)"$/s, '$1').replace(/\\(.)/g, '$1'));
    out.push({ name: name || address, address });
  }
  return out;
}

/** The summary of a stored message in Graph's JSON shape. */
function summary(id, mime) {
  const fields = headerFields(mime) ?? [];
  const get = (n) => fields.find((f) => f.name === n)?.value ?? '';
  const all = (n) => fields.filter((f) => f.name === n).flatMap((f) => parseAddresses(f.value));
  const recipients = (n) => all(n).map((a) => ({ emailAddress: a }));
  const from = all('from')[0] ?? { name: '', address: '' };
  const type = get('content-type').toLowerCase();
  const ms = Number(id.slice(0, 15));
  return {
    id,
    subject: decodeWords(get('subject')),
    from: { emailAddress: from },
    toRecipients: recipients('to'),
    ccRecipients: recipients('cc'),
    receivedDateTime: new Date(ms).toISOString(),
    hasAttachments: /multipart\/mixed/.test(type) || /application\/(x-)?pkcs7-mime/.test(type) || /\bcontent-disposition:\s*attachment/i.test(mime.toString('latin1')),
  };
}

/**
 * The message class Exchange gives a message (PidTagMessageClass, MS-OXOSMIME): clear-signed
 * mail is IPM.Note.SMIME.MultipartSigned, opaque-signed and encrypted mail IPM.Note.SMIME.
 */
export function messageClass(mime) {
  const type = (headerFields(mime) ?? []).find((f) => f.name === 'content-type')?.value.toLowerCase() ?? '';
  if (/multipart\/signed/.test(type)) return 'IPM.Note.SMIME.MultipartSigned';
  if (/application\/(x-)?pkcs7-mime/.test(type)) return 'IPM.Note.SMIME';
  return 'IPM.Note';
}

/**
 * A folder listing with the query options the add-in uses: `$filter` on the message class
 * (`singleValueExtendedProperties/any(ep: ep/id eq 'String 0x001A' and (ep/value eq '…' or …))`:
 * only the classes named are kept; any other $filter is refused as Graph would not know it
 * here), `$top` and `@odata.nextLink` paging (`$skiptoken`).
 */
function listPage(req, root, address, folders) {
  const url = new URL(req.url ?? '/', 'http://x');
  const filter = url.searchParams.get('$filter');
  let value = list(root, address, folders);
  if (filter !== null) {
    if (!/String 0x001A/i.test(filter)) return { error: [400, 'ErrorInvalidUrlQueryFilter', 'The dev mailbox filters only on the message class (String 0x001A).'] };
    const classes = [...filter.matchAll(/ep\/value eq '([^']+)'/g)].map((m) => m[1]);
    value = value.filter((m) => classes.includes(m.messageClass));
  }
  const top = Number(url.searchParams.get('$top') ?? '0');
  const skip = Number(url.searchParams.get('$skiptoken') ?? '0');
  const out = { value: value.map(({ messageClass: _c, ...m }) => m) };
  if (Number.isInteger(top) && top > 0) {
    out.value = out.value.slice(skip, skip + top);
    if (skip + top < value.length) {
      url.searchParams.set('$skiptoken', String(skip + top));
      const scheme = req.socket?.encrypted ? 'https' : 'http';
      out['@odata.nextLink'] = `${scheme}://${req.headers.host}${url.pathname}?${url.searchParams.toString()}`;
    }
  }
  return { out };
}

let lastMs = 0;
/** A new message id: zero-padded milliseconds (strictly increasing here) and random hex. */
function newId() {
  lastMs = Math.max(Date.now(), lastMs + 1);
  return `${String(lastMs).padStart(15, '0')}-${crypto.randomBytes(6).toString('hex')}`;
}

function store(root, address, folder, mime) {
  const dir = path.join(root, address, folder);
  fs.mkdirSync(dir, { recursive: true });
  const id = newId();
  fs.writeFileSync(path.join(dir, `${id}.eml`), mime);
  return id;
}

/** The file of message `id` in the caller's mailbox, or null. */
function find(root, address, id) {
  if (!ID.test(id)) return null;
  for (const folder of FOLDERS) {
    const file = path.join(root, address, folder, `${id}.eml`);
    if (fs.existsSync(file)) return file;
  }
  return null;
}

function list(root, address, folders) {
  const out = [];
  for (const folder of folders) {
    const dir = path.join(root, address, folder);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir)) {
      const id = f.replace(/\.eml$/, '');
      if (!ID.test(id) || !f.endsWith('.eml')) continue;
      const mime = fs.readFileSync(path.join(dir, f));
      out.push({ ...summary(id, mime), messageClass: messageClass(mime) });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** The message bytes from a Graph MIME request body (base64 text, line breaks allowed), or an error string. */
async function mimeBody(req, max) {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'text/plain') return { error: [400, 'ErrorMimeContentInvalid', 'The MIME content must be sent as base64 with Content-Type: text/plain.'] };
  const body = await readBody(req, max);
  if (body === null) return { error: [413, 'RequestEntityTooLarge', `The request is larger than ${max} bytes.`] };
  const text = body.toString('latin1').replace(/\s+/g, '');
  if (text === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    return { error: [400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.'] };
  }
  const mime = Buffer.from(text, 'base64');
  const fields = headerFields(mime);
  if (fields === null) return { error: [400, 'ErrorMimeContentInvalid', 'The MIME content has no valid header block.'] };
  return { mime, fields };
}

/** The message without its Bcc field(s), all other bytes as they were. */
export function withoutBcc(mime, fields) {
  const parts = [];
  let pos = 0;
  for (const f of fields) {
    if (f.name !== 'bcc') continue;
    parts.push(mime.subarray(pos, f.start));
    pos = f.end;
  }
  parts.push(mime.subarray(pos));
  return Buffer.concat(parts);
}

/**
 * The dev mailbox routes for scripts/serve.mjs (`root` defaults to mailboxRoot()); request
 * bodies over `maxRequest` bytes (default: Graph's limit, at most MAX_BODY) are answered 413.
 */
export function devMailRoutes({ root = mailboxRoot(), maxRequest = GRAPH_MAX_REQUEST, permanentDelete = true } = {}) {
  const max = Math.min(maxRequest, MAX_BODY);
  const authed = (handle) => async (req, res, match) => {
    const address = callerAddress(req);
    if (address === null) {
      graphError(res, 401, 'InvalidAuthenticationToken', 'The dev mailbox needs "Authorization: Bearer dev:<address>".');
      return;
    }
    await handle(req, res, match, address);
  };
  return [
    {
      method: 'POST', path: '/v1.0/me/sendMail',
      handle: authed(async (req, res, _m, address) => {
        const r = await mimeBody(req, max);
        if (r.error) return graphError(res, ...r.error);
        const get = (n) => r.fields.filter((f) => f.name === n).flatMap((f) => parseAddresses(f.value));
        const recipients = [...new Set([...get('to'), ...get('cc'), ...get('bcc')].map((a) => a.address))];
        if (get('from').length === 0) return graphError(res, 400, 'ErrorMimeContentInvalid', 'The message has no From field.');
        if (recipients.length === 0) return graphError(res, 400, 'ErrorInvalidRecipients', 'At least one recipient is not valid: the message has no recipient.');
        const bad = recipients.find((a) => !ADDRESS.test(a));
        if (bad) return graphError(res, 400, 'ErrorInvalidRecipients', `At least one recipient is not valid: ${bad}.`);
        const delivered = withoutBcc(r.mime, r.fields);
        for (const to of recipients) store(root, to, 'inbox', delivered);
        store(root, address, 'sentitems', r.mime);
        json(res, 202);
      }),
    },
    {
      method: 'POST', path: '/v1.0/me/messages',
      handle: authed(async (req, res, _m, address) => {
        const r = await mimeBody(req, max);
        if (r.error) return graphError(res, ...r.error);
        const id = store(root, address, 'drafts', r.mime);
        json(res, 201, { ...summary(id, r.mime), isDraft: true });
      }),
    },
    {
      method: 'GET', path: /^\/v1\.0\/me\/mailFolders\/([^/]+)\/messages$/,
      handle: authed((req, res, m, address) => {
        const folder = m[1].toLowerCase();
        if (!FOLDERS.includes(folder)) return graphError(res, 404, 'ErrorItemNotFound', `No folder ${m[1]} (dev mailbox folders: ${FOLDERS.join(', ')}).`);
        const page = listPage(req, root, address, [folder]);
        if (page.error) return graphError(res, ...page.error);
        json(res, 200, page.out);
      }),
    },
    {
      method: 'GET', path: '/v1.0/me/messages',
      handle: authed((req, res, _m, address) => {
        const page = listPage(req, root, address, ['inbox', 'sentitems']);
        if (page.error) return graphError(res, ...page.error);
        json(res, 200, page.out);
      }),
    },
    {
      method: 'GET', path: /^\/v1\.0\/me\/messages\/([^/]+)\/\$value$/,
      handle: authed((req, res, m, address) => {
        const file = find(root, address, m[1]);
        if (file === null) return graphError(res, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        res.writeHead(200, { 'Content-Type': 'message/rfc822', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
        res.end(fs.readFileSync(file));
      }),
    },
    {
      method: 'GET', path: /^\/v1\.0\/me\/messages\/([^/]+)$/,
      handle: authed((req, res, m, address) => {
        const file = find(root, address, m[1]);
        if (file === null) return graphError(res, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        json(res, 200, summary(m[1], fs.readFileSync(file)));
      }),
    },
    {
      // Graph's DELETE moves a message to Deleted Items; permanentDelete removes it. The dev
      // mailbox has no Deleted Items: both remove the file. `permanentDelete: false` answers it
      // as a mailbox that refuses it (for tests of the fallback).
      method: 'POST', path: /^\/v1\.0\/me\/messages\/([^/]+)\/permanentDelete$/,
      handle: authed((req, res, m, address) => {
        if (!permanentDelete) return graphError(res, 405, 'ErrorInvalidRequest', 'permanentDelete is not supported for this mailbox.');
        const file = find(root, address, m[1]);
        if (file === null) return graphError(res, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        fs.rmSync(file);
        json(res, 204);
      }),
    },
    {
      method: 'DELETE', path: /^\/v1\.0\/me\/messages\/([^/]+)$/,
      handle: authed((req, res, m, address) => {
        const file = find(root, address, m[1]);
        if (file === null) return graphError(res, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        fs.rmSync(file);
        json(res, 204);
      }),
    },
  ];
}
