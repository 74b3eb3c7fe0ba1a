/**
 * The handler with revocation on, with real signed Keycloak tokens verified against keys served over
 * HTTPS on 127.0.0.1: a bearer token and a (copied) browser session cookie of a session logged out in
 * the issuer stop working within the bound, with reason session_revoked; a new sign-in works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizerConfig, SessionConfig } from '../../../common/authorizer-config';
import { revocationKey } from '../../../common/revocation';
import { createHandler } from '../../../lambda/authorizer/handler';
import type { IamPolicyResponse } from '../../../lambda/authorizer/build-response';
import { createSessionSupport } from '../../../lambda/authorizer/session-support';
import { createTokenVerifier } from '../../../lambda/authorizer/verify-token';
import { MemoryRevocationStore } from '../../../lambda/revocation/revocation-store';
import { sealSession, sessionSetCookies } from '../../../common/session/session-envelope';
import { apigwEvent } from '../../fixtures/apigw/events';
import { startJwksServer } from '../../support/https-server';
import type { JwksServer } from '../../support/https-server';
import { generateSigningKey, jwksOf } from '../../support/keys';
import type { TestKey } from '../../support/keys';
import { keycloakAccessToken } from '../../support/tokens';
import { keyring } from '../sign-in/support';
import { RecordingLog } from './pipeline-fixtures';

const START = Math.floor(Date.now() / 1000);
const ring = keyring();
let server: JwksServer;
let key: TestKey;
let issuer: string;

beforeAll(async () => {
  key = await generateSigningKey('RS256', { kid: 'k1' });
  server = await startJwksServer(jwksOf(key));
  issuer = `${server.url}/realms/keygate`;
});
afterAll(() => server.close());

const SESSION: SessionConfig = {
  keysSecretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:kg',
  browserRoutes: ['GET /me'],
};

/** The `name=value` pairs a browser sends for a session sealed around `accessToken`. */
function sessionCookies(accessToken: string): string[] {
  return sessionSetCookies(
    '__Host-keygate_session',
    sealSession(
      { accessToken, accessExpiresAt: START + 595, expiresAt: START + 3600, issuedAt: START - 5 },
      ring.current,
    ),
    { maxAgeSeconds: 3600 },
  ).map((c) => c.split(';')[0]);
}

function setup(o: { session?: boolean; ttl?: number } = {}) {
  let ms = START * 1000;
  const log = new RecordingLog();
  const store = new MemoryRevocationStore();
  const config: AuthorizerConfig = {
    version: 1,
    issuers: [{ kind: 'keycloak', issuer, allowedClients: ['web'] }],
    routes: [{ method: 'GET', path: '/me', auth: 'keycloak' }],
    resultCacheTtlSeconds: o.ttl ?? 0,
    revocation: { boundSeconds: 30 },
    ...(o.session ? { session: SESSION } : {}),
  };
  const handler = createHandler({
    config: { ok: true, config },
    createVerifier: (c, events) =>
      createTokenVerifier(c, { events, requestOptions: { ca: server.ca }, now: () => ms }),
    log,
    now: () => ms,
    revocationStore: store,
    sessions: o.session ? createSessionSupport(SESSION, { keyring: async () => ring }) : undefined,
  });
  const token = (sid: string, iat = START - 5) =>
    keycloakAccessToken(key, { issuer, iat, lifetime: 600, extra: { sid } });
  const logout = (kind: 'sid' | 'sub', value: string) =>
    store.revoke([
      {
        key: revocationKey(issuer, kind, value),
        revokedAt: Math.floor(ms / 1000),
        expiresAt: Math.floor(ms / 1000) + 3600,
      },
    ]);
  return { handler, log, store, token, logout, advance: (s: number) => void (ms += s * 1000) };
}

async function decide(p: Promise<unknown>): Promise<string> {
  try {
    const r = (await p) as IamPolicyResponse;
    return r.policyDocument.Statement.some((s) => s.Effect === 'Allow') ? 'allow' : 'deny';
  } catch (e) {
    return (e as Error).message;
  }
}

