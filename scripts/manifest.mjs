// The manifest for a deployment: manifest.xml points at the dev origin https://localhost:3000;
// a production build (env CACHET_ORIGIN=https://your.host) rewrites every add-in URL to that
// origin. Outlook loads add-in pages only over https, so any other scheme is refused here.
export const DEV_ORIGIN = 'https://localhost:3000';

/** manifest.xml text with the dev origin replaced by `origin` (https, no path). */
export function productionManifest(xml, origin = DEV_ORIGIN) {
  let u;
  try {
    u = new URL(origin);
  } catch {
    throw new Error(`CACHET_ORIGIN "${origin}" is not a URL (expected https://host[:port])`);
  }
  if (u.protocol !== 'https:' || u.pathname !== '/' || u.search || u.hash || u.username) {
    throw new Error(`CACHET_ORIGIN "${origin}" must be an https origin without path (Outlook loads add-ins only over https)`);
  }
  return xml.replaceAll(DEV_ORIGIN, u.origin);
}

/** Every URL the manifest names (attribute values and AppDomain), schema namespaces excepted. */
export function manifestUrls(xml) {
  const urls = [...xml.matchAll(/"([a-z][a-z0-9+.-]*:\/\/[^"]+)"|<AppDomain>([^<]+)</gi)].map((m) => m[1] ?? m[2]);
  return [...new Set(urls)].filter((u) => !/^http:\/\/(schemas\.microsoft\.com|www\.w3\.org)\//.test(u));
}
