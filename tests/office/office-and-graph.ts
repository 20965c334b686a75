// For tests: the Outlook host and the Graph client bundled together (tests/ts.mjs bundles each
// entry on its own), so that a GraphClient made by a test throws the GraphError the host checks.
export { OfficeHost } from '../../addin/src/hosts/office';
export { GraphClient } from '../../addin/src/hosts/graph';
