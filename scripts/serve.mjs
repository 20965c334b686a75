// Dev server: serves the built add-in (dist/) on loopback with the headers the add-in needs
// (application/wasm, the CSP of scripts/csp.mjs with frame-ancestors). Plain node:http(s), no dependencies.
// Routes are added as { method, path, handle } entries; `serve` mounts the dev mailbox
// (scripts/devmail.mjs, a local subset of Microsoft Graph) under /v1.0/me/ and a fixture
// DNS-over-HTTPS resolver (scripts/devdns.mjs) at /dns-query publishing the demo identities' SMIMEA records.
//
//   node scripts/serve.mjs [--port 3000] [--host 127.0.0.1] [--https]
//   (CACHET_HTTPS=1 is the same as --https; PORT sets the port)
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { ROOT } from './lib/run.mjs';
import { MAX_BODY, devMailRoutes, mailboxRoot } from './devmail.mjs';
import { demoZone, devDnsRoutes } from './devdns.mjs';
import { headerCsp } from './csp.mjs';

export const DIST = path.join(ROOT, 'dist');
const CERT_DIR = path.join(ROOT, '.cache', 'dev-cert');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.xml': 'application/xml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** The Content-Security-Policy header for a path (scripts/csp.mjs): the built page's meta policy plus frame-ancestors. */
export function csp(urlPath) {
  return headerCsp(urlPath);
}

function send(res, status, type, body, extra = {}) {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff', ...extra });
  res.end(body);
}

/**
 * A file the build names by its content (Vite's `name-HASH.ext` under assets/: the scripts, the
 * style sheet, the Wasm): the same name always holds the same bytes, so a browser may keep it
 * without asking again. Everything else (the pages, the icons) is revalidated on each use.
 */
const HASHED_ASSET = /^\/assets\/[^/]+-[A-Za-z0-9_-]{8}\.(?:js|css|wasm)$/;

function serveStatic(root, req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n', { Allow: 'GET, HEAD' });
    return;
  }
  let urlPath;
  try {
    urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    send(res, 400, 'text/plain; charset=utf-8', 'Bad request\n');
    return;
  }
  if (urlPath === '/') urlPath = '/index.html';
  const file = path.resolve(root, `.${urlPath}`);
  if (!file.startsWith(root + path.sep) || urlPath.includes('\0')) {
    send(res, 403, 'text/plain; charset=utf-8', 'Forbidden\n');
    return;
  }
  fs.stat(file, (statErr, stat) => {
    if (statErr || !stat.isFile()) {
      send(res, 404, 'text/plain; charset=utf-8', `Not found: ${urlPath}\n`);
      return;
    }
    const type = MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    // A validator (size and modification time), so that a page loaded again is answered 304
    // without its bytes when it did not change; a content-named asset is not even asked for.
    const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    const headers = { 'Referrer-Policy': 'no-referrer', ETag: etag };
    if (HASHED_ASSET.test(urlPath)) headers['Cache-Control'] = 'public, max-age=31536000, immutable';
    if (type.startsWith('text/html')) headers['Content-Security-Policy'] = csp(urlPath);
    if ((req.headers['if-none-match'] ?? '').split(/\s*,\s*/).includes(etag)) {
      send(res, 304, type, undefined, headers);
      return;
    }
    if (req.method === 'HEAD') {
      send(res, 200, type, undefined, headers);
      return;
    }
    fs.readFile(file, (err, data) => {
      if (err) send(res, 404, 'text/plain; charset=utf-8', `Not found: ${urlPath}\n`);
      else send(res, 200, type, data, headers);
    });
  });
}

/**
 * A request handler: `routes` first ({ method, path: string | RegExp, handle(req, res, match) }),
 * then static files from `root`.
 */
export function handler({ root = DIST, routes = [] } = {}) {
  const absRoot = path.resolve(root);
  return (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    for (const route of routes) {
      if (route.method && route.method !== req.method) continue;
      const match = typeof route.path === 'string' ? (route.path === pathname ? [pathname] : null) : route.path.exec(pathname);
      if (match) {
        Promise.resolve(route.handle(req, res, match)).catch((e) => {
          if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `Internal error: ${e.message}\n`);
          else res.end();
        });
        return;
      }
    }
    serveStatic(absRoot, req, res);
  };
}

