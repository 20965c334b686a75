// The standalone host: a plain web page (development, demos, end-to-end tests) over the dev
// mailbox of the dev server, reached through the same Microsoft Graph subset the Outlook host
// uses (GraphClient against this page's own origin, `Bearer dev:<address>`).
import type { Host } from './host';
import { type DraftFolder, graphDrafts } from './drafts';
import { GraphClient, type MailFolder, type MessageSummary } from './graph';

export const DEMO_MAILBOXES = ['alice@example.org', 'bob@example.net'];

export class StandaloneHost implements Host {
  readonly label = 'standalone page';
  readonly capabilities = { localFiles: true, readMessage: true, composeMessage: true, sendMessage: true };
  private mailbox: string | null = null;
  private current: string | null = null;
  private readonly graph: GraphClient;

  constructor(baseUrl: string = location.origin) {
    this.graph = new GraphClient({
      baseUrl,
      token: () => (this.mailbox ? Promise.resolve(`dev:${this.mailbox}`) : Promise.reject(new Error('Choose a mailbox first.'))),
    });
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  /** The dev mailbox the page acts as (the user's own address). */
  useMailbox(address: string): void {
    this.mailbox = address.trim().toLowerCase();
    this.current = null;
  }

  userAddress(): string | null {
    return this.mailbox;
  }

  list(folder: MailFolder): Promise<MessageSummary[]> {
    return this.graph.list(folder);
  }

  /** Make a listed message the current one. */
  select(id: string): void {
    this.current = id;
  }

  currentMessage(): Promise<Uint8Array> {
    if (this.current === null) return Promise.reject(new Error('No message is selected.'));
    return this.graph.getMime(this.current);
  }

  sendMime(mime: Uint8Array): Promise<void> {
    return this.graph.sendMime(mime);
  }

  /** The dev mailbox's Drafts folder (encrypted drafts of the confidential mode). */
  drafts(): DraftFolder | null {
    return this.mailbox ? graphDrafts(this.graph) : null;
  }
}
