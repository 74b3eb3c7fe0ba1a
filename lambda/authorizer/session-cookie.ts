/**
 * Browser sessions in the authorizer: pure steps the request pipeline calls when `session` is configured.
 *
 * 1. `sessionAccessToken` — reassemble the session cookie chunks, open the AES-256-GCM envelope with the
 *    keyring and hand back the access token; the pipeline then verifies it exactly like a bearer token and
 *    applies the same route requirements. Tampered, truncated, expired and unknown-key sessions are refused
 *    with a reason code before any verification work.
 * 2. the CSRF verdict — a cookie arrives with every request the browser makes, including cross-site form
 *    posts, so state-changing methods need a same-origin proof: common/csrf.ts, the one check shared with
 *    token cookies and the sign-in routes. Bearer-token requests never reach it.
 * 3. `signInRedirect` — for a browser navigation to a `browser` route without a usable session, the URL of
 *    /auth/login (or /auth/refresh when only the access token has expired, whose GET shows a button that
 *    POSTs the refresh) with a safe `returnTo`.
 */
import { DEFAULT_SESSION_COOKIE_NAME } from '../../common/cookie-names';
import { SIGN_IN_PATHS } from '../../common/sign-in-routes';
import type { CsrfResult } from '../../common/csrf';
import { checkRequestCsrf } from '../../common/csrf';
import { parseCookies } from '../../common/session/cookies';
import type { SessionReason } from '../../common/reason-codes';
import { safeReturnTo } from '../../common/session/return-to';
import { openSession, reassembleSession } from '../../common/session/session-envelope';
import type { SessionKeyring } from '../../common/session/session-keys';
import type { StepUpLogin } from '../../common/step-up';

export type SessionTokenResult =
  | { readonly kind: 'absent' }
  | { readonly kind: 'token'; readonly accessToken: string; readonly accessExpired: boolean }
  | { readonly kind: 'refused'; readonly reason: SessionReason };

/**
 * Finds the session in the request's Cookie header(s) (REST: the `Cookie` header; HTTP API payload 2.0: the
 * `cookies` array) and opens it. `absent` means no session cookie at all (the pipeline reports token_missing).
 */
export function sessionAccessToken(
  cookieHeaders: readonly (string | undefined)[] | undefined,
  cookieName: string,
  keyring: SessionKeyring,
  nowSeconds: number,
): SessionTokenResult {
  const cookies = parseCookies(cookieHeaders);
  const envelope = reassembleSession(cookies, cookieName);
  if (!envelope.ok)
    return envelope.reason === 'session_absent'
      ? { kind: 'absent' }
      : { kind: 'refused', reason: 'session_malformed' };
  const opened = openSession(envelope.envelope, keyring, nowSeconds);
  if (!opened.ok) return { kind: 'refused', reason: opened.reason };
  return {
    kind: 'token',
    accessToken: opened.session.accessToken,
    accessExpired: opened.session.accessExpiresAt <= nowSeconds,
  };
}

export interface RedirectInput {
  readonly method: string;
  /** Request path relative to the API root, and its raw query string (without `?`). */
  readonly path: string;
  readonly rawQuery?: string;
  /** Request headers with lower-cased names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Is the matched route marked `browser`? */
  readonly browserRoute: boolean;
  /** The pipeline's unauthenticated outcome: was there a session whose access token has expired? */
  readonly accessExpired: boolean;
  /** The API's absolute base URL as the browser sees it. */
  readonly baseUrl: string;
  /** @default '/auth/login' */
  readonly loginPath?: string;
  /** @default '/auth/refresh' */
  readonly refreshPath?: string;
}

/**
 * Where to send a browser that reached a `browser` route without a usable session, or undefined when the
 * request is not a top-level browser navigation (API clients keep their plain 401). Navigations are told
 * apart by Fetch Metadata (`Sec-Fetch-Mode: navigate`) or, for older browsers, an Accept header preferring
 * HTML. `returnTo` is the requested path when it is a safe relative path, else `/`.
 */
export function signInRedirect(input: RedirectInput): string | undefined {
  if (!input.browserRoute) return undefined;
  const method = input.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  const mode = input.headers['sec-fetch-mode'];
  const accept = input.headers['accept'] ?? '';
  const navigation = mode !== undefined ? mode === 'navigate' : /(^|,)\s*text\/html/i.test(accept);
  if (!navigation) return undefined;
  const requested = input.rawQuery ? `${input.path}?${input.rawQuery}` : input.path;
  const returnTo = safeReturnTo(requested) ?? '/';
  // /auth/refresh answers a GET with a page whose button POSTs the refresh (a navigation never changes
  // the session by itself: common/sign-in-routes.ts).
  const target = input.accessExpired
    ? (input.refreshPath ?? SIGN_IN_PATHS.refresh)
    : (input.loginPath ?? SIGN_IN_PATHS.login);
  const url = `${input.baseUrl}${target}?returnTo=${encodeURIComponent(returnTo)}`;
  // The REST gateway responses substitute this URL unescaped into a JSON string and an HTML attribute
  // (gateway response templates have no escaping function), so it must be made of URL-safe characters
  // only; a configured base URL carrying anything else gets the plain 401 instead of a redirect.
  return SAFE_SIGN_IN_URL.test(url) ? url : undefined;
}

