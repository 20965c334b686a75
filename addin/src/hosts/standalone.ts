// The standalone host: a plain web page (development, demos, end-to-end tests). No mailbox;
// the user works with local files.
import type { Host } from './host';

export class StandaloneHost implements Host {
  readonly label = 'standalone page';
  readonly capabilities = { localFiles: true, readMessage: false, composeMessage: false, sendMessage: false };

  ready(): Promise<void> {
    return Promise.resolve();
  }
}
