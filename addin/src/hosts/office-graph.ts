// Which Microsoft Graph the Outlook adapter talks to, and how it gets a token, from the
// deployment's configuration read at run time (one build serves any tenant):
//  - cachet-config.json served beside the pages: {"clientId": "<Entra application id>",
//    "tenant": "<tenant id or domain>" (optional, default "common")}. With a client id:
//    https://graph.microsoft.com with a token from MSAL nested app authentication (NAA: Outlook
//    brokers the sign-in; scopes Mail.Send and Mail.ReadWrite). Without one: no Graph, and the
//    pane says what works without it (graphNotice).
//  - Development and tests, on a loopback origin only: ?graph=dev on the task pane URL, or
//    "graph": "dev" in the configuration, uses the dev mailbox of the dev server on the page's
//    own origin, as `Bearer dev:<user's address>`.
import { checkResolver } from './doh';
import { GraphClient, type TokenProvider } from './graph';
import type { OfficeLike } from './office-api';

export const GRAPH_SCOPES = ['Mail.Send', 'Mail.ReadWrite'];
export const GRAPH_ORIGIN = 'https://graph.microsoft.com';
/** The configuration file, beside the pages (the same folder as taskpane.html). */
export const CONFIG_FILE = 'cachet-config.json';
/** The largest configuration file read (it holds two short strings). */
const MAX_CONFIG = 16 * 1024;

/** The deployment's configuration, as checked by `parseConfig`. */
export interface CachetConfig {
  /** The Entra application (client) id of the deployment's app registration. */
  clientId?: string;
  /** The tenant: its id or a verified domain (single-tenant app); default "common". */
  tenant?: string;
  /** "dev": the dev mailbox (loopback origins only). */
  graph?: string;
  /** The DNS-over-HTTPS resolver for SMIMEA lookups (https URL); default hosts/doh.ts DEFAULT_DOH_RESOLVER. */
  dohResolver?: string;
}

