// Pictures shown inside an HTML message (RFC 2392 `cid:` references to parts of the same
// message, as a multipart/related carries them): the referenced image parts are decoded by the
// core and put into the HTML as data: URLs, so the sandboxed frame shows them from the message
// itself; nothing is fetched from the network (the frame's CSP allows images from data: only).
import type { CoreClient } from '../core/client';
import type { MessageView } from '../core/protocol';
import { toBase64 } from '../hosts/base64';

/** Raster image types shown inline (SVG is not: it is a document of its own). */
const SHOWN = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp']);
/** The most bytes of pictures put into one message's HTML; beyond, pictures stay attachments only. */
export const MAX_INLINE_IMAGES = 10 * 1024 * 1024;

const CID = /\bcid:([^"'\s<>()]+)/gi;

/** The Content-IDs the HTML parts of `view` refer to. */
export function referencedIds(view: MessageView): Set<string> {
  const ids = new Set<string>();
  for (const p of view.parts) {
    if (p.content_type !== 'text/html' || !p.text) continue;
    for (const m of p.text.matchAll(CID)) {
      try {
        ids.add(decodeURIComponent(m[1] ?? ''));
      } catch {
        ids.add(m[1] ?? '');
      }
    }
  }
  return ids;
}

/** data: URLs of the pictures the HTML refers to, by Content-ID (decoded from `bytes`, the message `view` shows). */
export async function inlineImages(core: CoreClient, bytes: Uint8Array, view: MessageView): Promise<Map<string, string>> {
  const wanted = referencedIds(view);
  const out = new Map<string, string>();
  let total = 0;
  for (const p of view.parts) {
    if (!p.content_id || !wanted.has(p.content_id) || !SHOWN.has(p.content_type) || out.has(p.content_id)) continue;
    total += p.size;
    if (total > MAX_INLINE_IMAGES) break;
    try {
      const data = await core.call('partBytes', { bytes: bytes.slice(), path: p.path });
      out.set(p.content_id, `data:${p.content_type};base64,${toBase64(data)}`);
    } catch {
      // A damaged picture is left out; it is still listed as an attachment.
    }
  }
  return out;
}

/** The HTML with each `cid:` reference to a known picture replaced by its data: URL. */
export function withInlineImages(html: string, images: ReadonlyMap<string, string>): string {
  if (images.size === 0) return html;
  return html.replace(CID, (whole, id: string) => {
    let key = id;
    try {
      key = decodeURIComponent(id);
    } catch {
      // Not %-encoded: use it as it is.
    }
    return images.get(key) ?? whole;
  });
}