describe('createHandler with revocation', () => {
  it('a bearer token of a logged-out session: allowed before, 401 session_revoked within the bound', async () => {
    const t = setup();
    const bearer = t.token('sid-1');
    const call = () =>
      t.handler(apigwEvent('rest', { method: 'GET', path: '/me', authorization: `Bearer ${bearer}` }));
    expect(await decide(call())).toBe('allow');
    await t.logout('sid', 'sid-1');
    t.advance(30);
    expect(await decide(call())).toBe('Unauthorized');
    expect(t.log.lines.map((l) => [l.decision, l.reason])).toEqual([
      ['allow', 'allowed'],
      ['unauthorized', 'session_revoked'],
    ]);
    expect(t.store.lookups).toBe(2);
  });

  it('a token of a new sign-in (new sid, later iat) works after the old session was logged out', async () => {
    const t = setup();
    await t.logout('sid', 'sid-1');
    t.advance(1);
    const fresh = t.token('sid-2', START + 1);
    expect(
      await decide(t.handler(apigwEvent('rest', { authorization: `Bearer ${fresh}`, path: '/me' }))),
    ).toBe('allow');
  });

  it('a logout of the subject refuses every session of it issued before, and no later one', async () => {
    const t = setup();
    await t.logout('sub', 'f1a2b3c4-0000-4000-8000-000000000001');
    const before = t.token('sid-a', START - 1);
    const after = t.token('sid-b', START + 1);
    expect(
      await decide(t.handler(apigwEvent('rest', { authorization: `Bearer ${before}`, path: '/me' }))),
    ).toBe('Unauthorized');
    expect(
      await decide(t.handler(apigwEvent('rest', { authorization: `Bearer ${after}`, path: '/me' }))),
    ).toBe('allow');
  });

  it.each(['rest', 'http-1.0', 'http-2.0'] as const)(
    '%s: a copied session cookie stops working within the bound after a logout in the issuer',
    async (kind) => {
      const t = setup({ session: true });
      const cookies = sessionCookies(t.token('sid-c'));
      const call = () =>
        t.handler(apigwEvent(kind, { method: 'GET', path: '/me', authorization: null, cookies }));
      expect(await decide(call())).toBe('allow');
      await t.logout('sid', 'sid-c');
      t.advance(29);
      // Within the bound the container may still use the entry it read (here: 29 s < 30 s).
      expect(await decide(call())).toBe('allow');
      t.advance(1);
      expect(await decide(call())).toBe('Unauthorized');
      expect(t.log.lines.at(-1)?.reason).toBe('session_revoked');
    },
  );

  it('a REST browser navigation with a logged-out session cookie is sent to sign in again', async () => {
    const t = setup({ session: true });
    const cookies = sessionCookies(t.token('sid-n'));
    await t.logout('sid', 'sid-n');
    const r = (await t.handler(
      apigwEvent('rest', {
        method: 'GET',
        path: '/me',
        authorization: null,
        cookies,
        headers: { 'Sec-Fetch-Mode': ['navigate'], Accept: ['text/html'] },
      }),
    )) as IamPolicyResponse & { context: { signIn: string; reason: string } };
    expect(r.context.reason).toBe('session_revoked');
    expect(r.context.signIn).toMatch(/\/auth\/login\?returnTo=%2Fme$/);
  });

  it('denies every request (config_invalid) when revocation is configured without a store', async () => {
    const log = new RecordingLog();
    const handler = createHandler({
      config: {
        ok: true,
        config: {
          version: 1,
          issuers: [
            { kind: 'keycloak', issuer: 'https://sso.example.com/realms/k', allowedClients: ['web'] },
          ],
          routes: [],
          resultCacheTtlSeconds: 0,
          revocation: {},
        },
      },
      log,
    });
    await expect(handler(apigwEvent('rest', { authorization: 'Bearer x' }))).rejects.toThrow('Unauthorized');
    expect(log.configErrors).toEqual([['revocation is configured but no revocation store is']]);
    expect(log.lines[0].reason).toBe('config_invalid');
  });
});
