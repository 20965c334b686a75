// The part of Office.js (Mailbox requirement set 1.14) that the Outlook adapter uses, typed
// structurally so that a test can pass a small fake `Office` object, and `call`, which turns
// Office's callback style into promises. Enum values are Office's documented string values.

export interface AsyncResult<T> {
  status: 'succeeded' | 'failed';
  value: T;
  error?: { name?: string; message?: string; code?: number };
}
export type Callback<T> = (r: AsyncResult<T>) => void;

export interface EmailAddressDetails {
  displayName?: string;
  emailAddress?: string;
}

export interface AttachmentDetails {
  id: string;
  name: string;
  /** Read mode only (and deprecated there); compose mode has none. */
  contentType?: string;
  /** The Content-ID of an inline attachment (Outlook on the web and the new Outlook). */
  contentId?: string;
  isInline: boolean;
  attachmentType?: string;
  size?: number;
}

export interface AttachmentContent {
  content: string;
  /** 'base64' | 'url' | 'eml' | 'iCalendar' */
  format: string;
}

interface Getter<T> {
  getAsync(callback: Callback<T>): void;
}

export interface OfficeItem {
  itemType?: string;
  itemId?: string;
  // Read mode
  internetMessageId?: string;
  getAsFileAsync?(callback: Callback<string>): void;
  // Compose mode
  subject?: Getter<string> | string;
  body?: { getAsync(coercion: string, callback: Callback<string>): void; getTypeAsync?(callback: Callback<string>): void };
  to?: Getter<EmailAddressDetails[]> | EmailAddressDetails[];
  cc?: Getter<EmailAddressDetails[]> | EmailAddressDetails[];
  bcc?: Getter<EmailAddressDetails[]>;
  from?: Getter<EmailAddressDetails> | EmailAddressDetails;
  getAttachmentsAsync?(callback: Callback<AttachmentDetails[]>): void;
  getAttachmentContentAsync?(id: string, callback: Callback<AttachmentContent>): void;
  getItemIdAsync?(callback: Callback<string>): void;
  saveAsync?(callback: Callback<string>): void;
  closeAsync?(callback: Callback<void>): void;
  sessionData?: {
    getAsync(name: string, callback: Callback<string>): void;
    setAsync(name: string, value: string, callback: Callback<void>): void;
  };
  notificationMessages?: {
    replaceAsync(key: string, message: Record<string, unknown>, callback?: Callback<void>): void;
    removeAsync?(key: string, callback?: Callback<void>): void;
  };
}

export interface OfficeLike {
  onReady(callback?: () => void): Promise<unknown>;
  context: {
    mailbox: {
      item: OfficeItem | null;
      userProfile: { emailAddress: string; displayName: string };
      convertToRestId?(id: string, version: string): string;
      /** Mailbox 1.5: e.g. ITEM_CHANGED when the user selects another message in a pinned pane. */
      addHandlerAsync?(eventType: string, handler: (event: { type?: string }) => void, callback?: Callback<void>): void;
      diagnostics?: { hostName?: string; hostVersion?: string };
    };
    requirements?: { isSetSupported(name: string, version?: string): boolean };
    /** Outlook's theme colours (e.g. "#1f1f1f" when Outlook is dark). */
    officeTheme?: { bodyBackgroundColor?: string; bodyForegroundColor?: string; controlBackgroundColor?: string; controlForegroundColor?: string };
  };
  actions?: { associate(name: string, fn: (event: OfficeEvent) => unknown): void };
}

/** Office.EventType.ItemChanged: the selected item changed while the task pane is pinned. */
export const ITEM_CHANGED = 'olkItemSelectedChanged';

/** The event passed to a function command or a launch-event handler. */
export interface OfficeEvent {
  completed(options?: Record<string, unknown>): void;
}

/** An Office.js call that failed; `name` is Office's error name. */
export class OfficeCallError extends Error {
  constructor(readonly what: string, readonly officeName: string, message: string) {
    super(`${what}: ${message}`);
    this.name = 'OfficeCallError';
  }
}

/** Promise of an Office.js callback-style call. */
export function call<T>(what: string, start: (cb: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      start((r) => {
        if (r.status === 'succeeded') resolve(r.value);
        else reject(new OfficeCallError(what, r.error?.name ?? 'Failed', r.error?.message ?? 'the call failed'));
      });
    } catch (e) {
      reject(new OfficeCallError(what, 'Exception', e instanceof Error ? e.message : String(e)));
    }
  });
}

/** A compose field that is a getter in compose mode (and a value in read mode). */
export async function field<T>(what: string, f: Getter<T> | T | undefined, fallback: T): Promise<T> {
  if (f === undefined || f === null) return fallback;
  if (typeof f === 'object' && 'getAsync' in (f as object)) return call<T>(what, (cb) => (f as Getter<T>).getAsync(cb));
  return f as T;
}

