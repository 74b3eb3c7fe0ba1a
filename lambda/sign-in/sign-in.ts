/**
 * The sign-in routes as one pure core: request in, response out, no AWS types. Dependencies (keyring,
 * OpenID client, clock, logger) are parameters so tests run the real flow against a real provider.
 *
 *   GET  /auth/login?returnTo=/path   → 302 to the provider (authorization code + PKCE S256), state cookie
 *   GET  /auth/callback?code&state    → state checked, code exchanged, ID token + nonce verified, session set
 *   POST /auth/refresh                → tokens refreshed with the refresh token; a failure ends the session
 *   POST /auth/logout                 → session cleared, 302 through the provider's end-session endpoint
 *   GET  /auth/refresh, /auth/logout  → a page whose button POSTs there; nothing changes
 *
 * Refresh and logout change state, so, like every cookie-authenticated state change, they act only on a
 * POST with a same-origin proof (common/csrf.ts): a cross-site page can neither end someone's session (and
 * their identity provider session, through id_token_hint) nor rotate it.
 */
import { stepUpLoginOf } from '../../common/step-up';
import { checkCsrf } from '../../common/csrf';
import { confirmPageBody, confirmPageHeaders } from './confirm-page';
import type { ConfirmPage } from './confirm-page';
import { clearCookie, serializeCookie } from '../../common/session/cookies';
import type { OidcClient, TokenSet } from './oidc-client';
import { IdTokenError, NonceMismatchError } from './oidc-client';
import { pkceChallengeS256, randomToken } from './pkce';
import type { SignInReason } from '../../common/reason-codes';
import { safeReturnTo } from '../../common/session/return-to';
import type { SessionCookies, SessionData } from '../../common/session/session-envelope';
import {
  SessionTooLargeError,
  clearSessionCookies,
  openSession,
  reassembleSession,
  sealSession,
  sessionSetCookies,
} from '../../common/session/session-envelope';
import type { SessionKeyProvider, SessionKeyring } from '../../common/session/session-keys';
import type { SignInConfig } from './sign-in-config';
import { SIGN_IN_DEFAULTS } from './sign-in-config';
import { STATE_TTL_SECONDS, sameState, signState, verifyState } from './state-cookie';

export interface SignInRequest {
  readonly method: string;
  /** Path relative to the API root, e.g. `/auth/login`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** Cookies by name; `repeated` lists names that arrived twice (parseCookies). */
  readonly cookies: SessionCookies;
  /** Request headers, lower-cased names (a repeated header joined with `, `). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The API's absolute base URL as the browser sees it (see public-url.ts). */
  readonly baseUrl: string;
}

export interface SignInResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Set-Cookie values, one header each. */
  readonly cookies: readonly string[];
  readonly body: string;
  /** For the log line and the tests; never sent to the browser. */
  readonly reason: SignInReason;
}

/** What the function logs per request: no cookie, token, code or state value ever. */
export interface SignInLogEntry {
  readonly route: string;
  readonly status: number;
  readonly reason: SignInReason;
  readonly returnToRefused?: boolean;
  readonly oauthError?: string;
}

export interface SignInDeps {
  readonly config: SignInConfig;
  readonly keys: SessionKeyProvider;
  readonly oidc: OidcClient;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  readonly log?: (entry: SignInLogEntry) => void;
}

// Never cached, and the callback URL (it carries the code) is never sent on as a Referer.
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache', 'referrer-policy': 'no-referrer' };

