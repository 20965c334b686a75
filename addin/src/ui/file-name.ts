// The name a saved attachment gets (SPEC section 2: content from a message is hostile). Pure, no DOM.

/** Longest file name offered for a saved attachment (characters). */
export const MAX_SAVED_NAME = 120;

/**
 * A file name that is safe to offer for a saved attachment: no bidirectional overrides or
 * isolates (U+202A-U+202E, U+2066-U+2069, which can make "exe.pdf" read as "fdp.exe"), no
 * other control or format characters, no path separators, no leading dots or trailing dots
 * and spaces, at most MAX_SAVED_NAME characters; "attachment" when nothing is left.
 */
export function safeFileName(name: string): string {
  let out = name
    .normalize('NFC')
    .replace(/[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g, '')
    .replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu, '')
    .replace(/[/\\:*?"<>|]/g, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if ([...out].length > MAX_SAVED_NAME) {
    const ext = /\.[A-Za-z0-9]{1,10}$/.exec(out)?.[0] ?? '';
    out = [...out].slice(0, MAX_SAVED_NAME - ext.length).join('') + ext;
  }
  return out === '' ? 'attachment' : out;
}
