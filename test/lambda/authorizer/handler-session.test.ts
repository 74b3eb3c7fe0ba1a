/**
 * The handler with browser sessions on: a sealed session cookie stands in for a missing bearer token,
 * cookie-borne state changes need same-origin proof (403 csrf_rejected otherwise), and on REST a browser
 * navigation to a `browser` route without a usable session gets a Deny carrying the sign-in URL.
 */
import { describe, expect, it } from 'vitest';
import type { SessionConfig } from '../../../common/authorizer-config';
import { createHandler } from '../../../lambda/authorizer/handler';
import { createSessionSupport } from '../../../lambda/authorizer/session-support';
import type { IamPolicyResponse } from '../../../lambda/authorizer/build-response';
import type { SessionData } from '../../../common/session/session-envelope';
import { sealSession, sessionSetCookies } from '../../../common/session/session-envelope';
import type { EventKind, EventOptions } from '../../fixtures/apigw/events';
import { apigwEvent, methodArn } from '../../fixtures/apigw/events';
import { keyring } from '../sign-in/support';
import { PRINCIPALS, RecordingLog, config, evaluatePolicy, tableVerifier } from './pipeline-fixtures';

const TOKENS = Object.fromEntries(Object.entries(PRINCIPALS).map(([n, p]) => [`tok.${n}.sig`, p]));
const NOW = Math.floor(Date.now() / 1000);
const ring = keyring();
const REST_BASE = 'https://k3yg4te001.execute-api.eu-west-1.amazonaws.com/prod';
const SESSION: SessionConfig = {
  keysSecretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:kg',
  browserRoutes: ['GET /me'],
};

function sessionCookies(accessToken: string, o: Partial<SessionData> = {}): string[] {
  const data: SessionData = {
    accessToken,
    accessExpiresAt: NOW + 300,
    expiresAt: NOW + 3600,
    issuedAt: NOW - 5,
    ...o,
  };
  return sessionSetCookies('__Host-keygate_session', sealSession(data, ring.current), {
    maxAgeSeconds: 3600,
  }).map((c) => c.split(';')[0]);
}

function setup(withKeys = true) {
  const log = new RecordingLog();
  const handler = createHandler({
    config: { ok: true, config: config({ session: SESSION }) },
    createVerifier: () => tableVerifier(TOKENS),
    log,
    sessions: withKeys ? createSessionSupport(SESSION, { keyring: async () => ring }) : undefined,
  });
  return { handler, log };
}

async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return await p;
  } catch (e) {
    return e;
  }
}

const NAVIGATE = { 'Sec-Fetch-Mode': ['navigate'], Accept: ['text/html'] };

