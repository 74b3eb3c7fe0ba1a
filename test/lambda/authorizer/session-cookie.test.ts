import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  openRequestSession,
  sessionAccessToken,
  signInDenyResponse,
  signInRedirect,
} from '../../../lambda/authorizer/session-cookie';
import type { SessionData } from '../../../common/session/session-envelope';
import { sealSession, sessionSetCookies } from '../../../common/session/session-envelope';
import { keyring } from '../sign-in/support';

const NOW = 1_800_000_000;
const data: SessionData = {
  accessToken: 'header.payload.signature',
  refreshToken: 'r',
  accessExpiresAt: NOW + 60,
  expiresAt: NOW + 3600,
  issuedAt: NOW - 10,
};

/** The `name=value` pairs a browser sends back for these Set-Cookie headers (HTTP API `cookies` array). */
function sent(setCookies: readonly string[]): string[] {
  return setCookies.filter((c) => !/Max-Age=0/.test(c)).map((c) => c.split(';')[0]);
}

/** Changes one base64url character well inside the value (never a padding-bit-only final character). */
function flipAt(value: string, at: number): string {
  return value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1);
}

describe('sessionAccessToken', () => {
  const ring = keyring();
  const cookies = sent(
    sessionSetCookies('__Host-keygate_session', sealSession(data, ring.current), { maxAgeSeconds: 3600 }),
  );

  it('hands back the access token of a valid session (HTTP API cookies array)', () => {
    expect(sessionAccessToken(cookies, '__Host-keygate_session', ring, NOW)).toEqual({
      kind: 'token',
      accessToken: data.accessToken,
      accessExpired: false,
    });
  });

  it('reads a REST Cookie header with other cookies around it', () => {
    const header = `theme=dark; ${cookies.join('; ')}; other=1`;
    expect(sessionAccessToken([header], '__Host-keygate_session', ring, NOW)).toMatchObject({
      kind: 'token',
    });
  });

  it('says when the access token inside has expired (the browser is then sent to refresh)', () => {
    expect(sessionAccessToken(cookies, '__Host-keygate_session', ring, data.accessExpiresAt)).toMatchObject({
      kind: 'token',
      accessExpired: true,
    });
  });

  describe('a session or chunk cookie sent twice is refused, whichever comes first', () => {
    const NAME = '__Host-keygate_session';
    // A second, valid session (someone else's), as a sibling subdomain or a longer Path could plant it.
    const other = sent(
      sessionSetCookies(NAME, sealSession({ ...data, accessToken: 'other.token.sig' }, ring.current), {
        maxAgeSeconds: 3600,
      }),
    );
    // A session large enough for two chunks (random, so deflate cannot shrink it).
    const big = sent(
      sessionSetCookies(
        NAME,
        sealSession({ ...data, idToken: randomBytes(3000).toString('base64url') }, ring.current),
        {
          maxAgeSeconds: 3600,
        },
      ),
    );

    it.each([
      ['the session cookie, planted first (HTTP API cookies array)', [...other, ...cookies]],
      ['the session cookie, planted last (HTTP API cookies array)', [...cookies, ...other]],
      ['the session cookie in one REST Cookie header', [`${[...other, ...cookies].join('; ')}`]],
      ['the session cookie across two Cookie headers', [other.join('; '), cookies.join('; ')]],
      ['the same session cookie twice', [...cookies, ...cookies]],
      ['a chunk cookie', [...big, big[1]]],
      ['a chunk cookie with another value', [...big, `${NAME}-1=AAAA`]],
      ['the session cookie, once with a value no cookie may hold', [...cookies, `${NAME}=a"b`]],
    ])('%s', (_name, headers) => {
      expect(big).toHaveLength(2);
      expect(sessionAccessToken(headers, NAME, ring, NOW)).toEqual({
        kind: 'refused',
        reason: 'session_malformed',
      });
    });

    it('a chunk cookie repeated beyond the chunk count is not part of the session and does not matter', () => {
      expect(sessionAccessToken([...cookies, `${NAME}-3=x`, `${NAME}-3=y`], NAME, ring, NOW)).toMatchObject({
        kind: 'token',
      });
    });
  });

  it('reports no session as absent, so the bearer path and its token_missing apply', () => {
    expect(sessionAccessToken(['theme=dark'], '__Host-keygate_session', ring, NOW)).toEqual({
      kind: 'absent',
    });
    expect(sessionAccessToken(undefined, '__Host-keygate_session', ring, NOW)).toEqual({ kind: 'absent' });
  });

  it.each([
    ['tampered', () => [flipAt(cookies[0], cookies[0].length - 20)], 'session_tampered'],
    ['expired', () => cookies, 'session_expired', data.expiresAt],
    [
      'sealed with an unknown key',
      () =>
        sent(
          sessionSetCookies('__Host-keygate_session', sealSession(data, keyring('old').current), {
            maxAgeSeconds: 60,
          }),
        ),
      'session_key_unknown',
    ],
    [
      'forged with another secret',
      () =>
        sent(
          sessionSetCookies('__Host-keygate_session', sealSession(data, keyring('k1').current), {
            maxAgeSeconds: 60,
          }),
        ),
      'session_tampered',
    ],
    ['garbage', () => ['__Host-keygate_session=1~not-an-envelope'], 'session_malformed'],
    ['missing its chunk count', () => ['__Host-keygate_session=v1.k1.x.y'], 'session_malformed'],
  ])('refuses a %s session', (_name, make, reason, at = NOW) => {
    expect(sessionAccessToken(make(), '__Host-keygate_session', ring, at as number)).toEqual({
      kind: 'refused',
      reason,
    });
  });
});