/** A self-signed certificate for localhost (created once, kept in a git-ignored folder). */
export function devCertificate() {
  const key = path.join(CERT_DIR, 'localhost-key.pem');
  const cert = path.join(CERT_DIR, 'localhost.pem');
  if (!fs.existsSync(key) || !fs.existsSync(cert)) {
    fs.mkdirSync(CERT_DIR, { recursive: true });
    const r = spawnSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '397',
      '-keyout', key, '-out', cert, '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
      '-addext', 'extendedKeyUsage=serverAuth',
    ], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl could not create the localhost certificate: ${r.stderr}`);
  }
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert), certPath: cert };
}

/** Create (not start) the server. */
export function createDevServer({ root = DIST, routes = [], tls = null } = {}) {
  const h = handler({ root, routes });
  return tls ? https.createServer({ key: tls.key, cert: tls.cert }, h) : http.createServer(h);
}

/** Start listening; resolves to the server's base URL. */
export function listen(server, { host = '127.0.0.1', port = 3000 } = {}) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      const scheme = server instanceof https.Server ? 'https' : 'http';
      const name = scheme === 'https' && host === '127.0.0.1' ? 'localhost' : host;
      resolve(`${scheme}://${name}:${addr.port}`);
    });
  });
}

function parseArgs(argv) {
  const opts = { host: '127.0.0.1', port: Number(process.env.PORT ?? 3000), https: process.env.CACHET_HTTPS === '1' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--https') opts.https = true;
    else if (a === '--port') opts.port = Number(argv[++i]);
    else if (a === '--host') opts.host = argv[++i];
    else throw new Error(`unknown option ${a} (use --port N, --host H, --https)`);
  }
  return opts;
}

export async function serve(argv = []) {
  const opts = parseArgs(argv);
  if (!fs.existsSync(path.join(DIST, 'index.html'))) {
    throw new Error('dist/ is empty: run "npm start" (or "npm run build") first');
  }
  const tls = opts.https ? devCertificate() : null;
  // The standalone page's mail system is the dev mailbox itself: it takes the 25 MB messages the
  // page can build. The Outlook adapter keeps to Graph's 4 MB itself; its tests use Graph's limit.
  const url = await listen(createDevServer({ tls, routes: [...devMailRoutes({ maxRequest: MAX_BODY }), ...devDnsRoutes({ zone: demoZone() })] }), opts);
  console.log(`\nCachet is served at ${url}/`);
  console.log(`  standalone page:   ${url}/index.html`);
  console.log(`  Outlook task pane: ${url}/taskpane.html`);
  console.log(`  manifest:          ${url}/manifest.xml`);
  console.log(`  dev mailbox:       ${url}/v1.0/me/... (Authorization: Bearer dev:<address>), stored in ${path.relative(ROOT, mailboxRoot()) || mailboxRoot()}`);
  console.log(`  DNS-over-HTTPS:    ${url}/dns-query (a fixture: the demo identities' SMIMEA records, nothing else)`);
  if (tls) {
    console.log(`\nThe certificate is self-signed (${path.relative(ROOT, tls.certPath)}). Trust it in your OS or browser`);
    console.log('once, or Outlook will refuse to load the add-in.');
  }
  if (!tls || opts.port !== 3000) {
    console.log('\nNote: manifest.xml points at https://localhost:3000; sideloading needs --https on port 3000.');
  }
  console.log('\nSideload into Outlook:');
  console.log('  Outlook on the web or new Outlook: Settings > Get add-ins > My add-ins >');
  console.log('  Custom add-ins > Add a custom add-in > Add from file... > choose manifest.xml.');
  console.log('  Classic Outlook for Windows/Mac: Get Add-ins > My add-ins > Add a custom add-in > Add from file.');
  console.log('\nPress Ctrl+C to stop.');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  serve(process.argv.slice(2)).catch((e) => {
    console.error(`Cannot start the dev server: ${e.message}`);
    process.exit(1);
  });
}
