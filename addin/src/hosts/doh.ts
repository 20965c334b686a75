// DNS-over-HTTPS (RFC 8484) for SMIMEA discovery: the host adapters' one network call for
// it. The core builds the query and reads the answer; this only carries the bytes. GET with
// the query base64url-encoded in `dns` and `Accept: application/dns-message` (a simple CORS
// request: no preflight), no credentials, no referrer. The answer is read up to
// MAX_DNS_MESSAGE bytes (a DNS message carries a 16-bit length); anything longer is refused
// without reading further.

/**
 * The resolver used when the deployment names none ("dohResolver" in cachet-config.json):
 * Cloudflare's public resolver, which validates DNSSEC and sets the AD bit. An organisation
 * can name its own (its origin must then be in the pages' Content-Security-Policy connect-src).
 */
export const DEFAULT_DOH_RESOLVER = 'https://cloudflare-dns.com/dns-query';
/** The largest answer read, in bytes (RFC 1035 / RFC 8484). */
export const MAX_DNS_MESSAGE = 65_535;
/** How long one lookup may take before it is given up. */
export const DOH_TIMEOUT_MS = 10_000;

/** A lookup that did not give a DNS message: the resolver could not be reached or answered wrongly. */
export class DohError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DohError';
  }
}

/** Is this a resolver URL Cachet may use: https, or http on a loopback host (development)? */
export function checkResolver(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL.`;
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) return `The DNS-over-HTTPS resolver must be an https URL (${url}).`;
  if (u.username || u.password || u.hash) return `The DNS-over-HTTPS resolver URL may not carry credentials or a fragment (${url}).`;
  return null;
}

/** Read a response body up to `max` bytes; throws when there is more. */
async function readCapped(res: Response, max: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > max) throw new DohError(`The resolver's answer is larger than a DNS message can be (${declared} bytes; at most ${max}).`);
  if (!res.body) {
    const all = new Uint8Array(await res.arrayBuffer());
    if (all.length > max) throw new DohError(`The resolver's answer is larger than a DNS message can be (at most ${max} bytes).`);
    return all;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new DohError(`The resolver's answer is larger than a DNS message can be (at most ${max} bytes).`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Send one query (base64url wire format, from the core) to `resolver`; resolves to the answer's bytes. */
export async function dohQuery(resolver: string, queryBase64url: string, fetchFn: typeof fetch = fetch, timeoutMs = DOH_TIMEOUT_MS): Promise<Uint8Array> {
  const bad = checkResolver(resolver);
  if (bad) throw new DohError(bad);
  const url = new URL(resolver);
  url.searchParams.set('dns', queryBase64url);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    let res: Response;
    try {
      res = await fetchFn(url.href, { method: 'GET', headers: { Accept: 'application/dns-message' }, credentials: 'omit', referrerPolicy: 'no-referrer', signal: abort.signal });
    } catch (e) {
      throw new DohError(abort.signal.aborted ? `The DNS resolver ${url.host} did not answer within ${timeoutMs / 1000} seconds.` : `The DNS resolver ${url.host} could not be reached: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!res.ok) throw new DohError(`The DNS resolver ${url.host} answered ${res.status} ${res.statusText}`.trim() + '.');
    const type = (res.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/dns-message') throw new DohError(`The DNS resolver ${url.host} did not answer with a DNS message (${type || 'no content type'}).`);
    try {
      return await readCapped(res, MAX_DNS_MESSAGE);
    } catch (e) {
      if (e instanceof DohError) throw e;
      throw new DohError(abort.signal.aborted ? `The DNS resolver ${url.host} did not finish its answer within ${timeoutMs / 1000} seconds.` : `The DNS resolver's answer could not be read: ${e instanceof Error ? e.message : String(e)}`);
    }
  } finally {
    clearTimeout(timer);
  }
}
