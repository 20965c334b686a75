// Function file of the add-in (commands.html). No function commands yet: the ribbon buttons
// open the task pane. Office requires this page to exist and to initialise Office.js.
import { OfficeHost } from '../hosts/office';

await new OfficeHost().ready();
