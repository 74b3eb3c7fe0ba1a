/**
 * Browser sign-in driven over real HTTP through the local gateway (API Gateway's semantics in front of the
 * app's own authorizer, sign-in function and model backend, run from its synthesized assembly) and the
 * local Keycloak-compatible issuer, by a
 * client that keeps cookies in a tough-cookie jar and follows redirects itself, as a browser does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar } from 'tough-cookie';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { request } from '../../local/http/request';
import type { Response } from '../../local/http/request';
import type { ServedStage } from '../../local/serve-stage';
import { callerStack, serveSignInStage } from '../support/served-stage';

const PASSWORDS = { alice: 'alice-gw-password', bob: 'bob-gw-password' };
const NAVIGATE = { 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'none', accept: 'text/html' };

/** A cookie-keeping client that follows redirects and submits the issuer's forms, like a browser. */
class Browser {
  readonly jar = new CookieJar();
  constructor(private readonly ca: string | undefined) {}

  async send(
    url: string,
    init: {
      method?: string;
      headers?: Record<string, string>;
      form?: Record<string, string>;
      json?: unknown;
    } = {},
  ): Promise<Response> {
    const cookie = await this.jar.getCookieString(url);
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] = 'application/json';
    } else if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await request(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      body,
      ca: this.ca,
    });
    const set = res.headers['set-cookie'];
    for (const c of Array.isArray(set) ? set : set ? [set] : []) await this.jar.setCookie(c, url);
    return res;
  }

  /** Follows 30x hops from `url` until a non-redirect answer or a URL starting with `stopAt`. */
  async follow(
    url: string,
    stopAt?: string,
    credentials?: { username: string; password: string },
  ): Promise<{ url: string; res?: Response }> {
    let current = url;
    for (let hop = 0; hop < 12; hop++) {
      if (stopAt && current.startsWith(stopAt) && hop > 0) return { url: current };
      let res = await this.send(current, { headers: NAVIGATE });
      if (res.status === 200 && credentials && res.body.includes('name="username"')) {
        res = await this.send(current, { form: credentials });
      } else if (res.status === 200 && /<form[^>]*logout/i.test(res.body)) {
        // oidc-provider's end-session confirmation: submit its form (xsrf token) with logout=yes.
        const action = /<form[^>]*action="([^"]+)"/i.exec(res.body)?.[1];
        const xsrf = /name="xsrf" value="([^"]+)"/i.exec(res.body)?.[1];
        if (!action || !xsrf) throw new Error('unexpected logout page');
        res = await this.send(new URL(action.replace(/&amp;/g, '&'), current).href, {
          form: { xsrf, logout: 'yes' },
        });
      }
      if (res.status < 300 || res.status >= 400) return { url: current, res };
      current = new URL(res.headers.location as string, current).href;
    }
    throw new Error(`too many redirects from ${url}`);
  }
}

describe.each(['rest', 'http'] as const)('browser sign-in through the local gateway (%s API)', (apiType) => {
  let served: ServedStage;
  let stack: ReturnType<typeof callerStack>;
  let base: string;
  beforeAll(async () => {
    served = await serveSignInStage(DEFAULT_APP_CONFIG.stages.dev, {
      apiKinds: [apiType],
      passwords: PASSWORDS,
    });
    stack = callerStack(served, apiType);
    base = stack.gateway.url;
  });
  afterAll(async () => {
    await served?.close();
  });

  async function signIn(username: 'alice' | 'bob'): Promise<Browser> {
    const browser = new Browser(stack.issuer.ca);
    const back = await browser.follow(`${base}/auth/login?returnTo=%2Fme`, `${base}/auth/callback`, {
      username,
      password: PASSWORDS[username],
    });
    const done = await browser.send(back.url, { headers: NAVIGATE });
    expect(done.status).toBe(302);
    expect(done.headers.location).toBe(`${base}/me`);
    return browser;
  }

  it('answers a browser navigation to /me without a session per API type', async () => {
    const res = await new Browser(stack.issuer.ca).send(`${base}/me`, { headers: NAVIGATE });
    if (apiType === 'rest') {
      // ACCESS_DENIED's text/html template (selected by Accept): a page that follows the sign-in link.
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toBe('text/html');
      expect(res.body).toMatch(/<a id="signin" href="[^"]*\/auth\/login\?returnTo=%2Fme">/);
    } else {
      expect(res.status).toBe(401);
      expect(res.json()).toEqual({ message: 'Unauthorized' });
    }
  });

  it('signs in through the issuer and reaches /me with the session cookie; the backend sees the identity', async () => {
    const browser = await signIn('alice');
    // Issuer and gateway share 127.0.0.1 (cookies ignore ports): look at Keygate's cookies only.
    const cookies = (await browser.jar.getCookies(`${base}/`)).filter((c) =>
      c.key.startsWith('__Host-keygate_'),
    );
    expect(cookies.map((c) => [c.key, c.httpOnly, c.sameSite])).toEqual([
      ['__Host-keygate_session', true, 'lax'],
    ]);
    const me = await browser.send(`${base}/me`, { headers: NAVIGATE });
    expect(me.status).toBe(200);
    expect(me.json()).toMatchObject({ username: 'alice' });
  });

  it('applies the route requirements to the session and refuses a cookie-borne POST without a same-origin proof', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    const invoke = (b: Browser, headers: Record<string, string>) =>
      b.send(`${base}/models/sentiment/invoke`, {
        method: 'POST',
        headers,
        json: { input: 'a great and happy day' },
      });
    expect((await invoke(alice, { 'x-keygate-csrf': '1' })).status).toBe(200);
    expect((await invoke(bob, { 'x-keygate-csrf': '1' })).status).toBe(403);
    expect((await invoke(alice, {})).status).toBe(403);
    expect((await invoke(alice, { origin: 'https://evil.example' })).status).toBe(403);
  });

  it('logs out through the issuer and lands on the post-logout page without a session', async () => {
    const browser = await signIn('alice');
    const page = await browser.send(`${base}/auth/logout`, { headers: NAVIGATE });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/^default-src 'none'; form-action 'self' /);
    const kept = (await browser.jar.getCookies(`${base}/`)).filter((c) =>
      c.key.startsWith('__Host-keygate_'),
    );
    expect(kept.map((c) => c.key)).toEqual(['__Host-keygate_session']);
    const crossSite = await browser.send(`${base}/auth/logout`, {
      method: 'POST',
      headers: { ...NAVIGATE, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    expect(
      (await browser.jar.getCookies(`${base}/`)).filter((c) => c.key.startsWith('__Host-keygate_')),
    ).toHaveLength(1);
    const out = await browser.send(`${base}/auth/logout`, {
      method: 'POST',
      headers: { ...NAVIGATE, origin: new URL(base).origin, 'sec-fetch-site': 'same-origin' },
    });
    expect(out.status).toBe(302);
    const left = (await browser.jar.getCookies(`${base}/`)).filter((c) =>
      c.key.startsWith('__Host-keygate_'),
    );
    expect(left).toEqual([]);
    const landed = await browser.follow(out.headers.location as string, `${base}/`);
    expect(landed.url).toBe(`${base}/`);
    const me = await browser.send(`${base}/me`, { headers: NAVIGATE });
    expect(me.status).toBe(apiType === 'rest' ? 403 : 401);
  });
});
