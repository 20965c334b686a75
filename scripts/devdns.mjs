// The dev server's DNS-over-HTTPS endpoint (RFC 8484, GET ?dns= and POST
// application/dns-message at /dns-query): a fixture resolver for SMIMEA discovery (RFC 8162),
// answering from a zone given in code, never asking real DNS. Development and tests only.
//
// The zone maps an e-mail address to what the resolver answers for its SMIMEA owner name:
//   { records: [{ usage, selector, matching, data }], ad = true, rcode = 0, mode? }
// `data` is the record's certificate association data (Buffer: a DER certificate for 3 0 0).
// `ad` is the AD bit: this fixture "validates" whatever it is told to (it has no DNSSEC).
// `mode` crafts a broken answer: 'truncated' (the message cut in half), 'oversized' (padded past
// the 65,535 bytes a DNS message can have), 'tc' (TC bit set), 'loop' (a compression pointer
// to itself), 'http-error' (HTTP 502). Names not in the zone are NXDOMAIN.
//
// Security: the query is at most MAX_QUERY bytes, read with strict bounds; only one question.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { mailboxRoot } from './devmail.mjs';

/** The largest query accepted (a padded SMIMEA query is 128 or 256 bytes). */
const MAX_QUERY = 1024;
const TYPE_SMIMEA = 53;

/** The SMIMEA owner name of an address (RFC 8162 section 3), lowercase, without the final dot. */
export function ownerName(address) {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1).toLowerCase();
  const hash = crypto.createHash('sha256').update(Buffer.from(local, 'utf8')).digest().subarray(0, 28).toString('hex');
  return `${hash}._smimecert.${domain}`;
}

/** The question of a query: { id, name, type, end } or null when it is not one simple query. */
export function parseQuery(q) {
  if (q.length < 12 || q.length > MAX_QUERY) return null;
  if ((q[2] & 0x80) !== 0 || q.readUInt16BE(4) !== 1) return null;
  const labels = [];
  let pos = 12;
  for (;;) {
    if (pos >= q.length) return null;
    const len = q[pos];
    if (len === 0) break;
    if (len > 63 || pos + 1 + len > q.length) return null;
    labels.push(q.subarray(pos + 1, pos + 1 + len).toString('latin1').toLowerCase());
    pos += 1 + len;
  }
  if (pos + 5 > q.length) return null;
  return { id: q.readUInt16BE(0), name: labels.join('.'), type: q.readUInt16BE(pos + 1), end: pos + 5 };
}

/** The answer to query `q` (a Buffer) from `entry` (see the file comment), or NXDOMAIN when none. */
export function answer(q, parsed, entry) {
  const question = q.subarray(12, parsed.end);
  const rcode = entry ? entry.rcode ?? 0 : 3;
  const ad = entry ? entry.ad !== false : true;
  const records = entry && parsed.type === TYPE_SMIMEA && rcode === 0 ? entry.records ?? [] : [];
  let flags = 0x8000 | 0x0100 | 0x0080 | (ad ? 0x0020 : 0) | rcode;
  if (entry?.mode === 'tc') flags |= 0x0200;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(parsed.id, 0);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  const rrs = records.map((r) => {
    const data = Buffer.concat([Buffer.from([r.usage, r.selector, r.matching]), r.data]);
    const fixed = Buffer.alloc(12);
    // The owner: a pointer to the question's name (offset 12), or to itself for 'loop'.
    fixed.writeUInt16BE(0xc00c, 0);
    fixed.writeUInt16BE(TYPE_SMIMEA, 2);
    fixed.writeUInt16BE(1, 4);
    fixed.writeUInt32BE(300, 6);
    fixed.writeUInt16BE(data.length, 10);
    return Buffer.concat([fixed, data]);
  });
  let msg = Buffer.concat([header, question, ...rrs]);
  if (entry?.mode === 'loop' && rrs.length > 0) {
    const at = 12 + question.length;
    msg.writeUInt16BE(0xc000 | at, at);
  }
  if (entry?.mode === 'truncated') msg = msg.subarray(0, Math.floor(msg.length / 2));
  if (entry?.mode === 'oversized') msg = Buffer.concat([msg, Buffer.alloc(70_000 - msg.length)]);
  return msg;
}

function readBody(req, max) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.on('end', () => resolve(size > max ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const CORS = { 'Access-Control-Allow-Origin': '*' };

/**
 * The /dns-query routes for scripts/serve.mjs. `zone`: a Map (or object) from e-mail address
 * to its entry; read at each request, so tests may change it while the server runs. `queries`:
 * when given, an array the name of every query is pushed to (tests count the lookups).
 */
export function devDnsRoutes({ zone = new Map(), queries = null } = {}) {
  const lookup = (name) => {
    const entries = zone instanceof Map ? [...zone.entries()] : Object.entries(zone);
    const hit = entries.find(([address]) => ownerName(address) === name);
    return hit ? hit[1] : null;
  };
  const handle = async (req, res, q) => {
    const parsed = q ? parseQuery(q) : null;
    if (!parsed) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', ...CORS });
      res.end('Not a DNS query.\n');
      return;
    }
    queries?.push(parsed.name);
    const entry = lookup(parsed.name);
    if (entry?.mode === 'http-error') {
      res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8', ...CORS });
      res.end('Bad gateway\n');
      return;
    }
    const body = answer(q, parsed, entry);
    res.writeHead(200, { 'Content-Type': 'application/dns-message', 'Content-Length': body.length, 'Cache-Control': 'max-age=0', ...CORS });
    res.end(body);
  };
  return [
    {
      method: 'GET', path: '/dns-query',
      handle: (req, res) => {
        const dns = new URL(req.url ?? '/', 'http://x').searchParams.get('dns') ?? '';
        const q = /^[A-Za-z0-9_-]{1,1400}$/.test(dns) ? Buffer.from(dns, 'base64url') : null;
        return handle(req, res, q);
      },
    },
    {
      method: 'POST', path: '/dns-query',
      handle: async (req, res) => {
        const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        const q = type === 'application/dns-message' ? await readBody(req, MAX_QUERY) : null;
        return handle(req, res, q);
      },
    },
  ];
}

/**
 * The zone of `npm start`: the demo identities' certificates (scripts/demo.mjs) as DANE-EE
 * SMIMEA records with the AD bit, when the demo files exist; otherwise empty.
 */
export function demoZone(root = mailboxRoot()) {
  const zone = new Map();
  const index = path.join(root, 'demo', 'demo.json');
  if (!fs.existsSync(index)) return zone;
  const demo = JSON.parse(fs.readFileSync(index, 'utf8'));
  for (const id of demo.identities ?? []) {
    const r = spawnSync('openssl', ['pkcs12', '-in', id.p12, '-passin', `pass:${id.password}`, '-nokeys', '-clcerts'], { encoding: 'utf8' });
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.stdout ?? '')?.[0];
    if (!pem) continue;
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    zone.set(id.address, { records: [{ usage: 3, selector: 0, matching: 0, data: der }], ad: true });
  }
  return zone;
}
