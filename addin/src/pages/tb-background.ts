// Thunderbird: the extension's event page. It owns the core worker (the Wasm instance and
// the unlocked keys) and the keyring session; the extension's pages use them through
// `runtime.getBackgroundPage()` (`window.cachet`), the message pane's display script through
// `runtime.sendMessage`. Listeners are registered synchronously, as event pages require.
import { CoreClient } from '../core/client';
import { type CachetBackground, MessageReader, ThunderbirdHost } from '../hosts/thunderbird';
import { ComposeTakeover, composeMessenger, type TbComposeDetails } from '../hosts/thunderbird-compose';
import { messengerGlobal, type TbEvent, type TbTab } from '../hosts/thunderbird-api';
import type { Exchange } from '../keyring/keeping';
import { Session } from '../keyring/session';
import { checkReminders } from '../ui/keeping-actions';

const messenger = messengerGlobal();
const core = new CoreClient();
const session = new Session(core);
const reader = new MessageReader(messenger, core, session);
// Unlocking or locking changes what can be decrypted: banners are worked out again. (Other
// changes, such as learning a contact while reading, do not: that would open the message
// being read a second time. The pages invalidate after the user changes trust or contacts.)
let unlockedBefore = 0;
session.addEventListener('change', () => {
  if (session.unlockedCount !== unlockedBefore) reader.invalidate();
  unlockedBefore = session.unlockedCount;
});
session.addEventListener('locked', () => reader.invalidate());

const composer = new ComposeTakeover(composeMessenger(messenger), core, session);

/**
 * While an identity is unlocked, or the user's Sign/Encrypt choice for a message being
 * written is kept here, a frame of this page pings it so Thunderbird does not suspend it
 * (see KEEPALIVE): suspending would lock the keys early, or forget a chosen Encrypt.
 */
let keepAliveFrame: HTMLIFrameElement | null = null;
function keepAliveWhileNeeded(): void {
  const needed = session.unlockedCount > 0 || composer.holdsChoices;
  if (needed && keepAliveFrame === null) {
    keepAliveFrame = document.createElement('iframe');
    keepAliveFrame.src = messenger.runtime.getURL('tb-keepalive.html');
    document.body.append(keepAliveFrame);
  } else if (!needed && keepAliveFrame !== null) {
    keepAliveFrame.remove();
    keepAliveFrame = null;
  }
}
session.addEventListener('change', keepAliveWhileNeeded);
composer.onChoicesChanged = keepAliveWhileNeeded;

// Expiry reminders (30, 14, 7 days, expired) as Thunderbird notifications, each once: when
// Thunderbird starts the extension, and when messages are displayed (at most every hour).
const notifier = new ThunderbirdHost(messenger, null);
let lastReminderCheck = 0;
function remind(): void {
  if (Date.now() - lastReminderCheck < 3_600_000) return;
  lastReminderCheck = Date.now();
  void checkReminders(notifier, Date.now()).catch(() => undefined);
}
// A key-exchange request answered (a valid signed reply opened): a notification.
session.addEventListener('exchange-ready', (ev) => {
  const e = (ev as CustomEvent<Exchange>).detail;
  void notifier.notify({ id: 'cachet-exchange', title: 'Certificate received', message: `${e.address} replied with a signed message: you can send them encrypted mail.` }).catch(() => false);
});

const cachet: CachetBackground = { core, session, reader, composer, ready: session.loadSettings() };
(window as Window & { cachet?: CachetBackground }).cachet = cachet;

messenger.messageDisplay.onMessagesDisplayed.addListener((tab, displayed) => {
  remind();
  return reader.displayed(tab, displayed);
});
void cachet.ready.then(remind);
messenger.runtime.onMessage.addListener((message, sender) => reader.onMessage(message, sender));
messenger.action.onClicked.addListener((tab) => void reader.openViewer(tab));
// Thunderbird's Send (the button, or compose.sendMessage): Cachet sends the protected message itself.
const compose = (messenger as unknown as { compose: { onBeforeSend: TbEvent<(tab: TbTab, details: TbComposeDetails) => Promise<{ cancel: boolean } | undefined>> } }).compose;
compose.onBeforeSend.addListener((tab, details) => composer.beforeSend(tab, details));
(messenger as unknown as { tabs: { onRemoved: TbEvent<(tabId: number) => void> } }).tabs.onRemoved.addListener((tabId) => composer.forget(tabId));
