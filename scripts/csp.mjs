// The Content-Security-Policy of the add-in's pages, in one place: the built pages carry it as
// a <meta> tag (vite.config.ts), and the dev server (serve.mjs) sends it as a header together
// with the directives a <meta> tag cannot carry (frame-ancestors). README's "Security" section
// shows the header policy to configure when deploying.

/** Office.js and the scripts it loads (Office pages only). */
export const OFFICE_JS = 'https://appsforoffice.microsoft.com';
/** Microsoft Graph and the Entra sign-in endpoint (Office pages only: sending and reading mail). */
export const GRAPH = 'https://graph.microsoft.com';
export const LOGIN = 'https://login.microsoftonline.com';
/**
 * The default DNS-over-HTTPS resolver of SMIMEA discovery (addin/src/hosts/doh.ts), Office
 * pages only. A deployment naming another resolver ("dohResolver") adds its origin here.
 */
export const DOH_RESOLVER = 'https://cloudflare-dns.com';
/** Pages that run inside Outlook and load Office.js from Microsoft's CDN. */
export const OFFICE_PAGES = new Set(['/taskpane.html', '/commands.html', '/dialog.html']);
/**
 * Where Outlook frames the add-in's pages (Outlook on the web, the new Outlook and Microsoft 365
 * accounts); the standalone page may not be framed at all.
 */
export const OUTLOOK_FRAME_ANCESTORS = ['https://outlook.office.com', 'https://outlook.office365.com', 'https://outlook.live.com', 'https://outlook.cloud.microsoft'];

/**
 * The policy of a page, as directives: WebAssembly allowed, nothing inline, nothing remote but
 * Office.js and Graph on the Office pages. Message content is shown in `srcdoc` frames (sandboxed,
 * no URL is fetched for them), so no frame source is needed: frame-src 'none'.
 */
export function cspDirectives(urlPath) {
  const office = OFFICE_PAGES.has(urlPath);
  return [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval'${office ? ` ${OFFICE_JS}` : ''}`,
    "worker-src 'self'",
    `connect-src 'self'${office ? ` ${GRAPH} ${LOGIN} ${DOH_RESOLVER}` : ''}`,
    // data: for the pictures of an HTML message, taken from the message itself (ui/inline-images.ts).
    "img-src 'self' data:",
    // Office.js injects style attributes into its own UI.
    `style-src 'self'${office ? " 'unsafe-inline'" : ''}`,
    "font-src 'self'",
    "frame-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ];
}

/** The policy of the built page's <meta> tag (what a meta tag can carry). */
export function metaCsp(urlPath) {
  return cspDirectives(urlPath).join('; ');
}

/** The header policy: the meta policy plus frame-ancestors (a meta tag cannot carry it). */
export function headerCsp(urlPath) {
  const ancestors = OFFICE_PAGES.has(urlPath) ? `'self' ${OUTLOOK_FRAME_ANCESTORS.join(' ')}` : "'none'";
  return [...cspDirectives(urlPath), `frame-ancestors ${ancestors}`].join('; ');
}
