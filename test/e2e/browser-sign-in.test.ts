/**
 * The whole browser flow, end to end: a cookie-keeping browser, the local Keycloak-compatible issuer over
 * HTTPS, the sign-in routes, and the real authorizer handler called with API Gateway-shaped REST events
 * (its IAM answers evaluated against the request's method ARN, as API Gateway does).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTHORIZER_CONFIG_ENV, validateSessionBlock } from '../../common/authorizer-config';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import type { StageConfig } from '../../common/app-config';
import { matchRoute, routeKey } from '../../common/route-model';
import type { DecisionLine, DecisionLog } from '../../lambda/authorizer/decision-log';
import { createHandler } from '../../lambda/authorizer/handler';
import { createSessionSupport } from '../../lambda/authorizer/session-support';
import { loadConfig } from '../../lambda/authorizer/load-config';
import { createTokenVerifier } from '../../lambda/authorizer/verify-token';
import { parseCookies } from '../../common/session/cookies';
import { createOidcClient } from '../../lambda/sign-in/oidc-client';
import type { SessionData } from '../../common/session/session-envelope';
import {
  openSession,
  reassembleSession,
  sealSession,
  sessionSetCookies,
} from '../../common/session/session-envelope';
import { parseKeyring, staticKeyProvider } from '../../common/session/session-keys';
import { createSignIn } from '../../lambda/sign-in/sign-in';
import type { SignInConfig } from '../../lambda/sign-in/sign-in-config';
import { authorizerEventRest, methodArn } from '../../local/gateway/api-events';
import type { ApiContext } from '../../local/gateway/api-events';
import { evaluatePolicy } from '../../local/gateway/iam-policy';
import { withLocalIssuer } from '../../local/assembly/assembly-issuer';
import { startLocalIssuer } from '../../local/issuer';
import { postForm } from '../../local/http/request';
import { buildRealm } from '../../realm/realm-definition';
import { TestBrowser } from '../lambda/sign-in/browser';
import { synthesizedAuthorizerConfig } from '../support/assembly-authorizer-config';
import { keyringSecret } from '../lambda/sign-in/support';

const HOST = 'k3yg4te001.execute-api.eu-west-1.amazonaws.com';
const APP = `https://${HOST}/prod`;
const API: ApiContext = {
  type: 'rest',
  region: 'eu-west-1',
  accountId: '111122223333',
  apiId: 'k3yg4te001',
  stage: 'prod',
};
const PASSWORDS = { alice: 'alice-e2e-password', bob: 'bob-e2e-password' };
const NAVIGATE = {
  'sec-fetch-mode': 'navigate',
  'sec-fetch-site': 'none',
  accept: 'text/html,application/xhtml+xml',
};

const dev = DEFAULT_APP_CONFIG.stages.dev;
const STAGE: StageConfig = { ...dev, keycloak: { ...dev.keycloak, redirectUris: [`${APP}/auth/callback`] } };

/** The authorizer config the stage deploys (synthesized once), rewritten to each run's local issuer. */
let deployed: AuthorizerConfig;
beforeAll(async () => {
  // Without the usage tiers: their API keys live in Secrets Manager, which this handler is not given (the
  // served stage's tests cover them); sign-in never touches them.
  const { usage, ...rest } = await synthesizedAuthorizerConfig(STAGE);
  expect(usage).toBeDefined();
  deployed = rest;
});

interface GatewayAnswer {
  readonly status: number;
  readonly reason?: string;
  readonly context?: Record<string, string>;
}

