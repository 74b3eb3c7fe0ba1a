/**
 * The local stack's way to reach a development Keycloak: plain http is allowed only to a loopback address
 * (Keycloak's `start-dev` serves http on 127.0.0.1; its keys never cross a network there), https goes
 * anywhere with the certificate checks on. Used for the authorizer's JWKS fetches and the sign-in
 * function's token requests and JWKS fetches in the local stack only; the deployed functions keep their
 * https-only transport (aws-jwt-verify fetches JWKS over https only).
 */
import { isIP } from 'node:net';
import { NonRetryableFetchError } from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { request } from './request';

/** A loopback host: 127.0.0.0/8, ::1 or `localhost` (which resolves to loopback only, RFC 6761 §6.3). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1';
  return false;
}

/** Throws unless `url` is https, or http to a loopback address. */
export function assertLoopbackOrHttps(url: string, what: string): URL {
  const u = new URL(url);
  if (u.protocol === 'https:') return u;
  if (u.protocol === 'http:' && isLoopbackHost(u.hostname)) return u;
  throw new Error(`${what} must be https, or http to a loopback address (got ${u.origin})`);
}

/** A JWKS fetcher for the local stack: GET over https, or http to loopback; anything else is refused. */
export class LoopbackFetcher implements Fetcher {
  constructor(private readonly options: { readonly ca?: string; readonly timeoutMs?: number } = {}) {}

  async fetch(uri: string): Promise<ArrayBuffer> {
    let u: URL;
    try {
      u = assertLoopbackOrHttps(uri, 'JWKS URI');
    } catch (e) {
      throw new NonRetryableFetchError(uri, (e as Error).message);
    }
    const res = await request(u.href, { ca: this.options.ca, timeoutMs: this.options.timeoutMs ?? 3000 });
    if (res.status !== 200)
      throw new NonRetryableFetchError(uri, `status code is ${res.status}, expected 200`);
    const bytes = Buffer.from(res.body, 'utf8');
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
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
