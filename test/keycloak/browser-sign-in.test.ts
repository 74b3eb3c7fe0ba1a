/**
 * Browser sign-in in a real browser against a real Keycloak: headless Chromium (Debian's package, driven by
 * playwright-core) walks the sign-in flow of the app served from its synthesized assembly (its own sign-in
 * function, authorizer and model backend, as `npm start -- --sign-in --keycloak <realm URL>` serves them) —
 * `/auth/login` → Keycloak's own login form → `/auth/callback` → session cookie → `GET /me` — and the logout
 * through Keycloak's end-session endpoint. A browser enforces what an HTTP client does not: CSP
 * `form-action` across the redirect from Keycloak's form to the gateway, SameSite on cross-site requests,
 * cookie prefixes and flags, and CORS (preflight, the allowed origin, credentials). Each step's screenshot
 * is written to test-results/keycloak-browser/.
 *
 * The app's sign-in function speaks https to Keycloak only (common/sign-in-config.ts), so the realm is the
 * suite's server on its https listener. Back-channel logout (the stage's `revocation`) runs the same way: the
 * realm names the gateway's endpoint (its port fixed beforehand), the back-channel logout function writes
 * the session to the revocation table of the local DynamoDB stand-in, and the authorizer reads it there.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cookie, Page } from 'playwright-core';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { DEFAULT_SESSION_COOKIE_NAME } from '../../common/cookie-names';
import type { StageConfig } from '../../common/app-config';
import { userTokens } from '../../local/callers';
import type { CallerStack } from '../../local/callers';
import type { AssemblyGatewayRecord } from '../../local/assembly/serve-assembly';
import { freeConsecutivePorts } from '../../local/free-ports';
import { provisionThroughAdmin } from '../../local/keycloak-realm';
import { keycloakRealmUrls } from '../../local/keycloak-urls';
import type { ServedStage } from '../../local/serve-stage';
import { localStageRealm } from '../../local/sign-in-realm';
import { realmStage } from '../../local/stage-assembly';
import { connectAdmin } from '../../realm/apply-realm-cli';
import { SIGN_IN_DEFAULTS } from '../../lambda/sign-in/sign-in-config';
import { launchChromium, trustCertificateArg } from '../support/chromium';
import type { Browser } from '../support/chromium';
import { callerStack, serveSignInStage } from '../support/served-stage';
import { keycloakServer } from './keycloak-server';

const OUT = join(__dirname, '..', '..', 'test-results', 'keycloak-browser');
/** A realm of its own on the shared server, so other files' changes to their realms never meet this one. */
const REALM = 'keygate-browser';
const PASSWORDS = { alice: 'alice-browser-Pw1', bob: 'bob-browser-Pw1' };
/** Keycloak's realm default (browserSecurityHeaders.contentSecurityPolicy). */
const KEYCLOAK_DEFAULT_CSP = "frame-src 'self'; frame-ancestors 'self'; object-src 'none';";

/** The little of the DOM the in-page functions use (the project compiles without the DOM library). */
interface PageDocument {
  getElementById(id: string): { textContent: string | null } | null;
}

/** The certificate a TLS server presents (its leaf), as PEM: what Chromium is told to trust. */
function serverCertificate(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(new X509Certificate(raw).toString());
    });
    socket.once('error', reject);
  });
}

/** The suite's own server over https (the listener it starts), or a clear error for a KEYCLOAK_URL one. */
function httpsKeycloak(): { url: string; ca: string } {
  const { mtls } = keycloakServer();
  if (!mtls) {
    throw new Error(
      "this test needs the HTTPS listener the suite starts (the app's sign-in function speaks https only); " +
        'a server named by KEYCLOAK_URL has none (unset KEYCLOAK_URL)',
    );
  }
  return { url: mtls.httpsUrl, ca: mtls.ca.cert };
}

/** The CA certificate in a file of its own, as `--keycloak-ca-file` takes it. */
function caFileWith(ca: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'keygate-kc-ca-')), 'ca.pem');
  writeFileSync(file, ca);
  return file;
}

