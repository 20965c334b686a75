// What the UI may ask of the environment it runs in. The UI checks capabilities, never the
// host's identity: Outlook, Thunderbird and the standalone page each implement this interface.
import type { DraftFolder } from './drafts';

export interface HostCapabilities {
  /** The user can drop or pick local files (certificates, .p12, .eml). */
  localFiles: boolean;
  /** There is a current message whose raw MIME can be read. */
  readMessage: boolean;
  /** There is a message being composed whose body can be replaced. */
  composeMessage: boolean;
  /** Complete MIME messages built by the core can be sent (e.g. Graph sendMail): `sendMime`, `sendComposed`. */
  sendMessage: boolean;
  /** The host has a notification surface of its own (`notify`): Outlook's notification bar of
   * the item, Thunderbird's notifications. Without it the pane shows reminders as a banner only. */
  notifications?: boolean;
  /** DNS-over-HTTPS queries can be sent (SMIMEA discovery): `dnsQuery`. */
  dnsLookup?: boolean;
  /** The user's mailbox can be scanned for signed messages (Inbox and Sent): `signedCandidates`, `rawMessage`. */
  searchMail?: boolean;
}

/** A reminder or news for the user (certificate expiry, a certificate that arrived). */
export interface HostNotification {
  /** Stable per subject: a newer notification with the same id replaces the older one. */
  id: string;
  title: string;
  message: string;
}

/** A message of the user's mailbox that may be signed, as the host lists it. */
export interface MailRef {
  id: string;
  /** Where it was found, for the summary ("Inbox", "Sent Items"). */
  folder: string;
  subject: string;
  from: string;
}

/** A mailbox: display name (may be empty) and address. */
export interface MailAddress {
  name: string;
  address: string;
}

/** An attachment of the message being composed, with its bytes. */
export interface ComposeAttachment {
  name: string;
  contentType: string;
  bytes: Uint8Array;
  /** Shown in the body (an image referenced by `cid:`), not listed as an attachment. */
  inline: boolean;
  /** For inline attachments: the Content-ID the HTML body refers to, without <>. */
  contentId: string | null;
}

/** The fields of the message being composed, as the user typed them. */
export interface ComposeFields {
  from: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  bcc: MailAddress[];
  subject: string;
  /** The body as plain text (always present). */
  text: string;
  /** The body as HTML when the user writes HTML mail, else null. */
  html: string | null;
  attachments: ComposeAttachment[];
  /** `<id@domain>` of the message answered (RFC 5322 3.6.4), or null. */
  inReplyTo: string | null;
  /** The References field of a reply, or null. */
  references: string | null;
}

/** The sender and recipients (SMTP envelope) of a message Cachet built. */
export interface MimeEnvelope {
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
}

/** What the user chose for the message being composed. */
export interface ComposeChoice {
  sign: boolean;
  encrypt: boolean;
}

/**
 * Builds the final MIME message (signed and/or encrypted by the core) for one envelope.
 * `fields` is the envelope: for a message with Bcc recipients the host calls it once without
 * Bcc and once per Bcc recipient (see `envelopes`), so no Bcc recipient is visible to others,
 * not even in the RecipientInfos of an encrypted message.
 */
export type SecureBuilder = (fields: ComposeFields) => Promise<Uint8Array>;

export interface ComposeFinish {
  /** The autosaved plaintext draft was deleted. */
  draftDeleted: boolean;
  /**
   * It was deleted only into Deleted Items: the mailbox refused a permanent delete, so the
   * plaintext is still there until the user empties that folder.
   */
  draftInDeletedItems: boolean;
  /** The compose window was closed (false when the host could not close it: the user should). */
  closed: boolean;
}

export interface SendOutcome extends ComposeFinish {
  /** How many messages were sent (1 + one per Bcc recipient). */
  sent: number;
}