/**
 * The sign-in URL of a browser navigation refused for step-up: the login route with the level and age
 * the route demands (`acr_values`, `max_age`, passed on to the authorization request by the sign-in
 * function: docs/step-up.md), or undefined where signInRedirect would give none.
 *
 * The parameters are joined with `&`, which SAFE_SIGN_IN_URL keeps out of attacker-shaped URLs: here it
 * only ever precedes the fixed names `acr_values` and `max_age`, and the values are percent-encoded
 * tokens. In an HTML attribute an `&` followed by letters is decoded only as a named character reference,
 * and no reference is a prefix of `acr_values=` or `max_age=` (HTML Living Standard, "named character
 * reference state": an unmatched or `=`-followed name stays as written); in the JSON template `&` is
 * an ordinary character.
 */
export function stepUpSignInRedirect(input: RedirectInput, login: StepUpLogin): string | undefined {
  const url = signInRedirect(input);
  if (url === undefined) return undefined;
  const extra = [
    ...(login.acrValues !== undefined ? [`acr_values=${encodeURIComponent(login.acrValues)}`] : []),
    ...(login.maxAge !== undefined ? [`max_age=${login.maxAge}`] : []),
  ];
  if (!extra.every((p) => STEP_UP_PARAMETER.test(p))) return undefined;
  return [url, ...extra].join('&');
}

/** `acr_values` or `max_age` with a percent-encoded value: URL-safe, no `&`, `;`, `#` or quote. */
const STEP_UP_PARAMETER = /^(?:acr_values|max_age)=[A-Za-z0-9%._~-]{1,600}$/;

/** Characters that cannot end a JSON string or an HTML attribute, nor start a character reference. */
const SAFE_SIGN_IN_URL = /^https?:\/\/[A-Za-z0-9\-._~:/?=%!*'()@+,;[\]]+$/;

/** What the pipeline needs from a request to look for a session (a subset of its AuthRequest). */
export interface SessionRequest {
  readonly method: string;
  /** `name=value` pairs (HTTP API 2.0 `cookies`, or the Cookie header split). */
  readonly cookies: readonly string[];
  /** Lower-cased header names; every value kept. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
}

export interface SessionOptions {
  readonly cookieName?: string;
  readonly csrfHeader?: string;
  /** The API's own origin and any configured ones. */
  readonly allowedOrigins: readonly string[];
}

export type SessionStep =
  | { readonly kind: 'absent' }
  | {
      readonly kind: 'token';
      readonly accessToken: string;
      readonly accessExpired: boolean;
      readonly csrf: CsrfResult;
    }
  | { readonly kind: 'refused'; readonly reason: SessionReason | 'session_keys_unavailable' };

/**
 * One call for the pipeline: read the keyring, open the session, and pre-compute the CSRF verdict (the
 * pipeline applies it after verifying the token, so a CSRF refusal is a 403 for a known principal).
 */
export async function openRequestSession(
  request: SessionRequest,
  options: SessionOptions,
  keys: { keyring(): Promise<SessionKeyring> },
  nowSeconds: number,
): Promise<SessionStep> {
  const name = options.cookieName ?? DEFAULT_SESSION_COOKIE_NAME;
  const prefix = `${name}=`;
  if (!request.cookies.some((c) => c.startsWith(prefix))) return { kind: 'absent' };
  let keyring: SessionKeyring;
  try {
    keyring = await keys.keyring();
  } catch {
    return { kind: 'refused', reason: 'session_keys_unavailable' };
  }
  const opened = sessionAccessToken(request.cookies, name, keyring, nowSeconds);
  if (opened.kind === 'absent') return { kind: 'absent' };
  if (opened.kind === 'refused') return opened;
  const csrf = checkRequestCsrf(request, options);
  return { kind: 'token', accessToken: opened.accessToken, accessExpired: opened.accessExpired, csrf };
}

/**
 * A REST API answer that carries a sign-in URL: a Deny of exactly this method ARN (cached nowhere: session
 * authorizers run without result caching) with `signIn` in the context, which the ACCESS_DENIED gateway
 * response maps into its body with `$context.authorizer.signIn`.
 */
export function signInDenyResponse(resourceArn: string, signIn: string, reason: string) {
  return {
    principalId: 'anonymous',
    policyDocument: {
      Version: '2012-10-17' as const,
      Statement: [
        { Action: 'execute-api:Invoke' as const, Effect: 'Deny' as const, Resource: [resourceArn] },
      ],
    },
    context: { signIn, reason },
  };
}
