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
import { confirm, json, page, redirect, type SignInResponse } from './responses';

export type { SignInResponse } from './responses';

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

/** What every route needs: the dependencies and the configuration with its defaults applied. */
export interface SignInContext {
  readonly cfg: SignInConfig;
  readonly oidc: OidcClient;
  readonly cookieName: string;
  readonly stateName: string;
  readonly secure: boolean;
  readonly maxSession: number;
  /** Seconds since the epoch. */
  readonly nowSeconds: () => number;
}

export function signInContext(deps: SignInDeps): SignInContext {
  const cfg = deps.config;
  const now = deps.now ?? Date.now;
  return {
    cfg,
    oidc: deps.oidc,
    cookieName: cfg.cookieName ?? SIGN_IN_DEFAULTS.cookieName,
    stateName: cfg.stateCookieName ?? SIGN_IN_DEFAULTS.stateCookieName,
    secure: cfg.secureCookies ?? true,
    maxSession: cfg.maxSessionSeconds ?? SIGN_IN_DEFAULTS.maxSessionSeconds,
    nowSeconds: () => Math.floor(now() / 1000),
  };
}

const paths = SIGN_IN_DEFAULTS.paths;

/** A route: request and keyring in, response out. */
export type SignInRoute = (
  ctx: SignInContext,
  req: SignInRequest,
  keyring: SessionKeyring,
) => Promise<SignInResponse>;

/** The routes by path and method. */
export const SIGN_IN_HANDLERS: Readonly<Record<string, Readonly<Record<string, SignInRoute>>>> = {
  [paths.login]: { GET: login },
  [paths.callback]: { GET: callback },
  [paths.refresh]: { GET: refreshPage, POST: refresh },
  [paths.logout]: { GET: logoutPage, POST: logout },
};

export function createSignIn(deps: SignInDeps) {
  const ctx = signInContext(deps);
  return async function handle(req: SignInRequest): Promise<SignInResponse> {
    const route = own(SIGN_IN_HANDLERS, req.path);
    const run = route && own(route, req.method);
    const res = run ? await runRoute(ctx, deps.keys, run, req) : page(404, 'route_unknown', 'Not found.');
    deps.log?.({ route: route ? req.path : 'unknown', status: res.status, reason: res.reason });
    return res;
  };
}

export type SignInHandler = ReturnType<typeof createSignIn>;

function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/** Runs a route with the current keyring; a keyring that cannot be read, or a route that throws, fails closed. */
async function runRoute(
  ctx: SignInContext,
  keys: SessionKeyProvider,
  run: SignInRoute,
  req: SignInRequest,
): Promise<SignInResponse> {
  let keyring: SessionKeyring | undefined;
  try {
    keyring = await keys.keyring();
  } catch {
    keyring = undefined;
  }
  if (!keyring) return page(503, 'keys_unavailable', 'Sign-in is temporarily unavailable.');
  try {
    return await run(ctx, req, keyring);
  } catch {
    return page(500, 'internal_error', 'Sign-in failed.', [
      clearCookie(ctx.stateName, { secure: ctx.secure }),
    ]);
  }
}