export interface Host {
  /** Shown in diagnostics only; the UI never branches on it. */
  readonly label: string;
  readonly capabilities: HostCapabilities;
  /** Resolves when the host environment is ready (e.g. Office.onReady). */
  ready(): Promise<void>;
  /** The raw MIME of the current message (capabilities.readMessage). */
  currentMessage?(): Promise<Uint8Array>;
  /**
   * Call `listener` whenever the user moves to another message while the pane stays open
   * (e.g. a pinned Outlook task pane); capabilities are updated first. Resolves to false when
   * the host cannot tell.
   */
  onMessageChanged?(listener: () => void): Promise<boolean>;
  /** Facts about this host that the UI shows the user (e.g. where identities are kept). */
  notices?(): string[];
  /** The address the user sends from, when the host knows it. */
  userAddress?(): string | null;
  /**
   * Send a complete MIME message; the host keeps a copy in Sent Items (capabilities.sendMessage).
   * `envelope`: who it goes to, for a host whose transport does not read the message's own fields.
   */
  sendMime?(mime: Uint8Array, envelope?: MimeEnvelope): Promise<void>;
  /** After sending: discard the plaintext draft of the compose window and close it. */
  finishCompose?(): Promise<ComposeFinish>;
  /** The fields of the message being composed (capabilities.composeMessage). */
  composeFields?(): Promise<ComposeFields>;
  /** The Sign/Encrypt choice of the message being composed (shared with the ribbon commands). */
  composeChoice?(): Promise<ComposeChoice>;
  setComposeChoice?(choice: ComposeChoice): Promise<void>;
  /**
   * Send the message being composed as built by `secure` (capabilities.sendMessage), one
   * message per envelope, then discard the plaintext draft and close the compose window.
   * `fields`: the fields as the caller read and checked them (`composeFields`), so that what is
   * sent is what was checked and the compose window is not read twice; read here when absent.
   */
  sendComposed?(secure: SecureBuilder, fields?: ComposeFields): Promise<SendOutcome>;
  /** Where encrypted drafts are kept (confidential compose mode), or null when the host has none now. */
  drafts?(): DraftFolder | null;
  /**
   * Show `note` in the host's own notification surface (capabilities.notifications). Resolves
   * to false when the host could not (e.g. Outlook with no item open); the pane shows it anyway.
   */
  notify?(note: HostNotification): Promise<boolean>;
  /**
   * Send one DNS query (wire format, base64url, from the core's `smimeaQuery`) to the
   * configured DNS-over-HTTPS resolver; the answer's bytes (capabilities.dnsLookup).
   */
  dnsQuery?(queryBase64url: string): Promise<Uint8Array>;
  /** The resolver `dnsQuery` uses, for the user to see (e.g. "cloudflare-dns.com"). */
  dnsResolver?(): string;
  /**
   * The messages of Inbox and Sent that may be signed, newest first, a page at a time
   * (capabilities.searchMail). The host narrows with its own search where it has one; the
   * core decides what is signed.
   */
  signedCandidates?(signal: AbortSignal): AsyncGenerator<MailRef[]>;
  /** The raw MIME of a listed message (capabilities.searchMail). */
  rawMessage?(id: string): Promise<Uint8Array>;
}

/**
 * The envelopes to send for `fields`: one for To and Cc (Bcc removed), then one per Bcc
 * recipient addressed to that recipient alone (Bcc field naming only them, To and Cc empty),
 * as Outlook on the web does by default, so Bcc recipients stay private.
 */
export function envelopes(fields: ComposeFields): ComposeFields[] {
  const out: ComposeFields[] = [];
  if (fields.to.length + fields.cc.length > 0) out.push({ ...fields, bcc: [] });
  for (const b of fields.bcc) out.push({ ...fields, to: [], cc: [], bcc: [b] });
  return out;
}

/** A local file chosen or dropped by the user. */
export interface LocalFile {
  name: string;
  bytes: Uint8Array;
}

/** Read a browser File into bytes. */
export async function readLocalFile(file: File): Promise<LocalFile> {
  return { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
}