/** A stack on loopback: issuer, sign-in core, authorizer. `accessTokenTtl` short for the refresh case. */
async function startStack(accessTokenTtl = 300) {
  const realm = buildRealm(STAGE, { includeTestUsers: true, testUserPasswords: PASSWORDS });
  const issuer = await startLocalIssuer({ realm, passwords: PASSWORDS, accessTokenTtl });
  const secret = keyringSecret('k1');
  const ring = parseKeyring(secret);
  const decisions: DecisionLine[] = [];
  const log: DecisionLog = { decision: (l) => decisions.push(l), jwksFailure() {}, configInvalid() {} };
  const sessionConfig = { keysSecretId: 'local', browserRoutes: ['GET /me'] };
  const config: AuthorizerConfig = {
    // As `keygate local` serves it: the deployed config naming the local issuer in place of the realm;
    // sessions run uncached, as the constructs configure them.
    ...withLocalIssuer(deployed, STAGE.keycloak.issuer, issuer.issuer),
    resultCacheTtlSeconds: 0,
    clockSkewSeconds: 0,
    session: sessionConfig,
  };
  const authorizer = createHandler({
    config: loadConfig({ [AUTHORIZER_CONFIG_ENV]: JSON.stringify(config) }, validateSessionBlock),
    createVerifier: (c, events) => createTokenVerifier(c, { events, requestOptions: { ca: issuer.ca } }),
    sessions: createSessionSupport(sessionConfig, staticKeyProvider(secret)),
    log,
  });
  const signInConfig: SignInConfig = {
    version: 1,
    issuer: issuer.issuer,
    clientId: STAGE.keycloak.peopleClientId,
    keysSecretId: 'local',
  };
  const signIn = createSignIn({
    config: signInConfig,
    keys: staticKeyProvider(secret),
    oidc: createOidcClient(signInConfig, { ca: issuer.ca }),
  });

  /** API Gateway in front of a keycloak route: REQUEST authorizer event, then the policy against the method ARN. */
  async function call(
    browser: TestBrowser | undefined,
    method: string,
    pathAndQuery: string,
    headers: Record<string, string> = {},
  ): Promise<GatewayAnswer> {
    const url = new URL(pathAndQuery, 'https://x');
    const match = matchRoute(config.routes, method, url.pathname);
    if (!match) throw new Error(`no route for ${method} ${url.pathname}`);
    const cookie = browser ? await browser.jar.getCookieString(`${APP}${url.pathname}`) : '';
    const raw: [string, string][] = [['Host', HOST], ...Object.entries(headers)];
    if (cookie) raw.push(['Cookie', cookie]);
    const req = {
      method,
      rawPath: url.pathname,
      rawQuery: url.search.slice(1),
      headers: raw,
      body: Buffer.alloc(0),
      sourceIp: '198.51.100.7',
      requestId: randomUUID(),
      timeEpoch: Date.now(),
      host: HOST,
    };
    const event = authorizerEventRest(API, req, {
      routeKey: routeKey(match.route),
      resource: match.route.path,
      params: match.params,
    });
    let response: { policyDocument: unknown; context?: Record<string, string> };
    try {
      response = (await authorizer(event)) as typeof response;
    } catch (e) {
      expect((e as Error).message).toBe('Unauthorized');
      return { status: 401, reason: decisions.at(-1)?.reason };
    }
    const effect = evaluatePolicy(response.policyDocument, methodArn(API, method, url.pathname));
    return {
      status: effect === 'allow' ? 200 : 403,
      reason: decisions.at(-1)?.reason,
      context: response.context,
    };
  }

  async function signInAs(username: 'alice' | 'bob', returnTo = '/me') {
    const browser = new TestBrowser(issuer.ca, APP);
    const login = await browser.app(signIn, `/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
    const callbackUrl = await browser.signInAtIdp(login.headers.location, username, PASSWORDS[username]);
    const done = await browser.app(signIn, callbackUrl.slice(APP.length));
    expect(done.reason).toBe('signed_in');
    return { browser, landing: done.headers.location, setCookies: done.cookies };
  }

  async function session(browser: TestBrowser): Promise<SessionData> {
    const env = reassembleSession(
      parseCookies([await browser.jar.getCookieString(`${APP}/`)]),
      '__Host-keygate_session',
    );
    if (!env.ok) throw new Error(env.reason);
    const opened = openSession(env.envelope, ring, Math.floor(Date.now() / 1000));
    if (!opened.ok) throw new Error(opened.reason);
    return opened.session;
  }

  return { issuer, ring, call, signIn, signInAs, session, close: () => issuer.close() };
}

describe('browser sign-in, end to end', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('sends a browser without a session from a browser route to sign-in (REST: Deny with the signIn URL)', async () => {
    const answer = await stack.call(new TestBrowser(stack.issuer.ca, APP), 'GET', '/me?tab=models', NAVIGATE);
    expect(answer).toMatchObject({ status: 403, reason: 'token_missing' });
    expect(answer.context?.signIn).toBe(`${APP}/auth/login?returnTo=%2Fme%3Ftab%3Dmodels`);
  });

  it('keeps API clients (no navigation) and non-browser routes on a plain 401', async () => {
    expect(await stack.call(undefined, 'GET', '/me', { accept: 'application/json' })).toEqual({
      status: 401,
      reason: 'token_missing',
    });
    expect(await stack.call(undefined, 'GET', '/models', NAVIGATE)).toEqual({
      status: 401,
      reason: 'token_missing',
    });
  });

  it('signs in through Keycloak and lands on returnTo with HttpOnly, Secure, SameSite=Lax cookies', async () => {
    const { landing, setCookies, browser } = await stack.signInAs('alice', '/me?tab=models');
    expect(landing).toBe(`${APP}/me?tab=models`);
    const sessionCookie = setCookies.find((c) => c.startsWith('__Host-keygate_session='))!;
    expect(sessionCookie).toMatch(/; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Lax$/);
    expect(setCookies).toContainEqual(expect.stringMatching(/^__Host-keygate_login=; Path=\/; Max-Age=0/));
    const cookies = await browser.jar.getCookies(`${APP}/`);
    expect(cookies.map((c) => [c.key, c.httpOnly, c.secure, c.sameSite])).toEqual([
      ['__Host-keygate_session', true, true, 'lax'],
    ]);
  });

  it('lets the session through the authorizer exactly like a bearer token: allowed and forbidden routes', async () => {
    const alice = (await stack.signInAs('alice')).browser;
    const bob = (await stack.signInAs('bob')).browser;
    const me = await stack.call(alice, 'GET', '/me', NAVIGATE);
    expect(me).toMatchObject({ status: 200, reason: 'allowed' });
    expect(me.context).toMatchObject({ username: 'alice', tokenKind: 'keycloak-user' });
    const same = { origin: `https://${HOST}` };
    expect(await stack.call(alice, 'POST', '/models/sentiment/invoke', same)).toMatchObject({
      status: 200,
      reason: 'allowed',
    });
    expect(await stack.call(bob, 'GET', '/models', same)).toMatchObject({ status: 200, reason: 'allowed' });
    expect(await stack.call(bob, 'POST', '/models/sentiment/invoke', same)).toMatchObject({
      status: 403,
      reason: 'route_forbidden',
    });
    // The same token as a bearer header gets the same answers.
    const token = (await stack.session(bob)).accessToken;
    expect(
      await stack.call(undefined, 'POST', '/models/sentiment/invoke', { authorization: `Bearer ${token}` }),
    ).toMatchObject({
      status: 403,
      reason: 'route_forbidden',
    });
  });

  it('refuses a cross-site state-changing request with the session (CSRF), and accepts same-origin proofs', async () => {
    const alice = (await stack.signInAs('alice')).browser;
    const post = (headers: Record<string, string>) =>
      stack.call(alice, 'POST', '/models/sentiment/invoke', headers);
    expect(await post({ origin: 'https://evil.example' })).toMatchObject({
      status: 403,
      reason: 'csrf_rejected',
    });
    expect(await post({ 'sec-fetch-site': 'cross-site' })).toMatchObject({
      status: 403,
      reason: 'csrf_rejected',
    });
    expect(await post({})).toMatchObject({ status: 403, reason: 'csrf_rejected' });
    expect(await post({ 'sec-fetch-site': 'same-origin' })).toMatchObject({ status: 200 });
    expect(await post({ 'x-keygate-csrf': '1' })).toMatchObject({ status: 200 });
  });

  it('leaves bearer requests out of the CSRF check', async () => {
    const token = (await stack.session((await stack.signInAs('alice')).browser)).accessToken;
    expect(
      await stack.call(undefined, 'POST', '/models/sentiment/invoke', {
        authorization: `Bearer ${token}`,
        origin: 'https://evil.example',
      }),
    ).toMatchObject({ status: 200, reason: 'allowed' });
  });

  it.each([
    [
      'tampered',
      (v: string) => v.slice(0, 40) + (v[40] === 'A' ? 'B' : 'A') + v.slice(41),
      'session_tampered',
    ],
    ['truncated', (v: string) => v.slice(0, -10), 'session_tampered'],
    ['garbage', () => '1~garbage', 'session_malformed'],
  ])('refuses a %s session cookie', async (_name, change, reason) => {
    const { browser } = await stack.signInAs('alice');
    const value = parseCookies([await browser.jar.getCookieString(`${APP}/`)]).get('__Host-keygate_session')!;
    await browser.jar.setCookie(
      `__Host-keygate_session=${change(value)}; Path=/; Secure; HttpOnly`,
      `${APP}/`,
    );
    expect(await stack.call(browser, 'GET', '/models', {})).toEqual({ status: 401, reason });
  });

  it('refuses an expired session and one sealed under a key that is no longer in the keyring', async () => {
    const { browser } = await stack.signInAs('alice');
    const s = await stack.session(browser);
    const now = Math.floor(Date.now() / 1000);
    const replant = async (envelope: string) => {
      for (const c of sessionSetCookies('__Host-keygate_session', envelope, { maxAgeSeconds: 600 }))
        await browser.jar.setCookie(c, `${APP}/`);
    };
    await replant(sealSession({ ...s, expiresAt: now - 1 }, stack.ring.current));
    expect(await stack.call(browser, 'GET', '/models', {})).toEqual({
      status: 401,
      reason: 'session_expired',
    });
    await replant(sealSession(s, parseKeyring(keyringSecret('retired')).current));
    expect(await stack.call(browser, 'GET', '/models', {})).toEqual({
      status: 401,
      reason: 'session_key_unknown',
    });
  });

  it('logout clears the session: the next navigation is sent to sign-in again', async () => {
    const { browser } = await stack.signInAs('alice');
    const out = await browser.app(stack.signIn, '/auth/logout', 'POST', browser.sameOriginForm);
    expect(out.headers.location.startsWith(stack.issuer.urls.logout)).toBe(true);
    expect(await browser.cookieNames(`${APP}/`)).toEqual([]);
    const again = await stack.call(browser, 'GET', '/me', NAVIGATE);
    expect(again).toMatchObject({ status: 403, reason: 'token_missing' });
    expect(again.context?.signIn).toMatch(/\/auth\/login\?returnTo=%2Fme$/);
  });

  it('refuses a session whose access token is replayed from another realm key (forged tokens inside a valid envelope)', async () => {
    const { browser } = await stack.signInAs('alice');
    const s = await stack.session(browser);
    const forged = await stack.issuer.mint({ username: 'alice', header: { kid: 'not-the-realm-key' } });
    for (const c of sessionSetCookies(
      '__Host-keygate_session',
      sealSession({ ...s, accessToken: forged }, stack.ring.current),
      { maxAgeSeconds: 600 },
    )) {
      await browser.jar.setCookie(c, `${APP}/`);
    }
    expect(await stack.call(browser, 'GET', '/models', {})).toMatchObject({
      status: 401,
      reason: 'kid_unknown',
    });
  });
});