/** The same-origin proof of a state-changing POST: the API's own origin, or a configured one. */
function sameOrigin(ctx: SignInContext, req: SignInRequest): boolean {
  return checkCsrf({
    method: req.method,
    headers: req.headers,
    allowedOrigins: [new URL(req.baseUrl).origin, ...(ctx.cfg.allowedOrigins ?? [])],
    csrfHeader: ctx.cfg.csrfHeader,
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

/** The session a token set makes, bounded by the refresh token's life and the configured maximum. */
export function newSession(
  tokens: TokenSet,
  previous: SessionData | undefined,
  now: number,
  maxSession: number,
): SessionData {
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

/** The session's Set-Cookie values; undefined when even without the ID token it exceeds the cookie budget. */
function setSession(
  ctx: SignInContext,
  session: SessionData,
  keyring: SessionKeyring,
  now: number,
): string[] | undefined {
  const opts = { maxAgeSeconds: session.expiresAt - now, secure: ctx.secure };
  try {
    return sessionSetCookies(ctx.cookieName, sealSession(session, keyring.current), opts);
  } catch (e) {
    if (!(e instanceof SessionTooLargeError)) throw e;
  }
  // The ID token only serves as logout's id_token_hint; Keycloak then logs out by client_id with a
  // confirmation page. Dropping it keeps very large token sets (many roles) usable.
  try {
    return sessionSetCookies(
      ctx.cookieName,
      sealSession({ ...session, idToken: undefined }, keyring.current),
      opts,
    );
  } catch (e) {
    if (!(e instanceof SessionTooLargeError)) throw e;
    return undefined;
  }
}

function endSession(ctx: SignInContext): string[] {
  return [
    ...clearSessionCookies(ctx.cookieName, { secure: ctx.secure }),
    clearCookie(ctx.stateName, { secure: ctx.secure }),
  ];
}

/** GET /auth/login: a signed state cookie, then 302 to the provider (authorization code + PKCE S256). */
export async function login(
  ctx: SignInContext,
  req: SignInRequest,
  keyring: SessionKeyring,
): Promise<SignInResponse> {
  const asked = req.query.returnTo;
  const safe = asked === undefined ? undefined : safeReturnTo(asked);
  const returnTo = safe ?? '/';
  const now = ctx.nowSeconds();
  const state = randomToken();
  const nonce = randomToken();
  const codeVerifier = randomToken();
  const stateCookie = serializeCookie(
    ctx.stateName,
    signState({ state, nonce, codeVerifier, returnTo, expiresAt: now + STATE_TTL_SECONDS }, keyring.current),
    { maxAge: STATE_TTL_SECONDS, secure: ctx.secure, httpOnly: true, sameSite: 'Lax' },
  );
  const location = ctx.oidc.authorizationUrl({
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

/** The login state the callback continues, or the page that refuses it. */
function callbackState(
  ctx: SignInContext,
  req: SignInRequest,
  keyring: SessionKeyring,
  now: number,
  clearState: string[],
): { readonly state: LoginState } | { readonly refused: SignInResponse } {
  const raw = req.cookies.get(ctx.stateName);
  const invalid = 'Sign-in state is invalid. Please sign in again.';
  // Two state cookies: one may be a login attempt planted by someone else; neither is trusted.
  if (req.cookies.repeated?.has(ctx.stateName))
    return { refused: page(400, 'state_invalid', invalid, clearState) };
  if (!raw) {
    return {
      refused: page(
        400,
        'state_missing',
        'Sign-in expired or was started elsewhere. Please sign in again.',
        clearState,
      ),
    };
  }
  const verified = verifyState(raw, keyring, now);
  if (!verified.ok) return { refused: page(400, verified.reason, invalid, clearState) };
  if (typeof req.query.state !== 'string' || !sameState(req.query.state, verified.state.state)) {
    return {
      refused: page(400, 'state_mismatch', 'Sign-in state does not match. Please sign in again.', clearState),
    };
  }
  return { state: verified.state };
}

type LoginState = Extract<ReturnType<typeof verifyState>, { ok: true }>['state'];

/** The code exchanged and the ID token verified against the login's nonce, or the page that refuses it. */
async function verifiedTokens(
  ctx: SignInContext,
  req: SignInRequest,
  st: LoginState,
  clearState: string[],
): Promise<{ readonly tokens: TokenSet } | { readonly refused: SignInResponse }> {
  const code = req.query.code;
  if (typeof code !== 'string' || code.length === 0 || code.length > 4096) {
    return { refused: page(400, 'callback_malformed', 'Sign-in callback is incomplete.', clearState) };
  }
  let tokens: TokenSet;
  try {
    tokens = await ctx.oidc.exchangeCode(code, st.codeVerifier, `${req.baseUrl}${paths.callback}`);
  } catch {
    return {
      refused: page(
        502,
        'code_exchange_failed',
        'Sign-in could not be completed. Please try again.',
        clearState,
      ),
    };
  }
  const unverified = (reason: SignInReason) => ({
    refused: page(502, reason, 'Sign-in could not be verified.', clearState),
  });
  if (!tokens.idToken) return unverified('id_token_invalid');
  try {
    await ctx.oidc.verifyIdToken(tokens.idToken, st.nonce);
  } catch (e) {
    if (e instanceof NonceMismatchError) return unverified('nonce_mismatch');
    if (e instanceof IdTokenError) return unverified('id_token_invalid');
    throw e;
  }
  return { tokens };
}

/** GET /auth/callback: state checked, code exchanged, ID token and nonce verified, session set. */
export async function callback(
  ctx: SignInContext,
  req: SignInRequest,
  keyring: SessionKeyring,
): Promise<SignInResponse> {
  const clearState = [clearCookie(ctx.stateName, { secure: ctx.secure })];
  const now = ctx.nowSeconds();
  const checked = callbackState(ctx, req, keyring, now, clearState);
  if ('refused' in checked) return checked.refused;
  if (req.query.error !== undefined) {
    return page(401, 'idp_error', 'The identity provider did not sign you in.', clearState);
  }
  const exchanged = await verifiedTokens(ctx, req, checked.state, clearState);
  if ('refused' in exchanged) return exchanged.refused;
  const cookies = setSession(ctx, newSession(exchanged.tokens, undefined, now, ctx.maxSession), keyring, now);
  if (!cookies)
    return page(502, 'session_too_large', 'Your sign-in is too large for a browser session.', clearState);
  return redirect(`${req.baseUrl}${checked.state.returnTo}`, 'signed_in', [...cookies, ...clearState]);
}

function currentSession(ctx: SignInContext, req: SignInRequest, keyring: SessionKeyring, now: number) {
  const envelope = reassembleSession(req.cookies, ctx.cookieName);
  if (!envelope.ok)
    return envelope.reason === 'session_absent' ? ('session_absent' as const) : ('session_invalid' as const);
  const opened = openSession(envelope.envelope, keyring, now);
  return opened.ok ? opened.session : ('session_invalid' as const);
}

/** GET /auth/refresh: a page whose button POSTs there; nothing changes. */
export async function refreshPage(_ctx: SignInContext, req: SignInRequest): Promise<SignInResponse> {
  return confirm('confirm_shown', {
    title: 'Continue your session',
    message: 'Your session needs renewing to continue.',
    button: 'Continue',
    action: `${req.baseUrl}${paths.refresh}?returnTo=${encodeURIComponent(returnToOf(req))}`,
    formTargets: [],
  });
}

/** GET /auth/logout: a page whose button POSTs there; nothing changes. */
export async function logoutPage(ctx: SignInContext, req: SignInRequest): Promise<SignInResponse> {
  const location = ctx.oidc.endSessionUrl({ postLogoutRedirectUri: req.baseUrl });
  return confirm('confirm_shown', {
    title: 'Sign out',
    message: 'Sign out of this application and of your single sign-on session?',
    button: 'Sign out',
    action: `${req.baseUrl}${paths.logout}`,
    formTargets: [new URL(location).origin],
  });
}

/** POST /auth/refresh: tokens refreshed with the refresh token; a failure ends the session. */
export async function refresh(
  ctx: SignInContext,
  req: SignInRequest,
  keyring: SessionKeyring,
): Promise<SignInResponse> {
  if (!sameOrigin(ctx, req)) return crossSite();
  // A form posted from the confirmation page is a navigation and gets redirects; a script gets JSON.
  const wantsJson = !isNavigation(req.headers);
  const returnTo = returnToOf(req);
  const now = ctx.nowSeconds();
  const fail = (reason: SignInReason): SignInResponse =>
    wantsJson
      ? json(401, reason, { error: 'session_ended', login: `${req.baseUrl}${paths.login}` }, endSession(ctx))
      : redirect(loginUrl(req.baseUrl, returnTo), reason, endSession(ctx));
  const session = currentSession(ctx, req, keyring, now);
  if (typeof session === 'string') return fail(session);
  if (!session.refreshToken) return fail('refresh_unavailable');
  let tokens: TokenSet;
  try {
    tokens = await ctx.oidc.refresh(session.refreshToken);
    if (tokens.idToken) await ctx.oidc.verifyIdToken(tokens.idToken);
  } catch {
    return fail('refresh_failed');
  }
  const next = newSession(tokens, session, now, ctx.maxSession);
  const cookies = setSession(ctx, next, keyring, now);
  if (!cookies) return fail('session_too_large');
  return wantsJson
    ? json(200, 'refreshed', { expiresAt: next.accessExpiresAt }, cookies)
    : redirect(`${req.baseUrl}${returnTo}`, 'refreshed', cookies);
}

/** POST /auth/logout: session cleared, 302 through the provider's end-session endpoint. */
export async function logout(
  ctx: SignInContext,
  req: SignInRequest,
  keyring: SessionKeyring,
): Promise<SignInResponse> {
  if (!sameOrigin(ctx, req)) return crossSite();
  const session = currentSession(ctx, req, keyring, ctx.nowSeconds());
  const postLogout = `${req.baseUrl}${ctx.cfg.postLogoutPath ?? SIGN_IN_DEFAULTS.postLogoutPath}`;
  const location = ctx.oidc.endSessionUrl({
    idTokenHint: typeof session === 'string' ? undefined : session.idToken,
    postLogoutRedirectUri: postLogout,
  });
  return redirect(location, 'signed_out', endSession(ctx));
}

/**
 * A top-level navigation (a form post from the confirmation page) rather than a script's fetch: Fetch
 * Metadata's `Sec-Fetch-Mode: navigate`, or, from browsers without it, an Accept header asking for HTML.
 */
function isNavigation(headers: Readonly<Record<string, string | undefined>>): boolean {
  const mode = headers['sec-fetch-mode'];
  if (mode !== undefined) return mode === 'navigate';
  return /(^|,)\s*text\/html/i.test(headers['accept'] ?? '');
}
