// Message content in isolation (SPEC section 2, EFAIL): each text part in its own sandboxed
// frame (sandbox="" : no scripts, no forms, no navigation, a unique origin) whose document
// starts with a CSP that forbids every fetch (no remote images, fonts, styles; the page's own
// CSP applies too). Plain text is
// put in as text; HTML as the sender wrote it, inert inside that frame, its `cid:` pictures
// taken from the message itself as data: URLs (inline-images.ts), the only images allowed.
import { withInlineImages } from './inline-images';

const FRAME_CSP = "default-src 'none'; img-src data:; base-uri 'none'; form-action 'none'";

function documentFor(text: string, html: boolean): string {
  const doc = document.implementation.createHTMLDocument('');
  const meta = doc.createElement('meta');
  meta.httpEquiv = 'Content-Security-Policy';
  meta.content = FRAME_CSP;
  doc.head.prepend(meta);
  const charset = doc.createElement('meta');
  charset.setAttribute('charset', 'utf-8');
  doc.head.prepend(charset);
  if (html) {
    // The head with the CSP is written first, so the policy applies before any of the sender's markup.
    return `<!doctype html><html><head>${doc.head.innerHTML}</head><body>${text}</body></html>`;
  }
  // No style sheet: the frame inherits the page's CSP, which allows no inline styles.
  // One element per line keeps line breaks while long lines still wrap.
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    const div = doc.createElement('div');
    if (line === '') div.append(doc.createElement('br'));
    else div.textContent = line;
    doc.body.append(div);
  }
  return `<!doctype html>${doc.documentElement.outerHTML}`;
}

export function contentFrame(text: string, html: boolean, label: string, images: ReadonlyMap<string, string> = new Map()): HTMLIFrameElement {
  const frame = document.createElement('iframe');
  frame.setAttribute('sandbox', '');
  frame.setAttribute('referrerpolicy', 'no-referrer');
  frame.setAttribute('title', label);
  frame.className = 'content-frame';
  const lines = text.split('\n').length;
  frame.style.height = `${Math.min(480, Math.max(80, lines * 21 + 24))}px`;
  frame.srcdoc = documentFor(html ? withInlineImages(text, images) : text, html);
  return frame;
}
