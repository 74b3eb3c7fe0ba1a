/**
 * The back-channel logout endpoint with real signed logout tokens, keys served over real HTTPS on
 * 127.0.0.1, and the in-memory revocation list: what a valid token revokes, and every bad input refused
 * with 400 and its reason (never a crash, never an entry).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimpleFetcher } from 'aws-jwt-verify/https';
import type { BackChannelLogoutConfig, LogoutRejection } from '../../../common/back-channel-logout';
import { revocationKey } from '../../../common/revocation';
import { BACKCHANNEL_LOGOUT_EVENT, MAX_LOGOUT_REQUEST_BYTES } from '../../../common/back-channel-logout';
import { createLogoutHandler } from '../../../lambda/back-channel-logout/handler';
import type { LogoutLogLine, LogoutRequest } from '../../../lambda/back-channel-logout/handler';
import { toLogoutRequest } from '../../../lambda/back-channel-logout/proxy-event';
import { createLogoutTokenVerifier } from '../../../lambda/back-channel-logout/logout-token';
import { MemoryRevocationStore } from '../../../lambda/revocation/revocation-store';
import { startJwksServer } from '../../support/https-server';
import type { JwksServer } from '../../support/https-server';
import { generateSigningKey, jwksOf } from '../../support/keys';
import type { TestKey } from '../../support/keys';
import { signJws } from '../../support/tokens';
import type { Claims } from '../../support/tokens';

// The library checks exp against the real clock; the endpoint's own checks use the injected one.
const NOW = Math.floor(Date.now() / 1000);
let server: JwksServer;
let key: TestKey;
let otherKey: TestKey;
let issuer: string;

beforeAll(async () => {
  key = await generateSigningKey('RS256', { kid: 'k1' });
  otherKey = await generateSigningKey('RS256', { kid: 'k1' });
  server = await startJwksServer(jwksOf(key));
  issuer = `${server.url}/realms/keygate`;
});
afterAll(() => server.close());

function configOf(): BackChannelLogoutConfig {
  return { issuers: [{ issuer, audiences: ['keygate-web'] }], retentionSeconds: 36_000 };
}

function setup() {
  const store = new MemoryRevocationStore();
  const lines: LogoutLogLine[] = [];
  const config = configOf();
  const handle = createLogoutHandler({
    config,
    verifier: createLogoutTokenVerifier(config, {
      fetcher: new SimpleFetcher({ defaultRequestOptions: { ca: server.ca } }),
      now: () => NOW * 1000,
    }),
    store,
    now: () => NOW * 1000,
    log: (l) => lines.push(l),
  });
  return { store, lines, handle };
}

/** Keycloak's logout token shape (typ logout+jwt; sid and sub; an empty event object). */
function logoutClaims(extra: Claims = {}): Claims {
  return {
    iat: NOW - 1,
    exp: NOW + 119,
    jti: `lt-${Math.random()}`,
    iss: issuer,
    aud: 'keygate-web',
    sub: 'user-1',
    typ: 'Logout',
    sid: 'sid-1',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...extra,
  };
}

function logoutToken(
  claims: Claims = logoutClaims(),
  k: TestKey = key,
  typ: string | null = 'logout+jwt',
): string {
  return signJws(k, claims, { alg: 'RS256', kid: k.kid, ...(typ === null ? {} : { typ }) });
}

function post(body: string, contentType = 'application/x-www-form-urlencoded'): LogoutRequest {
  return { method: 'POST', contentType, body: Buffer.from(body) };
}

const form = (token: string) => `logout_token=${encodeURIComponent(token)}`;

