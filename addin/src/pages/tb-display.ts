// Thunderbird: the message display script, run in the message pane of each displayed message.
// It asks the background for this message's status and shows it as a banner at the top of the
// pane: text only (textContent), the read pane's words. Thunderbird may run it, or report the
// display, more than once for one message: there is only ever one banner, updated in place.
// Built as one classic script (content scripts are not modules).
import type { BannerInfo } from '../hosts/thunderbird';
import { BANNER_REQUEST } from '../hosts/thunderbird';

interface Runtime {
  sendMessage(message: unknown): Promise<unknown>;
}

const BANNER_ID = 'cachet-banner';

function line(tag: string, cls: string, text: string): HTMLElement {
  const node = document.createElement(tag);
  node.className = cls;
  node.textContent = text;
  return node;
}

function render(info: BannerInfo | { error: string } | null): void {
  if (info === null || !document.body) return;
  const banner = document.getElementById(BANNER_ID) ?? document.createElement('div');
  banner.id = BANNER_ID;
  banner.setAttribute('role', 'status');
  if ('error' in info) {
    banner.className = 'cachet-banner cachet-bad';
    banner.dataset.status = 'error';
    banner.replaceChildren(line('strong', 'cachet-title', 'Cachet could not check this message'), line('p', 'cachet-advice', info.error));
  } else {
    banner.className = `cachet-banner cachet-${info.tone}`;
    banner.dataset.status = info.status;
    const children = [line('strong', 'cachet-title', info.title)];
    if (info.advice) children.push(line('p', 'cachet-advice', info.advice));
    if (info.note) children.push(line('p', 'cachet-note', info.note));
    children.push(line('p', 'cachet-more', 'Details: the Cachet button above the message.'));
    banner.replaceChildren(...children);
  }
  if (banner.parentNode !== document.body || document.body.firstChild !== banner) document.body.prepend(banner);
}

const state = globalThis as { __cachetBannerAsked?: boolean; messenger?: { runtime: Runtime }; browser?: { runtime: Runtime } };
if (!state.__cachetBannerAsked) {
  state.__cachetBannerAsked = true;
  const runtime = (state.messenger ?? state.browser)?.runtime;
  runtime?.sendMessage({ type: BANNER_REQUEST }).then(
    (info) => render(info as BannerInfo | { error: string } | null),
    (e: unknown) => render({ error: e instanceof Error ? e.message : String(e) }),
  );
}
