/**
 * Cookie parsing and `Set-Cookie` serialization for the sign-in routes and the authorizer. Pure functions.
 *
 * Parsing follows RFC 6265 §5.2 loosely but defensively: pairs without `=` are skipped, the first value of a
 * repeated name is kept and the name is listed in `repeated` (a cookie whose name arrives twice may have
 * been planted by a sibling subdomain or another path: readers of credentials refuse it rather than pick
 * one), and values are never URL-decoded — every value Keygate writes is base64url or a plain token, so
 * decoding could only add ambiguity.
 */

/** Upper bound on the Cookie header(s) this code is willing to parse (browsers cap at ~8 KB per header). */
export const MAX_COOKIE_HEADER_BYTES = 32 * 1024;

const COOKIE_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/;
// cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E (RFC 6265 §4.1.1)
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;

/** The request's cookies by name (first value), and the names that arrived more than once. */
export class RequestCookies extends Map<string, string> {
  readonly repeated = new Set<string>();
}

/**
 * Parses one or more Cookie header values (REST events carry one header, HTTP API payload 2.0 events a
 * `cookies` array of `name=value` strings — both shapes fit here). Oversized input yields an empty map.
 */
export function parseCookies(headers: readonly (string | undefined)[] | undefined): RequestCookies {
  const out = new RequestCookies();
  if (!headers) return out;
  const seen = new Set<string>();
  let total = 0;
  for (const header of headers) {
    if (typeof header !== 'string') continue;
    total += header.length;
    if (total > MAX_COOKIE_HEADER_BYTES) return new RequestCookies();
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const name = part.slice(0, eq).trim();
      let value = part.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      if (!COOKIE_NAME.test(name)) continue;
      // Counted before the value is judged: a second cookie of the name is a second cookie, well formed or not.
      if (seen.has(name)) out.repeated.add(name);
      seen.add(name);
      if (!COOKIE_VALUE.test(value)) continue;
      if (!out.has(name)) out.set(name, value);
    }
  }
  return out;
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. @default - a session cookie */
  readonly maxAge?: number;
  /** @default '/' */
  readonly path?: string;
  /** @default true */
  readonly httpOnly?: boolean;
  /** @default true */
  readonly secure?: boolean;
  /** @default 'Lax' */
  readonly sameSite?: 'Lax' | 'Strict' | 'None';
}

/** Serializes a `Set-Cookie` value. Throws on a name or value a browser would mangle (a bug, not input). */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!COOKIE_NAME.test(name)) throw new Error(`invalid cookie name '${name}'`);
  if (!COOKIE_VALUE.test(value)) throw new Error(`invalid value for cookie '${name}'`);
  const parts = [`${name}=${value}`, `Path=${options.path ?? '/'}`];
  if (options.maxAge !== undefined) {
    parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAge))}`);
    // Expires as well: some clients still ignore Max-Age.
    if (options.maxAge <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  }
  if (options.httpOnly ?? true) parts.push('HttpOnly');
  if (options.secure ?? true) parts.push('Secure');
  parts.push(`SameSite=${options.sameSite ?? 'Lax'}`);
  return parts.join('; ');
}

/** A `Set-Cookie` that deletes `name` (same path and flags as when it was set, so the browser matches it). */
export function clearCookie(name: string, options: Omit<CookieOptions, 'maxAge'> = {}): string {
  return serializeCookie(name, '', { ...options, maxAge: 0 });
}
