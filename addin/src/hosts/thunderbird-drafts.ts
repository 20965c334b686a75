// Thunderbird: the host of Cachet's confidential compose tab (tb-confidential.html). The message
// is written in Cachet's own editor (an extension page), never in Thunderbird's compose window,
// whose drafts (autosave, Save) Thunderbird writes in plaintext before any MailExtension event.
// Drafts: the confidential mode hands over a draft already encrypted to the sender; the
// Experiment's `saveDraft` files exactly those bytes in the identity's Drafts folder through
// Thunderbird's own draft saving (local folder or IMAP: ciphertext either way). They are found
// again with `messages.query` (the fixed outer Subject, then the Drafts folders only), read with
// `messages.getRaw` and deleted with `messages.delete(…, skipTrash)` (permission messagesDelete).
// Sending: the Experiment's `sendRaw`, as for Thunderbird's own compose window.
import { DRAFT_SUBJECT, type DraftFolder, type StoredDraft } from './drafts';
import type { Host, HostCapabilities, MimeEnvelope } from './host';
import { rawMessage } from './thunderbird';
import type { Messenger } from './thunderbird-api';

interface TbIdentity {
  id: string;
  email: string;
}

interface TbFoundMessage {
  id: number;
  date?: Date | string | number;
  folder?: { specialUse?: string[] };
}

/** The MailExtension calls this host makes beyond `Messenger` (MV3 shapes). */
export interface DraftsMessenger {
  identities: { list(accountId?: string): Promise<TbIdentity[]> };
  messages: {
    query(query: { subject?: string; headerMessageId?: string }): Promise<{ messages: TbFoundMessage[] }>;
    delete(messageIds: number[], skipTrash?: boolean): Promise<void>;
  };
  cachetSend: {
    sendRaw(identityId: string, envelope: MimeEnvelope & { sentCopy?: boolean }, message: Uint8Array): Promise<void>;
    saveDraft(identityId: string, message: Uint8Array): Promise<void>;
  };
}

/** How long a saved draft may take to appear in Thunderbird's index of its Drafts folder. */
export const DRAFT_INDEX_WAIT_MS = 10_000;

const inDrafts = (m: TbFoundMessage): boolean => (m.folder?.specialUse ?? []).includes('drafts');

export class ThunderbirdDraftsHost implements Host {
  readonly label = 'Thunderbird';
  readonly capabilities: HostCapabilities = { localFiles: true, readMessage: false, composeMessage: false, sendMessage: true };
  private identities: TbIdentity[] = [];
  private readonly m: DraftsMessenger;

  constructor(private readonly messenger: Messenger) {
    this.m = messenger as unknown as DraftsMessenger;
  }

  async ready(): Promise<void> {
    this.identities = (await this.m.identities.list()).filter((i) => i.email);
  }

  /** The first Thunderbird identity's address (the pane offers every Cachet identity too). */
  userAddress(): string | null {
    return this.identities[0]?.email.toLowerCase() ?? null;
  }

  private identityFor(address: string): TbIdentity {
    const a = address.trim().toLowerCase();
    const found = this.identities.find((i) => i.email.toLowerCase() === a);
    if (!found) throw new Error(`Thunderbird has no identity for ${address || 'this address'}: add it in Account Settings, or send from another address.`);
    return found;
  }

  async sendMime(mime: Uint8Array, envelope?: MimeEnvelope): Promise<void> {
    if (!envelope) throw new Error('Thunderbird needs the recipients of the message to send it.');
    const identity = this.identityFor(envelope.from);
    // A Bcc recipient's own copy is not filed in Sent again (the To/Cc copy is).
    const sentCopy = envelope.to.length + envelope.cc.length > 0;
    await this.m.cachetSend.sendRaw(identity.id, { ...envelope, sentCopy }, mime);
  }

  notices(): string[] {
    return ['Confidential messages are written here, not in Thunderbird’s compose window: Thunderbird saves its own drafts unencrypted.'];
  }

  drafts(): DraftFolder {
    return {
      save: async (mime, meta) => {
        await this.m.cachetSend.saveDraft(this.identityFor(meta.from).id, mime);
        const wanted = meta.messageId.trim().replace(/^<|>$/g, '');
        if (!wanted) return '';
        const end = Date.now() + DRAFT_INDEX_WAIT_MS;
        while (Date.now() < end) {
          const found = (await this.m.messages.query({ headerMessageId: wanted })).messages.find(inDrafts);
          if (found) return String(found.id);
          await new Promise((r) => setTimeout(r, 200));
        }
        return '';
      },
      list: async (): Promise<StoredDraft[]> => {
        const found = (await this.m.messages.query({ subject: DRAFT_SUBJECT })).messages.filter(inDrafts);
        const when = (m: TbFoundMessage): string => (m.date !== undefined ? new Date(m.date).toISOString() : '');
        return found.map((m) => ({ id: String(m.id), saved: when(m) })).sort((a, b) => (a.saved < b.saved ? 1 : -1));
      },
      get: (id) => rawMessage(this.messenger, Number(id)),
      remove: (id) => this.m.messages.delete([Number(id)], true),
    };
  }
}
