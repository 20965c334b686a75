// Microsoft Graph v1.0 mail client: the subset Cachet uses (send mail in MIME format, list a
// folder, read a message's raw MIME, delete, create a draft from MIME). The base URL is
// configurable: https://graph.microsoft.com in Outlook, the dev server's own origin (the dev
// mailbox of scripts/devmail.mjs) in development and tests.

import { toBase64 } from './base64';

/** Returns the bearer token for the next request (e.g. from MSAL nested app authentication). */
export interface TokenProvider {
  (): Promise<string>;
}

export interface MessageSummary {
  id: string;
  subject: string;
  from: { name: string; address: string };
  to: string[];
  received: string;
  hasAttachments: boolean;
}

/** A Graph request that failed: Graph's error code (or a local one) and the HTTP status (0: no answer). */
export class GraphError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = 'GraphError';
    this.code = code;
    this.status = status;
  }
}

export type MailFolder = 'inbox' | 'sentitems' | 'drafts';

/** The message classes Exchange gives S/MIME mail (MS-OXOSMIME): clear-signed, then opaque-signed or encrypted. */
export const SMIME_MESSAGE_CLASSES = ['IPM.Note.SMIME.MultipartSigned', 'IPM.Note.SMIME'] as const;

/** The largest request body Microsoft Graph accepts; a larger one is answered 413. */
export const GRAPH_MAX_REQUEST = 4 * 1024 * 1024;
/**
 * The largest MIME message Graph's sendMail takes: the message travels base64-encoded in one
 * request (4 characters per 3 bytes). Graph has no route for a larger pre-built MIME message:
 * its upload sessions add attachments to a draft Graph builds itself, which cannot carry a
 * signed or encrypted message as it was built.
 */
export const GRAPH_MAX_MIME = (GRAPH_MAX_REQUEST / 4) * 3;

const mb = (n: number): string => `${(n / (1024 * 1024)).toFixed(1)} MB`;

/** The sentence refusing a message of `bytes` bytes (or more) that Graph would refuse. */
export function tooLargeForGraph(bytes: number, built: boolean): Error {
  return new Error(
    `This message is ${built ? '' : 'at least '}${mb(bytes)}${built ? ' once signed and encrypted' : ''}; Microsoft Graph, through which Outlook add-ins send, ` +
      `takes messages of at most ${mb(GRAPH_MAX_MIME)} (4 MB per request, and the message travels base64-encoded). Nothing was sent and the message is unchanged ` +
      'in the compose window: remove or shrink attachments (send large files separately), then send again.',
  );
}

interface GraphAddress {
  emailAddress?: { name?: string; address?: string };
}

interface GraphMessage {
  id?: string;
  subject?: string | null;
  from?: GraphAddress | null;
  toRecipients?: GraphAddress[];
  receivedDateTime?: string;
  hasAttachments?: boolean;
}

function summaryOf(m: GraphMessage): MessageSummary {
  return {
    id: m.id ?? '',
    subject: m.subject ?? '',
    from: { name: m.from?.emailAddress?.name ?? '', address: m.from?.emailAddress?.address ?? '' },
    to: (m.toRecipients ?? []).map((r) => r.emailAddress?.address ?? '').filter((a) => a !== ''),
    received: m.receivedDateTime ?? '',
    hasAttachments: m.hasAttachments === true,
  };
}

export class GraphClient {
  private readonly baseUrl: string;
  private readonly token: TokenProvider;

  constructor(opts: { baseUrl: string; token: TokenProvider }) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token;
  }

  private request(method: string, path: string, body?: string): Promise<Response> {
    return this.requestUrl(method, `${this.baseUrl}/v1.0${path}`, body);
  }

  private async requestUrl(method: string, url: string, body?: string): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `Bearer ${await this.token()}` };
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers['Content-Type'] = 'text/plain';
      init.body = body;
    }
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (e) {
      throw new GraphError('NetworkError', 0, `Microsoft Graph could not be reached: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!res.ok) {
      let code = `Http${res.status}`;
      let message = `Microsoft Graph answered ${res.status} ${res.statusText}`.trim();
      try {
        const j = (await res.json()) as { error?: { code?: string; message?: string } };
        if (j.error?.code) code = j.error.code;
        if (j.error?.message) message = j.error.message;
      } catch {
        // Not JSON: keep the status line.
      }
      throw new GraphError(code, res.status, message);
    }
    return res;
  }

  /** Send a complete MIME message (POST /me/sendMail, base64 body); Graph saves it to Sent Items. */
  async sendMime(mime: Uint8Array): Promise<void> {
    await this.request('POST', '/me/sendMail', toBase64(mime));
  }

  /** Create a draft from a MIME message (POST /me/messages); resolves to its id. */
  async createDraft(mime: Uint8Array): Promise<string> {
    const res = await this.request('POST', '/me/messages', toBase64(mime));
    const m = (await res.json()) as GraphMessage;
    if (!m.id) throw new GraphError('InvalidResponse', res.status, 'Microsoft Graph created a draft but returned no id.');
    return m.id;
  }

  /** The messages of a well-known folder, newest first. */
  async list(folder: MailFolder): Promise<MessageSummary[]> {
    const res = await this.request('GET', `/me/mailFolders/${folder}/messages`);
    const j = (await res.json()) as { value?: GraphMessage[] };
    return (j.value ?? []).map(summaryOf);
  }

  /**
   * The S/MIME messages of a well-known folder, a page at a time: those Exchange classed as
   * S/MIME (PidTagMessageClass, `String 0x001A`: IPM.Note.SMIME.MultipartSigned for
   * clear-signed mail, then IPM.Note.SMIME for opaque-signed or encrypted mail; one query per
   * class, each a plain `eq` filter on the extended property). Pages follow
   * `@odata.nextLink`, only on this client's own origin (the token goes nowhere else).
   */
  async *smimeMessages(folder: MailFolder, pageSize = 50): AsyncGenerator<MessageSummary[]> {
    for (const messageClass of SMIME_MESSAGE_CLASSES) {
      const filter = `singleValueExtendedProperties/any(ep: ep/id eq 'String 0x001A' and ep/value eq '${messageClass}')`;
      let url: string | undefined = `${this.baseUrl}/v1.0/me/mailFolders/${folder}/messages?$select=id,subject,from,toRecipients,receivedDateTime,hasAttachments&$top=${pageSize}&$filter=${encodeURIComponent(filter)}`;
      while (url) {
        const res = await this.requestUrl('GET', url);
        const j = (await res.json()) as { value?: GraphMessage[]; '@odata.nextLink'?: string };
        yield (j.value ?? []).map(summaryOf);
        const next = j['@odata.nextLink'];
        url = typeof next === 'string' && next.startsWith(`${this.baseUrl}/`) ? next : undefined;
      }
    }
  }

  /** The raw MIME of a message (GET /me/messages/{id}/$value). */
  async getMime(id: string): Promise<Uint8Array> {
    const res = await this.request('GET', `/me/messages/${encodeURIComponent(id)}/$value`);
    return new Uint8Array(await res.arrayBuffer());
  }

  /** Delete a message permanently (POST /me/messages/{id}/permanentDelete), not into Deleted Items. */
  async permanentDelete(id: string): Promise<void> {
    await this.request('POST', `/me/messages/${encodeURIComponent(id)}/permanentDelete`);
  }

  /** Delete a message (Graph moves it to Deleted Items). */
  async delete(id: string): Promise<void> {
    await this.request('DELETE', `/me/messages/${encodeURIComponent(id)}`);
  }
}
