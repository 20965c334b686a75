// The Outlook host (Office.js loaded by the page from Microsoft's CDN). Reading and composing
// messages are not wired yet, so those capabilities are off and the UI does not offer them.
import type { Host } from './host';

interface OfficeGlobal {
  onReady(callback?: () => void): Promise<unknown>;
}

declare global {
  // Provided by office.js when the page runs inside Outlook.
  var Office: OfficeGlobal | undefined;
}

export class OfficeHost implements Host {
  readonly label = 'Outlook';
  readonly capabilities = { localFiles: true, readMessage: false, composeMessage: false, sendMessage: false };

  async ready(): Promise<void> {
    // Outside Outlook (page opened directly) there is no Office.js: carry on as a plain page.
    if (globalThis.Office) await globalThis.Office.onReady();
  }
}