describe('back-channel logout endpoint', () => {
  it('revokes the session a valid logout token names: 200, no-store, one entry keyed by issuer and sid', async () => {
    const { store, handle, lines } = setup();
    const res = await handle(post(form(logoutToken())));
    expect(res).toEqual({
      statusCode: 200,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
      body: '',
    });
    const found = await store.lookup(
      [revocationKey(issuer, 'sid', 'sid-1'), revocationKey(issuer, 'sub', 'user-1')],
      NOW,
    );
    expect([...found]).toEqual([[revocationKey(issuer, 'sid', 'sid-1'), NOW]]);
    expect(lines).toEqual([{ outcome: 'revoked', iss: issuer, kind: 'sid' }]);
  });

  it('revokes every session of the subject when the token names no sid', async () => {
    const { store, handle } = setup();
    const claims = logoutClaims();
    delete claims.sid;
    expect((await handle(post(form(logoutToken(claims))))).statusCode).toBe(200);
    const found = await store.lookup([revocationKey(issuer, 'sub', 'user-1')], NOW);
    expect(found.get(revocationKey(issuer, 'sub', 'user-1'))).toBe(NOW);
  });

  it('keeps the entry for retentionSeconds, then drops it', async () => {
    const { store, handle } = setup();
    await handle(post(form(logoutToken())));
    const k = revocationKey(issuer, 'sid', 'sid-1');
    expect((await store.lookup([k], NOW + 35_999)).size).toBe(1);
    expect((await store.lookup([k], NOW + 36_000)).size).toBe(0);
  });

  it('accepts a token without typ (the header is optional in the spec) and a charset on the content type', async () => {
    const { handle } = setup();
    const res = await handle(
      post(form(logoutToken(logoutClaims(), key, null)), 'application/x-www-form-urlencoded; charset=UTF-8'),
    );
    expect(res.statusCode).toBe(200);
  });

  it('accepts a jti once: the replay is refused with jti_replayed', async () => {
    const { handle } = setup();
    const token = logoutToken();
    expect((await handle(post(form(token)))).statusCode).toBe(200);
    const replay = await handle(post(form(token)));
    expect(replay.statusCode).toBe(400);
    expect(JSON.parse(replay.body).error_description).toMatch(/^jti_replayed: /);
  });

  /** Claims of a valid logout token without the named ones. */
  const without = (...names: string[]): Claims => {
    const c = logoutClaims();
    for (const n of names) delete c[n];
    return c;
  };

  const BAD: readonly [string, () => LogoutRequest, LogoutRejection][] = [
    ['a nonce', () => post(form(logoutToken(logoutClaims({ nonce: 'n-1' })))), 'nonce_present'],
    ['no events claim', () => post(form(logoutToken(without('events')))), 'events_invalid'],
    [
      'events without the logout member',
      () => post(form(logoutToken(logoutClaims({ events: { 'urn:other': {} } })))),
      'events_invalid',
    ],
    [
      'a logout event that is not an object',
      () => post(form(logoutToken(logoutClaims({ events: { [BACKCHANNEL_LOGOUT_EVENT]: null } })))),
      'events_invalid',
    ],
    [
      'events as an array',
      () => post(form(logoutToken(logoutClaims({ events: [BACKCHANNEL_LOGOUT_EVENT] })))),
      'events_invalid',
    ],
    ['neither sid nor sub', () => post(form(logoutToken(without('sid', 'sub')))), 'subject_missing'],
    [
      'an empty sid and no sub',
      () => post(form(logoutToken({ ...without('sid', 'sub'), sid: '' }))),
      'subject_missing',
    ],
    ['no jti', () => post(form(logoutToken(without('jti')))), 'jti_missing'],
    ['no iat', () => post(form(logoutToken(without('iat')))), 'iat_invalid'],
    ['an iat in the future', () => post(form(logoutToken(logoutClaims({ iat: NOW + 31 })))), 'iat_invalid'],
    ['no exp', () => post(form(logoutToken(without('exp')))), 'token_expired'],
    ['an expired token', () => post(form(logoutToken(logoutClaims({ exp: NOW - 31 })))), 'token_expired'],
    [
      'another audience',
      () => post(form(logoutToken(logoutClaims({ aud: 'other-client' })))),
      'audience_not_allowed',
    ],
    [
      'another issuer',
      () => post(form(logoutToken(logoutClaims({ iss: 'https://evil.example/realms/keygate' })))),
      'issuer_untrusted',
    ],
    [
      'a signature by another key with the same kid',
      () => post(form(logoutToken(logoutClaims(), otherKey))),
      'signature_invalid',
    ],
    ['an access token typ', () => post(form(logoutToken(logoutClaims(), key, 'at+jwt'))), 'typ_invalid'],
    ['an ID token typ', () => post(form(logoutToken(logoutClaims(), key, 'JWT'))), 'typ_invalid'],
    ['a token that is not a JWS', () => post(form('not.a.jwt')), 'logout_token_malformed'],
    ['no logout_token parameter', () => post('token=abc'), 'logout_token_missing'],
    [
      'two logout_token parameters',
      () => post(`${form(logoutToken())}&${form(logoutToken())}`),
      'logout_token_missing',
    ],
    ['an empty body', () => post(''), 'logout_token_missing'],
    [
      'a JSON body',
      () => post(JSON.stringify({ logout_token: 'x' }), 'application/json'),
      'content_type_invalid',
    ],
    [
      'no content type',
      () => ({ method: 'POST', body: Buffer.from(form(logoutToken())) }),
      'content_type_invalid',
    ],
    [
      'an oversize body',
      () => post(`logout_token=${'a'.repeat(MAX_LOGOUT_REQUEST_BYTES)}`),
      'body_too_large',
    ],
    ['a GET', () => ({ method: 'GET', body: Buffer.alloc(0) }), 'method_not_allowed'],
  ];

  it.each(BAD)('refuses %s: 400 with its reason, nothing revoked', async (_name, request, reason) => {
    const { store, handle, lines } = setup();
    const res = await handle(request());
    expect(res.statusCode).toBe(400);
    expect(res.headers['Cache-Control']).toBe('no-store');
    const body = JSON.parse(res.body) as { error: string; error_description: string };
    expect(body.error).toBe('invalid_request');
    expect(body.error_description.split(':')[0]).toBe(reason);
    expect(lines.map((l) => l.reason)).toEqual([reason]);
    const found = await store.lookup(
      [revocationKey(issuer, 'sid', 'sid-1'), revocationKey(issuer, 'sub', 'user-1')],
      NOW,
    );
    expect(found.size).toBe(0);
  });

  it('refuses with revocation_store_unavailable when the list cannot be written', async () => {
    const config = configOf();
    const handle = createLogoutHandler({
      config,
      verifier: createLogoutTokenVerifier(config, {
        fetcher: new SimpleFetcher({ defaultRequestOptions: { ca: server.ca } }),
        now: () => NOW * 1000,
      }),
      store: {
        revoke: () => Promise.reject(new Error('throttled')),
        claimOnce: () => Promise.resolve(true),
        lookup: () => Promise.resolve(new Map()),
      },
      now: () => NOW * 1000,
      log: () => {},
    });
    const res = await handle(post(form(logoutToken())));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error_description).toMatch(/^revocation_store_unavailable: /);
  });

  it.each([
    [
      'REST',
      {
        httpMethod: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'logout_token=a',
        isBase64Encoded: false,
      },
    ],
    [
      'HTTP API 2.0, base64',
      {
        requestContext: { http: { method: 'POST' } },
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from('logout_token=a').toString('base64'),
        isBase64Encoded: true,
      },
    ],
  ])('reads the %s proxy event', (_kind, event) => {
    const r = toLogoutRequest(event);
    expect({ method: r.method, contentType: r.contentType, body: r.body.toString() }).toEqual({
      method: 'POST',
      contentType: 'application/x-www-form-urlencoded',
      body: 'logout_token=a',
    });
  });
});
