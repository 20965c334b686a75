// What the UI may ask of the environment it runs in. The UI checks capabilities, never the
// host's identity: Outlook, Thunderbird and the standalone page each implement this interface.

export interface HostCapabilities {
  /** The user can drop or pick local files (certificates, .p12, .eml). */
  localFiles: boolean;
  /** There is a current message whose raw MIME can be read. */
  readMessage: boolean;
  /** There is a message being composed whose body can be replaced. */
  composeMessage: boolean;
  /** Complete MIME messages built by the core can be sent (e.g. Graph sendMail). */
  sendMessage: boolean;
}

export interface Host {
  /** Shown in diagnostics only; the UI never branches on it. */
  readonly label: string;
  readonly capabilities: HostCapabilities;
  /** Resolves when the host environment is ready (e.g. Office.onReady). */
  ready(): Promise<void>;
  /** The raw MIME of the current message (capabilities.readMessage). */
  currentMessage?(): Promise<Uint8Array>;
  /** The address the user sends from, when the host knows it. */
  userAddress?(): string | null;
  /** Send a complete MIME message; the host keeps a copy in Sent Items (capabilities.sendMessage). */
  sendMime?(mime: Uint8Array): Promise<void>;
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
