/**
 * The names of the browser sign-in cookies: one rule for a configured name, and the defaults, shared by the
 * sign-in construct and function, the authorizer's session block and the app configuration.
 *
 * The defaults carry the `__Host-` prefix: a browser stores such a cookie only when it was set with
 * `Secure`, from a secure origin, with `Path=/` and without `Domain` (RFC 6265bis §4.1.3.2,
 * https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-4.1.3.2; MDN,
 * https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Set-Cookie#cookie_prefixes). So no sibling
 * subdomain, nor a page of the same host over plain http, can plant one the API would read: the session
 * cannot be tossed. The sign-in routes set every cookie with `Path=/`, no `Domain`, and `Secure`.
 */

/**
 * A configured cookie base name: letters, digits, `_` and `-` (so `__Host-` and `__Secure-` fit), at most
 * 48 characters, leaving room for the `-<n>` suffix of chunk cookies.
 */
export const COOKIE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,48}$/;

/** The rule in words, for error messages. */
export const COOKIE_NAME_RULE = '1-48 letters, digits, _ or -';

/** Base name of the session cookie(s) (chunks are `<name>-1`, `<name>-2`, ...). */
export const DEFAULT_SESSION_COOKIE_NAME = '__Host-keygate_session';

/** Name of the short-lived login state cookie (between /auth/login and /auth/callback). */
export const DEFAULT_STATE_COOKIE_NAME = '__Host-keygate_login';

/** Prefixes a browser only honours on a cookie set with `Secure` over https. */
const SECURE_ONLY_PREFIXES = ['__Host-', '__Secure-'] as const;

export function isCookieName(v: unknown): v is string {
  return typeof v === 'string' && COOKIE_NAME_PATTERN.test(v);
}

/**
 * Does a browser refuse this cookie unless it is set `Secure` over https? Compared without case, as
 * current browsers and RFC 6265bis do.
 */
export function needsSecureCookie(name: string): boolean {
  const lower = name.toLowerCase();
  return SECURE_ONLY_PREFIXES.some((p) => lower.startsWith(p.toLowerCase()));
}
