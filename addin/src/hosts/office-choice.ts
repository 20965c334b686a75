// The Sign/Encrypt choice of a message being composed in Outlook, kept in the item's
// sessionData (Mailbox 1.11) so that the ribbon commands, the task pane and the OnMessageSend
// handler all see the same choice; and the handlers of those commands and of OnMessageSend.
import type { ComposeChoice } from './host';
import { call, type OfficeEvent, type OfficeItem, type OfficeLike } from './office-api';

const KEY = 'cachet.choice';
const NOTICE = 'cachet-choice';

/** The id of the compose task pane button in manifest.xml (opened from the send alert). */
export const COMPOSE_PANE_COMMAND = 'Cachet.ComposeButton';

export async function readChoice(item: OfficeItem): Promise<ComposeChoice> {
  if (!item.sessionData) return { sign: false, encrypt: false };
  let raw = '';
  try {
    raw = await call<string>('sessionData.getAsync', (cb) => item.sessionData?.getAsync(KEY, cb));
  } catch {
    // Not set yet: Outlook reports a missing key as a failure.
    return { sign: false, encrypt: false };
  }
  try {
    const v = JSON.parse(raw) as Partial<ComposeChoice>;
    return { sign: v.sign === true, encrypt: v.encrypt === true };
  } catch {
    return { sign: false, encrypt: false };
  }
}

/** Store the choice and show it in the message's notification bar. */
export async function writeChoice(item: OfficeItem, choice: ComposeChoice): Promise<void> {
  if (!item.sessionData) throw new Error('This Outlook does not keep add-in data with a draft (Mailbox 1.11 needed).');
  await call<void>('sessionData.setAsync', (cb) => item.sessionData?.setAsync(KEY, JSON.stringify(choice), cb));
  const words = [choice.sign ? 'signed' : '', choice.encrypt ? 'encrypted' : ''].filter(Boolean).join(' and ');
  const notes = item.notificationMessages;
  if (!notes) return;
  if (words) {
    await call<void>('notificationMessages.replaceAsync', (cb) =>
      notes.replaceAsync(NOTICE, {
        type: 'informationalMessage',
        message: `Cachet: this message will be ${words}. Send it from the Cachet pane.`,
        icon: 'Icon.16x16',
        persistent: true,
      }, cb));
  } else if (notes.removeAsync) {
    await call<void>('notificationMessages.removeAsync', (cb) => notes.removeAsync?.(NOTICE, cb)).catch(() => undefined);
  }
}

/** The "Sign" or "Encrypt" ribbon command: toggle that part of the choice. */
export async function toggle(office: OfficeLike, which: keyof ComposeChoice, event: OfficeEvent): Promise<void> {
  const item = office.context.mailbox.item;
  try {
    if (item) {
      const choice = await readChoice(item);
      choice[which] = !choice[which];
      await writeChoice(item, choice);
    }
  } finally {
    event.completed();
  }
}

/**
 * The OnMessageSend handler (SoftBlock): a message the user chose to sign or encrypt must not
 * leave through Outlook's own Send button, which would send it in plain text. The alert offers
 * to open the Cachet pane, which sends it signed/encrypted through Microsoft Graph.
 */
export async function onMessageSend(office: OfficeLike, event: OfficeEvent): Promise<void> {
  const item = office.context.mailbox.item;
  let choice: ComposeChoice = { sign: false, encrypt: false };
  try {
    if (item) choice = await readChoice(item);
  } catch {
    // Unknown state: let the message go rather than block every send of the mailbox.
  }
  if (!choice.sign && !choice.encrypt) {
    event.completed({ allowEvent: true });
    return;
  }
  const words = [choice.sign ? 'signed' : '', choice.encrypt ? 'encrypted' : ''].filter(Boolean).join(' and ');
  event.completed({
    allowEvent: false,
    errorMessage: `You asked Cachet to send this message ${words}. Outlook's Send button would send it unprotected: send it from the Cachet pane instead.`,
    cancelLabel: 'Open Cachet',
    commandId: COMPOSE_PANE_COMMAND,
  });
}

/** Register the function commands and the launch-event handler (function file and JS runtime). */
export function associateCommands(office: OfficeLike): void {
  office.actions?.associate('cachetToggleSign', (e) => toggle(office, 'sign', e));
  office.actions?.associate('cachetToggleEncrypt', (e) => toggle(office, 'encrypt', e));
  office.actions?.associate('onMessageSendHandler', (e) => onMessageSend(office, e));
}
