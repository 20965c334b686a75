// Which Microsoft Graph the Outlook adapter talks to, and how it gets a token.
//  - Production: https://graph.microsoft.com with a token from MSAL nested app authentication
//    (NAA: Outlook brokers the sign-in; scopes Mail.Send and Mail.ReadWrite), for the Entra app
//    registration whose client id is built in as VITE_CACHET_CLIENT_ID.
//  - Development and tests: VITE_CACHET_GRAPH=dev (or ?graph=dev on a loopback task pane URL) uses the
//    dev mailbox of the dev server on the page's own origin, as `Bearer dev:<user's address>`.
import { GraphClient, type TokenProvider } from './graph';
import type { OfficeLike } from './office-api';

export const GRAPH_SCOPES = ['Mail.Send', 'Mail.ReadWrite'];
export const GRAPH_ORIGIN = 'https://graph.microsoft.com';

/** A token provider using MSAL nested app authentication (loaded on first use). */
export function naaTokenProvider(clientId: string): TokenProvider {
  let app: Promise<import('@azure/msal-browser').IPublicClientApplication> | null = null;
  return async () => {
    const msal = await import('@azure/msal-browser');
    app ??= msal.createNestablePublicClientApplication({ auth: { clientId, authority: 'https://login.microsoftonline.com/common' } });
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

/** The Graph client for the Outlook task pane, or null when none is configured. */
export function officeGraph(
  office: OfficeLike | undefined,
  env: { graph?: string | undefined; clientId?: string | undefined },
  search = '',
  origin: string = globalThis.location?.origin ?? '',
): GraphClient | null {
  // The URL switch is honoured on a loopback origin only (development); builds use env.graph.
  const local = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(origin);
  const mode = (local ? new URLSearchParams(search).get('graph') : null) ?? env.graph ?? '';
  if (mode === 'dev') {
    return new GraphClient({
      baseUrl: origin,
      token: async () => `dev:${office?.context.mailbox.userProfile.emailAddress ?? ''}`,
    });
  }
  if (!env.clientId) return null;
  return new GraphClient({ baseUrl: mode.startsWith('https://') ? mode : GRAPH_ORIGIN, token: naaTokenProvider(env.clientId) });
}