/** What `loadConfig` found: the configuration (null when there is none) and why it is unusable, if so. */
export interface ConfigResult {
  config: CachetConfig | null;
  problem: string | null;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** Check the configuration's JSON text; unknown fields are ignored, a wrong value is a problem. */
export function parseConfig(text: string): ConfigResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { config: null, problem: `${CONFIG_FILE} is not valid JSON.` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { config: null, problem: `${CONFIG_FILE} must hold one JSON object.` };
  const o = v as Record<string, unknown>;
  const config: CachetConfig = {};
  if (o.clientId !== undefined && o.clientId !== '') {
    if (typeof o.clientId !== 'string' || !GUID.test(o.clientId.trim())) {
      return { config: null, problem: `${CONFIG_FILE}: "clientId" must be the Application (client) ID of the app registration, a GUID such as 0a1b2c3d-0000-4000-8000-00000000abcd.` };
    }
    config.clientId = o.clientId.trim().toLowerCase();
  }
  if (o.tenant !== undefined && o.tenant !== '') {
    const t = typeof o.tenant === 'string' ? o.tenant.trim() : '';
    if (!(GUID.test(t) || DOMAIN.test(t) || t === 'organizations' || t === 'common')) {
      return { config: null, problem: `${CONFIG_FILE}: "tenant" must be the directory (tenant) ID, a verified domain of the tenant, or "organizations".` };
    }
    config.tenant = t.toLowerCase();
  }
  if (o.graph !== undefined && o.graph !== '') {
    if (o.graph !== 'dev') return { config: null, problem: `${CONFIG_FILE}: "graph" may only be "dev" (the dev mailbox of the development server).` };
    config.graph = 'dev';
  }
  if (o.dohResolver !== undefined && o.dohResolver !== '') {
    const problem = typeof o.dohResolver === 'string' ? checkResolver(o.dohResolver.trim()) : 'it must be a URL';
    if (problem) return { config: null, problem: `${CONFIG_FILE}: "dohResolver": ${problem}` };
    config.dohResolver = (o.dohResolver as string).trim();
  }
  return { config, problem: null };
}

/** Fetch and check the configuration beside `pageUrl`; a missing file is no configuration, not a problem. */
export async function loadConfig(pageUrl: string, fetchFn: typeof fetch = fetch): Promise<ConfigResult> {
  let res: Response;
  try {
    res = await fetchFn(new URL(CONFIG_FILE, pageUrl).href, { cache: 'no-store', credentials: 'same-origin' });
  } catch (e) {
    return { config: null, problem: `${CONFIG_FILE} could not be read: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (res.status === 404) return { config: null, problem: null };
  if (!res.ok) return { config: null, problem: `${CONFIG_FILE} could not be read (the server answered ${res.status}).` };
  const text = await res.text();
  if (text.length > MAX_CONFIG) return { config: null, problem: `${CONFIG_FILE} is larger than ${MAX_CONFIG} bytes.` };
  return parseConfig(text);
}

/** A token provider using MSAL nested app authentication (loaded on first use). */
export function naaTokenProvider(clientId: string, tenant = 'common'): TokenProvider {
  let app: Promise<import('@azure/msal-browser').IPublicClientApplication> | null = null;
  return async () => {
    const msal = await import('@azure/msal-browser');
    app ??= msal.createNestablePublicClientApplication({ auth: { clientId, authority: `https://login.microsoftonline.com/${tenant}` } });
    const pca = await app;
    const request = { scopes: GRAPH_SCOPES };
    try {
      return (await pca.acquireTokenSilent({ ...request, account: pca.getActiveAccount() ?? pca.getAllAccounts()[0] ?? undefined } as never)).accessToken;
    } catch {
      // Consent or interaction needed: Outlook shows its sign-in/consent prompt.
      return (await pca.acquireTokenPopup(request)).accessToken;
    }
  };
}

const isLoopback = (origin: string): boolean => /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(origin);

/** The dev mailbox is used: on a loopback origin only (development), `?graph=dev` or "graph": "dev" (the URL switch wins). */
export function devMode(config: CachetConfig | null, search = '', origin: string = globalThis.location?.origin ?? ''): boolean {
  if (!isLoopback(origin)) return false;
  return (new URLSearchParams(search).get('graph') ?? config?.graph ?? '') === 'dev';
}

/**
 * The DNS-over-HTTPS resolver of SMIMEA lookups: the configured one; with the dev mailbox
 * (development) the dev server's fixture resolver on the page's own origin; else undefined
 * (the default, hosts/doh.ts).
 */
export function dohResolverOf(config: CachetConfig | null, search = '', origin: string = globalThis.location?.origin ?? ''): string | undefined {
  if (config?.dohResolver) return config.dohResolver;
  return devMode(config, search, origin) ? `${origin}/dns-query` : undefined;
}

/** The Graph client for the Outlook task pane, or null when none is configured. */
export function officeGraph(
  office: OfficeLike | undefined,
  config: CachetConfig | null,
  search = '',
  origin: string = globalThis.location?.origin ?? '',
): GraphClient | null {
  if (devMode(config, search, origin)) {
    return new GraphClient({
      baseUrl: origin,
      token: async () => `dev:${office?.context.mailbox.userProfile.emailAddress ?? ''}`,
    });
  }
  if (!config?.clientId) return null;
  return new GraphClient({ baseUrl: GRAPH_ORIGIN, token: naaTokenProvider(config.clientId, config.tenant) });
}

/**
 * What the pane tells the user about Microsoft Graph: without it, what is missing and what
 * works anyway; with it, which app registration is used (so an administrator can check).
 */
export function graphNotice(result: ConfigResult, graph: GraphClient | null): { configured: boolean; text: string } {
  if (graph) {
    const id = result.config?.clientId;
    return { configured: true, text: id ? `Microsoft Graph: signed in through Outlook for the app registration ${id}${result.config?.tenant ? ` (tenant ${result.config.tenant})` : ''}.` : 'Microsoft Graph: the dev mailbox of the development server.' };
  }
  const why = result.problem ?? `Microsoft Graph is not configured: ${CONFIG_FILE} beside the add-in's pages names no app registration ("clientId").`;
  return {
    configured: false,
    text: `${why} Without it Cachet still checks signatures and decrypts the messages Outlook gives it (or that you open as .eml files) and manages your certificates, ` +
      'but cannot send signed or encrypted mail from Outlook, nor read a message Outlook does not give. Your administrator sets it up as the deployment guide (docs/deploy.md) describes.',
  };
}
