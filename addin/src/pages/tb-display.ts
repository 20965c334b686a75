// Thunderbird: the message display script, run in the message pane of each displayed message.
// It asks the background for this message's status and shows it as a banner at the top of the
// pane: text only (textContent), the read pane's words. Thunderbird may run it, or report the
// display, more than once for one message: there is only ever one banner, updated in place.
// Built as one classic script (content scripts are not modules).
//
// # Security
// The pane also holds the message's own HTML and style sheets, written by the sender. The
// banner is this script's own element (never one found by id, which a message could supply),
// its content is in a closed shadow root the message's CSS cannot reach, and its visibility
// is set inline with !important, which no style sheet of the message overrides. A message can
// still draw look-alike boxes of its own below it; the Cachet button above the message (whose
// title carries the same status) and its popup are outside the message's reach.
import type { BannerInfo } from '../hosts/thunderbird';
import { BANNER_REQUEST } from '../hosts/thunderbird';

interface Runtime {
  sendMessage(message: unknown): Promise<unknown>;
}

const TONES: Record<string, [string, string, string]> = {
  good: ['#e6f4ea', '#0d4a1f', '#1e7e34'],
  warn: ['#fff4e0', '#5c3b00', '#c77700'],
  bad: ['#fde8e8', '#6b1111', '#c62828'],
  neutral: ['#f1f3f4', '#202124', '#80868b'],
};

function styled(node: HTMLElement, css: Record<string, string>): HTMLElement {
  for (const [k, v] of Object.entries(css)) node.style.setProperty(k, v, 'important');
  return node;
}

function line(tag: string, cls: string, text: string, css: Record<string, string> = {}): HTMLElement {
  const node = document.createElement(tag);
  node.className = cls;
  node.textContent = text;
  return styled(node, { display: 'block', margin: '4px 0 0', ...css });
}

const state = globalThis as {
  __cachetBannerAsked?: boolean;
  __cachetBanner?: { host: HTMLElement; root: ShadowRoot };
  messenger?: { runtime: Runtime };
  browser?: { runtime: Runtime };
};

function render(info: BannerInfo | { error: string } | null): void {
  if (info === null || !document.body) return;
  if (!state.__cachetBanner) {
    const host = document.createElement('div');
    host.id = 'cachet-banner';
    state.__cachetBanner = { host, root: host.attachShadow({ mode: 'closed' }) };
  }
  const { host, root } = state.__cachetBanner;
  const error = 'error' in info;
  const tone = error ? 'bad' : info.tone;
  const [bg, fg, border] = TONES[tone] ?? TONES.neutral ?? ['#fff', '#000', '#000'];
  // Nothing on the host element (in the message's own document) depends on the verdict: the
  // message's CSS could select on its attributes and fetch a URL for one verdict and not
  // another (which tells a sender whether a changed ciphertext decrypted). Tone and text are
  // inside the closed shadow root.
  host.setAttribute('role', 'status');
  styled(host, {
    display: 'block', visibility: 'visible', opacity: '1', position: 'static', transform: 'none', 'clip-path': 'none', filter: 'none',
    margin: '0 0 12px', padding: '0', 'text-align': 'left', direction: 'ltr',
  });
  const box = styled(document.createElement('div'), {
    display: 'block', padding: '8px 12px', 'border-left': `6px solid ${border}`, 'border-radius': '6px', background: bg, color: fg,
    font: '14px/1.4 system-ui, sans-serif',
  });
  box.dataset.status = error ? 'error' : info.status;
  if (error) {
    box.append(line('strong', 'cachet-title', 'Cachet could not check this message', { 'font-weight': 'bold' }), line('p', 'cachet-advice', info.error));
  } else {
    box.append(line('strong', 'cachet-title', info.title, { 'font-weight': 'bold', margin: '0' }));
    if (info.advice) box.append(line('p', 'cachet-advice', info.advice));
    if (info.headers) box.append(line('p', 'cachet-headers', info.headers));
    if (info.note) box.append(line('p', 'cachet-note', info.note));
    box.append(line('p', 'cachet-more', 'Details: the Cachet button above the message.', { 'font-size': '12px', opacity: '0.8' }));
  }
  root.replaceChildren(box);
  if (document.body.firstChild !== host) document.body.prepend(host);
}

if (!state.__cachetBannerAsked) {
  state.__cachetBannerAsked = true;
  const runtime = (state.messenger ?? state.browser)?.runtime;
  runtime?.sendMessage({ type: BANNER_REQUEST }).then(
    (info) => render(info as BannerInfo | { error: string } | null),
    (e: unknown) => render({ error: e instanceof Error ? e.message : String(e) }),
  );
}
