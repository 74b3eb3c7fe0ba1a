import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { AUTHORIZER_CONFIG_ENV } from '../../common/authorizer-config';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { SIGN_IN_ROUTES } from '../../common/sign-in-routes';
import { request, postForm } from '../../local/http/request';
import type { Response } from '../../local/http/request';
import type { ServedStage } from '../../local/serve-stage';
import { callerStack, serveSignInStage } from '../support/served-stage';

// The sign-in routes of the app's HTTP API on the local gateway (the app's sign-in function, the built-in
// issuer): a browser's round trip with a cookie jar, from /auth/login to a session cookie and out through
// /auth/logout.
describe('local gateway with browser sign-in', () => {
  let served: ServedStage;
  let stack: ReturnType<typeof callerStack>;
  beforeAll(async () => {
    served = await serveSignInStage(DEFAULT_APP_CONFIG.stages.dev, { apiKinds: ['http'] });
    stack = callerStack(served, 'http');
  });
  afterAll(async () => {
    await served?.close();
  });

  it('mounts /auth/* without authorization and gives the authorizer no identity source', async () => {
    const { api } = served.api('http');
    const signInRoutes = api.routes.filter((r) => r.path.startsWith('/auth/'));
    expect(signInRoutes.map((r) => `${r.method} ${r.path} ${r.auth}`).sort()).toEqual(
      SIGN_IN_ROUTES.flatMap((r) => r.methods.map((m) => `${m} ${r.path} none`)).sort(),
    );
    expect(api.authorizer?.identitySources).toEqual([]);
    const fn = served.stack.functions[api.authorizer!.functionId];
    const config = JSON.parse(fn.environment[AUTHORIZER_CONFIG_ENV]) as AuthorizerConfig;
    expect(config.session).toMatchObject({ browserRoutes: ['GET /me'] });
    const login = await request(`${stack.gateway.url}/auth/login?returnTo=%2Fme`);
    expect(login.status).toBe(302);
    expect(login.headers.location).toMatch(new RegExp(`^${stack.issuer.urls.auth}\\?`));
  });

  it('signs a person in through the issuer and out again, with the cookies a browser would keep', async () => {
    const jar = new Map<string, string>();
    const keep = (res: Response) => {
      for (const c of (res.headers['set-cookie'] as string[] | undefined) ?? []) {
        const [pair] = c.split(';');
        const i = pair.indexOf('=');
        const name = pair.slice(0, i);
        if (/max-age=0|expires=thu, 01 jan 1970/i.test(c)) jar.delete(name);
        else jar.set(name, pair.slice(i + 1));
      }
      return res;
    };
    const headers = (): Record<string, string> =>
      jar.size ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
    const get = async (url: string) => keep(await request(url, { headers: headers(), ca: stack.issuer.ca }));

    const login = await get(`${stack.gateway.url}/auth/login?returnTo=%2Fme`);
    expect(login.status).toBe(302);
    const stateCookie = ((login.headers['set-cookie'] as string[]) ?? []).find((c) =>
      c.startsWith('__Host-keygate_login='),
    );
    expect(stateCookie).toMatch(/HttpOnly/i);
    expect(stateCookie).toMatch(/SameSite=Lax/i);

    // At the issuer: authorization request → sign-in form → back to the gateway's callback.
    let res = await get(login.headers.location as string);
    expect(res.status).toBe(303);
    const form = new URL(res.headers.location as string, stack.issuer.issuer).href;
    res = keep(
      await postForm(
        form,
        { username: 'alice', password: stack.issuer.passwords.alice },
        { ca: stack.issuer.ca, headers: headers() },
      ),
    );
    let location = new URL(res.headers.location as string, stack.issuer.issuer).href;
    for (let i = 0; i < 5 && !location.startsWith(stack.gateway.url); i++) {
      res = await get(location);
      location = new URL(res.headers.location as string, stack.issuer.issuer).href;
    }
    expect(location.startsWith(`${stack.gateway.url}/auth/callback?`)).toBe(true);

    const callback = await get(location);
    expect(callback.status).toBe(302);
    expect(callback.headers.location).toBe(`${stack.gateway.url}/me`);
    const session = ((callback.headers['set-cookie'] as string[]) ?? []).filter((c) =>
      c.startsWith('__Host-keygate_session'),
    );
    expect(session.length).toBeGreaterThan(0);
    for (const c of session) expect(c).toMatch(/HttpOnly/i);
    expect([...jar.keys()].some((k) => k.startsWith('__Host-keygate_session'))).toBe(true);

    // The session cookie alone now identifies the person to the authorizer, on every request (no cache).
    const me = await get(`${stack.gateway.url}/me`);
    expect(me.status).toBe(200);
    expect(me.json()).toMatchObject({ username: 'alice', tokenKind: 'keycloak-user' });
    expect((await get(`${stack.gateway.url}/models`)).status).toBe(200);

    // A GET (a link, or a cross-site navigation) only shows the button: the session stays.
    const page = await get(`${stack.gateway.url}/auth/logout`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`<form method="post" action="${stack.gateway.url}/auth/logout">`);
    expect((await get(`${stack.gateway.url}/me`)).status).toBe(200);
    // A cross-site POST changes nothing either.
    const forged = keep(
      await postForm(
        `${stack.gateway.url}/auth/logout`,
        {},
        { headers: { ...headers(), origin: 'https://evil.example' } },
      ),
    );
    expect(forged.status).toBe(403);
    expect((await get(`${stack.gateway.url}/me`)).status).toBe(200);
    // The form posted from the gateway's own page signs out.
    const logout = keep(
      await postForm(
        `${stack.gateway.url}/auth/logout`,
        {},
        { headers: { ...headers(), origin: new URL(stack.gateway.url).origin } },
      ),
    );
    expect(logout.status).toBe(302);
    expect(logout.headers.location).toMatch(new RegExp(`^${stack.issuer.urls.logout}\\?`));
    expect([...jar.keys()].some((k) => k.startsWith('__Host-keygate_session'))).toBe(false);
    expect((await get(`${stack.gateway.url}/me`)).status).toBe(401);
  });
});