/** A page server on 127.0.0.1: `/` is an empty page, `/cross-site?gw=` holds a link and a form to the gateway. */
async function startPageServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://page');
    const gw = url.searchParams.get('gw') ?? '';
    const body =
      url.pathname === '/cross-site'
        ? `<h1>another site</h1><a id="me" href="${gw}/me">my profile</a>
           <form id="post" method="POST" enctype="text/plain" action="${gw}/models/sentiment/invoke">
             <input name='{"input":"a great day","pad":"' value='"}'><button id="send">send</button></form>`
        : '<h1>a page on another origin</h1><pre id="out"></pre>';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><body>${body}</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Seconds within which a logged-out session stops working (the stage's `revocation.boundSeconds`). */
const REVOCATION_BOUND = 2;

/** The status of the sign-in refresh endpoint, posted from the page as its script would (with the CSRF header). */
async function refreshStatus(page: Page, gw: string): Promise<number> {
  return page.evaluate(async (url) => {
    const res = await fetch(url, { method: 'POST', headers: { 'x-keygate-csrf': '1' } });
    return res.status;
  }, `${gw}${SIGN_IN_DEFAULTS.paths.refresh}`);
}

const pages: { server: Server; port: number }[] = [];
let allowedOrigin: string;
let otherOrigin: string;
let crossSiteOrigin: string;
/** The stage the app is served with (synthesized once): the default one, CORS allowing the first page. */
let stage: StageConfig;

beforeAll(async () => {
  pages.push(await startPageServer(), await startPageServer());
  allowedOrigin = `http://127.0.0.1:${pages[0].port}`;
  otherOrigin = `http://127.0.0.1:${pages[1].port}`;
  // Another host is another site (ports do not make sites): what SameSite is about.
  crossSiteOrigin = `http://localhost:${pages[1].port}`;
  stage = { ...DEFAULT_APP_CONFIG.stages.dev, cors: { allowOrigins: [allowedOrigin] } };
});

afterAll(async () => {
  for (const p of pages) await new Promise((r) => p.server.close(r));
});

describe('browser sign-in in headless Chromium against a real Keycloak', () => {
  let served: ServedStage;
  let stack: CallerStack;
  let browser: Browser;
  let gw: string;
  let realmUrl: string;
  const records: AssemblyGatewayRecord[] = [];

  beforeAll(async () => {
    const kc = keycloakServer();
    const https = httpsKeycloak();
    // A development server without a hostname names itself after the request: over https, `iss` is https.
    realmUrl = `${https.url}/realms/${REALM}`;
    served = await serveSignInStage(stage, {
      apiKinds: ['http'],
      keycloak: realmUrl,
      keycloakCaFile: caFileWith(https.ca),
      cacheTtlSeconds: 0,
      onRequest: (_api, r) => records.push(r),
    });
    gw = served.api('http').url;
    // The realm brought in line with the stage's definition and the gateway's callback, as `npm start`
    // provisions it (local/stage-assembly.ts realmSecrets).
    const secrets = await provisionThroughAdmin({ url: kc.url, ...kc.admin })(
      localStageRealm(realmStage(stage, realmUrl), { passwords: PASSWORDS, signInUrls: [gw] }),
    );
    stack = {
      issuer: { urls: keycloakRealmUrls(realmUrl), ca: https.ca, ...secrets },
      stage,
      gateway: { url: gw },
      region: served.stack.region,
    };
    browser = await launchChromium(OUT, [trustCertificateArg(await serverCertificate(https.url))]);
  });

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  const gatewayCookies = async (): Promise<Cookie[]> =>
    (await browser.context.cookies(`${gw}/`)).filter((c) => c.name.includes('keygate_'));
  const bodyJson = async () => JSON.parse(await browser.page.locator('body').innerText()) as unknown;
  const lastRecord = (method: string, path: string): AssemblyGatewayRecord | undefined =>
    records.filter((r) => r.method === method && r.path === path).at(-1);

  it("signs in through Keycloak's own login form and lands on /me with the session cookie", async () => {
    const { page } = browser;
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });

    const login = await page.goto(`${gw}/auth/login?returnTo=%2Fme`);
    expect(page.url().startsWith(`${realmUrl}/protocol/openid-connect/auth?`)).toBe(true);
    expect(login?.status()).toBe(200);
    await expect(page.locator('#username').count()).resolves.toBe(1);
    // Keycloak's default CSP names no form-action, so the submit may redirect on to the gateway (the
    // form-action test below shows a realm that restricts it).
    expect(login?.headers()['content-security-policy']).toBe(KEYCLOAK_DEFAULT_CSP);
    await browser.screenshot('keycloak-login-form');

    await page.fill('#username', 'alice');
    await page.fill('#password', PASSWORDS.alice);
    await Promise.all([page.waitForURL(`${gw}/me`), page.click('#kc-login')]);
    expect(await bodyJson()).toMatchObject({ username: 'alice' });
    expect(violations).toEqual([]);
    await browser.screenshot('me-signed-in');

    // The deployed defaults: a `__Host-` name, which Chromium stores only because the cookie is Secure,
    // host-only and Path=/ — and http://127.0.0.1 counts as a secure context.
    const cookies = await gatewayCookies();
    expect(cookies.map((c) => [c.name, c.secure, c.httpOnly, c.sameSite, c.path, c.domain])).toEqual([
      [DEFAULT_SESSION_COOKIE_NAME, true, true, 'Lax', '/', '127.0.0.1'],
    ]);
  });

  it('SameSite=Lax: a link from another site carries the session, a form POST from it does not', async () => {
    const { page } = browser;
    await page.goto(`${crossSiteOrigin}/cross-site?gw=${encodeURIComponent(gw)}`);
    await browser.screenshot('cross-site-page');
    await Promise.all([page.waitForURL(`${gw}/me`), page.click('#me')]);
    expect(await bodyJson()).toMatchObject({ username: 'alice' });

    await page.goto(`${crossSiteOrigin}/cross-site?gw=${encodeURIComponent(gw)}`);
    const [posted] = await Promise.all([
      page.waitForResponse(`${gw}/models/sentiment/invoke`),
      page.click('#send'),
    ]);
    expect(posted.status()).toBe(401);
    // Not sent at all (no cookie to check a same-origin proof on): the browser kept the Lax cookie back.
    expect(lastRecord('POST', '/models/sentiment/invoke')?.authorizerReason).toBe('token_missing');
    await browser.screenshot('cross-site-post-refused');
  });

  it('CORS: the allowed origin reads the API with a bearer token, another origin is refused, and no origin can use the session cookie', async () => {
    const { page } = browser;
    const token = (await userTokens(stack, 'alice')).access_token;
    const callFrom = async (origin: string, init: { token?: string; credentials?: 'omit' | 'include' }) => {
      await page.goto(`${origin}/`);
      return page.evaluate(
        async ({ url, token, credentials }) => {
          let result: { status?: number; body?: string; error?: string };
          try {
            const res = await fetch(url, {
              credentials,
              headers: token ? { authorization: `Bearer ${token}` } : {},
            });
            result = { status: res.status, body: await res.text() };
          } catch (e) {
            result = { error: String(e) };
          }
          // Shown on the page for the screenshot (this function runs in the browser).
          const doc = (globalThis as unknown as { document: PageDocument }).document;
          const out = doc.getElementById('out');
          if (out) out.textContent = JSON.stringify(result, null, 2);
          return result;
        },
        { url: `${gw}/models`, token: init.token, credentials: init.credentials ?? 'omit' },
      );
    };

    const before = records.length;
    const allowed = await callFrom(allowedOrigin, { token });
    expect(allowed.status).toBe(200);
    expect(JSON.parse(allowed.body ?? '{}')).toHaveProperty('models');
    await browser.screenshot('cors-allowed-origin');
    const other = await callFrom(otherOrigin, { token });
    expect(other).toEqual({ error: 'TypeError: Failed to fetch' });
    await browser.screenshot('cors-other-origin-refused');
    // Each bearer call was preceded by a preflight the gateway answered itself (Authorization is not simple).
    const preflights = records.slice(before).filter((r) => r.method === 'OPTIONS');
    expect(preflights.map((r) => r.reason)).toEqual(['cors_preflight', 'cors_preflight']);

    // With the session cookie instead of a token: the answer carries no Access-Control-Allow-Credentials,
    // so the browser keeps it from the page even on the allowed origin.
    const withCookie = await callFrom(allowedOrigin, { credentials: 'include' });
    expect(withCookie).toEqual({ error: 'TypeError: Failed to fetch' });
  });

  it('logs out through Keycloak (RP-initiated logout): the next sign-in asks for the password again; the old cookie cannot be refreshed', async () => {
    const { page, context } = browser;
    const old = await gatewayCookies();
    expect(old).toHaveLength(1);

    // A GET only shows a page with a button; its form POSTs the logout, which goes on through Keycloak's
    // end-session endpoint (form-action must allow it) and back to the gateway.
    const shown = await page.goto(`${gw}/auth/logout`);
    expect(shown?.status()).toBe(200);
    await expect(page.locator('form[method=post] button').innerText()).resolves.toBe('Sign out');
    await browser.screenshot('logout-confirmation');
    const ended: string[] = [];
    page.on('request', (r) => {
      if (r.url().startsWith(`${realmUrl}/protocol/openid-connect/logout`)) ended.push(r.url());
    });
    await Promise.all([page.waitForURL(`${gw}/`), page.click('form[method=post] button')]);
    // RP-initiated logout with the ID token as hint: Keycloak ends its session without asking again.
    expect(ended).toHaveLength(1);
    expect(new URL(ended[0]).searchParams.has('id_token_hint')).toBe(true);
    await browser.screenshot('after-logout');
    expect(await gatewayCookies()).toEqual([]);
    const me = await page.goto(`${gw}/me`);
    expect(me?.status()).toBe(401);

    // Keycloak's session ended too: /auth/login shows its form instead of signing in silently.
    await page.goto(`${gw}/auth/login?returnTo=%2Fme`);
    expect(page.url().startsWith(`${realmUrl}/protocol/openid-connect/auth?`)).toBe(true);
    await expect(page.locator('#username').count()).resolves.toBe(1);
    await browser.screenshot('login-form-again');

    // The old cookie, copied back in: its refresh token died with the session (the refusal of its access
    // token within the bound is the back-channel logout's, below).
    await page.goto(`${gw}/`);
    await context.addCookies(old);
    const refreshed = await refreshStatus(page, gw);
    expect(refreshed).toBe(401);
    expect(await gatewayCookies()).toEqual([]);
    const after = await page.goto(`${gw}/me`);
    expect(after?.status()).toBe(401);
  });

  it("a realm CSP with form-action 'self' stops the sign-in at Keycloak's form; listing the API's origin lets it through", async () => {
    const { page, context } = browser;
    await context.clearCookies();
    const admin = await connectAdmin({ url: keycloakServer().url, ...keycloakServer().admin });
    const setCsp = async (contentSecurityPolicy: string) => {
      const current = await admin.realms.findOne({ realm: REALM });
      await admin.realms.update(
        { realm: REALM },
        { browserSecurityHeaders: { ...current?.browserSecurityHeaders, contentSecurityPolicy } },
      );
    };
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/form-action/.test(m.text())) violations.push(m.text());
    });
    const signInAsBob = async () => {
      await page.goto(`${gw}/auth/login?returnTo=%2Fme`);
      await page.fill('#username', 'bob');
      await page.fill('#password', PASSWORDS.bob);
      await page.click('#kc-login');
    };
    try {
      await setCsp(`${KEYCLOAK_DEFAULT_CSP} form-action 'self';`);
      await signInAsBob();
      await expect.poll(() => violations.length, { timeout: 10_000 }).toBe(1);
      // The submit was blocked before it left Keycloak's page: no callback reached the gateway.
      expect(page.url().startsWith(realmUrl)).toBe(true);
      const callbacks = records.filter((r) => r.path === SIGN_IN_DEFAULTS.paths.callback).length;
      await browser.screenshot('form-action-self-blocks-sign-in');

      await setCsp(`${KEYCLOAK_DEFAULT_CSP} form-action 'self' ${gw};`);
      // Keycloak took the blocked submit and may hold a session for bob: start from no cookies at all.
      await context.clearCookies();
      await signInAsBob();
      await page.waitForURL(`${gw}/me`);
      expect(await bodyJson()).toMatchObject({ username: 'bob' });
      expect(records.filter((r) => r.path === SIGN_IN_DEFAULTS.paths.callback)).toHaveLength(callbacks + 1);
      expect(violations).toHaveLength(1);
      await browser.screenshot('form-action-with-api-origin-signs-in');
    } finally {
      await setCsp(KEYCLOAK_DEFAULT_CSP);
    }
  });
});

