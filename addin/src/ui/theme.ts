// Outlook's look: the Fluent 2 design tokens of Microsoft's maintained package (@fluentui/tokens,
// the tokens Fluent UI's own components use) as CSS custom properties on the page's root
// (`--colorNeutralForeground1`, ...), which style.css maps onto Cachet's controls. Light or dark
// follows Outlook's theme (Office.context.officeTheme, and OfficeThemeChanged where Outlook
// sends it); outside Outlook, the system's preference (prefers-color-scheme).
import { webDarkTheme, webLightTheme } from '@fluentui/tokens';
import { call, type OfficeLike } from '../hosts/office-api';

export type Scheme = 'light' | 'dark';

/** Office.EventType.OfficeThemeChanged. */
const OFFICE_THEME_CHANGED = 'officeThemeChanged';

/** Set the Fluent tokens of `scheme` on `root` (CSSOM, allowed by the pages' CSP). */
export function applyTheme(scheme: Scheme, root: HTMLElement = document.documentElement): void {
  const theme = scheme === 'dark' ? webDarkTheme : webLightTheme;
  for (const [name, value] of Object.entries(theme)) root.style.setProperty(`--${name}`, String(value));
  root.style.setProperty('color-scheme', scheme);
  root.dataset.theme = scheme;
}

/** True for a dark colour (`#rgb` or `#rrggbb`): white text would contrast more than black (relative luminance under 0.18); null when not a hex colour. */
export function isDark(color: string): boolean | null {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim());
  if (!m?.[1]) return null;
  const hex = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1];
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.18;
}

/** Outlook's scheme from its theme's body background, or null when Outlook does not say. */
export function officeScheme(office: OfficeLike | undefined): Scheme | null {
  const bg = office?.context.officeTheme?.bodyBackgroundColor;
  if (!bg) return null;
  const dark = isDark(bg);
  return dark === null ? null : dark ? 'dark' : 'light';
}

/** Apply the scheme of Outlook (when there is one and it says) or of the system, and follow its changes. */
export function followTheme(office: OfficeLike | undefined): void {
  const media = globalThis.matchMedia?.('(prefers-color-scheme: dark)');
  const system = (): Scheme => (media?.matches ? 'dark' : 'light');
  const update = (): void => applyTheme(officeScheme(office) ?? system());
  update();
  media?.addEventListener?.('change', update);
  const mailbox = office?.context.mailbox;
  if (mailbox?.addHandlerAsync) {
    // Not every Outlook sends it; the theme read at opening stays then.
    void call<void>('addHandlerAsync', (cb) => mailbox.addHandlerAsync?.(OFFICE_THEME_CHANGED, update, cb)).catch(() => undefined);
  }
}