describe('createHandler with browser sessions', () => {
  it.each(['rest', 'http-1.0', 'http-2.0'] as const)(
    '%s: a session cookie stands in for a missing bearer token',
    async (kind: EventKind) => {
      const { handler, log } = setup();
      const r = (await handler(
        apigwEvent(kind, { authorization: null, cookies: sessionCookies('tok.bob.sig') }),
      )) as IamPolicyResponse;
      expect(evaluatePolicy(r.policyDocument.Statement, methodArn(kind, 'GET', '/models'))).toBe('allow');
      expect(log.lines[0]).toMatchObject({ decision: 'allow', reason: 'allowed' });
    },
  );

  it('a bearer token wins: the cookies are not looked at', async () => {
    const { handler } = setup();
    const r = (await handler(
      apigwEvent('rest', {
        authorization: 'Bearer tok.bob.sig',
        cookies: ['__Host-keygate_session=garbage'],
      }),
    )) as IamPolicyResponse;
    expect(r.principalId).toBe('bob');
  });

  it.each([
    ['no Origin, no Fetch Metadata, no CSRF header', {}, 'deny'],
    ['a foreign Origin', { Origin: ['https://evil.example'] }, 'deny'],
    ['the API’s own Origin', { Origin: ['https://k3yg4te001.execute-api.eu-west-1.amazonaws.com'] }, 'allow'],
    ['Sec-Fetch-Site: same-origin', { 'Sec-Fetch-Site': ['same-origin'] }, 'allow'],
    ['the CSRF header', { 'X-Keygate-Csrf': ['1'] }, 'allow'],
  ])('a cookie-borne POST with %s: %s', async (_n, headers, expected) => {
    const { handler, log } = setup();
    const o: EventOptions = {
      method: 'POST',
      path: '/models/sentiment/invoke',
      authorization: null,
      cookies: sessionCookies('tok.alice.sig'),
      headers,
    };
    const r = (await handler(apigwEvent('rest', o))) as IamPolicyResponse;
    expect(
      evaluatePolicy(r.policyDocument.Statement, methodArn('rest', 'POST', '/models/sentiment/invoke')),
    ).toBe(expected);
    expect(log.lines[0].reason).toBe(expected === 'allow' ? 'allowed' : 'csrf_rejected');
    if (expected === 'deny') {
      // Exactly this request's ARN is denied; the refusal is not a policy for other routes.
      expect(r.policyDocument.Statement).toEqual([
        {
          Action: 'execute-api:Invoke',
          Effect: 'Deny',
          Resource: [methodArn('rest', 'POST', '/models/sentiment/invoke')],
        },
      ]);
      expect(log.lines[0].decision).toBe('deny');
    }
  });

  it.each(['rest', 'http-1.0', 'http-2.0'] as const)(
    '%s: a second session cookie of the same name (planted by a sibling) is 401 session_malformed',
    async (kind: EventKind) => {
      const { handler, log } = setup();
      const cookies = [...sessionCookies('tok.mallory.sig'), ...sessionCookies('tok.alice.sig')];
      const e = await outcome(handler(apigwEvent(kind, { authorization: null, cookies })));
      expect((e as Error).message).toBe('Unauthorized');
      expect(log.lines).toHaveLength(1);
      expect(log.lines[0]).toMatchObject({ decision: 'unauthorized', reason: 'session_malformed' });
    },
  );

  it('a tampered session is 401 for an API client', async () => {
    const { handler, log } = setup();
    const cookies = sessionCookies('tok.bob.sig').map(
      (c) => c.slice(0, -6) + (c.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'),
    );
    const e = await outcome(handler(apigwEvent('rest', { authorization: null, cookies })));
    expect((e as Error).message).toBe('Unauthorized');
    expect(log.lines[0]).toMatchObject({ decision: 'unauthorized', reason: 'session_tampered' });
  });

  it('REST: a browser navigation to a browser route without a session gets a Deny with the sign-in URL', async () => {
    const { handler, log } = setup();
    const r = (await handler(
      apigwEvent('rest', { path: '/me', authorization: null, headers: NAVIGATE, query: { tab: ['keys'] } }),
    )) as IamPolicyResponse;
    expect(r.context).toEqual({
      signIn: `${REST_BASE}/auth/login?returnTo=${encodeURIComponent('/me?tab=keys')}`,
      reason: 'token_missing',
    });
    expect(r.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [methodArn('rest', 'GET', '/me')] },
    ]);
    expect(log.lines[0]).toMatchObject({ decision: 'unauthorized', reason: 'token_missing' });
  });

  it('REST: an expired access token inside the session sends the browser to refresh', async () => {
    const log = new RecordingLog();
    const known = tableVerifier(TOKENS);
    const handler = createHandler({
      config: { ok: true, config: config({ session: SESSION }) },
      createVerifier: () => ({
        verify: async (t: string) =>
          t === 'tok.expired.sig'
            ? { ok: false as const, reason: 'token_expired' as const, facts: {} }
            : known.verify(t),
      }),
      log,
      sessions: createSessionSupport(SESSION, { keyring: async () => ring }),
    });
    const cookies = sessionCookies('tok.expired.sig', { accessExpiresAt: NOW - 10 });
    const r = (await handler(
      apigwEvent('rest', { path: '/me', authorization: null, cookies, headers: NAVIGATE }),
    )) as IamPolicyResponse;
    expect(r.context).toEqual({
      signIn: `${REST_BASE}/auth/refresh?returnTo=%2Fme`,
      reason: 'token_expired',
    });
    expect(log.lines[0]).toMatchObject({ decision: 'unauthorized', reason: 'token_expired' });
    // The same expired session from an API client: a plain 401.
    const e = await outcome(handler(apigwEvent('rest', { path: '/me', authorization: null, cookies })));
    expect((e as Error).message).toBe('Unauthorized');
  });

  it.each([
    ['an API client (no navigation)', { path: '/me', authorization: null }],
    [
      'a navigation to a route not marked browser',
      { path: '/models', authorization: null, headers: NAVIGATE },
    ],
  ])('REST: %s keeps the plain 401', async (_n, o) => {
    const { handler } = setup();
    const e = await outcome(handler(apigwEvent('rest', o)));
    expect((e as Error).message).toBe('Unauthorized');
  });

  it('HTTP APIs keep the plain 401 even for a browser navigation (no gateway responses there)', async () => {
    const { handler } = setup();
    const e = await outcome(
      handler(apigwEvent('http-2.0', { path: '/me', authorization: null, headers: NAVIGATE })),
    );
    expect((e as Error).message).toBe('Unauthorized');
  });

  it('keys that cannot be read: 401 session_keys_unavailable', async () => {
    const log = new RecordingLog();
    const handler = createHandler({
      config: { ok: true, config: config({ session: SESSION }) },
      createVerifier: () => tableVerifier(TOKENS),
      log,
      sessions: createSessionSupport(SESSION, {
        keyring: async () => {
          throw new Error('extension down');
        },
      }),
    });
    const e = await outcome(
      handler(apigwEvent('http-2.0', { authorization: null, cookies: sessionCookies('tok.bob.sig') })),
    );
    expect((e as Error).message).toBe('Unauthorized');
    expect(log.lines[0].reason).toBe('session_keys_unavailable');
  });

  it('sessions configured without a keyring: a config error once, every request denied', async () => {
    const { handler, log } = setup(false);
    for (let i = 0; i < 2; i++)
      await outcome(handler(apigwEvent('rest', { authorization: 'Bearer tok.bob.sig' })));
    expect(log.configErrors).toEqual([['session is configured but no session keyring is']]);
    expect(log.lines.map((l) => l.reason)).toEqual(['config_invalid', 'config_invalid']);
  });
});
