/**
 * A browser route refused for step-up (docs/step-up.md, "Browser sign-in"): on the REST API the
 * ACCESS_DENIED page's sign-in link asks the login route for the route's level and age, and the login
 * route passes them on to the issuer's authorization request. The app's REST API served from its
 * assembly, built-in issuer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StageConfig } from '../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { MODELS_PATH } from '../../common/model-contract';
import { userTokens } from '../../local/callers';
import { request } from '../../local/http/request';
import type { ServedStage } from '../../local/serve-stage';
import { callerStack, serveSignInStage } from '../support/served-stage';

const dev = DEFAULT_APP_CONFIG.stages.dev;
const NAVIGATION = {
  'sec-fetch-mode': 'navigate',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
};

// GIVEN GET /me, a browser route, needing level 2 within 15 minutes, and GET /models, made a browser route,
// needing an OTP sign-in besides its roles (one stage for both, synthesized once)
const stage: StageConfig = {
  ...dev,
  authorizer: { ...dev.authorizer, cacheTtlSeconds: 0 },
  routes: dev.routes.map((r) => {
    if (r.path === '/me') return { ...r, requirement: { stepUp: { minLoa: 2, maxAgeSeconds: 900 } } };
    if (r.method === 'GET' && r.path === MODELS_PATH)
      return { ...r, browser: true, requirement: { ...r.requirement, stepUp: { amr: ['otp'] } } };
    return r;
  }),
};

describe('a browser route refused for step-up (local REST API, browser sign-in on)', () => {
  let served: ServedStage;
  let stack: ReturnType<typeof callerStack>;
  let base: string;
  let token: string;
  beforeAll(async () => {
    served = await serveSignInStage(stage, { apiKinds: ['rest'] });
    stack = callerStack(served, 'rest');
    base = stack.gateway.url;
    token = (await userTokens(stack, 'alice')).access_token;
  });
  afterAll(async () => {
    await served?.close();
  });

  it('sends a level-1 navigation to a sign-in that asks for acr_values and max_age, which reach the issuer', async () => {
    const res = await request(`${base}/me?tab=1`, {
      headers: { ...NAVIGATION, authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toBe('text/html');
    const link = new URL(/<a id="signin" href="([^"]*)">/.exec(res.body)?.[1] ?? '');
    expect(`${link.pathname}${link.search}`).toBe(
      '/auth/login?returnTo=%2Fme%3Ftab%3D1&acr_values=2&max_age=900',
    );
    const login = await request(`${base}${link.pathname}${link.search}`);
    expect(login.status).toBe(302);
    const authorize = new URL(String(login.headers.location));
    expect(`${authorize.origin}${authorize.pathname}`).toBe(stack.issuer.urls.auth);
    expect([authorize.searchParams.get('acr_values'), authorize.searchParams.get('max_age')]).toEqual([
      '2',
      '900',
    ]);
  });

  it('gives an API client the challenge and no sign-in link', async () => {
    const res = await request(`${base}/me`, {
      headers: { accept: 'application/json', 'sec-fetch-mode': 'cors', authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_user_authentication", error_description="A stronger or more recent sign-in is required", acr_values="2", max_age=900',
    );
    expect((res.json() as { signIn?: string }).signIn ?? '').toBe('');
  });

  it('lets a level-2 sign-in of a minute ago in', async () => {
    const stepped = await stack.issuer.mint({
      username: 'alice',
      claims: { acr: '2', auth_time: Math.floor(Date.now() / 1000) - 60 },
    });
    const res = await request(`${base}/me`, {
      headers: { ...NAVIGATION, authorization: `Bearer ${stepped}` },
    });
    expect(res.status).toBe(200);
  });
});

describe('a browser route refused for a method alone (local REST API, browser sign-in on)', () => {
  let served: ServedStage;
  let stack: ReturnType<typeof callerStack>;
  beforeAll(async () => {
    served = await serveSignInStage(stage, { apiKinds: ['rest'] });
    stack = callerStack(served, 'rest');
  });
  afterAll(async () => {
    await served?.close();
  });

  it('offers no sign-in link: amr has no authorization-request parameter', async () => {
    const token = (await userTokens(stack, 'alice')).access_token;
    const res = await request(`${stack.gateway.url}${MODELS_PATH}`, {
      headers: { ...NAVIGATION, authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(403);
    expect(/<a id="signin" href="([^"]*)">/.exec(res.body)?.[1]).toBe('');
  });
});
