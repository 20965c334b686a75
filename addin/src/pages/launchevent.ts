// The JavaScript-only runtime of classic Outlook on Windows (manifest Override type="javascript")
// loads this file as a plain script (bundled as an IIFE into launchevent.js, no imports, no DOM).
import { associateCommands } from '../hosts/office-choice';

const office = globalThis.Office;
if (office) associateCommands(office);