describe('signInRedirect', () => {
  const nav = { 'sec-fetch-mode': 'navigate', accept: 'text/html,application/xhtml+xml' };
  const base = {
    baseUrl: 'https://api.example.com/prod',
    browserRoute: true,
    accessExpired: false,
    headers: nav,
  };

  it('sends a browser navigation without a session to login, returning to the same path and query', () => {
    expect(signInRedirect({ ...base, method: 'GET', path: '/me', rawQuery: 'tab=1' })).toBe(
      'https://api.example.com/prod/auth/login?returnTo=%2Fme%3Ftab%3D1',
    );
  });

  it('sends a browser whose session holds an expired access token to refresh', () => {
    expect(signInRedirect({ ...base, accessExpired: true, method: 'GET', path: '/me' })).toBe(
      'https://api.example.com/prod/auth/refresh?returnTo=%2Fme',
    );
  });

  it('falls back to / when the requested path is not a safe returnTo', () => {
    expect(signInRedirect({ ...base, method: 'GET', path: '//evil.example' })).toBe(
      'https://api.example.com/prod/auth/login?returnTo=%2F',
    );
  });

  it('recognises older browsers by an Accept header that leads with HTML', () => {
    expect(
      signInRedirect({ ...base, headers: { accept: 'text/html,*/*' }, method: 'GET', path: '/me' }),
    ).toMatch(/auth\/login/);
  });

  it.each([
    ['a route not marked browser', { browserRoute: false }],
    ['a POST', { method: 'POST' }],
    ['a fetch() call', { headers: { 'sec-fetch-mode': 'cors', accept: 'text/html' } }],
    ['an API client asking for JSON', { headers: { accept: 'application/json' } }],
    ['no Accept and no Fetch Metadata', { headers: {} }],
  ])('leaves %s with its plain 401', (_name, change) => {
    expect(signInRedirect({ ...base, method: 'GET', path: '/me', ...change })).toBeUndefined();
  });

  // The URL is substituted unescaped into a JSON string and an HTML attribute by the REST gateway responses.
  it.each([
    ['a double quote', 'https://api.example.com/a"onmouseover=x'],
    ['angle brackets', 'https://api.example.com/<script>'],
    ['an ampersand', 'https://api.example.com/a&amp'],
    ['a backslash', 'https://api.example.com/a\\b'],
    ['a space', 'https://api.example.com/a b'],
    ['a dollar sign', 'https://api.example.com/$context'],
  ])('refuses to build a sign-in URL from a base URL carrying %s', (_name, baseUrl) => {
    expect(signInRedirect({ ...base, baseUrl, method: 'GET', path: '/me' })).toBeUndefined();
  });

  it("keeps paths with characters encodeURIComponent leaves alone (!*'()), which are safe in both", () => {
    expect(signInRedirect({ ...base, method: 'GET', path: "/me/it's(1)*!" })).toBe(
      "https://api.example.com/prod/auth/login?returnTo=%2Fme%2Fit's(1)*!",
    );
  });
});

describe('openRequestSession', () => {
  const ring = keyring();
  const cookies = sent(
    sessionSetCookies('__Host-keygate_session', sealSession(data, ring.current), { maxAgeSeconds: 3600 }),
  );
  const keys = { keyring: async () => ring };
  const opts = { allowedOrigins: ['https://api.example.com'] };
  const req = (method: string, headers: Record<string, string[]> = {}, c = cookies) => ({
    method,
    cookies: c,
    headers: new Map(Object.entries(headers)),
  });

  it('opens the session and passes a same-origin POST', async () => {
    expect(
      await openRequestSession(req('POST', { origin: ['https://api.example.com'] }), opts, keys, NOW),
    ).toEqual({
      kind: 'token',
      accessToken: data.accessToken,
      accessExpired: false,
      csrf: { ok: true, via: 'origin' },
    });
  });

  it('carries the CSRF refusal of a cross-site POST for the pipeline to apply after verification', async () => {
    const step = await openRequestSession(req('POST', { origin: ['https://evil.example'] }), opts, keys, NOW);
    expect(step).toMatchObject({ kind: 'token', csrf: { ok: false, reason: 'csrf_rejected' } });
  });

  it('refuses a doubled Origin header', async () => {
    const step = await openRequestSession(
      req('POST', { origin: ['https://api.example.com', 'https://api.example.com'] }),
      opts,
      keys,
      NOW,
    );
    expect(step).toMatchObject({ kind: 'token', csrf: { ok: false } });
  });

  it('does not read the keyring when there is no session cookie', async () => {
    let reads = 0;
    const counting = { keyring: async () => (reads++, ring) };
    expect(await openRequestSession(req('GET', {}, ['theme=dark']), opts, counting, NOW)).toEqual({
      kind: 'absent',
    });
    expect(reads).toBe(0);
  });

  it('refuses when the keyring cannot be read, and passes the session refusals through', async () => {
    const down = { keyring: () => Promise.reject(new Error('extension down')) };
    expect(await openRequestSession(req('GET'), opts, down, NOW)).toEqual({
      kind: 'refused',
      reason: 'session_keys_unavailable',
    });
    expect(await openRequestSession(req('GET'), opts, keys, data.expiresAt)).toEqual({
      kind: 'refused',
      reason: 'session_expired',
    });
  });
});

describe('signInDenyResponse', () => {
  it('denies exactly the request ARN and carries the sign-in URL in string context values', () => {
    const arn = 'arn:aws:execute-api:eu-west-1:111122223333:abc/prod/GET/me';
    expect(signInDenyResponse(arn, 'https://x/auth/login?returnTo=%2Fme', 'token_missing')).toEqual({
      principalId: 'anonymous',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [arn] }],
      },
      context: { signIn: 'https://x/auth/login?returnTo=%2Fme', reason: 'token_missing' },
    });
  });
});