export function createSignIn(deps: SignInDeps) {
  const cfg = deps.config;
  const cookieName = cfg.cookieName ?? SIGN_IN_DEFAULTS.cookieName;
  const stateName = cfg.stateCookieName ?? SIGN_IN_DEFAULTS.stateCookieName;
  const secure = cfg.secureCookies ?? true;
  const maxSession = cfg.maxSessionSeconds ?? SIGN_IN_DEFAULTS.maxSessionSeconds;
  const paths = SIGN_IN_DEFAULTS.paths;
  const nowSeconds = () => Math.floor((deps.now ?? Date.now)() / 1000);

  function redirect(location: string, reason: SignInReason, cookies: string[] = []): SignInResponse {
    return { status: 302, headers: { location, ...NO_STORE }, cookies, body: '', reason };
  }

  function page(
    status: number,
    reason: SignInReason,
    message: string,
    cookies: string[] = [],
  ): SignInResponse {
    // Fixed text only: nothing from the request is reflected.
    return {
      status,
      headers: { 'content-type': 'text/plain; charset=utf-8', ...NO_STORE },
      cookies,
      body: `${message}\n`,
      reason,
    };
  }

  function json(status: number, reason: SignInReason, body: unknown, cookies: string[] = []): SignInResponse {
    return {
      status,
      headers: { 'content-type': 'application/json', ...NO_STORE },
      cookies,
      body: JSON.stringify(body),
      reason,
    };
  }

  function confirm(reason: SignInReason, p: ConfirmPage): SignInResponse {
    return {
      status: 200,
      headers: { ...NO_STORE, ...confirmPageHeaders(p) },
      cookies: [],
      body: confirmPageBody(p),
      reason,
    };
  }

  /** The same-origin proof of a state-changing POST: the API's own origin, or a configured one. */
  function sameOrigin(req: SignInRequest): boolean {
    return checkCsrf({
      method: req.method,
      headers: req.headers,
      allowedOrigins: [new URL(req.baseUrl).origin, ...(cfg.allowedOrigins ?? [])],
      csrfHeader: cfg.csrfHeader,
    }).ok;
  }

  function crossSite(): SignInResponse {
    return page(403, 'csrf_rejected', 'This request did not come from this site. Nothing was changed.');
  }

  function returnToOf(req: SignInRequest): string {
    const asked = req.query.returnTo;
    return (asked === undefined ? undefined : safeReturnTo(asked)) ?? '/';
  }

  function loginUrl(base: string, returnTo: string): string {
    return `${base}${paths.login}?returnTo=${encodeURIComponent(returnTo)}`;
  }

  function newSession(tokens: TokenSet, previous: SessionData | undefined, now: number): SessionData {
    const refreshToken = tokens.refreshToken ?? previous?.refreshToken;
    // Keycloak reports the refresh token's remaining life; 0 means an offline token (no idle expiry).
    const refreshLife =
      tokens.refreshExpiresIn && tokens.refreshExpiresIn > 0 ? tokens.refreshExpiresIn : maxSession;
    const life = refreshToken ? Math.min(maxSession, refreshLife) : Math.min(maxSession, tokens.expiresIn);
    const cap = previous ? previous.issuedAt + maxSession : now + maxSession;
    return {
      accessToken: tokens.accessToken,
      refreshToken,
      idToken: tokens.idToken ?? previous?.idToken,
      accessExpiresAt: now + tokens.expiresIn,
      expiresAt: Math.min(now + life, cap),
      issuedAt: previous?.issuedAt ?? now,
    };
  }

  /** Undefined when even without the ID token the session exceeds the cookie budget. */
  function setSession(session: SessionData, keyring: SessionKeyring, now: number): string[] | undefined {
    const opts = { maxAgeSeconds: session.expiresAt - now, secure };
    try {
      return sessionSetCookies(cookieName, sealSession(session, keyring.current), opts);
    } catch (e) {
      if (!(e instanceof SessionTooLargeError)) throw e;
    }
    // The ID token only serves as logout's id_token_hint; Keycloak then logs out by client_id with a
    // confirmation page. Dropping it keeps very large token sets (many roles) usable.
    try {
      return sessionSetCookies(
        cookieName,
        sealSession({ ...session, idToken: undefined }, keyring.current),
        opts,
      );
    } catch (e) {
      if (!(e instanceof SessionTooLargeError)) throw e;
      return undefined;
    }
  }

  function endSession(): string[] {
    return [...clearSessionCookies(cookieName, { secure }), clearCookie(stateName, { secure })];
  }

  async function login(req: SignInRequest, keyring: SessionKeyring): Promise<SignInResponse> {
    const asked = req.query.returnTo;
    const safe = asked === undefined ? undefined : safeReturnTo(asked);
    const returnTo = safe ?? '/';
    const now = nowSeconds();
    const state = randomToken();
    const nonce = randomToken();
    const codeVerifier = randomToken();
    const stateCookie = serializeCookie(
      stateName,
      signState(
        { state, nonce, codeVerifier, returnTo, expiresAt: now + STATE_TTL_SECONDS },
        keyring.current,
      ),
      { maxAge: STATE_TTL_SECONDS, secure, httpOnly: true, sameSite: 'Lax' },
    );
    const location = deps.oidc.authorizationUrl({
      state,
      nonce,
      codeChallenge: pkceChallengeS256(codeVerifier),
      redirectUri: `${req.baseUrl}${paths.callback}`,
      stepUp: stepUpLoginOf(req.query),
    });
    const reason: SignInReason =
      asked !== undefined && safe === undefined ? 'return_to_refused' : 'login_started';
    return redirect(location, reason, [stateCookie]);
  }

  async function callback(req: SignInRequest, keyring: SessionKeyring): Promise<SignInResponse> {
    const clearState = [clearCookie(stateName, { secure })];
    const raw = req.cookies.get(stateName);
    // Two state cookies: one may be a login attempt planted by someone else; neither is trusted.
    if (req.cookies.repeated?.has(stateName))
      return page(400, 'state_invalid', 'Sign-in state is invalid. Please sign in again.', clearState);
    if (!raw)
      return page(
        400,
        'state_missing',
        'Sign-in expired or was started elsewhere. Please sign in again.',
        clearState,
      );
    const now = nowSeconds();
    const verified = verifyState(raw, keyring, now);
    if (!verified.ok)
      return page(400, verified.reason, 'Sign-in state is invalid. Please sign in again.', clearState);
    const st = verified.state;
    if (typeof req.query.state !== 'string' || !sameState(req.query.state, st.state)) {
      return page(400, 'state_mismatch', 'Sign-in state does not match. Please sign in again.', clearState);
    }
    if (req.query.error !== undefined) {
      return page(401, 'idp_error', 'The identity provider did not sign you in.', clearState);
    }
    const code = req.query.code;
    if (typeof code !== 'string' || code.length === 0 || code.length > 4096) {
      return page(400, 'callback_malformed', 'Sign-in callback is incomplete.', clearState);
    }
    let tokens: TokenSet;
    try {
      tokens = await deps.oidc.exchangeCode(code, st.codeVerifier, `${req.baseUrl}${paths.callback}`);
    } catch {
      return page(
        502,
        'code_exchange_failed',
        'Sign-in could not be completed. Please try again.',
        clearState,
      );
    }
    if (!tokens.idToken) return page(502, 'id_token_invalid', 'Sign-in could not be verified.', clearState);
    try {
      await deps.oidc.verifyIdToken(tokens.idToken, st.nonce);
    } catch (e) {
      const reason: SignInReason = e instanceof NonceMismatchError ? 'nonce_mismatch' : 'id_token_invalid';
      if (!(e instanceof NonceMismatchError) && !(e instanceof IdTokenError)) throw e;
      return page(502, reason, 'Sign-in could not be verified.', clearState);
    }
    const cookies = setSession(newSession(tokens, undefined, now), keyring, now);
    if (!cookies)
      return page(502, 'session_too_large', 'Your sign-in is too large for a browser session.', clearState);
    return redirect(`${req.baseUrl}${st.returnTo}`, 'signed_in', [...cookies, ...clearState]);
  }

  function currentSession(req: SignInRequest, keyring: SessionKeyring, now: number) {
    const envelope = reassembleSession(req.cookies, cookieName);
    if (!envelope.ok)
      return envelope.reason === 'session_absent'
        ? ('session_absent' as const)
        : ('session_invalid' as const);
    const opened = openSession(envelope.envelope, keyring, now);
    return opened.ok ? opened.session : ('session_invalid' as const);
  }

  async function refreshPage(req: SignInRequest): Promise<SignInResponse> {
    return confirm('confirm_shown', {
      title: 'Continue your session',
      message: 'Your session needs renewing to continue.',
      button: 'Continue',
      action: `${req.baseUrl}${paths.refresh}?returnTo=${encodeURIComponent(returnToOf(req))}`,
      formTargets: [],
    });
  }

  async function logoutPage(req: SignInRequest): Promise<SignInResponse> {
    const location = deps.oidc.endSessionUrl({ postLogoutRedirectUri: req.baseUrl });
    return confirm('confirm_shown', {
      title: 'Sign out',
      message: 'Sign out of this application and of your single sign-on session?',
      button: 'Sign out',
      action: `${req.baseUrl}${paths.logout}`,
      formTargets: [new URL(location).origin],
    });
  }

  async function refresh(req: SignInRequest, keyring: SessionKeyring): Promise<SignInResponse> {
    if (!sameOrigin(req)) return crossSite();
    // A form posted from the confirmation page is a navigation and gets redirects; a script gets JSON.
    const wantsJson = !isNavigation(req.headers);
    const returnTo = returnToOf(req);
    const now = nowSeconds();
    const fail = (reason: SignInReason): SignInResponse =>
      wantsJson
        ? json(401, reason, { error: 'session_ended', login: `${req.baseUrl}${paths.login}` }, endSession())
        : redirect(loginUrl(req.baseUrl, returnTo), reason, endSession());
    const session = currentSession(req, keyring, now);
    if (typeof session === 'string') return fail(session);
    if (!session.refreshToken) return fail('refresh_unavailable');
    let tokens: TokenSet;
    try {
      tokens = await deps.oidc.refresh(session.refreshToken);
      if (tokens.idToken) await deps.oidc.verifyIdToken(tokens.idToken);
    } catch {
      return fail('refresh_failed');
    }
    const next = newSession(tokens, session, now);
    const cookies = setSession(next, keyring, now);
    if (!cookies) return fail('session_too_large');
    return wantsJson
      ? json(200, 'refreshed', { expiresAt: next.accessExpiresAt }, cookies)
      : redirect(`${req.baseUrl}${returnTo}`, 'refreshed', cookies);
  }

  async function logout(req: SignInRequest, keyring: SessionKeyring): Promise<SignInResponse> {
    if (!sameOrigin(req)) return crossSite();
    const session = currentSession(req, keyring, nowSeconds());
    const postLogout = `${req.baseUrl}${cfg.postLogoutPath ?? SIGN_IN_DEFAULTS.postLogoutPath}`;
    const location = deps.oidc.endSessionUrl({
      idTokenHint: typeof session === 'string' ? undefined : session.idToken,
      postLogoutRedirectUri: postLogout,
    });
    return redirect(location, 'signed_out', endSession());
  }

  type Run = (req: SignInRequest, keyring: SessionKeyring) => Promise<SignInResponse>;
  const routes: Record<string, Readonly<Record<string, Run>>> = {
    [paths.login]: { GET: login },
    [paths.callback]: { GET: callback },
    [paths.refresh]: { GET: refreshPage, POST: refresh },
    [paths.logout]: { GET: logoutPage, POST: logout },
  };

  return async function handle(req: SignInRequest): Promise<SignInResponse> {
    let res: SignInResponse;
    const route = Object.prototype.hasOwnProperty.call(routes, req.path) ? routes[req.path] : undefined;
    const run =
      route && Object.prototype.hasOwnProperty.call(route, req.method) ? route[req.method] : undefined;
    if (!run) {
      res = page(404, 'route_unknown', 'Not found.');
    } else {
      let keyring: SessionKeyring | undefined;
      try {
        keyring = await deps.keys.keyring();
      } catch {
        keyring = undefined;
      }
      if (!keyring) {
        res = page(503, 'keys_unavailable', 'Sign-in is temporarily unavailable.');
      } else {
        try {
          res = await run(req, keyring);
        } catch {
          res = page(500, 'internal_error', 'Sign-in failed.', [clearCookie(stateName, { secure })]);
        }
      }
    }
    deps.log?.({ route: route ? req.path : 'unknown', status: res.status, reason: res.reason });
    return res;
  };
}

export type SignInHandler = ReturnType<typeof createSignIn>;

/**
 * A top-level navigation (a form post from the confirmation page) rather than a script's fetch: Fetch
 * Metadata's `Sec-Fetch-Mode: navigate`, or, from browsers without it, an Accept header asking for HTML.
 */
function isNavigation(headers: Readonly<Record<string, string | undefined>>): boolean {
  const mode = headers['sec-fetch-mode'];
  if (mode !== undefined) return mode === 'navigate';
  return /(^|,)\s*text\/html/i.test(headers['accept'] ?? '');
}
