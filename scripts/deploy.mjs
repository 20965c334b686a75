// What an administrator needs to deploy one build (dist/) for their tenant, made without
// rebuilding: the manifest for their https origin, the run-time configuration the task pane
// reads beside its pages (cachet-config.json: the Entra client id, optionally the tenant), and
// the HTTP headers each page must be served with (the Content-Security-Policy the dev server
// sends). See docs/deploy.md.
//
//   node scripts/deploy.mjs --origin https://cachet.example.org --client-id <GUID> [--tenant <id or domain>] [--out deploy]
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEV_ORIGIN, productionManifest } from './manifest.mjs';
import { csp } from './serve.mjs';
import { ROOT } from './lib/run.mjs';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The pages of the build, each served with its own Content-Security-Policy. */
export const PAGES = ['/taskpane.html', '/commands.html', '/dialog.html', '/index.html'];

/** The deployment's files as { name: text }: manifest.xml, cachet-config.json, headers.txt. */
export function deployment({ origin, clientId, tenant = '', manifestXml }) {
  if (!GUID.test(clientId ?? '')) throw new Error('--client-id must be the Application (client) ID of the app registration (a GUID)');
  if (!manifestXml.includes(DEV_ORIGIN)) throw new Error(`the manifest does not name ${DEV_ORIGIN}: it was already made for another origin`);
  const manifest = productionManifest(manifestXml, origin);
  const config = { clientId: clientId.toLowerCase(), ...(tenant ? { tenant } : {}) };
  const headers = PAGES.map((p) => `${p}\n  Content-Security-Policy: ${csp(p)}\n  Referrer-Policy: no-referrer\n  X-Content-Type-Options: nosniff`).join('\n');
  return {
    'manifest.xml': manifest,
    'cachet-config.json': `${JSON.stringify(config, null, 2)}\n`,
    'headers.txt': `# Serve each page of dist/ over https with these headers (and .wasm as application/wasm).\n${headers}\n`,
  };
}

function parseArgs(argv) {
  const o = { out: 'deploy' };
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--origin') o.origin = v;
    else if (k === '--client-id') o.clientId = v;
    else if (k === '--tenant') o.tenant = v;
    else if (k === '--out') o.out = v;
    else throw new Error(`unknown option ${k} (use --origin, --client-id, --tenant, --out)`);
    i++;
  }
  if (!o.origin || !o.clientId) throw new Error('usage: node scripts/deploy.mjs --origin https://your.host --client-id <GUID> [--tenant <id or domain>] [--out deploy]');
  return o;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const o = parseArgs(process.argv.slice(2));
    const manifestXml = fs.readFileSync(path.join(ROOT, 'manifest.xml'), 'utf8');
    const files = deployment({ ...o, manifestXml });
    fs.mkdirSync(o.out, { recursive: true });
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(o.out, name), text);
    console.log(`Wrote ${Object.keys(files).join(', ')} to ${o.out}/.`);
    console.log('Upload dist/ and cachet-config.json to the origin, serve the pages with the headers in headers.txt,');
    console.log('and deploy manifest.xml in the Microsoft 365 admin center (Integrated apps). See docs/deploy.md.');
  } catch (e) {
    console.error(`Cannot make the deployment: ${e.message}`);
    process.exit(1);
  }
}