describe('a logged-out session in headless Chromium against a real Keycloak (back-channel logout)', () => {
  let served: ServedStage;
  let browser: Browser;
  let gw: string;
  const records: AssemblyGatewayRecord[] = [];

  beforeAll(async () => {
    const kc = keycloakServer();
    const https = httpsKeycloak();
    const realmUrl = `${https.url}/realms/${REALM}`;
    // With back-channel logout: Keycloak tells the gateway of a logout, and the authorizer refuses the
    // session's tokens within REVOCATION_BOUND seconds (docs/revocation.md). The stage's cache TTL may not
    // exceed the bound (synth refuses it); the gateway's cache is off besides.
    const revoking: StageConfig = {
      ...stage,
      authorizer: { ...stage.authorizer, cacheTtlSeconds: REVOCATION_BOUND },
      revocation: { boundSeconds: REVOCATION_BOUND },
    };
    // The gateway's port fixed first: the realm names its callback and its back-channel logout endpoint.
    gw = `http://127.0.0.1:${await freeConsecutivePorts(1)}`;
    await provisionThroughAdmin({ url: kc.url, ...kc.admin })(
      localStageRealm(
        realmStage({ ...revoking, revocation: { ...revoking.revocation, publicUrl: gw } }, realmUrl),
        {
          passwords: PASSWORDS,
          signInUrls: [gw],
        },
      ),
    );
    served = await serveSignInStage(revoking, {
      apiKinds: ['http'],
      gatewayPort: Number(new URL(gw).port),
      signInUrls: [gw],
      keycloak: realmUrl,
      keycloakCaFile: caFileWith(https.ca),
      cacheTtlSeconds: 0,
      onRequest: (_api, r) => records.push(r),
    });
    browser = await launchChromium(join(OUT, '..', 'keycloak-browser-revocation'), [
      trustCertificateArg(await serverCertificate(https.url)),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  const gatewayCookies = async (): Promise<Cookie[]> =>
    (await browser.context.cookies(`${gw}/`)).filter((c) => c.name.includes('keygate_'));

  it("refuses the old cookie of a session logged out through Keycloak within the bound, and can't refresh it", async () => {
    const { page, context } = browser;
    await page.goto(`${gw}/auth/login?returnTo=%2Fme`);
    await page.fill('#username', 'alice');
    await page.fill('#password', PASSWORDS.alice);
    await Promise.all([page.waitForURL(`${gw}/me`), page.click('#kc-login')]);
    const old = await gatewayCookies();
    expect(old).toHaveLength(1);
    await page.goto(`${gw}/auth/logout`);
    await Promise.all([page.waitForURL(`${gw}/`), page.click('form[method=post] button')]);
    const loggedOutAt = Date.now();
    await browser.screenshot('after-logout');
    expect(await gatewayCookies()).toEqual([]);

    // The old cookie, copied back in: its access token has not expired, but Keycloak posted a logout token
    // to the gateway's back-channel logout endpoint, whose function wrote the session to the revocation
    // table; the authorizer reads the table again within REVOCATION_BOUND s and refuses the session's token.
    await context.addCookies(old);
    let replayed = await page.goto(`${gw}/me`);
    for (let i = 0; i < 20 && replayed?.status() === 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      await context.addCookies(old);
      replayed = await page.goto(`${gw}/me`);
    }
    expect(replayed?.status()).toBe(401);
    expect(records.filter((r) => r.method === 'GET' && r.path === '/me').at(-1)?.authorizerReason).toBe(
      'session_revoked',
    );
    expect(Date.now() - loggedOutAt).toBeLessThanOrEqual((REVOCATION_BOUND + 1) * 1000);
    // ... and its refresh token died with the session.
    await context.addCookies(old);
    const refreshed = await refreshStatus(page, gw);
    expect(refreshed).toBe(401);
    expect(await gatewayCookies()).toEqual([]);
  });
});

describe('browser sign-in in headless Chromium through the built-in issuer (npm start -- --sign-in)', () => {
  let served: ServedStage;
  let stack: ReturnType<typeof callerStack>;
  let browser: Browser;

  beforeAll(async () => {
    served = await serveSignInStage(stage, { apiKinds: ['http'], passwords: PASSWORDS });
    stack = callerStack(served, 'http');
    browser = await launchChromium(join(OUT, '..', 'local-issuer-browser'), [
      trustCertificateArg(stack.issuer.ca!),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it("reaches /me: the issuer's login page lets its form redirect on to the gateway (CSP form-action)", async () => {
    const { page } = browser;
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${stack.gateway.url}/auth/login?returnTo=%2Fme`);
    expect(page.url().startsWith(`${stack.issuer.issuer}/login-actions/`)).toBe(true);
    await browser.screenshot('local-issuer-login-form');
    await page.fill('#username', 'alice');
    await page.fill('#password', PASSWORDS.alice);
    await Promise.all([page.waitForURL(`${stack.gateway.url}/me`), page.click('#kc-login')]);
    expect(JSON.parse(await page.locator('body').innerText())).toMatchObject({ username: 'alice' });
    expect(violations).toEqual([]);
    await browser.screenshot('local-issuer-me-signed-in');
  });
});
