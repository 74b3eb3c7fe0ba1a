/**
 * The local stack's way to reach a development Keycloak: plain http is allowed only to a loopback address
 * (Keycloak's `start-dev` serves http on 127.0.0.1; its keys never cross a network there), https goes
 * anywhere with the certificate checks on. Used for the sign-in function's token requests in the local
 * stack (JWKS fetches go through ../gateway/loopback-fetcher.ts); the deployed functions keep their
 * https-only transport.
 */
import { isLoopbackUrl } from '../../common/field-checks';
import { request } from './request';

/** Throws unless `url` is https, or http to a loopback address. */
export function assertLoopbackOrHttps(url: string, what: string): URL {
  const u = new URL(url);
  if (u.protocol === 'https:') return u;
  if (u.protocol === 'http:' && isLoopbackUrl(url)) return u;
  throw new Error(`${what} must be https, or http to a loopback address (got ${u.origin})`);
}

/** The sign-in function's token request, over https or http to loopback (see lambda/sign-in/http-form.ts). */
export async function loopbackPostForm(
  url: string,
  form: URLSearchParams,
  opts: {
    readonly headers?: Record<string, string>;
    readonly ca?: string | readonly string[];
    readonly timeoutMs: number;
  },
): Promise<{ status: number; body: string }> {
  const u = assertLoopbackOrHttps(url, 'token endpoint');
  const ca = typeof opts.ca === 'string' ? opts.ca : opts.ca?.join('\n');
  const res = await request(u.href, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      ...opts.headers,
    },
    body: form.toString(),
    ca,
    timeoutMs: opts.timeoutMs,
  });
  return { status: res.status, body: res.body };
}