describe('browser sign-in, end to end: expiry and refresh', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  beforeAll(async () => {
    stack = await startStack(2);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('sends a browser whose access token expired to refresh, and the refreshed session is allowed again', async () => {
    const { browser } = await stack.signInAs('alice');
    expect(await stack.call(browser, 'GET', '/me', NAVIGATE)).toMatchObject({ status: 200 });
    await new Promise((r) => setTimeout(r, 3100));
    const expired = await stack.call(browser, 'GET', '/me', NAVIGATE);
    expect(expired).toMatchObject({ status: 403, reason: 'token_expired' });
    expect(expired.context?.signIn).toBe(`${APP}/auth/refresh?returnTo=%2Fme`);
    // The navigation shows a page whose button POSTs the refresh; the browser then submits that form.
    const page = await browser.app(stack.signIn, expired.context!.signIn.slice(APP.length), 'GET', NAVIGATE);
    expect(page).toMatchObject({ status: 200, reason: 'confirm_shown', cookies: [] });
    const action = /<form method="post" action="([^"]+)">/.exec(page.body)![1].replace(/&amp;/g, '&');
    expect(action).toBe(`${APP}/auth/refresh?returnTo=%2Fme`);
    const refreshed = await browser.app(
      stack.signIn,
      action.slice(APP.length),
      'POST',
      browser.sameOriginForm,
    );
    expect(refreshed).toMatchObject({ status: 302, reason: 'refreshed' });
    expect(refreshed.headers.location).toBe(`${APP}/me`);
    expect(await stack.call(browser, 'GET', '/me', NAVIGATE)).toMatchObject({
      status: 200,
      reason: 'allowed',
    });
  });

  it('ends the session when the provider refuses the refresh token (e.g. revoked)', async () => {
    const { browser } = await stack.signInAs('alice');
    const s = await stack.session(browser);
    const revoke = await postForm(
      stack.issuer.urls.token.replace(/token$/, 'revoke'),
      { token: s.refreshToken!, token_type_hint: 'refresh_token', client_id: STAGE.keycloak.peopleClientId },
      { ca: stack.issuer.ca },
    );
    expect(revoke.status).toBe(200);
    const res = await browser.app(
      stack.signIn,
      '/auth/refresh?returnTo=%2Fme',
      'POST',
      browser.sameOriginForm,
    );
    expect(res).toMatchObject({ status: 302, reason: 'refresh_failed' });
    expect(res.headers.location).toBe(`${APP}/auth/login?returnTo=%2Fme`);
    expect(await browser.cookieNames(`${APP}/`)).toEqual([]);
  });
});
