// Function file of the add-in (commands.html): the "Sign" and "Encrypt" toggle commands and the
// OnMessageSend handler of Outlook on the web and the new Outlook (classic Outlook on Windows
// loads the same handlers from launchevent.js, built from launchevent.ts). Handlers are
// associated at once, as Outlook may call them right after loading this page.
import { associateCommands } from '../hosts/office-choice';

const office = globalThis.Office;
if (office) {
  associateCommands(office);
  await office.onReady();
}
