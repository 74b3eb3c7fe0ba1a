/**
 * The local gateway's way to reach a development Keycloak: plain http is allowed only to a loopback
 * address (Keycloak's `start-dev` serves http on 127.0.0.1; its keys never cross a network there), https
 * goes anywhere with the certificate checks on. The deployed functions keep their https-only transport.
 */
import { isLoopbackUrl } from '../../common/field-checks';

/** Throws unless `url` is https, or http to a loopback address. */
export function assertLoopbackOrHttps(url: string, what: string): URL {
  const u = new URL(url);
  if (u.protocol === 'https:') return u;
  if (u.protocol === 'http:' && isLoopbackUrl(url)) return u;
  throw new Error(`${what} must be https, or http to a loopback address (got ${u.origin})`);
}
