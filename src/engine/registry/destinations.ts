/**
 * Where a registry's credentials may go, and which URLs a registry names (redirects, upload Locations, token
 * realms) a client may follow at all. Pure rules, kept apart so they can be read and tested on their own.
 *
 * - The registry's credentials (Basic, Bearer tokens) go to the registry's own origin only: scheme, host and
 *   port all equal. go-containerregistry's bearer transport keeps the same rule (it only attaches a token when
 *   the host matches the registry). A URL on another origin may still be followed, without credentials.
 * - The credentials for a token (Basic, or an identity token) go to the realm, whose origin the registry's
 *   own challenge named; it must not be plain HTTP when the registry is not.
 * - A registry reached over HTTPS must not send a client to plain HTTP (a redirect, a Location): what crosses
 *   the network then (the image, signed URLs, upload sessions) would be in clear. Registries that are plain
 *   HTTP already (marked insecure, or on loopback) may.
 */

/** Whether a request to `url` may carry the registry's credentials. */
export function mayCarryCredentials(url: URL, registryOrigin: string): boolean {
  return url.origin === registryOrigin;
}

/**
 * Why a client must not follow `url`, or undefined when it may: it is not HTTP(S), or it is plain HTTP while
 * the registry is not (`plainAllowed` is true for registries that are plain HTTP themselves).
 */
export function refusedDestination(url: URL, plainAllowed: boolean): string | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${url.protocol.replace(/:$/, '')} is not HTTP`;
  if (url.protocol === 'http:' && !plainAllowed) return 'it is plain HTTP and the registry is HTTPS';
  return undefined;
}
