import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { request } from '../../local/http/request';
import type { ServedStage } from '../../local/serve-stage';
import { serveSignInStage } from '../support/served-stage';

// REST ACCESS_DENIED as API Gateway answers it: the gateway response template is chosen by the request's
// Accept media type, so a browser gets an HTML page that sends it to sign-in, an API client keeps JSON.
// The app's REST API served from its assembly, with browser sign-in on.
describe('REST access-denied answer per Accept (local gateway, browser sign-in on)', () => {
  let served: ServedStage;
  let base: string;
  beforeAll(async () => {
    served = await serveSignInStage(DEFAULT_APP_CONFIG.stages.dev, { apiKinds: ['rest'] });
    base = served.api('rest').url;
  });
  afterAll(async () => {
    await served?.close();
  });

  it('sends a browser navigation to a browser route without a session an HTML page pointing at login', async () => {
    const res = await request(`${base}/me?tab=1`, {
      headers: {
        'sec-fetch-mode': 'navigate',
        accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
      },
    });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toBe('text/html');
    const link = new URL(/<a id="signin" href="([^"]*)">/.exec(res.body)?.[1] ?? '');
    // The authorizer names the API by its domain (https as on API Gateway); the local gateway is plain http.
    expect(link.host).toBe(new URL(base).host);
    expect(`${link.pathname}${link.search}`).toBe('/auth/login?returnTo=%2Fme%3Ftab%3D1');
    expect(res.body).toContain('location.replace(u)');
    expect(res.body).toContain(`Request id: ${res.headers['x-amzn-requestid'] as string}`);
    expect(res.body).not.toContain('$context');
    // The link leads to a real sign-in: the login route answers with the issuer's authorization redirect.
    const login = await request(`${base}${link.pathname}${link.search}`);
    expect(login.status).toBe(302);
    expect(login.headers.location).toMatch(new RegExp(`^${served.issuer!.urls.auth}\\?`));
  });

  it.each([
    [
      'a navigation asking for JSON first',
      { 'sec-fetch-mode': 'navigate', accept: 'application/json, text/html' },
    ],
    ['a navigation without Accept', { 'sec-fetch-mode': 'navigate' }],
  ])('keeps the JSON 403 with signIn for %s', async (_name, headers) => {
    const res = await request(`${base}/me`, { headers });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toBe('application/json');
    const body = res.json() as { message: string; signIn: string };
    expect(body.message).toBe('Forbidden');
    // The gateway's own URL: plain http on a loopback host (API Gateway's hosts are https).
    expect(body.signIn).toBe(`http://${new URL(base).host}/auth/login?returnTo=%2Fme`);
  });

  it('leaves an API client (fetch, Accept: application/json) with its plain JSON 401', async () => {
    const res = await request(`${base}/me`, {
      headers: { 'sec-fetch-mode': 'cors', accept: 'application/json' },
    });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toBe('application/json');
    // The app's own UNAUTHORIZED gateway response, as deployed: no page, no sign-in link.
    expect(res.json()).toEqual({
      error: 'unauthorized',
      message: 'Unauthorized',
      requestId: res.headers['x-amzn-requestid'],
    });
  });
});
