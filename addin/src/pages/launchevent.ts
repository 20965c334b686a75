// The JavaScript-only runtime of classic Outlook on Windows (manifest Override type="javascript")
// loads this file as a plain script (bundled as an IIFE into launchevent.js: no imports, no DOM,
// and no reliance on globalThis, which that runtime may lack).
import { associateCommands } from '../hosts/office-choice';

if (typeof Office !== 'undefined' && Office) associateCommands(Office);
