/**
 * The same-origin proof every cookie-authenticated request needs before it may change state: the
 * authorizer applies it to browser sessions and to a token read from a cookie (`tokenSource.cookie`), and
 * the sign-in function to POST /auth/logout and /auth/refresh. A cookie arrives with every request the
 * browser makes, including a cross-site form post, so the cookie alone proves nothing about who asked.
 * https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
 * Fetch Metadata (`Sec-Fetch-Site`): https://www.w3.org/TR/fetch-metadata/
 * Plain types and pure functions only.
 */

/** Methods that never change state (RFC 9110 §9.2.1) and so need no proof. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Header a same-origin script may send on state-changing cookie requests instead of relying on Origin. */
export const DEFAULT_CSRF_HEADER = 'x-keygate-csrf';

export interface CsrfInput {
  readonly method: string;
  /** Request headers with lower-cased names (a repeated header joined with `, `). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Origins allowed to send state-changing cookie requests: the API's own origin plus configured ones. */
  readonly allowedOrigins: readonly string[];
  /** @default 'x-keygate-csrf' */
  readonly csrfHeader?: string;
}

export type CsrfResult =
  { readonly ok: true; readonly via: string } | { readonly ok: false; readonly reason: 'csrf_rejected' };

/**
 * Same-origin proof for a cookie-authenticated request. In order:
 * - a safe method passes;
 * - an `Origin` header must be one of `allowedOrigins` (a cross-site origin, or `null`, fails outright,
 *   whatever else the request carries);
 * - `Sec-Fetch-Site: same-origin` passes (Fetch Metadata, sent by current browsers); any other value but
 *   `none` (a user typing the URL) fails;
 * - the CSRF header with a non-empty value passes (a cross-site page cannot add it without a CORS
 *   preflight, which the API's CORS policy refuses for origins it does not list).
 * Anything else fails: no evidence is treated as cross-site.
 */
export function checkCsrf(input: CsrfInput): CsrfResult {
  const method = input.method.toUpperCase();
  if (SAFE_METHODS.has(method)) return { ok: true, via: 'safe-method' };
  const origin = input.headers['origin'];
  const site = input.headers['sec-fetch-site'];
  if (origin !== undefined) {
    const normalized = normalizeOrigin(origin);
    if (normalized !== undefined && input.allowedOrigins.some((o) => normalizeOrigin(o) === normalized)) {
      return { ok: true, via: 'origin' };
    }
    return { ok: false, reason: 'csrf_rejected' };
  }
  if (site === 'same-origin') return { ok: true, via: 'sec-fetch-site' };
  if (site !== undefined && site !== 'none') return { ok: false, reason: 'csrf_rejected' };
  const header = input.headers[(input.csrfHeader ?? DEFAULT_CSRF_HEADER).toLowerCase()];
  if (typeof header === 'string' && header.trim().length > 0) return { ok: true, via: 'csrf-header' };
  return { ok: false, reason: 'csrf_rejected' };
}

/** Where a cookie-authenticated request may come from, besides its own origin. */
export interface CsrfPolicy {
  /** Origins besides the request's own. @default [] */
  readonly allowedOrigins?: readonly string[];
  /** @default 'x-keygate-csrf' */
  readonly csrfHeader?: string;
}

/** What {@link checkRequestCsrf} reads from a request. */
export interface CsrfRequest {
  readonly method: string;
  /** Lower-cased header names; every value kept. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** The origin the browser addressed (`https://<requestContext.domainName>`), when known. */
  readonly ownOrigin?: string;
}

/** {@link checkCsrf} for a request whose headers keep every value, with its own origin allowed. */
export function checkRequestCsrf(request: CsrfRequest, policy: CsrfPolicy): CsrfResult {
  const headers: Record<string, string | undefined> = {};
  // A repeated header is joined, so a doubled Origin can never equal an allowed origin.
  for (const [k, v] of request.headers) headers[k] = v.join(', ');
  return checkCsrf({
    method: request.method,
    headers,
    allowedOrigins: [
      ...(request.ownOrigin !== undefined ? [request.ownOrigin] : []),
      ...(policy.allowedOrigins ?? []),
    ],
    csrfHeader: policy.csrfHeader,
  });
}

function normalizeOrigin(value: string): string | undefined {
  if (value === 'null') return undefined;
  try {
    const u = new URL(value);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
    return u.origin;
  } catch {
    return undefined;
  }
}
