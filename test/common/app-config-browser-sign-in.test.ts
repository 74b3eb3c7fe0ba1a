import { describe, expect, it, test } from 'vitest';
import type { StageConfig } from '../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { validateStageConfig } from '../../common/app-config-validate';

const dev = DEFAULT_APP_CONFIG.stages.dev;
const AT = 'keygate.stages.dev';
const B = `${AT}.browserSignIn`;
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keygate/browser-AbCdEf';

/** The default stage with browser sign-in on (and the result cache left to its sign-in default). */
function signInStage(block: unknown, patch: Record<string, unknown> = {}): Record<string, unknown> {
  const s: Record<string, unknown> = JSON.parse(JSON.stringify(dev));
  delete s.authorizer;
  s.browserSignIn = block;
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete s[k];
    else s[k] = v;
  }
  return s;
}

describe('validateStageConfig: browserSignIn', () => {
  test('leaves sign-in off in the embedded default', () => {
    expect(dev.browserSignIn).toBeUndefined();
    expect(validateStageConfig(dev, AT)).toEqual([]);
  });

  it.each<[string, unknown, Record<string, unknown>?]>([
    ['an empty block (people client, public)', {}],
    [
      'every field, a confidential client',
      {
        clientId: 'keygate-browser',
        clientSecretName: SECRET_ARN,
        clientSecretField: 'secret',
        scopes: ['openid', 'profile'],
        cookieName: 'kg_session',
        maxSessionSeconds: 3600,
        allowedOrigins: ['https://app.example.com', 'https://app.example.com:8443'],
        csrfHeader: 'x-app-csrf',
        publicUrls: ['https://api.example.com', 'https://abc123.execute-api.eu-west-1.amazonaws.com/dev'],
      },
    ],
    ['a secret by name', { clientId: 'keygate-browser', clientSecretName: 'keygate/dev/browser' }],
    ['an explicit cache TTL of 0', {}, { authorizer: { cacheTtlSeconds: 0, responseMode: 'simple' } }],
  ])('accepts %s', (_name, block, patch) => {
    expect(validateStageConfig(signInStage(block, patch), AT)).toEqual([]);
  });

  it.each<[string, unknown, string, Record<string, unknown>?]>([
    [
      'a block that is not an object',
      true,
      `${B} must be an object (clientId?, clientSecretName?, scopes?, cookieName?, ...); {} turns sign-in on`,
    ],
    [
      'an unknown field',
      { redirectUri: 'https://x.example.com' },
      `${B}.redirectUri is not a known field (clientId, clientSecretName, clientSecretField, scopes, cookieName, maxSessionSeconds, allowedOrigins, csrfHeader, publicUrls)`,
    ],
    ['a bad client id', { clientId: 'has space' }, `${B}.clientId must be a Keycloak client id`],
    [
      'a secret value instead of its name',
      { clientId: 'keygate-browser', clientSecretName: 'not a name!' },
      `${B}.clientSecretName must be the name or ARN of a Secrets Manager secret`,
    ],
    [
      'a secret for the default (public) people client',
      { clientSecretName: SECRET_ARN },
      `${B}.clientSecretName needs ${B}.clientId naming a confidential client other than keycloak.peopleClientId, which is a public client`,
    ],
    [
      'a secret for the people client named explicitly',
      { clientId: 'keygate-web', clientSecretName: SECRET_ARN },
      `${B}.clientSecretName needs ${B}.clientId naming a confidential client other than keycloak.peopleClientId, which is a public client`,
    ],
    [
      'a secret field without a secret',
      { clientSecretField: 'secret' },
      `${B}.clientSecretField needs ${B}.clientSecretName`,
    ],
    [
      'a secret field that is not a field name',
      { clientId: 'keygate-browser', clientSecretName: SECRET_ARN, clientSecretField: 'a b' },
      `${B}.clientSecretField must be a JSON field name (letters, digits, . _ -)`,
    ],
    ['scopes without openid', { scopes: ['profile'] }, `${B}.scopes must include 'openid'`],
    [
      'a scope with a space',
      { scopes: ['openid profile'] },
      `${B}.scopes must be a list of scope tokens without spaces or quotes`,
    ],
    [
      'a cookie name with a dot',
      { cookieName: 'kg.session' },
      `${B}.cookieName must be 1-48 letters, digits, _ or -`,
    ],
    [
      'a session shorter than 5 minutes',
      { maxSessionSeconds: 60 },
      `${B}.maxSessionSeconds must be an integer from 300 (5 minutes) to 2592000 (30 days)`,
    ],
    [
      'a session longer than 30 days',
      { maxSessionSeconds: 2_592_001 },
      `${B}.maxSessionSeconds must be an integer from 300 (5 minutes) to 2592000 (30 days)`,
    ],
    [
      'a plain-http origin',
      { allowedOrigins: ['http://localhost:5173'] },
      `${B}.allowedOrigins[0] must be an https origin such as https://app.example.com`,
    ],
    [
      'an origin with a path',
      { allowedOrigins: ['https://app.example.com', 'https://app.example.com/x'] },
      `${B}.allowedOrigins[1] must be an https origin such as https://app.example.com`,
    ],
    [
      'origins that are not a list',
      { allowedOrigins: 'https://app.example.com' },
      `${B}.allowedOrigins must be a list of https origins`,
    ],
    ['a CSRF header with a colon', { csrfHeader: 'x-csrf:' }, `${B}.csrfHeader must be an HTTP header name`],
    [
      'a public URL with a trailing slash',
      { publicUrls: ['https://api.example.com/'] },
      `${B}.publicUrls[0] must be an https URL without a trailing slash, query or fragment`,
    ],
    [
      'a plain-http public URL',
      { publicUrls: ['http://api.example.com'] },
      `${B}.publicUrls[0] must be an https URL without a trailing slash, query or fragment`,
    ],
    [
      'a non-zero result cache',
      {},
      `${AT}.authorizer.cacheTtlSeconds must be 0 or left out with ${B}: a request may carry its credentials in the ` +
        'Authorization header or in the session cookie, and API Gateway caches only by a source every request has',
      { authorizer: { cacheTtlSeconds: 300 } },
    ],
    [
      'a configured route under /auth/',
      {},
      `${AT}.routes[${dev.routes.length}].path: paths under /auth/ belong to the sign-in routes while ${B} is set`,
      { routes: [...dev.routes, { method: 'GET', path: '/auth/whoami', auth: 'keycloak' }] },
    ],
    [
      'a browser route that is not GET',
      {},
      `${AT}.routes[${dev.routes.length}].browser: only GET keycloak routes can send a browser to sign-in`,
      { routes: [...dev.routes, { method: 'POST', path: '/forms', auth: 'keycloak', browser: true }] },
    ],
    [
      'a browser route with IAM auth',
      {},
      `${AT}.routes[${dev.routes.length}].browser: only GET keycloak routes can send a browser to sign-in`,
      { routes: [...dev.routes, { method: 'GET', path: '/reports', auth: 'iam', browser: true }] },
    ],
  ])('rejects %s, naming the field', (_name, block, message, patch) => {
    expect(validateStageConfig(signInStage(block, patch), AT)).toEqual([message]);
  });

  test('ignores browser flags and /auth/ paths while sign-in is off', () => {
    const stage: StageConfig = {
      ...dev,
      routes: [...dev.routes, { method: 'POST', path: '/auth/whoami', auth: 'keycloak', browser: true }],
    };
    expect(validateStageConfig(stage, AT)).toEqual([]);
  });

  test('lets sign-in turn the cache off for simple answers on routes that bind a path parameter', () => {
    // Without sign-in, simple answers with the default cache and a bound parameter are refused.
    const simple = { authorizer: { responseMode: 'simple' } };
    expect(validateStageConfig(signInStage({}, simple), AT)).toEqual([]);
    const withoutSignIn = signInStage({}, { ...simple, browserSignIn: undefined });
    expect(validateStageConfig(withoutSignIn, AT)).toEqual([
      `${AT}.authorizer.cacheTtlSeconds must be 0 with responseMode 'simple': routes[2] binds a path parameter, ` +
        'and a cached simple answer would hold for every value of it',
    ]);
  });
});
