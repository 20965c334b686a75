// The part of Thunderbird's MailExtension API (manifest version 3, Thunderbird 153) that Cachet
// uses, typed structurally so a test can pass a small fake `messenger` object. Names and shapes
// follow webextension-api.thunderbird.net (esr-mv3); only what Cachet calls is declared.

export interface TbEvent<F> {
  addListener(listener: F): void;
  removeListener(listener: F): void;
}

export interface TbTab {
  id?: number;
  windowId?: number;
  active?: boolean;
  type?: string;
  mailTab?: boolean;
}

export interface TbMessageHeader {
  id: number;
  subject?: string;
  author?: string;
  headerMessageId?: string;
}

/** A page of messages (MV3 returns pages; Cachet uses the first one). */
export interface TbMessageList {
  id?: string | null;
  messages: TbMessageHeader[];
}

export interface TbMessageSender {
  tab?: TbTab;
  url?: string;
}

export interface TbPort {
  name: string;
  disconnect(): void;
  onDisconnect: TbEvent<(port: TbPort) => void>;
}

/** A mail folder (MV3: identified by its `id`). */
export interface TbMailFolder {
  id: string;
  name?: string;
  specialUse?: string[];
}

export interface Messenger {
  messages: {
    /** MV3: a File with the original bytes by default. `decrypt` stays false: Cachet decrypts. */
    getRaw(messageId: number, options?: { data_format?: 'File' | 'BinaryString'; decrypt?: boolean }): Promise<File | string>;
    /** One message's header (its Message-ID among others). */
    get?(messageId: number): Promise<TbMessageHeader>;
    /** The messages of folders, a page at a time (`continueList` with the list's id for the next page). */
    query?(queryInfo: { folderId?: string | string[]; messagesPerPage?: number }): Promise<TbMessageList>;
    continueList?(messageListId: string): Promise<TbMessageList>;
  };
  /** Needs the accountsRead permission. */
  folders?: {
    query(queryInfo: { specialUse?: string[] }): Promise<TbMailFolder[]>;
  };
  messageDisplay: {
    getDisplayedMessages(tabId?: number): Promise<TbMessageList>;
    onMessagesDisplayed: TbEvent<(tab: TbTab, displayed: TbMessageList) => void>;
  };
  messageDisplayAction?: {
    setTitle(details: { title: string | null; tabId?: number }): Promise<void>;
  };
  mailTabs: {
    getSelectedMessages(tabId?: number): Promise<TbMessageList>;
  };
  tabs: {
    create(props: { url: string; active?: boolean }): Promise<TbTab>;
    query(query: { active?: boolean; currentWindow?: boolean; lastFocusedWindow?: boolean; mailTab?: boolean }): Promise<TbTab[]>;
  };
  action: {
    onClicked: TbEvent<(tab: TbTab) => void>;
  };
  /** Needs the "notifications" permission. */
  notifications?: {
    create(id: string, options: { type: 'basic'; title: string; message: string; iconUrl?: string }): Promise<string>;
  };
  /** Needs "accountsRead". */
  identities?: {
    list(accountId?: string): Promise<{ id: string; email: string }[]>;
  };
  runtime: {
    getURL(path: string): string;
    getBackgroundPage(): Promise<Window | null>;
    sendMessage(message: unknown): Promise<unknown>;
    onMessage: TbEvent<(message: unknown, sender: TbMessageSender) => Promise<unknown> | undefined>;
    connect(info?: { name?: string }): TbPort;
    onConnect: TbEvent<(port: TbPort) => void>;
  };
}

/** The `messenger` global of extension pages (undefined elsewhere, e.g. under Node). */
export function messengerGlobal(): Messenger {
  const m = (globalThis as { messenger?: Messenger }).messenger;
  if (!m) throw new Error('This page runs only inside the Cachet extension for Thunderbird.');
  return m;
}
