/**
 * The sign-in routes against a real OpenID provider (the local Keycloak-compatible issuer over HTTPS):
 * login, callback, refresh and logout, and every refusal, driven by a cookie-keeping test browser.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalIssuer } from '../../../local/issuer';
import type { LocalIssuer, RealmRepresentation } from '../../../local/issuer';
import { parseCookies } from '../../../common/session/cookies';
import { createOidcClient } from '../../../lambda/sign-in/oidc-client';
import {
  reassembleSession,
  openSession,
  sealSession,
  sessionSetCookies,
} from '../../../common/session/session-envelope';
import type { SessionData } from '../../../common/session/session-envelope';
import { staticKeyProvider, parseKeyring } from '../../../common/session/session-keys';
import type { SignInLogEntry } from '../../../lambda/sign-in/sign-in';
import { createSignIn } from '../../../lambda/sign-in/sign-in';
import type { SignInConfig } from '../../../lambda/sign-in/sign-in-config';
import { signState, verifyState } from '../../../lambda/sign-in/state-cookie';
import { TestBrowser } from './browser';
import { keyringSecret } from './support';

const APP = 'https://app.keygate.test';
const REALM: RealmRepresentation = {
  realm: 'keygate',
  enabled: true,
  roles: { realm: [{ name: 'model-user' }] },
  clients: [
    { clientId: 'keygate-api', bearerOnly: true },
    {
      clientId: 'keygate-web',
      publicClient: true,
      standardFlowEnabled: true,
      redirectUris: [`${APP}/auth/callback`],
      attributes: { 'post.logout.redirect.uris': `${APP}/` },
      protocolMappers: [
        {
          name: 'api-audience',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-audience-mapper',
          config: { 'included.custom.audience': 'keygate-api', 'access.token.claim': 'true' },
        },
      ],
    },
    {
      clientId: 'keygate-bff',
      publicClient: false,
      standardFlowEnabled: true,
      redirectUris: [`${APP}/auth/callback`],
    },
  ],
  users: [{ username: 'alice', realmRoles: ['model-user'] }],
};

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

describe('sign-in routes against a real OpenID provider', () => {
  let issuer: LocalIssuer;
  const secret = keyringSecret('k1');
  const ring = parseKeyring(secret);
  const logs: SignInLogEntry[] = [];
  let config: SignInConfig;

  beforeAll(async () => {
    issuer = await startLocalIssuer({
      realm: REALM,
      passwords: { alice: 'alice-test-password' },
      clientSecrets: { 'keygate-bff': 'bff-test-secret' },
      accessTokenTtl: 120,
    });
    config = { version: 1, issuer: issuer.issuer, clientId: 'keygate-web', keysSecretId: 'test' };
  });
  afterAll(async () => {
    await issuer?.close();
  });

  function signIn(over: { config?: Partial<SignInConfig>; now?: () => number; clientSecret?: string } = {}) {
    const cfg = { ...config, ...over.config } as SignInConfig;
    return createSignIn({
      config: cfg,
      keys: staticKeyProvider(secret),
      oidc: createOidcClient(cfg, {
        ca: issuer.ca,
        clientSecret: over.clientSecret === undefined ? undefined : async () => over.clientSecret,
      }),
      now: over.now,
      log: (e) => logs.push(e),
    });
  }

  async function signedIn(returnTo = '/me?tab=1') {
    const handle = signIn();
    const browser = new TestBrowser(issuer.ca, APP);
    const login = await browser.app(handle, `/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
    const stateCookie = parseCookies([await browser.jar.getCookieString(APP + '/')]).get(
      '__Host-keygate_login',
    )!;
    const callbackUrl = await browser.signInAtIdp(login.headers.location, 'alice', 'alice-test-password');
    return { handle, browser, login, stateCookie, callbackUrl };
  }

  async function sessionOf(browser: TestBrowser): Promise<SessionData> {
    const cookies = parseCookies([await browser.jar.getCookieString(APP + '/')]);
    const env = reassembleSession(cookies, '__Host-keygate_session');
    if (!env.ok) throw new Error(env.reason);
    const opened = openSession(env.envelope, ring, Math.floor(Date.now() / 1000));
    if (!opened.ok) throw new Error(opened.reason);
    return opened.session;
  }

  it('login redirects to the authorization endpoint with code + PKCE S256, state and nonce, and sets a short-lived state cookie', async () => {
    const browser = new TestBrowser(issuer.ca, APP);
    const res = await browser.app(signIn(), '/auth/login?returnTo=%2Fme');
    expect(res.status).toBe(302);
    expect(res.headers['cache-control']).toBe('no-store');
    const url = new URL(res.headers.location);
    expect(url.origin + url.pathname).toBe(issuer.urls.auth);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'keygate-web',
      redirect_uri: `${APP}/auth/callback`,
      scope: 'openid',
      code_challenge_method: 'S256',
    });
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.cookies).toHaveLength(1);
    expect(res.cookies[0]).toMatch(
      /^__Host-keygate_login=k1\.[^;]+; Path=\/; Max-Age=600; HttpOnly; Secure; SameSite=Lax$/,
    );
    // The verifier never leaves the server side in the URL.
    const state = verifyState(
      res.cookies[0].split(';')[0].split('=')[1],
      ring,
      Math.floor(Date.now() / 1000),
    );
    expect(state.ok && res.headers.location).not.toContain(state.ok ? state.state.codeVerifier : 'x');
  });

  it('callback exchanges the code, verifies the ID token and nonce, sets the encrypted session and returns to returnTo', async () => {
    const { handle, browser, callbackUrl } = await signedIn('/me?tab=1');
    const res = await browser.app(handle, callbackUrl.slice(APP.length));
    expect(res.reason).toBe('signed_in');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`${APP}/me?tab=1`);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    const set = res.cookies.find((c) => c.startsWith('__Host-keygate_session='))!;
    expect(set).toMatch(/; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Lax$/);
    expect(res.cookies).toContainEqual(expect.stringMatching(/^__Host-keygate_login=; .*Max-Age=0/));
    expect(await browser.cookieNames()).toEqual(['__Host-keygate_session']);
    const session = await sessionOf(browser);
    expect(claims(session.accessToken)).toMatchObject({
      typ: 'Bearer',
      preferred_username: 'alice',
      azp: 'keygate-web',
    });
    expect(claims(session.idToken!)).toMatchObject({ typ: 'ID', aud: 'keygate-web' });
    expect(typeof session.refreshToken).toBe('string');
    // No token in clear in any cookie.
    for (const c of res.cookies) expect(c).not.toContain(session.accessToken.split('.')[1]);
  });

  it('step-up: login passes acr_values and max_age on to the provider, drops malformed ones, and comes back', async () => {
    // GIVEN a client answering a step-up challenge (acr_values="gold platinum", max_age=900)
    const handle = signIn();
    const browser = new TestBrowser(issuer.ca, APP);
    const login = await browser.app(
      handle,
      '/auth/login?returnTo=%2Fme&acr_values=gold%20platinum&max_age=900',
    );
    const url = new URL(login.headers.location);
    expect(url.searchParams.get('acr_values')).toBe('gold platinum');
    expect(url.searchParams.get('max_age')).toBe('900');
    // WHEN the person signs in THEN the callback returns to the page that asked
    const callbackUrl = await browser.signInAtIdp(login.headers.location, 'alice', 'alice-test-password');
    const res = await browser.app(handle, callbackUrl.slice(APP.length));
    expect(res).toMatchObject({ status: 302, reason: 'signed_in' });
    expect(res.headers.location).toBe(`${APP}/me`);
    // A malformed level or age is not passed on (the authorizer still checks every token).
    const bad = await new TestBrowser(issuer.ca, APP).app(
      signIn(),
      '/auth/login?returnTo=%2Fme&acr_values=%22gold%22&max_age=-1',
    );
    const badUrl = new URL(bad.headers.location);
    expect([badUrl.searchParams.has('acr_values'), badUrl.searchParams.has('max_age')]).toEqual([
      false,
      false,
    ]);
  });

  it('refuses a replayed callback: the state cookie is gone after use', async () => {
    const { handle, browser, callbackUrl } = await signedIn();
    expect((await browser.app(handle, callbackUrl.slice(APP.length))).reason).toBe('signed_in');
    const replay = await browser.app(handle, callbackUrl.slice(APP.length));
    expect(replay).toMatchObject({ status: 400, reason: 'state_missing' });
  });

  it('refuses a replayed callback that brings the old state cookie back: the code is single-use at the provider', async () => {
    const { handle, browser, stateCookie, callbackUrl } = await signedIn();
    expect((await browser.app(handle, callbackUrl.slice(APP.length))).reason).toBe('signed_in');
    await browser.jar.setCookie(`__Host-keygate_login=${stateCookie}; Path=/; Secure; HttpOnly`, APP + '/');
    expect(await browser.app(handle, callbackUrl.slice(APP.length))).toMatchObject({
      status: 502,
      reason: 'code_exchange_failed',
    });
  });

  it('refuses a callback whose state parameter does not match the cookie', async () => {
    const { handle, browser, callbackUrl } = await signedIn();
    const url = new URL(callbackUrl);
    url.searchParams.set('state', 'A'.repeat(43));
    expect(await browser.app(handle, url.href.slice(APP.length))).toMatchObject({
      status: 400,
      reason: 'state_mismatch',
    });
    expect(await browser.cookieNames()).not.toContain('__Host-keygate_session');
  });

  it('refuses a tampered state cookie', async () => {
    const { handle, browser, stateCookie, callbackUrl } = await signedIn();
    const [kid, payload, sig] = stateCookie.split('.');
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...body, returnTo: '//evil.example' })).toString('base64url');
    await browser.jar.setCookie(
      `__Host-keygate_login=${kid}.${forged}.${sig}; Path=/; Secure; HttpOnly`,
      APP + '/',
    );
    expect(await browser.app(handle, callbackUrl.slice(APP.length))).toMatchObject({
      status: 400,
      reason: 'state_invalid',
    });
  });

  it('refuses an expired state cookie', async () => {
    const { browser, callbackUrl } = await signedIn();
    const later = signIn({ now: () => Date.now() + 601_000 });
    expect(await browser.app(later, callbackUrl.slice(APP.length))).toMatchObject({
      status: 400,
      reason: 'state_expired',
    });
  });

  it('refuses an ID token whose nonce is not the one of this login', async () => {
    const { handle, browser, stateCookie, callbackUrl } = await signedIn();
    const st = verifyState(stateCookie, ring, Math.floor(Date.now() / 1000));
    if (!st.ok) throw new Error('state');
    const otherNonce = signState({ ...st.state, nonce: 'n'.repeat(43) }, ring.current);
    await browser.jar.setCookie(`__Host-keygate_login=${otherNonce}; Path=/; Secure; HttpOnly`, APP + '/');
    expect(await browser.app(handle, callbackUrl.slice(APP.length))).toMatchObject({
      status: 502,
      reason: 'nonce_mismatch',
    });
    expect(await browser.cookieNames()).not.toContain('__Host-keygate_session');
  });

  it('refuses a callback carrying the provider error, and one without a code', async () => {
    const { handle, browser, callbackUrl } = await signedIn();
    const state = new URL(callbackUrl).searchParams.get('state')!;
    const stateCookie = parseCookies([await browser.jar.getCookieString(APP + '/')]).get(
      '__Host-keygate_login',
    )!;
    expect(await browser.app(handle, `/auth/callback?error=access_denied&state=${state}`)).toMatchObject({
      status: 401,
      reason: 'idp_error',
    });
    await browser.jar.setCookie(`__Host-keygate_login=${stateCookie}; Path=/; Secure; HttpOnly`, APP + '/');
    expect(await browser.app(handle, `/auth/callback?state=${state}`)).toMatchObject({
      status: 400,
      reason: 'callback_malformed',
    });
  });

  it.each([
    ['//evil.example/x'],
    ['https://evil.example/'],
    ['/\\evil.example'],
    ['/%2F%2Fevil.example'],
    ['/%09/evil.example'],
  ])('refuses the open-redirect returnTo %j and lands on / after sign-in', async (returnTo) => {
    const handle = signIn();
    const browser = new TestBrowser(issuer.ca, APP);
    const login = await browser.app(handle, `/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
    expect(login.reason).toBe('return_to_refused');
    const callbackUrl = await browser.signInAtIdp(login.headers.location, 'alice', 'alice-test-password');
    const res = await browser.app(handle, callbackUrl.slice(APP.length));
    expect(res.headers.location).toBe(`${APP}/`);
  });

  it('refresh exchanges the refresh token for new tokens and renews the session', async () => {
    const { handle, browser, callbackUrl } = await signedIn();
    await browser.app(handle, callbackUrl.slice(APP.length));
    const before = await sessionOf(browser);
    const res = await browser.app(handle, '/auth/refresh?returnTo=%2Fmodels', 'POST', browser.sameOriginForm);
    expect(res).toMatchObject({ status: 302, reason: 'refreshed' });
    expect(res.headers.location).toBe(`${APP}/models`);
    const after = await sessionOf(browser);
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(claims(after.accessToken)).toMatchObject({ preferred_username: 'alice' });
    expect(after.issuedAt).toBe(before.issuedAt);
  });

  it('refresh by POST answers JSON for scripts', async () => {
    const { handle, browser, callbackUrl } = await signedIn();
    await browser.app(handle, callbackUrl.slice(APP.length));
    const res = await browser.app(handle, '/auth/refresh', 'POST', {
      origin: APP,
      'sec-fetch-site': 'same-origin',
      'sec-fetch-mode': 'cors',
      accept: '*/*',
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ expiresAt: expect.any(Number) });
  });

  it('a refresh the provider refuses ends the session and sends the browser to login', async () => {
    const handle = signIn();
    const browser = new TestBrowser(issuer.ca, APP);
    const now = Math.floor(Date.now() / 1000);
    const forged: SessionData = {
      accessToken: 'a.b.c',
      refreshToken: 'not-a-refresh-token',
      accessExpiresAt: now - 1,
      expiresAt: now + 600,
      issuedAt: now,
    };
    for (const c of sessionSetCookies('__Host-keygate_session', sealSession(forged, ring.current), {
      maxAgeSeconds: 600,
    })) {
      await browser.jar.setCookie(c, APP + '/');
    }
    const res = await browser.app(handle, '/auth/refresh?returnTo=%2Fme', 'POST', browser.sameOriginForm);
    expect(res).toMatchObject({ status: 302, reason: 'refresh_failed' });
    expect(res.headers.location).toBe(`${APP}/auth/login?returnTo=%2Fme`);
    expect(await browser.cookieNames()).toEqual([]);
  });

  it.each([
    ['no session', undefined, 'session_absent'],
    [
      'a tampered session',
      '__Host-keygate_session=1~v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'session_invalid',
    ],
  ])('refresh with %s sends the browser to login', async (_name, cookie, reason) => {
    const browser = new TestBrowser(issuer.ca, APP);
    if (cookie) await browser.jar.setCookie(`${cookie}; Path=/; Secure`, APP + '/');
    const res = await browser.app(signIn(), '/auth/refresh', 'POST', browser.sameOriginForm);
    expect(res).toMatchObject({ status: 302, reason });
    expect(res.headers.location).toBe(`${APP}/auth/login?returnTo=%2F`);
  });

  it('logout clears every session cookie and redirects through end-session with id_token_hint and post_logout_redirect_uri', async () => {
    const { handle, browser, callbackUrl } = await signedIn();
    await browser.app(handle, callbackUrl.slice(APP.length));
    const session = await sessionOf(browser);
    const res = await browser.app(handle, '/auth/logout', 'POST', browser.sameOriginForm);
    expect(res).toMatchObject({ status: 302, reason: 'signed_out' });
    const url = new URL(res.headers.location);
    expect(url.origin + url.pathname).toBe(issuer.urls.logout);
    expect(url.searchParams.get('id_token_hint')).toBe(session.idToken);
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe(`${APP}/`);
    expect(await browser.cookieNames()).toEqual([]);
    // The provider accepts the hint and the registered post-logout URI: its confirmation page, not an error.
    const end = await browser.idp(res.headers.location);
    expect(end.status).toBe(200);
    expect(end.body).toMatch(/<form[^>]*logout/i);
  });

  describe('logout and refresh change state only on a same-origin POST', () => {
    const CROSS_SITE = {
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'navigate',
      accept: 'text/html',
    };

    it.each([
      [
        '/auth/logout',
        'Sign out',
        `${APP}/auth/logout`,
        () => `'self' ${new URL(issuer.urls.logout).origin}`,
      ],
      ['/auth/refresh?returnTo=%2Fme', 'Continue', `${APP}/auth/refresh?returnTo=%2Fme`, () => "'self'"],
    ])(
      'GET %s shows a page whose button POSTs there, and leaves the session alone',
      async (path, button, action, formAction) => {
        const { handle, browser, callbackUrl } = await signedIn();
        await browser.app(handle, callbackUrl.slice(APP.length));
        const before = await browser.jar.getCookieString(APP + '/');
        const res = await browser.app(handle, path, 'GET', CROSS_SITE);
        expect(res).toMatchObject({ status: 200, reason: 'confirm_shown', cookies: [] });
        expect(res.headers).toMatchObject({
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': `default-src 'none'; form-action ${formAction()}; frame-ancestors 'none'; base-uri 'none'`,
          'cache-control': 'no-store',
          // Not no-referrer: that makes browsers send `Origin: null` on the button's POST.
          'referrer-policy': 'same-origin',
        });
        expect(res.headers.location).toBeUndefined();
        expect(res.body).toContain(`<form method="post" action="${action}">`);
        expect(res.body).toContain(`<button type="submit">${button}</button>`);
        expect(res.body).not.toMatch(/<script|<img|<iframe|<link/i);
        expect(await browser.jar.getCookieString(APP + '/')).toBe(before);
        expect(await browser.cookieNames()).toEqual(['__Host-keygate_session']);
      },
    );

    it.each([
      ['a cross-site form POST', CROSS_SITE],
      ['a POST with no same-origin evidence at all', {}],
      [
        'a POST from a sibling subdomain',
        { origin: 'https://other.keygate.test', 'sec-fetch-site': 'same-site' },
      ],
      ['a POST with an opaque Origin', { origin: 'null' }],
    ])('refuses %s to logout and refresh with 403, changing nothing', async (_name, headers) => {
      const { handle, browser, callbackUrl } = await signedIn();
      await browser.app(handle, callbackUrl.slice(APP.length));
      const before = await browser.jar.getCookieString(APP + '/');
      for (const path of ['/auth/logout', '/auth/refresh?returnTo=%2Fme']) {
        const res = await browser.app(handle, path, 'POST', headers);
        expect(res).toMatchObject({ status: 403, reason: 'csrf_rejected', cookies: [] });
        expect(res.headers.location).toBeUndefined();
      }
      expect(await browser.jar.getCookieString(APP + '/')).toBe(before);
    });

    it('accepts a same-origin POST proven by Sec-Fetch-Site alone, or by the CSRF header of a script', async () => {
      const { handle, browser, callbackUrl } = await signedIn();
      await browser.app(handle, callbackUrl.slice(APP.length));
      const viaFetchMetadata = await browser.app(handle, '/auth/refresh', 'POST', {
        'sec-fetch-site': 'same-origin',
        'sec-fetch-mode': 'navigate',
      });
      expect(viaFetchMetadata).toMatchObject({ status: 302, reason: 'refreshed' });
      const viaHeader = await browser.app(handle, '/auth/logout', 'POST', { 'x-keygate-csrf': '1' });
      expect(viaHeader).toMatchObject({ status: 302, reason: 'signed_out' });
      expect(await browser.cookieNames()).toEqual([]);
    });

    it('honours configured origins', async () => {
      const handle = signIn({ config: { allowedOrigins: ['https://portal.example.com'] } });
      const browser = new TestBrowser(issuer.ca, APP);
      const res = await browser.app(handle, '/auth/logout', 'POST', { origin: 'https://portal.example.com' });
      expect(res).toMatchObject({ status: 302, reason: 'signed_out' });
    });
  });

  it('sets and clears every cookie with Path=/, Secure, HttpOnly and no Domain, as the __Host- prefix requires', async () => {
    const { handle, browser, callbackUrl, login } = await signedIn();
    const signedInRes = await browser.app(handle, callbackUrl.slice(APP.length));
    const refreshed = await browser.app(handle, '/auth/refresh', 'POST', browser.sameOriginForm);
    const out = await browser.app(handle, '/auth/logout', 'POST', browser.sameOriginForm);
    const all = [...login.cookies, ...signedInRes.cookies, ...refreshed.cookies, ...out.cookies];
    // login: state; callback: session + 3 chunk deletions + state deletion; refresh: 4; logout: 4 + state.
    expect(all).toHaveLength(1 + 5 + 4 + 5);
    for (const c of all) {
      expect(c).toMatch(/^__Host-keygate_(session|session-[1-3]|login)=/);
      const attrs = c.split('; ').slice(1);
      expect(attrs).toContain('Path=/');
      expect(attrs).toContain('Secure');
      expect(attrs).toContain('HttpOnly');
      expect(attrs).toContain('SameSite=Lax');
      expect(attrs.some((a) => /^domain=/i.test(a))).toBe(false);
    }
  });

  it('refuses a session cookie or a state cookie sent twice', async () => {
    const { handle, browser, callbackUrl, stateCookie } = await signedIn();
    const cb = new URL(callbackUrl);
    const twice = await handle({
      method: 'GET',
      path: '/auth/callback',
      query: Object.fromEntries(cb.searchParams),
      cookies: parseCookies([`__Host-keygate_login=${stateCookie}; __Host-keygate_login=${stateCookie}`]),
      headers: {},
      baseUrl: APP,
    });
    expect(twice).toMatchObject({ status: 400, reason: 'state_invalid' });
    await browser.app(handle, callbackUrl.slice(APP.length));
    const cookie = await browser.jar.getCookieString(APP + '/');
    const refreshed = await handle({
      method: 'POST',
      path: '/auth/refresh',
      query: {},
      cookies: parseCookies([cookie, cookie]),
      headers: browser.sameOriginForm,
      baseUrl: APP,
    });
    expect(refreshed).toMatchObject({ status: 302, reason: 'session_invalid' });
  });

  it('a confidential client authenticates at the token endpoint with its secret; a wrong secret fails the exchange', async () => {
    const run = async (clientSecret: string) => {
      const handle = signIn({ config: { clientId: 'keygate-bff' }, clientSecret });
      const browser = new TestBrowser(issuer.ca, APP);
      const login = await browser.app(handle, '/auth/login');
      const cb = await browser.signInAtIdp(login.headers.location, 'alice', 'alice-test-password');
      return browser.app(handle, cb.slice(APP.length));
    };
    expect((await run('bff-test-secret')).reason).toBe('signed_in');
    expect(await run('wrong-secret')).toMatchObject({ status: 502, reason: 'code_exchange_failed' });
  });

  it('refuses to set a session that cannot fit the cookie budget, instead of a cookie API Gateway would reject', async () => {
    const roles = Array.from({ length: 1500 }, () => randomBytes(12).toString('base64url'));
    const big = await startLocalIssuer({
      realm: {
        ...REALM,
        roles: { realm: roles.map((name) => ({ name })) },
        users: [{ username: 'carol', realmRoles: roles }],
      },
      passwords: { carol: 'carol-test-password' },
    });
    try {
      const cfg: SignInConfig = { ...config, issuer: big.issuer };
      const handle = createSignIn({
        config: cfg,
        keys: staticKeyProvider(secret),
        oidc: createOidcClient(cfg, { ca: big.ca }),
      });
      const browser = new TestBrowser(big.ca, APP);
      const login = await browser.app(handle, '/auth/login');
      const cb = await browser.signInAtIdp(login.headers.location, 'carol', 'carol-test-password');
      expect(await browser.app(handle, cb.slice(APP.length))).toMatchObject({
        status: 502,
        reason: 'session_too_large',
      });
      expect(await browser.cookieNames()).toEqual([]);
    } finally {
      await big.close();
    }
  });

  it('answers 503 without keys and 404 off its routes', async () => {
    const broken = createSignIn({
      config,
      keys: { keyring: () => Promise.reject(new Error('extension down')) },
      oidc: createOidcClient(config, { ca: issuer.ca }),
    });
    const req = { method: 'GET', query: {}, cookies: new Map(), headers: {}, baseUrl: APP };
    expect(await broken({ ...req, path: '/auth/login' })).toMatchObject({
      status: 503,
      reason: 'keys_unavailable',
    });
    expect(await signIn()({ ...req, path: '/auth/other' })).toMatchObject({
      status: 404,
      reason: 'route_unknown',
    });
    expect(await signIn()({ ...req, path: '/auth/callback', method: 'POST' })).toMatchObject({ status: 404 });
  });

  it('never logs a cookie, code, state or token', () => {
    const text = JSON.stringify(logs);
    expect(logs.length).toBeGreaterThan(10);
    expect(text).not.toMatch(/eyJ|__Host-keygate_session|__Host-keygate_login|code=|state=/);
  });
});
