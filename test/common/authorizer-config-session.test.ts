import { describe, expect, it } from 'vitest';
import { validateAuthorizerConfig } from '../../common/authorizer-config-validate';

const base = {
  version: 1,
  issuers: [
    { kind: 'keycloak', issuer: 'https://sso.example.com/realms/ml', allowedClients: ['keygate-web'] },
  ],
  routes: [
    { method: 'GET', path: '/me', auth: 'keycloak' },
    {
      method: 'POST',
      path: '/models/{modelId}/invoke',
      auth: 'keycloak',
      requirement: { anyOf: { realmRoles: ['model:{modelId}:invoke'] } },
    },
    { method: 'GET', path: '/machine/models', auth: 'iam' },
  ],
};
const session = {
  keysSecretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keys-AbCdEf',
  cookieName: '__Host-keygate_session',
  csrfHeader: 'x-keygate-csrf',
  allowedOrigins: ['https://app.example.com', 'https://app.example.com:8443'],
  browserRoutes: ['GET /me'],
  publicBaseUrl: 'https://api.example.com',
};

describe('authorizer config: session', () => {
  it('accepts a full session block, and its absence', () => {
    expect(validateAuthorizerConfig({ ...base, session })).toMatchObject({ ok: true });
    expect(validateAuthorizerConfig({ ...base, session: { keysSecretId: 'keys' } })).toMatchObject({
      ok: true,
    });
    expect(validateAuthorizerConfig(base)).toMatchObject({ ok: true });
  });

  it.each([
    [[], 'session must be an object'],
    [{ ...session, keysSecretId: '' }, 'session.keysSecretId must be a non-empty string'],
    [{ ...session, cookieName: 'a;b' }, 'session.cookieName must be 1-48 letters, digits, _ or -'],
    [{ ...session, csrfHeader: 'x csrf' }, 'session.csrfHeader must be an HTTP header name'],
    [
      { ...session, allowedOrigins: ['http://app.example.com'] },
      'session.allowedOrigins must be a list of https origins (scheme, host and optional port only)',
    ],
    [
      { ...session, allowedOrigins: ['https://app.example.com/path'] },
      'session.allowedOrigins must be a list of https origins (scheme, host and optional port only)',
    ],
    [
      { ...session, browserRoutes: ['GET /nowhere'] },
      "session.browserRoutes: 'GET /nowhere' is not a GET keycloak route of routes",
    ],
    [
      { ...session, browserRoutes: ['GET /machine/models'] },
      "session.browserRoutes: 'GET /machine/models' is not a GET keycloak route of routes",
    ],
    [
      { ...session, browserRoutes: ['POST /models/{modelId}/invoke'] },
      "session.browserRoutes: 'POST /models/{modelId}/invoke' is not a GET keycloak route of routes",
    ],
    [
      { ...session, publicBaseUrl: 'https://api.example.com/' },
      'session.publicBaseUrl must be an https URL without a trailing slash',
    ],
    [{ ...session, extra: true }, 'session.extra is not a field'],
  ])('refuses session %j', (value, message) => {
    const result = validateAuthorizerConfig({ ...base, session: value });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toContain(message);
  });

  it('refuses a session cookie that is also the plain token cookie', () => {
    const result = validateAuthorizerConfig({
      ...base,
      tokenSource: { cookie: '__Host-keygate_session' },
      session: { keysSecretId: 'k' },
    });
    expect(!result.ok && result.errors).toEqual(['session.cookieName must differ from tokenSource.cookie']);
  });
});

describe('authorizer config: tokenSource.allowedOrigins', () => {
  it('accepts https origins beside a token cookie', () => {
    const result = validateAuthorizerConfig({
      ...base,
      tokenSource: { cookie: 'access_token', allowedOrigins: ['https://app.example.com'] },
    });
    expect(result.ok).toBe(true);
  });

  it.each([
    [
      { allowedOrigins: ['https://app.example.com'] },
      'tokenSource.allowedOrigins needs tokenSource.cookie (it applies to cookie-borne tokens)',
    ],
    [
      { cookie: 'access_token', allowedOrigins: ['http://app.example.com'] },
      'tokenSource.allowedOrigins must be a list of https origins (scheme, host and optional port only)',
    ],
    [
      { cookie: 'access_token', allowedOrigins: 'https://app.example.com' },
      'tokenSource.allowedOrigins must be a list of https origins (scheme, host and optional port only)',
    ],
  ])('refuses %j', (tokenSource, message) => {
    const result = validateAuthorizerConfig({ ...base, tokenSource });
    expect(!result.ok && result.errors).toEqual([message]);
  });
});

describe('authorizer config: cookie sources and the result cache', () => {
  it.each([
    ['a token cookie', { tokenSource: { cookie: 'access_token' } }],
    ['a session', { session: { keysSecretId: 'k' } }],
  ])('refuses a cached answer with %s, accepts it uncached', (_name, source) => {
    const cached = validateAuthorizerConfig({ ...base, ...source, resultCacheTtlSeconds: 300 });
    expect(!cached.ok && cached.errors).toEqual([
      "resultCacheTtlSeconds must be 0 with tokenSource.cookie or session: the same-origin check of a cookie-borne request depends on that request's own headers",
    ]);
    expect(validateAuthorizerConfig({ ...base, ...source, resultCacheTtlSeconds: 0 }).ok).toBe(true);
  });
});
